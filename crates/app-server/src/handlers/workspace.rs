//! The workspace methods: `fuzzyFileSearch` and its sessions, `fs/*` and `fs/watch`.
//!
//! Who may touch what: a local connection (stdio, control socket, TCP websocket, in-process)
//! acts as the local user, with the server's own rights and no sandbox, as in the reference.
//! With `[workspace] remote_fs_roots_only = true`, a remote-control connection may only reach
//! paths inside the cwd or writable roots of a loaded thread (checked after resolving symlinks
//! and `..` of the part of the path that exists; its searches do not follow symlinks); anything
//! else is refused with `-32600` naming the field.
//!
//! Searches and file operations run on blocking threads. `fuzzyFileSearch` answers through a
//! deferred response, so the connection keeps serving requests meanwhile and a later request
//! with the same `cancellationToken` (same connection) can cancel it.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::FsCopyResponse;
use codex_app_server_protocol::v2::FsCreateDirectoryResponse;
use codex_app_server_protocol::v2::FsReadFileResponse;
use codex_app_server_protocol::v2::FsRemoveResponse;
use codex_app_server_protocol::v2::FsUnwatchResponse;
use codex_app_server_protocol::v2::FsWatchResponse;
use codex_app_server_protocol::v2::FsWriteFileResponse;
use codex_app_server_protocol::v2::FuzzyFileSearchResponse;
use codex_app_server_protocol::v2::FuzzyFileSearchSessionCompletedNotification;
use codex_app_server_protocol::v2::FuzzyFileSearchSessionStartResponse;
use codex_app_server_protocol::v2::FuzzyFileSearchSessionStopResponse;
use codex_app_server_protocol::v2::FuzzyFileSearchSessionUpdateResponse;
use codex_app_server_protocol::v2::FuzzyFileSearchSessionUpdatedNotification;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::ConnectionId;
use codex_app_server_transport::TransportKind;
use serde::Serialize;

use crate::config::Config;
use crate::engine::Engine;
use crate::file_search::SearchOptions;
use crate::file_search::SearchRoot;
use crate::file_search::SearchSession;
use crate::file_search::SessionEvent;
use crate::fs_watch::FsWatches;
use crate::handlers::to_result;
use crate::host_fs;
use crate::host_fs::FsError;
use crate::processor::HandlerResult;
use crate::processor::RequestContext;
use crate::processor::ServerShared;

type Key = (ConnectionId, String);

/// Per-connection state of the workspace methods.
#[derive(Debug, Default)]
pub struct Workspace {
    searches: Arc<Mutex<HashMap<Key, Arc<AtomicBool>>>>,
    sessions: Mutex<HashMap<Key, SearchSession>>,
    watches: FsWatches,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where a connection may reach: everywhere, or only below these (canonical) roots.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    Everywhere,
    Within(Vec<PathBuf>),
}

impl Reach {
    fn of(config: &Config, engine: &Engine, transport: TransportKind) -> Self {
        if transport != TransportKind::RemoteControl || !config.workspace.remote_fs_roots_only {
            return Reach::Everywhere;
        }
        let mut roots = Vec::new();
        for id in engine.loaded_ids() {
            let Some(thread) = engine.loaded(&id) else { continue };
            let state = thread.lock();
            roots.push(PathBuf::from(&state.record.cwd));
            if let SandboxPolicy::WorkspaceWrite { writable_roots, .. } = &state.settings.sandbox {
                roots.extend(writable_roots.iter().map(|root| root.as_path().to_path_buf()));
            }
        }
        let mut roots: Vec<PathBuf> =
            roots.iter().filter_map(|root| std::fs::canonicalize(root).ok()).collect();
        roots.sort();
        roots.dedup();
        Reach::Within(roots)
    }

    fn check(&self, method: &str, field: &str, path: &Path) -> Result<(), FsError> {
        let Reach::Within(roots) = self else { return Ok(()) };
        let resolved = host_fs::resolve_existing_prefix(path);
        if roots.iter().any(|root| resolved.starts_with(root)) {
            return Ok(());
        }
        Err(FsError::Refused(format!(
            "{method}: {field} ({}) is outside the cwd and writable roots of the loaded threads; \
             remote clients are confined to them ([workspace] remote_fs_roots_only)",
            path.display()
        )))
    }

    fn confined(&self) -> bool {
        matches!(self, Reach::Within(_))
    }
}

fn invalid_params(id: &RequestId, message: String) -> JsonRpcError {
    JsonRpcError::new(Some(id.clone()), error_codes::INVALID_PARAMS, message)
}

/// Runs a blocking filesystem call and turns its outcome into the response.
async fn blocking<T: Serialize + Send + 'static>(
    id: &RequestId,
    work: impl FnOnce() -> Result<T, FsError> + Send + 'static,
) -> HandlerResult {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(response)) => to_result(id, &response),
        Ok(Err(err)) => Err(err.to_json_rpc(id)),
        Err(err) => Err(JsonRpcError::new(
            Some(id.clone()),
            error_codes::INTERNAL_ERROR,
            format!("filesystem task failed: {err}"),
        )),
    }
}

