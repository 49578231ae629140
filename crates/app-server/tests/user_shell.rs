#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `thread/shellCommand` (the TUI's `!cmd`) end to end: a real server on `ws://127.0.0.1:0`,
//! `TestClient` validating every message against the reference schema, `MockProvider` as the
//! model. The command runs as a turn of its own outside the thread's (read-only) sandbox, streams
//! a `userShell` command item, is recorded in the model history (seen on the next request, also
//! after a restart), can be interrupted, and runs beside a turn that is already running.

mod tools_common;

use std::time::Duration;

use codex_test_support::Script;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

async fn read_only_thread(client: &mut TestClient, cwd: &std::path::Path) -> String {
    let result = client
        .call(
            "thread/start",
            json!({"cwd": cwd, "sandbox": "read-only", "approvalPolicy": "on-request"}),
        )
        .await
        .unwrap();
    client.wait_for_notification("thread/started").await.unwrap();
    result["thread"]["id"].as_str().unwrap().to_owned()
}

/// Every input message text of a model request body.
fn input_texts(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "message")
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|part| part["text"].as_str().map(str::to_owned))
        .collect()
}

fn shell_record(body: &Value) -> Option<String> {
    input_texts(body).into_iter().find(|text| text.starts_with("<user_shell_command>"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_command_is_a_turn_outside_the_sandbox_and_the_model_sees_it() {
    let (home, mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let thread_id = read_only_thread(&mut client, work.path()).await;

    let answer = client
        .call(
            "thread/shellCommand",
            json!({"threadId": thread_id, "command": "  echo hello > made.txt && cat made.txt && pwd  "}),
        )
        .await
        .unwrap();
    assert_eq!(answer, json!({}));
    let messages = turn_messages(&mut client).await;
    let names = methods(&messages);
    assert!(names.contains(&"turn/started".to_owned()), "{names:?}");
    let started = messages
        .iter()
        .find(|m| {
            m["method"] == "item/started" && m["params"]["item"]["type"] == "commandExecution"
        })
        .unwrap();
    assert_eq!(started["params"]["item"]["source"], "userShell");
    assert_eq!(started["params"]["item"]["status"], "inProgress");
    // The login-shell invocation of the command as typed (trimmed), quoted as one argument so
    // clients that unwrap `SHELL -lc SCRIPT` show the script unchanged.
    let command = started["params"]["item"]["command"].as_str().unwrap();
    assert!(command.ends_with(" -lc 'echo hello > made.txt && cat made.txt && pwd'"), "{command}");
    let deltas: String = messages
        .iter()
        .filter(|m| m["method"] == "item/commandExecution/outputDelta")
        .map(|m| m["params"]["delta"].as_str().unwrap().to_owned())
        .collect();
    assert!(deltas.contains("hello"), "{deltas}");
    let item = &completed_items(&messages, "commandExecution")[0];
    assert_eq!(item["status"], "completed");
    assert_eq!(item["exitCode"], 0);
    assert_eq!(item["source"], "userShell");
    assert_eq!(item["cwd"], work.path().display().to_string());
    let output = item["aggregatedOutput"].as_str().unwrap();
    assert!(output.contains("hello") && output.contains(&work.path().display().to_string()));
    assert_eq!(completed_turn(&messages)["status"], "completed");
    // The read-only sandbox did not apply: the user, not the model, ran it.
    assert_eq!(std::fs::read_to_string(work.path().join("made.txt")).unwrap(), "hello\n");
    assert_eq!(mock.model_requests().len(), 0, "a user command asks the model nothing");

    // The next turn's request tells the model what the user ran and what came of it.
    mock.push(Script::text("noted"));
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "what did I run?"}]}),
        )
        .await
        .unwrap();
    turn_messages(&mut client).await;
    let body = &mock.model_requests()[0].body;
    let record = shell_record(body).expect("the user's command is in the history");
    assert!(record.contains("<command>\necho hello > made.txt && cat made.txt && pwd\n</command>"));
    assert!(record.contains("Exit code: 0"), "{record}");
    assert!(record.contains("hello"), "{record}");
    let texts = input_texts(body);
    let record_at = texts.iter().position(|t| t.starts_with("<user_shell_command>")).unwrap();
    let question_at = texts.iter().position(|t| t == "what did I run?").unwrap();
    assert!(record_at < question_at, "the record comes before the next question");

    // Stored: after a restart the thread's turns show the command and the model still sees it.
    client.close().await;
    server.stop().await;
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let resumed = client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    let first_turn = &resumed["thread"]["turns"][0];
    assert_eq!(first_turn["items"][0]["type"], "commandExecution");
    assert_eq!(first_turn["items"][0]["source"], "userShell");
    mock.push(Script::text("still noted"));
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "again"}]}),
        )
        .await
        .unwrap();
    turn_messages(&mut client).await;
    assert!(shell_record(&mock.model_requests()[1].body).is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_interrupt_stops_a_user_command() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let thread_id = read_only_thread(&mut client, work.path()).await;
    client
        .call("thread/shellCommand", json!({"threadId": thread_id, "command": "sleep 600"}))
        .await
        .unwrap();
    let turn = client.wait_for_notification("turn/started").await.unwrap();
    let turn_id = turn["turn"]["id"].as_str().unwrap().to_owned();
    let started = client.wait_for_notification("item/started").await.unwrap();
    assert_eq!(started["item"]["source"], "userShell");
    client.call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    let item = &completed_items(&messages, "commandExecution")[0];
    assert_eq!(item["status"], "failed");
    assert_eq!(completed_turn(&messages)["status"], "interrupted");

    // The record says the user stopped it.
    mock.push(Script::text("ok"));
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "hm"}]}),
        )
        .await
        .unwrap();
    turn_messages(&mut client).await;
    let record = shell_record(&mock.model_requests()[0].body).unwrap();
    assert!(record.contains("<command>\nsleep 600\n</command>"), "{record}");
    assert!(record.contains("interrupted"), "{record}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_command_beside_a_running_turn_becomes_part_of_it() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    // The model asks the user a question, which keeps the turn running until it is answered.
    mock.push(Script::function_call(
        "ask-1",
        "request_user_input",
        json!({"questions": [{"id": "go", "header": "Go", "question": "Continue?",
            "options": [{"label": "Yes", "description": "go on"}, {"label": "No", "description": "stop"}]}]}),
    ));
    mock.push(Script::text("finished"));
    let mut client = server.client().await;
    let thread_id = read_only_thread(&mut client, work.path()).await;
    let turn = client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "work"}]}),
        )
        .await
        .unwrap();
    let turn_id = turn["turn"]["id"].as_str().unwrap().to_owned();
    let (_, question) = until_request(&mut client, "item/tool/requestUserInput").await;

    client
        .call("thread/shellCommand", json!({"threadId": thread_id, "command": "echo beside"}))
        .await
        .unwrap();
    let mut shell_done = None;
    while shell_done.is_none() {
        let message = client.next_message(Duration::from_secs(20)).await.unwrap();
        assert_ne!(message["method"], "turn/started", "no second turn starts");
        if message["method"] == "item/completed"
            && message["params"]["item"]["source"] == "userShell"
        {
            shell_done = Some(message["params"].clone());
        }
    }
    let shell_done = shell_done.unwrap();
    assert_eq!(shell_done["turnId"], turn_id, "the command is an item of the running turn");
    assert_eq!(shell_done["item"]["aggregatedOutput"], "beside\n");

    client
        .respond(&question["id"], json!({"answers": {"go": {"answers": ["Yes"]}}}))
        .await
        .unwrap();
    let messages = turn_messages(&mut client).await;
    assert!(!methods(&messages).contains(&"turn/started".to_owned()));
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 2);
    assert!(shell_record(&requests[0].body).is_none());
    let record = shell_record(&requests[1].body).expect("the turn's next request carries it");
    assert!(record.contains("beside"), "{record}");
    // It follows the answered call, never between a call and its output.
    let input = requests[1].body["input"].as_array().unwrap();
    let output_at = input.iter().position(|i| i["type"] == "function_call_output").unwrap();
    let record_at = input
        .iter()
        .position(|i| {
            i["content"][0]["text"].as_str().is_some_and(|t| t.starts_with("<user_shell_command>"))
        })
        .unwrap();
    assert!(record_at > output_at);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_user_commands_get_clear_errors() {
    let (_home, _mock, server) = setup().await;
    let work = scratch();
    let mut client = server.client().await;
    let thread_id = read_only_thread(&mut client, work.path()).await;
    let empty = client
        .request("thread/shellCommand", json!({"threadId": thread_id, "command": "   "}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(empty["code"], -32602);
    assert!(empty["message"].as_str().unwrap().contains("command must not be empty"));
    let negative = client
        .request(
            "thread/shellCommand",
            json!({"threadId": thread_id, "command": "ls", "timeoutMs": -1}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(negative["message"].as_str().unwrap().contains("timeoutMs"), "{negative}");
    let unknown = client
        .request(
            "thread/shellCommand",
            json!({"threadId": "019a0000-0000-7000-8000-000000000009", "command": "ls"}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(unknown["code"], -32600);
    // A zero timeout kills the command at once.
    client
        .call(
            "thread/shellCommand",
            json!({"threadId": thread_id, "command": "sleep 5", "timeoutMs": 0}),
        )
        .await
        .unwrap();
    let messages = turn_messages(&mut client).await;
    let item = &completed_items(&messages, "commandExecution")[0];
    assert_eq!(item["status"], "failed");
    assert_eq!(item["exitCode"], 124);
    server.stop().await;
}
