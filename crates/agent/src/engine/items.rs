//! Recording a turn's items: `item/started`, then (once stored) `item/completed`.
//!
//! The turn task and the tools it calls share one [`TurnItems`] so every item of a turn gets the
//! next sequence number, is written to the state database before `item/completed` goes out, and
//! appears in the turn's item list (`thread/read`, `thread/resume`).

use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use codex_app_server_protocol::v2::ItemCompletedNotification;
use codex_app_server_protocol::v2::ItemStartedNotification;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::ServerNotification;

use crate::engine::notify::ThreadNotifier;
use crate::engine::now_ms;
use crate::engine::wire;
use crate::engine::Engine;
use crate::engine::LoadedThread;
use codex_state::ItemRecord;
use codex_state::StateError;

/// Starts and completes the items of one turn.
#[derive(Clone)]
pub struct TurnItems {
    engine: Arc<Engine>,
    thread: Arc<LoadedThread>,
    notifier: ThreadNotifier,
    turn_id: String,
    turn_seq: usize,
    ephemeral: bool,
    next_seq: Arc<AtomicI64>,
}

impl std::fmt::Debug for TurnItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnItems")
            .field("thread", &self.thread.id)
            .field("turn_id", &self.turn_id)
            .finish_non_exhaustive()
    }
}

impl TurnItems {
    /// Items of turn `turn_id` (index `turn_seq` in the thread's turns).
    pub fn new(
        engine: Arc<Engine>,
        thread: Arc<LoadedThread>,
        notifier: ThreadNotifier,
        turn_id: String,
        turn_seq: usize,
        ephemeral: bool,
    ) -> Self {
        Self {
            engine,
            thread,
            notifier,
            turn_id,
            turn_seq,
            ephemeral,
            next_seq: Arc::new(AtomicI64::new(0)),
        }
    }

    /// The thread's id.
    pub fn thread_id(&self) -> &str {
        &self.thread.id
    }

    /// The turn's id.
    pub fn turn_id(&self) -> &str {
        &self.turn_id
    }

    /// The thread's notifier.
    pub fn notifier(&self) -> &ThreadNotifier {
        &self.notifier
    }

    /// Sends `item/started` for `item`.
    pub async fn start(&self, item: ThreadItem, started_ms: i64) {
        self.notifier
            .notify(&ServerNotification::ItemStarted(ItemStartedNotification {
                item,
                started_at_ms: started_ms,
                thread_id: self.thread.id.clone(),
                turn_id: self.turn_id.clone(),
            }))
            .await;
    }

    /// A guard that completes `item` (a finished form of an item already started) if it is
    /// dropped armed: the future handling the item was dropped before completing it.
    pub fn complete_on_drop(&self, item: ThreadItem) -> CompleteOnDrop {
        CompleteOnDrop { items: self.clone(), item: Some(item) }
    }

    /// Stores a finished item (awaited), adds it to the turn, then sends `item/completed`.
    pub async fn complete(&self, item: ThreadItem) -> Result<(), StateError> {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        if !self.ephemeral {
            let record = ItemRecord {
                turn_id: self.turn_id.clone(),
                id: wire::item_id(&item),
                seq,
                item: serde_json::to_value(&item).unwrap_or_default(),
            };
            self.engine.state().upsert_item(&self.thread.id, &record).await?;
        }
        if let Some(turn) = self.thread.lock().turns.get_mut(self.turn_seq) {
            turn.items.push(item.clone());
        }
        self.notifier
            .notify(&ServerNotification::ItemCompleted(ItemCompletedNotification {
                completed_at_ms: now_ms(),
                content_token_count: None,
                item,
                thread_id: self.thread.id.clone(),
                turn_id: self.turn_id.clone(),
            }))
            .await;
        Ok(())
    }
}

/// Completes a started item when dropped armed (see [`TurnItems::complete_on_drop`]), from a
/// spawned task since `Drop` cannot wait.
#[derive(Debug)]
pub struct CompleteOnDrop {
    items: TurnItems,
    item: Option<ThreadItem>,
}

impl CompleteOnDrop {
    /// The item is being completed normally; dropping the guard does nothing.
    pub fn disarm(mut self) {
        self.item = None;
    }
}

impl Drop for CompleteOnDrop {
    fn drop(&mut self) {
        let Some(item) = self.item.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let items = self.items.clone();
        runtime.spawn(async move {
            if let Err(err) = items.complete(item).await {
                tracing::warn!("completing an abandoned item failed: {err}");
            }
        });
    }
}
