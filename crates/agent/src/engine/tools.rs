//! The tools hook: what the engine calls when the model asks for a function call.
//!
//! A turn offers the model the tools of its [`ToolRouter`] and, for every function call the model
//! returns, awaits [`ToolRouter::call`] and hands the [`ToolOutcome`] back to the model as the
//! call's output. The default router, [`UnsupportedTools`], offers no tools and answers any call
//! with an "unsupported tool" output so the model can carry on with text.

use std::sync::Arc;

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_model_client::FunctionTool;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::engine::items::TurnItems;
use crate::engine::notify::ThreadNotifier;
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
