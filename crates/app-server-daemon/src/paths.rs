//! Where the daemon's files live under `$CODEX_HOME`: the control socket and startup lock (shared
//! with `codex app-server --listen unix://`), the pid record, the persisted settings and the log.

use std::path::Path;
use std::path::PathBuf;

use codex_app_server_transport::control_directory;
use codex_app_server_transport::default_control_socket_path;
use codex_app_server_transport::startup_lock_path;

/// File name of the pid record, in the control directory.
pub const PID_FILE_NAME: &str = "app-server.pid";
/// File name of the persisted daemon settings, in the control directory.
pub const SETTINGS_FILE_NAME: &str = "daemon.json";
/// File name of the daemon's log, in `$CODEX_HOME/log`.
pub const LOG_FILE_NAME: &str = "app-server.log";

/// Every path the daemon uses for one `$CODEX_HOME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonPaths {
    /// `$CODEX_HOME`.
    pub codex_home: PathBuf,
    /// `$CODEX_HOME/app-server-control/app-server-control.sock`.
    pub socket: PathBuf,
    /// `$CODEX_HOME/app-server-control/app-server-startup.lock`.
    pub startup_lock: PathBuf,
    /// `$CODEX_HOME/app-server-control/app-server.pid`: written by the server once it listens.
    pub pid_file: PathBuf,
    /// `$CODEX_HOME/app-server-control/daemon.json`: settings for future starts.
    pub settings_file: PathBuf,
    /// `$CODEX_HOME/log/app-server.log`: the daemon's stdout and stderr.
    pub log_file: PathBuf,
}

impl DaemonPaths {
    /// The paths for `codex_home` (which should be absolute: the daemon outlives the caller's cwd).
    pub fn new(codex_home: &Path) -> Self {
        let control = control_directory(codex_home);
        Self {
            codex_home: codex_home.to_path_buf(),
            socket: default_control_socket_path(codex_home),
            startup_lock: startup_lock_path(codex_home),
            pid_file: control.join(PID_FILE_NAME),
            settings_file: control.join(SETTINGS_FILE_NAME),
            log_file: codex_home.join("log").join(LOG_FILE_NAME),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sit_under_codex_home() {
        let paths = DaemonPaths::new(Path::new("/home/u/.codex"));
        assert_eq!(
            paths.socket,
            Path::new("/home/u/.codex/app-server-control/app-server-control.sock")
        );
        assert_eq!(paths.pid_file, Path::new("/home/u/.codex/app-server-control/app-server.pid"));
        assert_eq!(paths.settings_file, Path::new("/home/u/.codex/app-server-control/daemon.json"));
        assert_eq!(paths.log_file, Path::new("/home/u/.codex/log/app-server.log"));
    }
}
