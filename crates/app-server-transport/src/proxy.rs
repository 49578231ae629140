//! `codex app-server proxy`: bridges newline-delimited JSON on a byte stream
//! (stdin/stdout) to the websocket on the Unix control socket, one line per
//! text frame in each direction.

use std::path::Path;

use std::collections::HashSet;

use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::RequestId;
use futures::SinkExt;
use futures::StreamExt;
use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::codec::FramedRead;

use crate::connection::TransportConfig;
use crate::control_socket::connect_control_socket_websocket;
use crate::error::TransportError;
use crate::stdio::line_too_long_error;
use crate::stdio::InboundLine;
use crate::stdio::LineDecoder;

/// Where the proxy session is in its shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProxyState {
    /// Both directions open.
    Open,
    /// Input ended; waiting for the answers to requests already forwarded.
    Draining,
    /// A close frame was sent; waiting for the server to close.
    Closing,
}

/// The request id of a forwarded line, if it is a request.
fn request_id(line: &[u8]) -> Option<RequestId> {
    match JsonRpcMessage::parse(line) {
        Ok(JsonRpcMessage::Request(request)) => Some(request.id),
        _ => None,
    }
}

/// The id a server frame answers, if it is a response or error.
fn answered_id(text: &str) -> Option<RequestId> {
    match JsonRpcMessage::parse_str(text) {
        Ok(JsonRpcMessage::Response(response)) => Some(response.id),
        Ok(JsonRpcMessage::Error(error)) => error.id,
        _ => None,
    }
}

/// Pipes lines from `input` to the control socket at `socket_path` and frames back to `output`.
///
/// When `input` ends, waits for the answers to the requests already forwarded,
/// then closes; returns when the server closes the connection. Lines over `config.max_line_bytes` are answered locally with an
/// error line and not forwarded.
pub async fn run_proxy<R, W>(
    socket_path: &Path,
    input: R,
    output: W,
    config: &TransportConfig,
) -> Result<(), TransportError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let socket =
        connect_control_socket_websocket(socket_path, config.max_websocket_message_bytes).await?;
    let (mut sink, mut frames) = socket.split();
    let mut lines = FramedRead::new(input, LineDecoder::new(config.max_line_bytes));
    let mut output = output;
    let mut state = ProxyState::Open;
    let mut pending: HashSet<RequestId> = HashSet::new();
    let websocket_error =
        |err: tokio_tungstenite::tungstenite::Error| TransportError::Websocket(err.to_string());
    let write_error = |err| TransportError::io("writing to the proxy output", err);
    loop {
        tokio::select! {
            line = lines.next(), if state == ProxyState::Open => match line {
                None => state = ProxyState::Draining,
                Some(Err(err)) => return Err(TransportError::io("reading the proxy input", err)),
                Some(Ok(InboundLine::TooLong)) => {
                    let reply = JsonRpcMessage::from(line_too_long_error(config.max_line_bytes));
                    let mut text = reply.to_json_string();
                    text.push('\n');
                    output.write_all(text.as_bytes()).await.map_err(write_error)?;
                    output.flush().await.map_err(write_error)?;
                }
                Some(Ok(InboundLine::Line(line))) => {
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    pending.extend(request_id(line));
                    let text = String::from_utf8_lossy(line).into_owned();
                    sink.send(Message::Text(text.into())).await.map_err(websocket_error)?;
                }
            },
            frame = frames.next() => match frame {
                None | Some(Ok(Message::Close(_))) => break,
                Some(Err(err)) => return Err(websocket_error(err)),
                Some(Ok(Message::Text(text))) => {
                    if let Some(id) = answered_id(text.as_str()) {
                        pending.remove(&id);
                    }
                    output.write_all(text.as_bytes()).await.map_err(write_error)?;
                    output.write_all(b"\n").await.map_err(write_error)?;
                    output.flush().await.map_err(write_error)?;
                }
                Some(Ok(_)) => {}
            },
        }
        if state == ProxyState::Draining && pending.is_empty() {
            state = ProxyState::Closing;
            sink.send(Message::Close(None)).await.map_err(websocket_error)?;
        }
    }
    output.flush().await.map_err(write_error)
}
