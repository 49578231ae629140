//! The crate's error type.

/// Everything that can go wrong while spawning or driving a command.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The command line was empty.
    #[error("cannot run an empty command line")]
    EmptyCommand,
    /// The sandbox refused or failed to spawn the command.
    #[error(transparent)]
    Sandbox(#[from] codex_sandbox::SandboxError),
    /// Allocating or configuring the pseudo-terminal failed.
    #[error("pseudo-terminal setup failed: {0}")]
    Pty(std::io::Error),
    /// Stdin was already closed (or the process has exited and closed its end).
    #[error("stdin of the command is closed")]
    StdinClosed,
    /// Writing to the command's stdin failed.
    #[error("writing to the command's stdin failed: {0}")]
    Stdin(std::io::Error),
    /// The operation needs a PTY but the command runs on pipes.
    #[error("the command is not running on a terminal")]
    NotATerminal,
    /// Resizing the terminal failed.
    #[error("resizing the terminal failed: {0}")]
    Resize(std::io::Error),
    /// The task supervising the command stopped before reporting an exit (runtime shutdown).
    #[error("the command's supervisor stopped before reporting an exit")]
    SupervisorStopped,
}
