//! [`PidRecord`]: the pid file the server writes once it listens on the control socket, and the
//! process checks that tell a live daemon from a stale record (dead process, zombie, or a
//! recycled pid now used by some other program).

use std::path::Path;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use serde::Deserialize;
use serde::Serialize;

use crate::error::DaemonError;
use crate::settings::write_atomically;

/// The content of `app-server.pid`: which process serves the socket, and since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PidRecord {
    /// The server's process id.
    pub pid: u32,
    /// When the server started listening, in milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// Set once the server got its shutdown signal and drains: it exits soon, so `start` waits
    /// for it instead of reporting it as running.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draining: bool,
}

impl PidRecord {
    /// A record for the calling process, started now.
    pub fn for_current_process() -> Self {
        Self {
            pid: std::process::id(),
            started_at_ms: unix_millis(SystemTime::now()),
            draining: false,
        }
    }

    /// Writes the record to `path` atomically (mode 0600).
    pub fn write(&self, path: &Path) -> Result<(), DaemonError> {
        let draining = if self.draining { ",\"draining\":true" } else { "" };
        let text =
            format!("{{\"pid\":{},\"startedAtMs\":{}{draining}}}\n", self.pid, self.started_at_ms);
        write_atomically(path, text.as_bytes())
    }

    /// Reads the record at `path`; `None` when it is missing or unreadable (garbage is stale).
    pub fn read(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        match serde_json::from_str(&text) {
            Ok(record) => Some(record),
            Err(err) => {
                tracing::warn!(path = %path.display(), "ignoring an unreadable pid file: {err}");
                None
            }
        }
    }

    /// Marks the record at `path` as draining if it names the calling process.
    pub fn mark_draining(path: &Path) -> Result<(), DaemonError> {
        match Self::read(path) {
            Some(record) if record.pid == std::process::id() => {
                Self { draining: true, ..record }.write(path)
            }
            _ => Ok(()),
        }
    }

    /// Removes the record at `path` if it still names `pid` (a newer server's record is kept).
    pub fn remove_if_owned_by(path: &Path, pid: u32) {
        if Self::read(path).is_some_and(|record| record.pid == pid) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Seconds since the recorded start (0 if the clock went backwards).
    pub fn uptime_seconds(&self) -> u64 {
        unix_millis(SystemTime::now()).saturating_sub(self.started_at_ms) / 1000
    }
}

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// True when `pid` names a process that has not exited (a zombie counts as exited).
pub fn process_is_alive(pid: u32) -> bool {
    let Ok(raw) = libc::pid_t::try_from(pid) else { return false };
    if raw <= 0 {
        return false;
    }
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may itself contain ") ".
        return stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X');
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let result = unsafe { libc::kill(raw, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// True when `pid` is alive and is the server that writes `pid_file`: its command line is
/// `… app-server … --pid-file PID_FILE …`. A recycled pid (some other program, or the daemon of
/// another `$CODEX_HOME`) does not match, so a stale record never gets a process signalled.
pub fn process_owns_pid_file(pid: u32, pid_file: &Path) -> bool {
    if !process_is_alive(pid) {
        return false;
    }
    let cmdline = match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => cmdline,
        // Without /proc we cannot tell; trust the record.
        Err(_) => return true,
    };
    let args: Vec<&[u8]> = cmdline.split(|byte| *byte == 0).collect();
    let wanted = pid_file.as_os_str().as_encoded_bytes();
    args.contains(&&b"app-server"[..])
        && args.windows(2).any(|pair| pair[0] == b"--pid-file" && pair[1] == wanted)
}

/// True when `pid` is alive and its command line has an `app-server` argument (true without
/// `/proc`, where this cannot be told).
pub fn process_is_app_server(pid: u32) -> bool {
    if !process_is_alive(pid) {
        return false;
    }
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => cmdline.split(|byte| *byte == 0).any(|arg| arg == b"app-server"),
        Err(_) => true,
    }
}

/// Seconds since `pid` started, from `/proc` (None where `/proc` is unavailable).
pub fn process_uptime_seconds(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    // `rest` starts at field 3 (state); field 22 is the start time in clock ticks since boot.
    let start_ticks: u64 = rest.split_whitespace().nth(19)?.parse().ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let since_boot: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks_per_second = u64::try_from(ticks_per_second).ok().filter(|ticks| *ticks > 0)?;
    let started = start_ticks / ticks_per_second;
    Some((since_boot as u64).saturating_sub(started))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_are_removed_only_by_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app-server.pid");
        assert_eq!(PidRecord::read(&path), None);
        let record = PidRecord { pid: 4242, started_at_ms: 1_700_000_000_000, draining: false };
        record.write(&path).unwrap();
        assert_eq!(PidRecord::read(&path), Some(record.clone()));
        let draining = PidRecord { draining: true, ..record.clone() };
        draining.write(&path).unwrap();
        assert_eq!(PidRecord::read(&path), Some(draining));
        record.write(&path).unwrap();
        PidRecord::remove_if_owned_by(&path, 1);
        assert!(path.exists(), "someone else's record must stay");
        PidRecord::remove_if_owned_by(&path, 4242);
        assert!(!path.exists());
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(PidRecord::read(&path), None);
    }

    #[test]
    fn liveness_tells_running_from_exited_and_zombie() {
        assert!(process_is_alive(std::process::id()));
        let pid_file = Path::new("/tmp/app-server.pid");
        assert!(!process_owns_pid_file(std::process::id(), pid_file), "the test is no app-server");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Not yet reaped: a zombie once it exits, which must count as gone.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while process_is_alive(pid) {
            assert!(std::time::Instant::now() < deadline, "`true` never exited");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.wait().unwrap();
        assert!(!process_is_alive(pid));
        assert!(!process_is_alive(0));
    }

    #[test]
    fn only_the_server_named_with_this_pid_file_owns_it() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("app-server.pid");
        let theirs = dir.path().join("other/app-server.pid");
        // `sh -c 'sleep 30; :' app-server app-server --pid-file PATH` has those words in its cmdline.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30; :", "app-server", "app-server", "--pid-file"])
            .arg(&ours)
            .spawn()
            .unwrap();
        let pid = child.id();
        // Right after a vfork-style spawn the new command line may not be set up yet.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let shows_sh = || {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            cmdline.split(|byte| *byte == 0).any(|arg| arg == b"sleep 30; :")
        };
        while !shows_sh() {
            assert!(std::time::Instant::now() < deadline, "the child never showed its cmdline");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let owns = process_owns_pid_file(pid, &ours);
        let owns_theirs = process_owns_pid_file(pid, &theirs);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(owns);
        assert!(!owns_theirs, "another CODEX_HOME's daemon is not ours");
        assert!(!process_owns_pid_file(pid, &ours), "an exited process owns nothing");
    }

    #[test]
    fn a_fresh_process_has_a_small_uptime() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let uptime = process_uptime_seconds(child.id());
        child.kill().unwrap();
        child.wait().unwrap();
        // Started during this test: far less than the machine's uptime of a day or more.
        let uptime = uptime.expect("/proc is available on Linux");
        assert!(uptime < 3600, "{uptime}");
    }
}
