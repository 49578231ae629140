//! Server-to-client approval requests (`item/commandExecution/requestApproval`, `item/fileChange/requestApproval`) and the decisions clients answer with.

#[allow(unused_imports)]
use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `CommandExecutionApprovalDecision` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/CommandExecutionApprovalDecision.ts")]
pub enum CommandExecutionApprovalDecision {
    /// User approved the command.
    #[serde(rename = "accept")]
    Accept,
    /// User approved the command and future prompts in the same session-scoped approval cache should run without prompting.
    #[serde(rename = "acceptForSession")]
    AcceptForSession,
    /// User approved the command, and wants to apply the proposed execpolicy amendment so future matching commands can run without prompting.
    #[serde(rename = "acceptWithExecpolicyAmendment")]
    AcceptWithExecpolicyAmendment {
        /// `execpolicy_amendment` field.
        execpolicy_amendment: Vec<String>,
    },
    /// User chose a persistent network policy rule (allow/deny) for this host.
    #[serde(rename = "applyNetworkPolicyAmendment")]
    ApplyNetworkPolicyAmendment {
        /// `network_policy_amendment` field.
        network_policy_amendment: NetworkPolicyAmendment,
    },
    /// User denied the command. The agent will continue the turn.
    #[serde(rename = "decline")]
    Decline,
    /// User denied the command. The turn will also be immediately interrupted.
    #[serde(rename = "cancel")]
    Cancel,
}

/// Distinguishes a command approval from input sent to an existing terminal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/CommandExecutionApprovalKind.ts")]
pub enum CommandExecutionApprovalKind {
    /// `command`.
    #[serde(rename = "command")]
    Command,
    /// `writeStdin`.
    #[serde(rename = "writeStdin")]
    WriteStdin,
    /// A managed checkpoint requiring a fresh human decision. Only `accept`, `decline`, and `cancel` are valid. Requires the `requiredHumanApproval` initialize capability. This prompt does not itself start a command execution item.
    #[serde(rename = "humanCommand")]
    HumanCommand,
}

/// The `CommandExecutionRequestApprovalParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecutionRequestApprovalParams.ts")]
pub struct CommandExecutionRequestApprovalParams {
    /// Unique identifier for this specific approval callback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
    /// Ordered list of decisions the client may present for this prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_decisions: Option<Vec<CommandExecutionApprovalDecision>>,
    /// The command to be executed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Best-effort parsed command actions for friendly display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_actions: Option<Vec<CommandAction>>,
    /// The command's working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Environment in which the command will run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// `itemId` field.
    pub item_id: String,
    /// Kind of action under review. Defaults to `command` for older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CommandExecutionApprovalKind>,
    /// Optional context for a managed-network approval prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_approval_context: Option<NetworkApprovalContext>,
    /// Optional proposed execpolicy amendment to allow similar commands without prompting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_execpolicy_amendment: Option<Vec<String>>,
    /// Optional proposed network policy amendments (allow/deny host) for future requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_network_policy_amendments: Option<Vec<NetworkPolicyAmendment>>,
    /// Optional explanatory reason (e.g. request for network access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unix timestamp (in milliseconds) when this approval request started.
    pub started_at_ms: i64,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `CommandExecutionRequestApprovalResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecutionRequestApprovalResponse.ts")]
pub struct CommandExecutionRequestApprovalResponse {
    /// `decision` field.
    pub decision: CommandExecutionApprovalDecision,
}

/// The `FileChangeApprovalDecision` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/FileChangeApprovalDecision.ts")]
pub enum FileChangeApprovalDecision {
    /// User approved the file changes.
    #[serde(rename = "accept")]
    Accept,
    /// User approved the file changes and future changes to the same files should run without prompting.
    #[serde(rename = "acceptForSession")]
    AcceptForSession,
    /// User denied the file changes. The agent will continue the turn.
    #[serde(rename = "decline")]
    Decline,
    /// User denied the file changes. The turn will also be immediately interrupted.
    #[serde(rename = "cancel")]
    Cancel,
}

/// The `FileChangeRequestApprovalParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FileChangeRequestApprovalParams.ts")]
pub struct FileChangeRequestApprovalParams {
    /// [UNSTABLE] When set, the agent is asking the user to allow writes under this root for the remainder of the session (unclear if this is honored today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_root: Option<String>,
    /// `itemId` field.
    pub item_id: String,
    /// Optional explanatory reason (e.g. request for extra write access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unix timestamp (in milliseconds) when this approval request started.
    pub started_at_ms: i64,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `FileChangeRequestApprovalResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FileChangeRequestApprovalResponse.ts")]
pub struct FileChangeRequestApprovalResponse {
    /// `decision` field.
    pub decision: FileChangeApprovalDecision,
}

/// The `NetworkAccess` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/NetworkAccess.ts")]
pub enum NetworkAccess {
    /// `restricted`.
    #[serde(rename = "restricted")]
    Restricted,
    /// `enabled`.
    #[serde(rename = "enabled")]
    Enabled,
}

/// The `NetworkApprovalContext` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/NetworkApprovalContext.ts")]
pub struct NetworkApprovalContext {
    /// `host` field.
    pub host: String,
    /// `protocol` field.
    pub protocol: NetworkApprovalProtocol,
}

/// The `NetworkApprovalProtocol` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/NetworkApprovalProtocol.ts")]
pub enum NetworkApprovalProtocol {
    /// `http`.
    #[serde(rename = "http")]
    Http,
    /// `https`.
    #[serde(rename = "https")]
    Https,
    /// `socks5Tcp`.
    #[serde(rename = "socks5Tcp")]
    Socks5Tcp,
    /// `socks5Udp`.
    #[serde(rename = "socks5Udp")]
    Socks5Udp,
}

/// The `NetworkPolicyAmendment` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/NetworkPolicyAmendment.ts")]
pub struct NetworkPolicyAmendment {
    /// `action` field.
    pub action: NetworkPolicyRuleAction,
    /// `host` field.
    pub host: String,
}

/// The `NetworkPolicyRuleAction` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/NetworkPolicyRuleAction.ts")]
pub enum NetworkPolicyRuleAction {
    /// `allow`.
    #[serde(rename = "allow")]
    Allow,
    /// `deny`.
    #[serde(rename = "deny")]
    Deny,
}
