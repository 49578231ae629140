//! `codex app-server --listen ws://…` driven through the built binary,
//! including authentication attacks from the client side.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use jsonwebtoken::EncodingKey;
use jsonwebtoken::Header;
use serde_json::json;
use sha2::Digest;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::MaybeTlsStream;

use tokio_tungstenite::WebSocketStream;

use common::exercise_websocket;
use common::Server;

const SECRET: &str = "correct-horse-battery-staple-0123456789";

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects with extra headers; `Err(status)` when the handshake was refused.
async fn connect(url: &str, headers: &[(&str, &str)]) -> Result<Client, u16> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(axum_free_header_name(name), value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("unexpected handshake error: {other}"),
    }
}

fn axum_free_header_name(name: &str) -> tokio_tungstenite::tungstenite::http::HeaderName {
    name.parse().unwrap()
}

/// A raw HTTP/1.1 GET; returns the status code.
async fn http_get(address: &str, path: &str) -> u16 {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split(' ').nth(1).unwrap().parse().unwrap()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn jwt(algorithm: Algorithm, claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn unsigned_jwt(claims: serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

#[tokio::test]
async fn websocket_round_trip_health_and_origin() {
    let home = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(home.path(), &["--listen", "ws://127.0.0.1:0"]);
    let url = server.listening_url().await;
    let address = url.trim_start_matches("ws://").to_owned();

    assert_eq!(http_get(&address, "/healthz").await, 200);
    assert_eq!(http_get(&address, "/readyz").await, 200);

    let mut ws = connect(&url, &[]).await.unwrap();
    exercise_websocket(&mut ws, home.path()).await;

    // A browser page (any Origin header) is refused before the upgrade.
    assert_eq!(connect(&url, &[("origin", "http://evil.example")]).await.err(), Some(403));
    assert_eq!(connect(&url, &[("origin", "null")]).await.err(), Some(403));

    // Several clients at once, and the server outlived the earlier ones.
    let mut a = connect(&url, &[]).await.unwrap();
    let mut b = connect(&format!("{url}/rpc"), &[]).await.unwrap();
    common::send_text(
        &mut a,
        r#"{"id":"a","method":"initialize","params":{"clientInfo":{"name":"a","version":"1"}}}"#,
    )
    .await;
    common::send_text(
        &mut b,
        r#"{"id":"b","method":"initialize","params":{"clientInfo":{"name":"b","version":"1"}}}"#,
    )
    .await;
    assert_eq!(common::next_json(&mut b).await["id"], "b");
    assert_eq!(common::next_json(&mut a).await["id"], "a");

    server.terminate().await;
    let (_, stderr) = server.exit().await;
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn non_loopback_bind_without_auth_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let server = Server::spawn(home.path(), &["--listen", "ws://0.0.0.0:0"]);
    let (success, stderr) = server.exit().await;
    assert!(!success);
    assert!(stderr.contains("without websocket authentication"), "{stderr}");
    assert!(stderr.contains("--ws-auth"), "{stderr}");
}

#[tokio::test]
async fn capability_token_is_required_and_checked() {
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    std::fs::write(&token_file, "  let-me-in-please \n").unwrap();
    let token_file = token_file.display().to_string();
    let mut server = Server::spawn(
        home.path(),
        &[
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-auth",
            "capability-token",
            "--ws-token-file",
            &token_file,
        ],
    );
    let url = server.listening_url().await;

    let refused: [&[(&str, &str)]; 6] = [
        &[],
        &[("authorization", "Bearer let-me-in-pleasE")],
        &[("authorization", "Bearer ")],
        &[("authorization", "let-me-in-please")],
        &[("authorization", "Basic let-me-in-please")],
        &[("x-codex-token", "let-me-in-please")],
    ];
    for headers in refused {
        assert_eq!(connect(&url, headers).await.err(), Some(401), "{headers:?}");
    }
    let mut ws = connect(&url, &[("authorization", "Bearer let-me-in-please")]).await.unwrap();
    exercise_websocket(&mut ws, home.path()).await;
    server.terminate().await;

    // The digest form accepts the same token.
    let digest = hex::encode(sha2::Sha256::digest(b"let-me-in-please"));
    let mut server = Server::spawn(
        home.path(),
        &[
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-auth",
            "capability-token",
            "--ws-token-sha256",
            &digest,
        ],
    );
    let url = server.listening_url().await;
    assert_eq!(connect(&url, &[("authorization", "Bearer nope")]).await.err(), Some(401));
    connect(&url, &[("authorization", "Bearer let-me-in-please")]).await.unwrap();

    // A relative token path is refused at startup.
    let relative = Server::spawn(
        home.path(),
        &[
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-auth",
            "capability-token",
            "--ws-token-file",
            "token",
        ],
    );
    let (success, stderr) = relative.exit().await;
    assert!(!success && stderr.contains("absolute"), "{stderr}");
}

#[tokio::test]
async fn signed_bearer_token_rejects_forgeries() {
    let home = tempfile::tempdir().unwrap();
    let secret_file = home.path().join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let secret_file = secret_file.display().to_string();
    let mut server = Server::spawn(
        home.path(),
        &[
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-auth",
            "signed-bearer-token",
            "--ws-shared-secret-file",
            &secret_file,
            "--ws-issuer",
            "issuer-a",
            "--ws-audience",
            "aud-a",
            "--ws-max-clock-skew-seconds",
            "5",
        ],
    );
    let url = server.listening_url().await;
    let good = json!({"exp": now() + 300, "iss": "issuer-a", "aud": "aud-a", "sub": "me"});
    let forged = [
        ("no exp", jwt(Algorithm::HS256, json!({"iss": "issuer-a", "aud": "aud-a"}), SECRET)),
        (
            "expired",
            jwt(
                Algorithm::HS256,
                json!({"exp": now() - 600, "iss": "issuer-a", "aud": "aud-a"}),
                SECRET,
            ),
        ),
        (
            "other secret",
            jwt(Algorithm::HS256, good.clone(), "another-secret-another-secret-another"),
        ),
        ("alg none", unsigned_jwt(good.clone())),
        ("HS512", jwt(Algorithm::HS512, good.clone(), SECRET)),
        (
            "wrong iss",
            jwt(
                Algorithm::HS256,
                json!({"exp": now() + 300, "iss": "issuer-b", "aud": "aud-a"}),
                SECRET,
            ),
        ),
        (
            "wrong aud",
            jwt(
                Algorithm::HS256,
                json!({"exp": now() + 300, "iss": "issuer-a", "aud": "aud-b"}),
                SECRET,
            ),
        ),
        ("not a jwt", "abc.def.ghi".to_owned()),
    ];
    assert_eq!(connect(&url, &[]).await.err(), Some(401));
    for (what, token) in forged {
        let header = format!("Bearer {token}");
        assert_eq!(connect(&url, &[("authorization", &header)]).await.err(), Some(401), "{what}");
    }
    let good_token = jwt(Algorithm::HS256, good, SECRET);
    // The right token in the wrong header.
    assert_eq!(
        connect(&url, &[("x-authorization", &format!("Bearer {good_token}"))]).await.err(),
        Some(401)
    );
    let mut ws =
        connect(&url, &[("authorization", &format!("Bearer {good_token}"))]).await.unwrap();
    exercise_websocket(&mut ws, home.path()).await;
    server.terminate().await;
}

#[tokio::test]
async fn short_shared_secret_is_refused_at_startup() {
    let home = tempfile::tempdir().unwrap();
    let secret_file = home.path().join("secret");
    std::fs::write(&secret_file, "only-sixteen-byt").unwrap();
    let secret_file = secret_file.display().to_string();
    let server = Server::spawn(
        home.path(),
        &[
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-auth",
            "signed-bearer-token",
            "--ws-shared-secret-file",
            &secret_file,
        ],
    );
    let (success, stderr) = server.exit().await;
    assert!(!success);
    assert!(stderr.contains("at least 32"), "{stderr}");
}

/// Reads until the server closes `stream`; how long that took (panics after `WAIT`).
async fn time_to_close(stream: &mut TcpStream) -> std::time::Duration {
    let started = tokio::time::Instant::now();
    tokio::time::timeout(common::WAIT, async {
        let mut buffer = [0u8; 1024];
        while let Ok(read) = stream.read(&mut buffer).await {
            if read == 0 {
                break;
            }
        }
    })
    .await
    .expect("the server kept the connection open");
    started.elapsed()
}

#[tokio::test]
async fn slow_handshakes_and_idle_uninitialized_sockets_are_closed_per_the_flags() {
    use futures::SinkExt;
    use futures::StreamExt;
    use std::time::Duration;
    use tokio_tungstenite::tungstenite::Message;

    let home = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(
        home.path(),
        &[
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-handshake-timeout-seconds",
            "0.5",
            "--ws-max-pending-handshakes",
            "8",
            "--ws-initialize-timeout-seconds",
            "1.5",
        ],
    );
    let url = server.listening_url().await;
    let address = url.trim_start_matches("ws://").trim_end_matches('/').to_owned();

    // A partial upgrade that stalls, and one that trickles a header line every 200 ms.
    let mut stall = TcpStream::connect(&address).await.unwrap();
    stall.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut trickle = TcpStream::connect(&address).await.unwrap();
    trickle.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let trickling = tokio::spawn(async move {
        for line in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if trickle.write_all(format!("X-{line}: y\r\n").as_bytes()).await.is_err() {
                return line;
            }
        }
        100
    });
    // An upgraded client that never sends `initialize`, and one that does.
    let (mut idle, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
    let (mut good, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
    common::send_text(
        &mut good,
        r#"{"id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"}}}"#,
    )
    .await;
    assert_eq!(common::next_json(&mut good).await["id"], 1);

    let took = time_to_close(&mut stall).await;
    assert!(took < Duration::from_secs(5), "stalled handshake closed after {took:?}");
    let lines = trickling.await.unwrap();
    assert!(lines < 100, "the trickling handshake was never closed");
    let close = tokio::time::timeout(common::WAIT, async {
        loop {
            match idle.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(close.map(|frame| u16::from(frame.code)), Some(1008));

    // The initialized client is still served after both deadlines.
    tokio::time::sleep(Duration::from_millis(500)).await;
    common::send_text(&mut good, r#"{"id":2,"method":"nope/unknown"}"#).await;
    assert_eq!(common::next_json(&mut good).await["id"], 2);
    good.send(Message::Close(None)).await.unwrap();

    server.terminate().await;
    let (ok, stderr) = server.exit().await;
    assert!(ok, "{stderr}");
}

#[tokio::test]
async fn handshake_flags_refuse_zero() {
    let home = tempfile::tempdir().unwrap();
    for flag in [
        "--ws-handshake-timeout-seconds",
        "--ws-initialize-timeout-seconds",
        "--ws-max-pending-handshakes",
    ] {
        let output = common::codex(home.path())
            .args(["app-server", "--listen", "ws://127.0.0.1:0", flag, "0"])
            .output()
            .await
            .unwrap();
        assert!(!output.status.success(), "{flag} 0 accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{stderr}");
    }
}
