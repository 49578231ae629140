//! A minimal request handler used by the `codex` binary until the real
//! processors of `codex-app-server` are wired in: it answers `initialize`
//! and replies `-32601 method not found` to every other request. It exists so
//! the transports can be driven end to end through the binary; replace
//! [`run`] with the server's event loop.

use std::collections::HashMap;
use std::path::PathBuf;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::JsonRpcRequest;
use codex_app_server_protocol::JsonRpcResponse;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::ConnectionId;
use codex_app_server_transport::ConnectionWriter;
use codex_app_server_transport::TransportError;
use codex_app_server_transport::TransportEvent;
use codex_app_server_transport::TransportKind;
use serde_json::json;
use tokio::sync::mpsc;

/// One open connection as the responder sees it.
struct Connection {
    transport: TransportKind,
    writer: ConnectionWriter,
    cancel: CancellationToken,
}

/// Consumes transport events until every sender is gone, answering requests.
pub async fn run(mut events: mpsc::Receiver<TransportEvent>, codex_home: PathBuf) {
    let mut connections: HashMap<ConnectionId, Connection> = HashMap::new();
    while let Some(event) = events.recv().await {
        match event {
            TransportEvent::ConnectionOpened { connection_id, transport, writer, cancel } => {
                connections.insert(connection_id, Connection { transport, writer, cancel });
            }
            TransportEvent::MessageReceived { connection_id, message } => {
                let JsonRpcMessage::Request(request) = message else { continue };
                let Some(connection) = connections.get(&connection_id) else { continue };
                deliver(connection, answer(&request, &codex_home)).await;
            }
            TransportEvent::ConnectionClosed { connection_id } => {
                connections.remove(&connection_id);
            }
        }
    }
}

fn answer(request: &JsonRpcRequest, codex_home: &std::path::Path) -> JsonRpcMessage {
    match request.method.as_str() {
        "initialize" => JsonRpcResponse::new(
            request.id.clone(),
            json!({
                "userAgent": format!("codex-app-server/{}", env!("CARGO_PKG_VERSION")),
                "codexHome": codex_home.display().to_string(),
                "platformFamily": "unix",
                "platformOs": std::env::consts::OS,
            }),
        )
        .into(),
        method => JsonRpcError::new(
            Some(request.id.clone()),
            error_codes::METHOD_NOT_FOUND,
            format!("method not found: {method}"),
        )
        .into(),
    }
}

/// Stdio never drops; socket clients whose queue is full are disconnected.
async fn deliver(connection: &Connection, message: JsonRpcMessage) {
    let result = match connection.transport {
        TransportKind::Stdio => connection.writer.send(message).await,
        TransportKind::UnixSocket | TransportKind::Websocket => connection.writer.try_send(message),
    };
    match result {
        Ok(()) | Err(TransportError::ConnectionClosed { .. }) => {}
        Err(err) => {
            tracing::warn!("disconnecting client: {err}");
            connection.cancel.cancel();
        }
    }
}
