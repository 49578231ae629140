//! Remote control: the app-server dials out to a relay and serves remote clients through it.
//!
//! [`run_remote_control`] enrolls with the relay (or reuses a stored [`Enrollment`]), keeps a
//! websocket to `{base}/wham/remote/control/server` open with `Authorization: Bearer <token>`,
//! and turns every remote `(client_id, stream_id)` into its own connection to the server:
//! `ConnectionOpened` (with [`TransportKind::RemoteControl`] and its own [`ConnectionWriter`]),
//! `MessageReceived`, `ConnectionClosed`. Messages larger than the relay's frame limit travel as
//! chunk envelopes; outbound envelopes stay in a bounded outbox until the relay acknowledges them
//! and are re-sent after a reconnect, so a dropped relay socket loses nothing. Reconnects back
//! off exponentially with jitter. The token is refreshed before it expires (the socket stays up);
//! a refused token is refreshed, and a refused refresh re-enrolls, proving possession of the
//! previous token so the relay keeps the server id (a relay that cannot verify it, e.g. one
//! restarted with fresh state, issues a new id; the remote connections of the old id then close).
//! Progress is reported on an update channel ([`RemoteControlUpdate`]) for the server to store
//! enrollments and publish its status.
//!
//! With a [`pairing::RemoteAuthority`] in the options (the default in the app-server), a stream
//! opens a connection only after it authenticated end to end (see [`pairing`]): before that the
//! link answers the handshake itself, and a stream that fails it gets one JSON-RPC error and is
//! closed (the relay is told with a `pong` of status `unknown` for it). Every later message is
//! sealed in both directions. Revoking a client closes its open streams at once.

mod client;
mod enroll;
mod envelope;
mod outbox;
pub mod pairing;

use std::collections::HashMap;
use std::collections::HashSet;
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

pub use client::RemoteClient;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::RequestId;
pub use enroll::unix_now;
pub use enroll::Enrollment;
pub use enroll::RelayUrl;
pub use enroll::ServerIdentity;
pub use enroll::ENROLL_PATH;
pub use enroll::MAX_FRAME_HEADER;
pub use enroll::REFRESH_PATH;
pub use enroll::SERVER_SOCKET_PATH;
pub use enroll::SESSION_HEADER;
pub use envelope::chunk_payload_bytes;
pub use envelope::split_into_chunks;
pub use envelope::PongStatus;
pub use envelope::Reassembly;
pub use envelope::ReassemblyError;
pub use envelope::MAX_SEGMENTS;

pub use envelope::RelayToServer;
pub use envelope::ServerToRelay;
pub use envelope::MIN_FRAME_BYTES;
use futures::SinkExt;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::connection::announce_open;
use crate::connection::resolve_acks;
use crate::connection::ConnectionId;
use crate::connection::ConnectionWriter;
use crate::connection::OutboundMessage;
use crate::connection::OutboundPayload;
use crate::connection::TransportConfig;
use crate::connection::TransportEvent;
use crate::connection::TransportKind;
use crate::error::TransportError;
use enroll::HttpFailure;
use pairing::AuthFailure;
use pairing::Opener;
use pairing::RemoteAuthority;
use pairing::Sealer;
use pairing::StreamHandshake;
use serde_json::Value;

/// Frame limit assumed until the relay names its own.
pub const DEFAULT_RELAY_FRAME_BYTES: usize = 1024 * 1024;
/// Default bound on envelopes kept for re-sending.
pub const DEFAULT_MAX_UNACKED_ENVELOPES: usize = 4096;
/// Refresh the token this long before it expires (or half-way through a shorter lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// Longest wait before retrying a refresh that failed for a reason other than a refusal.
const REFRESH_RETRY: Duration = Duration::from_secs(30);
/// Remember this many closed streams so late messages for them are ignored.
const CLOSED_STREAM_MEMORY: usize = 1024;
/// Most remote connections open at once (a relay cannot make the server open more).
pub const MAX_REMOTE_STREAMS: usize = 1024;
/// Most chunked messages being reassembled at once (each is bounded by the message limit).
pub const MAX_OPEN_ASSEMBLIES: usize = 8;

