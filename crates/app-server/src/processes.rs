//! The table of standalone processes started by `command/exec`, scoped per connection.
//!
//! A process is registered under its connection and either the client's `processId` (so
//! `command/exec/write`, `resize` and `terminate` can find it) or an internal id that no client
//! can name. Two connections may use the same `processId` without seeing each other's process.
//! When a connection closes, [`ProcessTable::remove_connection`] stops all of its processes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_app_server_transport::ConnectionId;
use codex_exec::ExecProcess;
use tokio_util::sync::CancellationToken;

/// How a process is named within its connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProcessKey {
    /// The client's `processId`.
    Client(String),
    /// A server-side id for buffered execution without a `processId`.
    Internal(u64),
}

/// What the follow-up requests may do with a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessCapabilities {
    /// `command/exec/write` may write to stdin.
    pub stdin: bool,
    /// The process runs on a PTY (`command/exec/resize` works).
    pub tty: bool,
}

/// Where a registered process stands.
#[derive(Debug, Clone)]
pub enum ProcessSlot {
    /// Its `processId` is taken while the command is being spawned.
    Starting,
    /// Spawned and running.
    Running(RunningProcess),
}

/// A running process as the follow-up requests see it.
#[derive(Debug, Clone)]
pub struct RunningProcess {
    /// The process handle (dropping the last clone kills its process group).
    pub process: Arc<ExecProcess>,
    /// What follow-ups may do.
    pub capabilities: ProcessCapabilities,
    /// Cancelling it makes the task driving the process drop everything (and so kill it).
    pub cancel: CancellationToken,
}

/// Why a process could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The connection already has a live process with this id.
    #[error("processId {0:?} is already in use by a running command on this connection")]
    Duplicate(String),
}

/// Every connection's standalone processes.
#[derive(Debug, Default)]
pub struct ProcessTable {
    state: Mutex<TableState>,
}

#[derive(Debug, Default)]
struct TableState {
    next_internal: u64,
    by_connection: HashMap<ConnectionId, HashMap<ProcessKey, ProcessSlot>>,
}

impl ProcessTable {
    fn lock(&self) -> MutexGuard<'_, TableState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves a key for a process about to be spawned on `connection`: the client's
    /// `process_id`, or a fresh internal id when there is none.
    pub fn reserve(
        &self,
        connection: ConnectionId,
        process_id: Option<&str>,
    ) -> Result<ProcessKey, RegisterError> {
        let mut state = self.lock();
        let key = match process_id {
            Some(id) => ProcessKey::Client(id.to_owned()),
            None => {
                state.next_internal += 1;
                ProcessKey::Internal(state.next_internal)
            }
        };
        let processes = state.by_connection.entry(connection).or_default();
        if processes.contains_key(&key) {
            return Err(RegisterError::Duplicate(process_id.unwrap_or_default().to_owned()));
        }
        processes.insert(key.clone(), ProcessSlot::Starting);
        Ok(key)
    }

    /// Records the spawned process under its reserved key. Returns `false` (and leaves the
    /// table unchanged) when the reservation is gone because the connection closed meanwhile.
    pub fn start(
        &self,
        connection: ConnectionId,
        key: &ProcessKey,
        running: RunningProcess,
    ) -> bool {
        let mut state = self.lock();
        match state.by_connection.get_mut(&connection).and_then(|processes| processes.get_mut(key))
        {
            Some(slot) => {
                *slot = ProcessSlot::Running(running);
                true
            }
            None => false,
        }
    }

    /// Forgets a process (it exited or failed to spawn).
    pub fn remove(&self, connection: ConnectionId, key: &ProcessKey) {
        let mut state = self.lock();
        if let Some(processes) = state.by_connection.get_mut(&connection) {
            processes.remove(key);
            if processes.is_empty() {
                state.by_connection.remove(&connection);
            }
        }
    }

    /// The running process `process_id` of `connection`, if any.
    pub fn get(&self, connection: ConnectionId, process_id: &str) -> Option<RunningProcess> {
        let state = self.lock();
        match state
            .by_connection
            .get(&connection)?
            .get(&ProcessKey::Client(process_id.to_owned()))?
        {
            ProcessSlot::Running(running) => Some(running.clone()),
            ProcessSlot::Starting => None,
        }
    }

    /// Stops every process of a closed connection: each is told to terminate, its driving
    /// task is cancelled, and the table's handles are dropped, which kills the process groups.
    pub fn remove_connection(&self, connection: ConnectionId) -> usize {
        let removed = self.lock().by_connection.remove(&connection).unwrap_or_default();
        let count = removed.len();
        for slot in removed.into_values() {
            if let ProcessSlot::Running(running) = slot {
                running.process.terminate();
                running.cancel.cancel();
            }
        }
        count
    }

    /// Number of processes (running or starting) of `connection`.
    pub fn count(&self, connection: ConnectionId) -> usize {
        self.lock().by_connection.get(&connection).map_or(0, HashMap::len)
    }
}
