#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The smaller methods the Codex TUI calls, end to end (real server on `ws://127.0.0.1:0`,
//! `TestClient` validating every message, `MockProvider` as the model): `thread/search` over
//! titles and message contents, `thread/items/list`, `thread/goal/*` with their notifications
//! (stored across a restart), `thread/backgroundTerminals/*` over the model's exec sessions,
//! `plugin/installed`, `thread/list` by `section_position`, and `thread/readState/changed`.

mod tools_common;

use codex_test_support::Script;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

async fn turn(client: &mut TestClient, thread_id: &str, text: &str) -> Vec<Value> {
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": text}]}),
        )
        .await
        .unwrap();
    turn_messages(client).await
}

fn ids(result: &Value) -> Vec<String> {
    result["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["thread"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_search_finds_titles_and_message_contents() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let named = start_thread(&mut client, work.path()).await;
    client
        .call("thread/name/set", json!({"threadId": named, "name": "Parser rewrite"}))
        .await
        .unwrap();
    let talked = start_thread(&mut client, work.path()).await;
    mock.push(Script::text("Add retries around the network call, then it stops flaking."));
    let messages = turn(&mut client, &talked, "how do I fix the FLAKY integration test?").await;
    let read_state = messages.iter().find(|m| m["method"] == "thread/readState/changed").unwrap();
    assert_eq!(read_state["params"]["threadId"], talked);
    assert!(read_state["params"]["readState"]["revision"].is_string());
    let other = start_thread(&mut client, work.path()).await;
    mock.push(Script::text("hello back"));
    turn(&mut client, &other, "hello").await;

    let by_title = client.call("thread/search", json!({"searchTerm": "parser"})).await.unwrap();
    assert_eq!(ids(&by_title), [named.as_str()]);
    assert_eq!(by_title["data"][0]["snippet"], "Parser rewrite");
    let by_question = client.call("thread/search", json!({"searchTerm": "flaky"})).await.unwrap();
    assert_eq!(ids(&by_question), [talked.as_str()]);
    assert_eq!(by_question["data"][0]["snippet"], "how do I fix the FLAKY integration test?");
    let by_answer =
        client.call("thread/search", json!({"searchTerm": "network call"})).await.unwrap();
    assert_eq!(ids(&by_answer), [talked.as_str()]);
    let snippet = by_answer["data"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("network call"), "{snippet}");
    // Words that are only JSON keys or item types of the stored items do not match.
    let keys = client.call("thread/search", json!({"searchTerm": "agentMessage"})).await.unwrap();
    assert_eq!(ids(&keys), Vec::<String>::new());
    // The TUI's picker sources, pages, and other sources.
    let paged = client
        .call(
            "thread/search",
            json!({"searchTerm": "e", "limit": 2, "sourceKinds": ["cli", "vscode"]}),
        )
        .await
        .unwrap();
    assert_eq!(paged["data"].as_array().unwrap().len(), 2);
    let rest = client
        .call("thread/search", json!({"searchTerm": "e", "cursor": paged["nextCursor"]}))
        .await
        .unwrap();
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    let exec_only = client
        .call("thread/search", json!({"searchTerm": "flaky", "sourceKinds": ["exec"]}))
        .await
        .unwrap();
    assert_eq!(ids(&exec_only), Vec::<String>::new());
    let empty =
        client.request("thread/search", json!({"searchTerm": "  "})).await.unwrap().unwrap_err();
    assert_eq!(empty["code"], -32602);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_items_list_pages_items_with_their_turn() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    mock.push(Script::text("first answer"));
    let first = completed_turn(&turn(&mut client, &thread_id, "first question").await);
    mock.push(Script::text("second answer"));
    let second = completed_turn(&turn(&mut client, &thread_id, "second question").await);

    let all = client.call("thread/items/list", json!({"threadId": thread_id})).await.unwrap();
    let entries = all["data"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["turnId"], first["id"]);
    assert_eq!(entries[0]["item"]["type"], "userMessage");
    assert_eq!(entries[1]["item"]["text"], "first answer");
    assert!(entries[1]["startedAtMs"].is_i64() && entries[1]["completedAtMs"].is_i64());
    assert_eq!(entries[3]["turnId"], second["id"]);
    assert!(all.get("nextCursor").is_none_or(Value::is_null));

    let page = client
        .call(
            "thread/items/list",
            json!({"threadId": thread_id, "limit": 3, "sortDirection": "desc"}),
        )
        .await
        .unwrap();
    assert_eq!(page["data"][0]["item"]["text"], "second answer");
    let rest = client
        .call(
            "thread/items/list",
            json!({"threadId": thread_id, "sortDirection": "desc", "cursor": page["nextCursor"]}),
        )
        .await
        .unwrap();
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["data"][0]["item"]["type"], "userMessage");

    let question_id = second["items"][0]["id"].clone();
    let after = client
        .call(
            "thread/items/list",
            json!({"threadId": thread_id, "turnId": second["id"],
                   "cursor": {"type": "item", "itemId": question_id}}),
        )
        .await
        .unwrap();
    assert_eq!(after["data"].as_array().unwrap().len(), 1);
    assert_eq!(after["data"][0]["item"]["text"], "second answer");
    for bad in [
        json!({"threadId": thread_id, "cursor": {"type": "item", "itemId": question_id}}),
        json!({"threadId": thread_id, "turnId": "no-such-turn"}),
        json!({"threadId": thread_id, "cursor": "x"}),
    ] {
        let error = client.request("thread/items/list", bad.clone()).await.unwrap().unwrap_err();
        assert_eq!(error["code"], -32602, "{bad}: {error}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_goal_is_stored_announced_and_cleared() {
    let (home, _mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let mut watcher = server.client().await;
    watcher.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();

    let none = client.call("thread/goal/get", json!({"threadId": thread_id})).await.unwrap();
    assert!(none["goal"].is_null());
    let without = client
        .request("thread/goal/set", json!({"threadId": thread_id, "status": "paused"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(without["code"], -32602);
    let set = client
        .call(
            "thread/goal/set",
            json!({"threadId": thread_id, "objective": "Ship the parser", "tokenBudget": 50000, "origin": "user"}),
        )
        .await
        .unwrap();
    assert_eq!(set["goal"]["objective"], "Ship the parser");
    assert_eq!(set["goal"]["status"], "active");
    assert_eq!(set["goal"]["tokenBudget"], 50000);
    let updated = watcher.wait_for_notification("thread/goal/updated").await.unwrap();
    assert_eq!(updated["goal"], set["goal"]);
    client
        .call("thread/goal/set", json!({"threadId": thread_id, "status": "paused"}))
        .await
        .unwrap();
    let paused = watcher.wait_for_notification("thread/goal/updated").await.unwrap();
    assert_eq!(paused["goal"]["status"], "paused");
    assert_eq!(paused["goal"]["objective"], "Ship the parser");
    client.close().await;
    watcher.close().await;
    server.stop().await;

    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let stored = client.call("thread/goal/get", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(stored["goal"]["status"], "paused");
    client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    let cleared = client.call("thread/goal/clear", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(cleared["cleared"], true);
    let notice = client.wait_for_notification("thread/goal/cleared").await.unwrap();
    assert_eq!(notice["threadId"], thread_id);
    let again = client.call("thread/goal/clear", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(again["cleared"], false);
    let unknown = client
        .request("thread/goal/get", json!({"threadId": "019a0000-0000-7000-8000-0000000000bb"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(unknown["code"], -32600);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_terminals_are_the_models_running_exec_sessions() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let sleeper = |call_id: &str| {
        Script::function_call(
            call_id,
            "exec_command",
            json!({"cmd": "sleep 600", "yield_time_ms": 250}),
        )
    };
    mock.push(sleeper("call_1"));
    mock.push(sleeper("call_2"));
    mock.push(Script::text("left them running"));
    start_turn(&mut client, &thread_id, "never", danger()).await;
    let messages = turn_messages(&mut client).await;
    let started: Vec<Value> = completed_items(&messages, "commandExecution");
    assert_eq!(started.len(), 2);

    let listed = client
        .call("thread/backgroundTerminals/list", json!({"threadId": thread_id}))
        .await
        .unwrap();
    let terminals = listed["data"].as_array().unwrap().clone();
    assert_eq!(terminals.len(), 2, "{listed}");
    for terminal in &terminals {
        assert!(terminal["command"].as_str().unwrap().contains("sleep 600"));
        assert_eq!(terminal["cwd"], work.path().display().to_string());
        assert!(terminal["osPid"].as_i64().unwrap() > 0);
        let item = started.iter().find(|item| item["id"] == terminal["itemId"]).unwrap();
        assert_eq!(item["processId"], terminal["processId"]);
    }
    let page = client
        .call("thread/backgroundTerminals/list", json!({"threadId": thread_id, "limit": 1}))
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["nextCursor"], "1");

    let first = terminals[0]["processId"].clone();
    let terminated = client
        .call(
            "thread/backgroundTerminals/terminate",
            json!({"threadId": thread_id, "processId": first}),
        )
        .await
        .unwrap();
    assert_eq!(terminated["terminated"], true);
    let again = client
        .call(
            "thread/backgroundTerminals/terminate",
            json!({"threadId": thread_id, "processId": first}),
        )
        .await
        .unwrap();
    assert_eq!(again["terminated"], false);
    let listed = client
        .call("thread/backgroundTerminals/list", json!({"threadId": thread_id}))
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    client.call("thread/backgroundTerminals/clean", json!({"threadId": thread_id})).await.unwrap();
    let listed = client
        .call("thread/backgroundTerminals/list", json!({"threadId": thread_id}))
        .await
        .unwrap();
    assert_eq!(listed["data"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_and_section_order_answer_without_errors() {
    let (home, _mock, server) = setup().await;
    let mut client = server.client().await;
    let plugins = client.call("plugin/installed", json!({"cwds": [home.path()]})).await.unwrap();
    assert_eq!(plugins, json!({"marketplaces": []}));
    let work = scratch();
    for _ in 0..3 {
        start_thread(&mut client, work.path()).await;
    }
    let by_section =
        client.call("thread/list", json!({"sortKey": "section_position"})).await.unwrap();
    let by_recency = client.call("thread/list", json!({"sortKey": "recency_at"})).await.unwrap();
    assert_eq!(by_section["data"].as_array().unwrap().len(), 3);
    assert_eq!(by_section["data"], by_recency["data"], "no sections: recency order");
    server.stop().await;
}
