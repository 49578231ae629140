//! [`ExecProcess`]: spawning a command (pipes or PTY), the supervisor task that enforces the
//! timeout and termination, the readers feeding the output queue, and the control handle.

use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use codex_sandbox::signal_process_group;
use codex_sandbox::ChildRestrictions;
use codex_sandbox::SandboxError;
use codex_sandbox::SandboxedCommand;
use codex_sandbox::StdioMode;
use tokio::io::AsyncRead;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWrite;
use tokio::io::AsyncWriteExt;
use tokio::process::Child;
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::ExecError;
use crate::output::ExecEvents;
use crate::output::ExecExit;
use crate::output::ExecStream;
use crate::output::OutputQueue;
use crate::output::COALESCE_LIMIT;
use crate::pty::PtyMasterIo;
use crate::pty::PtyPair;
use crate::request::ExecRequest;
use crate::request::TerminalSize;

/// How long [`ExecProcess::terminate`] waits after `SIGTERM` before sending `SIGKILL`.
pub const TERMINATE_GRACE: Duration = Duration::from_secs(2);

/// After the command exits, how long readers wait for more bytes from descendants that escaped
/// the process group and still hold the output open.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The terminal's end-of-file character (`^D`), sent by [`ExecProcess::close_stdin`] on a PTY.
const TERMINAL_EOF: u8 = 0x04;

/// Where the command's process stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Lifecycle {
    /// The command's main process has not been reaped yet.
    Running = 0,
    /// The main process was reaped and the rest of its group killed.
    Exited = 1,
}

/// Requests from the handle to the supervisor task.
#[derive(Debug)]
enum Control {
    /// SIGTERM the group now, SIGKILL it after [`TERMINATE_GRACE`].
    Terminate,
}

/// The writable end of the command's stdin.
enum StdinState {
    /// A pipe to the command.
    Pipe(tokio::process::ChildStdin),
    /// The PTY master (writes are typed into the terminal).
    Pty(PtyMasterIo),
    /// Closed by [`ExecProcess::close_stdin`] or never available.
    Closed,
}

/// A running command: write to its stdin, resize its terminal, terminate it. Dropping the
/// handle kills the command's whole process group.
pub struct ExecProcess {
    pid: u32,
    stdin: tokio::sync::Mutex<StdinState>,
    control: mpsc::UnboundedSender<Control>,
    pty_master: Option<OwnedFd>,
    lifecycle: Arc<AtomicU8>,
}

impl std::fmt::Debug for ExecProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecProcess")
            .field("pid", &self.pid)
            .field("tty", &self.pty_master.is_some())
            .finish_non_exhaustive()
    }
}

impl ExecProcess {
    /// Spawns `request` in the sandbox and starts streaming its output. Must be called within a
    /// Tokio runtime.
    pub fn spawn(request: ExecRequest) -> Result<(ExecProcess, ExecEvents), ExecError> {
        if request.argv.is_empty() {
            return Err(ExecError::EmptyCommand);
        }
        if !request.cwd.is_dir() {
            return Err(ExecError::Sandbox(SandboxError::Path {
                path: request.cwd,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "working directory does not exist or is not a directory",
                ),
            }));
        }
        match request.tty {
            None => spawn_on_pipes(request),
            Some(size) => spawn_on_pty(request, size),
        }
    }

    /// The process id of the command (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Writes `bytes` to the command's stdin (on a PTY: types them into the terminal).
    pub async fn write_stdin(&self, bytes: &[u8]) -> Result<(), ExecError> {
        let mut stdin = self.stdin.lock().await;
        let result = match &mut *stdin {
            StdinState::Pipe(pipe) => write_all_flush(pipe, bytes).await,
            StdinState::Pty(master) => write_all_flush(master, bytes).await,
            StdinState::Closed => return Err(ExecError::StdinClosed),
        };
        result.map_err(|error| {
            if error.kind() == std::io::ErrorKind::BrokenPipe {
                ExecError::StdinClosed
            } else {
                ExecError::Stdin(error)
            }
        })
    }

    /// Closes stdin so the command sees end-of-file. On a PTY this types the terminal's EOF
    /// character (`^D`), which ends input for a reader at the start of a line.
    pub async fn close_stdin(&self) -> Result<(), ExecError> {
        let mut stdin = self.stdin.lock().await;
        match std::mem::replace(&mut *stdin, StdinState::Closed) {
            StdinState::Pipe(mut pipe) => {
                // The command may already have closed its end; closing ours still succeeds.
                let _ = pipe.shutdown().await;
                Ok(())
            }
            StdinState::Pty(mut master) => {
                write_all_flush(&mut master, &[TERMINAL_EOF]).await.map_err(ExecError::Stdin)
            }
            StdinState::Closed => Ok(()),
        }
    }

    /// Stops the command: `SIGTERM` to its whole process group, then `SIGKILL` after
    /// [`TERMINATE_GRACE`] if it is still running. Returns at once; the exit arrives as
    /// [`crate::ExecEvent::Exited`]. Does nothing once the command has exited.
    pub fn terminate(&self) {
        // The supervisor is gone only after the command exited, when there is nothing to do.
        let _ = self.control.send(Control::Terminate);
    }

    /// Resizes the command's terminal (the command receives `SIGWINCH`). Fails when the command
    /// does not run on a PTY.
    pub fn resize(&self, size: TerminalSize) -> Result<(), ExecError> {
        let master = self.pty_master.as_ref().ok_or(ExecError::NotATerminal)?;
        crate::pty::set_size(master, size).map_err(ExecError::Resize)
    }
}

