#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Throughput of `command/exec` streamed output (200 MB of `head -c … /dev/zero`, default
//! read-only sandbox) delivered as `command/exec/outputDelta` notifications to a websocket client
//! (real server on 127.0.0.1) and to a stdio client (the same processor over an in-memory
//! duplex), each decoded by the client, next to `cat` of the same bytes through a pipe measured
//! in the same run.
//!
//! The websocket server runs in a child process (this binary re-run) so its CPU time (user +
//! system, from `/proc/PID/stat`, all threads) can be measured apart from the client's decoding;
//! it is reported per round next to the CPU time of `head | cat` (the baseline, from
//! `getrusage(RUSAGE_CHILDREN)`) measured in the same run.
//!
//! With `CODEX_REFERENCE_BIN=/path/to/codex` (the reference's binary, e.g. from the npm package
//! `@openai/codex`), the same websocket rounds run against `$CODEX_REFERENCE_BIN app-server
//! --listen ws://127.0.0.1:0` in the same run, and the ratio of the two servers' CPU is printed.
//!
//! Run with `cargo bench -p codex-app-server --bench command_exec_throughput`.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use base64::Engine as _;
use codex_app_server::config::Config;
use codex_app_server::config::ConfigOverrides;
use codex_app_server::handlers::AppHandler;
use codex_app_server::processor::MessageProcessor;
use codex_app_server::processor::ProcessorOptions;
use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server::state::StateDb;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_transport::serve_stream_connection;
use codex_app_server_transport::ListenAddress;
use codex_app_server_transport::TransportConfig;
use codex_app_server_transport::TransportKind;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const TOTAL: usize = 200_000_000;
const ROUNDS: usize = 3;

fn initialize() -> Value {
    json!({"id": 1, "method": "initialize",
           "params": {"clientInfo": {"name": "bench", "version": "1"}}})
}

fn exec_request() -> Value {
    json!({"id": 2, "method": "command/exec", "params": {
        "command": ["head", "-c", TOTAL.to_string(), "/dev/zero"], "processId": "bench",
        "streamStdoutStderr": true, "disableOutputCap": true, "disableTimeout": true}})
}

/// Handles one server message; returns `true` once the exec response arrived.
fn absorb(message: &Value, received: &mut usize) -> bool {
    if message["id"] == 2 {
        assert_eq!(message["result"]["exitCode"], 0, "{message}");
        return true;
    }
    if message["method"] == "command/exec/outputDelta" {
        let delta = message["params"]["deltaBase64"].as_str().unwrap();
        *received += base64::engine::general_purpose::STANDARD.decode(delta).unwrap().len();
    }
    false
}

async fn websocket_round(address: &str) -> Duration {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{address}/")).await.unwrap();
    ws.send(Message::text(initialize().to_string())).await.unwrap();
    let mut started = None;
    let mut received = 0usize;
    while let Some(frame) = ws.next().await {
        let Message::Text(text) = frame.unwrap() else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["id"] == 1 {
            started = Some(Instant::now());
            ws.send(Message::text(exec_request().to_string())).await.unwrap();
        } else if absorb(&message, &mut received) {
            break;
        }
    }
    assert_eq!(received, TOTAL);
    let elapsed = started.unwrap().elapsed();
    let _ = ws.close(None).await;
    elapsed
}

const CHILD_ROLE: &str = "COMMAND_EXEC_BENCH_SERVER";

/// Child role: the real server on a websocket; prints its address and serves until killed.
fn child_server() {
    let home = std::env::var_os("CODEX_HOME").unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let mut options = ServeOptions::new(
        ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
        std::path::PathBuf::from(home),
    );
    options.on_listening = Some(Arc::new(move |address: &str| {
        let _ = tx.lock().unwrap().send(address.to_owned());
    }));
    std::thread::spawn(move || {
        let url = rx.recv().unwrap();
        println!("{url}");
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(serve(options, CancellationToken::new())).unwrap();
}

/// CPU time (user + system, every thread) of process `pid` so far.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses): state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Duration::from_secs_f64(ticks as f64 / per_second)
}

/// CPU time (user + system) of this process's waited-for children so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage writes only the struct passed.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Wall time and server CPU time of each websocket round against our server (a child process).
fn websocket_rounds() -> Vec<(Duration, Duration)> {
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ROLE, "1")
        .env("CODEX_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut url).unwrap();
    let address = url.trim().trim_start_matches("ws://").to_owned();
    measure_rounds(child, &address)
}

/// The same rounds against the reference's server (`binary app-server --listen ws://…`), which
/// prints its address on stderr.
fn reference_rounds(binary: &std::path::Path) -> Vec<(Duration, Duration)> {
    // The reference refuses to put helper binaries under /tmp; a home elsewhere avoids its warning.
    let home = tempfile::tempdir_in(std::env::current_dir().unwrap()).unwrap();
    let mut child = std::process::Command::new(binary)
        .args(["app-server", "--listen", "ws://127.0.0.1:0"])
        .env("CODEX_HOME", home.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    // Keep draining stderr so the reference never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(stderr) {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("ws://") {
                let _ = tx.send(line[at + "ws://".len()..].trim().to_owned());
            }
        }
    });
    let address = rx.recv_timeout(Duration::from_secs(30)).expect("reference server address");
    measure_rounds(child, &address)
}

