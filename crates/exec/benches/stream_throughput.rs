#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Throughput of streaming 200 MB of command output through `ExecProcess`, compared in the same
//! run with reading the same producer's output from a plain pipe (std `Command`, blocking reads).
//!
//! Run with `cargo bench -p codex-exec --bench stream_throughput`.

use std::io::Read;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use codex_exec::ExecEvent;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_sandbox::SandboxPolicy;

const TOTAL: usize = 200_000_000;
const ROUNDS: usize = 3;

fn producer() -> Vec<String> {
    vec!["head".into(), "-c".into(), TOTAL.to_string(), "/dev/zero".into()]
}

fn plain_pipe() -> Duration {
    let argv = producer();
    let started = Instant::now();
    let mut child = Command::new(&argv[0]).args(&argv[1..]).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        let read = stdout.read(&mut buffer).unwrap();
        if read == 0 {
            break;
        }
        total += read;
    }
    child.wait().unwrap();
    assert_eq!(total, TOTAL);
    started.elapsed()
}

async fn exec_process(policy: SandboxPolicy) -> Duration {
    let dir = std::env::temp_dir();
    let started = Instant::now();
    let (_process, mut events) =
        ExecProcess::spawn(ExecRequest::new(producer(), dir, policy)).unwrap();
    let mut total = 0usize;
    loop {
        match events.recv().await.unwrap() {
            ExecEvent::Output { bytes, .. } => total += bytes.len(),
            ExecEvent::Exited(exit) => {
                assert_eq!(exit.exit_code, Some(0));
                break;
            }
        }
    }
    assert_eq!(total, TOTAL);
    started.elapsed()
}

fn megabytes_per_second(elapsed: Duration) -> f64 {
    TOTAL as f64 / 1e6 / elapsed.as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let best = |times: Vec<Duration>| times.into_iter().min().unwrap();
    let pipe = best((0..ROUNDS).map(|_| plain_pipe()).collect());
    let exec = best(
        (0..ROUNDS)
            .map(|_| runtime.block_on(exec_process(SandboxPolicy::DangerFullAccess)))
            .collect(),
    );
    let sandboxed = best(
        (0..ROUNDS)
            .map(|_| runtime.block_on(exec_process(SandboxPolicy::workspace_write())))
            .collect(),
    );
    println!("streaming {} MB, best of {ROUNDS}:", TOTAL / 1_000_000);
    println!("  plain pipe (std, blocking read) : {:8.0} MB/s", megabytes_per_second(pipe));
    println!(
        "  ExecProcess (danger-full-access): {:8.0} MB/s  ({:.2}x of plain pipe)",
        megabytes_per_second(exec),
        pipe.as_secs_f64() / exec.as_secs_f64()
    );
    println!(
        "  ExecProcess (workspace-write)   : {:8.0} MB/s  ({:.2}x of plain pipe)",
        megabytes_per_second(sandboxed),
        pipe.as_secs_f64() / sandboxed.as_secs_f64()
    );
}
