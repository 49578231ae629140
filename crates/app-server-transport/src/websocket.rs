//! Websocket transports: one JSON-RPC message per text frame, served by axum
//! over a TCP listener (`ws://IP:PORT`, with `/healthz` and `/readyz`) or over
//! the Unix control socket.
//!
//! [`serve_websocket_connection`] is generic over any `Stream` + `Sink` of
//! frames so it runs over real sockets and over in-memory channels in tests.
//! Requests carrying an `Origin` header are refused with 403 (browsers must
//! not reach the server), authentication failures with 401, both before the
//! upgrade. A connection ends with a close frame whose code says why: 1000 when
//! the client or the server closed it, 1007 for a text frame that is not UTF-8,
//! 1009 for a message or frame over the size limit, 1002 for a protocol violation,
//! 1008 for a connection that sent no `initialize` request in time.
//!
//! Both listeners close connections that do not finish their HTTP upgrade within
//! [`WebsocketOptions::handshake_timeout`] and keep at most
//! [`WebsocketOptions::max_pending_handshakes`] in their handshake (see
//! `handshake_guard`).

use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::CloseFrame;
use axum::extract::ws::Message;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::extract::State;
use axum::http::header::ORIGIN;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::JsonRpcMessage;
use futures::Sink;
use futures::SinkExt;
use futures::Stream;
use futures::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::auth::WebsocketAuth;
use crate::connection::announce_open;
use crate::connection::resolve_acks;
use crate::connection::ConnectionId;
use crate::connection::ConnectionWriter;
use crate::connection::OutboundMessage;
use crate::connection::TransportConfig;
use crate::connection::TransportEvent;
use crate::connection::TransportKind;
use crate::control_socket::BoundControlSocket;
use crate::error::TransportError;
use crate::handshake_guard::GuardedListener;
use crate::handshake_guard::Handshake;
use crate::handshake_guard::DEFAULT_HANDSHAKE_TIMEOUT;
use crate::handshake_guard::DEFAULT_MAX_PENDING_HANDSHAKES;
use crate::outbound_writer::write_outbound;
use crate::outbound_writer::WriteEnd;
use crate::stdio::classify_line;

/// How long a closing connection may spend flushing and sending its close frame.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Set by the server once it is ready; `GET /readyz` answers 200 only after that.
#[derive(Clone, Debug, Default)]
pub struct ReadinessFlag(Arc<AtomicBool>);

