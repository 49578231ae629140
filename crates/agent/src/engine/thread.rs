//! Threads: `thread/start`, `thread/resume`, `thread/fork`, `thread/list`, `thread/read`,
//! `thread/turns/list`, `thread/archive`, `thread/unarchive`, `thread/name/set`,
//! `thread/loaded/list`, `thread/unsubscribe`, and unloading when the last subscriber leaves.

use std::sync::Arc;

use codex_app_server_protocol::v2::ApprovalsReviewer;
use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxMode;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::SortDirection;
use codex_app_server_protocol::v2::Thread;
use codex_app_server_protocol::v2::ThreadArchiveParams;
use codex_app_server_protocol::v2::ThreadArchiveResponse;
use codex_app_server_protocol::v2::ThreadArchivedNotification;
use codex_app_server_protocol::v2::ThreadForkParams;
use codex_app_server_protocol::v2::ThreadForkResponse;
use codex_app_server_protocol::v2::ThreadItemEntry;
use codex_app_server_protocol::v2::ThreadItemsListAnchor;
use codex_app_server_protocol::v2::ThreadItemsListCursor;
use codex_app_server_protocol::v2::ThreadItemsListParams;
use codex_app_server_protocol::v2::ThreadItemsListResponse;
use codex_app_server_protocol::v2::ThreadListCwdFilter;
use codex_app_server_protocol::v2::ThreadListParams;
use codex_app_server_protocol::v2::ThreadListResponse;
use codex_app_server_protocol::v2::ThreadLoadedListParams;
use codex_app_server_protocol::v2::ThreadLoadedListResponse;
use codex_app_server_protocol::v2::ThreadNameUpdatedNotification;
use codex_app_server_protocol::v2::ThreadReadParams;
use codex_app_server_protocol::v2::ThreadReadResponse;
use codex_app_server_protocol::v2::ThreadResumeParams;
use codex_app_server_protocol::v2::ThreadResumeResponse;
use codex_app_server_protocol::v2::ThreadSearchParams;
use codex_app_server_protocol::v2::ThreadSearchResponse;
use codex_app_server_protocol::v2::ThreadSearchResult;
use codex_app_server_protocol::v2::ThreadSearchSortKey;
use codex_app_server_protocol::v2::ThreadSetNameParams;
use codex_app_server_protocol::v2::ThreadSetNameResponse;
use codex_app_server_protocol::v2::ThreadSortKey;
use codex_app_server_protocol::v2::ThreadSourceKind;
use codex_app_server_protocol::v2::ThreadStartParams;
use codex_app_server_protocol::v2::ThreadStartResponse;
use codex_app_server_protocol::v2::ThreadStartedNotification;
use codex_app_server_protocol::v2::ThreadStatus;
use codex_app_server_protocol::v2::ThreadTokenUsage;
use codex_app_server_protocol::v2::ThreadTokenUsageUpdatedNotification;
use codex_app_server_protocol::v2::ThreadTurnsListParams;
use codex_app_server_protocol::v2::ThreadTurnsListResponse;
use codex_app_server_protocol::v2::ThreadUnarchiveParams;
use codex_app_server_protocol::v2::ThreadUnarchiveResponse;
use codex_app_server_protocol::v2::ThreadUnarchivedNotification;
use codex_app_server_protocol::v2::Turn;
use codex_app_server_protocol::v2::TurnItemsView;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_model_client::InputItem;

use crate::config::Config;
use crate::context::resolve_base_instructions;
use crate::context::turn_context::load_agents_md;
use crate::context::SentContext;
use crate::engine::new_id;
use crate::engine::notify::ThreadNotifier;
use crate::engine::now_secs;
use crate::engine::provider::default_model;
use crate::engine::provider::resolve_provider;
use crate::engine::wire;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::engine::HistoryEntry;
use crate::engine::LoadedThread;
use crate::engine::ThreadSettings;
use crate::engine::ThreadState;
use crate::engine::TurnSlot;
use crate::host::AgentHost;
use codex_state::ItemRecord;
use codex_state::ListDirection;
use codex_state::ProjectFilter;
use codex_state::ThreadLineage;
use codex_state::ThreadOrder;
use codex_state::ThreadQuery;
use codex_state::ThreadRecord;

/// Default `thread/list` page size.
const DEFAULT_THREAD_PAGE: u32 = 50;
/// Largest `thread/list` page size.
const MAX_THREAD_PAGE: u32 = 500;
/// Default `thread/turns/list` page size.
const DEFAULT_TURN_PAGE: u32 = 50;

/// Settings overrides common to start, resume and fork.
struct Overrides<'a> {
    model: Option<&'a String>,
    model_provider: Option<&'a String>,
    cwd: Option<&'a AbsolutePath>,
    approval_policy: Option<&'a AskForApproval>,
    sandbox: Option<&'a SandboxMode>,
    base_instructions: Option<&'a String>,
    developer_instructions: Option<&'a String>,
}

/// The [`Overrides`] of `thread/start`, `thread/resume` or `thread/fork` params (same field
/// names in all three), with `cwd` given separately.
macro_rules! overrides {
    ($params:expr, $cwd:expr) => {
        Overrides {
            model: $params.model.as_ref(),
            model_provider: $params.model_provider.as_ref(),
            cwd: $cwd,
            approval_policy: $params.approval_policy.as_ref(),
            sandbox: $params.sandbox.as_ref(),
            base_instructions: $params.base_instructions.as_ref(),
            developer_instructions: $params.developer_instructions.as_ref(),
        }
    };
}

/// A thread snapshot for responses.
struct Snapshot {
    thread: Thread,
    settings: ThreadSettings,
    model: String,
}

