#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Engine benchmarks against the real server (in-process, websocket on 127.0.0.1:0):
//!
//! 1. Deltas per second delivered to a websocket client for a 20,000-delta mock stream, next to the
//!    same mock stream read raw by a plain HTTP client in the same run (the ratio is the engine's
//!    overhead: decoding, items, persistence, JSON-RPC framing, websocket).
//! 2. Resident memory (VmRSS of this process) with 1,000 stored threads: after listing them all,
//!    and after loading (resuming) every one of them.
//!
//! Run: `cargo bench -p codex-app-server --bench engine_throughput`. On the 2-core dev box
//! (release): 65,929 deltas/s to the client vs 70,932 raw (ratio 0.93); 1,000 loaded threads
//! add about 6 MiB (5.9 KiB each) over listing them.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server::state::ItemRecord;
use codex_app_server::state::StateDb;
use codex_app_server::state::ThreadRecord;
use codex_app_server::state::TurnRecord;
use codex_app_server_transport::ListenAddress;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const DELTAS: usize = 20_000;
const ROUNDS: usize = 5;
const THREADS: usize = 1_000;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn script() -> Script {
    Script::numbered_text(DELTAS).with_response_id("resp_bench")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn start_server(home: &std::path::Path) -> (String, CancellationToken) {
    let (sender, receiver) = tokio::sync::oneshot::channel::<String>();
    let sender = Arc::new(Mutex::new(Some(sender)));
    let mut options =
        ServeOptions::new(ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()), home.into());
    options.on_listening = Some(Arc::new(move |address: &str| {
        if let Some(sender) = sender.lock().unwrap().take() {
            let _ = sender.send(address.to_owned());
        }
    }));
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(options, shutdown.clone()));
    (receiver.await.unwrap(), shutdown)
}

struct Client {
    socket: Socket,
    next_id: i64,
}

impl Client {
    async fn connect(url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(format!("{url}/")).await.unwrap();
        let mut client = Client { socket, next_id: 0 };
        client.call("initialize", json!({"clientInfo": {"name": "bench", "version": "1"}})).await;
        client
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.socket.send(Message::text(request.to_string())).await.unwrap();
        loop {
            let Some(Ok(Message::Text(text))) = self.socket.next().await else { panic!("closed") };
            let message: Value = serde_json::from_str(text.as_str()).unwrap();
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
        }
    }

    /// Starts a turn and counts delta frames until `turn/completed`.
    async fn run_turn(&mut self, thread_id: &str) -> (Duration, usize) {
        let start = Instant::now();
        self.next_id += 1;
        let request = json!({"jsonrpc": "2.0", "id": self.next_id, "method": "turn/start",
            "params": {"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}});
        self.socket.send(Message::text(request.to_string())).await.unwrap();
        let mut deltas = 0;
        loop {
            let Some(Ok(Message::Text(text))) = self.socket.next().await else { panic!("closed") };
            let text = text.as_str();
            if text.contains("\"item/agentMessage/delta\"") {
                deltas += 1;
            } else if text.contains("\"turn/completed\"") {
                let message: Value = serde_json::from_str(text).unwrap();
                assert_eq!(message["params"]["turn"]["status"], "completed", "{message}");
                return (start.elapsed(), deltas);
            }
        }
    }
}

async fn raw_run(http: &reqwest::Client, url: &str) -> (Duration, usize) {
    let start = Instant::now();
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(r#"{"model":"bench","stream":true}"#)
        .send()
        .await
        .unwrap();
    let mut bytes = 0;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        bytes += chunk.unwrap().len();
    }
    (start.elapsed(), bytes)
}

async fn throughput() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
            mock.provider_toml("mock", WireFormat::Responses)
        ),
    )
    .unwrap();
    let (url, shutdown) = start_server(home.path()).await;
    let mut client = Client::connect(&url).await;
    let thread = client.call("thread/start", json!({"cwd": home.path()})).await;
    let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let raw_url = format!("{}/responses", mock.base_url());

