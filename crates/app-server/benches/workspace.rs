#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The workspace methods against plain tools, in the same run, over a real websocket on
//! 127.0.0.1:
//!
//! - `fuzzyFileSearch` over a generated git repository of 100,000 files (with a `.gitignore`):
//!   the one-shot request (time to the full response), and a session (`sessionStart` +
//!   `sessionUpdate`: time to the first `sessionUpdated` with a match, and to
//!   `sessionCompleted`), next to `git ls-files | grep -F` (index only) and
//!   `git ls-files -co --exclude-standard | grep -F` (which walks the tree too).
//! - `fs/readFile` of a 100 MB file, decoded by the client, next to `cat` of it into a pipe.
//!
//! Run with `cargo bench -p codex-app-server --bench workspace`.

use std::path::Path;
use std::process::Command;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use base64::Engine as _;
use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::ListenAddress;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const FILES: usize = 100_000;
const READ_BYTES: usize = 100_000_000;
const ROUNDS: usize = 5;
const QUERY: &str = "needle_target";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn generate_repo(dir: &Path) {
    assert!(Command::new("git").args(["init", "-q"]).arg(dir).status().unwrap().success());
    std::fs::write(dir.join(".gitignore"), "ignored/\n*.log\n").unwrap();
    for index in 0..FILES {
        let sub = dir.join(format!("pkg{:03}/sub{:02}", index / 1000, (index / 100) % 10));
        if index % 100 == 0 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(sub.join(format!("module_{index:06}.rs")), "").unwrap();
    }
    for extra in ["deep/a/b/c/needle_target.rs", "ignored/needle_target.rs", "x/needle_target.log"]
    {
        let path = dir.join(extra);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
    let added = Command::new("git").arg("-C").arg(dir).args(["add", "-A"]).status().unwrap();
    assert!(added.success());
}

fn shell_round(dir: &Path, pipeline: &str) -> (Duration, usize) {
    let started = Instant::now();
    let output = Command::new("sh").arg("-c").arg(pipeline).current_dir(dir).output().unwrap();
    let elapsed = started.elapsed();
    let lines = String::from_utf8_lossy(&output.stdout).lines().count();
    (elapsed, lines)
}

fn cat_round(path: &Path) -> Duration {
    use std::io::Read;
    let started = Instant::now();
    let mut child = Command::new("cat").arg(path).stdout(Stdio::piped()).spawn().unwrap();
    let mut bytes = Vec::with_capacity(READ_BYTES);
    child.stdout.take().unwrap().read_to_end(&mut bytes).unwrap();
    child.wait().unwrap();
    assert_eq!(bytes.len(), READ_BYTES);
    started.elapsed()
}

struct Client {
    socket: Socket,
    next_id: i64,
}

impl Client {
    async fn connect(address: &str) -> Self {
        // A 100 MB file is a 133 MB response: lift the client's 64 MiB default.
        let mut config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default();
        config.max_message_size = None;
        config.max_frame_size = None;
        let url = format!("ws://{address}/");
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(url, Some(config), false).await.unwrap();
        let mut client = Self { socket, next_id: 0 };
        client
            .call(
                "initialize",
                json!({"clientInfo": {"name": "bench", "version": "1"},
                       "capabilities": {"experimentalApi": true}}),
            )
            .await;
        client
            .socket
            .send(Message::text(json!({"method": "initialized"}).to_string()))
            .await
            .unwrap();
        client
    }

    async fn next(&mut self) -> Value {
        loop {
            let frame = self.socket.next().await.unwrap().unwrap();
            if let Message::Text(text) = frame {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    async fn send(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let request = json!({"id": self.next_id, "method": method, "params": params});
        self.socket.send(Message::text(request.to_string())).await.unwrap();
        self.next_id
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params).await;
        loop {
            let message = self.next().await;
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
        }
    }
}

/// The one-shot search: time to the full response.
async fn search_round(client: &mut Client, root: &str) -> Duration {
    let started = Instant::now();
    let result = client.call("fuzzyFileSearch", json!({"query": QUERY, "roots": [root]})).await;
    let elapsed = started.elapsed();
    assert_eq!(result["files"][0]["path"], "deep/a/b/c/needle_target.rs", "{result}");
    elapsed
}

/// A session from `sessionStart`: time to the first match, and to `sessionCompleted`.
async fn session_round(client: &mut Client, root: &str, round: usize) -> (Duration, Duration) {
    let session = format!("bench-{round}");
    let started = Instant::now();
    client
        .call("fuzzyFileSearch/sessionStart", json!({"sessionId": session, "roots": [root]}))
        .await;
    client
        .call("fuzzyFileSearch/sessionUpdate", json!({"sessionId": session, "query": QUERY}))
        .await;
    let mut first = None;
    loop {
        let message = client.next().await;
        match message["method"].as_str() {
            Some("fuzzyFileSearch/sessionUpdated")
                if first.is_none()
                    && !message["params"]["files"].as_array().unwrap().is_empty() =>
            {
                first = Some(started.elapsed());
            }
            Some("fuzzyFileSearch/sessionCompleted") if first.is_some() => break,
            _ => {}
        }
    }
    let full = started.elapsed();
    client.call("fuzzyFileSearch/sessionStop", json!({"sessionId": session})).await;
    (first.unwrap(), full)
}

/// `fs/readFile` of the big file: request to decoded bytes.
async fn read_round(client: &mut Client, path: &Path) -> Duration {
    let started = Instant::now();
    let result = client.call("fs/readFile", json!({"path": path})).await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(result["dataBase64"].as_str().unwrap())
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(bytes.len(), READ_BYTES);
    elapsed
}

fn median(mut rounds: Vec<Duration>) -> Duration {
    rounds.sort();
    rounds[rounds.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects a quick run.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("workspace: run with `cargo bench` to measure");
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let setup = Instant::now();
    generate_repo(repo.path());
    println!("generated {FILES} files in {:.1} s", setup.elapsed().as_secs_f64());
    let big = tempfile::NamedTempFile::new().unwrap();
    let content: Vec<u8> = (0..READ_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(big.path(), &content).unwrap();
    drop(content);

    let home = tempfile::tempdir().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let mut options = ServeOptions::new(
        ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
        home.path().to_path_buf(),
    );
    options.on_listening = Some(Arc::new(move |address: &str| {
        let _ = tx.lock().unwrap().send(address.to_owned());
    }));
    let shutdown = CancellationToken::new();
    let server = {
        let shutdown = shutdown.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(serve(options, shutdown)).unwrap();
        })
    };
    let address = rx.recv().unwrap().trim_start_matches("ws://").to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let root = repo.path().to_str().unwrap().to_owned();

    let mut tracked = Vec::new();
    let mut walked = Vec::new();
    let mut one_shot = Vec::new();
    let mut first = Vec::new();
    let mut full = Vec::new();
    let mut read = Vec::new();
    let mut cat = Vec::new();
    runtime.block_on(async {
        let mut client = Client::connect(&address).await;
        // Warm the page cache and the server once.
        search_round(&mut client, &root).await;
        for round in 0..ROUNDS {
            let (time, lines) =
                shell_round(repo.path(), &format!("git ls-files | grep -F {QUERY}"));
            assert_eq!(lines, 1);
            tracked.push(time);
            let pipeline = format!("git ls-files -co --exclude-standard | grep -F {QUERY}");
            walked.push(shell_round(repo.path(), &pipeline).0);
            one_shot.push(search_round(&mut client, &root).await);
            let (to_first, to_full) = session_round(&mut client, &root, round).await;
            first.push(to_first);
            full.push(to_full);
        }
        read_round(&mut client, big.path()).await;
        for _ in 0..ROUNDS {
            cat.push(cat_round(big.path()));
            read.push(read_round(&mut client, big.path()).await);
        }
    });
    shutdown.cancel();
    server.join().unwrap();

    let tracked = median(tracked);
    println!("fuzzy file search, {FILES} files, query {QUERY:?}, median of {ROUNDS}:");
    println!("  git ls-files | grep -F                          {:8.1} ms", ms(tracked));
    println!("  git ls-files -co --exclude-standard | grep -F   {:8.1} ms", ms(median(walked)));
    for (name, rounds) in [
        ("fuzzyFileSearch (full response)", one_shot),
        ("session: first match", first),
        ("session: sessionCompleted", full),
    ] {
        let time = median(rounds);
        println!(
            "  {name:<47} {:8.1} ms  ({:.1}x git ls-files | grep)",
            ms(time),
            ms(time) / ms(tracked)
        );
    }
    let cat = median(cat);
    let read = median(read);
    let mb = READ_BYTES as f64 / 1e6;
    println!("read of a {mb:.0} MB file, median of {ROUNDS}:");
    println!(
        "  cat into a pipe                     {:8.1} ms  {:8.1} MB/s",
        ms(cat),
        mb / cat.as_secs_f64()
    );
    println!(
        "  fs/readFile (websocket, decoded)    {:8.1} ms  {:8.1} MB/s  ({:.1}x cat)",
        ms(read),
        mb / read.as_secs_f64(),
        ms(read) / ms(cat)
    );
}
