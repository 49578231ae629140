//! The in-process server and its typed client: the same `initialize` gating as the socket
//! transports, a turn's notification stream arriving typed and in order, the lossless (wait, never
//! disconnect) back-pressure policy, and two clients of one server seeing each other's threads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use codex_app_server::in_process::InProcessClient;
use codex_app_server::in_process::InProcessOptions;
use codex_app_server::in_process::InProcessServer;
use codex_app_server::in_process::ServerEvent;
use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::methods::markers;
use codex_app_server_protocol::v2::ThreadStartParams;
use codex_app_server_protocol::v2::TurnStartParams;
use codex_app_server_protocol::ClientInfo;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::TransportConfig;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn write_config(home: &Path, mock: &MockProvider) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

fn client_info() -> ClientInfo {
    ClientInfo { name: "in-process-test".into(), title: None, version: "1".into() }
}

async fn start(home: &Path, outbound_queue_capacity: usize) -> InProcessServer {
    let mut options = InProcessOptions::new(home.to_path_buf());
    options.transport = TransportConfig { outbound_queue_capacity, ..TransportConfig::default() };
    options.drain_timeout = Duration::from_secs(5);
    InProcessServer::start(options).await.unwrap()
}

fn thread_start(cwd: &Path) -> ThreadStartParams {
    serde_json::from_value(json!({"cwd": cwd})).unwrap()
}

fn turn_start(thread_id: &str, text: &str) -> TurnStartParams {
    serde_json::from_value(
        json!({"threadId": thread_id, "input": [{"type": "text", "text": text}]}),
    )
    .unwrap()
}

