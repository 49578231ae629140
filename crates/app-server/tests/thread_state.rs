//! `thread/list` parameters and persisted token usage over the wire: a real server (in-process,
//! websocket on 127.0.0.1:0, temp CODEX_HOME, SQLite state) driven by `TestClient`, which checks
//! every server message against the reference schema; `MockProvider` is the model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tools_common;

use std::collections::HashSet;
use std::time::Duration;

use codex_test_support::Script;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tools_common::setup;
use tools_common::Server;

/// Every thread id a listing yields, paging with `nextCursor`; asserts no id comes twice.
async fn list_all(client: &mut TestClient, params: Value) -> Vec<String> {
    let mut params = params;
    let mut seen = Vec::new();
    loop {
        let page = client.call("thread/list", params.clone()).await.unwrap();
        for thread in page["data"].as_array().unwrap() {
            seen.push(thread["id"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(next) => params["cursor"] = json!(next),
            None => break,
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "duplicates in {seen:?}");
    seen
}

async fn list_error(client: &mut TestClient, params: Value) -> Value {
    client.request("thread/list", params.clone()).await.unwrap().expect_err(&params.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_list_filters_sorts_and_pages_both_ways() {
    let (home, _mock, server) = setup().await;
    let mut client = server.client().await;
    let (left, right) = (home.path().join("left"), home.path().join("right"));
    std::fs::create_dir_all(&left).unwrap();
    std::fs::create_dir_all(&right).unwrap();
    let mut ids = Vec::new();
    for n in 0..7 {
        let cwd = if n < 4 { &left } else { &right };
        let mut params = json!({"cwd": cwd});
        if n == 6 {
            params["projectId"] = json!("p1");
        }
        let started = client.call("thread/start", params).await.unwrap();
        ids.push(started["thread"]["id"].as_str().unwrap().to_owned());
    }
    client
        .call("thread/name/set", json!({"threadId": ids[2], "name": "Refactor the Parser"}))
        .await
        .unwrap();

    let newest_first = list_all(&mut client, json!({"limit": 2})).await;
    assert_eq!(newest_first.len(), 7);
    let oldest_first = list_all(&mut client, json!({"limit": 3, "sortDirection": "asc"})).await;
    let reversed: Vec<String> = newest_first.iter().rev().cloned().collect();
    assert_eq!(oldest_first, reversed, "asc is desc reversed, with no gaps");
    for key in ["created_at", "updated_at", "recency_at"] {
        let desc = list_all(&mut client, json!({"limit": 2, "sortKey": key})).await;
        let asc =
            list_all(&mut client, json!({"limit": 2, "sortKey": key, "sortDirection": "asc"}))
                .await;
        assert_eq!(desc.len(), 7, "{key}");
        assert_eq!(asc, desc.iter().rev().cloned().collect::<Vec<_>>(), "{key}");
    }

    // backwardsCursor: reverse from the start of the second page.
    let first = client.call("thread/list", json!({"limit": 3})).await.unwrap();
    let second = client
        .call("thread/list", json!({"limit": 3, "cursor": first["nextCursor"]}))
        .await
        .unwrap();
    let back = list_all(
        &mut client,
        json!({"limit": 2, "sortDirection": "asc", "cursor": second["backwardsCursor"]}),
    )
    .await;
    assert!(back.contains(&second["data"][0]["id"].as_str().unwrap().to_owned()));
    for thread in first["data"].as_array().unwrap() {
        assert!(back.contains(&thread["id"].as_str().unwrap().to_owned()), "{back:?}");
    }

    let set = |list: Vec<String>| list.into_iter().collect::<HashSet<_>>();
    let expect =
        |indexes: &[usize]| indexes.iter().map(|i| ids[*i].clone()).collect::<HashSet<_>>();
    assert_eq!(set(list_all(&mut client, json!({"cwd": left})).await), expect(&[0, 1, 2, 3]));
    assert_eq!(
        set(list_all(&mut client, json!({"cwd": [left, right]})).await),
        expect(&[0, 1, 2, 3, 4, 5, 6])
    );
    assert_eq!(set(list_all(&mut client, json!({"searchTerm": "parser"})).await), expect(&[2]));
    assert_eq!(set(list_all(&mut client, json!({"modelProviders": ["nope"]})).await), expect(&[]));
    assert_eq!(set(list_all(&mut client, json!({"modelProviders": []})).await).len(), 7);
    assert_eq!(set(list_all(&mut client, json!({"sourceKinds": ["exec"]})).await), expect(&[]));
    // Recorded as `vscode` like the reference's app-server, so the TUI's resume picker (which
    // asks for cli and vscode) finds them.
    assert_eq!(
        set(list_all(&mut client, json!({"sourceKinds": ["cli", "vscode"]})).await).len(),
        7
    );
    assert_eq!(
        set(list_all(&mut client, json!({"sourceKinds": ["appServer"]})).await),
        expect(&[])
    );
    let picker = client
        .call("thread/list", json!({"sourceKinds": ["cli", "vscode"], "limit": 1}))
        .await
        .unwrap();
    assert_eq!(picker["data"][0]["source"], "vscode");
    assert_eq!(set(list_all(&mut client, json!({"projectId": "p1"})).await), expect(&[6]));
    assert_eq!(
        set(list_all(&mut client, json!({"projectId": null})).await),
        expect(&[0, 1, 2, 3, 4, 5])
    );
    assert_eq!(set(list_all(&mut client, json!({"sectionId": "s1"})).await), expect(&[]));
    assert_eq!(set(list_all(&mut client, json!({"sectionId": null})).await).len(), 7);
    assert_eq!(
        set(list_all(&mut client, json!({"excludedThreadIds": [ids[0], ids[1]], "limit": 1})).await),
        expect(&[2, 3, 4, 5, 6])
    );
    assert_eq!(set(list_all(&mut client, json!({"parentThreadId": ids[0]})).await), expect(&[]));
    assert_eq!(set(list_all(&mut client, json!({"ancestorThreadId": ids[0]})).await), expect(&[]));
    assert_eq!(
        set(list_all(&mut client, json!({"attachedToThreadId": ids[0]})).await),
        expect(&[])
    );
    client.call("thread/archive", json!({"threadId": ids[3]})).await.unwrap();
    assert_eq!(set(list_all(&mut client, json!({"archived": true})).await), expect(&[3]));
    assert_eq!(set(list_all(&mut client, json!({"cwd": left})).await), expect(&[0, 1, 2]));
    let listed = client.call("thread/list", json!({"projectId": "p1"})).await.unwrap();
    assert_eq!(listed["data"][0]["projectId"], "p1");

    let created_cursor = first["nextCursor"].clone();
    for bad in [
        json!({"cursor": "garbage"}),
        json!({"cursor": created_cursor, "sortKey": "updated_at"}),
        json!({"parentThreadId": ids[0], "ancestorThreadId": ids[1]}),
        json!({"originators": ["codex_vscode"]}),
        json!({"excludedThreadIds": ["not-a-thread-id"]}),
        json!({"excludedThreadIds": vec![ids[0].clone(); 101]}),
        json!({"sortDirection": "sideways"}),
    ] {
        let error = list_error(&mut client, bad.clone()).await;
        assert_eq!(error["code"], -32602, "{bad}: {error}");
    }
    // The server still answers after every refusal.
    assert_eq!(list_all(&mut client, json!({})).await.len(), 6);
    server.stop().await;
}

async fn run_turn(client: &mut TestClient, thread_id: &str, text: &str) -> (String, Value) {
    let started = client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": text}]}),
        )
        .await
        .unwrap();
    let turn_id = started["turn"]["id"].as_str().unwrap().to_owned();
    let usage = client.wait_for_notification("thread/tokenUsage/updated").await.unwrap();
    let completed = client.wait_for_notification("turn/completed").await.unwrap();
    assert_eq!(completed["turn"]["status"], "completed");
    (turn_id, usage)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_usage_totals_survive_a_restart() {
    let (home, mock, server) = setup().await;
    let mut client = server.client().await;
    let started = client.call("thread/start", json!({"cwd": home.path()})).await.unwrap();
    let thread_id = started["thread"]["id"].as_str().unwrap().to_owned();
    mock.push(Script::text("one"));
    let (first_turn, usage) = run_turn(&mut client, &thread_id, "first").await;
    assert_eq!(usage["tokenUsage"]["total"]["totalTokens"], 15);
    mock.push(Script::text("two"));
    let (second_turn, usage) = run_turn(&mut client, &thread_id, "second").await;
    assert_ne!(first_turn, second_turn);
    assert_eq!(usage["tokenUsage"]["total"]["totalTokens"], 30);
    assert_eq!(usage["tokenUsage"]["total"]["inputTokens"], 20);
    client.close().await;
    server.stop().await;

    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let resumed = client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(resumed["thread"]["id"], thread_id.as_str());
    let replayed = client.wait_for_notification("thread/tokenUsage/updated").await.unwrap();
    assert_eq!(replayed["threadId"], thread_id.as_str());
    assert_eq!(replayed["turnId"], second_turn.as_str());
    assert_eq!(replayed["tokenUsage"]["total"]["totalTokens"], 30);
    assert_eq!(replayed["tokenUsage"]["last"]["totalTokens"], 15);

    mock.push(Script::text("three"));
    let (_, usage) = run_turn(&mut client, &thread_id, "third").await;
    assert_eq!(
        usage["tokenUsage"]["total"]["totalTokens"], 45,
        "totals go on from the stored ones"
    );
    assert_eq!(usage["tokenUsage"]["last"]["totalTokens"], 15);

    // A thread that never reported usage gets no replay.
    let fresh = client.call("thread/start", json!({"cwd": home.path()})).await.unwrap();
    let fresh_id = fresh["thread"]["id"].as_str().unwrap().to_owned();
    client.call("thread/unsubscribe", json!({"threadId": fresh_id})).await.unwrap();
    client.call("thread/resume", json!({"threadId": fresh_id})).await.unwrap();
    let inbox = client.take_inbox();
    assert!(inbox.iter().all(|m| m["method"] != "thread/tokenUsage/updated"), "{inbox:?}");
    assert!(client.is_quiet_for(Duration::from_millis(300)).await);
    server.stop().await;
}
