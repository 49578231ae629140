#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cost of end-to-end remote-client authentication, measured in one run through one real relay
//! (`codex-remote-relay` on 127.0.0.1) to two real in-process servers (`serve`, websocket on
//! 127.0.0.1:0, each on its own runtime thread): one with `[remote_control] require_pairing =
//! false`, one with the default (a client paired once before the measurement).
//!
//! 1. Stream set-up: open a client socket at the relay, then (paired server only) `hello`,
//!    `challenge`, `proof`, `accepted`, then `initialize` until its response. Without the proof
//!    the stream starts with `initialize`. Each sample is a new socket; sockets are closed after
//!    each sample.
//! 2. Round trip of `account/read` on an open, initialized stream: plain JSON-RPC versus sealed
//!    frames (an HMAC-SHA256 each way), alternating between the two streams per sample after
//!    100 warm-up round trips each.
//!
//! Run: `cargo bench -p codex-app-server --bench remote_pairing` (`BENCH_STREAMS`, default 200
//! set-ups per row; `BENCH_ROUND_TRIPS`, default 2000). Without `--bench` (as `cargo test
//! --benches` runs it) it does a handful of each, as a smoke test.

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::remote_control::pairing::ClientCredential;
use codex_app_server_transport::remote_control::RemoteClient;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::ListenAddress;
use codex_remote_relay::RelayHandle;
use codex_remote_relay::RelayOptions;
use codex_remote_relay::Store;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(bench());
}

/// Starts a server for `home` on its own thread; returns its websocket address.
async fn start_server(home: &Path, stop: CancellationToken) -> String {
    let mut options = ServeOptions::new(
        ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
        home.to_path_buf(),
    );
    options.remote_control = true;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    options.on_listening = Some(Arc::new(move |address: &str| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(address.trim_start_matches("ws://").to_owned());
        }
    }));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(serve(options, stop)).unwrap();
    });
    tokio::time::timeout(WAIT, rx).await.unwrap().unwrap()
}

async fn enrolled_other_than(relay: &RelayHandle, known: &[String]) -> String {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(id) = relay.servers().keys().find(|id| !known.contains(id)) {
                if relay.server_connections(id) > 0 {
                    return id.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("server never connected to the relay")
}

fn initialize_request() -> Value {
    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"clientInfo": {"name": "bench", "version": "1"}}})
}

/// Waits for the response with `id` (plain or sealed).
async fn response(client: &mut RemoteClient, id: i64, sealed: bool) -> Value {
    loop {
        let message = if sealed { client.recv().await } else { client.recv_raw().await };
        let message = message.unwrap().expect("stream closed");
        if message.get("id") == Some(&json!(id)) {
            return message;
        }
    }
}

/// Opens a stream and initializes it, authenticating with `credential` when given.
async fn set_up(
    relay_ws: &str,
    server_id: &str,
    token: &str,
    credential: Option<&ClientCredential>,
) -> RemoteClient {
    let mut client = RemoteClient::connect(relay_ws, server_id, token).await.unwrap();
    match credential {
        Some(credential) => {
            client.authenticate(credential).await.unwrap();
            client.send(&initialize_request()).await.unwrap();
        }
        None => client.send_raw(&initialize_request()).await.unwrap(),
    }
    let answer = response(&mut client, 0, credential.is_some()).await;
    assert!(answer["result"]["userAgent"].is_string(), "{answer}");
    client
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = samples.iter().map(|d| micros(*d)).sum::<f64>() / samples.len() as f64;
    let p50 = micros(samples[samples.len() / 2]);
    let p90 = micros(samples[(samples.len() * 9 / 10).min(samples.len() - 1)]);
    (p50, p90, mean)
}

