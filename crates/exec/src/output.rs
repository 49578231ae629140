//! The output side of a running command: the [`ExecEvent`] stream and the bounded, coalescing
//! queue between the pipe readers and the consumer.
//!
//! Each stream has one pending slot. A reader appends what it reads to its stream's slot while
//! the slot holds less than [`COALESCE_LIMIT`] bytes; when the slot is full the reader waits, so
//! it stops reading the pipe and the command is slowed to the consumer's pace. Memory per stream
//! is therefore bounded by one slot plus one read buffer, whatever the command prints.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;

use tokio::sync::Notify;

/// The most bytes one [`ExecEvent::Output`] carries (pending bytes of one stream are merged up
/// to this size while the consumer is busy).
pub const COALESCE_LIMIT: usize = 64 * 1024;

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecStream {
    /// The command's standard output (pipe mode).
    Stdout,
    /// The command's standard error (pipe mode).
    Stderr,
    /// The terminal (PTY mode: stdout and stderr interleaved).
    Pty,
}

impl ExecStream {
    const ALL: [ExecStream; 3] = [ExecStream::Stdout, ExecStream::Stderr, ExecStream::Pty];

    fn index(self) -> usize {
        match self {
            Self::Stdout => 0,
            Self::Stderr => 1,
            Self::Pty => 2,
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecExit {
    /// The exit code, or `None` when the command was killed by a signal.
    pub exit_code: Option<i32>,
    /// The signal that killed the command, if any.
    pub signal: Option<i32>,
    /// Whether the command was killed because its timeout expired.
    pub timed_out: bool,
    /// Whether stdout (or the PTY) produced more than the output cap.
    pub stdout_capped: bool,
    /// Whether stderr produced more than the output cap.
    pub stderr_capped: bool,
    /// Wall-clock time from spawn to exit.
    pub duration: Duration,
}

impl ExecExit {
    /// The shell's convention: the exit code, or 128 + signal number when killed by a signal.
    pub fn shell_exit_code(&self) -> i32 {
        match (self.exit_code, self.signal) {
            (Some(code), _) => code,
            (None, Some(signal)) => 128 + signal,
            (None, None) => -1,
        }
    }
}

/// One thing that happened to a running command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    /// Bytes the command wrote (at most [`COALESCE_LIMIT`] per event).
    Output {
        /// The stream they came from.
        stream: ExecStream,
        /// The bytes, in order within their stream (empty only when just announcing the cap).
        bytes: Vec<u8>,
        /// Set on the stream's last delivered chunk when the output cap cut off what followed.
        cap_reached: bool,
    },
    /// The command ended; always the last event, after all output.
    Exited(ExecExit),
}

/// Delivery state of the queue, from the consumer's point of view.
#[derive(Debug)]
enum Delivery {
    /// Output may still arrive.
    Open,
    /// The exit is known and waiting to be delivered after the pending output.
    ExitPending(ExecExit),
    /// The exit was delivered; nothing more will come.
    Finished,
    /// The consumer dropped its [`ExecEvents`]; readers discard what they read.
    ConsumerGone,
}

/// Bytes of one stream waiting for the consumer.
#[derive(Debug, Default)]
struct PendingChunk {
    bytes: Vec<u8>,
    cap_reached: bool,
}

#[derive(Debug)]
struct QueueState {
    pending: [Option<PendingChunk>; 3],
    order: VecDeque<ExecStream>,
    delivery: Delivery,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<QueueState>,
    consumer_wakeup: Notify,
    slot_freed: [Notify; 3],
}

/// The producer side of the queue, shared by the readers and the supervisor.
#[derive(Debug, Clone)]
pub(crate) struct OutputQueue {
    shared: Arc<Shared>,
}

/// The stream of [`ExecEvent`]s of one command. Dropping it does not stop the command; its
/// output is then read and discarded.
#[derive(Debug)]
pub struct ExecEvents {
    shared: Arc<Shared>,
}

fn lock(shared: &Shared) -> MutexGuard<'_, QueueState> {
    // A poisoned lock only means another thread panicked mid-update of plain data; keep going.
    shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl OutputQueue {
    /// A new queue and the consumer end reading from it.
    pub(crate) fn new() -> (Self, ExecEvents) {
        let shared = Arc::new(Shared {
            state: Mutex::new(QueueState {
                pending: [None, None, None],
                order: VecDeque::new(),
                delivery: Delivery::Open,
            }),
            consumer_wakeup: Notify::new(),
            slot_freed: [Notify::new(), Notify::new(), Notify::new()],
        });
        (Self { shared: Arc::clone(&shared) }, ExecEvents { shared })
    }

    /// Queues `bytes` of `stream` (flagged `cap_reached` when the cap cut off what follows),
    /// merging with its pending chunk while that stays within [`COALESCE_LIMIT`]; waits while the
    /// stream's slot is full.
    #[cfg(test)]
    pub(crate) async fn push(&self, stream: ExecStream, bytes: &[u8], cap_reached: bool) {
        self.push_buffer(stream, bytes.to_vec(), cap_reached).await;
    }

    /// Like `push`, taking the reader's buffer: it is moved into an empty slot as it is (no
    /// copy); merged into a pending chunk, it is handed back for the next read.
    pub(crate) async fn push_buffer(
        &self,
        stream: ExecStream,
        bytes: Vec<u8>,
        cap_reached: bool,
    ) -> Option<Vec<u8>> {
        let index = stream.index();
        loop {
            {
                let mut state = lock(&self.shared);
                if matches!(state.delivery, Delivery::ConsumerGone) {
                    return Some(bytes);
                }
                match &mut state.pending[index] {
                    None => {
                        state.pending[index] = Some(PendingChunk { bytes, cap_reached });
                        state.order.push_back(stream);
                        drop(state);
                        self.shared.consumer_wakeup.notify_one();
                        return None;
                    }
                    Some(pending) if pending.bytes.len() + bytes.len() <= COALESCE_LIMIT => {
                        pending.bytes.extend_from_slice(&bytes);
                        pending.cap_reached |= cap_reached;
                        return Some(bytes);
                    }
                    Some(_) => {}
                }
            }
            // Only this stream's reader waits on its slot, so `notify_one` keeps a permit for
            // a wakeup that happens between the check above and this await.
            self.shared.slot_freed[index].notified().await;
        }
    }

    /// Records the exit; it is delivered after every pending chunk.
    pub(crate) fn finish(&self, exit: ExecExit) {
        let mut state = lock(&self.shared);
        if matches!(state.delivery, Delivery::Open) {
            state.delivery = Delivery::ExitPending(exit);
        }
        drop(state);
        self.shared.consumer_wakeup.notify_one();
    }
}

impl ExecEvents {
    /// The next event, or `None` after [`ExecEvent::Exited`] was delivered.
    pub async fn recv(&mut self) -> Option<ExecEvent> {
        loop {
            {
                let mut state = lock(&self.shared);
                if let Some(stream) = state.order.pop_front() {
                    let index = stream.index();
                    let pending = state.pending[index].take().unwrap_or_default();
                    drop(state);
                    self.shared.slot_freed[index].notify_one();
                    return Some(ExecEvent::Output {
                        stream,
                        bytes: pending.bytes,
                        cap_reached: pending.cap_reached,
                    });
                }
                match std::mem::replace(&mut state.delivery, Delivery::Finished) {
                    Delivery::ExitPending(exit) => return Some(ExecEvent::Exited(exit)),
                    Delivery::Finished | Delivery::ConsumerGone => return None,
                    Delivery::Open => state.delivery = Delivery::Open,
                }
            }
            self.shared.consumer_wakeup.notified().await;
        }
    }
}

impl Drop for ExecEvents {
    fn drop(&mut self) {
        let mut state = lock(&self.shared);
        state.delivery = Delivery::ConsumerGone;
        state.order.clear();
        state.pending = [None, None, None];
        drop(state);
        for stream in ExecStream::ALL {
            self.shared.slot_freed[stream.index()].notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit() -> ExecExit {
        ExecExit {
            exit_code: Some(0),
            signal: None,
            timed_out: false,
            stdout_capped: false,
            stderr_capped: false,
            duration: Duration::ZERO,
        }
    }

    #[tokio::test]
    async fn chunks_of_one_stream_coalesce_while_the_consumer_is_busy() {
        let (queue, mut events) = OutputQueue::new();
        queue.push(ExecStream::Stdout, b"ab", false).await;
        queue.push(ExecStream::Stderr, b"x", false).await;
        queue.push(ExecStream::Stdout, b"cd", true).await;
        queue.finish(exit());
        assert_eq!(
            events.recv().await,
            Some(ExecEvent::Output {
                stream: ExecStream::Stdout,
                bytes: b"abcd".to_vec(),
                cap_reached: true
            })
        );
        assert_eq!(
            events.recv().await,
            Some(ExecEvent::Output {
                stream: ExecStream::Stderr,
                bytes: b"x".to_vec(),
                cap_reached: false
            })
        );
        assert_eq!(events.recv().await, Some(ExecEvent::Exited(exit())));
        assert_eq!(events.recv().await, None);
    }

    #[tokio::test]
    async fn a_full_slot_blocks_the_producer_until_the_consumer_takes_it() {
        let (queue, mut events) = OutputQueue::new();
        let big = vec![7u8; COALESCE_LIMIT];
        queue.push(ExecStream::Stdout, &big, false).await;
        let producer = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.push(ExecStream::Stdout, b"more", false).await })
        };
        tokio::task::yield_now().await;
        assert!(!producer.is_finished());
        let first = events.recv().await.unwrap();
        assert_eq!(
            first,
            ExecEvent::Output { stream: ExecStream::Stdout, bytes: big, cap_reached: false }
        );
        producer.await.unwrap();
        let second = events.recv().await.unwrap();
        assert_eq!(
            second,
            ExecEvent::Output {
                stream: ExecStream::Stdout,
                bytes: b"more".to_vec(),
                cap_reached: false
            }
        );
    }

    #[tokio::test]
    async fn a_dropped_consumer_releases_blocked_producers() {
        let (queue, events) = OutputQueue::new();
        queue.push(ExecStream::Pty, &vec![0u8; COALESCE_LIMIT], false).await;
        let producer = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.push(ExecStream::Pty, b"x", false).await })
        };
        drop(events);
        producer.await.unwrap();
    }
}
