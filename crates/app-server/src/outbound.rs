//! Outbound routing and back pressure: every message the server sends goes through here.
//!
//! Each connection has a bounded writer queue (from the transport) and a cancellation token.
//! Websocket and Unix-socket connections get non-blocking sends: a client that stops reading
//! until its queue is full is disconnected and logged, so it can never slow anyone else down.
//! Stdio (and the in-process transport of `codex exec`) is the opposite: a single local client must never lose data, so the server waits for
//! room. [`OutboundRouter::send_notification_to_connection_and_wait`] resolves once the message
//! was written to the connection's socket, for producers that must not outrun their client.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::JsonRpcResponse;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::ConnectionId;
use codex_app_server_transport::ConnectionWriter;
use codex_app_server_transport::TransportError;
use codex_app_server_transport::TransportKind;
use tokio_util::sync::CancellationToken;

use crate::session::SessionState;

/// One live connection as the router sees it.
#[derive(Debug, Clone)]
pub struct ConnectionHandle {
    /// The transport it arrived on (decides the back-pressure policy).
    pub transport: TransportKind,
    /// Its outbound queue.
    pub writer: ConnectionWriter,
    /// Cancelling it disconnects the client.
    pub cancel: CancellationToken,
    /// Its session state, shared with its request handler.
    pub session: Arc<Mutex<SessionState>>,
}

impl ConnectionHandle {
    /// Whether this connection's session wants `notification` (its opt-outs and whether it
    /// enabled experimental notifications).
    pub fn wants(&self, notification: &ServerNotification) -> bool {
        self.session
            .lock()
            .map(|session| {
                session.wants_notification(
                    notification.method(),
                    notification.experimental_reason().is_some(),
                )
            })
            .unwrap_or(false)
    }
}

/// How a notification to many connections is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// With each transport's policy ([`OutboundRouter::send_with_policy`]).
    Policy,
    /// Until written to each connection's socket; one that takes longer than `limit` (it stopped
    /// reading) is disconnected.
    Written {
        /// Longest wait per connection.
        limit: Duration,
    },
}

/// Why a message did not reach a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No such connection (it closed).
    #[error("connection {0} is gone")]
    ConnectionGone(ConnectionId),
    /// The client stopped reading; it was disconnected.
    #[error("connection {0} stopped reading and was disconnected")]
    SlowConsumerDisconnected(ConnectionId),
    /// Writing failed.
    #[error("writing to connection {connection} failed: {reason}")]
    WriteFailed {
        /// The connection.
        connection: ConnectionId,
        /// What failed.
        reason: String,
    },
}

/// Routes messages to connections, applying each transport's back-pressure policy.
#[derive(Debug, Clone, Default)]
pub struct OutboundRouter {
    connections: Arc<Mutex<HashMap<ConnectionId, ConnectionHandle>>>,
}

impl OutboundRouter {
    /// Registers a newly opened connection.
    pub fn register(&self, connection: ConnectionId, handle: ConnectionHandle) {
        if let Ok(mut connections) = self.connections.lock() {
            connections.insert(connection, handle);
        }
    }

    /// Forgets a closed connection; returns its handle when it was known.
    pub fn unregister(&self, connection: ConnectionId) -> Option<ConnectionHandle> {
        self.connections.lock().ok().and_then(|mut connections| connections.remove(&connection))
    }

    /// The handle of a live connection.
    pub fn handle(&self, connection: ConnectionId) -> Option<ConnectionHandle> {
        self.connections.lock().ok().and_then(|connections| connections.get(&connection).cloned())
    }

