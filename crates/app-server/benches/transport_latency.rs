//! Transport benchmark (`cargo bench -p codex-app-server --bench transport_latency`).
//!
//! 1. Round-trip latency (p50/p99) of a trivial request (`account/read` on an initialized
//!    connection) over stdio (a child process: this binary re-run as a real stdio server), the
//!    Unix control socket and a TCP websocket, each next to a minimal tokio echo server over the
//!    same transport measured in the same run, with the ratio server/echo.
//! 2. Notification fan-out: the processor's `broadcast` of a real `configWarning` notification to
//!    1, 10 and 100 initialized websocket connections over real sockets, in windows (the next
//!    window is sent once every client received the previous one, so nobody is disconnected for
//!    falling behind); reported as deliveries per second.
//! 3. Idle connection memory: the real server (`serve`, websocket on 127.0.0.1:0) runs in a child
//!    process (this binary re-run) so the clients' memory is not counted; this process opens N
//!    websocket connections to it and initializes each; the server's VmRSS growth divided by N is
//!    the cost of one idle, initialized connection.
//!
//! Rows 1 (tcp websocket), 2 and 3 are measured twice in the same run: with the default
//! [`TransportConfig`] and with the websocket buffer sizes of the baseline (tungstenite's
//! defaults, 128 KiB read / 128 KiB write) passed explicitly, so a memory saving that cost
//! throughput would show.
//!
//! With `CODEX_REFERENCE_BIN=/path/to/codex` (the reference's binary), row 3 is also measured
//! against `$CODEX_REFERENCE_BIN app-server --listen ws://127.0.0.1:0` in the same run.
//!
//! Environment: `BENCH_ROUND_TRIPS` (default 3000) round trips per transport;
//! `BENCH_IDLE_CONNECTIONS` (default 2000) connections for the memory rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use codex_app_server::processor::HandlerResult;
use codex_app_server::processor::MessageProcessor;
use codex_app_server::processor::ProcessorOptions;
use codex_app_server::processor::RequestContext;
use codex_app_server::processor::RequestHandler;
use codex_app_server::processor::ServerShared;
use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_protocol::v2::ConfigWarningNotification;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::ConnectionId;
use codex_app_server_transport::ListenAddress;
use codex_app_server_transport::TransportConfig;
use codex_app_server_transport::WebsocketOptions;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const CHILD_ROLE: &str = "TRANSPORT_LATENCY_CHILD";
const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"clientInfo":{"name":"bench","version":"1"}}}"#;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    match std::env::var(CHILD_ROLE).as_deref() {
        Ok("stdio-server") => runtime.block_on(child_stdio_server()),
        Ok("stdio-echo") => runtime.block_on(child_stdio_echo()),
        Ok("idle-ws-server") => runtime.block_on(child_idle_ws_server()),
        _ => runtime.block_on(bench()),
    }
}

