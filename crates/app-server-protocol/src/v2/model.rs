//! Models and collaboration modes: `model/list`, `collaborationMode/list` and the reasoning options a model advertises.

#[allow(unused_imports)]
use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// EXPERIMENTAL - list collaboration mode presets.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CollaborationModeListParams.ts")]
pub struct CollaborationModeListParams {}

/// EXPERIMENTAL - collaboration mode presets response.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CollaborationModeListResponse.ts")]
pub struct CollaborationModeListResponse {
    /// `data` field.
    pub data: Vec<CollaborationModeMask>,
}

/// EXPERIMENTAL - collaboration mode preset metadata for clients.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CollaborationModeMask.ts")]
pub struct CollaborationModeMask {
    /// `mode` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeKind>,
    /// `model` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `name` field.
    pub name: String,
    /// `reasoning_effort` field.
    #[serde(rename = "reasoning_effort", default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
}

/// Canonical user-input modality tags advertised by a model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/InputModality.ts")]
pub enum InputModality {
    /// Plain text turns and tool payloads.
    #[serde(rename = "text")]
    Text,
    /// Image attachments included in user turns.
    #[serde(rename = "image")]
    Image,
    /// Audio attachments included in user turns.
    #[serde(rename = "audio")]
    Audio,
}

/// Initial collaboration mode to use when the TUI starts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ModeKind.ts")]
pub enum ModeKind {
    /// `plan`.
    #[serde(rename = "plan")]
    Plan,
    /// `default`.
    #[serde(rename = "default")]
    Default,
}

/// The `Model` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/Model.ts")]
pub struct Model {
    /// Deprecated: use `serviceTiers` instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_speed_tiers: Vec<String>,
    /// `defaultReasoningEffort` field.
    pub default_reasoning_effort: String,
    /// Catalog default service tier id for this model, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_service_tier: Option<String>,
    /// `description` field.
    pub description: String,
    /// `displayName` field.
    pub display_name: String,
    /// `hidden` field.
    pub hidden: bool,
    /// `id` field.
    pub id: String,
    /// `inputModalities` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_modalities: Vec<InputModality>,
    /// `isDefault` field.
    pub is_default: bool,
    /// `model` field.
    pub model: String,
    /// `modelSpecialty` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_specialty: Option<String>,
    /// `serviceTiers` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_tiers: Vec<ModelServiceTier>,
    /// `supportedReasoningEfforts` field.
    pub supported_reasoning_efforts: Vec<ReasoningEffortOption>,
    /// @deprecated Always false; models no longer support personality selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_personality: Option<bool>,
    /// `upgrade` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    /// `upgradeInfo` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_info: Option<ModelUpgradeInfo>,
}

/// The `ModelListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ModelListParams.ts")]
pub struct ModelListParams {
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// When true, include models that are hidden from the default picker list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_hidden: Option<bool>,
    /// Optional page size; defaults to a reasonable server-side value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// List models for this configured provider instead of the app-server default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
}

/// The `ModelListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ModelListResponse.ts")]
pub struct ModelListResponse {
    /// `data` field.
    pub data: Vec<Model>,
    /// Opaque cursor to pass to the next call to continue after the last item. If None, there are no more items to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `ModelServiceTier` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ModelServiceTier.ts")]
pub struct ModelServiceTier {
    /// `description` field.
    pub description: String,
    /// `id` field.
    pub id: String,
    /// `name` field.
    pub name: String,
}

/// The `ModelUpgradeInfo` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ModelUpgradeInfo.ts")]
pub struct ModelUpgradeInfo {
    /// `migrationMarkdown` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_markdown: Option<String>,
    /// `model` field.
    pub model: String,
    /// `modelLink` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_link: Option<String>,
    /// Informational Unix timestamp for this upgrade's scheduled retirement, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retirement_at: Option<i64>,
    /// `upgradeCopy` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_copy: Option<String>,
}

/// Deprecated: `friendly` and `pragmatic` no longer select a style.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/Personality.ts")]
pub enum Personality {
    /// `none`.
    #[serde(rename = "none")]
    None,
    /// `friendly`.
    #[serde(rename = "friendly")]
    Friendly,
    /// `pragmatic`.
    #[serde(rename = "pragmatic")]
    Pragmatic,
}

/// The `ReasoningEffortOption` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ReasoningEffortOption.ts")]
pub struct ReasoningEffortOption {
    /// `description` field.
    pub description: String,
    /// `reasoningEffort` field.
    pub reasoning_effort: String,
}

/// A summary of the reasoning performed by the model. This can be useful for debugging and understanding the model's reasoning process. See https://platform.openai.com/docs/guides/reasoning?api-mode=responses#reasoning-summaries
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ReasoningSummary.ts")]
pub enum ReasoningSummary {
    /// `auto`.
    #[serde(rename = "auto")]
    Auto,
    /// `concise`.
    #[serde(rename = "concise")]
    Concise,
    /// `detailed`.
    #[serde(rename = "detailed")]
    Detailed,
    /// Option to disable reasoning summaries.
    #[serde(rename = "none")]
    None,
}
