//! [`McpManager`]: every configured MCP server of this app-server, their lifecycle, and what the
//! model and clients reach through them.
//!
//! Servers are shared by all threads. [`McpManager::start`] starts each enabled server in a task
//! of its own, so a slow or broken server never holds up the app-server, a turn or another
//! server; each start is bounded by its `startup_timeout_sec` and every state change is
//! broadcast as `mcpServer/startupStatus/updated` and logged. A server that exits while ready is
//! marked failed and started again in the background. [`McpManager::reload`] applies a new
//! config: servers whose settings changed are restarted, removed ones stopped, others kept.
//!
//! The tools of ready servers are offered to the model under the names of
//! [`crate::mcp::naming`]; the index from those names back to the server and raw tool is rebuilt
//! whenever a server becomes ready or stops being ready.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;

use codex_app_server_protocol::v2::ListMcpServerStatusParams;
use codex_app_server_protocol::v2::ListMcpServerStatusResponse;
use codex_app_server_protocol::v2::McpAuthStatus;
use codex_app_server_protocol::v2::McpResourceReadResponse;
use codex_app_server_protocol::v2::McpServerConnectionStatus;
use codex_app_server_protocol::v2::McpServerStartupState;
use codex_app_server_protocol::v2::McpServerStatus;
use codex_app_server_protocol::v2::McpServerStatusDetail;
use codex_app_server_protocol::v2::McpServerStatusUpdatedNotification;
use codex_app_server_protocol::v2::McpServerToolCallResponse;
use codex_app_server_protocol::ServerNotification;
use codex_model_client::FunctionTool;
use rmcp::service::RunningService;
use rmcp::RoleClient;
use serde_json::Map;
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::host::AgentHost;
use crate::mcp::config::ApprovalMode;
use crate::mcp::config::McpServerConfig;
use crate::mcp::config::McpServerSpec;
use crate::mcp::config::McpTransport;
use crate::mcp::connection::connect;
use crate::mcp::connection::ActiveCalls;
use crate::mcp::connection::CallFailure;
use crate::mcp::connection::Connection;
use crate::mcp::connection::McpClient;
use crate::mcp::naming::assign_names;
use crate::mcp::naming::normalize_input_schema;
use crate::mcp::McpError;

/// How long reading a resource may take.
const RESOURCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping server gets to close before its process group is killed.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Where one server stands.
#[derive(Debug, Clone)]
pub(crate) enum ServerState {
    /// `enabled = false`.
    Disabled,
    /// Starting.
    Starting,
    /// Serving.
    Ready(Arc<Connection>),
    /// Start failed, or the server exited; the message names the server and the cause.
    Failed(String),
    /// The start was cancelled (config reload or shutdown).
    Cancelled,
}

impl ServerState {
    fn runtime_status(&self) -> McpServerConnectionStatus {
        match self {
            ServerState::Disabled => McpServerConnectionStatus::Disabled,
            ServerState::Starting => McpServerConnectionStatus::Starting,
            ServerState::Ready(_) => McpServerConnectionStatus::Connected,
            ServerState::Failed(_) => McpServerConnectionStatus::Failed,
            ServerState::Cancelled => McpServerConnectionStatus::Cancelled,
        }
    }
}

/// One configured server.
pub(crate) struct ServerSlot {
    pub name: String,
    pub spec: McpServerSpec,
    state: watch::Sender<ServerState>,
    /// Fires when the server is stopped (reload, shutdown).
    stop: CancellationToken,
    /// Calls running on it (where progress and elicitations go).
    pub calls: Arc<ActiveCalls>,
}

impl ServerSlot {
    fn new(name: &str, spec: McpServerSpec) -> Self {
        let initial = match &spec {
            McpServerSpec::Valid(config) if !config.enabled => ServerState::Disabled,
            McpServerSpec::Valid(_) => ServerState::Starting,
            McpServerSpec::Invalid(message) => ServerState::Failed(message.clone()),
        };
        Self {
            name: name.to_owned(),
            spec,
            state: watch::channel(initial).0,
            stop: CancellationToken::new(),
            calls: Arc::default(),
        }
    }

