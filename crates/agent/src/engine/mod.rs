//! The agent engine: loaded threads, their turns against a model provider, streamed items, and
//! the persistence that lets a restarted server list, read and resume every thread.
//!
//! A thread is *loaded* while at least one connection is subscribed to it (it was started,
//! resumed or forked on that connection); its state lives in a [`LoadedThread`]. Each loaded
//! thread runs at most one turn at a time, in a spawned task (see [`turn`]). Non-ephemeral
//! threads, their turns, their items and the model history are written to [`StateDb`]; a
//! completed item is on disk before `item/completed` is sent. Thread events go only to the
//! thread's subscribers ([`notify::ThreadNotifier`]).

pub mod goals;
pub mod items;
pub mod notify;
pub mod provider;
pub mod request;
pub mod settings;
pub mod thread;
pub mod tools;
pub mod turn;
pub mod wire;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::ApprovalsReviewer;
use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::CollaborationMode;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::TokenUsageBreakdown;
use codex_app_server_protocol::v2::Turn;
use codex_app_server_protocol::v2::UserInput;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use codex_model_client::InputItem;
use serde::Deserialize;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::context::SentContext;
use crate::engine::provider::ProviderCache;
use crate::engine::tools::ToolRouter;
use crate::engine::tools::UnsupportedTools;
use codex_state::StateDb;
use codex_state::StateError;
use codex_state::ThreadRecord;

/// Why an engine operation failed; each maps to a JSON-RPC error.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No thread with this id is loaded or stored.
    #[error("thread not found: {0}")]
    ThreadNotFound(String),
    /// The thread is not loaded (start, resume or fork it first).
    #[error("thread {0} is not loaded: call thread/resume first")]
    ThreadNotLoaded(String),
    /// A turn is already running on the thread.
    #[error(
        "thread {thread_id} already has a running turn ({turn_id}); wait for turn/completed, \
         steer it with turn/steer, or stop it with turn/interrupt"
    )]
    TurnAlreadyRunning {
        /// The thread.
        thread_id: String,
        /// The running turn.
        turn_id: String,
    },
    /// No turn (or not this turn) is running.
    #[error("{0}")]
    NoSuchRunningTurn(String),
    /// The request's parameters are unusable.
    #[error("{0}")]
    InvalidParams(String),
    /// The configured model provider cannot be used.
    #[error("{0}")]
    Provider(String),
    /// The state database failed.
    #[error(transparent)]
    State(#[from] StateError),
}

impl EngineError {
    /// The JSON-RPC error answering request `id`.
    pub fn to_json_rpc(&self, id: RequestId) -> JsonRpcError {
        let code = match self {
            EngineError::InvalidParams(_) => error_codes::INVALID_PARAMS,
            EngineError::State(_) => error_codes::INTERNAL_ERROR,
            _ => error_codes::INVALID_REQUEST,
        };
        JsonRpcError::new(Some(id), code, self.to_string())
    }
}

/// Per-thread settings, stored as the thread record's `settings` JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadSettings {
    /// When the agent asks before acting.
    pub approval_policy: AskForApproval,
    /// How commands are sandboxed.
    pub sandbox: SandboxPolicy,
    /// The base instructions the thread runs with (resolved when it started, then kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<String>,
    /// Extra developer instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// Reasoning effort requested for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Reasoning summary requested for the model (`auto`, `concise`, `detailed`, `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_summary: Option<String>,
    /// The context pieces last sent to the model, so later turns send only what changed.
    #[serde(default, skip_serializing_if = "SentContext::is_empty")]
    pub sent_context: SentContext,
    /// Where approval requests go (`user` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<ApprovalsReviewer>,
    /// The permission profile the sandbox was chosen by (`thread/settings/update` `permissions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_profile: Option<String>,
    /// The collaboration mode chosen with `thread/settings/update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_mode: Option<CollaborationMode>,
}

/// One entry of a thread's model history, tagged with the turn that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The turn that added it.
    pub turn_id: String,
    /// What the model is sent.
    pub item: InputItem,
}

/// Whether a loaded thread runs a turn.
#[derive(Debug)]
pub enum TurnSlot {
    /// No turn runs.
    Idle,
    /// A turn runs.
    Running(RunningTurn),
}

/// What a running turn does; only a regular turn takes steered input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnActivity {
    /// The user's input, model requests and tool calls.
    Regular,
    /// Only a compaction of the history.
    Compaction,
    /// A code review.
    Review,
    /// Only a command the user typed.
    UserShell,
}

impl TurnActivity {
    /// The word for this kind of turn in messages (`cannot steer a review turn`).
    pub fn name(self) -> &'static str {
        match self {
            TurnActivity::Regular => "regular",
            TurnActivity::Compaction => "compact",
            TurnActivity::Review => "review",
            TurnActivity::UserShell => "user shell",
        }
    }
}

