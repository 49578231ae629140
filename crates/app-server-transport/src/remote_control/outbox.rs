//! The server's outbound envelopes to the relay: numbered, kept until the relay acknowledges
//! them (bounded), and re-sent from the oldest unacknowledged one after a reconnect. Pongs are
//! numbered in the same sequence and written in order, but dropped once written.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::envelope::ServerToRelay;

/// Most pongs waiting to be written; a relay pinging faster than it reads gets no more.
const MAX_PENDING_PONGS: usize = 64;

#[derive(Debug, Default)]
struct OutboxState {
    next_seq: u64,
    /// Envelopes not yet acknowledged, oldest first; `[..sent]` were written on this session.
    /// Pongs sit among them until written (so none overtakes a message numbered before it),
    /// then leave.
    queue: VecDeque<ServerToRelay>,
    sent: usize,
    /// Pongs in `queue` (all of them unwritten).
    pongs: usize,
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
                if state.queue.len() - state.pongs < self.capacity {
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

    /// Queues the pong `build(seq)` makes with the next number; it is written after every
    /// envelope queued before it, once, and never kept. Dropped (returns false) when
    /// [`MAX_PENDING_PONGS`] already wait: the relay is not reading.
    pub(crate) fn push_pong(&self, build: impl FnOnce(u64) -> ServerToRelay) -> bool {
        {
            let Ok(mut state) = self.state.lock() else { return false };
            if state.pongs >= MAX_PENDING_PONGS {
                return false;
            }
            let seq = state.next_seq;
            state.next_seq += 1;
            state.queue.push_back(build(seq));
            state.pongs += 1;
        }
        self.wake_writer.notify_one();
        true
    }

    /// The next envelope to write on this session, marking it written (a pong leaves the queue).
    pub(crate) fn next_to_send(&self) -> Option<ServerToRelay> {
        let mut state = self.state.lock().ok()?;
        let sent = state.sent;
        if state.queue.get(sent)?.is_pong() {
            state.pongs -= 1;
            return state.queue.remove(sent);
        }
        let next = state.queue.get(sent).cloned()?;
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
        let mut removed_pongs = 0;
        state.queue.retain(|envelope| {
            let keep = match (envelope.seq(), segment_id) {
                (Some((seq, _)), None) => seq > seq_id,
                (Some((seq, segment)), Some(acked)) => !(seq == seq_id && segment == Some(acked)),
                (None, _) => true,
            };
            if !keep && index < sent {
                removed_sent += 1;
            }
            if !keep && envelope.is_pong() {
                removed_pongs += 1;
            }
            index += 1;
            keep
        });
        state.sent -= removed_sent;
        state.pongs -= removed_pongs;
        if state.queue.len() != before {
            drop(state);
            self.room.notify_waiters();
        }
    }

    /// A new relay session starts: everything unacknowledged is sent again; pongs still
    /// waiting answered pings of the old session and are dropped.
    pub(crate) fn rewind(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.sent = 0;
            state.queue.retain(|envelope| !envelope.is_pong());
            state.pongs = 0;
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

    fn pong(seq: u64) -> ServerToRelay {
        ServerToRelay::Pong {
            client_id: Some("c".into()),
            stream_id: Some("s".into()),
            seq_id: seq,
            status: super::super::envelope::PongStatus::Active,
        }
    }

    #[tokio::test]
    async fn pongs_are_numbered_in_order_written_once_and_never_resent() {
        let outbox = Outbox::new(8);
        outbox.push_message(message).await;
        assert!(outbox.push_pong(pong));
        outbox.push_message(message).await;
        let written: Vec<_> = std::iter::from_fn(|| outbox.next_to_send()).collect();
        let numbers: Vec<_> = written.iter().map(|e| (e.seq().unwrap().0, e.is_pong())).collect();
        assert_eq!(numbers, vec![(1, false), (2, true), (3, false)]);
        assert_eq!(outbox.unacked(), 2, "the written pong is not kept");
        // An unwritten pong of the old session is dropped; the messages come again.
        assert!(outbox.push_pong(pong));
        outbox.rewind();
        let resent: Vec<_> = std::iter::from_fn(|| outbox.next_to_send()).collect();
        assert_eq!(resent.iter().map(|e| e.seq().unwrap().0).collect::<Vec<_>>(), vec![1, 3]);
        // A relay that pings without reading gets a bounded number of pongs.
        let accepted = (0..1000).filter(|_| outbox.push_pong(pong)).count();
        assert_eq!(accepted, MAX_PENDING_PONGS);
        outbox.ack(u64::MAX, None);
        assert_eq!(outbox.unacked(), 0);
        assert!(outbox.push_pong(pong), "acknowledged pongs free their room");
    }
}
