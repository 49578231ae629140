//! The TCP websocket listener on a real loopback socket: readiness, frame
//! size limits, and the outbound queue's back-pressure signals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codex_app_server_protocol::JsonRpcNotification;
use codex_app_server_transport::bind_websocket;
use codex_app_server_transport::serve_websocket;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::TransportConfig;
use codex_app_server_transport::TransportError;
use codex_app_server_transport::TransportEvent;
use codex_app_server_transport::WebsocketAuth;
use codex_app_server_transport::WebsocketOptions;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(30);

struct Running {
    address: String,
    options: WebsocketOptions,
    events: mpsc::Receiver<TransportEvent>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), TransportError>>,
}

async fn start(config: TransportConfig) -> Running {
    let options = WebsocketOptions { config, ..WebsocketOptions::default() };
    let listener =
        bind_websocket("127.0.0.1:0".parse().unwrap(), &WebsocketAuth::None).await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (events_tx, events) = mpsc::channel(64);
    let shutdown = CancellationToken::new();
    let task =
        tokio::spawn(serve_websocket(listener, options.clone(), events_tx, shutdown.clone()));
    Running { address, options, events, shutdown, task }
}

async fn next_event(events: &mut mpsc::Receiver<TransportEvent>) -> TransportEvent {
    tokio::time::timeout(WAIT, events.recv()).await.unwrap().unwrap()
}

async fn http_status(address: &str, path: &str) -> u16 {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn readyz_follows_the_readiness_flag() {
    let running = start(TransportConfig::default()).await;
    assert_eq!(http_status(&running.address, "/healthz").await, 200);
    assert_eq!(http_status(&running.address, "/readyz").await, 503);
    running.options.readiness.set_ready();
    assert_eq!(http_status(&running.address, "/readyz").await, 200);
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn oversized_frame_closes_only_that_connection() {
    let config =
        TransportConfig { max_websocket_message_bytes: 1024, ..TransportConfig::default() };
    let mut running = start(config).await;
    let url = format!("ws://{}/", running.address);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert!(matches!(
        next_event(&mut running.events).await,
        TransportEvent::ConnectionOpened { .. }
    ));
    let big = format!(r#"{{"method":"x","params":{{"pad":"{}"}}}}"#, "a".repeat(4096));
    ws.send(Message::Text(big.into())).await.unwrap();
    assert!(matches!(
        next_event(&mut running.events).await,
        TransportEvent::ConnectionClosed { .. }
    ));
    // The client sees the connection end, not a hang.
    match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => {}
        Some(Ok(other)) => panic!("unexpected frame {other:?}"),
    }
    // The listener still serves new clients.
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert!(matches!(
        next_event(&mut running.events).await,
        TransportEvent::ConnectionOpened { .. }
    ));
    ws.send(Message::Text(r#"{"method":"small"}"#.into())).await.unwrap();
    assert!(matches!(
        next_event(&mut running.events).await,
        TransportEvent::MessageReceived { .. }
    ));
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn full_queue_of_a_client_that_does_not_read_is_reported() {
    let config = TransportConfig { outbound_queue_capacity: 4, ..TransportConfig::default() };
    let mut running = start(config).await;
    let url = format!("ws://{}/", running.address);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let TransportEvent::ConnectionOpened { writer, cancel, .. } =
        next_event(&mut running.events).await
    else {
        panic!("expected ConnectionOpened")
    };
    // A written message is acknowledged once on the socket.
    let note = JsonRpcNotification::new("big", Some(json!({"pad": "b".repeat(64 * 1024)})));
    writer.send_and_wait(note.clone().into()).await.unwrap();
    let first = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(first, Message::Text(_)));

    // The client stops reading: socket buffers fill, then the queue does.
    let mut full = false;
    for _ in 0..10_000 {
        match writer.try_send(note.clone().into()) {
            Ok(()) => tokio::task::yield_now().await,
            Err(TransportError::OutboundQueueFull { .. }) => {
                full = true;
                break;
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert!(full, "queue never filled");
    cancel.cancel();
    loop {
        if let TransportEvent::ConnectionClosed { .. } = next_event(&mut running.events).await {
            break;
        }
    }
    let err = writer.try_send(note.into()).unwrap_err();
    assert!(matches!(err, TransportError::ConnectionClosed { .. }), "{err}");
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
    drop(ws);
}