impl ReadinessFlag {
    /// A flag that is not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks the server ready.
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the server said it is ready.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Everything a websocket listener needs besides its socket and event channel.
#[derive(Clone, Debug)]
pub struct WebsocketOptions {
    /// Queue and size limits.
    pub config: TransportConfig,
    /// How clients authenticate.
    pub auth: WebsocketAuth,
    /// The readiness flag behind `/readyz`.
    pub readiness: ReadinessFlag,
    /// Total time a connection has to complete its HTTP upgrade, however slowly it sends;
    /// then it is closed (plain HTTP connections such as health checks too).
    pub handshake_timeout: Duration,
    /// Most connections in their handshake at once; each one beyond closes the oldest.
    pub max_pending_handshakes: usize,
}

impl Default for WebsocketOptions {
    fn default() -> Self {
        Self {
            config: TransportConfig::default(),
            auth: WebsocketAuth::default(),
            readiness: ReadinessFlag::default(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            max_pending_handshakes: DEFAULT_MAX_PENDING_HANDSHAKES,
        }
    }
}

/// The error response for a binary frame.
pub(crate) fn binary_frame_error() -> JsonRpcError {
    JsonRpcError::new(
        None,
        error_codes::INVALID_REQUEST,
        "Invalid request: only text frames are accepted",
    )
}

/// Binds a TCP websocket listener, refusing non-loopback addresses without authentication.
pub async fn bind_websocket(
    address: SocketAddr,
    auth: &WebsocketAuth,
) -> Result<TcpListener, TransportError> {
    if !address.ip().is_loopback() && !auth.is_enabled() {
        return Err(TransportError::UnauthenticatedNonLoopback { address });
    }
    TcpListener::bind(address)
        .await
        .map_err(|err| TransportError::io(format!("binding ws://{address}"), err))
}

/// Serves websocket connections (and `/healthz`, `/readyz`) on a TCP listener until `shutdown`.
pub async fn serve_websocket(
    listener: TcpListener,
    options: WebsocketOptions,
    events: mpsc::Sender<TransportEvent>,
    shutdown: CancellationToken,
) -> Result<(), TransportError> {
    let listener = GuardedListener::new(
        listener,
        options.handshake_timeout,
        options.max_pending_handshakes,
        shutdown.clone(),
    );
    let router = router(options, events, shutdown.clone(), TransportKind::Websocket);
    axum::serve(listener, router.into_make_service_with_connect_info::<Handshake>())
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(|err| TransportError::io("serving the websocket listener", err))
}

/// Serves websocket connections on the bound control socket until `shutdown`, then removes its files.
pub async fn serve_control_socket(
    bound: BoundControlSocket,
    options: WebsocketOptions,
    events: mpsc::Sender<TransportEvent>,
    shutdown: CancellationToken,
) -> Result<(), TransportError> {
    let (listener, files) = bound.into_parts();
    let listener = GuardedListener::new(
        listener,
        options.handshake_timeout,
        options.max_pending_handshakes,
        shutdown.clone(),
    );
    let router = router(options, events, shutdown.clone(), TransportKind::UnixSocket);
    let result = axum::serve(listener, router.into_make_service_with_connect_info::<Handshake>())
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(|err| TransportError::io("serving the control socket", err));
    drop(files);
    result
}

#[derive(Clone)]
struct ListenerState {
    options: Arc<WebsocketOptions>,
    events: mpsc::Sender<TransportEvent>,
    shutdown: CancellationToken,
    transport: TransportKind,
}

fn router(
    options: WebsocketOptions,
    events: mpsc::Sender<TransportEvent>,
    shutdown: CancellationToken,
    transport: TransportKind,
) -> Router {
    let state = ListenerState { options: Arc::new(options), events, shutdown, transport };
    Router::new()
        .route("/", get(upgrade))
        .route("/rpc", get(upgrade))
        .route("/healthz", get(|| async { StatusCode::OK }))
        .route("/readyz", get(readyz))
        .layer(axum::middleware::from_fn(refuse_browser_origins))
        .with_state(state)
}

async fn refuse_browser_origins(request: Request, next: Next) -> Response {
    if request.headers().contains_key(ORIGIN) {
        return (StatusCode::FORBIDDEN, "requests with an Origin header are refused\n")
            .into_response();
    }
    next.run(request).await
}

async fn readyz(State(state): State<ListenerState>) -> StatusCode {
    if state.options.readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn upgrade(
    State(state): State<ListenerState>,
    ConnectInfo(handshake): ConnectInfo<Handshake>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(rejection) = state.options.auth.authorize(&headers) {
        tracing::info!(?rejection, "refused an unauthenticated websocket upgrade");
        return (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")], "unauthorized\n")
            .into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let config = &state.options.config;
    let limit = config.max_websocket_message_bytes;
    let upgrade = upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(config.websocket_read_buffer_bytes)
        .write_buffer_size(config.websocket_write_buffer_bytes);
    upgrade.on_upgrade(move |socket| async move {
        handshake.complete();
        let cancel = state.shutdown.child_token();
        let config = state.options.config.clone();
        if let Err(err) =
            serve_websocket_connection(socket, state.transport, state.events, &config, cancel).await
        {
            tracing::debug!("websocket connection ended: {err}");
        }
    })
}

/// Serves one websocket connection over any stream/sink of frames.
///
/// Emits `ConnectionOpened`, one `MessageReceived` per valid text frame and
/// `ConnectionClosed` when the client closes, reading fails, `cancel`
/// fires or no `initialize` request came within
/// [`TransportConfig::initialize_timeout`]. Binary frames and invalid JSON-RPC are answered with an error
/// response; pings are answered by the websocket layer.
pub async fn serve_websocket_connection<S, E>(
    socket: S,
    transport: TransportKind,
    events: mpsc::Sender<TransportEvent>,
    config: &TransportConfig,
    cancel: CancellationToken,
) -> Result<(), TransportError>
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    <S as Sink<Message>>::Error: Display,
    E: std::error::Error + 'static,
{
    let connection_id = ConnectionId::next();
    let (queue, outbound) =
        ConnectionWriter::channel(connection_id, config.outbound_queue_capacity);
    announce_open(&events, connection_id, transport, queue.clone(), cancel.clone()).await?;
    let (sink, stream) = socket.split();
    let close = std::sync::Mutex::new(None);
    let read = read_frames(
        stream,
        connection_id,
        queue,
        &events,
        &cancel,
        &close,
        config.initialize_timeout,
    );
    let write = write_frames(sink, connection_id, outbound, &cancel, &close);
    let ((), write_result) = tokio::join!(read, write);
    write_result
}

/// The close frame answering a read error: 1007 for a text frame that is not UTF-8, 1009 for a
/// message or frame over the limit, 1002 for another protocol violation; `None` when the
/// connection itself failed (nobody is left to tell).
fn close_frame_for(err: &(dyn std::error::Error + 'static)) -> Option<CloseFrame> {
    use axum::extract::ws::close_code;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    use tokio_tungstenite::tungstenite::Error as WsError;
    let mut cause = Some(err);
    while let Some(err) = cause {
        if let Some(ws) = err.downcast_ref::<WsError>() {
            let (code, reason) = match ws {
                WsError::Utf8(_) => (close_code::INVALID, "text frame is not valid UTF-8"),
                WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
                    (close_code::SIZE, "message exceeds the size limit")
                }
                WsError::Protocol(_) => (close_code::PROTOCOL, "websocket protocol violation"),
                _ => return None,
            };
            return Some(CloseFrame { code, reason: reason.into() });
        }
        cause = err.source();
    }
    None
}

async fn read_frames<S, E>(
    mut stream: S,
    connection_id: ConnectionId,
    queue: ConnectionWriter,
    events: &mpsc::Sender<TransportEvent>,
    cancel: &CancellationToken,
    close: &std::sync::Mutex<Option<CloseFrame>>,
    initialize_timeout: Duration,
) where
    S: Stream<Item = Result<Message, E>> + Unpin,
    E: std::error::Error + 'static,
{
    let initialize_deadline = tokio::time::sleep(initialize_timeout);
    tokio::pin!(initialize_deadline);
    let mut initialized = false;
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => break,
            () = &mut initialize_deadline, if !initialized => {
                tracing::info!(%connection_id, "closing a websocket that sent no initialize request in time");
                if let Ok(mut close) = close.lock() {
                    *close = Some(CloseFrame {
                        code: axum::extract::ws::close_code::POLICY,
                        reason: "no initialize request in time".into(),
                    });
                }
                break;
            }
            next = stream.next() => next,
        };
        let reply = match next {
            None | Some(Ok(Message::Close(_))) => break,
            Some(Err(err)) => {
                tracing::info!(%connection_id, "websocket read failed: {err}");
                if let Ok(mut close) = close.lock() {
                    *close = close_frame_for(&err);
                }
                break;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Binary(_))) => binary_frame_error(),
            Some(Ok(Message::Text(text))) => match classify_line(text.as_bytes()) {
                None => continue,
                Some(Ok(message)) => {
                    initialized |= matches!(
                        &message,
                        JsonRpcMessage::Request(request) if request.method == "initialize"
                    );
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
    cancel.cancel();
    drop(queue);
    // The server may already be gone at shutdown; nothing else to tell.
    let _ = events.send(TransportEvent::ConnectionClosed { connection_id }).await;
}

async fn write_frames<K>(
    mut sink: K,
    connection_id: ConnectionId,
    mut outbound: mpsc::Receiver<OutboundMessage>,
    cancel: &CancellationToken,
    close: &std::sync::Mutex<Option<CloseFrame>>,
) -> Result<(), TransportError>
where
    K: Sink<Message> + Unpin,
    K::Error: Display,
{
    let mut acks = Vec::new();
    let end =
        write_outbound(&mut sink, connection_id, &mut outbound, &mut acks, cancel, |message| {
            Message::Text(message.into_json_string().into())
        })
        .await?;
    if end == WriteEnd::Abandoned {
        return Ok(());
    }
    // Best effort, bounded: the peer may already have closed or stopped reading.
    let close = close
        .lock()
        .ok()
        .and_then(|mut close| close.take())
        .unwrap_or(CloseFrame { code: axum::extract::ws::close_code::NORMAL, reason: "".into() });
    let goodbye = async {
        if sink.flush().await.is_ok() {
            resolve_acks(&mut acks, connection_id, Ok(()));
        }
        let _ = sink.send(Message::Close(Some(close))).await;
        let _ = sink.close().await;
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, goodbye).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::time::Duration;

    use codex_app_server_protocol::JsonRpcMessage;
    use serde_json::Value;

    use super::*;

    /// An in-memory websocket: frames in through one channel, out through another.
    type ClientTx = futures::channel::mpsc::UnboundedSender<Result<Message, Infallible>>;
    type ClientRx = futures::channel::mpsc::UnboundedReceiver<Message>;
    type ServerSide = Duplex<
        futures::channel::mpsc::UnboundedReceiver<Result<Message, Infallible>>,
        futures::channel::mpsc::UnboundedSender<Message>,
    >;

    fn in_memory_socket() -> (ClientTx, ClientRx, ServerSide) {
        let (client_tx, server_rx) = futures::channel::mpsc::unbounded();
        let (server_tx, client_rx) = futures::channel::mpsc::unbounded();
        (client_tx, client_rx, Duplex { rx: server_rx, tx: server_tx })
    }

    struct Duplex<R, T> {
        rx: R,
        tx: T,
    }

    impl<R: Stream + Unpin, T: Unpin> Stream for Duplex<R, T> {
        type Item = R::Item;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<R::Item>> {
            self.rx.poll_next_unpin(cx)
        }
    }

    impl<R: Unpin, T: Sink<Message> + Unpin> Sink<Message> for Duplex<R, T> {
        type Error = T::Error;
        fn poll_ready(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), T::Error>> {
            self.tx.poll_ready_unpin(cx)
        }
        fn start_send(mut self: std::pin::Pin<&mut Self>, item: Message) -> Result<(), T::Error> {
            self.tx.start_send_unpin(item)
        }
        fn poll_flush(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), T::Error>> {
            self.tx.poll_flush_unpin(cx)
        }
        fn poll_close(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), T::Error>> {
            self.tx.poll_close_unpin(cx)
        }
    }

    async fn next_text(rx: &mut futures::channel::mpsc::UnboundedReceiver<Message>) -> Value {
        let frame =
            tokio::time::timeout(Duration::from_secs(10), rx.next()).await.unwrap().unwrap();
        let Message::Text(text) = frame else { panic!("expected text, got {frame:?}") };
        serde_json::from_str(text.as_str()).unwrap()
    }

    #[tokio::test]
    async fn text_frames_are_messages_binary_frames_are_refused() {
        let (client_tx, mut client_rx, socket) = in_memory_socket();
        let (events_tx, mut events) = mpsc::channel(8);
        let config = TransportConfig::default();
        let task = tokio::spawn(async move {
            serve_websocket_connection(
                socket,
                TransportKind::Websocket,
                events_tx,
                &config,
                CancellationToken::new(),
            )
            .await
        });
        let Some(TransportEvent::ConnectionOpened { writer, transport, .. }) = events.recv().await
        else {
            panic!("expected ConnectionOpened")
        };
        assert_eq!(transport, TransportKind::Websocket);

        client_tx.unbounded_send(Ok(Message::Binary(vec![1, 2].into()))).unwrap();
        let reply = next_text(&mut client_rx).await;
        assert_eq!(reply["error"]["code"], -32600);
        assert_eq!(reply["error"]["message"], "Invalid request: only text frames are accepted");

        client_tx.unbounded_send(Ok(Message::Text("{oops".into()))).unwrap();
        assert_eq!(next_text(&mut client_rx).await["error"]["code"], -32700);

        client_tx.unbounded_send(Ok(Message::Ping(vec![7].into()))).unwrap();
        client_tx
            .unbounded_send(Ok(Message::Text(r#"{"id":"a","method":"initialize"}"#.into())))
            .unwrap();
        let Some(TransportEvent::MessageReceived { message, .. }) = events.recv().await else {
            panic!("expected MessageReceived")
        };
        assert!(matches!(message, JsonRpcMessage::Request(_)));
        writer.send_and_wait(message).await.unwrap();
        assert_eq!(next_text(&mut client_rx).await["method"], "initialize");

        client_tx.unbounded_send(Ok(Message::Close(None))).unwrap();
        assert!(matches!(events.recv().await, Some(TransportEvent::ConnectionClosed { .. })));
        task.await.unwrap().unwrap();
        // The server answers with a close frame.
        assert!(matches!(client_rx.next().await, Some(Message::Close(_))));
        assert!(writer.is_closed());
    }

    #[tokio::test]
    async fn server_cancel_disconnects_and_closes_the_writer() {
        let (_client_tx, _client_rx, socket) = in_memory_socket();
        let (events_tx, mut events) = mpsc::channel(8);
        let config = TransportConfig { outbound_queue_capacity: 2, ..TransportConfig::default() };
        let cancel = CancellationToken::new();
        let task_cancel = cancel.clone();
        let task = tokio::spawn(async move {
            serve_websocket_connection(
                socket,
                TransportKind::UnixSocket,
                events_tx,
                &config,
                task_cancel,
            )
            .await
        });
        let Some(TransportEvent::ConnectionOpened { writer, cancel: disconnect, .. }) =
            events.recv().await
        else {
            panic!("expected ConnectionOpened")
        };
        assert_eq!(writer.capacity(), 2);
        disconnect.cancel();
        assert!(matches!(events.recv().await, Some(TransportEvent::ConnectionClosed { .. })));
        task.await.unwrap().unwrap();
        let err = writer.try_send(binary_frame_error().into()).unwrap_err();
        assert!(matches!(err, TransportError::ConnectionClosed { .. }), "{err}");
    }
}
