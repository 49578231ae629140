//! The OpenAI Responses API wire format: the JSON body of `POST {base_url}/responses` built from
//! a [`ModelRequest`], and [`ResponsesDecoder`], which turns its SSE events into [`ModelEvent`]s.

use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ModelError;
use crate::event::{ModelEvent, OutputItem, TokenUsage};
use crate::request::{ContentPart, InputItem, MessageRole, ModelRequest, ReasoningSummary};
use crate::stream::DecodeFlow;

/// Name given to the `--output-schema` JSON schema in `text.format`.
pub(crate) const OUTPUT_SCHEMA_NAME: &str = "codex_output_schema";

/// The JSON body of a streaming Responses API request.
pub(crate) fn request_body(request: &ModelRequest) -> Value {
    let input: Vec<Value> = request.input.iter().map(input_item_json).collect();
    let tools: Vec<Value> = request
        .tools
        .iter()
        .map(|tool| {
            json!({
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "strict": tool.strict,
                "parameters": tool.parameters,
            })
        })
        .chain(request.hosted_tools.iter().cloned())
        .collect();
    let mut body = json!({
        "model": request.model,
        "instructions": request.instructions,
        "input": input,
        "tools": tools,
        "tool_choice": "auto",
        "parallel_tool_calls": request.parallel_tool_calls,
        "store": false,
        "stream": true,
    });
    if let Some(reasoning) = &request.reasoning {
        let mut options = serde_json::Map::new();
        if let Some(effort) = reasoning.effort {
            options.insert("effort".into(), json!(effort));
        }
        if let Some(summary) = reasoning.summary.filter(|s| *s != ReasoningSummary::None) {
            options.insert("summary".into(), json!(summary));
        }
        body["reasoning"] = Value::Object(options);
        body["include"] = json!(["reasoning.encrypted_content"]);
    }
    if let Some(key) = &request.prompt_cache_key {
        body["prompt_cache_key"] = json!(key);
    }
    let mut text = serde_json::Map::new();
    if let Some(verbosity) = request.verbosity {
        text.insert("verbosity".into(), json!(verbosity));
    }
    if let Some(schema) = &request.output_schema {
        text.insert(
            "format".into(),
            json!({
                "type": "json_schema",
                "name": OUTPUT_SCHEMA_NAME,
                "schema": schema,
                "strict": true,
            }),
        );
    }
    if !text.is_empty() {
        body["text"] = Value::Object(text);
    }
    body
}

fn role_name(role: MessageRole) -> &'static str {
    match role {
        MessageRole::User => "user",
        MessageRole::Developer => "developer",
        MessageRole::System => "system",
    }
}

fn content_part_json(part: &ContentPart) -> Value {
    match part {
        ContentPart::InputText { text } => json!({ "type": "input_text", "text": text }),
        ContentPart::InputImage { image_url } => {
            json!({ "type": "input_image", "image_url": image_url })
        }
    }
}

fn input_item_json(item: &InputItem) -> Value {
    match item {
        InputItem::UserMessage { text } => json!({
            "type": "message",
            "role": "user",
            "content": [{ "type": "input_text", "text": text }],
        }),
        InputItem::AssistantMessage { text } => json!({
            "type": "message",
            "role": "assistant",
            "content": [{ "type": "output_text", "text": text }],
        }),
        InputItem::Reasoning { id, summary, encrypted_content } => {
            let summary: Vec<Value> = summary
                .iter()
                .map(|text| json!({ "type": "summary_text", "text": text }))
                .collect();
            let mut value = json!({ "type": "reasoning", "summary": summary });
            if let Some(id) = id {
                value["id"] = json!(id);
            }
            if let Some(encrypted) = encrypted_content {
                value["encrypted_content"] = json!(encrypted);
            }
            value
        }
        InputItem::FunctionCall { call_id, name, arguments } => json!({
            "type": "function_call",
            "call_id": call_id,
            "name": name,
            "arguments": arguments,
        }),
        InputItem::FunctionCallOutput { call_id, output } => json!({
            "type": "function_call_output",
            "call_id": call_id,
            "output": output,
        }),
        InputItem::Message { role, content } => json!({
            "type": "message",
            "role": role_name(*role),
            "content": content.iter().map(content_part_json).collect::<Vec<_>>(),
        }),
    }
}

