//! The in-process transport: a connection made of two channels, for embedding the server in the
//! same process as its client (`codex exec`).
//!
//! [`connect_in_process`] announces a [`TransportKind::InProcess`] connection on the server's
//! event channel, exactly like a socket transport does, and returns the client's end. Messages
//! cross as parsed [`JsonRpcMessage`]s: nothing is serialised to text or parsed back. Back
//! pressure matches stdio in both directions: [`InProcessConnection::send`] waits for room in
//! the server's event channel, and the server waits for room in this connection's bounded
//! outbound queue (it never drops or disconnects a single local client), so a client that stops
//! calling [`InProcessConnection::recv`] slows the server down instead of losing messages.

use codex_app_server_protocol::JsonRpcMessage;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::connection::announce_open;
use crate::connection::resolve_acks;
use crate::connection::ConnectionId;
use crate::connection::ConnectionWriter;
use crate::connection::OutboundMessage;
use crate::connection::TransportConfig;
use crate::connection::TransportEvent;
use crate::connection::TransportKind;
use crate::error::TransportError;

/// Where the client's end of an in-process connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lifecycle {
    /// The server knows the connection; messages flow both ways.
    Open,
    /// `ConnectionClosed` was sent; only already queued server messages can still be read.
    Closed,
}

/// The client's end of an in-process connection.
#[derive(Debug)]
pub struct InProcessConnection {
    connection_id: ConnectionId,
    events: mpsc::Sender<TransportEvent>,
    outbound: mpsc::Receiver<OutboundMessage>,
    cancel: CancellationToken,
    lifecycle: Lifecycle,
}

/// Opens an in-process connection to the server reading `events`.
///
/// The server's outbound queue for it holds `config.outbound_queue_capacity` messages.
pub async fn connect_in_process(
    events: &mpsc::Sender<TransportEvent>,
    config: &TransportConfig,
) -> Result<InProcessConnection, TransportError> {
    let connection_id = ConnectionId::next();
    let (writer, outbound) =
        ConnectionWriter::channel(connection_id, config.outbound_queue_capacity);
    let cancel = CancellationToken::new();
    announce_open(events, connection_id, TransportKind::InProcess, writer, cancel.clone()).await?;
    Ok(InProcessConnection {
        connection_id,
        events: events.clone(),
        outbound,
        cancel,
        lifecycle: Lifecycle::Open,
    })
}

impl InProcessConnection {
    /// The id the server knows this connection by.
    pub fn connection_id(&self) -> ConnectionId {
        self.connection_id
    }

    /// Hands one message to the server, waiting for room in its event channel.
    pub async fn send(&self, message: JsonRpcMessage) -> Result<(), TransportError> {
        if self.lifecycle == Lifecycle::Closed || self.cancel.is_cancelled() {
            return Err(TransportError::ConnectionClosed { connection_id: self.connection_id });
        }
        let event = TransportEvent::MessageReceived { connection_id: self.connection_id, message };
        self.events.send(event).await.map_err(|_| TransportError::ServerGone)
    }

    /// The next message from the server; `None` once the server disconnected this client or
    /// went away and everything it queued was read.
    pub async fn recv(&mut self) -> Option<JsonRpcMessage> {
        loop {
            let next = tokio::select! {
                biased;
                next = self.outbound.recv() => next,
                () = self.cancel.cancelled() => None,
            };
            let OutboundMessage { message, ack } = next?;
            let mut acks: Vec<_> = ack.into_iter().collect();
            match message.into_message() {
                Ok(message) => {
                    // Handing the message to the client is this transport's "written".
                    resolve_acks(&mut acks, self.connection_id, Ok(()));
                    return Some(message);
                }
                Err(err) => {
                    let reason = format!("a serialised message is not JSON-RPC: {err}");
                    tracing::warn!(connection_id = %self.connection_id, "{reason}");
                    resolve_acks(&mut acks, self.connection_id, Err(&reason));
                }
            }
        }
    }

    /// Whether the server disconnected this client (shutdown, or a disconnect decision).
    pub fn is_disconnected(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Tells the server the client left and waits until it was told.
    pub async fn close(&mut self) {
        if self.lifecycle == Lifecycle::Closed {
            return;
        }
        self.lifecycle = Lifecycle::Closed;
        let event = TransportEvent::ConnectionClosed { connection_id: self.connection_id };
        // The server may already be gone at shutdown; nothing else to tell.
        let _ = self.events.send(event).await;
    }
}

impl Drop for InProcessConnection {
    fn drop(&mut self) {
        if self.lifecycle == Lifecycle::Closed {
            return;
        }
        let event = TransportEvent::ConnectionClosed { connection_id: self.connection_id };
        match self.events.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(event)) => {
                // The event channel is busy: announce the close from a task rather than lose it.
                let events = self.events.clone();
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        let _ = events.send(event).await;
                    });
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use codex_app_server_protocol::JsonRpcNotification;

    use super::*;

    fn note(method: &str) -> JsonRpcMessage {
        JsonRpcNotification::new(method, None).into()
    }

    #[tokio::test]
    async fn messages_cross_both_ways_untouched_and_close_is_announced() {
        let (events_tx, mut events) = mpsc::channel(4);
        let config = TransportConfig { outbound_queue_capacity: 2, ..TransportConfig::default() };
        let mut client = connect_in_process(&events_tx, &config).await.unwrap();
        let Some(TransportEvent::ConnectionOpened { connection_id, transport, writer, .. }) =
            events.recv().await
        else {
            panic!("expected ConnectionOpened");
        };
        assert_eq!(transport, TransportKind::InProcess);
        assert_eq!(connection_id, client.connection_id());
        assert_eq!(writer.capacity(), 2);

        client.send(note("ping")).await.unwrap();
        let Some(TransportEvent::MessageReceived { message, .. }) = events.recv().await else {
            panic!("expected MessageReceived");
        };
        assert_eq!(message, note("ping"));

        // The server's queue is bounded: a third message waits until the client reads.
        writer.try_send(note("a")).unwrap();
        let ack = writer.try_send_with_ack(note("b")).unwrap();
        assert!(matches!(
            writer.try_send(note("c")),
            Err(TransportError::OutboundQueueFull { .. })
        ));
        assert_eq!(client.recv().await, Some(note("a")));
        assert_eq!(client.recv().await, Some(note("b")));
        ack.await.unwrap();

        drop(client);
        assert!(matches!(events.recv().await, Some(TransportEvent::ConnectionClosed { .. })));
    }

    #[tokio::test]
    async fn a_server_side_disconnect_ends_the_stream_and_refuses_sends() {
        let (events_tx, mut events) = mpsc::channel(4);
        let mut client = connect_in_process(&events_tx, &TransportConfig::default()).await.unwrap();
        let Some(TransportEvent::ConnectionOpened { cancel, .. }) = events.recv().await else {
            panic!("expected ConnectionOpened");
        };
        cancel.cancel();
        assert!(client.is_disconnected());
        assert_eq!(client.recv().await, None);
        assert!(matches!(
            client.send(note("late")).await,
            Err(TransportError::ConnectionClosed { .. })
        ));
        client.close().await;
        assert!(matches!(events.recv().await, Some(TransportEvent::ConnectionClosed { .. })));
    }

    #[tokio::test]
    async fn connecting_to_a_stopped_server_fails() {
        let (events_tx, events) = mpsc::channel(1);
        drop(events);
        let err = connect_in_process(&events_tx, &TransportConfig::default()).await.unwrap_err();
        assert!(matches!(err, TransportError::ServerGone), "{err}");
    }
}