/// Settings of one remote-control link.
#[derive(Debug, Clone)]
pub struct RemoteControlOptions {
    /// The relay.
    pub url: RelayUrl,
    /// Who this server is.
    pub identity: ServerIdentity,
    /// A stored enrollment to reuse, if any.
    pub enrollment: Option<Enrollment>,
    /// Per-connection queue capacity and the largest accepted inbound message.
    pub config: TransportConfig,
    /// Bound on unacknowledged outbound envelopes (producers wait when it is reached).
    pub max_unacked_envelopes: usize,
    /// First reconnect delay.
    pub initial_backoff: Duration,
    /// Longest reconnect delay.
    pub max_backoff: Duration,
    /// End-to-end authentication of remote clients; `None` (`require_pairing = false`) opens a
    /// connection for every stream the relay forwards.
    pub authority: Option<Arc<RemoteAuthority>>,
}

impl RemoteControlOptions {
    /// Defaults for `url` and `identity`.
    pub fn new(url: RelayUrl, identity: ServerIdentity) -> Self {
        Self {
            url,
            identity,
            enrollment: None,
            config: TransportConfig::default(),
            max_unacked_envelopes: DEFAULT_MAX_UNACKED_ENVELOPES,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            authority: None,
        }
    }
}

/// What the link reports to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteControlUpdate {
    /// Enrolling or dialling the relay.
    Connecting,
    /// The relay socket is up.
    Connected,
    /// The last attempt failed (a retry follows after a back-off).
    Errored(String),
    /// A new enrollment or token was issued: store it.
    Enrolled(Enrollment),
}

type StreamKey = (String, String);

#[derive(Debug)]
struct OpenStream {
    connection_id: ConnectionId,
    writer: ConnectionWriter,
    cancel: CancellationToken,
    /// Opens the client's sealed messages (authenticated streams only).
    opener: Option<Opener>,
}

/// What the link knows of a stream a message arrived on.
enum StreamPhase {
    Closed,
    Open,
    Handshaking(StreamHandshake),
    New,
}

/// An authenticated stream about to open: its client, and its sealer and opener.
struct Authenticated {
    client_id: String,
    sealer: Sealer,
    opener: Opener,
}

#[derive(Debug, Default)]
struct Streams {
    open: HashMap<StreamKey, OpenStream>,
    /// Streams between `hello` and `proof`/`pair`.
    handshaking: HashMap<StreamKey, StreamHandshake>,
    closed: HashSet<StreamKey>,
    closed_order: VecDeque<StreamKey>,
    assembling: HashMap<StreamKey, Reassembly>,
}

impl Streams {
    fn forget(&mut self, key: &StreamKey) {
        self.open.remove(key);
        self.handshaking.remove(key);
        self.assembling.remove(key);
        if self.closed.insert(key.clone()) {
            self.closed_order.push_back(key.clone());
            if self.closed_order.len() > CLOSED_STREAM_MEMORY {
                if let Some(old) = self.closed_order.pop_front() {
                    self.closed.remove(&old);
                }
            }
        }
    }
}

/// State shared by the link loop and the per-stream forwarders.
#[derive(Debug)]
struct Shared {
    outbox: outbox::Outbox,
    streams: Mutex<Streams>,
    max_frame_bytes: AtomicUsize,
    events: mpsc::Sender<TransportEvent>,
}

impl Shared {
    /// Closes every open remote connection.
    fn close_streams(&self) {
        let streams: Vec<CancellationToken> = self
            .streams
            .lock()
            .map(|streams| streams.open.values().map(|open| open.cancel.clone()).collect())
            .unwrap_or_default();
        for stream in streams {
            stream.cancel();
        }
    }
}

/// How one relay session ended.
enum SessionEnd {
    Cancelled,
    Failed { reason: String, connected: bool, token_refused: bool },
}

