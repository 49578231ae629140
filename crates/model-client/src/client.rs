//! [`ModelClient`]: sends requests to one model provider over HTTP, with the API key from the
//! environment, retries with backoff before streaming begins, and actionable errors; hands back a
//! [`ModelStream`] of events, or the provider's model list.

use std::sync::Arc;
use std::time::Duration;

use eventsource_stream::Eventsource;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::chat_api::{self, ChatDecoder};
use crate::error::{body_snippet, ModelError};
use crate::event::ModelInfo;
use crate::provider::{ProviderConfig, WireApi};
use crate::rate_limits::RateLimitHeaders;
use crate::request::ModelRequest;
use crate::responses_api::{self, ResponsesDecoder};
use crate::retry::{self, RetryPolicy};
use crate::stream::{Decoder, ModelStream};

/// How the client reads an env var (the API key); the process environment by default.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Longest wait for a TCP/TLS connection to the provider.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one model provider. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct ModelClient {
    http: reqwest::Client,
    provider: ProviderConfig,
    retry: RetryPolicy,
    env_lookup: EnvLookup,
    /// The rate-limit headers of the last successful response (shared by clones).
    rate_limits: Arc<std::sync::Mutex<Option<RateLimitHeaders>>>,
}

impl std::fmt::Debug for ModelClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelClient")
            .field("provider", &self.provider)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ModelsPage {
    data: Vec<ModelInfo>,
}

impl ModelClient {
    /// A client for `provider`; fails when its `http_headers` are not valid HTTP headers.
    pub fn new(provider: ProviderConfig) -> Result<Self, ModelError> {
        let provider_name = display_name(&provider);
        let invalid = |message: String| ModelError::InvalidConfig {
            provider: provider_name.clone(),
            message,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &provider.http_headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| invalid(format!("http_headers: bad header name `{name}`: {e}")))?;
            let header_value = HeaderValue::from_str(value)
                .map_err(|e| invalid(format!("http_headers: bad value for `{name}`: {e}")))?;
            headers.insert(header_name, header_value);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("codex-app-server/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| invalid(format!("cannot build HTTP client: {e}")))?;
        Ok(Self {
            http,
            provider,
            retry: RetryPolicy::default(),
            env_lookup: Arc::new(|name| std::env::var(name).ok()),
            rate_limits: Arc::default(),
        })
    }

    /// Replaces the backoff timing (tests use short delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces how env vars are read (for keys held elsewhere than the process environment).
    pub fn with_env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env_lookup = Arc::new(lookup);
        self
    }

    /// The provider this client talks to.
    pub fn provider(&self) -> &ProviderConfig {
        &self.provider
    }

    /// The `x-ratelimit-*` headers of the last successful response that had any.
    pub fn rate_limits(&self) -> Option<RateLimitHeaders> {
        self.rate_limits.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Starts a streamed response. Resolves once the provider answered 200 (after any retries);
    /// HTTP errors come back here, later failures as stream items.
    pub async fn stream(&self, request: &ModelRequest) -> Result<ModelStream, ModelError> {
        self.stream_with_cancel(request, CancellationToken::new()).await
    }

    /// Like [`ModelClient::stream`], stopping with [`ModelError::Cancelled`] (and closing the
    /// connection) as soon as `cancel` fires, whether before or during streaming.
    pub async fn stream_with_cancel(
        &self,
        request: &ModelRequest,
        cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        let (path, body, decoder) = match self.provider.wire_api {
            WireApi::Responses => (
                "responses",
                responses_api::request_body(request),
                Decoder::Responses(ResponsesDecoder::new(display_name(&self.provider))),
            ),
            WireApi::Chat => (
                "chat/completions",
                chat_api::request_body(request),
                Decoder::Chat(ChatDecoder::new(display_name(&self.provider))),
            ),
        };
        let extra_headers = self.request_headers(&request.headers);
        let response = self
            .send(Method::POST, path, Some(&body), &extra_headers, &request.model, &cancel)
            .await?;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") {
            // A JSON answer to a streaming request: the server ignored `stream: true`, or sent
            // an error with status 200. Either way there is no stream to read.
            let url = response.url().to_string();
            let text = response.text().await.unwrap_or_default();
            return Err(ModelError::InvalidResponse {
                provider: display_name(&self.provider),
                url,
                message: format!(
                    "expected an event stream (text/event-stream) but got JSON: {}",
                    body_snippet(&text)
                ),
            });
        }
        let events = response.bytes_stream().eventsource();
        Ok(ModelStream::new(
            events,
            decoder,
            self.provider.stream_idle_timeout(),
            cancel,
            display_name(&self.provider),
        ))
    }

