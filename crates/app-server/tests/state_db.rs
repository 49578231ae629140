//! The SQLite state database on real files: round trips, restarts, listing (every filter, both
//! directions, every timestamp key, cursors both ways), token usage, and refusal to touch a
//! corrupt or newer database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use codex_app_server::state::ItemRecord;
use codex_app_server::state::ListDirection;
use codex_app_server::state::ProjectFilter;
use codex_app_server::state::StateDb;
use codex_app_server::state::StateError;
use codex_app_server::state::ThreadLineage;
use codex_app_server::state::ThreadOrder;
use codex_app_server::state::ThreadQuery;
use codex_app_server::state::ThreadRecord;
use codex_app_server::state::TokenUsageRecord;
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
        source: json!("appServer"),
        parent_thread_id: None,
        attached_to_thread_id: None,
        project_id: None,
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

/// Pages through a whole listing with `query`'s filters and order, `limit` at a time.
async fn page_through(db: &StateDb, query: &ThreadQuery) -> Vec<String> {
    let mut seen = Vec::new();
    let mut query = query.clone();
    loop {
        let page = db.list_threads(&query).await.unwrap();
        assert!(page.threads.len() <= query.limit as usize);
        seen.extend(page.threads.iter().map(|t| t.id.clone()));
        match page.next_cursor {
            Some(next) => query.cursor = Some(next),
            None => return seen,
        }
    }
}

/// 23 threads whose creation times tie in threes and whose update times run the other way,
/// tying in pairs.
async fn tied_threads(db: &StateDb) -> Vec<ThreadRecord> {
    let mut all = Vec::new();
    for n in 0..23i64 {
        let mut record = thread(&format!("t{n:02}"), 1000 + n / 3, "/w");
        record.updated_at = 5000 - n / 2;
        db.upsert_thread(&record).await.unwrap();
        all.push(record);
    }
    all
}

#[tokio::test]
async fn every_key_pages_both_ways_without_gaps_or_duplicates() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    let all = tied_threads(&db).await;
    for order in [ThreadOrder::CreatedAt, ThreadOrder::UpdatedAt, ThreadOrder::RecencyAt] {
        let key = |t: &ThreadRecord| match order {
            ThreadOrder::CreatedAt => (t.created_at, t.id.clone()),
            _ => (t.updated_at, t.id.clone()),
        };
        let mut ascending: Vec<(i64, String)> = all.iter().map(key).collect();
        ascending.sort();
        let ascending: Vec<String> = ascending.into_iter().map(|(_, id)| id).collect();
        let descending: Vec<String> = ascending.iter().rev().cloned().collect();
        for (direction, expected) in
            [(ListDirection::Ascending, &ascending), (ListDirection::Descending, &descending)]
        {
            for limit in [1, 4, 7, 23, 50] {
                let seen = page_through(
                    &db,
                    &ThreadQuery { limit, order, direction, ..Default::default() },
                )
                .await;
                assert_eq!(&seen, expected, "{order:?} {direction:?} limit {limit}");
            }
        }
    }
}

