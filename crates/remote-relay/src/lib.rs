//! A self-hostable remote-control relay.
//!
//! App-servers enroll over HTTP (`POST /wham/remote/control/server/enroll`, `.../refresh`), then
//! keep a websocket open on `/wham/remote/control/server` with the issued bearer token. Remote
//! clients connect on `/client/<server_id>` with a token the operator issued for that server
//! ([`Store::issue_client_token`]); each client websocket becomes one `(client_id, stream_id)`
//! stream multiplexed over the server's socket with the envelopes of
//! [`codex_app_server_transport::remote_control`]. Frames to the server never exceed the
//! configured frame limit (larger client messages are chunked); server messages are
//! acknowledged once delivered, de-duplicated by sequence number after a reconnect, and a new
//! server session (a restarted or re-enabled server) closes the clients of the previous one.
//!
//! Server ids are bound to possession of the server token, not to the installation id alone: a
//! re-enrollment keeps its server id only when it carries `Authorization: Bearer <token>` with
//! the installation's current (or immediately previous) token, still within the refresh grace;
//! any other enrollment of a known installation id gets a fresh server id, so nobody can take
//! over another server's id (and its clients) by replaying its installation id. Server sockets
//! are closed once their token expires unrefreshed.
//!
//! The relay speaks plain `ws://`/`http://` and refuses non-loopback binds unless told it sits
//! behind a TLS-terminating reverse proxy ([`check_bind`]).

mod hub;
mod registry;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::DefaultBodyLimit;
use axum::extract::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use axum::Json;
use axum::Router;
use codex_app_server_transport::remote_control::unix_now;
use codex_app_server_transport::remote_control::Enrollment;
use codex_app_server_transport::remote_control::ServerIdentity;
use codex_app_server_transport::remote_control::ENROLL_PATH;
use codex_app_server_transport::remote_control::MAX_FRAME_HEADER;
use codex_app_server_transport::remote_control::MIN_FRAME_BYTES;
use codex_app_server_transport::remote_control::REFRESH_PATH;
use codex_app_server_transport::remote_control::SERVER_SOCKET_PATH;
use codex_app_server_transport::remote_control::SESSION_HEADER;
use serde::Deserialize;
pub use store::client_token_id;
pub use store::token_digest;
pub use store::ClientTokenCache;
pub use store::ClientTokenRecord;
pub use store::ServerRecord;
pub use store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Default frame limit towards servers: 1 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Default largest client message: 64 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Default bound on enrolled servers.
pub const DEFAULT_MAX_SERVERS: usize = 10_000;
/// Default lifetime of server tokens.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Default time after expiry during which a server token may still be refreshed, or prove
/// possession on re-enrollment.
pub const DEFAULT_REFRESH_GRACE: Duration = Duration::from_secs(24 * 3600);
/// Default bound on the bytes queued for one socket (and held for a server that is away).
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 128 * 1024 * 1024;
/// Default bound on the sockets open at once with one client token.
pub const DEFAULT_MAX_SOCKETS_PER_CLIENT_TOKEN: usize = 8;
/// Largest enrollment or refresh request body.
pub const MAX_ENROLL_BODY_BYTES: usize = 4 * 1024;
/// Longest `name`, `os`, `arch`, `app_server_version` or `installation_id` on enrollment.
pub const MAX_IDENTITY_FIELD_BYTES: usize = 128;

/// Everything that can go wrong in the relay.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The listen address is unacceptable.
    #[error("invalid --listen {0:?}: expected ws://IP:PORT")]
    InvalidListen(String),
    /// A non-loopback bind without the proxy acknowledgement.
    #[error(
        "refusing to listen on {0}: the relay speaks plain ws:// and would expose tokens; listen on \
         127.0.0.1 behind a TLS-terminating reverse proxy, or pass --behind-tls-proxy if this \
         address is only reachable through one"
    )]
    NonLoopback(SocketAddr),
    /// A wildcard bind, refused even behind a proxy.
    #[error(
        "refusing to listen on {0}: a wildcard address exposes the plain ws:// relay on every \
         interface; bind the specific address the TLS proxy connects to"
    )]
    Unspecified(SocketAddr),
    /// The state directory could not be read or written.
    #[error("relay state: {0}")]
    Store(String),
    /// A socket operation failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Settings of a relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Where enrollments and client tokens live.
    pub state_dir: PathBuf,
    /// Largest frame sent to or accepted from a server; larger messages travel in chunks.
    pub max_frame_bytes: usize,
    /// Largest message accepted from a client (and reassembled from a server).
    pub max_message_bytes: usize,
    /// Lifetime of issued server tokens; a server socket whose token expired unrefreshed is closed.
    pub token_ttl: Duration,
    /// How long after expiry a token may still be refreshed or prove possession on re-enrollment.
    pub refresh_grace: Duration,
    /// Frames kept for a server while its socket is down.
    pub max_pending_frames: usize,
    /// Bytes queued for one socket, and held for a server while its socket is down (raised to
    /// at least one largest message plus one frame).
    pub max_queued_bytes: usize,
    /// Sockets open at once with one client token.
    pub max_sockets_per_client_token: usize,
    /// Interval between pings to each server.
    pub ping_interval: Duration,
    /// Most enrolled servers kept at once (enrollment is open to anyone who can reach the relay).
    pub max_servers: usize,
}

