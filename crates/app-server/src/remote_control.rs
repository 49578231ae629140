//! Remote control on the server side: the persistent installation id, the runtime lifecycle of
//! the relay link (`remoteControl/enable`, `remoteControl/disable`, `remoteControl/status/read`),
//! storing enrollments in the state database, and `remoteControl/status/changed` broadcasts.
//!
//! The link itself (enrollment, relay socket, remote connections) lives in
//! [`codex_app_server_transport::remote_control`]; remote clients reach the processor as ordinary
//! connections of kind [`TransportKind::RemoteControl`]. Remote control starts at launch only with
//! `codex app-server --remote-control`; `[features].remote_control` in config starts nothing.
//!
//! It also owns this server's side of end-to-end pairing: the server identity key (in the state
//! database's key/value table), the paired clients (table `remote_control_clients`, public keys
//! only) behind a [`RemoteAuthority`], and `remoteControl/pairing/start`,
//! `remoteControl/pairing/status`, `remoteControl/client/list` and `remoteControl/client/revoke`,
//! which only local connections may call. With `[remote_control] require_pairing = false` the
//! link forwards unauthenticated streams as before (with a warning).

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::RemoteControlClient;
use codex_app_server_protocol::v2::RemoteControlClientsListOrder;
use codex_app_server_protocol::v2::RemoteControlClientsListResponse;
use codex_app_server_protocol::v2::RemoteControlClientsRevokeResponse;
use codex_app_server_protocol::v2::RemoteControlConnectionStatus;
use codex_app_server_protocol::v2::RemoteControlPairingStartResponse;
use codex_app_server_protocol::v2::RemoteControlPairingStatusResponse;
use codex_app_server_protocol::v2::RemoteControlStatusChangedNotification;
use codex_app_server_protocol::v2::RemoteControlStatusReadResponse;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::remote_control::pairing::new_server_secret;
use codex_app_server_transport::remote_control::pairing::ClientStore;
use codex_app_server_transport::remote_control::pairing::PairedClient;
use codex_app_server_transport::remote_control::pairing::PairingStartError;
use codex_app_server_transport::remote_control::pairing::PairingState;
use codex_app_server_transport::remote_control::pairing::RemoteAuthority;
use codex_app_server_transport::remote_control::pairing::PAIRING_CODE_TTL;
use codex_app_server_transport::remote_control::run_remote_control;
use codex_app_server_transport::remote_control::Enrollment;
use codex_app_server_transport::remote_control::RelayUrl;
use codex_app_server_transport::remote_control::RemoteControlOptions;
use codex_app_server_transport::remote_control::RemoteControlUpdate;
use codex_app_server_transport::remote_control::ServerIdentity;
use codex_app_server_transport::TransportEvent;
use codex_app_server_transport::TransportKind;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::handlers::to_result;
use crate::outbound::OutboundRouter;
use crate::processor::HandlerResult;
use crate::state::StateDb;

/// File under `$CODEX_HOME` holding the installation id.
pub const INSTALLATION_ID_FILE: &str = "installation_id";
/// Key of the stored enrollment in the state database.
pub const ENROLLMENT_KEY: &str = "remote_control.enrollment";
/// Key of this server's remote-control identity key (secret, base64url) in the state database.
pub const SERVER_KEY_KEY: &str = "remote_control.server_key";
/// Most clients one `remoteControl/client/list` page holds (and the default page size).
pub const MAX_CLIENT_PAGE: u32 = 100;

/// Why remote control could not be enabled.
#[derive(Debug, thiserror::Error)]
pub enum RemoteControlError {
    /// No relay is configured.
    #[error("remote control needs a relay: set `[remote_control] url` in config.toml")]
    NotConfigured,
    /// The configured relay URL is unacceptable.
    #[error("{0}")]
    InvalidUrl(String),
    /// Enrollments live in the state database, which cannot be used.
    #[error("remote control is unavailable: the state database cannot be used ({0})")]
    StateUnavailable(String),
    /// The installation id could not be read or created.
    #[error("remote control is unavailable: {0}")]
    InstallationId(String),
    /// The server is shutting down or was built without a transport for remote clients.
    #[error("remote control is unavailable in this server")]
    NotAttached,
}

