//! Publishing a thread's events through the [`AgentHost`]: the host delivers them to the
//! thread's subscribers, and only to them, with its own back pressure.

use std::sync::Arc;

use codex_app_server_protocol::ServerNotification;

use crate::host::AgentHost;
use crate::host::Delivery;

/// Sends notifications about one thread to its subscribers.
#[derive(Clone)]
pub struct ThreadNotifier {
    host: Arc<dyn AgentHost>,
    thread_id: String,
}

impl std::fmt::Debug for ThreadNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadNotifier").field("thread_id", &self.thread_id).finish()
    }
}

impl ThreadNotifier {
    /// A notifier for `thread_id`.
    pub fn new(host: Arc<dyn AgentHost>, thread_id: impl Into<String>) -> Self {
        Self { host, thread_id: thread_id.into() }
    }

    /// The host.
    pub fn host(&self) -> &Arc<dyn AgentHost> {
        &self.host
    }

    /// Whether the thread has subscribers now.
    pub fn has_subscribers(&self) -> bool {
        self.host.has_subscribers(&self.thread_id)
    }

    /// Sends `notification` to every current subscriber, waiting for room in each queue.
    pub async fn notify(&self, notification: &ServerNotification) {
        self.host.publish(&self.thread_id, notification, Delivery::Stream).await;
    }

    /// Like [`Self::notify`], resolving once the message was written to each subscriber (for the
    /// last events of a turn, which must reach clients before a shutdown closes them).
    pub async fn notify_and_wait(&self, notification: &ServerNotification) {
        self.host.publish(&self.thread_id, notification, Delivery::Flushed).await;
    }
}
