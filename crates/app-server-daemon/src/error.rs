//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

use codex_app_server_transport::TransportError;

/// Everything that can go wrong while managing the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// A file-system or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The control socket could not be reached or spoken to.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The daemon answered something this client does not understand.
    #[error("unexpected answer from the app-server: {0}")]
    Protocol(String),
    /// The daemon answered a request with a JSON-RPC error.
    #[error("{method} failed: {message} (code {code})")]
    Rpc {
        /// The method called.
        method: String,
        /// The error code.
        code: i64,
        /// The error message.
        message: String,
    },
    /// The daemon did not answer on its socket in time after being spawned.
    #[error(
        "the app-server daemon (pid {pid}) did not answer on {} within {}s; see the log {}{tail}",
        socket.display(), waited.as_secs(), log.display()
    )]
    StartTimeout {
        /// The spawned process.
        pid: u32,
        /// The socket it should listen on.
        socket: PathBuf,
        /// How long we waited.
        waited: Duration,
        /// The daemon's log file.
        log: PathBuf,
        /// The end of the log, prefixed with a newline (empty when the log is empty).
        tail: String,
    },
    /// The spawned daemon exited before it answered on its socket.
    #[error("the app-server daemon exited ({status}) before listening; see the log {}{tail}", log.display())]
    ExitedEarly {
        /// How it exited.
        status: String,
        /// The daemon's log file.
        log: PathBuf,
        /// The end of the log, prefixed with a newline (empty when the log is empty).
        tail: String,
    },
    /// The daemon did not exit and remove its socket in time after SIGTERM.
    #[error(
        "the app-server daemon (pid {pid}) was asked to stop but is still {what} after {}s \
         (it lets running turns finish first); wait, run `stop` again to end it without waiting \
         for them, or add `--force` to kill it",
        waited.as_secs()
    )]
    StopTimeout {
        /// The daemon's pid.
        pid: u32,
        /// "running" or "holding its socket".
        what: &'static str,
        /// How long we waited.
        waited: Duration,
    },
    /// A recorded daemon process is alive but does not answer on the socket.
    #[error(
        "an app-server daemon (pid {pid}) is running but does not answer on {}; stop it first \
         (`codex app-server daemon stop`, with `--force` if it hangs)",
        socket.display()
    )]
    Unresponsive {
        /// The daemon's pid.
        pid: u32,
        /// The socket it should answer on.
        socket: PathBuf,
    },
    /// The persisted settings file is unreadable.
    #[error("invalid daemon settings in {}: {message}; fix or delete the file", path.display())]
    Settings {
        /// The settings file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl DaemonError {
    /// An I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        DaemonError::Io { context: context.into(), source }
    }
}