#[tokio::test]
async fn backwards_cursor_turns_around_at_the_start_of_the_page() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    let all = tied_threads(&db).await;
    let first = db.list_threads(&ThreadQuery { limit: 4, ..Default::default() }).await.unwrap();
    let second = db
        .list_threads(&ThreadQuery { limit: 4, cursor: first.next_cursor, ..Default::default() })
        .await
        .unwrap();
    // Newest first: t22 t21 t20 t19 | t18 t17 t16 t15; t18, t19 and t20 share a second.
    let ids: Vec<&str> = second.threads.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t18", "t17", "t16", "t15"]);
    let anchor = second.threads[0].created_at;
    let back = page_through(
        &db,
        &ThreadQuery {
            limit: 2,
            cursor: second.backwards_cursor.clone(),
            direction: ListDirection::Ascending,
            ..Default::default()
        },
    )
    .await;
    let mut expected: Vec<&ThreadRecord> = all.iter().filter(|t| t.created_at >= anchor).collect();
    expected.sort_by_key(|t| (t.created_at, t.id.clone()));
    let expected: Vec<String> = expected.into_iter().map(|t| t.id.clone()).collect();
    assert_eq!(back, expected, "the whole anchor second, then everything newer, oldest first");
    assert_eq!(back, ["t18", "t19", "t20", "t21", "t22"]);

    // The other way round: an ascending page's backwards cursor lists older threads, newest first.
    let asc = db
        .list_threads(&ThreadQuery {
            limit: 4,
            direction: ListDirection::Ascending,
            cursor: Some("created_at|1002|t07".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Vec<&str> = asc.threads.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t08", "t09", "t10", "t11"]);
    let older = page_through(
        &db,
        &ThreadQuery { limit: 3, cursor: asc.backwards_cursor, ..Default::default() },
    )
    .await;
    assert_eq!(older, ["t08", "t07", "t06", "t05", "t04", "t03", "t02", "t01", "t00"]);

    let empty = db
        .list_threads(&ThreadQuery { limit: 5, archived: true, ..Default::default() })
        .await
        .unwrap();
    assert!(empty.threads.is_empty());
    assert_eq!((empty.next_cursor, empty.backwards_cursor), (None, None));
}

#[tokio::test]
async fn cursors_are_checked() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    tied_threads(&db).await;
    let page = db.list_threads(&ThreadQuery { limit: 5, ..Default::default() }).await.unwrap();
    let mut bad = vec![
        "".to_owned(),
        "created_at".to_owned(),
        "created_at|soon|t01".to_owned(),
        "1000:t01".to_owned(),
    ];
    // A cursor made for one sort key (created_at) means nothing for another.
    bad.push(page.next_cursor.clone().unwrap());
    for cursor in bad {
        let err = db
            .list_threads(&ThreadQuery {
                cursor: Some(cursor.clone()),
                order: ThreadOrder::UpdatedAt,
                limit: 5,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StateError::InvalidCursor(_)), "{cursor:?}: {err}");
    }
}

#[tokio::test]
async fn each_filter_narrows_the_listing() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    let add = |id: &str, edit: &dyn Fn(&mut ThreadRecord)| {
        let mut record = thread(id, 100 + id.len() as i64, "/w");
        edit(&mut record);
        record
    };
    let records = vec![
        add("root", &|_| {}),
        add("child", &|t| {
            t.parent_thread_id = Some("root".into());
            t.source =
                json!({"subAgent": {"thread_spawn": {"depth": 1, "parent_thread_id": "root"}}});
        }),
        add("grandchild", &|t| {
            t.parent_thread_id = Some("child".into());
            t.source = json!({"subAgent": "review"});
        }),
        add("attached", &|t| {
            t.attached_to_thread_id = Some("root".into());
            t.name = Some("Fix attached".into());
        }),
        add("exec", &|t| {
            t.source = json!("exec");
            t.model_provider = "other".into();
        }),
        add("named", &|t| {
            t.name = Some("Fix the Parser".into());
            t.preview = "unrelated".into();
        }),
        add("preview", &|t| t.preview = "please fix THIS".into()),
        add("renamed", &|t| {
            t.name = Some("something else".into());
            t.preview = "fix hidden behind the name".into();
        }),
        add("project", &|t| t.project_id = Some("p1".into())),
    ];
    for record in &records {
        db.upsert_thread(record).await.unwrap();
    }
    let list = |query: ThreadQuery| {
        let db = db.clone();
        async move {
            let ids: HashSet<String> =
                page_through(&db, &ThreadQuery { limit: 2, ..query }).await.into_iter().collect();
            ids
        }
    };
    let set = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<HashSet<_>>();
    let unattached =
        set(&["root", "child", "grandchild", "exec", "named", "preview", "renamed", "project"]);
    assert_eq!(list(ThreadQuery::default()).await, unattached, "attached threads stay hidden");
    assert_eq!(
        list(ThreadQuery { model_providers: vec!["other".into()], ..Default::default() }).await,
        set(&["exec"])
    );
    assert_eq!(
        list(ThreadQuery {
            model_providers: vec!["mock".into(), "other".into()],
            ..Default::default()
        })
        .await,
        unattached
    );
    assert_eq!(
        list(ThreadQuery { source_kinds: vec!["exec".into()], ..Default::default() }).await,
        set(&["exec"])
    );
    assert_eq!(
        list(ThreadQuery {
            source_kinds: vec!["subAgentThreadSpawn".into(), "subAgentReview".into()],
            ..Default::default()
        })
        .await,
        set(&["child", "grandchild"])
    );
    assert_eq!(
        list(ThreadQuery { search_term: Some("fix".into()), ..Default::default() }).await,
        set(&["named", "preview"]),
        "the title is the name when there is one, else the preview; case is ignored"
    );
    assert_eq!(
        list(ThreadQuery {
            search_term: Some("FIX".into()),
            include_attached: true,
            ..Default::default()
        })
        .await,
        set(&["named", "preview", "attached"])
    );
    assert_eq!(
        list(ThreadQuery { search_term: Some("100%_".into()), ..Default::default() }).await,
        set(&[]),
        "no LIKE wildcards"
    );
    assert_eq!(
        list(ThreadQuery {
            lineage: ThreadLineage::ChildrenOf("root".into()),
            ..Default::default()
        })
        .await,
        set(&["child"])
    );
    assert_eq!(
        list(ThreadQuery {
            lineage: ThreadLineage::DescendantsOf("root".into()),
            ..Default::default()
        })
        .await,
        set(&["child", "grandchild"])
    );
    assert_eq!(
        list(ThreadQuery {
            lineage: ThreadLineage::AttachedTo("root".into()),
            ..Default::default()
        })
        .await,
        set(&["attached"])
    );
    assert_eq!(
        list(ThreadQuery { project: ProjectFilter::Project("p1".into()), ..Default::default() })
            .await,
        set(&["project"])
    );
    let mut unassigned = unattached.clone();
    unassigned.remove("project");
    assert_eq!(
        list(ThreadQuery { project: ProjectFilter::Unassigned, ..Default::default() }).await,
        unassigned
    );
    assert_eq!(
        list(ThreadQuery { section_id: Some("s1".into()), ..Default::default() }).await,
        set(&[])
    );
    let mut kept = unattached.clone();
    kept.remove("root");
    kept.remove("named");
    assert_eq!(
        list(ThreadQuery {
            excluded_ids: vec!["root".into(), "named".into()],
            ..Default::default()
        })
        .await,
        kept
    );
    assert_eq!(
        list(ThreadQuery { cwd: Some(vec!["/elsewhere".into()]), ..Default::default() }).await,
        set(&[])
    );
    // Filters combine.
    assert_eq!(
        list(ThreadQuery {
            search_term: Some("fix".into()),
            excluded_ids: vec!["named".into()],
            cwd: Some(vec!["/w".into()]),
            ..Default::default()
        })
        .await,
        set(&["preview"])
    );
    let stored = db.thread("child").await.unwrap().unwrap();
    assert_eq!(stored, records[1], "new columns round-trip");
}

