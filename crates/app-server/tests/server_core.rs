//! The server core over real websocket and Unix-socket connections: per-connection sessions,
//! routing of colliding ids, dropping of stray client responses, slow-consumer disconnects,
//! inbound overload and per-connection experimental gating. Every server message is validated
//! against the reference schema by `TestClient`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_protocol::error_codes;
use codex_app_server_transport::ListenAddress;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Which real transport a test runs over.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Websocket,
    Unix,
}

/// A server running in this process on a real listener.
struct Server {
    address: String,
    kind: Kind,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    _home: tempfile::TempDir,
}

impl Server {
    async fn start(kind: Kind, tune: impl FnOnce(&mut ServeOptions)) -> Self {
        let home = tempfile::tempdir().unwrap();
        let listen = match kind {
            Kind::Websocket => ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
            Kind::Unix => ListenAddress::UnixSocket(home.path().join("core.sock")),
        };
        let mut options = ServeOptions::new(listen, home.path().to_path_buf());
        tune(&mut options);
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        let tx = Arc::new(Mutex::new(Some(tx)));
        options.on_listening = Some(Arc::new(move |address: &str| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(address.to_owned());
            }
        }));
        let shutdown = CancellationToken::new();
        let task = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move { serve(options, shutdown).await.unwrap() })
        };
        let address = tokio::time::timeout(Duration::from_secs(20), rx).await.unwrap().unwrap();
        Self { address, kind, shutdown, task, _home: home }
    }

    async fn connect(&self) -> TestClient {
        match self.kind {
            Kind::Websocket => {
                TestClient::connect_ws(self.address.trim_start_matches("ws://")).await.unwrap()
            }
            Kind::Unix => {
                let path = PathBuf::from(self.address.trim_start_matches("unix://"));
                TestClient::connect_unix(&path).await.unwrap()
            }
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(20), self.task).await.unwrap().unwrap();
    }
}

fn error_code(error: &Value) -> i64 {
    error["code"].as_i64().unwrap_or_default()
}

