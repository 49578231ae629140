//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while preparing or spawning a sandboxed command.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The command line was empty.
    #[error("cannot spawn an empty command line")]
    EmptyCommand,
    /// The kernel cannot enforce the requested policy; the command was not run.
    #[error(
        "{reason}; refusing to run the command unsandboxed (use the `danger-full-access` \
         sandbox policy to run commands without a sandbox)"
    )]
    Unsupported {
        /// Why the policy cannot be enforced on this machine.
        reason: String,
    },
    /// A path the policy relies on could not be inspected or opened.
    #[error("sandbox path {path}: {source}")]
    Path {
        /// The path concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Building the Landlock ruleset failed.
    #[cfg(target_os = "linux")]
    #[error("building the Landlock ruleset failed: {0}")]
    Landlock(#[from] landlock::RulesetError),
    /// Building the seccomp filter failed.
    #[cfg(target_os = "linux")]
    #[error("building the seccomp filter failed: {0}")]
    Seccomp(#[from] seccompiler::BackendError),
    /// Spawning the child process failed.
    #[error("spawning {program} failed: {source}")]
    Spawn {
        /// The program that was to be run.
        program: String,
        /// The underlying I/O error (includes errors raised while applying restrictions in the child).
        source: std::io::Error,
    },
}
