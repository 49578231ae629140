//! The app-server embedded in its client's process: [`InProcessServer`] loads config and state
//! under a `CODEX_HOME` exactly as `serve` does and runs the same processor, and
//! [`InProcessClient`] talks to it over an in-process connection
//! ([`codex_app_server_transport::connect_in_process`]) with typed requests and events.
//!
//! The connection is an ordinary one as far as the processor is concerned: `initialize` gating,
//! routing, subscriptions and back pressure are those of every other transport, with the
//! stdio policy (the server waits for a slow client instead of disconnecting it, so nothing a
//! turn emits is ever lost). Messages cross as parsed JSON-RPC values: typed params become a
//! `serde_json::Value` once and the server reads its typed request from that value; nothing is
//! printed to text or parsed back.
//!
//! The client is sequential, like a stdio client: [`InProcessClient::request`] sends and then
//! reads until its response arrives, keeping the notifications and server requests that came
//! first for [`InProcessClient::next_event`], in order.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::methods::markers;
use codex_app_server_protocol::methods::ClientMethod;
use codex_app_server_protocol::v2::SessionSource;
use codex_app_server_protocol::ClientInfo;
use codex_app_server_protocol::ClientNotification;
use codex_app_server_protocol::InitializeCapabilities;
use codex_app_server_protocol::InitializeParams;
use codex_app_server_protocol::InitializeResponse;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::JsonRpcErrorObject;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::JsonRpcRequest;
use codex_app_server_protocol::JsonRpcResponse;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use codex_app_server_protocol::ServerRequestResponse;
use codex_app_server_transport::connect_in_process;
use codex_app_server_transport::InProcessConnection;
use codex_app_server_transport::ListenAddress;
use codex_app_server_transport::TransportConfig;
use codex_app_server_transport::TransportError;
use codex_app_server_transport::TransportEvent;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::ConfigOverrides;
use crate::processor::ServerShared;
use crate::serve::absolute_codex_home;
use crate::serve::load_config;
use crate::serve::ServeError;
use crate::serve::ServeOptions;
use crate::serve::ServerCore;
use crate::state::StateDb;

/// Capacity of the channel carrying in-process connections' messages to the processor.
const EVENT_CHANNEL_CAPACITY: usize = 256;

/// What can go wrong talking to an in-process server.
#[derive(Debug, thiserror::Error)]
pub enum InProcessError {
    /// The server could not start (config, state, `CODEX_HOME`).
    #[error(transparent)]
    Start(#[from] ServeError),
    /// The connection refused a message (closed, or the server stopped).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server answered the request with a JSON-RPC error.
    #[error("{method} failed: {} (code {})", error.message, error.code)]
    Rpc {
        /// The request's method.
        method: String,
        /// The error the server answered with.
        error: JsonRpcErrorObject,
    },
    /// The server closed the connection before answering.
    #[error("the app-server closed the connection before answering {method}")]
    Disconnected {
        /// The request's method.
        method: String,
    },
    /// The params could not be turned into JSON.
    #[error("encoding the params of {method}: {source}")]
    EncodeParams {
        /// The request's method.
        method: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The server's result did not have the shape of the method's response type.
    #[error("decoding the response to {method}: {source}")]
    DecodeResponse {
        /// The request's method.
        method: String,
        /// Why.
        source: serde_json::Error,
    },
}

impl InProcessError {
    /// The JSON-RPC error code when the server answered with an error.
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            InProcessError::Rpc { error, .. } => Some(error.code),
            _ => None,
        }
    }
}

/// Settings of an in-process server.
#[derive(Debug, Clone)]
pub struct InProcessOptions {
    /// `$CODEX_HOME` (config.toml, state.sqlite).
    pub codex_home: PathBuf,
    /// Per-launch config overrides (`-c key=value`, `--enable`, `--disable`).
    pub overrides: ConfigOverrides,
    /// Outbound queue capacity of each connection.
    pub transport: TransportConfig,
    /// How long [`InProcessServer::shutdown`] waits for running turns.
    pub drain_timeout: Duration,
    /// The source recorded on threads this server creates (`codex exec` sets `exec`).
    pub session_source: SessionSource,
    /// A config file that cannot be loaded fails [`InProcessServer::start`] (otherwise the
    /// server starts with defaults, warns, and refuses threads and turns; see
    /// [`crate::config_problem`]).
    pub strict_config: bool,
}

