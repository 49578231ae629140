#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The approvals the Codex TUI offers, end to end (real server on `ws://127.0.0.1:0`,
//! `TestClient` validating every message, `MockProvider` as the model):
//! "Yes, and don't ask again for commands that start with …" (an execpolicy amendment) covers
//! later matching commands in the thread, escalated or not, and after a restart; and under
//! `on-request` in a read-only sandbox `apply_patch` asks with `item/fileChange/requestApproval`,
//! writes on `accept`, and `acceptForSession` covers later edits of the same files.

mod tools_common;

use codex_test_support::Script;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

const COMMAND_APPROVAL: &str = "item/commandExecution/requestApproval";
const FILE_APPROVAL: &str = "item/fileChange/requestApproval";

fn escalated_touch(call_id: &str, files: &[&std::path::Path]) -> Script {
    let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Script::function_call(
        call_id,
        "exec_command",
        json!({"cmd": format!("touch {}", paths.join(" ")), "sandbox_permissions": "require_escalated",
               "justification": "write the marker files", "yield_time_ms": 5000}),
    )
}

async fn turn_without_questions(
    client: &mut TestClient,
    thread_id: &str,
    approval: &str,
    sandbox: Value,
) -> Vec<Value> {
    start_turn(client, thread_id, approval, sandbox).await;
    let (messages, asked) = request_or_idle(client, COMMAND_APPROVAL).await;
    assert!(asked.is_none(), "asked again: {asked:?}");
    messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dont_ask_again_covers_matching_commands_escalated_or_not_and_after_a_restart() {
    let (home, mock, server) = setup().await;
    let work = scratch();
    let outside = scratch();
    let (one, two, three) = (
        outside.path().join("one.txt"),
        outside.path().join("two.txt"),
        outside.path().join("three.txt"),
    );
    let workspace = json!({"type": "workspaceWrite"});
    mock.push(escalated_touch("call_1", &[&one]));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "on-request", workspace.clone()).await;
    let (_, request) = until_request(&mut client, COMMAND_APPROVAL).await;
    let proposed = request["params"]["proposedExecpolicyAmendment"].clone();
    assert_eq!(proposed, json!(["touch", one.display().to_string()]));
    client
        .respond(
            &request["id"],
            json!({"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": proposed}}}),
        )
        .await
        .unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(one.exists());

    // The same thread: a longer escalated command starting with the rule runs without asking.
    mock.push(escalated_touch("call_2", &[&one, &two]));
    mock.push(Script::text("done"));
    turn_without_questions(&mut client, &thread_id, "on-request", workspace.clone()).await;
    assert!(two.exists());
    // Not escalated, under `untrusted` (which asks before anything not known to be safe).
    std::fs::remove_file(&one).unwrap();
    mock.push(Script::function_call(
        "call_3",
        "exec_command",
        json!({"cmd": format!("touch {}", one.display()), "yield_time_ms": 5000}),
    ));
    mock.push(Script::text("done"));
    turn_without_questions(&mut client, &thread_id, "untrusted", danger()).await;
    assert!(one.exists());
    client.close().await;
    server.stop().await;

    // After a restart, in the resumed thread, escalated again.
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    mock.push(escalated_touch("call_4", &[&one, &three]));
    mock.push(Script::text("done"));
    turn_without_questions(&mut client, &thread_id, "on-request", workspace).await;
    assert!(three.exists());
    // A command the rule does not cover still asks.
    mock.push(escalated_touch("call_5", &[&two]));
    mock.push(Script::text("done"));
    start_turn(&mut client, &thread_id, "on-request", json!({"type": "workspaceWrite"})).await;
    let (_, request) = until_request(&mut client, COMMAND_APPROVAL).await;
    client.respond(&request["id"], json!({"decision": "decline"})).await.unwrap();
    turn_messages(&mut client).await;
    server.stop().await;
}

fn patch_call(call_id: &str, patch: &str) -> Script {
    Script::function_call(call_id, "apply_patch", json!({"input": patch}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_request_in_a_read_only_sandbox_asks_before_patching() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let read_only = json!({"type": "readOnly"});
    let add = "*** Begin Patch\n*** Add File: notes.txt\n+first\n*** End Patch\n";
    let edit = "*** Begin Patch\n*** Update File: notes.txt\n@@\n-first\n+second\n*** End Patch\n";
    let other = "*** Begin Patch\n*** Add File: other.txt\n+no\n*** End Patch\n";
    mock.push(patch_call("call_add", add));
    mock.push(patch_call("call_edit", edit));
    mock.push(patch_call("call_other", other));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "on-request", read_only.clone()).await;
    let (seen, request) = until_request(&mut client, FILE_APPROVAL).await;
    let started = seen
        .iter()
        .find(|m| m["method"] == "item/started" && m["params"]["item"]["type"] == "fileChange")
        .expect("the change is shown before the question");
    assert_eq!(started["params"]["item"]["id"], request["params"]["itemId"]);
    assert_eq!(started["params"]["item"]["changes"][0]["kind"]["type"], "add");
    let reason = request["params"]["reason"].as_str().unwrap();
    assert!(reason.contains("read-only"), "{reason}");
    assert!(!work.path().join("notes.txt").exists(), "nothing is written before the answer");
    client.respond(&request["id"], json!({"decision": "acceptForSession"})).await.unwrap();

    // The edit of the same file goes through on the session approval; a new file asks.
    let (seen, request) = until_request(&mut client, FILE_APPROVAL).await;
    let done = completed_items(&seen, "fileChange");
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(done.iter().all(|item| item["status"] == "completed"));
    assert_eq!(std::fs::read_to_string(work.path().join("notes.txt")).unwrap(), "second\n");
    assert!(request["params"]["reason"].as_str().unwrap().contains("read-only"));
    client.respond(&request["id"], json!({"decision": "decline"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert_eq!(completed_items(&messages, "fileChange")[0]["status"], "declined");
    assert!(!work.path().join("other.txt").exists());
    assert!(call_output(&mock, "call_other").unwrap().contains("declined"));

    // `accept` (once) writes; the same file asks again next time.
    let once = "*** Begin Patch\n*** Add File: once.txt\n+x\n*** End Patch\n";
    let again = "*** Begin Patch\n*** Update File: once.txt\n@@\n-x\n+y\n*** End Patch\n";
    mock.push(patch_call("call_once", once));
    mock.push(patch_call("call_again", again));
    mock.push(Script::text("done"));
    start_turn(&mut client, &thread_id, "on-request", read_only).await;
    let (_, request) = until_request(&mut client, FILE_APPROVAL).await;
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    let (_, request) = until_request(&mut client, FILE_APPROVAL).await;
    assert_eq!(std::fs::read_to_string(work.path().join("once.txt")).unwrap(), "x\n");
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    turn_messages(&mut client).await;
    assert_eq!(std::fs::read_to_string(work.path().join("once.txt")).unwrap(), "y\n");
    server.stop().await;
}
