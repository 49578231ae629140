//! Accounts: `account/read`, signing in with an API key (`account/login/start`), signing out
//! (`account/logout`), `account/rateLimits/read` and the Bedrock GovCloud check.
//!
//! The key is stored in `$CODEX_HOME/auth.json` (mode 0600) by [`codex_agent::auth`], and model
//! clients read it from there on every request, so it is the bearer token of the next model
//! request. A sign-in answers first, then every connection is told
//! `account/login/completed` and `account/updated`; a sign-out answers, then `account/updated`
//! with no auth mode. Rate limits come from the `x-ratelimit-*` headers of the configured
//! provider's last response (ChatGPT usage limits do not apply: this server signs in with API
//! keys only).

use std::sync::Arc;

use codex_agent::auth;
use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::Account;
use codex_app_server_protocol::v2::AccountLoginCompletedNotification;
use codex_app_server_protocol::v2::AccountUpdatedNotification;
use codex_app_server_protocol::v2::AuthMode;
use codex_app_server_protocol::v2::BedrockCheckGovCloudRequirementsResponse;
use codex_app_server_protocol::v2::GetAccountRateLimitsResponse;
use codex_app_server_protocol::v2::GetAccountResponse;
use codex_app_server_protocol::v2::LoginAccountParams;
use codex_app_server_protocol::v2::LoginAccountResponse;
use codex_app_server_protocol::v2::LogoutAccountResponse;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;

use crate::agent_host::notify_connection;
use crate::config::Config;
use crate::engine::provider::rate_limit_snapshot;
use crate::engine::Engine;
use crate::handlers::to_result;
use crate::processor::HandlerResult;
use crate::processor::RequestContext;
use crate::processor::ServerShared;

/// Answers `request` when it is an account method; gives it back otherwise.
pub async fn handle(
    engine: &Engine,
    shared: &Arc<ServerShared>,
    config: &Config,
    context: &RequestContext,
    request: ClientRequest,
) -> Result<HandlerResult, ClientRequest> {
    let id = &context.id;
    let result = match request {
        ClientRequest::GetAccount(_) => to_result(id, &account_read(config)),
        ClientRequest::LoginAccount(params) => login(shared, config, context, params).await,
        ClientRequest::LogoutAccount(()) => logout(shared, config, context).await,
        ClientRequest::GetAccountRateLimits(_) => rate_limits(engine, config, id),
        ClientRequest::BedrockCheckGovCloudRequirements(_) => to_result(
            id,
            // This server has no Bedrock sign-in, so there is no GovCloud region to warn about.
            &BedrockCheckGovCloudRequirementsResponse { is_gov_cloud: false, should_warn: false },
        ),
        other => return Err(other),
    };
    Ok(result)
}

/// `account/read`: the API-key account when a key is stored; a sign-in is required only by
/// providers configured to need one.
pub fn account_read(config: &Config) -> GetAccountResponse {
    GetAccountResponse {
        account: auth::stored_api_key(&config.codex_home).map(|_| Account::ApiKey {}),
        requires_openai_auth: config.provider_requires_login(),
        user_id: None,
    }
}

fn error(id: &RequestId, code: i64, message: impl Into<String>) -> JsonRpcError {
    JsonRpcError::new(Some(id.clone()), code, message)
}

/// Sends `notification` to every initialized connection.
async fn broadcast(shared: &ServerShared, notification: &ServerNotification) {
    for connection in shared.router.connection_ids() {
        notify_connection(shared, connection, notification).await;
    }
}

async fn login(
    shared: &Arc<ServerShared>,
    config: &Config,
    context: &RequestContext,
    params: LoginAccountParams,
) -> HandlerResult {
    let id = &context.id;
    let key = match params {
        LoginAccountParams::ApiKey { api_key } => api_key,
        other => {
            return Err(error(
                id,
                error_codes::INVALID_REQUEST,
                format!(
                    "{} sign-in is not supported by this server; sign in with an API key \
                     ({{\"type\": \"apiKey\", \"apiKey\": \"sk-…\"}})",
                    other.kind()
                ),
            ))
        }
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(error(id, error_codes::INVALID_PARAMS, "apiKey must not be empty"));
    }
    auth::store_api_key(&config.codex_home, key).map_err(|err| {
        error(
            id,
            error_codes::INTERNAL_ERROR,
            format!("storing the API key in {} failed: {err}", auth::AUTH_FILE),
        )
    })?;
    tracing::info!("signed in with an API key (stored in {})", auth::AUTH_FILE);
    // The answer first, then the notifications, as the reference orders them.
    context.defer().respond(to_result(id, &LoginAccountResponse::ApiKey {})).await;
    let completed = ServerNotification::AccountLoginCompleted(AccountLoginCompletedNotification {
        error: None,
        login_id: None,
        success: true,
    });
    broadcast(shared, &completed).await;
    let updated = ServerNotification::AccountUpdated(AccountUpdatedNotification {
        auth_mode: Some(AuthMode::Apikey),
        plan_type: None,
    });
    broadcast(shared, &updated).await;
    Ok(serde_json::Value::Null)
}

async fn logout(
    shared: &Arc<ServerShared>,
    config: &Config,
    context: &RequestContext,
) -> HandlerResult {
    let id = &context.id;
    let removed = auth::remove_auth(&config.codex_home).map_err(|err| {
        error(
            id,
            error_codes::INTERNAL_ERROR,
            format!("removing {} failed: {err}", auth::AUTH_FILE),
        )
    })?;
    if removed {
        tracing::info!("signed out: removed {}", auth::AUTH_FILE);
    }
    context.defer().respond(to_result(id, &LogoutAccountResponse {})).await;
    let updated = ServerNotification::AccountUpdated(AccountUpdatedNotification {
        auth_mode: None,
        plan_type: None,
    });
    broadcast(shared, &updated).await;
    Ok(serde_json::Value::Null)
}

/// `account/rateLimits/read`: the configured provider's rate limits as its last response stated
/// them.
fn rate_limits(engine: &Engine, config: &Config, id: &RequestId) -> HandlerResult {
    let provider = &config.model_provider;
    let headers = engine.providers().rate_limits(provider).ok_or_else(|| {
        error(
            id,
            error_codes::INVALID_REQUEST,
            format!(
                "no rate limits known yet for model provider `{provider}`: they come from the \
                 x-ratelimit-* headers of its responses; run a turn first"
            ),
        )
    })?;
    let snapshot = rate_limit_snapshot(&headers, provider).ok_or_else(|| {
        error(
            id,
            error_codes::INVALID_REQUEST,
            format!(
                "model provider `{provider}` sent x-ratelimit-* headers without a limit and \
                 remaining count for requests or tokens"
            ),
        )
    })?;
    to_result(
        id,
        &GetAccountRateLimitsResponse { rate_limits: snapshot, rate_limits_by_limit_id: None },
    )
}