/// Builds the response of `thread/start`, `thread/resume` or `thread/fork` (three wire types
/// with the same core fields) from a [`Snapshot`], plus the fields only `$response` has.
macro_rules! thread_response {
    ($response:ident, $snapshot:expr $(, $field:ident: $value:expr)* $(,)?) => {{
        let snapshot: Snapshot = $snapshot;
        $response {
            approval_policy: snapshot.settings.approval_policy,
            approvals_reviewer: snapshot
                .settings
                .approvals_reviewer
                .clone()
                .unwrap_or(ApprovalsReviewer::User),
            cwd: snapshot.thread.cwd.clone(),
            disabled_plugin_ids: Vec::new(),
            instruction_sources: Vec::new(),
            model: snapshot.model,
            model_provider: snapshot.thread.model_provider.clone(),
            reasoning_effort: snapshot.settings.reasoning_effort,
            runtime_workspace_roots: Vec::new(),
            sandbox: snapshot.settings.sandbox,
            service_tier: None,
            thread: snapshot.thread,
            $($field: $value,)*
        }
    }};
}

pub(crate) fn check_cwd(cwd: &AbsolutePath) -> Result<(), EngineError> {
    if cwd.as_path().is_dir() {
        Ok(())
    } else {
        Err(EngineError::InvalidParams(format!("cwd {cwd} is not an existing directory")))
    }
}

fn apply_overrides(
    config: &Config,
    record: &mut ThreadRecord,
    settings: &mut ThreadSettings,
    overrides: &Overrides<'_>,
) -> Result<(), EngineError> {
    if let Some(provider) = overrides.model_provider {
        resolve_provider(config, provider)?;
        record.model_provider = provider.clone();
    }
    if let Some(model) = overrides.model {
        record.model = Some(model.clone());
    }
    if let Some(cwd) = overrides.cwd {
        check_cwd(cwd)?;
        record.cwd = cwd.to_string();
    }
    if let Some(policy) = overrides.approval_policy {
        settings.approval_policy = policy.clone();
    }
    if let Some(mode) = overrides.sandbox {
        settings.sandbox = wire::sandbox_policy(mode);
    }
    if let Some(base) = overrides.base_instructions {
        settings.base_instructions = Some(base.clone());
    }
    if let Some(developer) = overrides.developer_instructions {
        settings.developer_instructions = Some(developer.clone());
    }
    record.settings = serde_json::to_value(&*settings).unwrap_or_default();
    Ok(())
}

/// Fills what a new thread takes from config when `thread/start` did not set it: the base
/// instructions (resolved now and kept for the thread's life, resume and fork included) and the
/// developer instructions.
fn settings_from_config(
    config: &Config,
    record: &mut ThreadRecord,
    settings: &mut ThreadSettings,
) -> Result<(), EngineError> {
    if settings.base_instructions.is_none() {
        let base = resolve_base_instructions(
            None,
            config.agent.model_instructions_file.as_deref(),
            config.agent.instructions.as_deref(),
        )
        .map_err(|err| EngineError::InvalidParams(format!("model_instructions_file: {err}")))?;
        settings.base_instructions = Some(base);
    }
    if settings.developer_instructions.is_none() {
        settings.developer_instructions = config.agent.developer_instructions.clone();
    }
    record.settings = serde_json::to_value(&*settings).unwrap_or_default();
    Ok(())
}

/// The instruction files that apply in `cwd` (global AGENTS.md, then the project's, root
/// first), for the `instructionSources` of thread responses.
fn instruction_sources(config: &Config, cwd: &AbsolutePath) -> Vec<String> {
    let options = config.agent.project_doc_options();
    match load_agents_md(cwd.as_path(), &config.codex_home, &options) {
        Ok(docs) => docs.sources.iter().map(|path| path.display().to_string()).collect(),
        Err(err) => {
            tracing::warn!(%cwd, "AGENTS.md files not read: {err}");
            Vec::new()
        }
    }
}

fn settings_of(record: &ThreadRecord, config: &Config) -> ThreadSettings {
    serde_json::from_value(record.settings.clone()).unwrap_or_else(|_| ThreadSettings {
        approval_policy: wire::approval_from_config(config.approval_policy),
        sandbox: wire::sandbox_policy(&wire::sandbox_mode_from_config(config.sandbox_mode)),
        base_instructions: None,
        developer_instructions: None,
        reasoning_effort: None,
        reasoning_summary: None,
        sent_context: SentContext::default(),
        approvals_reviewer: None,
        permission_profile: None,
        collaboration_mode: None,
    })
}

fn status_of(thread: &LoadedThread) -> ThreadStatus {
    match thread.lock().slot {
        TurnSlot::Running(_) => ThreadStatus::Active { active_flags: Vec::new() },
        TurnSlot::Idle => ThreadStatus::Idle {},
    }
}

impl Engine {
    fn snapshot(
        &self,
        thread: &LoadedThread,
        include_turns: bool,
    ) -> Result<Snapshot, EngineError> {
        let status = status_of(thread);
        let state = thread.lock();
        let turns = if include_turns { state.turns.clone() } else { Vec::new() };
        let model = state
            .record
            .model
            .clone()
            .unwrap_or_else(|| default_model(&state.record.model_provider).to_owned());
        Ok(Snapshot {
            thread: wire::thread_to_wire(&state.record, state.ephemeral, status, turns)?,
            settings: state.settings.clone(),
            model,
        })
    }