    pub(crate) fn state(&self) -> ServerState {
        self.state.borrow().clone()
    }

    pub(crate) fn config(&self) -> Option<&McpServerConfig> {
        match &self.spec {
            McpServerSpec::Valid(config) => Some(config),
            McpServerSpec::Invalid(_) => None,
        }
    }
}

/// A model-visible MCP tool.
#[derive(Debug, Clone)]
pub struct McpToolEntry {
    /// The server's name.
    pub server: String,
    /// The tool as the server described it.
    pub tool: rmcp::model::Tool,
    /// The name the model calls it by.
    pub model_name: String,
    /// The server's approval mode for it.
    pub approval_mode: ApprovalMode,
    /// The server's `tool_timeout_sec`.
    pub timeout: Duration,
}

impl McpToolEntry {
    /// The tool's `readOnlyHint`, if annotated.
    pub fn read_only_hint(&self) -> Option<bool> {
        self.tool.annotations.as_ref().and_then(|annotations| annotations.read_only_hint)
    }
}

/// The tools offered to the model, and the way back from their names.
#[derive(Debug, Default)]
struct ToolIndex {
    tools: Vec<FunctionTool>,
    by_name: HashMap<String, Arc<McpToolEntry>>,
}

/// Every MCP server of the app-server.
#[derive(Default)]
pub struct McpManager {
    servers: Mutex<BTreeMap<String, Arc<ServerSlot>>>,
    host: Mutex<Option<Arc<dyn AgentHost>>>,
    index: Mutex<Arc<ToolIndex>>,
    /// The config file, where "don't ask again" approvals are written.
    config_file: Mutex<Option<PathBuf>>,
    /// Tools approved for the rest of a thread's session: thread → (server, tool).
    session_approvals: Mutex<HashMap<String, HashSet<(String, String)>>>,
}

impl std::fmt::Debug for McpManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = lock(&self.servers).keys().cloned().collect();
        f.debug_struct("McpManager").field("servers", &names).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `scheme://host[:port]` of `url`, without credentials, path, query or fragment.
fn http_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

impl McpManager {
    /// A manager with no servers.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Where status changes are broadcast and server questions asked (set once the host exists).
    pub fn attach_host(&self, host: Arc<dyn AgentHost>) {
        *lock(&self.host) = Some(host);
    }

    fn host(&self) -> Option<Arc<dyn AgentHost>> {
        lock(&self.host).clone()
    }

    /// Starts every configured server in the background.
    pub fn start(self: &Arc<Self>, config: &Config) {
        self.reload(config);
    }

    /// Applies `config`: stops removed servers, restarts changed ones, starts new ones, keeps
    /// the rest running.
    pub fn reload(self: &Arc<Self>, config: &Config) {
        *lock(&self.config_file) = Some(config.file.clone());
        let mut to_start = Vec::new();
        let mut stopped = Vec::new();
        {
            let mut servers = lock(&self.servers);
            servers.retain(|name, slot| {
                let keep = config.mcp_servers.get(name) == Some(&slot.spec);
                if !keep {
                    stopped.push(Arc::clone(slot));
                }
                keep
            });
            for (name, spec) in &config.mcp_servers {
                if servers.contains_key(name) {
                    continue;
                }
                let slot = Arc::new(ServerSlot::new(name, spec.clone()));
                servers.insert(name.clone(), Arc::clone(&slot));
                to_start.push(slot);
            }
        }
        for slot in stopped {
            tracing::info!(server = %slot.name, "stopping MCP server (removed or changed in config)");
            slot.stop.cancel();
        }
        self.rebuild_index();
        for slot in to_start {
            match slot.state() {
                ServerState::Starting => {
                    let manager = Arc::clone(self);
                    tokio::spawn(manager.supervise(slot));
                }
                ServerState::Failed(message) => {
                    tracing::error!("{message}");
                    let manager = Arc::clone(self);
                    tokio::spawn(async move {
                        manager
                            .announce(&slot.name, McpServerStartupState::Failed, Some(message))
                            .await
                    });
                }
                _ => {}
            }
        }
    }