/// Reads `$CODEX_HOME/installation_id`, creating it (a UUID, mode 0600) when absent or invalid.
pub fn load_or_create_installation_id(codex_home: &Path) -> std::io::Result<String> {
    let path = codex_home.join(INSTALLATION_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            if let Ok(id) = uuid::Uuid::parse_str(text.trim()) {
                return Ok(id.hyphenated().to_string());
            }
            tracing::warn!(path = %path.display(), "installation id file is invalid; replacing it");
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    std::fs::create_dir_all(codex_home)?;
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let mut file = tempfile::NamedTempFile::new_in(codex_home)?;
    std::fs::set_permissions(file.path(), std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(id.as_bytes())?;
    file.as_file().sync_all()?;
    // Another server may have created it meanwhile: keep whichever came first.
    match file.persist_noclobber(&path) {
        Ok(_) => Ok(id),
        Err(_) => {
            let text = std::fs::read_to_string(&path)?;
            Ok(text.trim().to_owned())
        }
    }
}

/// The stored enrollment and the relay it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredEnrollment {
    base_url: String,
    enrollment: Enrollment,
}

/// A status snapshot, as every remote-control response and notification carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteControlSnapshot {
    /// The link's status.
    pub status: RemoteControlConnectionStatus,
    /// This server's display name.
    pub server_name: String,
    /// The persistent installation id.
    pub installation_id: String,
    /// The relay environment, once enrolled.
    pub environment_id: Option<String>,
}

impl RemoteControlSnapshot {
    /// The `remoteControl/status/changed` notification for this snapshot.
    pub fn notification(&self) -> RemoteControlStatusChangedNotification {
        RemoteControlStatusChangedNotification {
            environment_id: self.environment_id.clone(),
            installation_id: self.installation_id.clone(),
            server_name: self.server_name.clone(),
            status: self.status.clone(),
        }
    }
}

#[derive(Debug)]
enum Lifecycle {
    Stopped,
    Running { cancel: CancellationToken },
}

/// Paired clients kept in the state database.
#[derive(Debug)]
struct StateClientStore(StateDb);

impl ClientStore for StateClientStore {
    fn insert(&self, client: PairedClient) -> BoxFuture<'static, Result<(), String>> {
        let state = self.0.clone();
        Box::pin(async move {
            let record = crate::state::RemoteClientRecord {
                client_id: client.client_id,
                public_key: client.public_key,
                display_name: client.display_name,
                paired_at: client.paired_at,
                last_seen_at: client.last_seen_at,
            };
            state.insert_remote_client(&record).await.map_err(|err| err.to_string())
        })
    }

    fn remove(&self, client_id: String) -> BoxFuture<'static, Result<(), String>> {
        let state = self.0.clone();
        Box::pin(async move {
            state.remove_remote_client(&client_id).await.map(|_| ()).map_err(|err| err.to_string())
        })
    }

    fn seen(&self, client_id: String, at: i64) -> BoxFuture<'static, Result<(), String>> {
        let state = self.0.clone();
        Box::pin(async move {
            state.touch_remote_client(&client_id, at).await.map_err(|err| err.to_string())
        })
    }
}

/// Whether remote streams must authenticate end to end: `[remote_control] require_pairing`,
/// true unless set to false.
pub fn require_pairing(config: &Config) -> bool {
    config
        .table
        .get("remote_control")
        .and_then(|table| table.get("require_pairing"))
        .and_then(|value| value.as_bool())
        .unwrap_or(true)
}

#[derive(Debug)]
struct Inner {
    lifecycle: Lifecycle,
    generation: u64,
    status: RemoteControlConnectionStatus,
    environment_id: Option<String>,
}

/// The server's remote-control state; one per server.
#[derive(Debug)]
pub struct RemoteControl {
    codex_home: PathBuf,
    state: StateDb,
    installation_id: Result<String, String>,
    server_name: String,
    events: Mutex<Option<mpsc::Sender<TransportEvent>>>,
    router: OnceLock<OutboundRouter>,
    inner: Mutex<Inner>,
    authority: tokio::sync::OnceCell<Arc<RemoteAuthority>>,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "codex-app-server".to_owned())
}

