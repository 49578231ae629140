//! `codex app-server --listen unix://…` and `codex app-server proxy`, driven
//! through the built binary: round trips, file modes, singleton startup
//! under 20 concurrent launches, stale sockets, long paths and cleanup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::path::PathBuf;

use codex_app_server_transport::connect_control_socket_websocket;
use codex_app_server_transport::default_control_socket_path;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;

use common::codex;
use common::exercise_websocket;
use common::Server;
use common::WAIT;

const LIMIT: usize = 1 << 20;

async fn initialize_over_socket(socket: &Path, home: &Path) {
    let mut ws = connect_control_socket_websocket(socket, LIMIT).await.unwrap();
    common::send_text(
        &mut ws,
        r#"{"id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"}}}"#,
    )
    .await;
    let reply = common::next_json(&mut ws).await;
    assert_eq!(reply["result"]["codexHome"], home.display().to_string(), "{reply}");
}

#[tokio::test]
async fn control_socket_round_trip_modes_and_cleanup() {
    let home = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(home.path(), &["--listen", "unix://"]);
    let url = server.listening_url().await;
    let socket = default_control_socket_path(home.path());
    assert_eq!(url, format!("unix://{}", socket.display()));
    assert_eq!(std::fs::metadata(&socket).unwrap().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(socket.parent().unwrap()).unwrap().mode() & 0o777, 0o700);

    let mut first = connect_control_socket_websocket(&socket, LIMIT).await.unwrap();
    let mut second = connect_control_socket_websocket(&socket, LIMIT).await.unwrap();
    exercise_websocket(&mut first, home.path()).await;
    exercise_websocket(&mut second, home.path()).await;

    server.terminate().await;
    let (_, stderr) = server.exit().await;
    assert!(!socket.exists(), "socket left behind; stderr: {stderr}");
}

#[tokio::test]
async fn twenty_concurrent_launches_elect_exactly_one_server() {
    let home = tempfile::tempdir().unwrap();
    let mut servers: Vec<Server> =
        (0..20).map(|_| Server::spawn(home.path(), &["--listen", "unix://"])).collect();
    // Losers exit on their own; the winner keeps running.
    let mut losers = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while losers.len() < 19 && tokio::time::Instant::now() < deadline {
        let mut index = 0;
        while index < servers.len() {
            if let Some(status) = servers[index].child.try_wait().unwrap() {
                let server = servers.swap_remove(index);
                losers.push((status, server));
            } else {
                index += 1;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Let the stderr readers drain.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let losers: Vec<_> = losers
        .into_iter()
        .map(|(status, server)| (status, server.stderr.lock().unwrap().clone()))
        .collect();
    let mut running = servers;
    assert_eq!(running.len(), 1, "losers: {losers:?}");
    assert_eq!(losers.len(), 19);
    let socket = default_control_socket_path(home.path());
    let expected =
        format!("address in use: another app-server is listening on {}", socket.display());
    for (status, stderr) in &losers {
        assert!(!status.success());
        assert!(stderr.contains(&expected), "{stderr}");
    }
    let mut winner = running.pop().unwrap();
    winner.listening_url().await;
    initialize_over_socket(&socket, home.path()).await;

    // A later launch never steals the live socket.
    let late = Server::spawn(home.path(), &["--listen", "unix://"]);
    let (success, stderr) = late.exit().await;
    assert!(!success && stderr.contains(&expected), "{stderr}");
    initialize_over_socket(&socket, home.path()).await;
    winner.terminate().await;
    winner.exit().await;
}

#[tokio::test]
async fn stale_socket_is_replaced() {
    let home = tempfile::tempdir().unwrap();
    let socket = default_control_socket_path(home.path());
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists(), "the stale socket file stays behind");

    let mut server = Server::spawn(home.path(), &["--listen", "unix://"]);
    server.listening_url().await;
    initialize_over_socket(&socket, home.path()).await;
    server.terminate().await;
    server.exit().await;
}

#[tokio::test]
async fn socket_path_longer_than_sun_path_works() {
    let home = tempfile::tempdir().unwrap();
    let socket: PathBuf =
        home.path().join("d".repeat(50)).join("e".repeat(50)).join("control.sock");
    assert!(socket.as_os_str().len() > 108);
    let listen = format!("unix://{}", socket.display());
    let mut server = Server::spawn(home.path(), &["--listen", &listen]);
    server.listening_url().await;
    assert!(std::fs::symlink_metadata(&socket).unwrap().file_type().is_symlink());
    let target = std::fs::read_link(&socket).unwrap();
    assert_eq!(std::fs::metadata(&target).unwrap().mode() & 0o777, 0o600);
    let mut ws = connect_control_socket_websocket(&socket, LIMIT).await.unwrap();
    exercise_websocket(&mut ws, home.path()).await;

    // The proxy reaches it through the long path too.
    let mut proxy = codex(home.path())
        .args(["app-server", "proxy", "--sock", &socket.display().to_string()])
        .spawn()
        .unwrap();
    let mut stdin = proxy.stdin.take().unwrap();
    let mut stdout = BufReader::new(proxy.stdout.take().unwrap()).lines();
    stdin.write_all(b"{\"id\":9,\"method\":\"initialize\",\"params\":{\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n").await.unwrap();
    let line = tokio::time::timeout(WAIT, stdout.next_line()).await.unwrap().unwrap().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&line).unwrap()["id"], 9);
    drop(stdin);
    assert!(tokio::time::timeout(WAIT, proxy.wait()).await.unwrap().unwrap().success());

    server.terminate().await;
    server.exit().await;
    assert!(std::fs::symlink_metadata(&socket).is_err(), "symlink left behind");
    assert!(!target.exists(), "runtime socket left behind");
}

