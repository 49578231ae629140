//! The `request_user_input` tool: the model asks the user one to three multiple-choice
//! questions mid-turn. The questions go to the thread's clients as an
//! `item/tool/requestUserInput` server request through the host (first answer wins, re-sent to a
//! client that resumes the thread, withdrawn on interrupt), and the answers go back to the model.
//! When nobody can answer (a headless `codex exec` run, or no client subscribed) the model is
//! told at once to decide for itself.

use codex_app_server_protocol::v2::ToolRequestUserInputOption;
use codex_app_server_protocol::v2::ToolRequestUserInputParams;
use codex_app_server_protocol::v2::ToolRequestUserInputQuestion;
use codex_app_server_protocol::ServerRequest;
use codex_model_client::FunctionTool;
use serde::Deserialize;
use serde_json::json;

use crate::engine::new_id;
use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;
use crate::host::Expect;
use crate::host::NoAnswer;

/// The tool's description for the model.
const DESCRIPTION: &str = include_str!("../../prompts/tools/request_user_input.md");

/// Longest question header, in characters.
const MAX_HEADER_CHARS: usize = 12;

#[derive(Deserialize)]
struct Arguments {
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    id: String,
    header: String,
    question: String,
    options: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    label: String,
    description: String,
}

/// The `request_user_input` function the model is offered.
pub fn request_user_input_tool() -> FunctionTool {
    FunctionTool::new(
        "request_user_input",
        DESCRIPTION.trim(),
        json!({
            "type": "object",
            "properties": {
                "questions": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 3,
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "description": "A short identifier for the question"},
                            "header": {"type": "string", "description": "A label of at most 12 characters"},
                            "question": {"type": "string"},
                            "options": {
                                "type": "array",
                                "minItems": 2,
                                "maxItems": 3,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "label": {"type": "string"},
                                        "description": {"type": "string"}
                                    },
                                    "required": ["label", "description"],
                                    "additionalProperties": false
                                }
                            }
                        },
                        "required": ["id", "header", "question", "options"],
                        "additionalProperties": false
                    }
                }
            },
            "required": ["questions"],
            "additionalProperties": false
        }),
    )
}

/// The questions in `arguments` as the wire shows them, or what is wrong (for the model).
fn parse_questions(arguments: &str) -> Result<Vec<ToolRequestUserInputQuestion>, String> {
    let arguments: Arguments = serde_json::from_str(arguments)
        .map_err(|err| format!("invalid request_user_input arguments: {err}"))?;
    if !(1..=3).contains(&arguments.questions.len()) {
        return Err(format!("ask 1 to 3 questions, not {}", arguments.questions.len()));
    }
    let mut seen = std::collections::HashSet::new();
    arguments
        .questions
        .into_iter()
        .map(|question| {
            if !seen.insert(question.id.clone()) || question.id.trim().is_empty() {
                return Err(format!(
                    "question ids must be unique and non-empty ({:?})",
                    question.id
                ));
            }
            if !(2..=3).contains(&question.options.len()) {
                return Err(format!(
                    "question {:?} has {} options; give 2 or 3",
                    question.id,
                    question.options.len()
                ));
            }
            if question.header.chars().count() > MAX_HEADER_CHARS {
                return Err(format!(
                    "header {:?} is longer than {MAX_HEADER_CHARS} characters",
                    question.header
                ));
            }
            Ok(ToolRequestUserInputQuestion {
                header: question.header,
                id: question.id,
                is_other: true,
                is_secret: false,
                options: Some(
                    question
                        .options
                        .into_iter()
                        .map(|choice| ToolRequestUserInputOption {
                            description: choice.description,
                            label: choice.label,
                        })
                        .collect(),
                ),
                question: question.question,
            })
        })
        .collect()
}

/// Runs one `request_user_input` call.
pub async fn run_request_user_input(context: &ToolContext, arguments: &str) -> ToolOutcome {
    let questions = match parse_questions(arguments) {
        Ok(questions) => questions,
        Err(message) => return ToolOutcome::failure(message),
    };
    let host = context.notifier.host();
    if !host.can_ask(&context.thread_id) {
        return ToolOutcome::failure(
            "Nobody can answer questions in this session (it runs without an interactive \
             client). Choose the most reasonable option yourself, say which one and why in your \
             final answer, and continue.",
        );
    }
    let request = ServerRequest::ToolRequestUserInput(ToolRequestUserInputParams {
        auto_resolution_ms: None,
        is_blocking: true,
        item_id: new_id(),
        questions,
        thread_id: context.thread_id.clone(),
        turn_id: context.turn_id.clone(),
    });
    match host.ask(&context.thread_id, request, Expect::Result, context.cancel.clone()).await {
        Ok(result) => match result.get("answers") {
            Some(answers) => ToolOutcome::success(json!({"answers": answers}).to_string()),
            None => ToolOutcome::failure(
                "The client's answer had no `answers`; continue with your best judgement.",
            ),
        },
        Err(NoAnswer::Interrupted) => ToolOutcome::failure("The turn was interrupted."),
        Err(NoAnswer::Declined) => ToolOutcome::failure(
            "The user did not answer. Continue with your best judgement and say what you assumed.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_checked() {
        let good = r#"{"questions":[{"id":"db","header":"Database","question":"Which one?",
            "options":[{"label":"SQLite","description":"embedded"},{"label":"Postgres","description":"server"}]}]}"#;
        let questions = parse_questions(good).unwrap();
        assert!(questions[0].is_other);
        assert_eq!(questions[0].options.as_ref().unwrap().len(), 2);
        let one_option = good.replace(r#",{"label":"Postgres","description":"server"}"#, "");
        assert!(parse_questions(&one_option).unwrap_err().contains("2 or 3"));
        let long_header = good.replace("Database", "A very long header");
        assert!(parse_questions(&long_header).unwrap_err().contains("12 characters"));
        assert!(parse_questions(r#"{"questions":[]}"#).unwrap_err().contains("1 to 3"));
    }
}
