//! Size-based rotation of the daemon's log: by the starter before each spawn, and by the running
//! server itself ([`keep_log_rotated`], enabled by `codex app-server --log-file PATH`).
//!
//! The daemon's stdout and stderr are the log file itself (an inherited file descriptor), so
//! everything lands there: tracing output, the "listening on" line, and even a panic message.
//! While it runs, the server checks the log's size now and then; once larger than the limit it
//! rotates the files and points its stdout and stderr (`dup2`) at a fresh `app-server.log`, so
//! that property holds across rotations. When `app-server.log` is larger than the limit,
//! `app-server.log.{N-1}` moves to `.N` (the oldest is dropped), …, and `app-server.log` becomes
//! `app-server.log.1`. Every rotation takes the startup lock, so the starter and the server never
//! rotate at the same time.

use std::os::fd::AsRawFd;
use std::os::fd::RawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use codex_app_server_transport::StartupLock;

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

/// Opens (creating) the log at `path` for appending, mode 0600 even if it existed.
pub fn open_private_log(path: &Path) -> Result<std::fs::File, DaemonError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|err| DaemonError::io(format!("opening {}", path.display()), err))?;
    // An existing log keeps whatever mode it had at creation; tighten it (fchmod).
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|err| DaemonError::io(format!("restricting {}", path.display()), err))?;
    Ok(file)
}

/// Rotates `path` when larger than `max_bytes` and then points each of `fds` (the writer's
/// stdout and stderr) at a fresh log file; true if rotated.
pub fn rotate_and_redirect(
    path: &Path,
    max_bytes: u64,
    keep: usize,
    fds: &[RawFd],
) -> Result<bool, DaemonError> {
    if !rotate_if_larger(path, max_bytes, keep)? {
        return Ok(false);
    }
    let fresh = open_private_log(path)?;
    for fd in fds {
        // SAFETY: dup2 onto a descriptor number this process owns; the old file it named is
        // closed by the kernel, the new one stays open through `fd`.
        if unsafe { libc::dup2(fresh.as_raw_fd(), *fd) } == -1 {
            let err = std::io::Error::last_os_error();
            return Err(DaemonError::io(format!("redirecting fd {fd} to {}", path.display()), err));
        }
    }
    Ok(true)
}

/// How often a running server checks the size of its log.
pub const LOG_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Runs forever (spawn it): every `interval`, under the startup lock at `lock_path`, rotates the
/// log at `path` when larger than `max_bytes` and redirects this process's stdout and stderr to
/// the fresh file. Failures are logged and retried at the next check.
pub async fn keep_log_rotated(
    path: PathBuf,
    lock_path: PathBuf,
    max_bytes: u64,
    keep: usize,
    interval: Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        let oversized = std::fs::metadata(&path).is_ok_and(|meta| meta.len() > max_bytes);
        if !oversized {
            continue;
        }
        let _lock = match StartupLock::acquire(&lock_path).await {
            Ok(lock) => lock,
            Err(err) => {
                tracing::warn!("log rotation skipped: {err}");
                continue;
            }
        };
        match rotate_and_redirect(
            &path,
            max_bytes,
            keep,
            &[libc::STDOUT_FILENO, libc::STDERR_FILENO],
        ) {
            Ok(true) => tracing::info!(log = %path.display(), "log rotated"),
            Ok(false) => {}
            Err(err) => tracing::warn!("log rotation failed: {err}"),
        }
    }
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
    fn a_running_writer_is_moved_to_the_fresh_log_and_it_is_private() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app-server.log");
        std::fs::write(&log, "").unwrap();
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
        // Stands in for the server's stderr: a descriptor open on the log.
        let mut writer = open_private_log(&log).unwrap();
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "an existing log is made private");
        writer.write_all(b"small\n").unwrap();
        assert!(!rotate_and_redirect(&log, 100, 2, &[writer.as_raw_fd()]).unwrap());
        writer.write_all(&[b'x'; 200]).unwrap();
        assert!(rotate_and_redirect(&log, 100, 2, &[writer.as_raw_fd()]).unwrap());
        writer.write_all(b"after rotation\n").unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "after rotation\n");
        assert!(std::fs::read_to_string(rotated_path(&log, 1)).unwrap().starts_with("small"));
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
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
