//! [`DaemonSettings`]: choices that apply to every future daemon start, persisted as JSON in
//! `$CODEX_HOME/app-server-control/daemon.json` (e.g. `{"remoteControl": true}`).

use std::io::Write;
use std::path::Path;

use serde::Deserialize;
use serde::Serialize;

use crate::error::DaemonError;

/// Settings read at every `daemon start`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSettings {
    /// Start the daemon with `--remote-control` (dial out to `[remote_control] url`).
    pub remote_control: bool,
}

impl DaemonSettings {
    /// Reads the settings at `path`; a missing file means the defaults.
    pub fn load(path: &Path) -> Result<Self, DaemonError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(err) => return Err(DaemonError::io(format!("reading {}", path.display()), err)),
        };
        serde_json::from_str(&text).map_err(|err| DaemonError::Settings {
            path: path.to_path_buf(),
            message: err.to_string(),
        })
    }

    /// Writes the settings to `path` atomically (a temporary file renamed over it), mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), DaemonError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|err| DaemonError::Settings {
            path: path.to_path_buf(),
            message: err.to_string(),
        })?;
        text.push('\n');
        write_atomically(path, text.as_bytes())
    }
}

/// Writes `bytes` to a sibling temporary file (mode 0600) and renames it over `path`.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DaemonError> {
    use std::os::unix::fs::DirBuilderExt;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|err| DaemonError::io(format!("creating {}", parent.display()), err))?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    let temporary = path.with_file_name(name);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    written.map_err(|err| {
        let _ = std::fs::remove_file(&temporary);
        DaemonError::io(format!("writing {}", path.display()), err)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_means_defaults_and_a_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control/daemon.json");
        assert_eq!(DaemonSettings::load(&path).unwrap(), DaemonSettings::default());
        DaemonSettings { remote_control: true }.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\n  \"remoteControl\": true\n}\n");
        assert!(DaemonSettings::load(&path).unwrap().remote_control);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary file was renamed away");
    }

    #[test]
    fn unknown_keys_are_kept_out_and_garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.json");
        std::fs::write(&path, r#"{"remoteControl": true, "future": 1}"#).unwrap();
        assert!(DaemonSettings::load(&path).unwrap().remote_control);
        std::fs::write(&path, "not json").unwrap();
        let err = DaemonSettings::load(&path).unwrap_err().to_string();
        assert!(err.contains("invalid daemon settings") && err.contains("daemon.json"), "{err}");
    }
}
