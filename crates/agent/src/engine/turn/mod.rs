//! Turns: `turn/start`, `turn/steer`, `turn/interrupt`, and the task that runs a turn.
//!
//! A turn runs in its own task: it records the user's input as a `userMessage` item, then loops
//! request → stream → function calls → outputs appended → next request, until the model answers
//! without calls (and no steered input is waiting). Streamed output becomes `agentMessage` and
//! `reasoning` items with their deltas. The turn ends `completed`, `interrupted` (its
//! cancellation token fired; the stream is dropped at once) or `failed` (with a `TurnError` that
//! says what to fix). While it runs it counts in `running_turns`, which a graceful shutdown waits
//! on.

use std::collections::HashMap;
use std::sync::Arc;

use codex_app_server_protocol::v2::AccountRateLimitsUpdatedNotification;
use codex_app_server_protocol::v2::AgentMessageDeltaNotification;
use codex_app_server_protocol::v2::CodexErrorInfo;
use codex_app_server_protocol::v2::ErrorNotification;
use codex_app_server_protocol::v2::ReasoningSummaryTextDeltaNotification;
use codex_app_server_protocol::v2::ReasoningTextDeltaNotification;
use codex_app_server_protocol::v2::ThreadCompactStartParams;
use codex_app_server_protocol::v2::ThreadCompactStartResponse;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::ThreadReadState;
use codex_app_server_protocol::v2::ThreadReadStateChangedNotification;
use codex_app_server_protocol::v2::ThreadStatus;
use codex_app_server_protocol::v2::ThreadStatusChangedNotification;
use codex_app_server_protocol::v2::ThreadTokenUsage;
use codex_app_server_protocol::v2::ThreadTokenUsageUpdatedNotification;
use codex_app_server_protocol::v2::TokenUsageBreakdown;
use codex_app_server_protocol::v2::Turn;
use codex_app_server_protocol::v2::TurnCompletedNotification;
use codex_app_server_protocol::v2::TurnError;
use codex_app_server_protocol::v2::TurnInterruptParams;
use codex_app_server_protocol::v2::TurnInterruptResponse;
use codex_app_server_protocol::v2::TurnStartParams;
use codex_app_server_protocol::v2::TurnStartResponse;
use codex_app_server_protocol::v2::TurnStartedNotification;
use codex_app_server_protocol::v2::TurnStatus;
use codex_app_server_protocol::v2::TurnSteerParams;
use codex_app_server_protocol::v2::TurnSteerResponse;
use codex_app_server_protocol::v2::UserInput;
use codex_app_server_protocol::ServerNotification;
use codex_model_client::ContentPart;
use codex_model_client::InputItem;
use codex_model_client::ModelClient;
use codex_model_client::ModelError;
use codex_model_client::ModelEvent;
use codex_model_client::ModelRequest;
use codex_model_client::OutputItem;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::Config;
use crate::context::context_update;
use crate::context::resolve_base_instructions;
use crate::context::truncate_for_model;
use crate::context::ContextUpdate;
use crate::context::EnvironmentContext;
use crate::context::SentContext;
use crate::context::TurnContextInputs;
use crate::context::BASE_INSTRUCTIONS;
use crate::engine::items::TurnItems;
use crate::engine::new_id;
use crate::engine::notify::ThreadNotifier;
use crate::engine::now_ms;
use crate::engine::now_secs;
use crate::engine::request::model_input;
use crate::engine::request::reasoning_options;
use crate::engine::request::verbosity;
use crate::engine::request::TurnOrigin;
use crate::engine::tools::ToolContext;
use crate::engine::turn::compact::CompactionReason;
use crate::engine::wire;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::engine::HistoryEntry;
use crate::engine::LoadedThread;
use crate::engine::RunningTurn;
use crate::engine::TurnActivity;
use crate::engine::TurnSlot;
use crate::host::AgentHost;
use codex_state::TokenUsageRecord;

mod compact;
pub mod review;
pub mod user_shell;
mod web_search;

/// How long an interrupted turn lets a running tool wind down (kill its process group, complete
/// its item) before dropping it.
const TOOL_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// The output the model reads for a call the turn ended before answering.
const ABORTED_OUTPUT: &str = "aborted";

/// What a turn does.
#[derive(Debug)]
pub(crate) enum TurnKind {
    /// The user's input, then model requests and tool calls until the model answers.
    User {
        /// The input as sent.
        input: Vec<UserInput>,
        /// The input as the model reads it.
        model_item: InputItem,
        /// The client's id for the user message.
        client_id: Option<String>,
    },
    /// Only a compaction of the thread's history (`thread/compact/start`).
    Compact,
    /// Only a command the user typed (`thread/shellCommand`).
    UserShell(user_shell::UserShellCommand),
    /// A code review (`review/start`).
    Review(review::ReviewRequest),
}

impl TurnKind {
    /// Whether the turn asks the model anything (and so needs a usable provider).
    fn uses_model(&self) -> bool {
        !matches!(self, TurnKind::UserShell(_))
    }

    fn activity(&self) -> TurnActivity {
        match self {
            TurnKind::User { .. } => TurnActivity::Regular,
            TurnKind::Compact => TurnActivity::Compaction,
            TurnKind::UserShell(_) => TurnActivity::UserShell,
            TurnKind::Review(_) => TurnActivity::Review,
        }
    }
}

/// How a turn is started.
pub(crate) struct Launch {
    pub(crate) output_schema: Option<serde_json::Value>,
    pub(crate) origin: TurnOrigin,
    pub(crate) kind: TurnKind,
}

/// What a turn runs with, fixed when it starts.
#[derive(Debug, Clone)]
struct FrozenSettings {
    settings: crate::engine::ThreadSettings,
    model: String,
    cwd: String,
}

/// How a turn ended.
#[derive(Debug, Clone)]
enum TurnEnd {
    Completed,
    Interrupted,
    Failed(TurnError),
}

/// Keeps the host counting this turn as running until dropped.
struct RunningTurnGuard(Arc<dyn AgentHost>);

impl RunningTurnGuard {
    fn new(host: Arc<dyn AgentHost>) -> Self {
        host.running_turns_changed(1);
        Self(host)
    }
}

impl Drop for RunningTurnGuard {
    fn drop(&mut self) {
        self.0.running_turns_changed(-1);
    }
}

