//! `codex exec` wall time (`cargo bench -p codex-cli --bench exec_startup`).
//!
//! Process start to exit of the built `codex` binary (the bench profile builds it optimised):
//! `codex exec "say hi"` running one turn whose mock answer is a single delta, next to
//! `codex app-server` over stdio answering `initialize` and exiting when stdin closes, measured
//! alternately in the same run against the same temp CODEX_HOME. Prints medians, p90 and the
//! ratio exec / app-server. Then, inside this process, the round-trip latency of a trivial
//! request (`account/read`) over the in-process transport's typed client, for comparison with
//! the stdio/socket rows of `codex-app-server`'s `transport_latency` bench.
//!
//! Environment: `BENCH_RUNS` (default 40) runs of each, after 3 warm-up runs of each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use codex_app_server::in_process::InProcessOptions;
use codex_app_server::in_process::InProcessServer;
use codex_app_server_protocol::methods::markers;
use codex_app_server_protocol::ClientInfo;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::process::Command;

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"clientInfo":{"name":"bench","version":"1"}}}"#;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(bench());
}

fn codex(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_codex"));
    command.env("CODEX_HOME", home).env_remove("RUST_LOG").kill_on_drop(true);
    command
}

async fn exec_once(home: &Path, mock: &MockProvider) -> Duration {
    mock.push(Script::text("hi"));
    let started = Instant::now();
    let output = codex(home)
        .args(["exec", "--skip-git-repo-check", "say hi"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.stdout, b"hi\n");
    elapsed
}

async fn app_server_initialize_once(home: &Path) -> Duration {
    let started = Instant::now();
    let mut child = codex(home)
        .arg("app-server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(INITIALIZE.as_bytes()).await.unwrap();
    stdin.write_all(b"\n").await.unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let reply = lines.next_line().await.unwrap().unwrap();
    assert!(reply.contains("userAgent"), "{reply}");
    drop(stdin);
    let status = child.wait().await.unwrap();
    let elapsed = started.elapsed();
    assert!(status.success());
    elapsed
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn bench() {
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(40);
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    let config = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.path().join("config.toml"), config).unwrap();

    for _ in 0..3 {
        exec_once(home.path(), &mock).await;
        app_server_initialize_once(home.path()).await;
    }
    let mut exec = Vec::with_capacity(runs);
    let mut server = Vec::with_capacity(runs);
    for _ in 0..runs {
        exec.push(exec_once(home.path(), &mock).await);
        server.push(app_server_initialize_once(home.path()).await);
    }
    exec.sort();
    server.sort();
    println!("exec_startup: {runs} runs of each, alternating, process start to exit");
    println!("{:<44} {:>10} {:>10}", "command", "p50 ms", "p90 ms");
    let exec_median = percentile(&exec, 0.5);
    let server_median = percentile(&server, 0.5);
    println!(
        "{:<44} {:>10.2} {:>10.2}",
        "codex exec \"say hi\" (one-delta mock turn)",
        ms(exec_median),
        ms(percentile(&exec, 0.9))
    );
    println!(
        "{:<44} {:>10.2} {:>10.2}",
        "codex app-server (stdio, initialize only)",
        ms(server_median),
        ms(percentile(&server, 0.9))
    );
    println!(
        "ratio exec / app-server initialize (medians): {:.2}",
        exec_median.as_secs_f64() / server_median.as_secs_f64()
    );
    in_process_round_trips(home.path()).await;
}

async fn in_process_round_trips(home: &Path) {
    let server = InProcessServer::start(InProcessOptions::new(home.to_path_buf())).await.unwrap();
    let mut client = server.connect().await.unwrap();
    let info = ClientInfo { name: "bench".into(), title: None, version: "1".into() };
    client.initialize(info, None).await.unwrap();
    let params = || serde_json::from_value(serde_json::json!({})).unwrap();
    for _ in 0..300 {
        client.request::<markers::GetAccount>(params()).await.unwrap();
    }
    let mut samples = Vec::with_capacity(3000);
    for _ in 0..3000 {
        let started = Instant::now();
        client.request::<markers::GetAccount>(params()).await.unwrap();
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "in-process typed round trip (account/read, 3000 after 300 warm-up): p50 {:.1} µs, p99 {:.1} µs",
        percentile(&samples, 0.5).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6
    );
    client.close().await;
    server.shutdown().await;
}
