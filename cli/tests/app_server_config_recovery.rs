//! A damaged `$CODEX_HOME` through the built binary over stdio: a config.toml that is random
//! bytes or has a TOML syntax error does not take the server down (it serves with defaults,
//! warns each client with file and line, and refuses what depends on the file until it is
//! fixed), `--strict-config` exits instead, a corrupt state.sqlite still stops the start and is
//! left untouched, and `--recover-state` moves it aside and serves. Also `--profile`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Stdio;

use serde_json::json;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::process::Child;
use tokio::process::ChildStdin;
use tokio::process::ChildStdout;

use common::WAIT;

/// A stdio server: requests in, every message out (the kernel-cannot-sandbox warning skipped).
struct StdioServer {
    child: Child,
    stdin: ChildStdin,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl StdioServer {
    fn spawn(home: &Path, args: &[&str]) -> Self {
        let mut child = common::codex(home).arg("app-server").args(args).spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, stdin, stdout }
    }

    async fn send(&mut self, message: Value) {
        self.stdin.write_all(format!("{message}\n").as_bytes()).await.unwrap();
    }

    /// Messages up to and including the response to `id`.
    async fn until_response(&mut self, id: i64) -> (Vec<Value>, Value) {
        let mut before = Vec::new();
        loop {
            let message = common::next_stdout_json(&mut self.stdout).await;
            if message["id"] == id && message.get("method").is_none() {
                return (before, message);
            }
            before.push(message);
        }
    }

    /// `initialize` and `initialized`; returns the notifications sent right after.
    async fn initialize(&mut self) -> Vec<Value> {
        self.send(json!({"id": 1, "method": "initialize",
            "params": {"clientInfo": {"name": "t", "version": "1"}}}))
            .await;
        let (_, response) = self.until_response(1).await;
        assert!(response["result"].is_object(), "{response}");
        self.send(json!({"method": "initialized"})).await;
        // A round trip after initialize collects what the server sent in between.
        self.send(json!({"id": 2, "method": "config/read", "params": {}})).await;
        let (notifications, read) = self.until_response(2).await;
        assert!(read["result"].is_object(), "config/read works with a broken file: {read}");
        notifications
    }

    /// Closes stdin and waits for the exit; returns (success, stderr).
    async fn finish(mut self) -> (bool, String) {
        drop(self.stdin);
        let status = tokio::time::timeout(WAIT, self.child.wait()).await.unwrap().unwrap();
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
        (status.success(), stderr)
    }
}

/// Runs `codex app-server ARGS` with stdin closed; returns (exit code, stderr).
async fn run_to_exit(home: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = common::codex(home)
        .arg("app-server")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn thread_start(id: i64, cwd: &Path) -> Value {
    json!({"id": id, "method": "thread/start", "params": {"cwd": cwd}})
}

#[tokio::test]
async fn random_bytes_in_config_toml_leave_the_server_up_warning_and_refusing() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = home.path().join("config.toml");
    std::fs::write(&file, b"model = \"m\"\n\x00\xff\xfe garbage \x9c\x01\n").unwrap();
    let mut server = StdioServer::spawn(home.path(), &[]);
    let notifications = server.initialize().await;
    let warnings: Vec<&Value> =
        notifications.iter().filter(|message| message["method"] == "configWarning").collect();
    assert_eq!(warnings.len(), 1, "{notifications:?}");
    let warning = &warnings[0]["params"];
    assert_eq!(warning["path"], file.display().to_string(), "{warning}");
    assert_eq!(warning["range"]["start"]["line"], 2, "{warning}");
    let summary = warning["summary"].as_str().unwrap();
    assert!(summary.contains("config.toml:2:") && summary.contains("not UTF-8"), "{summary}");

    for (id, request) in [
        (3, thread_start(3, work.path())),
        (
            4,
            json!({"id": 4, "method": "config/value/write",
            "params": {"keyPath": "model", "value": "x", "mergeStrategy": "replace"}}),
        ),
        (5, json!({"id": 5, "method": "config/batchWrite", "params": {"edits": []}})),
        (
            6,
            json!({"id": 6, "method": "turn/start",
            "params": {"threadId": "t", "input": [{"type": "text", "text": "hi"}]}}),
        ),
    ] {
        let method = request["method"].as_str().unwrap().to_owned();
        server.send(request).await;
        let (_, refused) = server.until_response(id).await;
        assert_eq!(refused["error"]["code"], -32603, "{method}: {refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{method} refused")), "{message}");
        assert!(message.contains(&format!("{}:2:", file.display())), "{message}");
    }
    assert!(std::fs::read(&file).unwrap().starts_with(b"model = \"m\"\n\x00"), "not rewritten");

    // Fixed by hand: the next thread/start loads it and succeeds, no restart.
    std::fs::write(&file, "model = \"fixed-model\"\n").unwrap();
    server.send(thread_start(7, work.path())).await;
    let (_, started) = server.until_response(7).await;
    assert_eq!(started["result"]["model"], "fixed-model", "{started}");

    let (success, stderr) = server.finish().await;
    assert!(success, "EOF ends the server normally: {stderr}");
    assert!(stderr.contains(&file.display().to_string()), "the log names the file: {stderr}");
}