async fn initialize_rules(kind: Kind) {
    let server = Server::start(kind, |_| {}).await;
    let mut first = server.connect().await;
    let early = first.request("account/read", json!({})).await.unwrap().unwrap_err();
    assert_eq!(error_code(&early), error_codes::NOT_INITIALIZED, "{early}");
    assert!(early["message"].as_str().unwrap().contains("account/read"), "{early}");

    let result = first.initialize("first", false).await.unwrap();
    assert!(result["userAgent"].as_str().unwrap().starts_with("codex-app-server/"));
    let again = first
        .request("initialize", json!({"clientInfo": {"name": "first", "version": "1"}}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error_code(&again), error_codes::ALREADY_INITIALIZED, "{again}");
    first.call("account/read", json!({})).await.unwrap();

    // A second connection starts from scratch, whatever the first did.
    let mut second = server.connect().await;
    let early = second.request("account/read", json!({})).await.unwrap().unwrap_err();
    assert_eq!(error_code(&early), error_codes::NOT_INITIALIZED, "{early}");
    second.initialize("second", false).await.unwrap();
    second.call("account/read", json!({})).await.unwrap();
    first.call("account/read", json!({})).await.unwrap();
    assert!(first.validated > 0 && second.validated > 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_rules_are_per_connection_over_websocket() {
    initialize_rules(Kind::Websocket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_rules_are_per_connection_over_unix_socket() {
    initialize_rules(Kind::Unix).await;
}

async fn colliding_ids(kind: Kind) {
    let server = Server::start(kind, |_| {}).await;
    let mut one = server.connect().await;
    let mut two = server.connect().await;
    one.initialize("one", false).await.unwrap();
    two.initialize("two", false).await.unwrap();
    for id in [json!(7), json!("same")] {
        // Same id on both connections, different methods: each answer names its own method.
        one.send_request_with_id(id.clone(), "one/onlyMethod", json!({})).await.unwrap();
        two.send_request_with_id(id.clone(), "two/onlyMethod", json!({})).await.unwrap();
        let from_one = one.response(&id).await.unwrap().unwrap_err();
        let from_two = two.response(&id).await.unwrap().unwrap_err();
        assert_eq!(error_code(&from_one), error_codes::METHOD_NOT_FOUND);
        assert!(from_one["message"].as_str().unwrap().contains("one/onlyMethod"), "{from_one}");
        assert!(from_two["message"].as_str().unwrap().contains("two/onlyMethod"), "{from_two}");
    }
    // Nobody got a second copy.
    assert!(one.is_quiet_for(Duration::from_millis(200)).await);
    assert!(two.is_quiet_for(Duration::from_millis(200)).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colliding_request_ids_on_two_websocket_connections_get_their_own_answers() {
    colliding_ids(Kind::Websocket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colliding_request_ids_on_two_unix_connections_get_their_own_answers() {
    colliding_ids(Kind::Unix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_responses_for_ids_we_never_sent_are_dropped() {
    let server = Server::start(Kind::Websocket, |_| {}).await;
    let mut client = server.connect().await;
    client.initialize("stray", false).await.unwrap();
    client
        .send_json(&json!({"jsonrpc": "2.0", "id": 99, "result": {"decision": "accept"}}))
        .await
        .unwrap();
    client
        .send_json(&json!({"jsonrpc": "2.0", "id": "x", "error": {"code": -1, "message": "no"}}))
        .await
        .unwrap();
    client
        .send_json(&json!({"jsonrpc": "2.0", "error": {"code": -1, "message": "no id"}}))
        .await
        .unwrap();
    assert!(client.is_quiet_for(Duration::from_millis(300)).await, "stray responses were answered");
    client.call("account/read", json!({})).await.unwrap();
    server.stop().await;
}

async fn slow_consumer(kind: Kind) {
    // A small outbound queue so the test needs less data to fill it.
    let server = Server::start(kind, |options| {
        options.websocket.config.outbound_queue_capacity = 8;
    })
    .await;
    let mut reader = server.connect().await;
    reader.initialize("reader", false).await.unwrap();
    let mut stalled = server.connect().await.without_validation();
    stalled.initialize("stalled", false).await.unwrap();

    // The stalled client floods requests whose error responses echo a 256 KiB method name and
    // never reads; the socket buffers fill, then its queue, then the server must cut it off.
    let big_method = format!("flood/{}", "x".repeat(256 * 1024));
    let flood = tokio::spawn(async move {
        let mut sent = 0;
        for _ in 0..400 {
            let sending = stalled.send_request(&big_method, json!({}));
            match tokio::time::timeout(Duration::from_secs(20), sending).await {
                Ok(Ok(_)) => sent += 1,
                _ => break,
            }
        }
        (stalled, sent)
    });

    // Meanwhile the reading client keeps getting every answer.
    let mut answered = 0;
    while !flood.is_finished() && answered < 10_000 {
        reader.call("account/read", json!({})).await.unwrap();
        answered += 1;
    }
    let (mut stalled, sent) = flood.await.unwrap();
    assert!(sent > 0);
    assert!(
        stalled.wait_closed(Duration::from_secs(30)).await,
        "the stalled client was not disconnected (sent {sent} requests)"
    );
    for _ in 0..20 {
        reader.call("account/read", json!({})).await.unwrap();
    }
    assert!(answered > 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_that_stops_reading_is_disconnected_and_others_keep_going() {
    slow_consumer(Kind::Websocket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unix_client_that_stops_reading_is_disconnected_and_others_keep_going() {
    slow_consumer(Kind::Unix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_inbound_queue_gets_server_overloaded_and_the_server_survives() {
    let server = Server::start(Kind::Websocket, |options| options.inbound_queue_capacity = 1).await;
    let mut client = server.connect().await;
    client.initialize("burst", false).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..300 {
        let params =
            json!({"keyPath": "model", "value": format!("m-{n}"), "mergeStrategy": "replace"});
        ids.push(client.send_request("config/value/write", params).await.unwrap());
    }
    let (mut ok, mut overloaded) = (0, 0);
    for id in &ids {
        match client.response(id).await.unwrap() {
            Ok(_) => ok += 1,
            Err(error) => {
                assert_eq!(error_code(&error), error_codes::SERVER_OVERLOADED, "{error}");
                assert!(error["message"].as_str().unwrap().contains("overloaded"));
                overloaded += 1;
            }
        }
    }
    assert_eq!(ok + overloaded, ids.len(), "every request gets exactly one answer");
    assert!(overloaded >= 1, "no request was refused ({ok} succeeded)");
    assert!(ok >= 1, "the queue accepted nothing");
    // Still serving, on this connection and a new one.
    client.call("config/read", json!({})).await.unwrap();
    let mut other = server.connect().await;
    other.initialize("after", false).await.unwrap();
    server.stop().await;
}

async fn experimental_gating(kind: Kind) {
    let server = Server::start(kind, |_| {}).await;
    let mut plain = server.connect().await;
    plain.initialize("plain", false).await.unwrap();
    let mut opted_in = server.connect().await;
    opted_in.initialize("opted-in", true).await.unwrap();

    let refused = plain.request("remoteControl/status/read", json!({})).await.unwrap().unwrap_err();
    assert_eq!(error_code(&refused), error_codes::EXPERIMENTAL_API_REQUIRED, "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("remoteControl/status/read") && message.contains("experimentalApi"));

    // The opted-in connection passes the gate (it may still be unimplemented here).
    match opted_in.request("remoteControl/status/read", json!({})).await.unwrap() {
        Ok(_) => {}
        Err(error) => assert_ne!(error_code(&error), error_codes::EXPERIMENTAL_API_REQUIRED),
    }
    // Opting in on one connection does not open the gate on another.
    let still = plain.request("remoteControl/status/read", json!({})).await.unwrap().unwrap_err();
    assert_eq!(error_code(&still), error_codes::EXPERIMENTAL_API_REQUIRED);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn experimental_methods_are_gated_per_websocket_connection() {
    experimental_gating(Kind::Websocket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn experimental_methods_are_gated_per_unix_connection() {
    experimental_gating(Kind::Unix).await;
}

/// Answers every request with `{}` (for processor-level tests that need no real handlers).
struct EmptyHandler;

impl codex_app_server::processor::RequestHandler for EmptyHandler {
    async fn handle(
        &self,
        _shared: Arc<codex_app_server::processor::ServerShared>,
        _context: codex_app_server::processor::RequestContext,
        _request: codex_app_server_protocol::ClientRequest,
    ) -> codex_app_server::processor::HandlerResult {
        Ok(json!({}))
    }

    async fn connection_closed(
        &self,
        _shared: Arc<codex_app_server::processor::ServerShared>,
        _connection: codex_app_server_transport::ConnectionId,
        _emptied_threads: Vec<(String, u64)>,
    ) {
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_notification_to_connection_and_wait_resolves_only_once_written() {
    use codex_app_server::processor::MessageProcessor;
    use codex_app_server::processor::ProcessorOptions;
    use codex_app_server_protocol::v2::ConfigWarningNotification;
    use codex_app_server_protocol::AbsolutePath;
    use codex_app_server_protocol::ServerNotification;
    use codex_app_server_transport::TransportConfig;
    use codex_app_server_transport::TransportKind;
    use tokio::io::AsyncBufReadExt;
    use tokio::io::AsyncWriteExt;

    let home = tempfile::tempdir().unwrap();
    let options = ProcessorOptions::new(AbsolutePath::new(home.path().to_path_buf()).unwrap());
    let processor = Arc::new(MessageProcessor::new(options, EmptyHandler));
    let (events_tx, events_rx) = tokio::sync::mpsc::channel(16);
    {
        let processor = Arc::clone(&processor);
        tokio::spawn(async move { processor.run(events_rx).await });
    }
    // A 64-byte in-memory pipe: a notification longer than that cannot be fully written until
    // the client reads.
    let (client, server_side) = tokio::io::duplex(64);
    let (server_read, server_write) = tokio::io::split(server_side);
    tokio::spawn(async move {
        let config = TransportConfig::default();
        let cancel = CancellationToken::new();
        codex_app_server_transport::serve_stream_connection(
            server_read,
            server_write,
            TransportKind::UnixSocket,
            events_tx,
            &config,
            cancel,
        )
        .await
    });
    let (client_read, mut client_write) = tokio::io::split(client);
    let mut lines = tokio::io::BufReader::new(client_read).lines();
    client_write
        .write_all(b"{\"id\":1,\"method\":\"initialize\",\"params\":{\"clientInfo\":{\"name\":\"w\",\"version\":\"1\"}}}\n")
        .await
        .unwrap();
    let reply: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert!(reply.get("result").is_some(), "{reply}");

    let shared = processor.shared();
    let connection = shared.router.connection_ids()[0];
    let notification = ServerNotification::ConfigWarning(ConfigWarningNotification {
        details: Some("d".repeat(500)),
        path: None,
        range: None,
        summary: "written before the future resolves".to_owned(),
    });
    let sending = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            shared.router.send_notification_to_connection_and_wait(connection, &notification).await
        })
    };
    // Nothing was read, so the 500-byte line cannot have been written: the send must be pending.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!sending.is_finished(), "resolved before the client could have the bytes");
    let line: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(line["method"], "configWarning");
    codex_test_support::ReferenceSchema::get().validate_server_message(&line, None).unwrap();
    sending.await.unwrap().unwrap();
}
