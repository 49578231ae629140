//! One live connection to an MCP server, over the official SDK (`rmcp`): spawning a stdio server
//! in a clean environment (its stderr goes to our log, never to stdout) or connecting to a
//! streamable-HTTP endpoint, the `initialize` handshake, the first tools/resources listing, and
//! the client side of the protocol (progress notifications and the server's elicitation
//! requests, both routed to the thread whose call is running).
//!
//! A stdio server runs in a process group of its own; the group is killed when the connection
//! (or a start that did not finish) is dropped, so nothing the server spawned outlives it.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;

use codex_app_server_protocol::v2::McpServerElicitationRequest;
use codex_app_server_protocol::v2::McpServerElicitationRequestParams;
use codex_app_server_protocol::v2::McpServerInfo;
use codex_app_server_protocol::v2::McpToolCallProgressNotification;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use rmcp::model::CallToolRequestParams;
use rmcp::model::CallToolResult;
use rmcp::model::ClientConfig;
use rmcp::model::ElicitRequestParams;
use rmcp::model::ElicitResult;
use rmcp::model::ElicitationAction;
use rmcp::model::ErrorData;
use rmcp::model::ProgressNotificationParam;
use rmcp::model::ReadResourceRequestParams;
use rmcp::model::ReadResourceResult;
use rmcp::service::NotificationContext;
use rmcp::service::RequestContext;
use rmcp::service::RunningService;
use rmcp::ClientHandler;
use rmcp::Peer;
use rmcp::RoleClient;
use rmcp::ServiceError;
use serde_json::json;
use serde_json::Map;
use serde_json::Value;
use tokio::io::AsyncBufReadExt as _;
use tokio_util::sync::CancellationToken;

use crate::host::AgentHost;
use crate::host::Delivery;
use crate::host::Expect;
use crate::host::NoAnswer;
use crate::mcp::config::McpServerConfig;
use crate::mcp::config::McpTransport;

/// Variables a stdio server inherits from the app-server when set; everything else it gets comes
/// from its `env` and `env_vars` settings.
const INHERITED_ENV: &[&str] =
    &["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ"];
/// `PATH` when the app-server has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// The MCP protocol version requested (servers answer with the version they speak).
const PROTOCOL_VERSION: &str = "2025-06-18";

/// A tool call (or client call) running on a server: where its progress and the server's
/// questions go.
#[derive(Clone)]
pub(crate) struct ActiveCall {
    id: u64,
    /// The thread the call belongs to.
    pub thread_id: String,
    /// The turn and `mcpToolCall` item, for model calls.
    pub turn_item: Option<(String, String)>,
    /// The `progressToken` the SDK sent with the call, once sent.
    pub progress_token: Option<Value>,
    /// Who to tell and ask.
    pub host: Arc<dyn AgentHost>,
    /// Fires when the call's turn is interrupted.
    pub cancel: CancellationToken,
}

/// The calls running on one server (shared with its client handler).
#[derive(Default)]
pub(crate) struct ActiveCalls {
    next_id: AtomicU64,
    calls: Mutex<Vec<ActiveCall>>,
}

impl ActiveCalls {
    fn calls(&self) -> MutexGuard<'_, Vec<ActiveCall>> {
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a call until the returned guard is dropped.
    pub(crate) fn register(
        self: &Arc<Self>,
        thread_id: &str,
        turn_item: Option<(String, String)>,
        host: Arc<dyn AgentHost>,
        cancel: CancellationToken,
    ) -> CallRegistration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let call = ActiveCall {
            id,
            thread_id: thread_id.to_owned(),
            turn_item,
            progress_token: None,
            host,
            cancel,
        };
        self.calls().push(call);
        CallRegistration { calls: Arc::clone(self), id }
    }

    fn by_token(&self, token: &Value) -> Option<ActiveCall> {
        self.calls().iter().find(|call| call.progress_token.as_ref() == Some(token)).cloned()
    }

    /// The most recent call: the one a server's unsolicited question most likely belongs to.
    fn latest(&self) -> Option<ActiveCall> {
        self.calls().last().cloned()
    }
}

