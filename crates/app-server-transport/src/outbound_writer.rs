//! The outbound write loop every transport shares: takes a connection's queued messages, feeds
//! them into a [`Sink`] (websocket frames, or newline-delimited lines via `FramedWrite`), flushes
//! whenever the queue runs dry, resolves write acknowledgements only after a flush, and gives up
//! promptly when the connection is cancelled even if the peer stopped reading.

use std::fmt::Display;

use futures::Sink;
use futures::SinkExt;
use tokio::sync::mpsc;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::connection::resolve_acks;
use crate::connection::ConnectionId;
use crate::connection::OutboundMessage;
use crate::connection::OutboundPayload;
use crate::connection::WriteResult;
use crate::error::TransportError;

/// How the write loop ended without a write error.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WriteEnd {
    /// The queue closed or the connection was cancelled between writes: the caller may still
    /// flush (and resolve the pending acknowledgements) or say goodbye.
    Drained,
    /// Cancelled in the middle of a write (the peer may have stopped reading): stop now.
    Abandoned,
}

/// Writes `outbound` into `sink` until the queue closes or `cancel` fires. Acknowledgements of
/// messages written but not yet flushed are left in `acks`. A failed write resolves them with
/// the error, cancels the connection and returns `WriteFailed`.
pub(crate) async fn write_outbound<K, T>(
    sink: &mut K,
    connection_id: ConnectionId,
    outbound: &mut mpsc::Receiver<OutboundMessage>,
    acks: &mut Vec<oneshot::Sender<WriteResult>>,
    cancel: &CancellationToken,
    encode: impl Fn(OutboundPayload) -> T,
) -> Result<WriteEnd, TransportError>
where
    K: Sink<T> + Unpin,
    K::Error: Display,
{
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return Ok(WriteEnd::Drained),
            next = outbound.recv() => next,
        };
        let Some(OutboundMessage { message, ack }) = next else { return Ok(WriteEnd::Drained) };
        acks.extend(ack);
        let item = encode(message);
        let write = async {
            sink.feed(item).await?;
            if outbound.is_empty() {
                sink.flush().await?;
            }
            Ok::<bool, K::Error>(outbound.is_empty())
        };
        // A peer that stopped reading must not pin this loop once cancelled.
        let result = tokio::select! {
            () = cancel.cancelled() => return Ok(WriteEnd::Abandoned),
            result = write => result,
        };
        match result {
            Ok(true) => resolve_acks(acks, connection_id, Ok(())),
            Ok(false) => {}
            Err(err) => {
                let reason = err.to_string();
                resolve_acks(acks, connection_id, Err(&reason));
                cancel.cancel();
                return Err(TransportError::WriteFailed { connection_id, reason });
            }
        }
    }
}
