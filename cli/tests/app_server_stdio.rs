//! `codex app-server` over stdio, driven through the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;

use common::codex;
use common::WAIT;

#[tokio::test]
async fn stdio_answers_requests_and_garbage_then_exits_on_eof() {
    let home = tempfile::tempdir().unwrap();
    for flags in [&[][..], &["--stdio"][..], &["--listen", "stdio://"][..]] {
        let mut child = codex(home.path()).arg("app-server").args(flags).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = async || -> Value { common::next_stdout_json(&mut stdout).await };

        stdin.write_all(b"{\"id\":1,\"method\":\"initialize\",\"params\":{\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n").await.unwrap();
        let reply = next().await;
        assert_eq!(reply["jsonrpc"], "2.0");
        assert_eq!(reply["result"]["platformFamily"], "unix");
        assert_eq!(reply["result"]["codexHome"], home.path().display().to_string());

        stdin.write_all(b"{nope\n").await.unwrap();
        let reply = next().await;
        assert_eq!(reply["error"]["code"], -32700, "{reply}");
        assert!(reply["id"].is_null());
        stdin.write_all(b"\xff\xfe\xfd\n").await.unwrap();
        assert_eq!(next().await["error"]["code"], -32700);
        stdin.write_all(b"42\n").await.unwrap();
        assert_eq!(next().await["error"]["code"], -32600);

        stdin.write_all(b"{\"id\":\"r\",\"method\":\"nope/unknown\"}\n").await.unwrap();
        let reply = next().await;
        assert_eq!(reply["id"], "r");
        assert_eq!(reply["error"]["message"], "Method not found: nope/unknown");

        drop(stdin);
        let status = tokio::time::timeout(WAIT, child.wait()).await.unwrap().unwrap();
        assert!(status.success(), "{flags:?}: {status}");
    }
}

#[tokio::test]
async fn bad_listen_address_lists_accepted_forms() {
    let home = tempfile::tempdir().unwrap();
    let output = codex(home.path())
        .args(["app-server", "--listen", "tcp://127.0.0.1:1"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ws://IP:PORT") && stderr.contains("unix://PATH"), "{stderr}");
}

#[tokio::test]
async fn ids_are_read_from_negative_zero_and_despite_unreadable_params() {
    let home = tempfile::tempdir().unwrap();
    let mut child = codex(home.path()).arg("app-server").spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut send_and_read = async |line: &str| -> Value {
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        common::next_stdout_json(&mut stdout).await
    };

    // `-0` is the integer 0 (serde_json reads it as a float).
    let reply = send_and_read(
        r#"{"id":-0,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"}}}"#,
    )
    .await;
    assert_eq!(reply["id"], 0, "{reply}");
    assert_eq!(reply["result"]["platformFamily"], "unix", "{reply}");

    // A number out of range in params: the request is answered with its own id.
    let reply = send_and_read(r#"{"id":7,"method":"thread/list","params":{"limit":1e309}}"#).await;
    assert_eq!(reply["id"], 7, "{reply}");
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    let reply =
        send_and_read(r#"{"id":"s","method":"thread/list","params":{"limit":-1e999}}"#).await;
    assert_eq!(reply["id"], "s", "{reply}");
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    // Out of range outside params: still that id, as an invalid request.
    let reply = send_and_read(r#"{"id":8,"method":"thread/list","params":{},"x":1e400}"#).await;
    assert_eq!(reply["id"], 8, "{reply}");
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    // An id that cannot be read, or broken JSON, still gets `id: null`.
    let reply = send_and_read(r#"{"id":1e309,"method":"thread/list"}"#).await;
    assert!(reply["id"].is_null(), "{reply}");
    let reply = send_and_read(r#"{"id":9,"method":"thread/list","params":{"limit":1e309"#).await;
    assert!(reply["id"].is_null(), "{reply}");
    assert_eq!(reply["error"]["code"], -32700, "{reply}");

    // The connection still works.
    let reply = send_and_read(r#"{"id":10,"method":"thread/list","params":{"limit":1}}"#).await;
    assert_eq!(reply["id"], 10, "{reply}");
    assert!(reply["result"]["data"].is_array(), "{reply}");
    drop(stdin);
    let status = tokio::time::timeout(WAIT, child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
}
