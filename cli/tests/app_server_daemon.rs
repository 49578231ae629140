//! `codex app-server daemon …` through the built binary, each test with its own CODEX_HOME: one
//! server however many starts race, status/version JSON, the proxy and a Unix-socket client
//! reaching the daemon, a stop that lets a running turn finish, `--force`, remote control applied
//! at runtime and persisted for the next start, stale pid files and sockets, start failures that
//! point at the log, and log rotation.
//!
//! Every test holds a [`DaemonHome`]: its drop SIGKILLs every process started with that
//! CODEX_HOME, so a failing test never leaks a daemon.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use codex_app_server_transport::CancellationToken;
use codex_remote_relay::RelayHandle;
use codex_remote_relay::RelayOptions;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use common::WAIT;
use serde_json::json;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;

/// A temporary CODEX_HOME whose processes are killed when the test ends, pass or fail.
struct DaemonHome {
    dir: tempfile::TempDir,
}

impl DaemonHome {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn socket(&self) -> PathBuf {
        self.path().join("app-server-control/app-server-control.sock")
    }

    fn pid_file(&self) -> PathBuf {
        self.path().join("app-server-control/app-server.pid")
    }

    fn log_file(&self) -> PathBuf {
        self.path().join("log/app-server.log")
    }

    /// Pids of live `codex app-server --listen …` processes started with this CODEX_HOME.
    fn servers(&self) -> Vec<u32> {
        self.processes()
            .into_iter()
            .filter(|pid| {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
                args.contains(&&b"app-server"[..]) && args.contains(&&b"--listen"[..])
            })
            .collect()
    }

    /// Pids of every live process (zombies excluded) whose environment has this CODEX_HOME.
    fn processes(&self) -> Vec<u32> {
        let needle = format!("CODEX_HOME={}", self.path().display()).into_bytes();
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok())
            else {
                continue;
            };
            if pid == std::process::id() {
                continue;
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')) {
                continue;
            }
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            if environ.split(|b| *b == 0).any(|var| var == needle.as_slice()) {
                pids.push(pid);
            }
        }
        pids
    }

    /// Runs `codex app-server daemon ARGS`; returns (success, stdout JSON, stderr).
    async fn daemon(&self, args: &[&str]) -> (bool, Value, String) {
        let output = tokio::time::timeout(
            Duration::from_secs(90),
            common::codex(self.path())
                .args(["app-server", "daemon"])
                .args(args)
                .stdin(Stdio::null())
                .output(),
        )
        .await
        .expect("daemon command hung")
        .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let value = if output.status.success() {
            // One JSON object on one line, for programs reading it.
            let line = stdout.strip_suffix('\n').unwrap_or(&stdout);
            assert!(!line.contains('\n'), "stdout is not one line: {stdout}");
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {stdout}\n{stderr}"));
            assert!(value.is_object(), "{value}");
            value
        } else {
            Value::Null
        };
        (output.status.success(), value, stderr)
    }

    /// Runs a daemon command that must succeed and returns its JSON.
    async fn ok(&self, args: &[&str]) -> Value {
        let (success, value, stderr) = self.daemon(args).await;
        assert!(success, "`daemon {}` failed: {stderr}", args.join(" "));
        value
    }

    fn write_config(&self, text: &str) {
        std::fs::write(self.path().join("config.toml"), text).unwrap();
    }
}

impl Drop for DaemonHome {
    fn drop(&mut self) {
        for pid in self.processes() {
            // SAFETY: killing a process this test started (it carries the test's CODEX_HOME).
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
        }
    }
}

fn mock_config(mock: &MockProvider) -> String {
    format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    )
}

fn pid_of(value: &Value) -> u32 {
    value["pid"].as_u64().unwrap_or_else(|| panic!("no pid in {value}")) as u32
}

