//! The message processor: consumes the transport's events and answers every message.
//!
//! One event loop owns the table of connections. It never waits on a client: a request is handed
//! to its connection's bounded inbound queue with `try_send`, and when that queue is full the
//! request is answered at once with "server overloaded" (`-32001`). Each connection's requests are
//! handled in order by that connection's own task, so a slow request on one connection never
//! stalls another, and outbound writes happen on the transport's writer tasks, so a full outbound
//! queue can never stall reading. Responses to server requests bypass the queues and are matched
//! to their pending request directly.
//!
//! A handler whose answer comes after long work (a running process) calls
//! [`RequestContext::defer`] and answers later through the returned [`DeferredResponse`] from a
//! task of its own; its connection's queue moves on at once. Right after a successful
//! `initialize` response, [`RequestHandler::connection_initialized`] runs (per-connection warnings).

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_agent::engine::request::TurnOrigin;
use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::SessionSource;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ClientNotification;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::InitializeParams;
use codex_app_server_protocol::InitializeResponse;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::JsonRpcNotification;
use codex_app_server_protocol::JsonRpcRequest;
use codex_app_server_protocol::RequestId;
use codex_app_server_transport::ConnectionId;
use codex_app_server_transport::TransportEvent;
use codex_app_server_transport::TransportKind;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::sync::watch;
use tracing::Instrument as _;

use crate::outbound::ConnectionHandle;
use crate::outbound::OutboundRouter;
use crate::server_requests::PendingServerRequests;
use crate::server_requests::Resolution;
use crate::session::ClientIdentity;
use crate::session::NegotiatedSession;
use crate::session::SessionState;
use crate::subscriptions::Subscriptions;
use crate::telemetry;

/// Default capacity of each connection's inbound request queue.
pub const DEFAULT_INBOUND_QUEUE_CAPACITY: usize = 256;
/// Default time a graceful shutdown waits for running turns.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of the processor.
#[derive(Debug, Clone)]
pub struct ProcessorOptions {
    /// `$CODEX_HOME` (absolute), reported by `initialize`.
    pub codex_home: AbsolutePath,
    /// Capacity of each connection's inbound request queue.
    pub inbound_queue_capacity: usize,
    /// How long a graceful shutdown waits for running turns.
    pub drain_timeout: Duration,
    /// Whether the process was launched with `--remote-control` (remote control starts at launch).
    pub remote_control: bool,
    /// The source recorded on threads this server creates (`vscode`, as the reference's
    /// app-server records them; `exec` for `codex exec`).
    pub session_source: SessionSource,
}

impl ProcessorOptions {
    /// Defaults for a server whose state lives in `codex_home`.
    pub fn new(codex_home: AbsolutePath) -> Self {
        Self {
            codex_home,
            inbound_queue_capacity: DEFAULT_INBOUND_QUEUE_CAPACITY,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            remote_control: false,
            session_source: SessionSource::Vscode,
        }
    }
}

/// The origin (`originator`, `User-Agent`) of model requests made for `connection`'s client,
/// as it named itself at `initialize`.
pub fn turn_origin(shared: &ServerShared, connection: ConnectionId) -> TurnOrigin {
    let client = shared.router.handle(connection).and_then(|handle| {
        let session = handle.session.lock().ok()?;
        session.negotiated().map(|negotiated| negotiated.client.clone())
    });
    TurnOrigin::for_client(client.as_ref().map(|c| (c.name.as_str(), c.version.as_str())))
}

/// Everything request handlers share.
#[derive(Debug)]
pub struct ServerShared {
    /// Settings.
    pub options: ProcessorOptions,
    /// Outbound routing.
    pub router: OutboundRouter,
    /// Thread subscriptions.
    pub subscriptions: Mutex<Subscriptions>,
    /// Outstanding server requests.
    pub server_requests: PendingServerRequests,
    /// The agent's questions (approvals) waiting for an answer.
    pub questions: crate::questions::Questions,
    /// Number of turns running now (graceful shutdown waits for zero).
    pub running_turns: watch::Sender<usize>,
    /// Serving, or draining before shutdown (new threads and turns are refused then).
    pub lifecycle: watch::Sender<ServerLifecycle>,
}

