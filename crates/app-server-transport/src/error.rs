//! The one error type of this crate: everything that can go wrong while
//! configuring, binding, serving or writing to a transport.

use std::io;
use std::path::PathBuf;

use crate::connection::ConnectionId;

/// Everything that can go wrong in a transport.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// `--listen` was given a value that is not one of the accepted forms.
    #[error(
        "invalid listen address {given:?}: expected one of `stdio://`, `unix://`, \
         `unix://PATH`, `ws://IP:PORT` or `off`"
    )]
    InvalidListenAddress {
        /// The value as given.
        given: String,
    },
    /// A non-loopback websocket listener was requested without authentication.
    #[error(
        "refusing to listen on ws://{address} without websocket authentication: a \
         non-loopback address is reachable from other machines; pass `--ws-auth \
         capability-token` (with `--ws-token-file` or `--ws-token-sha256`) or `--ws-auth \
         signed-bearer-token` (with `--ws-shared-secret-file`), or listen on 127.0.0.1"
    )]
    UnauthenticatedNonLoopback {
        /// The requested address.
        address: std::net::SocketAddr,
    },
    /// The websocket authentication configuration is unusable.
    #[error("invalid websocket authentication configuration: {0}")]
    InvalidAuthConfig(String),
    /// Another app-server already listens on the control socket.
    #[error("address in use: another app-server is listening on {}", path.display())]
    AddressInUse {
        /// The control socket path.
        path: PathBuf,
    },
    /// Nothing listens on the control socket a client tried to reach.
    #[error("no app-server is listening on {}: {source}", path.display())]
    NotListening {
        /// The control socket path.
        path: PathBuf,
        /// Why the connection failed.
        source: io::Error,
    },
    /// A file-system or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A websocket handshake or frame could not be exchanged.
    #[error("websocket error: {0}")]
    Websocket(String),
    /// The connection's outbound queue is full (the client is not reading).
    #[error("outbound queue of connection {connection_id} is full")]
    OutboundQueueFull {
        /// The connection.
        connection_id: ConnectionId,
    },
    /// The connection is closed; nothing more can be sent on it.
    #[error("connection {connection_id} is closed")]
    ConnectionClosed {
        /// The connection.
        connection_id: ConnectionId,
    },
    /// A queued message could not be written to the connection.
    #[error("writing to connection {connection_id} failed: {reason}")]
    WriteFailed {
        /// The connection.
        connection_id: ConnectionId,
        /// Why.
        reason: String,
    },
    /// Remote control is misconfigured (e.g. an unacceptable relay URL).
    #[error("remote control: {0}")]
    RemoteControl(String),
    /// A remote client could not pair or authenticate its stream end to end.
    #[error("remote client authentication: {0}")]
    RemoteAuth(String),
    /// The receiver of transport events (the server) has gone away.
    #[error("the server stopped receiving transport events")]
    ServerGone,
}

impl TransportError {
    /// An [`TransportError::Io`] with a sentence saying what was being done.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        TransportError::Io { context: context.into(), source }
    }
}
