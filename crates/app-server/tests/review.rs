#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `review/start` end to end: a real server on `ws://127.0.0.1:0`, `TestClient` validating every
//! message against the reference schema, `MockProvider` as the reviewer, and a real git
//! repository. Checks the four targets (what the reviewer is sent: our reviewer instructions and
//! the diff from git), the `enteredReviewMode` / `exitedReviewMode` items with the rendered
//! findings, that the review is isolated from the thread's conversation yet recorded in it
//! afterwards, detached delivery on a new thread, and the errors.

mod tools_common;

use std::path::Path;
use std::process::Command;

use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A repository on `main` with one commit (`lib.rs`), then a `feature` branch with a second
/// commit, plus an uncommitted edit and an untracked file.
fn repository() -> tempfile::TempDir {
    let repo = scratch();
    let path = repo.path();
    git(path, &["init", "-q", "-b", "main"]);
    std::fs::write(path.join("lib.rs"), "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n").unwrap();
    git(path, &["add", "."]);
    git(path, &["commit", "-q", "-m", "first"]);
    git(path, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(path.join("feature.rs"), "pub fn feature_flag() -> bool { true }\n").unwrap();
    git(path, &["add", "."]);
    git(path, &["commit", "-q", "-m", "Add the feature flag"]);
    std::fs::write(path.join("lib.rs"), "fn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n").unwrap();
    std::fs::write(path.join("notes.txt"), "untracked note\n").unwrap();
    repo
}

const FINDINGS: &str = r#"{"findings": [{"title": "[P1] add subtracts", "body": "`a - b` returns the difference.", "priority": 1, "confidence": 0.9, "location": {"path": "/repo/lib.rs", "start_line": 2, "end_line": 2}}], "verdict": "incorrect", "summary": "The change breaks add.", "confidence": 0.8}"#;

async fn thread_in(client: &mut TestClient, cwd: &Path) -> String {
    thread_with_sandbox(client, cwd, "read-only").await
}

/// A thread whose commands need no kernel sandbox (CI also runs the suite without one).
async fn thread_with_sandbox(client: &mut TestClient, cwd: &Path, sandbox: &str) -> String {
    let result = client
        .call("thread/start", json!({"cwd": cwd, "sandbox": sandbox, "approvalPolicy": "never"}))
        .await
        .unwrap();
    client.wait_for_notification("thread/started").await.unwrap();
    result["thread"]["id"].as_str().unwrap().to_owned()
}

fn input_texts(body: &Value) -> String {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|part| part["text"].as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("\n")
}

fn item_of<'a>(messages: &'a [Value], kind: &str) -> &'a Value {
    &messages
        .iter()
        .find(|m| m["method"] == "item/completed" && m["params"]["item"]["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} item"))["params"]["item"]
}

