//! Turns a scripted stream into SSE frames the way each wire API sends them: the Responses API's
//! typed events (`response.created`, `response.output_item.added`, deltas, `…done`,
//! `response.completed`) or Chat Completions chunks ending in `data: [DONE]`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::script::{Ending, MockUsage, Step};

/// Which wire API a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    /// `POST …/responses`.
    Responses,
    /// `POST …/chat/completions`.
    Chat,
}

/// One unit of a rendered stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    /// SSE bytes to send.
    Data(String),
    /// Silence.
    Pause(Duration),
}

/// Splits `text` into up to `parts` pieces on char boundaries.
fn split_in(text: &str, parts: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    let size = chars.len().div_ceil(parts.max(1));
    chars.chunks(size).map(|chunk| chunk.iter().collect()).collect()
}

/// Renders a stream script as Responses API SSE frames.
pub(crate) fn responses_frames(
    steps: &[Step],
    ending: &Ending,
    response_id: &str,
    model: &str,
    usage: MockUsage,
) -> Vec<Frame> {
    let mut out = ResponsesWriter { frames: Vec::new(), sequence: 0 };
    out.event(
        "response.created",
        json!({"response": {"id": response_id, "object": "response", "status": "in_progress", "model": model, "output": []}}),
    );
    let mut output_index = 0usize;
    for step in steps {
        match step {
            Step::Pause(delay) => out.frames.push(Frame::Pause(*delay)),
            Step::Text(deltas) => {
                let item_id = format!("msg_{output_index}");
                out.event(
                    "response.output_item.added",
                    json!({"output_index": output_index, "item": {"type": "message", "id": item_id, "status": "in_progress", "role": "assistant", "content": []}}),
                );
                out.event(
                    "response.content_part.added",
                    json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
                );
                for delta in deltas {
                    out.event(
                        "response.output_text.delta",
                        json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "delta": delta}),
                    );
                }
                let text: String = deltas.concat();
                out.event(
                    "response.output_text.done",
                    json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "text": text}),
                );
                out.event(
                    "response.output_item.done",
                    json!({"output_index": output_index, "item": {"type": "message", "id": item_id, "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]}}),
                );
                output_index += 1;
            }
            Step::ReasoningSummary(deltas) | Step::ReasoningText(deltas) => {
                let is_summary = matches!(step, Step::ReasoningSummary(_));
                let item_id = format!("rs_{output_index}");
                out.event(
                    "response.output_item.added",
                    json!({"output_index": output_index, "item": {"type": "reasoning", "id": item_id, "summary": []}}),
                );
                if is_summary {
                    out.event(
                        "response.reasoning_summary_part.added",
                        json!({"item_id": item_id, "output_index": output_index, "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
                    );
                }
                for delta in deltas {
                    if is_summary {
                        out.event(
                            "response.reasoning_summary_text.delta",
                            json!({"item_id": item_id, "output_index": output_index, "summary_index": 0, "delta": delta}),
                        );
                    } else {
                        out.event(
                            "response.reasoning_text.delta",
                            json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "delta": delta}),
                        );
                    }
                }
                let text: String = deltas.concat();
                let item = if is_summary {
                    json!({"type": "reasoning", "id": item_id, "summary": [{"type": "summary_text", "text": text}], "encrypted_content": "mock-encrypted"})
                } else {
                    json!({"type": "reasoning", "id": item_id, "summary": [], "content": [{"type": "reasoning_text", "text": text}], "encrypted_content": "mock-encrypted"})
                };
                out.event(
                    "response.output_item.done",
                    json!({"output_index": output_index, "item": item}),
                );
                output_index += 1;
            }
            Step::FunctionCall { call_id, name, arguments } => {
                let item_id = format!("fc_{output_index}");
                out.event(
                    "response.output_item.added",
                    json!({"output_index": output_index, "item": {"type": "function_call", "id": item_id, "call_id": call_id, "name": name, "arguments": "", "status": "in_progress"}}),
                );
                for piece in split_in(arguments, 3) {
                    out.event(
                        "response.function_call_arguments.delta",
                        json!({"item_id": item_id, "output_index": output_index, "delta": piece}),
                    );
                }
                out.event(
                    "response.function_call_arguments.done",
                    json!({"item_id": item_id, "output_index": output_index, "arguments": arguments}),
                );
                out.event(
                    "response.output_item.done",
                    json!({"output_index": output_index, "item": {"type": "function_call", "id": item_id, "call_id": call_id, "name": name, "arguments": arguments, "status": "completed"}}),
                );
                output_index += 1;
            }
        }
    }
    match ending {
        Ending::Complete => out.event(
            "response.completed",
            json!({"response": {"id": response_id, "object": "response", "status": "completed", "model": model, "usage": {
                "input_tokens": usage.input_tokens,
                "input_tokens_details": {"cached_tokens": usage.cached_input_tokens},
                "output_tokens": usage.output_tokens,
                "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
                "total_tokens": usage.total_tokens(),
            }}}),
        ),
        Ending::Fail { code, message } => out.event(
            "response.failed",
            json!({"response": {"id": response_id, "object": "response", "status": "failed", "error": {"code": code, "message": message}}}),
        ),
        Ending::Disconnect | Ending::EndWithoutCompletion | Ending::Hang => {}
    }
    out.frames
}