    /// Stops every server (their process groups are killed).
    pub fn shutdown(&self) {
        let servers = std::mem::take(&mut *lock(&self.servers));
        for slot in servers.values() {
            slot.stop.cancel();
            slot.state.send_replace(ServerState::Cancelled);
        }
        *lock(&self.index) = Arc::default();
    }

    async fn announce(&self, name: &str, status: McpServerStartupState, error: Option<String>) {
        let Some(host) = self.host() else { return };
        let event =
            ServerNotification::McpServerStatusUpdated(McpServerStatusUpdatedNotification {
                error,
                name: name.to_owned(),
                status,
                thread_id: None,
            });
        host.broadcast(&event).await;
    }

    /// Sets a slot's state (unless it was stopped) and rebuilds the tool index.
    fn set_state(&self, slot: &ServerSlot, state: ServerState) {
        slot.state.send_replace(state);
        self.rebuild_index();
    }

    /// Starts a server, and starts it again whenever it exits while ready, until it is stopped
    /// or a start fails.
    async fn supervise(self: Arc<Self>, slot: Arc<ServerSlot>) {
        while let Some((connection, service)) = self.start_once(&slot).await {
            if !self.watch(&slot, connection, service).await {
                return;
            }
            slot.state.send_replace(ServerState::Starting);
        }
    }

    /// One start of `slot`, bounded by its startup timeout.
    async fn start_once(
        &self,
        slot: &ServerSlot,
    ) -> Option<(Arc<Connection>, RunningService<RoleClient, McpClient>)> {
        let config = slot.config().cloned()?;
        let name = slot.name.clone();
        self.announce(&name, McpServerStartupState::Starting, None).await;
        let client = McpClient::new(&name, Arc::clone(&slot.calls));
        let started = tokio::select! {
            biased;
            () = slot.stop.cancelled() => {
                slot.state.send_replace(ServerState::Cancelled);
                self.announce(&name, McpServerStartupState::Cancelled, None).await;
                return None;
            }
            started = tokio::time::timeout(config.startup_timeout, connect(&name, &config, client)) => started,
        };
        let failure = match started {
            Ok(Ok((connection, service))) => {
                let connection = Arc::new(connection);
                tracing::info!(
                    server = %name,
                    tools = connection.inventory.tools.len(),
                    "MCP server ready"
                );
                self.set_state(slot, ServerState::Ready(Arc::clone(&connection)));
                self.announce(&name, McpServerStartupState::Ready, None).await;
                return Some((connection, service));
            }
            Ok(Err(message)) => format!("MCP server `{name}` failed to start: {message}"),
            Err(_) => format!(
                "MCP server `{name}` did not start within {} s (initialize and tools/list); raise \
                 startup_timeout_sec in [mcp_servers.{name}] if it needs longer",
                config.startup_timeout.as_secs_f64()
            ),
        };
        if config.required {
            tracing::error!("{failure} (the server is marked required)");
        } else {
            tracing::warn!("{failure}");
        }
        self.set_state(slot, ServerState::Failed(failure.clone()));
        self.announce(&name, McpServerStartupState::Failed, Some(failure)).await;
        None
    }