/// Checks search roots: absolute (else `-32602` naming `roots[i]`) and within reach.
fn search_roots(
    id: &RequestId,
    method: &str,
    roots: &[String],
    reach: &Reach,
) -> Result<Vec<SearchRoot>, JsonRpcError> {
    let mut checked = Vec::with_capacity(roots.len());
    for (index, root) in roots.iter().enumerate() {
        let path = PathBuf::from(root);
        if !path.is_absolute() {
            return Err(invalid_params(
                id,
                format!(
                    "roots[{index}]: path {root:?} is not absolute; an absolute path is required"
                ),
            ));
        }
        reach
            .check(method, &format!("roots[{index}]"), &path)
            .map_err(|err| err.to_json_rpc(id))?;
        checked.push(SearchRoot { given: root.clone(), path });
    }
    Ok(checked)
}

impl Workspace {
    /// Answers `request` when it is a workspace method; gives it back otherwise.
    pub async fn handle(
        &self,
        shared: &Arc<ServerShared>,
        context: &RequestContext,
        config: &Config,
        engine: &Engine,
        request: ClientRequest,
    ) -> Result<HandlerResult, ClientRequest> {
        let id = &context.id;
        let connection = context.connection;
        let reach = || Reach::of(config, engine, context.transport);
        let check = |reach: &Reach, method: &str, field: &str, path: &Path| {
            reach.check(method, field, path).map_err(|err| err.to_json_rpc(id))
        };
        let result = match request {
            ClientRequest::FuzzyFileSearch(params) => {
                let reach = reach();
                let roots = match search_roots(id, "fuzzyFileSearch", &params.roots, &reach) {
                    Ok(roots) => roots,
                    Err(err) => return Ok(Err(err)),
                };
                let options =
                    SearchOptions { follow_links: !reach.confined(), ..Default::default() };
                let cancel = Arc::new(AtomicBool::new(false));
                let key = params.cancellation_token.map(|token| (connection, token));
                if let Some(key) = &key {
                    if let Some(previous) =
                        locked(&self.searches).insert(key.clone(), Arc::clone(&cancel))
                    {
                        previous.store(true, Ordering::Relaxed);
                    }
                }
                let deferred = context.defer();
                let query = params.query;
                let searches = Arc::clone(&self.searches);
                let id = id.clone();
                tokio::spawn(async move {
                    let running = Arc::clone(&cancel);
                    let files = tokio::task::spawn_blocking(move || {
                        crate::file_search::search(&roots, &query, &running, options)
                    })
                    .await
                    .unwrap_or_default();
                    if let Some(key) = key {
                        let mut searches = locked(&searches);
                        if searches.get(&key).is_some_and(|current| Arc::ptr_eq(current, &cancel)) {
                            searches.remove(&key);
                        }
                    }
                    deferred.respond(to_result(&id, &FuzzyFileSearchResponse { files })).await;
                });
                Ok(serde_json::Value::Null)
            }
            ClientRequest::FuzzyFileSearchSessionStart(params) => {
                if params.session_id.is_empty() {
                    return Ok(Err(invalid_params(id, "sessionId: must not be empty".into())));
                }
                let reach = reach();
                let method = "fuzzyFileSearch/sessionStart";
                let roots = match search_roots(id, method, &params.roots, &reach) {
                    Ok(roots) => roots,
                    Err(err) => return Ok(Err(err)),
                };
                let options =
                    SearchOptions { follow_links: !reach.confined(), ..Default::default() };
                let sink = session_sink(Arc::clone(shared), connection, params.session_id.clone());
                match SearchSession::start(roots, options, sink) {
                    Ok(session) => {
                        // A session started again under the same id replaces (stops) the old one.
                        locked(&self.sessions).insert((connection, params.session_id), session);
                        to_result(id, &FuzzyFileSearchSessionStartResponse {})
                    }
                    Err(err) => Err(JsonRpcError::new(
                        Some(id.clone()),
                        error_codes::INTERNAL_ERROR,
                        format!("could not start the search session: {err}"),
                    )),
                }
            }
            ClientRequest::FuzzyFileSearchSessionUpdate(params) => {
                let sessions = locked(&self.sessions);
                match sessions.get(&(connection, params.session_id.clone())) {
                    Some(session) => {
                        session.update(params.query);
                        to_result(id, &FuzzyFileSearchSessionUpdateResponse {})
                    }
                    None => Err(JsonRpcError::new(
                        Some(id.clone()),
                        error_codes::INVALID_REQUEST,
                        format!("fuzzy file search session not found: {}", params.session_id),
                    )),
                }
            }
            ClientRequest::FuzzyFileSearchSessionStop(params) => {
                let stopped = locked(&self.sessions).remove(&(connection, params.session_id));
                drop(stopped);
                to_result(id, &FuzzyFileSearchSessionStopResponse {})
            }
            ClientRequest::FsReadFile(params) => {
                let path = params.path.into_path_buf();
                if let Err(err) = check(&reach(), "fs/readFile", "path", &path) {
                    return Ok(Err(err));
                }
                blocking(id, move || {
                    host_fs::read_file(&path).map(|data_base64| FsReadFileResponse { data_base64 })
                })
                .await
            }
            ClientRequest::FsWriteFile(params) => {
                let path = params.path.into_path_buf();
                if let Err(err) = check(&reach(), "fs/writeFile", "path", &path) {
                    return Ok(Err(err));
                }
                let data = params.data_base64;
                blocking(id, move || {
                    host_fs::write_file(&path, &data).map(|()| FsWriteFileResponse {})
                })
                .await
            }
            ClientRequest::FsCreateDirectory(params) => {
                let path = params.path.into_path_buf();
                if let Err(err) = check(&reach(), "fs/createDirectory", "path", &path) {
                    return Ok(Err(err));
                }
                let recursive = params.recursive.unwrap_or(true);
                blocking(id, move || {
                    host_fs::create_directory(&path, recursive)
                        .map(|()| FsCreateDirectoryResponse {})
                })
                .await
            }
            ClientRequest::FsGetMetadata(params) => {
                let path = params.path.into_path_buf();
                if let Err(err) = check(&reach(), "fs/getMetadata", "path", &path) {
                    return Ok(Err(err));
                }
                blocking(id, move || host_fs::get_metadata(&path)).await
            }
            ClientRequest::FsReadDirectory(params) => {
                let path = params.path.into_path_buf();
                if let Err(err) = check(&reach(), "fs/readDirectory", "path", &path) {
                    return Ok(Err(err));
                }
                blocking(id, move || host_fs::read_directory(&path)).await
            }
            ClientRequest::FsRemove(params) => {
                let path = params.path.into_path_buf();
                if let Err(err) = check(&reach(), "fs/remove", "path", &path) {
                    return Ok(Err(err));
                }
                let recursive = params.recursive.unwrap_or(true);
                let force = params.force.unwrap_or(true);
                blocking(id, move || {
                    host_fs::remove(&path, recursive, force).map(|()| FsRemoveResponse {})
                })
                .await
            }
            ClientRequest::FsCopy(params) => {
                let source = params.source_path.into_path_buf();
                let destination = params.destination_path.into_path_buf();
                let reach = reach();
                if let Err(err) = check(&reach, "fs/copy", "sourcePath", &source)
                    .and_then(|()| check(&reach, "fs/copy", "destinationPath", &destination))
                {
                    return Ok(Err(err));
                }
                let recursive = params.recursive.unwrap_or(false);
                blocking(id, move || {
                    host_fs::copy(&source, &destination, recursive).map(|()| FsCopyResponse {})
                })
                .await
            }
            ClientRequest::FsWatch(params) => {
                let path = params.path.into_path_buf();
                if let Err(err) = check(&reach(), "fs/watch", "path", &path) {
                    return Ok(Err(err));
                }
                match self.watches.watch(Arc::clone(shared), connection, params.watch_id, &path) {
                    Ok(path) => to_result(id, &FsWatchResponse { path }),
                    Err(err) => Err(err.to_json_rpc(id)),
                }
            }
            ClientRequest::FsUnwatch(params) => {
                self.watches.unwatch(connection, &params.watch_id).await;
                to_result(id, &FsUnwatchResponse {})
            }
            other => return Err(other),
        };
        Ok(result)
    }

