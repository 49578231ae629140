#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Long threads end to end: a real server on `ws://127.0.0.1:0`, `TestClient` as the client and
//! `MockProvider` as the model with a tiny context window (`model_context_window = 4000`, so the
//! automatic limit is 3,600 tokens). Compaction before a turn and between a tool call and its
//! follow-up, `thread/compact/start`, recovery from `context_length_exceeded`, and resuming a
//! compacted thread after a restart, asserted on the requests the provider receives.

mod tools_common;

use std::path::Path;

use codex_test_support::MockProvider;
use codex_test_support::MockUsage;
use codex_test_support::RecordedRequest;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

const SUMMARY: &str = "SUMMARY: the user asked two questions; nothing is left to do.";

fn configure(home: &Path, mock: &MockProvider, wire: WireFormat) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\nmodel_context_window = 4000\n\n{}",
        mock.provider_toml("mock", wire)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

async fn started(wire: WireFormat) -> (tempfile::TempDir, MockProvider, Server) {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    configure(home.path(), &mock, wire);
    let server = Server::start(home.path()).await;
    (home, mock, server)
}

/// Usage whose total is `total` tokens.
fn usage(total: u64) -> MockUsage {
    MockUsage {
        input_tokens: total - 10,
        cached_input_tokens: 0,
        output_tokens: 10,
        reasoning_tokens: 0,
    }
}

fn text_input(thread_id: &str, text: &str) -> Value {
    json!({"threadId": thread_id, "input": [{"type": "text", "text": text}]})
}

async fn turn(client: &mut TestClient, thread_id: &str, text: &str) -> Vec<Value> {
    client.call("turn/start", text_input(thread_id, text)).await.unwrap();
    turn_messages(client).await
}

/// Every text the request's input carries, in order (Responses or Chat form).
fn input_texts(request: &RecordedRequest) -> Vec<String> {
    let mut texts = Vec::new();
    let items = match request.body.get("input") {
        Some(input) => input.as_array().unwrap().clone(),
        None => request.body["messages"].as_array().unwrap()[1..].to_vec(),
    };
    for item in items {
        match &item["content"] {
            Value::String(text) => texts.push(text.clone()),
            Value::Array(parts) => {
                texts.extend(parts.iter().filter_map(|p| p["text"].as_str().map(str::to_owned)))
            }
            _ => {
                if let Some(output) = item["output"].as_str() {
                    texts.push(output.to_owned());
                }
            }
        }
    }
    texts
}

fn is_summary_request(request: &RecordedRequest) -> bool {
    input_texts(request).last().is_some_and(|text| text.contains("hand-off summary"))
}

