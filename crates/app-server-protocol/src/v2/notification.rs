//! Server notifications that belong to no single resource: `serverRequest/resolved` and `warning`.

#[allow(unused_imports)]
use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `ServerRequestResolvedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ServerRequestResolvedNotification.ts")]
pub struct ServerRequestResolvedNotification {
    /// `requestId` field.
    pub request_id: crate::RequestId,
    /// `threadId` field.
    pub thread_id: String,
}

/// The `WarningNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/WarningNotification.ts")]
pub struct WarningNotification {
    /// Concise warning message for the user.
    pub message: String,
    /// Optional thread target when the warning applies to a specific thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}
