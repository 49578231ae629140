//! Transports of the Codex app-server: bytes to JSON-RPC messages and back.
//!
//! This crate knows nothing of threads or turns. It accepts connections over
//! stdio ([`serve_stdio`]), the Unix control socket
//! ([`prepare_control_socket`] + [`serve_control_socket`]) and a TCP
//! websocket ([`bind_websocket`] + [`serve_websocket`]), and hands the server
//! a stream of [`TransportEvent`]s on a bounded channel:
//!
//! - `ConnectionOpened` carries the connection's [`ConnectionWriter`] (its
//!   bounded outbound queue: [`ConnectionWriter::try_send`] for websocket
//!   clients, which the server disconnects when full; awaiting
//!   [`ConnectionWriter::send`] for stdio; [`ConnectionWriter::send_and_wait`]
//!   to learn when the bytes were written) and a `CancellationToken` that
//!   disconnects the client;
//! - `MessageReceived` carries one well-formed [`JsonRpcMessage`];
//! - `ConnectionClosed` ends the connection.
//!
//! Transport-level garbage (bytes that are not JSON, JSON that is not
//! JSON-RPC, binary frames, over-long lines) is answered by the transport
//! itself with a `-32700`/`-32600` error response; the server never sees it
//! and the connection goes on. Websocket listeners authenticate during the
//! upgrade ([`WebsocketAuth`]), refuse browsers (any `Origin` header gets 403)
//! and will not start on a non-loopback address without authentication.
//! [`run_proxy`] bridges stdin/stdout to a running control socket.
//! [`connect_in_process`] opens a channel-backed connection for a client in the same process.
//! [`remote_control::run_remote_control`] dials out to a relay and serves remote clients through it;
//! with a [`remote_control::pairing::RemoteAuthority`] in its options every relayed stream must
//! authenticate end to end first, and [`remote_control::RemoteClient`] is the client side of that.
//!
//! # Embedding
//!
//! ```no_run
//! use codex_app_server_transport::{
//!     bind_websocket, serve_websocket, JsonRpcMessage, TransportEvent, WebsocketOptions,
//! };
//! use tokio::sync::mpsc;
//! use tokio_util::sync::CancellationToken;
//!
//! # async fn run() -> Result<(), codex_app_server_transport::TransportError> {
//! let options = WebsocketOptions::default(); // no auth: loopback only
//! let listener = bind_websocket("127.0.0.1:4500".parse().unwrap(), &options.auth).await?;
//! let (events_tx, mut events) = mpsc::channel(256);
//! let shutdown = CancellationToken::new();
//! options.readiness.set_ready();
//! tokio::spawn(serve_websocket(listener, options, events_tx, shutdown.clone()));
//!
//! let mut writers = std::collections::HashMap::new();
//! while let Some(event) = events.recv().await {
//!     match event {
//!         TransportEvent::ConnectionOpened { connection_id, writer, cancel, .. } => {
//!             writers.insert(connection_id, (writer, cancel));
//!         }
//!         TransportEvent::MessageReceived { connection_id, message } => {
//!             // Echo every message back; disconnect a client that does not read.
//!             if let Some((writer, cancel)) = writers.get(&connection_id) {
//!                 if writer.try_send(message).is_err() {
//!                     cancel.cancel();
//!                 }
//!             }
//!         }
//!         TransportEvent::ConnectionClosed { connection_id } => {
//!             writers.remove(&connection_id);
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod auth;
mod connection;
mod control_socket;
mod error;
mod handshake_guard;
mod in_process;
mod listen_address;
mod outbound_writer;
mod proxy;
pub mod remote_control;
mod stdio;
mod websocket;

pub use auth::AuthRejection;
pub use auth::SignedBearerTokenConfig;
pub use auth::WebsocketAuth;
pub use auth::DEFAULT_MAX_CLOCK_SKEW;
pub use auth::MIN_SHARED_SECRET_BYTES;
pub use codex_app_server_protocol::JsonRpcMessage;
pub use connection::ConnectionId;
pub use connection::ConnectionWriter;
pub use connection::TransportConfig;
pub use connection::TransportEvent;
pub use connection::TransportKind;
pub use connection::WriteAck;
pub use connection::DEFAULT_INITIALIZE_TIMEOUT;
pub use connection::DEFAULT_MAX_LINE_BYTES;
pub use connection::DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES;
pub use connection::DEFAULT_OUTBOUND_QUEUE_CAPACITY;
pub use connection::DEFAULT_WEBSOCKET_READ_BUFFER_BYTES;
pub use connection::DEFAULT_WEBSOCKET_WRITE_BUFFER_BYTES;
pub use control_socket::connect_control_socket;
pub use control_socket::connect_control_socket_websocket;
pub use control_socket::prepare_control_socket;
pub use control_socket::BoundControlSocket;
pub use control_socket::ControlSocketFiles;
pub use control_socket::PreparedControlSocket;
pub use control_socket::StartupLock;
pub use control_socket::MAX_SOCKET_PATH_BYTES;
pub use error::TransportError;
pub use handshake_guard::DEFAULT_HANDSHAKE_TIMEOUT;
pub use handshake_guard::DEFAULT_MAX_PENDING_HANDSHAKES;
pub use in_process::connect_in_process;
pub use in_process::InProcessConnection;
pub use listen_address::control_directory;
pub use listen_address::default_control_socket_path;
pub use listen_address::startup_lock_path;
pub use listen_address::ListenAddress;
pub use proxy::run_proxy;
pub use stdio::serve_stdio;
pub use stdio::serve_stream_connection;
pub use tokio_util::sync::CancellationToken;
pub use websocket::bind_websocket;
pub use websocket::serve_control_socket;
pub use websocket::serve_websocket;
pub use websocket::serve_websocket_connection;
pub use websocket::ReadinessFlag;
pub use websocket::WebsocketOptions;
