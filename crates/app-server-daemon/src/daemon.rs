//! [`Daemon`]: start, stop, status and remote-control settings of the background app-server of
//! one `$CODEX_HOME`.
//!
//! `start` spawns `codex app-server --listen unix:// --pid-file PATH` (plus `--remote-control`
//! when [`DaemonSettings::remote_control`] is set) in a new session with stdin from `/dev/null`
//! and stdout/stderr appended to the log, then polls the socket until the process it spawned
//! answers `initialize` (identified by the socket's peer credentials). If another launch wins
//! the race, the server's own singleton rule makes ours exit with "address in use" and `start`
//! reports the winner as already running; a server that is draining (its pid record says so)
//! is waited for instead, then a new one is spawned. Log rotation and the spawn run under the
//! startup lock, and the child gets umask 077 and no inherited descriptors beyond stdio. `stop`
//! holds the server through a pidfd from the moment it finds it (no signal can reach a recycled
//! pid), sends SIGTERM (the server lets running turns finish, then exits 0 and removes its
//! socket) and waits for the process to exit and for its socket to be gone or answered by
//! another server.

use std::os::unix::fs::DirBuilderExt;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use codex_app_server_protocol::v2::RemoteControlStatusReadResponse;
use codex_app_server_protocol::InitializeResponse;
use codex_app_server_transport::StartupLock;
use serde_json::json;
use tokio::time::Instant;

use crate::control_client::ControlClient;
use crate::error::DaemonError;
use crate::log_rotation;
use crate::paths::DaemonPaths;
use crate::pid_record::process_is_alive;
use crate::pid_record::process_is_app_server;
use crate::pid_record::process_owns_pid_file;
use crate::pid_record::process_uptime_seconds;
use crate::pid_record::PidRecord;
use crate::process_handle::ProcessHandle;
use crate::settings::DaemonSettings;
use crate::status::version_from_user_agent;
use crate::status::DaemonState;
use crate::status::DaemonStatus;
use crate::status::RemoteControlReport;

/// How long `start` waits for the spawned server to answer by default.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `stop` waits for the server to drain and exit by default (the server's own drain
/// timeout is 30 s).
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// Interval between polls of the socket or the process.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How long a forced kill may take to be observed.
const KILL_WAIT: Duration = Duration::from_secs(10);
/// Lines of the log quoted in a start error.
const LOG_TAIL_LINES: usize = 20;
/// The client name the daemon commands announce in `initialize`.
const CLIENT_NAME: &str = "codex-app-server-daemon";

/// What `start` did.
#[derive(Clone, Debug, PartialEq)]
pub enum StartOutcome {
    /// A new server was spawned and answers.
    Started(DaemonStatus),
    /// A server already answered on the socket; nothing was spawned (or ours lost the race).
    AlreadyRunning(DaemonStatus),
}

impl StartOutcome {
    /// The status of the running server.
    pub fn status(&self) -> &DaemonStatus {
        match self {
            StartOutcome::Started(status) | StartOutcome::AlreadyRunning(status) => status,
        }
    }
}

/// How `stop` behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopOptions {
    /// How long to wait for the server to drain and exit after SIGTERM.
    pub timeout: Duration,
    /// SIGKILL the server when it has not exited within `timeout`.
    pub force: bool,
}

impl Default for StopOptions {
    fn default() -> Self {
        Self { timeout: DEFAULT_STOP_TIMEOUT, force: false }
    }
}

/// What `stop` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopOutcome {
    /// The server drained, exited and removed its socket.
    Stopped {
        /// Its pid.
        pid: u32,
    },
    /// The server did not exit in time and was killed (`--force`).
    Killed {
        /// Its pid.
        pid: u32,
    },
    /// No server was running (a stale pid file or socket was cleaned up).
    NotRunning,
}

/// A server that answered on the socket.
struct LiveServer {
    client: ControlClient,
    pid: Option<u32>,
    initialize: InitializeResponse,
}

/// The manager of the daemon of one `$CODEX_HOME`.
#[derive(Clone, Debug)]
pub struct Daemon {
    paths: DaemonPaths,
    executable: PathBuf,
    start_timeout: Duration,
}

impl Daemon {
    /// The daemon of `codex_home`, spawned from the running executable.
    pub fn new(codex_home: &Path) -> Result<Self, DaemonError> {
        let executable = std::env::current_exe()
            .map_err(|err| DaemonError::io("finding the running executable", err))?;
        Self::with_executable(codex_home, executable)
    }

