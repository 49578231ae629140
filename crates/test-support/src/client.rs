//! [`TestClient`]: a JSON-RPC client for integration tests, over a real websocket (TCP or the
//! Unix control socket).
//!
//! Every message the server sends is checked against the reference protocol schema
//! ([`ReferenceSchema`]) as it arrives, so any test that talks to the server also proves its
//! traffic is wire-compatible; a message that does not validate fails the test at once.
//! Notifications and server requests that arrive while waiting for a response are buffered.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use codex_app_server_transport::connect_control_socket_websocket;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::json;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::reference_schema::ReferenceSchema;

/// How long a test waits for any one message before failing.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// A websocket message stream and sink; TCP and Unix websockets both are one.
trait WebsocketChannel:
    futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
    + futures::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
    + Send
{
}

impl<T> WebsocketChannel for T where
    T: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
        + Send
{
}

/// The boxed channel a [`TestClient`] talks over.
type Socket = std::pin::Pin<Box<dyn WebsocketChannel>>;

/// The outcome of a request: its `result`, or its `error` object.
pub type RequestOutcome = Result<Value, Value>;

/// A JSON-RPC test client that validates everything the server sends.
pub struct TestClient {
    socket: Socket,
    next_id: i64,
    methods: HashMap<String, String>,
    responses: HashMap<String, RequestOutcome>,
    inbox: VecDeque<Value>,
    validate: bool,
    /// How many server messages were validated against the reference schema.
    pub validated: usize,
    /// The "kernel cannot enforce the sandbox" `configWarning`s, kept out of the inbox.
    pub sandbox_warnings: Vec<Value>,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient")
            .field("next_id", &self.next_id)
            .field("validated", &self.validated)
            .finish()
    }
}

/// The summary the server gives the `configWarning` it sends each new connection when the
/// kernel cannot enforce the sandbox (no Landlock or no seccomp).
pub const SANDBOX_UNAVAILABLE_SUMMARY: &str = "The kernel cannot enforce the command sandbox";

/// Whether `message` is that warning. Tests that check exact message sequences skip it, so the
/// suite passes on kernels without Landlock as well as with it.
pub fn is_sandbox_unavailable_warning(message: &Value) -> bool {
    message["method"] == "configWarning"
        && message["params"]["summary"]
            .as_str()
            .is_some_and(|summary| summary.starts_with(SANDBOX_UNAVAILABLE_SUMMARY))
}

fn id_key(id: &Value) -> String {
    id.to_string()
}

impl TestClient {
    /// Connects to `ws://ADDR/` (a TCP websocket listener).
    pub async fn connect_ws(address: &str) -> Result<Self, String> {
        let url = format!("ws://{address}/");
        let (socket, _) = tokio_tungstenite::connect_async(&url)
            .await
            .map_err(|err| format!("connecting {url}: {err}"))?;
        Ok(Self::new(Box::pin(socket)))
    }

    /// Connects to a Unix control socket at `path`.
    pub async fn connect_unix(path: &Path) -> Result<Self, String> {
        let socket = connect_control_socket_websocket(path, 64 * 1024 * 1024)
            .await
            .map_err(|err| format!("connecting {}: {err}", path.display()))?;
        Ok(Self::new(Box::pin(socket)))
    }

    fn new(socket: Socket) -> Self {
        Self {
            socket,
            next_id: 0,
            methods: HashMap::new(),
            responses: HashMap::new(),
            inbox: VecDeque::new(),
            validate: true,
            validated: 0,
            sandbox_warnings: Vec::new(),
        }
    }

    /// Turns schema validation off (for tests that deliberately provoke odd traffic).
    pub fn without_validation(mut self) -> Self {
        self.validate = false;
        self
    }