/// Polls `condition` until it holds (panics after [`WAIT`]).
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn start_twice_leaves_one_server_that_status_version_and_the_proxy_reach() {
    let home = DaemonHome::new();
    let stopped = home.ok(&["status"]).await;
    assert_eq!(stopped["running"], false, "{stopped}");
    assert_eq!(stopped["state"], "stopped");

    let first = home.ok(&["start"]).await;
    assert_eq!(first["running"], true, "{first}");
    assert_eq!(first["alreadyRunning"], false, "{first}");
    let pid = pid_of(&first);
    assert_eq!(home.servers(), vec![pid], "the reported pid is the one server process");

    let (success, second, stderr) = home.daemon(&["start"]).await;
    assert!(success, "{stderr}");
    assert_eq!(second["alreadyRunning"], true, "{second}");
    assert_eq!(pid_of(&second), pid);
    assert!(stderr.contains("already running"), "{stderr}");
    assert_eq!(home.servers(), vec![pid], "a second start must not spawn another server");

    let status = home.ok(&["status"]).await;
    assert_eq!(status["running"], true);
    assert_eq!(status["state"], "running");
    assert_eq!(pid_of(&status), pid);
    assert_eq!(status["socketPath"], home.socket().display().to_string());
    assert_eq!(status["serverVersion"], env!("CARGO_PKG_VERSION"));
    assert!(status["userAgent"].as_str().unwrap().starts_with("codex-app-server/"));
    assert!(status["uptimeSeconds"].is_u64(), "{status}");
    assert_eq!(status["remoteControl"]["status"], "disabled", "{status}");
    assert_eq!(status["remoteControl"]["enabledOnStart"], false);
    assert_eq!(status["logFile"], home.log_file().display().to_string());
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(home.pid_file()).unwrap()).unwrap();
    assert_eq!(record["pid"], pid, "the server recorded its own pid");

    let version = home.ok(&["version"]).await;
    assert_eq!(version["cliVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(version["serverVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(pid_of(&version["daemon"]), pid);

    // A stdio-only client attaches through `codex app-server proxy`.
    let mut proxy = common::codex(home.path()).args(["app-server", "proxy"]).spawn().unwrap();
    let mut stdin = proxy.stdin.take().unwrap();
    stdin
        .write_all(
            b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\",\"params\":{\"clientInfo\":{\"name\":\"p\",\"version\":\"1\"}}}\n",
        )
        .await
        .unwrap();
    let mut lines = tokio::io::BufReader::new(proxy.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line()).await.unwrap().unwrap().unwrap();
    let reply: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(reply["id"], 7, "{reply}");
    assert_eq!(reply["result"]["codexHome"], home.path().display().to_string());
    drop(stdin);
    let status = tokio::time::timeout(WAIT, proxy.wait()).await.unwrap().unwrap();
    assert!(status.success());

    let log = std::fs::read_to_string(home.log_file()).unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(home.log_file()).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the log is private");
    assert!(log.contains("codex app-server daemon starting"), "{log}");
    assert!(log.contains("listening on unix://"), "{log}");
    assert!(!log.contains('\u{1b}'), "no terminal colours in the log file: {log}");

    let stop = home.ok(&["stop"]).await;
    assert_eq!(stop["outcome"], "stopped", "{stop}");
    assert_eq!(pid_of(&stop), pid);
    assert!(home.servers().is_empty());
    assert!(!home.socket().exists(), "the socket is removed");
    assert!(!home.pid_file().exists(), "the pid file is removed");
    let after = home.ok(&["status"]).await;
    assert_eq!(after["running"], false, "{after}");
    assert!(after["pid"].is_null());
    let (success, again, stderr) = home.daemon(&["stop"]).await;
    assert!(success && again["outcome"] == "notRunning", "{again} {stderr}");
}

#[tokio::test]
async fn racing_starts_agree_on_a_single_server() {
    let home = DaemonHome::new();
    let starts: Vec<_> = (0..6)
        .map(|_| {
            common::codex(home.path())
                .args(["app-server", "daemon", "start"])
                .stdin(Stdio::null())
                .output()
        })
        .collect();
    let mut pids = Vec::new();
    for start in starts {
        let output = tokio::time::timeout(Duration::from_secs(90), start).await.unwrap().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "a racing start failed: {stderr}");
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        pids.push(pid_of(&value));
    }
    pids.dedup();
    assert_eq!(pids.len(), 1, "every start reports the same server: {pids:?}");
    // Losers exit with "address in use" on their own; only the winner stays.
    eventually("the losing servers to exit", || home.servers().len() == 1).await;
    assert_eq!(home.servers(), pids);
    home.ok(&["stop"]).await;
}