    /// `thread/start`: creates a thread, lets the requester `subscribe` to it, then announces
    /// `thread/started` to its subscribers.
    pub async fn start_thread(
        &self,
        host: &Arc<dyn AgentHost>,
        config: &Config,
        subscribe: impl FnOnce(&str),
        params: ThreadStartParams,
    ) -> Result<ThreadStartResponse, EngineError> {
        let cwd = match params.cwd.clone() {
            Some(cwd) => cwd,
            None => std::env::current_dir()
                .ok()
                .and_then(|dir| AbsolutePath::new(dir).ok())
                .ok_or_else(|| {
                    EngineError::InvalidParams(
                        "the server has no usable current directory; pass cwd".into(),
                    )
                })?,
        };
        let now = now_secs();
        let mut record = ThreadRecord {
            id: new_id(),
            created_at: now,
            updated_at: now,
            name: None,
            preview: String::new(),
            cwd: cwd.to_string(),
            model: None,
            model_provider: config.model_provider.clone(),
            archived: false,
            forked_from_id: None,
            cli_version: env!("CARGO_PKG_VERSION").to_owned(),
            settings: serde_json::Value::Null,
            source: host.session_source(),
            parent_thread_id: None,
            attached_to_thread_id: None,
            project_id: params.project_id.clone(),
        };
        let mut settings = settings_of(&record, config);
        apply_overrides(config, &mut record, &mut settings, &overrides!(params, Some(&cwd)))?;
        settings_from_config(config, &mut record, &mut settings)?;
        if params.model_provider.is_none() {
            resolve_provider(config, &record.model_provider)?;
        }
        if record.model.is_none() {
            record.model = Some(
                config
                    .model
                    .clone()
                    .unwrap_or_else(|| default_model(&record.model_provider).to_owned()),
            );
        }
        let ephemeral = params.ephemeral.unwrap_or(false);
        if !ephemeral {
            self.state().upsert_thread(&record).await?;
        }
        let thread = self.insert_loaded(Arc::new(LoadedThread::new(ThreadState::fresh(
            record, ephemeral, settings,
        ))));
        subscribe(&thread.id);
        self.announce_started(host, &thread).await?;
        let mut response = thread_response!(ThreadStartResponse, self.snapshot(&thread, false)?);
        response.instruction_sources = instruction_sources(config, &response.cwd);
        Ok(response)
    }

    /// A new thread for a detached review of `parent`: same cwd, model and settings, its own
    /// (empty) history; the requester is subscribed and `thread/started` announced.
    pub(crate) async fn start_review_thread(
        &self,
        host: &Arc<dyn AgentHost>,
        parent: &LoadedThread,
        name: String,
        subscribe: impl FnOnce(&str),
    ) -> Result<Arc<LoadedThread>, EngineError> {
        let (parent_record, mut settings, ephemeral) = {
            let state = parent.lock();
            (state.record.clone(), state.settings.clone(), state.ephemeral)
        };
        // The review thread's model sees everything afresh.
        settings.sent_context = SentContext::default();
        let now = now_secs();
        let record = ThreadRecord {
            id: new_id(),
            created_at: now,
            updated_at: now,
            name: Some(name),
            preview: String::new(),
            forked_from_id: None,
            archived: false,
            cli_version: env!("CARGO_PKG_VERSION").to_owned(),
            settings: serde_json::to_value(&settings).unwrap_or_default(),
            source: host.session_source(),
            parent_thread_id: None,
            attached_to_thread_id: None,
            ..parent_record
        };
        if !ephemeral {
            self.state().upsert_thread(&record).await?;
        }
        let thread = self.insert_loaded(Arc::new(LoadedThread::new(ThreadState::fresh(
            record, ephemeral, settings,
        ))));
        subscribe(&thread.id);
        self.announce_started(host, &thread).await?;
        Ok(thread)
    }

    /// Sends `thread/started` for a new thread to its subscribers.
    async fn announce_started(
        &self,
        host: &Arc<dyn AgentHost>,
        thread: &LoadedThread,
    ) -> Result<(), EngineError> {
        let started = self.snapshot(thread, false)?;
        ThreadNotifier::new(Arc::clone(host), thread.id.clone())
            .notify(&ServerNotification::ThreadStarted(ThreadStartedNotification {
                thread: started.thread,
            }))
            .await;
        Ok(())
    }

    /// A stored thread's record and its turns with their items.
    async fn stored_thread(&self, id: &str) -> Result<(ThreadRecord, Vec<Turn>), EngineError> {
        let record = self
            .state()
            .thread(id)
            .await?
            .ok_or_else(|| EngineError::ThreadNotFound(id.to_owned()))?;
        let turns =
            wire::turns_from_records(self.state().turns(id).await?, self.state().items(id).await?);
        Ok((record, turns))
    }

    /// Loads a stored thread with its turns, items and model history.
    async fn load_stored(
        &self,
        config: &Config,
        id: &str,
    ) -> Result<Arc<LoadedThread>, EngineError> {
        if let Some(thread) = self.loaded(id) {
            return Ok(thread);
        }
        let (record, turns) = self.stored_thread(id).await?;
        let history = self
            .state()
            .history(id)
            .await?
            .into_iter()
            .filter_map(|(turn_id, value)| {
                serde_json::from_value::<InputItem>(value)
                    .ok()
                    .map(|item| HistoryEntry { turn_id, item })
            })
            .collect();
        let settings = settings_of(&record, config);
        let usage_total = self
            .state()
            .token_usage(id)
            .await?
            .and_then(|stored| serde_json::from_value::<ThreadTokenUsage>(stored.usage).ok())
            .map_or_else(wire::zero_usage, |usage| usage.total);
        Ok(self.insert_loaded(Arc::new(LoadedThread::new(ThreadState {
            record,
            ephemeral: false,
            settings,
            history,
            turns,
            slot: TurnSlot::Idle,
            usage_total,
            reported_context: None,
        }))))
    }

