//! The server's outbound envelopes to the relay: numbered, kept until the relay acknowledges
//! them (bounded), and re-sent from the oldest unacknowledged one after a reconnect.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::envelope::ServerToRelay;

#[derive(Debug, Default)]
struct OutboxState {
    next_seq: u64,
    /// Envelopes not yet acknowledged, oldest first; `[..sent]` were written on this session.
    queue: VecDeque<ServerToRelay>,
    sent: usize,
    /// Control envelopes (pongs): sent once, never kept.
    control: VecDeque<ServerToRelay>,
}

/// Numbered outbound envelopes awaiting acknowledgement.
#[derive(Debug)]
pub(crate) struct Outbox {
    state: Mutex<OutboxState>,
    capacity: usize,
    /// Woken when there is something new to send.
    pub(crate) wake_writer: Notify,
    /// Woken when room was freed by an acknowledgement.
    room: Notify,
}

impl Outbox {
    /// An outbox keeping at most `capacity` unacknowledged envelopes.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(OutboxState { next_seq: 1, ..OutboxState::default() }),
            capacity: capacity.max(1),
            wake_writer: Notify::new(),
            room: Notify::new(),
        }
    }

    /// Appends the envelopes `build(seq)` makes for one message, waiting while the outbox is full.
    pub(crate) async fn push_message(&self, build: impl Fn(u64) -> Vec<ServerToRelay>) {
        loop {
            let room = self.room.notified();
            {
                let Ok(mut state) = self.state.lock() else { return };
                if state.queue.len() < self.capacity {
                    let seq = state.next_seq;
                    state.next_seq += 1;
                    state.queue.extend(build(seq));
                    drop(state);
                    self.wake_writer.notify_one();
                    return;
                }
            }
            room.await;
        }
    }

    /// Queues a control envelope (sent once, not kept).
    pub(crate) fn push_control(&self, envelope: ServerToRelay) {
        if let Ok(mut state) = self.state.lock() {
            state.control.push_back(envelope);
        }
        self.wake_writer.notify_one();
    }

    /// The next envelope to write on this session, marking it written.
    pub(crate) fn next_to_send(&self) -> Option<ServerToRelay> {
        let mut state = self.state.lock().ok()?;
        if let Some(control) = state.control.pop_front() {
            return Some(control);
        }
        let next = state.queue.get(state.sent).cloned()?;
        state.sent += 1;
        Some(next)
    }

    /// Drops acknowledged envelopes: one piece, or everything up to `seq_id`.
    pub(crate) fn ack(&self, seq_id: u64, segment_id: Option<u32>) {
        let Ok(mut state) = self.state.lock() else { return };
        let before = state.queue.len();
        let mut removed_sent = 0;
        let sent = state.sent;
        let mut index = 0;
        state.queue.retain(|envelope| {
            let keep = match (envelope.seq(), segment_id) {
                (Some((seq, _)), None) => seq > seq_id,
                (Some((seq, segment)), Some(acked)) => !(seq == seq_id && segment == Some(acked)),
                (None, _) => true,
            };
            if !keep && index < sent {
                removed_sent += 1;
            }
            index += 1;
            keep
        });
        state.sent -= removed_sent;
        if state.queue.len() != before {
            drop(state);
            self.room.notify_waiters();
        }
    }

    /// A new relay session starts: everything unacknowledged is sent again, control is dropped.
    pub(crate) fn rewind(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.sent = 0;
            state.control.clear();
        }
        self.wake_writer.notify_one();
    }

    /// Number of envelopes awaiting acknowledgement.
    #[cfg(test)]
    pub(crate) fn unacked(&self) -> usize {
        self.state.lock().map(|state| state.queue.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(seq: u64) -> Vec<ServerToRelay> {
        vec![ServerToRelay::ServerMessage {
            client_id: "c".into(),
            stream_id: "s".into(),
            seq_id: seq,
            message: json!({"n": seq}),
        }]
    }

    #[tokio::test]
    async fn unacked_envelopes_are_resent_after_rewind_and_acks_free_room() {
        let outbox = Outbox::new(2);
        outbox.push_message(message).await;
        outbox.push_message(message).await;
        assert_eq!(outbox.next_to_send().unwrap().seq(), Some((1, None)));
        assert_eq!(outbox.next_to_send().unwrap().seq(), Some((2, None)));
        assert!(outbox.next_to_send().is_none());
        // Full: the third push waits until an ack frees room.
        let third = outbox.push_message(message);
        tokio::pin!(third);
        assert!(futures::poll!(&mut third).is_pending());
        outbox.ack(1, None);
        third.await;
        outbox.rewind();
        let resent: Vec<_> = std::iter::from_fn(|| outbox.next_to_send()).collect();
        assert_eq!(resent.iter().map(|e| e.seq().unwrap().0).collect::<Vec<_>>(), vec![2, 3]);
        outbox.ack(3, None);
        assert_eq!(outbox.unacked(), 0);
    }
}
