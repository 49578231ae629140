//! The tools hook: what the engine calls when the model asks for a function call.
//!
//! A turn offers the model the tools of its [`ToolRouter`] and, for every function call the model
//! returns, awaits [`ToolRouter::call`] and hands the [`ToolOutcome`] back to the model as the
//! call's output. The default router, [`UnsupportedTools`], offers no tools and answers any call
//! with an "unsupported tool" output so the model can carry on with text. Commands a router
//! keeps running between calls are the thread's background terminals
//! (`thread/backgroundTerminals/list|terminate|clean`).

use std::sync::Arc;

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::ThreadBackgroundTerminal;
use codex_app_server_protocol::v2::ThreadBackgroundTerminalsCleanParams;
use codex_app_server_protocol::v2::ThreadBackgroundTerminalsCleanResponse;
use codex_app_server_protocol::v2::ThreadBackgroundTerminalsListParams;
use codex_app_server_protocol::v2::ThreadBackgroundTerminalsListResponse;
use codex_app_server_protocol::v2::ThreadBackgroundTerminalsTerminateParams;
use codex_app_server_protocol::v2::ThreadBackgroundTerminalsTerminateResponse;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_model_client::FunctionTool;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::engine::items::TurnItems;
use crate::engine::notify::ThreadNotifier;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::host::AgentHost;

/// Everything a tool needs to know about the call site.
#[derive(Clone)]
pub struct ToolContext {
    /// The thread the call belongs to.
    pub thread_id: String,
    /// The running turn.
    pub turn_id: String,
    /// The model's id for this call (answer with it).
    pub call_id: String,
    /// The thread's working directory.
    pub cwd: AbsolutePath,
    /// The thread's approval policy.
    pub approval_policy: AskForApproval,
    /// The thread's sandbox policy.
    pub sandbox: SandboxPolicy,
    /// Fires when the turn is interrupted; a tool should stop at once.
    pub cancel: CancellationToken,
    /// The host: publishes events and asks the thread's users questions.
    pub host: Arc<dyn AgentHost>,
    /// Sends notifications to the thread's subscribers.
    pub notifier: ThreadNotifier,
    /// Starts and completes (stores) the turn's items.
    pub items: TurnItems,
}

impl std::fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolContext")
            .field("thread_id", &self.thread_id)
            .field("turn_id", &self.turn_id)
            .field("call_id", &self.call_id)
            .field("cwd", &self.cwd)
            .finish_non_exhaustive()
    }
}

impl ToolContext {
    /// Sends `notification` to every subscriber of the thread (waiting for room in their queues).
    pub async fn notify(&self, notification: &ServerNotification) {
        self.notifier.notify(notification).await;
    }
}

/// What a tool call produced, given back to the model as the call's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    /// Output text for the model.
    pub output: String,
    /// Whether the call succeeded.
    pub success: bool,
    /// Images (data URLs) the model should see after the output (`view_image`).
    pub images: Vec<String>,
}

impl ToolOutcome {
    /// A successful outcome.
    pub fn success(output: impl Into<String>) -> Self {
        Self { output: output.into(), success: true, images: Vec::new() }
    }

    /// A failed outcome (the model still sees `output`).
    pub fn failure(output: impl Into<String>) -> Self {
        Self { output: output.into(), success: false, images: Vec::new() }
    }
}

/// Serves the model's function calls.
pub trait ToolRouter: Send + Sync + 'static {
    /// The tools offered to the model in every request.
    fn tools(&self) -> Vec<FunctionTool>;

    /// Runs one call of tool `name` with `arguments` (the model's JSON text).
    fn call<'a>(
        &'a self,
        context: ToolContext,
        name: &'a str,
        arguments: &'a str,
    ) -> BoxFuture<'a, ToolOutcome>;

    /// Whether a call can run at the same time as the other parallel-safe calls of its response
    /// (it only reads and never asks for approval).
    fn parallel_safe(&self, _name: &str, _arguments: &str) -> bool {
        false
    }

    /// Called when a turn of `thread_id` was interrupted (for example to kill what it started).
    fn turn_interrupted(&self, _thread_id: &str) {}

    /// Called when `thread_id` is unloaded or archived (for example to forget what was approved
    /// for its session).
    fn thread_unloaded(&self, _thread_id: &str) {}

    /// The commands the model left running in `thread_id` (interactive exec sessions).
    fn background_terminals(&self, _thread_id: &str) -> Vec<BackgroundTerminal> {
        Vec::new()
    }

    /// Stops the background terminal `process_id` of `thread_id`; true when it was running.
    fn terminate_background_terminal(&self, _thread_id: &str, _process_id: &str) -> bool {
        false
    }

    /// Stops every background terminal of `thread_id`.
    fn clean_background_terminals(&self, _thread_id: &str) {}
}