impl RelayOptions {
    /// Defaults with state in `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            state_dir: state_dir.into(),
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            token_ttl: DEFAULT_TOKEN_TTL,
            refresh_grace: DEFAULT_REFRESH_GRACE,
            max_pending_frames: 4096,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            max_sockets_per_client_token: DEFAULT_MAX_SOCKETS_PER_CLIENT_TOKEN,
            ping_interval: Duration::from_secs(15),
            max_servers: DEFAULT_MAX_SERVERS,
        }
    }
}

/// Parses `ws://IP:PORT`.
pub fn parse_listen(raw: &str) -> Result<SocketAddr, RelayError> {
    raw.strip_prefix("ws://")
        .and_then(|rest| rest.trim_end_matches('/').parse().ok())
        .ok_or_else(|| RelayError::InvalidListen(raw.to_owned()))
}

/// Refuses a non-loopback address unless the operator says a TLS proxy fronts it, and a
/// wildcard address (every interface, not only the one the proxy uses) always.
pub fn check_bind(address: SocketAddr, behind_tls_proxy: bool) -> Result<(), RelayError> {
    if address.ip().is_loopback() {
        Ok(())
    } else if address.ip().is_unspecified() {
        Err(RelayError::Unspecified(address))
    } else if behind_tls_proxy {
        Ok(())
    } else {
        Err(RelayError::NonLoopback(address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_binds_are_refused_even_behind_a_tls_proxy() {
        for raw in ["ws://0.0.0.0:8765", "ws://[::]:8765"] {
            let address = parse_listen(raw).unwrap();
            assert!(matches!(check_bind(address, true), Err(RelayError::Unspecified(_))), "{raw}");
            assert!(check_bind(address, false).is_err(), "{raw}");
        }
        let private = parse_listen("ws://10.1.2.3:8765").unwrap();
        assert!(check_bind(private, true).is_ok());
        assert!(matches!(check_bind(private, false), Err(RelayError::NonLoopback(_))));
        assert!(check_bind(parse_listen("ws://127.0.0.1:0").unwrap(), false).is_ok());
    }
}

/// Shared relay state.
#[derive(Debug)]
pub(crate) struct Relay {
    pub(crate) options: RelayOptions,
    pub(crate) store: Store,
    pub(crate) servers: std::sync::Mutex<registry::Registry>,
    /// Serialises writes of `servers.json` (each writes the latest state, off the async threads).
    pub(crate) writing: tokio::sync::Mutex<()>,
    pub(crate) client_tokens: std::sync::Mutex<ClientTokenCache>,
    /// Open client sockets per client id (one client id per client token).
    pub(crate) client_sockets: std::sync::Mutex<std::collections::HashMap<String, usize>>,
    pub(crate) hubs: hub::Hubs,
}

/// One client socket counted against its token's bound; released when dropped.
#[derive(Debug)]
pub(crate) struct ClientSlot {
    relay: Arc<Relay>,
    client_id: String,
}

impl ClientSlot {
    /// Takes a slot for `client_id`, or `None` when its token has too many sockets open.
    fn take(relay: &Arc<Relay>, client_id: &str) -> Option<Self> {
        let mut sockets = relay.client_sockets.lock().ok()?;
        let open = sockets.entry(client_id.to_owned()).or_default();
        if *open >= relay.options.max_sockets_per_client_token {
            return None;
        }
        *open += 1;
        Some(Self { relay: Arc::clone(relay), client_id: client_id.to_owned() })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Ok(mut sockets) = self.relay.client_sockets.lock() {
            if let Some(open) = sockets.get_mut(&self.client_id) {
                *open = open.saturating_sub(1);
                if *open == 0 {
                    sockets.remove(&self.client_id);
                }
            }
        }
    }
}

/// A relay: its state and the operations tests and operators need on a running one.
#[derive(Debug, Clone)]
pub struct RelayHandle {
    relay: Arc<Relay>,
}

impl RelayHandle {
    /// A relay with `options` (reads the enrolled servers from the state directory).
    pub fn new(mut options: RelayOptions) -> Result<Self, RelayError> {
        options.max_frame_bytes = options.max_frame_bytes.max(MIN_FRAME_BYTES);
        options.max_queued_bytes = options
            .max_queued_bytes
            .max(options.max_message_bytes.saturating_add(options.max_frame_bytes));
        let store = Store::new(&options.state_dir);
        let servers = store.servers()?;
        let relay = Arc::new(Relay {
            options,
            store,
            servers: std::sync::Mutex::new(registry::Registry::new(servers)),
            writing: tokio::sync::Mutex::new(()),
            client_tokens: std::sync::Mutex::new(ClientTokenCache::default()),
            client_sockets: std::sync::Mutex::new(std::collections::HashMap::new()),
            hubs: hub::Hubs::default(),
        });
        Ok(Self { relay })
    }

    /// Serves on `listener` until `shutdown` fires.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), RelayError> {
        let app = Router::new()
            .route(ENROLL_PATH, post(enroll).layer(DefaultBodyLimit::max(MAX_ENROLL_BODY_BYTES)))
            .route(REFRESH_PATH, post(refresh).layer(DefaultBodyLimit::max(MAX_ENROLL_BODY_BYTES)))
            .route(SERVER_SOCKET_PATH, get(server_socket))
            .route("/client/{server_id}", get(client_socket))
            .with_state(Arc::clone(&self.relay));
        let stop = shutdown.clone();
        // Envelopes are small and latency-bound: no Nagle delay on any socket.
        let listener = axum::serve::ListenerExt::tap_io(listener, |socket| {
            if let Err(err) = socket.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY not set on a relay socket: {err}");
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await?;
        self.relay.hubs.close_all();
        Ok(())
    }

    /// Drops the socket of `server_id` (it reconnects); false when it was not connected.
    pub fn disconnect_server(&self, server_id: &str) -> bool {
        self.relay.hubs.disconnect_server(server_id)
    }

    /// How many times `server_id` connected its socket since the relay started.
    pub fn server_connections(&self, server_id: &str) -> u64 {
        self.relay.hubs.generation(server_id)
    }

    /// How many per-server hubs the relay holds (bounded by the servers it still knows).
    pub fn hub_count(&self) -> usize {
        self.relay.hubs.len()
    }

    /// Operator power, used by the attacker-side tests: a copy of every envelope this relay
    /// forwards to `server_id` from now on (what anyone running a relay can record).
    pub fn tap(&self, server_id: &str) -> tokio::sync::mpsc::UnboundedReceiver<String> {
        self.relay.hubs.tap(server_id)
    }

    /// Operator power, used by the attacker-side tests: sends the raw envelope `frame` to
    /// `server_id` as if a client had sent it (what anyone running a relay can do). False when
    /// the server is unknown or its queue is full.
    pub fn inject(&self, server_id: &str, frame: String) -> bool {
        self.relay.hubs.to_server(server_id, frame, hub::PendingLimits::of(&self.relay))
    }

    /// Every enrolled server, by id.
    pub fn servers(&self) -> std::collections::BTreeMap<String, ServerRecord> {
        self.relay.servers.lock().map(|servers| servers.snapshot()).unwrap_or_default()
    }
}

/// Serves a relay with `options` on `listener` until `shutdown` fires.
pub async fn serve_relay(
    listener: TcpListener,
    options: RelayOptions,
    shutdown: CancellationToken,
) -> Result<(), RelayError> {
    RelayHandle::new(options)?.serve(listener, shutdown).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, why.to_owned()).into_response()
}

impl Relay {
    fn issue(&self, server_id: &str, record: &mut ServerRecord) -> Enrollment {
        let token = store::new_token();
        record.previous_token_sha256 =
            std::mem::replace(&mut record.token_sha256, token_digest(&token));
        // Expiry is in whole seconds on the wire: count the current second as started, so a
        // token lives at least its full lifetime instead of expiring up to a second early.
        record.expires_at = unix_now() + 1 + self.options.token_ttl.as_secs().max(1) as i64;
        Enrollment {
            server_id: server_id.to_owned(),
            environment_id: record.environment_id.clone(),
            remote_control_token: token,
            expires_at: record.expires_at,
        }
    }

    /// Writes the latest enrolled servers to disk, off the async threads and outside the lock.
    async fn persist(&self) -> Result<(), Box<Response>> {
        let failed = |why: String| {
            tracing::error!("relay: {why}");
            Box::new(refuse(StatusCode::INTERNAL_SERVER_ERROR, "relay state unavailable"))
        };
        let _writing = self.writing.lock().await;
        // Taken after the write lock: whoever writes last writes the newest state.
        let snapshot = match self.servers.lock() {
            Ok(servers) => servers.snapshot(),
            Err(_) => return Err(failed("server registry poisoned".into())),
        };
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.save_servers(&snapshot)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(failed(err.to_string())),
            Err(err) => Err(failed(format!("state writer failed: {err}"))),
        }
    }

    /// Whether the grace after `record`'s expiry has not yet run out.
    fn within_grace(&self, record: &ServerRecord) -> bool {
        record.expires_at + self.options.refresh_grace.as_secs() as i64 > unix_now()
    }

    /// The server whose current, unexpired token is `token`. Using the current token retires
    /// the previous one (returns whether the registry changed and must be saved).
    fn server_for_token(&self, token: &str) -> Option<(String, bool)> {
        let mut servers = self.servers.lock().ok()?;
        let (id, record, matched) = servers.by_token_digest(&token_digest(token))?;
        if matched != registry::TokenMatch::Current || record.expires_at <= unix_now() {
            return None;
        }
        let id = id.to_owned();
        if record.previous_token_sha256.is_empty() {
            return Some((id, false));
        }
        let mut record = record.clone();
        record.previous_token_sha256.clear();
        servers.insert(id.clone(), record);
        Some((id, true))
    }

    /// The server a client token may reach now (`None` once revoked, or when the state is
    /// unreadable: an open socket is then closed rather than kept on stale rights).
    pub(crate) fn client_token_server(&self, token: &str) -> Option<String> {
        let mut cache = self.client_tokens.lock().ok()?;
        match self.store.cached_client_token_server(&mut cache, token) {
            Ok(server) => server,
            Err(err) => {
                tracing::error!("relay: {err}");
                None
            }
        }
    }

    /// When the current token of `server_id` expires (seconds since the Unix epoch).
    pub(crate) fn token_expires_at(&self, server_id: &str) -> Option<i64> {
        let servers = self.servers.lock().ok()?;
        servers.get(server_id).map(|record| record.expires_at)
    }
}

/// Refuses identity fields that are empty (installation id), too long or hold control characters.
fn check_identity(identity: &ServerIdentity) -> Result<(), String> {
    let fields = [
        ("name", &identity.name),
        ("os", &identity.os),
        ("arch", &identity.arch),
        ("app_server_version", &identity.app_server_version),
        ("installation_id", &identity.installation_id),
    ];
    for (field, value) in fields {
        if value.len() > MAX_IDENTITY_FIELD_BYTES {
            return Err(format!("{field} must be at most {MAX_IDENTITY_FIELD_BYTES} bytes"));
        }
        if value.chars().any(char::is_control) {
            return Err(format!("{field} must not contain control characters"));
        }
    }
    if identity.installation_id.is_empty() {
        return Err("installation_id must not be empty".into());
    }
    Ok(())
}

async fn enroll(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Json(identity): Json<ServerIdentity>,
) -> Response {
    if let Err(why) = check_identity(&identity) {
        return refuse(StatusCode::BAD_REQUEST, &why);
    }
    let proof = bearer(&headers).map(token_digest);
    let (enrollment, forgotten) = {
        let Ok(mut servers) = relay.servers.lock() else {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "relay state unavailable");
        };
        // An installation keeps its server id (operators issue client tokens for it) only by
        // proving it holds that server's token; knowing the installation id is not enough.
        let proven = proof.as_deref().and_then(|digest| servers.by_token_digest(digest)).and_then(
            |(id, record, matched)| {
                (record.installation_id == identity.installation_id && relay.within_grace(record))
                    .then(|| (id.to_owned(), matched))
            },
        );
        let mut forgotten = Vec::new();
        let server_id = match proven {
            Some((server_id, matched)) => {
                if matched == registry::TokenMatch::Previous {
                    tracing::warn!(
                        %server_id,
                        "re-enrollment proved by the previous token (a lost refresh answer, or a replay)"
                    );
                }
                server_id
            }
            None => {
                // Enrollments past their grace can never be used again (no refresh, no proof, no
                // socket): forget them before counting.
                forgotten = servers.forget_where(|record| !relay.within_grace(record));
                if servers.len() >= relay.options.max_servers {
                    tracing::warn!("refusing an enrollment: {} servers enrolled", servers.len());
                    drop(servers);
                    relay.hubs.forget(&forgotten);
                    return refuse(StatusCode::SERVICE_UNAVAILABLE, "too many enrolled servers");
                }
                if servers.values().any(|record| record.installation_id == identity.installation_id)
                {
                    tracing::warn!(
                        installation_id = %identity.installation_id,
                        "enrollment of a known installation without proof of its token: issuing a new server id"
                    );
                }
                format!("srv_{}", uuid::Uuid::new_v4().simple())
            }
        };
        let mut record = servers.get(&server_id).cloned().unwrap_or_else(|| ServerRecord {
            installation_id: identity.installation_id.clone(),
            environment_id: format!("env_{}", uuid::Uuid::new_v4().simple()),
            name: identity.name.clone(),
            token_sha256: String::new(),
            previous_token_sha256: String::new(),
            expires_at: 0,
        });
        record.name = identity.name.clone();
        let enrollment = relay.issue(&server_id, &mut record);
        servers.insert(server_id, record);
        (enrollment, forgotten)
    };
    relay.hubs.forget(&forgotten);
    if let Err(response) = relay.persist().await {
        return *response;
    }
    tracing::info!(server_id = %enrollment.server_id, name = %identity.name, "server enrolled");
    Json(enrollment).into_response()
}

#[derive(Deserialize)]
struct RefreshRequest {
    server_id: String,
    installation_id: String,
}

async fn refresh(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Json(request): Json<RefreshRequest>,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return refuse(StatusCode::UNAUTHORIZED, "missing bearer token");
    };
    let enrollment = {
        let Ok(mut servers) = relay.servers.lock() else {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "relay state unavailable");
        };
        let Some(mut record) = servers.get(&request.server_id).cloned() else {
            return refuse(StatusCode::UNAUTHORIZED, "unknown server");
        };
        let valid = record.holds_current(token)
            && record.installation_id == request.installation_id
            && relay.within_grace(&record);
        if !valid {
            return refuse(StatusCode::UNAUTHORIZED, "token refused");
        }
        // The token just used becomes the previous one (the refresh answer may be lost); the
        // one before it is retired.
        let enrollment = relay.issue(&request.server_id, &mut record);
        servers.insert(request.server_id.clone(), record);
        enrollment
    };
    if let Err(response) = relay.persist().await {
        return *response;
    }
    Json(enrollment).into_response()
}

