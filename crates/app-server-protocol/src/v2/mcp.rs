//! MCP servers: `mcpServerStatus/list`, `mcpServer/tool/call`, `mcpServer/resource/read`,
//! `config/mcpServer/reload`, the `mcpServer/startupStatus/updated` and
//! `item/mcpToolCall/progress` notifications, and the `mcpServer/elicitation/request` server
//! request. MCP payloads (tools, resources, content blocks) pass through as the MCP server sent
//! them, so they are plain JSON values here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

/// How much of each server's inventory `mcpServerStatus/list` returns.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/McpServerStatusDetail.ts")]
pub enum McpServerStatusDetail {
    /// Tools, resources, resource templates and auth status.
    #[serde(rename = "full")]
    Full,
    /// Tools and auth status only (resources and templates are left empty).
    #[serde(rename = "toolsAndAuthOnly")]
    ToolsAndAuthOnly,
}

/// `mcpServerStatus/list` params.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ListMcpServerStatusParams.ts")]
pub struct ListMcpServerStatusParams {
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Controls how much MCP inventory data to fetch for each server (default `full`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<McpServerStatusDetail>,
    /// Optional page size; all servers when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Limit the listing to one server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// The thread asking (MCP servers are shared by every thread of this server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}

/// How a server authenticates.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/McpAuthStatus.ts")]
pub enum McpAuthStatus {
    /// Not known.
    #[serde(rename = "unknown")]
    Unknown,
    /// The transport has no authentication (stdio, or HTTP without credentials).
    #[serde(rename = "unsupported")]
    Unsupported,
    /// OAuth is needed and no login is stored.
    #[serde(rename = "notLoggedIn")]
    NotLoggedIn,
    /// A bearer token from `bearer_token_env_var` is sent.
    #[serde(rename = "bearerToken")]
    BearerToken,
    /// OAuth credentials are used.
    #[serde(rename = "oAuth")]
    OAuth,
}

/// Where a server's connection stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/McpServerConnectionStatus.ts")]
pub enum McpServerConnectionStatus {
    /// Not started yet.
    #[serde(rename = "notStarted")]
    NotStarted,
    /// Starting (initialize and the first tools/list).
    #[serde(rename = "starting")]
    Starting,
    /// Connected and serving.
    #[serde(rename = "connected")]
    Connected,
    /// The server wants authentication first.
    #[serde(rename = "authenticationRequired")]
    AuthenticationRequired,
    /// Start failed or the server exited.
    #[serde(rename = "failed")]
    Failed,
    /// Start was cancelled (the config changed or the server is shutting down).
    #[serde(rename = "cancelled")]
    Cancelled,
    /// `enabled = false` in config.
    #[serde(rename = "disabled")]
    Disabled,
}

/// Presentation metadata advertised by an initialized MCP server.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpServerInfo.ts")]
pub struct McpServerInfo {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Icons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "Array<unknown> | null")]
    pub icons: Option<Vec<Value>>,
    /// Name.
    pub name: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Version.
    pub version: String,
    /// Website URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
}

/// One configured MCP server as `mcpServerStatus/list` reports it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpServerStatus.ts")]
pub struct McpServerStatus {
    /// How the server authenticates.
    pub auth_status: McpAuthStatus,
    /// Scheme, host and port of an HTTP server's endpoint; null for stdio servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_origin: Option<String>,
    /// The server's name (the `[mcp_servers.NAME]` key).
    pub name: String,
    /// Plugin id (plugins are not supported; always null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_id: Option<String>,
    /// Resource templates (MCP `ResourceTemplate` objects).
    #[ts(type = "Array<unknown>")]
    pub resource_templates: Vec<Value>,
    /// Resources (MCP `Resource` objects).
    #[ts(type = "Array<unknown>")]
    pub resources: Vec<Value>,
    /// Where the server's connection stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_status: Option<McpServerConnectionStatus>,
    /// Capabilities the server advertised; null until it initialized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub server_capabilities: Option<Value>,
    /// Who the server says it is; null until it initialized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_info: Option<McpServerInfo>,
    /// `_meta` of the server's first `tools/list` page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub tool_list_meta: Option<Value>,
    /// Tools by their raw MCP name (MCP `Tool` objects).
    #[ts(type = "Record<string, unknown>")]
    pub tools: BTreeMap<String, Value>,
    /// Why no tool catalog is available (the server failed to start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools_error: Option<String>,
}