    /// Waits for a ready server's connection to end. A stop closes it (returns false); an exit
    /// marks the server failed and returns true (start it again).
    async fn watch(
        &self,
        slot: &ServerSlot,
        connection: Arc<Connection>,
        service: RunningService<RoleClient, McpClient>,
    ) -> bool {
        let cancel = service.cancellation_token();
        let waiting = service.waiting();
        tokio::pin!(waiting);
        tokio::select! {
            reason = &mut waiting => {
                let still_current = matches!(
                    &*slot.state.borrow(),
                    ServerState::Ready(current) if Arc::ptr_eq(current, &connection)
                );
                // Dropping the connection kills what is left of its process group.
                drop(connection);
                if !still_current || slot.stop.is_cancelled() {
                    return false;
                }
                let reason = match reason {
                    Ok(reason) => format!("{reason:?}").to_lowercase(),
                    Err(err) => err.to_string(),
                };
                let message =
                    format!("MCP server `{}` exited ({reason}); starting it again", slot.name);
                tracing::warn!("{message}");
                self.set_state(slot, ServerState::Failed(message.clone()));
                self.announce(&slot.name, McpServerStartupState::Failed, Some(message)).await;
                !slot.stop.is_cancelled()
            }
            () = slot.stop.cancelled() => {
                cancel.cancel();
                let _ = tokio::time::timeout(STOP_GRACE, &mut waiting).await;
                drop(connection);
                false
            }
        }
    }

    fn rebuild_index(&self) {
        let mut entries: Vec<(String, rmcp::model::Tool, McpServerConfig)> = Vec::new();
        let slots: Vec<Arc<ServerSlot>> = lock(&self.servers).values().cloned().collect();
        for slot in &slots {
            let (ServerState::Ready(connection), Some(config)) = (slot.state(), slot.config())
            else {
                continue;
            };
            let mut tools = connection.inventory.tools.clone();
            tools.sort_by(|a, b| a.name.cmp(&b.name));
            for tool in tools {
                entries.push((slot.name.clone(), tool, config.clone()));
            }
        }
        let pairs: Vec<(String, String)> = entries
            .iter()
            .map(|(server, tool, _)| (server.clone(), tool.name.to_string()))
            .collect();
        let names = assign_names(&pairs, &HashSet::new());
        let mut index = ToolIndex::default();
        for ((server, tool, config), model_name) in entries.into_iter().zip(names) {
            let description = tool
                .description
                .as_deref()
                .map(str::to_owned)
                .or_else(|| tool.title.clone())
                .unwrap_or_else(|| format!("Tool `{}` of MCP server `{server}`.", tool.name));
            index.tools.push(FunctionTool::new(
                model_name.clone(),
                description,
                normalize_input_schema(&tool.input_schema),
            ));
            let entry = McpToolEntry {
                approval_mode: config.approval_mode(&tool.name),
                timeout: config.tool_timeout,
                server,
                tool,
                model_name: model_name.clone(),
            };
            index.by_name.insert(model_name, Arc::new(entry));
        }
        *lock(&self.index) = Arc::new(index);
    }

    /// The MCP tools offered to the model now.
    pub fn model_tools(&self) -> Vec<FunctionTool> {
        lock(&self.index).tools.clone()
    }

    /// The tool the model calls `name`, if it is an MCP tool.
    pub fn resolve(&self, name: &str) -> Option<Arc<McpToolEntry>> {
        lock(&self.index).by_name.get(name).cloned()
    }

    pub(crate) fn slot(&self, server: &str) -> Option<Arc<ServerSlot>> {
        lock(&self.servers).get(server).cloned()
    }

    /// The connection of `server`, waiting up to its startup timeout while it starts.
    pub(crate) async fn connection(
        &self,
        server: &str,
    ) -> Result<(Arc<ServerSlot>, Arc<Connection>), McpError> {
        let slot = self.slot(server).ok_or_else(|| McpError::UnknownServer(server.to_owned()))?;
        let wait = slot.config().map_or(Duration::ZERO, |config| config.startup_timeout);
        let mut states = slot.state.subscribe();
        let settled = tokio::time::timeout(
            wait,
            states.wait_for(|state| !matches!(state, ServerState::Starting)),
        )
        .await;
        let state = match settled {
            Ok(Ok(state)) => state.clone(),
            _ => slot.state(),
        };
        match state {
            ServerState::Ready(connection) => Ok((slot, connection)),
            ServerState::Starting => Err(McpError::NotConnected {
                server: server.to_owned(),
                reason: "it is still starting".to_owned(),
            }),
            ServerState::Disabled => Err(McpError::NotConnected {
                server: server.to_owned(),
                reason: "it is disabled in config (enabled = false)".to_owned(),
            }),
            ServerState::Cancelled => Err(McpError::NotConnected {
                server: server.to_owned(),
                reason: "it was stopped".to_owned(),
            }),
            ServerState::Failed(message) => {
                Err(McpError::NotConnected { server: server.to_owned(), reason: message })
            }
        }
    }