/// Keeps a call registered while alive.
pub(crate) struct CallRegistration {
    calls: Arc<ActiveCalls>,
    id: u64,
}

impl CallRegistration {
    /// Notes the `progressToken` the call was sent with.
    fn set_progress_token(&self, token: Value) {
        if let Some(call) = self.calls.calls().iter_mut().find(|call| call.id == self.id) {
            call.progress_token = Some(token);
        }
    }
}

/// Tells the server a request was abandoned (`notifications/cancelled`) when dropped armed.
struct CancelOnDrop {
    peer: Peer<RoleClient>,
    id: Option<Value>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let notification = json!({
            "method": "notifications/cancelled",
            "params": {"requestId": id, "reason": "the call was abandoned (turn interrupted)"},
        });
        let Ok(notification) =
            serde_json::from_value::<rmcp::model::ClientNotification>(notification)
        else {
            return;
        };
        let peer = self.peer.clone();
        runtime.spawn(async move {
            let _ = peer.send_notification(notification).await;
        });
    }
}

impl Drop for CallRegistration {
    fn drop(&mut self) {
        self.calls.calls().retain(|call| call.id != self.id);
    }
}

/// The client side of one server's connection.
#[derive(Clone)]
pub(crate) struct McpClient {
    server: String,
    calls: Arc<ActiveCalls>,
}

impl McpClient {
    pub(crate) fn new(server: &str, calls: Arc<ActiveCalls>) -> Self {
        Self { server: server.to_owned(), calls }
    }
}

impl ClientHandler for McpClient {
    fn get_info(&self) -> ClientConfig {
        let info = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"elicitation": {"form": {}, "url": {}}},
            "clientInfo": {
                "name": "codex-mcp-client",
                "title": "Codex",
                "version": env!("CARGO_PKG_VERSION"),
            },
        });
        serde_json::from_value(info).unwrap_or_default()
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let token = serde_json::to_value(&params.progress_token).unwrap_or_default();
        let Some(call) = self.calls.by_token(&token) else { return };
        let Some((turn_id, item_id)) = call.turn_item else { return };
        let message = match (&params.message, params.total) {
            (Some(message), _) => message.clone(),
            (None, Some(total)) => format!("{}/{}", params.progress, total),
            (None, None) => format!("{}", params.progress),
        };
        let event = ServerNotification::McpToolCallProgress(McpToolCallProgressNotification {
            item_id,
            message,
            thread_id: call.thread_id.clone(),
            turn_id,
        });
        call.host.publish(&call.thread_id, &event, Delivery::Stream).await;
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let decline = ElicitResult::new(ElicitationAction::Decline);
        let Some(call) = self.calls.latest() else {
            tracing::info!(server = %self.server, "declining an elicitation: no call of this server is running");
            return Ok(decline);
        };
        if !call.host.can_ask(&call.thread_id) {
            return Ok(decline);
        }
        let Ok(Value::Object(wire)) = serde_json::to_value(&request) else { return Ok(decline) };
        let Ok(question) =
            serde_json::from_value::<McpServerElicitationRequest>(Value::Object(wire))
        else {
            return Ok(decline);
        };
        let request =
            ServerRequest::McpServerElicitationRequest(McpServerElicitationRequestParams {
                server_name: self.server.clone(),
                thread_id: call.thread_id.clone(),
                turn_id: call.turn_item.as_ref().map(|(turn, _)| turn.clone()),
                request: question,
            });
        // The server withdrawing its request (`notifications/cancelled`) or the turn being
        // interrupted withdraws the question.
        let cancel = call.cancel.child_token();
        let withdrawn = context.ct.clone();
        let answer = tokio::select! {
            answer = call.host.ask(&call.thread_id, request, Expect::Result, cancel.clone()) => answer,
            () = withdrawn.cancelled() => {
                cancel.cancel();
                Err(NoAnswer::Interrupted)
            }
        };
        match answer {
            Ok(result) => Ok(serde_json::from_value::<ElicitResult>(result).unwrap_or(decline)),
            Err(NoAnswer::Interrupted) => Ok(ElicitResult::new(ElicitationAction::Cancel)),
            Err(NoAnswer::Declined) => Ok(decline),
        }
    }
}

