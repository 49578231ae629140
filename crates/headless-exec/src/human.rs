//! The human output: the agent's text streamed on stdout (and nothing else there, so it can be
//! piped), progress on stderr (commands run, files changed, reasoning summaries, token usage,
//! approvals, warnings, errors), with colour only when stderr is a terminal.

use std::collections::HashSet;
use std::io::Write;

use codex_app_server_protocol::v2::CommandExecutionStatus;
use codex_app_server_protocol::v2::PatchChangeKind;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::TurnPlanStepStatus;
use codex_app_server_protocol::ServerNotification;

use crate::approvals::ApprovalNote;
use crate::json_events::ExecEvent;
use crate::json_events::FailureBody;
use crate::json_events::Usage;

/// ANSI styles used on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Dim,
    Bold,
    Red,
    Yellow,
    Green,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Dim => "\x1b[2m",
            Style::Bold => "\x1b[1m",
            Style::Red => "\x1b[31m",
            Style::Yellow => "\x1b[33m",
            Style::Green => "\x1b[32m",
        }
    }
}

/// Renders a run for a person.
pub struct HumanOutput<O: Write, E: Write> {
    stdout: O,
    stderr: E,
    colour: bool,
    /// Agent messages whose text was streamed as deltas (so completion does not repeat it).
    streamed: HashSet<String>,
    /// Whether stdout's last byte is not a newline.
    stdout_line_open: bool,
}

impl<O: Write, E: Write> HumanOutput<O, E> {
    /// Output to `stdout`/`stderr`; `colour` styles stderr with ANSI codes.
    pub fn new(stdout: O, stderr: E, colour: bool) -> Self {
        Self { stdout, stderr, colour, streamed: HashSet::new(), stdout_line_open: false }
    }

    fn progress(&mut self, style: Style, text: &str) {
        let line = if self.colour {
            format!("{}{text}\x1b[0m\n", style.code())
        } else {
            format!("{text}\n")
        };
        // Progress that cannot be written (closed stderr) is not worth failing the run.
        let _ = self.stderr.write_all(line.as_bytes());
        let _ = self.stderr.flush();
    }