#[tokio::test]
async fn stop_lets_a_running_turn_finish_then_removes_the_socket() {
    let home = DaemonHome::new();
    let mock = MockProvider::start().await;
    home.write_config(&mock_config(&mock));
    // Long enough that the stop below begins while the answer still streams.
    mock.push(Script::slow_text(60, Duration::from_millis(50)));
    let pid = pid_of(&home.ok(&["start"]).await);

    let mut client = TestClient::connect_unix(&home.socket()).await.unwrap();
    client.initialize("daemon-drain", false).await.unwrap();
    let thread = client.call("thread/start", json!({"cwd": home.path()})).await.unwrap();
    let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "count"}]}),
        )
        .await
        .unwrap();
    client.wait_for_notification("item/agentMessage/delta").await.unwrap();

    let stopping = {
        let command = common::codex(home.path())
            .args(["app-server", "daemon", "stop"])
            .stdin(Stdio::null())
            .output();
        tokio::spawn(command)
    };
    // The server refuses new threads once it drains; its messages to this connection keep
    // their order, so a turn/completed that comes after the refusal was sent after the drain
    // began: the stop really waited for the turn.
    wait_until_draining(&mut client, home.path()).await;
    let early: Vec<Value> = client.take_inbox();
    assert!(
        !early.iter().any(|message| message["method"] == "turn/completed"),
        "the turn ended before the stop began; the test proves nothing: {early:?}"
    );
    let completed = client.wait_for_notification("turn/completed").await.unwrap();
    assert_eq!(completed["turn"]["status"], "completed", "{completed}");
    let expected: String = (0..60).map(|i| format!("{i} ")).collect();
    assert_eq!(completed["turn"]["items"][1]["text"], expected.as_str());

    let output = tokio::time::timeout(Duration::from_secs(90), stopping).await.unwrap().unwrap();
    let output = output.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stop: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(stop["outcome"], "stopped", "{stop}");
    assert_eq!(pid_of(&stop), pid);
    assert!(!home.socket().exists(), "the socket is removed once stop returns");
    assert!(home.servers().is_empty());
}

/// Asks for new threads until the server refuses because it drains.
async fn wait_until_draining(client: &mut TestClient, cwd: &Path) {
    let refusal = tokio::time::timeout(WAIT, async {
        loop {
            match client.request("thread/start", json!({"cwd": cwd})).await.unwrap() {
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(error) => break error,
            }
        }
    })
    .await
    .expect("the server starts draining");
    assert!(refusal["message"].as_str().unwrap().contains("shutting down"), "{refusal}");
}

#[tokio::test]
async fn start_during_a_drain_waits_for_the_old_server_then_starts_a_new_one() {
    let home = DaemonHome::new();
    let mock = MockProvider::start().await;
    home.write_config(&mock_config(&mock));
    mock.push(Script::slow_text(60, Duration::from_millis(50)));
    let old = pid_of(&home.ok(&["start"]).await);
    let mut client = TestClient::connect_unix(&home.socket()).await.unwrap();
    client.initialize("daemon-restart", false).await.unwrap();
    let thread = client.call("thread/start", json!({"cwd": home.path()})).await.unwrap();
    let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "count"}]}),
        )
        .await
        .unwrap();
    client.wait_for_notification("item/agentMessage/delta").await.unwrap();
    // SAFETY: signalling the daemon this test started.
    assert_eq!(unsafe { libc::kill(old as libc::pid_t, libc::SIGTERM) }, 0);
    wait_until_draining(&mut client, home.path()).await;

    let started = home.ok(&["start"]).await;
    assert_eq!(started["alreadyRunning"], false, "{started}");
    let new = pid_of(&started);
    assert_ne!(new, old, "a draining server is not reported as running");
    let completed = client.wait_for_notification("turn/completed").await.unwrap();
    assert_eq!(completed["turn"]["status"], "completed", "the old turn finished: {completed}");
    assert_eq!(home.servers(), vec![new]);
}

#[tokio::test]
async fn stop_times_out_with_advice_and_force_kills() {
    let home = DaemonHome::new();
    let mock = MockProvider::start().await;
    home.write_config(&mock_config(&mock));
    // Far longer than the stop timeouts below.
    mock.push(Script::slow_text(100_000, Duration::from_millis(50)));
    let pid = pid_of(&home.ok(&["start"]).await);
    let mut client = TestClient::connect_unix(&home.socket()).await.unwrap();
    client.initialize("daemon-force", false).await.unwrap();
    let thread = client.call("thread/start", json!({"cwd": home.path()})).await.unwrap();
    let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}),
        )
        .await
        .unwrap();
    client.wait_for_notification("item/agentMessage/delta").await.unwrap();

    let (success, _, stderr) = home.daemon(&["stop", "--stop-timeout-seconds", "1"]).await;
    assert!(!success, "a stop that timed out must fail");
    assert!(stderr.contains("--force") && stderr.contains(&pid.to_string()), "{stderr}");
    assert_eq!(home.servers(), vec![pid], "still draining");

    // A zero timeout with --force: SIGTERM, then SIGKILL without waiting for the drain.
    let stop = home.ok(&["stop", "--stop-timeout-seconds", "0", "--force"]).await;
    assert_eq!(stop["outcome"], "killed", "{stop}");
    assert!(home.servers().is_empty());
    assert!(!home.socket().exists(), "the stale socket is removed after a kill");
    assert!(!home.pid_file().exists(), "the stale pid file is removed after a kill");
    // And the next start works.
    let again = home.ok(&["start"]).await;
    assert_ne!(pid_of(&again), pid);
    home.ok(&["stop", "--force", "--stop-timeout-seconds", "5"]).await;
}

