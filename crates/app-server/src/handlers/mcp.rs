//! Serves the MCP methods on the agent's [`McpManager`]: `mcpServerStatus/list`,
//! `mcpServer/tool/call` (answered when the call finishes, so the connection's other requests go
//! on meanwhile), `mcpServer/resource/read` and `config/mcpServer/reload`.

use std::sync::Arc;

use codex_agent::mcp::McpManager;
use codex_app_server_protocol::v2::McpServerRefreshResponse;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::RequestId;

use crate::agent_host::ServerHost;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::handlers::to_result;
use crate::processor::HandlerResult;
use crate::processor::RequestContext;
use crate::processor::ServerShared;

/// Whether `thread_id` is a loaded or stored thread.
async fn check_thread(
    engine: &Engine,
    id: &RequestId,
    thread_id: &str,
) -> Result<(), HandlerResult> {
    if engine.loaded(thread_id).is_some() {
        return Ok(());
    }
    match engine.state().thread(thread_id).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            Err(Err(EngineError::ThreadNotFound(thread_id.to_owned()).to_json_rpc(id.clone())))
        }
        Err(err) => Err(Err(EngineError::State(err).to_json_rpc(id.clone()))),
    }
}

/// Answers `request` when it is an MCP method (other than the reload, which needs the config
/// owner); gives it back otherwise.
pub async fn handle(
    manager: &Arc<McpManager>,
    engine: &Arc<Engine>,
    shared: &Arc<ServerShared>,
    context: &RequestContext,
    request: ClientRequest,
) -> Result<HandlerResult, ClientRequest> {
    let id = &context.id;
    let result = match request {
        ClientRequest::McpServerStatusList(params) => match manager.status_list(&params) {
            Ok(response) => to_result(id, &response),
            Err(err) => Err(err.to_json_rpc(id.clone())),
        },
        ClientRequest::McpServerToolCall(params) => {
            if let Err(refused) = check_thread(engine, id, &params.thread_id).await {
                return Ok(refused);
            }
            let deferred = context.defer();
            let manager = Arc::clone(manager);
            let host = ServerHost::of(shared);
            let id = id.clone();
            tokio::spawn(async move {
                let called = manager
                    .call_tool_direct(
                        host,
                        &params.thread_id,
                        &params.server,
                        &params.tool,
                        params.arguments,
                        params.meta,
                    )
                    .await;
                let result = match called {
                    Ok(response) => to_result(&id, &response),
                    Err(err) => Err(err.to_json_rpc(id.clone())),
                };
                deferred.respond(result).await;
            });
            Ok(serde_json::Value::Null)
        }
        ClientRequest::McpResourceRead(params) => {
            if let Some(thread_id) = &params.thread_id {
                if let Err(refused) = check_thread(engine, id, thread_id).await {
                    return Ok(refused);
                }
            }
            match manager.read_resource(&params.server, &params.uri, params.meta).await {
                Ok(mut response) => {
                    response.origin_call_id = params.origin_call_id;
                    to_result(id, &response)
                }
                Err(err) => Err(err.to_json_rpc(id.clone())),
            }
        }
        other => return Err(other),
    };
    Ok(result)
}

/// The `config/mcpServer/reload` result.
pub fn reloaded(id: &RequestId) -> HandlerResult {
    to_result(id, &McpServerRefreshResponse {})
}
