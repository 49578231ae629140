//! The Chat Completions wire format: the JSON body of `POST {base_url}/chat/completions` built
//! from a [`ModelRequest`], and [`ChatDecoder`], which accumulates streamed chunks (text, reasoning
//! and tool-call deltas) into the same [`ModelEvent`]s the Responses API yields.

use std::collections::{BTreeMap, VecDeque};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ModelError;
use crate::event::{ModelEvent, OutputItem, TokenUsage};
use crate::request::{ContentPart, InputItem, MessageRole, ModelRequest};
use crate::responses_api::{WireError, OUTPUT_SCHEMA_NAME};
use crate::stream::DecodeFlow;

/// The JSON body of a streaming Chat Completions request.
pub(crate) fn request_body(request: &ModelRequest) -> Value {
    let mut messages: Vec<Value> = Vec::with_capacity(request.input.len() + 1);
    if !request.instructions.is_empty() {
        messages.push(json!({ "role": "system", "content": request.instructions }));
    }
    for item in &request.input {
        match item {
            InputItem::UserMessage { text } => {
                messages.push(json!({ "role": "user", "content": text }));
            }
            InputItem::AssistantMessage { text } => {
                messages.push(json!({ "role": "assistant", "content": text }));
            }
            InputItem::Reasoning { .. } => {}
            InputItem::FunctionCall { call_id, name, arguments } => {
                let call = json!({
                    "id": call_id,
                    "type": "function",
                    "function": { "name": name, "arguments": arguments },
                });
                // Tool calls belong to the assistant message right before them, if any.
                let attached = match messages.last_mut() {
                    Some(last) if last["role"] == "assistant" => {
                        match last.get_mut("tool_calls").and_then(Value::as_array_mut) {
                            Some(calls) => calls.push(call.clone()),
                            None => last["tool_calls"] = json!([call.clone()]),
                        }
                        true
                    }
                    _ => false,
                };
                if !attached {
                    messages.push(json!({
                        "role": "assistant",
                        "content": Value::Null,
                        "tool_calls": [call],
                    }));
                }
            }
            InputItem::FunctionCallOutput { call_id, output } => {
                messages.push(json!({
                    "role": "tool",
                    "tool_call_id": call_id,
                    "content": output,
                }));
            }
            InputItem::Message { role, content } => {
                if let Some(message) = message_json(*role, content) {
                    messages.push(message);
                }
            }
        }
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                        "strict": tool.strict,
                    }
                })
            })
            .collect();
        body["tools"] = Value::Array(tools);
        body["tool_choice"] = json!("auto");
        body["parallel_tool_calls"] = json!(request.parallel_tool_calls);
    }
    if let Some(effort) = request.reasoning.and_then(|r| r.effort) {
        body["reasoning_effort"] = json!(effort);
    }
    if let Some(schema) = &request.output_schema {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": { "name": OUTPUT_SCHEMA_NAME, "schema": schema, "strict": true },
        });
    }
    body
}

/// Text parts joined by a blank line, the way one chat `content` string carries several parts.
fn joined_text(content: &[ContentPart]) -> String {
    let texts: Vec<&str> = content
        .iter()
        .filter_map(|part| match part {
            ContentPart::InputText { text } => Some(text.as_str()),
            ContentPart::InputImage { .. } => None,
        })
        .collect();
    texts.join("\n\n")
}

/// A chat message for an [`InputItem::Message`]. Developer and system messages become `system`
/// messages (many chat providers reject `developer`) with text only; a user message is a plain
/// string unless it holds an image, then an array of `text` and `image_url` parts.
fn message_json(role: MessageRole, content: &[ContentPart]) -> Option<Value> {
    let has_image = content.iter().any(|part| matches!(part, ContentPart::InputImage { .. }));
    match role {
        MessageRole::Developer | MessageRole::System => {
            if has_image {
                tracing::warn!("chat completions: dropping image parts of a {role:?} message");
            }
            if !content.iter().any(|part| matches!(part, ContentPart::InputText { .. })) {
                return None;
            }
            Some(json!({ "role": "system", "content": joined_text(content) }))
        }
        MessageRole::User if !has_image => {
            Some(json!({ "role": "user", "content": joined_text(content) }))
        }
        MessageRole::User => {
            let parts: Vec<Value> = content
                .iter()
                .map(|part| match part {
                    ContentPart::InputText { text } => json!({ "type": "text", "text": text }),
                    ContentPart::InputImage { image_url } => {
                        json!({ "type": "image_url", "image_url": { "url": image_url } })
                    }
                })
                .collect();
            Some(json!({ "role": "user", "content": parts }))
        }
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ChatUsage>,
    #[serde(default)]
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallDelta>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct ChatUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: u64,
}

#[derive(Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: u64,
}

