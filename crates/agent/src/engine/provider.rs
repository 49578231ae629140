//! Model providers as the engine uses them: resolving a provider id from config (the user's
//! `[model_providers.<id>]` tables merged over the built-in `openai` and `ollama`), one shared
//! [`ModelClient`] per provider, and the cached answer of the provider's `GET /models`.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use codex_app_server_protocol::v2::InputModality;
use codex_app_server_protocol::v2::Model;
use codex_app_server_protocol::v2::RateLimitSnapshot;
use codex_app_server_protocol::v2::RateLimitWindow;
use codex_app_server_protocol::v2::ReasoningEffortOption;
use codex_model_client::merge_providers;
use codex_model_client::ModelClient;
use codex_model_client::ProviderConfig;
use codex_model_client::RateLimitHeaders;
use codex_model_client::OLLAMA_PROVIDER_ID;

use crate::config::Config;
use crate::engine::EngineError;

/// How long `model/list` waits for the provider's model list.
const MODEL_LIST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a provider's model list is reused.
const MODEL_LIST_TTL: Duration = Duration::from_secs(300);
/// How long a failed model-list fetch is remembered (so `model/list` does not stall each time).
const MODEL_LIST_FAILURE_TTL: Duration = Duration::from_secs(60);

/// The model used when neither the request nor config names one.
pub fn default_model(provider_id: &str) -> &'static str {
    if provider_id == OLLAMA_PROVIDER_ID {
        "llama3.2"
    } else {
        "gpt-5"
    }
}

/// Every provider config knows: the built-ins with the user's tables merged over them.
pub fn configured_providers(
    config: &Config,
) -> Result<BTreeMap<String, ProviderConfig>, EngineError> {
    let mut user = BTreeMap::new();
    for (id, table) in &config.model_providers {
        let provider: ProviderConfig =
            toml::Value::Table(table.clone()).try_into().map_err(|err: toml::de::Error| {
                EngineError::Provider(format!(
                    "invalid [model_providers.{id}] in {}: {}",
                    config.file.display(),
                    err.to_string().trim()
                ))
            })?;
        user.insert(id.clone(), provider);
    }
    Ok(merge_providers(user))
}

/// The provider with `id`.
pub fn resolve_provider(config: &Config, id: &str) -> Result<ProviderConfig, EngineError> {
    let mut providers = configured_providers(config)?;
    let known = providers.keys().cloned().collect::<Vec<_>>().join(", ");
    providers.remove(id).ok_or_else(|| {
        EngineError::Provider(format!(
            "unknown model provider `{id}`: define [model_providers.{id}] in {} (known providers: {known})",
            config.file.display()
        ))
    })
}

#[derive(Debug, Clone)]
enum ModelListEntry {
    Fetched { at: Instant, models: Vec<String> },
    Failed { at: Instant },
}

/// Shared provider clients and model lists; clones share them.
#[derive(Default, Clone)]
pub struct ProviderCache {
    clients: Arc<Mutex<HashMap<String, (ProviderConfig, ModelClient)>>>,
    models: Arc<tokio::sync::Mutex<HashMap<String, ModelListEntry>>>,
}

impl std::fmt::Debug for ProviderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderCache").finish_non_exhaustive()
    }
}

