//! `codex exec` with the wider toolset, through the built binary against a `MockProvider`: the
//! agent's plan shown on stderr and as `plan.updated` events, and `request_user_input` refused
//! at once (nobody can answer a headless run) with a tool result that tells the model to decide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;

async fn run(args: &[&str], mock: &MockProvider) -> Output {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join(".git")).unwrap();
    let config = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    let mut command = common::codex(home.path());
    command.current_dir(work.path()).arg("exec").args(args);
    let child = command.spawn().unwrap();
    tokio::time::timeout(common::WAIT, child.wait_with_output()).await.unwrap().unwrap()
}

fn script() -> Script {
    Script::function_call(
        "plan",
        "update_plan",
        json!({"plan": [{"step": "Look around", "status": "completed"},
                        {"step": "Ask about the database", "status": "in_progress"}]}),
    )
    .and_function_call(
        "ask",
        "request_user_input",
        json!({"questions": [{"id": "db", "header": "Database", "question": "Which one?",
            "options": [{"label": "SQLite", "description": "embedded"},
                        {"label": "Postgres", "description": "a server"}]}]}),
    )
}

fn call_output(mock: &MockProvider, call_id: &str) -> String {
    let follow_up = &mock.model_requests()[1].body["input"];
    follow_up
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "function_call_output" && item["call_id"] == call_id)
        .map(|item| item["output"].as_str().unwrap().to_owned())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_are_shown_and_questions_are_refused_under_exec() {
    let mock = MockProvider::start().await;
    mock.push(script());
    mock.push(Script::text("I chose SQLite."));
    let output = run(&["set up storage"], &mock).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("plan:"), "{stderr}");
    assert!(stderr.contains("[x] Look around") && stderr.contains("[>] Ask about the database"));
    let refused = call_output(&mock, "ask");
    assert!(refused.contains("Nobody can answer"), "{refused}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "I chose SQLite.\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_stream_carries_plan_updates() {
    let mock = MockProvider::start().await;
    mock.push(script());
    mock.push(Script::text("done"));
    let output = run(&["--json", "set up storage"], &mock).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let events: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let plan = events.iter().find(|event| event["type"] == "plan.updated").expect("plan.updated");
    assert_eq!(plan["plan"][1], json!({"step": "Ask about the database", "status": "inProgress"}));
    assert!(plan["turn_id"].is_string());
}
