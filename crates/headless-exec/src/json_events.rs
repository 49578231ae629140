//! The `--json` output: one [`ExecEvent`] per line on stdout, built only from the typed v2
//! notifications and responses. The format is documented in `docs/exec-json.md` and is stable:
//! fields may be added, none are renamed or removed.

use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::TokenUsageBreakdown;
use codex_app_server_protocol::v2::TurnError;
use codex_app_server_protocol::ServerNotification;
use serde::Serialize;

use crate::approvals::ApprovalNote;

/// Tokens used by one turn (the sum over its model calls).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Input tokens.
    pub input_tokens: i64,
    /// Input tokens served from the provider's cache.
    pub cached_input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Output tokens spent on reasoning.
    pub reasoning_output_tokens: i64,
    /// All tokens.
    pub total_tokens: i64,
}

impl Usage {
    /// Adds one model call's breakdown.
    pub fn add(&mut self, last: &TokenUsageBreakdown) {
        self.input_tokens += last.input_tokens;
        self.cached_input_tokens += last.cached_input_tokens;
        self.output_tokens += last.output_tokens;
        self.reasoning_output_tokens += last.reasoning_output_tokens;
        self.total_tokens += last.total_tokens;
    }
}

/// Why a turn did not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureBody {
    /// A readable explanation.
    pub message: String,
    /// The protocol's `codexErrorInfo` name (e.g. `unauthorized`), `interrupted`, or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl FailureBody {
    /// From the turn's error.
    pub fn from_turn_error(error: &TurnError) -> Self {
        let kind = error.codex_error_info.as_ref().and_then(|info| {
            match serde_json::to_value(info).ok()? {
                serde_json::Value::String(name) => Some(name),
                serde_json::Value::Object(map) => map.keys().next().cloned(),
                _ => None,
            }
        });
        let message = match &error.additional_details {
            Some(details) if !details.is_empty() => format!("{} ({details})", error.message),
            _ => error.message.clone(),
        };
        Self { message, kind }
    }
}

/// One streamed piece of an item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ItemDelta {
    /// Agent message text.
    #[serde(rename = "agentMessage")]
    AgentMessage {
        /// The text appended.
        text: String,
    },
    /// Reasoning summary text.
    #[serde(rename = "reasoningSummary")]
    ReasoningSummary {
        /// Which summary part.
        summary_index: i64,
        /// The text appended.
        text: String,
    },
    /// Raw reasoning text.
    #[serde(rename = "reasoning")]
    Reasoning {
        /// Which content part.
        content_index: i64,
        /// The text appended.
        text: String,
    },
    /// Output of a running command.
    #[serde(rename = "commandOutput")]
    CommandOutput {
        /// The output appended.
        output: String,
    },
    /// Characters the agent wrote to an interactive exec session.
    #[serde(rename = "terminalInput")]
    TerminalInput {
        /// The session (`processId`).
        process_id: String,
        /// What was written.
        stdin: String,
    },
}

/// One line of `codex exec --json` output.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ExecEvent {
    /// The thread the turn runs in (new or resumed).
    #[serde(rename = "thread.started")]
    ThreadStarted {
        /// Its id (pass it to `codex exec resume`).
        thread_id: String,
        /// Whether it is a stored thread being continued.
        resumed: bool,
    },
    /// The turn began.
    #[serde(rename = "turn.started")]
    TurnStarted {
        /// Its id.
        turn_id: String,
    },
    /// An item began (the v2 `ThreadItem`, camelCase as on the wire).
    #[serde(rename = "item.started")]
    ItemStarted {
        /// The turn.
        turn_id: String,
        /// The item.
        item: ThreadItem,
    },
    /// An item grew.
    #[serde(rename = "item.updated")]
    ItemUpdated {
        /// The turn.
        turn_id: String,
        /// The item's id.
        item_id: String,
        /// What was appended.
        delta: ItemDelta,
    },
    /// An item finished (its final state).
    #[serde(rename = "item.completed")]
    ItemCompleted {
        /// The turn.
        turn_id: String,
        /// The item.
        item: ThreadItem,
    },
    /// The agent's plan changed (`update_plan`).
    #[serde(rename = "plan.updated")]
    PlanUpdated {
        /// The turn.
        turn_id: String,
        /// Why it changed, if the agent said.
        #[serde(skip_serializing_if = "Option::is_none")]
        explanation: Option<String>,
        /// Every step with its status (`pending`, `inProgress`, `completed`).
        plan: Vec<codex_app_server_protocol::v2::TurnPlanStep>,
    },
    /// An approval request was answered by policy.
    #[serde(rename = "approval.answered")]
    ApprovalAnswered {
        /// The item it was about.
        item_id: String,
        /// `commandExecution` or `fileChange`.
        kind: String,
        /// `accept` or `decline`.
        decision: String,
        /// Why.
        message: String,
    },
    /// The turn completed.
    #[serde(rename = "turn.completed")]
    TurnCompleted {
        /// The turn.
        turn_id: String,
        /// Tokens used.
        usage: Usage,
    },
    /// The turn failed or was interrupted.
    #[serde(rename = "turn.failed")]
    TurnFailed {
        /// The turn.
        turn_id: String,
        /// `failed` or `interrupted`.
        status: String,
        /// Why.
        error: FailureBody,
        /// Tokens used before it ended.
        usage: Usage,
    },
    /// An error (from the server, or `codex exec` itself before or around the turn).
    #[serde(rename = "error")]
    Error {
        /// A readable explanation.
        message: String,
    },
    /// A warning (configuration, sandbox availability).
    #[serde(rename = "warning")]
    Warning {
        /// A readable explanation.
        message: String,
    },
}