/// Where the server stands between start and shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerLifecycle {
    /// Accepting work.
    Serving,
    /// Shutting down: running turns finish, new threads and turns are refused.
    Draining,
}

/// Methods refused while the server drains: they would start work the drain does not wait for.
const REFUSED_WHILE_DRAINING: &[&str] =
    &["thread/start", "turn/start", "thread/compact/start", "thread/shellCommand", "review/start"];

/// The context of one request being handled.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The connection that sent it.
    pub connection: ConnectionId,
    /// Its id.
    pub id: RequestId,
    /// The transport it came on.
    pub transport: TransportKind,
    /// Lets the handler answer later (see [`RequestContext::defer`]).
    pub deferral: Deferral,
}

impl RequestContext {
    /// Takes over answering this request: whatever `handle` returns is then discarded and the
    /// response is sent through the returned [`DeferredResponse`] instead, from any task. Use
    /// it for requests whose answer comes after long work (a running process), so the
    /// connection's request queue moves on while the work runs.
    pub fn defer(&self) -> DeferredResponse {
        self.deferral.deferred.store(true, std::sync::atomic::Ordering::Release);
        DeferredResponse {
            connection: self.connection,
            id: Some(self.id.clone()),
            handle: self.deferral.handle.clone(),
        }
    }
}

/// Whether a request's handler took over answering it; created by the processor.
#[derive(Debug, Clone)]
pub struct Deferral {
    deferred: Arc<std::sync::atomic::AtomicBool>,
    handle: ConnectionHandle,
}

impl Deferral {
    /// A fresh, not-yet-deferred state for a request arriving on `handle`.
    pub fn new(handle: ConnectionHandle) -> Self {
        Self { deferred: Arc::new(std::sync::atomic::AtomicBool::new(false)), handle }
    }

    fn is_deferred(&self) -> bool {
        self.deferred.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// The pending answer of a deferred request. Dropping it unanswered sends an internal error,
/// so a client never waits forever.
#[derive(Debug)]
pub struct DeferredResponse {
    connection: ConnectionId,
    id: Option<RequestId>,
    handle: ConnectionHandle,
}

impl DeferredResponse {
    /// The id of the request being answered.
    pub fn id(&self) -> Option<&RequestId> {
        self.id.as_ref()
    }

    /// Sends the response (or error) with the connection's back-pressure policy. It still
    /// reaches a client whose connection was already unregistered while its writer lives.
    pub async fn respond(mut self, result: HandlerResult) {
        let Some(id) = self.id.take() else { return };
        let message = response_message(id, result);
        if let Err(err) =
            OutboundRouter::send_with_policy(self.connection, &self.handle, message).await
        {
            tracing::debug!(connection = %self.connection, "deferred response not delivered: {err}");
        }
    }
}

impl Drop for DeferredResponse {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let error = JsonRpcError::new(
                Some(id),
                error_codes::INTERNAL_ERROR,
                "the server abandoned this request before answering it",
            );
            let _ = self.handle.writer.try_send(JsonRpcMessage::Error(error));
        }
    }
}

fn response_message(id: RequestId, result: HandlerResult) -> JsonRpcMessage {
    match result {
        Ok(result) => {
            JsonRpcMessage::Response(codex_app_server_protocol::JsonRpcResponse::new(id, result))
        }
        Err(error) => JsonRpcMessage::Error(error),
    }
}

/// The result a handler returns: the response's `result`, or an error response.
pub type HandlerResult = Result<Value, JsonRpcError>;

/// The part of the server that answers typed requests after the session checks.
pub trait RequestHandler: Send + Sync + 'static {
    /// Handles one initialized, permitted request.
    fn handle(
        &self,
        shared: Arc<ServerShared>,
        context: RequestContext,
        request: ClientRequest,
    ) -> impl std::future::Future<Output = HandlerResult> + Send;

    /// Called on a connection's task right after its successful `initialize` response was
    /// sent (e.g. to send per-connection warnings). Does nothing by default.
    fn connection_initialized(
        &self,
        _shared: Arc<ServerShared>,
        _connection: ConnectionId,
    ) -> impl std::future::Future<Output = ()> + Send {
        async {}
    }

    /// Called once a connection closed and was removed from every subscription.
    fn connection_closed(
        &self,
        shared: Arc<ServerShared>,
        connection: ConnectionId,
        emptied_threads: Vec<(String, u64)>,
    ) -> impl std::future::Future<Output = ()> + Send;
}

