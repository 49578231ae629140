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
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
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
pub use store::token_digest;
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

/// Refuses a non-loopback address unless the operator says a TLS proxy fronts it.
pub fn check_bind(address: SocketAddr, behind_tls_proxy: bool) -> Result<(), RelayError> {
    if address.ip().is_loopback() || behind_tls_proxy {
        Ok(())
    } else {
        Err(RelayError::NonLoopback(address))
    }
}

/// Shared relay state.
#[derive(Debug)]
pub(crate) struct Relay {
    pub(crate) options: RelayOptions,
    pub(crate) store: Store,
    pub(crate) servers: std::sync::Mutex<std::collections::BTreeMap<String, ServerRecord>>,
    pub(crate) hubs: hub::Hubs,
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
        let store = Store::new(&options.state_dir);
        let servers = store.servers()?;
        let relay = Arc::new(Relay {
            options,
            store,
            servers: std::sync::Mutex::new(servers),
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
            .route(ENROLL_PATH, post(enroll))
            .route(REFRESH_PATH, post(refresh))
            .route(SERVER_SOCKET_PATH, get(server_socket))
            .route("/client/{server_id}", get(client_socket))
            .with_state(Arc::clone(&self.relay));
        let stop = shutdown.clone();
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

    /// Every enrolled server, by id.
    pub fn servers(&self) -> std::collections::BTreeMap<String, ServerRecord> {
        self.relay.servers.lock().map(|servers| servers.clone()).unwrap_or_default()
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

    fn save(
        &self,
        servers: &std::collections::BTreeMap<String, ServerRecord>,
    ) -> Result<(), Box<Response>> {
        self.store.save_servers(servers).map_err(|err| {
            tracing::error!("relay: {err}");
            Box::new(refuse(StatusCode::INTERNAL_SERVER_ERROR, "relay state unavailable"))
        })
    }

    /// Whether the grace after `record`'s expiry has not yet run out.
    fn within_grace(&self, record: &ServerRecord) -> bool {
        record.expires_at + self.options.refresh_grace.as_secs() as i64 > unix_now()
    }

    /// The server whose current, unexpired token is `token`.
    fn server_for_token(&self, token: &str) -> Option<String> {
        let servers = self.servers.lock().ok()?;
        servers.iter().find_map(|(id, record)| {
            (record.holds_current(token) && record.expires_at > unix_now()).then(|| id.clone())
        })
    }

    /// When the current token of `server_id` expires (seconds since the Unix epoch).
    pub(crate) fn token_expires_at(&self, server_id: &str) -> Option<i64> {
        let servers = self.servers.lock().ok()?;
        servers.get(server_id).map(|record| record.expires_at)
    }
}

async fn enroll(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Json(identity): Json<ServerIdentity>,
) -> Response {
    if identity.installation_id.is_empty() || identity.installation_id.len() > 128 {
        return refuse(StatusCode::BAD_REQUEST, "installation_id must be 1-128 characters");
    }
    let Ok(mut servers) = relay.servers.lock() else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "relay state unavailable");
    };
    // An installation keeps its server id (operators issue client tokens for it) only by proving
    // it holds that server's token; knowing the installation id is not enough.
    let proven = bearer(&headers).and_then(|token| {
        servers
            .iter()
            .find(|(_, record)| {
                record.installation_id == identity.installation_id
                    && record.holds(token)
                    && relay.within_grace(record)
            })
            .map(|(id, _)| id.clone())
    });
    let server_id = match proven {
        Some(server_id) => server_id,
        None => {
            // Enrollments past their grace can never be used again (no refresh, no proof, no
            // socket): forget them before counting.
            let forgotten: Vec<String> = servers
                .iter()
                .filter(|(_, record)| !relay.within_grace(record))
                .map(|(id, _)| id.clone())
                .collect();
            for id in &forgotten {
                servers.remove(id);
            }
            relay.hubs.forget(&forgotten);
            if servers.len() >= relay.options.max_servers {
                tracing::warn!("refusing an enrollment: {} servers enrolled", servers.len());
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "too many enrolled servers");
            }
            if servers.values().any(|record| record.installation_id == identity.installation_id) {
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
    servers.insert(server_id.clone(), record);
    if let Err(response) = relay.save(&servers) {
        return *response;
    }
    tracing::info!(%server_id, name = %identity.name, "server enrolled");
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
    let enrollment = relay.issue(&request.server_id, &mut record);
    servers.insert(request.server_id.clone(), record);
    if let Err(response) = relay.save(&servers) {
        return *response;
    }
    Json(enrollment).into_response()
}

async fn server_socket(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(server_id) = bearer(&headers).and_then(|token| relay.server_for_token(token)) else {
        return refuse(StatusCode::UNAUTHORIZED, "server token refused: enroll again");
    };
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
    let allowed = match relay.store.client_token_server(token) {
        Ok(allowed) => allowed,
        Err(err) => {
            tracing::error!("relay: {err}");
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "relay state unavailable");
        }
    };
    if allowed.as_deref() != Some(server_id.as_str()) {
        return refuse(StatusCode::UNAUTHORIZED, "client token refused for this server");
    }
    let client_id = format!("cli_{}", &token_digest(token)[..16]);
    let max_message = relay.options.max_message_bytes;
    upgrade
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| hub::serve_client(relay, server_id, client_id, socket))
}
