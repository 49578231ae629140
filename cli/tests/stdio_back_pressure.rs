//! Stdio never drops: the built `codex app-server` gets 10,000 requests in one go from a client
//! that reads its stdout slowly (and closes stdin right after writing); every request must get
//! exactly one schema-valid answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::BufRead;
use std::io::BufReader;
use std::io::Write;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;

use codex_test_support::ReferenceSchema;
use serde_json::json;
use serde_json::Value;

const REQUESTS: i64 = 10_000;

/// Runs one server with `flags`, sends `initialize` + 10,000 `account/read`, reads slowly, and
/// returns every answer by id.
fn run_slow_reader(flags: &[&str]) -> HashMap<i64, Value> {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_codex"))
        .arg("app-server")
        .args(flags)
        .env("CODEX_HOME", home.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (written_tx, written_rx) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let mut batch = String::new();
        let init = json!({"id": 0, "method": "initialize",
                          "params": {"clientInfo": {"name": "slow", "version": "1"}}});
        batch.push_str(&format!("{init}\n"));
        for id in 1..=REQUESTS {
            batch.push_str(&format!(
                "{{\"id\":{id},\"method\":\"account/read\",\"params\":{{}}}}\n"
            ));
        }
        stdin.write_all(batch.as_bytes()).unwrap();
        // End of input right away: answers still owed must be written anyway.
        drop(stdin);
        let _ = written_tx.send(());
    });

    let schema = ReferenceSchema::get();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    // Read nothing until the server has taken the whole burst (or has stopped reading stdin
    // because its output is full), so its outbound queue and the pipe fill up first.
    let _ = written_rx.recv_timeout(Duration::from_secs(5));
    let mut answers = HashMap::new();
    for (index, line) in stdout.lines().enumerate() {
        let message: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if codex_test_support::is_sandbox_unavailable_warning(&message) {
            continue;
        }
        let id = message["id"].as_i64().unwrap();
        let method = if id == 0 { "initialize" } else { "account/read" };
        schema.validate_server_message(&message, Some(method)).unwrap();
        assert!(answers.insert(id, message).is_none(), "id {id} answered twice");
        if index % 500 == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    answers
}

#[test]
fn a_slow_stdio_reader_loses_no_response() {
    // An inbound queue large enough for the whole burst: every request succeeds, so the only
    // thing standing between request and answer is outbound back pressure.
    let answers = run_slow_reader(&["--inbound-queue-capacity", "20000"]);
    assert_eq!(answers.len() as i64, REQUESTS + 1);
    for id in 0..=REQUESTS {
        let answer = &answers[&id];
        assert!(answer.get("result").is_some(), "id {id}: {answer}");
    }
}

#[test]
fn a_slow_stdio_reader_gets_an_answer_to_every_request_even_when_overloaded() {
    // The default inbound queue is far smaller than the burst: requests beyond it are refused with
    // -32001, but each one is still answered exactly once.
    let answers = run_slow_reader(&["--inbound-queue-capacity", "64"]);
    assert_eq!(answers.len() as i64, REQUESTS + 1);
    let mut refused = 0;
    for id in 1..=REQUESTS {
        let answer = &answers[&id];
        if let Some(error) = answer.get("error") {
            assert_eq!(error["code"], -32001, "id {id}: {answer}");
            refused += 1;
        }
    }
    assert!(refused > 0, "a 10,000-request burst into a 64-slot queue was never refused");
    assert!(refused < REQUESTS, "nothing was served");
}