    /// The daemon of `codex_home`, spawned from `executable` (a `codex` binary).
    pub fn with_executable(codex_home: &Path, executable: PathBuf) -> Result<Self, DaemonError> {
        let codex_home = std::path::absolute(codex_home)
            .map_err(|err| DaemonError::io(format!("resolving {}", codex_home.display()), err))?;
        Ok(Self {
            paths: DaemonPaths::new(&codex_home),
            executable,
            start_timeout: DEFAULT_START_TIMEOUT,
        })
    }

    /// Sets how long `start` waits for the server to answer.
    pub fn with_start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// The daemon's files.
    pub fn paths(&self) -> &DaemonPaths {
        &self.paths
    }

    /// The current status (never fails because the daemon is down; that is a status).
    pub async fn status(&self) -> Result<DaemonStatus, DaemonError> {
        match self.connect().await? {
            Some(live) => self.running_status(live).await,
            None => self.stopped_status(),
        }
    }

    /// Starts the daemon unless one already answers on the socket.
    ///
    /// A server that is draining (stopping) is waited for, then a new one is spawned.
    pub async fn start(&self) -> Result<StartOutcome, DaemonError> {
        while let Some(live) = self.connect().await? {
            let Some(pid) = self.draining_pid(&live) else {
                return Ok(StartOutcome::AlreadyRunning(self.running_status(live).await?));
            };
            live.client.close().await;
            self.wait_for_drained(pid).await?;
        }
        if let Some(pid) = self.recorded_live_pid() {
            // The record is written after the socket is bound, so a server that just came up
            // answers now; one that still does not is stuck, and a second server beside it
            // would share its state.
            if let Some(live) = self.connect().await? {
                return Ok(StartOutcome::AlreadyRunning(self.running_status(live).await?));
            }
            return Err(DaemonError::Unresponsive { pid, socket: self.paths.socket.clone() });
        }
        let settings = DaemonSettings::load(&self.paths.settings_file)?;
        // Rotation and spawn happen under the startup lock, so they never interleave with another
        // starter's rotation or with a `stop` tidying up; the child waits for the lock to bind.
        let lock = StartupLock::acquire(&self.paths.startup_lock).await?;
        let spawned = self.spawn(&settings);
        drop(lock);
        let mut child = spawned?;
        let child_pid = child.id();
        let deadline = Instant::now() + self.start_timeout;
        loop {
            let exited = child
                .try_wait()
                .map_err(|err| DaemonError::io(format!("waiting for pid {child_pid}"), err))?;
            let live = self.connect().await.ok().flatten();
            match (live, exited) {
                (Some(live), _) if live.pid.is_none_or(|pid| pid == child_pid) => {
                    return Ok(StartOutcome::Started(self.running_status(live).await?));
                }
                (Some(live), exited) => {
                    // Another launch won; ours exits with "address in use" (reap it if we can).
                    if exited.is_none() {
                        let _ = tokio::time::timeout(KILL_WAIT, wait_for_exit(child_pid)).await;
                        let _ = child.try_wait();
                    }
                    return Ok(StartOutcome::AlreadyRunning(self.running_status(live).await?));
                }
                (None, Some(status)) => {
                    return Err(DaemonError::ExitedEarly {
                        status: status.to_string(),
                        log: self.paths.log_file.clone(),
                        tail: self.log_tail(),
                    });
                }
                (None, None) => {}
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(DaemonError::StartTimeout {
                    pid: child_pid,
                    socket: self.paths.socket.clone(),
                    waited: self.start_timeout,
                    log: self.paths.log_file.clone(),
                    tail: self.log_tail(),
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Stops the daemon: SIGTERM, then waits for the process to exit and the socket to go.
    ///
    /// The target is held through a pidfd from the moment it is found, so neither signal can
    /// reach another process that reused its pid.
    pub async fn stop(&self, options: StopOptions) -> Result<StopOutcome, DaemonError> {
        let Some(target) = self.target_process().await? else {
            self.remove_stale_files().await;
            return Ok(StopOutcome::NotRunning);
        };
        let pid = target.pid();
        target.signal(libc::SIGTERM)?;
        let outcome =
            match tokio::time::timeout(options.timeout, self.wait_until_gone(&target)).await {
                Ok(()) => StopOutcome::Stopped { pid },
                Err(_elapsed) if options.force => {
                    target.signal(libc::SIGKILL)?;
                    tokio::time::timeout(KILL_WAIT, target.wait_for_exit()).await.map_err(
                        |_| DaemonError::StopTimeout {
                            pid,
                            what: "running",
                            waited: options.timeout + KILL_WAIT,
                        },
                    )?;
                    self.remove_stale_files().await;
                    StopOutcome::Killed { pid }
                }
                Err(_elapsed) => {
                    let what = if target.has_exited() { "holding its socket" } else { "running" };
                    return Err(DaemonError::StopTimeout { pid, what, waited: options.timeout });
                }
            };
        PidRecord::remove_if_owned_by(&self.paths.pid_file, pid);
        Ok(outcome)
    }

    /// Persists the remote-control choice for future starts and applies it to a running daemon
    /// (`remoteControl/enable` or `remoteControl/disable`); a refusal there is not persisted.
    pub async fn set_remote_control(&self, enabled: bool) -> Result<DaemonStatus, DaemonError> {
        if let Some(mut live) = self.connect().await? {
            let method = if enabled { "remoteControl/enable" } else { "remoteControl/disable" };
            let _: RemoteControlStatusReadResponse = live.client.request(method, json!({})).await?;
            DaemonSettings { remote_control: enabled }.save(&self.paths.settings_file)?;
            return self.running_status(live).await;
        }
        DaemonSettings { remote_control: enabled }.save(&self.paths.settings_file)?;
        self.stopped_status()
    }

    /// Connects and initializes; `None` when nothing listens on the socket.
    async fn connect(&self) -> Result<Option<LiveServer>, DaemonError> {
        let Ok(mut client) = ControlClient::connect(&self.paths.socket).await else {
            return Ok(None);
        };
        let initialize = client.initialize(CLIENT_NAME).await?;
        let pid = client.peer_pid();
        Ok(Some(LiveServer { client, pid, initialize }))
    }

    async fn running_status(&self, live: LiveServer) -> Result<DaemonStatus, DaemonError> {
        let LiveServer { mut client, pid, initialize } = live;
        let settings = DaemonSettings::load(&self.paths.settings_file)?;
        let read: Result<RemoteControlStatusReadResponse, _> =
            client.request("remoteControl/status/read", json!({})).await;
        client.close().await;
        let record = PidRecord::read(&self.paths.pid_file);
        let pid = pid.or_else(|| record.as_ref().map(|record| record.pid));
        let uptime_seconds = match (&record, pid) {
            (Some(record), Some(pid)) if record.pid == pid => Some(record.uptime_seconds()),
            (_, Some(pid)) => process_uptime_seconds(pid),
            _ => None,
        };
        let remote_control = match read {
            Ok(read) => RemoteControlReport {
                enabled_on_start: settings.remote_control,
                status: Some(read.status),
                environment_id: read.environment_id,
                error: None,
            },
            Err(err) => RemoteControlReport {
                enabled_on_start: settings.remote_control,
                status: None,
                environment_id: None,
                error: Some(err.to_string()),
            },
        };
        Ok(DaemonStatus {
            running: true,
            state: DaemonState::Running,
            pid,
            socket_path: self.paths.socket.clone(),
            server_version: version_from_user_agent(&initialize.user_agent),
            user_agent: Some(initialize.user_agent),
            uptime_seconds,
            remote_control,
            log_file: self.paths.log_file.clone(),
        })
    }

    /// The pid of `live` when its pid record says it is draining.
    fn draining_pid(&self, live: &LiveServer) -> Option<u32> {
        let record = PidRecord::read(&self.paths.pid_file)?;
        (record.draining && live.pid == Some(record.pid)).then_some(record.pid)
    }

    /// Waits (up to the default stop timeout) for the draining server `pid` to be gone.
    async fn wait_for_drained(&self, pid: u32) -> Result<(), DaemonError> {
        let Some(target) = ProcessHandle::open(pid)? else { return Ok(()) };
        tokio::time::timeout(DEFAULT_STOP_TIMEOUT, self.wait_until_gone(&target)).await.map_err(
            |_| DaemonError::StopTimeout { pid, what: "draining", waited: DEFAULT_STOP_TIMEOUT },
        )
    }

    /// The pid in the pid file, if that process is alive and is the server owning the file.
    fn recorded_live_pid(&self) -> Option<u32> {
        PidRecord::read(&self.paths.pid_file)
            .map(|record| record.pid)
            .filter(|pid| process_owns_pid_file(*pid, &self.paths.pid_file))
    }

    fn stopped_status(&self) -> Result<DaemonStatus, DaemonError> {
        let settings = DaemonSettings::load(&self.paths.settings_file)?;
        let leftover = self.recorded_live_pid();
        Ok(DaemonStatus {
            running: false,
            state: if leftover.is_some() {
                DaemonState::Unresponsive
            } else {
                DaemonState::Stopped
            },
            pid: leftover,
            socket_path: self.paths.socket.clone(),
            server_version: None,
            user_agent: None,
            uptime_seconds: leftover.and_then(process_uptime_seconds),
            remote_control: RemoteControlReport {
                enabled_on_start: settings.remote_control,
                status: None,
                environment_id: None,
                error: None,
            },
            log_file: self.paths.log_file.clone(),
        })
    }

    /// The process to signal: the one serving the socket, else a live app-server in the pid
    /// file; a pidfd is opened at once and the process re-checked to be an app-server after.
    async fn target_process(&self) -> Result<Option<ProcessHandle>, DaemonError> {
        let mut pid = None;
        if let Ok(client) = ControlClient::connect(&self.paths.socket).await {
            pid = client.peer_pid();
            client.close().await;
        }
        let Some(pid) = pid.or_else(|| self.recorded_live_pid()) else { return Ok(None) };
        let Some(handle) = ProcessHandle::open(pid)? else { return Ok(None) };
        // The pid was read before the pidfd existed: make sure it still names an app-server.
        if handle.has_exited() || !process_is_app_server(pid) {
            return Ok(None);
        }
        Ok(Some(handle))
    }

    /// Waits until `target` has exited and its socket is gone: a stale socket left by a crash is
    /// removed, and a socket answered by another process (a new server that raced in) means ours
    /// is gone.
    async fn wait_until_gone(&self, target: &ProcessHandle) {
        target.wait_for_exit().await;
        while std::fs::symlink_metadata(&self.paths.socket).is_ok() {
            match ControlClient::connect(&self.paths.socket).await {
                Err(_) => self.remove_stale_files().await,
                Ok(client) => {
                    let peer = client.peer_pid();
                    client.close().await;
                    if peer != Some(target.pid()) {
                        return;
                    }
                }
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Removes a pid file naming no live app-server and a socket nothing answers on, under the
    /// startup lock (so a server that is binding right now is never undercut). Only a socket is
    /// removed where the socket path (or its symlink) points; anything else is left alone.
    async fn remove_stale_files(&self) {
        let Ok(_lock) = StartupLock::acquire(&self.paths.startup_lock).await else { return };
        if let Some(record) = PidRecord::read(&self.paths.pid_file) {
            if !process_owns_pid_file(record.pid, &self.paths.pid_file) {
                PidRecord::remove_if_owned_by(&self.paths.pid_file, record.pid);
            }
        } else if self.paths.pid_file.exists() {
            remove_tolerating_absence(&self.paths.pid_file);
        }
        let Ok(link) = std::fs::symlink_metadata(&self.paths.socket) else { return };
        if ControlClient::connect(&self.paths.socket).await.is_ok() {
            return;
        }
        if link.file_type().is_symlink() {
            // A long socket path is a symlink to the socket actually bound elsewhere.
            if let Ok(target) = std::fs::read_link(&self.paths.socket) {
                if is_socket(&target) {
                    remove_tolerating_absence(&target);
                }
            }
            remove_tolerating_absence(&self.paths.socket);
        } else if link.file_type().is_socket() {
            remove_tolerating_absence(&self.paths.socket);
        }
    }

    /// Spawns the server detached, with its output appended to the (rotated) log.
    fn spawn(&self, settings: &DaemonSettings) -> Result<std::process::Child, DaemonError> {
        let log_dir = self.paths.log_file.parent().unwrap_or(&self.paths.codex_home);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(log_dir)
            .map_err(|err| DaemonError::io(format!("creating {}", log_dir.display()), err))?;
        log_rotation::rotate_if_larger(
            &self.paths.log_file,
            log_rotation::DEFAULT_MAX_LOG_BYTES,
            log_rotation::DEFAULT_KEPT_LOGS,
        )?;
        // Mode 0600 (also for an existing log): it may name paths and requests of this user.
        let mut log = log_rotation::open_private_log(&self.paths.log_file)?;
        let started = PidRecord::for_current_process().started_at_ms / 1000;
        let header = format!("--- codex app-server daemon starting (unix time {started}) ---\n");
        std::io::Write::write_all(&mut log, header.as_bytes()).map_err(|err| {
            DaemonError::io(format!("writing {}", self.paths.log_file.display()), err)
        })?;
        let stderr = log.try_clone().map_err(|err| DaemonError::io("duplicating the log", err))?;
        let mut command = std::process::Command::new(&self.executable);
        command
            .args(["app-server", "--listen", "unix://", "--pid-file"])
            .arg(&self.paths.pid_file)
            .arg("--log-file")
            .arg(&self.paths.log_file)
            .env("CODEX_HOME", &self.paths.codex_home)
            .current_dir(daemon_working_directory())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr);
        if settings.remote_control {
            command.arg("--remote-control");
        }
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        // SAFETY: setsid, umask and close_range are async-signal-safe syscalls that touch no
        // memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // Files the daemon creates are private to this user.
                libc::umask(0o077);
                // No descriptor the starter happened to hold leaks into the daemon. Marked
                // close-on-exec rather than closed, so std's exec-error pipe keeps working; a
                // kernel without close_range (< 5.11) leaves them as they are.
                let _ = libc::syscall(
                    libc::SYS_close_range,
                    3 as libc::c_uint,
                    libc::c_uint::MAX,
                    libc::CLOSE_RANGE_CLOEXEC as libc::c_uint,
                );
                Ok(())
            });
        }
        command
            .spawn()
            .map_err(|err| DaemonError::io(format!("spawning {}", self.executable.display()), err))
    }

    fn log_tail(&self) -> String {
        let tail = log_rotation::log_tail(&self.paths.log_file, LOG_TAIL_LINES);
        if tail.is_empty() {
            tail
        } else {
            format!("\n--- last lines of the log ---\n{tail}")
        }
    }
}

/// The daemon runs in `$HOME` (else `/`), so it does not pin the directory `start` ran in.
fn daemon_working_directory() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|home| home.is_absolute() && home.is_dir())
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// True when `path` (not followed) is a Unix socket.
fn is_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket())
}

/// Removes `path`; it being gone already is fine.
fn remove_tolerating_absence(path: &Path) {
    if let Err(err) = std::fs::remove_file(path) {
        if err.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), "could not remove a stale file: {err}");
        }
    }
}