    /// `thread/resume`: loads a stored thread (or joins a loaded one) and lets the requester
    /// `subscribe` to it.
    pub async fn resume_thread(
        &self,
        config: &Config,
        subscribe: impl FnOnce(&str),
        params: ThreadResumeParams,
    ) -> Result<ThreadResumeResponse, EngineError> {
        let thread = self.load_stored(config, &params.thread_id).await?;
        let changed = {
            let mut state = thread.lock();
            let overrides = overrides!(params, params.cwd.as_ref());
            let before = state.record.clone();
            let ThreadState { record, settings, .. } = &mut *state;
            apply_overrides(config, record, settings, &overrides)?;
            (state.record != before && !state.ephemeral).then(|| state.record.clone())
        };
        if let Some(record) = changed {
            self.state().upsert_thread(&record).await?;
        }
        subscribe(&thread.id);
        let snapshot = self.snapshot(&thread, !params.exclude_turns.unwrap_or(false))?;
        let mut response = thread_response!(
            ThreadResumeResponse,
            snapshot,
            items_backwards_cursor: None,
            turns_backwards_cursor: None,
        );
        response.instruction_sources = instruction_sources(config, &response.cwd);
        Ok(response)
    }

    /// `thread/fork`: copies a thread's history (optionally up to a turn) into a new thread.
    pub async fn fork_thread(
        &self,
        host: &Arc<dyn AgentHost>,
        config: &Config,
        subscribe: impl FnOnce(&str),
        params: ThreadForkParams,
    ) -> Result<ThreadForkResponse, EngineError> {
        if params.last_turn_id.is_some() && params.before_turn_id.is_some() {
            return Err(EngineError::InvalidParams(
                "lastTurnId and beforeTurnId cannot be combined".into(),
            ));
        }
        let (source_record, source_turns, source_history) = match self.loaded(&params.thread_id) {
            Some(thread) => {
                let state = thread.lock();
                (state.record.clone(), state.turns.clone(), state.history.clone())
            }
            None => {
                let loaded = self.load_stored(config, &params.thread_id).await?;
                let state = loaded.lock();
                let copy = (state.record.clone(), state.turns.clone(), state.history.clone());
                drop(state);
                self.unload_if_idle(host.as_ref(), &params.thread_id);
                copy
            }
        };
        let cut = match (&params.last_turn_id, &params.before_turn_id) {
            (Some(last), None) => {
                let index =
                    source_turns.iter().position(|turn| &turn.id == last).ok_or_else(|| {
                        EngineError::InvalidParams(format!(
                            "lastTurnId {last} is not a turn of the thread"
                        ))
                    })?;
                index + 1
            }
            (None, Some(before)) => {
                source_turns.iter().position(|turn| &turn.id == before).ok_or_else(|| {
                    EngineError::InvalidParams(format!(
                        "beforeTurnId {before} is not a turn of the thread"
                    ))
                })?
            }
            _ => source_turns.len(),
        };
        // A running turn is not forked: only finished turns carry over.
        let turns: Vec<Turn> = source_turns
            .into_iter()
            .take(cut)
            .filter(|turn| turn.status != codex_app_server_protocol::v2::TurnStatus::InProgress)
            .collect();
        let kept: std::collections::HashSet<&str> =
            turns.iter().map(|turn| turn.id.as_str()).collect();
        let history: Vec<HistoryEntry> = source_history
            .into_iter()
            .filter(|entry| kept.contains(entry.turn_id.as_str()))
            .collect();
        let now = now_secs();
        let mut record = ThreadRecord {
            id: new_id(),
            created_at: now,
            updated_at: now,
            name: None,
            forked_from_id: Some(source_record.id.clone()),
            archived: false,
            cli_version: env!("CARGO_PKG_VERSION").to_owned(),
            source: host.session_source(),
            parent_thread_id: None,
            attached_to_thread_id: None,
            ..source_record.clone()
        };
        let mut settings = settings_of(&source_record, config);
        apply_overrides(
            config,
            &mut record,
            &mut settings,
            &overrides!(params, params.cwd.as_ref()),
        )?;
        let ephemeral = params.ephemeral.unwrap_or(false);
        if !ephemeral {
            self.state().upsert_thread(&record).await?;
            for (seq, turn) in turns.iter().enumerate() {
                self.state()
                    .upsert_turn(&wire::turn_to_record(&record.id, seq as i64, turn))
                    .await?;
                for (item_seq, item) in turn.items.iter().enumerate() {
                    let stored = ItemRecord {
                        turn_id: turn.id.clone(),
                        id: wire::item_id(item),
                        seq: item_seq as i64,
                        item: serde_json::to_value(item).unwrap_or_default(),
                    };
                    self.state().upsert_item(&record.id, &stored).await?;
                }
            }
            for (seq, entry) in history.iter().enumerate() {
                let value = serde_json::to_value(&entry.item).unwrap_or_default();
                self.state()
                    .append_history(&record.id, &entry.turn_id, seq as i64, &[value])
                    .await?;
            }
        }
        let thread = self.insert_loaded(Arc::new(LoadedThread::new(ThreadState {
            record,
            ephemeral,
            settings,
            history,
            turns,
            slot: TurnSlot::Idle,
            usage_total: wire::zero_usage(),
            reported_context: None,
        })));
        subscribe(&thread.id);
        self.announce_started(host, &thread).await?;
        let snapshot = self.snapshot(&thread, !params.exclude_turns.unwrap_or(false))?;
        let mut response = thread_response!(ThreadForkResponse, snapshot);
        response.instruction_sources = instruction_sources(config, &response.cwd);
        Ok(response)
    }

    /// `thread/list`: stored threads, filtered, in either direction by any timestamp key, with
    /// cursor pagination both ways.
    pub async fn list_threads(
        &self,
        params: ThreadListParams,
    ) -> Result<ThreadListResponse, EngineError> {
        let query = thread_query(params)?;
        let page = self.state().list_threads(&query).await.map_err(|err| match err {
            codex_state::StateError::InvalidCursor(_) => {
                EngineError::InvalidParams(err.to_string())
            }
            other => EngineError::State(other),
        })?;
        let mut data = Vec::with_capacity(page.threads.len());
        for record in &page.threads {
            let status = match self.loaded(&record.id) {
                Some(thread) => status_of(&thread),
                None => ThreadStatus::NotLoaded {},
            };
            data.push(wire::thread_to_wire(record, false, status, Vec::new())?);
        }
        Ok(ThreadListResponse {
            backwards_cursor: page.backwards_cursor,
            data,
            next_cursor: page.next_cursor,
        })
    }

