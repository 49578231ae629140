#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A server on a kernel that cannot sandbox, through the built binary: it says so once per
//! connection (`configWarning`) and in its log, refuses commands that need the sandbox with an
//! error that explains how to run without it, and still runs `danger-full-access` commands.
//! The kernel's lack of Landlock and seccomp is simulated with
//! `CODEX_SANDBOX_SIMULATE_UNSUPPORTED`, which only ever takes protection away from the probe.

mod common;

use codex_test_support::is_sandbox_unavailable_warning;
use serde_json::json;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;

use common::WAIT;

#[tokio::test]
async fn without_kernel_sandboxing_the_server_warns_and_refuses_instead_of_running_unsandboxed() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut child = common::codex(home.path())
        .env(codex_sandbox::SIMULATE_UNSUPPORTED_ENV, "1")
        .env("RUST_LOG", "info")
        .arg("app-server")
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    // Reads messages until the response with `id`; everything before it is kept in `seen`.
    let mut response = async |id: i64, seen: &mut Vec<Value>| -> Value {
        loop {
            let line =
                tokio::time::timeout(WAIT, stdout.next_line()).await.unwrap().unwrap().unwrap();
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
            seen.push(message);
        }
    };
    let mut send = async |message: Value| {
        stdin.write_all(format!("{message}\n").as_bytes()).await.unwrap();
    };

    send(json!({"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}}})).await;
    assert!(response(1, &mut seen).await["result"].is_object());
    send(json!({"method": "initialized"})).await;

    let marker = work.path().join("marker");
    let write = ["sh", "-c", "echo written > marker"];
    send(json!({"id": 2, "method": "command/exec", "params": {
        "command": write, "cwd": work.path(), "sandboxPolicy": {"type": "readOnly"}}}))
    .await;
    let refused = response(2, &mut seen).await;
    let message = refused["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("Landlock"), "{refused}");
    assert!(message.contains("danger-full-access"), "{refused}");
    assert!(!marker.exists(), "a command that needs the sandbox ran without it");

    send(json!({"id": 3, "method": "command/exec", "params": {
        "command": write, "cwd": work.path(), "sandboxPolicy": {"type": "dangerFullAccess"}}}))
    .await;
    let ran = response(3, &mut seen).await;
    assert_eq!(ran["result"]["exitCode"], 0, "{ran}");
    assert!(marker.exists());

    let warnings: Vec<&Value> =
        seen.iter().filter(|message| is_sandbox_unavailable_warning(message)).collect();
    assert_eq!(warnings.len(), 1, "one warning per connection: {seen:?}");
    let details = warnings[0]["params"]["details"].as_str().unwrap();
    assert!(details.contains(codex_sandbox::SIMULATE_UNSUPPORTED_ENV), "{details}");

    drop(stdin);
    let status = tokio::time::timeout(WAIT, child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    let mut log = String::new();
    stderr.read_to_string(&mut log).await.unwrap();
    assert!(log.contains("treated as unavailable"), "the log says why: {log}");
}
