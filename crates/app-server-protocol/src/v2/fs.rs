//! Host filesystem access: `fs/readFile`, `fs/writeFile`, `fs/readDirectory`, `fs/getMetadata`,
//! `fs/createDirectory`, `fs/remove`, `fs/copy`, `fs/watch`, `fs/unwatch` and the `fs/changed`
//! notification. Every path is absolute ([`AbsolutePath`]); payloads are standard base64.

use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// Read a file from the host filesystem.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsReadFileParams.ts")]
pub struct FsReadFileParams {
    /// Absolute path to read.
    pub path: AbsolutePath,
}

/// Base64-encoded file contents returned by `fs/readFile`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsReadFileResponse.ts")]
pub struct FsReadFileResponse {
    /// File contents encoded as base64.
    pub data_base64: String,
}

/// Write a file on the host filesystem.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsWriteFileParams.ts")]
pub struct FsWriteFileParams {
    /// File contents encoded as base64.
    pub data_base64: String,
    /// Absolute path to write.
    pub path: AbsolutePath,
}

/// Successful response for `fs/writeFile`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsWriteFileResponse.ts")]
pub struct FsWriteFileResponse {}

/// List direct child names for a directory.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsReadDirectoryParams.ts")]
pub struct FsReadDirectoryParams {
    /// Absolute directory path to read.
    pub path: AbsolutePath,
}

/// A directory entry returned by `fs/readDirectory`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsReadDirectoryEntry.ts")]
pub struct FsReadDirectoryEntry {
    /// Direct child entry name only, not an absolute or relative path.
    pub file_name: String,
    /// Whether this entry resolves to a directory.
    pub is_directory: bool,
    /// Whether this entry resolves to a regular file.
    pub is_file: bool,
}

/// Directory entries returned by `fs/readDirectory`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsReadDirectoryResponse.ts")]
pub struct FsReadDirectoryResponse {
    /// Direct child entries in the requested directory.
    pub entries: Vec<FsReadDirectoryEntry>,
}

/// Request metadata for an absolute path.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsGetMetadataParams.ts")]
pub struct FsGetMetadataParams {
    /// Absolute path to inspect.
    pub path: AbsolutePath,
}

/// Metadata returned by `fs/getMetadata`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsGetMetadataResponse.ts")]
pub struct FsGetMetadataResponse {
    /// File creation time in Unix milliseconds when available, otherwise `0`.
    pub created_at_ms: i64,
    /// Whether the path resolves to a directory.
    pub is_directory: bool,
    /// Whether the path resolves to a regular file.
    pub is_file: bool,
    /// Whether the path itself is a symbolic link.
    pub is_symlink: bool,
    /// File modification time in Unix milliseconds when available, otherwise `0`.
    pub modified_at_ms: i64,
}

/// Create a directory on the host filesystem.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsCreateDirectoryParams.ts")]
pub struct FsCreateDirectoryParams {
    /// Absolute directory path to create.
    pub path: AbsolutePath,
    /// Whether parent directories should also be created. Defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<bool>,
}

/// Successful response for `fs/createDirectory`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsCreateDirectoryResponse.ts")]
pub struct FsCreateDirectoryResponse {}

/// Remove a file or directory tree from the host filesystem.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsRemoveParams.ts")]
pub struct FsRemoveParams {
    /// Whether missing paths should be ignored. Defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Absolute path to remove.
    pub path: AbsolutePath,
    /// Whether directory removal should recurse. Defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<bool>,
}

/// Successful response for `fs/remove`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsRemoveResponse.ts")]
pub struct FsRemoveResponse {}

/// Copy a file or directory tree on the host filesystem.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsCopyParams.ts")]
pub struct FsCopyParams {
    /// Absolute destination path.
    pub destination_path: AbsolutePath,
    /// Required for directory copies; ignored for file copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    #[ts(optional)]
    pub recursive: Option<bool>,
    /// Absolute source path.
    pub source_path: AbsolutePath,
}

/// Successful response for `fs/copy`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsCopyResponse.ts")]
pub struct FsCopyResponse {}

/// Start filesystem watch notifications for an absolute path.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsWatchParams.ts")]
pub struct FsWatchParams {
    /// Absolute file or directory path to watch.
    pub path: AbsolutePath,
    /// Connection-scoped watch identifier used for `fs/unwatch` and `fs/changed`.
    pub watch_id: String,
}

/// Successful response for `fs/watch`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsWatchResponse.ts")]
pub struct FsWatchResponse {
    /// Canonicalized path associated with the watch.
    pub path: AbsolutePath,
}

/// Stop filesystem watch notifications for a prior `fs/watch`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsUnwatchParams.ts")]
pub struct FsUnwatchParams {
    /// Watch identifier previously provided to `fs/watch`.
    pub watch_id: String,
}

/// Successful response for `fs/unwatch`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsUnwatchResponse.ts")]
pub struct FsUnwatchResponse {}

/// Filesystem watch notification emitted for `fs/watch` subscribers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FsChangedNotification.ts")]
pub struct FsChangedNotification {
    /// File or directory paths associated with this event.
    pub changed_paths: Vec<AbsolutePath>,
    /// Watch identifier previously provided to `fs/watch`.
    pub watch_id: String,
}
