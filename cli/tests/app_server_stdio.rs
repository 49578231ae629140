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
