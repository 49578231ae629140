//! Asking the thread's users for approval, and remembering what they approved.
//!
//! [`Approvals::ask_command`] and [`Approvals::ask_file_change`] put an
//! `item/commandExecution/requestApproval` or `item/fileChange/requestApproval` question with its
//! ordered `availableDecisions` to the host ([`crate::host::AgentHost::ask`]), which sends it to
//! the thread's clients, accepts the first answer naming one of those decisions, keeps it
//! pending across disconnects and withdraws it when the turn is interrupted.
//!
//! Approvals for the session (`acceptForSession`) are kept per thread in memory until the thread
//! is unloaded or archived; prefix rules (`acceptWithExecpolicyAmendment`, whose rule must start
//! with the proposed words) persist in [`PrefixRules`].

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_app_server_protocol::v2::CommandExecutionApprovalDecision;
use codex_app_server_protocol::v2::FileChangeApprovalDecision;
use codex_app_server_protocol::ServerRequest;
use serde_json::Value;
use tracing::Instrument as _;

use crate::engine::tools::ToolContext;
use crate::host::Expect;
use crate::host::NoAnswer;
use crate::tools::rules::PrefixRules;

/// What the client decided (command and file-change decisions share these meanings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run it.
    Accept,
    /// Run it, and identical requests in this thread without asking.
    AcceptForSession,
    /// Run it, and store this prefix rule so matching commands no longer ask.
    AcceptWithPrefixRule(Vec<String>),
    /// Do not run it; the turn goes on.
    Decline,
    /// Do not run it, and interrupt the turn.
    Cancel,
    /// The turn was interrupted while waiting.
    Interrupted,
}

/// Approval state shared by every thread of the server.
#[derive(Debug)]
pub struct Approvals {
    rules: PrefixRules,
    session: Mutex<HashMap<String, HashSet<String>>>,
}

impl Approvals {
    /// Approval state with the prefix rules stored under `codex_home`.
    pub fn new(rules: PrefixRules) -> Self {
        Self { rules, session: Mutex::default() }
    }

    /// The persistent prefix rules.
    pub fn rules(&self) -> &PrefixRules {
        &self.rules
    }

    fn session(&self) -> MutexGuard<'_, HashMap<String, HashSet<String>>> {
        self.session.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `key` was approved for the session in `thread_id`.
    pub fn approved_for_session(&self, thread_id: &str, key: &str) -> bool {
        self.session().get(thread_id).is_some_and(|keys| keys.contains(key))
    }

    /// Remembers `key` as approved for the session in `thread_id`.
    pub fn approve_for_session(&self, thread_id: &str, key: String) {
        self.session().entry(thread_id.to_owned()).or_default().insert(key);
    }

    /// Forgets what was approved for the session in `thread_id` (it was unloaded or archived).
    pub fn forget_session(&self, thread_id: &str) {
        self.session().remove(thread_id);
    }

    /// Asks about a command; `offered` is the ordered `availableDecisions`.
    pub async fn ask_command(
        &self,
        context: &ToolContext,
        request: ServerRequest,
        offered: &[CommandExecutionApprovalDecision],
    ) -> Decision {
        let offered: Vec<Value> =
            offered.iter().filter_map(|d| serde_json::to_value(d).ok()).collect();
        let answer = self.ask(context, request, offered).await;
        match answer {
            Err(decision) => decision,
            Ok(value) => match serde_json::from_value::<CommandExecutionApprovalDecision>(value) {
                Ok(CommandExecutionApprovalDecision::Accept) => Decision::Accept,
                Ok(CommandExecutionApprovalDecision::AcceptForSession) => {
                    Decision::AcceptForSession
                }
                Ok(CommandExecutionApprovalDecision::AcceptWithExecpolicyAmendment {
                    execpolicy_amendment,
                }) if !execpolicy_amendment.is_empty() => {
                    Decision::AcceptWithPrefixRule(execpolicy_amendment)
                }
                Ok(CommandExecutionApprovalDecision::Cancel) => Decision::Cancel,
                _ => Decision::Decline,
            },
        }
    }

    /// Asks about a file change; `offered` is the ordered `availableDecisions`.
    pub async fn ask_file_change(
        &self,
        context: &ToolContext,
        request: ServerRequest,
        offered: &[FileChangeApprovalDecision],
    ) -> Decision {
        let offered: Vec<Value> =
            offered.iter().filter_map(|d| serde_json::to_value(d).ok()).collect();
        match self.ask(context, request, offered).await {
            Err(decision) => decision,
            Ok(value) => match serde_json::from_value::<FileChangeApprovalDecision>(value) {
                Ok(FileChangeApprovalDecision::Accept) => Decision::Accept,
                Ok(FileChangeApprovalDecision::AcceptForSession) => Decision::AcceptForSession,
                Ok(FileChangeApprovalDecision::Cancel) => Decision::Cancel,
                _ => Decision::Decline,
            },
        }
    }

    /// Puts `request` to the thread's users and waits for the accepted answer's `decision`
    /// value (`Err` with the decision when there is none to read).
    async fn ask(
        &self,
        context: &ToolContext,
        request: ServerRequest,
        offered: Vec<Value>,
    ) -> Result<Value, Decision> {
        // The wait is a span of the tool call: how long the user took, and what they chose.
        let span = tracing::info_span!(
            "approval.wait",
            approval.method = request.method(),
            approval.decision = tracing::field::Empty,
        );
        let answer = context
            .host
            .ask(&context.thread_id, request, Expect::Decision(offered), context.cancel.clone())
            .instrument(span.clone())
            .await;
        let decision = match &answer {
            Ok(Value::String(decision)) => decision.as_str(),
            Ok(Value::Object(decision)) => decision.keys().next().map_or("unknown", String::as_str),
            Ok(_) => "unknown",
            Err(NoAnswer::Interrupted) => "interrupted",
            Err(NoAnswer::Declined) => "noAnswer",
        };
        span.record("approval.decision", decision);
        answer.map_err(|no_answer| match no_answer {
            NoAnswer::Interrupted => Decision::Interrupted,
            NoAnswer::Declined => Decision::Decline,
        })
    }
}
