//! [`ControlClient`]: a minimal JSON-RPC client of the control socket, as the daemon commands
//! need it: `initialize` (with the experimental API, for `remoteControl/*`), requests answered in
//! order, and the kernel-reported pid of the process serving the socket.

use std::path::Path;
use std::time::Duration;

use codex_app_server_protocol::InitializeResponse;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::JsonRpcNotification;
use codex_app_server_protocol::JsonRpcRequest;
use codex_app_server_protocol::RequestId;
use codex_app_server_transport::connect_control_socket_websocket;
use futures::SinkExt;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::net::UnixStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::error::DaemonError;

/// Largest message accepted from the daemon.
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// How long the handshake, and then each request, may wait for an answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to a running app-server's control socket.
#[derive(Debug)]
pub struct ControlClient {
    socket: WebSocketStream<UnixStream>,
    peer_pid: Option<u32>,
    next_id: i64,
}

impl ControlClient {
    /// Connects to the control socket at `path` (fails when nothing listens).
    pub async fn connect(path: &Path) -> Result<Self, DaemonError> {
        let socket = tokio::time::timeout(
            REQUEST_TIMEOUT,
            connect_control_socket_websocket(path, MAX_MESSAGE_BYTES),
        )
        .await
        .map_err(|_| {
            DaemonError::Protocol(format!(
                "{} accepted no websocket handshake within {}s",
                path.display(),
                REQUEST_TIMEOUT.as_secs()
            ))
        })??;
        let peer_pid = socket
            .get_ref()
            .peer_cred()
            .ok()
            .and_then(|cred| cred.pid())
            .and_then(|pid| u32::try_from(pid).ok());
        Ok(Self { socket, peer_pid, next_id: 0 })
    }

    /// The pid of the process serving the socket, as the kernel reports it (`SO_PEERCRED`).
    pub fn peer_pid(&self) -> Option<u32> {
        self.peer_pid
    }

    /// `initialize` (opting into the experimental API) followed by `initialized`.
    pub async fn initialize(
        &mut self,
        client_name: &str,
    ) -> Result<InitializeResponse, DaemonError> {
        let params = serde_json::json!({
            "clientInfo": {"name": client_name, "version": env!("CARGO_PKG_VERSION")},
            "capabilities": {"experimentalApi": true},
        });
        let response = self.request("initialize", params).await?;
        let notification =
            JsonRpcMessage::Notification(JsonRpcNotification::new("initialized", None));
        self.send(&notification).await?;
        Ok(response)
    }

    /// Sends a request and waits for its answer, skipping notifications meanwhile.
    pub async fn request<T: DeserializeOwned>(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<T, DaemonError> {
        self.next_id += 1;
        let id = RequestId::Integer(self.next_id);
        let request =
            JsonRpcMessage::Request(JsonRpcRequest::new(id.clone(), method, Some(params)));
        self.send(&request).await?;
        let result = tokio::time::timeout(REQUEST_TIMEOUT, self.answer(&id, method))
            .await
            .map_err(|_| {
                DaemonError::Protocol(format!(
                    "no answer to {method} within {}s",
                    REQUEST_TIMEOUT.as_secs()
                ))
            })??;
        serde_json::from_value(result)
            .map_err(|err| DaemonError::Protocol(format!("{method} result: {err}")))
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    async fn send(&mut self, message: &JsonRpcMessage) -> Result<(), DaemonError> {
        self.socket
            .send(Message::text(message.to_json_string()))
            .await
            .map_err(|err| DaemonError::Protocol(format!("sending to the control socket: {err}")))
    }

    async fn answer(&mut self, id: &RequestId, method: &str) -> Result<Value, DaemonError> {
        loop {
            let frame = match self.socket.next().await {
                Some(Ok(frame)) => frame,
                Some(Err(err)) => {
                    return Err(DaemonError::Protocol(format!("reading the control socket: {err}")))
                }
                None => {
                    return Err(DaemonError::Protocol(format!(
                        "the app-server closed the connection before answering {method}"
                    )))
                }
            };
            let Message::Text(text) = frame else { continue };
            match JsonRpcMessage::parse_str(text.as_str()) {
                Ok(JsonRpcMessage::Response(response)) if &response.id == id => {
                    return Ok(response.result)
                }
                Ok(JsonRpcMessage::Error(error)) if error.id.as_ref() == Some(id) => {
                    return Err(DaemonError::Rpc {
                        method: method.to_owned(),
                        code: error.error.code,
                        message: error.error.message,
                    })
                }
                // Notifications (and anything else) are not what we wait for.
                _ => {}
            }
        }
    }
}
