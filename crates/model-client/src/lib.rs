//! Streaming client for model providers, used by the Codex agent engine.
//!
//! A [`ModelClient`] talks to one [`ProviderConfig`] over the OpenAI Responses API or Chat
//! Completions (both over SSE) and yields the same [`ModelEvent`]s for either, through a
//! [`ModelStream`]. Requests are retried with backoff before streaming begins; every failure is a
//! [`ModelError`] whose message says what to fix.

mod chat_api;
mod client;
mod error;
mod event;
mod provider;
mod rate_limits;
mod request;
mod responses_api;
mod retry;
mod stream;

pub use client::{EnvLookup, ModelClient};
pub use error::ModelError;
pub use event::{ModelEvent, ModelInfo, OutputItem, TokenUsage};
pub use provider::{
    built_in_providers, merge_providers, ProviderConfig, WireApi, DEFAULT_REQUEST_MAX_RETRIES,
    DEFAULT_STREAM_IDLE_TIMEOUT_MS, OLLAMA_PROVIDER_ID, OPENAI_PROVIDER_ID,
};
pub use rate_limits::{parse_reset, RateLimitHeaders, RateLimitReading};
pub use request::{
    ContentPart, FunctionTool, InputItem, MessageRole, ModelRequest, ParseOptionError,
    ReasoningEffort, ReasoningOptions, ReasoningSummary, Verbosity,
};
pub use retry::RetryPolicy;
pub use stream::{ModelResponse, ModelStream};

/// The JSON body a streaming Responses API request for `request` carries (what `stream` posts).
pub fn responses_request_body(request: &ModelRequest) -> serde_json::Value {
    responses_api::request_body(request)
}