/// Kills a stdio server's process group when dropped.
#[derive(Debug)]
pub(crate) struct ProcessGroup(Option<u32>);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take() {
            // The group may already be gone; nothing to do then.
            let _ = codex_sandbox::signal_process_group(pid, libc::SIGKILL);
        }
    }
}

/// What a server said about itself when it started.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerInventory {
    /// The enabled tools (raw MCP `Tool` objects).
    pub tools: Vec<rmcp::model::Tool>,
    /// Resources (MCP JSON).
    pub resources: Vec<Value>,
    /// Resource templates (MCP JSON).
    pub resource_templates: Vec<Value>,
    /// `serverInfo`.
    pub server_info: Option<McpServerInfo>,
    /// Capabilities (MCP JSON).
    pub capabilities: Option<Value>,
}

/// A started server: the peer to call, what it offers, and its process group.
pub(crate) struct Connection {
    pub peer: Peer<RoleClient>,
    pub inventory: ServerInventory,
    _group: ProcessGroup,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("tools", &self.inventory.tools.len()).finish()
    }
}

/// Why a call on a connection failed.
#[derive(Debug)]
pub(crate) enum CallFailure {
    /// The server answered with a JSON-RPC error.
    Server(ErrorData),
    /// No answer within the timeout.
    Timeout(Duration),
    /// The connection is gone (the server exited or closed it).
    Closed,
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallFailure::Server(error) => write!(f, "{} (code {})", error.message, error.code.0),
            CallFailure::Timeout(timeout) => write!(f, "timed out after {timeout:?}"),
            CallFailure::Closed => f.write_str("the connection to the server is closed"),
            CallFailure::Other(message) => f.write_str(message),
        }
    }
}

fn failure(error: ServiceError) -> CallFailure {
    match error {
        ServiceError::McpError(error) => CallFailure::Server(error),
        ServiceError::TransportClosed | ServiceError::TransportSend(_) => CallFailure::Closed,
        ServiceError::Timeout { timeout } => CallFailure::Timeout(timeout),
        other => CallFailure::Other(other.to_string()),
    }
}

impl Connection {
    /// Calls tool `name` with `arguments` for the call `registration` (which then receives the
    /// call's progress); gives up (and tells the server) after `timeout`, or when dropped.
    pub(crate) async fn call_tool(
        &self,
        name: &str,
        arguments: Option<Map<String, Value>>,
        meta: Option<Map<String, Value>>,
        registration: &CallRegistration,
        timeout: Duration,
    ) -> Result<CallToolResult, CallFailure> {
        let mut params = json!({"name": name});
        if let Some(meta) = meta {
            params["_meta"] = Value::Object(meta);
        }
        if let Some(arguments) = arguments {
            params["arguments"] = Value::Object(arguments);
        }
        let params: CallToolRequestParams = serde_json::from_value(params)
            .map_err(|err| CallFailure::Other(format!("invalid tool call: {err}")))?;
        let request =
            rmcp::model::ClientRequest::CallToolRequest(rmcp::model::CallToolRequest::new(params));
        // With a timeout, the SDK tells the server to cancel when it passes.
        let handle = self
            .peer
            .send_request_with_option(
                request,
                rmcp::service::PeerRequestOptions::with_timeout(timeout),
            )
            .await
            .map_err(failure)?;
        registration
            .set_progress_token(serde_json::to_value(&handle.progress_token).unwrap_or_default());
        let mut abandoned =
            CancelOnDrop { peer: self.peer.clone(), id: serde_json::to_value(&handle.id).ok() };
        let response = handle.await_response().await;
        abandoned.id = None;
        match response.map_err(failure)? {
            rmcp::model::ServerResult::CallToolResult(result) => Ok(result),
            rmcp::model::ServerResult::EmptyResult(_) => {
                serde_json::from_value(json!({"content": []}))
                    .map_err(|err| CallFailure::Other(err.to_string()))
            }
            _ => {
                Err(CallFailure::Other("the server answered with an unexpected result".to_owned()))
            }
        }
    }

