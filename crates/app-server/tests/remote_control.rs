//! Remote control end to end: a real relay (`codex-remote-relay`) on 127.0.0.1, a real in-process
//! app-server dialling out to it, and remote clients connecting through the relay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod relay_common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use codex_app_server::remote_control::INSTALLATION_ID_FILE;
use codex_test_support::TestClient;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use relay_common::*;

/// A remote client talking JSON-RPC through the relay.
struct RemoteClient {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

async fn connect_client(
    relay: SocketAddr,
    server_id: &str,
    token: &str,
) -> Result<RemoteClient, u16> {
    let mut request = format!("ws://{relay}/client/{server_id}").into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(RemoteClient { socket }),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(err) => panic!("unexpected connect failure: {err}"),
    }
}

impl RemoteClient {
    async fn send(&mut self, value: Value) {
        self.socket.send(Message::text(value.to_string())).await.unwrap();
    }

    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("timed out waiting for a message")
                .expect("socket ended")
                .unwrap();
            if let Message::Text(text) = frame {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    /// Sends a request and returns its response, skipping notifications.
    async fn call(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let message = self.next().await;
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
            assert!(message.get("id").is_none(), "response to someone else's request: {message}");
        }
    }

    async fn initialize(&mut self, name: &str) {
        let response = self
            .call(
                0,
                "initialize",
                json!({"clientInfo": {"name": name, "version": "1"}, "capabilities": {"experimentalApi": true}}),
            )
            .await;
        assert!(response["result"]["userAgent"].is_string(), "{response}");
        self.send(json!({"jsonrpc": "2.0", "method": "initialized"})).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_remote_clients_run_requests_through_the_relay_in_isolation() {
    let relay = Relay::start(64 * 1024).await;
    let (home, server, server_id) = start_relayed_server(&relay).await;

    // Enrollment carried the installation id created in CODEX_HOME, with private permissions.
    let installation_id = std::fs::read_to_string(home.path().join(INSTALLATION_ID_FILE)).unwrap();
    assert_eq!(relay.handle.servers()[&server_id].installation_id, installation_id);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(home.path().join(INSTALLATION_ID_FILE)).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    let mut alice =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    let mut bob =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    alice.initialize("alice").await;
    // Bob is not initialized yet: the server treats him as a separate connection.
    let early = bob.call(1, "account/read", json!({})).await;
    assert!(early.get("error").is_some(), "uninitialized remote client was served: {early}");
    bob.initialize("bob").await;

    let account = alice.call(1, "account/read", json!({})).await;
    assert!(account.get("result").is_some(), "{account}");
    let config = bob.call(1, "config/read", json!({})).await;
    assert_eq!(config["result"]["config"]["remote_control"]["url"], relay.url(), "{config}");
    // Same request ids on both clients: each sees only its own answers.
    let status = alice.call(2, "remoteControl/status/read", json!(null)).await;
    assert_eq!(status["result"]["status"], "connected", "{status}");
    assert_eq!(status["result"]["installationId"], installation_id);
    // Had any of alice's traffic reached bob, it would arrive before his next answer.
    bob.send(json!({"jsonrpc": "2.0", "id": 99, "method": "account/read", "params": {}})).await;
    let next = bob.next().await;
    assert_eq!(next["id"], 99, "bob saw something else first (alice's traffic?): {next}");
    assert!(next.get("result").is_some(), "{next}");

    // Garbage from a remote client is answered, and the server goes on.
    alice.socket.send(Message::text("{not json")).await.unwrap();
    let error = alice.next().await;
    assert_eq!(error["error"]["code"], -32700, "{error}");
    assert!(alice.call(3, "account/read", json!({})).await.get("result").is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_above_the_frame_limit_arrive_whole_in_both_directions() {
    let relay = Relay::start(4096).await;
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), &relay.url(), "");
    let server = Server::start(home.path(), true).await;
    let server_id = relay.server_id().await;
    let mut client =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    client.initialize("big").await;
    let big: String = (0..60_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    // Client -> server: a 60 KB request travels as client_message_chunk envelopes.
    let written = client
        .call(
            1,
            "config/value/write",
            json!({"keyPath": "notes", "value": big, "mergeStrategy": "replace"}),
        )
        .await;
    assert!(written.get("result").is_some(), "{written}");
    // Server -> client: the 60 KB config comes back as server_message_chunk envelopes.
    let config = client.call(2, "config/read", json!({})).await;
    assert_eq!(config["result"]["config"]["notes"].as_str().unwrap(), big);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_relay_connection_loses_and_duplicates_nothing() {
    let relay = Relay::start(64 * 1024).await;
    let (_home, server, server_id) = start_relayed_server(&relay).await;
    let mut client =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    client.initialize("survivor").await;

    const REQUESTS: i64 = 300;
    for id in 1..=REQUESTS {
        client
            .send(json!({"jsonrpc": "2.0", "id": id, "method": "config/read", "params": {}}))
            .await;
    }
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut cut = false;
    while seen.len() < REQUESTS as usize {
        let message = client.next().await;
        let Some(id) = message.get("id").and_then(Value::as_i64) else { continue };
        assert!(message.get("result").is_some(), "{message}");
        *seen.entry(id).or_default() += 1;
        if !cut && seen.len() >= 20 {
            assert!(relay.handle.disconnect_server(&server_id), "server socket was not connected");
            cut = true;
        }
    }
    relay.wait_connections(&server_id, 2).await;
    // Anything arriving late may only be a notification (e.g. the remote-control status moving
    // through `errored`/`connecting`/`connected` during the cut), never a repeated response.
    while let Ok(Some(Ok(frame))) =
        tokio::time::timeout(Duration::from_millis(500), client.socket.next()).await
    {
        if let Message::Text(text) = frame {
            let late: Value = serde_json::from_str(text.as_str()).unwrap();
            assert!(late.get("id").is_none(), "a duplicate arrived late: {late}");
        }
    }
    let duplicates: Vec<_> = seen.iter().filter(|(_, count)| **count != 1).collect();
    assert!(duplicates.is_empty(), "duplicated responses: {duplicates:?}");
    // The link still works after the reconnect.
    assert!(client.call(REQUESTS + 1, "account/read", json!({})).await.get("result").is_some());
    server.stop().await;
}

async fn wait_status(client: &mut TestClient, status: &str) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let params =
                client.wait_for_notification("remoteControl/status/changed").await.unwrap();
            if params["status"] == status {
                return params;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no remoteControl/status/changed to {status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_enable_and_disable_move_the_status_and_notify() {
    let relay = Relay::start(64 * 1024).await;
    let (home, server, mut local) = start_with_local_client(&relay).await;
    let mut plain = TestClient::connect_ws(&server.address).await.unwrap();
    plain.initialize("plain", false).await.unwrap();

    let status = local.call("remoteControl/status/read", Value::Null).await.unwrap();
    assert_eq!(status["status"], "disabled");
    assert!(relay.handle.servers().is_empty(), "enrolled before enable");

    let enabled = local.call("remoteControl/enable", json!({})).await.unwrap();
    assert!(
        ["connecting", "connected"].contains(&enabled["status"].as_str().unwrap()),
        "{enabled}"
    );
    let connected = wait_status(&mut local, "connected").await;
    let installation_id = std::fs::read_to_string(home.path().join(INSTALLATION_ID_FILE)).unwrap();
    assert_eq!(connected["installationId"], installation_id);
    let server_id = relay.server_id().await;
    let environment_id = relay.handle.servers()[&server_id].environment_id.clone();
    assert_eq!(connected["environmentId"], environment_id);

    // A remote client works while enabled and is dropped on disable.
    let mut remote =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    remote.initialize("remote").await;
    let disabled = local.call("remoteControl/disable", json!({})).await.unwrap();
    assert_eq!(disabled["status"], "disabled");
    wait_status(&mut local, "disabled").await;
    let status = local.call("remoteControl/status/read", Value::Null).await.unwrap();
    assert_eq!(status["status"], "disabled");

    // Connections without experimentalApi never see the experimental notification: the status
    // changes were broadcast before `local` saw them, so they would precede this answer.
    plain.call("account/read", json!({})).await.unwrap();
    let inbox = plain.take_inbox();
    assert!(inbox.iter().all(|m| m["method"] != "remoteControl/status/changed"), "{inbox:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_fails_when_the_state_database_is_unusable() {
    let relay = Relay::start(64 * 1024).await;
    let (home, server, mut local) = start_with_local_client(&relay).await;
    // Break the database under the running server.
    let db = codex_app_server::state::StateDb::open_in(home.path()).await.unwrap();
    drop(db);
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        home.path().join("state.sqlite").display()
    ))
    .await
    .unwrap();
    sqlx::query("DROP TABLE key_values").execute(&pool).await.unwrap();
    pool.close().await;
    let outcome = local.request("remoteControl/enable", json!({})).await.unwrap();
    let error = outcome.expect_err("enable succeeded without a state database");
    assert!(error.to_string().contains("state database"), "{error}");
    let status = local.call("remoteControl/status/read", Value::Null).await.unwrap();
    assert_eq!(status["status"], "disabled");
    assert!(relay.handle.servers().is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_feature_starts_nothing_and_the_installation_id_survives_restarts() {
    let relay = Relay::start(64 * 1024).await;
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), &relay.url(), "[features]\nremote_control = true\n");
    let server = Server::start(home.path(), false).await;
    let mut local = TestClient::connect_ws(&server.address).await.unwrap();
    local.initialize("local", true).await.unwrap();
    let first = local.call("remoteControl/status/read", Value::Null).await.unwrap();
    assert_eq!(first["status"], "disabled");
    let config = local.call("config/read", json!({})).await.unwrap();
    assert_eq!(config["config"]["features"]["remote_control"], true);
    assert!(relay.handle.servers().is_empty(), "the config feature enrolled the server");
    local.close().await;
    server.stop().await;

    // Restart with --remote-control: same installation id, in the enrollment and the status.
    let server = Server::start(home.path(), true).await;
    let server_id = relay.server_id().await;
    assert_eq!(relay.handle.servers()[&server_id].installation_id, first["installationId"]);
    let mut local = TestClient::connect_ws(&server.address).await.unwrap();
    local.initialize("local", true).await.unwrap();
    let second = local.call("remoteControl/status/read", Value::Null).await.unwrap();
    assert_eq!(second["installationId"], first["installationId"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_refuses_clients_and_servers_without_valid_credentials() {
    let relay = Relay::start(64 * 1024).await;
    let home_a = tempfile::tempdir().unwrap();
    let home_b = tempfile::tempdir().unwrap();
    write_config(home_a.path(), &relay.url(), "");
    write_config(home_b.path(), &relay.url(), "");
    let server_a = Server::start(home_a.path(), true).await;
    let server_id_a = relay.server_id().await;
    let server_b = Server::start(home_b.path(), true).await;
    let server_id_b = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(id) = relay.handle.servers().keys().find(|id| **id != server_id_a) {
                return id.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();

    let token_a = relay.issue(&server_id_a);
    // No token, a wrong token, and A's token used for server B are all refused.
    assert_eq!(connect_client(relay.address, &server_id_a, "").await.err(), Some(401));
    assert_eq!(connect_client(relay.address, &server_id_a, "guess").await.err(), Some(401));
    assert_eq!(connect_client(relay.address, &server_id_b, &token_a).await.err(), Some(401));
    // A server socket without a valid enrollment token is refused, and so is a forged refresh.
    let mut request =
        format!("ws://{}/wham/remote/control/server", relay.address).into_client_request().unwrap();
    request.headers_mut().insert("authorization", "Bearer forged".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401)
        }
        other => panic!("forged server token accepted: {:?}", other.map(|_| ())),
    }
    // A refresh of B's enrollment with a forged token (or none) is refused and rotates nothing.
    let before = relay.handle.servers()[&server_id_b].clone();
    let http = reqwest::Client::new();
    let refresh_url = format!("http://{}/wham/remote/control/server/refresh", relay.address);
    let body = json!({"server_id": server_id_b, "installation_id": before.installation_id});
    let forged = http.post(&refresh_url).bearer_auth("forged").json(&body).send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    let bare = http.post(&refresh_url).json(&body).send().await.unwrap();
    assert_eq!(bare.status().as_u16(), 401);
    let after = relay.handle.servers()[&server_id_b].clone();
    assert_eq!(after.token_sha256, before.token_sha256, "a forged refresh rotated B's token");
    // A's token works for A only, and A's client never sees B's connections.
    let mut client = connect_client(relay.address, &server_id_a, &token_a).await.unwrap();
    client.initialize("a-client").await;
    let status = client.call(1, "remoteControl/status/read", json!(null)).await;
    let installation_a = std::fs::read_to_string(home_a.path().join(INSTALLATION_ID_FILE)).unwrap();
    assert_eq!(status["result"]["installationId"], installation_a);
    server_a.stop().await;
    server_b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_remote_clients_run_turns_through_the_relay_in_isolation() {
    let relay = Relay::start(64 * 1024).await;
    let mock = codex_test_support::MockProvider::start().await;
    mock.push(codex_test_support::Script::text_deltas(["Hello ", "alice"]));
    mock.push(codex_test_support::Script::text_deltas(["Hello ", "bob"]));
    let home = tempfile::tempdir().unwrap();
    let provider = mock.provider_toml("mock", codex_test_support::WireFormat::Responses);
    write_config(
        home.path(),
        &relay.url(),
        &format!("model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{provider}"),
    );
    let server = Server::start(home.path(), true).await;
    let server_id = relay.server_id().await;
    relay.wait_connections(&server_id, 1).await;

    let mut alice =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    let mut bob =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    alice.initialize("alice").await;
    bob.initialize("bob").await;
    let cwd = home.path().display().to_string();

    let mut threads = Vec::new();
    for (client, name) in [(&mut alice, "alice"), (&mut bob, "bob")] {
        let started = client.call(1, "thread/start", json!({"cwd": cwd})).await;
        let thread_id = started["result"]["thread"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{started}"))
            .to_owned();
        let turn = client
            .call(2, "turn/start", json!({"threadId": thread_id, "input": [{"type": "text", "text": format!("I am {name}")}]}))
            .await;
        assert!(turn.get("result").is_some(), "{turn}");
        let mut text = String::new();
        loop {
            let message = client.next().await;
            match message["method"].as_str() {
                Some("item/agentMessage/delta") => {
                    text.push_str(message["params"]["delta"].as_str().unwrap())
                }
                Some("turn/completed") => {
                    assert_eq!(message["params"]["turn"]["status"], "completed", "{message}");
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(
            text,
            format!("Hello {name}"),
            "{name} got the answer streamed through the relay"
        );
        threads.push(thread_id);
    }
    // Each client saw only its own thread: whatever still arrives belongs to its own thread.
    for (client, own) in [(&mut alice, &threads[0]), (&mut bob, &threads[1])] {
        while let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_millis(300), client.socket.next()).await
        {
            let message: Value = serde_json::from_str(text.as_str()).unwrap();
            if let Some(thread_id) = message["params"]["threadId"].as_str() {
                assert_eq!(thread_id, own.as_str(), "another client's thread leaked: {message}");
            }
        }
    }
    let bodies: Vec<String> = mock.model_requests().iter().map(|r| r.body.to_string()).collect();
    assert!(bodies[0].contains("I am alice") && bodies[1].contains("I am bob"), "{bodies:?}");
    server.stop().await;
}

/// A remote client reaches the server through `relay` as `server_id`: initialize, then a status
/// read saying connected, in `environment_id`.
async fn assert_reachable(relay: &Relay, server_id: &str) {
    let mut client =
        connect_client(relay.address, server_id, &relay.issue(server_id)).await.unwrap();
    client.initialize("remote").await;
    let status = client.call(1, "remoteControl/status/read", json!(null)).await;
    assert_eq!(status["result"]["status"], "connected", "{status}");
    let environment_id = relay.handle.servers()[server_id].environment_id.clone();
    assert_eq!(status["result"]["environmentId"], environment_id, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_are_refreshed_before_expiry_and_the_socket_stays_up() {
    // The relay closes a server socket whose token expires unrefreshed.
    let relay = Relay::start_with(|options| options.token_ttl = Duration::from_secs(3)).await;
    let (_home, server, server_id) = start_relayed_server(&relay).await;
    // Wait for three refreshes (each rotates the token), i.e. well past the first expiry.
    let mut tokens = std::collections::HashSet::new();
    tokio::time::timeout(WAIT, async {
        while tokens.len() < 4 {
            tokens.insert(relay.handle.servers()[&server_id].token_sha256.clone());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the server did not keep refreshing its token");
    assert_eq!(relay.handle.server_connections(&server_id), 1, "the socket was dropped");
    assert_eq!(relay.handle.servers().len(), 1, "the server enrolled again instead of refreshing");
    assert_reachable(&relay, &server_id).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_relay_restart_with_fresh_state_the_server_enrolls_again_and_is_reachable() {
    let relay = Relay::start(64 * 1024).await;
    let (home, server, old_id) = start_relayed_server(&relay).await;
    let address = relay.address;
    relay.stop().await;

    // Same address, no memory of the server: its token is refused, so it enrolls anew.
    let relay = Relay::start_on(address, |_| {}).await;
    let new_id = relay.server_id().await;
    assert_ne!(new_id, old_id);
    relay.wait_connections(&new_id, 1).await;
    let installation_id = std::fs::read_to_string(home.path().join(INSTALLATION_ID_FILE)).unwrap();
    assert_eq!(relay.handle.servers()[&new_id].installation_id, installation_id);
    assert_reachable(&relay, &new_id).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expired_while_the_server_was_down_is_replaced_by_a_new_enrollment() {
    let relay = Relay::start_with(|options| {
        options.token_ttl = Duration::from_secs(3);
        options.refresh_grace = Duration::ZERO;
    })
    .await;
    let (home, server, old_id) = start_relayed_server(&relay).await;
    server.stop().await;
    tokio::time::timeout(WAIT, async {
        while relay.handle.servers()[&old_id].expires_at
            >= codex_app_server_transport::remote_control::unix_now()
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap();

    // The stored token is refused (refresh and proof alike): a fresh enrollment, reachable.
    let server = Server::start(home.path(), true).await;
    let new_id = relay.server_id_other_than(&old_id).await;
    relay.wait_connections(&new_id, 1).await;
    assert_reachable(&relay, &new_id).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_and_disable_are_runtime_only_whatever_ephemeral_says() {
    let relay = Relay::start(64 * 1024).await;
    let (home, server, mut local) = start_with_local_client(&relay).await;
    for params in [json!({"ephemeral": true}), json!(null)] {
        local.call("remoteControl/enable", params.clone()).await.unwrap();
        wait_status(&mut local, "connected").await;
        let disabled = local.call("remoteControl/disable", params).await.unwrap();
        assert_eq!(disabled["status"], "disabled");
    }
    // A durable (non-ephemeral) enable in the reference: here it lasts until the process ends.
    local.call("remoteControl/enable", json!({"ephemeral": false})).await.unwrap();
    wait_status(&mut local, "connected").await;
    local.close().await;
    server.stop().await;

    let server = Server::start(home.path(), false).await;
    let mut local = TestClient::connect_ws(&server.address).await.unwrap();
    local.initialize("local", true).await.unwrap();
    let status = local.call("remoteControl/status/read", Value::Null).await.unwrap();
    assert_eq!(status["status"], "disabled", "a plain launch started remote control");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_fs_roots_only_confines_remote_clients_to_the_loaded_threads_roots() {
    let relay = Relay::start(1024 * 1024).await;
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), &relay.url(), "[workspace]\nremote_fs_roots_only = true\n");
    let server = Server::start(home.path(), true).await;
    let server_id = relay.server_id().await;
    relay.wait_connections(&server_id, 1).await;

    let workspace = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("inside.txt"), "in").unwrap();
    std::fs::write(outside.path().join("secret.txt"), "out").unwrap();
    std::os::unix::fs::symlink(outside.path(), workspace.path().join("escape")).unwrap();

    let mut remote =
        connect_client(relay.address, &server_id, &relay.issue(&server_id)).await.unwrap();
    remote.initialize("remote").await;
    // No thread loaded yet: a confined remote client reaches nothing.
    let inside = workspace.path().join("inside.txt");
    let refused = remote.call(1, "fs/readFile", json!({"path": inside})).await;
    assert_eq!(refused["error"]["code"], -32600, "{refused}");

    // A local client loads a thread whose cwd is the workspace.
    let mut local = TestClient::connect_ws(&server.address).await.unwrap();
    local.initialize("local", false).await.unwrap();
    local.call("thread/start", json!({"cwd": workspace.path()})).await.unwrap();

    let read = remote.call(2, "fs/readFile", json!({"path": inside})).await;
    assert_eq!(read["result"]["dataBase64"], "aW4=", "{read}");
    let written = remote
        .call(
            3,
            "fs/writeFile",
            json!({"path": workspace.path().join("new.txt"), "dataBase64": "eA=="}),
        )
        .await;
    assert!(written.get("result").is_some(), "{written}");
    let secret = outside.path().join("secret.txt");
    let via_link = workspace.path().join("escape/secret.txt");
    let dotdot =
        workspace.path().join("../").join(outside.path().file_name().unwrap()).join("secret.txt");
    for (id, path) in [(4, &secret), (5, &via_link), (6, &dotdot)] {
        let refused = remote.call(id, "fs/readFile", json!({"path": path})).await;
        assert_eq!(refused["error"]["code"], -32600, "{path:?}: {refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains("remote_fs_roots_only") && message.contains("path"), "{message}");
    }
    let copy = remote
        .call(
            7,
            "fs/copy",
            json!({"sourcePath": inside, "destinationPath": outside.path().join("x")}),
        )
        .await;
    assert!(copy["error"]["message"].as_str().unwrap().contains("destinationPath"), "{copy}");
    let search = remote
        .call(8, "fuzzyFileSearch", json!({"query": "secret", "roots": [outside.path()]}))
        .await;
    assert!(search["error"]["message"].as_str().unwrap().contains("roots[0]"), "{search}");
    // Inside the workspace the search does not follow the symlink out of it.
    let search = remote
        .call(9, "fuzzyFileSearch", json!({"query": "secret", "roots": [workspace.path()]}))
        .await;
    assert_eq!(search["result"]["files"], json!([]), "{search}");

    // Local clients are not confined.
    let local_read = local.call("fs/readFile", json!({"path": secret})).await.unwrap();
    assert_eq!(local_read["dataBase64"], "b3V0");
    server.stop().await;
}
