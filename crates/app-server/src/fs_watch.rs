//! `fs/watch` and `fs/unwatch`: per-connection filesystem watches on the `notify` crate,
//! reported as `fs/changed` to the connection that asked and to no other.
//!
//! Debouncing: the first event of a quiet watch opens a [`DEBOUNCE`] window; every path changed
//! in it is sent in one notification when it closes (sorted, deduplicated). A burst of writes is
//! one notification; a file written without pause is reported once per window.
//!
//! A directory is watched non-recursively (its direct children); a file, or a path that does not
//! exist yet, is watched through its parent directory, so creation, atomic replacement and
//! deletion are all seen. Each watch's sender takes a gate before every notification and
//! `fs/unwatch` closes that gate before answering, so nothing is sent for a watch after its
//! `fs/unwatch` response. Closing the connection drops all of its watches.

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server_protocol::v2::FsChangedNotification;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::ConnectionId;
use notify::RecursiveMode;
use notify::Watcher as _;

use crate::host_fs::FsError;
use crate::processor::ServerShared;

/// Quiet time after the last event before `fs/changed` is sent.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Most watches one connection may hold at once.
pub const MAX_WATCHES_PER_CONNECTION: usize = 256;

struct Watch {
    // Dropping it stops the watcher (and so, through its closed channel, the sender task).
    _watcher: notify::RecommendedWatcher,
    gate: Arc<tokio::sync::Mutex<bool>>,
}

/// Every live watch, per connection.
#[derive(Default)]
pub struct FsWatches {
    watches: Mutex<HashMap<ConnectionId, HashMap<String, Watch>>>,
}

impl std::fmt::Debug for FsWatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsWatches").finish_non_exhaustive()
    }
}

impl FsWatches {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnectionId, HashMap<String, Watch>>> {
        self.watches.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts watch `watch_id` of `connection` on `path`; returns the canonical watched path.
    pub fn watch(
        &self,
        shared: Arc<ServerShared>,
        connection: ConnectionId,
        watch_id: String,
        path: &Path,
    ) -> Result<AbsolutePath, FsError> {
        {
            let watches = self.lock();
            let mine = watches.get(&connection);
            if mine.is_some_and(|mine| mine.contains_key(&watch_id)) {
                return Err(FsError::Refused(format!("watchId already exists: {watch_id}")));
            }
            if mine.is_some_and(|mine| mine.len() >= MAX_WATCHES_PER_CONNECTION) {
                return Err(FsError::Refused(format!(
                    "too many watches on this connection (at most {MAX_WATCHES_PER_CONNECTION})"
                )));
            }
        }
        let (watched_dir, only) = match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                (std::fs::canonicalize(path).map_err(io(path))?, None)
            }
            _ => {
                let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                    return Err(FsError::Refused(format!("cannot watch {}", path.display())));
                };
                let parent = std::fs::canonicalize(parent).map_err(io(parent))?;
                let target = parent.join(name);
                (parent, Some(target))
            }
        };
        let canonical = only.clone().unwrap_or_else(|| watched_dir.clone());
        let canonical = AbsolutePath::new(canonical)
            .map_err(|err| FsError::Refused(format!("cannot watch: {err}")))?;

        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Vec<PathBuf>>();
        let filter = only.clone();
        let handler = move |result: notify::Result<notify::Event>| match result {
            Ok(event) => {
                let paths: Vec<PathBuf> = event
                    .paths
                    .into_iter()
                    .filter(|changed| filter.as_ref().is_none_or(|only| changed == only))
                    .collect();
                if !paths.is_empty() {
                    let _ = sender.send(paths);
                }
            }
            Err(err) => tracing::debug!("fs/watch event error: {err}"),
        };
        let mut watcher = notify::recommended_watcher(handler)
            .map_err(|err| FsError::Io { path: path.to_path_buf(), source: notify_io(err) })?;
        watcher
            .watch(&watched_dir, RecursiveMode::NonRecursive)
            .map_err(|err| FsError::Io { path: watched_dir.clone(), source: notify_io(err) })?;

        let gate = Arc::new(tokio::sync::Mutex::new(true));
        let task_gate = Arc::clone(&gate);
        let id = watch_id.clone();
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut changed: BTreeSet<PathBuf> = first.into_iter().collect();
                let window = tokio::time::sleep(DEBOUNCE);
                tokio::pin!(window);
                loop {
                    tokio::select! {
                        () = &mut window => break,
                        more = receiver.recv() => match more {
                            Some(paths) => changed.extend(paths),
                            None => break,
                        },
                    }
                }
                let open = task_gate.lock().await;
                if !*open {
                    return;
                }
                let changed_paths = changed.into_iter().filter_map(|p| AbsolutePath::new(p).ok());
                let notification = ServerNotification::FsChanged(FsChangedNotification {
                    changed_paths: changed_paths.collect(),
                    watch_id: id.clone(),
                });
                crate::agent_host::notify_connection(&shared, connection, &notification).await;
            }
        });
        let mut watches = self.lock();
        let mine = watches.entry(connection).or_default();
        if mine.contains_key(&watch_id) {
            return Err(FsError::Refused(format!("watchId already exists: {watch_id}")));
        }
        mine.insert(watch_id, Watch { _watcher: watcher, gate });
        Ok(canonical)
    }

    /// Stops watch `watch_id` of `connection` (nothing when there is none); once this returns,
    /// no `fs/changed` for it is sent.
    pub async fn unwatch(&self, connection: ConnectionId, watch_id: &str) {
        let removed = {
            let mut watches = self.lock();
            let removed = watches.get_mut(&connection).and_then(|mine| mine.remove(watch_id));
            if watches.get(&connection).is_some_and(HashMap::is_empty) {
                watches.remove(&connection);
            }
            removed
        };
        if let Some(watch) = removed {
            *watch.gate.lock().await = false;
        }
    }

    /// Drops every watch of a closed connection; returns how many there were.
    pub fn connection_closed(&self, connection: ConnectionId) -> usize {
        let removed = self.lock().remove(&connection).unwrap_or_default();
        for watch in removed.values() {
            if let Ok(mut open) = watch.gate.try_lock() {
                *open = false;
            }
        }
        removed.len()
    }

    /// Number of live watches of `connection`.
    pub fn count(&self, connection: ConnectionId) -> usize {
        self.lock().get(&connection).map_or(0, HashMap::len)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FsError + '_ {
    move |source| FsError::Io { path: path.to_path_buf(), source }
}

fn notify_io(err: notify::Error) -> std::io::Error {
    match err.kind {
        notify::ErrorKind::Io(io) => io,
        notify::ErrorKind::PathNotFound => {
            std::io::Error::new(std::io::ErrorKind::NotFound, "path not found")
        }
        other => std::io::Error::other(format!("{other:?}")),
    }
}