    /// The provider's models: `GET {base_url}/models`, OpenAI-style `{"data":[{"id":..}]}`.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, ModelError> {
        let cancel = CancellationToken::new();
        let response =
            self.send(Method::GET, "models", None, &HeaderMap::new(), "", &cancel).await?;
        let url = response.url().to_string();
        let page: ModelsPage = response.json().await.map_err(|e| ModelError::InvalidResponse {
            provider: display_name(&self.provider),
            url,
            message: error_chain(&e),
        })?;
        Ok(page.data)
    }

    /// A request's extra headers as a map (a later duplicate wins); invalid names or values are
    /// skipped with a warning, so a bad header never fails the turn.
    fn request_headers(&self, headers: &[(String, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let Ok(header_name) = HeaderName::from_bytes(name.as_bytes()) else {
                tracing::warn!(
                    provider = %display_name(&self.provider),
                    "skipping request header with invalid name `{}`",
                    name.escape_debug()
                );
                continue;
            };
            let Ok(header_value) = HeaderValue::from_str(value) else {
                tracing::warn!(
                    provider = %display_name(&self.provider),
                    "skipping request header `{name}`: invalid value `{}`",
                    value.escape_debug()
                );
                continue;
            };
            map.insert(header_name, header_value);
        }
        map
    }

    /// Sends one request, retrying connect failures, timeouts, 429 and 5xx with backoff. The
    /// `extra_headers` go on last, replacing same-named defaults.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        extra_headers: &HeaderMap,
        model: &str,
        cancel: &CancellationToken,
    ) -> Result<reqwest::Response, ModelError> {
        let api_key = self.provider.api_key(self.env_lookup.as_ref())?;
        let url = self.provider.endpoint_url(path);
        let max_attempts = self.provider.request_max_retries.saturating_add(1);
        let wait_limit = self.provider.stream_idle_timeout();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut builder = self.http.request(method.clone(), &url);
            if let Some(key) = &api_key {
                builder = builder.bearer_auth(key);
            }
            if let Some(body) = body {
                builder = builder.header(ACCEPT, "text/event-stream").json(body);
            }
            if !extra_headers.is_empty() {
                builder = builder.headers(extra_headers.clone());
            }
            let outcome = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(ModelError::Cancelled),
                outcome = tokio::time::timeout(wait_limit, builder.send()) => outcome,
            };
            let (failure, retry_after) = match outcome {
                Ok(Ok(response)) if response.status().is_success() => {
                    if let Some(limits) = RateLimitHeaders::from_headers(response.headers()) {
                        *self
                            .rate_limits
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(limits);
                    }
                    return Ok(response);
                }
                Ok(Ok(response)) => {
                    let status = response.status();
                    let retry_after = retry::retry_after(response.headers());
                    let text = tokio::select! {
                        biased;
                        () = cancel.cancelled() => return Err(ModelError::Cancelled),
                        text = response.text() => text.unwrap_or_default(),
                    };
                    let error = self.status_error(status, &url, model, attempt, &text);
                    if !retry::is_retryable_status(status) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Ok(Err(error)) if error.is_builder() => {
                    return Err(ModelError::InvalidConfig {
                        provider: display_name(&self.provider),
                        message: error_chain(&error),
                    });
                }
                Ok(Err(error)) => (self.connect_error(&url, attempt, error_chain(&error)), None),
                Err(_elapsed) => {
                    let message = format!("no response within {} ms", wait_limit.as_millis());
                    (self.connect_error(&url, attempt, message), None)
                }
            };
            if attempt >= max_attempts {
                return Err(failure);
            }
            let delay = self.retry.delay(attempt, retry_after);
            tracing::warn!(
                provider = %display_name(&self.provider),
                attempt,
                delay_ms = delay.as_millis() as u64,
                "model request failed, retrying: {failure}"
            );
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(ModelError::Cancelled),
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    fn connect_error(&self, url: &str, attempts: u32, message: String) -> ModelError {
        ModelError::Connect {
            provider: display_name(&self.provider),
            url: url.to_string(),
            attempts,
            message,
        }
    }

    /// The error for a non-success status, worded for the person who must fix it.
    fn status_error(
        &self,
        status: StatusCode,
        url: &str,
        model: &str,
        attempts: u32,
        body: &str,
    ) -> ModelError {
        let provider = display_name(&self.provider);
        let body = body_snippet(body);
        let code = status.as_u16();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let hint = match &self.provider.env_key {
                    Some(env_key) => format!("check the API key in ${env_key}"),
                    None => "the provider wants credentials; set `env_key` to the environment \
                             variable holding its API key"
                        .to_string(),
                };
                ModelError::Unauthorized { provider, status: code, hint, body }
            }
            StatusCode::NOT_FOUND => ModelError::NotFound {
                provider,
                url: url.to_string(),
                model: model.to_string(),
                body,
            },
            StatusCode::TOO_MANY_REQUESTS => ModelError::RateLimited { provider, attempts, body },
            status if status.is_server_error() => {
                ModelError::ServerError { provider, status: code, attempts, body }
            }
            _ => ModelError::BadRequest { provider, url: url.to_string(), status: code, body },
        }
    }
}

/// The provider's name for messages, falling back to its URL.
fn display_name(provider: &ProviderConfig) -> String {
    if provider.name.is_empty() {
        provider.base_url.clone()
    } else {
        provider.name.clone()
    }
}

/// An error and its sources joined with `: ` (reqwest hides the useful part in `source()`).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
