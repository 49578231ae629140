#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `permissionProfile/list` and `thread/settings/update` end to end: a real server on
//! `ws://127.0.0.1:0`, `TestClient` validating every message against the reference schema,
//! `MockProvider` as the model. An update reaches every subscriber as `thread/settings/updated`,
//! applies to the next turn (model, reasoning, permissions and environment context in the
//! request body), leaves a running turn alone, and is stored across a restart.

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

/// The texts of the developer messages of a request body.
fn developer_texts(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["role"] == "developer")
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|part| part["text"].as_str().map(str::to_owned))
        .collect()
}

fn environment_blocks(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|part| part["text"].as_str().map(str::to_owned))
        .filter(|text| text.starts_with("<environment_context>"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_profiles_are_listed_like_the_reference() {
    let (_home, _mock, server) = setup().await;
    let mut client = server.client().await;
    let all = client.call("permissionProfile/list", json!({})).await.unwrap();
    let ids: Vec<&str> =
        all["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [":read-only", ":workspace", ":danger-full-access"]);
    assert!(all["data"].as_array().unwrap().iter().all(|p| p["allowed"] == true));
    assert!(all.get("nextCursor").is_none_or(Value::is_null));
    let page = client.call("permissionProfile/list", json!({"limit": 2})).await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let rest =
        client.call("permissionProfile/list", json!({"cursor": page["nextCursor"]})).await.unwrap();
    assert_eq!(rest["data"][0]["id"], ":danger-full-access");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_apply_to_the_next_turn_reach_subscribers_and_survive_a_restart() {
    let (home, mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let started = client
        .call(
            "thread/start",
            json!({"cwd": work.path(), "approvalPolicy": "on-request", "sandbox": "workspace-write"}),
        )
        .await
        .unwrap();
    let thread_id = started["thread"]["id"].as_str().unwrap().to_owned();
    client.wait_for_notification("thread/started").await.unwrap();
    let mut watcher = server.client().await;
    watcher.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    mock.push(Script::text("first"));
    turn(&mut client, &thread_id, "one").await;
    let first = mock.model_requests()[0].body.clone();
    assert_eq!(first["model"], "mock-model");
    assert!(developer_texts(&first).iter().any(|t| t.contains("`workspace-write`")));

    let answer = client
        .call(
            "thread/settings/update",
            json!({"threadId": thread_id, "model": "gpt-5", "effort": "high", "summary": "detailed",
                   "approvalPolicy": "never", "permissions": ":read-only",
                   "approvalsReviewer": "auto_review"}),
        )
        .await
        .unwrap();
    assert_eq!(answer, json!({}));
    for who in [&mut client, &mut watcher] {
        let updated = who.wait_for_notification("thread/settings/updated").await.unwrap();
        assert_eq!(updated["threadId"], thread_id);
        let settings = &updated["threadSettings"];
        assert_eq!(settings["model"], "gpt-5");
        assert_eq!(settings["effort"], "high");
        assert_eq!(settings["summary"], "detailed");
        assert_eq!(settings["approvalPolicy"], "never");
        assert_eq!(settings["approvalsReviewer"], "auto_review");
        assert_eq!(settings["sandboxPolicy"]["type"], "readOnly");
        assert_eq!(settings["activePermissionProfile"]["id"], ":read-only");
        assert_eq!(settings["modelProvider"], "mock");
        assert_eq!(settings["cwd"], work.path().display().to_string());
        assert_eq!(settings["collaborationMode"]["mode"], "default");
    }

    mock.push(Script::text("second"));
    turn(&mut client, &thread_id, "two").await;
    let second = mock.model_requests()[1].body.clone();
    assert_eq!(second["model"], "gpt-5");
    assert_eq!(second["reasoning"]["effort"], "high");
    assert_eq!(second["reasoning"]["summary"], "detailed");
    // The new permissions block and environment context follow the first turn's.
    let developer = developer_texts(&second);
    assert_eq!(developer.len(), 2, "the first turn's block and the new one: {developer:?}");
    assert!(developer[1].contains("`read-only`") && developer[1].contains("`never`"));
    let environments = environment_blocks(&second);
    assert_eq!(environments.len(), 2);
    assert!(environments[1].contains("<filesystem>read-only</filesystem>"), "{}", environments[1]);

    // Stored: a restarted server resumes the thread with them and sends nothing new.
    client.close().await;
    watcher.close().await;
    server.stop().await;
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let resumed = client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(resumed["model"], "gpt-5");
    assert_eq!(resumed["reasoningEffort"], "high");
    assert_eq!(resumed["approvalPolicy"], "never");
    assert_eq!(resumed["approvalsReviewer"], "auto_review");
    assert_eq!(resumed["sandbox"]["type"], "readOnly");
    mock.push(Script::text("third"));
    turn(&mut client, &thread_id, "three").await;
    let third = mock.model_requests()[2].body.clone();
    assert_eq!(third["model"], "gpt-5");
    assert_eq!(developer_texts(&third).len(), 2, "no permissions block re-sent");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_turn_keeps_its_settings_and_bad_updates_are_refused() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    // The turn waits on a question while the settings change.
    mock.push(Script::function_call(
        "ask-1",
        "request_user_input",
        json!({"questions": [{"id": "go", "header": "Go", "question": "Continue?",
            "options": [{"label": "Yes", "description": "go on"}, {"label": "No", "description": "stop"}]}]}),
    ));
    mock.push(Script::text("done"));
    mock.push(Script::text("planned"));
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}),
        )
        .await
        .unwrap();
    let (_, question) = until_request(&mut client, "item/tool/requestUserInput").await;
    client
        .call(
            "thread/settings/update",
            json!({"threadId": thread_id, "collaborationMode": {"mode": "plan",
                   "settings": {"model": "gpt-5", "reasoning_effort": "low", "developer_instructions": null}}}),
        )
        .await
        .unwrap();
    let updated = client.wait_for_notification("thread/settings/updated").await.unwrap();
    assert_eq!(updated["threadSettings"]["collaborationMode"]["mode"], "plan");
    assert_eq!(updated["threadSettings"]["model"], "gpt-5");
    assert_eq!(updated["threadSettings"]["effort"], "low");
    client
        .respond(&question["id"], json!({"answers": {"go": {"answers": ["Yes"]}}}))
        .await
        .unwrap();
    turn_messages(&mut client).await;
    assert_eq!(mock.model_requests()[1].body["model"], "mock-model", "the running turn kept it");
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "next"}]}),
        )
        .await
        .unwrap();
    turn_messages(&mut client).await;
    assert_eq!(mock.model_requests()[2].body["model"], "gpt-5");
    assert_eq!(mock.model_requests()[2].body["reasoning"]["effort"], "low");

    for (params, code, words) in [
        (
            json!({"threadId": thread_id, "permissions": ":workspace", "sandboxPolicy": {"type": "dangerFullAccess"}}),
            -32602,
            "cannot be combined",
        ),
        (
            json!({"threadId": thread_id, "permissions": ":everything"}),
            -32602,
            "unknown permissions profile",
        ),
        (json!({"threadId": thread_id, "effort": "extreme"}), -32602, "reasoning effort"),
        (json!({"threadId": thread_id, "cwd": "relative/dir"}), -32602, "cwd"),
        (
            json!({"threadId": "019a0000-0000-7000-8000-0000000000aa", "model": "x"}),
            -32600,
            "not found",
        ),
    ] {
        let error =
            client.request("thread/settings/update", params.clone()).await.unwrap().unwrap_err();
        assert_eq!(error["code"], code, "{params}: {error}");
        assert!(error["message"].as_str().unwrap().contains(words), "{params}: {error}");
    }
    server.stop().await;
}
