//! Newline-delimited JSON over any byte stream: the stdio transport.
//!
//! [`serve_stream_connection`] is generic over `AsyncRead`/`AsyncWrite`, so it
//! runs over stdin/stdout in production ([`serve_stdio`]) and over
//! `tokio::io::duplex` in tests. Lines longer than the configured limit are
//! answered with an error and skipped up to their newline without buffering
//! them; input that is not JSON-RPC is answered with an error and the
//! connection goes on.

use std::io;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::JsonRpcMessage;
use futures::SinkExt;
use futures::StreamExt;
use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;
use tokio_util::bytes::Bytes;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::AnyDelimiterCodec;
use tokio_util::codec::AnyDelimiterCodecError;
use tokio_util::codec::Decoder;
use tokio_util::codec::FramedRead;
use tokio_util::codec::FramedWrite;
use tokio_util::codec::LinesCodec;
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
use crate::outbound_writer::write_outbound;
use crate::outbound_writer::WriteEnd;

/// One unit read off a newline-delimited stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InboundLine {
    /// A complete line, newline removed.
    Line(Bytes),
    /// A line longer than the limit; its bytes were discarded.
    TooLong,
}

/// Splits a byte stream into lines of at most `max_length` bytes, reporting longer ones.
#[derive(Debug)]
pub(crate) struct LineDecoder {
    inner: AnyDelimiterCodec,
}

impl LineDecoder {
    /// A decoder that accepts lines of up to `max_length` bytes.
    pub(crate) fn new(max_length: usize) -> Self {
        Self {
            inner: AnyDelimiterCodec::new_with_max_length(b"\n".to_vec(), Vec::new(), max_length),
        }
    }

    fn map(
        result: Result<Option<Bytes>, AnyDelimiterCodecError>,
    ) -> Result<Option<InboundLine>, io::Error> {
        match result {
            Ok(Some(line)) => Ok(Some(InboundLine::Line(line))),
            Ok(None) => Ok(None),
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => Ok(Some(InboundLine::TooLong)),
            Err(AnyDelimiterCodecError::Io(err)) => Err(err),
        }
    }
}

impl Decoder for LineDecoder {
    type Item = InboundLine;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<InboundLine>, io::Error> {
        Self::map(self.inner.decode(buf))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<InboundLine>, io::Error> {
        Self::map(self.inner.decode_eof(buf))
    }
}

/// The error response for a line longer than `max_length` bytes.
pub(crate) fn line_too_long_error(max_length: usize) -> JsonRpcError {
    JsonRpcError::new(
        None,
        error_codes::INVALID_REQUEST,
        format!("Invalid request: message longer than the {max_length}-byte limit was discarded"),
    )
}

/// Classifies one line: `None` for blank lines, else a message or the error to answer with.
pub(crate) fn classify_line(line: &[u8]) -> Option<Result<JsonRpcMessage, JsonRpcError>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(JsonRpcMessage::parse(line).map_err(|err| err.to_error_response()))
}

/// Serves one connection on stdin/stdout until stdin ends and the server drops the writer.
pub async fn serve_stdio(
    events: mpsc::Sender<TransportEvent>,
    config: &TransportConfig,
    cancel: CancellationToken,
) -> Result<(), TransportError> {
    serve_stream_connection(
        tokio::io::stdin(),
        tokio::io::stdout(),
        TransportKind::Stdio,
        events,
        config,
        cancel,
    )
    .await
}

/// Serves one newline-delimited JSON connection over any reader/writer pair.
///
/// Emits `ConnectionOpened`, then one `MessageReceived` per valid line, then
/// `ConnectionClosed` when the reader ends or `cancel` fires. Returns once the
/// connection is closed and every [`ConnectionWriter`] clone was dropped (so
/// responses queued after end of input are still written), or at once on
/// cancellation or when writing fails.
pub async fn serve_stream_connection<R, W>(
    reader: R,
    writer: W,
    transport: TransportKind,
    events: mpsc::Sender<TransportEvent>,
    config: &TransportConfig,
    cancel: CancellationToken,
) -> Result<(), TransportError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let connection_id = ConnectionId::next();
    let (queue, outbound) =
        ConnectionWriter::channel(connection_id, config.outbound_queue_capacity);
    announce_open(&events, connection_id, transport, queue.clone(), cancel.clone()).await?;
    let read = read_lines(reader, connection_id, queue, &events, config.max_line_bytes, &cancel);
    let write = write_lines(writer, connection_id, outbound, &cancel);
    let ((), write_result) = tokio::join!(read, write);
    write_result
}