impl Drop for ExecProcess {
    fn drop(&mut self) {
        if self.lifecycle.load(Ordering::Acquire) == Lifecycle::Running as u8 {
            kill_group(self.pid);
        }
    }
}

async fn write_all_flush<W: AsyncWrite + Unpin>(
    writer: &mut W,
    bytes: &[u8],
) -> std::io::Result<()> {
    writer.write_all(bytes).await?;
    writer.flush().await
}

/// SIGKILLs the process group led by `pid`; a group that is already gone is fine.
fn kill_group(pid: u32) {
    if let Err(error) = signal_process_group(pid, libc::SIGKILL) {
        if error.raw_os_error() != Some(libc::ESRCH) {
            tracing::warn!(pid, %error, "killing the command's process group failed");
        }
    }
}

fn spawn_on_pipes(request: ExecRequest) -> Result<(ExecProcess, ExecEvents), ExecError> {
    let policy_cwd = request.policy_cwd.clone().unwrap_or_else(|| request.cwd.clone());
    let mut child = SandboxedCommand::new(request.argv, &request.cwd, request.env, request.policy)
        .policy_cwd(policy_cwd)
        .stdio(StdioMode::Piped, StdioMode::Piped, StdioMode::Piped)
        .new_process_group(true)
        .kill_on_drop(true)
        .spawn()?;
    let pid = child_pid(&child)?;
    let stdin = child.stdin.take().map_or(StdinState::Closed, StdinState::Pipe);
    let mut outputs: Vec<(ExecStream, Box<dyn AsyncRead + Send + Unpin>)> = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        outputs.push((ExecStream::Stdout, Box::new(stdout)));
    }
    if let Some(stderr) = child.stderr.take() {
        outputs.push((ExecStream::Stderr, Box::new(stderr)));
    }
    Ok(start(child, pid, stdin, outputs, None, request.timeout, request.output_cap))
}