impl InProcessOptions {
    /// Defaults for a server whose state lives in `codex_home`.
    pub fn new(codex_home: PathBuf) -> Self {
        let defaults = ServeOptions::new(ListenAddress::Off, PathBuf::new());
        Self {
            codex_home,
            overrides: ConfigOverrides::default(),
            transport: TransportConfig::default(),
            drain_timeout: defaults.drain_timeout,
            session_source: defaults.session_source,
            strict_config: defaults.strict_config,
        }
    }
}

/// A whole app-server running inside this process, without any listener.
pub struct InProcessServer {
    core: ServerCore,
    events: mpsc::Sender<TransportEvent>,
    transport: TransportConfig,
    drain_timeout: Duration,
}

impl std::fmt::Debug for InProcessServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessServer")
            .field("transport", &self.transport)
            .field("drain_timeout", &self.drain_timeout)
            .finish_non_exhaustive()
    }
}

impl InProcessServer {
    /// Loads config and opens state under `options.codex_home`, then starts the processor.
    pub async fn start(options: InProcessOptions) -> Result<Self, InProcessError> {
        let codex_home = absolute_codex_home(&options.codex_home)?;
        let mut serve_options =
            ServeOptions::new(ListenAddress::Off, codex_home.as_path().to_path_buf());
        serve_options.overrides = options.overrides;
        serve_options.drain_timeout = options.drain_timeout;
        serve_options.session_source = options.session_source;
        serve_options.strict_config = options.strict_config;
        let config = load_config(
            &serve_options.codex_home,
            &serve_options.overrides,
            serve_options.strict_config,
        )?;
        let state = StateDb::open_in(&serve_options.codex_home).await.map_err(ServeError::from)?;
        let (events, events_rx) = mpsc::channel(EVENT_CHANNEL_CAPACITY);
        let core =
            ServerCore::start(codex_home, config, state, &serve_options, events.clone(), events_rx)
                .await;
        Ok(Self {
            core,
            events,
            transport: options.transport,
            drain_timeout: options.drain_timeout,
        })
    }

    /// Opens a new, uninitialized connection.
    pub async fn connect(&self) -> Result<InProcessClient, InProcessError> {
        let connection = connect_in_process(&self.events, &self.transport).await?;
        Ok(InProcessClient::new(connection))
    }

    /// The processor's shared state (for tests and embedders that inspect the server).
    pub fn shared(&self) -> Arc<ServerShared> {
        self.core.shared()
    }

    /// Waits for running turns (up to the drain timeout), closes every connection, stops the
    /// processor and closes the state database; clients still held see their connection closed.
    pub async fn shutdown(self) {
        self.core.drain(self.drain_timeout).await;
        drop(self.events);
        self.core.close().await;
    }
}

/// A request the server sent to this client; answer it with [`InProcessClient::answer`].
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingServerRequest {
    /// The id to answer.
    pub id: RequestId,
    /// The typed request.
    pub request: ServerRequest,
}

/// Something the server sent that is not the answer to one of this client's requests.
// Events are moved straight to the consumer; boxing the notification would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// A notification.
    Notification(ServerNotification),
    /// A request expecting an answer (approvals).
    Request(IncomingServerRequest),
    /// A notification that did not parse as its typed form (a server/client version skew or a
    /// bug); passed on raw so a caller waiting for it (e.g. `turn/completed`) does not hang.
    UnreadableNotification {
        /// The notification's method.
        method: String,
        /// Its raw params.
        params: Option<serde_json::Value>,
        /// Why it did not parse.
        error: String,
    },
}

/// A typed client on an in-process connection.
#[derive(Debug)]
pub struct InProcessClient {
    connection: InProcessConnection,
    next_id: i64,
    pending: VecDeque<ServerEvent>,
}

impl InProcessClient {
    /// A typed client over an already opened in-process connection (e.g. to a test's fake server).
    pub fn new(connection: InProcessConnection) -> Self {
        Self { connection, next_id: 1, pending: VecDeque::new() }
    }

    /// Sends `initialize` (then the `initialized` notification) and returns the server's answer.
    pub async fn initialize(
        &mut self,
        client_info: ClientInfo,
        capabilities: Option<InitializeCapabilities>,
    ) -> Result<InitializeResponse, InProcessError> {
        let response = self
            .request::<markers::Initialize>(InitializeParams { capabilities, client_info })
            .await?;
        self.notify(ClientNotification::Initialized).await?;
        Ok(response)
    }