async fn bench() {
    let round_trips: usize =
        std::env::var("BENCH_ROUND_TRIPS").ok().and_then(|n| n.parse().ok()).unwrap_or(3000);
    println!("transport_latency: {round_trips} sequential round trips per row (after 300 warm-up)");
    println!("{:<36} {:>10} {:>10} {:>10}", "transport / peer", "p50 µs", "p99 µs", "mean µs");

    let server = stats(stdio_round_trips("stdio-server", round_trips).await);
    let echo = stats(stdio_round_trips("stdio-echo", round_trips).await);
    report("stdio", &server, &echo);

    let home = tempfile::tempdir().unwrap();
    let socket = home.path().join("bench.sock");
    let (address, shutdown) = start_server(ListenAddress::UnixSocket(socket), home.path()).await;
    let path = address.trim_start_matches("unix://").to_owned();
    let server = stats(ws_round_trips(unix_ws(&path).await, round_trips).await);
    shutdown.cancel();
    let echo_path = home.path().join("echo.sock");
    let echo_listener = tokio::net::UnixListener::bind(&echo_path).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = echo_listener.accept().await {
            tokio::spawn(ws_echo(stream));
        }
    });
    let echo = stats(ws_round_trips(unix_ws(echo_path.to_str().unwrap()).await, round_trips).await);
    report("unix socket (websocket)", &server, &echo);

    let mut tcp_rows = Vec::new();
    for (label, config) in configs() {
        let listen = ListenAddress::Websocket("127.0.0.1:0".parse().unwrap());
        let (address, shutdown) = start_server_with(listen, home.path(), config).await;
        let url = format!("{address}/");
        let (socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        tcp_rows.push((label, stats(ws_round_trips(socket, round_trips).await)));
        shutdown.cancel();
    }
    let echo_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let echo_url = format!("ws://{}/", echo_listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = echo_listener.accept().await {
            stream.set_nodelay(true).unwrap();
            tokio::spawn(ws_echo(stream));
        }
    });
    let (socket, _) = tokio_tungstenite::connect_async(&echo_url).await.unwrap();
    let echo = stats(ws_round_trips(socket, round_trips).await);
    for (label, server) in &tcp_rows {
        report(&format!("tcp websocket [{label}]"), server, &echo);
    }

    println!();
    println!("fan-out: processor broadcast of configWarning to N websocket clients");
    println!(
        "{:<10} {:<14} {:>14} {:>18} {:>14}",
        "config", "connections", "notifications", "deliveries/s", "elapsed ms"
    );
    for (connections, notifications) in [(1, 20_000), (10, 10_000), (100, 2_000)] {
        let mut rates = Vec::new();
        for (label, config) in configs() {
            rates.push(fan_out(label, config, connections, notifications).await);
        }
        println!("{:<10} {:<14} {:>14} {:>18.2}", "ratio", connections, "", rates[0] / rates[1]);
    }

    println!();
    let connections: usize =
        std::env::var("BENCH_IDLE_CONNECTIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    println!(
        "idle memory: server VmRSS growth for {connections} initialized idle websocket connections"
    );
    println!("{:<10} {:>14} {:>18}", "config", "growth KiB", "per connection B");
    let mut per_connection = Vec::new();
    for (label, config) in configs() {
        let bytes = idle_memory(&config, connections).await;
        println!("{:<10} {:>14.0} {:>18.0}", label, bytes * connections as f64 / 1024.0, bytes);
        per_connection.push(bytes);
    }
    println!("{:<10} {:>14} {:>18.3}", "ratio", "", per_connection[0] / per_connection[1]);
    if let Some(binary) = std::env::var_os("CODEX_REFERENCE_BIN") {
        let bytes = reference_idle_memory(Path::new(&binary), connections).await;
        println!(
            "{:<10} {:>14.0} {:>18.0}",
            "reference",
            bytes * connections as f64 / 1024.0,
            bytes
        );
        println!("{:<10} {:>14} {:>18.3}", "ours/ref", "", per_connection[0] / bytes);
    }
}

/// The configurations compared in the same run: today's defaults and the baseline's websocket
/// buffer sizes (tungstenite's defaults) passed explicitly.
fn configs() -> [(&'static str, TransportConfig); 2] {
    let baseline = TransportConfig {
        websocket_read_buffer_bytes: 128 * 1024,
        websocket_write_buffer_bytes: 128 * 1024,
        ..TransportConfig::default()
    };
    [("default", TransportConfig::default()), ("128k-bufs", baseline)]
}

// ----- latency -----

/// Percentiles of one row, in microseconds.
struct Stats {
    p50: f64,
    p99: f64,
    mean: f64,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = samples.iter().map(|d| micros(*d)).sum::<f64>() / samples.len() as f64;
    Stats { p50: micros(at(0.50)), p99: micros(at(0.99)), mean }
}

fn report(transport: &str, server: &Stats, echo: &Stats) {
    println!(
        "{:<36} {:>10.1} {:>10.1} {:>10.1}",
        format!("{transport} / app-server"),
        server.p50,
        server.p99,
        server.mean
    );
    println!(
        "{:<36} {:>10.1} {:>10.1} {:>10.1}",
        format!("{transport} / echo"),
        echo.p50,
        echo.p99,
        echo.mean
    );
    println!(
        "{:<36} {:>10.2} {:>10.2} {:>10.2}",
        format!("{transport} ratio"),
        server.p50 / echo.p50,
        server.p99 / echo.p99,
        server.mean / echo.mean
    );
}

fn request_line(id: usize) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"account/read","params":{{}}}}"#)
}