impl From<ChatUsage> for TokenUsage {
    fn from(usage: ChatUsage) -> Self {
        TokenUsage {
            input_tokens: usage.prompt_tokens,
            cached_input_tokens: usage.prompt_tokens_details.map_or(0, |d| d.cached_tokens),
            output_tokens: usage.completion_tokens,
            reasoning_output_tokens: usage
                .completion_tokens_details
                .map_or(0, |d| d.reasoning_tokens),
            total_tokens: usage.total_tokens,
        }
    }
}

/// A tool call being assembled from deltas.
#[derive(Debug, Default)]
struct PendingCall {
    call_id: String,
    name: String,
    arguments: String,
}

/// Where the decoder is in a chat response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChatPhase {
    /// No chunk seen yet.
    AwaitingFirstChunk,
    /// Chunks are arriving; items are open.
    Streaming,
    /// A `finish_reason` arrived and the items were closed; waiting for usage and `[DONE]`.
    ItemsClosed,
}

/// Decodes Chat Completions chunks into [`ModelEvent`]s.
#[derive(Debug)]
pub(crate) struct ChatDecoder {
    provider: String,
    phase: ChatPhase,
    response_id: String,
    reasoning: Option<String>,
    message: Option<String>,
    calls: BTreeMap<u32, PendingCall>,
    usage: Option<TokenUsage>,
}