    /// `thread/search`: stored threads whose title or messages contain the search term, in the
    /// order and pages of `thread/list`, each with a snippet around its first match.
    pub async fn search_threads(
        &self,
        params: ThreadSearchParams,
    ) -> Result<ThreadSearchResponse, EngineError> {
        let term = params.search_term.trim().to_owned();
        if term.is_empty() {
            return Err(EngineError::InvalidParams("searchTerm must not be empty".into()));
        }
        let list = ThreadListParams {
            archived: params.archived,
            cursor: params.cursor,
            include_attached_threads: params.include_attached_threads,
            limit: params.limit,
            search_term: Some(term.clone()),
            sort_direction: params.sort_direction,
            sort_key: params.sort_key.map(|key| match key {
                ThreadSearchSortKey::CreatedAt => ThreadSortKey::CreatedAt,
                ThreadSearchSortKey::UpdatedAt => ThreadSortKey::UpdatedAt,
                ThreadSearchSortKey::RecencyAt => ThreadSortKey::RecencyAt,
            }),
            source_kinds: params.source_kinds,
            ..ThreadListParams::default()
        };
        let mut query = thread_query(list)?;
        query.search_contents = true;
        let page = self.state().list_threads(&query).await.map_err(|err| match err {
            codex_state::StateError::InvalidCursor(_) => {
                EngineError::InvalidParams(err.to_string())
            }
            other => EngineError::State(other),
        })?;
        let mut data = Vec::with_capacity(page.threads.len());
        for record in &page.threads {
            let title = record.name.clone().filter(|name| !name.is_empty());
            let title = title.unwrap_or_else(|| record.preview.clone());
            let source = if contains_ignoring_case(&title, &term) {
                title
            } else {
                self.state().first_content_match(&record.id, &term).await?.unwrap_or(title)
            };
            let status = match self.loaded(&record.id) {
                Some(thread) => status_of(&thread),
                None => ThreadStatus::NotLoaded {},
            };
            data.push(ThreadSearchResult {
                snippet: snippet(&source, &term),
                thread: wire::thread_to_wire(record, false, status, Vec::new())?,
            });
        }
        Ok(ThreadSearchResponse {
            backwards_cursor: page.backwards_cursor,
            data,
            next_cursor: page.next_cursor,
        })
    }

    /// `thread/items/list`: a thread's items (or one turn's) with their turn, oldest first unless
    /// `sortDirection` is `desc`, paged by position or from an item anchor.
    pub async fn list_items(
        &self,
        params: ThreadItemsListParams,
    ) -> Result<ThreadItemsListResponse, EngineError> {
        let (_, turns) = self.thread_with_turns(&params.thread_id).await?;
        let mut entries: Vec<ThreadItemEntry> = Vec::new();
        for turn in &turns {
            if params.turn_id.as_ref().is_some_and(|wanted| *wanted != turn.id) {
                continue;
            }
            for item in &turn.items {
                let value = serde_json::to_value(item).unwrap_or_default();
                entries.push(ThreadItemEntry {
                    completed_at_ms: value.get("completedAtMs").and_then(serde_json::Value::as_i64),
                    item: item.clone(),
                    started_at_ms: value.get("startedAtMs").and_then(serde_json::Value::as_i64),
                    turn_id: turn.id.clone(),
                });
            }
        }
        if let Some(wanted) = &params.turn_id {
            if !turns.iter().any(|turn| turn.id == *wanted) {
                return Err(EngineError::InvalidParams(format!(
                    "turnId {wanted} is not a turn of thread {}",
                    params.thread_id
                )));
            }
        }
        if matches!(params.sort_direction, Some(SortDirection::Desc)) {
            entries.reverse();
        }
        let start = match &params.cursor {
            None => 0,
            Some(ThreadItemsListCursor::Cursor(cursor)) => {
                cursor.parse::<usize>().map_err(|_| {
                    EngineError::InvalidParams(format!(
                        "invalid cursor {cursor:?}: pass a `nextCursor` from a previous page"
                    ))
                })?
            }
            Some(ThreadItemsListCursor::Anchor(ThreadItemsListAnchor::Item { item_id })) => {
                if params.turn_id.is_none() {
                    return Err(EngineError::InvalidParams(
                        "an item anchor needs turnId (the turn holding the item)".into(),
                    ));
                }
                let at = entries.iter().position(|entry| wire::item_id(&entry.item) == *item_id);
                at.map(|at| at + 1).ok_or_else(|| {
                    EngineError::InvalidParams(format!(
                        "item {item_id} is not an item of the requested turn"
                    ))
                })?
            }
        };
        let limit = params.limit.map_or(usize::MAX, |limit| limit.max(1) as usize);
        let end = start.saturating_add(limit).min(entries.len());
        let data = entries.get(start.min(end)..end).map(<[_]>::to_vec).unwrap_or_default();
        Ok(ThreadItemsListResponse {
            backwards_cursor: (start > 0 && !data.is_empty()).then(|| start.to_string()),
            data,
            next_cursor: (end < entries.len()).then(|| end.to_string()),
        })
    }

