//! `kill_all_running_commands`: every command still running is SIGKILLed with its group (its own
//! binary, since it kills every command of the process), and reaped ones are forgotten.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use codex_exec::kill_all_running_commands;
use codex_exec::ExecEvent;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_sandbox::SandboxPolicy;

#[tokio::test]
async fn every_running_command_and_its_group_is_killed_and_exited_ones_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let done = ExecRequest::new(["true"], dir.path(), SandboxPolicy::DangerFullAccess);
    let (_done, mut done_events) = ExecProcess::spawn(done).unwrap();
    while let Some(event) = done_events.recv().await {
        if matches!(event, ExecEvent::Exited(_)) {
            break;
        }
    }
    let mut running = Vec::new();
    for _ in 0..2 {
        // The command ignores SIGTERM, and so does its background child.
        let script = "trap '' TERM; sleep 600 & echo $!; wait";
        let request =
            ExecRequest::new(["sh", "-c", script], dir.path(), SandboxPolicy::DangerFullAccess);
        running.push(ExecProcess::spawn(request).unwrap());
    }
    let mut grandchildren = Vec::new();
    for (_, events) in &mut running {
        let Some(ExecEvent::Output { bytes, .. }) = events.recv().await else { panic!() };
        grandchildren.push(String::from_utf8(bytes).unwrap().trim().parse::<u32>().unwrap());
    }
    assert_eq!(kill_all_running_commands(), 2, "only the two running commands");
    for (_, events) in &mut running {
        let exit = loop {
            match events.recv().await.unwrap() {
                ExecEvent::Exited(exit) => break exit,
                _ => continue,
            }
        };
        assert_eq!(exit.signal, Some(libc::SIGKILL));
    }
    for pid in grandchildren {
        let gone = || {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            stat.is_empty() || stat.rsplit(") ").next().is_some_and(|rest| rest.starts_with('Z'))
        };
        // A SIGKILLed process may take a moment to be torn down.
        for _ in 0..100 {
            if gone() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(gone(), "background child {pid} survived");
    }
    assert_eq!(kill_all_running_commands(), 0, "reaped commands are forgotten");
}
