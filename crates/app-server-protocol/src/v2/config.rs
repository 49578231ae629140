//! Configuration: `config/read`, `config/value/write`, `config/batchWrite`, `configRequirements/read`, `experimentalFeature/list` and `configWarning`.

use super::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `Config` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/Config.ts")]
pub struct Config {
    /// Approval policy.
    #[serde(rename = "approval_policy", default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<AskForApproval>,
    /// [UNSTABLE] Optional default for where approval requests are routed for review.
    #[serde(rename = "approvals_reviewer", default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<ApprovalsReviewer>,
    /// Compact prompt.
    #[serde(rename = "compact_prompt", default, skip_serializing_if = "Option::is_none")]
    pub compact_prompt: Option<String>,
    /// Desktop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desktop: Option<serde_json::Map<String, serde_json::Value>>,
    /// Developer instructions.
    #[serde(rename = "developer_instructions", default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// Forced login method.
    #[serde(rename = "forced_login_method", default, skip_serializing_if = "Option::is_none")]
    pub forced_login_method: Option<ForcedLoginMethod>,
    /// Instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model auto compact token limit.
    #[serde(
        rename = "model_auto_compact_token_limit",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub model_auto_compact_token_limit: Option<i64>,
    /// Model context window.
    #[serde(rename = "model_context_window", default, skip_serializing_if = "Option::is_none")]
    pub model_context_window: Option<i64>,
    /// Model provider.
    #[serde(rename = "model_provider", default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// Model reasoning effort.
    #[serde(rename = "model_reasoning_effort", default, skip_serializing_if = "Option::is_none")]
    pub model_reasoning_effort: Option<String>,
    /// Model reasoning summary.
    #[serde(rename = "model_reasoning_summary", default, skip_serializing_if = "Option::is_none")]
    pub model_reasoning_summary: Option<ReasoningSummary>,
    /// Model verbosity.
    #[serde(rename = "model_verbosity", default, skip_serializing_if = "Option::is_none")]
    pub model_verbosity: Option<Verbosity>,
    /// Review model.
    #[serde(rename = "review_model", default, skip_serializing_if = "Option::is_none")]
    pub review_model: Option<String>,
    /// Sandbox mode.
    #[serde(rename = "sandbox_mode", default, skip_serializing_if = "Option::is_none")]
    pub sandbox_mode: Option<SandboxMode>,
    /// Sandbox workspace write.
    #[serde(rename = "sandbox_workspace_write", default, skip_serializing_if = "Option::is_none")]
    pub sandbox_workspace_write: Option<SandboxWorkspaceWrite>,
    /// Service tier.
    #[serde(rename = "service_tier", default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Web search.
    #[serde(rename = "web_search", default, skip_serializing_if = "Option::is_none")]
    pub web_search: Option<WebSearchMode>,
    /// Settings this crate does not model, passed through unchanged.
    #[serde(flatten)]
    #[ts(skip)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The `ConfigBatchWriteParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigBatchWriteParams.ts")]
pub struct ConfigBatchWriteParams {
    /// Edits.
    pub edits: Vec<ConfigEdit>,
    /// Expected version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<String>,
    /// Path to the config file to write; defaults to the user's `config.toml` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    /// When true, hot-reload updated runtime settings into loaded threads after writing. Session-static model, reasoning-effort, Plan-mode reasoning-effort, and service-tier defaults are not reloaded. The deprecated personality setting is also not reloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reload_user_config: Option<bool>,
}

/// The `ConfigEdit` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigEdit.ts")]
pub struct ConfigEdit {
    /// Key path.
    pub key_path: String,
    /// Merge strategy.
    pub merge_strategy: MergeStrategy,
    /// Value.
    #[ts(type = "unknown")]
    pub value: serde_json::Value,
}

/// The `ConfigLayer` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigLayer.ts")]
pub struct ConfigLayer {
    /// Config.
    #[ts(type = "unknown")]
    pub config: serde_json::Value,
    /// Disabled reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Name.
    pub name: ConfigLayerSource,
    /// Version.
    pub version: String,
}

/// The `ConfigLayerMetadata` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigLayerMetadata.ts")]
pub struct ConfigLayerMetadata {
    /// Name.
    pub name: ConfigLayerSource,
    /// Version.
    pub version: String,
}

/// The `ConfigLayerSource` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/ConfigLayerSource.ts")]
pub enum ConfigLayerSource {
    /// Default configuration supplied with the installed Codex package.
    #[serde(rename = "packagedDefaults")]
    PackagedDefaults {
        /// Path to the packaged default configuration file.
        file: AbsolutePath,
    },
    /// Managed preferences layer delivered by MDM (macOS only).
    #[serde(rename = "mdm")]
    Mdm {
        /// Domain.
        domain: String,
        /// Key.
        key: String,
    },
    /// Managed config layer from a file (usually `managed_config.toml`).
    #[serde(rename = "system")]
    System {
        /// This is the path to the system config.toml file, though it is not guaranteed to exist.
        file: AbsolutePath,
    },
    /// Enterprise-managed config layer delivered by the cloud config bundle.
    #[serde(rename = "enterpriseManaged")]
    EnterpriseManaged {
        /// Stable identifier for the delivered layer.
        id: String,
        /// Admin-facing name for the delivered layer. This is surfaced in diagnostics so users know which cloud layer needs administrator attention.
        name: String,
    },
    /// User config layer from $CODEX_HOME/config.toml. This layer is special in that it is expected to be: - writable by the user - generally outside the workspace directory
    #[serde(rename = "user")]
    User {
        /// This is the path to the user's config.toml file, though it is not guaranteed to exist.
        file: AbsolutePath,
        /// Name of the selected profile-v2 config layered on top of the base user config, when this layer represents one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<String>,
    },
    /// Path to a .codex/ folder within a project. There could be multiple of these between `cwd` and the project/repo root.
    #[serde(rename = "project")]
    Project {
        /// Dot codex folder.
        #[serde(rename = "dotCodexFolder")]
        dot_codex_folder: AbsolutePath,
    },
    /// Session-layer overrides supplied via `-c`/`--config`.
    #[serde(rename = "sessionFlags")]
    SessionFlags {},
    /// `managed_config.toml` was designed to be a config that was loaded as the last layer on top of everything else. This scheme did not quite work out as intended, but we keep this variant as a "best effort" while we phase out `managed_config.toml` in favor of `requirements.toml`.
    #[serde(rename = "legacyManagedConfigTomlFromFile")]
    LegacyManagedConfigTomlFromFile {
        /// File.
        file: AbsolutePath,
    },
    /// `legacyManagedConfigTomlFromMdm`.
    #[serde(rename = "legacyManagedConfigTomlFromMdm")]
    LegacyManagedConfigTomlFromMdm {},
}

/// The `ConfigReadParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigReadParams.ts")]
pub struct ConfigReadParams {
    /// Optional working directory to resolve project config layers. If specified, return the effective config as seen from that directory (i.e., including any project layers between `cwd` and the project/repo root).
    ///
    /// A plain string, as in the reference: the Codex TUI sends `"."`, resolved against the
    /// server's working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Include layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_layers: Option<bool>,
}

/// The `ConfigReadResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigReadResponse.ts")]
pub struct ConfigReadResponse {
    /// Config.
    pub config: Config,
    /// Layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<ConfigLayer>>,
    /// Origins.
    pub origins: std::collections::BTreeMap<String, ConfigLayerMetadata>,
}

/// The `ConfigRequirements` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigRequirements.ts")]
pub struct ConfigRequirements {
    /// Additional developer instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_developer_instructions: Option<String>,
    /// Allow appshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_appshots: Option<bool>,
    /// Allow browser and computer use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_browser_and_computer_use: Option<bool>,
    /// Allow login shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_login_shell: Option<bool>,
    /// Allow managed hooks only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_managed_hooks_only: Option<bool>,
    /// Allow remote control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_remote_control: Option<bool>,
    /// Allowed approval policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_approval_policies: Option<Vec<AskForApproval>>,
    /// Allowed approvals reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_approvals_reviewers: Option<Vec<ApprovalsReviewer>>,
    /// Effective login methods after managed, forced-login, and workspace restrictions. An empty list permits no login method. Older servers may omit this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_login_methods: Option<Vec<ForcedLoginMethod>>,
    /// Allowed permission profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_permission_profiles: Option<std::collections::BTreeMap<String, bool>>,
    /// Allowed sandbox modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_sandbox_modes: Option<Vec<SandboxMode>>,
    /// Allowed web search modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_web_search_modes: Option<Vec<WebSearchMode>>,
    /// Chatgpt base url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatgpt_base_url: Option<String>,
    /// Check for update on startup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_for_update_on_startup: Option<bool>,
    /// Default permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_permissions: Option<String>,
    /// Feature requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_requirements: Option<std::collections::BTreeMap<String, bool>>,
    /// Log dir.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_dir: Option<String>,
    /// Model catalog json.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_catalog_json: Option<String>,
    /// Exact provider selection required by managed policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// Complete required provider definitions, using config.toml field names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_providers: Option<serde_json::Map<String, serde_json::Value>>,
    /// Sqlite home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite_home: Option<String>,
}

/// The `ConfigRequirementsReadResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigRequirementsReadResponse.ts")]
pub struct ConfigRequirementsReadResponse {
    /// Null if no requirements are configured (e.g. no requirements.toml/MDM entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<ConfigRequirements>,
    /// Whether Fast and Ultra Fast requirements are enforced independently. Older servers omit this field and use Fast mode as a shared speed gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_independent_speed_modes: Option<bool>,
}

/// The `ConfigValueWriteParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigValueWriteParams.ts")]
pub struct ConfigValueWriteParams {
    /// Expected version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<String>,
    /// Path to the config file to write; defaults to the user's `config.toml` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    /// Key path.
    pub key_path: String,
    /// Merge strategy.
    pub merge_strategy: MergeStrategy,
    /// Value.
    #[ts(type = "unknown")]
    pub value: serde_json::Value,
}

/// The `ConfigWarningNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigWarningNotification.ts")]
pub struct ConfigWarningNotification {
    /// Optional extra guidance or error details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Optional path to the config file that triggered the warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Optional range for the error location inside the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<TextRange>,
    /// Concise summary of the warning.
    pub summary: String,
}

/// The `ConfigWriteResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ConfigWriteResponse.ts")]
pub struct ConfigWriteResponse {
    /// Canonical path to the config file that was written.
    pub file_path: AbsolutePath,
    /// Overridden metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overridden_metadata: Option<OverriddenMetadata>,
    /// Status.
    pub status: WriteStatus,
    /// Version.
    pub version: String,
}

/// The `ExperimentalFeature` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ExperimentalFeature.ts")]
pub struct ExperimentalFeature {
    /// Announcement copy shown to users when the feature is introduced. Null when this feature is not in beta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<String>,
    /// Whether this feature is enabled by default.
    pub default_enabled: bool,
    /// Short summary describing what the feature does. Null when this feature is not in beta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// User-facing display name shown in the experimental features UI. Null when this feature is not in beta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether this feature is currently enabled in the loaded config.
    pub enabled: bool,
    /// Stable key used in config.toml and CLI flag toggles.
    pub name: String,
    /// Lifecycle stage of this feature flag.
    pub stage: ExperimentalFeatureStage,
}

/// The `ExperimentalFeatureListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ExperimentalFeatureListParams.ts")]
pub struct ExperimentalFeatureListParams {
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Optional page size; defaults to a reasonable server-side value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Optional loaded thread id. Pass this when showing feature state for an existing thread so enablement is computed from that thread's refreshed config, including project-local config for the thread's cwd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}

/// The `ExperimentalFeatureListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ExperimentalFeatureListResponse.ts")]
pub struct ExperimentalFeatureListResponse {
    /// Data.
    pub data: Vec<ExperimentalFeature>,
    /// Opaque cursor to pass to the next call to continue after the last item. If None, there are no more items to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `ExperimentalFeatureStage` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ExperimentalFeatureStage.ts")]
pub enum ExperimentalFeatureStage {
    /// Feature is available for user testing and feedback.
    #[serde(rename = "beta")]
    Beta,
    /// Feature is still being built and not ready for broad use.
    #[serde(rename = "underDevelopment")]
    UnderDevelopment,
    /// Feature is production-ready.
    #[serde(rename = "stable")]
    Stable,
    /// Feature is deprecated and should be avoided.
    #[serde(rename = "deprecated")]
    Deprecated,
    /// Feature flag is retained only for backwards compatibility.
    #[serde(rename = "removed")]
    Removed,
}

/// The `MergeStrategy` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/MergeStrategy.ts")]
pub enum MergeStrategy {
    /// `replace`.
    #[serde(rename = "replace")]
    Replace,
    /// `upsert`.
    #[serde(rename = "upsert")]
    Upsert,
}

/// The `OverriddenMetadata` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/OverriddenMetadata.ts")]
pub struct OverriddenMetadata {
    /// Effective value.
    #[ts(type = "unknown")]
    pub effective_value: serde_json::Value,
    /// Message.
    pub message: String,
    /// Overriding layer.
    pub overriding_layer: ConfigLayerMetadata,
}

/// The `TextPosition` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TextPosition.ts")]
pub struct TextPosition {
    /// 1-based column number (in Unicode scalar values).
    pub column: u64,
    /// 1-based line number.
    pub line: u64,
}

/// The `TextRange` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TextRange.ts")]
pub struct TextRange {
    /// End.
    pub end: TextPosition,
    /// Start.
    pub start: TextPosition,
}

/// The `WriteStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/WriteStatus.ts")]
pub enum WriteStatus {
    /// `ok`.
    #[serde(rename = "ok")]
    Ok,
    /// `okOverridden`.
    #[serde(rename = "okOverridden")]
    OkOverridden,
}