/// `mcpServerStatus/list` result.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ListMcpServerStatusResponse.ts")]
pub struct ListMcpServerStatusResponse {
    /// Servers, sorted by name.
    pub data: Vec<McpServerStatus>,
    /// Cursor of the next page; null on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `mcpServer/tool/call` params: a client calls an MCP tool directly (no approval).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpServerToolCallParams.ts")]
pub struct McpServerToolCallParams {
    /// Request `_meta` passed to the MCP server.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub meta: Option<Value>,
    /// The tool's arguments (an object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub arguments: Option<Value>,
    /// The server's name.
    pub server: String,
    /// The thread the call is made for.
    pub thread_id: String,
    /// The tool's raw MCP name.
    pub tool: String,
}

/// `mcpServer/tool/call` result: the MCP `CallToolResult`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpServerToolCallResponse.ts")]
pub struct McpServerToolCallResponse {
    /// Result `_meta`.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub meta: Option<Value>,
    /// Content blocks (MCP `ContentBlock` objects).
    #[ts(type = "Array<unknown>")]
    pub content: Vec<Value>,
    /// Whether the tool reported an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// Structured content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub structured_content: Option<Value>,
}

/// `mcpServer/resource/read` params.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpResourceReadParams.ts")]
pub struct McpResourceReadParams {
    /// Request `_meta` passed to the MCP server.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "Record<string, unknown> | null")]
    pub meta: Option<serde_json::Map<String, Value>>,
    /// Connector id (hosted apps are not supported; ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<String>,
    /// Originating MCP tool call (echoed back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_call_id: Option<String>,
    /// The server's name.
    pub server: String,
    /// The thread asking, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// The resource's URI.
    pub uri: String,
}

/// `mcpServer/resource/read` result.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpResourceReadResponse.ts")]
pub struct McpResourceReadResponse {
    /// The resource's contents (MCP text or blob resource contents).
    #[ts(type = "Array<unknown>")]
    pub contents: Vec<Value>,
    /// The originating call, echoed from the params.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_call_id: Option<String>,
}

/// `config/mcpServer/reload` result (empty).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/McpServerRefreshResponse.ts")]
pub struct McpServerRefreshResponse {}

/// Where a server's startup stands (`mcpServer/startupStatus/updated`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/McpServerStartupState.ts")]
pub enum McpServerStartupState {
    /// Starting.
    #[serde(rename = "starting")]
    Starting,
    /// Ready: tools are offered.
    #[serde(rename = "ready")]
    Ready,
    /// Failed (see `error`).
    #[serde(rename = "failed")]
    Failed,
    /// Cancelled before it finished.
    #[serde(rename = "cancelled")]
    Cancelled,
}

/// `mcpServer/startupStatus/updated` params.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpServerStatusUpdatedNotification.ts")]
pub struct McpServerStatusUpdatedNotification {
    /// What failed, naming the server and the cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The server's name.
    pub name: String,
    /// The new state.
    pub status: McpServerStartupState,
    /// The thread the status is for; null because servers are shared by all threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}

/// `item/mcpToolCall/progress` params: a progress message from the MCP server.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpToolCallProgressNotification.ts")]
pub struct McpToolCallProgressNotification {
    /// The `mcpToolCall` item.
    pub item_id: String,
    /// The progress message.
    pub message: String,
    /// Thread id.
    pub thread_id: String,
    /// Turn id.
    pub turn_id: String,
}

/// What an elicitation asks for.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "mode")]
#[ts(export_to = "v2/McpServerElicitationRequest.ts")]
pub enum McpServerElicitationRequest {
    /// Fill in a form (`requestedSchema` is a flat object schema of primitive fields).
    #[serde(rename = "form")]
    Form {
        /// Request `_meta` (`codex_approval_kind: "mcp_tool_call"` for tool approvals).
        #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
        #[ts(type = "unknown")]
        meta: Option<Value>,
        /// What to tell the user.
        message: String,
        /// The form's schema.
        #[serde(rename = "requestedSchema")]
        #[ts(type = "unknown")]
        requested_schema: Value,
    },
    /// Open a URL.
    #[serde(rename = "url")]
    Url {
        /// Request `_meta`.
        #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
        #[ts(type = "unknown")]
        meta: Option<Value>,
        /// The MCP server's id for this elicitation.
        #[serde(rename = "elicitationId")]
        elicitation_id: String,
        /// What to tell the user.
        message: String,
        /// The URL to open.
        url: String,
    },
}

/// `mcpServer/elicitation/request` params: an MCP server (or a tool approval) asks the user.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpServerElicitationRequestParams.ts")]
pub struct McpServerElicitationRequestParams {
    /// The MCP server asking.
    pub server_name: String,
    /// The thread the question belongs to.
    pub thread_id: String,
    /// The running turn, when the question came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// The question.
    #[serde(flatten)]
    pub request: McpServerElicitationRequest,
}

/// The user's answer to an elicitation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/McpServerElicitationAction.ts")]
pub enum McpServerElicitationAction {
    /// Accepted (with `content` for forms).
    #[serde(rename = "accept")]
    Accept,
    /// Declined.
    #[serde(rename = "decline")]
    Decline,
    /// Dismissed without a choice.
    #[serde(rename = "cancel")]
    Cancel,
}

/// `mcpServer/elicitation/request` result.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpServerElicitationRequestResponse.ts")]
pub struct McpServerElicitationRequestResponse {
    /// Client metadata (`{"persist": "session" | "always"}` for tool approvals).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub meta: Option<Value>,
    /// The user's answer.
    pub action: McpServerElicitationAction,
    /// The form's content, for accepted form elicitations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub content: Option<Value>,
}
