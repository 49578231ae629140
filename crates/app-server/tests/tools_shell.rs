#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The shell tool inside turns, end to end: `MockProvider` scripts function calls, the
//! in-process server runs them as real child processes (through the sandbox) and `TestClient`
//! (validating every server message against the reference schema) watches the items, answers
//! approvals and interrupts turns.

mod tools_common;

use std::time::Duration;

use codex_test_support::Script;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_calls_under_never_run_and_their_output_reaches_the_model() {
    let (home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call(
        "call_a",
        "shell",
        json!({"command": ["printf", "hello-from-shell"], "timeout_ms": 10000}),
    ));
    mock.push(Script::function_call(
        "call_b",
        "exec_command",
        json!({"cmd": "echo one; echo two >&2; exit 3"}),
    ));
    mock.push(Script::function_call(
        "call_c",
        "shell_command",
        json!({"command": "pwd", "workdir": "sub"}),
    ));
    mock.push(Script::text("done"));
    std::fs::create_dir(work.path().join("sub")).unwrap();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "never", danger()).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");

    // Item lifecycle in order for the first command: started, deltas, completed.
    let first_started = messages
        .iter()
        .position(|m| {
            m["method"] == "item/started" && m["params"]["item"]["type"] == "commandExecution"
        })
        .unwrap();
    let item_id = messages[first_started]["params"]["item"]["id"].as_str().unwrap().to_owned();
    assert_eq!(messages[first_started]["params"]["item"]["status"], "inProgress");
    let delta = messages
        .iter()
        .position(|m| {
            m["method"] == "item/commandExecution/outputDelta"
                && m["params"]["itemId"] == item_id.as_str()
        })
        .unwrap();
    let completed = messages
        .iter()
        .position(|m| {
            m["method"] == "item/completed" && m["params"]["item"]["id"] == item_id.as_str()
        })
        .unwrap();
    assert!(first_started < delta && delta < completed, "{:?}", methods(&messages));

    let items = completed_items(&messages, "commandExecution");
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0]["exitCode"], 0);
    assert_eq!(items[0]["aggregatedOutput"], "hello-from-shell");
    assert_eq!(items[0]["status"], "completed");
    assert_eq!(items[0]["command"], "printf hello-from-shell");
    assert_eq!(
        items[0]["commandActions"],
        json!([{"type": "unknown", "command": "printf hello-from-shell"}])
    );
    assert!(items[0]["durationMs"].is_i64());
    assert_eq!(items[1]["exitCode"], 3);
    assert_eq!(items[1]["status"], "failed");
    assert!(items[1]["aggregatedOutput"].as_str().unwrap().contains("two"));
    let sub = work.path().join("sub");
    assert_eq!(items[2]["aggregatedOutput"].as_str().unwrap().trim(), sub.to_str().unwrap());

    // The outputs went back to the model in its next requests.
    let output = call_output(&mock, "call_a").expect("call_a output sent to the model");
    assert!(output.contains("Exit code: 0") && output.contains("hello-from-shell"), "{output}");
    // `exec_command` is the interactive session tool: the command ended within its yield time.
    let output = call_output(&mock, "call_b").unwrap();
    assert!(
        output.contains("Process exited with code 3")
            && output.contains("one")
            && output.contains("two"),
        "{output}"
    );
    assert_eq!(mock.model_requests().len(), 4);

    // The items were persisted with the turn.
    let read = client
        .call("thread/read", json!({"threadId": thread_id, "includeTurns": true}))
        .await
        .unwrap();
    let stored: Vec<Value> = read["thread"]["turns"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "commandExecution")
        .cloned()
        .collect();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0]["aggregatedOutput"], "hello-from-shell");
    server.stop().await;
    drop(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_is_refused_under_never_and_bad_arguments_are_reported() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call(
        "call_esc",
        "shell",
        json!({"command": ["touch", "x"], "sandbox_permissions": "require_escalated", "justification": "because"}),
    ));
    mock.push(Script::function_call("call_bad", "shell", json!({"command": "not-an-array"})));
    mock.push(Script::text("ok"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "never", json!({"type": "workspaceWrite"})).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(messages.iter().all(|m| m.get("id").is_none()), "nothing may ask under never");
    let output = call_output(&mock, "call_esc").unwrap();
    assert!(output.contains("approval policy is never"), "{output}");
    assert!(!work.path().join("x").exists());
    let output = call_output(&mock, "call_bad").unwrap();
    assert!(output.contains("failed to parse function arguments"), "{output}");
    server.stop().await;
}

