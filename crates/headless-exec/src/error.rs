//! The one error type of `codex exec`: everything that stops a run before or around its turn.

use std::path::PathBuf;

use codex_app_server::in_process::InProcessError;

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Reading the prompt from stdin failed.
    #[error("reading the prompt from stdin: {0}")]
    ReadPrompt(std::io::Error),
    /// No prompt was given.
    #[error("no prompt: pass it as an argument or on stdin (`-` reads stdin)")]
    EmptyPrompt,
    /// `--output-schema` could not be read or is not JSON.
    #[error("--output-schema {}: {reason}", path.display())]
    OutputSchema {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `--cd` is not a usable directory.
    #[error("--cd {}: {reason}", path.display())]
    WorkingDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The working directory is not inside a git repository and `--skip-git-repo-check` was
    /// not given.
    #[error(
        "Not inside a trusted directory and --skip-git-repo-check was not specified: {} is not in \
         a git repository (no .git in it or any parent). Pass --skip-git-repo-check to run there \
         anyway.",
        dir.display()
    )]
    NotInGitRepository {
        /// The working directory.
        dir: PathBuf,
    },
    /// An `--image` file is missing or not a file.
    #[error("--image {}: {reason}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An `--add-dir` directory is missing or not a directory.
    #[error("--add-dir {}: {reason}", path.display())]
    AddDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The embedded app-server failed or refused a request.
    #[error(transparent)]
    Server(#[from] InProcessError),
    /// `exec resume --last` found no stored thread.
    #[error("no stored thread to resume under this CODEX_HOME")]
    NoThreadToResume,
    /// The embedded app-server closed the connection in the middle of the turn.
    #[error("the app-server stopped before the turn ended")]
    ServerStopped,
    /// Request params could not be built (a bug: they are fixed shapes).
    #[error("building request params: {0}")]
    BuildParams(serde_json::Error),
    /// `--output-last-message` could not be written.
    #[error("writing --output-last-message {}: {source}", path.display())]
    WriteLastMessage {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
