//! Graceful drain of the built `codex app-server`: SIGTERM lets a running turn finish (its client
//! sees `turn/completed`) and the process exit 0; a second SIGTERM exits at once, non-zero.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use common::Server;
use serde_json::json;

fn write_config(home: &Path, mock: &MockProvider) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

fn sigterm(server: &Server) {
    let pid = server.child.id().unwrap() as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    let result = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(result, 0);
}

async fn start_slow_turn(server: &mut Server, home: &Path) -> TestClient {
    let url = server.listening_url().await;
    let mut client = TestClient::connect_ws(url.trim().trim_start_matches("ws://")).await.unwrap();
    client.initialize("drain-test", false).await.unwrap();
    let thread = client.call("thread/start", json!({"cwd": home})).await.unwrap();
    let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "count"}]}),
        )
        .await
        .unwrap();
    client.wait_for_notification("item/agentMessage/delta").await.unwrap();
    client
}

#[tokio::test]
async fn sigterm_lets_the_running_turn_finish_then_exits_zero() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock);
    mock.push(Script::slow_text(30, Duration::from_millis(40)));
    let mut server = Server::spawn(home.path(), &["--listen", "ws://127.0.0.1:0"]);
    let mut client = start_slow_turn(&mut server, home.path()).await;

    sigterm(&server);
    let completed = client.wait_for_notification("turn/completed").await.unwrap();
    assert_eq!(completed["turn"]["status"], "completed", "{completed}");
    let expected: String = (0..30).map(|i| format!("{i} ")).collect();
    assert_eq!(completed["turn"]["items"][1]["text"], expected.as_str());
    let (success, stderr) = server.exit().await;
    assert!(success, "server did not exit 0 after draining: {stderr}");
}

/// `codex app-server --listen ws://127.0.0.1:0` with info logs (so the drain is observable).
fn spawn_with_info_logs(home: &Path) -> Server {
    use tokio::io::AsyncBufReadExt;
    let mut child = common::codex(home)
        .env("RUST_LOG", "info")
        .args(["app-server", "--listen", "ws://127.0.0.1:0"])
        .spawn()
        .unwrap();
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
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

#[tokio::test]
async fn a_second_sigterm_exits_at_once_with_failure() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock);
    // Far longer than the test waits: the second signal must cut it short.
    mock.push(Script::slow_text(100_000, Duration::from_millis(50)));
    let mut server = spawn_with_info_logs(home.path());
    let _client = start_slow_turn(&mut server, home.path()).await;

    sigterm(&server);
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !server.stderr.lock().unwrap().contains("signal received: draining") {
        assert!(tokio::time::Instant::now() < deadline, "no drain log line");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sigterm(&server);
    let (success, stderr) = server.exit().await;
    assert!(!success, "a second SIGTERM must not look like a clean exit: {stderr}");
}

#[tokio::test]
async fn while_draining_new_threads_and_turns_are_refused_and_the_running_turn_finishes() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock);
    mock.push(Script::slow_text(60, Duration::from_millis(50)));
    let mut server = Server::spawn(home.path(), &["--listen", "ws://127.0.0.1:0"]);
    let url = server.listening_url().await;
    let mut client = TestClient::connect_ws(url.trim().trim_start_matches("ws://")).await.unwrap();
    client.initialize("drain-test", false).await.unwrap();
    let thread = client.call("thread/start", json!({"cwd": home.path()})).await.unwrap();
    let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
    let turn = json!({"threadId": thread_id, "input": [{"type": "text", "text": "count"}]});
    client.call("turn/start", turn.clone()).await.unwrap();
    client.wait_for_notification("item/agentMessage/delta").await.unwrap();

    sigterm(&server);
    // The signal is handled asynchronously: ask until the server refuses (it must, while the
    // turn still streams for about three seconds).
    let refusal = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match client.request("thread/start", json!({"cwd": home.path()})).await.unwrap() {
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(error) => break error,
            }
        }
    })
    .await
    .expect("thread/start is refused during the drain");
    assert_eq!(refusal["code"], -32600, "{refusal}");
    assert!(refusal["message"].as_str().unwrap().contains("shutting down"), "{refusal}");
    let refused_turn = client.request("turn/start", turn).await.unwrap().unwrap_err();
    assert!(refused_turn["message"].as_str().unwrap().contains("turn/start refused"));

    let completed = client.wait_for_notification("turn/completed").await.unwrap();
    assert_eq!(completed["turn"]["status"], "completed", "{completed}");
    let (success, stderr) = server.exit().await;
    assert!(success, "server did not exit 0 after draining: {stderr}");
    assert_eq!(mock.model_requests().len(), 1, "no refused turn reached the model");
}