#[tokio::test]
async fn proxy_round_trips_through_a_running_server() {
    let home = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(home.path(), &["--listen", "unix://"]);
    server.listening_url().await;

    let mut proxy = codex(home.path()).args(["app-server", "proxy"]).spawn().unwrap();
    let mut stdin = proxy.stdin.take().unwrap();
    let mut stdout = BufReader::new(proxy.stdout.take().unwrap()).lines();
    let mut next = async || -> Value { common::next_stdout_json(&mut stdout).await };
    stdin.write_all(b"{\"id\":1,\"method\":\"initialize\",\"params\":{\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n").await.unwrap();
    let reply = next().await;
    assert_eq!(reply["id"], 1);
    assert!(reply["result"]["userAgent"].as_str().unwrap().starts_with("codex-app-server/"));
    stdin.write_all(b"garbage\n").await.unwrap();
    assert_eq!(next().await["error"]["code"], -32700);
    stdin.write_all(b"{\"id\":2,\"method\":\"nope/unknown\"}\n").await.unwrap();
    assert_eq!(next().await["error"]["code"], -32601);
    drop(stdin);
    let status = tokio::time::timeout(WAIT, proxy.wait()).await.unwrap().unwrap();
    assert!(status.success());

    // Input that ends right after the requests still gets every answer.
    let mut proxy = codex(home.path()).args(["app-server", "proxy"]).spawn().unwrap();
    let mut stdin = proxy.stdin.take().unwrap();
    let requests: String =
        (0..20).map(|id| format!("{{\"id\":{id},\"method\":\"initialize\",\"params\":{{\"clientInfo\":{{\"name\":\"t\",\"version\":\"1\"}}}}}}\n")).collect();
    stdin.write_all(requests.as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(WAIT, proxy.wait_with_output()).await.unwrap().unwrap();
    assert!(output.status.success());
    let answered = String::from_utf8(output.stdout).unwrap();
    let answers = answered
        .lines()
        .filter(|line| {
            !codex_test_support::is_sandbox_unavailable_warning(
                &serde_json::from_str(line).unwrap(),
            )
        })
        .count();
    assert_eq!(answers, 20, "{answered}");

    server.terminate().await;
    server.exit().await;
}

#[tokio::test]
async fn proxy_reports_when_nothing_listens() {
    let home = tempfile::tempdir().unwrap();
    let output = codex(home.path()).args(["app-server", "proxy"]).output().await.unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no app-server is listening on"), "{stderr}");
}
