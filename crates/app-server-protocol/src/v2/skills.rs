//! Skills and hooks discovered for a workspace: `skills/list` and `hooks/list`.

#[allow(unused_imports)]
use super::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `HookErrorInfo` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/HookErrorInfo.ts")]
pub struct HookErrorInfo {
    /// `message` field.
    pub message: String,
    /// `path` field.
    pub path: String,
}

/// The `HookEventName` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/HookEventName.ts")]
pub enum HookEventName {
    /// `preModelRequest`.
    #[serde(rename = "preModelRequest")]
    PreModelRequest,
    /// `postModelRequest`.
    #[serde(rename = "postModelRequest")]
    PostModelRequest,
    /// `preToolUse`.
    #[serde(rename = "preToolUse")]
    PreToolUse,
    /// `permissionRequest`.
    #[serde(rename = "permissionRequest")]
    PermissionRequest,
    /// `postToolUse`.
    #[serde(rename = "postToolUse")]
    PostToolUse,
    /// `preCompact`.
    #[serde(rename = "preCompact")]
    PreCompact,
    /// `postCompact`.
    #[serde(rename = "postCompact")]
    PostCompact,
    /// `sessionStart`.
    #[serde(rename = "sessionStart")]
    SessionStart,
    /// `sessionEnd`.
    #[serde(rename = "sessionEnd")]
    SessionEnd,
    /// `userPromptSubmit`.
    #[serde(rename = "userPromptSubmit")]
    UserPromptSubmit,
    /// `subagentStart`.
    #[serde(rename = "subagentStart")]
    SubagentStart,
    /// `subagentStop`.
    #[serde(rename = "subagentStop")]
    SubagentStop,
    /// `stop`.
    #[serde(rename = "stop")]
    Stop,
    /// `interrupt`.
    #[serde(rename = "interrupt")]
    Interrupt,
}

/// The `HooksListEntry` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/HooksListEntry.ts")]
pub struct HooksListEntry {
    /// `cwd` field.
    pub cwd: String,
    /// `errors` field.
    pub errors: Vec<HookErrorInfo>,
    /// `hooks` field.
    pub hooks: Vec<serde_json::Value>,
    /// `warnings` field.
    pub warnings: Vec<String>,
}

/// The `HooksListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/HooksListParams.ts")]
pub struct HooksListParams {
    /// Working directories to inspect when no thread is specified. An empty list uses the session cwd.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwds: Vec<String>,
    /// List a loaded thread's hooks, including its selected environments. Omit `cwds` in this mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}

/// The `HooksListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/HooksListResponse.ts")]
pub struct HooksListResponse {
    /// `data` field.
    pub data: Vec<HooksListEntry>,
}

/// The `SkillDependencies` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillDependencies.ts")]
pub struct SkillDependencies {
    /// `tools` field.
    pub tools: Vec<SkillToolDependency>,
}

/// The `SkillErrorInfo` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillErrorInfo.ts")]
pub struct SkillErrorInfo {
    /// `message` field.
    pub message: String,
    /// `path` field.
    pub path: String,
}

/// The `SkillInterface` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillInterface.ts")]
pub struct SkillInterface {
    /// `brandColor` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_color: Option<String>,
    /// `defaultPrompt` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_prompt: Option<String>,
    /// `displayName` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `iconLarge` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_large: Option<AbsolutePath>,
    /// Remote large icon URL from the plugin catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_large_url: Option<String>,
    /// `iconSmall` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_small: Option<AbsolutePath>,
    /// Remote small icon URL from the plugin catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_small_url: Option<String>,
    /// `shortDescription` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
}

/// The `SkillMetadata` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillMetadata.ts")]
pub struct SkillMetadata {
    /// `dependencies` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<SkillDependencies>,
    /// `description` field.
    pub description: String,
    /// `enabled` field.
    pub enabled: bool,
    /// `interface` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<SkillInterface>,
    /// `name` field.
    pub name: String,
    /// `path` field.
    pub path: String,
    /// Owning plugin ID, matching `PluginSummary.id`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_id: Option<String>,
    /// `scope` field.
    pub scope: SkillScope,
    /// Legacy short_description from SKILL.md. Prefer SKILL.json interface.short_description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
}

/// The `SkillScope` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/SkillScope.ts")]
pub enum SkillScope {
    /// `user`.
    #[serde(rename = "user")]
    User,
    /// `repo`.
    #[serde(rename = "repo")]
    Repo,
    /// `system`.
    #[serde(rename = "system")]
    System,
    /// `admin`.
    #[serde(rename = "admin")]
    Admin,
}

/// The `SkillToolDependency` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillToolDependency.ts")]
pub struct SkillToolDependency {
    /// `command` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `description` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `transport` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// `type` field.
    pub r#type: String,
    /// `url` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `value` field.
    pub value: String,
}

/// The `SkillsListEntry` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillsListEntry.ts")]
pub struct SkillsListEntry {
    /// `cwd` field.
    pub cwd: String,
    /// `errors` field.
    pub errors: Vec<SkillErrorInfo>,
    /// `skills` field.
    pub skills: Vec<SkillMetadata>,
}

/// The `SkillsListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillsListParams.ts")]
pub struct SkillsListParams {
    /// When empty, defaults to the current session working directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwds: Vec<String>,
    /// When true, bypass the skills cache and re-scan skills from disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_reload: Option<bool>,
}

/// The `SkillsListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SkillsListResponse.ts")]
pub struct SkillsListResponse {
    /// `data` field.
    pub data: Vec<SkillsListEntry>,
}
