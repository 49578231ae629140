//! Code review: `review/start` and what it reviews.

use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// What a review looks at, tagged by `type`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/ReviewTarget.ts")]
pub enum ReviewTarget {
    /// Review the working tree: staged, unstaged, and untracked files.
    #[serde(rename = "uncommittedChanges")]
    UncommittedChanges {},
    /// Review changes between the current branch and the given base branch.
    #[serde(rename = "baseBranch")]
    BaseBranch {
        /// The base branch.
        branch: String,
    },
    /// Review the changes introduced by a specific commit.
    #[serde(rename = "commit")]
    Commit {
        /// The commit.
        sha: String,
        /// Optional human-readable label (e.g., commit subject) for UIs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// Arbitrary instructions, equivalent to the old free-form prompt.
    #[serde(rename = "custom")]
    Custom {
        /// What to review and how.
        instructions: String,
    },
}

/// Where a review runs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ReviewDelivery.ts")]
pub enum ReviewDelivery {
    /// A review turn on the thread itself.
    #[serde(rename = "inline")]
    Inline,
    /// A new review thread (accepted by this server as an extension; the reference schema lists
    /// only `inline`, so it is not advertised).
    #[serde(rename = "detached")]
    #[schemars(skip)]
    #[ts(skip)]
    Detached,
}

/// The `ReviewStartParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ReviewStartParams.ts")]
pub struct ReviewStartParams {
    /// Where the review runs; `inline` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<ReviewDelivery>,
    /// What to review.
    pub target: ReviewTarget,
    /// The thread the review is for.
    pub thread_id: String,
}

/// The `ReviewStartResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ReviewStartResponse.ts")]
pub struct ReviewStartResponse {
    /// The thread the review runs on (the supplied one for inline delivery).
    pub review_thread_id: String,
    /// The review turn.
    pub turn: Turn,
}
