//! Execution policy shared by threads, turns and commands: approval policy, sandbox mode and sandbox policy.

#[allow(unused_imports)]
use super::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// Configures who approval requests are routed to for review. Examples include sandbox escapes, blocked network access, MCP approval prompts, and ARC escalations. Defaults to `user`. `auto_review` uses a carefully prompted subagent to gather relevant context and apply a risk-based decision framework before approving or denying the request. The legacy value `guardian_subagent` is accepted for compatibility.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ApprovalsReviewer.ts")]
pub enum ApprovalsReviewer {
    /// `user`.
    #[serde(rename = "user")]
    User,
    /// `auto_review`.
    #[serde(rename = "auto_review")]
    AutoReview,
    /// `guardian_subagent`.
    #[serde(rename = "guardian_subagent")]
    GuardianSubagent,
}

/// The `AskForApproval` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/AskForApproval.ts")]
pub enum AskForApproval {
    /// `untrusted`.
    #[serde(rename = "untrusted")]
    Untrusted,
    /// `on-request`.
    #[serde(rename = "on-request")]
    OnRequest,
    /// `never`.
    #[serde(rename = "never")]
    Never,
    /// `granular`.
    #[serde(rename = "granular")]
    Granular {
        /// `mcp_elicitations` field.
        mcp_elicitations: bool,
        /// `request_permissions` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_permissions: Option<bool>,
        /// `rules` field.
        rules: bool,
        /// `sandbox_approval` field.
        sandbox_approval: bool,
        /// `skill_approval` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skill_approval: Option<bool>,
    },
}

/// The `SandboxMode` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/SandboxMode.ts")]
pub enum SandboxMode {
    /// `read-only`.
    #[serde(rename = "read-only")]
    ReadOnly,
    /// `workspace-write`.
    #[serde(rename = "workspace-write")]
    WorkspaceWrite,
    /// `danger-full-access`.
    #[serde(rename = "danger-full-access")]
    DangerFullAccess,
}

/// The `SandboxPolicy` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/SandboxPolicy.ts")]
pub enum SandboxPolicy {
    /// `dangerFullAccess`.
    #[serde(rename = "dangerFullAccess")]
    DangerFullAccess {},
    /// `readOnly`.
    #[serde(rename = "readOnly")]
    ReadOnly {
        /// `networkAccess` field.
        #[serde(rename = "networkAccess", default, skip_serializing_if = "Option::is_none")]
        network_access: Option<bool>,
    },
    /// `externalSandbox`.
    #[serde(rename = "externalSandbox")]
    ExternalSandbox {
        /// `networkAccess` field.
        #[serde(rename = "networkAccess", default, skip_serializing_if = "Option::is_none")]
        network_access: Option<NetworkAccess>,
    },
    /// `workspaceWrite`.
    #[serde(rename = "workspaceWrite")]
    WorkspaceWrite {
        /// `excludeSlashTmp` field.
        #[serde(rename = "excludeSlashTmp", default, skip_serializing_if = "Option::is_none")]
        exclude_slash_tmp: Option<bool>,
        /// `excludeTmpdirEnvVar` field.
        #[serde(rename = "excludeTmpdirEnvVar", default, skip_serializing_if = "Option::is_none")]
        exclude_tmpdir_env_var: Option<bool>,
        /// `networkAccess` field.
        #[serde(rename = "networkAccess", default, skip_serializing_if = "Option::is_none")]
        network_access: Option<bool>,
        /// `writableRoots` field.
        #[serde(rename = "writableRoots", default, skip_serializing_if = "Vec::is_empty")]
        writable_roots: Vec<AbsolutePath>,
    },
}
