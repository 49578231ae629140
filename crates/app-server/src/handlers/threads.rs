//! Serves the thread, turn and model methods by calling the [`Engine`].

use std::sync::Arc;

use codex_app_server_protocol::v2::ModelListParams;
use codex_app_server_protocol::v2::ModelListResponse;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::RequestId;
use serde::Serialize;

use crate::config::Config;
use crate::engine::provider::default_model;
use crate::engine::provider::model_entry;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::handlers::to_result;
use crate::processor::HandlerResult;
use crate::processor::RequestContext;
use crate::processor::ServerShared;

/// Answers `request` when it is a thread, turn or model method; gives it back otherwise.
pub async fn handle(
    engine: &Arc<Engine>,
    shared: &Arc<ServerShared>,
    config: &Config,
    context: &RequestContext,
    request: ClientRequest,
) -> Result<HandlerResult, ClientRequest> {
    let id = &context.id;
    let connection = context.connection;
    let result = match request {
        ClientRequest::ThreadStart(params) => {
            answer(id, engine.start_thread(shared, config, connection, params).await)
        }
        ClientRequest::ThreadResume(params) => {
            let thread_id = params.thread_id.clone();
            let resumed =
                answer(id, engine.resume_thread(shared, config, connection, params).await);
            if let Ok(response) = resumed {
                // The response first, then the stored token usage, so the client knows the
                // thread when the usage arrives. (What this arm returns is then discarded.)
                context.defer().respond(Ok(response)).await;
                if let Err(err) = engine.replay_token_usage(shared, &thread_id, connection).await {
                    tracing::warn!(thread = %thread_id, "stored token usage not replayed: {err}");
                }
                // Approval requests still waiting in the thread go to the new subscriber too.
                let (tools, shared) = (engine.tools(), Arc::clone(shared));
                tokio::spawn(async move {
                    tools.thread_resumed(&shared, &thread_id, connection).await;
                });
                Ok(serde_json::Value::Null)
            } else {
                resumed
            }
        }
        ClientRequest::ThreadFork(params) => {
            answer(id, engine.fork_thread(shared, config, connection, params).await)
        }
        ClientRequest::ThreadList(params) => answer(id, engine.list_threads(params).await),
        ClientRequest::ThreadRead(params) => answer(id, engine.read_thread(params).await),
        ClientRequest::ThreadTurnsList(params) => answer(id, engine.list_turns(params).await),
        ClientRequest::ThreadArchive(params) => {
            let thread_id = params.thread_id.clone();
            let archived = engine.archive_thread(shared, connection, params).await;
            if archived.is_ok() {
                engine.tools().thread_unloaded(&thread_id);
            }
            answer(id, archived)
        }
        ClientRequest::ThreadUnarchive(params) => {
            answer(id, engine.unarchive_thread(shared, connection, params).await)
        }
        ClientRequest::ThreadSetName(params) => {
            answer(id, engine.set_thread_name(shared, connection, params).await)
        }
        ClientRequest::ThreadLoadedList(params) => to_result(id, &engine.loaded_list(params)),
        ClientRequest::ThreadUnsubscribe(params) => {
            to_result(id, &engine.unsubscribe(shared, connection, params).await)
        }
        ClientRequest::TurnStart(params) => answer(id, engine.start_turn(shared, config, params)),
        ClientRequest::TurnInterrupt(params) => answer(id, engine.interrupt_turn(params)),
        ClientRequest::TurnSteer(params) => answer(id, engine.steer_turn(params)),
        ClientRequest::ModelList(params) => {
            to_result(id, &model_list(engine, config, params).await)
        }
        other => return Err(other),
    };
    Ok(result)
}

// The error type is the processor's; boxing it here would buy nothing.
#[allow(clippy::result_large_err)]
fn answer<T: Serialize>(id: &RequestId, result: Result<T, EngineError>) -> HandlerResult {
    match result {
        Ok(response) => to_result(id, &response),
        Err(err) => Err(err.to_json_rpc(id.clone())),
    }
}

/// `model/list`: the configured model first, then what the provider's `GET /models` offers.
async fn model_list(
    engine: &Engine,
    config: &Config,
    params: ModelListParams,
) -> ModelListResponse {
    let provider = params.model_provider.unwrap_or_else(|| config.model_provider.clone());
    let configured = config.model.clone().unwrap_or_else(|| default_model(&provider).to_owned());
    let mut data = vec![model_entry(&configured, true)];
    for slug in engine.providers().provider_models(config, &provider).await {
        if slug != configured {
            data.push(model_entry(&slug, false));
        }
    }
    ModelListResponse { data, next_cursor: None }
}
