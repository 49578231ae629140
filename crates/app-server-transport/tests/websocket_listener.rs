//! The TCP websocket listener on a real loopback socket (and the Unix control
//! socket): readiness, frame size limits and the close codes that report them,
//! and the outbound queue's back-pressure signals.
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
    // The client sees the connection end with 1009 (message too big), not a hang.
    match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1009),
        other => panic!("expected a close frame, got {other:?}"),
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
async fn messages_many_times_the_read_buffer_arrive_whole() {
    // The default read buffer is small (idle connections are cheap); a frame larger than it
    // is still read whole, and so is a burst of frames sent back to back.
    let config = TransportConfig::default();
    let read_buffer = config.websocket_read_buffer_bytes;
    let mut running = start(config).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/", running.address)).await.unwrap();
    assert!(matches!(
        next_event(&mut running.events).await,
        TransportEvent::ConnectionOpened { .. }
    ));
    let pad = "a".repeat(read_buffer * 40 + 17);
    for id in 0..3 {
        let text = json!({"id": id, "method": "big", "params": {"pad": pad}}).to_string();
        ws.feed(Message::Text(text.into())).await.unwrap();
    }
    ws.flush().await.unwrap();
    for id in 0..3 {
        let TransportEvent::MessageReceived { message, .. } = next_event(&mut running.events).await
        else {
            panic!("expected MessageReceived")
        };
        let value = serde_json::to_value(&message).unwrap();
        assert_eq!(value["id"], id);
        assert_eq!(value["params"]["pad"].as_str().unwrap().len(), pad.len());
    }
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

/// Writes an HTTP upgrade on `stream` and reads the response head; panics unless it is 101.
async fn raw_upgrade<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(stream: &mut S) {
    let request = "GET /rpc HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "closed during the handshake");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
}

/// A masked client frame with FIN set, `opcode` and `payload`, as raw bytes.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x11u8, 0x22, 0x33, 0x44];
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n <= 0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ mask[i % 4]));
    frame
}

/// Reads server frames until a close frame and returns its code (`None`: the socket ended).
async fn close_code<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<u16> {
    tokio::time::timeout(WAIT, async {
        loop {
            let mut head = [0u8; 2];
            stream.read_exact(&mut head).await.ok()?;
            let mut length = u64::from(head[1] & 0x7f);
            if length == 126 {
                let mut extended = [0u8; 2];
                stream.read_exact(&mut extended).await.ok()?;
                length = u64::from(u16::from_be_bytes(extended));
            } else if length == 127 {
                let mut extended = [0u8; 8];
                stream.read_exact(&mut extended).await.ok()?;
                length = u64::from_be_bytes(extended);
            }
            let mut payload = vec![0u8; length as usize];
            stream.read_exact(&mut payload).await.ok()?;
            if head[0] & 0x0f == 0x8 {
                assert!(payload.len() >= 2, "close frame without a code");
                return Some(u16::from_be_bytes([payload[0], payload[1]]));
            }
        }
    })
    .await
    .expect("no close frame in time")
}