/// Runs the link until `cancel` fires; then every remote connection is closed.
pub async fn run_remote_control(
    options: RemoteControlOptions,
    events: mpsc::Sender<TransportEvent>,
    updates: mpsc::UnboundedSender<RemoteControlUpdate>,
    cancel: CancellationToken,
) {
    let shared = Arc::new(Shared {
        outbox: outbox::Outbox::new(options.max_unacked_envelopes),
        streams: Mutex::new(Streams::default()),
        max_frame_bytes: AtomicUsize::new(DEFAULT_RELAY_FRAME_BYTES),
        events,
    });
    let http = enroll::http_client(&options.url);
    let session = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let mut link =
        Link { options, shared: Arc::clone(&shared), updates, http, token_refused: false, session };
    let mut backoff = link.options.initial_backoff;
    loop {
        let _ = link.updates.send(RemoteControlUpdate::Connecting);
        match link.session(&cancel).await {
            SessionEnd::Cancelled => break,
            SessionEnd::Failed { reason, connected, token_refused } => {
                tracing::warn!("remote control: {reason}");
                let _ = link.updates.send(RemoteControlUpdate::Errored(reason));
                link.token_refused = token_refused;
                if connected {
                    backoff = link.options.initial_backoff;
                }
            }
        }
        let jittered = backoff.mul_f64(0.5 + fastrand::f64() * 0.5);
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(jittered) => {}
        }
        backoff = (backoff * 2).min(link.options.max_backoff);
    }
    shared.close_streams();
}

struct Link {
    options: RemoteControlOptions,
    shared: Arc<Shared>,
    updates: mpsc::UnboundedSender<RemoteControlUpdate>,
    http: reqwest::Client,
    token_refused: bool,
    /// Identifies this run to the relay, which then knows sequence numbers restarted.
    session: String,
}

type RelaySocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Link {
    /// A usable enrollment: the stored one, renewed when due or refused, else a new one.
    async fn ensure_enrollment(&mut self) -> Result<Enrollment, String> {
        match self.options.enrollment.clone() {
            Some(current)
                if !self.token_refused && !current.refresh_after(REFRESH_MARGIN).is_zero() =>
            {
                Ok(current)
            }
            Some(current) => self.renew(&current).await,
            None => self.enroll(None).await,
        }
    }

    /// Refreshes `current`; when the relay refuses, enrolls anew proving possession of it.
    async fn renew(&mut self, current: &Enrollment) -> Result<Enrollment, String> {
        let installation_id = self.options.identity.installation_id.clone();
        match enroll::refresh(&self.http, &self.options.url, current, &installation_id).await {
            Ok(renewed) => return Ok(self.store(renewed)),
            Err(HttpFailure::Refused(why)) => {
                tracing::info!("remote control: refresh refused ({why}); enrolling anew");
            }
            Err(HttpFailure::Other(why)) => return Err(format!("token refresh failed: {why}")),
        }
        self.enroll(Some(current)).await
    }

    /// Enrolls, with `proof` as the token this installation holds, if any.
    async fn enroll(&mut self, proof: Option<&Enrollment>) -> Result<Enrollment, String> {
        match enroll::enroll(&self.http, &self.options.url, &self.options.identity, proof).await {
            Ok(enrollment) => Ok(self.store(enrollment)),
            Err(err) => Err(format!("enrollment failed: {err}")),
        }
    }

    /// Renews the token while the socket is up. `Ok(true)`: carry on with the new token;
    /// `Ok(false)`: the server id changed, reconnect; `Err(retry_in)`: try again later.
    async fn refresh_in_session(&mut self) -> Result<bool, Duration> {
        let Some(current) = self.options.enrollment.clone() else { return Ok(false) };
        match self.renew(&current).await {
            Ok(renewed) => Ok(renewed.server_id == current.server_id),
            Err(why) => {
                tracing::warn!("remote control: {why}");
                Err(current
                    .refresh_after(REFRESH_MARGIN)
                    .clamp(Duration::from_secs(1), REFRESH_RETRY))
            }
        }
    }

    fn store(&mut self, enrollment: Enrollment) -> Enrollment {
        self.token_refused = false;
        let previous = self.options.enrollment.replace(enrollment.clone());
        if previous.is_some_and(|previous| previous.server_id != enrollment.server_id) {
            // The remote clients of the old server id reach it no more: close their connections.
            tracing::info!(server_id = %enrollment.server_id, "remote control: the relay issued a new server id");
            self.shared.close_streams();
        }
        let _ = self.updates.send(RemoteControlUpdate::Enrolled(enrollment.clone()));
        enrollment
    }

    async fn connect(&self, enrollment: &Enrollment) -> Result<RelaySocket, SessionEnd> {
        let failed = |reason: String, token_refused: bool| SessionEnd::Failed {
            reason,
            connected: false,
            token_refused,
        };
        let url = self.options.url.websocket(SERVER_SOCKET_PATH);
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|err| failed(format!("{url}: {err}"), false))?;
        let bearer = format!("Bearer {}", enrollment.remote_control_token);
        let value = bearer.parse().map_err(|_| {
            failed("the relay issued a token that is not a valid header".into(), true)
        })?;
        request.headers_mut().insert("authorization", value);
        if let Ok(session) = self.session.parse() {
            request.headers_mut().insert(SESSION_HEADER, session);
        }
        let mut config = WebSocketConfig::default();
        config.max_message_size =
            Some(self.options.config.max_websocket_message_bytes.saturating_mul(2));
        config.max_frame_size =
            Some(self.options.config.max_websocket_message_bytes.saturating_mul(2));
        // Envelopes are small and latency-bound: no Nagle delay (`true` disables it).
        let connecting = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
        let (socket, response) = match tokio::time::timeout(Duration::from_secs(30), connecting)
            .await
        {
            Err(_) => return Err(failed("connecting to the relay timed out".into(), false)),
            Ok(Err(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                let refused = matches!(status, 401 | 403);
                return Err(failed(format!("relay refused the server socket ({status})"), refused));
            }
            Ok(Err(err)) => return Err(failed(format!("relay socket failed: {err}"), false)),
            Ok(Ok(connected)) => connected,
        };
        let limit = response
            .headers()
            .get(MAX_FRAME_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(DEFAULT_RELAY_FRAME_BYTES)
            .max(MIN_FRAME_BYTES);
        self.shared.max_frame_bytes.store(limit, Ordering::Relaxed);
        Ok(socket)
    }

    async fn session(&mut self, cancel: &CancellationToken) -> SessionEnd {
        let enrollment = tokio::select! {
            () = cancel.cancelled() => return SessionEnd::Cancelled,
            result = self.ensure_enrollment() => match result {
                Ok(enrollment) => enrollment,
                Err(reason) => return SessionEnd::Failed { reason, connected: false, token_refused: false },
            },
        };
        let socket = tokio::select! {
            () = cancel.cancelled() => return SessionEnd::Cancelled,
            result = self.connect(&enrollment) => match result {
                Ok(socket) => socket,
                Err(end) => return end,
            },
        };
        let _ = self.updates.send(RemoteControlUpdate::Connected);
        tracing::info!(server_id = %enrollment.server_id, "remote control connected to the relay");
        self.shared.outbox.rewind();
        let (mut write, mut read) = socket.split();
        let refresh = tokio::time::sleep(enrollment.refresh_after(REFRESH_MARGIN));
        tokio::pin!(refresh);
        let lost =
            |reason: String| SessionEnd::Failed { reason, connected: true, token_refused: false };
        loop {
            tokio::select! {
                () = cancel.cancelled() => {
                    let _ = write.send(Message::Close(None)).await;
                    return SessionEnd::Cancelled;
                }
                () = self.shared.outbox.wake_writer.notified() => {
                    while let Some(envelope) = self.shared.outbox.next_to_send() {
                        let text = match serde_json::to_string(&envelope) {
                            Ok(text) => text,
                            Err(err) => {
                                tracing::warn!("remote control: unserialisable envelope dropped: {err}");
                                continue;
                            }
                        };
                        if let Err(err) = write.send(Message::text(text)).await {
                            // Frames the relay wrote before closing are still readable: take
                            // them before reconnecting, so no client message is lost.
                            self.drain_reads(&mut read, cancel).await;
                            return lost(format!("writing to the relay failed: {err}"));
                        }
                    }
                }
                () = &mut refresh => {
                    // The socket stays up across a refresh; reconnects use the new token.
                    let next = match self.refresh_in_session().await {
                        Ok(true) => self
                            .options
                            .enrollment
                            .as_ref()
                            .map_or(REFRESH_RETRY, |renewed| renewed.refresh_after(REFRESH_MARGIN)),
                        Ok(false) => {
                            let _ = write.send(Message::Close(None)).await;
                            return lost("the relay issued a new server id".into());
                        }
                        Err(retry_in) => retry_in,
                    };
                    refresh.as_mut().reset(tokio::time::Instant::now() + next);
                }
                frame = read.next() => match frame {
                    None => return lost("the relay closed the connection".into()),
                    Some(Err(err)) => return lost(format!("relay socket failed: {err}")),
                    Some(Ok(Message::Text(text))) => {
                        match serde_json::from_str::<RelayToServer>(text.as_str()) {
                            Ok(envelope) => {
                                if let Err(TransportError::ServerGone) = self.handle(envelope, cancel).await {
                                    return SessionEnd::Cancelled;
                                }
                            }
                            Err(err) => tracing::warn!("remote control: ignoring malformed relay envelope: {err}"),
                        }
                    }
                    Some(Ok(Message::Close(_))) => return lost("the relay closed the connection".into()),
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// Handles the frames still buffered on a socket whose write side failed.
    async fn drain_reads(
        &mut self,
        read: &mut futures::stream::SplitStream<RelaySocket>,
        cancel: &CancellationToken,
    ) {
        while let Ok(Some(Ok(frame))) =
            tokio::time::timeout(Duration::from_secs(2), read.next()).await
        {
            let Message::Text(text) = frame else { continue };
            if let Ok(envelope) = serde_json::from_str::<RelayToServer>(text.as_str()) {
                if self.handle(envelope, cancel).await.is_err() {
                    return;
                }
            }
        }
    }

    async fn handle(
        &mut self,
        envelope: RelayToServer,
        cancel: &CancellationToken,
    ) -> Result<(), TransportError> {
        match envelope {
            RelayToServer::ClientMessage { client_id, stream_id, message } => {
                let key = (client_id, stream_id);
                if let Some(authority) = self.options.authority.clone() {
                    return self.authenticated(&authority, key, message, cancel).await;
                }
                match JsonRpcMessage::parse(&serde_json::to_vec(&message).unwrap_or_default()) {
                    Ok(message) => self.deliver(key, message, cancel).await,
                    Err(err) => self.answer_garbage(key, err.to_error_response(), cancel).await,
                }
            }
            RelayToServer::ClientMessageChunk {
                client_id,
                stream_id,
                segment_id,
                segment_count,
                message_size_bytes,
                message_chunk_base64,
            } => {
                let key = (client_id, stream_id);
                let limit = self.options.config.max_websocket_message_bytes;
                let result = {
                    let Ok(mut streams) = self.shared.streams.lock() else { return Ok(()) };
                    if streams.closed.contains(&key) {
                        return Ok(());
                    }
                    if !streams.assembling.contains_key(&key)
                        && streams.assembling.len() >= MAX_OPEN_ASSEMBLIES
                    {
                        tracing::warn!(
                            client_id = %key.0,
                            "remote control: {MAX_OPEN_ASSEMBLIES} chunked messages already open: refusing another"
                        );
                        return Ok(());
                    }
                    let assembly = streams.assembling.entry(key.clone()).or_default();
                    let result = assembly.add(
                        segment_id,
                        segment_count,
                        message_size_bytes,
                        &message_chunk_base64,
                        limit,
                    );
                    if !matches!(result, Ok(None)) {
                        streams.assembling.remove(&key);
                    }
                    result
                };
                match result {
                    Ok(None) => Ok(()),
                    Ok(Some(bytes)) if self.options.authority.is_some() => {
                        let authority = self.options.authority.clone();
                        match (authority, serde_json::from_slice::<Value>(&bytes)) {
                            (Some(authority), Ok(value)) => {
                                self.authenticated(&authority, key, value, cancel).await
                            }
                            (_, Err(err)) => {
                                let failure = AuthFailure::Malformed(format!("not JSON: {err}"));
                                self.refuse(key, failure, None).await;
                                Ok(())
                            }
                            (None, Ok(_)) => Ok(()),
                        }
                    }
                    Ok(Some(bytes)) => match JsonRpcMessage::parse(&bytes) {
                        Ok(message) => self.deliver(key, message, cancel).await,
                        Err(err) => self.answer_garbage(key, err.to_error_response(), cancel).await,
                    },
                    Err(err) => {
                        let error = codex_app_server_protocol::JsonRpcError::new(
                            None,
                            codex_app_server_protocol::error_codes::INVALID_REQUEST,
                            format!("Invalid request: {err}"),
                        );
                        self.answer_garbage(key, error, cancel).await
                    }
                }
            }
            RelayToServer::Ack { seq_id, segment_id } => {
                self.shared.outbox.ack(seq_id, segment_id);
                Ok(())
            }
            RelayToServer::Ping { client_id, stream_id } => {
                let status = match (&client_id, &stream_id) {
                    (Some(client), Some(stream)) => {
                        let known = self
                            .shared
                            .streams
                            .lock()
                            .map(|streams| {
                                let key = (client.clone(), stream.clone());
                                streams.open.contains_key(&key)
                                    || streams.handshaking.contains_key(&key)
                            })
                            .unwrap_or(false);
                        if known {
                            PongStatus::Active
                        } else {
                            PongStatus::Unknown
                        }
                    }
                    _ => PongStatus::Active,
                };
                let answered = self.shared.outbox.push_pong(|seq_id| ServerToRelay::Pong {
                    client_id,
                    stream_id,
                    seq_id,
                    status,
                });
                if !answered {
                    tracing::debug!(
                        "remote control: the relay pings faster than it reads; ping not answered"
                    );
                }
                Ok(())
            }
            RelayToServer::ClientClosed { client_id, stream_id } => {
                let key = (client_id, stream_id);
                let stream = self.shared.streams.lock().ok().and_then(|mut streams| {
                    streams.handshaking.remove(&key);
                    let cancel = streams.open.get(&key).map(|open| open.cancel.clone());
                    if cancel.is_none() {
                        streams.forget(&key);
                    }
                    cancel
                });
                if let Some(stream) = stream {
                    stream.cancel();
                }
                Ok(())
            }
        }
    }

    /// The writer of `key`'s connection, opening it on first contact; `None` once it closed.
    async fn stream(
        &mut self,
        key: &StreamKey,
        cancel: &CancellationToken,
        authenticated: Option<Authenticated>,
    ) -> Result<Option<(ConnectionId, ConnectionWriter)>, TransportError> {
        {
            let Ok(streams) = self.shared.streams.lock() else { return Ok(None) };
            if streams.closed.contains(key) {
                return Ok(None);
            }
            if let Some(open) = streams.open.get(key) {
                return Ok(Some((open.connection_id, open.writer.clone())));
            }
            if streams.open.len() + streams.handshaking.len() >= MAX_REMOTE_STREAMS {
                tracing::warn!(
                    client_id = %key.0,
                    "remote control: {MAX_REMOTE_STREAMS} remote connections open: refusing another"
                );
                return Ok(None);
            }
        }
        let connection_id = ConnectionId::next();
        let (writer, receiver) =
            ConnectionWriter::channel(connection_id, self.options.config.outbound_queue_capacity);
        let stream_cancel = cancel.child_token();
        let (sealer, opener) = match authenticated {
            Some(Authenticated { client_id, sealer, opener }) => {
                let registered = self.options.authority.as_ref().is_some_and(|authority| {
                    authority.register_stream(&client_id, stream_cancel.clone())
                });
                if !registered {
                    // Revoked between its proof and now.
                    self.refuse(key.clone(), AuthFailure::UnknownClient, None).await;
                    return Ok(None);
                }
                (Some(sealer), Some(opener))
            }
            None => (None, None),
        };
        if let Ok(mut streams) = self.shared.streams.lock() {
            streams.open.insert(
                key.clone(),
                OpenStream {
                    connection_id,
                    writer: writer.clone(),
                    cancel: stream_cancel.clone(),
                    opener,
                },
            );
        }
        tracing::debug!(connection = %connection_id, client_id = %key.0, "remote client connected");
        announce_open(
            &self.shared.events,
            connection_id,
            TransportKind::RemoteControl,
            writer.clone(),
            stream_cancel.clone(),
        )
        .await?;
        tokio::spawn(forward_stream(
            Arc::clone(&self.shared),
            key.clone(),
            connection_id,
            receiver,
            stream_cancel,
            sealer,
        ));
        Ok(Some((connection_id, writer)))
    }

    async fn deliver(
        &mut self,
        key: StreamKey,
        message: JsonRpcMessage,
        cancel: &CancellationToken,
    ) -> Result<(), TransportError> {
        let Some((connection_id, _)) = self.stream(&key, cancel, None).await? else {
            return Ok(());
        };
        self.shared
            .events
            .send(TransportEvent::MessageReceived { connection_id, message })
            .await
            .map_err(|_| TransportError::ServerGone)
    }

    async fn answer_garbage(
        &mut self,
        key: StreamKey,
        error: codex_app_server_protocol::JsonRpcError,
        cancel: &CancellationToken,
    ) -> Result<(), TransportError> {
        if let Some((_, writer)) = self.stream(&key, cancel, None).await? {
            let _ = writer.try_send(JsonRpcMessage::Error(error));
        }
        Ok(())
    }
}

impl Link {
    /// Handles one client message of a link that requires authenticated streams.
    async fn authenticated(
        &mut self,
        authority: &Arc<RemoteAuthority>,
        key: StreamKey,
        value: Value,
        cancel: &CancellationToken,
    ) -> Result<(), TransportError> {
        let phase = {
            let Ok(mut streams) = self.shared.streams.lock() else { return Ok(()) };
            if streams.closed.contains(&key) {
                StreamPhase::Closed
            } else if streams.open.contains_key(&key) {
                StreamPhase::Open
            } else if let Some(handshake) = streams.handshaking.remove(&key) {
                StreamPhase::Handshaking(handshake)
            } else {
                StreamPhase::New
            }
        };
        match phase {
            StreamPhase::Closed => Ok(()),
            StreamPhase::Open => {
                let opened = self.shared.streams.lock().ok().and_then(|mut streams| {
                    let open = streams.open.get_mut(&key)?;
                    let payload = open.opener.as_mut().map(|opener| opener.open(&value));
                    Some((open.connection_id, open.writer.clone(), payload))
                });
                let Some((connection_id, writer, payload)) = opened else { return Ok(()) };
                match payload {
                    Some(Ok(text)) => match JsonRpcMessage::parse(text.as_bytes()) {
                        Ok(message) => self
                            .shared
                            .events
                            .send(TransportEvent::MessageReceived { connection_id, message })
                            .await
                            .map_err(|_| TransportError::ServerGone),
                        Err(err) => {
                            let _ = writer.try_send(JsonRpcMessage::Error(err.to_error_response()));
                            Ok(())
                        }
                    },
                    Some(Err(failure)) => {
                        self.refuse(key, failure, None).await;
                        Ok(())
                    }
                    None => Ok(()),
                }
            }
            StreamPhase::New => {
                let full = self.shared.streams.lock().map_or(true, |streams| {
                    streams.open.len() + streams.handshaking.len() >= MAX_REMOTE_STREAMS
                });
                if full {
                    tracing::warn!(
                        client_id = %key.0,
                        "remote control: {MAX_REMOTE_STREAMS} remote streams open: refusing another"
                    );
                    return Ok(());
                }
                match authority.hello(&key.1, &value) {
                    Ok((handshake, challenge)) => {
                        if let Ok(mut streams) = self.shared.streams.lock() {
                            streams.handshaking.insert(key.clone(), handshake);
                        }
                        self.push_to_stream(&key, challenge.to_value()).await;
                    }
                    Err(failure) => self.refuse(key, failure, request_id(&value)).await,
                }
                Ok(())
            }
            StreamPhase::Handshaking(handshake) => {
                match authority.finish(handshake, &value).await {
                    Ok((client_id, accepted, sealer, opener)) => {
                        tracing::debug!(client_id = %key.0, paired_client = %client_id, "remote stream authenticated");
                        self.push_to_stream(&key, accepted.to_value()).await;
                        self.stream(&key, cancel, Some(Authenticated { client_id, sealer, opener }))
                            .await
                            .map(|_| ())
                    }
                    Err(failure) => {
                        self.refuse(key, failure, request_id(&value)).await;
                        Ok(())
                    }
                }
            }
        }
    }

    /// Queues `message` for the stream `key` as it is (handshake frames and refusals).
    async fn push_to_stream(&self, key: &StreamKey, message: Value) {
        let (client_id, stream_id) = key.clone();
        self.shared
            .outbox
            .push_message(|seq_id| {
                vec![ServerToRelay::ServerMessage {
                    client_id: client_id.clone(),
                    stream_id: stream_id.clone(),
                    seq_id,
                    message: message.clone(),
                }]
            })
            .await;
    }

    /// Sends the stream one JSON-RPC error saying why it failed authentication, and closes it.
    async fn refuse(&mut self, key: StreamKey, failure: AuthFailure, id: Option<RequestId>) {
        tracing::warn!(client_id = %key.0, stream_id = %key.1, "remote control: {}", failure.message());
        let error = codex_app_server_protocol::JsonRpcError::new(
            id,
            codex_app_server_protocol::error_codes::INVALID_REQUEST,
            failure.message(),
        );
        let message = serde_json::to_value(JsonRpcMessage::Error(error)).unwrap_or_default();
        self.push_to_stream(&key, message).await;
        let open = self.shared.streams.lock().ok().and_then(|mut streams| {
            let cancel = streams.open.get(&key).map(|open| open.cancel.clone());
            if cancel.is_none() {
                streams.forget(&key);
            }
            cancel
        });
        match open {
            // Its forwarder closes it at the relay once it stopped.
            Some(stream) => stream.cancel(),
            None => close_at_relay(&self.shared, &key),
        }
    }
}

/// The id of `value` when it is a JSON-RPC request.
fn request_id(value: &Value) -> Option<RequestId> {
    value.get("method")?;
    serde_json::from_value(value.get("id")?.clone()).ok()
}

/// Tells the relay the server no longer knows the stream `key` (it then closes the client's
/// socket): a `pong` of status `unknown` for it.
fn close_at_relay(shared: &Shared, key: &StreamKey) {
    let (client_id, stream_id) = key.clone();
    let _ = shared.outbox.push_pong(|seq_id| ServerToRelay::Pong {
        client_id: Some(client_id),
        stream_id: Some(stream_id),
        seq_id,
        status: PongStatus::Unknown,
    });
}

/// Moves one remote connection's outbound messages into the outbox until it closes.
async fn forward_stream(
    shared: Arc<Shared>,
    key: StreamKey,
    connection_id: ConnectionId,
    mut receiver: mpsc::Receiver<OutboundMessage>,
    cancel: CancellationToken,
    mut sealer: Option<Sealer>,
) {
    loop {
        let outbound = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            outbound = receiver.recv() => match outbound {
                Some(outbound) => outbound,
                None => break,
            },
        };
        let mut acks: Vec<_> = outbound.ack.into_iter().collect();
        let (text, message) = match outbound.message {
            OutboundPayload::Message(message) => match serde_json::to_string(&message) {
                Ok(text) => (text, Some(message)),
                Err(err) => {
                    resolve_acks(&mut acks, connection_id, Err(&err.to_string()));
                    continue;
                }
            },
            OutboundPayload::Serialized(text) => (text, None),
        };
        // An authenticated stream carries each message sealed, as the text of a frame.
        let (text, message) = match sealer.as_mut() {
            Some(sealer) => {
                let frame = sealer.seal(text).to_value();
                (frame.to_string(), Some(frame))
            }
            None => {
                (text, message.map(|message| serde_json::to_value(message).unwrap_or_default()))
            }
        };
        let max_frame = shared.max_frame_bytes.load(Ordering::Relaxed);
        let (client_id, stream_id) = key.clone();
        // A whole envelope is the message plus ids and field names.
        let envelope_size = text.len() + client_id.len() + stream_id.len() + 128;
        if envelope_size <= max_frame {
            let message = match message {
                Some(message) => message,
                None => serde_json::from_str(&text).unwrap_or_default(),
            };
            shared
                .outbox
                .push_message(|seq_id| {
                    vec![ServerToRelay::ServerMessage {
                        client_id: client_id.clone(),
                        stream_id: stream_id.clone(),
                        seq_id,
                        message: message.clone(),
                    }]
                })
                .await;
        } else {
            let pieces = split_into_chunks(text.as_bytes(), max_frame);
            let segment_count = pieces.len() as u32;
            let size = text.len() as u64;
            shared
                .outbox
                .push_message(|seq_id| {
                    pieces
                        .iter()
                        .enumerate()
                        .map(|(index, piece)| ServerToRelay::ServerMessageChunk {
                            client_id: client_id.clone(),
                            stream_id: stream_id.clone(),
                            seq_id,
                            segment_id: index as u32,
                            segment_count,
                            message_size_bytes: size,
                            message_chunk_base64: piece.clone(),
                        })
                        .collect()
                })
                .await;
        }
        resolve_acks(&mut acks, connection_id, Ok(()));
    }
    receiver.close();
    let known = shared.streams.lock().map(|mut streams| {
        let known = streams.open.contains_key(&key);
        streams.forget(&key);
        known
    });
    if known.unwrap_or(false) && cancel.is_cancelled() {
        // Closed by the server (a revocation, a failed message check, remote control stopping):
        // the relay should close the client's socket too.
        close_at_relay(&shared, &key);
    }
    tracing::debug!(connection = %connection_id, "remote client disconnected");
    let _ = shared.events.send(TransportEvent::ConnectionClosed { connection_id }).await;
}
