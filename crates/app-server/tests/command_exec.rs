#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `command/exec` end to end: a real server on `ws://127.0.0.1:0` in-process, real sandboxed
//! child processes, and `TestClient` (which validates every server message against the
//! reference schema).

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::ListenAddress;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// An in-process server and what it needs to stay alive.
struct Server {
    address: String,
    shutdown: CancellationToken,
    thread: std::thread::JoinHandle<()>,
    _home: tempfile::TempDir,
}

impl Server {
    /// A server whose default sandbox is danger-full-access: the tests using it are about
    /// `command/exec` itself, not the sandbox, and must pass on kernels without Landlock.
    async fn start() -> Self {
        Self::start_with_config("sandbox_mode = \"danger-full-access\"\n").await
    }

    /// A server with the built-in default sandbox (read-only).
    async fn start_with_default_sandbox() -> Self {
        Self::start_with_config("").await
    }

    async fn start_with_config(config: &str) -> Self {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        let tx = Mutex::new(Some(tx));
        let mut options = ServeOptions::new(
            ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
            home.path().to_path_buf(),
        );
        options.on_listening = Some(Arc::new(move |address: &str| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(address.to_owned());
            }
        }));
        let shutdown = CancellationToken::new();
        // `serve`'s future is not `Send` (sqlx), so it runs on a runtime of its own thread.
        let thread = {
            let shutdown = shutdown.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Runtime::new().unwrap();
                runtime.block_on(serve(options, shutdown)).unwrap();
            })
        };
        let url = rx.await.unwrap();
        let address = url.trim_start_matches("ws://").to_owned();
        Self { address, shutdown, thread, _home: home }
    }

    async fn client(&self, name: &str) -> TestClient {
        let mut client = TestClient::connect_ws(&self.address).await.unwrap();
        client.initialize(name, false).await.unwrap();
        client
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::task::spawn_blocking(move || self.thread.join().unwrap()).await.unwrap();
    }
}

