//! The SQLite state database on real files: round trips, restarts, pagination, and refusal to
//! touch a corrupt or newer database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use codex_app_server::state::ItemRecord;
use codex_app_server::state::StateDb;
use codex_app_server::state::StateError;
use codex_app_server::state::ThreadOrder;
use codex_app_server::state::ThreadQuery;
use codex_app_server::state::ThreadRecord;
use codex_app_server::state::TurnRecord;
use codex_app_server::state::STATE_DB_FILE_NAME;
use serde_json::json;

fn thread(id: &str, created_at: i64, cwd: &str) -> ThreadRecord {
    ThreadRecord {
        id: id.to_owned(),
        created_at,
        updated_at: created_at,
        name: None,
        preview: format!("preview of {id}"),
        cwd: cwd.to_owned(),
        model: Some("gpt-test".to_owned()),
        model_provider: "mock".to_owned(),
        archived: false,
        forked_from_id: None,
        cli_version: "0.1.0".to_owned(),
        settings: json!({"approvalPolicy": "never"}),
    }
}

#[tokio::test]
async fn threads_turns_and_items_survive_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    db.upsert_thread(&thread("t1", 100, "/work")).await.unwrap();
    let turn = TurnRecord {
        thread_id: "t1".into(),
        id: "turn1".into(),
        seq: 0,
        status: "inProgress".into(),
        started_at: Some(100),
        completed_at: None,
        duration_ms: None,
        error: None,
    };
    db.upsert_turn(&turn).await.unwrap();
    for (seq, text) in ["hi", "hello"].iter().enumerate() {
        let item = ItemRecord {
            turn_id: "turn1".into(),
            id: format!("item{seq}"),
            seq: seq as i64,
            item: json!({"type": "agentMessage", "id": format!("item{seq}"), "text": text}),
        };
        db.upsert_item("t1", &item).await.unwrap();
    }
    db.upsert_turn(&TurnRecord { status: "completed".into(), completed_at: Some(101), ..turn })
        .await
        .unwrap();
    db.set_name("t1", Some("named"), 102).await.unwrap();
    db.close().await;

    let db = StateDb::open(&home.path().join(STATE_DB_FILE_NAME)).await.unwrap();
    let stored = db.thread("t1").await.unwrap().unwrap();
    assert_eq!(stored.name.as_deref(), Some("named"));
    assert_eq!(stored.settings, json!({"approvalPolicy": "never"}));
    let turns = db.turns("t1").await.unwrap();
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0].status, "completed");
    let items = db.items("t1").await.unwrap();
    let texts: Vec<&str> = items.iter().map(|i| i.item["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["hi", "hello"]);
}

#[tokio::test]
async fn listing_pages_newest_first_and_filters() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    for n in 0..25 {
        let cwd = if n % 2 == 0 { "/even" } else { "/odd" };
        db.upsert_thread(&thread(&format!("t{n:02}"), 1000 + n, cwd)).await.unwrap();
    }
    db.set_archived("t24", true, 2000).await.unwrap();

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = db
            .list_threads(&ThreadQuery { cursor: cursor.clone(), limit: 10, ..Default::default() })
            .await
            .unwrap();
        seen.extend(page.threads.iter().map(|t| t.id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..24).rev().map(|n| format!("t{n:02}")).collect();
    assert_eq!(seen, expected, "every active thread once, newest first");

    let archived = db
        .list_threads(&ThreadQuery { archived: true, limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(archived.threads.len(), 1);
    assert_eq!(archived.threads[0].id, "t24");

    let even = db
        .list_threads(&ThreadQuery {
            cwd: Some(vec!["/even".into()]),
            limit: 100,
            order: ThreadOrder::UpdatedAt,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(even.threads.len(), 12);
    assert!(even.threads.iter().all(|t| t.cwd == "/even"));

    let bad = db
        .list_threads(&ThreadQuery {
            cursor: Some("garbage".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(bad, StateError::InvalidCursor(_)), "{bad}");
}

#[tokio::test]
async fn corrupt_database_is_refused_and_left_untouched() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(STATE_DB_FILE_NAME);
    let garbage = b"this is not a sqlite database, but it is somebody's data".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    let err = StateDb::open(&path).await.unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file must not be modified");
}

#[tokio::test]
async fn database_from_a_newer_server_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    sqlx::raw_sql("PRAGMA user_version = 999")
        .execute(
            &sqlx::SqlitePool::connect_lazy(&format!("sqlite://{}", db.path().display())).unwrap(),
        )
        .await
        .unwrap();
    db.close().await;
    let err = StateDb::open_in(home.path()).await.unwrap_err();
    assert!(matches!(err, StateError::TooNew { found: 999, .. }), "{err}");
}
