//! What the engine asks a model for: [`ModelRequest`] with instructions, the conversation so far
//! as [`InputItem`]s, the [`FunctionTool`]s on offer, an optional output JSON schema and
//! reasoning options. Wire-neutral; `responses_api` and `chat_api` turn it into request bodies.

use serde::{Deserialize, Serialize};

/// One request for a model turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelRequest {
    /// Model slug, e.g. `gpt-5` or `llama3.2`.
    pub model: String,
    /// System/developer instructions (`instructions` on the Responses API, a system message on
    /// Chat Completions). Empty means none.
    pub instructions: String,
    /// Conversation history, oldest first.
    pub input: Vec<InputItem>,
    /// Tools the model may call.
    pub tools: Vec<FunctionTool>,
    /// Whether the model may call several tools in one response.
    pub parallel_tool_calls: bool,
    /// JSON schema the final answer must follow (`--output-schema`).
    pub output_schema: Option<serde_json::Value>,
    /// Reasoning effort/summary options, for reasoning models.
    pub reasoning: Option<ReasoningOptions>,
}

impl ModelRequest {
    /// A request for `model` with the given instructions and nothing else.
    pub fn new(model: impl Into<String>, instructions: impl Into<String>) -> Self {
        Self { model: model.into(), instructions: instructions.into(), ..Self::default() }
    }

    /// Appends an item to the input history.
    pub fn push(mut self, item: InputItem) -> Self {
        self.input.push(item);
        self
    }

    /// Adds a function tool.
    pub fn tool(mut self, tool: FunctionTool) -> Self {
        self.tools.push(tool);
        self
    }
}

/// One entry of the conversation history sent to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    /// Text the user sent.
    UserMessage {
        /// The text.
        text: String,
    },
    /// Text the assistant answered earlier.
    AssistantMessage {
        /// The text.
        text: String,
    },
    /// An earlier reasoning item (Responses API only; Chat Completions drops it).
    Reasoning {
        /// Provider item id, when known.
        id: Option<String>,
        /// Summary paragraphs.
        summary: Vec<String>,
        /// Opaque encrypted reasoning to hand back (needed with `store: false`).
        encrypted_content: Option<String>,
    },
    /// A tool call the model made earlier.
    FunctionCall {
        /// Id linking the call to its output.
        call_id: String,
        /// Tool name.
        name: String,
        /// Arguments as the model wrote them (a JSON string).
        arguments: String,
    },
    /// What a tool call produced.
    FunctionCallOutput {
        /// Id of the call this answers.
        call_id: String,
        /// Output text given back to the model.
        output: String,
    },
}

impl InputItem {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::UserMessage { text: text.into() }
    }

    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::AssistantMessage { text: text.into() }
    }

    /// A function call.
    pub fn function_call(
        call_id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self::FunctionCall {
            call_id: call_id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    /// A function call's output.
    pub fn function_call_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        Self::FunctionCallOutput { call_id: call_id.into(), output: output.into() }
    }
}

/// A function the model may call, described by a JSON schema of its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionTool {
    /// Tool name, e.g. `shell`.
    pub name: String,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON schema of the arguments object.
    pub parameters: serde_json::Value,
    /// Ask the provider to enforce the schema strictly.
    pub strict: bool,
}

impl FunctionTool {
    /// A non-strict function tool.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        Self { name: name.into(), description: description.into(), parameters, strict: false }
    }
}

/// How hard a reasoning model should think.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    /// No reasoning.
    None,
    /// Minimal reasoning.
    Minimal,
    /// Low effort.
    Low,
    /// Medium effort.
    Medium,
    /// High effort.
    High,
    /// Extra-high effort.
    Xhigh,
}

/// How much reasoning summary the model should emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningSummary {
    /// Provider's choice.
    Auto,
    /// Short summary.
    Concise,
    /// Long summary.
    Detailed,
    /// No summary (the field is left out of the request).
    None,
}

/// Reasoning options sent with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReasoningOptions {
    /// Effort, when set.
    pub effort: Option<ReasoningEffort>,
    /// Summary verbosity, when set.
    pub summary: Option<ReasoningSummary>,
}
