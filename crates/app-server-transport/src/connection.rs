//! The interface between transports and the server: connection ids, the
//! [`TransportEvent`] stream, each connection's [`ConnectionWriter`] queue and
//! the [`TransportConfig`] limits shared by every transport.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::task::Context;
use std::task::Poll;

use codex_app_server_protocol::JsonRpcMessage;
use tokio::sync::mpsc;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::error::TransportError;

/// Identifies one connection for the lifetime of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

impl ConnectionId {
    /// A fresh id, unique within this process.
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ConnectionId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Which transport a connection arrived on; decides the server's back-pressure policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// Newline-delimited JSON on stdin/stdout: never drop, await [`ConnectionWriter::send`].
    Stdio,
    /// Websocket over the Unix control socket: disconnect a client whose queue is full.
    UnixSocket,
    /// Websocket over TCP: disconnect a client whose queue is full.
    Websocket,
    /// A remote client reached through a remote-control relay: disconnect when its queue is full.
    RemoteControl,
    /// A client in the same process over channels (`codex exec`): never drop, await like stdio.
    InProcess,
}

impl TransportKind {
    /// Whether the server must wait for room in this connection's queue rather than disconnect
    /// it: true for the single local client of stdio and in-process connections.
    pub fn waits_for_room(self) -> bool {
        matches!(self, TransportKind::Stdio | TransportKind::InProcess)
    }
}

/// What a transport tells the server, in order per connection:
/// one `ConnectionOpened`, any number of `MessageReceived`, one `ConnectionClosed`.
#[derive(Debug)]
pub enum TransportEvent {
    /// A client connected.
    ConnectionOpened {
        /// The new connection.
        connection_id: ConnectionId,
        /// The transport it arrived on.
        transport: TransportKind,
        /// Its outbound queue.
        writer: ConnectionWriter,
        /// Cancel it to disconnect the client.
        cancel: CancellationToken,
    },
    /// A client sent a well-formed JSON-RPC message.
    MessageReceived {
        /// The sending connection.
        connection_id: ConnectionId,
        /// The message.
        message: JsonRpcMessage,
    },
    /// A connection ended (client left, write failed, or it was cancelled).
    ConnectionClosed {
        /// The connection that ended.
        connection_id: ConnectionId,
    },
}

/// Limits shared by every transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportConfig {
    /// Capacity of each connection's outbound queue, in messages.
    pub outbound_queue_capacity: usize,
    /// Longest accepted stdio line (and proxy line), in bytes, newline excluded.
    pub max_line_bytes: usize,
    /// Largest accepted websocket message and frame, in bytes.
    pub max_websocket_message_bytes: usize,
    /// A websocket (TCP or Unix socket) connection that sends no `initialize` request within
    /// this long after its upgrade is closed (1008).
    pub initialize_timeout: std::time::Duration,
    /// Size of each websocket connection's read buffer, in bytes: the most read from the socket
    /// at once. It is allocated (and touched) per connection, so it dominates an idle
    /// connection's memory; a larger incoming frame still gets its full size reserved.
    pub websocket_read_buffer_bytes: usize,
    /// Bytes of websocket frames gathered before they are written to the socket (a flush writes
    /// them sooner). Grows only as frames are queued, so an idle connection does not pay for it.
    pub websocket_write_buffer_bytes: usize,
}

/// Default capacity of a connection's outbound queue.
pub const DEFAULT_OUTBOUND_QUEUE_CAPACITY: usize = 1024;
/// Default longest stdio line: 64 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
/// Default largest websocket message: 64 MiB.
pub const DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Default time a websocket connection has to send `initialize` after its upgrade.
pub const DEFAULT_INITIALIZE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Default websocket read buffer.
pub const DEFAULT_WEBSOCKET_READ_BUFFER_BYTES: usize = 4 * 1024;
/// Default websocket write buffer (tungstenite's default).
pub const DEFAULT_WEBSOCKET_WRITE_BUFFER_BYTES: usize = 128 * 1024;

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            outbound_queue_capacity: DEFAULT_OUTBOUND_QUEUE_CAPACITY,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_websocket_message_bytes: DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES,
            initialize_timeout: DEFAULT_INITIALIZE_TIMEOUT,
            websocket_read_buffer_bytes: DEFAULT_WEBSOCKET_READ_BUFFER_BYTES,
            websocket_write_buffer_bytes: DEFAULT_WEBSOCKET_WRITE_BUFFER_BYTES,
        }
    }
}