/// The handle on a running turn.
#[derive(Debug)]
pub struct RunningTurn {
    /// The turn's id.
    pub turn_id: String,
    /// What the turn does.
    pub activity: TurnActivity,
    /// Cancelling it interrupts the turn.
    pub cancel: CancellationToken,
    /// Input added with `turn/steer` (as sent, and as the model reads it), taken before the
    /// turn's next model request.
    pub steered: Vec<(Vec<UserInput>, InputItem)>,
    /// History records made beside the turn (a user's shell command), added to the history
    /// before the turn's next model request, or when it ends.
    pub pending_history: Vec<InputItem>,
    /// Starts and completes the turn's items (shared with work running beside it).
    pub items: crate::engine::items::TurnItems,
}

/// The mutable state of a loaded thread.
#[derive(Debug)]
pub struct ThreadState {
    /// The thread as stored (kept in memory for ephemeral threads too).
    pub record: ThreadRecord,
    /// Whether the thread is never written to disk.
    pub ephemeral: bool,
    /// Settings (also inside `record.settings`).
    pub settings: ThreadSettings,
    /// What is sent to the model: every earlier message, reasoning, call and output.
    pub history: Vec<HistoryEntry>,
    /// Every turn with its items, as the wire shows them.
    pub turns: Vec<Turn>,
    /// The running turn, if any.
    pub slot: TurnSlot,
    /// Tokens used by all turns of the thread (restored from the state database on load).
    pub usage_total: TokenUsageBreakdown,
    /// The total tokens the provider reported for the last request, and how long the history
    /// was then; `None` until a request reported usage (or after a compaction).
    pub reported_context: Option<(u64, usize)>,
}

impl ThreadState {
    /// A thread that has no turns, history or usage yet.
    pub fn fresh(record: ThreadRecord, ephemeral: bool, settings: ThreadSettings) -> Self {
        Self {
            record,
            ephemeral,
            settings,
            history: Vec::new(),
            turns: Vec::new(),
            slot: TurnSlot::Idle,
            usage_total: wire::zero_usage(),
            reported_context: None,
        }
    }
}

/// A thread in memory.
#[derive(Debug)]
pub struct LoadedThread {
    /// The thread's id.
    pub id: String,
    state: Mutex<ThreadState>,
}

impl LoadedThread {
    /// A loaded thread with `state`.
    pub fn new(state: ThreadState) -> Self {
        Self { id: state.record.id.clone(), state: Mutex::new(state) }
    }

    /// Locks its state (a poisoned lock is recovered: the state stays usable).
    pub fn lock(&self) -> MutexGuard<'_, ThreadState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id of the running turn, if any.
    pub fn running_turn(&self) -> Option<String> {
        match &self.lock().slot {
            TurnSlot::Running(running) => Some(running.turn_id.clone()),
            TurnSlot::Idle => None,
        }
    }
}

/// The engine: every loaded thread, the provider clients, and the tool router.
pub struct Engine {
    state: StateDb,
    threads: Mutex<HashMap<String, Arc<LoadedThread>>>,
    tools: Arc<dyn ToolRouter>,
    providers: ProviderCache,
    /// Model slugs the catalog does not know and that were already warned about.
    unknown_models: Mutex<std::collections::HashSet<String>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine persisting to `state`, answering function calls as unsupported.
    pub fn new(state: StateDb) -> Self {
        Self::with_tools(state, Arc::new(UnsupportedTools))
    }

    /// An engine persisting to `state`, serving function calls with `tools`.
    pub fn with_tools(state: StateDb, tools: Arc<dyn ToolRouter>) -> Self {
        Self {
            state,
            threads: Mutex::new(HashMap::new()),
            tools,
            providers: ProviderCache::default(),
            unknown_models: Mutex::default(),
        }
    }

    /// The state database.
    pub fn state(&self) -> &StateDb {
        &self.state
    }

    /// The tool router.
    pub fn tools(&self) -> Arc<dyn ToolRouter> {
        Arc::clone(&self.tools)
    }

    /// The provider client and model-list cache.
    pub fn providers(&self) -> &ProviderCache {
        &self.providers
    }

    /// What the catalog knows of `slug`; logs one warning per unknown slug.
    pub fn model_info(&self, slug: &str) -> crate::context::ModelInfo {
        let info = crate::context::model_info(slug);
        if !info.known {
            let mut warned =
                self.unknown_models.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if warned.insert(slug.to_owned()) {
                tracing::warn!(
                    model = slug,
                    "model not in the built-in catalog: no reasoning parameters, no verbosity \
                     and no context window unless config.toml sets them (model_context_window, \
                     model_reasoning_effort, model_verbosity)"
                );
            }
        }
        info
    }

    fn threads(&self) -> MutexGuard<'_, HashMap<String, Arc<LoadedThread>>> {
        self.threads.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The loaded thread `id`, if loaded.
    pub fn loaded(&self, id: &str) -> Option<Arc<LoadedThread>> {
        self.threads().get(id).cloned()
    }

    /// Ids of every loaded thread, sorted.
    pub fn loaded_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.threads().keys().cloned().collect();
        ids.sort();
        ids
    }

    fn insert_loaded(&self, thread: Arc<LoadedThread>) -> Arc<LoadedThread> {
        let mut threads = self.threads();
        Arc::clone(threads.entry(thread.id.clone()).or_insert(thread))
    }
}

/// Unix time in seconds.
pub fn now_secs() -> i64 {
    now_ms() / 1000
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A fresh UUID v7 (thread, turn and item ids).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