/// Builds the error response for a method we know but do not serve.
pub fn method_not_implemented(id: RequestId, method: &str) -> JsonRpcError {
    JsonRpcError::new(
        Some(id),
        error_codes::METHOD_NOT_FOUND,
        format!("Method not implemented by this server: {method}"),
    )
}

impl ServerShared {
    /// The connections subscribed to `thread_id` now.
    pub fn subscribers(&self, thread_id: &str) -> Vec<ConnectionId> {
        self.subscriptions
            .lock()
            .map(|subscriptions| subscriptions.subscribers(thread_id))
            .unwrap_or_default()
    }
}

/// The message processor.
pub struct MessageProcessor<H> {
    shared: Arc<ServerShared>,
    handler: Arc<H>,
}

impl<H: RequestHandler> MessageProcessor<H> {
    /// A processor with `options`, answering typed requests with `handler`.
    pub fn new(options: ProcessorOptions, handler: H) -> Self {
        let (running_turns, _) = watch::channel(0);
        let shared = Arc::new(ServerShared {
            options,
            router: OutboundRouter::default(),
            subscriptions: Mutex::new(Subscriptions::default()),
            server_requests: PendingServerRequests::default(),
            questions: crate::questions::Questions::default(),
            running_turns,
            lifecycle: watch::channel(ServerLifecycle::Serving).0,
        });
        Self { shared, handler: Arc::new(handler) }
    }

    /// The state shared with handlers.
    pub fn shared(&self) -> Arc<ServerShared> {
        Arc::clone(&self.shared)
    }

    /// Runs until the transport's event stream ends or `stop_accepting` is cancelled and every
    /// connection has closed.
    pub async fn run(&self, events: mpsc::Receiver<TransportEvent>) {
        self.run_until(events, tokio_util::sync::CancellationToken::new()).await;
    }

