//! The one error type of the context builder: every fallible step (reading instruction files,
//! AGENTS.md discovery, loading images) reports a [`ContextError`] that names the path involved.

use std::path::PathBuf;

/// Why a piece of model context could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A file could not be opened, inspected or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The configured `model_instructions_file` does not exist.
    #[error("model_instructions_file {} does not exist", path.display())]
    InstructionsFileMissing {
        /// The configured path.
        path: PathBuf,
    },
    /// The configured `model_instructions_file` is not a regular file.
    #[error("model_instructions_file {} is not a regular file", path.display())]
    InstructionsFileNotRegular {
        /// The configured path.
        path: PathBuf,
    },
    /// The configured `model_instructions_file` is empty or whitespace only.
    #[error("model_instructions_file {} is empty", path.display())]
    InstructionsFileEmpty {
        /// The configured path.
        path: PathBuf,
    },
    /// An image path points at something other than a regular file.
    #[error("cannot attach {}: not a regular file ({kind})", path.display())]
    ImageNotRegularFile {
        /// The refused path.
        path: PathBuf,
        /// What the path turned out to be, e.g. `directory` or `FIFO`.
        kind: &'static str,
    },
    /// An image file is larger than the size cap.
    #[error("cannot attach {}: {size} bytes exceeds the {max} byte limit", path.display())]
    ImageTooLarge {
        /// The refused path.
        path: PathBuf,
        /// The file's size (or a lower bound of it).
        size: u64,
        /// The cap in bytes.
        max: u64,
    },
    /// An image file's content is not a supported image format.
    #[error("cannot attach {}: not a supported image (supported: PNG, JPEG, GIF, WebP)", path.display())]
    UnsupportedImage {
        /// The refused path.
        path: PathBuf,
    },
}

impl ContextError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}
