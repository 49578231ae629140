#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The apply_patch tool inside turns, end to end: patches scripted by `MockProvider` become
//! `fileChange` items and are applied atomically to real files, confined to the thread's
//! writable roots; under `untrusted` the client approves them first.

mod tools_common;

use codex_test_support::Script;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

fn workspace() -> Value {
    json!({"type": "workspaceWrite"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_update_and_delete_become_file_change_items() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("edit.txt"), "alpha\nbeta\ngamma\n").unwrap();
    std::fs::write(work.path().join("gone.txt"), "bye\n").unwrap();
    let patch = "*** Begin Patch\n*** Add File: new.txt\n+fresh\n*** Update File: edit.txt\n@@\n alpha\n-beta\n+BETA\n gamma\n*** Delete File: gone.txt\n*** End Patch\n";
    mock.push(Script::function_call("call_p", "apply_patch", json!({"input": patch})));
    // The reference's shell spelling works too.
    let second = "*** Begin Patch\n*** Add File: via_shell.txt\n+shell\n*** End Patch\n";
    mock.push(Script::function_call(
        "call_s",
        "shell",
        json!({"command": ["apply_patch", second]}),
    ));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "never", workspace()).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");

    assert_eq!(std::fs::read_to_string(work.path().join("new.txt")).unwrap(), "fresh\n");
    assert_eq!(
        std::fs::read_to_string(work.path().join("edit.txt")).unwrap(),
        "alpha\nBETA\ngamma\n"
    );
    assert!(!work.path().join("gone.txt").exists());
    assert_eq!(std::fs::read_to_string(work.path().join("via_shell.txt")).unwrap(), "shell\n");

    let started: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "item/started" && m["params"]["item"]["type"] == "fileChange")
        .collect();
    assert_eq!(started.len(), 2);
    assert_eq!(started[0]["params"]["item"]["status"], "inProgress");
    let items = completed_items(&messages, "fileChange");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["status"], "completed");
    let changes = items[0]["changes"].as_array().unwrap();
    let kinds: Vec<&str> = changes.iter().map(|c| c["kind"]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["add", "update", "delete"]);
    assert!(changes[0]["path"].as_str().unwrap().ends_with("new.txt"));
    // As the reference: an added file's contents, an update's unified diff, a deleted file's
    // former contents.
    assert_eq!(changes[0]["diff"], "fresh\n");
    assert!(changes[1]["diff"].as_str().unwrap().contains("+BETA"), "{}", changes[1]);
    assert!(changes[1]["diff"].as_str().unwrap().contains("@@"), "{}", changes[1]);
    let deleted = changes[2]["diff"].as_str().unwrap();
    assert_eq!(deleted, "bye\n");
    let output = call_output(&mock, "call_p").unwrap();
    assert!(output.contains("Success. Updated the following files"), "{output}");
    assert!(call_output(&mock, "call_s").unwrap().contains("via_shell.txt"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_hunk_leaves_every_file_untouched() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("keep.txt"), "one\ntwo\n").unwrap();
    let patch = "*** Begin Patch\n*** Add File: partial.txt\n+should not exist\n*** Update File: keep.txt\n@@\n-one\n+ONE\n*** Update File: keep.txt\n@@\n-missing line\n+x\n*** End Patch\n";
    mock.push(Script::function_call("call_p", "apply_patch", json!({"input": patch})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "never", workspace()).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(!work.path().join("partial.txt").exists());
    assert_eq!(std::fs::read_to_string(work.path().join("keep.txt")).unwrap(), "one\ntwo\n");
    let output = call_output(&mock, "call_p").unwrap();
    assert!(output.contains("missing line"), "{output}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_outside_the_writable_roots_are_refused() {
    let (_home, mock, server) = setup().await;
    let work = scratch();
    let outside = scratch();
    let escape = outside.path().join("escape.txt");
    let absolute =
        format!("*** Begin Patch\n*** Add File: {}\n+no\n*** End Patch\n", escape.display());
    let dotdot = "*** Begin Patch\n*** Add File: ../dotdot.txt\n+no\n*** End Patch\n";
    mock.push(Script::function_call("call_abs", "apply_patch", json!({"input": absolute})));
    mock.push(Script::function_call("call_dot", "apply_patch", json!({"input": dotdot})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "never", workspace()).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(!escape.exists());
    assert!(!work.path().parent().unwrap().join("dotdot.txt").exists());
    for call in ["call_abs", "call_dot"] {
        let output = call_output(&mock, call).unwrap();
        assert!(output.contains("outside the writable roots"), "{call}: {output}");
    }
    assert!(completed_items(&messages, "fileChange").is_empty());

    // Under read-only nothing may be written; under danger-full-access anywhere.
    mock.push(Script::function_call("call_ro", "apply_patch", json!({"input": absolute})));
    mock.push(Script::text("done"));
    start_turn(&mut client, &thread_id, "never", json!({"type": "readOnly"})).await;
    turn_messages(&mut client).await;
    assert!(call_output(&mock, "call_ro").unwrap().contains("read-only"));
    assert!(!escape.exists());
    mock.push(Script::function_call("call_full", "apply_patch", json!({"input": absolute})));
    mock.push(Script::text("done"));
    start_turn(&mut client, &thread_id, "never", danger()).await;
    turn_messages(&mut client).await;
    assert_eq!(std::fs::read_to_string(&escape).unwrap(), "no\n");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_asks_before_patching_and_decline_changes_nothing() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let patch = "*** Begin Patch\n*** Add File: asked.txt\n+hi\n*** End Patch\n";
    mock.push(Script::function_call("call_1", "apply_patch", json!({"input": patch})));
    mock.push(Script::function_call("call_2", "apply_patch", json!({"input": patch})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "untrusted", workspace()).await;
    let (_, request) = until_request(&mut client, "item/fileChange/requestApproval").await;
    assert_eq!(request["params"]["threadId"], thread_id.as_str());
    assert!(!work.path().join("asked.txt").exists());
    client.respond(&request["id"], json!({"decision": "decline"})).await.unwrap();
    let (seen, request) = until_request(&mut client, "item/fileChange/requestApproval").await;
    let declined = completed_items(&seen, "fileChange");
    assert_eq!(declined[0]["status"], "declined");
    assert!(call_output(&mock, "call_1").unwrap().contains("declined"));
    assert!(!work.path().join("asked.txt").exists());
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert_eq!(completed_items(&messages, "fileChange")[0]["status"], "completed");
    assert_eq!(std::fs::read_to_string(work.path().join("asked.txt")).unwrap(), "hi\n");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_swapped_for_a_symlink_while_waiting_for_approval_is_caught() {
    let (_home, mock, server) = setup().await;
    let parent = scratch();
    let work = parent.path().join("work");
    let outside = parent.path().join("outside");
    std::fs::create_dir_all(work.join("sub")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    let patch = "*** Begin Patch\n*** Add File: sub/planted.txt\n+x\n*** End Patch\n";
    mock.push(Script::function_call("call_1", "apply_patch", json!({"input": patch})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, &work).await;
    start_turn(&mut client, &thread_id, "untrusted", workspace()).await;
    let (_, request) = until_request(&mut client, "item/fileChange/requestApproval").await;
    // While the user reads the prompt, `sub` becomes a link out of the workspace.
    std::fs::remove_dir(work.join("sub")).unwrap();
    std::os::unix::fs::symlink(&outside, work.join("sub")).unwrap();
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert!(!outside.join("planted.txt").exists(), "the approved patch wrote through the link");
    let items = completed_items(&messages, "fileChange");
    assert_eq!(items[0]["status"], "failed", "{items:?}");
    let output = call_output(&mock, "call_1").unwrap();
    assert!(output.contains("no file was changed"), "{output}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_for_session_covers_the_same_files_but_not_a_new_move_destination() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("a.txt"), "one\n").unwrap();
    std::fs::write(work.path().join("keep.txt"), "precious\n").unwrap();
    let edit = |from: &str, to: &str| {
        format!("*** Begin Patch\n*** Update File: a.txt\n@@\n-{from}\n+{to}\n*** End Patch\n")
    };
    let moving = "*** Begin Patch\n*** Update File: a.txt\n*** Move to: keep.txt\n@@\n-three\n+moved\n*** End Patch\n";
    mock.push(Script::function_call("call_1", "apply_patch", json!({"input": edit("one", "two")})));
    mock.push(Script::function_call(
        "call_2",
        "apply_patch",
        json!({"input": edit("two", "three")}),
    ));
    mock.push(Script::function_call("call_3", "apply_patch", json!({"input": moving})));
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "untrusted", workspace()).await;
    let (_, request) = until_request(&mut client, "item/fileChange/requestApproval").await;
    client.respond(&request["id"], json!({"decision": "acceptForSession"})).await.unwrap();
    // The second edit of a.txt goes through without asking; the move onto keep.txt asks.
    let (seen, asked) = request_or_idle(&mut client, "item/fileChange/requestApproval").await;
    let request = asked.expect("a move to a new destination went through on the session approval");
    let items = completed_items(&seen, "fileChange");
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(std::fs::read_to_string(work.path().join("a.txt")).unwrap(), "three\n");
    assert_eq!(std::fs::read_to_string(work.path().join("keep.txt")).unwrap(), "precious\n");
    client.respond(&request["id"], json!({"decision": "decline"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    assert_eq!(std::fs::read_to_string(work.path().join("keep.txt")).unwrap(), "precious\n");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_out_of_the_workspace_is_refused() {
    let (_home, mock, server) = setup().await;
    let parent = scratch();
    let work = parent.path().join("work");
    let outside = parent.path().join("outside");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret\n").unwrap();
    std::os::unix::fs::symlink(&outside, work.join("link")).unwrap();
    std::fs::write(work.join("mine.txt"), "mine\n").unwrap();
    let add = "*** Begin Patch\n*** Add File: link/planted.txt\n+x\n*** End Patch\n";
    let update =
        "*** Begin Patch\n*** Update File: link/secret.txt\n@@\n-secret\n+pwned\n*** End Patch\n";
    let moving = "*** Begin Patch\n*** Update File: mine.txt\n*** Move to: link/moved.txt\n@@\n-mine\n+moved\n*** End Patch\n";
    for (call, patch) in [("call_add", add), ("call_update", update), ("call_move", moving)] {
        mock.push(Script::function_call(call, "apply_patch", json!({"input": patch})));
    }
    mock.push(Script::text("done"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, &work).await;
    start_turn(&mut client, &thread_id, "never", workspace()).await;
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    for call in ["call_add", "call_update", "call_move"] {
        let output = call_output(&mock, call).unwrap();
        assert!(output.contains("outside the writable roots"), "{call}: {output}");
    }
    assert!(!outside.join("planted.txt").exists());
    assert!(!outside.join("moved.txt").exists());
    assert_eq!(std::fs::read_to_string(outside.join("secret.txt")).unwrap(), "secret\n");
    assert_eq!(std::fs::read_to_string(work.join("mine.txt")).unwrap(), "mine\n");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_a_patch_waits_declines_and_interrupts_the_turn() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let patch = "*** Begin Patch\n*** Add File: waited.txt\n+hi\n*** End Patch\n";
    mock.push(Script::function_call("call_1", "apply_patch", json!({"input": patch})));
    mock.push(Script::text("never sent"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    // `cancel` declines and interrupts the turn.
    start_turn(&mut client, &thread_id, "untrusted", workspace()).await;
    let (_, request) = until_request(&mut client, "item/fileChange/requestApproval").await;
    client.respond(&request["id"], json!({"decision": "cancel"})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    assert_eq!(completed_items(&messages, "fileChange")[0]["status"], "declined");
    assert!(!work.path().join("waited.txt").exists());
    assert_eq!(mock.remaining_scripts(), 1, "the turn stopped instead of asking the model again");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_while_a_patch_waits_resolves_the_request_and_changes_nothing() {
    let (_home, mock, server) = setup().await;
    let work = tempfile::tempdir().unwrap();
    let patch = "*** Begin Patch\n*** Add File: waited.txt\n+hi\n*** End Patch\n";
    mock.push(Script::function_call("call_1", "apply_patch", json!({"input": patch})));
    mock.push(Script::text("never sent"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let turn_id = start_turn(&mut client, &thread_id, "untrusted", workspace()).await;
    let (_, request) = until_request(&mut client, "item/fileChange/requestApproval").await;
    client.call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id})).await.unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "interrupted");
    let resolved = messages.iter().find(|m| m["method"] == "serverRequest/resolved").unwrap();
    assert_eq!(resolved["params"]["requestId"], request["id"]);
    assert_eq!(completed_items(&messages, "fileChange")[0]["status"], "declined");
    client.respond(&request["id"], json!({"decision": "accept"})).await.unwrap();
    assert!(client.response(&request["id"]).await.unwrap().is_err());
    assert!(!work.path().join("waited.txt").exists());
    server.stop().await;
}
