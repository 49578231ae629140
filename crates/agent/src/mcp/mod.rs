//! MCP (Model Context Protocol) servers: the agent's client for the tools, resources and
//! questions of the servers configured under `[mcp_servers.NAME]`.
//!
//! - [`config`]: the config keys and each server's checked settings.
//! - [`connection`]: one connection over the official SDK (`rmcp`), stdio or streamable HTTP.
//! - [`manager`]: every server's lifecycle (background start, restart after an exit, reload),
//!   `mcpServerStatus/list`, direct tool calls and resource reads for clients.
//! - [`naming`]: the `mcp__SERVER__TOOL` names and parameter schemas the model is offered.
//! - [`tool_call`]: a model's call: approval, the `mcpToolCall` item, the output.
//!
//! Servers run outside the turn sandbox (like the reference), in a clean environment, shared by
//! every thread of the app-server.

pub mod config;
pub(crate) mod connection;
pub mod manager;
pub mod naming;
pub mod tool_call;

pub use manager::McpManager;
pub use manager::McpToolEntry;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use serde_json::Value;

/// Why an MCP request of a client failed; each maps to a JSON-RPC error.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// No server of this name is configured.
    #[error("unknown MCP server `{0}`: it is not configured under [mcp_servers]")]
    UnknownServer(String),
    /// The server is configured but not connected.
    #[error("MCP server `{server}` is not available: {reason}")]
    NotConnected {
        /// The server.
        server: String,
        /// Why (it failed to start, is disabled, still starting).
        reason: String,
    },
    /// `mcpServerStatus/list` was given a cursor it did not hand out.
    #[error("{0}")]
    InvalidCursor(String),
    /// The request's parameters are unusable.
    #[error("{0}")]
    InvalidParams(String),
    /// The MCP server answered with a JSON-RPC error (passed through).
    #[error("{message}")]
    Server {
        /// The server's error code.
        code: i64,
        /// Its message.
        message: String,
        /// Its data.
        data: Option<Value>,
    },
    /// The call failed on the way (timeout, connection closed).
    #[error("MCP server `{server}`: {failure}")]
    Call {
        /// The server.
        server: String,
        /// What went wrong.
        failure: String,
    },
}

impl McpError {
    /// The JSON-RPC error answering request `id`.
    pub fn to_json_rpc(&self, id: RequestId) -> JsonRpcError {
        let code = match self {
            McpError::InvalidCursor(_) => error_codes::INVALID_REQUEST,
            McpError::InvalidParams(_) => error_codes::INVALID_PARAMS,
            McpError::Server { code, .. } => *code,
            McpError::UnknownServer(_) | McpError::NotConnected { .. } | McpError::Call { .. } => {
                error_codes::INTERNAL_ERROR
            }
        };
        let error = JsonRpcError::new(Some(id), code, self.to_string());
        match self {
            McpError::Server { data: Some(data), .. } => error.with_data(data.clone()),
            _ => error,
        }
    }
}