async fn review(client: &mut TestClient, thread_id: &str, target: Value) -> (Value, Vec<Value>) {
    let response = client
        .call("review/start", json!({"threadId": thread_id, "target": target}))
        .await
        .unwrap();
    (response, turn_messages(client).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inline_review_of_uncommitted_changes_reports_rendered_findings() {
    let (_home, mock, server) = setup().await;
    let repo = repository();
    let mut client = server.client().await;
    // The reviewer runs a command: without kernel sandboxing a read-only one would be refused.
    let thread_id = thread_with_sandbox(&mut client, repo.path(), "danger-full-access").await;
    // An earlier conversation the reviewer must not see.
    mock.push(Script::text("earlier answer"));
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "EARLIER-QUESTION"}]}),
        )
        .await
        .unwrap();
    turn_messages(&mut client).await;

    // The reviewer first looks around with a tool, then answers with its findings.
    mock.push(Script::function_call(
        "look-1",
        "exec_command",
        json!({"cmd": "git log --oneline -1", "yield_time_ms": 1000}),
    ));
    mock.push(Script::text(FINDINGS));
    let (response, messages) =
        review(&mut client, &thread_id, json!({"type": "uncommittedChanges"})).await;
    assert_eq!(response["reviewThreadId"], thread_id);
    assert_eq!(response["turn"]["status"], "inProgress");

    let entered = item_of(&messages, "enteredReviewMode");
    assert_eq!(entered["review"], "current changes");
    let exited = item_of(&messages, "exitedReviewMode");
    let text = exited["review"].as_str().unwrap();
    assert!(text.starts_with("The change breaks add."), "{text}");
    assert!(text.contains("Verdict: the change has blocking problems (confidence 0.80)"), "{text}");
    assert!(text.contains("- [P1] add subtracts — /repo/lib.rs:2"), "{text}");
    assert!(text.contains("  `a - b` returns the difference."), "{text}");
    // The reviewer's tool call shows; its raw JSON does not.
    assert_eq!(completed_items(&messages, "commandExecution").len(), 1);
    assert!(completed_items(&messages, "agentMessage").is_empty());
    assert!(!methods(&messages).contains(&"item/agentMessage/delta".to_owned()));
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let order: Vec<&str> = messages
        .iter()
        .filter(|m| m["method"] == "item/completed")
        .map(|m| m["params"]["item"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["enteredReviewMode", "commandExecution", "exitedReviewMode"]);

    // What the reviewer was sent: our instructions, the diff and untracked file, not the chat.
    let requests = mock.model_requests();
    let first = &requests[1];
    let instructions = first.body["instructions"].as_str().unwrap();
    assert!(instructions.contains("You are reviewing a code change"), "{instructions}");
    assert!(instructions.contains("\"findings\""));
    assert_eq!(first.header("x-openai-subagent"), Some("review"));
    let sent = input_texts(&first.body);
    assert!(sent.contains("Review the uncommitted changes"), "{sent}");
    assert!(sent.contains("-    a + b") && sent.contains("+    a - b"), "{sent}");
    assert!(sent.contains("?? notes.txt") && sent.contains("+untracked note"), "{sent}");
    assert!(!sent.contains("EARLIER-QUESTION"), "the review is isolated from the thread");
    assert!(first.body["tools"].as_array().unwrap().iter().any(|t| t["name"] == "exec_command"));
    // The second reviewer request carries its own tool output, still in its own conversation.
    assert!(call_output(&mock, "look-1").unwrap().contains("Add the feature flag"));
    assert!(!input_texts(&requests[2].body).contains("EARLIER-QUESTION"));

    // The next regular turn knows about the review.
    mock.push(Script::text("will fix"));
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "fix it"}]}),
        )
        .await
        .unwrap();
    turn_messages(&mut client).await;
    let next = input_texts(&mock.model_requests()[3].body);
    assert!(next.contains("EARLIER-QUESTION"));
    assert!(next.contains("<target>current changes</target>"), "{next}");
    assert!(next.contains("[P1] add subtracts"), "{next}");
    assert!(!next.contains("Review the uncommitted changes"), "the reviewer's input stays apart");
    let instructions = mock.model_requests()[3].body["instructions"].as_str().unwrap().to_owned();
    assert!(
        !instructions.contains("You are reviewing"),
        "regular turns keep the base instructions"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_branch_commit_and_custom_targets_send_what_they_review() {
    let (_home, mock, server) = setup().await;
    let repo = repository();
    let base = git(repo.path(), &["rev-parse", "main"]);
    let commit = git(repo.path(), &["rev-parse", "HEAD"]);
    let mut client = server.client().await;
    let thread_id = thread_in(&mut client, repo.path()).await;

    mock.push(Script::text(r#"{"findings": [], "verdict": "correct", "summary": "Fine."}"#));
    let (_, messages) =
        review(&mut client, &thread_id, json!({"type": "baseBranch", "branch": "main"})).await;
    assert_eq!(item_of(&messages, "enteredReviewMode")["review"], "changes against 'main'");
    let text = item_of(&messages, "exitedReviewMode")["review"].as_str().unwrap().to_owned();
    assert!(text.contains("No issues found."), "{text}");
    let sent = input_texts(&mock.model_requests()[0].body);
    assert!(sent.contains(&format!("merge base is {base}")), "{sent}");
    assert!(sent.contains("+pub fn feature_flag() -> bool { true }"), "{sent}");

    mock.push(Script::text("Plain words, no JSON."));
    let (_, messages) = review(
        &mut client,
        &thread_id,
        json!({"type": "commit", "sha": commit, "title": "Add the feature flag"}),
    )
    .await;
    assert_eq!(
        item_of(&messages, "enteredReviewMode")["review"],
        format!("commit {}: Add the feature flag", &commit[..7])
    );
    assert_eq!(
        item_of(&messages, "exitedReviewMode")["review"],
        "Plain words, no JSON.\n\nNo issues found."
    );
    let sent = input_texts(&mock.model_requests()[1].body);
    assert!(sent.contains(&format!("Review the changes introduced by commit {commit}")));
    assert!(sent.contains("Add the feature flag") && sent.contains("feature.rs"), "{sent}");

    mock.push(Script::text(FINDINGS));
    let (_, messages) = review(
        &mut client,
        &thread_id,
        json!({"type": "custom", "instructions": "  Check the arithmetic in lib.rs  "}),
    )
    .await;
    assert_eq!(item_of(&messages, "enteredReviewMode")["review"], "Check the arithmetic in lib.rs");
    let sent = input_texts(&mock.model_requests()[2].body);
    assert!(sent.ends_with("Check the arithmetic in lib.rs"), "{sent}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detached_review_runs_on_a_new_thread() {
    let (_home, mock, server) = setup().await;
    let repo = repository();
    let mut client = server.client().await;
    let thread_id = thread_in(&mut client, repo.path()).await;
    mock.push(Script::text(FINDINGS));
    let response = client
        .call(
            "review/start",
            json!({"threadId": thread_id, "target": {"type": "uncommittedChanges"}, "delivery": "detached"}),
        )
        .await
        .unwrap();
    let review_thread = response["reviewThreadId"].as_str().unwrap().to_owned();
    assert_ne!(review_thread, thread_id);
    let messages = turn_messages(&mut client).await;
    let started = messages.iter().find(|m| m["method"] == "thread/started").unwrap();
    assert_eq!(started["params"]["thread"]["id"], review_thread);
    assert_eq!(started["params"]["thread"]["name"], "Review: current changes");
    assert_eq!(started["params"]["thread"]["cwd"], repo.path().display().to_string());
    let turn_started = messages.iter().find(|m| m["method"] == "turn/started").unwrap();
    assert_eq!(turn_started["params"]["threadId"], review_thread);
    assert!(item_of(&messages, "exitedReviewMode")["review"]
        .as_str()
        .unwrap()
        .contains("[P1] add subtracts"));
    // The parent thread has no turn from it.
    let parent = client
        .call("thread/read", json!({"threadId": thread_id, "includeTurns": true}))
        .await
        .unwrap();
    assert_eq!(parent["thread"]["turns"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_errors_and_a_review_turn_cannot_be_steered() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock);
    let server = Server::start(home.path()).await;
    let repo = repository();
    let mut client = server.client().await;
    let thread_id = thread_in(&mut client, repo.path()).await;
    for (target, message) in [
        (json!({"type": "baseBranch", "branch": " "}), "branch must not be empty"),
        (json!({"type": "commit", "sha": ""}), "sha must not be empty"),
        (json!({"type": "custom", "instructions": "\n"}), "instructions must not be empty"),
    ] {
        let error = client
            .request("review/start", json!({"threadId": thread_id, "target": target}))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(error["code"], -32602);
        assert_eq!(error["message"], message);
    }
    let unknown = client
        .request(
            "review/start",
            json!({"threadId": "019a0000-0000-7000-8000-00000000000f", "target": {"type": "uncommittedChanges"}}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(unknown["code"], -32600);

    // A reviewer that never answers: steering is refused, an interrupt ends the review.
    mock.push(Script::text("thinking").and_hang());
    let response = client
        .call(
            "review/start",
            json!({"threadId": thread_id, "target": {"type": "uncommittedChanges"}}),
        )
        .await
        .unwrap();
    let turn_id = response["turn"]["id"].as_str().unwrap().to_owned();
    mock.wait_for_requests(1).await;
    let steer = client
        .request(
            "turn/steer",
            json!({"threadId": thread_id, "expectedTurnId": turn_id,
                   "input": [{"type": "text", "text": "also look at X"}]}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(steer["message"].as_str().unwrap().contains("cannot steer a review turn"), "{steer}");
    client.call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(item_of(&messages, "exitedReviewMode")["review"], "The review was interrupted.");
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    server.stop().await;
}