/// Invalid UTF-8 gets 1007 and an oversized message 1009, on `connect()`'s fresh sockets.
async fn assert_close_codes<S, F, Fut>(connect: F)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    let mut stream = connect().await;
    raw_upgrade(&mut stream).await;
    // "{\"a\":\"" then a lone continuation byte and an overlong encoding.
    stream.write_all(&client_frame(0x1, b"{\"a\":\"\x80\xc0\xaf\"}")).await.unwrap();
    assert_eq!(close_code(&mut stream).await, Some(1007), "invalid UTF-8");

    let mut stream = connect().await;
    raw_upgrade(&mut stream).await;
    let big = format!(r#"{{"method":"x","params":{{"pad":"{}"}}}}"#, "a".repeat(4096));
    stream.write_all(&client_frame(0x1, big.as_bytes())).await.unwrap();
    assert_eq!(close_code(&mut stream).await, Some(1009), "oversized message");

    // A client that closes gets 1000 back.
    let mut stream = connect().await;
    raw_upgrade(&mut stream).await;
    stream.write_all(&client_frame(0x8, &1000u16.to_be_bytes())).await.unwrap();
    assert_eq!(close_code(&mut stream).await, Some(1000), "normal close");
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007_and_oversized_messages_with_1009() {
    let config =
        TransportConfig { max_websocket_message_bytes: 1024, ..TransportConfig::default() };
    let running = start(config).await;
    let address = running.address.clone();
    assert_close_codes(|| {
        let address = address.clone();
        async move { TcpStream::connect(address).await.unwrap() }
    })
    .await;
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_control_socket_closes_with_the_same_codes() {
    use codex_app_server_transport::prepare_control_socket;
    use codex_app_server_transport::serve_control_socket;
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("ctl/app.sock");
    let bound = prepare_control_socket(&path, &home.path().join("ctl/startup.lock"))
        .await
        .unwrap()
        .release_startup_lock();
    let config =
        TransportConfig { max_websocket_message_bytes: 1024, ..TransportConfig::default() };
    let options = WebsocketOptions { config, ..WebsocketOptions::default() };
    let (events_tx, _events) = mpsc::channel(64);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve_control_socket(bound, options, events_tx, shutdown.clone()));
    assert_close_codes(|| {
        let path = path.clone();
        async move { tokio::net::UnixStream::connect(path).await.unwrap() }
    })
    .await;
    shutdown.cancel();
    task.await.unwrap().unwrap();
}

async fn start_with(options: WebsocketOptions) -> Running {
    let listener =
        bind_websocket("127.0.0.1:0".parse().unwrap(), &WebsocketAuth::None).await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (events_tx, events) = mpsc::channel(256);
    let shutdown = CancellationToken::new();
    let task =
        tokio::spawn(serve_websocket(listener, options.clone(), events_tx, shutdown.clone()));
    Running { address, options, events, shutdown, task }
}

/// Reads until the server closes `stream` (EOF or reset); how long that took, or `None` when it
/// stayed open for `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = tokio::time::Instant::now();
    tokio::time::timeout(within, async {
        let mut buffer = [0u8; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// A TCP connection that sent the first line of an upgrade and stalls.
async fn stalled(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(b"GET /rpc HTTP/1.1\r\nHost: localhost\r\n").await.unwrap();
    stream
}

#[tokio::test]
async fn stalled_and_trickling_handshakes_are_closed_by_the_total_deadline() {
    let timeout = Duration::from_millis(400);
    let options = WebsocketOptions { handshake_timeout: timeout, ..WebsocketOptions::default() };
    let mut running = start_with(options).await;

    // A partial upgrade that stalls.
    let mut stall = stalled(&running.address).await;
    // One header line every 100 ms: each line comes well within the deadline, the whole
    // request never does.
    let mut trickle = TcpStream::connect(&running.address).await.unwrap();
    let trickler = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        trickle.write_all(b"GET /rpc HTTP/1.1\r\n").await.unwrap();
        for line in 0..200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let header = format!("X-Slow-{line}: {}\r\n", "a".repeat(10));
            if trickle.write_all(header.as_bytes()).await.is_err() {
                break;
            }
            // A closed socket may still take writes: look for the close too.
            let mut byte = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_millis(1), trickle.read(&mut byte));
            if let Ok(Ok(0) | Err(_)) = read.await {
                break;
            }
        }
        started.elapsed()
    });
    // A well-behaved client upgrades and stays connected past the deadline.
    let url = format!("ws://{}/", running.address);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();

    let took = closed_within(&mut stall, WAIT).await.expect("the stalled handshake stayed open");
    assert!(took >= timeout - Duration::from_millis(50), "closed after {took:?}");
    let took = trickler.await.unwrap();
    assert!(
        took >= timeout && took < Duration::from_secs(5),
        "the trickling handshake was closed after {took:?}"
    );

    tokio::time::sleep(timeout * 2).await;
    ws.send(Message::Text(r#"{"method":"still/here"}"#.into())).await.unwrap();
    loop {
        match next_event(&mut running.events).await {
            TransportEvent::MessageReceived { .. } => break,
            TransportEvent::ConnectionClosed { .. } => panic!("the upgraded client was closed"),
            TransportEvent::ConnectionOpened { .. } => {}
        }
    }
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn pending_handshakes_are_capped_and_a_good_client_still_connects() {
    let options = WebsocketOptions {
        max_pending_handshakes: 4,
        handshake_timeout: Duration::from_secs(60),
        ..WebsocketOptions::default()
    };
    let mut running = start_with(options).await;
    let mut stallers = Vec::new();
    for _ in 0..4 {
        stallers.push(stalled(&running.address).await);
        // Let the server accept it before the next one (accepts are in order anyway).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Four pending: nobody is closed.
    for staller in &mut stallers {
        assert_eq!(closed_within(staller, Duration::from_millis(200)).await, None);
    }
    // A fifth closes the oldest at once (not after the 60 s deadline).
    stallers.push(stalled(&running.address).await);
    assert!(closed_within(&mut stallers[0], Duration::from_secs(5)).await.is_some());
    for staller in &mut stallers[1..] {
        assert_eq!(closed_within(staller, Duration::from_millis(100)).await, None);
    }
    // A well-behaved client connects while the cap is full of stalled sockets.
    let url = format!("ws://{}/", running.address);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    ws.send(Message::Text(r#"{"method":"hello"}"#.into())).await.unwrap();
    loop {
        if let TransportEvent::MessageReceived { .. } = next_event(&mut running.events).await {
            break;
        }
    }
    // It took the place of the next oldest staller; once upgraded it frees its slot, so
    // the three newest stallers are still pending.
    assert!(closed_within(&mut stallers[1], Duration::from_secs(5)).await.is_some());
    for staller in &mut stallers[2..] {
        assert_eq!(closed_within(staller, Duration::from_millis(100)).await, None);
    }
    let mut another = stalled(&running.address).await;
    assert_eq!(closed_within(&mut another, Duration::from_millis(200)).await, None);
    for staller in &mut stallers[2..] {
        assert_eq!(closed_within(staller, Duration::from_millis(50)).await, None);
    }
    // Pending handshakes do not hold up a shutdown.
    running.shutdown.cancel();
    drop(ws);
    tokio::time::timeout(Duration::from_secs(5), running.task)
        .await
        .expect("shutdown waited for the stalled handshakes")
        .unwrap()
        .unwrap();
    assert!(closed_within(&mut another, Duration::from_secs(1)).await.is_some());
}

#[tokio::test]
async fn upgraded_sockets_that_never_initialize_are_closed_after_the_idle_deadline() {
    let timeout = Duration::from_millis(500);
    let config = TransportConfig { initialize_timeout: timeout, ..TransportConfig::default() };
    let mut running = start_with(WebsocketOptions { config, ..WebsocketOptions::default() }).await;
    let url = format!("ws://{}/", running.address);

    // Upgraded, then only notifications and pings: closed with 1008 after the deadline.
    let (mut idle, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let started = tokio::time::Instant::now();
    idle.send(Message::Text(r#"{"method":"initialized"}"#.into())).await.unwrap();
    idle.send(Message::Ping(vec![1].into())).await.unwrap();
    // A client that initializes stays.
    let (mut good, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let initialize =
        r#"{"id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"}}}"#;
    good.send(Message::Text(initialize.into())).await.unwrap();

    let code = tokio::time::timeout(WAIT, async {
        loop {
            match idle.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|frame| u16::from(frame.code)),
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(code, Some(1008));
    assert!(started.elapsed() >= timeout - Duration::from_millis(50));

    tokio::time::sleep(timeout).await;
    good.send(Message::Text(r#"{"method":"still/here"}"#.into())).await.unwrap();
    let mut seen = 0;
    while seen < 2 {
        if let TransportEvent::MessageReceived { message, .. } =
            next_event(&mut running.events).await
        {
            let text = message.to_json_string();
            if text.contains("initialize\"") || text.contains("still/here") {
                seen += 1;
            }
        }
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(100), good.next()).await.is_err(),
        "the initialized client was closed"
    );
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
}
