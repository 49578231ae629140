//! What a model stream yields, the same for every wire API: [`ModelEvent`]s carrying text and
//! reasoning deltas, finished [`OutputItem`]s and the final [`TokenUsage`]; plus [`ModelInfo`]
//! from `GET /models`.

use serde::{Deserialize, Serialize};

/// One step of a streamed model response, normalised across wire APIs.
///
/// A successful stream is `Created`, then any mix of the item events, then exactly one
/// `Completed`, after which the stream ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModelEvent {
    /// The provider accepted the request.
    Created {
        /// Provider response id, when it sent one.
        response_id: Option<String>,
    },
    /// An output item started; its content may still be empty.
    OutputItemAdded(OutputItem),
    /// More assistant message text.
    OutputTextDelta {
        /// Id of the message item.
        item_id: String,
        /// The new text.
        delta: String,
    },
    /// A new reasoning summary paragraph started (Responses API only).
    ReasoningSummaryPartAdded {
        /// Id of the reasoning item.
        item_id: String,
        /// Index of the paragraph.
        summary_index: u32,
    },
    /// More reasoning summary text.
    ReasoningSummaryDelta {
        /// Id of the reasoning item.
        item_id: String,
        /// Index of the paragraph.
        summary_index: u32,
        /// The new text.
        delta: String,
    },
    /// More raw reasoning text.
    ReasoningTextDelta {
        /// Id of the reasoning item.
        item_id: String,
        /// Index of the content part.
        content_index: u32,
        /// The new text.
        delta: String,
    },
    /// An output item is finished and complete.
    OutputItemDone(OutputItem),
    /// The response finished successfully; the stream ends after this.
    Completed {
        /// Provider response id.
        response_id: String,
        /// Token counts, when the provider reported them.
        usage: Option<TokenUsage>,
    },
}

/// An item of model output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    /// Assistant message text.
    Message {
        /// Item id.
        id: String,
        /// The text so far (complete in `OutputItemDone`).
        text: String,
    },
    /// Model reasoning.
    Reasoning {
        /// Item id.
        id: String,
        /// Summary paragraphs.
        summary: Vec<String>,
        /// Raw reasoning text parts, when the provider exposes them.
        content: Vec<String>,
        /// Opaque reasoning to send back in later requests.
        encrypted_content: Option<String>,
    },
    /// A tool call.
    FunctionCall {
        /// Item id (equals `call_id` on Chat Completions).
        id: String,
        /// Id to answer with a function call output.
        call_id: String,
        /// Tool name.
        name: String,
        /// Arguments as a JSON string (complete in `OutputItemDone`).
        arguments: String,
    },
    /// An item type this client does not model; the provider's JSON as sent.
    Other(serde_json::Value),
}

impl OutputItem {
    /// The item's id, when it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            OutputItem::Message { id, .. }
            | OutputItem::Reasoning { id, .. }
            | OutputItem::FunctionCall { id, .. } => Some(id),
            OutputItem::Other(raw) => raw.get("id").and_then(serde_json::Value::as_str),
        }
    }
}

/// Token counts of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Input tokens served from the provider's prompt cache.
    pub cached_input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Output tokens spent on reasoning.
    pub reasoning_output_tokens: u64,
    /// Total tokens.
    pub total_tokens: u64,
}

/// One model a provider offers (`GET {base_url}/models`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Model slug.
    pub id: String,
    /// Owner, when the provider says.
    #[serde(default)]
    pub owned_by: Option<String>,
}