    /// Whether `(server, tool)` was approved for the rest of `thread_id`'s session.
    pub(crate) fn approved_for_session(&self, thread_id: &str, server: &str, tool: &str) -> bool {
        lock(&self.session_approvals)
            .get(thread_id)
            .is_some_and(|tools| tools.contains(&(server.to_owned(), tool.to_owned())))
    }

    pub(crate) fn approve_for_session(&self, thread_id: &str, server: &str, tool: &str) {
        lock(&self.session_approvals)
            .entry(thread_id.to_owned())
            .or_default()
            .insert((server.to_owned(), tool.to_owned()));
    }

    /// Forgets a thread's session approvals (it was unloaded).
    pub fn forget_thread(&self, thread_id: &str) {
        lock(&self.session_approvals).remove(thread_id);
    }

    /// Writes `tools.<tool>.approval_mode = "approve"` for `server` into the config file, so the
    /// tool no longer asks (after the next reload); returns whether it was written.
    pub(crate) fn persist_approval(&self, server: &str, tool: &str) -> bool {
        let Some(file) = lock(&self.config_file).clone() else { return false };
        if server.contains('.') || tool.contains('.') {
            return false;
        }
        let edit = crate::config::ConfigEdit {
            key_path: format!("mcp_servers.{server}.tools.{tool}.approval_mode"),
            value: Value::String("approve".to_owned()),
            merge: crate::config::MergeMode::Replace,
        };
        match crate::config::apply_config_edits(&file, &[edit], None) {
            Ok(_) => true,
            Err(err) => {
                tracing::warn!(server, tool, "could not save the MCP tool approval: {err}");
                false
            }
        }
    }

    /// `mcpServerStatus/list`.
    pub fn status_list(
        &self,
        params: &ListMcpServerStatusParams,
    ) -> Result<ListMcpServerStatusResponse, McpError> {
        let slots: Vec<Arc<ServerSlot>> = lock(&self.servers)
            .values()
            .filter(|slot| params.server_name.as_ref().is_none_or(|name| *name == slot.name))
            .cloned()
            .collect();
        let total = slots.len();
        let start = match &params.cursor {
            None => 0,
            Some(cursor) => {
                let offset: usize = cursor
                    .parse()
                    .map_err(|_| McpError::InvalidCursor(format!("invalid cursor: {cursor}")))?;
                if offset > total {
                    return Err(McpError::InvalidCursor(format!(
                        "cursor {offset} exceeds total MCP servers {total}"
                    )));
                }
                offset
            }
        };
        let limit = params.limit.map_or(total, |limit| (limit as usize).max(1));
        let end = start.saturating_add(limit).min(total);
        let full = params.detail != Some(McpServerStatusDetail::ToolsAndAuthOnly);
        let data = slots[start..end].iter().map(|slot| status_of(slot, full)).collect();
        let next_cursor = (end < total).then(|| end.to_string());
        Ok(ListMcpServerStatusResponse { data, next_cursor })
    }