    /// Sends raw text as one frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), String> {
        self.socket.send(Message::text(text)).await.map_err(|err| format!("send failed: {err}"))
    }

    /// Sends a JSON value as one frame.
    pub async fn send_json(&mut self, value: &Value) -> Result<(), String> {
        self.send_text(&value.to_string()).await
    }

    /// Sends a request with a fresh integer id and returns the id.
    pub async fn send_request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send_request_with_id(id.clone(), method, params).await?;
        Ok(id)
    }

    /// Sends a request with the given id (any JSON-RPC id, for collision tests).
    pub async fn send_request_with_id(
        &mut self,
        id: Value,
        method: &str,
        params: Value,
    ) -> Result<(), String> {
        self.methods.insert(id_key(&id), method.to_owned());
        self.send_json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await
    }

    /// Sends a request carrying a W3C `trace` context (`{"traceparent": …, "tracestate": …}`).
    pub async fn send_request_with_trace(
        &mut self,
        id: Value,
        method: &str,
        params: Value,
        trace: Value,
    ) -> Result<(), String> {
        self.methods.insert(id_key(&id), method.to_owned());
        self.send_json(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params, "trace": trace}),
        )
        .await
    }

    /// Sends a request and waits for its response.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<RequestOutcome, String> {
        let id = self.send_request(method, params).await?;
        self.response(&id).await
    }

    /// Sends a request and returns its result, failing on an error response.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.request(method, params).await?.map_err(|error| format!("{method} failed: {error}"))
    }

    /// `initialize` + `initialized`, with `experimentalApi` as given.
    pub async fn initialize(
        &mut self,
        name: &str,
        experimental_api: bool,
    ) -> Result<Value, String> {
        let result = self
            .call(
                "initialize",
                json!({"clientInfo": {"name": name, "version": "1.0"}, "capabilities": {"experimentalApi": experimental_api}}),
            )
            .await?;
        self.send_json(&json!({"jsonrpc": "2.0", "method": "initialized"})).await?;
        Ok(result)
    }

    /// Sends a notification.
    pub async fn notify(&mut self, method: &str, params: Value) -> Result<(), String> {
        self.send_json(&json!({"jsonrpc": "2.0", "method": method, "params": params})).await
    }

    /// Answers a server request.
    pub async fn respond(&mut self, id: &Value, result: Value) -> Result<(), String> {
        self.send_json(&json!({"jsonrpc": "2.0", "id": id, "result": result})).await
    }

    /// Waits for the response to request `id`.
    pub async fn response(&mut self, id: &Value) -> Result<RequestOutcome, String> {
        let key = id_key(id);
        loop {
            if let Some(outcome) = self.responses.remove(&key) {
                return Ok(outcome);
            }
            self.read_one(DEFAULT_WAIT).await?;
        }
    }

    /// Waits for the next notification or server request (buffered ones first).
    pub async fn next_message(&mut self, wait: Duration) -> Result<Value, String> {
        loop {
            if let Some(message) = self.inbox.pop_front() {
                return Ok(message);
            }
            self.read_one(wait).await?;
        }
    }

    /// Waits for a notification with `method`, skipping (and keeping) others; returns its params.
    pub async fn wait_for_notification(&mut self, method: &str) -> Result<Value, String> {
        loop {
            if let Some(index) =
                self.inbox.iter().position(|m| m["method"] == method && m.get("id").is_none())
            {
                let message = self.inbox.remove(index).unwrap_or(Value::Null);
                return Ok(message.get("params").cloned().unwrap_or(Value::Null));
            }
            self.read_one(DEFAULT_WAIT)
                .await
                .map_err(|err| format!("waiting for {method}: {err}"))?;
        }
    }

    /// Waits for a server request with `method`; returns the whole request (with its `id`).
    pub async fn wait_for_server_request(&mut self, method: &str) -> Result<Value, String> {
        loop {
            if let Some(index) =
                self.inbox.iter().position(|m| m["method"] == method && m.get("id").is_some())
            {
                return Ok(self.inbox.remove(index).unwrap_or(Value::Null));
            }
            self.read_one(DEFAULT_WAIT)
                .await
                .map_err(|err| format!("waiting for request {method}: {err}"))?;
        }
    }

    /// Every buffered notification and server request, in arrival order (draining the buffer).
    pub fn take_inbox(&mut self) -> Vec<Value> {
        self.inbox.drain(..).collect()
    }

    /// Whether nothing arrives within `wait` (buffered messages count as arrivals; the
    /// kernel-cannot-sandbox warning does not).
    pub async fn is_quiet_for(&mut self, wait: Duration) -> bool {
        if !self.inbox.is_empty() {
            return false;
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let arrived = self.read_one(left).await.is_ok();
            if !self.inbox.is_empty() || !self.responses.is_empty() {
                return false;
            }
            if !arrived {
                return true;
            }
        }
    }

    /// Waits until the server closes the connection; true when it did within `wait`.
    pub async fn wait_closed(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Closes the websocket normally.
    pub async fn close(mut self) {
        let _ = self.socket.send(Message::Close(None)).await;
    }

    async fn read_one(&mut self, wait: Duration) -> Result<(), String> {
        loop {
            let frame = tokio::time::timeout(wait, self.socket.next())
                .await
                .map_err(|_| format!("no message from the server within {wait:?}"))?;
            let text = match frame {
                None => return Err("the server closed the connection".to_owned()),
                Some(Err(err)) => return Err(format!("websocket error: {err}")),
                Some(Ok(Message::Text(text))) => text.to_string(),
                Some(Ok(Message::Close(frame))) => {
                    return Err(format!("the server closed the connection: {frame:?}"))
                }
                Some(Ok(Message::Binary(_))) => {
                    return Err("the server sent a binary frame".to_owned())
                }
                Some(Ok(_)) => continue,
            };
            let message: Value = serde_json::from_str(&text)
                .map_err(|err| format!("server sent invalid JSON ({err}): {text}"))?;
            self.accept(message)?;
            return Ok(());
        }
    }

    fn accept(&mut self, message: Value) -> Result<(), String> {
        let is_response = message.get("method").is_none();
        let request_method = if is_response {
            message.get("id").and_then(|id| self.methods.get(&id_key(id))).cloned()
        } else {
            None
        };
        if self.validate {
            ReferenceSchema::get()
                .validate_server_message(&message, request_method.as_deref())
                .map_err(|err| {
                    format!("server message is not wire-compatible with the reference: {err}")
                })?;
            self.validated += 1;
        }
        if is_sandbox_unavailable_warning(&message) {
            self.sandbox_warnings.push(message);
            return Ok(());
        }
        if is_response {
            let id = message.get("id").cloned().unwrap_or(Value::Null);
            let outcome = match message.get("error") {
                Some(error) => Err(error.clone()),
                None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
            };
            self.responses.insert(id_key(&id), outcome);
        } else {
            self.inbox.push_back(message);
        }
        Ok(())
    }
}