async fn bench() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let env = |name: &str, default: usize| -> usize {
        std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
    };
    let (streams, round_trips) =
        if full { (env("BENCH_STREAMS", 200), env("BENCH_ROUND_TRIPS", 2000)) } else { (3, 10) };

    let relay_state = tempfile::tempdir().unwrap();
    let relay = RelayHandle::new(RelayOptions::new(relay_state.path())).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_ws = format!("ws://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    {
        let relay = relay.clone();
        let stop = stop.clone();
        tokio::spawn(async move { relay.serve(listener, stop).await.unwrap() });
    }

    let plain_home = tempfile::tempdir().unwrap();
    let paired_home = tempfile::tempdir().unwrap();
    let url = relay_ws.replace("ws://", "http://");
    std::fs::write(
        plain_home.path().join("config.toml"),
        format!("[remote_control]\nurl = \"{url}\"\nrequire_pairing = false\n"),
    )
    .unwrap();
    std::fs::write(
        paired_home.path().join("config.toml"),
        format!("[remote_control]\nurl = \"{url}\"\n"),
    )
    .unwrap();
    start_server(plain_home.path(), stop.clone()).await;
    let plain_id = enrolled_other_than(&relay, &[]).await;
    let paired_address = start_server(paired_home.path(), stop.clone()).await;
    let paired_id = enrolled_other_than(&relay, std::slice::from_ref(&plain_id)).await;
    let store = Store::new(relay_state.path());
    let plain_token = store.issue_client_token(&plain_id).unwrap();
    let paired_token = store.issue_client_token(&paired_id).unwrap();

    let mut local = TestClient::connect_ws(&paired_address).await.unwrap();
    local.initialize("bench", true).await.unwrap();
    let code = local.call("remoteControl/pairing/start", json!({})).await.unwrap()["pairingCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut pairing = RemoteClient::connect(&relay_ws, &paired_id, &paired_token).await.unwrap();
    let credential = pairing.pair(&code, "bench").await.unwrap();
    pairing.close().await;

    println!("remote_pairing: {streams} stream set-ups and {round_trips} round trips per row");
    println!("{:<44} {:>10} {:>10} {:>10}", "row", "p50 µs", "p90 µs", "mean µs");
    let rows: [(&str, &str, &str, Option<&ClientCredential>); 2] = [
        ("set-up, require_pairing = false", &plain_id, &plain_token, None),
        ("set-up, paired (hello/challenge/proof)", &paired_id, &paired_token, Some(&credential)),
    ];
    // Warm up both, then alternate rows per sample so drift hits both alike.
    for (_, id, token, credential) in &rows {
        for _ in 0..3 {
            set_up(&relay_ws, id, token, *credential).await.close().await;
        }
    }
    let mut samples = [Vec::new(), Vec::new()];
    for _ in 0..streams {
        for (index, (_, id, token, credential)) in rows.iter().enumerate() {
            let started = Instant::now();
            let client = set_up(&relay_ws, id, token, *credential).await;
            samples[index].push(started.elapsed());
            client.close().await;
        }
    }
    let mut medians = Vec::new();
    for ((name, ..), samples) in rows.iter().zip(samples) {
        let (p50, p90, mean) = stats(samples);
        medians.push(p50);
        println!("{name:<44} {p50:>10.1} {p90:>10.1} {mean:>10.1}");
    }
    println!("set-up ratio paired / unpaired (p50): {:.2}x", medians[1] / medians[0]);

    // Round trips, alternating between the two streams per sample.
    let mut clients = Vec::new();
    for (_, id, token, credential) in &rows {
        clients.push((set_up(&relay_ws, id, token, *credential).await, credential.is_some()));
    }
    let mut times = [Vec::with_capacity(round_trips), Vec::with_capacity(round_trips)];
    for n in 0..round_trips + 100 {
        for (index, (client, sealed)) in clients.iter_mut().enumerate() {
            let request_id = n as i64 + 1;
            let request =
                json!({"jsonrpc": "2.0", "id": request_id, "method": "account/read", "params": {}});
            let started = Instant::now();
            if *sealed {
                client.send(&request).await.unwrap();
            } else {
                client.send_raw(&request).await.unwrap();
            }
            response(client, request_id, *sealed).await;
            // The first 100 are warm-up.
            if n >= 100 {
                times[index].push(started.elapsed());
            }
        }
    }
    for (label, times) in ["account/read, plain", "account/read, sealed"].into_iter().zip(times) {
        let (p50, p90, mean) = stats(times);
        println!("{label:<44} {p50:>10.1} {p90:>10.1} {mean:>10.1}");
    }
    for (client, _) in clients {
        client.close().await;
    }
    stop.cancel();
}