    /// Sends request `M` and waits for its typed response (or the JSON-RPC error).
    pub async fn request<M: ClientMethod>(
        &mut self,
        params: M::Params,
    ) -> Result<M::Response, InProcessError> {
        let params = serde_json::to_value(params).map_err(|source| {
            InProcessError::EncodeParams { method: M::METHOD.to_owned(), source }
        })?;
        let params = (!params.is_null()).then_some(params);
        let result = self.request_value(M::METHOD, params).await?;
        serde_json::from_value(result).map_err(|source| InProcessError::DecodeResponse {
            method: M::METHOD.to_owned(),
            source,
        })
    }

    /// Sends a request by method name with raw params and returns the raw `result`.
    pub async fn request_value(
        &mut self,
        method: &str,
        params: Option<Value>,
    ) -> Result<Value, InProcessError> {
        let id = RequestId::Integer(self.next_id);
        self.next_id += 1;
        self.connection.send(JsonRpcRequest::new(id.clone(), method, params).into()).await?;
        loop {
            let Some(message) = self.connection.recv().await else {
                return Err(InProcessError::Disconnected { method: method.to_owned() });
            };
            match message {
                JsonRpcMessage::Response(response) if response.id == id => {
                    return Ok(response.result);
                }
                JsonRpcMessage::Error(error) if error.id.as_ref() == Some(&id) => {
                    return Err(InProcessError::Rpc {
                        method: method.to_owned(),
                        error: error.error,
                    });
                }
                other => {
                    if let Some(event) = self.classify(other).await {
                        self.pending.push_back(event);
                    }
                }
            }
        }
    }

    /// Sends a client notification.
    pub async fn notify(&mut self, notification: ClientNotification) -> Result<(), InProcessError> {
        self.connection.send(notification.to_notification().into()).await?;
        Ok(())
    }

    /// The next notification or server request, in the order the server sent them; `None` once
    /// the server closed the connection. Cancel-safe.
    pub async fn next_event(&mut self) -> Option<ServerEvent> {
        if let Some(event) = self.pending.pop_front() {
            return Some(event);
        }
        loop {
            let message = self.connection.recv().await?;
            if let Some(event) = self.classify(message).await {
                return Some(event);
            }
        }
    }

    /// Answers a server request with its typed response.
    pub async fn answer(
        &mut self,
        id: RequestId,
        response: ServerRequestResponse,
    ) -> Result<(), InProcessError> {
        let message = JsonRpcResponse::new(id, response.to_value());
        self.connection.send(message.into()).await?;
        Ok(())
    }

    /// Answers a server request with a JSON-RPC error.
    pub async fn answer_error(
        &mut self,
        id: RequestId,
        code: i64,
        message: impl Into<String>,
    ) -> Result<(), InProcessError> {
        let error = JsonRpcError::new(Some(id), code, message);
        self.connection.send(error.into()).await?;
        Ok(())
    }

    /// Tells the server this client left.
    pub async fn close(mut self) {
        self.connection.close().await;
    }