#[tokio::test]
async fn token_usage_survives_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    db.upsert_thread(&thread("t1", 100, "/w")).await.unwrap();
    assert_eq!(db.token_usage("t1").await.unwrap(), None);
    for (turn, total) in [("turn1", 15), ("turn2", 30)] {
        let usage = TokenUsageRecord {
            turn_id: turn.into(),
            usage: json!({"total": {"totalTokens": total}, "last": {"totalTokens": 15}}),
        };
        db.set_token_usage("t1", &usage).await.unwrap();
    }
    db.close().await;
    let db = StateDb::open_in(home.path()).await.unwrap();
    let stored = db.token_usage("t1").await.unwrap().unwrap();
    assert_eq!(stored.turn_id, "turn2");
    assert_eq!(stored.usage["total"]["totalTokens"], 30);
    assert!(db.set_token_usage("ghost", &stored).await.is_err(), "usage needs a stored thread");
}

#[tokio::test]
async fn a_database_of_the_previous_schema_is_migrated_in_place() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(STATE_DB_FILE_NAME);
    // The threads table as schema version 2 had it, with one thread in it.
    let old =
        sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE threads (id TEXT PRIMARY KEY NOT NULL, created_at INTEGER NOT NULL, \
         updated_at INTEGER NOT NULL, name TEXT, preview TEXT NOT NULL DEFAULT '', \
         cwd TEXT NOT NULL, model TEXT, model_provider TEXT NOT NULL, \
         archived INTEGER NOT NULL DEFAULT 0, forked_from_id TEXT, cli_version TEXT NOT NULL, \
         settings TEXT NOT NULL DEFAULT '{}'); \
         INSERT INTO threads (id, created_at, updated_at, cwd, model_provider, cli_version) \
         VALUES ('old', 10, 20, '/w', 'mock', '0.0.9'); \
         PRAGMA user_version = 2;",
    )
    .execute(&old)
    .await
    .unwrap();
    old.close().await;

    let db = StateDb::open(&path).await.unwrap();
    let stored = db.thread("old").await.unwrap().unwrap();
    // Schema 4 records app-server threads as `vscode`, like the reference.
    assert_eq!(stored.source, json!("vscode"));
    assert_eq!(
        (stored.parent_thread_id, stored.attached_to_thread_id, stored.project_id),
        (None, None, None)
    );
    let listed = db
        .list_threads(&ThreadQuery {
            source_kinds: vec!["vscode".into()],
            project: ProjectFilter::Unassigned,
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.threads.len(), 1, "an old thread is an unassigned app-server thread");
    assert_eq!(db.token_usage("old").await.unwrap(), None);
}

#[tokio::test]
async fn the_database_and_its_wal_files_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(STATE_DB_FILE_NAME);
    let mode = |suffix: &str| {
        let file = format!("{}{suffix}", path.display());
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777
    };
    let db = StateDb::open_in(home.path()).await.unwrap();
    // The relay token lives here: nobody but the user may read it, whatever the umask.
    db.set_value("remote_control", &json!({"remote_control_token": "secret"})).await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(mode(suffix), 0o600, "state.sqlite{suffix}");
    }
    drop(db);
    // A database left readable by an older build is narrowed on the next open.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _db = StateDb::open_in(home.path()).await.unwrap();
    assert_eq!(mode(""), 0o600);
}