impl RemoteControl {
    /// Remote control for the server whose state lives in `codex_home` and `state` (disabled).
    pub fn new(codex_home: &Path, state: StateDb) -> Self {
        let installation_id = load_or_create_installation_id(codex_home).map_err(|err| {
            format!("cannot create {}: {err}", codex_home.join(INSTALLATION_ID_FILE).display())
        });
        if let Err(err) = &installation_id {
            tracing::warn!("{err}");
        }
        Self {
            codex_home: codex_home.to_path_buf(),
            state,
            installation_id,
            server_name: host_name(),
            events: Mutex::new(None),
            router: OnceLock::new(),
            inner: Mutex::new(Inner {
                lifecycle: Lifecycle::Stopped,
                generation: 0,
                status: RemoteControlConnectionStatus::Disabled,
                environment_id: None,
            }),
            authority: tokio::sync::OnceCell::new(),
        }
    }

    /// The pairing authority: this server's identity key (created on first use) and the paired
    /// clients, loaded from the state database once.
    pub async fn authority(&self) -> Result<Arc<RemoteAuthority>, RemoteControlError> {
        self.authority
            .get_or_try_init(|| async {
                let unavailable = |err: String| RemoteControlError::StateUnavailable(err);
                let stored = self
                    .state
                    .get_value(SERVER_KEY_KEY)
                    .await
                    .map_err(|err| unavailable(err.to_string()))?
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .and_then(|text| B64.decode(text).ok())
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
                let secret = match stored {
                    Some(secret) => secret,
                    None => {
                        let secret =
                            new_server_secret().map_err(|err| unavailable(err.to_string()))?;
                        let value = serde_json::Value::String(B64.encode(secret));
                        self.state
                            .set_value(SERVER_KEY_KEY, &value)
                            .await
                            .map_err(|err| unavailable(err.to_string()))?;
                        secret
                    }
                };
                let clients = self
                    .state
                    .remote_clients()
                    .await
                    .map_err(|err| unavailable(err.to_string()))?
                    .into_iter()
                    .map(|record| PairedClient {
                        client_id: record.client_id,
                        public_key: record.public_key,
                        display_name: record.display_name,
                        paired_at: record.paired_at,
                        last_seen_at: record.last_seen_at,
                    })
                    .collect();
                let store = Arc::new(StateClientStore(self.state.clone()));
                Ok(Arc::new(RemoteAuthority::new(secret, clients, store)))
            })
            .await
            .cloned()
    }

    /// The environment id pairing reports: the relay's environment once enrolled, else this
    /// server's remote-control id.
    fn environment_id(&self, authority: &RemoteAuthority) -> String {
        self.snapshot().environment_id.unwrap_or_else(|| authority.server_id().to_owned())
    }

    /// Connects remote control to the processor's event stream and router.
    pub fn attach(&self, events: mpsc::Sender<TransportEvent>, router: OutboundRouter) {
        if let Ok(mut slot) = self.events.lock() {
            *slot = Some(events);
        }
        let _ = self.router.set(router);
    }

    /// The current status.
    pub fn snapshot(&self) -> RemoteControlSnapshot {
        let (status, environment_id) = self
            .inner
            .lock()
            .map(|inner| (inner.status.clone(), inner.environment_id.clone()))
            .unwrap_or((RemoteControlConnectionStatus::Errored, None));
        RemoteControlSnapshot {
            status,
            server_name: self.server_name.clone(),
            installation_id: self.installation_id.clone().unwrap_or_default(),
            environment_id,
        }
    }

