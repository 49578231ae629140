//! The one seam between the agent and whatever serves it (the app-server, or a test).
//!
//! The agent never sees connections. It publishes each thread's events (typed v2
//! notifications) through [`AgentHost::publish`], asks the thread's users questions (approvals)
//! through [`AgentHost::ask`] and awaits the answer, and reports running turns so the host can
//! drain them before shutdown. The host decides who receives what, with which back pressure, and
//! how pending questions survive disconnects.

use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use futures::future::BoxFuture;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// How an event is delivered to the thread's subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued with back pressure: resolves once every subscriber's queue took it.
    Stream,
    /// Resolves once written to every subscriber (the last events of a turn, which must reach
    /// clients before a shutdown closes them).
    Flushed,
}

/// Why a question got no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// The turn was interrupted (or the question withdrawn) while waiting.
    Interrupted,
    /// A client answered with an error, or without a readable decision.
    Declined,
}

/// What answer a question expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// A `decision` that is one of these values (approvals); the answer is that decision.
    Decision(Vec<Value>),
    /// Any result object (`request_user_input`); the answer is the whole result.
    Result,
}

/// What the agent needs from its host.
pub trait AgentHost: Send + Sync + 'static {
    /// Delivers `event` of `thread_id` to the thread's subscribers.
    fn publish<'a>(
        &'a self,
        thread_id: &'a str,
        event: &'a ServerNotification,
        delivery: Delivery,
    ) -> BoxFuture<'a, ()>;

    /// Delivers `event` to every initialized connection: events of the whole server rather than
    /// of one thread (MCP server status). Does nothing by default.
    fn broadcast<'a>(&'a self, _event: &'a ServerNotification) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// Whether anyone is subscribed to `thread_id` now.
    fn has_subscribers(&self, thread_id: &str) -> bool;

    /// Asks the thread's users `request` and waits for the first acceptable answer (see
    /// [`Expect`]); `cancel` firing (or dropping the future) withdraws the question.
    fn ask<'a>(
        &'a self,
        thread_id: &'a str,
        request: ServerRequest,
        expect: Expect,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, Result<Value, NoAnswer>>;

    /// Whether a person can answer questions on `thread_id` now: an interactive client is
    /// subscribed (not a headless run such as `codex exec`).
    fn can_ask(&self, thread_id: &str) -> bool;

    /// The `source` recorded on threads created through this host.
    fn session_source(&self) -> Value;

    /// `$CODEX_HOME`: where rules, global AGENTS.md and state live.
    fn codex_home(&self) -> AbsolutePath;

    /// W3C trace headers (`traceparent`, `tracestate`) for the current tracing span, sent with
    /// model requests so a trace continues at the provider; none when tracing is off.
    fn trace_headers(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// A turn started (`+1`) or ended (`-1`); a draining host waits for zero.
    fn running_turns_changed(&self, delta: i64);
}
