//! The managed app-server daemon: one background `codex app-server --listen unix://` per
//! `$CODEX_HOME`, behind `codex app-server daemon start|stop|restart|status|version|
//! enable-remote-control|disable-remote-control`.
//!
//! The daemon is an ordinary app-server on the default control socket; this crate manages it from
//! outside, talking to it over that socket like any client ([`ControlClient`]). The singleton rule
//! is the server's own: its startup lock and live-socket check decide which of several racing
//! launches serves, and the losers exit with "address in use", which [`Daemon::start`] reports as
//! "already running".
//!
//! Files, all under `$CODEX_HOME` (see [`DaemonPaths`]):
//! - `app-server-control/app-server-control.sock`: the control socket;
//! - `app-server-control/app-server.pid`: a [`PidRecord`] (pid and start time) written by the
//!   server once it listens and removed when it exits; a stale one (dead process, or not the
//!   process answering on the socket) is ignored and replaced;
//! - `app-server-control/daemon.json`: [`DaemonSettings`], e.g. `{"remoteControl": true}`, read
//!   at every start (`--remote-control` is passed when set);
//! - `log/app-server.log`: the daemon's stdout and stderr (mode 0600), rotated when larger than
//!   [`log_rotation::DEFAULT_MAX_LOG_BYTES`] at each start and, by the server itself, while it
//!   runs (keeping [`log_rotation::DEFAULT_KEPT_LOGS`] old files).

mod control_client;
mod daemon;
mod error;
pub mod log_rotation;
mod paths;
mod pid_record;
mod process_handle;
mod settings;
mod status;

pub use control_client::ControlClient;
pub use daemon::Daemon;
pub use daemon::StartOutcome;
pub use daemon::StopOptions;
pub use daemon::StopOutcome;
pub use daemon::DEFAULT_START_TIMEOUT;
pub use daemon::DEFAULT_STOP_TIMEOUT;
pub use error::DaemonError;
pub use paths::DaemonPaths;
pub use paths::LOG_FILE_NAME;
pub use paths::PID_FILE_NAME;
pub use paths::SETTINGS_FILE_NAME;
pub use pid_record::process_is_alive;
pub use pid_record::process_owns_pid_file;
pub use pid_record::PidRecord;
pub use settings::DaemonSettings;
pub use status::DaemonState;
pub use status::DaemonStatus;
pub use status::RemoteControlReport;