/// Waits until `pid` has exited.
async fn wait_for_exit(pid: u32) {
    while process_is_alive(pid) {
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A fake `codex` that ignores its arguments and runs `body` (a shell snippet).
    fn fake_executable(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("fake-codex");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[tokio::test]
    async fn a_server_that_exits_at_once_is_reported_with_its_log() {
        let home = tempfile::tempdir().unwrap();
        let executable = fake_executable(home.path(), "echo 'boom: bad config' >&2; exit 3");
        let daemon = Daemon::with_executable(home.path(), executable).unwrap();
        let err = daemon.start().await.unwrap_err();
        assert!(matches!(err, DaemonError::ExitedEarly { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("exit status: 3"), "{text}");
        assert!(text.contains("boom: bad config"), "the log tail is quoted: {text}");
        assert!(text.contains(&daemon.paths().log_file.display().to_string()), "{text}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out_and_is_killed() {
        let home = tempfile::tempdir().unwrap();
        let marker = home.path().join("pid");
        let executable = fake_executable(
            home.path(),
            &format!("echo $$ > {}; exec sleep 600", marker.display()),
        );
        let daemon = Daemon::with_executable(home.path(), executable)
            .unwrap()
            .with_start_timeout(Duration::from_millis(300));
        let err = daemon.start().await.unwrap_err();
        assert!(matches!(err, DaemonError::StartTimeout { .. }), "{err}");
        assert!(err.to_string().contains("see the log"), "{err}");
        let pid: u32 = std::fs::read_to_string(&marker).unwrap().trim().parse().unwrap();
        assert!(!process_is_alive(pid), "the unanswering server was killed and reaped");
    }

    /// A websocket server on `socket` run by the test process (so its peer pid is ours).
    fn serve_websocket_on(socket: &Path) -> tokio::task::JoinHandle<()> {
        std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
        let listener = tokio::net::UnixListener::bind(socket).unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await {
                        use futures::StreamExt;
                        while let Some(Ok(_)) = ws.next().await {}
                    }
                });
            }
        })
    }

    #[tokio::test]
    async fn a_new_server_on_the_socket_means_the_old_one_is_gone() {
        let home = tempfile::tempdir().unwrap();
        let daemon = Daemon::with_executable(home.path(), PathBuf::from("/nonexistent")).unwrap();
        let mut old = std::process::Command::new("sleep").arg("600").spawn().unwrap();
        let handle = ProcessHandle::open(old.id()).unwrap().unwrap();
        let server = serve_websocket_on(&daemon.paths().socket);
        old.kill().unwrap();
        old.wait().unwrap();
        tokio::time::timeout(Duration::from_secs(20), daemon.wait_until_gone(&handle))
            .await
            .expect("a socket answered by another process does not keep stop waiting");
        assert!(daemon.paths().socket.exists(), "the new server's socket is left alone");
        server.abort();
    }

    #[tokio::test]
    async fn cleanup_removes_only_a_socket_behind_the_socket_path() {
        let home = tempfile::tempdir().unwrap();
        let daemon = Daemon::with_executable(home.path(), PathBuf::from("/nonexistent")).unwrap();
        let precious = home.path().join("precious.txt");
        std::fs::write(&precious, "keep me").unwrap();
        std::fs::create_dir_all(daemon.paths().socket.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&precious, &daemon.paths().socket).unwrap();
        daemon.remove_stale_files().await;
        assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
        assert!(std::fs::symlink_metadata(&daemon.paths().socket).is_err(), "the link is gone");

        // A dead socket behind the link is removed with it.
        let dead = home.path().join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
        std::os::unix::fs::symlink(&dead, &daemon.paths().socket).unwrap();
        daemon.remove_stale_files().await;
        assert!(!dead.exists());
    }

    #[tokio::test]
    async fn the_daemon_gets_no_stray_descriptors_and_a_private_umask() {
        let home = tempfile::tempdir().unwrap();
        let marker = home.path().join("seen");
        // A descriptor without close-on-exec, as a careless library might leave one.
        let stray_source = std::fs::File::open("/dev/null").unwrap();
        // SAFETY: dup of a valid descriptor; the copy is closed below.
        let stray = unsafe { libc::dup(std::os::fd::AsRawFd::as_raw_fd(&stray_source)) };
        assert!(stray > 2);
        let executable = fake_executable(
            home.path(),
            &format!(
                "if [ -e /proc/$$/fd/{stray} ]; then echo leaked; else echo closed; fi > {m}; \
                 umask >> {m}; exit 3",
                m = marker.display()
            ),
        );
        let daemon = Daemon::with_executable(home.path(), executable).unwrap();
        std::fs::create_dir_all(daemon.paths().log_file.parent().unwrap()).unwrap();
        std::fs::write(&daemon.paths().log_file, "old run\n").unwrap();
        std::fs::set_permissions(&daemon.paths().log_file, std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let _ = daemon.start().await.unwrap_err();
        let mode = std::fs::metadata(&daemon.paths().log_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "an existing log is made private");
        // SAFETY: closing the descriptor dup'ed above.
        unsafe { libc::close(stray) };
        let seen = std::fs::read_to_string(&marker).unwrap();
        assert_eq!(seen.lines().collect::<Vec<_>>(), ["closed", "0077"], "{seen}");
    }

    #[tokio::test]
    async fn stop_and_status_without_a_server() {
        let home = tempfile::tempdir().unwrap();
        let daemon = Daemon::with_executable(home.path(), PathBuf::from("/nonexistent")).unwrap();
        assert_eq!(daemon.stop(StopOptions::default()).await.unwrap(), StopOutcome::NotRunning);
        let status = daemon.status().await.unwrap();
        assert_eq!(status.state, DaemonState::Stopped);
        assert!(!status.running);
        let err = daemon.start().await.unwrap_err();
        assert!(err.to_string().contains("spawning /nonexistent"), "{err}");
    }

    #[tokio::test]
    async fn the_remote_control_choice_is_persisted_while_stopped() {
        let home = tempfile::tempdir().unwrap();
        let daemon = Daemon::with_executable(home.path(), PathBuf::from("/nonexistent")).unwrap();
        let status = daemon.set_remote_control(true).await.unwrap();
        assert!(status.remote_control.enabled_on_start);
        assert!(DaemonSettings::load(&daemon.paths().settings_file).unwrap().remote_control);
        let status = daemon.set_remote_control(false).await.unwrap();
        assert!(!status.remote_control.enabled_on_start);
    }
}
