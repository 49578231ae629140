//! The remote-control client against a relay stub that answers the way the reference relay does
//! (`/work/shared/reference-notes/server.md` §2): enrollment and refresh answers carry
//! `expires_at` as an RFC 3339 string, pings name a client stream, and every server envelope,
//! pongs included, carries `client_id`, `stream_id` and `seq_id`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::ws::Message;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::routing::post;
use axum::Json;
use axum::Router;
use codex_app_server_transport::remote_control::run_remote_control;
use codex_app_server_transport::remote_control::unix_now;
use codex_app_server_transport::remote_control::RelayUrl;
use codex_app_server_transport::remote_control::RemoteControlOptions;
use codex_app_server_transport::remote_control::RemoteControlUpdate;
use codex_app_server_transport::remote_control::ServerIdentity;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::JsonRpcMessage;
use codex_app_server_transport::TransportEvent;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);

/// What the stub saw and the channels to its one server socket.
#[derive(Clone)]
struct Stub {
    /// Seconds from now the first token expires (short, so a refresh follows).
    first_expiry: i64,
    /// `expires_at` values handed out, as numbers, in order.
    issued: Arc<Mutex<Vec<i64>>>,
    /// `(authorization header, body)` of each refresh.
    refreshes: Arc<Mutex<Vec<(String, Value)>>>,
    /// Frames the server wrote on the socket.
    from_server: mpsc::UnboundedSender<Value>,
    /// Frames to write to the server; taken by the first socket.
    to_server: Arc<Mutex<Option<mpsc::UnboundedReceiver<String>>>>,
}

fn rfc3339(seconds: i64, fraction: bool) -> String {
    let timestamp = jiff::Timestamp::from_second(seconds).unwrap();
    if fraction {
        // The offset and fractional form the reference may also send.
        format!("{}", timestamp.strftime("%Y-%m-%dT%H:%M:%S.250000+00:00"))
    } else {
        timestamp.to_string()
    }
}

async fn enroll(State(stub): State<Stub>, Json(identity): Json<Value>) -> impl IntoResponse {
    assert_eq!(identity["installation_id"], "inst-ref");
    let expires_at = unix_now() + stub.first_expiry;
    stub.issued.lock().unwrap().push(expires_at);
    Json(json!({
        "server_id": "srv_ref",
        "environment_id": "env_ref",
        "remote_control_token": "tok-1",
        "expires_at": rfc3339(expires_at, false),
    }))
}

async fn refresh(
    State(stub): State<Stub>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    let authorization =
        headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    stub.refreshes.lock().unwrap().push((authorization, body));
    let expires_at = unix_now() + 3600;
    stub.issued.lock().unwrap().push(expires_at);
    Json(json!({
        "server_id": "srv_ref",
        "environment_id": "env_ref",
        "remote_control_token": "tok-2",
        "expires_at": rfc3339(expires_at, true),
    }))
}

async fn server_socket(State(stub): State<Stub>, upgrade: WebSocketUpgrade) -> impl IntoResponse {
    upgrade.on_upgrade(move |socket| async move {
        let Some(mut to_server) = stub.to_server.lock().unwrap().take() else { return };
        let (mut sink, mut stream) = socket.split();
        loop {
            tokio::select! {
                frame = to_server.recv() => match frame {
                    Some(text) => {
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                frame = stream.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let _ = stub.from_server.send(serde_json::from_str(text.as_str()).unwrap());
                    }
                    Some(Ok(_)) => {}
                    _ => return,
                },
            }
        }
    })
}

async fn next_update(
    updates: &mut mpsc::UnboundedReceiver<RemoteControlUpdate>,
) -> RemoteControlUpdate {
    loop {
        let update = tokio::time::timeout(WAIT, updates.recv()).await.unwrap().unwrap();
        match update {
            RemoteControlUpdate::Connecting => continue,
            RemoteControlUpdate::Errored(why) => panic!("remote control failed: {why}"),
            other => return other,
        }
    }
}

async fn next_frame(frames: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(WAIT, frames.recv()).await.unwrap().unwrap()
}