    /// Like [`MessageProcessor::run`], but also returns once `stop` fires, after handling the
    /// events already queued (so connections closed just before are cleaned up). A server whose
    /// event senders outlive it (an in-process client still held) stops this way.
    pub async fn run_until(
        &self,
        mut events: mpsc::Receiver<TransportEvent>,
        stop: tokio_util::sync::CancellationToken,
    ) {
        let mut inbound: HashMap<ConnectionId, mpsc::Sender<InboundWork>> = HashMap::new();
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                () = stop.cancelled() => events.try_recv().ok(),
            };
            let Some(event) = event else { break };
            match event {
                TransportEvent::ConnectionOpened { connection_id, transport, writer, cancel } => {
                    let session = Arc::new(Mutex::new(SessionState::default()));
                    let handle = ConnectionHandle { transport, writer, cancel, session };
                    self.shared.router.register(connection_id, handle.clone());
                    let (sender, receiver) =
                        mpsc::channel(self.shared.options.inbound_queue_capacity.max(1));
                    inbound.insert(connection_id, sender);
                    let shared = Arc::clone(&self.shared);
                    let handler = Arc::clone(&self.handler);
                    tokio::spawn(connection_task(shared, handler, connection_id, handle, receiver));
                    tracing::debug!(connection = %connection_id, ?transport, "connection opened");
                }
                TransportEvent::MessageReceived { connection_id, message } => {
                    self.route_inbound(&inbound, connection_id, message).await;
                }
                TransportEvent::ConnectionClosed { connection_id } => {
                    inbound.remove(&connection_id);
                    self.shared.router.unregister(connection_id);
                    let emptied = self
                        .shared
                        .subscriptions
                        .lock()
                        .map(|mut subscriptions| subscriptions.remove_connection(connection_id))
                        .unwrap_or_default();
                    tracing::debug!(connection = %connection_id, "connection closed");
                    let shared = Arc::clone(&self.shared);
                    let handler = Arc::clone(&self.handler);
                    tokio::spawn(async move {
                        handler.connection_closed(shared, connection_id, emptied).await
                    });
                }
            }
        }
    }

    /// Hands one message to its connection. Never waits on a socket client; for stdio (a single
    /// local client that must lose nothing) an overload error waits for room in the outbound
    /// queue, which stops reading stdin until the client catches up.
    async fn route_inbound(
        &self,
        inbound: &HashMap<ConnectionId, mpsc::Sender<InboundWork>>,
        connection: ConnectionId,
        message: JsonRpcMessage,
    ) {
        match message {
            JsonRpcMessage::Request(request) => {
                let Some(queue) = inbound.get(&connection) else {
                    tracing::debug!(%connection, "request from a connection that no longer exists");
                    return;
                };
                let id = request.id.clone();
                if let Err(mpsc::error::TrySendError::Full(_)) =
                    queue.try_send(InboundWork::Request(request))
                {
                    tracing::debug!(%connection, %id, "inbound queue full: answering server overloaded");
                    let error = JsonRpcError::new(
                        Some(id),
                        error_codes::SERVER_OVERLOADED,
                        "Server overloaded: too many requests in flight on this connection; retry later",
                    );
                    let message = JsonRpcMessage::Error(error);
                    let sent = match self.shared.router.handle(connection) {
                        Some(handle) if handle.transport.waits_for_room() => {
                            OutboundRouter::send_with_policy(connection, &handle, message).await
                        }
                        _ => self.shared.router.send_now(connection, message),
                    };
                    if let Err(err) = sent {
                        tracing::debug!(%connection, "overload error not delivered: {err}");
                    }
                }
            }
            JsonRpcMessage::Notification(notification) => {
                if let Some(queue) = inbound.get(&connection) {
                    if queue.try_send(InboundWork::Notification(notification)).is_err() {
                        tracing::debug!(%connection, "dropping client notification: inbound queue full");
                    }
                }
            }
            JsonRpcMessage::Response(response) => {
                self.resolve_server_request(connection, &response.id, Ok(response.result));
            }
            JsonRpcMessage::Error(error) => match &error.id {
                Some(id) => self.resolve_server_request(connection, id, Err(error.error.clone())),
                None => {
                    tracing::debug!(%connection, message = %error.error.message, "client sent an error without id")
                }
            },
        }
    }

    fn resolve_server_request(
        &self,
        connection: ConnectionId,
        id: &RequestId,
        result: Result<Value, codex_app_server_protocol::JsonRpcErrorObject>,
    ) {
        let answered_with_result = result.is_ok();
        let refusal = match self.shared.server_requests.resolve(connection, id, result) {
            Resolution::Accepted(_) => return,
            Resolution::Refused(reason) => reason,
            // Stray responses, and errors answering finished requests, are dropped (no error
            // ping-pong with a confused client).
            Resolution::Unknown => return,
            Resolution::AlreadyResolved if !answered_with_result => return,
            Resolution::AlreadyResolved => format!(
                "server request {id} is no longer pending: it was already answered (possibly by \
                 another client) or cancelled"
            ),
        };
        let error = JsonRpcError::new(Some(id.clone()), error_codes::INVALID_PARAMS, refusal);
        if let Err(err) = self.shared.router.send_now(connection, JsonRpcMessage::Error(error)) {
            tracing::debug!(%connection, "server-request refusal not delivered: {err}");
        }
    }
}

/// Work queued for one connection's task.
#[derive(Debug)]
enum InboundWork {
    Request(JsonRpcRequest),
    Notification(JsonRpcNotification),
}

async fn connection_task<H: RequestHandler>(
    shared: Arc<ServerShared>,
    handler: Arc<H>,
    connection: ConnectionId,
    handle: ConnectionHandle,
    mut receiver: mpsc::Receiver<InboundWork>,
) {
    loop {
        let work = tokio::select! {
            work = receiver.recv() => work,
            () = handle.cancel.cancelled() => None,
        };
        let Some(work) = work else { break };
        // Boxed: a handler's future is large (about 11 kB for the real handler) and would
        // otherwise sit inline in every connection's task, idle or not.
        Box::pin(handle_work(&shared, handler.as_ref(), connection, &handle, work)).await;
    }
}