/// Round trips against this binary re-run as `role` over its stdin/stdout.
async fn stdio_round_trips(role: &str, round_trips: usize) -> Vec<Duration> {
    let home = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ROLE, role)
        .env("CODEX_HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    stdin.write_all(format!("{INITIALIZE}\n").as_bytes()).await.unwrap();
    lines.next_line().await.unwrap().unwrap();
    let mut samples = Vec::with_capacity(round_trips);
    for id in 1..=round_trips + 300 {
        let line = format!("{}\n", request_line(id));
        let start = Instant::now();
        stdin.write_all(line.as_bytes()).await.unwrap();
        let reply = lines.next_line().await.unwrap().unwrap();
        let elapsed = start.elapsed();
        debug_assert!(reply.contains(&format!("\"id\":{id}")));
        if id > 300 {
            samples.push(elapsed);
        }
    }
    drop(stdin);
    let _ = child.wait().await;
    samples
}

async fn ws_round_trips<S>(mut socket: S, round_trips: usize) -> Vec<Duration>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
        + Unpin,
{
    socket.send(Message::text(INITIALIZE)).await.unwrap();
    socket.next().await.unwrap().unwrap();
    let mut samples = Vec::with_capacity(round_trips);
    for id in 1..=round_trips + 300 {
        let start = Instant::now();
        socket.send(Message::text(request_line(id))).await.unwrap();
        loop {
            if let Message::Text(_) = socket.next().await.unwrap().unwrap() {
                break;
            }
        }
        if id > 300 {
            samples.push(start.elapsed());
        }
    }
    let _ = socket.close().await;
    samples
}

async fn unix_ws(path: &str) -> tokio_tungstenite::WebSocketStream<tokio::net::UnixStream> {
    let stream = tokio::net::UnixStream::connect(path).await.unwrap();
    let (socket, _) = tokio_tungstenite::client_async("ws://localhost/", stream).await.unwrap();
    socket
}

/// The baseline: a websocket server that sends every text frame straight back.
async fn ws_echo<S: AsyncRead + AsyncWrite + Unpin>(stream: S) {
    let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else { return };
    while let Some(Ok(message)) = socket.next().await {
        if message.is_text() && socket.send(message).await.is_err() {
            return;
        }
    }
}

async fn start_server(listen: ListenAddress, home: &Path) -> (String, CancellationToken) {
    start_server_with(listen, home, TransportConfig::default()).await
}

async fn start_server_with(
    listen: ListenAddress,
    home: &Path,
    config: TransportConfig,
) -> (String, CancellationToken) {
    let mut options = ServeOptions::new(listen, home.to_path_buf());
    options.websocket.config = config;
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    options.on_listening = Some(Arc::new(move |address: &str| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(address.to_owned());
        }
    }));
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(options, shutdown.clone()));
    (rx.await.unwrap(), shutdown)
}

/// Child role: the real server on stdio.
async fn child_stdio_server() {
    let home = std::env::var_os("CODEX_HOME").unwrap();
    let options = ServeOptions::new(ListenAddress::Stdio, home.into());
    serve(options, CancellationToken::new()).await.unwrap();
}

/// Child role: the baseline, a line echo over tokio's stdin/stdout.
async fn child_stdio_echo() {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Ok(Some(mut line)) = lines.next_line().await {
        line.push('\n');
        if stdout.write_all(line.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
            return;
        }
    }
}

// ----- fan-out -----