#[derive(Deserialize)]
struct EventType<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct TextDelta {
    item_id: String,
    delta: String,
}

#[derive(Deserialize)]
struct SummaryDelta {
    item_id: String,
    #[serde(default)]
    summary_index: u32,
    delta: String,
}

#[derive(Deserialize)]
struct SummaryPartAdded {
    item_id: String,
    #[serde(default)]
    summary_index: u32,
}

#[derive(Deserialize)]
struct ReasoningDelta {
    item_id: String,
    #[serde(default)]
    content_index: u32,
    delta: String,
}

#[derive(Deserialize)]
struct ItemEvent {
    item: Value,
}

#[derive(Deserialize)]
struct ResponseEvent {
    response: ResponseBody,
}

#[derive(Deserialize)]
struct ResponseBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<WireError>,
    #[serde(default)]
    incomplete_details: Option<IncompleteDetails>,
}

#[derive(Deserialize)]
struct IncompleteDetails {
    #[serde(default)]
    reason: Option<String>,
}

/// An error object as OpenAI-style APIs send it.
#[derive(Deserialize, Default)]
pub(crate) struct WireError {
    #[serde(default)]
    pub(crate) code: Option<Value>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
}

impl WireError {
    /// The error as a [`ModelError::ResponseFailed`].
    pub(crate) fn into_model_error(self, provider: &str) -> ModelError {
        let code = match self.code {
            Some(Value::String(code)) => Some(code),
            Some(Value::Null) | None => self.kind,
            Some(other) => Some(other.to_string()),
        };
        ModelError::ResponseFailed {
            provider: provider.to_string(),
            code,
            message: self.message.unwrap_or_else(|| "(no message)".to_string()),
        }
    }
}

#[derive(Deserialize)]
struct ErrorEvent {
    #[serde(default)]
    error: Option<WireError>,
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    input_tokens_details: Option<CachedDetails>,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    output_tokens_details: Option<ReasoningDetails>,
    #[serde(default)]
    total_tokens: u64,
}

#[derive(Deserialize, Default)]
struct CachedDetails {
    #[serde(default)]
    cached_tokens: u64,
}

#[derive(Deserialize, Default)]
struct ReasoningDetails {
    #[serde(default)]
    reasoning_tokens: u64,
}