struct ResponsesWriter {
    frames: Vec<Frame>,
    sequence: u64,
}

impl ResponsesWriter {
    fn event(&mut self, kind: &str, mut payload: Value) {
        if let Value::Object(map) = &mut payload {
            map.insert("type".into(), json!(kind));
            map.insert("sequence_number".into(), json!(self.sequence));
        }
        self.sequence += 1;
        self.frames.push(Frame::Data(format!("event: {kind}\ndata: {payload}\n\n")));
    }
}

/// Renders a stream script as Chat Completions SSE frames.
pub(crate) fn chat_frames(
    steps: &[Step],
    ending: &Ending,
    response_id: &str,
    model: &str,
    usage: MockUsage,
) -> Vec<Frame> {
    let chunk = |delta: Value, finish_reason: Value| {
        let payload = json!({
            "id": response_id,
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        });
        Frame::Data(format!("data: {payload}\n\n"))
    };
    let mut frames = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
    let mut tool_index = 0u32;
    for step in steps {
        match step {
            Step::Pause(delay) => frames.push(Frame::Pause(*delay)),
            Step::Text(deltas) => {
                for delta in deltas {
                    frames.push(chunk(json!({"content": delta}), Value::Null));
                }
            }
            Step::ReasoningSummary(deltas) | Step::ReasoningText(deltas) => {
                for delta in deltas {
                    frames.push(chunk(json!({"reasoning_content": delta}), Value::Null));
                }
            }
            Step::FunctionCall { call_id, name, arguments } => {
                frames.push(chunk(
                    json!({"tool_calls": [{"index": tool_index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                    Value::Null,
                ));
                for piece in split_in(arguments, 3) {
                    frames.push(chunk(
                        json!({"tool_calls": [{"index": tool_index, "function": {"arguments": piece}}]}),
                        Value::Null,
                    ));
                }
                tool_index += 1;
            }
        }
    }
    match ending {
        Ending::Complete => {
            let reason = if tool_index > 0 { "tool_calls" } else { "stop" };
            frames.push(chunk(json!({}), json!(reason)));
            let usage_chunk = json!({
                "id": response_id,
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [],
                "usage": {
                    "prompt_tokens": usage.input_tokens,
                    "completion_tokens": usage.output_tokens,
                    "total_tokens": usage.total_tokens(),
                    "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens},
                    "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
                },
            });
            frames.push(Frame::Data(format!("data: {usage_chunk}\n\n")));
            frames.push(Frame::Data("data: [DONE]\n\n".to_string()));
        }
        Ending::Fail { code, message } => {
            let error =
                json!({"error": {"message": message, "type": "server_error", "code": code}});
            frames.push(Frame::Data(format!("data: {error}\n\n")));
        }
        Ending::Disconnect | Ending::EndWithoutCompletion | Ending::Hang => {}
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_every_char() {
        let pieces = split_in("{\"a\":\"é√x\"}", 3);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), "{\"a\":\"é√x\"}");
        assert_eq!(split_in("", 3), vec![String::new()]);
    }

    #[test]
    fn responses_frames_end_with_completed() {
        let frames = responses_frames(
            &[Step::Text(vec!["a".into(), "b".into()])],
            &Ending::Complete,
            "resp_1",
            "m",
            MockUsage::default(),
        );
        let Some(Frame::Data(last)) = frames.last() else { panic!("no frames") };
        assert!(last.starts_with("event: response.completed\n"), "{last}");
        assert!(last.contains("\"total_tokens\":15"), "{last}");
    }

    #[test]
    fn chat_frames_end_with_done() {
        let frames = chat_frames(&[], &Ending::Complete, "c", "m", MockUsage::default());
        assert_eq!(frames.last(), Some(&Frame::Data("data: [DONE]\n\n".into())));
    }
}
