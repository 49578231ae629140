//! [`Script`]: what the mock provider answers to one model request — a scripted SSE stream
//! (text, reasoning, function calls, pauses, and how it ends) or a plain HTTP error — built with a
//! chainable API and rendered per wire API by `render`.

use std::time::Duration;

use serde_json::Value;

/// One step of a scripted stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// An assistant message streamed in these deltas.
    Text(Vec<String>),
    /// A reasoning item whose summary streams in these deltas.
    ReasoningSummary(Vec<String>),
    /// A reasoning item whose raw text streams in these deltas.
    ReasoningText(Vec<String>),
    /// A function call; `arguments` is the JSON text, streamed in a few pieces.
    FunctionCall { call_id: String, name: String, arguments: String },
    /// Silence for this long before the next event.
    Pause(Duration),
}

/// How a scripted stream ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Normally: `response.completed` (Responses) or finish, usage and `[DONE]` (Chat).
    Complete,
    /// The connection is cut abruptly (the HTTP body is aborted mid-stream).
    Disconnect,
    /// The body ends cleanly but without the completion event.
    EndWithoutCompletion,
    /// Nothing more is sent, but the connection stays open until the client leaves.
    Hang,
    /// `response.failed` (Responses) or an `{"error":..}` chunk (Chat).
    Fail {
        /// Provider error code, e.g. `context_length_exceeded`.
        code: String,
        /// Provider error message.
        message: String,
    },
}

/// Token counts reported at the end of a completed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MockUsage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Cached input tokens.
    pub cached_input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Reasoning output tokens.
    pub reasoning_tokens: u64,
}

impl Default for MockUsage {
    fn default() -> Self {
        Self { input_tokens: 10, cached_input_tokens: 0, output_tokens: 5, reasoning_tokens: 0 }
    }
}

impl MockUsage {
    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// What the mock does with a request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    /// Stream SSE.
    Stream { steps: Vec<Step>, ending: Ending },
    /// Answer with this status, body and headers.
    Status { status: u16, body: String, headers: Vec<(String, String)> },
    /// Send these exact bytes as an SSE body, then end.
    RawSse(String),
}

/// The scripted answer to one model request, consumed in push order.
///
/// ```
/// use codex_test_support::{MockProvider, Script};
/// use serde_json::json;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mock = MockProvider::start().await;
/// mock.push(Script::reasoning_summary(["Thinking"]).and_text_deltas(["Hel", "lo"]))
///     .push(Script::function_call("call_1", "shell", json!({"command": ["echo", "hi"]})))
///     .push(Script::status(401, "bad key"))
///     .push(Script::slow_text(50, Duration::from_millis(20)).and_disconnect());
/// assert_eq!(mock.remaining_scripts(), 4);
/// assert!(mock.base_url().starts_with("http://127.0.0.1:"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub(crate) reply: Reply,
    pub(crate) event_delay: Duration,
    pub(crate) usage: MockUsage,
    pub(crate) response_id: Option<String>,
    /// Extra headers of a streamed answer (status replies keep theirs in the reply).
    pub(crate) stream_headers: Vec<(String, String)>,
}

fn strings(items: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    items.into_iter().map(|s| s.as_ref().to_string()).collect()
}

impl Script {
    fn from_reply(reply: Reply) -> Self {
        Self {
            reply,
            event_delay: Duration::ZERO,
            usage: MockUsage::default(),
            response_id: None,
            stream_headers: Vec::new(),
        }
    }

    fn from_step(step: Step) -> Self {
        Self::from_reply(Reply::Stream { steps: vec![step], ending: Ending::Complete })
    }

    /// A stream with no output items that completes normally.
    pub fn empty() -> Self {
        Self::from_reply(Reply::Stream { steps: Vec::new(), ending: Ending::Complete })
    }

    /// An assistant message in one delta.
    pub fn text(text: impl Into<String>) -> Self {
        Self::from_step(Step::Text(vec![text.into()]))
    }

    /// An assistant message streamed in these deltas.
    pub fn text_deltas(deltas: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        Self::from_step(Step::Text(strings(deltas)))
    }

    /// `n` deltas `"0 "`, `"1 "`, … with `delay` between events (for interrupt/drain tests).
    pub fn slow_text(n: usize, delay: Duration) -> Self {
        Self::numbered_text(n).with_event_delay(delay)
    }