    /// The thread's stored token usage as the notification a resuming client is sent, so it
    /// shows the right totals before the next turn; `None` when the thread never reported any.
    pub async fn stored_token_usage(
        &self,
        thread_id: &str,
    ) -> Result<Option<ServerNotification>, EngineError> {
        let Some(stored) = self.state().token_usage(thread_id).await? else { return Ok(None) };
        let token_usage: ThreadTokenUsage =
            serde_json::from_value(stored.usage).map_err(codex_state::StateError::from)?;
        let notification =
            ServerNotification::ThreadTokenUsageUpdated(ThreadTokenUsageUpdatedNotification {
                thread_id: thread_id.to_owned(),
                token_usage,
                turn_id: stored.turn_id,
            });
        Ok(Some(notification))
    }

    /// The thread's latest plan (`update_plan`) as the notification that shows it, for a client
    /// that resumes the thread; `None` when it has none or is not loaded.
    pub fn latest_plan(&self, thread_id: &str) -> Option<ServerNotification> {
        let thread = self.loaded(thread_id)?;
        let state = thread.lock();
        crate::tools::update_plan::latest_plan(thread_id, &state.history)
    }

    /// A thread and its turns, loaded or stored.
    pub(crate) async fn thread_with_turns(
        &self,
        id: &str,
    ) -> Result<(Thread, Vec<Turn>), EngineError> {
        if let Some(thread) = self.loaded(id) {
            let status = status_of(&thread);
            let state = thread.lock();
            let wire = wire::thread_to_wire(&state.record, state.ephemeral, status, Vec::new())?;
            return Ok((wire, state.turns.clone()));
        }
        let (record, turns) = self.stored_thread(id).await?;
        Ok((wire::thread_to_wire(&record, false, ThreadStatus::NotLoaded {}, Vec::new())?, turns))
    }

    /// `thread/read`.
    pub async fn read_thread(
        &self,
        params: ThreadReadParams,
    ) -> Result<ThreadReadResponse, EngineError> {
        let (mut thread, turns) = self.thread_with_turns(&params.thread_id).await?;
        if params.include_turns.unwrap_or(false) {
            thread.turns = turns;
        }
        Ok(ThreadReadResponse { thread })
    }

    /// `thread/turns/list`: a page of turns, newest first unless `sortDirection` is `asc`.
    pub async fn list_turns(
        &self,
        params: ThreadTurnsListParams,
    ) -> Result<ThreadTurnsListResponse, EngineError> {
        let (_, mut turns) = self.thread_with_turns(&params.thread_id).await?;
        if !matches!(params.sort_direction, Some(SortDirection::Asc)) {
            turns.reverse();
        }
        let start = match &params.cursor {
            Some(cursor) => cursor.parse::<usize>().map_err(|_| {
                EngineError::InvalidParams(format!(
                    "invalid cursor {cursor:?}: pass a `nextCursor` from a previous page"
                ))
            })?,
            None => 0,
        };
        let limit = params.limit.unwrap_or(DEFAULT_TURN_PAGE).max(1) as usize;
        let end = start.saturating_add(limit).min(turns.len());
        let mut data: Vec<Turn> = turns.get(start..end).map(<[Turn]>::to_vec).unwrap_or_default();
        if matches!(params.items_view, Some(TurnItemsView::NotLoaded)) {
            for turn in &mut data {
                turn.items.clear();
                turn.items_view = Some(TurnItemsView::NotLoaded);
            }
        } else {
            for turn in &mut data {
                turn.items_view = Some(TurnItemsView::Full);
            }
        }
        let next_cursor = (end < turns.len()).then(|| end.to_string());
        Ok(ThreadTurnsListResponse { backwards_cursor: None, data, next_cursor })
    }

    async fn set_archived(
        &self,
        thread_id: &str,
        archived: bool,
    ) -> Result<ThreadRecord, EngineError> {
        if let Some(thread) = self.loaded(thread_id) {
            if thread.lock().ephemeral {
                return Err(EngineError::InvalidParams(format!(
                    "thread {thread_id} is ephemeral and cannot be archived"
                )));
            }
        }
        let now = now_secs();
        if !self.state().set_archived(thread_id, archived, now).await? {
            return Err(EngineError::ThreadNotFound(thread_id.to_owned()));
        }
        if let Some(thread) = self.loaded(thread_id) {
            let mut state = thread.lock();
            state.record.archived = archived;
            state.record.updated_at = now;
        }
        self.state()
            .thread(thread_id)
            .await?
            .ok_or_else(|| EngineError::ThreadNotFound(thread_id.to_owned()))
    }

    /// `thread/archive`; the notification goes to the subscribers and the requester.
    pub async fn archive_thread(
        &self,
        params: ThreadArchiveParams,
    ) -> Result<(ThreadArchiveResponse, ServerNotification), EngineError> {
        self.set_archived(&params.thread_id, true).await?;
        self.tools.thread_unloaded(&params.thread_id);
        let notification = ServerNotification::ThreadArchived(ThreadArchivedNotification {
            thread_id: params.thread_id.clone(),
        });
        Ok((ThreadArchiveResponse {}, notification))
    }

    /// `thread/unarchive`; the notification goes to the subscribers and the requester.
    pub async fn unarchive_thread(
        &self,
        params: ThreadUnarchiveParams,
    ) -> Result<(ThreadUnarchiveResponse, ServerNotification), EngineError> {
        let record = self.set_archived(&params.thread_id, false).await?;
        let status = match self.loaded(&record.id) {
            Some(thread) => status_of(&thread),
            None => ThreadStatus::NotLoaded {},
        };
        let thread = wire::thread_to_wire(&record, false, status, Vec::new())?;
        let notification = ServerNotification::ThreadUnarchived(ThreadUnarchivedNotification {
            thread_id: params.thread_id.clone(),
        });
        Ok((ThreadUnarchiveResponse { thread }, notification))
    }