/// Outcome of writing one message, reported to whoever asked for an acknowledgement.
pub(crate) type WriteResult = Result<(), TransportError>;

/// What is queued: a message, or one already serialised by the server.
#[derive(Debug)]
pub(crate) enum OutboundPayload {
    /// A message the transport serialises.
    Message(JsonRpcMessage),
    /// One JSON-RPC message as compact JSON text (no newline), written as it is: lets a large
    /// message (streamed command output) be built straight into its final buffer.
    Serialized(String),
}

impl OutboundPayload {
    /// The JSON text to write.
    pub(crate) fn into_json_string(self) -> String {
        match self {
            Self::Message(message) => message.to_json_string(),
            Self::Serialized(text) => text,
        }
    }

    /// The message itself, for transports that hand over values (in-process clients).
    pub(crate) fn into_message(self) -> Result<JsonRpcMessage, String> {
        match self {
            Self::Message(message) => Ok(message),
            Self::Serialized(text) => {
                JsonRpcMessage::parse(text.as_bytes()).map_err(|err| err.message)
            }
        }
    }
}

impl From<JsonRpcMessage> for OutboundPayload {
    fn from(message: JsonRpcMessage) -> Self {
        Self::Message(message)
    }
}

/// One queued outbound message, with an optional acknowledgement channel.
#[derive(Debug)]
pub(crate) struct OutboundMessage {
    /// The message to write.
    pub(crate) message: OutboundPayload,
    /// Resolved once the bytes were written and flushed (or writing failed).
    pub(crate) ack: Option<oneshot::Sender<WriteResult>>,
}

/// A connection's bounded outbound queue; cheap to clone.
#[derive(Clone, Debug)]
pub struct ConnectionWriter {
    connection_id: ConnectionId,
    queue: mpsc::Sender<OutboundMessage>,
}

/// Resolves when a message queued with an acknowledgement was written (or failed).
#[derive(Debug)]
pub struct WriteAck {
    connection_id: ConnectionId,
    receiver: oneshot::Receiver<WriteResult>,
}

impl Future for WriteAck {
    type Output = Result<(), TransportError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let connection_id = self.connection_id;
        Pin::new(&mut self.receiver).poll(cx).map(|result| {
            result.unwrap_or_else(|_| {
                Err(TransportError::WriteFailed {
                    connection_id,
                    reason: "connection closed before the message was written".to_owned(),
                })
            })
        })
    }
}

impl ConnectionWriter {
    /// A writer and the receiving end its connection's write loop drains.
    pub(crate) fn channel(
        connection_id: ConnectionId,
        capacity: usize,
    ) -> (Self, mpsc::Receiver<OutboundMessage>) {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        (Self { connection_id, queue }, receiver)
    }

    /// The connection this writer belongs to.
    pub fn connection_id(&self) -> ConnectionId {
        self.connection_id
    }

    /// The queue's capacity, in messages.
    pub fn capacity(&self) -> usize {
        self.queue.max_capacity()
    }

    /// Whether the connection's write loop has stopped.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Queues a message without waiting; fails with `OutboundQueueFull` when the client is not reading.
    pub fn try_send(&self, message: JsonRpcMessage) -> Result<(), TransportError> {
        self.try_enqueue(OutboundMessage { message: message.into(), ack: None })
    }

    /// Queues a message, waiting for room (never drops; for stdio).
    pub async fn send(&self, message: JsonRpcMessage) -> Result<(), TransportError> {
        self.queue
            .send(OutboundMessage { message: message.into(), ack: None })
            .await
            .map_err(|_| TransportError::ConnectionClosed { connection_id: self.connection_id })
    }

    /// Queues a message (waiting for room) and waits until its bytes were written and flushed.
    pub async fn send_and_wait(&self, message: JsonRpcMessage) -> Result<(), TransportError> {
        let (ack, receiver) = oneshot::channel();
        self.queue
            .send(OutboundMessage { message: message.into(), ack: Some(ack) })
            .await
            .map_err(|_| TransportError::ConnectionClosed { connection_id: self.connection_id })?;
        WriteAck { connection_id: self.connection_id, receiver }.await
    }