    /// `n` deltas `"0 "`, `"1 "`, … as fast as possible.
    pub fn numbered_text(n: usize) -> Self {
        Self::text_deltas((0..n).map(|i| format!("{i} ")))
    }

    /// A reasoning item whose summary streams in these deltas.
    pub fn reasoning_summary(deltas: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        Self::from_step(Step::ReasoningSummary(strings(deltas)))
    }

    /// A reasoning item whose raw text streams in these deltas.
    pub fn reasoning_text(deltas: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        Self::from_step(Step::ReasoningText(strings(deltas)))
    }

    /// A function call with these JSON arguments (streamed in pieces).
    pub fn function_call(
        call_id: impl Into<String>,
        name: impl Into<String>,
        arguments: Value,
    ) -> Self {
        Self::empty().and_function_call(call_id, name, arguments)
    }

    /// A plain HTTP error (or any status) with this body; no SSE.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::from_reply(Reply::Status { status, body: body.into(), headers: Vec::new() })
    }

    /// HTTP 429 with `Retry-After: <secs>`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::status(
            429,
            r#"{"error":{"message":"Rate limit reached","type":"rate_limit_exceeded"}}"#,
        )
        .with_header("retry-after", retry_after_secs.to_string())
    }

    /// A stream that fails with `response.failed` (Responses) / an error chunk (Chat).
    pub fn failed(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::empty().and_fail(code, message)
    }

    /// These exact bytes as the SSE body (for malformed-stream tests).
    pub fn raw_sse(body: impl Into<String>) -> Self {
        Self::from_reply(Reply::RawSse(body.into()))
    }

    fn push_step(mut self, step: Step) -> Self {
        if let Reply::Stream { steps, .. } = &mut self.reply {
            steps.push(step);
        }
        self
    }

    fn set_ending(mut self, new_ending: Ending) -> Self {
        if let Reply::Stream { ending, .. } = &mut self.reply {
            *ending = new_ending;
        }
        self
    }

    /// Then an assistant message in these deltas.
    pub fn and_text_deltas(self, deltas: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.push_step(Step::Text(strings(deltas)))
    }

    /// Then a reasoning summary in these deltas.
    pub fn and_reasoning_summary(self, deltas: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.push_step(Step::ReasoningSummary(strings(deltas)))
    }

    /// Then raw reasoning text in these deltas.
    pub fn and_reasoning_text(self, deltas: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.push_step(Step::ReasoningText(strings(deltas)))
    }

    /// Then a function call with these JSON arguments.
    pub fn and_function_call(
        self,
        call_id: impl Into<String>,
        name: impl Into<String>,
        arguments: Value,
    ) -> Self {
        self.push_step(Step::FunctionCall {
            call_id: call_id.into(),
            name: name.into(),
            arguments: arguments.to_string(),
        })
    }

    /// Then silence for `delay`.
    pub fn and_pause(self, delay: Duration) -> Self {
        self.push_step(Step::Pause(delay))
    }

    /// End by cutting the connection (no completion event).
    pub fn and_disconnect(self) -> Self {
        self.set_ending(Ending::Disconnect)
    }

    /// End the body cleanly but without the completion event.
    pub fn and_end_without_completion(self) -> Self {
        self.set_ending(Ending::EndWithoutCompletion)
    }

    /// Stop sending and keep the connection open until the client leaves (idle-timeout tests).
    pub fn and_hang(self) -> Self {
        self.set_ending(Ending::Hang)
    }

    /// End with a provider-reported failure.
    pub fn and_fail(self, code: impl Into<String>, message: impl Into<String>) -> Self {
        self.set_ending(Ending::Fail { code: code.into(), message: message.into() })
    }

    /// Wait `delay` between consecutive events.
    pub fn with_event_delay(mut self, delay: Duration) -> Self {
        self.event_delay = delay;
        self
    }

    /// Report these token counts on completion.
    pub fn with_usage(mut self, usage: MockUsage) -> Self {
        self.usage = usage;
        self
    }

    /// Use this response id instead of `resp_<n>`.
    pub fn with_response_id(mut self, id: impl Into<String>) -> Self {
        self.response_id = Some(id.into());
        self
    }

    /// Add a response header (e.g. `retry-after` on a status reply, `x-ratelimit-*` on a
    /// streamed answer).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        match &mut self.reply {
            Reply::Status { headers, .. } => headers.push((name.into(), value.into())),
            _ => self.stream_headers.push((name.into(), value.into())),
        }
        self
    }
}
