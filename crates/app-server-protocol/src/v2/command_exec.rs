//! Standalone processes: `command/exec` and its `write`, `terminate`, `resize` follow-ups and output notifications.

#[allow(unused_imports)]
use super::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// Base64-encoded output chunk emitted for a streaming `command/exec` request.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecOutputDeltaNotification.ts")]
pub struct CommandExecOutputDeltaNotification {
    /// `true` on the final streamed chunk for a stream when `outputBytesCap` truncated later output on that stream.
    pub cap_reached: bool,
    /// Base64-encoded output bytes.
    pub delta_base64: String,
    /// Client-supplied, connection-scoped `processId` from the original `command/exec` request.
    pub process_id: String,
    /// Output stream for this chunk.
    pub stream: CommandExecOutputStream,
}

/// Stream label for `command/exec/outputDelta` notifications.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/CommandExecOutputStream.ts")]
pub enum CommandExecOutputStream {
    /// stdout stream. PTY mode multiplexes terminal output here.
    #[serde(rename = "stdout")]
    Stdout,
    /// stderr stream.
    #[serde(rename = "stderr")]
    Stderr,
}

/// Run a standalone command (argv vector) in the server sandbox without creating a thread or turn.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecParams.ts")]
pub struct CommandExecParams {
    /// Command argv vector. Empty arrays are rejected.
    pub command: Vec<String>,
    /// Optional working directory. Defaults to the server cwd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<AbsolutePath>,
    /// Disable stdout/stderr capture truncation for this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_output_cap: Option<bool>,
    /// Disable the timeout entirely for this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_timeout: Option<bool>,
    /// Optional environment overrides merged into the server-computed environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<std::collections::BTreeMap<String, Option<String>>>,
    /// Optional per-stream stdout/stderr capture cap in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes_cap: Option<u64>,
    /// Optional active permissions profile id for this command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_profile: Option<String>,
    /// Optional client-supplied, connection-scoped process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<String>,
    /// Optional sandbox policy for this command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_policy: Option<SandboxPolicy>,
    /// Optional initial PTY size in character cells. Only valid when `tty` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<CommandExecTerminalSize>,
    /// Allow follow-up `command/exec/write` requests to write stdin bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_stdin: Option<bool>,
    /// Stream stdout/stderr via `command/exec/outputDelta` notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_stdout_stderr: Option<bool>,
    /// Optional timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<i64>,
    /// Enable PTY mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
}

/// Resize a running PTY-backed `command/exec` session.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecResizeParams.ts")]
pub struct CommandExecResizeParams {
    /// Client-supplied, connection-scoped `processId` from the original `command/exec` request.
    pub process_id: String,
    /// New PTY size in character cells.
    pub size: CommandExecTerminalSize,
}

/// Empty success response for `command/exec/resize`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecResizeResponse.ts")]
pub struct CommandExecResizeResponse {}

/// Final buffered result for `command/exec`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecResponse.ts")]
pub struct CommandExecResponse {
    /// Process exit code.
    pub exit_code: i32,
    /// Buffered stderr capture.
    pub stderr: String,
    /// Buffered stdout capture.
    pub stdout: String,
}

/// PTY size in character cells for `command/exec` PTY sessions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecTerminalSize.ts")]
pub struct CommandExecTerminalSize {
    /// Terminal width in character cells.
    pub cols: u16,
    /// Terminal height in character cells.
    pub rows: u16,
}

/// Terminate a running `command/exec` session.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecTerminateParams.ts")]
pub struct CommandExecTerminateParams {
    /// Client-supplied, connection-scoped `processId` from the original `command/exec` request.
    pub process_id: String,
}

/// Empty success response for `command/exec/terminate`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecTerminateResponse.ts")]
pub struct CommandExecTerminateResponse {}

/// Write stdin bytes to a running `command/exec` session, close stdin, or both.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecWriteParams.ts")]
pub struct CommandExecWriteParams {
    /// Close stdin after writing `deltaBase64`, if present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_stdin: Option<bool>,
    /// Optional base64-encoded stdin bytes to write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_base64: Option<String>,
    /// Client-supplied, connection-scoped `processId` from the original `command/exec` request.
    pub process_id: String,
}

/// Empty success response for `command/exec/write`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecWriteResponse.ts")]
pub struct CommandExecWriteResponse {}
