//! Remote control (experimental): `remoteControl/enable`, `remoteControl/disable`,
//! `remoteControl/status/read`, `remoteControl/status/changed`, pairing
//! (`remoteControl/pairing/start`, `remoteControl/pairing/status`) and paired-client management
//! (`remoteControl/client/list`, `remoteControl/client/revoke`).

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
    /// Ephemeral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
}

/// The `RemoteControlDisableResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlDisableResponse.ts")]
pub struct RemoteControlDisableResponse {
    /// Environment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Installation id.
    pub installation_id: String,
    /// Server name.
    pub server_name: String,
    /// Status.
    pub status: RemoteControlConnectionStatus,
}

/// The `RemoteControlEnableParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlEnableParams.ts")]
pub struct RemoteControlEnableParams {
    /// Ephemeral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
}

/// The `RemoteControlEnableResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlEnableResponse.ts")]
pub struct RemoteControlEnableResponse {
    /// Environment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Installation id.
    pub installation_id: String,
    /// Server name.
    pub server_name: String,
    /// Status.
    pub status: RemoteControlConnectionStatus,
}

/// Current remote-control connection status and remote identity exposed to clients.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlStatusChangedNotification.ts")]
pub struct RemoteControlStatusChangedNotification {
    /// Environment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Installation id.
    pub installation_id: String,
    /// Server name.
    pub server_name: String,
    /// Status.
    pub status: RemoteControlConnectionStatus,
}

/// The `RemoteControlStatusReadResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlStatusReadResponse.ts")]
pub struct RemoteControlStatusReadResponse {
    /// Environment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Installation id.
    pub installation_id: String,
    /// Server name.
    pub server_name: String,
    /// Status.
    pub status: RemoteControlConnectionStatus,
}

/// Params of `remoteControl/pairing/start`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlPairingStartParams.ts")]
pub struct RemoteControlPairingStartParams {
    /// Also return the code as `manualPairingCode` (for typing it in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_code: Option<bool>,
}

/// Result of `remoteControl/pairing/start`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlPairingStartResponse.ts")]
pub struct RemoteControlPairingStartResponse {
    /// The environment the code pairs with.
    pub environment_id: String,
    /// When the code stops being claimable, seconds since the Unix epoch.
    pub expires_at: i64,
    /// The code again, when `manualCode` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_pairing_code: Option<String>,
    /// The pairing code.
    pub pairing_code: String,
}

/// Params of `remoteControl/pairing/status`: exactly one of the two codes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlPairingStatusParams.ts")]
pub struct RemoteControlPairingStatusParams {
    /// The code as `manualPairingCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_pairing_code: Option<String>,
    /// The code as `pairingCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_code: Option<String>,
}

/// Result of `remoteControl/pairing/status`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlPairingStatusResponse.ts")]
pub struct RemoteControlPairingStatusResponse {
    /// Whether a client claimed the code (an expired code is an error instead).
    pub claimed: bool,
}

/// Order of `remoteControl/client/list`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/RemoteControlClientsListOrder.ts")]
pub enum RemoteControlClientsListOrder {
    /// Oldest first.
    #[serde(rename = "asc")]
    Asc,
    /// Newest first.
    #[serde(rename = "desc")]
    Desc,
}

/// Params of `remoteControl/client/list`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlClientsListParams.ts")]
pub struct RemoteControlClientsListParams {
    /// Where the previous page ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// The environment whose clients to list.
    pub environment_id: String,
    /// Page size (1 to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// By pairing time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<RemoteControlClientsListOrder>,
}

/// One paired remote client.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlClient.ts")]
pub struct RemoteControlClient {
    /// App version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// The client's id.
    pub client_id: String,
    /// Device model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_model: Option<String>,
    /// Device type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    /// The name it gave when pairing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// When it last authenticated a stream, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<i64>,
    /// OS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// Result of `remoteControl/client/list`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlClientsListResponse.ts")]
pub struct RemoteControlClientsListResponse {
    /// This page.
    pub data: Vec<RemoteControlClient>,
    /// The cursor of the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Params of `remoteControl/client/revoke`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RemoteControlClientsRevokeParams.ts")]
pub struct RemoteControlClientsRevokeParams {
    /// The client to revoke.
    pub client_id: String,
    /// Its environment.
    pub environment_id: String,
}

/// Result of `remoteControl/client/revoke` (empty).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/RemoteControlClientsRevokeResponse.ts")]
pub struct RemoteControlClientsRevokeResponse {}
