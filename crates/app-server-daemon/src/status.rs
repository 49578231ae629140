//! [`DaemonStatus`]: what `daemon status`, `start`, `version` and the remote-control commands
//! print, as camelCase JSON.

use std::path::PathBuf;

use codex_app_server_protocol::v2::RemoteControlConnectionStatus;
use serde::Serialize;

/// Where the daemon is in its life, as seen from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DaemonState {
    /// A server answers `initialize` on the control socket.
    Running,
    /// The recorded server process is alive but nothing answers on the socket.
    Unresponsive,
    /// No server: nothing answers and no live process is recorded.
    Stopped,
}

/// A snapshot of the daemon for one `$CODEX_HOME`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonStatus {
    /// True when a server answers on the control socket.
    pub running: bool,
    /// The finer state.
    pub state: DaemonState,
    /// The server's process id (from the socket's peer credentials, else the pid file).
    pub pid: Option<u32>,
    /// The control socket.
    pub socket_path: PathBuf,
    /// The server's version, from the `initialize` response's user agent.
    pub server_version: Option<String>,
    /// The `initialize` response's `userAgent`.
    pub user_agent: Option<String>,
    /// Seconds since the server started listening (pid file) or started (the process).
    pub uptime_seconds: Option<u64>,
    /// Remote control: the live status and the setting for future starts.
    pub remote_control: RemoteControlReport,
    /// The daemon's log file.
    pub log_file: PathBuf,
}

/// The remote-control part of a [`DaemonStatus`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteControlReport {
    /// Whether future starts pass `--remote-control` (the persisted setting).
    pub enabled_on_start: bool,
    /// The running server's `remoteControl/status/read` status (absent when not running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RemoteControlConnectionStatus>,
    /// The relay environment, once enrolled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Why the live status could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The version in a user agent such as `codex-app-server/0.1.0 (linux; x86_64)`.
pub fn version_from_user_agent(user_agent: &str) -> Option<String> {
    let product = user_agent.split_whitespace().next()?;
    let (_, version) = product.split_once('/')?;
    (!version.is_empty()).then(|| version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_comes_from_the_user_agent_product() {
        assert_eq!(
            version_from_user_agent("codex-app-server/0.1.0 (linux; x86_64)").as_deref(),
            Some("0.1.0")
        );
        assert_eq!(version_from_user_agent("codex_cli_rs/0.169.0").as_deref(), Some("0.169.0"));
        assert_eq!(version_from_user_agent("weird"), None);
        assert_eq!(version_from_user_agent(""), None);
    }
}
