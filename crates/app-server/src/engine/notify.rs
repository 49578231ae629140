//! Delivering a thread's events to its subscribers, and only to them.
//!
//! Turn events are produced as fast as the model streams, so they are delivered with back
//! pressure: the turn waits for room in each subscriber's outbound queue instead of dropping or
//! disconnecting a client that is merely a little behind. A subscriber whose queue stays full for
//! [`SLOW_SUBSCRIBER_LIMIT`] is disconnected so it cannot hold the turn (and other subscribers)
//! back for ever.

use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::ConnectionId;

use crate::outbound::Delivery;
use crate::processor::ServerShared;

/// How long a turn waits for room in one subscriber's queue before disconnecting it.
pub const SLOW_SUBSCRIBER_LIMIT: Duration = Duration::from_secs(10);

/// Sends notifications about one thread to its subscribers.
#[derive(Clone)]
pub struct ThreadNotifier {
    shared: Arc<ServerShared>,
    thread_id: String,
}

impl std::fmt::Debug for ThreadNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadNotifier").field("thread_id", &self.thread_id).finish()
    }
}

impl ThreadNotifier {
    /// A notifier for `thread_id`.
    pub fn new(shared: Arc<ServerShared>, thread_id: impl Into<String>) -> Self {
        Self { shared, thread_id: thread_id.into() }
    }

    /// The thread's current subscribers.
    pub fn subscribers(&self) -> Vec<ConnectionId> {
        self.shared
            .subscriptions
            .lock()
            .map(|subscriptions| subscriptions.subscribers(&self.thread_id))
            .unwrap_or_default()
    }

    /// Sends `notification` to every current subscriber, waiting for room in each queue.
    pub async fn notify(&self, notification: &ServerNotification) {
        let subscribers = self.subscribers();
        if subscribers.is_empty() {
            return;
        }
        let message = JsonRpcMessage::Notification(notification.to_notification());
        for connection in subscribers {
            deliver(&self.shared, connection, notification, message.clone()).await;
        }
    }
}

impl ThreadNotifier {
    /// Like [`Self::notify`], resolving once the message was written to each subscriber's socket
    /// (for the last events of a turn, which must reach clients before a shutdown closes them).
    pub async fn notify_and_wait(&self, notification: &ServerNotification) {
        let written = Delivery::Written { limit: SLOW_SUBSCRIBER_LIMIT };
        self.shared.router.notify_many_with(&self.subscribers(), notification, written).await;
    }
}

/// Sends `notification` to `connection` (respecting its opt-outs), waiting for queue room up to
/// [`SLOW_SUBSCRIBER_LIMIT`].
pub async fn notify_connection(
    shared: &ServerShared,
    connection: ConnectionId,
    notification: &ServerNotification,
) {
    let message = JsonRpcMessage::Notification(notification.to_notification());
    deliver(shared, connection, notification, message).await;
}

async fn deliver(
    shared: &ServerShared,
    connection: ConnectionId,
    notification: &ServerNotification,
    message: JsonRpcMessage,
) {
    let Some(handle) = shared.router.handle(connection) else {
        return;
    };
    let wanted = handle
        .session
        .lock()
        .map(|session| {
            session.wants_notification(
                notification.method(),
                notification.experimental_reason().is_some(),
            )
        })
        .unwrap_or(false);
    if !wanted {
        return;
    }
    match tokio::time::timeout(SLOW_SUBSCRIBER_LIMIT, handle.writer.send(message)).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::debug!(%connection, method = notification.method(), "notification not delivered: {err}")
        }
        Err(_) => {
            tracing::warn!(%connection, "disconnecting subscriber: its outbound queue stayed full");
            handle.cancel.cancel();
        }
    }
}