impl Engine {
    /// `turn/start`: starts a turn on a loaded thread and runs it in a spawned task.
    pub fn start_turn(
        self: &Arc<Self>,
        host: &Arc<dyn AgentHost>,
        config: &Config,
        params: TurnStartParams,
        origin: TurnOrigin,
    ) -> Result<TurnStartResponse, EngineError> {
        if params.input.is_empty() {
            return Err(EngineError::InvalidParams("turn/start needs at least one input".into()));
        }
        let model_item = model_input(&params.input)?;
        if let Some(cwd) = &params.cwd {
            crate::engine::thread::check_cwd(cwd)?;
        }
        let kind = TurnKind::User {
            input: params.input.clone(),
            model_item,
            client_id: params.client_user_message_id.clone(),
        };
        let launch = Launch { output_schema: params.output_schema.clone(), origin, kind };
        let turn = self.launch(host, config, &params.thread_id, launch, |state| {
            if let Some(model) = &params.model {
                state.record.model = Some(model.clone());
            }
            if let Some(cwd) = &params.cwd {
                state.record.cwd = cwd.to_string();
            }
            if let Some(policy) = &params.approval_policy {
                state.settings.approval_policy = policy.clone();
            }
            if let Some(sandbox) = &params.sandbox_policy {
                state.settings.sandbox = sandbox.clone();
            }
            if let Some(effort) = &params.effort {
                state.settings.reasoning_effort = Some(effort.clone());
            }
            if let Some(summary) = &params.summary {
                state.settings.reasoning_summary =
                    serde_json::to_value(summary).ok().and_then(|v| v.as_str().map(str::to_owned));
            }
        })?;
        Ok(TurnStartResponse { turn })
    }

    /// `thread/compact/start`: runs a turn that only compacts the thread's history.
    pub async fn start_compaction(
        self: &Arc<Self>,
        host: &Arc<dyn AgentHost>,
        config: &Config,
        params: ThreadCompactStartParams,
        origin: TurnOrigin,
    ) -> Result<ThreadCompactStartResponse, EngineError> {
        if self.loaded(&params.thread_id).is_none() {
            // A stored thread must be resumed first; an unknown id is not a thread at all.
            return Err(match self.state().thread(&params.thread_id).await? {
                Some(_) => EngineError::ThreadNotLoaded(params.thread_id),
                None => EngineError::ThreadNotFound(params.thread_id),
            });
        }
        let launch = Launch { output_schema: None, origin, kind: TurnKind::Compact };
        self.launch(host, config, &params.thread_id, launch, |_| {})?;
        Ok(ThreadCompactStartResponse {})
    }

    /// Claims the thread's turn slot (after `configure` applied the turn's overrides), then
    /// runs the turn in a spawned task; returns the turn as started.
    pub(crate) fn launch(
        self: &Arc<Self>,
        host: &Arc<dyn AgentHost>,
        config: &Config,
        thread_id: &str,
        launch: Launch,
        configure: impl FnOnce(&mut crate::engine::ThreadState),
    ) -> Result<Turn, EngineError> {
        let thread = self
            .loaded(thread_id)
            .ok_or_else(|| EngineError::ThreadNotLoaded(thread_id.to_owned()))?;
        let provider_id = thread.lock().record.model_provider.clone();
        if launch.kind.uses_model() {
            crate::engine::provider::resolve_provider(config, &provider_id)?;
        }
        let turn_id = new_id();
        let cancel = CancellationToken::new();
        let turn = Turn {
            completed_at: None,
            duration_ms: None,
            error: None,
            id: turn_id.clone(),
            items: Vec::new(),
            items_view: None,
            root_turn_id: None,
            started_at: Some(now_secs()),
            status: TurnStatus::InProgress,
        };
        let notifier = ThreadNotifier::new(Arc::clone(host), thread.id.clone());
        let (turn_seq, ephemeral, items, frozen) = {
            let mut state = thread.lock();
            if let TurnSlot::Running(running) = &state.slot {
                return Err(EngineError::TurnAlreadyRunning {
                    thread_id: thread_id.to_owned(),
                    turn_id: running.turn_id.clone(),
                });
            }
            configure(&mut state);
            state.record.settings =
                serde_json::to_value(&state.settings).unwrap_or(state.record.settings.clone());
            let turn_seq = state.turns.len();
            let items = TurnItems::new(
                Arc::clone(self),
                Arc::clone(&thread),
                notifier.clone(),
                turn_id.clone(),
                turn_seq,
                state.ephemeral,
            );
            state.slot = TurnSlot::Running(RunningTurn {
                turn_id: turn_id.clone(),
                activity: launch.kind.activity(),
                cancel: cancel.clone(),
                steered: Vec::new(),
                pending_history: Vec::new(),
                items: items.clone(),
            });
            state.turns.push(turn.clone());
            let frozen = FrozenSettings {
                settings: state.settings.clone(),
                model: state.record.model.clone().unwrap_or_else(|| {
                    crate::engine::provider::default_model(&state.record.model_provider).to_owned()
                }),
                cwd: state.record.cwd.clone(),
            };
            (turn_seq as i64, state.ephemeral, items, frozen)
        };
        let task = TurnTask {
            engine: Arc::clone(self),
            notifier,
            host: Arc::clone(host),
            thread,
            client: None,
            config: config.clone(),
            provider_id,
            turn_id,
            turn_seq,
            cancel,
            ephemeral,
            started_ms: now_ms(),
            items,
            output_schema: launch.output_schema,
            origin: launch.origin,
            review: None,
            frozen,
            _running: RunningTurnGuard::new(Arc::clone(host)),
        };
        // The request that started the turn names it (the reference's `turn.id` on its span).
        tracing::Span::current().record("turn.id", turn.id.as_str());
        // The turn's span is a child of the request that started it and outlives its response.
        let span = tracing::info_span!(
            "turn",
            // `thread.id` is the OS thread in exported spans; ours carries the conversation.
            codex.thread.id = %thread_id,
            turn.id = %turn.id,
        );
        tokio::spawn(task.run(launch.kind).instrument(span));
        Ok(turn)
    }

    /// `turn/interrupt`: cancels the running turn at once; it completes as `interrupted`.
    pub fn interrupt_turn(
        &self,
        params: TurnInterruptParams,
    ) -> Result<TurnInterruptResponse, EngineError> {
        let thread = self
            .loaded(&params.thread_id)
            .ok_or_else(|| EngineError::ThreadNotLoaded(params.thread_id.clone()))?;
        let state = thread.lock();
        match &state.slot {
            TurnSlot::Running(running) if running.turn_id == params.turn_id => {
                running.cancel.cancel();
                Ok(TurnInterruptResponse {})
            }
            TurnSlot::Running(running) => Err(EngineError::NoSuchRunningTurn(format!(
                "turn {} is not running on thread {}; the running turn is {}",
                params.turn_id, params.thread_id, running.turn_id
            ))),
            TurnSlot::Idle => Err(EngineError::NoSuchRunningTurn(format!(
                "no turn is running on thread {}",
                params.thread_id
            ))),
        }
    }

