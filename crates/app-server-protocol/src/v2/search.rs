//! Fuzzy file search: the one-shot `fuzzyFileSearch` and the experimental session variants
//! (`fuzzyFileSearch/sessionStart|sessionUpdate|sessionStop`, notifications
//! `fuzzyFileSearch/sessionUpdated` and `fuzzyFileSearch/sessionCompleted`).
//!
//! Result fields are snake_case on the wire (`file_name`, `match_type`), as in the reference.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// Params of `fuzzyFileSearch`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchParams.ts")]
pub struct FuzzyFileSearchParams {
    /// A later request with the same token cancels this one (which then answers with what it
    /// has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_token: Option<String>,
    /// The fuzzy query, matched against each path relative to its root.
    pub query: String,
    /// Absolute directories to search.
    pub roots: Vec<String>,
}

/// Whether a match is a file or a directory.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/FuzzyFileSearchMatchType.ts")]
pub enum FuzzyFileSearchMatchType {
    /// A file (or anything that is not a directory).
    #[serde(rename = "file")]
    File,
    /// A directory (also through a followed symlink).
    #[serde(rename = "directory")]
    Directory,
}

/// One match: where it is, what it is, and how well it matched.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/FuzzyFileSearchResult.ts")]
pub struct FuzzyFileSearchResult {
    /// The base name of `path`.
    pub file_name: String,
    /// Character indices into `path` of the matched characters (sorted, deduplicated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indices: Option<Vec<u32>>,
    /// File or directory.
    pub match_type: FuzzyFileSearchMatchType,
    /// The path relative to `root`.
    pub path: String,
    /// The root it was found under, as given.
    pub root: String,
    /// The match score (higher is better).
    pub score: u32,
}

/// Result of `fuzzyFileSearch`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchResponse.ts")]
pub struct FuzzyFileSearchResponse {
    /// At most 50 matches, best first (ties by path).
    pub files: Vec<FuzzyFileSearchResult>,
}

/// Params of `fuzzyFileSearch/sessionStart`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionStartParams.ts")]
pub struct FuzzyFileSearchSessionStartParams {
    /// Absolute directories to search.
    pub roots: Vec<String>,
    /// Connection-scoped session id chosen by the client.
    pub session_id: String,
}

/// Result of `fuzzyFileSearch/sessionStart`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionStartResponse.ts")]
pub struct FuzzyFileSearchSessionStartResponse {}

/// Params of `fuzzyFileSearch/sessionUpdate`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionUpdateParams.ts")]
pub struct FuzzyFileSearchSessionUpdateParams {
    /// The new query; it replaces (and cancels) the previous one.
    pub query: String,
    /// The session.
    pub session_id: String,
}

/// Result of `fuzzyFileSearch/sessionUpdate`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionUpdateResponse.ts")]
pub struct FuzzyFileSearchSessionUpdateResponse {}

/// Params of `fuzzyFileSearch/sessionStop`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionStopParams.ts")]
pub struct FuzzyFileSearchSessionStopParams {
    /// The session.
    pub session_id: String,
}

/// Result of `fuzzyFileSearch/sessionStop`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionStopResponse.ts")]
pub struct FuzzyFileSearchSessionStopResponse {}

/// `fuzzyFileSearch/sessionUpdated`: the matches of the session's latest query.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionUpdatedNotification.ts")]
pub struct FuzzyFileSearchSessionUpdatedNotification {
    /// At most 50 matches, best first.
    pub files: Vec<FuzzyFileSearchResult>,
    /// The query these matches are for.
    pub query: String,
    /// The session.
    pub session_id: String,
}

/// `fuzzyFileSearch/sessionCompleted`: the walk is complete and matching is idle.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FuzzyFileSearchSessionCompletedNotification.ts")]
pub struct FuzzyFileSearchSessionCompletedNotification {
    /// The session.
    pub session_id: String,
}
