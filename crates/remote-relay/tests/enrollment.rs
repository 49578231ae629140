//! Enrollment from the attacker's side, against a real relay on 127.0.0.1: replaying a victim's
//! installation id (with no token or a wrong one) never yields the victim's server id and never
//! routes the victim's clients to the attacker; only the holder of the victim's token keeps the
//! id; a server socket whose token expires unrefreshed is closed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use codex_remote_relay::RelayHandle;
use codex_remote_relay::RelayOptions;
use codex_remote_relay::Store;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Relay {
    address: SocketAddr,
    state: tempfile::TempDir,
    shutdown: CancellationToken,
    http: reqwest::Client,
    handle: RelayHandle,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Relay {
    async fn start(configure: impl FnOnce(&mut RelayOptions)) -> Self {
        let state = tempfile::tempdir().unwrap();
        let mut options = RelayOptions::new(state.path());
        configure(&mut options);
        let handle = RelayHandle::new(options).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let serving = handle.clone();
        tokio::spawn(async move { serving.serve(listener, stop).await });
        Self { address, state, shutdown, http: reqwest::Client::new(), handle }
    }

    /// `POST .../enroll` for `installation_id`, with `bearer` as proof when given.
    async fn enroll(&self, installation_id: &str, bearer: Option<&str>) -> Value {
        let response = self.try_enroll(installation_id, bearer).await;
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.unwrap()
    }

    async fn try_enroll(&self, installation_id: &str, bearer: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("http://{}/wham/remote/control/server/enroll", self.address))
            .json(&json!({
                "name": "host",
                "os": "linux",
                "arch": "x86_64",
                "app_server_version": "0",
                "installation_id": installation_id,
            }));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send().await.unwrap()
    }

    async fn refresh(&self, enrollment: &Value, installation_id: &str) -> u16 {
        self.http
            .post(format!("http://{}/wham/remote/control/server/refresh", self.address))
            .bearer_auth(enrollment["remote_control_token"].as_str().unwrap())
            .json(
                &json!({"server_id": enrollment["server_id"], "installation_id": installation_id}),
            )
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn socket(&self, path: &str, token: &str) -> Socket {
        let mut request = format!("ws://{}{path}", self.address).into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(request).await.unwrap().0
    }

    async fn server_socket(&self, enrollment: &Value) -> Socket {
        self.socket(
            "/wham/remote/control/server",
            enrollment["remote_control_token"].as_str().unwrap(),
        )
        .await
    }

    async fn client_socket(&self, server_id: &str) -> Socket {
        let token = Store::new(self.state.path()).issue_client_token(server_id).unwrap();
        self.socket(&format!("/client/{server_id}"), &token).await
    }
}

/// The next `client_message` envelope on a server socket (pings are skipped).
async fn next_client_message(socket: &mut Socket) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = socket.next().await.expect("server socket ended").unwrap();
            if let Message::Text(text) = frame {
                let envelope: Value = serde_json::from_str(text.as_str()).unwrap();
                if envelope["type"] == "client_message" {
                    return envelope;
                }
            }
        }
    })
    .await
    .expect("no client message reached the server")
}

#[tokio::test]
async fn replaying_a_victims_installation_id_does_not_take_over_its_server_id() {
    let relay = Relay::start(|_| {}).await;
    let victim = relay.enroll("victim-installation", None).await;
    let victim_id = victim["server_id"].as_str().unwrap().to_owned();
    let victim_token = victim["remote_control_token"].as_str().unwrap().to_owned();

    // The attacker knows the installation id, but not the token.
    let without = relay.enroll("victim-installation", None).await;
    let wrong = relay.enroll("victim-installation", Some("0123456789abcdef")).await;
    // A valid token of another server proves nothing about this installation either.
    let other = relay.enroll("attacker-installation", None).await;
    let borrowed =
        relay.enroll("victim-installation", other["remote_control_token"].as_str()).await;
    for attack in [&without, &wrong, &borrowed] {
        assert_ne!(attack["server_id"], victim_id, "enrollment took over the victim's id");
        assert_ne!(attack["environment_id"], victim["environment_id"]);
    }
    // The victim's token still works: refreshing it keeps the id and rotates the token.
    assert_eq!(relay.refresh(&victim, "victim-installation").await, 200);
    // The attacker cannot refresh the victim's enrollment with its own token.
    let forged =
        json!({"server_id": victim_id, "remote_control_token": without["remote_control_token"]});
    assert_eq!(relay.refresh(&forged, "victim-installation").await, 401);

    // The holder of the victim's (just rotated, so previous) token keeps the server id.
    let again = relay.enroll("victim-installation", Some(&victim_token)).await;
    assert_eq!(again["server_id"], victim_id);
    assert_eq!(again["environment_id"], victim["environment_id"]);
    // ... and a token older than that proves nothing any more.
    let newer = relay.enroll("victim-installation", again["remote_control_token"].as_str()).await;
    assert_eq!(newer["server_id"], victim_id);
    let stale = relay.enroll("victim-installation", Some(&victim_token)).await;
    assert_ne!(stale["server_id"], victim_id);
}

