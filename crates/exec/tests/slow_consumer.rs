#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Back pressure: a command printing 200 MB to a slow consumer must not grow the server's memory,
//! and every byte must arrive. Kept alone in its binary so the peak-RSS reading is its own.

use std::time::Duration;

use codex_exec::ExecEvent;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_exec::COALESCE_LIMIT;
use codex_sandbox::SandboxPolicy;

const TOTAL: usize = 200_000_000;

/// Peak resident set size of this process, in kB.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_slow_consumer_slows_the_producer_instead_of_buffering() {
    let dir = tempfile::tempdir().unwrap();
    let before = peak_rss_kb();
    let request = ExecRequest::new(
        ["head", "-c", &TOTAL.to_string(), "/dev/zero"],
        dir.path(),
        SandboxPolicy::DangerFullAccess,
    );
    let (_process, mut events) = ExecProcess::spawn(request).unwrap();
    let mut received = 0usize;
    let mut largest = 0usize;
    let mut events_seen = 0usize;
    let exit = loop {
        match events.recv().await.unwrap() {
            ExecEvent::Output { bytes, .. } => {
                received += bytes.len();
                largest = largest.max(bytes.len());
                events_seen += 1;
                // A slow consumer: pause regularly so the producer outruns it.
                if events_seen.is_multiple_of(4) {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            ExecEvent::Exited(exit) => break exit,
        }
    };
    let growth_kb = peak_rss_kb().saturating_sub(before);
    assert_eq!(received, TOTAL);
    assert_eq!(exit.exit_code, Some(0));
    assert!(largest <= COALESCE_LIMIT, "chunk of {largest} bytes");
    assert!(growth_kb < 100 * 1024, "peak RSS grew by {growth_kb} kB");
}