/// Handles one request or notification of a connection, in its arrival order.
async fn handle_work<H: RequestHandler>(
    shared: &Arc<ServerShared>,
    handler: &H,
    connection: ConnectionId,
    handle: &ConnectionHandle,
    work: InboundWork,
) {
    match work {
        InboundWork::Request(request) => {
            let span = request_span(handle, connection, &request);
            let deferral = Deferral::new(handle.clone());
            let is_initialize = request.method == "initialize";
            let outcome = handle_request(
                shared,
                handler,
                connection,
                handle,
                request.clone(),
                deferral.clone(),
            )
            .instrument(span)
            .await;
            if deferral.is_deferred() {
                // The handler answers through its `DeferredResponse`.
                return;
            }
            let initialized = is_initialize && outcome.is_ok();
            let message = response_message(request.id, outcome);
            if let Err(err) = OutboundRouter::send_with_policy(connection, handle, message).await {
                tracing::debug!(%connection, "response not delivered: {err}");
            }
            if initialized {
                handler.connection_initialized(Arc::clone(shared), connection).await;
            }
        }
        InboundWork::Notification(notification) => {
            match ClientNotification::parse(&notification.method, notification.params) {
                Ok(parsed) => {
                    tracing::debug!(%connection, method = parsed.method(), "client notification")
                }
                Err(err) => tracing::debug!(%connection, "ignoring client notification: {err}"),
            }
        }
    }
}

/// The span of one inbound request: named after its method (`otel.name`), carrying the
/// transport, request id, connection id and (once initialized) the client's name and version,
/// and parented to the request's W3C `trace` context (else `TRACEPARENT`).
fn request_span(
    handle: &ConnectionHandle,
    connection: ConnectionId,
    request: &JsonRpcRequest,
) -> tracing::Span {
    let client = handle.session.lock().ok().and_then(|session| {
        session.negotiated().map(|s| (s.client.name.clone(), s.client.version.clone()))
    });
    // Attribute names and values as the reference's `app_server.request` span has them, so
    // dashboards built for it work; `turn.id` is recorded by `turn/start` once the turn exists.
    let transport = match handle.transport {
        TransportKind::Stdio => "stdio",
        TransportKind::UnixSocket => "unix_socket",
        TransportKind::Websocket => "websocket",
        TransportKind::RemoteControl => "remote_control",
        TransportKind::InProcess => "in-process",
    };
    let span = tracing::info_span!(
        "app_server.request",
        otel.name = %request.method,
        otel.kind = "server",
        rpc.system = "jsonrpc",
        rpc.method = %request.method,
        rpc.transport = transport,
        rpc.request_id = %request.id,
        app_server.connection_id = %connection,
        app_server.api_version = "v2",
        app_server.client_name = tracing::field::Empty,
        app_server.client_version = tracing::field::Empty,
        turn.id = tracing::field::Empty,
    );
    if let Some((name, version)) = client {
        span.record("app_server.client_name", name.as_str());
        span.record("app_server.client_version", version.as_str());
    }
    telemetry::set_remote_parent(&span, request.trace.as_ref());
    span
}