    /// `turn/steer`: adds input to the running turn, sent with its next model request.
    pub fn steer_turn(&self, params: TurnSteerParams) -> Result<TurnSteerResponse, EngineError> {
        if params.input.is_empty() {
            return Err(EngineError::InvalidParams("turn/steer needs at least one input".into()));
        }
        let model_item = model_input(&params.input)?;
        let thread = self
            .loaded(&params.thread_id)
            .ok_or_else(|| EngineError::ThreadNotLoaded(params.thread_id.clone()))?;
        let mut state = thread.lock();
        match &mut state.slot {
            TurnSlot::Running(running)
                if running.turn_id == params.expected_turn_id
                    && running.activity != TurnActivity::Regular =>
            {
                Err(EngineError::NoSuchRunningTurn(format!(
                    "cannot steer a {} turn; wait for it to finish or interrupt it",
                    running.activity.name()
                )))
            }
            TurnSlot::Running(running) if running.turn_id == params.expected_turn_id => {
                running.steered.push((params.input, model_item));
                Ok(TurnSteerResponse { turn_id: running.turn_id.clone() })
            }
            TurnSlot::Running(running) => Err(EngineError::NoSuchRunningTurn(format!(
                "expected turn {} but turn {} is running on thread {}",
                params.expected_turn_id, running.turn_id, params.thread_id
            ))),
            TurnSlot::Idle => Err(EngineError::NoSuchRunningTurn(format!(
                "no turn is running on thread {}; start one with turn/start",
                params.thread_id
            ))),
        }
    }
}

/// An item being streamed.
#[derive(Debug)]
enum OpenItem {
    Message { id: String, started_ms: i64, text: String },
    Reasoning { id: String, started_ms: i64, summary: Vec<String>, content: Vec<String> },
}

impl OpenItem {
    fn to_item(&self, completed_ms: Option<i64>) -> ThreadItem {
        match self {
            OpenItem::Message { id, started_ms, text } => ThreadItem::AgentMessage {
                started_at_ms: Some(*started_ms),
                completed_at_ms: completed_ms,
                id: id.clone(),
                phase: None,
                text: text.clone(),
            },
            OpenItem::Reasoning { id, started_ms, summary, content } => ThreadItem::Reasoning {
                started_at_ms: Some(*started_ms),
                completed_at_ms: completed_ms,
                content: content.clone(),
                id: id.clone(),
                summary: summary.clone(),
            },
        }
    }
}

/// Items of one model response being streamed, keyed by the provider's item id, in start order.
#[derive(Debug, Default)]
struct OpenItems {
    order: Vec<String>,
    items: HashMap<String, OpenItem>,
}

/// The task running one turn.
struct TurnTask {
    engine: Arc<Engine>,
    host: Arc<dyn AgentHost>,
    notifier: ThreadNotifier,
    thread: Arc<LoadedThread>,
    client: Option<ModelClient>,
    config: Config,
    provider_id: String,
    turn_id: String,
    turn_seq: i64,
    cancel: CancellationToken,
    ephemeral: bool,
    started_ms: i64,
    items: TurnItems,
    /// The turn's `outputSchema`: the final answer must be JSON matching it (this turn only).
    output_schema: Option<serde_json::Value>,
    /// Who the model requests are made for (`originator`, `User-Agent`).
    origin: TurnOrigin,
    /// Set while the turn runs a review: its own conversation, apart from the thread's history.
    review: Option<review::ReviewConversation>,
    /// The thread's settings as the turn started: a `thread/settings/update` while it runs
    /// applies from the next turn on.
    frozen: FrozenSettings,
    _running: RunningTurnGuard,
}

fn state_failure(err: impl std::fmt::Display) -> TurnEnd {
    TurnEnd::Failed(TurnError {
        additional_details: None,
        codex_error_info: Some(CodexErrorInfo::Other),
        message: format!("saving the turn to the state database failed: {err}"),
    })
}

