//! [`run_to_completion`]: the non-streaming way to run a command and collect its output.

use std::time::Duration;

use crate::error::ExecError;
use crate::output::ExecEvent;
use crate::process::ExecProcess;
use crate::request::ExecRequest;

/// Everything a finished command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit code, or `None` when the command was killed by a signal.
    pub exit_code: Option<i32>,
    /// The signal that killed the command, if any.
    pub signal: Option<i32>,
    /// Standard output (on a PTY: everything the terminal showed), at most the output cap.
    pub stdout: Vec<u8>,
    /// Standard error, at most the output cap (empty on a PTY).
    pub stderr: Vec<u8>,
    /// Whether stdout was cut at the output cap.
    pub stdout_capped: bool,
    /// Whether stderr was cut at the output cap.
    pub stderr_capped: bool,
    /// Whether the command was killed because its timeout expired.
    pub timed_out: bool,
    /// Wall-clock time from spawn to exit.
    pub duration: Duration,
}

/// Runs `request` with stdin closed and collects its output until it exits.
pub async fn run_to_completion(request: ExecRequest) -> Result<ExecOutput, ExecError> {
    let (process, mut events) = ExecProcess::spawn(request)?;
    process.close_stdin().await?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    while let Some(event) = events.recv().await {
        match event {
            ExecEvent::Output { stream, bytes, .. } => match stream {
                crate::ExecStream::Stdout | crate::ExecStream::Pty => stdout.extend(bytes),
                crate::ExecStream::Stderr => stderr.extend(bytes),
            },
            ExecEvent::Exited(exit) => {
                return Ok(ExecOutput {
                    exit_code: exit.exit_code,
                    signal: exit.signal,
                    stdout,
                    stderr,
                    stdout_capped: exit.stdout_capped,
                    stderr_capped: exit.stderr_capped,
                    timed_out: exit.timed_out,
                    duration: exit.duration,
                });
            }
        }
    }
    // The supervisor always reports an exit; reaching here means its task was cancelled
    // (runtime shutting down).
    Err(ExecError::SupervisorStopped)
}