    /// Like [`ConnectionWriter::send_and_wait`] for a message the caller already serialised:
    /// `json` must be one JSON-RPC message as compact JSON text, without a newline. Written as
    /// it is (no copy, no re-serialisation); an in-process client gets it parsed.
    pub async fn send_serialized_and_wait(&self, json: String) -> Result<(), TransportError> {
        debug_assert!(!json.contains('\n'), "a serialised message must not contain a newline");
        let (ack, receiver) = oneshot::channel();
        self.queue
            .send(OutboundMessage { message: OutboundPayload::Serialized(json), ack: Some(ack) })
            .await
            .map_err(|_| TransportError::ConnectionClosed { connection_id: self.connection_id })?;
        WriteAck { connection_id: self.connection_id, receiver }.await
    }

    /// Queues a message without waiting and returns a future resolving once it was written.
    pub fn try_send_with_ack(&self, message: JsonRpcMessage) -> Result<WriteAck, TransportError> {
        let (ack, receiver) = oneshot::channel();
        self.try_enqueue(OutboundMessage { message: message.into(), ack: Some(ack) })?;
        Ok(WriteAck { connection_id: self.connection_id, receiver })
    }

    fn try_enqueue(&self, outbound: OutboundMessage) -> Result<(), TransportError> {
        self.queue.try_send(outbound).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => {
                TransportError::OutboundQueueFull { connection_id: self.connection_id }
            }
            mpsc::error::TrySendError::Closed(_) => {
                TransportError::ConnectionClosed { connection_id: self.connection_id }
            }
        })
    }
}

/// Acknowledges a batch of written messages with the same outcome.
pub(crate) fn resolve_acks(
    acks: &mut Vec<oneshot::Sender<WriteResult>>,
    connection_id: ConnectionId,
    outcome: Result<(), &str>,
) {
    for ack in acks.drain(..) {
        let result = outcome.map_err(|reason| TransportError::WriteFailed {
            connection_id,
            reason: reason.to_owned(),
        });
        // The requester may have stopped waiting; that is fine.
        let _ = ack.send(result);
    }
}

/// Tells the server a connection opened; `ServerGone` if it no longer listens.
pub(crate) async fn announce_open(
    events: &mpsc::Sender<TransportEvent>,
    connection_id: ConnectionId,
    transport: TransportKind,
    writer: ConnectionWriter,
    cancel: CancellationToken,
) -> Result<(), TransportError> {
    events
        .send(TransportEvent::ConnectionOpened { connection_id, transport, writer, cancel })
        .await
        .map_err(|_| TransportError::ServerGone)
}

#[cfg(test)]
mod tests {
    use codex_app_server_protocol::JsonRpcNotification;

    use super::*;

    fn note(method: &str) -> JsonRpcMessage {
        JsonRpcNotification::new(method, None).into()
    }

    #[tokio::test]
    async fn try_send_reports_full_then_closed() {
        let (writer, mut receiver) = ConnectionWriter::channel(ConnectionId(9), 1);
        assert_eq!(writer.capacity(), 1);
        writer.try_send(note("a")).unwrap();
        let full = writer.try_send(note("b")).unwrap_err();
        assert!(matches!(full, TransportError::OutboundQueueFull { .. }), "{full}");
        assert!(receiver.recv().await.is_some());
        drop(receiver);
        let closed = writer.try_send(note("c")).unwrap_err();
        assert!(matches!(closed, TransportError::ConnectionClosed { .. }), "{closed}");
        assert!(writer.is_closed());
    }

    #[tokio::test]
    async fn ack_resolves_with_write_outcome_or_failure_when_dropped() {
        let (writer, mut receiver) = ConnectionWriter::channel(ConnectionId(1), 4);
        let ack = writer.try_send_with_ack(note("a")).unwrap();
        let outbound = receiver.recv().await.unwrap();
        let mut acks = vec![outbound.ack.unwrap()];
        resolve_acks(&mut acks, ConnectionId(1), Ok(()));
        ack.await.unwrap();

        let ack = writer.try_send_with_ack(note("b")).unwrap();
        drop(receiver.recv().await.unwrap());
        let err = ack.await.unwrap_err();
        assert!(matches!(err, TransportError::WriteFailed { .. }), "{err}");
    }
}