fn item_types(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["method"] == "item/completed")
        .map(|m| m["params"]["item"]["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn compacts_before_the_turn_that_crosses_the_limit(wire: WireFormat) {
    let (_home, mock, server) = started(wire).await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::text("OLD-ANSWER-ONE").with_usage(usage(3590)));
    mock.push(Script::text("OLD-ANSWER-TWO").with_usage(usage(3610)));
    mock.push(Script::text(SUMMARY));
    mock.push(Script::text("fresh answer"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;

    let first = turn(&mut client, &thread_id, "QUESTION-ONE").await;
    let usage_update = first
        .iter()
        .find(|m| m["method"] == "thread/tokenUsage/updated")
        .expect("token usage is reported");
    assert_eq!(usage_update["params"]["tokenUsage"]["modelContextWindow"], 3800);
    // 3,590 tokens are under the 3,600 limit: no compaction before turn 2.
    let second = turn(&mut client, &thread_id, "QUESTION-TWO").await;
    assert!(!item_types(&second).contains(&"contextCompaction".to_owned()));
    assert_eq!(mock.model_requests().len(), 2);
    // 3,610 are over it: turn 3 compacts first.
    let third = turn(&mut client, &thread_id, "QUESTION-THREE").await;
    assert_eq!(completed_turn(&third)["status"], "completed");
    let items = item_types(&third);
    assert!(items.contains(&"contextCompaction".to_owned()), "{items:?}");
    let started: Vec<&Value> = third
        .iter()
        .filter(|m| {
            m["method"] == "item/started" && m["params"]["item"]["type"] == "contextCompaction"
        })
        .collect();
    assert_eq!(started.len(), 1, "started once, completed once");

    let requests = mock.model_requests();
    assert_eq!(requests.len(), 4);
    let summary_request = &requests[2];
    assert!(is_summary_request(summary_request));
    assert!(
        summary_request.body.get("tools").is_none_or(|tools| tools.as_array().unwrap().is_empty()),
        "no tools in the summary request"
    );
    let summarised = input_texts(summary_request).join("\n");
    assert!(summarised.contains("OLD-ANSWER-TWO"), "the summary sees the old history");

    let after = input_texts(&requests[3]);
    let joined = after.join("\n");
    assert!(joined.contains("<permissions instructions>"), "initial context again");
    assert!(joined.contains("<environment_context>"));
    assert!(joined.contains("QUESTION-ONE") && joined.contains("QUESTION-TWO"), "user messages");
    assert!(joined.contains(SUMMARY), "the summary");
    assert!(!joined.contains("OLD-ANSWER"), "nothing else of the old history: {after:?}");
    assert!(!joined.contains("hand-off summary"), "not the summary prompt");
    assert_eq!(after.last().unwrap(), "QUESTION-THREE");
    let summary_at = after.iter().position(|text| text.contains(SUMMARY)).unwrap();
    let question_at = after.iter().position(|text| text == "QUESTION-TWO").unwrap();
    assert!(question_at < summary_at, "user messages, then the summary: {after:?}");
    if wire == WireFormat::Responses {
        let key = requests[2].body["prompt_cache_key"].clone();
        assert_eq!(key, json!(thread_id), "the summary request keeps the thread's cache key");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_threads_compact_before_the_turn_that_crosses_the_limit() {
    compacts_before_the_turn_that_crosses_the_limit(WireFormat::Responses).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_threads_compact_before_the_turn_that_crosses_the_limit() {
    compacts_before_the_turn_that_crosses_the_limit(WireFormat::Chat).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_round_over_the_limit_compacts_before_the_follow_up() {
    let (_home, mock, server) = started(WireFormat::Responses).await;
    let work = tempfile::tempdir().unwrap();
    mock.push(
        Script::function_call("call-1", "shell", json!({"command": ["echo", "TOOL-OUTPUT"]}))
            .with_usage(usage(3700)),
    );
    mock.push(Script::text(SUMMARY));
    mock.push(Script::text("done after compaction"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let messages = turn(&mut client, &thread_id, "RUN-IT").await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert_eq!(
        item_types(&messages),
        vec!["userMessage", "commandExecution", "contextCompaction", "agentMessage"]
    );
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 3);
    assert!(is_summary_request(&requests[1]));
    assert!(input_texts(&requests[1]).join("\n").contains("TOOL-OUTPUT"));
    let follow_up = input_texts(&requests[2]).join("\n");
    assert!(follow_up.contains("RUN-IT") && follow_up.contains(SUMMARY));
    assert!(!follow_up.contains("TOOL-OUTPUT"), "the tool round was summarised away");
    assert!(requests[2].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .all(|item| item["type"] != "function_call_output"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_compact_start_runs_a_compaction_turn() {
    let (_home, mock, server) = started(WireFormat::Responses).await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::text("OLD-ANSWER"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(&mut client, &thread_id, "FIRST").await;

    let unknown = client
        .request("thread/compact/start", json!({"threadId": "no-such-thread"}))
        .await
        .unwrap()
        .unwrap_err();
    assert!(unknown["message"].as_str().unwrap().contains("not found"), "{unknown}");

    mock.push(Script::text(SUMMARY).with_event_delay(std::time::Duration::from_millis(100)));
    let answer = client.call("thread/compact/start", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(answer, json!({}));
    let busy = client
        .request("thread/compact/start", json!({"threadId": thread_id}))
        .await
        .unwrap()
        .unwrap_err();
    assert!(busy["message"].as_str().unwrap().contains("already has a running turn"), "{busy}");
    let messages = turn_messages(&mut client).await;
    assert!(messages.iter().any(|m| m["method"] == "turn/started"));
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert_eq!(item_types(&messages), vec!["contextCompaction"]);

    mock.push(Script::text("next"));
    turn(&mut client, &thread_id, "AFTER").await;
    let requests = mock.model_requests();
    let next = input_texts(requests.last().unwrap()).join("\n");
    assert!(next.contains(SUMMARY) && next.contains("FIRST") && !next.contains("OLD-ANSWER"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_window_gets_one_compacted_retry() {
    let (_home, mock, server) = started(WireFormat::Responses).await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::text("OLD-ANSWER"));
    mock.push(Script::failed("context_length_exceeded", "Your input exceeds the context window"));
    mock.push(Script::text(SUMMARY));
    mock.push(Script::text("it fits now"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(&mut client, &thread_id, "FIRST").await;
    let messages = turn(&mut client, &thread_id, "SECOND").await;
    assert_eq!(completed_turn(&messages)["status"], "completed", "{messages:?}");
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 4);
    assert!(is_summary_request(&requests[2]));
    let retried = input_texts(&requests[3]).join("\n");
    assert!(retried.contains(SUMMARY) && retried.contains("SECOND"));
    assert!(!retried.contains("OLD-ANSWER"));

    // A provider that keeps refusing: compacted once, then the turn fails saying what to do.
    mock.push(Script::failed("context_length_exceeded", "still too long"));
    mock.push(Script::text(SUMMARY));
    mock.push(Script::failed("context_length_exceeded", "still too long"));
    let messages = turn(&mut client, &thread_id, "THIRD").await;
    let failed = completed_turn(&messages);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["codexErrorInfo"], "contextWindowExceeded");
    assert!(failed["error"]["message"].as_str().unwrap().contains("Start a new thread"));
    assert_eq!(mock.model_requests().len(), 7, "exactly one compaction, one retry");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_compaction_resumes_from_the_compacted_history() {
    let (home, mock, server) = started(WireFormat::Responses).await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::text("OLD-ANSWER").with_usage(usage(3700)));
    mock.push(Script::text(SUMMARY));
    mock.push(Script::text("second"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(&mut client, &thread_id, "FIRST").await;
    let messages = turn(&mut client, &thread_id, "SECOND").await;
    assert!(item_types(&messages).contains(&"contextCompaction".to_owned()));
    client.close().await;
    server.stop().await;

    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let resumed = client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    let stored: Vec<String> = resumed["thread"]["turns"][1]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(stored.contains(&"contextCompaction".to_owned()), "the item is stored: {stored:?}");
    mock.push(Script::text("third"));
    turn(&mut client, &thread_id, "THIRD").await;
    let last = input_texts(mock.model_requests().last().unwrap());
    let joined = last.join("\n");
    assert!(joined.contains(SUMMARY) && joined.contains("FIRST") && joined.contains("THIRD"));
    assert!(!joined.contains("OLD-ANSWER"), "the restarted server kept the compacted history");
    assert_eq!(
        last.iter().filter(|text| text.contains("<environment_context>")).count(),
        1,
        "no second copy of the context after the restart: {last:?}"
    );
    server.stop().await;
}