#[tokio::test]
async fn the_victims_clients_are_never_routed_to_an_attacker_replaying_its_installation_id() {
    let relay = Relay::start(|_| {}).await;
    let victim = relay.enroll("victim-installation", None).await;
    let victim_id = victim["server_id"].as_str().unwrap().to_owned();
    let mut victim_socket = relay.server_socket(&victim).await;
    // The attacker enrolls with the victim's installation id and opens its own server socket.
    let attacker = relay.enroll("victim-installation", Some("forged")).await;
    let mut attacker_socket = relay.server_socket(&attacker).await;

    let mut client = relay.client_socket(&victim_id).await;
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}});
    client.send(Message::text(request.to_string())).await.unwrap();
    let envelope = next_client_message(&mut victim_socket).await;
    assert_eq!(envelope["message"], request);
    // Nothing but pings reach the attacker.
    let leaked = tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(Ok(frame)) = attacker_socket.next().await {
            if let Message::Text(text) = frame {
                let envelope: Value = serde_json::from_str(text.as_str()).unwrap();
                if envelope["type"] != "ping" {
                    return envelope;
                }
            }
        }
        Value::Null
    })
    .await;
    assert!(matches!(leaked, Err(_) | Ok(Value::Null)), "attacker received {leaked:?}");
}

/// Whether `text` is an RFC 3339 UTC timestamp in whole seconds, `YYYY-MM-DDTHH:MM:SSZ`.
fn is_rfc3339_utc(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    bytes.len() == 20
        && digits.iter().all(|&i| bytes[i].is_ascii_digit())
        && [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'Z')]
            .iter()
            .all(|&(i, c)| bytes[i] == c)
}