async fn read_lines<R: AsyncRead + Unpin>(
    reader: R,
    connection_id: ConnectionId,
    queue: ConnectionWriter,
    events: &mpsc::Sender<TransportEvent>,
    max_line_bytes: usize,
    cancel: &CancellationToken,
) {
    let mut lines = FramedRead::new(reader, LineDecoder::new(max_line_bytes));
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => break,
            next = lines.next() => next,
        };
        let reply = match next {
            None => break,
            Some(Err(err)) => {
                tracing::warn!(%connection_id, "reading from the connection failed: {err}");
                break;
            }
            Some(Ok(InboundLine::TooLong)) => {
                tracing::warn!(%connection_id, "discarded a line over {max_line_bytes} bytes");
                line_too_long_error(max_line_bytes)
            }
            Some(Ok(InboundLine::Line(line))) => match classify_line(&line) {
                None => continue,
                Some(Ok(message)) => {
                    let event = TransportEvent::MessageReceived { connection_id, message };
                    if events.send(event).await.is_err() {
                        break;
                    }
                    continue;
                }
                Some(Err(reply)) => reply,
            },
        };
        if queue.send(reply.into()).await.is_err() {
            break;
        }
    }
    drop(queue);
    // The server may already be gone at shutdown; nothing else to tell.
    let _ = events.send(TransportEvent::ConnectionClosed { connection_id }).await;
}

