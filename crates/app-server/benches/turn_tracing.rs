#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cost of span export on the streaming path: a 20,000-delta turn (mock provider, websocket
//! client) against two real servers in the same run, one exporting spans over OTLP/HTTP to a
//! loopback collector in this process and one exporting nothing. Each server runs in a child
//! process (this binary re-run) with its own global `tracing` subscriber, installed exactly as the
//! `codex` binary installs it, so its CPU time (`/proc/PID/stat`) is measured apart from the
//! client. Rounds alternate between the two servers so drift hits both; each turn is sent with a
//! caller `traceparent`, so the traced server records the request, turn and model-request spans.
//!
//! Run: `cargo bench -p codex-app-server --bench turn_tracing`.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server::telemetry;
use codex_app_server_transport::ListenAddress;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const DELTAS: usize = 20_000;
const ROUNDS: usize = 9;
const CHILD_ROLE: &str = "TURN_TRACING_BENCH_SERVER";

/// Child role: installs the subscriber (with span export when `[otel]` in `CODEX_HOME` asks for
/// it), serves on a websocket, prints the address, serves until killed.
fn child_server() {
    let home = std::path::PathBuf::from(std::env::var_os("CODEX_HOME").unwrap());
    // As the `codex` binary does: exporters are built before the runtime starts.
    let _guard = telemetry::init(&home);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let mut options =
        ServeOptions::new(ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()), home);
    options.on_listening = Some(Arc::new(move |address: &str| {
        let _ = tx.lock().unwrap().send(address.to_owned());
    }));
    std::thread::spawn(move || println!("{}", rx.recv().unwrap()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(serve(options, CancellationToken::new())).unwrap();
}

/// A loopback OTLP/HTTP collector that answers 200 to everything; counts the bytes it received.
async fn start_collector() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut stream = tokio::io::BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0usize;
                    loop {
                        let mut header = String::new();
                        stream.read_line(&mut header).await.unwrap();
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().unwrap();
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    stream.read_exact(&mut body).await.unwrap();
                    counter.fetch_add(length, Ordering::Relaxed);
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    stream.get_mut().write_all(ok).await.unwrap();
                }
            });
        }
    });
    (address, received)
}

/// One server child process and a connected, initialized websocket client with a thread.
struct Server {
    child: std::process::Child,
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: i64,
    _home: tempfile::TempDir,
}

impl Server {
    async fn start(config_toml: String) -> Self {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("config.toml"), config_toml).unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ROLE, "1")
            .env("CODEX_HOME", home.path())
            .env_remove("RUST_LOG")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut url).unwrap();
        let (socket, _) =
            tokio_tungstenite::connect_async(format!("{}/", url.trim())).await.unwrap();
        let mut server = Server { child, socket, next_id: 0, _home: home };
        server.call("initialize", json!({"clientInfo": {"name": "bench", "version": "1"}})).await;
        server
    }

    async fn send(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let trace =
            json!({"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"});
        let request =
            json!({"id": self.next_id, "method": method, "params": params, "trace": trace});
        self.socket.send(Message::text(request.to_string())).await.unwrap();
        self.next_id
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params).await;
        loop {
            let Some(Ok(Message::Text(text))) = self.socket.next().await else { panic!("closed") };
            let message: Value = serde_json::from_str(text.as_str()).unwrap();
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
        }
    }

    /// One turn on a fresh ephemeral thread: wall time and this server's CPU time.
    async fn turn(&mut self, cwd: &std::path::Path) -> (Duration, Duration) {
        let thread = self.call("thread/start", json!({"cwd": cwd, "ephemeral": true})).await;
        let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
        let cpu = process_cpu(self.child.id());
        let started = Instant::now();
        self.send(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}),
        )
        .await;
        let mut deltas = 0;
        loop {
            let Some(Ok(Message::Text(text))) = self.socket.next().await else { panic!("closed") };
            let text = text.as_str();
            if text.contains("\"item/agentMessage/delta\"") {
                deltas += 1;
            } else if text.contains("\"turn/completed\"") {
                assert!(text.contains("\"completed\""), "{text}");
                break;
            }
        }
        assert_eq!(deltas, DELTAS);
        (started.elapsed(), process_cpu(self.child.id()) - cpu)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system, every thread) of process `pid` so far.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Duration::from_secs_f64(ticks as f64 / per_second)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn bench() {
    let mock = MockProvider::start().await;
    let (collector, received) = start_collector().await;
    let provider = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    let traced_config = format!(
        "{provider}\n[otel]\nshutdown_timeout_ms = 1000\n\
         trace_exporter = {{ otlp-http = {{ endpoint = \"{collector}\" }} }}\n"
    );
    let mut untraced = Server::start(provider.clone()).await;
    let mut traced = Server::start(traced_config).await;
    let cwd = tempfile::tempdir().unwrap();
    // Warm-up turn on each, then alternate.
    for server in [&mut untraced, &mut traced] {
        mock.push(Script::numbered_text(DELTAS));
        server.turn(cwd.path()).await;
    }
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        mock.push(Script::numbered_text(DELTAS));
        off.push(untraced.turn(cwd.path()).await);
        mock.push(Script::numbered_text(DELTAS));
        on.push(traced.turn(cwd.path()).await);
    }
    // The batch exporter sends every 5 s; wait for it so the collector has seen the spans.
    let deadline = Instant::now() + Duration::from_secs(15);
    while received.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exported = received.load(Ordering::Relaxed);
    assert!(exported > 0, "the traced server exported nothing");
    let report = |name: &str, rounds: &[(Duration, Duration)]| {
        let wall = median(rounds.iter().map(|(wall, _)| *wall).collect());
        // CPU time comes in 10 ms ticks: the mean over the rounds resolves it better.
        let cpu = rounds.iter().map(|(_, cpu)| *cpu).sum::<Duration>() / rounds.len() as u32;
        println!(
            "  {name:<16} {:8.1} ms wall, {:8.1} ms server CPU per turn (mean) ({:.0} deltas/s)",
            wall.as_secs_f64() * 1e3,
            cpu.as_secs_f64() * 1e3,
            DELTAS as f64 / wall.as_secs_f64()
        );
        (wall, cpu)
    };
    println!("{DELTAS}-delta turn, median of {ROUNDS}, spans exported to a loopback OTLP/HTTP collector:");
    let (off_wall, off_cpu) = report("tracing off", &off);
    let (on_wall, on_cpu) = report("tracing on", &on);
    println!(
        "  on / off: wall {:.2}, CPU {:.2}; {exported} bytes of spans exported",
        on_wall.as_secs_f64() / off_wall.as_secs_f64(),
        on_cpu.as_secs_f64() / off_cpu.as_secs_f64().max(1e-9)
    );
}

fn main() {
    if std::env::var_os(CHILD_ROLE).is_some() {
        child_server();
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects a quick run.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("turn_tracing: run with `cargo bench` to measure");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(bench());
}
