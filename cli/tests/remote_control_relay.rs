//! `codex remote-control relay` through the built binary: bind refusal, token issuing, and a
//! relay issuing short-lived tokens to `codex app-server --remote-control`, which keeps
//! refreshing them while a remote client pairs (`codex remote-control pair`), reaches it, is
//! listed (`clients list`) and revoked (`clients revoke`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use codex_app_server_transport::remote_control::RemoteClient;
use common::Server;
use common::WAIT;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[test]
fn the_relay_refuses_a_non_loopback_bind_without_the_proxy_flag() {
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_codex"))
        .args(["remote-control", "relay", "--listen", "ws://0.0.0.0:0", "--state-dir"])
        .arg(state.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to listen"), "{stderr}");
}

#[test]
fn the_relay_refuses_a_wildcard_bind_even_behind_a_tls_proxy() {
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_codex"))
        .args(["remote-control", "relay", "--listen", "ws://0.0.0.0:0", "--behind-tls-proxy"])
        .arg("--state-dir")
        .arg(state.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("wildcard address"), "{stderr}");
}

#[test]
fn issue_token_prints_a_token_and_stores_only_its_digest() {
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_codex"))
        .args(["remote-control", "relay", "issue-token", "--server-id", "srv_1", "--state-dir"])
        .arg(state.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64);
    let stored = std::fs::read_to_string(state.path().join("client_tokens.json")).unwrap();
    assert!(stored.contains("srv_1") && !stored.contains(&token), "{stored}");
}

#[test]
fn issued_tokens_are_listed_without_the_token_and_can_be_revoked() {
    let state = tempfile::tempdir().unwrap();
    let codex = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_codex"))
            .args(["remote-control", "relay"])
            .args(args)
            .arg("--state-dir")
            .arg(state.path())
            .output()
            .unwrap()
    };
    let issued = codex(&["issue-token", "--server-id", "srv_1"]);
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let listed = String::from_utf8(codex(&["list-tokens"]).stdout).unwrap();
    let line = listed.lines().next().unwrap_or_default().to_owned();
    assert!(line.starts_with("cli_") && line.contains("srv_1"), "{listed}");
    assert!(!listed.contains(&token), "list-tokens printed the token");
    let id = line.split('\t').next().unwrap();
    assert!(codex(&["revoke-token", id]).status.success());
    assert!(String::from_utf8(codex(&["list-tokens"]).stdout).unwrap().trim().is_empty());
    // Revoking what is not there says so.
    assert!(!codex(&["revoke-token", id]).status.success());
}

/// Every enrolled server in the relay's state directory: server id -> record.
fn enrolled(state: &std::path::Path) -> serde_json::Map<String, Value> {
    std::fs::read_to_string(state.join("servers.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_server_keeps_refreshing_short_lived_relay_tokens_and_stays_reachable() {
    let home = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let mut relay = Server::spawn_codex(
        home.path(),
        &[
            "remote-control",
            "relay",
            "--listen",
            "ws://127.0.0.1:0",
            "--state-dir",
            state_dir,
            "--token-ttl-seconds",
            "3",
        ],
    );
    let relay_ws = relay.listening_url().await;
    let relay_address = relay_ws.trim_start_matches("ws://").trim_end().to_owned();
    std::fs::write(
        home.path().join("config.toml"),
        format!("[remote_control]\nurl = \"http://{relay_address}\"\n"),
    )
    .unwrap();
    let mut server = Server::spawn(home.path(), &["--listen", "unix://", "--remote-control"]);
    server.listening_url().await;

    // Three token rotations: the app-server refreshed past several 3-second lifetimes.
    let mut tokens = HashSet::new();
    let server_id = tokio::time::timeout(WAIT, async {
        loop {
            let servers = enrolled(state.path());
            assert!(servers.len() <= 1, "the app-server enrolled again: {servers:?}");
            if let Some((id, record)) = servers.iter().next() {
                tokens.insert(record["token_sha256"].as_str().unwrap().to_owned());
                if tokens.len() >= 4 {
                    return id.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the app-server did not keep refreshing its token");

    // The operator issues a client token; a remote client reaches the app-server.
    let issued = Command::new(env!("CARGO_BIN_EXE_codex"))
        .args(["remote-control", "relay", "issue-token", "--server-id", &server_id, "--state-dir"])
        .arg(state.path())
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_owned();

    // A client without a pairing is refused once and closed.
    let mut request =
        format!("ws://{relay_address}/client/{server_id}").into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut plain, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let initialize = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"clientInfo": {"name": "remote", "version": "1"}}});
    plain.send(Message::text(initialize.to_string())).await.unwrap();
    let refusal = tokio::time::timeout(WAIT, plain.next()).await.unwrap().unwrap().unwrap();
    assert!(refusal.to_text().unwrap().contains("only paired remote clients"), "{refusal:?}");

    // `codex remote-control pair` issues a code on the running server; the client pairs with it.
    let paired =
        common::codex(home.path()).args(["remote-control", "pair"]).output().await.unwrap();
    assert!(paired.status.success(), "{}", String::from_utf8_lossy(&paired.stderr));
    let code = String::from_utf8(paired.stdout).unwrap().trim().to_owned();
    let mut client =
        RemoteClient::connect(&format!("ws://{relay_address}"), &server_id, &token).await.unwrap();
    let credential = client.pair(&code, "cli-phone").await.unwrap();
    client.send(&initialize).await.unwrap();
    let answer = tokio::time::timeout(WAIT, async {
        loop {
            let message = client.recv().await.unwrap().expect("stream closed");
            if message["id"] == 1 {
                return message;
            }
        }
    })
    .await
    .expect("no answer through the relay");
    assert!(answer["result"]["userAgent"].is_string(), "{answer}");

    let listed = common::codex(home.path())
        .args(["remote-control", "clients", "list"])
        .output()
        .await
        .unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(listed.starts_with(&format!("{}\tcli-phone\t", credential.client_id)), "{listed}");
    let revoked = common::codex(home.path())
        .args(["remote-control", "clients", "revoke", &credential.client_id])
        .output()
        .await
        .unwrap();
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    // Its open stream is closed.
    tokio::time::timeout(WAIT, async { while let Ok(Some(_)) = client.recv_raw().await {} })
        .await
        .expect("the revoked client's stream stayed open");
    let listed = common::codex(home.path())
        .args(["remote-control", "clients", "list"])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8(listed.stdout).unwrap().trim().is_empty());
    server.terminate().await;
    relay.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_pairing_off_warns_at_start() {
    let home = tempfile::tempdir().unwrap();
    // No relay answers there; the warning comes before the first connection attempt.
    std::fs::write(
        home.path().join("config.toml"),
        "[remote_control]\nurl = \"http://127.0.0.1:9\"\nrequire_pairing = false\n",
    )
    .unwrap();
    let server = Server::spawn(home.path(), &["--listen", "off", "--remote-control"]);
    tokio::time::timeout(WAIT, async {
        while !server.stderr.lock().unwrap().contains("require_pairing = false") {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no warning: {}", server.stderr.lock().unwrap()));
    let warning = server.stderr.lock().unwrap().clone();
    assert!(warning.contains("WARN") && warning.contains("relay operator"), "{warning}");
    server.terminate().await;
}