    /// Turns a server message into an event. Responses to nobody's request are dropped; a server
    /// request this client cannot read is answered with an error so the server never waits.
    async fn classify(&mut self, message: JsonRpcMessage) -> Option<ServerEvent> {
        match message {
            JsonRpcMessage::Notification(notification) => {
                let raw_params = notification.params.clone();
                match ServerNotification::parse(&notification.method, notification.params) {
                    Ok(parsed) => Some(ServerEvent::Notification(parsed)),
                    Err(err) => {
                        tracing::warn!(
                            method = %notification.method,
                            "a notification this client cannot read: {err}"
                        );
                        Some(ServerEvent::UnreadableNotification {
                            method: notification.method,
                            params: raw_params,
                            error: err.to_string(),
                        })
                    }
                }
            }
            JsonRpcMessage::Request(request) => {
                match ServerRequest::parse(&request.method, request.params) {
                    Ok(parsed) => Some(ServerEvent::Request(IncomingServerRequest {
                        id: request.id,
                        request: parsed,
                    })),
                    Err(err) => {
                        let answer = self.answer_error(request.id, err.code(), err.to_string());
                        if let Err(err) = answer.await {
                            tracing::debug!("could not refuse an unreadable server request: {err}");
                        }
                        None
                    }
                }
            }
            JsonRpcMessage::Response(JsonRpcResponse { id, .. }) => {
                tracing::debug!(%id, "dropping a response to no pending request");
                None
            }
            JsonRpcMessage::Error(error) => {
                tracing::debug!(
                    code = error.error.code,
                    "dropping an error to no pending request: {}",
                    error.error.message
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use codex_app_server_protocol::v2::CommandExecutionApprovalDecision;
    use codex_app_server_protocol::v2::CommandExecutionRequestApprovalResponse;
    use codex_app_server_protocol::JsonRpcNotification;
    use serde_json::json;

    use super::*;

    /// A client on a bare channel, with the test playing the server.
    async fn client_and_server_end() -> (
        InProcessClient,
        mpsc::Receiver<TransportEvent>,
        codex_app_server_transport::ConnectionWriter,
    ) {
        let (events_tx, mut events) = mpsc::channel(16);
        let connection = connect_in_process(&events_tx, &TransportConfig::default()).await.unwrap();
        let Some(TransportEvent::ConnectionOpened { writer, .. }) = events.recv().await else {
            panic!("expected ConnectionOpened");
        };
        (InProcessClient::new(connection), events, writer)
    }

    async fn next_sent(events: &mut mpsc::Receiver<TransportEvent>) -> JsonRpcMessage {
        match events.recv().await {
            Some(TransportEvent::MessageReceived { message, .. }) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn events_arriving_before_a_response_are_kept_in_order_and_server_requests_answered() {
        let (mut client, mut events, writer) = client_and_server_end().await;
        let server = tokio::spawn(async move {
            let JsonRpcMessage::Request(request) = next_sent(&mut events).await else {
                panic!("expected a request");
            };
            assert_eq!(request.method, "thread/list");
            assert_eq!(request.params, Some(json!({})));
            // Before answering: a notification, an approval request and one this client cannot read.
            let note = JsonRpcNotification::new("warning", Some(json!({"message": "careful"})));
            writer.send(note.into()).await.unwrap();
            let approval = JsonRpcRequest::new(
                "s1",
                "item/commandExecution/requestApproval",
                Some(json!({"itemId": "i", "threadId": "t", "turnId": "u", "startedAtMs": 1})),
            );
            writer.send(approval.into()).await.unwrap();
            let unknown = JsonRpcRequest::new("s2", "item/tool/unknownRequest", Some(json!({})));
            writer.send(unknown.into()).await.unwrap();
            writer
                .send(JsonRpcResponse::new(request.id, json!({"data": []})).into())
                .await
                .unwrap();
            // The unreadable request was refused at once, while the client waited for its answer.
            let JsonRpcMessage::Error(refusal) = next_sent(&mut events).await else {
                panic!("expected an error answer");
            };
            assert_eq!(refusal.id, Some(RequestId::from("s2")));
            assert_eq!(
                refusal.error.code,
                codex_app_server_protocol::error_codes::METHOD_NOT_FOUND
            );
            // Then the approval answer the client sent after reading its event.
            let JsonRpcMessage::Response(answer) = next_sent(&mut events).await else {
                panic!("expected the approval answer");
            };
            assert_eq!(answer.id, RequestId::from("s1"));
            assert_eq!(answer.result, json!({"decision": "decline"}));
        });

        let listed = client
            .request::<markers::ThreadList>(serde_json::from_value(json!({})).unwrap())
            .await
            .unwrap();
        assert!(listed.data.is_empty());
        let Some(ServerEvent::Notification(ServerNotification::Warning(warning))) =
            client.next_event().await
        else {
            panic!("expected the warning first");
        };
        assert_eq!(warning.message, "careful");
        let Some(ServerEvent::Request(request)) = client.next_event().await else {
            panic!("expected the approval request");
        };
        assert_eq!(request.request.method(), "item/commandExecution/requestApproval");
        let response = ServerRequestResponse::CommandExecutionRequestApproval(
            CommandExecutionRequestApprovalResponse {
                decision: CommandExecutionApprovalDecision::Decline,
            },
        );
        client.answer(request.id, response).await.unwrap();
        server.await.unwrap();
    }

    #[tokio::test]
    async fn a_closed_server_ends_requests_with_disconnected() {
        let (mut client, events, writer) = client_and_server_end().await;
        drop(writer);
        drop(events);
        let err = client.request_value("thread/list", None).await.unwrap_err();
        assert!(matches!(err, InProcessError::Transport(TransportError::ServerGone)), "{err}");
    }
}