    fn agent_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let _ = self.stdout.write_all(text.as_bytes());
        let _ = self.stdout.flush();
        self.stdout_line_open = !text.ends_with('\n');
    }

    fn end_agent_line(&mut self) {
        if self.stdout_line_open {
            let _ = self.stdout.write_all(b"\n");
            let _ = self.stdout.flush();
            self.stdout_line_open = false;
        }
    }

    /// The thread the turn runs in.
    pub fn thread_started(&mut self, thread_id: &str, model: &str, resumed: bool) {
        let verb = if resumed { "resumed" } else { "started" };
        self.progress(
            Style::Dim,
            &format!("codex exec: {verb} thread {thread_id} (model {model})"),
        );
    }

    /// One server notification.
    pub fn notification(&mut self, notification: &ServerNotification) {
        match notification {
            ServerNotification::AgentMessageDelta(delta) => {
                self.streamed.insert(delta.item_id.clone());
                self.agent_text(&delta.delta);
            }
            ServerNotification::ItemStarted(started) => self.item_started(&started.item),
            ServerNotification::ItemCompleted(completed) => self.item_completed(&completed.item),
            ServerNotification::CommandExecutionOutputDelta(delta) => {
                let text = delta.delta.trim_end_matches('\n');
                if !text.is_empty() {
                    self.progress(Style::Dim, text);
                }
            }
            ServerNotification::TurnPlanUpdated(plan) => {
                let mut text = String::from("plan:");
                if let Some(explanation) = &plan.explanation {
                    text.push_str(&format!(" {explanation}"));
                }
                for step in &plan.plan {
                    let mark = match step.status {
                        TurnPlanStepStatus::Completed => "[x]",
                        TurnPlanStepStatus::InProgress => "[>]",
                        TurnPlanStepStatus::Pending => "[ ]",
                    };
                    text.push_str(&format!("\n  {mark} {}", step.step));
                }
                self.progress(Style::Bold, &text);
            }
            ServerNotification::TerminalInteraction(interaction) => {
                let stdin = interaction.stdin.trim_end_matches('\n');
                self.progress(
                    Style::Dim,
                    &format!("  > {stdin}    (session {})", interaction.process_id),
                );
            }
            // A final error is reported once, by `turn_failed`; retries are worth a warning.
            ServerNotification::Error(error) if !error.will_retry => {}
            ServerNotification::Error(_)
            | ServerNotification::Warning(_)
            | ServerNotification::ConfigWarning(_) => {
                if let Some(ExecEvent::Warning { message }) =
                    ExecEvent::from_notification(notification)
                {
                    self.progress(Style::Yellow, &format!("warning: {message}"));
                }
            }
            _ => {}
        }
    }

    fn item_started(&mut self, item: &ThreadItem) {
        if let ThreadItem::CommandExecution { command, cwd, .. } = item {
            self.progress(Style::Bold, &format!("$ {command}    (in {cwd})"));
        }
    }

    fn item_completed(&mut self, item: &ThreadItem) {
        match item {
            ThreadItem::AgentMessage { id, text, .. } => {
                if !self.streamed.remove(id) {
                    self.agent_text(text);
                }
                self.end_agent_line();
            }
            ThreadItem::Reasoning { summary, .. } if !summary.is_empty() => {
                self.progress(Style::Dim, &format!("thinking: {}", summary.join("\n")));
            }
            ThreadItem::CommandExecution {
                status: CommandExecutionStatus::InProgress,
                process_id: Some(session),
                ..
            } => {
                self.progress(Style::Dim, &format!("  still running as session {session}"));
            }
            ThreadItem::WebSearch { query, .. } => {
                self.progress(Style::Dim, &format!("searched the web: {query}"));
            }
            ThreadItem::CommandExecution { status, exit_code, duration_ms, .. } => {
                let status = serde_json::to_value(status)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let exit = exit_code.map(|code| format!(", exit {code}")).unwrap_or_default();
                let took = duration_ms.map(|ms| format!(" in {ms} ms")).unwrap_or_default();
                let style = if exit_code.is_some_and(|code| code != 0) || status != "completed" {
                    Style::Red
                } else {
                    Style::Green
                };
                self.progress(style, &format!("  command {status}{exit}{took}"));
            }
            ThreadItem::FileChange { changes, status, .. } => {
                let status = serde_json::to_value(status)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default();
                self.progress(Style::Bold, &format!("file changes ({status}):"));
                for change in changes {
                    let kind = match &change.kind {
                        PatchChangeKind::Add {} => "added",
                        PatchChangeKind::Delete {} => "deleted",
                        PatchChangeKind::Update { .. } => "updated",
                    };
                    self.progress(Style::Dim, &format!("  {kind} {}", change.path));
                }
            }
            ThreadItem::McpToolCall { server, tool, .. } => {
                self.progress(Style::Dim, &format!("tool {server}/{tool}"));
            }
            ThreadItem::DynamicToolCall { tool, .. } => {
                self.progress(Style::Dim, &format!("tool {tool}"));
            }
            _ => {}
        }
    }

    /// An approval request answered by policy.
    pub fn approval(&mut self, note: &ApprovalNote) {
        let style = if note.accepted { Style::Yellow } else { Style::Red };
        self.progress(style, &note.message());
    }

    /// The turn completed.
    pub fn turn_completed(&mut self, usage: &Usage) {
        self.end_agent_line();
        self.progress(
            Style::Dim,
            &format!(
                "tokens used: {} (input {}, cached {}, output {})",
                usage.total_tokens,
                usage.input_tokens,
                usage.cached_input_tokens,
                usage.output_tokens
            ),
        );
    }

    /// The turn failed or was interrupted.
    pub fn turn_failed(&mut self, status: &str, error: &FailureBody) {
        self.end_agent_line();
        let text = if status == "interrupted" {
            "turn interrupted".to_owned()
        } else {
            format!("turn failed: {}", error.message)
        };
        self.progress(Style::Red, &text);
    }

    /// An error of `codex exec` itself.
    pub fn error(&mut self, message: &str) {
        self.end_agent_line();
        self.progress(Style::Red, &format!("error: {message}"));
    }

    /// A note about the run (e.g. "interrupting").
    pub fn note(&mut self, message: &str) {
        self.progress(Style::Yellow, message);
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
    fn agent_text_goes_to_stdout_and_progress_to_stderr_without_colour() {
        let mut out = Vec::new();
        let mut err = Vec::new();
        {
            let mut human = HumanOutput::new(&mut out, &mut err, false);
            for delta in ["Hel", "lo"] {
                human.notification(&parse(
                    "item/agentMessage/delta",
                    json!({"delta": delta, "itemId": "m", "threadId": "t", "turnId": "u"}),
                ));
            }
            human.notification(&parse(
                "item/completed",
                json!({"completedAtMs": 1, "threadId": "t", "turnId": "u",
                       "item": {"type": "agentMessage", "id": "m", "text": "Hello"}}),
            ));
            human.notification(&parse(
                "item/completed",
                json!({"completedAtMs": 1, "threadId": "t", "turnId": "u",
                       "item": {"type": "agentMessage", "id": "n", "text": "Unstreamed"}}),
            ));
            human.notification(&parse(
                "item/started",
                json!({"startedAtMs": 1, "threadId": "t", "turnId": "u",
                       "item": {"type": "commandExecution", "id": "c", "command": "ls",
                                "commandActions": [], "cwd": "/w", "status": "inProgress"}}),
            ));
            human.turn_completed(&Usage { total_tokens: 15, ..Usage::default() });
        }
        assert_eq!(String::from_utf8(out).unwrap(), "Hello\nUnstreamed\n");
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("$ ls"), "{err}");
        assert!(err.contains("tokens used: 15"), "{err}");
        assert!(!err.contains('\x1b'), "{err:?}");
    }

    #[test]
    fn colour_only_when_asked() {
        let mut err = Vec::new();
        HumanOutput::new(Vec::new(), &mut err, true).error("boom");
        assert!(String::from_utf8(err).unwrap().starts_with("\x1b[31merror: boom"));
    }
}
