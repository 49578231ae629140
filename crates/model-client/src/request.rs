//! What the engine asks a model for: [`ModelRequest`] with instructions, the conversation so far
//! as [`InputItem`]s, the [`FunctionTool`]s on offer, an optional output JSON schema, reasoning
//! and verbosity options, a prompt cache key and extra HTTP headers. Wire-neutral;
//! `responses_api` and `chat_api` turn it into request bodies.
//!
//! [`InputItem`]s are stored as JSON in thread history: existing variants keep their serialized
//! shape; new shapes are added as new variants.

use std::str::FromStr;

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
    /// Prompt cache key (Responses API `prompt_cache_key`; not sent on Chat Completions).
    #[serde(default)]
    pub prompt_cache_key: Option<String>,
    /// Output verbosity (Responses API `text.verbosity`; not sent on Chat Completions).
    #[serde(default)]
    pub verbosity: Option<Verbosity>,
    /// Extra HTTP headers for this request only; they replace same-named provider and client
    /// defaults (e.g. `User-Agent`). Invalid names or values are skipped with a warning.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Tools the provider runs itself (Responses API only, e.g. `{"type":"web_search"}`), sent
    /// as given after the function tools; Chat Completions requests leave them out.
    #[serde(default)]
    pub hosted_tools: Vec<serde_json::Value>,
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

    /// Adds an HTTP header sent with this request only.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
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
    /// A user, developer or system message made of text and image parts.
    Message {
        /// Who speaks.
        role: MessageRole,
        /// The parts, in order.
        content: Vec<ContentPart>,
    },
}

/// Who a [`InputItem::Message`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    /// The user (or context the agent adds on the user's behalf).
    User,
    /// The developer/agent (instructions beyond the base instructions).
    Developer,
    /// The system.
    System,
}

/// One part of an [`InputItem::Message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// Text.
    InputText {
        /// The text.
        text: String,
    },
    /// An image, by URL.
    InputImage {
        /// An `https:` URL or a `data:` URL (e.g. `data:image/png;base64,...`).
        image_url: String,
    },
}

impl ContentPart {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self::InputText { text: text.into() }
    }

    /// An image part from an `https:` or `data:` URL.
    pub fn image(image_url: impl Into<String>) -> Self {
        Self::InputImage { image_url: image_url.into() }
    }
}

impl InputItem {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::UserMessage { text: text.into() }
    }

    /// A developer message with one text part.
    pub fn developer(text: impl Into<String>) -> Self {
        Self::Message { role: MessageRole::Developer, content: vec![ContentPart::text(text)] }
    }

    /// A user message made of these parts (text and images).
    pub fn user_parts(content: Vec<ContentPart>) -> Self {
        Self::Message { role: MessageRole::User, content }
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

/// A string that names none of an option's values (see the `FromStr` impls of this crate).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {option} `{value}`: expected one of {expected}")]
pub struct ParseOptionError {
    /// Which option was parsed, e.g. `reasoning effort`.
    pub option: &'static str,
    /// The string given.
    pub value: String,
    /// The accepted values, comma-separated.
    pub expected: &'static str,
}

/// Parses `value` (trimmed, case-insensitive) as one of `table`'s names.
fn parse_option<T: Copy>(
    option: &'static str,
    expected: &'static str,
    table: &[(&str, T)],
    value: &str,
) -> Result<T, ParseOptionError> {
    let wanted = value.trim().to_ascii_lowercase();
    table
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, parsed)| *parsed)
        .ok_or_else(|| ParseOptionError { option, value: value.to_string(), expected })
}

impl FromStr for ReasoningEffort {
    type Err = ParseOptionError;

    /// Parses `none|minimal|low|medium|high|xhigh`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        parse_option(
            "reasoning effort",
            "none, minimal, low, medium, high, xhigh",
            &[
                ("none", Self::None),
                ("minimal", Self::Minimal),
                ("low", Self::Low),
                ("medium", Self::Medium),
                ("high", Self::High),
                ("xhigh", Self::Xhigh),
            ],
            value,
        )
    }
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

impl FromStr for ReasoningSummary {
    type Err = ParseOptionError;

    /// Parses `auto|concise|detailed|none`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        parse_option(
            "reasoning summary",
            "auto, concise, detailed, none",
            &[
                ("auto", Self::Auto),
                ("concise", Self::Concise),
                ("detailed", Self::Detailed),
                ("none", Self::None),
            ],
            value,
        )
    }
}

/// How long the model's answers should be (Responses API `text.verbosity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    /// Terse.
    Low,
    /// Balanced.
    Medium,
    /// Thorough.
    High,
}

impl FromStr for Verbosity {
    type Err = ParseOptionError;

    /// Parses `low|medium|high`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        parse_option(
            "verbosity",
            "low, medium, high",
            &[("low", Self::Low), ("medium", Self::Medium), ("high", Self::High)],
            value,
        )
    }
}

/// Reasoning options sent with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReasoningOptions {
    /// Effort, when set.
    pub effort: Option<ReasoningEffort>,
    /// Summary verbosity, when set.
    pub summary: Option<ReasoningSummary>,
}
