//! Size-based rotation of the daemon's log, done by the starter before each spawn.
//!
//! The daemon's stdout and stderr are the log file itself (an inherited file descriptor), so
//! everything lands there: tracing output, the "listening on" line, and even a panic message.
//! Rotating in the starter keeps that property without a log-writer thread in the server; the
//! cost is that one daemon run's log is not cut while it runs. When `app-server.log` is larger
//! than the limit at start, `app-server.log.{N-1}` moves to `.N` (the oldest is dropped), …, and
//! `app-server.log` becomes `app-server.log.1`.

use std::path::Path;
use std::path::PathBuf;

use crate::error::DaemonError;

/// A log larger than this (10 MiB) is rotated at the next start.
pub const DEFAULT_MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;
/// How many rotated logs are kept (`app-server.log.1` … `.3`).
pub const DEFAULT_KEPT_LOGS: usize = 3;

/// `path` with `.N` appended.
pub fn rotated_path(path: &Path, generation: usize) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{generation}"));
    PathBuf::from(name)
}

/// Rotates `path` when it is larger than `max_bytes`, keeping `keep` old files; true if rotated.
pub fn rotate_if_larger(path: &Path, max_bytes: u64, keep: usize) -> Result<bool, DaemonError> {
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(DaemonError::io(format!("inspecting {}", path.display()), err)),
    };
    if size <= max_bytes {
        return Ok(false);
    }
    if keep == 0 {
        remove_if_present(path)?;
        return Ok(true);
    }
    remove_if_present(&rotated_path(path, keep))?;
    for generation in (1..keep).rev() {
        let from = rotated_path(path, generation);
        if from.exists() {
            let to = rotated_path(path, generation + 1);
            std::fs::rename(&from, &to)
                .map_err(|err| DaemonError::io(format!("rotating {}", from.display()), err))?;
        }
    }
    let first = rotated_path(path, 1);
    std::fs::rename(path, &first)
        .map_err(|err| DaemonError::io(format!("rotating {}", path.display()), err))?;
    Ok(true)
}

fn remove_if_present(path: &Path) -> Result<(), DaemonError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(DaemonError::io(format!("removing {}", path.display()), err)),
    }
}

/// The last `max_lines` lines of the log at `path` (empty when unreadable).
pub fn log_tail(path: &Path, max_lines: usize) -> String {
    let Ok(text) = std::fs::read(path) else { return String::new() };
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(max_lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_only_above_the_limit_and_keeps_a_bounded_number() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app-server.log");
        assert!(!rotate_if_larger(&log, 10, 2).unwrap(), "a missing log is fine");
        std::fs::write(&log, "small").unwrap();
        assert!(!rotate_if_larger(&log, 10, 2).unwrap());
        for run in 1..=4 {
            std::fs::write(&log, format!("run {run} with a long line")).unwrap();
            assert!(rotate_if_larger(&log, 10, 2).unwrap());
            assert!(!log.exists());
        }
        assert_eq!(
            std::fs::read_to_string(rotated_path(&log, 1)).unwrap(),
            "run 4 with a long line"
        );
        assert_eq!(
            std::fs::read_to_string(rotated_path(&log, 2)).unwrap(),
            "run 3 with a long line"
        );
        assert!(!rotated_path(&log, 3).exists(), "only two old logs are kept");
    }

    #[test]
    fn tail_returns_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app-server.log");
        assert_eq!(log_tail(&log, 3), "");
        std::fs::write(&log, "a\nb\nc\nd\n").unwrap();
        assert_eq!(log_tail(&log, 2), "c\nd");
    }
}
