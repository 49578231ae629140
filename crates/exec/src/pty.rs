//! Pseudo-terminal plumbing: allocating a master/slave pair, preparing a `std::process::Command`
//! to run on the slave as a session leader with it as controlling terminal, async I/O on the
//! master, and resizing.

use std::fs::File;
use std::os::fd::AsFd;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::pin::Pin;
use std::process::Stdio;
use std::task::ready;
use std::task::Context;
use std::task::Poll;

use rustix::pty::OpenptFlags;
use rustix::termios::Winsize;
use tokio::io::unix::AsyncFd;
use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::io::ReadBuf;

use crate::request::TerminalSize;

/// A freshly allocated pseudo-terminal: the master (kept by the server) and the slave (handed to
/// the child).
pub(crate) struct PtyPair {
    /// The master side, in non-blocking mode.
    pub(crate) master: OwnedFd,
    /// The slave side, opened without becoming our controlling terminal.
    pub(crate) slave: File,
}

impl PtyPair {
    /// Allocates a pseudo-terminal of `size`.
    pub(crate) fn open(size: TerminalSize) -> std::io::Result<Self> {
        let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
        rustix::pty::grantpt(&master)?;
        rustix::pty::unlockpt(&master)?;
        let slave_name = rustix::pty::ptsname(&master, Vec::new())?;
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(std::ffi::OsStr::from_bytes(slave_name.as_bytes()))?;
        set_size(&master, size)?;
        rustix::io::ioctl_fionbio(&master, true)?;
        Ok(Self { master, slave })
    }

    /// Wires `command`'s stdio to the slave and makes the child a session leader with the slave
    /// as its controlling terminal. The command must not ask for a new process group (the
    /// session's group replaces it; `setsid` fails for a group leader).
    pub(crate) fn attach(&self, command: &mut std::process::Command) -> std::io::Result<()> {
        command
            .stdin(Stdio::from(self.slave.try_clone()?))
            .stdout(Stdio::from(self.slave.try_clone()?))
            .stderr(Stdio::from(self.slave.try_clone()?));
        // SAFETY: the hook only issues the raw `setsid` and `ioctl` syscalls on fd 0 (already the
        // slave when pre_exec hooks run), which are async-signal-safe; nothing is allocated.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Ok(())
    }
}

/// Sets the window size of the terminal behind `master`; the kernel sends `SIGWINCH` to the
/// terminal's foreground process group.
pub(crate) fn set_size(master: &impl AsFd, size: TerminalSize) -> std::io::Result<()> {
    let winsize = Winsize { ws_row: size.rows, ws_col: size.cols, ws_xpixel: 0, ws_ypixel: 0 };
    rustix::termios::tcsetwinsize(master, winsize)?;
    Ok(())
}

/// Async reads and writes on a (non-blocking) PTY master descriptor.
pub(crate) struct PtyMasterIo {
    fd: AsyncFd<OwnedFd>,
}

impl PtyMasterIo {
    /// Registers a non-blocking master descriptor with the runtime.
    pub(crate) fn new(fd: OwnedFd) -> std::io::Result<Self> {
        // SAFETY: `OwnedFd` owns an open descriptor that stays open and unchanged until the
        // `AsyncFd` (which owns the `OwnedFd`) is dropped.
        let fd = unsafe { AsyncFd::register(fd) }?;
        Ok(Self { fd })
    }
}

impl AsyncRead for PtyMasterIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut *unfilled)?)) {
                Ok(Ok(read)) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(error)) => return Poll::Ready(Err(error)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyMasterIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            match guard.try_io(|fd| Ok(rustix::io::write(fd.get_ref(), bytes)?)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
