//! [`MockProvider`]: a real HTTP server on `127.0.0.1:0` that answers model requests with queued
//! [`Script`]s (one per request, in push order) on `…/responses` and `…/chat/completions`, serves
//! `GET …/models`, and records every request and how its stream ended.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::render::{chat_frames, responses_frames, Frame, WireFormat};
use crate::script::{Ending, Reply, Script};

/// How long the `wait_for_*` helpers wait before panicking.
const WAIT_LIMIT: Duration = Duration::from_secs(20);

/// Pause before a scripted cut, so the frames before it reach the client.
const CUT_FLUSH_PAUSE: Duration = Duration::from_millis(50);

/// What became of the answer to a recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeOutcome {
    /// The answer is still being streamed.
    Streaming,
    /// The whole scripted answer was sent (including a scripted cut).
    Finished,
    /// The client went away before the scripted stream ended (always so for `and_hang`).
    ClientDisconnected,
    /// No script was queued; the mock answered 500.
    Unscripted,
}

/// One request the mock received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query, e.g. `/v1/responses`.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Headers with lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    /// The raw body.
    pub raw_body: String,
    /// Which wire API the path belongs to, if any.
    pub wire: Option<WireFormat>,
    /// What became of the answer, as of the snapshot.
    pub outcome: ServeOutcome,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.as_str())
    }

    /// The body's `model` field.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }
}

#[derive(Default)]
struct MockState {
    scripts: Mutex<VecDeque<Script>>,
    requests: Mutex<Vec<RecordedRequest>>,
    models: Mutex<Vec<String>>,
    models_failure: Mutex<Option<(u16, String)>>,
    changed: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MockState {
    fn set_outcome(&self, index: usize, outcome: ServeOutcome) {
        if let Some(request) = lock(&self.requests).get_mut(index) {
            request.outcome = outcome;
        }
        self.changed.notify_waiters();
    }
}

/// A scripted model provider over real HTTP. Stops when dropped.
pub struct MockProvider {
    state: Arc<MockState>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl std::fmt::Debug for MockProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockProvider").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl MockProvider {
    /// Starts the server on `127.0.0.1:0`; panics if it cannot bind (test helper).
    pub async fn start() -> Self {
        match Self::try_start().await {
            Ok(mock) => mock,
            Err(error) => panic!("MockProvider could not bind 127.0.0.1:0: {error}"),
        }
    }

    /// Starts the server on `127.0.0.1:0`.
    pub async fn try_start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(MockState::default());
        lock(&state.models).push("mock-model".to_string());
        let app = Router::new().fallback(handle).with_state(state.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!("MockProvider server stopped: {error}");
            }
        });
        Ok(Self { state, addr, server })
    }

    /// Starts a server with these scripts already queued.
    pub async fn with_scripts(scripts: impl IntoIterator<Item = Script>) -> Self {
        let mock = Self::start().await;
        for script in scripts {
            mock.push(script);
        }
        mock
    }

    /// Queues the answer to the next unanswered model request.
    pub fn push(&self, script: Script) -> &Self {
        lock(&self.state.scripts).push_back(script);
        self
    }

    /// The API root to configure as a provider's `base_url`: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// A `[model_providers.<id>]` TOML table pointing at this mock (no API key, no retries), for
    /// tests that write a `config.toml`.
    pub fn provider_toml(&self, id: &str, wire: WireFormat) -> String {
        let wire_api = match wire {
            WireFormat::Responses => "responses",
            WireFormat::Chat => "chat",
        };
        format!(
            "[model_providers.{id}]\nname = \"{id}\"\nbase_url = \"{}\"\nwire_api = \"{wire_api}\"\n\
             request_max_retries = 0\nstream_idle_timeout_ms = 30000\n",
            self.base_url()
        )
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the model ids served by `GET …/models` (default: `mock-model`).
    pub fn set_models(&self, ids: impl IntoIterator<Item = impl Into<String>>) {
        *lock(&self.state.models) = ids.into_iter().map(Into::into).collect();
    }

    /// Makes `GET …/models` answer with this status and body.
    pub fn fail_models(&self, status: u16, body: impl Into<String>) {
        *lock(&self.state.models_failure) = Some((status, body.into()));
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// Model requests only (`…/responses` and `…/chat/completions`).
    pub fn model_requests(&self) -> Vec<RecordedRequest> {
        self.requests().into_iter().filter(|request| request.wire.is_some()).collect()
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        lock(&self.state.requests).len()
    }

    /// How many queued scripts are still unused.
    pub fn remaining_scripts(&self) -> usize {
        lock(&self.state.scripts).len()
    }

    /// Waits until at least `count` requests arrived; panics after 20 s.
    pub async fn wait_for_requests(&self, count: usize) -> Vec<RecordedRequest> {
        self.wait_until(|requests| requests.len() >= count).await;
        self.requests()
    }

    /// Waits until request `index` has an outcome other than `Streaming`; panics after 20 s.
    pub async fn wait_for_outcome(&self, index: usize) -> ServeOutcome {
        self.wait_until(|requests| {
            requests.get(index).is_some_and(|request| request.outcome != ServeOutcome::Streaming)
        })
        .await;
        lock(&self.state.requests)
            .get(index)
            .map_or(ServeOutcome::Streaming, |request| request.outcome.clone())
    }

    async fn wait_until(&self, done: impl Fn(&[RecordedRequest]) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            let notified = self.state.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done(&lock(&self.state.requests)) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "MockProvider: condition not reached within {WAIT_LIMIT:?}; requests so far: {:#?}",
                    self.requests()
                );
            }
        }
    }
}

