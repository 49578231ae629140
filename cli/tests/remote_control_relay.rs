//! `codex remote-control relay` through the built binary: bind refusal and token issuing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn the_relay_refuses_a_non_loopback_bind_without_the_proxy_flag() {
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_codex"))
        .args(["remote-control", "relay", "--listen", "ws://0.0.0.0:0", "--state-dir"])
        .arg(state.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to listen"), "{stderr}");
}

#[test]
fn issue_token_prints_a_token_and_stores_only_its_digest() {
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_codex"))
        .args(["remote-control", "relay", "issue-token", "--server-id", "srv_1", "--state-dir"])
        .arg(state.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64);
    let stored = std::fs::read_to_string(state.path().join("client_tokens.json")).unwrap();
    assert!(stored.contains("srv_1") && !stored.contains(&token), "{stored}");
}
