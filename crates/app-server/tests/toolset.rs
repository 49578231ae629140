#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The model's wider toolset end to end (real server on `ws://127.0.0.1:0`, `TestClient`
//! validating every message against the reference schema, `MockProvider` as the model):
//! `update_plan` and `turn/plan/updated`, `request_user_input` answered by one of two clients
//! and re-sent after a reconnect, the hosted `web_search` tool and its `webSearch` items, and
//! parallel calls of one response running at the same time and answered in call order.

mod tools_common;

use std::path::Path;
use std::time::Duration;

use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

fn configure(home: &Path, mock: &MockProvider, wire: WireFormat, extra: &str) {
    let text = format!(
        "model = \"gpt-5\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\n{extra}\n\n{}",
        mock.provider_toml("mock", wire)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

async fn started(wire: WireFormat, extra: &str) -> (tempfile::TempDir, MockProvider, Server) {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    configure(home.path(), &mock, wire, extra);
    let server = Server::start(home.path()).await;
    (home, mock, server)
}

async fn begin_turn(client: &mut TestClient, thread_id: &str, text: &str) {
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": text}]}),
        )
        .await
        .unwrap();
}

fn plan_call(call_id: &str, plan: Value) -> Script {
    Script::function_call(call_id, "update_plan", plan)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_plan_reaches_clients_and_is_shown_again_on_resume() {
    let (home, mock, server) = started(WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    mock.push(plan_call(
        "plan-1",
        json!({"explanation": "starting", "plan": [
            {"step": "Read the parser", "status": "in_progress"},
            {"step": "Fix the bug", "status": "pending"}]}),
    ));
    mock.push(plan_call(
        "plan-2",
        json!({"plan": [{"step": "a", "status": "in_progress"}, {"step": "b", "status": "in_progress"}]}),
    ));
    mock.push(Script::text("planned"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    begin_turn(&mut client, &thread_id, "fix it").await;
    let messages = turn_messages(&mut client).await;
    let plans: Vec<&Value> =
        messages.iter().filter(|m| m["method"] == "turn/plan/updated").collect();
    assert_eq!(plans.len(), 1, "only the valid plan is shown: {plans:?}");
    let plan = &plans[0]["params"];
    assert_eq!(plan["explanation"], "starting");
    assert_eq!(plan["plan"][0], json!({"step": "Read the parser", "status": "inProgress"}));
    assert_eq!(plan["plan"][1]["status"], "pending");
    assert_eq!(call_output(&mock, "plan-1").unwrap(), "Plan updated");
    assert!(call_output(&mock, "plan-2").unwrap().contains("at most one"));
    let tools = mock.model_requests()[0].body["tools"].clone();
    assert!(tools.as_array().unwrap().iter().any(|t| t["name"] == "update_plan"));
    client.close().await;
    server.stop().await;

    // After a restart, a client resuming the thread is shown the latest plan again.
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    let again = client.wait_for_notification("turn/plan/updated").await.unwrap();
    assert_eq!(again["plan"][0]["step"], "Read the parser");
    server.stop().await;
}

fn question_call() -> Script {
    Script::function_call(
        "ask-1",
        "request_user_input",
        json!({"questions": [{"id": "db", "header": "Database", "question": "Which database?",
            "options": [{"label": "SQLite", "description": "embedded"},
                        {"label": "Postgres", "description": "a server"}]}]}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_user_input_is_answered_by_one_of_two_clients_and_resent_after_a_reconnect() {
    let (_home, mock, server) = started(WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    mock.push(question_call());
    mock.push(Script::text("using postgres"));
    let mut first = server.client().await;
    let thread_id = start_thread(&mut first, work.path()).await;
    let mut second = server.client().await;
    second.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    begin_turn(&mut first, &thread_id, "set up storage").await;
    let (_, asked_first) = until_request(&mut first, "item/tool/requestUserInput").await;
    let (_, asked_second) = until_request(&mut second, "item/tool/requestUserInput").await;
    assert_eq!(asked_first["id"], asked_second["id"]);
    let question = &asked_first["params"]["questions"][0];
    assert_eq!(question["header"], "Database");
    assert_eq!(question["isOther"], true);
    assert_eq!(question["options"][1]["label"], "Postgres");

    // The first client goes away; a new connection that resumes the thread is asked too.
    first.close().await;
    let mut third = server.client().await;
    third.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    let (_, asked_third) = until_request(&mut third, "item/tool/requestUserInput").await;
    assert_eq!(asked_third["id"], asked_second["id"]);
    third
        .respond(&asked_third["id"], json!({"answers": {"db": {"answers": ["Postgres"]}}}))
        .await
        .unwrap();
    let resolved = second.wait_for_notification("serverRequest/resolved").await.unwrap();
    assert_eq!(resolved["requestId"], asked_second["id"]);
    let messages = turn_messages(&mut second).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let output: Value = serde_json::from_str(&call_output(&mock, "ask-1").unwrap()).unwrap();
    assert_eq!(output, json!({"answers": {"db": {"answers": ["Postgres"]}}}));
    // A second answer is late.
    second.respond(&asked_second["id"], json!({"answers": {}})).await.unwrap();
    let late = second.response(&asked_second["id"]).await.unwrap().unwrap_err();
    assert_eq!(late["code"], -32602, "{late}");
    server.stop().await;
}

/// A Responses stream with one hosted web search followed by a message.
fn searched_answer() -> Script {
    let search = json!({"type": "web_search_call", "id": "ws_1", "status": "completed",
        "action": {"type": "search", "query": "tokio 2 release date"}});
    let message = json!({"type": "message", "role": "assistant", "id": "msg_1",
        "content": [{"type": "output_text", "text": "It is not out yet."}]});
    let events = [
        json!({"type": "response.created", "response": {"id": "resp_ws"}}),
        json!({"type": "response.output_item.added", "output_index": 0,
            "item": {"type": "web_search_call", "id": "ws_1", "status": "in_progress"}}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": search}),
        json!({"type": "response.output_item.done", "output_index": 1, "item": message}),
        json!({"type": "response.completed", "response": {"id": "resp_ws", "usage": {
            "input_tokens": 10, "output_tokens": 5, "total_tokens": 15}}}),
    ];
    Script::raw_sse(
        events
            .iter()
            .map(|event| format!("event: {}\ndata: {event}\n\n", event["type"].as_str().unwrap()))
            .collect::<String>(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_web_search_streams_as_web_search_items() {
    let (_home, mock, server) = started(WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    mock.push(searched_answer());
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    begin_turn(&mut client, &thread_id, "is tokio 2 out?").await;
    let messages = turn_messages(&mut client).await;
    let started = messages
        .iter()
        .find(|m| m["method"] == "item/started" && m["params"]["item"]["type"] == "webSearch")
        .expect("the search starts as an item");
    let searches = completed_items(&messages, "webSearch");
    assert_eq!(searches.len(), 1);
    assert_eq!(searches[0]["id"], started["params"]["item"]["id"]);
    assert_eq!(searches[0]["query"], "tokio 2 release date");
    assert_eq!(searches[0]["action"], json!({"type": "search", "query": "tokio 2 release date"}));
    let tools = mock.model_requests()[0].body["tools"].clone();
    assert!(
        tools
            .as_array()
            .unwrap()
            .contains(&json!({"type": "web_search", "external_web_access": false})),
        "cached search by default: {tools}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_search_follows_config_and_is_not_offered_to_chat_providers() {
    for (wire, extra, expected) in [
        (WireFormat::Responses, "web_search = \"live\"", Some(true)),
        (WireFormat::Responses, "web_search = \"disabled\"", None),
        (WireFormat::Chat, "web_search = \"live\"", None),
    ] {
        let (_home, mock, server) = started(wire, extra).await;
        let work = tempfile::tempdir().unwrap();
        mock.push(Script::text("ok"));
        let mut client = server.client().await;
        let thread_id = start_thread(&mut client, work.path()).await;
        begin_turn(&mut client, &thread_id, "hi").await;
        turn_messages(&mut client).await;
        let body = mock.model_requests()[0].body.clone();
        let search = body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|tool| tool["type"] == "web_search")
            .cloned();
        assert_eq!(
            search.map(|tool| tool["external_web_access"].as_bool().unwrap()),
            expected,
            "{extra} on {wire:?}"
        );
        server.stop().await;
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_calls_of_one_response_run_together_and_are_answered_in_order() {
    let (_home, mock, server) = started(WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    let (first_fifo, second_fifo) = (work.path().join("first"), work.path().join("second"));
    mkfifo(&first_fifo);
    mkfifo(&second_fifo);
    // Each `cat` blocks until the test writes its FIFO, which it does only once both commands
    // have started: run one after the other, the second would never start.
    mock.push(
        Script::function_call("call-a", "shell", json!({"command": ["cat", first_fifo]}))
            .and_function_call("call-b", "shell", json!({"command": ["cat", second_fifo]})),
    );
    mock.push(Script::text("both read"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    begin_turn(&mut client, &thread_id, "read both").await;
    let mut started = 0;
    let mut seen = Vec::new();
    while started < 2 {
        let message = client
            .next_message(Duration::from_secs(10))
            .await
            .expect("both commands start before either finishes (they run at the same time)");
        if message["method"] == "item/started"
            && message["params"]["item"]["type"] == "commandExecution"
        {
            started += 1;
        }
        seen.push(message);
    }
    // Finish them in reverse order; the outputs still go back in call order.
    std::fs::write(&second_fifo, "SECOND\n").unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::write(&first_fifo, "FIRST\n").unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let follow_up = mock.model_requests()[1].body["input"].as_array().unwrap().clone();
    let outputs: Vec<&Value> =
        follow_up.iter().filter(|item| item["type"] == "function_call_output").collect();
    assert_eq!(outputs[0]["call_id"], "call-a");
    assert!(outputs[0]["output"].as_str().unwrap().contains("FIRST"));
    assert_eq!(outputs[1]["call_id"], "call-b");
    assert!(outputs[1]["output"].as_str().unwrap().contains("SECOND"));
    server.stop().await;
}

/// Waits for the `item/started` of an exec session and returns its `processId` (the session id
/// the model would read from the call's output).
async fn session_started(client: &mut TestClient, source: &str) -> u64 {
    loop {
        let message = client.next_message(Duration::from_secs(20)).await.unwrap();
        let item = &message["params"]["item"];
        if message["method"] == "item/started"
            && item["type"] == "commandExecution"
            && item["source"] == source
        {
            return item["processId"].as_str().unwrap().parse().unwrap();
        }
    }
}

fn write_stdin(call_id: &str, session: u64, chars: &str, yield_ms: u64) -> Script {
    Script::function_call(
        call_id,
        "write_stdin",
        json!({"session_id": session, "chars": chars, "yield_time_ms": yield_ms}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_repl_is_driven_over_three_writes() {
    let (_home, mock, server) = started(WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call(
        "start",
        "exec_command",
        json!({"cmd": "python3 -q -i", "yield_time_ms": 3000}),
    ));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    begin_turn(&mut client, &thread_id, "compute with python").await;
    // The session id is in the item (and in the call's output the model reads); the scripted
    // model uses it for its next calls, pushed while exec_command still waits.
    let session = session_started(&mut client, "unifiedExecStartup").await;
    assert!((1000..100_000).contains(&session));
    mock.push(write_stdin("w1", session, "x = 21\n", 500));
    mock.push(write_stdin("w2", session, "print(x * 2)\n", 1000));
    mock.push(write_stdin("w3", session, "exit()\n", 3000));
    mock.push(Script::text("42"));
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let started_output = call_output(&mock, "start").unwrap();
    assert!(
        started_output.contains(&format!("Process running with session ID {session}")),
        "{started_output}"
    );
    assert!(call_output(&mock, "w2").unwrap().contains("42"), "the REPL answered");
    let last = call_output(&mock, "w3").unwrap();
    assert!(last.contains("Process exited with code 0"), "{last}");
    let interactions: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "item/commandExecution/terminalInteraction")
        .collect();
    assert_eq!(interactions.len(), 3);
    assert_eq!(interactions[1]["params"]["stdin"], "print(x * 2)\n");
    assert_eq!(interactions[1]["params"]["processId"], session.to_string());
    let items = completed_items(&messages, "commandExecution");
    assert_eq!(items.len(), 4, "one item per call");
    assert_eq!(items[3]["source"], "unifiedExecInteraction");
    assert_eq!(items[3]["exitCode"], 0);
    let tools = mock.model_requests()[0].body["tools"].clone();
    let names: Vec<&str> =
        tools.as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"exec_command") && names.contains(&"write_stdin"), "{names:?}");
    assert!(!names.contains(&"shell"), "unified exec replaces shell by default");
    server.stop().await;
}

fn alive(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_running_command_is_polled_then_killed_by_an_interrupt() {
    let (_home, mock, server) = started(WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    let pid_file = work.path().join("pid");
    mock.push(Script::function_call(
        "start",
        "exec_command",
        json!({"cmd": format!("echo $$ > {}; echo READY; exec sleep 600", pid_file.display()),
               "yield_time_ms": 3000}),
    ));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    begin_turn(&mut client, &thread_id, "start the server").await;
    let session = session_started(&mut client, "unifiedExecStartup").await;
    mock.push(write_stdin("poll", session, "", 30_000));
    let polling = session_started(&mut client, "unifiedExecInteraction").await;
    assert_eq!(polling, session);
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    assert!(alive(pid), "the command runs while the model polls it");
    assert!(call_output(&mock, "start").unwrap().contains("READY"));
    let turn_id = mock.model_requests().len(); // two requests so far
    assert_eq!(turn_id, 2);
    let running = client
        .call("thread/read", json!({"threadId": thread_id, "includeTurns": true}))
        .await
        .unwrap();
    let turn = running["thread"]["turns"].as_array().unwrap().last().unwrap()["id"].clone();
    client.call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while alive(pid) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive(pid), "the interrupt killed the session's process group");
    server.stop().await;
}
