#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `command/exec` streaming 200 MB to a client that reads slowly, through the built binary: every
//! byte arrives in order, and the server's memory stays flat because output is back-pressured
//! to the client's pace instead of being queued.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::Server;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

const TOTAL: usize = 200_000_000;
/// Each line `yes` prints (16 bytes with the newline).
const LINE: &[u8] = b"0123456789abcde\n";
/// Sanity bound on the server's memory growth while streaming `TOTAL` bytes.
const MAX_GROWTH_KB: u64 = 100 * 1024;

fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn send(ws: &mut (impl SinkExt<Message> + Unpin), value: Value) {
    let _ = ws.send(Message::text(value.to_string())).await;
}

#[tokio::test]
async fn slow_reader_gets_every_byte_and_server_memory_stays_flat() {
    let home = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(home.path(), &["--listen", "ws://127.0.0.1:0"]);
    let url = server.listening_url().await;
    let pid = server.child.id().unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}/")).await.unwrap();
    send(
        &mut ws,
        json!({"id": 1, "method": "initialize",
               "params": {"clientInfo": {"name": "memory", "version": "1"}}}),
    )
    .await;
    let mut baseline_kb = None;
    let script = format!("yes {} | head -c {TOTAL}", std::str::from_utf8(&LINE[..15]).unwrap());
    // The expected stream, long enough to compare any delta (at most 64 KiB) at any phase.
    let pattern: Vec<u8> = LINE.iter().copied().cycle().take(64 * 1024 + LINE.len()).collect();
    let mut received = 0usize;
    let mut messages = 0usize;
    let mut peak_rss_kb = 0u64;
    loop {
        let frame = tokio::time::timeout(common::WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["id"] == 1 {
            baseline_kb = Some(status_kb(pid, "VmRSS:"));
            send(
                &mut ws,
                json!({"id": 2, "method": "command/exec", "params": {
                    "command": ["sh", "-c", script], "processId": "big",
                    "streamStdoutStderr": true, "disableOutputCap": true, "disableTimeout": true,
                    // Memory is the point here, not the sandbox (kernels without Landlock too).
                    "sandboxPolicy": {"type": "dangerFullAccess"}}}),
            )
            .await;
            continue;
        }
        if message["id"] == 2 {
            assert_eq!(message["result"]["exitCode"], 0, "{message}");
            break;
        }
        if message["method"] != "command/exec/outputDelta" {
            continue;
        }
        assert_eq!(message["params"]["stream"], "stdout");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(message["params"]["deltaBase64"].as_str().unwrap())
            .unwrap();
        let phase = received % LINE.len();
        assert!(bytes.len() <= pattern.len() - phase, "delta larger than 64 KiB");
        assert!(bytes == pattern[phase..phase + bytes.len()], "bytes after {received} differ");
        received += bytes.len();
        messages += 1;
        // Read slowly: the server must wait for us rather than buffer.
        tokio::time::sleep(Duration::from_millis(1)).await;
        if messages.is_multiple_of(500) {
            peak_rss_kb = peak_rss_kb.max(status_kb(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(received, TOTAL, "every byte arrives");
    let baseline_kb = baseline_kb.unwrap();
    let hwm_kb = status_kb(pid, "VmHWM:");
    eprintln!(
        "server RSS baseline {baseline_kb} kB, sampled peak {peak_rss_kb} kB, VmHWM {hwm_kb} kB, \
         {messages} deltas"
    );
    assert!(
        hwm_kb.saturating_sub(baseline_kb) < MAX_GROWTH_KB,
        "server memory grew from {baseline_kb} kB to a peak of {hwm_kb} kB"
    );
    server.terminate().await;
    let (_, stderr) = server.exit().await;
    assert!(!stderr.contains("panicked"), "{stderr}");
}