fn decode(delta: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(delta["deltaBase64"].as_str().unwrap())
        .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads `command/exec/outputDelta` notifications of `process_id` until the collected stdout
/// contains `needle`; returns everything collected.
async fn stdout_until(client: &mut TestClient, process_id: &str, needle: &str) -> String {
    let mut seen = Vec::new();
    loop {
        let delta = client.wait_for_notification("command/exec/outputDelta").await.unwrap();
        assert_eq!(delta["processId"], process_id, "{delta}");
        if delta["stream"] == "stdout" {
            seen.extend(decode(&delta));
        }
        let text = String::from_utf8_lossy(&seen).into_owned();
        if text.contains(needle) {
            return text;
        }
    }
}

fn error_of(outcome: Result<Value, Value>) -> Value {
    outcome.expect_err("expected an error response")
}

#[tokio::test]
async fn buffered_exec_reports_exit_code_stdout_and_stderr() {
    let server = Server::start().await;
    let mut client = server.client("exit-codes").await;
    let result = client
        .call("command/exec", json!({"command": ["sh", "-c", "echo out; echo err >&2; exit 3"]}))
        .await
        .unwrap();
    assert_eq!(result, json!({"exitCode": 3, "stdout": "out\n", "stderr": "err\n"}));

    let result = client.call("command/exec", json!({"command": ["true"]})).await.unwrap();
    assert_eq!(result["exitCode"], 0);

    // Environment overrides: set one variable and unset an inherited one.
    let result = client
        .call(
            "command/exec",
            json!({"command": ["sh", "-c", "echo \"$CODEX_T_SET-${HOME:-unset}\""],
                   "env": {"CODEX_T_SET": "yes", "HOME": null}}),
        )
        .await
        .unwrap();
    assert_eq!(result["stdout"], "yes-unset\n");

    // The working directory is honoured.
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    let result = client
        .call("command/exec", json!({"command": ["pwd"], "cwd": cwd.to_str().unwrap()}))
        .await
        .unwrap();
    assert_eq!(result["stdout"], format!("{}\n", cwd.display()));
    server.stop().await;
}

#[tokio::test]
async fn output_caps_truncate_buffered_and_streamed_output() {
    let server = Server::start().await;
    let mut client = server.client("caps").await;
    let print = "head -c 300000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero | tr '\\0' b >&2";
    let result = client
        .call("command/exec", json!({"command": ["sh", "-c", print], "outputBytesCap": 1000}))
        .await
        .unwrap();
    assert_eq!(result["stdout"], "a".repeat(1000));
    assert_eq!(result["stderr"], "b".repeat(1000));

    // Without a cap everything arrives.
    let result = client
        .call("command/exec", json!({"command": ["sh", "-c", print], "disableOutputCap": true}))
        .await
        .unwrap();
    assert_eq!(result["stdout"].as_str().unwrap().len(), 300_000);

    // Streamed: exactly `cap` bytes per stream, the last chunk of each flagged.
    let id = client
        .send_request(
            "command/exec",
            json!({"command": ["sh", "-c", print], "outputBytesCap": 70000,
                   "processId": "capped", "streamStdoutStderr": true}),
        )
        .await
        .unwrap();
    let result = client.response(&id).await.unwrap().unwrap();
    assert_eq!(result, json!({"exitCode": 0, "stdout": "", "stderr": ""}));
    let deltas: Vec<Value> = client
        .take_inbox()
        .into_iter()
        .filter(|m| m["method"] == "command/exec/outputDelta")
        .map(|m| m["params"].clone())
        .collect();
    for stream in ["stdout", "stderr"] {
        let chunks: Vec<&Value> = deltas.iter().filter(|d| d["stream"] == stream).collect();
        let total: usize = chunks.iter().map(|d| decode(d).len()).sum();
        let expected = if stream == "stdout" { 70_000 } else { 5_000 };
        assert_eq!(total, expected, "{stream}");
        let flagged: Vec<bool> = chunks.iter().map(|d| d["capReached"] == true).collect();
        let last = *flagged.last().unwrap();
        assert_eq!(last, stream == "stdout", "{stream}: {flagged:?}");
        assert!(flagged[..flagged.len() - 1].iter().all(|f| !f), "{stream}: {flagged:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn timeout_kills_the_command_and_answers() {
    let server = Server::start().await;
    let mut client = server.client("timeout").await;
    let result = client
        .call("command/exec", json!({"command": ["sleep", "30"], "timeoutMs": 200}))
        .await
        .unwrap();
    // SIGKILL: 128 + 9.
    assert_eq!(result["exitCode"], 137, "{result}");
    let error = error_of(
        client
            .request(
                "command/exec",
                json!({"command": ["true"], "timeoutMs": 5, "disableTimeout": true}),
            )
            .await
            .unwrap(),
    );
    assert_eq!(error["code"], -32602);
    server.stop().await;
}

#[tokio::test]
async fn stdin_streams_while_the_connection_keeps_serving_requests() {
    let server = Server::start().await;
    let mut client = server.client("stdin").await;
    let exec = client
        .send_request(
            "command/exec",
            json!({"command": ["cat"], "processId": "cat-1", "streamStdin": true,
                   "streamStdoutStderr": true}),
        )
        .await
        .unwrap();
    // The running command does not block this connection: write is answered meanwhile.
    client
        .call("command/exec/write", json!({"processId": "cat-1", "deltaBase64": b64(b"hello\n")}))
        .await
        .unwrap();
    stdout_until(&mut client, "cat-1", "hello\n").await;
    let error = error_of(
        client
            .request("command/exec/write", json!({"processId": "cat-1", "deltaBase64": "!!"}))
            .await
            .unwrap(),
    );
    assert!(error["message"].as_str().unwrap().contains("base64"), "{error}");
    client
        .call(
            "command/exec/write",
            json!({"processId": "cat-1", "deltaBase64": b64(b"bye\n"), "closeStdin": true}),
        )
        .await
        .unwrap();
    stdout_until(&mut client, "cat-1", "bye\n").await;
    let result = client.response(&exec).await.unwrap().unwrap();
    assert_eq!(result, json!({"exitCode": 0, "stdout": "", "stderr": ""}));

    // An exited command's id is unknown; a process without streamStdin is refused clearly.
    let error = error_of(
        client
            .request("command/exec/write", json!({"processId": "cat-1", "deltaBase64": "eA=="}))
            .await
            .unwrap(),
    );
    assert!(error["message"].as_str().unwrap().contains("no running command"), "{error}");
    let exec = client
        .send_request("command/exec", json!({"command": ["sleep", "30"], "processId": "no-stdin"}))
        .await
        .unwrap();
    let error = error_of(
        client
            .request("command/exec/write", json!({"processId": "no-stdin", "deltaBase64": "eA=="}))
            .await
            .unwrap(),
    );
    assert!(error["message"].as_str().unwrap().contains("streamStdin"), "{error}");
    client.call("command/exec/terminate", json!({"processId": "no-stdin"})).await.unwrap();
    client.response(&exec).await.unwrap().unwrap();
    server.stop().await;
}

#[tokio::test]
async fn terminate_stops_a_running_command() {
    let server = Server::start().await;
    let mut client = server.client("terminate").await;
    let exec = client
        .send_request(
            "command/exec",
            json!({"command": ["sleep", "30"], "processId": "sleeper", "disableTimeout": true}),
        )
        .await
        .unwrap();
    client.call("command/exec/terminate", json!({"processId": "sleeper"})).await.unwrap();
    let result = client.response(&exec).await.unwrap().unwrap();
    // SIGTERM: 128 + 15.
    assert_eq!(result["exitCode"], 143, "{result}");
    // The id is free again; terminating it now is an unknown-process error.
    let error = error_of(
        client.request("command/exec/terminate", json!({"processId": "sleeper"})).await.unwrap(),
    );
    assert_eq!(error["code"], -32602);
    assert!(error["message"].as_str().unwrap().contains("sleeper"), "{error}");
    server.stop().await;
}

#[tokio::test]
async fn pty_resize_is_seen_by_the_command() {
    let server = Server::start().await;
    let mut client = server.client("pty").await;
    let exec = client
        .send_request(
            "command/exec",
            json!({"command": ["sh", "-c", "stty size; read line; stty size"],
                   "processId": "tty-1", "tty": true, "size": {"rows": 24, "cols": 80}}),
        )
        .await
        .unwrap();
    stdout_until(&mut client, "tty-1", "24 80").await;
    client
        .call(
            "command/exec/resize",
            json!({"processId": "tty-1", "size": {"rows": 50, "cols": 132}}),
        )
        .await
        .unwrap();
    client
        .call("command/exec/write", json!({"processId": "tty-1", "deltaBase64": b64(b"go\n")}))
        .await
        .unwrap();
    stdout_until(&mut client, "tty-1", "50 132").await;
    let result = client.response(&exec).await.unwrap().unwrap();
    assert_eq!(result["exitCode"], 0);

    // Resizing a command without a terminal is refused.
    let exec = client
        .send_request("command/exec", json!({"command": ["sleep", "30"], "processId": "pipes"}))
        .await
        .unwrap();
    let error = error_of(
        client
            .request(
                "command/exec/resize",
                json!({"processId": "pipes", "size": {"rows": 1, "cols": 1}}),
            )
            .await
            .unwrap(),
    );
    assert!(error["message"].as_str().unwrap().contains("terminal"), "{error}");
    client.call("command/exec/terminate", json!({"processId": "pipes"})).await.unwrap();
    client.response(&exec).await.unwrap().unwrap();
    server.stop().await;
}

#[tokio::test]
async fn process_ids_are_scoped_to_their_connection() {
    let server = Server::start().await;
    let mut alice = server.client("alice").await;
    let mut bob = server.client("bob").await;
    let params = json!({"command": ["cat"], "processId": "shared", "streamStdin": true,
                        "streamStdoutStderr": true});
    let alice_exec = alice.send_request("command/exec", params.clone()).await.unwrap();
    let bob_exec = bob.send_request("command/exec", params.clone()).await.unwrap();
    // A second command with the same id on the same connection is refused.
    let error = error_of(alice.request("command/exec", params).await.unwrap());
    assert!(error["message"].as_str().unwrap().contains("already in use"), "{error}");

    alice
        .call(
            "command/exec/write",
            json!({"processId": "shared", "deltaBase64": b64(b"from alice\n")}),
        )
        .await
        .unwrap();
    bob.call(
        "command/exec/write",
        json!({"processId": "shared", "deltaBase64": b64(b"from bob\n")}),
    )
    .await
    .unwrap();
    let alice_out = stdout_until(&mut alice, "shared", "from alice\n").await;
    let bob_out = stdout_until(&mut bob, "shared", "from bob\n").await;
    assert!(!alice_out.contains("bob") && !bob_out.contains("alice"));

    // Bob terminating "shared" stops only his command.
    bob.call("command/exec/terminate", json!({"processId": "shared"})).await.unwrap();
    assert_eq!(bob.response(&bob_exec).await.unwrap().unwrap()["exitCode"], 143);
    alice
        .call(
            "command/exec/write",
            json!({"processId": "shared", "deltaBase64": b64(b"still here\n"), "closeStdin": true}),
        )
        .await
        .unwrap();
    stdout_until(&mut alice, "shared", "still here\n").await;
    assert_eq!(alice.response(&alice_exec).await.unwrap().unwrap()["exitCode"], 0);

    let error = error_of(
        bob.request("command/exec/write", json!({"processId": "nope", "closeStdin": true}))
            .await
            .unwrap(),
    );
    assert_eq!(error["code"], -32602);
    assert!(error["message"].as_str().unwrap().contains("nope"), "{error}");
    server.stop().await;
}

fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie (state Z) has exited; only its parent has not reaped it yet.
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[tokio::test]
async fn closing_the_connection_kills_its_processes() {
    let server = Server::start().await;
    let mut client = server.client("closer").await;
    let _exec = client
        .send_request(
            "command/exec",
            json!({"command": ["sh", "-c", "echo pid=$$; exec sleep 60"],
                   "processId": "orphan", "streamStdoutStderr": true, "disableTimeout": true}),
        )
        .await
        .unwrap();
    let text = stdout_until(&mut client, "orphan", "\n").await;
    let pid: u32 = text.trim().trim_start_matches("pid=").parse().unwrap();
    assert!(process_alive(pid), "the command should be running");
    client.close().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while process_alive(pid) {
        assert!(tokio::time::Instant::now() < deadline, "process {pid} outlived its connection");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn invalid_requests_get_invalid_params() {
    let server = Server::start().await;
    let mut client = server.client("invalid").await;
    let error = error_of(client.request("command/exec", json!({"command": []})).await.unwrap());
    assert_eq!(error["code"], -32602);
    assert!(error["message"].as_str().unwrap().contains("command"), "{error}");

    let error = error_of(
        client
            .request("command/exec", json!({"command": ["pwd"], "cwd": "relative/dir"}))
            .await
            .unwrap(),
    );
    assert_eq!(error["code"], -32602);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("relative/dir") && message.contains("absolute"), "{error}");

    for params in [
        json!({"command": ["cat"], "streamStdin": true}),
        json!({"command": ["cat"], "tty": true}),
        json!({"command": ["cat"], "size": {"rows": 2, "cols": 2}, "processId": "x"}),
        json!({"command": ["cat"], "outputBytesCap": 1, "disableOutputCap": true}),
        json!({"command": ["cat"], "timeoutMs": -1}),
    ] {
        let error = error_of(client.request("command/exec", params.clone()).await.unwrap());
        assert_eq!(error["code"], -32602, "{params}: {error}");
    }
    // A missing working directory is refused before anything runs.
    let error = error_of(
        client
            .request("command/exec", json!({"command": ["true"], "cwd": "/nonexistent/codex-t"}))
            .await
            .unwrap(),
    );
    assert_eq!(error["code"], -32602, "{error}");
    server.stop().await;
}

/// A scratch directory outside `/tmp` (which workspace-write leaves writable).
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// Whether the kernel sandbox works; prints `SKIPPED <name>: <why>` when it does not.
fn sandbox_usable(name: &str) -> bool {
    let support = codex_sandbox::SandboxSupport::get();
    if support.landlock_available() && support.seccomp_filter {
        return true;
    }
    eprintln!("SKIPPED {name}: kernel sandbox unavailable: {}", support.message);
    false
}

#[tokio::test]
async fn read_only_sandbox_cannot_write_the_working_directory() {
    let server = Server::start_with_default_sandbox().await;
    let mut client = server.client("sandbox").await;
    let dir = scratch();
    let cwd = dir.path().to_str().unwrap();
    let write = json!(["sh", "-c", "echo hi > file"]);
    let outcome = client
        .request(
            "command/exec",
            json!({"command": write, "cwd": cwd, "sandboxPolicy": {"type": "readOnly"}}),
        )
        .await
        .unwrap();
    if !sandbox_usable("read_only_sandbox_cannot_write_the_working_directory") {
        // Never unsandboxed: refused with the sandbox's explanation.
        let error = error_of(outcome);
        assert!(error["message"].as_str().unwrap().contains("danger-full-access"), "{error}");
        assert!(!dir.path().join("file").exists());
        server.stop().await;
        return;
    }
    let result = outcome.unwrap();
    assert_ne!(result["exitCode"], 0, "{result}");
    assert!(result["stderr"].as_str().unwrap().contains("ermission denied"), "{result}");
    assert!(!dir.path().join("file").exists());

    // The server's default (`sandbox_mode` unset = read-only) refuses too.
    let result = client.call("command/exec", json!({"command": write, "cwd": cwd})).await.unwrap();
    assert_ne!(result["exitCode"], 0, "{result}");
    assert!(!dir.path().join("file").exists());

    // Workspace-write allows writing the working directory, proving the test can see a write.
    let result = client
        .call(
            "command/exec",
            json!({"command": write, "cwd": cwd, "sandboxPolicy": {"type": "workspaceWrite"}}),
        )
        .await
        .unwrap();
    assert_eq!(result["exitCode"], 0, "{result}");
    assert_eq!(std::fs::read_to_string(dir.path().join("file")).unwrap(), "hi\n");
    server.stop().await;
}

#[tokio::test]
async fn no_config_warning_when_the_sandbox_works() {
    // The warning path needs a kernel without Landlock/seccomp; here we check the other half:
    // a working sandbox produces no warning after initialize.
    if !sandbox_usable("no_config_warning_when_the_sandbox_works") {
        return;
    }
    let server = Server::start_with_default_sandbox().await;
    let mut client = server.client("warning").await;
    assert!(client.is_quiet_for(Duration::from_millis(300)).await);
    assert!(Path::new("/proc/self").exists());
    server.stop().await;
}
