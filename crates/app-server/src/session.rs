//! Per-connection session state: the `initialize` handshake and what the client negotiated.
//!
//! Every connection starts [`SessionState::Uninitialized`]; a successful `initialize` moves it to
//! [`SessionState::Initialized`], which records the client's name and version and whether it opted
//! into the experimental API. The state lives with the connection, never in a process-wide flag,
//! so two clients on one server negotiate independently.

use std::collections::HashSet;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;

/// What the client said about itself in `initialize`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// `clientInfo.name`.
    pub name: String,
    /// `clientInfo.version`.
    pub version: String,
}

/// What an initialized connection negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedSession {
    /// Who the client is.
    pub client: ClientIdentity,
    /// Whether the client opted into experimental methods and fields.
    pub experimental_api: bool,
    /// Notification methods the client asked not to receive.
    pub opted_out_notifications: HashSet<String>,
}

/// The lifecycle of one connection's session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SessionState {
    /// Connected; only `initialize` is accepted.
    #[default]
    Uninitialized,
    /// `initialize` succeeded.
    Initialized(NegotiatedSession),
}

impl SessionState {
    /// The negotiated session, once initialized.
    pub fn negotiated(&self) -> Option<&NegotiatedSession> {
        match self {
            SessionState::Uninitialized => None,
            SessionState::Initialized(session) => Some(session),
        }
    }

    /// Whether this connection wants notification `method`.
    pub fn wants_notification(&self, method: &str, experimental: bool) -> bool {
        match self {
            SessionState::Uninitialized => false,
            SessionState::Initialized(session) => {
                (!experimental || session.experimental_api)
                    && !session.opted_out_notifications.contains(method)
            }
        }
    }

    /// The error for a request other than `initialize` before `initialize`.
    pub fn not_initialized_error(id: RequestId, method: &str) -> JsonRpcError {
        JsonRpcError::new(
            Some(id),
            error_codes::NOT_INITIALIZED,
            format!("Not initialized: send `initialize` before `{method}`"),
        )
    }

    /// The error for a second `initialize`.
    pub fn already_initialized_error(id: RequestId) -> JsonRpcError {
        JsonRpcError::new(
            Some(id),
            error_codes::ALREADY_INITIALIZED,
            "Already initialized: `initialize` may be sent once per connection",
        )
    }
}
