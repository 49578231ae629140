//! A thread's settings for its next turns: `thread/settings/update`, `thread/settings/updated`,
//! and the permission profiles a client can pick from (`permissionProfile/list`).

use super::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// Settings for a collaboration mode (the reference's `Settings` definition).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[schemars(rename = "Settings")]
#[ts(rename = "Settings", export_to = "v2/Settings.ts")]
pub struct CollaborationModeSettings {
    /// Developer instructions of the mode (`null`: the built-in ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// The model the mode runs.
    pub model: String,
    /// The reasoning effort the mode runs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
}

/// Collaboration mode for a Codex session.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/CollaborationMode.ts")]
pub struct CollaborationMode {
    /// Which mode.
    pub mode: ModeKind,
    /// Its settings.
    pub settings: CollaborationModeSettings,
}

/// The permission profile a thread runs with.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ActivePermissionProfile.ts")]
pub struct ActivePermissionProfile {
    /// Parent profile identifier, when the profile extends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// The profile's id, such as `:workspace`.
    pub id: String,
}

/// The `ThreadSettingsUpdateParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadSettingsUpdateParams.ts")]
pub struct ThreadSettingsUpdateParams {
    /// Override the approval policy for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<AskForApproval>,
    /// Override where approval requests are routed for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<ApprovalsReviewer>,
    /// Set a collaboration mode for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_mode: Option<CollaborationMode>,
    /// Override the working directory for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Override the reasoning effort for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// Override the model for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Select a named permissions profile id for subsequent turns. Cannot be combined with
    /// `sandboxPolicy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// Override the sandbox policy for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_policy: Option<SandboxPolicy>,
    /// Override the reasoning summary for subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadSettingsUpdateResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadSettingsUpdateResponse.ts")]
pub struct ThreadSettingsUpdateResponse {}

/// A thread's settings for its next turns, as `thread/settings/updated` reports them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadSettings.ts")]
pub struct ThreadSettings {
    /// The selected permission profile, when the sandbox came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_permission_profile: Option<ActivePermissionProfile>,
    /// Approval policy.
    pub approval_policy: AskForApproval,
    /// Where approval requests go.
    pub approvals_reviewer: ApprovalsReviewer,
    /// Collaboration mode.
    pub collaboration_mode: CollaborationMode,
    /// Working directory.
    pub cwd: AbsolutePath,
    /// Reasoning effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// Model.
    pub model: String,
    /// Model provider.
    pub model_provider: String,
    /// Sandbox policy.
    pub sandbox_policy: SandboxPolicy,
    /// Reasoning summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
}

/// The `ThreadSettingsUpdatedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadSettingsUpdatedNotification.ts")]
pub struct ThreadSettingsUpdatedNotification {
    /// Thread id.
    pub thread_id: String,
    /// The settings now in effect for the thread's next turns.
    pub thread_settings: ThreadSettings,
}

/// The `PermissionProfileListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/PermissionProfileListParams.ts")]
pub struct PermissionProfileListParams {
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Optional working directory to resolve project config layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Optional page size; defaults to the full result set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The `PermissionProfileSummary` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/PermissionProfileSummary.ts")]
pub struct PermissionProfileSummary {
    /// Whether the effective requirements allow selecting this profile.
    pub allowed: bool,
    /// Optional user-facing description for display in clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Available permission profile identifier.
    pub id: String,
}

/// The `PermissionProfileListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/PermissionProfileListResponse.ts")]
pub struct PermissionProfileListResponse {
    /// The profiles.
    pub data: Vec<PermissionProfileSummary>,
    /// Cursor of the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