/// Runs the rounds against a server child process, measuring its CPU per round, then kills it.
fn measure_rounds(mut child: std::process::Child, address: &str) -> Vec<(Duration, Duration)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rounds = (0..ROUNDS)
        .map(|_| {
            let cpu = process_cpu(child.id());
            let wall = runtime.block_on(websocket_round(address));
            // The exec response is sent after the last delta; the server is idle again.
            (wall, process_cpu(child.id()) - cpu)
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    rounds
}

fn median_cpu(rounds: &[(Duration, Duration)]) -> Duration {
    let mut cpu: Vec<Duration> = rounds.iter().map(|(_, cpu)| *cpu).collect();
    cpu.sort();
    cpu[cpu.len() / 2]
}

async fn stdio_round(home: &std::path::Path) -> Duration {
    let config = Config::load(home, &ConfigOverrides::default()).unwrap();
    let state = StateDb::open_in(home).await.unwrap();
    let options = ProcessorOptions::new(AbsolutePath::new(home).unwrap());
    let processor = Arc::new(MessageProcessor::new(
        options,
        AppHandler::new(config, ConfigOverrides::default(), state),
    ));
    let (events_tx, events_rx) = tokio::sync::mpsc::channel(1024);
    let run = {
        let processor = Arc::clone(&processor);
        tokio::spawn(async move { processor.run(events_rx).await })
    };
    // Client ends and server ends of the two byte streams.
    let (mut to_server, server_in) = tokio::io::duplex(256 * 1024);
    let (server_out, from_server) = tokio::io::duplex(256 * 1024);
    let connection = tokio::spawn(async move {
        let config = TransportConfig::default();
        serve_stream_connection(
            server_in,
            server_out,
            TransportKind::Stdio,
            events_tx,
            &config,
            CancellationToken::new(),
        )
        .await
    });
    let mut lines = tokio::io::BufReader::with_capacity(256 * 1024, from_server).lines();
    to_server.write_all(format!("{}\n", initialize()).as_bytes()).await.unwrap();
    let mut started = None;
    let mut received = 0usize;
    while let Some(line) = lines.next_line().await.unwrap() {
        let message: Value = serde_json::from_str(&line).unwrap();
        if message["id"] == 1 {
            started = Some(Instant::now());
            to_server.write_all(format!("{}\n", exec_request()).as_bytes()).await.unwrap();
        } else if absorb(&message, &mut received) {
            break;
        }
    }
    assert_eq!(received, TOTAL);
    let elapsed = started.unwrap().elapsed();
    drop(to_server);
    drop(lines);
    let _ = connection.await;
    let _ = tokio::time::timeout(Duration::from_secs(5), run).await;
    elapsed
}

async fn cat_pipe_round() -> Duration {
    let started = Instant::now();
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("head -c {TOTAL} /dev/zero | cat"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        let read = stdout.read(&mut buffer).await.unwrap();
        if read == 0 {
            break;
        }
        total += read;
    }
    assert!(child.wait().await.unwrap().success());
    assert_eq!(total, TOTAL);
    started.elapsed()
}

fn mb_per_s(duration: Duration) -> f64 {
    TOTAL as f64 / 1e6 / duration.as_secs_f64()
}

fn best(rounds: &[Duration]) -> Duration {
    rounds.iter().copied().min().unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects a quick run.
    if std::env::var_os(CHILD_ROLE).is_some() {
        child_server();
        return;
    }
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("command_exec_throughput: run with `cargo bench` to measure");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cat_cpu_before = children_cpu();
    let cat: Vec<Duration> = (0..ROUNDS).map(|_| runtime.block_on(cat_pipe_round())).collect();
    let cat_cpu = (children_cpu() - cat_cpu_before) / ROUNDS as u32;
    let websocket_rounds = websocket_rounds();
    let websocket: Vec<Duration> = websocket_rounds.iter().map(|(wall, _)| *wall).collect();
    let mut server_cpu: Vec<Duration> = websocket_rounds.iter().map(|(_, cpu)| *cpu).collect();
    server_cpu.sort();
    let stdio: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let home = tempfile::tempdir().unwrap();
            runtime.block_on(stdio_round(home.path()))
        })
        .collect();
    let cat_rate = mb_per_s(best(&cat));
    println!("command/exec streamed output, {} MB, best of {ROUNDS}:", TOTAL / 1_000_000);
    println!("  cat through a pipe:       {cat_rate:8.1} MB/s");
    for (name, rounds) in [("websocket client", &websocket), ("stdio client (duplex)", &stdio)] {
        let rate = mb_per_s(best(rounds));
        println!("  {name:<25} {rate:8.1} MB/s  ({:.2} of cat)", rate / cat_rate);
    }
    let median = server_cpu[server_cpu.len() / 2];
    println!(
        "  websocket server CPU:      {:8.3} s per round (median; rounds {:?}), {:.1}x the CPU of head | cat ({:.3} s)",
        median.as_secs_f64(),
        server_cpu.iter().map(|cpu| format!("{:.3}", cpu.as_secs_f64())).collect::<Vec<_>>(),
        median.as_secs_f64() / cat_cpu.as_secs_f64(),
        cat_cpu.as_secs_f64()
    );
    if let Some(binary) = std::env::var_os("CODEX_REFERENCE_BIN") {
        let reference = reference_rounds(std::path::Path::new(&binary));
        let wall: Vec<Duration> = reference.iter().map(|(wall, _)| *wall).collect();
        let reference_cpu = median_cpu(&reference);
        println!(
            "  reference server:          {:8.1} MB/s, CPU {:.3} s per round (median; rounds {:?})",
            mb_per_s(best(&wall)),
            reference_cpu.as_secs_f64(),
            reference
                .iter()
                .map(|(_, cpu)| format!("{:.3}", cpu.as_secs_f64()))
                .collect::<Vec<_>>(),
        );
        println!(
            "  our server CPU / reference server CPU: {:.2}",
            median.as_secs_f64() / reference_cpu.as_secs_f64()
        );
    }
}
