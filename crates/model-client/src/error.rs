//! The one error type of this crate, [`ModelError`]: every way a model request can fail, each
//! with a message a person can act on (which env var to check, which URL/model was not found,
//! what status and body the provider sent).

use std::time::Duration;

/// How many characters of a provider's error body an error message quotes.
pub(crate) const BODY_SNIPPET_CHARS: usize = 500;

/// Everything that can go wrong talking to a model provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The provider needs an API key and its env var is unset or empty; no request was sent.
    #[error(
        "missing API key for model provider `{provider}`: set the environment variable ${env_key}"
    )]
    MissingApiKey {
        /// Provider id.
        provider: String,
        /// Name of the env var that should hold the key.
        env_key: String,
    },

    /// The provider configuration cannot be used (bad header name/value, bad URL, ...).
    #[error("invalid configuration for model provider `{provider}`: {message}")]
    InvalidConfig {
        /// Provider id.
        provider: String,
        /// What is wrong.
        message: String,
    },

    /// The provider rejected the credentials (HTTP 401/403).
    #[error("model provider `{provider}` rejected the request with HTTP {status}: {hint}; provider said: {body}")]
    Unauthorized {
        /// Provider id.
        provider: String,
        /// 401 or 403.
        status: u16,
        /// What to check, naming the env var when there is one.
        hint: String,
        /// Start of the response body.
        body: String,
    },

    /// The endpoint or model does not exist (HTTP 404).
    #[error("model provider `{provider}` answered HTTP 404 for {url} (model `{model}`): check `base_url` and the model name; provider said: {body}")]
    NotFound {
        /// Provider id.
        provider: String,
        /// The URL requested.
        url: String,
        /// The model requested (empty for `list_models`).
        model: String,
        /// Start of the response body.
        body: String,
    },

    /// Still rate limited (HTTP 429) after all retries.
    #[error("model provider `{provider}` is rate limiting requests (HTTP 429) and still was after {attempts} attempts; wait and try again; provider said: {body}")]
    RateLimited {
        /// Provider id.
        provider: String,
        /// Requests sent in total.
        attempts: u32,
        /// Start of the last response body.
        body: String,
    },

    /// The provider failed (HTTP 5xx) on every attempt.
    #[error(
        "model provider `{provider}` failed with HTTP {status} after {attempts} attempts: {body}"
    )]
    ServerError {
        /// Provider id.
        provider: String,
        /// Last HTTP status.
        status: u16,
        /// Requests sent in total.
        attempts: u32,
        /// Start of the last response body.
        body: String,
    },

    /// The provider refused the request with another 4xx status (not retried).
    #[error(
        "model provider `{provider}` rejected the request to {url} with HTTP {status}: {body}"
    )]
    BadRequest {
        /// Provider id.
        provider: String,
        /// The URL requested.
        url: String,
        /// HTTP status.
        status: u16,
        /// Start of the response body.
        body: String,
    },

    /// The provider could not be reached (connect error or timeout) on every attempt.
    #[error(
        "could not reach model provider `{provider}` at {url} after {attempts} attempts: {message}"
    )]
    Connect {
        /// Provider id.
        provider: String,
        /// The URL requested.
        url: String,
        /// Requests attempted in total.
        attempts: u32,
        /// The transport's description of the last failure.
        message: String,
    },

    /// No event arrived within the provider's `stream_idle_timeout_ms`.
    #[error("model stream from `{provider}` was idle for {} ms (stream_idle_timeout_ms) and was closed", .timeout.as_millis())]
    IdleTimeout {
        /// Provider id.
        provider: String,
        /// The idle limit that was exceeded.
        timeout: Duration,
    },

    /// The stream ended before the provider said the response was complete.
    #[error("model stream from `{provider}` ended before the response completed (connection closed mid-stream)")]
    Disconnected {
        /// Provider id.
        provider: String,
    },

    /// Reading the stream failed at the transport level.
    #[error("model stream from `{provider}` broke: {message}")]
    Transport {
        /// Provider id.
        provider: String,
        /// The transport's description.
        message: String,
    },

    /// The provider sent an event this client could not decode.
    #[error("model provider `{provider}` sent an undecodable `{event}` event: {message}")]
    InvalidEvent {
        /// Provider id.
        provider: String,
        /// Event type (or `data` when unknown).
        event: String,
        /// The decoder's description.
        message: String,
    },

    /// A non-streaming answer (e.g. `GET /models`) could not be decoded.
    #[error("model provider `{provider}` sent an unexpected answer from {url}: {message}")]
    InvalidResponse {
        /// Provider id.
        provider: String,
        /// The URL requested.
        url: String,
        /// The decoder's description.
        message: String,
    },

    /// The provider reported the response as failed (`response.failed`, `error` events, or an
    /// error object in a chat chunk).
    #[error("model provider `{provider}` reported the response failed{}: {message}", code_suffix(.code))]
    ResponseFailed {
        /// Provider id.
        provider: String,
        /// Provider error code, e.g. `context_length_exceeded`, `rate_limit_exceeded`.
        code: Option<String>,
        /// Provider error message.
        message: String,
    },

    /// The provider stopped the response early (`response.incomplete`).
    #[error("model provider `{provider}` returned an incomplete response: {reason}")]
    Incomplete {
        /// Provider id.
        provider: String,
        /// Reason given, e.g. `max_output_tokens`.
        reason: String,
    },

    /// The caller cancelled the request.
    #[error("model request was cancelled")]
    Cancelled,
}

impl ModelError {
    /// True when the provider said the input does not fit the model's context window: a
    /// Responses stream failing with `context_length_exceeded`, or an HTTP 400/413 whose body
    /// says so (OpenAI's code, or the wording Chat Completions servers such as vLLM, llama.cpp
    /// and Ollama use).
    pub fn is_context_window_exceeded(&self) -> bool {
        match self {
            ModelError::ResponseFailed { code: Some(code), .. } => {
                code == "context_length_exceeded"
            }
            ModelError::BadRequest { status: 400 | 413, body, .. } => {
                let body = body.to_ascii_lowercase();
                CONTEXT_OVERFLOW_MARKERS.iter().any(|marker| body.contains(marker))
            }
            _ => false,
        }
    }
}

/// Phrases of provider error bodies that mean the prompt is longer than the context window.
const CONTEXT_OVERFLOW_MARKERS: &[&str] = &[
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "prompt is too long",
    "exceeds the context",
];

fn code_suffix(code: &Option<String>) -> String {
    match code {
        Some(code) => format!(" ({code})"),
        None => String::new(),
    }
}

/// The first [`BODY_SNIPPET_CHARS`] characters of a response body, trimmed, for error messages.
pub(crate) fn body_snippet(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_string();
    }
    let mut snippet: String = trimmed.chars().take(BODY_SNIPPET_CHARS).collect();
    if trimmed.chars().count() > BODY_SNIPPET_CHARS {
        snippet.push('…');
    }
    snippet
}
