//! Shared harness of the tools and thread-state tests: an in-process server on `ws://127.0.0.1:0` with a temp
//! CODEX_HOME and `MockProvider` as the model, plus helpers to run turns that call tools.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeError;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::ListenAddress;
use codex_test_support::MockProvider;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// A running in-process server.
pub struct Server {
    pub address: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Server {
    pub async fn start(home: &Path) -> Self {
        let (sender, receiver) = tokio::sync::oneshot::channel::<String>();
        let sender = Arc::new(Mutex::new(Some(sender)));
        let mut options = ServeOptions::new(
            ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
            home.into(),
        );
        options.on_listening = Some(Arc::new(move |address: &str| {
            if let Some(sender) = sender.lock().unwrap().take() {
                let _ = sender.send(address.to_owned());
            }
        }));
        options.drain_timeout = Duration::from_secs(5);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(options, shutdown.clone()));
        let address = receiver.await.unwrap().trim_start_matches("ws://").to_owned();
        Server { address, shutdown, task }
    }

    pub async fn client(&self) -> TestClient {
        let mut client = TestClient::connect_ws(&self.address).await.unwrap();
        client.initialize("tools-test", false).await.unwrap();
        client
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

pub fn write_config(home: &Path, mock: &MockProvider) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

pub async fn setup() -> (tempfile::TempDir, MockProvider, Server) {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock);
    let server = Server::start(home.path()).await;
    (home, mock, server)
}

/// A scratch directory outside `/tmp` (which workspace-write may leave writable).
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

pub async fn start_thread(client: &mut TestClient, cwd: &Path) -> String {
    let result = client.call("thread/start", json!({"cwd": cwd})).await.unwrap();
    let id = result["thread"]["id"].as_str().unwrap().to_owned();
    client.wait_for_notification("thread/started").await.unwrap();
    id
}

pub fn danger() -> Value {
    json!({"type": "dangerFullAccess"})
}

/// Starts a turn with an explicit approval policy and sandbox policy.
pub async fn start_turn(
    client: &mut TestClient,
    thread_id: &str,
    approval: &str,
    sandbox: Value,
) -> String {
    let result = client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}],
                   "approvalPolicy": approval, "sandboxPolicy": sandbox}),
        )
        .await
        .unwrap();
    result["turn"]["id"].as_str().unwrap().to_owned()
}

/// Every message up to and including the `thread/status/changed` to idle that ends a turn.
pub async fn turn_messages(client: &mut TestClient) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = client.next_message(Duration::from_secs(30)).await.unwrap();
        let done = message["method"] == "thread/status/changed"
            && message["params"]["status"]["type"] == "idle";
        seen.push(message);
        if done {
            return seen;
        }
    }
}

/// Messages until a server request with `method` arrives; returns (messages before, request).
pub async fn until_request(client: &mut TestClient, method: &str) -> (Vec<Value>, Value) {
    let mut seen = Vec::new();
    loop {
        let message = client.next_message(Duration::from_secs(30)).await.unwrap();
        if message["method"] == method && message.get("id").is_some() {
            return (seen, message);
        }
        seen.push(message);
    }
}

pub fn completed_turn(messages: &[Value]) -> Value {
    messages.iter().find(|m| m["method"] == "turn/completed").expect("turn/completed")["params"]
        ["turn"]
        .clone()
}

pub fn methods(messages: &[Value]) -> Vec<String> {
    messages.iter().map(|m| m["method"].as_str().unwrap_or("").to_owned()).collect()
}

/// Completed items of `kind` among `messages`.
pub fn completed_items(messages: &[Value], kind: &str) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["method"] == "item/completed" && m["params"]["item"]["type"] == kind)
        .map(|m| m["params"]["item"].clone())
        .collect()
}

/// The function-call output for `call_id` in the model request bodies, if any.
pub fn call_output(mock: &MockProvider, call_id: &str) -> Option<String> {
    for request in mock.model_requests() {
        let Some(input) = request.body["input"].as_array() else { continue };
        for item in input {
            if item["type"] == "function_call_output" && item["call_id"] == call_id {
                return Some(item["output"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    None
}

/// Whether the kernel sandbox works; prints `SKIPPED <name>: <why>` when it does not.
pub fn sandbox_usable(name: &str) -> bool {
    let support = codex_sandbox::SandboxSupport::get();
    if support.landlock_available() && support.seccomp_filter {
        return true;
    }
    eprintln!("SKIPPED {name}: kernel sandbox unavailable: {}", support.message);
    false
}

/// Messages until a server request with `method` or the end of the turn; the request if any.
pub async fn request_or_idle(
    client: &mut codex_test_support::TestClient,
    method: &str,
) -> (Vec<Value>, Option<Value>) {
    let mut seen = Vec::new();
    loop {
        let message = client.next_message(Duration::from_secs(30)).await.unwrap();
        if message["method"] == method && message.get("id").is_some() {
            return (seen, Some(message));
        }
        let idle = message["method"] == "thread/status/changed"
            && message["params"]["status"]["type"] == "idle";
        seen.push(message);
        if idle {
            return (seen, None);
        }
    }
}