impl ChatDecoder {
    /// A decoder whose errors name `provider`.
    pub(crate) fn new(provider: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            phase: ChatPhase::AwaitingFirstChunk,
            response_id: String::new(),
            reasoning: None,
            message: None,
            calls: BTreeMap::new(),
            usage: None,
        }
    }

    fn message_id(&self) -> String {
        format!("{}-message", self.response_id)
    }

    fn reasoning_id(&self) -> String {
        format!("{}-reasoning", self.response_id)
    }

    /// Decodes one SSE data payload (a JSON chunk or `[DONE]`).
    pub(crate) fn decode(
        &mut self,
        data: &str,
        out: &mut VecDeque<ModelEvent>,
    ) -> Result<DecodeFlow, ModelError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(DecodeFlow::Continue);
        }
        if data == "[DONE]" {
            self.start(None, out);
            self.close_items(out);
            out.push_back(ModelEvent::Completed {
                response_id: self.response_id.clone(),
                usage: self.usage.take(),
            });
            return Ok(DecodeFlow::Finished);
        }
        let chunk: Chunk =
            serde_json::from_str(data).map_err(|error| ModelError::InvalidEvent {
                provider: self.provider.clone(),
                event: "chat.completion.chunk".to_string(),
                message: error.to_string(),
            })?;
        if let Some(error) = chunk.error {
            return Err(error.into_model_error(&self.provider));
        }
        self.start(chunk.id, out);
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.into());
        }
        for choice in chunk.choices {
            self.apply_delta(choice.delta, out);
            if choice.finish_reason.is_some() {
                self.close_items(out);
            }
        }
        Ok(DecodeFlow::Continue)
    }

    fn start(&mut self, id: Option<String>, out: &mut VecDeque<ModelEvent>) {
        if self.phase != ChatPhase::AwaitingFirstChunk {
            return;
        }
        self.phase = ChatPhase::Streaming;
        self.response_id = id.clone().unwrap_or_else(|| "chatcmpl".to_string());
        out.push_back(ModelEvent::Created { response_id: id });
    }

    fn apply_delta(&mut self, delta: Delta, out: &mut VecDeque<ModelEvent>) {
        if let Some(reasoning) = delta.reasoning_content.or(delta.reasoning) {
            if !reasoning.is_empty() {
                let item_id = self.reasoning_id();
                let text = self.reasoning.get_or_insert_with(|| {
                    out.push_back(ModelEvent::OutputItemAdded(OutputItem::Reasoning {
                        id: item_id.clone(),
                        summary: Vec::new(),
                        content: Vec::new(),
                        encrypted_content: None,
                    }));
                    String::new()
                });
                text.push_str(&reasoning);
                out.push_back(ModelEvent::ReasoningTextDelta {
                    item_id,
                    content_index: 0,
                    delta: reasoning,
                });
            }
        }
        if let Some(content) = delta.content {
            if !content.is_empty() {
                let item_id = self.message_id();
                let text = self.message.get_or_insert_with(|| {
                    out.push_back(ModelEvent::OutputItemAdded(OutputItem::Message {
                        id: item_id.clone(),
                        text: String::new(),
                    }));
                    String::new()
                });
                text.push_str(&content);
                out.push_back(ModelEvent::OutputTextDelta { item_id, delta: content });
            }
        }
        for call in delta.tool_calls {
            let index = call.index.unwrap_or(0);
            let is_new = !self.calls.contains_key(&index);
            let pending = self.calls.entry(index).or_default();
            if let Some(id) = call.id.filter(|id| !id.is_empty()) {
                pending.call_id = id;
            }
            if let Some(function) = call.function {
                if let Some(name) = function.name.filter(|name| !name.is_empty()) {
                    if pending.name.is_empty() {
                        pending.name = name;
                    }
                }
                if let Some(arguments) = function.arguments {
                    pending.arguments.push_str(&arguments);
                }
            }
            if pending.call_id.is_empty() {
                pending.call_id = format!("call_{index}");
            }
            if is_new {
                out.push_back(ModelEvent::OutputItemAdded(OutputItem::FunctionCall {
                    id: pending.call_id.clone(),
                    call_id: pending.call_id.clone(),
                    name: pending.name.clone(),
                    arguments: String::new(),
                }));
            }
        }
    }

    /// Emits `OutputItemDone` for every open item, reasoning first, then text, then calls.
    fn close_items(&mut self, out: &mut VecDeque<ModelEvent>) {
        if self.phase == ChatPhase::ItemsClosed {
            return;
        }
        self.phase = ChatPhase::ItemsClosed;
        if let Some(text) = self.reasoning.take() {
            out.push_back(ModelEvent::OutputItemDone(OutputItem::Reasoning {
                id: self.reasoning_id(),
                summary: Vec::new(),
                content: vec![text],
                encrypted_content: None,
            }));
        }
        if let Some(text) = self.message.take() {
            out.push_back(ModelEvent::OutputItemDone(OutputItem::Message {
                id: self.message_id(),
                text,
            }));
        }
        for call in std::mem::take(&mut self.calls).into_values() {
            out.push_back(ModelEvent::OutputItemDone(OutputItem::FunctionCall {
                id: call.call_id.clone(),
                call_id: call.call_id,
                name: call.name,
                arguments: call.arguments,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::FunctionTool;

    #[test]
    fn assembles_tool_calls_and_usage() {
        let mut decoder = ChatDecoder::new("test");
        let mut out = VecDeque::new();
        let chunks = [
            r#"{"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"Ok"}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"shell","arguments":"{\"comm"}}]}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"and\":1}"}}]}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            r#"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
        ];
        for chunk in chunks {
            assert_eq!(decoder.decode(chunk, &mut out), Ok(DecodeFlow::Continue));
        }
        assert_eq!(decoder.decode("[DONE]", &mut out), Ok(DecodeFlow::Finished));
        let events: Vec<_> = out.into_iter().collect();
        assert!(events.contains(&ModelEvent::OutputItemDone(OutputItem::FunctionCall {
            id: "call_a".into(),
            call_id: "call_a".into(),
            name: "shell".into(),
            arguments: "{\"command\":1}".into(),
        })));
        assert!(events.contains(&ModelEvent::OutputItemDone(OutputItem::Message {
            id: "c1-message".into(),
            text: "Ok".into()
        })));
        assert_eq!(
            events.last(),
            Some(&ModelEvent::Completed {
                response_id: "c1".into(),
                usage: Some(TokenUsage {
                    input_tokens: 3,
                    output_tokens: 2,
                    total_tokens: 5,
                    ..TokenUsage::default()
                })
            })
        );
    }

    #[test]
    fn error_chunk_fails() {
        let mut decoder = ChatDecoder::new("test");
        let err = decoder
            .decode(
                r#"{"error":{"message":"overloaded","type":"server_error"}}"#,
                &mut VecDeque::new(),
            )
            .unwrap_err();
        assert!(err.to_string().contains("overloaded"), "{err}");
    }

    #[test]
    fn body_groups_tool_calls_under_assistant() {
        let request = ModelRequest::new("m", "sys")
            .push(InputItem::user("hi"))
            .push(InputItem::assistant("let me look"))
            .push(InputItem::function_call("c1", "shell", "{}"))
            .push(InputItem::function_call("c2", "shell", "{}"))
            .push(InputItem::function_call_output("c1", "out1"))
            .push(InputItem::function_call_output("c2", "out2"))
            .push(InputItem::function_call("c3", "shell", "{}"))
            .tool(FunctionTool::new("shell", "run", json!({"type":"object"})));
        let body = request_body(&request);
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages[0], json!({"role":"system","content":"sys"}));
        assert_eq!(messages[2]["tool_calls"].as_array().unwrap().len(), 2);
        assert_eq!(messages[3]["role"], "tool");
        assert_eq!(messages[5]["role"], "assistant");
        assert_eq!(messages[5]["content"], Value::Null);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["tools"][0]["function"]["name"], "shell");
    }
}
