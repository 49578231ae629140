#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `codex sandbox linux` through the built binary: policies enforced, exit codes propagated.

use std::path::Path;
use std::process::Command;
use std::process::Output;

fn codex_sandbox(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codex"))
        .arg("sandbox")
        .arg("linux")
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// A scratch directory outside `/tmp` (which workspace-write makes writable).
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// Whether the kernel sandbox is usable; prints a SKIPPED line naming `test` when it is not.
fn sandbox_usable(test: &str, dir: &Path) -> bool {
    let output = codex_sandbox(&["--policy", "read-only", "--", "true"], dir);
    if output.status.code() == Some(125) {
        eprintln!("SKIPPED {test}: {}", String::from_utf8_lossy(&output.stderr).trim());
        return false;
    }
    assert!(output.status.success(), "{output:?}");
    true
}

#[test]
fn read_only_refuses_writes_and_workspace_write_allows_them_in_cwd() {
    let dir = scratch();
    if !sandbox_usable(
        "read_only_refuses_writes_and_workspace_write_allows_them_in_cwd",
        dir.path(),
    ) {
        return;
    }
    let output = codex_sandbox(&["--", "sh", "-c", "echo hi > file"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("Permission denied"));
    assert!(!dir.path().join("file").exists());

    let cd = dir.path().to_str().unwrap();
    let outside = scratch();
    let script = format!("echo hi > file && echo no > {}/file", outside.path().display());
    let elsewhere = std::env::temp_dir();
    let output = codex_sandbox(
        &["--policy", "workspace-write", "--cd", cd, "--", "sh", "-c", &script],
        &elsewhere,
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("file")).unwrap(), "hi\n");
    assert!(!outside.path().join("file").exists());

    let root = outside.path().to_str().unwrap();
    let output = codex_sandbox(
        &["--policy", "workspace-write", "--writable-root", root, "--", "sh", "-c", &script],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(std::fs::read_to_string(outside.path().join("file")).unwrap(), "no\n");
}

#[test]
fn network_needs_the_network_flag() {
    let dir = scratch();
    if !sandbox_usable("network_needs_the_network_flag", dir.path()) {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = format!("import socket; socket.create_connection(('127.0.0.1', {port}))");
    let output = codex_sandbox(&["--", "python3", "-c", &connect], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("PermissionError"));
    let output = codex_sandbox(&["--network", "--", "python3", "-c", &connect], dir.path());
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn exit_codes_and_signals_are_propagated() {
    let dir = scratch();
    let full = ["--policy", "danger-full-access", "--"];
    let run = |script: &str| {
        let mut args = full.to_vec();
        args.extend(["sh", "-c", script]);
        codex_sandbox(&args, dir.path())
    };
    assert_eq!(run("exit 7").status.code(), Some(7));
    assert_eq!(run("kill -TERM $$").status.code(), Some(128 + 15));
    let output = run("echo out; echo err >&2");
    assert_eq!(output.stdout, b"out\n");
    assert_eq!(output.stderr, b"err\n");
    let output = codex_sandbox(
        &["--policy", "danger-full-access", "--", "/definitely/not/a/command"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(127), "{output:?}");
}

#[test]
fn bad_flag_combinations_are_rejected() {
    let dir = scratch();
    let output = codex_sandbox(&["--writable-root", "/srv", "--", "true"], dir.path());
    assert_eq!(output.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&output.stderr).contains("workspace-write"));
    let output = codex_sandbox(&[], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let output = codex_sandbox(&["--policy", "bogus", "--", "true"], dir.path());
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn git_directory_stays_read_only_under_workspace_write() {
    let dir = scratch();
    if !sandbox_usable("git_directory_stays_read_only_under_workspace_write", dir.path()) {
        return;
    }
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let output = codex_sandbox(
        &["--policy", "workspace-write", "--", "sh", "-c", "echo evil > .git/HEAD"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".git/HEAD")).unwrap(),
        "ref: refs/heads/main\n"
    );
    let output = codex_sandbox(
        &["--policy", "workspace-write", "--", "sh", "-c", "echo ok > src/lib.rs"],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
}