impl ExecEvent {
    /// The event for a notification, if it maps to one (turn start/end are handled by the run).
    pub fn from_notification(notification: &ServerNotification) -> Option<Self> {
        Some(match notification {
            ServerNotification::TurnStarted(started) => {
                ExecEvent::TurnStarted { turn_id: started.turn.id.clone() }
            }
            ServerNotification::ItemStarted(started) => ExecEvent::ItemStarted {
                turn_id: started.turn_id.clone(),
                item: started.item.clone(),
            },
            ServerNotification::ItemCompleted(completed) => ExecEvent::ItemCompleted {
                turn_id: completed.turn_id.clone(),
                item: completed.item.clone(),
            },
            ServerNotification::AgentMessageDelta(delta) => ExecEvent::ItemUpdated {
                turn_id: delta.turn_id.clone(),
                item_id: delta.item_id.clone(),
                delta: ItemDelta::AgentMessage { text: delta.delta.clone() },
            },
            ServerNotification::ReasoningSummaryTextDelta(delta) => ExecEvent::ItemUpdated {
                turn_id: delta.turn_id.clone(),
                item_id: delta.item_id.clone(),
                delta: ItemDelta::ReasoningSummary {
                    summary_index: delta.summary_index,
                    text: delta.delta.clone(),
                },
            },
            ServerNotification::ReasoningTextDelta(delta) => ExecEvent::ItemUpdated {
                turn_id: delta.turn_id.clone(),
                item_id: delta.item_id.clone(),
                delta: ItemDelta::Reasoning {
                    content_index: delta.content_index,
                    text: delta.delta.clone(),
                },
            },
            ServerNotification::CommandExecutionOutputDelta(delta) => ExecEvent::ItemUpdated {
                turn_id: delta.turn_id.clone(),
                item_id: delta.item_id.clone(),
                delta: ItemDelta::CommandOutput { output: delta.delta.clone() },
            },
            ServerNotification::TerminalInteraction(interaction) => ExecEvent::ItemUpdated {
                turn_id: interaction.turn_id.clone(),
                item_id: interaction.item_id.clone(),
                delta: ItemDelta::TerminalInput {
                    process_id: interaction.process_id.clone(),
                    stdin: interaction.stdin.clone(),
                },
            },
            ServerNotification::TurnPlanUpdated(plan) => ExecEvent::PlanUpdated {
                turn_id: plan.turn_id.clone(),
                explanation: plan.explanation.clone(),
                plan: plan.plan.clone(),
            },
            ServerNotification::Error(error) if error.will_retry => {
                ExecEvent::Warning { message: format!("{} (retrying)", error.error.message) }
            }
            ServerNotification::Error(error) => {
                ExecEvent::Error { message: FailureBody::from_turn_error(&error.error).message }
            }
            ServerNotification::Warning(warning) => {
                ExecEvent::Warning { message: warning.message.clone() }
            }
            ServerNotification::ConfigWarning(warning) => {
                let message = match &warning.details {
                    Some(details) => format!("{}: {details}", warning.summary),
                    None => warning.summary.clone(),
                };
                ExecEvent::Warning { message }
            }
            _ => return None,
        })
    }

    /// The event for an approval answered by policy.
    pub fn from_approval(note: &ApprovalNote) -> Self {
        ExecEvent::ApprovalAnswered {
            item_id: note.item_id.clone(),
            kind: note.kind.to_owned(),
            decision: if note.accepted { "accept" } else { "decline" }.to_owned(),
            message: note.message(),
        }
    }

    /// The event as one line of JSON (no newline).
    pub fn to_line(&self) -> String {
        // Serialising these plain structs cannot fail; fall back to an error line regardless.
        serde_json::to_string(self).unwrap_or_else(|err| {
            format!(r#"{{"type":"error","message":"could not encode an event: {err}"}}"#)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(method: &str, params: serde_json::Value) -> ServerNotification {
        ServerNotification::parse(method, Some(params)).unwrap()
    }

    #[test]
    fn deltas_and_items_map_to_documented_lines() {
        let delta = parse(
            "item/agentMessage/delta",
            json!({"delta": "Hi", "itemId": "m1", "threadId": "t", "turnId": "u"}),
        );
        let line = ExecEvent::from_notification(&delta).unwrap().to_line();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            json!({"type": "item.updated", "turn_id": "u", "item_id": "m1",
                   "delta": {"type": "agentMessage", "text": "Hi"}})
        );
        let completed = parse(
            "item/completed",
            json!({"completedAtMs": 2, "threadId": "t", "turnId": "u",
                   "item": {"type": "agentMessage", "id": "m1", "text": "Hi"}}),
        );
        let value =
            serde_json::to_value(ExecEvent::from_notification(&completed).unwrap()).unwrap();
        assert_eq!(value["type"], "item.completed");
        assert_eq!(value["item"], json!({"type": "agentMessage", "id": "m1", "text": "Hi"}));
        let status =
            parse("thread/status/changed", json!({"threadId": "t", "status": {"type": "idle"}}));
        assert_eq!(ExecEvent::from_notification(&status), None);
    }

    #[test]
    fn failures_carry_the_error_kind() {
        let error: TurnError =
            serde_json::from_value(json!({"message": "bad key", "codexErrorInfo": "unauthorized"}))
                .unwrap();
        let body = FailureBody::from_turn_error(&error);
        assert_eq!(
            body,
            FailureBody { message: "bad key".into(), kind: Some("unauthorized".into()) }
        );
        let error: TurnError = serde_json::from_value(json!({
            "message": "HTTP 500", "codexErrorInfo": {"responseTooManyFailedAttempts": {"httpStatusCode": 500}}
        }))
        .unwrap();
        assert_eq!(
            FailureBody::from_turn_error(&error).kind.as_deref(),
            Some("responseTooManyFailedAttempts")
        );
    }
}