async fn handle(
    State(state): State<Arc<MockState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let wire = if method == Method::POST && path.ends_with("/responses") {
        Some(WireFormat::Responses)
    } else if method == Method::POST && path.ends_with("/chat/completions") {
        Some(WireFormat::Chat)
    } else {
        None
    };
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let recorded = RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_string),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned())
            })
            .collect(),
        body: serde_json::from_str(&raw_body).unwrap_or(Value::Null),
        raw_body,
        wire,
        outcome: ServeOutcome::Finished,
    };
    let model = recorded.model().unwrap_or("mock-model").to_string();
    let index = {
        let mut requests = lock(&state.requests);
        requests.push(recorded);
        requests.len() - 1
    };
    state.changed.notify_waiters();

    let Some(wire) = wire else {
        if method == Method::GET && path.ends_with("/models") {
            return models_response(&state);
        }
        return plain(404, format!("MockProvider: no route for {method} {path}"), &[]);
    };
    let Some(script) = lock(&state.scripts).pop_front() else {
        state.set_outcome(index, ServeOutcome::Unscripted);
        return plain(
            500,
            format!("MockProvider: no script queued for request #{index} ({method} {path})"),
            &[],
        );
    };
    let response_id = script.response_id.clone().unwrap_or_else(|| format!("resp_{index}"));
    match script.reply {
        Reply::Status { status, body, headers } => plain(status, body, &headers),
        Reply::RawSse(body) => sse_response(Body::from(body), &script.stream_headers),
        Reply::Stream { steps, ending } => {
            let frames = match wire {
                WireFormat::Responses => {
                    responses_frames(&steps, &ending, &response_id, &model, script.usage)
                }
                WireFormat::Chat => {
                    chat_frames(&steps, &ending, &response_id, &model, script.usage)
                }
            };
            state.set_outcome(index, ServeOutcome::Streaming);
            let player = Player {
                frames: frames.into_iter(),
                ending,
                event_delay: script.event_delay,
                sent_any: false,
                progress: Progress { state: state.clone(), index, body_ended: false },
            };
            let body = Body::from_stream(futures::stream::unfold(player, Player::next_chunk));
            sse_response(body, &script.stream_headers)
        }
    }
}

/// Records the outcome of a streamed answer when hyper drops its body: finished if the body
/// reached its scripted end, client-disconnected otherwise.
struct Progress {
    state: Arc<MockState>,
    index: usize,
    body_ended: bool,
}

impl Drop for Progress {
    fn drop(&mut self) {
        let outcome =
            if self.body_ended { ServeOutcome::Finished } else { ServeOutcome::ClientDisconnected };
        self.state.set_outcome(self.index, outcome);
    }
}

/// Plays rendered frames as an HTTP body, pacing them, then ends the way the script says.
struct Player {
    frames: std::vec::IntoIter<Frame>,
    ending: Ending,
    event_delay: Duration,
    sent_any: bool,
    progress: Progress,
}

impl Player {
    async fn next_chunk(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        loop {
            match self.frames.next() {
                Some(Frame::Pause(delay)) => tokio::time::sleep(delay).await,
                Some(Frame::Data(data)) => {
                    if self.sent_any && !self.event_delay.is_zero() {
                        tokio::time::sleep(self.event_delay).await;
                    }
                    self.sent_any = true;
                    return Some((Ok(Bytes::from(data)), self));
                }
                None => break,
            }
        }
        match std::mem::replace(&mut self.ending, Ending::Complete) {
            Ending::Hang => {
                // Never ends; hyper drops the body when the client goes away.
                futures::future::pending::<()>().await;
                None
            }
            Ending::Disconnect => {
                // Let hyper flush what was sent (it writes while the body is pending); cutting
                // at once could discard the buffered frames and even the response head.
                tokio::time::sleep(CUT_FLUSH_PAUSE).await;
                self.progress.body_ended = true;
                let cut =
                    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "scripted cut");
                // Ending becomes `Complete`, so the poll after this error ends the body.
                Some((Err(cut), self))
            }
            Ending::Complete | Ending::EndWithoutCompletion | Ending::Fail { .. } => {
                self.progress.body_ended = true;
                None
            }
        }
    }
}

fn sse_response(body: Body, extra_headers: &[(String, String)]) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("text/event-stream"));
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    for (name, value) in extra_headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
        {
            headers.insert(name, value);
        }
    }
    response
}

fn plain(status: u16, body: String, extra_headers: &[(String, String)]) -> Response {
    let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    for (name, value) in extra_headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
        {
            headers.insert(name, value);
        }
    }
    response
}

fn models_response(state: &MockState) -> Response {
    if let Some((status, body)) = lock(&state.models_failure).clone() {
        return plain(status, body, &[]);
    }
    let data: Vec<Value> = lock(&state.models)
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "mock"}))
        .collect();
    plain(200, json!({"object": "list", "data": data}).to_string(), &[])
}