    /// Starts the relay link (a no-op when running). Enrollment and socket failures later are
    /// status changes; errors here mean remote control cannot run at all.
    pub async fn enable(
        self: &Arc<Self>,
        config: &Config,
    ) -> Result<RemoteControlSnapshot, RemoteControlError> {
        let installation_id =
            self.installation_id.clone().map_err(RemoteControlError::InstallationId)?;
        let raw_url = config
            .table
            .get("remote_control")
            .and_then(|table| table.get("url"))
            .and_then(|url| url.as_str())
            .ok_or(RemoteControlError::NotConfigured)?;
        let url = RelayUrl::parse(raw_url)
            .map_err(|err| RemoteControlError::InvalidUrl(err.to_string()))?;
        let stored = self
            .state
            .get_value(ENROLLMENT_KEY)
            .await
            .map_err(|err| RemoteControlError::StateUnavailable(err.to_string()))?
            .and_then(|value| serde_json::from_value::<StoredEnrollment>(value).ok())
            .filter(|stored| stored.base_url == url.as_str());
        let events = self
            .events
            .lock()
            .ok()
            .and_then(|events| events.clone())
            .ok_or(RemoteControlError::NotAttached)?;
        let (generation, cancel) = {
            let Ok(mut inner) = self.inner.lock() else {
                return Err(RemoteControlError::NotAttached);
            };
            if matches!(inner.lifecycle, Lifecycle::Running { .. }) {
                drop(inner);
                return Ok(self.snapshot());
            }
            inner.generation += 1;
            let cancel = CancellationToken::new();
            inner.lifecycle = Lifecycle::Running { cancel: cancel.clone() };
            inner.environment_id =
                stored.as_ref().map(|stored| stored.enrollment.environment_id.clone());
            (inner.generation, cancel)
        };
        let identity = ServerIdentity {
            name: self.server_name.clone(),
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            app_server_version: env!("CARGO_PKG_VERSION").to_owned(),
            installation_id,
        };
        let mut options = RemoteControlOptions::new(url.clone(), identity);
        options.enrollment = stored.map(|stored| stored.enrollment);
        if require_pairing(config) {
            match self.authority().await {
                Ok(authority) => options.authority = Some(authority),
                Err(err) => {
                    // Never fall back to unauthenticated streams.
                    if let Ok(mut inner) = self.inner.lock() {
                        inner.lifecycle = Lifecycle::Stopped;
                    }
                    cancel.cancel();
                    return Err(err);
                }
            }
        } else {
            tracing::warn!(
                "remote control: `[remote_control] require_pairing = false`: every stream the \
                 relay forwards gets a full connection; the relay operator and anyone with a \
                 relay client token can act on this machine with your rights"
            );
        }
        let (updates_tx, mut updates) = mpsc::unbounded_channel();
        tokio::spawn(run_remote_control(options, events, updates_tx, cancel));
        self.set_status(generation, RemoteControlConnectionStatus::Connecting, None).await;
        let this = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(update) = updates.recv().await {
                this.apply(generation, update, &url).await;
            }
        });
        Ok(self.snapshot())
    }

    /// Stops the relay link and closes every remote connection.
    pub async fn disable(&self) -> RemoteControlSnapshot {
        let stopped = self.inner.lock().ok().and_then(|mut inner| {
            match std::mem::replace(&mut inner.lifecycle, Lifecycle::Stopped) {
                Lifecycle::Running { cancel, .. } => {
                    cancel.cancel();
                    inner.generation += 1;
                    Some(inner.generation)
                }
                Lifecycle::Stopped => None,
            }
        });
        if let Some(generation) = stopped {
            self.set_status(generation, RemoteControlConnectionStatus::Disabled, None).await;
        }
        self.snapshot()
    }

    /// Stops the link for good and lets go of the processor's event stream (server shutdown).
    pub fn shutdown(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            if let Lifecycle::Running { cancel, .. } =
                std::mem::replace(&mut inner.lifecycle, Lifecycle::Stopped)
            {
                cancel.cancel();
            }
            inner.generation += 1;
        }
        if let Ok(mut events) = self.events.lock() {
            events.take();
        }
    }

    /// Applies one update of the link started as `generation`.
    async fn apply(&self, generation: u64, update: RemoteControlUpdate, url: &RelayUrl) {
        match update {
            RemoteControlUpdate::Connecting => {
                self.set_status(generation, RemoteControlConnectionStatus::Connecting, None).await;
            }
            RemoteControlUpdate::Connected => {
                self.set_status(generation, RemoteControlConnectionStatus::Connected, None).await;
            }
            RemoteControlUpdate::Errored(reason) => {
                tracing::debug!("remote control attempt failed: {reason}");
                self.set_status(generation, RemoteControlConnectionStatus::Errored, None).await;
            }
            RemoteControlUpdate::Enrolled(enrollment) => {
                let environment_id = enrollment.environment_id.clone();
                let stored = StoredEnrollment { base_url: url.as_str().to_owned(), enrollment };
                match serde_json::to_value(&stored) {
                    Ok(value) => {
                        if let Err(err) = self.state.set_value(ENROLLMENT_KEY, &value).await {
                            tracing::warn!("remote control: storing the enrollment failed: {err}");
                        }
                    }
                    Err(err) => tracing::warn!("remote control: enrollment not storable: {err}"),
                }
                let status = self.snapshot().status;
                self.set_status(generation, status, Some(environment_id)).await;
            }
        }
    }

    /// Moves the status (when `generation` is still current) and broadcasts a change.
    async fn set_status(
        &self,
        generation: u64,
        status: RemoteControlConnectionStatus,
        environment_id: Option<String>,
    ) {
        let changed = self.inner.lock().ok().is_some_and(|mut inner| {
            if inner.generation != generation {
                return false;
            }
            let environment_changed =
                environment_id.is_some() && inner.environment_id != environment_id;
            if environment_changed {
                inner.environment_id = environment_id;
            }
            let status_changed = inner.status != status;
            inner.status = status;
            status_changed || environment_changed
        });
        if changed {
            self.broadcast().await;
        }
    }

    async fn broadcast(&self) {
        if let Some(router) = self.router.get() {
            let notification =
                ServerNotification::RemoteControlStatusChanged(self.snapshot().notification());
            router.broadcast(&notification).await;
        }
    }

    /// Where the installation id lives.
    pub fn installation_id_path(&self) -> PathBuf {
        self.codex_home.join(INSTALLATION_ID_FILE)
    }
}

