//! The `update_plan` tool: the model keeps a checklist for the task. Each call is checked, sent
//! to the thread's subscribers as `turn/plan/updated`, and answered with a short confirmation;
//! the call itself stays in the thread's history (with its turn), so the plan is stored and the
//! latest one can be shown again to a client that resumes the thread ([`latest_plan`]).

use codex_app_server_protocol::v2::TurnPlanStep;
use codex_app_server_protocol::v2::TurnPlanStepStatus;
use codex_app_server_protocol::v2::TurnPlanUpdatedNotification;
use codex_app_server_protocol::ServerNotification;
use codex_model_client::FunctionTool;
use codex_model_client::InputItem;
use serde::Deserialize;
use serde_json::json;

use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;
use crate::engine::HistoryEntry;

/// The tool's name.
pub const UPDATE_PLAN: &str = "update_plan";

/// The tool's description for the model.
const DESCRIPTION: &str = include_str!("../../prompts/tools/update_plan.md");

/// Most steps one plan may have.
const MAX_STEPS: usize = 50;

#[derive(Deserialize)]
struct Arguments {
    #[serde(default)]
    explanation: Option<String>,
    plan: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    step: String,
    status: StepStatus,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum StepStatus {
    Pending,
    #[serde(alias = "inProgress")]
    InProgress,
    Completed,
}

/// The `update_plan` function the model is offered.
pub fn update_plan_tool() -> FunctionTool {
    FunctionTool::new(
        UPDATE_PLAN,
        DESCRIPTION.trim(),
        json!({
            "type": "object",
            "properties": {
                "explanation": {"type": "string", "description": "Why the plan changed, in one line"},
                "plan": {
                    "type": "array",
                    "description": "Every step of the plan, in order",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                        },
                        "required": ["step", "status"],
                        "additionalProperties": false
                    }
                }
            },
            "required": ["plan"],
            "additionalProperties": false
        }),
    )
}

/// The plan in `arguments` as the wire shows it, or what is wrong with it (for the model).
fn parse_plan(arguments: &str) -> Result<(Option<String>, Vec<TurnPlanStep>), String> {
    let arguments: Arguments = serde_json::from_str(arguments)
        .map_err(|err| format!("invalid update_plan arguments: {err}"))?;
    if arguments.plan.len() > MAX_STEPS {
        return Err(format!("a plan has at most {MAX_STEPS} steps; merge some"));
    }
    let in_progress =
        arguments.plan.iter().filter(|step| step.status == StepStatus::InProgress).count();
    if in_progress > 1 {
        return Err(format!(
            "{in_progress} steps are in_progress; keep at most one step in_progress at a time"
        ));
    }
    if let Some(empty) = arguments.plan.iter().position(|step| step.step.trim().is_empty()) {
        return Err(format!("step {} has no text", empty + 1));
    }
    let plan = arguments
        .plan
        .into_iter()
        .map(|step| TurnPlanStep {
            step: step.step,
            status: match step.status {
                StepStatus::Pending => TurnPlanStepStatus::Pending,
                StepStatus::InProgress => TurnPlanStepStatus::InProgress,
                StepStatus::Completed => TurnPlanStepStatus::Completed,
            },
        })
        .collect();
    let explanation = arguments.explanation.filter(|text| !text.trim().is_empty());
    Ok((explanation, plan))
}

/// Runs one `update_plan` call.
pub async fn run_update_plan(context: &ToolContext, arguments: &str) -> ToolOutcome {
    match parse_plan(arguments) {
        Err(message) => ToolOutcome::failure(message),
        Ok((explanation, plan)) => {
            let notification = ServerNotification::TurnPlanUpdated(TurnPlanUpdatedNotification {
                explanation,
                plan,
                thread_id: context.thread_id.clone(),
                turn_id: context.turn_id.clone(),
            });
            context.notify(&notification).await;
            ToolOutcome::success("Plan updated")
        }
    }
}

/// The latest plan in a thread's history (its last valid `update_plan` call), as the
/// notification that shows it, for a client that resumes the thread.
pub fn latest_plan(thread_id: &str, history: &[HistoryEntry]) -> Option<ServerNotification> {
    history.iter().rev().find_map(|entry| match &entry.item {
        InputItem::FunctionCall { name, arguments, .. } if name == UPDATE_PLAN => {
            let (explanation, plan) = parse_plan(arguments).ok()?;
            Some(ServerNotification::TurnPlanUpdated(TurnPlanUpdatedNotification {
                explanation,
                plan,
                thread_id: thread_id.to_owned(),
                turn_id: entry.turn_id.clone(),
            }))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_checked_and_mapped_to_the_wire() {
        let (explanation, plan) = parse_plan(
            r#"{"explanation":"found the bug","plan":[{"step":"read","status":"completed"},
               {"step":"fix","status":"in_progress"},{"step":"test","status":"pending"}]}"#,
        )
        .unwrap();
        assert_eq!(explanation.as_deref(), Some("found the bug"));
        assert_eq!(plan[1].status, TurnPlanStepStatus::InProgress);
        let two =
            r#"{"plan":[{"step":"a","status":"in_progress"},{"step":"b","status":"in_progress"}]}"#;
        assert!(parse_plan(two).unwrap_err().contains("at most one"));
        assert!(parse_plan(r#"{"plan":[{"step":" ","status":"pending"}]}"#).is_err());
        assert!(parse_plan(r#"{"steps":[]}"#).unwrap_err().contains("invalid"));
    }
}
