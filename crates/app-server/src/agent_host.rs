//! The app-server side of the agent seam: [`ServerShared`] implements
//! [`codex_agent::host::AgentHost`]. A thread's events go to its subscribers only, each through
//! its outbound queue with back pressure; questions become server requests ([`crate::questions`]);
//! running turns are counted for the drain.
//!
//! Turn events are produced as fast as the model streams, so they are delivered with back
//! pressure: the turn waits for room in each subscriber's outbound queue instead of dropping or
//! disconnecting a client that is merely a little behind. A subscriber whose queue stays full for
//! [`SLOW_SUBSCRIBER_LIMIT`] is disconnected so it cannot hold the turn (and other subscribers)
//! back for ever.

use std::sync::Arc;
use std::time::Duration;

use codex_agent::host::AgentHost;
use codex_agent::host::Delivery;
use codex_agent::host::Expect;
use codex_agent::host::NoAnswer;
use codex_app_server_protocol::v2::SessionSource;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use codex_app_server_transport::ConnectionId;
use futures::future::BoxFuture;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::outbound::Delivery as OutboundDelivery;
use crate::processor::ServerShared;

/// How long a turn waits for room in one subscriber's queue before disconnecting it.
pub const SLOW_SUBSCRIBER_LIMIT: Duration = Duration::from_secs(10);

/// The agent's host: this server's connections, subscriptions and pending requests.
#[derive(Clone)]
pub struct ServerHost(pub Arc<ServerShared>);

impl std::fmt::Debug for ServerHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHost").finish_non_exhaustive()
    }
}

impl ServerHost {
    /// The host over `shared`, as the agent takes it.
    pub fn of(shared: &Arc<ServerShared>) -> Arc<dyn AgentHost> {
        Arc::new(Self(Arc::clone(shared)))
    }
}

impl AgentHost for ServerHost {
    fn publish<'a>(
        &'a self,
        thread_id: &'a str,
        event: &'a ServerNotification,
        delivery: Delivery,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let subscribers = self.0.subscribers(thread_id);
            if subscribers.is_empty() {
                return;
            }
            match delivery {
                Delivery::Stream => {
                    let message = JsonRpcMessage::Notification(event.to_notification());
                    for connection in subscribers {
                        deliver(&self.0, connection, event, message.clone()).await;
                    }
                }
                Delivery::Flushed => {
                    let written = OutboundDelivery::Written { limit: SLOW_SUBSCRIBER_LIMIT };
                    self.0.router.notify_many_with(&subscribers, event, written).await;
                }
            }
        })
    }

    fn broadcast<'a>(&'a self, event: &'a ServerNotification) -> BoxFuture<'a, ()> {
        Box::pin(self.0.router.broadcast(event))
    }

    fn has_subscribers(&self, thread_id: &str) -> bool {
        !self.0.subscribers(thread_id).is_empty()
    }

    fn ask<'a>(
        &'a self,
        thread_id: &'a str,
        request: ServerRequest,
        expect: Expect,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, Result<Value, NoAnswer>> {
        Box::pin(self.0.questions.ask(&self.0, thread_id, request, expect, cancel))
    }

    fn can_ask(&self, thread_id: &str) -> bool {
        self.0.options.session_source != SessionSource::Exec && self.has_subscribers(thread_id)
    }

    fn session_source(&self) -> Value {
        serde_json::to_value(&self.0.options.session_source)
            .unwrap_or_else(|_| Value::String("vscode".to_owned()))
    }

    fn codex_home(&self) -> AbsolutePath {
        self.0.options.codex_home.clone()
    }

    fn trace_headers(&self) -> Vec<(String, String)> {
        crate::telemetry::current_trace_headers()
    }

    fn running_turns_changed(&self, delta: i64) {
        self.0.running_turns.send_modify(|count| {
            *count = if delta >= 0 {
                count.saturating_add(delta as usize)
            } else {
                count.saturating_sub(delta.unsigned_abs() as usize)
            };
        });
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