impl ProviderCache {
    /// Like [`Self::client`], building a new client (slow: TLS roots load) off the async threads.
    pub async fn client_async(
        &self,
        config: &Config,
        id: &str,
    ) -> Result<ModelClient, EngineError> {
        let cache = self.clone();
        let config = config.clone();
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || cache.client(&config, &id)).await.map_err(|err| {
            EngineError::Provider(format!("building the model client failed: {err}"))
        })?
    }

    /// The client for provider `id` as config defines it now (rebuilt when its config changed).
    /// Building one loads TLS roots, which is slow: call it from blocking threads.
    pub fn client(&self, config: &Config, id: &str) -> Result<ModelClient, EngineError> {
        let provider = resolve_provider(config, id)?;
        let mut clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached, client)) = clients.get(id) {
            if *cached == provider {
                return Ok(client.clone());
            }
        }
        let client = ModelClient::new(provider.clone())
            .map_err(|err| EngineError::Provider(err.to_string()))?
            .with_env_lookup(crate::auth::key_lookup(config.codex_home.clone()));
        clients.insert(id.to_owned(), (provider, client.clone()));
        Ok(client)
    }

    /// The rate-limit headers provider `id` sent with its last successful response, if any.
    pub fn rate_limits(&self, id: &str) -> Option<RateLimitHeaders> {
        let clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        clients.get(id).and_then(|(_, client)| client.rate_limits())
    }

    /// The model slugs of provider `id`: `GET {base_url}/models`, cached; empty when it fails.
    pub async fn provider_models(&self, config: &Config, id: &str) -> Vec<String> {
        let mut cache = self.models.lock().await;
        match cache.get(id) {
            Some(ModelListEntry::Fetched { at, models }) if at.elapsed() < MODEL_LIST_TTL => {
                return models.clone();
            }
            Some(ModelListEntry::Failed { at }) if at.elapsed() < MODEL_LIST_FAILURE_TTL => {
                return Vec::new();
            }
            _ => {}
        }
        let fetched = match self.client_async(config, id).await {
            Ok(client) => {
                match tokio::time::timeout(MODEL_LIST_TIMEOUT, client.list_models()).await {
                    Ok(Ok(models)) => {
                        Some(models.into_iter().map(|model| model.id).collect::<Vec<_>>())
                    }
                    Ok(Err(err)) => {
                        tracing::info!(provider = id, "model list unavailable: {err}");
                        None
                    }
                    Err(_) => {
                        tracing::info!(provider = id, "model list timed out");
                        None
                    }
                }
            }
            Err(err) => {
                tracing::info!(provider = id, "model list unavailable: {err}");
                None
            }
        };
        let at = Instant::now();
        match fetched {
            Some(models) => {
                cache.insert(id.to_owned(), ModelListEntry::Fetched { at, models: models.clone() });
                models
            }
            None => {
                cache.insert(id.to_owned(), ModelListEntry::Failed { at });
                Vec::new()
            }
        }
    }
}

/// Rate-limit headers as a wire snapshot: the requests window as `primary`, the tokens window
/// as `secondary` (each with the share used and when it resets); `None` when the headers state
/// neither.
pub fn rate_limit_snapshot(
    headers: &RateLimitHeaders,
    provider: &str,
) -> Option<RateLimitSnapshot> {
    let received = headers.received_at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let window = |kind: &str| {
        headers.reading(kind).map(|reading| RateLimitWindow {
            resets_at: reading
                .reset
                .map(|reset| i64::try_from((received + reset).as_secs()).unwrap_or(i64::MAX)),
            used_percent: i32::try_from(reading.used_percent()).unwrap_or(100),
            window_duration_mins: None,
        })
    };
    let primary = window("requests");
    let secondary = window("tokens");
    if primary.is_none() && secondary.is_none() {
        return None;
    }
    Some(RateLimitSnapshot {
        limit_id: Some(provider.to_owned()),
        limit_name: Some(format!("{provider} API rate limits (requests, tokens)")),
        primary,
        secondary,
        plan_type: None,
    })
}

/// The wire `Model` for slug `id`.
pub fn model_entry(id: &str, is_default: bool) -> Model {
    let info = crate::context::model_info(id);
    let effort = |name: &str, description: &str| ReasoningEffortOption {
        description: description.to_owned(),
        reasoning_effort: name.to_owned(),
    };
    let supported_reasoning_efforts = if info.reasoning {
        vec![
            effort("low", "Fast responses with lighter reasoning"),
            effort("medium", "Balances speed and reasoning depth"),
            effort("high", "Greater reasoning depth for complex problems"),
        ]
    } else {
        Vec::new()
    };
    let default_reasoning_effort = info
        .default_effort
        .and_then(|effort| serde_json::to_value(effort).ok())
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| "medium".to_owned());
    let window = info
        .context_window
        .map(|tokens| format!(", {}k-token context", tokens / 1000))
        .unwrap_or_default();
    Model {
        additional_speed_tiers: Vec::new(),
        default_reasoning_effort,
        default_service_tier: None,
        description: if is_default {
            format!("{id} (configured model{window})")
        } else {
            format!("{id} (offered by the model provider{window})")
        },
        display_name: id.to_owned(),
        hidden: false,
        id: id.to_owned(),
        input_modalities: vec![InputModality::Text, InputModality::Image],
        is_default,
        model: id.to_owned(),
        model_specialty: None,
        service_tiers: Vec::new(),
        supported_reasoning_efforts,
        supports_personality: None,
        upgrade: None,
        upgrade_info: None,
    }
}
