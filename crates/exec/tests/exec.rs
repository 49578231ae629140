#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Runs real child processes through `codex-exec`: exit codes, streams, caps, timeouts, stdin,
//! termination, PTYs and the sandbox.

use std::time::Duration;

use codex_exec::run_to_completion;
use codex_exec::ExecError;
use codex_exec::ExecEvent;
use codex_exec::ExecEvents;
use codex_exec::ExecExit;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_exec::ExecStream;
use codex_exec::TerminalSize;
use codex_sandbox::SandboxPolicy;

fn sh(script: &str, cwd: &std::path::Path) -> ExecRequest {
    ExecRequest::new(["sh", "-c", script], cwd, SandboxPolicy::DangerFullAccess)
}

/// Reads events until the exit, returning (stdout or pty bytes, stderr bytes, exit).
async fn collect(events: &mut ExecEvents) -> (Vec<u8>, Vec<u8>, ExecExit) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    loop {
        match events.recv().await.expect("events ended without an exit") {
            ExecEvent::Output { stream: ExecStream::Stderr, bytes, .. } => err.extend(bytes),
            ExecEvent::Output { bytes, .. } => out.extend(bytes),
            ExecEvent::Exited(exit) => return (out, err, exit),
        }
    }
}

/// Reads PTY output until it contains `needle`; returns everything read so far.
async fn read_until(events: &mut ExecEvents, needle: &str) -> String {
    let mut seen = String::new();
    while !seen.contains(needle) {
        match tokio::time::timeout(Duration::from_secs(20), events.recv()).await {
            Ok(Some(ExecEvent::Output { bytes, .. })) => {
                seen.push_str(&String::from_utf8_lossy(&bytes))
            }
            other => panic!("waiting for {needle:?}, got {other:?} after {seen:?}"),
        }
    }
    seen
}

#[tokio::test]
async fn exit_codes_and_separate_streams() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_to_completion(sh("echo out; echo err >&2; exit 3", dir.path())).await.unwrap();
    assert_eq!(output.exit_code, Some(3));
    assert_eq!(output.signal, None);
    assert_eq!(output.stdout, b"out\n");
    assert_eq!(output.stderr, b"err\n");
    assert!(!output.timed_out && !output.stdout_capped && !output.stderr_capped);

    let mut request = sh("true", dir.path());
    request.timeout = Some(Duration::MAX);
    let output = run_to_completion(request).await.unwrap();
    assert_eq!(output.exit_code, Some(0));
}

#[tokio::test]
async fn environment_and_cwd_are_exactly_the_requested_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = sh("pwd; echo \"$ONLY_VAR|${HOME-unset}\"", dir.path());
    request.env = vec![("ONLY_VAR".into(), "yes".into()), ("PATH".into(), "/usr/bin:/bin".into())];
    let output = run_to_completion(request).await.unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let canonical = dir.path().canonicalize().unwrap();
    assert_eq!(text, format!("{}\nyes|unset\n", canonical.display()));
}

#[tokio::test]
async fn output_is_capped_per_stream_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = sh("head -c 100000 /dev/zero; printf abc >&2", dir.path());
    request.output_cap = Some(1000);
    let output = run_to_completion(request).await.unwrap();
    assert_eq!(output.exit_code, Some(0), "the command must not be blocked by the cap");
    assert_eq!(output.stdout.len(), 1000);
    assert!(output.stdout_capped);
    assert_eq!(output.stderr, b"abc");
    assert!(!output.stderr_capped);
}

fn process_is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for its (new) parent to reap it is dead already.
        Ok(stat) => stat.rsplit(')').next().unwrap().trim_start().starts_with('Z'),
    }
}

#[tokio::test]
async fn timeout_kills_the_command_and_its_grandchildren() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = sh("sleep 30 & echo $!; sleep 30", dir.path());
    request.timeout = Some(Duration::from_millis(500));
    let (process, mut events) = ExecProcess::spawn(request).unwrap();
    let (out, _, exit) = collect(&mut events).await;
    assert!(exit.timed_out);
    assert_eq!(exit.exit_code, None);
    assert_eq!(exit.signal, Some(libc::SIGKILL));
    let grandchild: i32 = String::from_utf8(out).unwrap().trim().parse().unwrap();
    let mut gone = false;
    for _ in 0..100 {
        if process_is_gone(grandchild) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "grandchild {grandchild} survived the timeout");
    drop(process);
}