/// Notifications up to and including `turn/completed`.
async fn until_turn_completed(client: &mut InProcessClient) -> Vec<ServerNotification> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(WAIT, client.next_event()).await.unwrap().unwrap();
        let ServerEvent::Notification(notification) = event else {
            panic!("unexpected server request {event:?}");
        };
        let done = matches!(notification, ServerNotification::TurnCompleted(_));
        // The kernel-cannot-sandbox warning (kernels without Landlock) is not part of the turn.
        if let ServerNotification::ConfigWarning(warning) = &notification {
            if warning.summary.starts_with(codex_test_support::SANDBOX_UNAVAILABLE_SUMMARY) {
                continue;
            }
        }
        seen.push(notification);
        if done {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_gating_is_the_same_as_on_every_other_transport() {
    let home = tempfile::tempdir().unwrap();
    let server = start(home.path(), 64).await;
    let mut client = server.connect().await.unwrap();

    let early = client.request::<markers::ThreadList>(serde_json::from_value(json!({})).unwrap());
    let err = early.await.unwrap_err();
    assert_eq!(err.rpc_code(), Some(error_codes::NOT_INITIALIZED), "{err}");

    let unknown = client.request_value("thread/teleport", None).await.unwrap_err();
    assert_eq!(unknown.rpc_code(), Some(error_codes::NOT_INITIALIZED), "{unknown}");

    let response = client.initialize(client_info(), None).await.unwrap();
    assert!(response.user_agent.starts_with("codex-app-server/"), "{}", response.user_agent);
    let home_abs = std::path::absolute(home.path()).unwrap();
    assert_eq!(response.codex_home.as_path(), home_abs.as_path());

    let again = client.initialize(client_info(), None).await.unwrap_err();
    assert_eq!(again.rpc_code(), Some(error_codes::ALREADY_INITIALIZED), "{again}");

    let experimental = client.request::<markers::RemoteControlStatusRead>(()).await.unwrap_err();
    assert_eq!(experimental.rpc_code(), Some(error_codes::EXPERIMENTAL_API_REQUIRED));

    let unknown = client.request_value("thread/teleport", None).await.unwrap_err();
    assert_eq!(unknown.rpc_code(), Some(error_codes::METHOD_NOT_FOUND), "{unknown}");
    let bad = client.request_value("thread/archive", Some(json!({"threadId": 5}))).await;
    let bad = bad.unwrap_err();
    assert_eq!(bad.rpc_code(), Some(error_codes::INVALID_PARAMS), "{bad}");
    assert!(bad.to_string().contains("expected a string"), "{bad}");

    // The gate is per connection: a second client starts uninitialized.
    let mut second = server.connect().await.unwrap();
    let err = second.request_value("thread/list", None).await.unwrap_err();
    assert_eq!(err.rpc_code(), Some(error_codes::NOT_INITIALIZED));

    client.close().await;
    second.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_streams_typed_notifications_in_order() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock);
    mock.push(Script::text_deltas(["Hel", "lo"]));
    let server = start(home.path(), 64).await;
    let mut client = server.connect().await.unwrap();
    client.initialize(client_info(), None).await.unwrap();

    let started = client.request::<markers::ThreadStart>(thread_start(home.path())).await.unwrap();
    assert_eq!(started.model, "mock-model");
    let thread_id = started.thread.id.clone();
    let turn =
        client.request::<markers::TurnStart>(turn_start(&thread_id, "hi")).await.unwrap().turn;

    let notifications = until_turn_completed(&mut client).await;
    let methods: Vec<&str> = notifications.iter().map(ServerNotification::method).collect();
    assert_eq!(
        methods,
        [
            "thread/started",
            "thread/status/changed",
            "turn/started",
            "item/started",
            "item/completed",
            "item/started",
            "item/agentMessage/delta",
            "item/agentMessage/delta",
            "item/completed",
            "thread/tokenUsage/updated",
            "thread/readState/changed",
            "turn/completed",
        ]
    );
    let deltas: String = notifications
        .iter()
        .filter_map(|n| match n {
            ServerNotification::AgentMessageDelta(delta) => {
                assert_eq!(delta.turn_id, turn.id);
                Some(delta.delta.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Hello");
    let Some(ServerNotification::TurnCompleted(completed)) = notifications.last() else {
        unreachable!()
    };
    assert_eq!(completed.thread_id, thread_id);
    assert_eq!(serde_json::to_value(&completed.turn.status).unwrap(), json!("completed"));

    // The provider saw the prompt.
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].raw_body.contains("\"hi\""), "{}", requests[0].raw_body);
    client.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_slowly_is_waited_for_not_disconnected() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock);
    mock.push(Script::numbered_text(300));
    // Two messages of room: the turn outruns the client hundreds of times over.
    let server = start(home.path(), 2).await;
    let mut client = server.connect().await.unwrap();
    client.initialize(client_info(), None).await.unwrap();
    let thread_id =
        client.request::<markers::ThreadStart>(thread_start(home.path())).await.unwrap().thread.id;
    client.request::<markers::TurnStart>(turn_start(&thread_id, "count")).await.unwrap();
    // Let the turn fill the queue and wait on us.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let notifications = until_turn_completed(&mut client).await;
    let text: String = notifications
        .iter()
        .filter_map(|n| match n {
            ServerNotification::AgentMessageDelta(delta) => Some(delta.delta.clone()),
            _ => None,
        })
        .collect();
    let expected: String = (0..300).map(|i| format!("{i} ")).collect();
    assert_eq!(text, expected);
    // Still connected and usable.
    let listed = client
        .request::<markers::ThreadList>(serde_json::from_value(json!({})).unwrap())
        .await
        .unwrap();
    assert_eq!(listed.data.len(), 1);
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_client_that_is_still_held() {
    let home = tempfile::tempdir().unwrap();
    let server = start(home.path(), 64).await;
    let mut client = server.connect().await.unwrap();
    client.initialize(client_info(), None).await.unwrap();
    // The processor used to wait for every event sender to go (5 s fallback); the held client
    // keeps one. Four seconds is well under that fallback and far over a real shutdown.
    tokio::time::timeout(Duration::from_secs(4), server.shutdown())
        .await
        .expect("shutdown stops the processor itself");
    let mut next = client.next_event().await;
    // Kernels without Landlock: the connection's sandbox warning may still be queued.
    while let Some(ServerEvent::Notification(ServerNotification::ConfigWarning(warning))) = &next {
        assert!(warning.summary.starts_with(codex_test_support::SANDBOX_UNAVAILABLE_SUMMARY));
        next = client.next_event().await;
    }
    assert!(next.is_none(), "the held client sees its connection end: {next:?}");
}
