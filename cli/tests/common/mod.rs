//! Helpers shared by the `codex app-server` integration tests: spawning the
//! built binary, waiting for its listening line, and websocket round trips.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use futures::SinkExt;
use futures::StreamExt;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::io::BufReader;
use tokio::process::Child;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Generous bound for anything a test waits on.
pub const WAIT: Duration = Duration::from_secs(30);

/// `codex` with CODEX_HOME set and every stdio piped.
pub fn codex(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_codex"));
    command
        .env("CODEX_HOME", home)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// A running `codex app-server` whose stderr is collected in the background.
pub struct Server {
    pub child: Child,
    pub stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Spawns `codex app-server ARGS` and collects stderr.
    pub fn spawn(home: &Path, args: &[&str]) -> Self {
        Self::spawn_codex(home, &[&["app-server"], args].concat())
    }

    /// Spawns `codex ARGS` (any subcommand) and collects stderr.
    pub fn spawn_codex(home: &Path, args: &[&str]) -> Self {
        let mut child = codex(home).args(args).spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = stderr.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Server { child, stderr }
    }

    /// Waits for the "listening on" line and returns the URL after it.
    pub async fn listening_url(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(url) = self
                .stderr
                .lock()
                .unwrap()
                .lines()
                .find_map(|line| line.split("listening on ").nth(1).map(str::to_owned))
            {
                return url;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                panic!("server exited with {status}: {}", self.stderr.lock().unwrap());
            }
            assert!(tokio::time::Instant::now() < deadline, "server never listened");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the process to exit and returns (success, stderr).
    pub async fn exit(mut self) -> (bool, String) {
        let status = tokio::time::timeout(WAIT, self.child.wait()).await.unwrap().unwrap();
        // Let the stderr reader drain.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stderr = self.stderr.lock().unwrap().clone();
        (status.success(), stderr)
    }

    /// Sends SIGTERM.
    pub async fn terminate(&self) {
        let pid = self.child.id().unwrap().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
        assert!(status.success());
    }
}

/// Sends a text frame.
pub async fn send_text<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>, text: &str) {
    ws.send(Message::Text(text.into())).await.unwrap();
}

/// The next JSON line a stdio server (or `app-server proxy`) writes, skipping the
/// kernel-cannot-sandbox warning that kernels without Landlock add.
pub async fn next_stdout_json(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> Value {
    loop {
        let line = tokio::time::timeout(WAIT, lines.next_line()).await.unwrap().unwrap().unwrap();
        let message: Value = serde_json::from_str(&line).unwrap();
        if !codex_test_support::is_sandbox_unavailable_warning(&message) {
            return message;
        }
    }
}

/// The next text frame as JSON (control frames skipped).
pub async fn next_json<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        match frame {
            Message::Text(text) => {
                let message: Value = serde_json::from_str(text.as_str()).unwrap();
                if !codex_test_support::is_sandbox_unavailable_warning(&message) {
                    return message;
                }
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Exercises initialize, an unknown method, garbage, a binary frame, ping and close.
pub async fn exercise_websocket<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    codex_home: &Path,
) {
    send_text(ws, r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"}}}"#).await;
    let reply = next_json(ws).await;
    assert_eq!(reply["id"], 1, "{reply}");
    assert!(reply["result"]["userAgent"].as_str().unwrap().starts_with("codex-app-server/"));
    assert_eq!(reply["result"]["codexHome"], codex_home.display().to_string());

    send_text(ws, "this is not json").await;
    let reply = next_json(ws).await;
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    assert!(reply["id"].is_null());

    send_text(ws, r#"{"id":"x"}"#).await;
    assert_eq!(next_json(ws).await["error"]["code"], -32600);

    ws.send(Message::Binary(vec![0xff, 0x00, 0x01].into())).await.unwrap();
    let reply = next_json(ws).await;
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    assert_eq!(reply["error"]["message"], "Invalid request: only text frames are accepted");

    ws.send(Message::Ping(b"hello".to_vec().into())).await.unwrap();
    let pong = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(pong, Message::Pong(b"hello".to_vec().into()));

    // The connection survived all of that.
    send_text(ws, r#"{"id":2,"method":"nope/unknown"}"#).await;
    let reply = next_json(ws).await;
    assert_eq!(reply["id"], 2);
    assert_eq!(reply["error"]["code"], -32601);
    assert_eq!(reply["error"]["message"], "Method not found: nope/unknown");

    ws.close(None).await.unwrap();
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
            None | Some(Err(_)) => break,
            Some(Ok(Message::Close(_))) => continue,
            Some(Ok(other)) => panic!("unexpected frame after close: {other:?}"),
        }
    }
}