    /// Reads resource `uri`.
    pub(crate) async fn read_resource(
        &self,
        uri: &str,
        meta: Option<Map<String, Value>>,
        timeout: Duration,
    ) -> Result<ReadResourceResult, CallFailure> {
        let mut params = json!({"uri": uri});
        if let Some(meta) = meta {
            params["_meta"] = Value::Object(meta);
        }
        let params: ReadResourceRequestParams = serde_json::from_value(params)
            .map_err(|err| CallFailure::Other(format!("invalid resource read: {err}")))?;
        match tokio::time::timeout(timeout, self.peer.read_resource(params)).await {
            Ok(result) => result.map_err(failure),
            Err(_) => Err(CallFailure::Timeout(timeout)),
        }
    }
}

/// The environment of a stdio server: [`INHERITED_ENV`] (when set here), the `env_vars` it
/// names (when set here), then its `env`.
pub(crate) fn stdio_environment(
    env: &std::collections::BTreeMap<String, String>,
    env_vars: &[String],
    lookup: impl Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut set = |key: &str, value: String| {
        out.retain(|(existing, _)| existing != key);
        out.push((key.to_owned(), value));
    };
    for key in INHERITED_ENV {
        if let Some(value) = lookup(key) {
            set(key, value);
        }
    }
    if lookup("PATH").is_none() {
        set("PATH", DEFAULT_PATH.to_owned());
    }
    for key in env_vars {
        if let Some(value) = lookup(key) {
            set(key, value);
        }
    }
    for (key, value) in env {
        set(key, value.clone());
    }
    out
}

/// Logs each line a stdio server writes to stderr.
fn log_stderr(server: String, stderr: tokio::process::ChildStderr) {
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::info!(target: "codex_agent::mcp::stderr", server = %server, "{line}");
        }
    });
}

/// Connects to server `name` and lists what it offers. Not bounded in time: the caller applies
/// the startup timeout (dropping this future kills what it spawned).
pub(crate) async fn connect(
    name: &str,
    config: &McpServerConfig,
    client: McpClient,
) -> Result<(Connection, RunningService<RoleClient, McpClient>), String> {
    let (service, group) = match &config.transport {
        McpTransport::Stdio { command, args, env, env_vars, cwd } => {
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(args).env_clear().process_group(0).kill_on_drop(true);
            for (key, value) in stdio_environment(env, env_vars, |key| std::env::var(key).ok()) {
                cmd.env(key, value);
            }
            if let Some(cwd) = cwd {
                cmd.current_dir(cwd);
            }
            let (transport, stderr) = rmcp::transport::TokioChildProcess::builder(cmd)
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|err| format!("cannot run `{command}`: {err}"))?;
            let group = ProcessGroup(transport.id());
            if let Some(stderr) = stderr {
                log_stderr(name.to_owned(), stderr);
            }
            let service = rmcp::serve_client(client, transport)
                .await
                .map_err(|err| format!("`{command}` did not complete the MCP handshake: {err}"))?;
            (service, group)
        }
        McpTransport::StreamableHttp {
            url,
            bearer_token_env_var,
            http_headers,
            env_http_headers,
        } => {
            // reqwest 0.13 is built without a bundled crypto provider: use ring.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut transport_config =
                rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig::with_uri(
                    url.as_str(),
                );
            if let Some(variable) = bearer_token_env_var {
                let token = std::env::var(variable).map_err(|_| {
                    format!("bearer_token_env_var `{variable}` is not set in the environment")
                })?;
                transport_config = transport_config.auth_header(token);
            }
            let mut headers = HashMap::new();
            let env_headers = env_http_headers.iter().filter_map(|(header, variable)| {
                let value = std::env::var(variable).ok();
                if value.is_none() {
                    tracing::warn!(server = %name, header = %header, variable = %variable, "env_http_headers: variable not set; header not sent");
                }
                Some((header, value?))
            });
            for (header, value) in
                http_headers.iter().map(|(h, v)| (h, v.clone())).chain(env_headers)
            {
                let header_name = http::HeaderName::from_bytes(header.as_bytes())
                    .map_err(|err| format!("invalid header name {header:?}: {err}"))?;
                let header_value = http::HeaderValue::from_str(&value)
                    .map_err(|err| format!("invalid value for header {header:?}: {err}"))?;
                headers.insert(header_name, header_value);
            }
            transport_config = transport_config.custom_headers(headers);
            let transport =
                rmcp::transport::StreamableHttpClientTransport::from_config(transport_config);
            let service = rmcp::serve_client(client, transport)
                .await
                .map_err(|err| format!("{url} did not complete the MCP handshake: {err}"))?;
            (service, ProcessGroup(None))
        }
    };
    let inventory = inventory(name, config, &service).await?;
    let connection = Connection { peer: service.peer().clone(), inventory, _group: group };
    Ok((connection, service))
}