#[tokio::test]
async fn stdin_streams_to_cat_and_closing_it_ends_cat() {
    let dir = tempfile::tempdir().unwrap();
    let (process, mut events) =
        ExecProcess::spawn(ExecRequest::new(["cat"], dir.path(), SandboxPolicy::DangerFullAccess))
            .unwrap();
    process.write_stdin(b"hello\n").await.unwrap();
    match events.recv().await.unwrap() {
        ExecEvent::Output { stream: ExecStream::Stdout, bytes, .. } => {
            assert_eq!(bytes, b"hello\n")
        }
        other => panic!("unexpected {other:?}"),
    }
    process.write_stdin(b"world").await.unwrap();
    process.close_stdin().await.unwrap();
    let (out, _, exit) = collect(&mut events).await;
    assert_eq!(out, b"world");
    assert_eq!(exit.exit_code, Some(0));
    assert!(matches!(process.write_stdin(b"late").await, Err(ExecError::StdinClosed)));
}

#[tokio::test]
async fn terminate_stops_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let (process, mut events) =
        ExecProcess::spawn(sh("sleep 30 & echo $!; wait", dir.path())).unwrap();
    let grandchild: i32 = match events.recv().await.unwrap() {
        ExecEvent::Output { bytes, .. } => {
            String::from_utf8(bytes).unwrap().trim().parse().unwrap()
        }
        other => panic!("unexpected {other:?}"),
    };
    process.terminate();
    let (_, _, exit) = collect(&mut events).await;
    assert_eq!(exit.signal, Some(libc::SIGTERM));
    assert!(!exit.timed_out);
    let mut gone = false;
    for _ in 0..100 {
        if process_is_gone(grandchild) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "grandchild {grandchild} survived terminate");
}

#[tokio::test]
async fn terminate_escalates_to_sigkill_when_sigterm_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (process, mut events) =
        ExecProcess::spawn(sh("trap '' TERM; echo ready; while :; do sleep 1; done", dir.path()))
            .unwrap();
    read_until(&mut events, "ready").await;
    process.terminate();
    let (_, _, exit) = collect(&mut events).await;
    assert_eq!(exit.signal, Some(libc::SIGKILL));
}

#[tokio::test]
async fn dropping_the_handle_kills_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let (process, mut events) = ExecProcess::spawn(sh("echo $$; sleep 30", dir.path())).unwrap();
    let pid: i32 = match events.recv().await.unwrap() {
        ExecEvent::Output { bytes, .. } => {
            String::from_utf8(bytes).unwrap().trim().parse().unwrap()
        }
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(pid as u32, process.pid());
    drop(process);
    let (_, _, exit) = collect(&mut events).await;
    assert_eq!(exit.signal, Some(libc::SIGKILL));
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = ExecRequest::new(Vec::<String>::new(), dir.path(), SandboxPolicy::DangerFullAccess);
    assert!(matches!(ExecProcess::spawn(empty), Err(ExecError::EmptyCommand)));
    let missing = ExecRequest::new(
        ["definitely-not-a-program-xyz"],
        dir.path(),
        SandboxPolicy::DangerFullAccess,
    );
    let error = ExecProcess::spawn(missing).unwrap_err();
    assert!(error.to_string().contains("definitely-not-a-program-xyz"), "{error}");
    let (process, events) = ExecProcess::spawn(sh("sleep 5", dir.path())).unwrap();
    assert!(matches!(
        process.resize(TerminalSize { rows: 1, cols: 1 }),
        Err(ExecError::NotATerminal)
    ));
    drop((process, events));
}

#[tokio::test]
async fn pty_reports_initial_size_and_sees_resizes() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = sh("stty size; read line; stty size; tty", dir.path());
    request.tty = Some(TerminalSize { rows: 24, cols: 80 });
    let (process, mut events) = ExecProcess::spawn(request).unwrap();
    read_until(&mut events, "24 80").await;
    process.resize(TerminalSize { rows: 40, cols: 100 }).unwrap();
    process.write_stdin(b"go\n").await.unwrap();
    let (rest, _, exit) = collect(&mut events).await;
    let rest = String::from_utf8_lossy(&rest);
    assert!(rest.contains("40 100"), "{rest}");
    assert!(rest.contains("/dev/pts/"), "{rest}");
    assert_eq!(exit.exit_code, Some(0));
}

#[tokio::test]
async fn pty_delivers_sigwinch_to_the_foreground_program() {
    let dir = tempfile::tempdir().unwrap();
    let script = "import shutil, signal, sys\n\
                  def report(*_):\n    print('size', tuple(shutil.get_terminal_size()), flush=True)\n\
                  signal.signal(signal.SIGWINCH, report)\n\
                  report()\n\
                  sys.stdin.readline()\n";
    let mut request =
        ExecRequest::new(["python3", "-c", script], dir.path(), SandboxPolicy::DangerFullAccess);
    request.tty = Some(TerminalSize { rows: 30, cols: 90 });
    let (process, mut events) = ExecProcess::spawn(request).unwrap();
    read_until(&mut events, "size (90, 30)").await;
    process.resize(TerminalSize { rows: 50, cols: 120 }).unwrap();
    read_until(&mut events, "size (120, 50)").await;
    process.write_stdin(b"\n").await.unwrap();
    let (_, _, exit) = collect(&mut events).await;
    assert_eq!(exit.exit_code, Some(0));
}