    /// Every live connection.
    pub fn connection_ids(&self) -> Vec<ConnectionId> {
        self.connections
            .lock()
            .map(|connections| connections.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Number of live connections.
    pub fn len(&self) -> usize {
        self.connections.lock().map(|connections| connections.len()).unwrap_or(0)
    }

    /// Whether no connection is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `message` to `connection` with its transport's policy: stdio waits for room,
    /// socket transports never wait and disconnect a client whose queue is full.
    pub async fn send(
        &self,
        connection: ConnectionId,
        message: JsonRpcMessage,
    ) -> Result<(), SendError> {
        let handle = self.handle(connection).ok_or(SendError::ConnectionGone(connection))?;
        Self::send_with_policy(connection, &handle, message).await
    }

    /// Like [`Self::send`], through a handle the caller holds (it works after the connection was
    /// unregistered, e.g. to answer requests a stdio client sent just before end of input).
    pub async fn send_with_policy(
        connection: ConnectionId,
        handle: &ConnectionHandle,
        message: JsonRpcMessage,
    ) -> Result<(), SendError> {
        if handle.transport.waits_for_room() {
            handle.writer.send(message).await.map_err(|err| write_failed(connection, err))
        } else {
            try_send_or_disconnect(connection, handle, message)
        }
    }

    /// Sends without ever waiting (safe from the event loop); stdio messages that do not fit are
    /// handed to a task that waits, so stdio still never drops.
    pub fn send_now(
        &self,
        connection: ConnectionId,
        message: JsonRpcMessage,
    ) -> Result<(), SendError> {
        let handle = self.handle(connection).ok_or(SendError::ConnectionGone(connection))?;
        if !handle.transport.waits_for_room() {
            return try_send_or_disconnect(connection, &handle, message);
        }
        match handle.writer.try_send(message.clone()) {
            Ok(()) => Ok(()),
            Err(TransportError::OutboundQueueFull { .. }) => {
                tokio::spawn(async move {
                    let _ = handle.writer.send(message).await;
                });
                Ok(())
            }
            Err(err) => Err(write_failed(connection, err)),
        }
    }

    /// Sends `message` and resolves once its bytes were written to the connection (or failed).
    /// Waits for room in the queue on every transport: the caller is the one being slowed down.
    pub async fn send_and_wait(
        &self,
        connection: ConnectionId,
        message: JsonRpcMessage,
    ) -> Result<(), SendError> {
        let handle = self.handle(connection).ok_or(SendError::ConnectionGone(connection))?;
        handle.writer.send_and_wait(message).await.map_err(|err| write_failed(connection, err))
    }

    /// Like [`OutboundRouter::send_and_wait`] for a message already serialised as compact JSON
    /// text (see `ConnectionWriter::send_serialized_and_wait`).
    pub async fn send_serialized_and_wait(
        &self,
        connection: ConnectionId,
        json: String,
    ) -> Result<(), SendError> {
        let handle = self.handle(connection).ok_or(SendError::ConnectionGone(connection))?;
        handle
            .writer
            .send_serialized_and_wait(json)
            .await
            .map_err(|err| write_failed(connection, err))
    }

    /// Sends a notification to one connection and resolves once it was written to its socket.
    pub async fn send_notification_to_connection_and_wait(
        &self,
        connection: ConnectionId,
        notification: &ServerNotification,
    ) -> Result<(), SendError> {
        self.send_and_wait(connection, JsonRpcMessage::Notification(notification.to_notification()))
            .await
    }

    /// Sends a notification to one connection, unless its session does not want it.
    pub async fn notify(
        &self,
        connection: ConnectionId,
        notification: &ServerNotification,
    ) -> Result<(), SendError> {
        let Some(handle) = self.handle(connection) else {
            return Err(SendError::ConnectionGone(connection));
        };
        if !handle.wants(notification) {
            return Ok(());
        }
        self.send(connection, JsonRpcMessage::Notification(notification.to_notification())).await
    }

    /// Sends a notification to each of `connections`; failures affect only that connection.
    pub async fn notify_many(
        &self,
        connections: &[ConnectionId],
        notification: &ServerNotification,
    ) {
        self.notify_many_with(connections, notification, Delivery::Policy).await;
    }

    /// Sends a notification to each of `connections` that wants it, delivered as `delivery`
    /// says; failures affect only that connection.
    pub async fn notify_many_with(
        &self,
        connections: &[ConnectionId],
        notification: &ServerNotification,
        delivery: Delivery,
    ) {
        let message = JsonRpcMessage::Notification(notification.to_notification());
        for &connection in connections {
            let Some(handle) = self.handle(connection) else {
                tracing::debug!(%connection, method = notification.method(), "notification not delivered: connection gone");
                continue;
            };
            if !handle.wants(notification) {
                continue;
            }
            match delivery {
                Delivery::Policy => {
                    if let Err(err) =
                        Self::send_with_policy(connection, &handle, message.clone()).await
                    {
                        tracing::debug!(%connection, method = notification.method(), "notification not delivered: {err}");
                    }
                }
                Delivery::Written { limit } => {
                    let written = handle.writer.send_and_wait(message.clone());
                    if tokio::time::timeout(limit, written).await.is_err() {
                        tracing::warn!(%connection, "disconnecting subscriber: it stopped reading");
                        handle.cancel.cancel();
                    }
                }
            }
        }
    }

    /// Sends a notification to every initialized connection.
    pub async fn broadcast(&self, notification: &ServerNotification) {
        let connections = self.connection_ids();
        self.notify_many(&connections, notification).await;
    }

    /// Answers request `id` on `connection` with `result`.
    pub async fn respond(
        &self,
        connection: ConnectionId,
        id: RequestId,
        result: serde_json::Value,
    ) {
        let message = JsonRpcMessage::Response(JsonRpcResponse::new(id, result));
        if let Err(err) = self.send(connection, message).await {
            tracing::debug!(%connection, "response not delivered: {err}");
        }
    }

    /// Answers a request on `connection` with an error.
    pub async fn respond_error(&self, connection: ConnectionId, error: JsonRpcError) {
        if let Err(err) = self.send(connection, JsonRpcMessage::Error(error)).await {
            tracing::debug!(%connection, "error response not delivered: {err}");
        }
    }
}

/// Queues without waiting; a full queue means the client stopped reading: disconnect it.
fn try_send_or_disconnect(
    connection: ConnectionId,
    handle: &ConnectionHandle,
    message: JsonRpcMessage,
) -> Result<(), SendError> {
    match handle.writer.try_send(message) {
        Ok(()) => Ok(()),
        Err(TransportError::OutboundQueueFull { .. }) => {
            tracing::warn!(
                %connection,
                capacity = handle.writer.capacity(),
                "disconnecting client: it stopped reading and its outbound queue is full"
            );
            handle.cancel.cancel();
            Err(SendError::SlowConsumerDisconnected(connection))
        }
        Err(err) => Err(write_failed(connection, err)),
    }
}

fn write_failed(connection: ConnectionId, err: TransportError) -> SendError {
    match err {
        TransportError::ConnectionClosed { .. } => SendError::ConnectionGone(connection),
        other => SendError::WriteFailed { connection, reason: other.to_string() },
    }
}
