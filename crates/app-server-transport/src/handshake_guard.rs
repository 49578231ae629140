//! Guards the websocket listeners (TCP and the Unix control socket) against clients that hold
//! connections open without finishing their HTTP upgrade.
//!
//! [`GuardedListener`] wraps the listener axum serves: every accepted connection must complete
//! its websocket upgrade within a total deadline, however it trickles its bytes in, or it is
//! closed (a health check's answer comes before that, then its connection closes too). At most
//! `max_pending` connections may be in their handshake at once: each connection beyond that
//! closes the oldest pending one at once, so a flood of stalled sockets cannot keep a
//! well-behaved client (which finishes in milliseconds) out. Pending handshakes also end when
//! the listener shuts down, so they never hold up a graceful shutdown. The upgrade handler
//! marks its connection done through the [`Handshake`] it extracts as `ConnectInfo`.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::Weak;
use std::task::Context;
use std::task::Poll;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use axum::serve::Listener;
use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::io::ReadBuf;
use tokio_util::sync::CancellationToken;
use tokio_util::sync::WaitForCancellationFutureOwned;

/// How long a connection may take to complete its HTTP upgrade, by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many connections may be in their handshake at once, by default.
pub const DEFAULT_MAX_PENDING_HANDSHAKES: usize = 128;

/// Connections still in their handshake, oldest first, with the token that closes each.
type PendingQueue = Mutex<VecDeque<(u64, CancellationToken)>>;

/// A listener whose connections must finish their upgrade in time (see the module docs).
pub(crate) struct GuardedListener<L> {
    inner: L,
    timeout: Duration,
    max_pending: usize,
    pending: Arc<PendingQueue>,
    next_id: u64,
    shutdown: CancellationToken,
}

impl<L> GuardedListener<L> {
    /// Guards `inner` with a total handshake `timeout` and at most `max_pending` handshakes;
    /// `shutdown` ends the pending ones.
    pub(crate) fn new(
        inner: L,
        timeout: Duration,
        max_pending: usize,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            inner,
            timeout,
            max_pending: max_pending.max(1),
            pending: Arc::default(),
            next_id: 0,
            shutdown,
        }
    }
}

impl<L: Listener> Listener for GuardedListener<L> {
    type Io = GuardedIo<L::Io>;
    type Addr = Handshake;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, _) = self.inner.accept().await;
        let id = self.next_id;
        self.next_id += 1;
        let close = self.shutdown.child_token();
        if let Ok(mut pending) = self.pending.lock() {
            pending.push_back((id, close.clone()));
            while pending.len() > self.max_pending {
                if let Some((_, oldest)) = pending.pop_front() {
                    oldest.cancel();
                }
            }
            if pending.len() == self.max_pending {
                tracing::debug!(
                    "{} websocket handshakes pending: the next connection closes the oldest",
                    self.max_pending
                );
            }
        }
        let state = Arc::new(HandshakeState {
            id,
            done: AtomicBool::new(false),
            pending: Arc::downgrade(&self.pending),
        });
        let io = GuardedIo {
            inner: io,
            state: Arc::clone(&state),
            deadline: Box::pin(tokio::time::sleep(self.timeout)),
            closed: Box::pin(close.cancelled_owned()),
        };
        (io, Handshake(state))
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "a guarded listener has no address"))
    }
}

/// One connection's handshake; the upgrade handler calls [`Handshake::complete`].
#[derive(Clone, Debug)]
pub(crate) struct Handshake(Arc<HandshakeState>);

impl Handshake {
    /// The upgrade is done: lift the deadline and free the pending slot.
    pub(crate) fn complete(&self) {
        if !self.0.done.swap(true, Ordering::AcqRel) {
            self.0.leave_pending();
        }
    }
}

impl<L: Listener> Connected<IncomingStream<'_, GuardedListener<L>>> for Handshake {
    fn connect_info(stream: IncomingStream<'_, GuardedListener<L>>) -> Self {
        stream.remote_addr().clone()
    }
}

#[derive(Debug)]
struct HandshakeState {
    id: u64,
    done: AtomicBool,
    pending: Weak<PendingQueue>,
}

impl HandshakeState {
    fn leave_pending(&self) {
        if let Some(pending) = self.pending.upgrade() {
            if let Ok(mut pending) = pending.lock() {
                pending.retain(|(id, _)| *id != self.id);
            }
        }
    }
}

impl Drop for HandshakeState {
    fn drop(&mut self) {
        if !*self.done.get_mut() {
            self.leave_pending();
        }
    }
}

/// A connection's byte stream that fails once its handshake deadline passes (or it was
/// closed to make room) before the upgrade completed; afterwards it passes everything through.
pub(crate) struct GuardedIo<S> {
    inner: S,
    state: Arc<HandshakeState>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    closed: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl<S> GuardedIo<S> {
    /// The error to fail with when the handshake ran out of time or room (also arms the
    /// wake-ups for both).
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        if self.state.done.load(Ordering::Acquire) {
            return None;
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Some(io::Error::new(
                io::ErrorKind::TimedOut,
                "websocket handshake not completed in time",
            ));
        }
        if self.closed.as_mut().poll(cx).is_ready() {
            return Some(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "websocket handshake abandoned: too many pending, or shutting down",
            ));
        }
        None
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GuardedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(err) = self.expired(cx) {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GuardedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(err) = self.expired(cx) {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(err) = self.expired(cx) {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