    /// `thread/name/set`; the notification goes to the subscribers and the requester.
    pub async fn set_thread_name(
        &self,
        params: ThreadSetNameParams,
    ) -> Result<(ThreadSetNameResponse, ServerNotification), EngineError> {
        let trimmed = params.name.trim();
        let name = (!trimmed.is_empty()).then(|| trimmed.to_owned());
        let now = now_secs();
        let loaded = self.loaded(&params.thread_id);
        let ephemeral = loaded.as_ref().is_some_and(|thread| thread.lock().ephemeral);
        if !ephemeral && !self.state().set_name(&params.thread_id, name.as_deref(), now).await? {
            return Err(EngineError::ThreadNotFound(params.thread_id.clone()));
        }
        if let Some(thread) = loaded {
            let mut state = thread.lock();
            state.record.name = name.clone();
            state.record.updated_at = now;
        }
        let notification = ServerNotification::ThreadNameUpdated(ThreadNameUpdatedNotification {
            thread_id: params.thread_id.clone(),
            thread_name: name,
        });
        Ok((ThreadSetNameResponse {}, notification))
    }

    /// `thread/loaded/list`: ids of loaded threads, sorted, with cursor pagination.
    pub fn loaded_list(&self, params: ThreadLoadedListParams) -> ThreadLoadedListResponse {
        let ids = self.loaded_ids();
        let after: Vec<String> = match &params.cursor {
            Some(cursor) => ids.into_iter().filter(|id| id > cursor).collect(),
            None => ids,
        };
        match params.limit {
            Some(limit) if (limit as usize) < after.len() => {
                let data: Vec<String> = after.into_iter().take(limit.max(1) as usize).collect();
                let next_cursor = data.last().cloned();
                ThreadLoadedListResponse { data, next_cursor }
            }
            _ => ThreadLoadedListResponse { data: after, next_cursor: None },
        }
    }

    /// A connection closed: threads it was the last subscriber of unload (once idle).
    pub fn connection_closed(&self, host: &dyn AgentHost, emptied_threads: &[(String, u64)]) {
        for (thread_id, _) in emptied_threads {
            self.unload_if_idle(host, thread_id);
        }
    }

    /// Unloads a thread unless a turn runs on it or a connection (re)subscribed meanwhile (a
    /// running turn unloads it when it ends without subscribers); true when it was unloaded.
    pub fn unload_if_idle(&self, host: &dyn AgentHost, thread_id: &str) -> bool {
        let mut threads = self.threads();
        let idle = threads
            .get(thread_id)
            .is_some_and(|thread| matches!(thread.lock().slot, TurnSlot::Idle));
        let unsubscribed = !host.has_subscribers(thread_id);
        let idle = idle && unsubscribed;
        if idle {
            threads.remove(thread_id);
            self.tools.thread_unloaded(thread_id);
            tracing::debug!(thread = thread_id, "thread unloaded");
        }
        idle
    }
}

/// The wire names of the interactive source kinds: what `thread/list` shows when the request
/// names none. Threads created through this server are interactive (`appServer`).
const INTERACTIVE_SOURCE_KINDS: &[&str] = &["cli", "vscode", "appServer"];

/// The wire name of a source kind; `subAgent` stands for every sub-agent kind.
fn source_kind_names(kind: &ThreadSourceKind) -> &'static [&'static str] {
    match kind {
        ThreadSourceKind::Cli => &["cli"],
        ThreadSourceKind::Vscode => &["vscode"],
        ThreadSourceKind::Exec => &["exec"],
        ThreadSourceKind::AppServer => &["appServer"],
        ThreadSourceKind::SubAgent => {
            &["subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther"]
        }
        ThreadSourceKind::SubAgentReview => &["subAgentReview"],
        ThreadSourceKind::SubAgentCompact => &["subAgentCompact"],
        ThreadSourceKind::SubAgentThreadSpawn => &["subAgentThreadSpawn"],
        ThreadSourceKind::SubAgentOther => &["subAgentOther"],
        ThreadSourceKind::Unknown => &["unknown"],
    }
}

/// Whether `text` contains `term`, ignoring ASCII case (as the database search does).
fn contains_ignoring_case(text: &str, term: &str) -> bool {
    text.to_ascii_lowercase().contains(&term.to_ascii_lowercase())
}