#[tokio::test]
async fn pty_close_stdin_sends_end_of_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = ExecRequest::new(["cat"], dir.path(), SandboxPolicy::DangerFullAccess);
    request.tty = Some(TerminalSize { rows: 24, cols: 80 });
    let (process, mut events) = ExecProcess::spawn(request).unwrap();
    process.write_stdin(b"typed\n").await.unwrap();
    read_until(&mut events, "typed").await;
    process.close_stdin().await.unwrap();
    let (_, _, exit) = collect(&mut events).await;
    assert_eq!(exit.exit_code, Some(0));
}

/// Whether this kernel can enforce the sandbox; prints a SKIPPED line naming `test` when not.
fn enforceable(test: &str) -> bool {
    match codex_sandbox::SandboxSupport::get()
        .check(&SandboxPolicy::ReadOnly { network_access: false })
    {
        Ok(()) => true,
        Err(error) => {
            eprintln!("SKIPPED {test}: {error}");
            false
        }
    }
}

#[tokio::test]
async fn read_only_sandbox_cannot_write_to_cwd() {
    if !enforceable("read_only_sandbox_cannot_write_to_cwd") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let request = ExecRequest::new(
        ["sh", "-c", "echo pwned > file.txt"],
        dir.path(),
        SandboxPolicy::ReadOnly { network_access: false },
    );
    let output = run_to_completion(request).await.unwrap();
    assert_ne!(output.exit_code, Some(0));
    assert!(!dir.path().join("file.txt").exists());

    // The same command under workspace-write succeeds, so the failure above is the sandbox.
    let request = ExecRequest::new(
        ["sh", "-c", "echo ok > file.txt"],
        dir.path(),
        SandboxPolicy::workspace_write(),
    );
    let output = run_to_completion(request).await.unwrap();
    assert_eq!(output.exit_code, Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.path().join("file.txt").exists());
}

#[tokio::test]
async fn read_only_sandbox_applies_on_a_pty_too() {
    if !enforceable("read_only_sandbox_applies_on_a_pty_too") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut request = ExecRequest::new(
        ["sh", "-c", "echo pwned > file.txt; echo status=$?"],
        dir.path(),
        SandboxPolicy::ReadOnly { network_access: false },
    );
    request.tty = Some(TerminalSize { rows: 24, cols: 80 });
    let (_process, mut events) = ExecProcess::spawn(request).unwrap();
    let (out, _, exit) = collect(&mut events).await;
    let out = String::from_utf8_lossy(&out);
    assert!(out.contains("status=") && !out.contains("status=0"), "{out}");
    assert_eq!(exit.exit_code, Some(0));
    assert!(!dir.path().join("file.txt").exists());
}

#[tokio::test]
async fn dropping_the_events_lets_the_command_run_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("done");
    let (process, events) =
        ExecProcess::spawn(sh("head -c 5000000 /dev/zero; touch done", dir.path())).unwrap();
    drop(events);
    let mut finished = false;
    for _ in 0..200 {
        if marker.exists() {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(finished, "the command blocked on output nobody reads");
    drop(process);
}

#[test]
fn handles_can_be_shared_across_tasks() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ExecProcess>();
    fn assert_send<T: Send>() {}
    assert_send::<ExecEvents>();
}

#[tokio::test]
async fn the_last_streamed_chunk_before_the_cap_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // Exactly the cap first, more later: the flag may arrive on an empty chunk of its own.
    let mut request = sh("head -c 1000 /dev/zero; sleep 0.2; echo more; echo fine >&2", dir.path());
    request.output_cap = Some(1000);
    let (_process, mut events) = ExecProcess::spawn(request).unwrap();
    let mut stdout = Vec::new();
    let mut stdout_flags = Vec::new();
    let exit = loop {
        match events.recv().await.unwrap() {
            ExecEvent::Output { stream: ExecStream::Stdout, bytes, cap_reached } => {
                stdout.extend(bytes);
                stdout_flags.push(cap_reached);
            }
            ExecEvent::Output { stream, cap_reached, .. } => {
                assert_eq!(stream, ExecStream::Stderr);
                assert!(!cap_reached);
            }
            ExecEvent::Exited(exit) => break exit,
        }
    };
    assert_eq!(stdout.len(), 1000);
    assert_eq!(stdout_flags.last(), Some(&true));
    assert_eq!(stdout_flags.iter().filter(|flag| **flag).count(), 1);
    assert!(exit.stdout_capped && !exit.stderr_capped);
}