fn spawn_on_pty(
    request: ExecRequest,
    size: TerminalSize,
) -> Result<(ExecProcess, ExecEvents), ExecError> {
    let pty = PtyPair::open(size).map_err(ExecError::Pty)?;
    let program = request.argv[0].to_string_lossy().into_owned();
    let restrictions = ChildRestrictions::prepare(
        &request.policy,
        request.policy_cwd.as_deref().unwrap_or(&request.cwd),
        request.env.iter().map(|(key, value)| (key, value)),
    )?;
    // The child becomes a session leader (and so leads its own process group) in the PTY hook.
    let mut command =
        SandboxedCommand::new(request.argv, &request.cwd, request.env, request.policy)
            .stdio(StdioMode::Null, StdioMode::Null, StdioMode::Null)
            .new_process_group(false)
            .into_std_command_with(restrictions)?;
    pty.attach(&mut command).map_err(ExecError::Pty)?;
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true);
    let child = command
        .spawn()
        .map_err(|source| ExecError::Sandbox(SandboxError::Spawn { program, source }))?;
    // Close our copies of the slave so reading the master ends when the command's side closes.
    drop(command);
    let PtyPair { master, slave } = pty;
    drop(slave);
    let pid = child_pid(&child)?;
    let reader =
        PtyMasterIo::new(master.try_clone().map_err(ExecError::Pty)?).map_err(ExecError::Pty)?;
    let writer =
        PtyMasterIo::new(master.try_clone().map_err(ExecError::Pty)?).map_err(ExecError::Pty)?;
    let outputs: Vec<(ExecStream, Box<dyn AsyncRead + Send + Unpin>)> =
        vec![(ExecStream::Pty, Box::new(reader))];
    Ok(start(
        child,
        pid,
        StdinState::Pty(writer),
        outputs,
        Some(master),
        request.timeout,
        request.output_cap,
    ))
}

fn child_pid(child: &Child) -> Result<u32, ExecError> {
    child.id().ok_or_else(|| {
        ExecError::Sandbox(SandboxError::Spawn {
            program: String::from("command"),
            source: std::io::Error::other("the child exited before its pid could be read"),
        })
    })
}

/// Starts the readers and the supervisor and builds the handle.
fn start(
    child: Child,
    pid: u32,
    stdin: StdinState,
    outputs: Vec<(ExecStream, Box<dyn AsyncRead + Send + Unpin>)>,
    pty_master: Option<OwnedFd>,
    timeout: Option<Duration>,
    output_cap: Option<usize>,
) -> (ExecProcess, ExecEvents) {
    let started = Instant::now();
    let (queue, events) = OutputQueue::new();
    let (leader_exited_tx, leader_exited_rx) = watch::channel(false);
    let readers = outputs
        .into_iter()
        .map(|(stream, reader)| {
            let task = tokio::spawn(pump_output(
                reader,
                stream,
                queue.clone(),
                output_cap,
                leader_exited_rx.clone(),
            ));
            (stream, task)
        })
        .collect();
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let lifecycle = Arc::new(AtomicU8::new(Lifecycle::Running as u8));
    crate::live_groups::register(pid);
    tokio::spawn(supervise(Supervisor {
        child,
        pid,
        started,
        timeout,
        control: control_rx,
        readers,
        leader_exited: leader_exited_tx,
        queue,
        lifecycle: Arc::clone(&lifecycle),
    }));
    let process = ExecProcess {
        pid,
        stdin: tokio::sync::Mutex::new(stdin),
        control: control_tx,
        pty_master,
        lifecycle,
    };
    (process, events)
}

/// Copies one output stream into the queue, applying the cap. Returns whether the cap was hit.
async fn pump_output(
    mut reader: Box<dyn AsyncRead + Send + Unpin>,
    stream: ExecStream,
    queue: OutputQueue,
    output_cap: Option<usize>,
    mut leader_exited: watch::Receiver<bool>,
) -> bool {
    // Read into spare capacity (no zeroing); a full buffer moves into the queue as it is.
    let mut buffer = Vec::with_capacity(COALESCE_LIMIT);
    let mut delivered = 0usize;
    let mut capped = false;
    let mut exited = *leader_exited.borrow();
    loop {
        let read = if exited {
            buffer.clear();
            match tokio::time::timeout(DRAIN_GRACE, reader.read_buf(&mut buffer)).await {
                Ok(read) => read,
                Err(_) => {
                    tracing::debug!(
                        ?stream,
                        "output still open after the command exited; stop reading"
                    );
                    break;
                }
            }
        } else {
            buffer.clear();
            tokio::select! {
                read = reader.read_buf(&mut buffer) => read,
                changed = leader_exited.changed() => {
                    exited = changed.is_err() || *leader_exited.borrow();
                    continue;
                }
            }
        };
        let count = match read {
            Ok(0) => break,
            Ok(count) => count,
            // A PTY master reports EIO once every slave descriptor is closed.
            Err(error) if error.raw_os_error() == Some(libc::EIO) => break,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                tracing::warn!(?stream, %error, "reading the command's output failed");
                break;
            }
        };
        if capped {
            // Past the cap: keep draining so the command is not blocked, deliver nothing.
            continue;
        }
        let allowed = match output_cap {
            Some(cap) => count.min(cap.saturating_sub(delivered)),
            None => count,
        };
        capped = allowed < count;
        delivered += allowed;
        // The chunk that hits the cap carries the flag (possibly with no bytes of its own).
        buffer.truncate(allowed);
        let queued = std::mem::take(&mut buffer);
        buffer = queue
            .push_buffer(stream, queued, capped)
            .await
            .unwrap_or_else(|| Vec::with_capacity(COALESCE_LIMIT));
    }
    capped
}

