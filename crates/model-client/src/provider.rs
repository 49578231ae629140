//! Model provider configuration: where a provider lives, which wire API it speaks, where its API
//! key comes from, and how patient to be with it. Deserialises from the TOML shape
//! `[model_providers.<id>]`; the built-in providers are `openai` and `ollama`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// Id of the built-in OpenAI provider.
pub const OPENAI_PROVIDER_ID: &str = "openai";
/// Id of the built-in Ollama provider.
pub const OLLAMA_PROVIDER_ID: &str = "ollama";

/// Default number of retries (after the first attempt) for a request that fails before streaming.
pub const DEFAULT_REQUEST_MAX_RETRIES: u32 = 4;
/// Default limit, in milliseconds, on the silence between two stream events.
pub const DEFAULT_STREAM_IDLE_TIMEOUT_MS: u64 = 300_000;

/// Which HTTP API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireApi {
    /// OpenAI Responses API: `POST {base_url}/responses`.
    #[default]
    Responses,
    /// Chat Completions API: `POST {base_url}/chat/completions`.
    Chat,
}

/// One model provider, as written under `[model_providers.<id>]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// Human-readable name, used in error messages.
    #[serde(default)]
    pub name: String,
    /// API root, e.g. `https://api.openai.com/v1` (no trailing `/responses`).
    pub base_url: String,
    /// Which wire API to use.
    #[serde(default)]
    pub wire_api: WireApi,
    /// Environment variable holding the API key; `None` for providers without auth.
    #[serde(default)]
    pub env_key: Option<String>,
    /// Extra headers sent with every request.
    #[serde(default)]
    pub http_headers: BTreeMap<String, String>,
    /// Extra query parameters appended to every URL (e.g. Azure's `api-version`).
    #[serde(default)]
    pub query_params: BTreeMap<String, String>,
    /// Retries after the first attempt for connect errors and 429/5xx before streaming starts.
    #[serde(default = "default_request_max_retries")]
    pub request_max_retries: u32,
    /// Longest silence between two stream events before the stream fails, in milliseconds.
    #[serde(default = "default_stream_idle_timeout_ms")]
    pub stream_idle_timeout_ms: u64,
}

fn default_request_max_retries() -> u32 {
    DEFAULT_REQUEST_MAX_RETRIES
}

fn default_stream_idle_timeout_ms() -> u64 {
    DEFAULT_STREAM_IDLE_TIMEOUT_MS
}

impl ProviderConfig {
    /// A provider with the given name, URL and wire API, and defaults for everything else.
    pub fn new(name: impl Into<String>, base_url: impl Into<String>, wire_api: WireApi) -> Self {
        Self {
            name: name.into(),
            base_url: base_url.into(),
            wire_api,
            env_key: None,
            http_headers: BTreeMap::new(),
            query_params: BTreeMap::new(),
            request_max_retries: DEFAULT_REQUEST_MAX_RETRIES,
            stream_idle_timeout_ms: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
        }
    }

    /// The built-in `openai` provider: Responses API, key in `OPENAI_API_KEY`.
    pub fn openai() -> Self {
        let mut provider = Self::new("OpenAI", "https://api.openai.com/v1", WireApi::Responses);
        provider.env_key = Some("OPENAI_API_KEY".to_string());
        provider
    }

    /// The built-in `ollama` provider: Chat Completions on localhost, no key.
    pub fn ollama() -> Self {
        Self::new("Ollama", "http://localhost:11434/v1", WireApi::Chat)
    }

    /// Sets the env var that holds the API key.
    pub fn with_env_key(mut self, env_key: impl Into<String>) -> Self {
        self.env_key = Some(env_key.into());
        self
    }

    /// Adds a header sent with every request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.http_headers.insert(name.into(), value.into());
        self
    }

    /// Sets the retry count.
    pub fn with_request_max_retries(mut self, retries: u32) -> Self {
        self.request_max_retries = retries;
        self
    }

    /// Sets the stream idle limit.
    pub fn with_stream_idle_timeout(mut self, timeout: Duration) -> Self {
        self.stream_idle_timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// The stream idle limit as a [`Duration`].
    pub fn stream_idle_timeout(&self) -> Duration {
        Duration::from_millis(self.stream_idle_timeout_ms)
    }

    /// `base_url` joined with an endpoint path such as `responses`, plus `query_params`.
    pub fn endpoint_url(&self, path: &str) -> String {
        let mut url = format!("{}/{}", self.base_url.trim_end_matches('/'), path);
        let mut separator = if url.contains('?') { '&' } else { '?' };
        for (key, value) in &self.query_params {
            url.push(separator);
            url.push_str(key);
            url.push('=');
            url.push_str(value);
            separator = '&';
        }
        url
    }

    /// Reads the API key through `lookup` (normally the process environment).
    ///
    /// Returns `Ok(None)` for providers without `env_key`, and [`ModelError::MissingApiKey`]
    /// when the variable is unset or blank.
    pub fn api_key(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ModelError> {
        let Some(env_key) = &self.env_key else {
            return Ok(None);
        };
        match lookup(env_key) {
            Some(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_string())),
            _ => Err(ModelError::MissingApiKey {
                provider: self.name.clone(),
                env_key: env_key.clone(),
            }),
        }
    }
}

/// The built-in providers by id (`openai`, `ollama`).
pub fn built_in_providers() -> BTreeMap<String, ProviderConfig> {
    BTreeMap::from([
        (OPENAI_PROVIDER_ID.to_string(), ProviderConfig::openai()),
        (OLLAMA_PROVIDER_ID.to_string(), ProviderConfig::ollama()),
    ])
}

/// Built-in providers merged with the user's `[model_providers]` table; the user's entries win
/// on equal ids, and an entry without `name` is named after its id.
pub fn merge_providers(user: BTreeMap<String, ProviderConfig>) -> BTreeMap<String, ProviderConfig> {
    let mut providers = built_in_providers();
    for (id, mut provider) in user {
        if provider.name.is_empty() {
            provider.name = id.clone();
        }
        providers.insert(id, provider);
    }
    providers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_url_joins_and_appends_query() {
        let mut provider = ProviderConfig::new("x", "http://h/v1/", WireApi::Chat);
        assert_eq!(provider.endpoint_url("chat/completions"), "http://h/v1/chat/completions");
        provider.query_params.insert("api-version".into(), "2025-04-01".into());
        assert_eq!(
            provider.endpoint_url("responses"),
            "http://h/v1/responses?api-version=2025-04-01"
        );
    }

    #[test]
    fn api_key_missing_blank_and_present() {
        let provider = ProviderConfig::openai();
        let err = provider.api_key(&|_| None).unwrap_err();
        assert!(err.to_string().contains("$OPENAI_API_KEY"), "{err}");
        assert!(provider.api_key(&|_| Some("  ".into())).is_err());
        assert_eq!(provider.api_key(&|_| Some("sk-1".into())).unwrap(), Some("sk-1".into()));
        assert_eq!(ProviderConfig::ollama().api_key(&|_| None).unwrap(), None);
    }

    #[test]
    fn merge_names_user_entries_after_their_id() {
        let mut user = BTreeMap::new();
        user.insert("local".to_string(), ProviderConfig::new("", "http://x", WireApi::Chat));
        let merged = merge_providers(user);
        assert_eq!(merged["local"].name, "local");
        assert_eq!(merged["openai"], ProviderConfig::openai());
        assert_eq!(merged["ollama"].wire_api, WireApi::Chat);
    }
}