    /// `mcpServer/tool/call`: a client calls a tool directly (no approval), for `thread_id`.
    pub async fn call_tool_direct(
        &self,
        host: Arc<dyn AgentHost>,
        thread_id: &str,
        server: &str,
        tool: &str,
        arguments: Option<Value>,
        meta: Option<Value>,
    ) -> Result<McpServerToolCallResponse, McpError> {
        let arguments = match arguments {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => {
                return Err(McpError::InvalidParams("`arguments` must be an object".to_owned()))
            }
        };
        let mut meta = match meta {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => return Err(McpError::InvalidParams("`_meta` must be an object".to_owned())),
        };
        meta.insert("threadId".to_owned(), Value::String(thread_id.to_owned()));
        let (slot, connection) = self.connection(server).await?;
        let timeout =
            slot.config().map_or(crate::mcp::config::DEFAULT_TOOL_TIMEOUT, |c| c.tool_timeout);
        let registration = slot.calls.register(thread_id, None, host, CancellationToken::new());
        let result =
            connection.call_tool(tool, arguments, Some(meta), &registration, timeout).await;
        drop(registration);
        match result {
            Ok(result) => {
                let value = serde_json::to_value(&result).unwrap_or_default();
                Ok(McpServerToolCallResponse {
                    meta: value.get("_meta").cloned(),
                    content: value
                        .get("content")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    is_error: Some(result.is_error.unwrap_or(false)),
                    structured_content: value.get("structuredContent").cloned(),
                })
            }
            // The server refused the call (unknown tool, bad arguments): a tool error.
            Err(CallFailure::Server(error)) => Ok(McpServerToolCallResponse {
                meta: None,
                content: vec![serde_json::json!({"type": "text", "text": error.message})],
                is_error: Some(true),
                structured_content: None,
            }),
            Err(other) => {
                Err(McpError::Call { server: server.to_owned(), failure: other.to_string() })
            }
        }
    }

    /// `mcpServer/resource/read`.
    pub async fn read_resource(
        &self,
        server: &str,
        uri: &str,
        meta: Option<Map<String, Value>>,
    ) -> Result<McpResourceReadResponse, McpError> {
        let (_, connection) = self.connection(server).await?;
        match connection.read_resource(uri, meta, RESOURCE_TIMEOUT).await {
            Ok(result) => {
                let value = serde_json::to_value(&result).unwrap_or_default();
                let contents =
                    value.get("contents").and_then(Value::as_array).cloned().unwrap_or_default();
                Ok(McpResourceReadResponse { contents, origin_call_id: None })
            }
            Err(CallFailure::Server(error)) => Err(McpError::Server {
                code: i64::from(error.code.0),
                message: error.message.to_string(),
                data: error.data,
            }),
            Err(other) => {
                Err(McpError::Call { server: server.to_owned(), failure: other.to_string() })
            }
        }
    }
}

fn status_of(slot: &ServerSlot, full: bool) -> McpServerStatus {
    let state = slot.state();
    let (auth_status, http_origin) = match slot.config().map(|config| &config.transport) {
        Some(McpTransport::StreamableHttp { url, bearer_token_env_var, .. }) => (
            if bearer_token_env_var.is_some() {
                McpAuthStatus::BearerToken
            } else {
                McpAuthStatus::Unsupported
            },
            http_origin(url),
        ),
        _ => (McpAuthStatus::Unsupported, None),
    };
    let mut status = McpServerStatus {
        auth_status,
        http_origin,
        name: slot.name.clone(),
        plugin_id: None,
        resource_templates: Vec::new(),
        resources: Vec::new(),
        runtime_status: Some(state.runtime_status()),
        server_capabilities: None,
        server_info: None,
        tool_list_meta: None,
        tools: BTreeMap::new(),
        tools_error: None,
    };
    match state {
        ServerState::Ready(connection) => {
            let inventory = &connection.inventory;
            status.tools = inventory
                .tools
                .iter()
                .filter_map(|tool| Some((tool.name.to_string(), serde_json::to_value(tool).ok()?)))
                .collect();
            if full {
                status.resources.clone_from(&inventory.resources);
                status.resource_templates.clone_from(&inventory.resource_templates);
            }
            status.server_capabilities.clone_from(&inventory.capabilities);
            status.server_info.clone_from(&inventory.server_info);
        }
        ServerState::Failed(message) => status.tools_error = Some(message),
        _ => {}
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_origins_drop_credentials_and_paths() {
        assert_eq!(
            http_origin("https://user:pw@mcp.example.com:8443/v1/mcp?x=1").as_deref(),
            Some("https://mcp.example.com:8443")
        );
        assert_eq!(http_origin("http://127.0.0.1:9/mcp").as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(http_origin("nonsense"), None);
    }
}