fn invalid(id: &RequestId, message: impl Into<String>) -> JsonRpcError {
    JsonRpcError::new(Some(id.clone()), error_codes::INVALID_REQUEST, message.into())
}

/// Serves `remoteControl/pairing/start`, `remoteControl/pairing/status`,
/// `remoteControl/client/list` and `remoteControl/client/revoke`, for local connections only
/// (a remote client cannot pair more clients, nor list or revoke them).
pub async fn handle_pairing(
    remote_control: &Arc<RemoteControl>,
    transport: TransportKind,
    id: RequestId,
    request: ClientRequest,
) -> HandlerResult {
    if transport == TransportKind::RemoteControl {
        return Err(invalid(
            &id,
            format!("{} is available to local clients only", request.method()),
        ));
    }
    let authority = remote_control.authority().await.map_err(|err| {
        JsonRpcError::new(Some(id.clone()), error_codes::INTERNAL_ERROR, err.to_string())
    })?;
    match request {
        ClientRequest::RemoteControlPairingStart(params) => {
            let code = authority.start_pairing(PAIRING_CODE_TTL).map_err(|err| match err {
                PairingStartError::Locked { seconds } => invalid(
                    &id,
                    format!("pairing is locked for {seconds} s after too many failed attempts"),
                ),
                PairingStartError::NoRandomness => JsonRpcError::new(
                    Some(id.clone()),
                    error_codes::INTERNAL_ERROR,
                    "the operating system gave no random bytes".to_owned(),
                ),
            })?;
            let manual = params.manual_code.unwrap_or(false).then(|| code.code.clone());
            to_result(
                &id,
                &RemoteControlPairingStartResponse {
                    environment_id: remote_control.environment_id(&authority),
                    expires_at: code.expires_at,
                    manual_pairing_code: manual,
                    pairing_code: code.code,
                },
            )
        }
        ClientRequest::RemoteControlPairingStatus(params) => {
            let code = match (params.pairing_code, params.manual_pairing_code) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        &id,
                        "remoteControl/pairing/status accepts either pairingCode or manualPairingCode, not both",
                    ))
                }
                (Some(code), None) | (None, Some(code)) => code,
                (None, None) => {
                    return Err(invalid(
                        &id,
                        "remoteControl/pairing/status requires pairingCode or manualPairingCode",
                    ))
                }
            };
            // Pending and claimed are the response's `claimed`; an expired code is an error, as
            // the response has no third state.
            let claimed = match authority.pairing_state(&code) {
                Some(PairingState::Pending) => false,
                Some(PairingState::Claimed(_)) => true,
                Some(PairingState::Expired) => {
                    return Err(invalid(&id, "the pairing code expired unclaimed"))
                }
                None => {
                    return Err(invalid(
                        &id,
                        "unknown pairing code (codes do not survive a server restart)",
                    ))
                }
            };
            to_result(&id, &RemoteControlPairingStatusResponse { claimed })
        }
        ClientRequest::RemoteControlClientList(params) => {
            if params.environment_id.trim().is_empty() {
                return Err(invalid(&id, "environmentId must not be empty"));
            }
            let limit = params.limit.unwrap_or(MAX_CLIENT_PAGE);
            if limit == 0 || limit > MAX_CLIENT_PAGE {
                return Err(invalid(&id, format!("limit must be between 1 and {MAX_CLIENT_PAGE}")));
            }
            let mut clients = authority.clients();
            if params.order == Some(RemoteControlClientsListOrder::Desc) {
                clients.reverse();
            }
            let start = match params.cursor.as_deref() {
                None => 0,
                Some(cursor) => cursor
                    .parse::<usize>()
                    .ok()
                    .filter(|start| *start <= clients.len())
                    .ok_or_else(|| invalid(&id, format!("invalid cursor {cursor:?}")))?,
            };
            let end = (start + limit as usize).min(clients.len());
            let data = clients[start..end]
                .iter()
                .map(|client| RemoteControlClient {
                    client_id: client.client_id.clone(),
                    display_name: Some(client.display_name.clone()),
                    last_seen_at: client.last_seen_at,
                    ..RemoteControlClient::default()
                })
                .collect();
            let next_cursor = (end < clients.len()).then(|| end.to_string());
            to_result(&id, &RemoteControlClientsListResponse { data, next_cursor })
        }
        ClientRequest::RemoteControlClientRevoke(params) => {
            if params.environment_id.trim().is_empty() {
                return Err(invalid(&id, "environmentId must not be empty"));
            }
            let revoked = authority.revoke(&params.client_id).await.map_err(|err| {
                JsonRpcError::new(
                    Some(id.clone()),
                    error_codes::INTERNAL_ERROR,
                    format!("revoking {}: {err}", params.client_id),
                )
            })?;
            if !revoked {
                return Err(invalid(&id, format!("no paired client {:?}", params.client_id)));
            }
            to_result(&id, &RemoteControlClientsRevokeResponse {})
        }
        other => Err(crate::processor::method_not_implemented(id, other.method())),
    }
}

