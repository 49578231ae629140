//! A config file the server could not load, and what the server does about it.
//!
//! Unless `--strict-config` is given, a config.toml that cannot be read or parsed (random bytes,
//! a TOML syntax error, a known key of the wrong shape) does not stop the server: it serves with
//! the defaults (plus the command-line overrides), logs the problem, and sends each client a
//! `configWarning` naming the file, line and error right after `initialize`. Requests whose
//! outcome depends on that file are refused with the same message until the file loads again
//! (it is re-read on each such request, so fixing it needs no restart): starting threads and
//! turns, compacting (they would talk to the default provider instead of the configured one),
//! and config writes (they would edit a file that cannot be parsed).

use std::path::PathBuf;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::ConfigWarningNotification;
use codex_app_server_protocol::v2::TextPosition;
use codex_app_server_protocol::v2::TextRange;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;

use crate::config::ConfigError;
use crate::config::TextLocation;

/// Methods refused while the config file cannot be loaded.
pub const REFUSED_WITH_BROKEN_CONFIG: &[&str] = &[
    "thread/start",
    "turn/start",
    "thread/compact/start",
    "config/value/write",
    "config/batchWrite",
];

/// Why the config file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The file.
    pub path: Option<PathBuf>,
    /// Line and column, when known.
    pub location: Option<TextLocation>,
    /// `file:line:column: error`, on one line.
    pub summary: String,
    /// The whole error (with the file excerpt, when the parser gives one).
    pub detail: String,
}

impl ConfigProblem {
    /// The problem `error` describes.
    pub fn from_error(error: &ConfigError) -> Self {
        Self {
            path: error.file().map(std::path::Path::to_path_buf),
            location: error.location(),
            summary: error.summary(),
            detail: error.to_string(),
        }
    }

    /// The `configWarning` sent to each client after `initialize`.
    pub fn warning(&self) -> ConfigWarningNotification {
        let position = |at: &TextLocation| TextPosition {
            line: u64::try_from(at.line).unwrap_or(u64::MAX),
            column: u64::try_from(at.column).unwrap_or(u64::MAX),
        };
        ConfigWarningNotification {
            summary: format!(
                "{}; the server runs with default settings and refuses {} until the file is fixed",
                self.summary,
                REFUSED_WITH_BROKEN_CONFIG.join(", ")
            ),
            details: Some(self.detail.clone()),
            path: self.path.as_ref().map(|path| path.display().to_string()),
            range: self
                .location
                .as_ref()
                .map(|at| TextRange { start: position(at), end: position(at) }),
        }
    }

    /// The error answering `method` (one of [`REFUSED_WITH_BROKEN_CONFIG`]).
    ///
    /// The code is `-32603` (internal error): the request itself is valid and would succeed
    /// once the server's config file is fixed, so `-32600` ("not a valid request") would point
    /// the client at the wrong culprit.
    pub fn refusal(&self, id: RequestId, method: &str) -> JsonRpcError {
        JsonRpcError::new(
            Some(id),
            error_codes::INTERNAL_ERROR,
            format!(
                "{method} refused: the config file could not be loaded ({}); fix it and retry \
                 (no restart needed)",
                self.summary
            ),
        )
    }
}