async fn server_socket(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some((server_id, retired_previous)) =
        bearer(&headers).and_then(|token| relay.server_for_token(token))
    else {
        return refuse(StatusCode::UNAUTHORIZED, "server token refused: enroll again");
    };
    if retired_previous {
        // The server holds its current token: the previous one no longer proves anything.
        if let Err(response) = relay.persist().await {
            return *response;
        }
    }
    let session = headers
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let limit = relay.options.max_frame_bytes;
    let relay_for_socket = Arc::clone(&relay);
    let mut response = upgrade
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| hub::serve_server(relay_for_socket, server_id, session, socket));
    if let Ok(value) = limit.to_string().parse() {
        response.headers_mut().insert(MAX_FRAME_HEADER, value);
    }
    response
}

async fn client_socket(
    State(relay): State<Arc<Relay>>,
    Path(server_id): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if headers.contains_key(axum::http::header::ORIGIN) {
        return refuse(StatusCode::FORBIDDEN, "browser origins are not accepted");
    }
    let Some(token) = bearer(&headers) else {
        return refuse(StatusCode::UNAUTHORIZED, "missing bearer token");
    };
    let allowed = match relay.client_tokens.lock() {
        Ok(mut cache) => relay.store.cached_client_token_server(&mut cache, token),
        Err(_) => Err(RelayError::Store("client token cache poisoned".into())),
    };
    let allowed = match allowed {
        Ok(allowed) => allowed,
        Err(err) => {
            tracing::error!("relay: {err}");
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "relay state unavailable");
        }
    };
    let token = token.to_owned();
    if allowed.as_deref() != Some(server_id.as_str()) {
        return refuse(StatusCode::UNAUTHORIZED, "client token refused for this server");
    }
    let client_id = store::client_token_id(&token_digest(&token));
    let Some(slot) = ClientSlot::take(&relay, &client_id) else {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "too many sockets open with this client token",
        );
    };
    let max_message = relay.options.max_message_bytes;
    upgrade.max_message_size(max_message).max_frame_size(max_message).on_upgrade(move |socket| {
        hub::serve_client(relay, server_id, client_id, token, socket, slot)
    })
}