/// The span of one model request (`kind`: `turn` or `compaction`); its status and token usage
/// are recorded when the response completes.
pub(super) fn model_request_span(provider: &str, model: &str, kind: &str) -> tracing::Span {
    tracing::info_span!(
        "model.request",
        otel.kind = "client",
        model.provider = %provider,
        model.name = %model,
        model.request_kind = kind,
        http.status = tracing::field::Empty,
        usage.input_tokens = tracing::field::Empty,
        usage.output_tokens = tracing::field::Empty,
        usage.total_tokens = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}

/// Whether a turn failed because its request did not fit the model's context window.
fn is_window_exceeded(error: &TurnError) -> bool {
    matches!(error.codex_error_info, Some(CodexErrorInfo::ContextWindowExceeded))
}

/// The failure when a request still does not fit after compacting.
fn window_still_exceeded(error: &TurnError) -> TurnError {
    TurnError {
        additional_details: Some(error.message.clone()),
        codex_error_info: Some(CodexErrorInfo::ContextWindowExceeded),
        message: "The conversation does not fit the model's context window even after compacting \
                  it. Start a new thread (or fork this one from an earlier turn), send a shorter \
                  message, or choose a model with a larger context window."
            .to_owned(),
    }
}

/// The `TurnError` for a model failure: the client's message says what to fix.
fn model_failure(err: &ModelError) -> TurnError {
    let info = match err {
        ModelError::MissingApiKey { .. } | ModelError::Unauthorized { .. } => {
            Some(CodexErrorInfo::Unauthorized)
        }
        ModelError::NotFound { .. } => Some(CodexErrorInfo::ModelNotFound),
        ModelError::RateLimited { .. } => {
            Some(CodexErrorInfo::ResponseTooManyFailedAttempts { http_status_code: Some(429) })
        }
        ModelError::ServerError { status, .. } => {
            Some(CodexErrorInfo::ResponseTooManyFailedAttempts { http_status_code: Some(*status) })
        }
        other if other.is_context_window_exceeded() => Some(CodexErrorInfo::ContextWindowExceeded),
        ModelError::BadRequest { .. } => Some(CodexErrorInfo::BadRequest),
        ModelError::Connect { .. } => {
            Some(CodexErrorInfo::ResponseStreamConnectionFailed { http_status_code: None })
        }
        ModelError::Disconnected { .. }
        | ModelError::IdleTimeout { .. }
        | ModelError::Transport { .. } => {
            Some(CodexErrorInfo::ResponseStreamDisconnected { http_status_code: None })
        }
        _ => Some(CodexErrorInfo::Other),
    };
    let message = match err {
        ModelError::Disconnected { .. } | ModelError::Transport { .. } => format!(
            "{err} (the connection to the model provider dropped mid-stream; send the message again \
             to retry)"
        ),
        ModelError::IdleTimeout { .. } => format!(
            "{err} (the provider stopped sending mid-stream; retry, or raise stream_idle_timeout_ms \
             for slow models)"
        ),
        _ => err.to_string(),
    };
    TurnError { additional_details: None, codex_error_info: info, message }
}

impl TurnTask {
    async fn run(mut self, kind: TurnKind) {
        let thread_id = self.thread.id.clone();
        let turn = self.current_turn();
        if !self.ephemeral {
            let record = wire::turn_to_record(&thread_id, self.turn_seq, &turn);
            if let Err(err) = self.engine.state().upsert_turn(&record).await {
                tracing::warn!(thread = %thread_id, "storing the new turn failed: {err}");
            }
        }
        self.notifier
            .notify(&ServerNotification::ThreadStatusChanged(ThreadStatusChangedNotification {
                status: ThreadStatus::Active { active_flags: Vec::new() },
                thread_id: thread_id.clone(),
            }))
            .await;
        self.notifier
            .notify(&ServerNotification::TurnStarted(TurnStartedNotification {
                thread_id: thread_id.clone(),
                turn,
            }))
            .await;
        let driven = match kind {
            TurnKind::User { input, model_item, client_id } => {
                self.drive(input, model_item, client_id).await
            }
            TurnKind::Compact => self.compact(CompactionReason::Requested).await,
            TurnKind::UserShell(run) => self.user_shell(run).await,
            TurnKind::Review(request) => self.review(request).await,
        };
        let end = match driven {
            Ok(()) => TurnEnd::Completed,
            Err(end) => {
                self.answer_unanswered_calls().await;
                end
            }
        };
        self.finish(end).await;
    }

    fn current_turn(&self) -> Turn {
        let state = self.thread.lock();
        state.turns.get(self.turn_seq as usize).cloned().unwrap_or_else(|| Turn {
            completed_at: None,
            duration_ms: None,
            error: None,
            id: self.turn_id.clone(),
            items: Vec::new(),
            items_view: None,
            root_turn_id: None,
            started_at: None,
            status: TurnStatus::InProgress,
        })
    }

    async fn drive(
        &mut self,
        input: Vec<UserInput>,
        model_item: InputItem,
        client_id: Option<String>,
    ) -> Result<(), TurnEnd> {
        if self.over_compaction_limit() {
            self.compact(CompactionReason::BeforeTurn).await?;
        }
        self.record_context().await?;
        self.record_user_message(input, model_item, client_id).await?;
        let mut recovered = false;
        loop {
            let steered = self.take_steered();
            for (input, model_item) in steered {
                self.record_user_message(input, model_item, None).await?;
            }
            self.flush_pending_history().await?;
            if self.cancel.is_cancelled() {
                return Err(TurnEnd::Interrupted);
            }
            let request = self.build_request();
            let calls = match self.sample(request).await {
                Err(TurnEnd::Failed(error)) if is_window_exceeded(&error) => {
                    if recovered {
                        return Err(TurnEnd::Failed(window_still_exceeded(&error)));
                    }
                    // Beyond the reference, which fails the turn: compact once and retry.
                    recovered = true;
                    self.compact(CompactionReason::WindowExceeded).await?;
                    continue;
                }
                sampled => sampled?,
            };
            if calls.is_empty() {
                if self.has_steered() {
                    continue;
                }
                return Ok(());
            }
            self.run_calls(calls).await?;
            if self.over_compaction_limit() {
                self.compact(CompactionReason::MidTurn).await?;
            }
        }
    }

    /// Runs a response's function calls (parallel-safe groups at once) and appends their
    /// outputs, in call order, then the images the tools showed.
    async fn run_calls(&mut self, calls: Vec<(String, String, String)>) -> Result<(), TurnEnd> {
        // Images the tools showed (view_image) follow all of the response's outputs, so every
        // call is answered before anything else in the history.
        let mut shown_images = Vec::new();
        for group in self.parallel_groups(calls) {
            // Calls after an interrupt never start; `answer_unanswered_calls` answers them.
            if self.cancel.is_cancelled() {
                return Err(TurnEnd::Interrupted);
            }
            let tools = self.engine.tools();
            let running = futures::future::join_all(group.clone().into_iter().map(
                |(call_id, name, arguments)| {
                    let (tools, context) = (Arc::clone(&tools), self.tool_context(&call_id));
                    let span = tracing::info_span!(
                        "tool.call",
                        tool.name = %name,
                        tool.call_id = %call_id,
                        tool.success = tracing::field::Empty,
                    );
                    async move {
                        let outcome = tools.call(context, &name, &arguments).await;
                        tracing::Span::current().record("tool.success", outcome.success);
                        outcome
                    }
                    .instrument(span)
                },
            ));
            tokio::pin!(running);
            let outcomes = tokio::select! {
                biased;
                () = self.cancel.cancelled() => {
                    // The tools see the same token: give them a moment to stop their
                    // processes and complete their items before they are dropped.
                    let stopped = tokio::time::timeout(TOOL_STOP_GRACE, &mut running).await;
                    if let Ok(outcomes) = stopped {
                        let outputs = group
                            .into_iter()
                            .zip(outcomes)
                            .map(|((call_id, _, _), outcome)| {
                                InputItem::function_call_output(call_id, self.for_model(&outcome.output))
                            })
                            .collect();
                        self.push_history(outputs).await?;
                    }
                    return Err(TurnEnd::Interrupted);
                }
                outcomes = &mut running => outcomes,
            };
            // Outputs go back in call order, whatever order the calls finished in.
            for ((call_id, _, _), outcome) in group.into_iter().zip(outcomes) {
                let output = self.for_model(&outcome.output);
                self.push_history(vec![InputItem::function_call_output(call_id, output)]).await?;
                shown_images.extend(outcome.images.into_iter().map(ContentPart::image));
            }
        }
        if !shown_images.is_empty() {
            self.push_history(vec![InputItem::user_parts(shown_images)]).await?;
        }
        Ok(())
    }

    /// Splits a response's calls into groups run one after the other: consecutive calls that are
    /// all parallel-safe (read-only, never asking) share a group and run at the same time; any
    /// other call is a group of its own.
    fn parallel_groups(
        &self,
        calls: Vec<(String, String, String)>,
    ) -> Vec<Vec<(String, String, String)>> {
        let tools = self.engine.tools();
        let mut groups: Vec<Vec<(String, String, String)>> = Vec::new();
        let mut last_parallel = false;
        for call in calls {
            let parallel = tools.parallel_safe(&call.1, &call.2);
            match groups.last_mut() {
                Some(group) if parallel && last_parallel => group.push(call),
                _ => groups.push(vec![call]),
            }
            last_parallel = parallel;
        }
        groups
    }

    /// Gives every function call of this turn that has no output an [`ABORTED_OUTPUT`], so the
    /// stored history stays valid for the next request (providers refuse a `function_call`
    /// without its `function_call_output`).
    async fn answer_unanswered_calls(&mut self) {
        let unanswered: Vec<String> = {
            let state = self.thread.lock();
            let turn_items = state
                .history
                .iter()
                .filter(|entry| entry.turn_id == self.turn_id)
                .map(|entry| &entry.item);
            let mut calls: Vec<String> = Vec::new();
            for item in turn_items {
                match item {
                    InputItem::FunctionCall { call_id, .. } => calls.push(call_id.clone()),
                    InputItem::FunctionCallOutput { call_id, .. } => {
                        calls.retain(|call| call != call_id)
                    }
                    _ => {}
                }
            }
            calls
        };
        if unanswered.is_empty() {
            return;
        }
        let outputs = unanswered
            .into_iter()
            .map(|call_id| InputItem::function_call_output(call_id, ABORTED_OUTPUT.to_owned()))
            .collect();
        if self.push_history(outputs).await.is_err() {
            tracing::warn!(thread = %self.thread.id, "storing aborted tool outputs failed");
        }
    }

    /// Runs a user's shell command as this turn's only work.
    async fn user_shell(&mut self, run: user_shell::UserShellCommand) -> Result<(), TurnEnd> {
        let (record, interrupted) =
            user_shell::run_user_shell(&self.items, &run, &self.cancel).await;
        self.push_history(vec![record]).await?;
        if interrupted {
            return Err(TurnEnd::Interrupted);
        }
        Ok(())
    }

    /// Adds the history records made beside the turn (user shell commands) so far.
    async fn flush_pending_history(&mut self) -> Result<(), TurnEnd> {
        let pending = match &mut self.thread.lock().slot {
            TurnSlot::Running(running) => std::mem::take(&mut running.pending_history),
            TurnSlot::Idle => Vec::new(),
        };
        if pending.is_empty() {
            return Ok(());
        }
        self.push_history(pending).await
    }

    fn take_steered(&self) -> Vec<(Vec<UserInput>, InputItem)> {
        match &mut self.thread.lock().slot {
            TurnSlot::Running(running) => std::mem::take(&mut running.steered),
            TurnSlot::Idle => Vec::new(),
        }
    }

    fn has_steered(&self) -> bool {
        matches!(&self.thread.lock().slot, TurnSlot::Running(running) if !running.steered.is_empty())
    }

    fn tool_context(&self, call_id: &str) -> ToolContext {
        let frozen = &self.frozen;
        ToolContext {
            thread_id: self.thread.id.clone(),
            turn_id: self.turn_id.clone(),
            call_id: call_id.to_owned(),
            cwd: codex_app_server_protocol::AbsolutePath::new(&frozen.cwd)
                .unwrap_or_else(|_| self.host.codex_home()),
            approval_policy: frozen.settings.approval_policy.clone(),
            sandbox: frozen.settings.sandbox.clone(),
            cancel: self.cancel.clone(),
            host: Arc::clone(&self.host),
            notifier: self.notifier.clone(),
            items: self.items.clone(),
        }
    }

    /// A tool's output cut to the thread's tool-output budget (head and tail kept).
    fn for_model(&self, output: &str) -> String {
        truncate_for_model(output, self.config.agent.tool_output_token_limit).into_owned()
    }

    /// Adds the context messages this turn needs before the user's input: everything on the
    /// thread's first turn, later only what changed (permissions, AGENTS.md, environment).
    async fn record_context(&mut self) -> Result<(), TurnEnd> {
        let update = self.context_since(None)?;
        if update.agents_md_truncated {
            tracing::warn!(
                thread = %self.thread.id,
                limit = self.config.agent.project_doc_max_bytes,
                "AGENTS.md files exceed project_doc_max_bytes; the rest was not sent to the model"
            );
        }
        {
            let mut state = self.thread.lock();
            state.settings.sent_context = update.sent;
            state.record.settings =
                serde_json::to_value(&state.settings).unwrap_or(state.record.settings.clone());
        }
        if !update.items.is_empty() {
            self.push_history(update.items).await?;
        }
        Ok(())
    }

    /// The context items to send now, given what was sent before (`None`: what the thread
    /// last sent; `Some(default)` for everything, as after a compaction).
    fn context_since(&self, previous: Option<&SentContext>) -> Result<ContextUpdate, TurnEnd> {
        let state = self.thread.lock();
        let frozen = &self.frozen.settings;
        let cwd = std::path::PathBuf::from(&self.frozen.cwd);
        let project_docs = self.config.agent.project_doc_options();
        let inputs = TurnContextInputs {
            cwd: &cwd,
            codex_home: &self.config.codex_home,
            sandbox: &frozen.sandbox,
            approval: &frozen.approval_policy,
            developer_instructions: frozen.developer_instructions.as_deref(),
            project_docs: &project_docs,
            environment: EnvironmentContext::new(&cwd, &frozen.sandbox),
        };
        context_update(&inputs, previous.unwrap_or(&state.settings.sent_context)).map_err(|err| {
            TurnEnd::Failed(TurnError {
                additional_details: None,
                codex_error_info: Some(CodexErrorInfo::Other),
                message: format!("building the model's context failed: {err}"),
            })
        })
    }

    /// The base instructions of the thread's requests.
    fn base_instructions(&self) -> String {
        let state = self.thread.lock();
        match &state.settings.base_instructions {
            Some(text) => text.clone(),
            None => resolve_base_instructions(
                None,
                self.config.agent.model_instructions_file.as_deref(),
                self.config.agent.instructions.as_deref(),
            )
            .unwrap_or_else(|err| {
                tracing::warn!("using the built-in base instructions: {err}");
                BASE_INSTRUCTIONS.to_owned()
            }),
        }
    }

    /// The turn's model slug.
    fn model(&self) -> String {
        self.frozen.model.clone()
    }

    fn build_request(&self) -> ModelRequest {
        let model = self.model();
        let instructions = match &self.review {
            Some(_) => review::REVIEWER_INSTRUCTIONS.to_owned(),
            None => self.base_instructions(),
        };
        let info = self.engine.model_info(&model);
        let state = self.thread.lock();
        let mut request = ModelRequest::new(model, instructions);
        request.input = match &self.review {
            Some(review) => review.input.clone(),
            None => state.history.iter().map(|entry| entry.item.clone()).collect(),
        };
        request.tools = self.engine.tools().tools();
        request.parallel_tool_calls = true;
        request.reasoning = reasoning_options(&info, &self.frozen.settings, &self.config.agent);
        request.verbosity = verbosity(&info, &self.config.agent);
        request.headers = vec![
            ("session-id".to_owned(), self.thread.id.clone()),
            ("thread-id".to_owned(), self.thread.id.clone()),
            ("originator".to_owned(), self.origin.originator.clone()),
            ("user-agent".to_owned(), self.origin.user_agent.clone()),
        ];
        if self.review.is_some() {
            // The reviewer works from the diff and the repository, not the web.
            request.headers.push(("x-openai-subagent".to_owned(), "review".to_owned()));
        } else {
            request.output_schema = self.output_schema.clone();
            request.hosted_tools = self.config.agent.web_search.hosted_tool().into_iter().collect();
            request.prompt_cache_key = Some(self.thread.id.clone());
        }
        request
    }

    /// Appends to the model history (in memory, and on disk for stored threads); while a
    /// review runs, to the review's own conversation instead.
    async fn push_history(&mut self, items: Vec<InputItem>) -> Result<(), TurnEnd> {
        if let Some(review) = &mut self.review {
            review.input.extend(items);
            return Ok(());
        }
        let (first_seq, entries) = {
            let mut state = self.thread.lock();
            let first_seq = state.history.len() as i64;
            for item in &items {
                state
                    .history
                    .push(HistoryEntry { turn_id: self.turn_id.clone(), item: item.clone() });
            }
            (first_seq, items)
        };
        if self.ephemeral {
            return Ok(());
        }
        let values: Vec<serde_json::Value> =
            entries.iter().filter_map(|item| serde_json::to_value(item).ok()).collect();
        self.engine
            .state()
            .append_history(&self.thread.id, &self.turn_id, first_seq, &values)
            .await
            .map_err(state_failure)
    }

    async fn record_user_message(
        &mut self,
        input: Vec<UserInput>,
        model_item: InputItem,
        client_id: Option<String>,
    ) -> Result<(), TurnEnd> {
        let text = wire::user_input_text(&input);
        let started_ms = now_ms();
        let id = new_id();
        let item = |completed: Option<i64>| ThreadItem::UserMessage {
            started_at_ms: Some(started_ms),
            completed_at_ms: completed,
            client_id: client_id.clone(),
            content: input.clone(),
            id: id.clone(),
        };
        self.start_item(item(None), started_ms).await;
        {
            let mut state = self.thread.lock();
            if state.record.preview.is_empty() {
                state.record.preview = wire::preview_of(&text);
            }
            state.record.updated_at = now_secs();
        }
        if !self.ephemeral {
            let record = self.thread.lock().record.clone();
            self.engine.state().upsert_thread(&record).await.map_err(state_failure)?;
        }
        self.push_history(vec![model_item]).await?;
        self.complete_item(item(Some(now_ms()))).await
    }

    async fn start_item(&self, item: ThreadItem, started_ms: i64) {
        self.items.start(item, started_ms).await;
    }

    /// Stores a finished item (awaited), adds it to the turn, then sends `item/completed`.
    async fn complete_item(&mut self, item: ThreadItem) -> Result<(), TurnEnd> {
        self.items.complete(item).await.map_err(state_failure)
    }

    /// The provider client, built on first use.
    async fn model_client(&mut self) -> Result<ModelClient, TurnEnd> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let client = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(TurnEnd::Interrupted),
            client = self.engine.providers().client_async(&self.config, &self.provider_id) => client,
        };
        let client = client.map_err(|err| {
            TurnEnd::Failed(TurnError {
                additional_details: None,
                codex_error_info: Some(CodexErrorInfo::BadRequest),
                message: err.to_string(),
            })
        })?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// One model request: streams its output into items; returns the function calls it made.
    async fn sample(
        &mut self,
        mut request: ModelRequest,
    ) -> Result<Vec<(String, String, String)>, TurnEnd> {
        let span = model_request_span(&self.provider_id, &request.model, "turn");
        // The provider sees this request's span as its parent (W3C `traceparent`).
        request.headers.extend(span.in_scope(|| self.host.trace_headers()));
        self.sample_request(&request).instrument(span).await
    }

    async fn sample_request(
        &mut self,
        request: &ModelRequest,
    ) -> Result<Vec<(String, String, String)>, TurnEnd> {
        let client = self.model_client().await?;
        let asked_at = std::time::SystemTime::now();
        let stream = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(TurnEnd::Interrupted),
            stream = client.stream_with_cancel(request, self.cancel.clone()) => stream,
        };
        let mut stream = match stream {
            Ok(stream) => stream,
            Err(ModelError::Cancelled) => return Err(TurnEnd::Interrupted),
            Err(err) => {
                tracing::Span::current().record("error", err.to_string());
                return Err(TurnEnd::Failed(model_failure(&err)));
            }
        };
        self.report_rate_limits(&client, asked_at).await;
        let mut open = OpenItems::default();
        let mut searches = web_search::OpenSearches::default();
        let mut calls = Vec::new();
        loop {
            let event = tokio::select! {
                biased;
                () = self.cancel.cancelled() => Some(Err(ModelError::Cancelled)),
                event = stream.next() => event,
            };
            let event = match event {
                Some(Ok(event)) => event,
                Some(Err(ModelError::Cancelled)) => {
                    self.close_open_searches(&mut searches).await?;
                    self.close_open_items(&mut open).await?;
                    return Err(TurnEnd::Interrupted);
                }
                Some(Err(err)) => {
                    tracing::Span::current().record("error", err.to_string());
                    self.close_open_searches(&mut searches).await?;
                    self.close_open_items(&mut open).await?;
                    return Err(TurnEnd::Failed(model_failure(&err)));
                }
                None => {
                    self.close_open_searches(&mut searches).await?;
                    self.close_open_items(&mut open).await?;
                    let err = ModelError::Disconnected { provider: client.provider().name.clone() };
                    return Err(TurnEnd::Failed(model_failure(&err)));
                }
            };
            match event {
                ModelEvent::Created { .. } => {}
                // A reviewer's messages are its findings (JSON): the client sees them rendered
                // in `exitedReviewMode`, not as agent messages.
                ModelEvent::OutputItemAdded(OutputItem::Message { .. })
                    if self.review.is_some() => {}
                ModelEvent::OutputTextDelta { .. } if self.review.is_some() => {}
                ModelEvent::OutputItemDone(OutputItem::Message { text, .. })
                    if self.review.is_some() =>
                {
                    if !text.is_empty() {
                        if let Some(review) = &mut self.review {
                            review.last_message = Some(text.clone());
                        }
                        self.push_history(vec![InputItem::assistant(text)]).await?;
                    }
                }
                ModelEvent::OutputItemAdded(OutputItem::Message { id, .. }) => {
                    self.open_message(&mut open, &id).await;
                }
                ModelEvent::OutputItemAdded(OutputItem::Reasoning { id, .. }) => {
                    self.open_reasoning(&mut open, &id).await;
                }
                ModelEvent::OutputItemAdded(OutputItem::Other(raw)) => {
                    if let Some(search) = web_search::WebSearchCall::from_raw(&raw) {
                        self.open_web_search(&mut searches, search).await;
                    }
                }
                ModelEvent::OutputItemAdded(_) => {}
                ModelEvent::OutputTextDelta { item_id, delta } => {
                    let id = self.open_message(&mut open, &item_id).await;
                    if let Some(OpenItem::Message { text, .. }) = open.items.get_mut(&item_id) {
                        text.push_str(&delta);
                    }
                    self.notifier
                        .notify(&ServerNotification::AgentMessageDelta(
                            AgentMessageDeltaNotification {
                                delta,
                                item_id: id,
                                thread_id: self.thread.id.clone(),
                                turn_id: self.turn_id.clone(),
                            },
                        ))
                        .await;
                }
                ModelEvent::ReasoningSummaryPartAdded { item_id, summary_index } => {
                    self.open_reasoning(&mut open, &item_id).await;
                    if let Some(OpenItem::Reasoning { summary, .. }) = open.items.get_mut(&item_id)
                    {
                        while summary.len() <= summary_index as usize {
                            summary.push(String::new());
                        }
                    }
                }
                ModelEvent::ReasoningSummaryDelta { item_id, summary_index, delta } => {
                    let id = self.open_reasoning(&mut open, &item_id).await;
                    if let Some(OpenItem::Reasoning { summary, .. }) = open.items.get_mut(&item_id)
                    {
                        while summary.len() <= summary_index as usize {
                            summary.push(String::new());
                        }
                        summary[summary_index as usize].push_str(&delta);
                    }
                    self.notifier
                        .notify(&ServerNotification::ReasoningSummaryTextDelta(
                            ReasoningSummaryTextDeltaNotification {
                                delta,
                                item_id: id,
                                summary_index: i64::from(summary_index),
                                thread_id: self.thread.id.clone(),
                                turn_id: self.turn_id.clone(),
                            },
                        ))
                        .await;
                }
                ModelEvent::ReasoningTextDelta { item_id, content_index, delta } => {
                    let id = self.open_reasoning(&mut open, &item_id).await;
                    if let Some(OpenItem::Reasoning { content, .. }) = open.items.get_mut(&item_id)
                    {
                        while content.len() <= content_index as usize {
                            content.push(String::new());
                        }
                        content[content_index as usize].push_str(&delta);
                    }
                    self.notifier
                        .notify(&ServerNotification::ReasoningTextDelta(
                            ReasoningTextDeltaNotification {
                                content_index: i64::from(content_index),
                                delta,
                                item_id: id,
                                thread_id: self.thread.id.clone(),
                                turn_id: self.turn_id.clone(),
                            },
                        ))
                        .await;
                }
                ModelEvent::OutputItemDone(OutputItem::Message { id, text }) => {
                    self.open_message(&mut open, &id).await;
                    if let Some(OpenItem::Message { text: streamed, .. }) = open.items.get_mut(&id)
                    {
                        *streamed = text.clone();
                    }
                    self.close_item(&mut open, &id).await?;
                    if !text.is_empty() {
                        self.push_history(vec![InputItem::assistant(text)]).await?;
                    }
                }
                ModelEvent::OutputItemDone(OutputItem::Reasoning {
                    id,
                    summary,
                    content,
                    encrypted_content,
                }) => {
                    self.open_reasoning(&mut open, &id).await;
                    if let Some(OpenItem::Reasoning { summary: s, content: c, .. }) =
                        open.items.get_mut(&id)
                    {
                        *s = summary.clone();
                        *c = content;
                    }
                    self.close_item(&mut open, &id).await?;
                    if encrypted_content.is_some() {
                        self.push_history(vec![InputItem::Reasoning {
                            id: Some(id),
                            summary,
                            encrypted_content,
                        }])
                        .await?;
                    }
                }
                ModelEvent::OutputItemDone(OutputItem::FunctionCall {
                    call_id,
                    name,
                    arguments,
                    ..
                }) => {
                    self.push_history(vec![InputItem::function_call(
                        call_id.clone(),
                        name.clone(),
                        arguments.clone(),
                    )])
                    .await?;
                    calls.push((call_id, name, arguments));
                }
                ModelEvent::OutputItemDone(OutputItem::Other(raw)) => {
                    if let Some(search) = web_search::WebSearchCall::from_raw(&raw) {
                        self.close_web_search(&mut searches, search).await?;
                    }
                }
                ModelEvent::Completed { usage, .. } => {
                    self.close_open_searches(&mut searches).await?;
                    self.close_open_items(&mut open).await?;
                    if let Some(usage) = usage {
                        let span = tracing::Span::current();
                        span.record("usage.input_tokens", usage.input_tokens);
                        span.record("usage.output_tokens", usage.output_tokens);
                        span.record("usage.total_tokens", usage.total_tokens);
                        self.report_usage(&usage).await;
                    }
                    return Ok(calls);
                }
            }
        }
    }

    /// Starts an agent message for provider item `key` unless open; returns our item id.
    async fn open_message(&self, open: &mut OpenItems, key: &str) -> String {
        if let Some(OpenItem::Message { id, .. } | OpenItem::Reasoning { id, .. }) =
            open.items.get(key)
        {
            return id.clone();
        }
        let item = OpenItem::Message { id: new_id(), started_ms: now_ms(), text: String::new() };
        self.open_item(open, key, item).await
    }

    /// Starts a reasoning item for provider item `key` unless open; returns our item id.
    async fn open_reasoning(&self, open: &mut OpenItems, key: &str) -> String {
        if let Some(OpenItem::Message { id, .. } | OpenItem::Reasoning { id, .. }) =
            open.items.get(key)
        {
            return id.clone();
        }
        let item = OpenItem::Reasoning {
            id: new_id(),
            started_ms: now_ms(),
            summary: Vec::new(),
            content: Vec::new(),
        };
        self.open_item(open, key, item).await
    }

    async fn open_item(&self, open: &mut OpenItems, key: &str, item: OpenItem) -> String {
        let wire_item = item.to_item(None);
        let (id, started_ms) = match &item {
            OpenItem::Message { id, started_ms, .. }
            | OpenItem::Reasoning { id, started_ms, .. } => (id.clone(), *started_ms),
        };
        open.order.push(key.to_owned());
        open.items.insert(key.to_owned(), item);
        self.start_item(wire_item, started_ms).await;
        id
    }

    async fn close_item(&mut self, open: &mut OpenItems, key: &str) -> Result<(), TurnEnd> {
        open.order.retain(|k| k != key);
        let Some(item) = open.items.remove(key) else { return Ok(()) };
        self.complete_item(item.to_item(Some(now_ms()))).await
    }

    /// Completes every item still streaming (with what arrived so far).
    async fn close_open_items(&mut self, open: &mut OpenItems) -> Result<(), TurnEnd> {
        let keys = std::mem::take(&mut open.order);
        for key in keys {
            if let Some(item) = open.items.remove(&key) {
                if let OpenItem::Message { text, .. } = &item {
                    if !text.is_empty() {
                        self.push_history(vec![InputItem::assistant(text.clone())]).await?;
                    }
                }
                self.complete_item(item.to_item(Some(now_ms()))).await?;
            }
        }
        Ok(())
    }

    /// Sends `account/rateLimits/updated` when the response that just arrived (after
    /// `asked_at`) stated rate limits.
    async fn report_rate_limits(&self, client: &ModelClient, asked_at: std::time::SystemTime) {
        let Some(limits) = client.rate_limits().filter(|limits| limits.received_at >= asked_at)
        else {
            return;
        };
        if let Some(snapshot) =
            crate::engine::provider::rate_limit_snapshot(&limits, &self.provider_id)
        {
            self.notifier
                .notify(&ServerNotification::AccountRateLimitsUpdated(
                    AccountRateLimitsUpdatedNotification { rate_limits: snapshot },
                ))
                .await;
        }
    }

    async fn report_usage(&self, usage: &codex_model_client::TokenUsage) {
        // A reviewer's request is its own conversation: it says nothing of how long the
        // thread's history is.
        if self.review.is_none() {
            let mut state = self.thread.lock();
            let history_len = state.history.len();
            state.reported_context = Some((usage.total_tokens, history_len));
        }
        self.publish_usage(wire::usage_breakdown(usage), true).await;
    }

    /// Adds `last` to the thread's totals when `counts` (a real request; an estimate after a
    /// compaction does not count), stores the usage and sends `thread/tokenUsage/updated`.
    async fn publish_usage(&self, last: TokenUsageBreakdown, counts: bool) {
        let total = {
            let mut state = self.thread.lock();
            if counts {
                state.usage_total = wire::add_usage(&state.usage_total, &last);
            }
            state.usage_total.clone()
        };
        let window = crate::context::compaction::reported_window(self.context_window());
        let token_usage = ThreadTokenUsage {
            last,
            model_context_window: window.and_then(|window| i64::try_from(window).ok()),
            total,
        };
        if !self.ephemeral {
            let stored = TokenUsageRecord {
                turn_id: self.turn_id.clone(),
                usage: serde_json::to_value(&token_usage).unwrap_or_default(),
            };
            // Usage is bookkeeping: a failed write is logged, the turn goes on.
            if let Err(err) = self.engine.state().set_token_usage(&self.thread.id, &stored).await {
                tracing::warn!(thread = %self.thread.id, "token usage not stored: {err}");
            }
        }
        self.notifier
            .notify(&ServerNotification::ThreadTokenUsageUpdated(
                ThreadTokenUsageUpdatedNotification {
                    thread_id: self.thread.id.clone(),
                    token_usage,
                    turn_id: self.turn_id.clone(),
                },
            ))
            .await;
    }

    async fn finish(self, end: TurnEnd) {
        let thread_id = self.thread.id.clone();
        if matches!(end, TurnEnd::Interrupted) {
            self.engine.tools().turn_interrupted(&thread_id);
        }
        let completed_at = now_secs();
        let duration_ms = now_ms().saturating_sub(self.started_ms);
        let (status, error) = match &end {
            TurnEnd::Completed => (TurnStatus::Completed, None),
            TurnEnd::Interrupted => (TurnStatus::Interrupted, None),
            TurnEnd::Failed(error) => (TurnStatus::Failed, Some(error.clone())),
        };
        let (turn, record, pending) = {
            let mut state = self.thread.lock();
            // Records made beside the turn that it did not take yet join the history now,
            // under the same lock that ends the turn (a new turn cannot slip in between).
            let pending = match std::mem::replace(&mut state.slot, TurnSlot::Idle) {
                TurnSlot::Running(running) => running.pending_history,
                TurnSlot::Idle => Vec::new(),
            };
            let pending_seq = state.history.len() as i64;
            for item in &pending {
                state
                    .history
                    .push(HistoryEntry { turn_id: self.turn_id.clone(), item: item.clone() });
            }
            state.record.updated_at = completed_at;
            let record = state.record.clone();
            let turn = state.turns.get_mut(self.turn_seq as usize).map(|turn| {
                turn.status = status;
                turn.error = error.clone();
                turn.completed_at = Some(completed_at);
                turn.duration_ms = Some(duration_ms);
                turn.clone()
            });
            (turn.unwrap_or_else(|| self.current_turn_fallback()), record, (pending_seq, pending))
        };
        if !self.ephemeral && !pending.1.is_empty() {
            let values: Vec<serde_json::Value> =
                pending.1.iter().filter_map(|item| serde_json::to_value(item).ok()).collect();
            let stored =
                self.engine.state().append_history(&thread_id, &self.turn_id, pending.0, &values);
            if let Err(err) = stored.await {
                tracing::warn!(thread = %thread_id, "storing user shell records failed: {err}");
            }
        }
        if !self.ephemeral {
            let turn_record = wire::turn_to_record(&thread_id, self.turn_seq, &turn);
            if let Err(err) = self.engine.state().upsert_turn(&turn_record).await {
                tracing::warn!(thread = %thread_id, "storing the finished turn failed: {err}");
            }
            if let Err(err) = self.engine.state().upsert_thread(&record).await {
                tracing::warn!(thread = %thread_id, "storing the thread failed: {err}");
            }
        }
        if let Some(error) = error {
            tracing::info!(thread = %thread_id, turn = %self.turn_id, "turn failed: {}", error.message);
            self.notifier
                .notify(&ServerNotification::Error(ErrorNotification {
                    error,
                    thread_id: thread_id.clone(),
                    turn_id: self.turn_id.clone(),
                    will_retry: false,
                }))
                .await;
        }
        // As the reference does after every turn: the subscribers saw it, so nothing is unread;
        // the turn's id is the revision a later read-state change would start from.
        self.notifier
            .notify(&ServerNotification::ThreadReadStateChanged(
                ThreadReadStateChangedNotification {
                    read_state: ThreadReadState {
                        first_unread: None,
                        revision: self.turn_id.clone(),
                    },
                    thread_id: thread_id.clone(),
                },
            ))
            .await;
        self.notifier
            .notify_and_wait(&ServerNotification::TurnCompleted(TurnCompletedNotification {
                thread_id: thread_id.clone(),
                turn,
            }))
            .await;
        self.notifier
            .notify_and_wait(&ServerNotification::ThreadStatusChanged(
                ThreadStatusChangedNotification {
                    status: ThreadStatus::Idle {},
                    thread_id: thread_id.clone(),
                },
            ))
            .await;
        if !self.notifier.has_subscribers() {
            self.engine.unload_if_idle(self.host.as_ref(), &thread_id);
        }
    }

    fn current_turn_fallback(&self) -> Turn {
        Turn {
            completed_at: None,
            duration_ms: None,
            error: None,
            id: self.turn_id.clone(),
            items: Vec::new(),
            items_view: None,
            root_turn_id: None,
            started_at: None,
            status: TurnStatus::Failed,
        }
    }
}