    /// Cancels the searches, stops the sessions and drops the watches of a closed connection.
    pub fn connection_closed(&self, connection: ConnectionId) {
        locked(&self.searches).retain(|(owner, _), cancel| {
            if *owner == connection {
                cancel.store(true, Ordering::Relaxed);
            }
            *owner != connection
        });
        let stopped: Vec<SearchSession> = {
            let mut sessions = locked(&self.sessions);
            let keys: Vec<Key> =
                sessions.keys().filter(|(owner, _)| *owner == connection).cloned().collect();
            keys.iter().filter_map(|key| sessions.remove(key)).collect()
        };
        drop(stopped);
        let watches = self.watches.connection_closed(connection);
        if watches > 0 {
            tracing::debug!(%connection, watches, "dropped the closed connection's watches");
        }
    }

    /// Number of live `fs/watch` watches of `connection`.
    pub fn watch_count(&self, connection: ConnectionId) -> usize {
        self.watches.count(connection)
    }
}

/// Delivers a session's events to its connection, in order, from the session's thread.
fn session_sink(
    shared: Arc<ServerShared>,
    connection: ConnectionId,
    session_id: String,
) -> impl FnMut(SessionEvent) + Send + 'static {
    let runtime = tokio::runtime::Handle::current();
    move |event| {
        let notification = match event {
            SessionEvent::Updated { query, files } => {
                ServerNotification::FuzzyFileSearchSessionUpdated(
                    FuzzyFileSearchSessionUpdatedNotification {
                        files,
                        query,
                        session_id: session_id.clone(),
                    },
                )
            }
            SessionEvent::Completed => ServerNotification::FuzzyFileSearchSessionCompleted(
                FuzzyFileSearchSessionCompletedNotification { session_id: session_id.clone() },
            ),
        };
        runtime.block_on(crate::agent_host::notify_connection(&shared, connection, &notification));
    }
}
