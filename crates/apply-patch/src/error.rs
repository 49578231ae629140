//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while parsing, planning or applying a patch. When any of these
/// is returned from planning or applying, no file has been changed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyPatchError {
    /// The patch text is malformed.
    #[error("invalid patch at line {line}: {message}")]
    Parse {
        /// 1-based line number in the patch text.
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// A path in the patch resolves outside every writable root.
    #[error("refusing to touch {path}: it is outside the writable roots")]
    OutsideWritableRoots {
        /// The path as written in the patch.
        path: String,
    },
    /// A path lies in a protected directory (`.git`, `.codex`) at the top of a writable root,
    /// which the sandbox keeps read-only.
    #[error("refusing to touch {path}: {directory} at the top of a writable root is read-only")]
    ProtectedDirectory {
        /// The path as written in the patch.
        path: String,
        /// The protected directory name.
        directory: String,
    },
    /// An update hunk's context or removed lines were not found in the file.
    #[error("failed to find expected lines in {path}:\n{expected}")]
    ContextNotFound {
        /// The file being updated.
        path: PathBuf,
        /// The lines that were looked for.
        expected: String,
    },
    /// An update or delete names a file that does not exist.
    #[error("cannot {action} {path}: the file does not exist")]
    MissingFile {
        /// The file named in the patch.
        path: PathBuf,
        /// `update` or `delete`.
        action: &'static str,
    },
    /// A file changed on disk between planning and applying.
    #[error("{path} changed on disk after the patch was planned; nothing was applied")]
    ChangedSincePlanned {
        /// The file that changed.
        path: PathBuf,
    },
    /// A filesystem operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