/// About a line of `text` around the first match of `term`, with `…` where it was cut.
fn snippet(text: &str, term: &str) -> String {
    const BEFORE: usize = 40;
    const AFTER: usize = 80;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = text.to_ascii_lowercase();
    let Some(at) = lower.find(&term.to_ascii_lowercase()) else {
        return text.chars().take(BEFORE + AFTER).collect();
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let index = chars.iter().position(|(byte, _)| *byte >= at).unwrap_or(0);
    let term_chars = term.chars().count();
    let start = index.saturating_sub(BEFORE);
    let end = (index + term_chars + AFTER).min(chars.len());
    let mut out: String = chars[start..end].iter().map(|(_, c)| c).collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

/// Most ids `excludedThreadIds` takes.
const MAX_EXCLUDED_THREADS: usize = 100;

/// Checks `thread/list` params and turns them into a database query.
fn thread_query(params: ThreadListParams) -> Result<ThreadQuery, EngineError> {
    let invalid = |message: &str| Err(EngineError::InvalidParams(message.to_owned()));
    let lineage_filters = [
        params.parent_thread_id.is_some(),
        params.ancestor_thread_id.is_some(),
        params.attached_to_thread_id.is_some(),
    ];
    if lineage_filters.iter().filter(|set| **set).count() > 1 {
        return invalid(
            "parentThreadId, ancestorThreadId and attachedToThreadId are mutually exclusive",
        );
    }
    if params.originators.as_ref().is_some_and(|originators| !originators.is_empty()) {
        return invalid("originators is supported by hosted backends only; omit it or send []");
    }
    let excluded_ids = params.excluded_thread_ids.unwrap_or_default();
    if excluded_ids.len() > MAX_EXCLUDED_THREADS {
        return Err(EngineError::InvalidParams(format!(
            "excludedThreadIds takes at most {MAX_EXCLUDED_THREADS} ids, got {}",
            excluded_ids.len()
        )));
    }
    if let Some(bad) = excluded_ids.iter().find(|id| uuid::Uuid::parse_str(id).is_err()) {
        return Err(EngineError::InvalidParams(format!(
            "excludedThreadIds holds {bad:?}, which is not a thread id"
        )));
    }
    let order = match params.sort_key {
        None | Some(ThreadSortKey::CreatedAt) => ThreadOrder::CreatedAt,
        Some(ThreadSortKey::UpdatedAt) => ThreadOrder::UpdatedAt,
        // No thread is in a section on this server, so a section's order is the recency order
        // every unsectioned thread list falls back to.
        Some(ThreadSortKey::RecencyAt | ThreadSortKey::SectionPosition) => ThreadOrder::RecencyAt,
    };
    let lineage =
        match (params.parent_thread_id, params.ancestor_thread_id, params.attached_to_thread_id) {
            (Some(parent), _, _) => ThreadLineage::ChildrenOf(parent),
            (_, Some(ancestor), _) => ThreadLineage::DescendantsOf(ancestor),
            (_, _, Some(owner)) => ThreadLineage::AttachedTo(owner),
            _ => ThreadLineage::Unattached,
        };
    let mut source_kinds: Vec<String> = params
        .source_kinds
        .unwrap_or_default()
        .iter()
        .flat_map(source_kind_names)
        .map(|name| (*name).to_owned())
        .collect();
    if source_kinds.is_empty() && lineage == ThreadLineage::Unattached {
        source_kinds = INTERACTIVE_SOURCE_KINDS.iter().map(|name| (*name).to_owned()).collect();
    }
    Ok(ThreadQuery {
        archived: params.archived.unwrap_or(false),
        cwd: params.cwd.map(|filter| match filter {
            ThreadListCwdFilter::Single(cwd) => vec![cwd],
            ThreadListCwdFilter::Many(cwds) => cwds,
        }),
        model_providers: params.model_providers.unwrap_or_default(),
        source_kinds,
        search_term: params.search_term,
        search_contents: false,
        lineage,
        include_attached: params.include_attached_threads.unwrap_or(false),
        project: match params.project_id {
            None => ProjectFilter::Any,
            Some(None) => ProjectFilter::Unassigned,
            Some(Some(project)) => ProjectFilter::Project(project),
        },
        section_id: params.section_id.flatten(),
        excluded_ids,
        cursor: params.cursor,
        limit: params.limit.unwrap_or(DEFAULT_THREAD_PAGE).clamp(1, MAX_THREAD_PAGE),
        order,
        direction: match params.sort_direction {
            Some(SortDirection::Asc) => ListDirection::Ascending,
            None | Some(SortDirection::Desc) => ListDirection::Descending,
        },
    })
}

/// Reads a sandbox mode back from a policy (for responses that echo the mode).
pub fn sandbox_mode_of(policy: &SandboxPolicy) -> Option<SandboxMode> {
    match policy {
        SandboxPolicy::ReadOnly { .. } => Some(SandboxMode::ReadOnly),
        SandboxPolicy::WorkspaceWrite { .. } => Some(SandboxMode::WorkspaceWrite),
        SandboxPolicy::DangerFullAccess {} => Some(SandboxMode::DangerFullAccess),
        SandboxPolicy::ExternalSandbox { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(params: serde_json::Value) -> Result<ThreadQuery, EngineError> {
        thread_query(serde_json::from_value(params).unwrap())
    }

    #[test]
    fn source_kinds_default_to_interactive_and_sub_agent_means_every_sub_agent_kind() {
        assert_eq!(
            query(serde_json::json!({})).unwrap().source_kinds,
            ["cli", "vscode", "appServer"]
        );
        assert_eq!(
            query(serde_json::json!({"sourceKinds": []})).unwrap().source_kinds,
            ["cli", "vscode", "appServer"]
        );
        assert_eq!(
            query(serde_json::json!({"sourceKinds": ["subAgent", "exec"]})).unwrap().source_kinds,
            ["subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther", "exec"]
        );
        // Listing a thread's children shows them whatever their source.
        let children = query(serde_json::json!({"parentThreadId": "p"})).unwrap();
        assert!(children.source_kinds.is_empty());
        assert_eq!(children.lineage, ThreadLineage::ChildrenOf("p".into()));
    }

    #[test]
    fn project_id_tells_absent_from_null() {
        assert_eq!(query(serde_json::json!({})).unwrap().project, ProjectFilter::Any);
        assert_eq!(
            query(serde_json::json!({"projectId": null})).unwrap().project,
            ProjectFilter::Unassigned
        );
        assert_eq!(
            query(serde_json::json!({"projectId": "p1"})).unwrap().project,
            ProjectFilter::Project("p1".into())
        );
    }

    #[test]
    fn contradictory_or_unsupported_params_are_refused() {
        for params in [
            serde_json::json!({"parentThreadId": "a", "attachedToThreadId": "b"}),
            serde_json::json!({"ancestorThreadId": "a", "attachedToThreadId": "b"}),
            serde_json::json!({"originators": ["x"]}),
            serde_json::json!({"excludedThreadIds": ["nope"]}),
        ] {
            assert!(
                matches!(query(params.clone()), Err(EngineError::InvalidParams(_))),
                "{params}"
            );
        }
        assert!(query(serde_json::json!({"originators": []})).is_ok());
        let sections = query(serde_json::json!({"sortKey": "section_position"})).unwrap();
        assert_eq!(sections.order, ThreadOrder::RecencyAt);
    }
}