/// A command the model left running (an exec session), as `thread/backgroundTerminals/list`
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundTerminal {
    /// The session id the model writes to.
    pub process_id: String,
    /// The command line.
    pub command: String,
    /// Where it runs.
    pub cwd: String,
    /// The item that started it.
    pub item_id: String,
    /// The operating system's process id.
    pub os_pid: Option<u32>,
}

/// The default router: no tools; every call is answered as unsupported.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnsupportedTools;

impl ToolRouter for UnsupportedTools {
    fn tools(&self) -> Vec<FunctionTool> {
        Vec::new()
    }

    fn call<'a>(
        &'a self,
        _context: ToolContext,
        name: &'a str,
        _arguments: &'a str,
    ) -> BoxFuture<'a, ToolOutcome> {
        Box::pin(async move {
            ToolOutcome::failure(format!(
                "unsupported tool: `{name}` is not available on this server; answer without it"
            ))
        })
    }
}

impl Engine {
    /// `thread/backgroundTerminals/list`: the commands the model left running in the thread,
    /// paged by position.
    pub async fn list_background_terminals(
        &self,
        params: ThreadBackgroundTerminalsListParams,
    ) -> Result<ThreadBackgroundTerminalsListResponse, EngineError> {
        self.check_thread_exists(&params.thread_id).await?;
        let terminals = self.tools().background_terminals(&params.thread_id);
        let start = match &params.cursor {
            Some(cursor) => cursor.parse::<usize>().map_err(|_| {
                EngineError::InvalidParams(format!(
                    "invalid cursor {cursor:?}: pass a `nextCursor` from a previous page"
                ))
            })?,
            None => 0,
        };
        let limit = params.limit.map_or(usize::MAX, |limit| limit.max(1) as usize);
        let end = start.saturating_add(limit).min(terminals.len());
        let data = terminals
            .get(start.min(end)..end)
            .unwrap_or_default()
            .iter()
            .map(|terminal| ThreadBackgroundTerminal {
                command: terminal.command.clone(),
                cwd: terminal.cwd.clone(),
                item_id: terminal.item_id.clone(),
                os_pid: terminal.os_pid.map(i64::from),
                process_id: terminal.process_id.clone(),
            })
            .collect();
        let next_cursor = (end < terminals.len()).then(|| end.to_string());
        Ok(ThreadBackgroundTerminalsListResponse { data, next_cursor })
    }

    /// `thread/backgroundTerminals/terminate`.
    pub async fn terminate_background_terminal(
        &self,
        params: ThreadBackgroundTerminalsTerminateParams,
    ) -> Result<ThreadBackgroundTerminalsTerminateResponse, EngineError> {
        self.check_thread_exists(&params.thread_id).await?;
        let terminated =
            self.tools().terminate_background_terminal(&params.thread_id, &params.process_id);
        Ok(ThreadBackgroundTerminalsTerminateResponse { terminated })
    }

    /// `thread/backgroundTerminals/clean`: stops every background terminal of the thread.
    pub async fn clean_background_terminals(
        &self,
        params: ThreadBackgroundTerminalsCleanParams,
    ) -> Result<ThreadBackgroundTerminalsCleanResponse, EngineError> {
        self.check_thread_exists(&params.thread_id).await?;
        self.tools().clean_background_terminals(&params.thread_id);
        Ok(ThreadBackgroundTerminalsCleanResponse {})
    }
}
