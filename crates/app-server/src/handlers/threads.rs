//! Serves the thread, turn, review, settings and model methods by calling the [`Engine`].

use std::sync::Arc;

use codex_app_server_protocol::v2::ModelListParams;
use codex_app_server_protocol::v2::ModelListResponse;
use codex_app_server_protocol::v2::ThreadClosedNotification;
use codex_app_server_protocol::v2::ThreadUnsubscribeParams;
use codex_app_server_protocol::v2::ThreadUnsubscribeResponse;
use codex_app_server_protocol::v2::ThreadUnsubscribeStatus;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::ConnectionId;
use serde::Serialize;

use crate::agent_host::notify_connection;
use crate::agent_host::ServerHost;
use crate::config::Config;
use crate::engine::provider::default_model;
use crate::engine::provider::model_entry;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::handlers::to_result;
use crate::processor::turn_origin;
use crate::processor::HandlerResult;
use crate::processor::RequestContext;
use crate::processor::ServerShared;
use crate::subscriptions::Departure;

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
    let host = ServerHost::of(shared);
    let subscribe = |thread_id: &str| {
        if let Ok(mut subscriptions) = shared.subscriptions.lock() {
            subscriptions.subscribe(thread_id, connection);
        }
    };
    let result = match request {
        ClientRequest::ThreadStart(params) => {
            answer(id, engine.start_thread(&host, config, subscribe, params).await)
        }
        ClientRequest::ThreadResume(params) => {
            let thread_id = params.thread_id.clone();
            let resumed = answer(id, engine.resume_thread(config, subscribe, params).await);
            if let Ok(response) = resumed {
                // The response first, then the stored token usage, so the client knows the
                // thread when the usage arrives. (What this arm returns is then discarded.)
                context.defer().respond(Ok(response)).await;
                match engine.stored_token_usage(&thread_id).await {
                    Ok(Some(usage)) => notify_connection(shared, connection, &usage).await,
                    Ok(None) => {}
                    Err(err) => {
                        tracing::warn!(thread = %thread_id, "stored token usage not replayed: {err}")
                    }
                }
                if let Some(plan) = engine.latest_plan(&thread_id) {
                    notify_connection(shared, connection, &plan).await;
                }
                // Approval requests still waiting in the thread go to the new subscriber too.
                let shared = Arc::clone(shared);
                tokio::spawn(async move {
                    shared.questions.resend(&shared, &thread_id, connection).await;
                });
                Ok(serde_json::Value::Null)
            } else {
                resumed
            }
        }
        ClientRequest::ThreadFork(params) => {
            answer(id, engine.fork_thread(&host, config, subscribe, params).await)
        }
        ClientRequest::ThreadList(params) => answer(id, engine.list_threads(params).await),
        ClientRequest::ThreadRead(params) => answer(id, engine.read_thread(params).await),
        ClientRequest::ThreadTurnsList(params) => answer(id, engine.list_turns(params).await),
        ClientRequest::ThreadArchive(params) => {
            let thread_id = params.thread_id.clone();
            let archived = engine.archive_thread(params).await;
            answer(id, tell(shared, &thread_id, connection, archived).await)
        }
        ClientRequest::ThreadUnarchive(params) => {
            let thread_id = params.thread_id.clone();
            let unarchived = engine.unarchive_thread(params).await;
            answer(id, tell(shared, &thread_id, connection, unarchived).await)
        }
        ClientRequest::ThreadSetName(params) => {
            let thread_id = params.thread_id.clone();
            let named = engine.set_thread_name(params).await;
            answer(id, tell(shared, &thread_id, connection, named).await)
        }
        ClientRequest::ThreadLoadedList(params) => to_result(id, &engine.loaded_list(params)),
        ClientRequest::ThreadUnsubscribe(params) => {
            to_result(id, &unsubscribe(engine, shared, connection, params).await)
        }
        ClientRequest::TurnStart(params) => {
            let origin = turn_origin(shared, connection);
            answer(id, engine.start_turn(&host, config, params, origin))
        }
        ClientRequest::ThreadCompactStart(params) => {
            let origin = turn_origin(shared, connection);
            answer(id, engine.start_compaction(&host, config, params, origin).await)
        }
        ClientRequest::ThreadShellCommand(params) => {
            let origin = turn_origin(shared, connection);
            answer(id, engine.shell_command(&host, config, params, origin))
        }
        ClientRequest::ReviewStart(params) => {
            let origin = turn_origin(shared, connection);
            answer(id, engine.start_review(&host, config, subscribe, params, origin).await)
        }
        ClientRequest::PermissionProfileList(params) => {
            answer(id, engine.permission_profiles(params))
        }
        ClientRequest::ThreadSettingsUpdate(params) => {
            let thread_id = params.thread_id.clone();
            let updated = engine.update_thread_settings(params).await;
            answer(id, tell(shared, &thread_id, connection, updated).await)
        }
        ClientRequest::ThreadSearch(params) => answer(id, engine.search_threads(params).await),
        ClientRequest::ThreadItemsList(params) => answer(id, engine.list_items(params).await),
        ClientRequest::ThreadGoalGet(params) => answer(id, engine.goal(params).await),
        ClientRequest::ThreadGoalSet(params) => {
            let thread_id = params.thread_id.clone();
            let set = engine.set_goal(params).await;
            answer(id, tell(shared, &thread_id, connection, set).await)
        }
        ClientRequest::ThreadGoalClear(params) => {
            let thread_id = params.thread_id.clone();
            match engine.clear_goal(params).await {
                Ok((response, Some(notification))) => answer(
                    id,
                    tell(shared, &thread_id, connection, Ok((response, notification))).await,
                ),
                Ok((response, None)) => to_result(id, &response),
                Err(err) => Err(err.to_json_rpc(id.clone())),
            }
        }
        ClientRequest::ThreadBackgroundTerminalsList(params) => {
            answer(id, engine.list_background_terminals(params).await)
        }
        ClientRequest::ThreadBackgroundTerminalsTerminate(params) => {
            answer(id, engine.terminate_background_terminal(params).await)
        }
        ClientRequest::ThreadBackgroundTerminalsClean(params) => {
            answer(id, engine.clean_background_terminals(params).await)
        }
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

/// Sends a thread change's notification to the thread's subscribers plus the requester, then
/// gives back the response.
async fn tell<T>(
    shared: &ServerShared,
    thread_id: &str,
    requester: ConnectionId,
    outcome: Result<(T, ServerNotification), EngineError>,
) -> Result<T, EngineError> {
    let (response, notification) = outcome?;
    let mut audience = shared.subscribers(thread_id);
    if !audience.contains(&requester) {
        audience.push(requester);
    }
    for connection in audience {
        notify_connection(shared, connection, &notification).await;
    }
    Ok(response)
}

/// `thread/unsubscribe`: stops delivering the thread's events to `connection`; the thread
/// unloads (and `thread/closed` is sent) when it was the last subscriber.
async fn unsubscribe(
    engine: &Engine,
    shared: &Arc<ServerShared>,
    connection: ConnectionId,
    params: ThreadUnsubscribeParams,
) -> ThreadUnsubscribeResponse {
    if engine.loaded(&params.thread_id).is_none() {
        return ThreadUnsubscribeResponse { status: ThreadUnsubscribeStatus::NotLoaded };
    }
    let departure = shared
        .subscriptions
        .lock()
        .map(|mut subscriptions| subscriptions.unsubscribe(&params.thread_id, connection))
        .unwrap_or(Departure::NotSubscribed);
    let status = match departure {
        Departure::NotSubscribed => ThreadUnsubscribeStatus::NotSubscribed,
        Departure::OthersRemain => ThreadUnsubscribeStatus::Unsubscribed,
        Departure::LastSubscriberLeft(_) => {
            if engine.unload_if_idle(&ServerHost(Arc::clone(shared)), &params.thread_id) {
                let notification = ServerNotification::ThreadClosed(ThreadClosedNotification {
                    thread_id: params.thread_id.clone(),
                });
                notify_connection(shared, connection, &notification).await;
            }
            ThreadUnsubscribeStatus::Unsubscribed
        }
    };
    ThreadUnsubscribeResponse { status }
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