async fn write_lines<W: AsyncWrite + Unpin>(
    writer: W,
    connection_id: ConnectionId,
    mut outbound: mpsc::Receiver<OutboundMessage>,
    cancel: &CancellationToken,
) -> Result<(), TransportError> {
    let mut lines = FramedWrite::new(writer, LinesCodec::new());
    let mut acks = Vec::new();
    let end =
        write_outbound(&mut lines, connection_id, &mut outbound, &mut acks, cancel, |message| {
            message.into_json_string()
        })
        .await?;
    if end == WriteEnd::Abandoned {
        return Ok(());
    }
    let flushed = tokio::select! {
        () = cancel.cancelled() => false,
        result = SinkExt::<String>::flush(&mut lines) => result.is_ok(),
    };
    if flushed {
        resolve_acks(&mut acks, connection_id, Ok(()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use codex_app_server_protocol::JsonRpcResponse;
    use codex_app_server_protocol::RequestId;
    use serde_json::json;
    use serde_json::Value;
    use tokio::io::AsyncBufReadExt;
    use tokio::io::AsyncWriteExt;
    use tokio::io::BufReader;

    use super::*;

    struct Harness {
        client_in: tokio::io::WriteHalf<tokio::io::DuplexStream>,
        client_out: tokio::io::Lines<BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>>,
        events: mpsc::Receiver<TransportEvent>,
        task: tokio::task::JoinHandle<Result<(), TransportError>>,
    }

    fn start(max_line_bytes: usize) -> Harness {
        let (client, server) = tokio::io::duplex(1024);
        let (server_read, server_write) = tokio::io::split(server);
        let (client_read, client_in) = tokio::io::split(client);
        let (events_tx, events) = mpsc::channel(16);
        let config = TransportConfig { max_line_bytes, ..TransportConfig::default() };
        let task = tokio::spawn(async move {
            serve_stream_connection(
                server_read,
                server_write,
                TransportKind::Stdio,
                events_tx,
                &config,
                CancellationToken::new(),
            )
            .await
        });
        Harness { client_in, client_out: BufReader::new(client_read).lines(), events, task }
    }

    async fn next_reply(harness: &mut Harness) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), harness.client_out.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        serde_json::from_str(&line).unwrap()
    }

    #[tokio::test]
    async fn messages_flow_both_ways_and_garbage_is_answered() {
        let mut h = start(1024);
        let Some(TransportEvent::ConnectionOpened { writer, transport, .. }) =
            h.events.recv().await
        else {
            panic!("expected ConnectionOpened")
        };
        assert_eq!(transport, TransportKind::Stdio);

        h.client_in.write_all(b"{\"id\":1,\"method\":\"initialize\"}\r\n\n").await.unwrap();
        let Some(TransportEvent::MessageReceived { message, .. }) = h.events.recv().await else {
            panic!("expected MessageReceived")
        };
        let JsonRpcMessage::Request(request) = message else { panic!("not a request") };
        assert_eq!(request.method, "initialize");
        writer
            .send_and_wait(JsonRpcResponse::new(RequestId::Integer(1), json!({"ok": true})).into())
            .await
            .unwrap();
        assert_eq!(next_reply(&mut h).await["result"]["ok"], true);

        for (garbage, code, id) in [
            (&b"not json\n"[..], -32700, Value::Null),
            (&b"\xff\xfe\n"[..], -32700, Value::Null),
            (&b"[1,2]\n"[..], -32600, Value::Null),
            (&b"{\"id\":5}\n"[..], -32600, json!(5)),
        ] {
            h.client_in.write_all(garbage).await.unwrap();
            let reply = next_reply(&mut h).await;
            assert_eq!(reply["error"]["code"], code, "{reply}");
            assert_eq!(reply["id"], id, "{reply}");
        }

        // Still alive after the garbage.
        h.client_in.write_all(b"{\"method\":\"initialized\"}\n").await.unwrap();
        assert!(matches!(h.events.recv().await, Some(TransportEvent::MessageReceived { .. })));

        h.client_in.shutdown().await.unwrap();
        assert!(matches!(h.events.recv().await, Some(TransportEvent::ConnectionClosed { .. })));
        drop(writer);
        h.task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn overlong_line_is_answered_and_skipped() {
        let mut h = start(64);
        let Some(TransportEvent::ConnectionOpened { writer, .. }) = h.events.recv().await else {
            panic!("expected ConnectionOpened")
        };
        let mut long = vec![b'x'; 10_000];
        long.push(b'\n');
        h.client_in.write_all(&long).await.unwrap();
        let reply = next_reply(&mut h).await;
        assert_eq!(reply["error"]["code"], -32600);
        assert!(reply["error"]["message"].as_str().unwrap().contains("64-byte limit"));

        // An over-long line split mid-way with the next valid line in the same write.
        let mut mixed = vec![b'{'; 100];
        mixed.extend_from_slice(b"\n{\"id\":2,\"method\":\"x\"}\n");
        h.client_in.write_all(&mixed).await.unwrap();
        assert_eq!(next_reply(&mut h).await["error"]["code"], -32600);
        let Some(TransportEvent::MessageReceived { message, .. }) = h.events.recv().await else {
            panic!("expected the valid line after the long one")
        };
        assert!(matches!(message, JsonRpcMessage::Request(_)));
        h.client_in.shutdown().await.unwrap();
        drop(writer);
        assert!(matches!(h.events.recv().await, Some(TransportEvent::ConnectionClosed { .. })));
        h.task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn cancel_closes_the_connection() {
        let (client, server) = tokio::io::duplex(64);
        let (server_read, server_write) = tokio::io::split(server);
        let (events_tx, mut events) = mpsc::channel(4);
        let cancel = CancellationToken::new();
        let config = TransportConfig::default();
        let task_cancel = cancel.clone();
        let task = tokio::spawn(async move {
            serve_stream_connection(
                server_read,
                server_write,
                TransportKind::Stdio,
                events_tx,
                &config,
                task_cancel,
            )
            .await
        });
        let Some(TransportEvent::ConnectionOpened { cancel: from_event, .. }) = events.recv().await
        else {
            panic!("expected ConnectionOpened")
        };
        from_event.cancel();
        assert!(matches!(events.recv().await, Some(TransportEvent::ConnectionClosed { .. })));
        task.await.unwrap().unwrap();
        assert!(cancel.is_cancelled());
        drop(client);
    }
}