fn keys(envelope: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = envelope.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn enrolls_refreshes_and_answers_pings_with_a_reference_speaking_relay() {
    let (from_server, mut frames) = mpsc::unbounded_channel();
    let (to_server, to_server_rx) = mpsc::unbounded_channel::<String>();
    let stub = Stub {
        first_expiry: 3,
        issued: Arc::default(),
        refreshes: Arc::default(),
        from_server,
        to_server: Arc::new(Mutex::new(Some(to_server_rx))),
    };
    let router = Router::new()
        .route("/wham/remote/control/server/enroll", post(enroll))
        .route("/wham/remote/control/server/refresh", post(refresh))
        .route("/wham/remote/control/server", get(server_socket))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let identity = ServerIdentity {
        name: "host".into(),
        os: "linux".into(),
        arch: "x86_64".into(),
        app_server_version: "0".into(),
        installation_id: "inst-ref".into(),
    };
    let options = RemoteControlOptions::new(RelayUrl::parse(&base).unwrap(), identity);
    let (events_tx, mut events) = mpsc::channel(16);
    let (updates_tx, mut updates) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let link = tokio::spawn(run_remote_control(options, events_tx, updates_tx, cancel.clone()));

    // Enrollment succeeds with the RFC 3339 expiry, then the socket comes up.
    let RemoteControlUpdate::Enrolled(enrollment) = next_update(&mut updates).await else {
        panic!("expected an enrollment")
    };
    assert_eq!(enrollment.server_id, "srv_ref");
    assert_eq!(enrollment.expires_at, stub.issued.lock().unwrap()[0]);
    assert_eq!(next_update(&mut updates).await, RemoteControlUpdate::Connected);

    // A ping about a stream the server does not know: pong `unknown`, in the reference shape.
    to_server.send(json!({"type":"ping","client_id":"c9","stream_id":"s9"}).to_string()).unwrap();
    let pong = next_frame(&mut frames).await;
    assert_eq!(keys(&pong), ["client_id", "seq_id", "status", "stream_id", "type"], "{pong}");
    assert_eq!(pong["type"], "pong");
    assert_eq!((pong["client_id"].as_str(), pong["stream_id"].as_str()), (Some("c9"), Some("s9")));
    assert_eq!(pong["status"], "unknown");
    let first_pong_seq = pong["seq_id"].as_u64().expect("numeric seq_id");

    // A client opens stream c1/s1 and gets an answer; a ping about it is `active`, numbered
    // after the answer.
    let initialize = json!({
        "type": "client_message", "client_id": "c1", "stream_id": "s1", "seq_id": 1,
        "message": {"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "r", "version": "1"}}},
    });
    to_server.send(initialize.to_string()).unwrap();
    let opened = tokio::time::timeout(WAIT, events.recv()).await.unwrap().unwrap();
    let TransportEvent::ConnectionOpened { writer, .. } = opened else {
        panic!("expected the stream to open, got {opened:?}")
    };
    let Some(TransportEvent::MessageReceived { .. }) = events.recv().await else {
        panic!("expected the initialize request")
    };
    let answer = JsonRpcMessage::parse(br#"{"id":1,"result":{}}"#).unwrap();
    writer.send(answer).await.unwrap();
    let message = next_frame(&mut frames).await;
    assert_eq!(message["type"], "server_message", "{message}");
    let message_seq = message["seq_id"].as_u64().unwrap();
    assert!(message_seq > first_pong_seq);
    to_server.send(json!({"type":"ping","client_id":"c1","stream_id":"s1"}).to_string()).unwrap();
    let pong = next_frame(&mut frames).await;
    assert_eq!(keys(&pong), ["client_id", "seq_id", "status", "stream_id", "type"], "{pong}");
    assert_eq!(pong["status"], "active");
    assert!(pong["seq_id"].as_u64().unwrap() > message_seq, "{pong}");

    // Before the short-lived token expires the server refreshes it with the first token; the
    // refresh answer's `expires_at` (with an offset and a fraction) is read too.
    let RemoteControlUpdate::Enrolled(renewed) = next_update(&mut updates).await else {
        panic!("expected a refreshed enrollment")
    };
    assert_eq!(renewed.remote_control_token, "tok-2");
    assert_eq!(renewed.expires_at, stub.issued.lock().unwrap()[1]);
    let refreshes = stub.refreshes.lock().unwrap().clone();
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].0, "Bearer tok-1");
    assert_eq!(refreshes[0].1, json!({"server_id": "srv_ref", "installation_id": "inst-ref"}));

    cancel.cancel();
    link.await.unwrap();
}