impl From<WireUsage> for TokenUsage {
    fn from(usage: WireUsage) -> Self {
        TokenUsage {
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.input_tokens_details.map_or(0, |d| d.cached_tokens),
            output_tokens: usage.output_tokens,
            reasoning_output_tokens: usage.output_tokens_details.map_or(0, |d| d.reasoning_tokens),
            total_tokens: usage.total_tokens,
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireItem {
    Message {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        content: Vec<WireContent>,
    },
    Reasoning {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        summary: Vec<WireContent>,
        #[serde(default)]
        content: Option<Vec<WireContent>>,
        #[serde(default)]
        encrypted_content: Option<String>,
    },
    FunctionCall {
        #[serde(default)]
        id: Option<String>,
        call_id: String,
        name: String,
        #[serde(default)]
        arguments: String,
    },
}

#[derive(Deserialize)]
struct WireContent {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

impl WireContent {
    fn into_text(self) -> String {
        self.text.or(self.refusal).unwrap_or_default()
    }
}

/// Converts a Responses API output item into an [`OutputItem`]; unknown shapes become `Other`.
fn output_item(value: Value) -> OutputItem {
    let item = match WireItem::deserialize(&value) {
        Ok(item) => item,
        Err(_) => return OutputItem::Other(value),
    };
    match item {
        WireItem::Message { id, content } => OutputItem::Message {
            id: id.unwrap_or_default(),
            text: content.into_iter().map(WireContent::into_text).collect(),
        },
        WireItem::Reasoning { id, summary, content, encrypted_content } => OutputItem::Reasoning {
            id: id.unwrap_or_default(),
            summary: summary.into_iter().map(WireContent::into_text).collect(),
            content: content.unwrap_or_default().into_iter().map(WireContent::into_text).collect(),
            encrypted_content,
        },
        WireItem::FunctionCall { id, call_id, name, arguments } => OutputItem::FunctionCall {
            id: id.unwrap_or_else(|| call_id.clone()),
            call_id,
            name,
            arguments,
        },
    }
}

/// Decodes Responses API SSE events into [`ModelEvent`]s.
#[derive(Debug)]
pub(crate) struct ResponsesDecoder {
    provider: String,
}

impl ResponsesDecoder {
    /// A decoder whose errors name `provider`.
    pub(crate) fn new(provider: impl Into<String>) -> Self {
        Self { provider: provider.into() }
    }

    /// Decodes one SSE event (`event_name` may be empty or `message` when the server sent no
    /// `event:` line; the type is then read from the data's `type` field).
    pub(crate) fn decode(
        &mut self,
        event_name: &str,
        data: &str,
        out: &mut VecDeque<ModelEvent>,
    ) -> Result<DecodeFlow, ModelError> {
        if data.trim().is_empty() {
            return Ok(DecodeFlow::Continue);
        }
        let kind: std::borrow::Cow<'_, str> = if event_name.is_empty() || event_name == "message" {
            self.parse::<EventType<'_>>("data", data)?.kind
        } else {
            event_name.into()
        };
        match kind.as_ref() {
            "response.output_text.delta" => {
                let delta: TextDelta = self.parse(&kind, data)?;
                out.push_back(ModelEvent::OutputTextDelta {
                    item_id: delta.item_id,
                    delta: delta.delta,
                });
            }
            "response.reasoning_summary_text.delta" => {
                let delta: SummaryDelta = self.parse(&kind, data)?;
                out.push_back(ModelEvent::ReasoningSummaryDelta {
                    item_id: delta.item_id,
                    summary_index: delta.summary_index,
                    delta: delta.delta,
                });
            }
            "response.reasoning_summary_part.added" => {
                let part: SummaryPartAdded = self.parse(&kind, data)?;
                out.push_back(ModelEvent::ReasoningSummaryPartAdded {
                    item_id: part.item_id,
                    summary_index: part.summary_index,
                });
            }
            "response.reasoning_text.delta" => {
                let delta: ReasoningDelta = self.parse(&kind, data)?;
                out.push_back(ModelEvent::ReasoningTextDelta {
                    item_id: delta.item_id,
                    content_index: delta.content_index,
                    delta: delta.delta,
                });
            }
            "response.created" => {
                let event: ResponseEvent = self.parse(&kind, data)?;
                out.push_back(ModelEvent::Created { response_id: event.response.id });
            }
            "response.output_item.added" => {
                let event: ItemEvent = self.parse(&kind, data)?;
                out.push_back(ModelEvent::OutputItemAdded(output_item(event.item)));
            }
            "response.output_item.done" => {
                let event: ItemEvent = self.parse(&kind, data)?;
                out.push_back(ModelEvent::OutputItemDone(output_item(event.item)));
            }
            "response.completed" | "response.done" => {
                let event: ResponseEvent = self.parse(&kind, data)?;
                out.push_back(ModelEvent::Completed {
                    response_id: event.response.id.unwrap_or_default(),
                    usage: event.response.usage.map(TokenUsage::from),
                });
                return Ok(DecodeFlow::Finished);
            }
            "response.failed" => {
                let event: ResponseEvent = self.parse(&kind, data)?;
                let error = event.response.error.unwrap_or_default();
                return Err(error.into_model_error(&self.provider));
            }
            "response.incomplete" => {
                let event: ResponseEvent = self.parse(&kind, data)?;
                let reason = event
                    .response
                    .incomplete_details
                    .and_then(|details| details.reason)
                    .unwrap_or_else(|| "unknown reason".to_string());
                return Err(ModelError::Incomplete { provider: self.provider.clone(), reason });
            }
            "error" => {
                let event: ErrorEvent = self.parse(&kind, data)?;
                let error = event.error.unwrap_or(WireError {
                    code: event.code,
                    message: event.message,
                    kind: None,
                });
                return Err(error.into_model_error(&self.provider));
            }
            _ => {}
        }
        Ok(DecodeFlow::Continue)
    }

    fn parse<'a, T: Deserialize<'a>>(&self, event: &str, data: &'a str) -> Result<T, ModelError> {
        serde_json::from_str(data).map_err(|error| ModelError::InvalidEvent {
            provider: self.provider.clone(),
            event: event.to_string(),
            message: error.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{FunctionTool, ReasoningEffort, ReasoningOptions};

    fn decode_all(events: &[(&str, &str)]) -> (Vec<ModelEvent>, Result<DecodeFlow, ModelError>) {
        let mut decoder = ResponsesDecoder::new("test");
        let mut out = VecDeque::new();
        let mut last = Ok(DecodeFlow::Continue);
        for (name, data) in events {
            last = decoder.decode(name, data, &mut out);
            if last.is_err() {
                break;
            }
        }
        (out.into_iter().collect(), last)
    }

    #[test]
    fn decodes_items_and_usage_with_or_without_event_names() {
        let (events, flow) = decode_all(&[
            ("response.created", r#"{"type":"response.created","response":{"id":"r1"}}"#),
            ("", r#"{"type":"response.output_text.delta","item_id":"m1","delta":"Hi"}"#),
            (
                "response.output_item.done",
                r#"{"type":"response.output_item.done","item":{"type":"function_call","id":"fc","call_id":"c1","name":"shell","arguments":"{}"}}"#,
            ),
            (
                "message",
                r#"{"type":"response.completed","response":{"id":"r1","usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":15}}}"#,
            ),
        ]);
        assert_eq!(flow, Ok(DecodeFlow::Finished));
        assert_eq!(events[0], ModelEvent::Created { response_id: Some("r1".into()) });
        assert_eq!(
            events[1],
            ModelEvent::OutputTextDelta { item_id: "m1".into(), delta: "Hi".into() }
        );
        assert_eq!(
            events[2],
            ModelEvent::OutputItemDone(OutputItem::FunctionCall {
                id: "fc".into(),
                call_id: "c1".into(),
                name: "shell".into(),
                arguments: "{}".into()
            })
        );
        assert_eq!(
            events[3],
            ModelEvent::Completed {
                response_id: "r1".into(),
                usage: Some(TokenUsage {
                    input_tokens: 10,
                    cached_input_tokens: 4,
                    output_tokens: 5,
                    reasoning_output_tokens: 2,
                    total_tokens: 15
                })
            }
        );
    }

    #[test]
    fn failed_error_and_unknown_items() {
        let (_, flow) = decode_all(&[(
            "response.failed",
            r#"{"type":"response.failed","response":{"id":"r","error":{"code":"context_length_exceeded","message":"too long"}}}"#,
        )]);
        let err = flow.unwrap_err();
        assert!(err.is_context_window_exceeded(), "{err}");
        assert!(err.to_string().contains("too long"));

        let (_, flow) =
            decode_all(&[("error", r#"{"type":"error","code":"server_error","message":"boom"}"#)]);
        assert!(flow.unwrap_err().to_string().contains("(server_error): boom"));

        let (events, _) = decode_all(&[(
            "response.output_item.added",
            r#"{"type":"response.output_item.added","item":{"type":"web_search_call","id":"ws"}}"#,
        )]);
        assert_eq!(
            events[0],
            ModelEvent::OutputItemAdded(OutputItem::Other(
                json!({"type":"web_search_call","id":"ws"})
            ))
        );
        assert_eq!(
            match &events[0] {
                ModelEvent::OutputItemAdded(item) => item.id(),
                _ => None,
            },
            Some("ws")
        );

        let (_, flow) = decode_all(&[("response.output_text.delta", "{not json")]);
        assert!(matches!(flow, Err(ModelError::InvalidEvent { .. })));
    }

    #[test]
    fn body_has_reasoning_schema_and_tools() {
        let mut request = ModelRequest::new("gpt-x", "be brief")
            .push(InputItem::user("hi"))
            .push(InputItem::Reasoning {
                id: Some("rs".into()),
                summary: vec!["thought".into()],
                encrypted_content: Some("enc".into()),
            })
            .tool(FunctionTool::new("shell", "run", json!({"type":"object"})));
        request.reasoning = Some(ReasoningOptions {
            effort: Some(ReasoningEffort::High),
            summary: Some(ReasoningSummary::Auto),
        });
        request.output_schema = Some(json!({"type":"object"}));
        let body = request_body(&request);
        assert_eq!(body["reasoning"], json!({"effort":"high","summary":"auto"}));
        assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
        assert_eq!(body["text"]["format"]["type"], "json_schema");
        assert_eq!(body["input"][1]["encrypted_content"], "enc");
        assert_eq!(body["tools"][0]["name"], "shell");
        assert_eq!(body["stream"], true);
    }
}