/// Runs one turn whose first model response is `call` under `untrusted`; returns the client,
/// thread id and the approval request.
async fn ask_once(
    server: &Server,
    mock: &codex_test_support::MockProvider,
    cwd: &std::path::Path,
    call: Value,
) -> (codex_test_support::TestClient, String, Value) {
    mock.push(Script::function_call("call_1", "shell", call));
    mock.push(Script::text("after"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, cwd).await;
    start_turn(&mut client, &thread_id, "untrusted", danger()).await;
    let (_, request) = until_request(&mut client, "item/commandExecution/requestApproval").await;
    (client, thread_id, request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_asks_and_accept_runs_while_known_safe_commands_do_not_ask() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call("call_ls", "shell", json!({"command": ["ls"]})));
    let (mut client, thread_id, request) =
        ask_once(&server, &mock, work.path(), json!({"command": ["touch", "accepted.txt"]})).await;
    let params = &request["params"];
    assert_eq!(params["threadId"], thread_id.as_str());
    assert_eq!(params["command"], "touch accepted.txt");
    assert_eq!(
        params["availableDecisions"],
        json!(["accept", "acceptForSession",
               {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["touch", "accepted.txt"]}},
               "decline", "cancel"])
    );
    assert_eq!(params["proposedExecpolicyAmendment"], json!(["touch", "accepted.txt"]));
    // The known-safe `ls` ran before without a prompt.
    assert!(call_output(&mock, "call_ls").unwrap().contains("Exit code: 0"));
    assert!(!work.path().join("accepted.txt").exists(), "nothing runs before the answer");
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    let resolved = messages.iter().find(|m| m["method"] == "serverRequest/resolved").unwrap();
    assert_eq!(resolved["params"]["requestId"], request["id"]);
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(work.path().join("accepted.txt").exists());
    let items = completed_items(&messages, "commandExecution");
    assert_eq!(items.last().unwrap()["status"], "completed");
    assert!(call_output(&mock, "call_1").unwrap().contains("Exit code: 0"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_for_session_runs_later_identical_calls_without_asking() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call("call_1", "shell", json!({"command": ["touch", "s.txt"]})));
    mock.push(Script::function_call("call_2", "shell", json!({"command": ["touch", "s.txt"]})));
    mock.push(Script::function_call("call_3", "shell", json!({"command": ["touch", "other.txt"]})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "untrusted", danger()).await;
    let (_, request) = until_request(&mut client, "item/commandExecution/requestApproval").await;
    client.respond(&request["id"], json!({"decision": "acceptForSession"})).await.unwrap();
    // The identical second call runs without a prompt; a different one asks again.
    let (seen, second) = until_request(&mut client, "item/commandExecution/requestApproval").await;
    assert_eq!(second["params"]["command"], "touch other.txt");
    assert!(call_output(&mock, "call_2").unwrap().contains("Exit code: 0"));
    assert_eq!(completed_items(&seen, "commandExecution").len(), 2);
    client.respond(&second["id"], json!({"decision": "decline"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(!work.path().join("other.txt").exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execpolicy_amendment_is_stored_and_honoured_after_a_restart() {
    let (home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let (mut client, _thread, request) =
        ask_once(&server, &mock, work.path(), json!({"command": ["touch", "ruled.txt"]})).await;
    // A rule broader than the proposal (or empty) is refused and the request stays pending.
    for broader in [json!(["touch"]), json!([]), json!(["rm"])] {
        client
            .respond(
                &request["id"],
                json!({"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": broader}}}),
            )
            .await
            .unwrap();
        let refusal = client.response(&request["id"]).await.unwrap().unwrap_err();
        assert_eq!(refusal["code"], -32602, "{refusal}");
        assert!(refusal["message"].as_str().unwrap().contains("execpolicy_amendment"), "{refusal}");
    }
    assert!(!work.path().join("ruled.txt").exists());
    assert!(!home.path().join("rules/default.rules").exists());
    client
        .respond(
            &request["id"],
            json!({"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["touch", "ruled.txt"]}}}),
        )
        .await
        .unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(work.path().join("ruled.txt").exists());
    let rules = std::fs::read_to_string(home.path().join("rules/default.rules")).unwrap();
    assert!(
        rules.contains("prefix_rule(pattern=[\"touch\",\"ruled.txt\"], decision=\"allow\")"),
        "{rules}"
    );
    client.close().await;
    server.stop().await;

    // A new server on the same CODEX_HOME loads the rule: `touch ruled.txt` no longer asks.
    std::fs::remove_file(work.path().join("ruled.txt")).unwrap();
    let server = Server::start(home.path()).await;
    mock.push(Script::function_call("call_r", "shell", json!({"command": ["touch", "ruled.txt"]})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "untrusted", danger()).await;
    let messages = turn_messages(&mut client).await;
    assert!(messages.iter().all(|m| m.get("id").is_none()), "{:?}", methods(&messages));
    assert!(work.path().join("ruled.txt").exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decline_tells_the_model_and_cancel_interrupts_the_turn() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let (mut client, thread_id, request) =
        ask_once(&server, &mock, work.path(), json!({"command": ["touch", "no.txt"]})).await;
    client.respond(&request["id"], json!({"decision": "decline"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let items = completed_items(&messages, "commandExecution");
    assert_eq!(items[0]["status"], "declined");
    assert!(call_output(&mock, "call_1").unwrap().contains("declined"));
    assert!(!work.path().join("no.txt").exists());

    mock.push(Script::function_call("call_2", "shell", json!({"command": ["touch", "no2.txt"]})));
    mock.push(Script::text("never sent"));
    start_turn(&mut client, &thread_id, "untrusted", danger()).await;
    let (_, request) = until_request(&mut client, "item/commandExecution/requestApproval").await;
    client.respond(&request["id"], json!({"decision": "cancel"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    assert!(!work.path().join("no2.txt").exists());
    assert_eq!(mock.remaining_scripts(), 1, "the turn stopped instead of asking the model again");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_not_offered_is_refused_and_the_request_stays_pending() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    // A script with a redirection gets no prefix proposal, so no amendment decision.
    let (mut client, _thread, request) = ask_once(
        &server,
        &mock,
        work.path(),
        json!({"command": ["sh", "-c", "echo hi > out.txt"]}),
    )
    .await;
    let offered = request["params"]["availableDecisions"].clone();
    assert_eq!(offered, json!(["accept", "acceptForSession", "decline", "cancel"]));
    client
        .respond(
            &request["id"],
            json!({"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["sh"]}}}),
        )
        .await
        .unwrap();
    let refusal = client.response(&request["id"]).await.unwrap().unwrap_err();
    assert_eq!(refusal["code"], -32602, "{refusal}");
    assert!(refusal["message"].as_str().unwrap().contains("availableDecisions"), "{refusal}");
    assert!(!work.path().join("out.txt").exists());
    // Still pending: a valid answer now runs it.
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert_eq!(std::fs::read_to_string(work.path().join("out.txt")).unwrap(), "hi\n");
    assert!(!home_rules_exist(&_home));
    server.stop().await;
}

fn home_rules_exist(home: &tempfile::TempDir) -> bool {
    home.path().join("rules/default.rules").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_subscribers_the_first_answer_wins() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call("call_1", "shell", json!({"command": ["touch", "two.txt"]})));
    mock.push(Script::text("done"));
    let mut first = server.client().await;
    let thread_id = start_thread(&mut first, work.path()).await;
    let mut second = server.client().await;
    second.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    start_turn(&mut first, &thread_id, "untrusted", danger()).await;
    let (_, asked_first) = until_request(&mut first, "item/commandExecution/requestApproval").await;
    let (_, asked_second) =
        until_request(&mut second, "item/commandExecution/requestApproval").await;
    assert_eq!(asked_first["id"], asked_second["id"]);
    // A connection that was never asked cannot answer for the thread's clients.
    let mut stranger = server.client().await;
    stranger.respond(&asked_first["id"], json!({"decision": "accept"})).await.unwrap();
    // The server handles a connection's messages in order: once the follow-up request is
    // answered, the stranger's answer was handled, and it was sent nothing about the thread.
    stranger.call("thread/loaded/list", json!({})).await.unwrap();
    let leaked: Vec<Value> = stranger.take_inbox();
    assert!(leaked.is_empty(), "the stranger was sent {leaked:?}");
    assert!(!work.path().join("two.txt").exists());
    second.respond(&asked_second["id"], json!({"decision": "accept"})).await.unwrap();
    let messages = turn_messages(&mut first).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(messages.iter().any(|m| m["method"] == "serverRequest/resolved"));
    let resolved = second.wait_for_notification("serverRequest/resolved").await.unwrap();
    assert_eq!(resolved["requestId"], asked_first["id"]);
    assert!(work.path().join("two.txt").exists());
    // The late answer gets an error.
    first.respond(&asked_first["id"], json!({"decision": "decline"})).await.unwrap();
    let late = first.response(&asked_first["id"]).await.unwrap().unwrap_err();
    assert_eq!(late["code"], -32602, "{late}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_request_survives_disconnects_and_is_resent_on_resume() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let (client, thread_id, request) =
        ask_once(&server, &mock, work.path(), json!({"command": ["touch", "later.txt"]})).await;
    client.close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut other = server.client().await;
    let resume = other.send_request("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    other.response(&resume).await.unwrap().unwrap();
    // Nothing about the thread reached the client before the thread/resume response.
    assert!(
        !other.take_inbox().iter().any(|m| m["method"] == "item/commandExecution/requestApproval"),
        "the approval request overtook the thread/resume response"
    );
    let resent =
        other.wait_for_server_request("item/commandExecution/requestApproval").await.unwrap();
    assert_eq!(resent["id"], request["id"]);
    assert_eq!(resent["params"], request["params"]);
    other.respond(&resent["id"], json!({"decision": "accept"})).await.unwrap();
    let messages = turn_messages(&mut other).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(work.path().join("later.txt").exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupting_while_waiting_for_approval_resolves_the_request() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let (mut client, thread_id, request) =
        ask_once(&server, &mock, work.path(), json!({"command": ["touch", "never.txt"]})).await;
    let turn_id = request["params"]["turnId"].as_str().unwrap().to_owned();
    client.call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    let resolved = messages.iter().find(|m| m["method"] == "serverRequest/resolved").unwrap();
    assert_eq!(resolved["params"]["requestId"], request["id"]);
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    // The request is gone: answering it now is an error, and nothing runs.
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    assert!(client.response(&request["id"]).await.unwrap().is_err());
    assert!(!work.path().join("never.txt").exists());
    server.stop().await;
}

fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie (state Z) is dead but not yet reaped.
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupting_a_running_command_kills_its_process_group() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call(
        "call_sleep",
        "shell",
        json!({"command": ["sh", "-c", "sleep 30 & echo $! > child.pid; echo started; wait"],
               "timeout_ms": 120000}),
    ));
    mock.push(Script::text("never sent"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let turn_id = start_turn(&mut client, &thread_id, "never", danger()).await;
    client.wait_for_notification("item/commandExecution/outputDelta").await.unwrap();
    let pid: u32 =
        std::fs::read_to_string(work.path().join("child.pid")).unwrap().trim().parse().unwrap();
    assert!(process_alive(pid));
    client.call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    let items = completed_items(&messages, "commandExecution");
    assert_eq!(items.len(), 1, "{:?}", methods(&messages));
    assert_eq!(items[0]["status"], "failed");
    let mut alive = process_alive(pid);
    for _ in 0..50 {
        if !alive {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        alive = process_alive(pid);
    }
    assert!(!alive, "the backgrounded sleep survived the interrupt");
    assert_eq!(mock.remaining_scripts(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_runs_an_approved_command_outside_the_sandbox() {
    let name = "escalation_runs_an_approved_command_outside_the_sandbox";
    if !sandbox_usable(name) {
        return;
    }
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let outside = scratch();
    let target = outside.path().join("escaped.txt");
    let write = json!(["sh", "-c", format!("echo out > {}", target.display())]);
    mock.push(Script::function_call("call_in", "shell", json!({"command": write})));
    // A workdir outside the roots does not become writable by being the working directory.
    mock.push(Script::function_call(
        "call_wd",
        "shell",
        json!({"command": ["touch", "from-workdir.txt"], "workdir": outside.path()}),
    ));
    mock.push(Script::function_call(
        "call_esc",
        "shell",
        json!({"command": write, "sandbox_permissions": "require_escalated",
               "justification": "write the report next to the workspace"}),
    ));
    mock.push(Script::text("done"));
    let sandbox =
        json!({"type": "workspaceWrite", "excludeTmpdirEnvVar": true, "excludeSlashTmp": true});
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "on-request", sandbox).await;
    // The plain call ran in the sandbox without asking, and failed.
    let (seen, request) = until_request(&mut client, "item/commandExecution/requestApproval").await;
    let items = completed_items(&seen, "commandExecution");
    assert_eq!(items.len(), 2);
    for item in &items {
        assert_ne!(item["exitCode"], 0, "{item}");
        let output = item["aggregatedOutput"].as_str().unwrap();
        assert!(
            output.contains("ermission denied") || output.contains("not permitted"),
            "{output}"
        );
    }
    assert_eq!(items[1]["cwd"], outside.path().to_str().unwrap());
    assert!(!target.exists());
    assert!(!outside.path().join("from-workdir.txt").exists());
    // The escalated call asks with its justification and, approved, writes outside the roots.
    assert_eq!(request["params"]["reason"], "write the report next to the workspace");
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "out\n");
    let ran = completed_items(&messages, "commandExecution");
    assert_eq!(ran[0]["id"], request["params"]["itemId"], "the prompt names the item that ran");
    assert_eq!(ran[0]["exitCode"], 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_permission_roots_are_refused_naming_the_field() {
    let (_home, _mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let relative = json!({"type": "workspaceWrite", "writableRoots": ["/abs", "relative/dir"]});
    let error = client
        .request(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "x"}],
                   "sandboxPolicy": relative}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32602, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("sandboxPolicy.writableRoots[1]"), "{message}");
    let error = client
        .request("command/exec", json!({"command": ["true"], "sandboxPolicy": relative}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32602, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("sandboxPolicy.writableRoots[1]"), "{message}");
    let error =
        client.request("thread/start", json!({"cwd": "relative"})).await.unwrap().unwrap_err();
    assert_eq!(error["code"], -32602, "{error}");
    assert!(error["message"].as_str().unwrap().contains("cwd"), "{error}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relative_or_symlinked_workdir_does_not_make_its_target_writable() {
    let name = "a_relative_or_symlinked_workdir_does_not_make_its_target_writable";
    if !sandbox_usable(name) {
        return;
    }
    let (_home, mock, server) = setup().await;
    let parent = scratch();
    let work = parent.path().join("work");
    let outside = parent.path().join("outside");
    std::fs::create_dir_all(work.join("sub")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, work.join("sub/link")).unwrap();
    mock.push(Script::function_call(
        "call_dotdot",
        "shell",
        json!({"command": ["touch", "dotdot.txt"], "workdir": "../outside"}),
    ));
    mock.push(Script::function_call(
        "call_link",
        "shell",
        json!({"command": ["touch", "link.txt"], "workdir": "sub/link"}),
    ));
    mock.push(Script::function_call(
        "call_inside",
        "shell",
        json!({"command": ["touch", "inside.txt"], "workdir": "sub"}),
    ));
    mock.push(Script::text("done"));
    let sandbox =
        json!({"type": "workspaceWrite", "excludeTmpdirEnvVar": true, "excludeSlashTmp": true});
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, &work).await;
    start_turn(&mut client, &thread_id, "never", sandbox).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(!outside.join("dotdot.txt").exists(), "`..` workdir escaped the sandbox");
    assert!(!outside.join("link.txt").exists(), "symlinked workdir escaped the sandbox");
    for call in ["call_dotdot", "call_link"] {
        let output = call_output(&mock, call).unwrap();
        assert!(!output.contains("Exit code: 0"), "{call}: {output}");
    }
    // A workdir inside the workspace stays writable.
    assert!(work.join("sub/inside.txt").exists());
    server.stop().await;
}

/// Every `function_call` in a model request body has its `function_call_output`.
fn unanswered_calls(body: &Value) -> Vec<String> {
    let input = body["input"].as_array().unwrap();
    let outputs: Vec<&Value> = input
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|item| &item["call_id"])
        .collect();
    input
        .iter()
        .filter(|item| item["type"] == "function_call" && !outputs.contains(&&item["call_id"]))
        .map(|item| item["call_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_call_and_the_calls_after_it_get_outputs_in_the_next_request() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(
        Script::function_call(
            "call_slow",
            "shell",
            json!({"command": ["sh", "-c", "echo started; sleep 30"], "timeout_ms": 120000}),
        )
        .and_function_call(
            "call_later",
            "shell",
            json!({"command": ["touch", "later.txt"]}),
        ),
    );
    mock.push(Script::text("after"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let turn_id = start_turn(&mut client, &thread_id, "never", danger()).await;
    client.wait_for_notification("item/commandExecution/outputDelta").await.unwrap();
    client.call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    assert!(!work.path().join("later.txt").exists(), "a call after the interrupt ran");

    start_turn(&mut client, &thread_id, "never", danger()).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 2);
    let body = &requests[1].body;
    assert!(unanswered_calls(body).is_empty(), "unanswered calls: {:?}", unanswered_calls(body));
    let later = call_output(&mock, "call_later").unwrap();
    assert_eq!(later, "aborted");
    assert!(call_output(&mock, "call_slow").is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_arriving_right_after_an_interrupt_runs_nothing() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    for round in 0..6 {
        let file = format!("raced-{round}.txt");
        mock.push(Script::function_call("call_r", "shell", json!({"command": ["touch", &file]})));
        let turn_id = start_turn(&mut client, &thread_id, "untrusted", danger()).await;
        let (_, request) =
            until_request(&mut client, "item/commandExecution/requestApproval").await;
        // The interrupt is sent first, the approval right behind it: the approval loses.
        let interrupt = client
            .send_request("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id}))
            .await
            .unwrap();
        client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
        let messages = turn_messages(&mut client).await;
        client.response(&interrupt).await.unwrap().unwrap();
        assert_eq!(completed_turn(&messages)["status"], "interrupted", "round {round}");
        assert!(!work.path().join(&file).exists(), "round {round}: the raced approval ran");
    }
    assert_eq!(mock.remaining_scripts(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_prefix_rule_also_covers_an_escalated_command() {
    let home = tempfile::tempdir().unwrap();
    let mock = codex_test_support::MockProvider::start().await;
    write_config(home.path(), &mock);
    std::fs::create_dir(home.path().join("rules")).unwrap();
    std::fs::write(
        home.path().join("rules/default.rules"),
        "prefix_rule(pattern=[\"touch\"], decision=\"allow\")\n",
    )
    .unwrap();
    let server = Server::start(home.path()).await;
    let work = scratch();
    let outside = scratch();
    let target = outside.path().join("escalated.txt");
    mock.push(Script::function_call(
        "call_esc",
        "shell",
        json!({"command": ["touch", target], "sandbox_permissions": "require_escalated"}),
    ));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "on-request", json!({"type": "workspaceWrite"})).await;
    // "Don't ask again for commands that start with touch": it runs, outside the sandbox.
    let (messages, asked) =
        request_or_idle(&mut client, "item/commandExecution/requestApproval").await;
    assert!(asked.is_none(), "the rule did not cover the escalated command");
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(target.exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_character_split_across_output_chunks_arrives_whole() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    // The two bytes of `é` leave the command in separate writes.
    mock.push(Script::function_call(
        "call_utf8",
        "shell",
        json!({"command": ["sh", "-c", "printf '\\303'; sleep 0.3; printf '\\251!'"]}),
    ));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "never", danger()).await;
    let messages = turn_messages(&mut client).await;
    let streamed: String = messages
        .iter()
        .filter(|m| m["method"] == "item/commandExecution/outputDelta")
        .map(|m| m["params"]["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(streamed, "é!");
    let items = completed_items(&messages, "commandExecution");
    assert_eq!(items[0]["aggregatedOutput"], "é!");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_approvals_end_when_the_thread_is_unloaded() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call("call_1", "shell", json!({"command": ["touch", "s.txt"]})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "untrusted", danger()).await;
    let (_, request) = until_request(&mut client, "item/commandExecution/requestApproval").await;
    client.respond(&request["id"], json!({"decision": "acceptForSession"})).await.unwrap();
    turn_messages(&mut client).await;
    let unsubscribed =
        client.call("thread/unsubscribe", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(unsubscribed["status"], "unsubscribed", "{unsubscribed}");
    let loaded = client.call("thread/loaded/list", json!({})).await.unwrap();
    assert!(!loaded.to_string().contains(&thread_id), "the thread is still loaded: {loaded}");

    client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    mock.push(Script::function_call("call_2", "shell", json!({"command": ["touch", "s.txt"]})));
    mock.push(Script::text("done"));
    start_turn(&mut client, &thread_id, "untrusted", danger()).await;
    let (_, asked) = request_or_idle(&mut client, "item/commandExecution/requestApproval").await;
    let request = asked.expect("a session approval outlived the unloaded thread");
    client.respond(&request["id"], json!({"decision": "decline"})).await.unwrap();
    turn_messages(&mut client).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_cancel_decision_the_next_calls_of_the_response_do_not_run() {
    let home = tempfile::tempdir().unwrap();
    let mock = codex_test_support::MockProvider::start().await;
    write_config(home.path(), &mock);
    // `touch` runs without asking, so only the turn's cancellation can stop it.
    std::fs::create_dir(home.path().join("rules")).unwrap();
    std::fs::write(
        home.path().join("rules/default.rules"),
        "prefix_rule(pattern=[\"touch\"], decision=\"allow\")\n",
    )
    .unwrap();
    let server = Server::start(home.path()).await;
    let work = tempfile::tempdir().unwrap();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    for round in 0..4 {
        let file = format!("after-cancel-{round}.txt");
        mock.push(
            Script::function_call("call_ask", "shell", json!({"command": ["mkdir", "d"]}))
                .and_function_call("call_next", "shell", json!({"command": ["touch", &file]})),
        );
        start_turn(&mut client, &thread_id, "untrusted", danger()).await;
        let (_, request) =
            until_request(&mut client, "item/commandExecution/requestApproval").await;
        client.respond(&request["id"], json!({"decision": "cancel"})).await.unwrap();
        let messages = turn_messages(&mut client).await;
        assert_eq!(completed_turn(&messages)["status"], "interrupted");
        assert!(!work.path().join(&file).exists(), "round {round}: a call after cancel ran");
        assert!(completed_items(&messages, "commandExecution").len() == 1, "round {round}");
    }
    assert_eq!(mock.remaining_scripts(), 0);
    server.stop().await;
}