struct Relay {
    handle: RelayHandle,
    url: String,
    shutdown: CancellationToken,
    _state: tempfile::TempDir,
}

impl Relay {
    async fn start() -> Self {
        let state = tempfile::tempdir().unwrap();
        let handle = RelayHandle::new(RelayOptions::new(state.path())).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let serving = handle.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { serving.serve(listener, stop).await });
        Self { handle, url, shutdown, _state: state }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Polls `daemon status` until remote control reports `want`.
async fn wait_remote_status(home: &DaemonHome, want: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = home.ok(&["status"]).await;
        if status["remoteControl"]["status"] == want {
            return status;
        }
        assert!(tokio::time::Instant::now() < deadline, "remote control never {want}: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn remote_control_is_applied_without_restart_and_persisted_for_the_next_start() {
    let home = DaemonHome::new();
    let relay = Relay::start().await;
    home.write_config(&format!("[remote_control]\nurl = \"{}\"\n", relay.url));
    let pid = pid_of(&home.ok(&["start"]).await);
    assert_eq!(home.ok(&["status"]).await["remoteControl"]["status"], "disabled");

    let enabled = home.ok(&["enable-remote-control"]).await;
    assert_eq!(enabled["remoteControl"]["enabledOnStart"], true, "{enabled}");
    assert_ne!(enabled["remoteControl"]["status"], "disabled", "{enabled}");
    let connected = wait_remote_status(&home, "connected").await;
    assert_eq!(pid_of(&connected), pid, "applied to the running daemon, no restart");
    assert!(connected["remoteControl"]["environmentId"].is_string(), "{connected}");
    assert_eq!(relay.handle.servers().len(), 1, "the daemon enrolled with the relay");
    let settings = std::fs::read_to_string(home.path().join("app-server-control/daemon.json"));
    assert!(settings.unwrap().contains("\"remoteControl\": true"));

    // The choice survives a restart: the new server dials out on its own.
    let restarted = home.ok(&["restart"]).await;
    assert_eq!(restarted["previous"]["outcome"], "stopped", "{restarted}");
    let new_pid = pid_of(&restarted);
    assert_ne!(new_pid, pid);
    let cmdline = std::fs::read(format!("/proc/{new_pid}/cmdline")).unwrap();
    assert!(cmdline.split(|b| *b == 0).any(|arg| arg == b"--remote-control"));
    wait_remote_status(&home, "connected").await;

    let disabled = home.ok(&["disable-remote-control"]).await;
    assert_eq!(disabled["remoteControl"]["status"], "disabled", "{disabled}");
    assert_eq!(disabled["remoteControl"]["enabledOnStart"], false);
    assert_eq!(pid_of(&disabled), new_pid);
    home.ok(&["stop"]).await;

    // While stopped, the setting is only persisted.
    let offline = home.ok(&["enable-remote-control"]).await;
    assert_eq!(offline["running"], false);
    assert_eq!(offline["remoteControl"]["enabledOnStart"], true);
    assert!(offline["remoteControl"]["status"].is_null());
}

#[tokio::test]
async fn enabling_remote_control_without_a_relay_fails_and_persists_nothing() {
    let home = DaemonHome::new();
    home.ok(&["start"]).await;
    let (success, _, stderr) = home.daemon(&["enable-remote-control"]).await;
    assert!(!success);
    assert!(stderr.contains("remote_control") && stderr.contains("url"), "{stderr}");
    let status = home.ok(&["status"]).await;
    assert_eq!(status["remoteControl"]["status"], "disabled");
    assert_eq!(status["remoteControl"]["enabledOnStart"], false);
    home.ok(&["stop"]).await;
}

#[tokio::test]
async fn stale_pid_files_and_sockets_are_ignored_and_replaced() {
    let home = DaemonHome::new();
    let control = home.path().join("app-server-control");
    std::fs::create_dir_all(&control).unwrap();

    // A pid file naming a live process that is no app-server (this test): never signalled.
    let me = std::process::id();
    std::fs::write(home.pid_file(), format!("{{\"pid\":{me},\"startedAtMs\":1}}")).unwrap();
    let status = home.ok(&["status"]).await;
    assert_eq!(status["state"], "stopped", "{status}");
    assert!(status["pid"].is_null());
    let stop = home.ok(&["stop"]).await;
    assert_eq!(stop["outcome"], "notRunning");
    assert!(!home.pid_file().exists(), "the stale pid file is cleaned up");

    // A pid file naming an exited process, garbage, and a socket nobody listens on.
    let mut exited = std::process::Command::new("true").spawn().unwrap();
    let dead = exited.id();
    exited.wait().unwrap();
    std::fs::write(home.pid_file(), format!("{{\"pid\":{dead},\"startedAtMs\":1}}")).unwrap();
    drop(std::os::unix::net::UnixListener::bind(home.socket()).unwrap());
    assert!(home.socket().exists());
    assert_eq!(home.ok(&["status"]).await["running"], false);

    let started = home.ok(&["start"]).await;
    assert_eq!(started["alreadyRunning"], false, "{started}");
    let pid = pid_of(&started);
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(home.pid_file()).unwrap()).unwrap();
    assert_eq!(record["pid"], pid, "the stale record was replaced");

    std::fs::write(home.pid_file(), "not json").unwrap();
    let status = home.ok(&["status"]).await;
    assert_eq!(pid_of(&status), pid, "the socket's peer is the authority, not the file");

    // Another CODEX_HOME's pid file naming this daemon: the other home's stop leaves it alone.
    let other = DaemonHome::new();
    std::fs::create_dir_all(other.path().join("app-server-control")).unwrap();
    std::fs::write(other.pid_file(), format!("{{\"pid\":{pid},\"startedAtMs\":1}}")).unwrap();
    assert_eq!(other.ok(&["status"]).await["state"], "stopped");
    assert_eq!(other.ok(&["stop"]).await["outcome"], "notRunning");
    assert_eq!(home.servers(), vec![pid], "a daemon of another CODEX_HOME was not signalled");

    assert_eq!(home.ok(&["stop"]).await["outcome"], "stopped");
    assert!(home.servers().is_empty());
}

#[tokio::test]
async fn a_server_that_cannot_start_gives_an_error_pointing_at_the_log() {
    let home = DaemonHome::new();
    // A broken config.toml no longer stops a server (it serves with defaults and warns), but a
    // corrupt state database does.
    std::fs::write(home.path().join("state.sqlite"), "this is not a database").unwrap();
    let (success, _, stderr) = home.daemon(&["start"]).await;
    assert!(!success, "a failed start must exit non-zero");
    assert!(stderr.contains("exited"), "{stderr}");
    assert!(stderr.contains(&home.log_file().display().to_string()), "{stderr}");
    assert!(stderr.contains("state.sqlite"), "the log's last lines explain why: {stderr}");
    assert!(home.servers().is_empty());
}

#[tokio::test]
async fn the_log_is_rotated_while_the_daemon_runs() {
    let home = DaemonHome::new();
    let output = common::codex(home.path())
        .args(["app-server", "daemon", "start"])
        .env("CODEX_APP_SERVER_LOG_MAX_BYTES", "2000")
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let first = home.path().join("log/app-server.log.1");
    // Every status call logs its connection; keep asking until the server rotated.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !first.exists() {
        assert!(tokio::time::Instant::now() < deadline, "the running daemon never rotated");
        home.ok(&["status"]).await;
    }
    let rotated = std::fs::read_to_string(&first).unwrap();
    assert!(rotated.contains("codex app-server daemon starting"), "{rotated}");
    // The server writes on into the fresh, private log.
    eventually("the fresh log gets the server's output", || {
        std::fs::read_to_string(home.log_file()).is_ok_and(|text| text.contains("log rotated"))
    })
    .await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(home.log_file()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn a_large_log_is_rotated_at_start() {
    let home = DaemonHome::new();
    let log_dir = home.path().join("log");
    std::fs::create_dir_all(&log_dir).unwrap();
    let old = "x".repeat(11 * 1024 * 1024);
    std::fs::write(home.log_file(), &old).unwrap();
    for (generation, text) in [(1, "one"), (2, "two"), (3, "three")] {
        std::fs::write(log_dir.join(format!("app-server.log.{generation}")), text).unwrap();
    }
    home.ok(&["start"]).await;
    let rotated = |generation: usize| {
        std::fs::read_to_string(log_dir.join(format!("app-server.log.{generation}"))).unwrap()
    };
    assert_eq!(rotated(1).len(), old.len());
    assert_eq!(rotated(2), "one");
    assert_eq!(rotated(3), "two", "the oldest (\"three\") was dropped");
    assert!(!log_dir.join("app-server.log.4").exists(), "at most three old logs are kept");
    let log = std::fs::read_to_string(home.log_file()).unwrap();
    assert!(log.contains("listening on unix://"), "{log}");
    assert!(log.len() < 1024 * 1024);
    home.ok(&["stop"]).await;
}

#[tokio::test]
async fn a_daemon_whose_socket_vanished_is_found_and_stopped_through_its_pid_file() {
    let home = DaemonHome::new();
    let pid = pid_of(&home.ok(&["start"]).await);
    // Someone deleted the socket file: the server still runs but nothing answers at the path.
    std::fs::remove_file(home.socket()).unwrap();
    let status = home.ok(&["status"]).await;
    assert_eq!(status["running"], false, "{status}");
    assert_eq!(status["state"], "unresponsive", "{status}");
    assert_eq!(pid_of(&status), pid);
    let (success, _, stderr) = home.daemon(&["start"]).await;
    assert!(!success, "no second server beside a stuck one");
    assert!(stderr.contains("does not answer") && stderr.contains("daemon stop"), "{stderr}");
    assert_eq!(home.servers(), vec![pid]);

    let stop = home.ok(&["stop"]).await;
    assert_eq!(stop["outcome"], "stopped", "{stop}");
    assert_eq!(pid_of(&stop), pid);
    assert!(home.servers().is_empty());
    assert!(!home.pid_file().exists());
}

/// The fields the reference's lifecycle commands print, checked on `value`.
fn assert_lifecycle(value: &Value, status: &str, home: &DaemonHome, server_version: bool) {
    assert_eq!(value["status"], status, "{value}");
    assert_eq!(value["socketPath"], home.socket().display().to_string(), "{value}");
    assert_eq!(value["cliVersion"], env!("CARGO_PKG_VERSION"), "{value}");
    if server_version {
        assert_eq!(value["appServerVersion"], env!("CARGO_PKG_VERSION"), "{value}");
    } else {
        assert!(value.get("appServerVersion").is_none(), "{value}");
    }
}

#[tokio::test]
async fn lifecycle_commands_print_one_line_with_the_reference_fields() {
    let home = DaemonHome::new();
    let started = home.ok(&["start"]).await;
    assert_lifecycle(&started, "started", &home, true);
    let pid = pid_of(&started);
    let again = home.ok(&["start"]).await;
    assert_lifecycle(&again, "alreadyRunning", &home, true);
    assert_eq!(pid_of(&again), pid);

    let version = home.ok(&["version"]).await;
    assert_lifecycle(&version, "running", &home, true);
    assert_eq!(pid_of(&version), pid);

    let restarted = home.ok(&["restart"]).await;
    assert_lifecycle(&restarted, "restarted", &home, true);
    let new_pid = pid_of(&restarted);
    assert_ne!(new_pid, pid);
    assert_eq!(restarted["previous"]["status"], "stopped", "{restarted}");
    assert_eq!(pid_of(&restarted["previous"]), pid);

    let stopped = home.ok(&["stop"]).await;
    assert_lifecycle(&stopped, "stopped", &home, false);
    assert_eq!(pid_of(&stopped), new_pid);
    let not_running = home.ok(&["stop"]).await;
    assert_lifecycle(&not_running, "notRunning", &home, false);
    assert!(not_running.get("pid").is_none(), "{not_running}");
    let version = home.ok(&["version"]).await;
    assert_lifecycle(&version, "notRunning", &home, false);
    // `restart` with nothing running starts one.
    let restarted = home.ok(&["restart"]).await;
    assert_lifecycle(&restarted, "restarted", &home, true);
    assert_eq!(restarted["previous"]["status"], "notRunning", "{restarted}");
    home.ok(&["stop"]).await;
}
