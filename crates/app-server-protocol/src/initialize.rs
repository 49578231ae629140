//! The `initialize` handshake: client info, capabilities and the server's answer.

#[allow(unused_imports)]
use crate::v2::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `ClientInfo` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v1/ClientInfo.ts")]
pub struct ClientInfo {
    /// `name` field.
    pub name: String,
    /// `title` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `version` field.
    pub version: String,
}

/// Client-declared capabilities negotiated during initialize.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v1/InitializeCapabilities.ts")]
pub struct InitializeCapabilities {
    /// Opt into receiving experimental API methods and fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experimental_api: Option<bool>,
    /// Use explicit gateway OAuth login instead of automatic browser authorization. Applies to this app-server's gateway runtime; later connections cannot undo it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explicit_gateway_oauth: Option<bool>,
    /// MCP extension settings declared by the app-server client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<serde_json::Map<String, serde_json::Value>>,
    /// Legacy opt-in for the `openai/form` MCP extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_server_openai_form_elicitation: Option<bool>,
    /// Exact notification method names that should be suppressed for this connection (for example `thread/started`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out_notification_methods: Option<Vec<String>>,
    /// Opt into `attestation/generate` requests for upstream `x-oai-attestation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_attestation: Option<bool>,
    /// Present `humanCommand` approvals to a person and return only a one-time decision. Requires `experimentalApi`. Pending requests can be replayed to compatible clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_human_approval: Option<bool>,
}

/// The `InitializeParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v1/InitializeParams.ts")]
pub struct InitializeParams {
    /// `capabilities` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<InitializeCapabilities>,
    /// `clientInfo` field.
    pub client_info: ClientInfo,
}

/// The `InitializeResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v1/InitializeResponse.ts")]
pub struct InitializeResponse {
    /// Absolute path to the server's $CODEX_HOME directory.
    pub codex_home: AbsolutePath,
    /// Platform family for the running app-server target, for example `"unix"` or `"windows"`.
    pub platform_family: String,
    /// Operating system for the running app-server target, for example `"macos"`, `"linux"`, or `"windows"`.
    pub platform_os: String,
    /// `userAgent` field.
    pub user_agent: String,
}
