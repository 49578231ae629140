//! Remote control (experimental): `remoteControl/enable`, `remoteControl/disable`, `remoteControl/status/read` and `remoteControl/status/changed`.

#[allow(unused_imports)]
use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `RemoteControlConnectionStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/RemoteControlConnectionStatus.ts")]
pub enum RemoteControlConnectionStatus {
    /// `disabled`.
    #[serde(rename = "disabled")]
    Disabled,
    /// `connecting`.
    #[serde(rename = "connecting")]
    Connecting,
    /// `connected`.
    #[serde(rename = "connected")]
    Connected,
    /// `errored`.
    #[serde(rename = "errored")]
    Errored,
}

/// The `RemoteControlDisableParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlDisableParams.ts")]
pub struct RemoteControlDisableParams {
    /// `ephemeral` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
}

/// The `RemoteControlDisableResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlDisableResponse.ts")]
pub struct RemoteControlDisableResponse {
    /// `environmentId` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// `installationId` field.
    pub installation_id: String,
    /// `serverName` field.
    pub server_name: String,
    /// `status` field.
    pub status: RemoteControlConnectionStatus,
}

/// The `RemoteControlEnableParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlEnableParams.ts")]
pub struct RemoteControlEnableParams {
    /// `ephemeral` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
}

/// The `RemoteControlEnableResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlEnableResponse.ts")]
pub struct RemoteControlEnableResponse {
    /// `environmentId` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// `installationId` field.
    pub installation_id: String,
    /// `serverName` field.
    pub server_name: String,
    /// `status` field.
    pub status: RemoteControlConnectionStatus,
}

/// Current remote-control connection status and remote identity exposed to clients.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlStatusChangedNotification.ts")]
pub struct RemoteControlStatusChangedNotification {
    /// `environmentId` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// `installationId` field.
    pub installation_id: String,
    /// `serverName` field.
    pub server_name: String,
    /// `status` field.
    pub status: RemoteControlConnectionStatus,
}

/// The `RemoteControlStatusReadResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlStatusReadResponse.ts")]
pub struct RemoteControlStatusReadResponse {
    /// `environmentId` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// `installationId` field.
    pub installation_id: String,
    /// `serverName` field.
    pub server_name: String,
    /// `status` field.
    pub status: RemoteControlConnectionStatus,
}