/// Answers every request with `{}`: the fan-out bench exercises the processor, not handlers.
struct EmptyHandler;

impl RequestHandler for EmptyHandler {
    async fn handle(
        &self,
        _shared: Arc<ServerShared>,
        _context: RequestContext,
        _request: ClientRequest,
    ) -> HandlerResult {
        Ok(Value::Object(Default::default()))
    }

    async fn connection_closed(
        &self,
        _shared: Arc<ServerShared>,
        _connection: ConnectionId,
        _emptied_threads: Vec<(String, u64)>,
    ) {
    }
}

/// Deliveries per second.
async fn fan_out(
    label: &str,
    config: TransportConfig,
    connections: usize,
    notifications: usize,
) -> f64 {
    const WINDOW: usize = 256;
    let home = tempfile::tempdir().unwrap();
    let codex_home = AbsolutePath::new(home.path().to_path_buf()).unwrap();
    let processor =
        Arc::new(MessageProcessor::new(ProcessorOptions::new(codex_home), EmptyHandler));
    let (events_tx, events_rx) = tokio::sync::mpsc::channel(1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(codex_app_server_transport::serve_websocket(
        listener,
        WebsocketOptions { config, ..WebsocketOptions::default() },
        events_tx,
        stop.clone(),
    ));
    {
        let processor = Arc::clone(&processor);
        tokio::spawn(async move { processor.run(events_rx).await });
    }

    let received = Arc::new(AtomicUsize::new(0));
    for _ in 0..connections {
        let (mut socket, _) =
            tokio_tungstenite::connect_async(format!("ws://{address}/")).await.unwrap();
        socket.send(Message::text(INITIALIZE)).await.unwrap();
        socket.next().await.unwrap().unwrap();
        let received = Arc::clone(&received);
        tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                if message.is_text() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let shared = processor.shared();
    while shared.router.len() < connections {
        tokio::task::yield_now().await;
    }
    let notification = ServerNotification::ConfigWarning(ConfigWarningNotification {
        details: Some("fan-out benchmark".to_owned()),
        path: None,
        range: None,
        summary: "a broadcast notification of typical size".to_owned(),
    });
    let start = Instant::now();
    let mut sent = 0;
    while sent < notifications {
        let window = WINDOW.min(notifications - sent);
        for _ in 0..window {
            shared.router.broadcast(&notification).await;
        }
        sent += window;
        while received.load(Ordering::Relaxed) < sent * connections {
            tokio::task::yield_now().await;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(shared.router.len(), connections, "a client was disconnected during the run");
    let deliveries = (notifications * connections) as f64;
    let rate = deliveries / elapsed.as_secs_f64();
    println!(
        "{:<10} {:<14} {:>14} {:>18.0} {:>14.1}",
        label,
        connections,
        notifications,
        rate,
        elapsed.as_secs_f64() * 1e3
    );
    stop.cancel();
    codex_app_server::processor::close_all_connections(&shared);
    rate
}

// ----- idle memory -----

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Raises this process's soft limit of open files to its hard limit (N sockets each side).
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Server VmRSS growth per connection, in bytes, for `connections` idle initialized websocket
/// connections to a child server running with `config`.
async fn idle_memory(config: &TransportConfig, connections: usize) -> f64 {
    raise_fd_limit();
    let home = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ROLE, "idle-ws-server")
        .env("CODEX_HOME", home.path())
        .env("BENCH_WS_READ_BUFFER", config.websocket_read_buffer_bytes.to_string())
        .env("BENCH_WS_WRITE_BUFFER", config.websocket_write_buffer_bytes.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = format!("{}/", lines.next_line().await.unwrap().unwrap());
    let rss = async || {
        stdin.write_all(b"rss\n").await.unwrap();
        lines.next_line().await.unwrap().unwrap().parse::<u64>().unwrap()
    };
    let bytes = growth_per_connection(&url, rss, connections).await;
    let _ = child.kill().await;
    bytes
}

/// The same measurement against the reference's server (`binary app-server --listen ws://…`,
/// address read from its stderr, VmRSS from `/proc/PID/status`).
async fn reference_idle_memory(binary: &Path, connections: usize) -> f64 {
    raise_fd_limit();
    // The reference refuses to put helper binaries under /tmp; a home elsewhere avoids its warning.
    let home = tempfile::tempdir_in(std::env::current_dir().unwrap()).unwrap();
    let mut child = tokio::process::Command::new(binary)
        .args(["app-server", "--listen", "ws://127.0.0.1:0"])
        .env("CODEX_HOME", home.path())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = stderr.next_line().await.unwrap().expect("reference server address");
        if let Some(at) = line.find("ws://") {
            break format!("{}/", line[at..].trim());
        }
    };
    // Keep draining stderr so the reference never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    let pid = child.id().unwrap();
    let rss = async || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    };
    let bytes = growth_per_connection(&url, rss, connections).await;
    let _ = child.kill().await;
    bytes
}

/// Opens `connections` initialized idle websocket connections to `url` (after 20 warm-up ones)
/// and returns the server's RSS growth per connection in bytes, `rss` giving its VmRSS in KiB.
async fn growth_per_connection(
    url: &str,
    mut rss: impl AsyncFnMut() -> u64,
    connections: usize,
) -> f64 {
    // Small client buffers: the clients live in this process and are not measured.
    let client_config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let connect = || async {
        let (mut socket, _) =
            tokio_tungstenite::connect_async_with_config(url, Some(client_config), false)
                .await
                .unwrap();
        socket.send(Message::text(INITIALIZE)).await.unwrap();
        socket.next().await.unwrap().unwrap();
        socket
    };
    // Warm up: the first connections allocate the server's shared structures.
    let mut sockets = Vec::with_capacity(connections + 20);
    for _ in 0..20 {
        sockets.push(connect().await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss().await;
    for chunk in 0..connections.div_ceil(100) {
        let batch = 100.min(connections - chunk * 100);
        let opened = futures::future::join_all((0..batch).map(|_| connect())).await;
        sockets.extend(opened);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss().await;
    drop(sockets);
    after.saturating_sub(before) as f64 * 1024.0 / connections as f64
}

/// Child role: the real server on a websocket, printing its address, then its VmRSS (KiB) for
/// every line read from stdin.
async fn child_idle_ws_server() {
    raise_fd_limit();
    let home = std::env::var_os("CODEX_HOME").unwrap();
    let read: usize = std::env::var("BENCH_WS_READ_BUFFER").unwrap().parse().unwrap();
    let write: usize = std::env::var("BENCH_WS_WRITE_BUFFER").unwrap().parse().unwrap();
    let config = TransportConfig {
        websocket_read_buffer_bytes: read,
        websocket_write_buffer_bytes: write,
        ..TransportConfig::default()
    };
    let listen = ListenAddress::Websocket("127.0.0.1:0".parse().unwrap());
    let (address, _shutdown) = start_server_with(listen, Path::new(&home), config).await;
    let mut stdout = tokio::io::stdout();
    stdout.write_all(format!("{address}\n").as_bytes()).await.unwrap();
    stdout.flush().await.unwrap();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(_)) = lines.next_line().await {
        stdout.write_all(format!("{}\n", vm_rss_kib()).as_bytes()).await.unwrap();
        stdout.flush().await.unwrap();
    }
}

// Figures from one run on the 2-core development machine (release, shared with other builds):
//   stdio            app-server p50 69.5 µs / p99 176.9 µs; echo 40.9 / 90.4; ratio 1.70 / 1.96
//   unix socket (ws) app-server p50 46.8 µs / p99 152.8 µs; echo 24.7 / 52.0; ratio 1.89 / 2.94
//   tcp websocket    app-server p50 61.0 µs / p99 243.0 µs; echo 31.8 / 75.5; ratio 1.92 / 3.22
//   fan-out deliveries/s: 1 conn 27.0k, 10 conns 127k, 100 conns 120k