#[tokio::test]
async fn a_toml_syntax_error_is_a_warning_by_default_and_an_exit_with_strict_config() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = home.path().join("config.toml");
    std::fs::write(&file, "model = \"m\"\n\n[broken\nsandbox_mode = \"read-only\"\n").unwrap();

    let mut server = StdioServer::spawn(home.path(), &[]);
    let notifications = server.initialize().await;
    let warning = notifications
        .iter()
        .find(|message| message["method"] == "configWarning")
        .unwrap_or_else(|| panic!("no configWarning: {notifications:?}"));
    assert_eq!(warning["params"]["range"]["start"]["line"], 3, "{warning}");
    server.send(thread_start(3, work.path())).await;
    let (_, refused) = server.until_response(3).await;
    assert!(
        refused["error"]["message"].as_str().unwrap().contains(&format!("{}:3:", file.display())),
        "{refused}"
    );
    let (success, _) = server.finish().await;
    assert!(success);

    let (code, stderr) = run_to_exit(home.path(), &["--strict-config"]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
}

#[tokio::test]
async fn a_corrupt_state_database_stops_the_start_untouched_unless_recover_state() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let db = home.path().join("state.sqlite");
    let wal = home.path().join("state.sqlite-wal");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&db, &garbage).unwrap();
    std::fs::write(&wal, b"not a wal either").unwrap();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(home.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();

    let (code, stderr) = run_to_exit(home.path(), &[]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("corrupt") && stderr.contains(&db.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage, "left untouched");
    assert_eq!(std::fs::read(&wal).unwrap(), b"not a wal either");
    assert_eq!(listing(), before, "nothing created or moved");

    let mut server = StdioServer::spawn(home.path(), &["--recover-state"]);
    server.initialize().await;
    server.send(thread_start(3, work.path())).await;
    let (_, started) = server.until_response(3).await;
    assert!(started["result"]["thread"]["id"].is_string(), "serving on fresh state: {started}");
    let (success, stderr) = server.finish().await;
    assert!(success, "{stderr}");

    let moved: Vec<String> =
        listing().into_iter().filter(|name| name.starts_with("state.sqlite.corrupt-")).collect();
    assert_eq!(moved.len(), 2, "the database and its -wal: {moved:?}");
    let moved_db = home.path().join(&moved[0]);
    assert_eq!(std::fs::read(&moved_db).unwrap(), garbage, "the old bytes are kept");
    assert_eq!(moved[1], format!("{}-wal", moved[0]));
    assert_eq!(std::fs::read(home.path().join(&moved[1])).unwrap(), b"not a wal either");
    assert!(stderr.contains(&moved_db.display().to_string()), "the log says where: {stderr}");
    assert!(db.exists(), "a fresh database took its place: {:?}", listing());
    assert_ne!(std::fs::read(&db).unwrap(), garbage);
}

#[tokio::test]
async fn app_server_profile_layers_the_named_profile() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "model = \"top\"\n[profiles.alt]\nmodel = \"alt-model\"\n",
    )
    .unwrap();
    for (args, model) in [(&[][..], "top"), (&["--profile", "alt"][..], "alt-model")] {
        let mut server = StdioServer::spawn(home.path(), args);
        server.initialize().await;
        server.send(json!({"id": 3, "method": "config/read", "params": {}})).await;
        let (_, read) = server.until_response(3).await;
        assert_eq!(read["result"]["config"]["model"], model, "{args:?}: {read}");
        assert!(server.finish().await.0);
    }
    let (code, stderr) = run_to_exit(home.path(), &["-p", "missing"]).await;
    assert_eq!(code, Some(1), "an unknown profile is a command-line error: {stderr}");
    assert!(stderr.contains("profile `missing`"), "{stderr}");
}
