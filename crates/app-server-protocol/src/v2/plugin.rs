//! Plugins: `plugin/installed` (this server has no plugin marketplaces, so the list is empty).

use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `PluginInstalledParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/PluginInstalledParams.ts")]
pub struct PluginInstalledParams {
    /// Optional working directories used to discover repo marketplaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwds: Option<Vec<AbsolutePath>>,
    /// Additional uninstalled plugin names that should be returned when present locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_suggestion_plugin_names: Option<Vec<String>>,
}

/// One plugin marketplace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/PluginMarketplaceEntry.ts")]
pub struct PluginMarketplaceEntry {
    /// The marketplace's name.
    pub name: String,
    /// Local marketplace file path, when backed by a local file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<AbsolutePath>,
    /// Its plugins.
    pub plugins: Vec<serde_json::Value>,
}

/// A marketplace that could not be loaded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/MarketplaceLoadErrorInfo.ts")]
pub struct MarketplaceLoadErrorInfo {
    /// The marketplace file.
    pub marketplace_path: AbsolutePath,
    /// What went wrong.
    pub message: String,
}

/// The `PluginInstalledResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/PluginInstalledResponse.ts")]
pub struct PluginInstalledResponse {
    /// Marketplaces that could not be loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_load_errors: Option<Vec<MarketplaceLoadErrorInfo>>,
    /// Installed plugins, by marketplace.
    pub marketplaces: Vec<PluginMarketplaceEntry>,
}
