//! The remote-control link against a hostile relay on 127.0.0.1: however many streams or
//! chunked messages the relay opens, the server keeps at most `MAX_REMOTE_STREAMS` remote
//! connections and `MAX_OPEN_ASSEMBLIES` messages under reassembly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codex_app_server_transport::remote_control::run_remote_control;
use codex_app_server_transport::remote_control::unix_now;
use codex_app_server_transport::remote_control::Enrollment;
use codex_app_server_transport::remote_control::RelayUrl;
use codex_app_server_transport::remote_control::RemoteControlOptions;
use codex_app_server_transport::remote_control::ServerIdentity;
use codex_app_server_transport::remote_control::MAX_OPEN_ASSEMBLIES;
use codex_app_server_transport::remote_control::MAX_REMOTE_STREAMS;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::TransportEvent;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A link to a fake relay, the relay's end of the server socket, and the link's events.
struct Hostile {
    socket: Socket,
    events: mpsc::Receiver<TransportEvent>,
    cancel: CancellationToken,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Hostile {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = RelayUrl::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let identity = ServerIdentity {
            name: "victim".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            app_server_version: "0".into(),
            installation_id: "installation".into(),
        };
        let mut options = RemoteControlOptions::new(url, identity);
        options.enrollment = Some(Enrollment {
            server_id: "srv".into(),
            environment_id: "env".into(),
            remote_control_token: "token".into(),
            expires_at: unix_now() + 3600,
        });
        // Large enough that the link never waits on the test to read its events.
        let (events_tx, events) = mpsc::channel(100_000);
        let (updates, _) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        tokio::spawn(run_remote_control(options, events_tx, updates, cancel.clone()));
        let (stream, _) = tokio::time::timeout(WAIT, listener.accept()).await.unwrap().unwrap();
        let socket = tokio_tungstenite::accept_async(stream).await.unwrap();
        Self { socket, events, cancel }
    }

    async fn send(&mut self, envelope: Value) {
        self.socket.send(Message::text(envelope.to_string())).await.unwrap();
    }

    /// Pings and waits for the pong: every envelope sent before has been handled.
    async fn sync(&mut self) {
        self.send(json!({"type": "ping"})).await;
        tokio::time::timeout(WAIT, async {
            loop {
                let frame = self.socket.next().await.expect("link closed").unwrap();
                if let Message::Text(text) = frame {
                    let envelope: Value = serde_json::from_str(text.as_str()).unwrap();
                    if envelope["type"] == "pong" {
                        return;
                    }
                }
            }
        })
        .await
        .expect("no pong");
    }

    /// Connections opened and messages delivered so far.
    fn counts(&mut self) -> (usize, usize) {
        let (mut opened, mut messages) = (0, 0);
        while let Ok(event) = self.events.try_recv() {
            match event {
                TransportEvent::ConnectionOpened { .. } => opened += 1,
                TransportEvent::MessageReceived { .. } => messages += 1,
                TransportEvent::ConnectionClosed { .. } => {}
            }
        }
        (opened, messages)
    }
}

#[tokio::test]
async fn a_relay_cannot_open_unbounded_remote_connections() {
    let mut relay = Hostile::start().await;
    for n in 0..MAX_REMOTE_STREAMS + 100 {
        relay
            .send(json!({
                "type": "client_message",
                "client_id": "c",
                "stream_id": format!("s{n}"),
                "message": {"jsonrpc": "2.0", "method": "initialized"},
            }))
            .await;
    }
    relay.sync().await;
    let (opened, messages) = relay.counts();
    assert_eq!(opened, MAX_REMOTE_STREAMS, "remote connections opened");
    assert_eq!(messages, MAX_REMOTE_STREAMS);
}

#[tokio::test]
async fn a_relay_cannot_keep_unbounded_chunked_messages_open() {
    let mut relay = Hostile::start().await;
    let whole = json!({"jsonrpc": "2.0", "method": "initialized"}).to_string();
    let split = whole.len().div_ceil(2);
    let pieces = [&whole.as_bytes()[..split], &whole.as_bytes()[split..]];
    let encode = |bytes: &[u8]| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let streams = MAX_OPEN_ASSEMBLIES + 12;
    // The first half of a message on many streams, then the second halves.
    for (segment_id, piece) in pieces.iter().enumerate() {
        for n in 0..streams {
            relay
                .send(json!({
                    "type": "client_message_chunk",
                    "client_id": "c",
                    "stream_id": format!("s{n}"),
                    "segment_id": segment_id,
                    "segment_count": 2,
                    "message_size_bytes": whole.len(),
                    "message_chunk_base64": encode(piece),
                }))
                .await;
        }
    }
    relay.sync().await;
    let (_, messages) = relay.counts();
    assert_eq!(messages, MAX_OPEN_ASSEMBLIES, "messages reassembled while others were open");
}