    // Warm-up, then alternate so drift hits both equally.
    mock.push(script());
    mock.push(script());
    let (_, deltas) = client.run_turn(&thread_id).await;
    assert_eq!(deltas, DELTAS);
    raw_run(&http, &raw_url).await;
    let (mut engine, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        // Each turn resends the growing history; start a fresh thread so requests stay equal.
        let thread =
            client.call("thread/start", json!({"cwd": home.path(), "ephemeral": true})).await;
        let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
        mock.push(script());
        let (elapsed, deltas) = client.run_turn(&thread_id).await;
        assert_eq!(deltas, DELTAS);
        engine.push(elapsed);
        mock.push(script());
        raw.push(raw_run(&http, &raw_url).await.0);
    }
    let (engine, raw) = (median(engine), median(raw));
    let per_second = |elapsed: Duration| DELTAS as f64 / elapsed.as_secs_f64();
    println!(
        "deltas to websocket client: {DELTAS} in {:.1} ms median of {ROUNDS} = {:.0} deltas/s",
        engine.as_secs_f64() * 1e3,
        per_second(engine)
    );
    println!(
        "raw mock stream over HTTP:  {DELTAS} in {:.1} ms median of {ROUNDS} = {:.0} deltas/s",
        raw.as_secs_f64() * 1e3,
        per_second(raw)
    );
    println!("ratio (engine / raw throughput): {:.2}", per_second(engine) / per_second(raw));
    shutdown.cancel();
}

async fn memory() {
    let home = tempfile::tempdir().unwrap();
    let db = StateDb::open_in(home.path()).await.unwrap();
    let cwd = home.path().display().to_string();
    for n in 0..THREADS {
        let id = uuid::Uuid::now_v7().to_string();
        db.upsert_thread(&ThreadRecord {
            id: id.clone(),
            created_at: 1_700_000_000 + n as i64,
            updated_at: 1_700_000_000 + n as i64,
            name: None,
            preview: format!("question number {n}"),
            cwd: cwd.clone(),
            model: Some("mock-model".into()),
            model_provider: "openai".into(),
            archived: false,
            forked_from_id: None,
            cli_version: "0.1.0".into(),
            settings: json!({"approvalPolicy": "on-request", "sandbox": {"type": "readOnly"}}),
            source: json!("appServer"),
            parent_thread_id: None,
            attached_to_thread_id: None,
            project_id: None,
        })
        .await
        .unwrap();
        db.upsert_turn(&TurnRecord {
            thread_id: id.clone(),
            id: format!("turn-{n}"),
            seq: 0,
            status: "completed".into(),
            started_at: Some(1_700_000_000),
            completed_at: Some(1_700_000_001),
            duration_ms: Some(1000),
            error: None,
        })
        .await
        .unwrap();
        for (seq, item) in [
            json!({"type": "userMessage", "id": format!("u{n}"), "content": [{"type": "text", "text": format!("question number {n}")}]}),
            json!({"type": "agentMessage", "id": format!("a{n}"), "text": "an answer of a few words, like most answers"}),
        ]
        .into_iter()
        .enumerate()
        {
            let record = ItemRecord {
                turn_id: format!("turn-{n}"),
                id: item["id"].as_str().unwrap().to_owned(),
                seq: seq as i64,
                item,
            };
            db.upsert_item(&id, &record).await.unwrap();
        }
    }
    db.close().await;

    let before = vm_rss_kib();
    let (url, shutdown) = start_server(home.path()).await;
    let mut client = Client::connect(&url).await;
    let started = vm_rss_kib();
    let mut ids = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = client.call("thread/list", json!({"limit": 100, "cursor": cursor})).await;
        ids.extend(
            page["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()),
        );
        cursor = page["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(ids.len(), THREADS);
    let listed = vm_rss_kib();
    for id in &ids {
        client.call("thread/resume", json!({"threadId": id})).await;
    }
    let loaded = client.call("thread/loaded/list", json!({})).await;
    assert_eq!(loaded["data"].as_array().unwrap().len(), THREADS);
    let resumed = vm_rss_kib();
    println!("VmRSS before server: {before} KiB");
    println!(
        "VmRSS server started + client connected: {started} KiB (+{} KiB)",
        started.saturating_sub(before)
    );
    println!(
        "VmRSS after listing {THREADS} stored threads: {listed} KiB (+{} KiB)",
        listed.saturating_sub(before)
    );
    println!(
        "VmRSS after loading all {THREADS} threads: {resumed} KiB (+{} KiB, {:.1} KiB per loaded thread)",
        resumed.saturating_sub(before),
        resumed.saturating_sub(listed) as f64 / THREADS as f64
    );
    shutdown.cancel();
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        memory().await;
        throughput().await;
    });
}