/// Lists tools (required) and resources (best effort) of a started server.
async fn inventory(
    name: &str,
    config: &McpServerConfig,
    service: &RunningService<RoleClient, McpClient>,
) -> Result<ServerInventory, String> {
    let peer = service.peer();
    let info = peer.peer_info();
    let capabilities = info.as_ref().map(|info| info.capabilities.clone());
    let server_info = info
        .as_ref()
        .and_then(|info| info.server_info.as_ref())
        .and_then(|implementation| serde_json::to_value(implementation).ok())
        .and_then(|value| serde_json::from_value::<McpServerInfo>(value).ok());
    let offers = |key: &str| {
        capabilities
            .as_ref()
            .and_then(|capabilities| serde_json::to_value(capabilities).ok())
            .is_some_and(|value| value.get(key).is_some_and(|v| !v.is_null()))
    };
    let tools = if offers("tools") {
        peer.list_all_tools().await.map_err(|err| format!("tools/list failed: {err}"))?
    } else {
        Vec::new()
    };
    let tools = tools.into_iter().filter(|tool| config.tool_enabled(&tool.name)).collect();
    let (mut resources, mut resource_templates) = (Vec::new(), Vec::new());
    if offers("resources") {
        match peer.list_all_resources().await {
            Ok(list) => {
                resources = list.iter().filter_map(|r| serde_json::to_value(r).ok()).collect()
            }
            Err(err) => tracing::warn!(server = %name, "resources/list failed: {err}"),
        }
        match peer.list_all_resource_templates().await {
            Ok(list) => {
                resource_templates =
                    list.iter().filter_map(|r| serde_json::to_value(r).ok()).collect()
            }
            Err(err) => tracing::debug!(server = %name, "resources/templates/list failed: {err}"),
        }
    }
    Ok(ServerInventory {
        tools,
        resources,
        resource_templates,
        server_info,
        capabilities: capabilities.and_then(|c| serde_json::to_value(c).ok()),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn stdio_servers_get_a_minimal_environment_plus_what_config_passes() {
        let ours = |key: &str| match key {
            "PATH" => Some("/opt/bin:/usr/bin".to_owned()),
            "HOME" => Some("/home/u".to_owned()),
            "OPENAI_API_KEY" => Some("sk-secret".to_owned()),
            "GITHUB_TOKEN" => Some("gh".to_owned()),
            _ => None,
        };
        let env = BTreeMap::from([("MODE".to_owned(), "test".to_owned())]);
        let vars = stdio_environment(&env, &["GITHUB_TOKEN".to_owned(), "UNSET".to_owned()], ours);
        let keys: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["PATH", "HOME", "GITHUB_TOKEN", "MODE"]);
        assert!(!keys.contains(&"OPENAI_API_KEY"));
        let no_path = stdio_environment(&BTreeMap::new(), &[], |_| None);
        assert_eq!(no_path, vec![("PATH".to_owned(), DEFAULT_PATH.to_owned())]);
    }
}