async fn handle_request<H: RequestHandler>(
    shared: &Arc<ServerShared>,
    handler: &H,
    connection: ConnectionId,
    handle: &ConnectionHandle,
    request: JsonRpcRequest,
    deferral: Deferral,
) -> HandlerResult {
    let id = request.id.clone();
    let parsed =
        ClientRequest::from_request(&request).map_err(|err| err.to_error_response(id.clone()));
    let state = handle.session.lock().map(|state| state.clone()).unwrap_or_default();
    match (&state, parsed) {
        (SessionState::Uninitialized, Ok(parsed @ ClientRequest::Initialize(_))) => {
            if let Some(reason) = parsed.experimental_reason() {
                return Err(experimental_required_error(id, parsed.method(), reason));
            }
            match parsed {
                ClientRequest::Initialize(params) => Ok(initialize(shared, handle, params)),
                other => Err(SessionState::not_initialized_error(id, other.method())),
            }
        }
        (SessionState::Initialized(_), Ok(ClientRequest::Initialize(_))) => {
            Err(SessionState::already_initialized_error(id))
        }
        (SessionState::Uninitialized, Err(error)) if request.method == "initialize" => Err(error),
        (SessionState::Uninitialized, _) => {
            Err(SessionState::not_initialized_error(id, &request.method))
        }
        (SessionState::Initialized(_), Err(error)) => Err(error),
        (SessionState::Initialized(session), Ok(parsed)) => {
            if let Some(reason) = parsed.experimental_reason() {
                if !session.experimental_api {
                    return Err(experimental_required_error(id, parsed.method(), reason));
                }
            }
            if *shared.lifecycle.borrow() == ServerLifecycle::Draining
                && REFUSED_WHILE_DRAINING.contains(&parsed.method())
            {
                return Err(JsonRpcError::new(
                    Some(id),
                    error_codes::INVALID_REQUEST,
                    format!(
                        "{} refused: the server is shutting down (waiting for running turns to \
                         finish); retry once a new server is up",
                        parsed.method()
                    ),
                ));
            }
            let context = RequestContext { connection, id, transport: handle.transport, deferral };
            handler.handle(Arc::clone(shared), context, parsed).await
        }
    }
}

/// The error for an experimental method or field on a connection that did not opt in; it names
/// the method (and the field, when a field is the reason).
fn experimental_required_error(id: RequestId, method: &str, reason: &str) -> JsonRpcError {
    let what = if reason == method { method.to_owned() } else { format!("{method}.{reason}") };
    JsonRpcError::new(
        Some(id),
        error_codes::EXPERIMENTAL_API_REQUIRED,
        format!(
            "{what} requires experimentalApi capability (set capabilities.experimentalApi in \
             initialize on this connection)"
        ),
    )
}

fn initialize(shared: &ServerShared, handle: &ConnectionHandle, params: InitializeParams) -> Value {
    let (experimental_api, opted_out) = match params.capabilities {
        Some(capabilities) => (
            capabilities.experimental_api.unwrap_or(false),
            capabilities.opt_out_notification_methods.unwrap_or_default(),
        ),
        None => (false, Vec::new()),
    };
    let negotiated = NegotiatedSession {
        client: ClientIdentity {
            name: params.client_info.name,
            version: params.client_info.version,
        },
        experimental_api,
        opted_out_notifications: opted_out.into_iter().collect::<HashSet<_>>(),
    };
    let (negotiated_name, negotiated_version) =
        (negotiated.client.name.clone(), negotiated.client.version.clone());
    // The request span was opened before the client was known; name it now.
    let span = tracing::Span::current();
    span.record("app_server.client_name", negotiated.client.name.as_str());
    span.record("app_server.client_version", negotiated.client.version.as_str());
    if let Ok(mut state) = handle.session.lock() {
        *state = SessionState::Initialized(negotiated);
    }
    let client = (negotiated_name.as_str(), negotiated_version.as_str());
    let response = InitializeResponse {
        user_agent: TurnOrigin::for_client(Some(client)).user_agent,
        codex_home: shared.options.codex_home.clone(),
        platform_family: if cfg!(windows) { "windows" } else { "unix" }.to_owned(),
        platform_os: std::env::consts::OS.to_owned(),
    };
    serde_json::to_value(response).unwrap_or(Value::Null)
}

/// Waits until no turn runs, or `timeout` passes; returns whether it drained fully.
pub async fn wait_for_idle(shared: &ServerShared, timeout: Duration) -> bool {
    let mut running = shared.running_turns.subscribe();
    tokio::time::timeout(timeout, async {
        loop {
            if *running.borrow_and_update() == 0 {
                return;
            }
            if running.changed().await.is_err() {
                return;
            }
        }
    })
    .await
    .is_ok()
}

/// Closes every connection (the transports send a normal close).
pub fn close_all_connections(shared: &ServerShared) {
    for connection in shared.router.connection_ids() {
        if let Some(handle) = shared.router.handle(connection) {
            handle.cancel.cancel();
        }
    }
}
