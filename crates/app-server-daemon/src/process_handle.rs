//! [`ProcessHandle`]: a Linux pidfd on the daemon process, so that `stop` signals the very
//! process it found on the socket even if that process exits and its pid is recycled meanwhile.

use std::os::fd::AsRawFd;
use std::os::fd::FromRawFd;
use std::os::fd::OwnedFd;
use std::time::Duration;

use crate::error::DaemonError;

/// Interval between checks of whether the process has exited.
const EXIT_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A pidfd referring to one process (not to whatever later reuses its pid).
#[derive(Debug)]
pub(crate) struct ProcessHandle {
    pid: u32,
    fd: OwnedFd,
}

impl ProcessHandle {
    /// Opens a pidfd on `pid`; `None` when the process is already gone.
    pub(crate) fn open(pid: u32) -> Result<Option<Self>, DaemonError> {
        let raw_pid = libc::pid_t::try_from(pid).map_err(|_| {
            DaemonError::io(
                format!("opening pid {pid}"),
                std::io::Error::from(std::io::ErrorKind::InvalidInput),
            )
        })?;
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let result = unsafe { libc::syscall(libc::SYS_pidfd_open, raw_pid, 0) };
        if result < 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::ESRCH) {
                return Ok(None);
            }
            return Err(DaemonError::io(format!("opening a pidfd on pid {pid}"), err));
        }
        let raw_fd = libc::c_int::try_from(result).map_err(|_| {
            DaemonError::io("pidfd_open", std::io::Error::from(std::io::ErrorKind::InvalidData))
        })?;
        // SAFETY: the descriptor was just returned by the kernel and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw_fd) };
        Ok(Some(Self { pid, fd }))
    }

    /// The process id the handle was opened on.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `signal` to this process; a process that has already exited is not an error.
    pub(crate) fn signal(&self, signal: libc::c_int) -> Result<(), DaemonError> {
        // SAFETY: pidfd_send_signal on our own descriptor with no siginfo and no flags.
        let result = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if result == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ESRCH) {
            return Ok(());
        }
        Err(DaemonError::io(format!("signalling pid {}", self.pid), err))
    }

    /// True once the process has exited (the pidfd turns readable).
    pub(crate) fn has_exited(&self) -> bool {
        let mut poll = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, zero timeout.
        let ready = unsafe { libc::poll(&mut poll, 1, 0) };
        ready > 0 && poll.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
    }

    /// Waits until the process has exited.
    pub(crate) async fn wait_for_exit(&self) {
        while !self.has_exited() {
            tokio::time::sleep(EXIT_POLL_INTERVAL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn signals_reach_the_process_and_exit_is_observed() {
        let mut child = std::process::Command::new("sleep").arg("600").spawn().unwrap();
        let handle = ProcessHandle::open(child.id()).unwrap().unwrap();
        assert!(!handle.has_exited());
        handle.signal(libc::SIGKILL).unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success());
        handle.wait_for_exit().await;
        assert!(handle.has_exited());
        handle.signal(libc::SIGKILL).unwrap();
    }
}