/// Serves `remoteControl/enable`, `remoteControl/disable` and `remoteControl/status/read`.
///
/// Their `ephemeral` parameter is accepted but every change is runtime-only. In the reference,
/// `ephemeral: true` changes this process only, while a non-ephemeral change is stored and
/// decides whether remote control starts on the next plain launch; here the launch decision
/// belongs to `codex app-server --remote-control` alone, so nothing is stored.
pub async fn handle(
    remote_control: &Arc<RemoteControl>,
    config: &Config,
    id: RequestId,
    request: ClientRequest,
) -> HandlerResult {
    let snapshot = match request {
        ClientRequest::RemoteControlEnable(_) => {
            remote_control.enable(config).await.map_err(|err| {
                let code = match err {
                    RemoteControlError::NotConfigured | RemoteControlError::InvalidUrl(_) => {
                        error_codes::INVALID_REQUEST
                    }
                    _ => error_codes::INTERNAL_ERROR,
                };
                JsonRpcError::new(Some(id.clone()), code, err.to_string())
            })?
        }
        ClientRequest::RemoteControlDisable(_) => remote_control.disable().await,
        _ => remote_control.snapshot(),
    };
    let RemoteControlSnapshot { status, server_name, installation_id, environment_id } = snapshot;
    to_result(
        &id,
        &RemoteControlStatusReadResponse { environment_id, installation_id, server_name, status },
    )
}
