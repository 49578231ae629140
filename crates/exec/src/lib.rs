//! The process runner behind `command/exec` and the shell tool: spawns a command through
//! [`codex_sandbox::SandboxedCommand`], streams its output as back-pressured, coalesced chunks,
//! accepts stdin, enforces timeouts and output caps, and optionally runs it on a PTY.
//!
//! [`ExecProcess::spawn`] returns a handle (stdin, resize, terminate) and an [`ExecEvents`]
//! stream of [`ExecEvent`]s ending with [`ExecEvent::Exited`]. [`run_to_completion`] is the
//! non-streaming shortcut. The command runs in its own process group (its own session on a PTY);
//! terminating, timing out or dropping the handle kills the whole group, and so does the
//! command's own exit (leftover background children are killed with it).

mod completion;
mod error;
mod live_groups;
mod output;
mod process;
mod pty;
mod request;

pub use completion::run_to_completion;
pub use completion::ExecOutput;
pub use error::ExecError;
pub use live_groups::kill_all_running_commands;
pub use output::ExecEvent;
pub use output::ExecEvents;
pub use output::ExecExit;
pub use output::ExecStream;
pub use output::COALESCE_LIMIT;
pub use process::ExecProcess;
pub use process::TERMINATE_GRACE;
pub use request::env_with_overrides;
pub use request::ExecRequest;
pub use request::TerminalSize;