#[tokio::test]
async fn enroll_and_refresh_answers_carry_expires_at_as_rfc3339() {
    use codex_app_server_transport::remote_control::unix_now;
    use codex_app_server_transport::remote_control::Enrollment;
    let relay = Relay::start(|options| options.token_ttl = Duration::from_secs(600)).await;
    let enrollment = relay.enroll("rfc3339", None).await;
    let refreshed: Value = relay
        .http
        .post(format!("http://{}/wham/remote/control/server/refresh", relay.address))
        .bearer_auth(enrollment["remote_control_token"].as_str().unwrap())
        .json(&json!({"server_id": enrollment["server_id"], "installation_id": "rfc3339"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for answer in [enrollment, refreshed] {
        let text = answer["expires_at"].as_str().unwrap_or_else(|| panic!("{answer}"));
        assert!(is_rfc3339_utc(text), "{text}");
        let parsed: Enrollment = serde_json::from_value(answer.clone()).unwrap();
        let left = parsed.expires_at - unix_now();
        assert!((590..=602).contains(&left), "{text} is {left} s away");
    }
}

#[tokio::test]
async fn a_server_socket_whose_token_expires_unrefreshed_is_closed() {
    let relay = Relay::start(|options| {
        options.token_ttl = Duration::from_secs(1);
        options.refresh_grace = Duration::ZERO;
    })
    .await;
    let enrollment = relay.enroll("short-lived", None).await;
    let mut socket = relay.server_socket(&enrollment).await;
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the relay kept a socket with an expired token open");
    // Past the grace, the expired token neither refreshes nor proves possession.
    assert_eq!(relay.refresh(&enrollment, "short-lived").await, 401);
    let again = relay.enroll("short-lived", enrollment["remote_control_token"].as_str()).await;
    assert_ne!(again["server_id"], enrollment["server_id"]);
}

#[tokio::test]
async fn open_enrollment_is_bounded_and_forgets_enrollments_past_their_grace() {
    let relay = Relay::start(|options| {
        options.max_servers = 2;
        options.token_ttl = Duration::from_secs(3);
        options.refresh_grace = Duration::ZERO;
    })
    .await;
    let first = relay.enroll("first", None).await;
    relay.enroll("second", None).await;
    let refused = relay.try_enroll("third", None).await;
    assert_eq!(refused.status().as_u16(), 503);
    // The holder of a live token still re-enrolls while the relay is full.
    let again = relay.enroll("first", first["remote_control_token"].as_str()).await;
    assert_eq!(again["server_id"], first["server_id"]);
    // Once those tokens are past their grace, their enrollments make room.
    tokio::time::timeout(WAIT, async {
        loop {
            if relay.try_enroll("third", None).await.status().is_success() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("expired enrollments were never forgotten");
}

/// The next `ack` envelope on a server socket (pings are skipped).
async fn next_ack(socket: &mut Socket) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = socket.next().await.expect("server socket ended").unwrap();
            if let Message::Text(text) = frame {
                let envelope: Value = serde_json::from_str(text.as_str()).unwrap();
                if envelope["type"] == "ack" {
                    return envelope;
                }
            }
        }
    })
    .await
    .expect("no ack")
}

#[tokio::test]
async fn a_server_cannot_make_the_relay_hold_endless_empty_chunks() {
    let relay = Relay::start(|_| {}).await;
    let enrollment = relay.enroll("chunky", None).await;
    let mut socket = relay.server_socket(&enrollment).await;
    // u32::MAX empty pieces of a 100-byte message: each would cost the relay a map entry.
    for (seq_id, segment_count, size, piece) in
        [(1u64, u32::MAX, 100u64, ""), (2, 100, 100, ""), (3, 1000, 100, "AA==")]
    {
        let chunk = json!({
            "type": "server_message_chunk",
            "client_id": "c",
            "stream_id": "s",
            "seq_id": seq_id,
            "segment_id": 0,
            "segment_count": segment_count,
            "message_size_bytes": size,
            "message_chunk_base64": piece,
        });
        socket.send(Message::text(chunk.to_string())).await.unwrap();
        let ack = next_ack(&mut socket).await;
        assert_eq!(ack["seq_id"], seq_id);
        // A kept piece is acknowledged with its segment id; a refused message as a whole.
        assert!(ack.get("segment_id").is_none_or(Value::is_null), "piece kept: {ack}");
    }
}

#[tokio::test]
async fn hubs_of_forgotten_enrollments_are_dropped() {
    let relay = Relay::start(|options| {
        options.token_ttl = Duration::from_secs(1);
        options.refresh_grace = Duration::ZERO;
    })
    .await;
    let handle = relay.handle.clone();
    let enrollment = relay.enroll("fleeting", None).await;
    let socket = relay.server_socket(&enrollment).await;
    tokio::time::timeout(WAIT, async {
        while handle.hub_count() != 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the server's hub never appeared");
    drop(socket);
    // Once the enrollment is past its grace, the next enrollment forgets it and its hub.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    relay.enroll("newcomer", None).await;
    assert_eq!(handle.hub_count(), 0, "a forgotten server's hub is still held");
}

#[tokio::test]
async fn a_previous_token_proves_nothing_once_the_current_one_was_used() {
    let relay = Relay::start(|_| {}).await;
    let first = relay.enroll("rotating", None).await;
    let server_id = first["server_id"].clone();
    // A refresh rotates the token; the previous one still proves possession while the server
    // may have lost the answer ...
    let refreshed = relay
        .http
        .post(format!("http://{}/wham/remote/control/server/refresh", relay.address))
        .bearer_auth(first["remote_control_token"].as_str().unwrap())
        .json(&json!({"server_id": server_id, "installation_id": "rotating"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status().as_u16(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    // ... but once the server connects with its new token, replaying the old one (stolen from a
    // log or a backup) no longer keeps or takes over the server id.
    let _socket = relay.server_socket(&refreshed).await;
    let replay = relay.enroll("rotating", first["remote_control_token"].as_str()).await;
    assert_ne!(replay["server_id"], server_id, "a retired token took over the server id");
    // The current token still proves possession.
    let again = relay.enroll("rotating", refreshed["remote_control_token"].as_str()).await;
    assert_eq!(again["server_id"], server_id);
}

#[tokio::test]
async fn oversized_or_control_character_identities_and_bodies_are_refused() {
    let relay = Relay::start(|_| {}).await;
    let url = format!("http://{}/wham/remote/control/server/enroll", relay.address);
    let identity = |name: String| {
        json!({
            "name": name,
            "os": "linux",
            "arch": "x86_64",
            "app_server_version": "0",
            "installation_id": "big",
        })
    };
    for name in ["n".repeat(129), "evil\nlog line".to_owned()] {
        let response = relay.http.post(&url).json(&identity(name)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
    }
    // A body far above the limit is refused before it is parsed.
    let mut huge = identity("host".into());
    huge["padding"] = Value::String("x".repeat(64 * 1024));
    let response = relay.http.post(&url).json(&huge).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert!(relay.handle.servers().is_empty(), "a refused enrollment was stored");
    let response = relay.http.post(&url).json(&identity("n".repeat(128))).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn one_client_token_cannot_open_unbounded_sockets() {
    let relay = Relay::start(|options| options.max_sockets_per_client_token = 2).await;
    let enrollment = relay.enroll("popular", None).await;
    let server_id = enrollment["server_id"].as_str().unwrap().to_owned();
    let token = Store::new(relay.state.path()).issue_client_token(&server_id).unwrap();
    let path = format!("/client/{server_id}");
    let first = relay.socket(&path, &token).await;
    let _second = relay.socket(&path, &token).await;
    let mut request = format!("ws://{}{path}", relay.address).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(request.clone()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
        }
        other => panic!("a third socket with one token was not refused: {:?}", other.map(|_| ())),
    }
    // Another token for the same server is counted on its own.
    let _other = relay.client_socket(&server_id).await;
    // Closing a socket frees its slot.
    drop(first);
    tokio::time::timeout(WAIT, async {
        while tokio_tungstenite::connect_async(request.clone()).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the closed socket's slot was never released");
}

#[tokio::test]
async fn a_client_cannot_queue_unbounded_bytes_for_a_server_that_is_away() {
    let relay = Relay::start(|options| {
        options.max_frame_bytes = 2048;
        options.max_message_bytes = 64 * 1024;
        options.max_queued_bytes = 0; // raised to one message plus one frame
    })
    .await;
    let enrollment = relay.enroll("away", None).await;
    let server_id = enrollment["server_id"].as_str().unwrap().to_owned();
    let mut client = relay.client_socket(&server_id).await;
    // The server never connects: each 40 KB message becomes ~27 chunk frames held for it, far
    // below the frame bound but soon above the byte budget, and the client is then closed.
    let request =
        json!({"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"pad": "y".repeat(40_000)}});
    let closed = tokio::time::timeout(WAIT, async {
        for _ in 0..10 {
            if client.send(Message::text(request.to_string())).await.is_err() {
                return true;
            }
        }
        loop {
            match client.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "the relay kept queueing bytes for an absent server");
}

#[tokio::test]
async fn a_revoked_client_token_is_refused_and_its_open_socket_closed() {
    let relay = Relay::start(|options| options.ping_interval = Duration::from_millis(100)).await;
    let enrollment = relay.enroll("revoking", None).await;
    let server_id = enrollment["server_id"].as_str().unwrap().to_owned();
    let store = Store::new(relay.state.path());
    let token = store.issue_client_token(&server_id).unwrap();
    let path = format!("/client/{server_id}");
    let mut open = relay.socket(&path, &token).await;
    assert_eq!(store.revoke_client_token(&token).unwrap(), 1);
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match open.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the revoked token's open socket stayed up");
    let mut request = format!("ws://{}{path}", relay.address).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401);
        }
        other => panic!("a revoked token was accepted: {:?}", other.map(|_| ())),
    }
}