/// Everything the supervisor task owns.
struct Supervisor {
    child: Child,
    pid: u32,
    started: Instant,
    timeout: Option<Duration>,
    control: mpsc::UnboundedReceiver<Control>,
    readers: Vec<(ExecStream, JoinHandle<bool>)>,
    leader_exited: watch::Sender<bool>,
    queue: OutputQueue,
    lifecycle: Arc<AtomicU8>,
}

/// What the supervisor has done to stop the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopping {
    /// Nothing yet.
    No,
    /// SIGTERM sent; SIGKILL due at the deadline.
    Terminating { kill_at: Instant },
    /// SIGKILL sent (timeout or terminate grace expired).
    Killed,
}

/// Waits for the command, enforcing timeout and termination, then reports the exit after all
/// output.
async fn supervise(mut supervisor: Supervisor) {
    // A timeout too large to represent is no timeout.
    let timeout_at = supervisor.timeout.and_then(|timeout| supervisor.started.checked_add(timeout));
    let mut stopping = Stopping::No;
    let mut timed_out = false;
    let mut control_open = true;
    let status = loop {
        let next_deadline = match stopping {
            Stopping::No => timeout_at,
            Stopping::Terminating { kill_at } => {
                Some(timeout_at.map_or(kill_at, |timeout_at| timeout_at.min(kill_at)))
            }
            Stopping::Killed => None,
        };
        let deadline = async {
            match next_deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            status = supervisor.child.wait() => break status,
            message = supervisor.control.recv(), if control_open => match message {
                Some(Control::Terminate) => {
                    if stopping == Stopping::No {
                        if let Err(error) = signal_process_group(supervisor.pid, libc::SIGTERM) {
                            tracing::debug!(pid = supervisor.pid, %error, "SIGTERM to the group failed");
                        }
                        stopping = Stopping::Terminating { kill_at: Instant::now() + TERMINATE_GRACE };
                    }
                }
                None => control_open = false,
            },
            () = deadline => {
                if timeout_at.is_some_and(|timeout_at| Instant::now() >= timeout_at) {
                    timed_out = true;
                }
                kill_group(supervisor.pid);
                stopping = Stopping::Killed;
            }
        }
    };
    // Leftover members of the group (background children) go with the command.
    kill_group(supervisor.pid);
    crate::live_groups::unregister(supervisor.pid);
    supervisor.lifecycle.store(Lifecycle::Exited as u8, Ordering::Release);
    let _ = supervisor.leader_exited.send(true);
    let (exit_code, signal) = match status {
        Ok(status) => (status.code(), status.signal()),
        Err(error) => {
            tracing::warn!(pid = supervisor.pid, %error, "waiting for the command failed");
            (None, None)
        }
    };
    let duration = supervisor.started.elapsed();
    let mut stdout_capped = false;
    let mut stderr_capped = false;
    for (stream, reader) in supervisor.readers {
        let capped = reader.await.unwrap_or(false);
        match stream {
            ExecStream::Stdout | ExecStream::Pty => stdout_capped |= capped,
            ExecStream::Stderr => stderr_capped |= capped,
        }
    }
    supervisor.queue.finish(ExecExit {
        exit_code,
        signal,
        timed_out,
        stdout_capped,
        stderr_capped,
        duration,
    });
}
