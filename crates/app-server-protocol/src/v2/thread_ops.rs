//! Thread methods beyond the lifecycle: the user's own shell commands (`thread/shellCommand`),
//! searching threads (`thread/search`), paging items (`thread/items/list`), a thread's goal
//! (`thread/goal/*`), its background terminals (`thread/backgroundTerminals/*`) and its read
//! state (`thread/readState/changed`).

use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `ThreadShellCommandParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadShellCommandParams.ts")]
pub struct ThreadShellCommandParams {
    /// Shell command string evaluated by the user's shell; shell syntax (pipes, redirects,
    /// quoting) is kept. Runs unsandboxed with full access.
    pub command: String,
    /// Thread id.
    pub thread_id: String,
    /// Maximum execution time in milliseconds; one hour when omitted or null. Zero requests an
    /// immediate timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<i64>,
}

/// The `ThreadShellCommandResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadShellCommandResponse.ts")]
pub struct ThreadShellCommandResponse {}

/// The `ThreadSearchSortKey` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadSearchSortKey.ts")]
pub enum ThreadSearchSortKey {
    /// `created_at`.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// `updated_at`.
    #[serde(rename = "updated_at")]
    UpdatedAt,
    /// `recency_at`.
    #[serde(rename = "recency_at")]
    RecencyAt,
}

/// The `ThreadSearchParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadSearchParams.ts")]
pub struct ThreadSearchParams {
    /// Only archived threads when true; only non-archived ones otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Include persistent threads attached to a parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_attached_threads: Option<bool>,
    /// Optional page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The text to find in thread titles and contents.
    pub search_term: String,
    /// Sort direction; newest first by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_direction: Option<SortDirection>,
    /// Sort key; `created_at` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<ThreadSearchSortKey>,
    /// Source filter; interactive sources when omitted or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_kinds: Option<Vec<ThreadSourceKind>>,
}

/// One thread found by `thread/search`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadSearchResult.ts")]
pub struct ThreadSearchResult {
    /// Text around the first match.
    pub snippet: String,
    /// The thread.
    pub thread: Thread,
}

/// The `ThreadSearchResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadSearchResponse.ts")]
pub struct ThreadSearchResponse {
    /// Cursor for the opposite direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backwards_cursor: Option<String>,
    /// The matching threads.
    pub data: Vec<ThreadSearchResult>,
    /// Cursor of the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// An exclusive item position within the requested turn.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/ThreadItemsListAnchor.ts")]
pub enum ThreadItemsListAnchor {
    /// After (or before, descending) this item.
    #[serde(rename = "item")]
    Item {
        /// The item's id.
        #[serde(rename = "itemId")]
        item_id: String,
    },
}

/// Starting position for an item-history page.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(untagged)]
#[ts(export_to = "v2/ThreadItemsListCursor.ts")]
pub enum ThreadItemsListCursor {
    /// A cursor returned by a previous page.
    Cursor(String),
    /// An item anchor (needs `turnId`).
    Anchor(ThreadItemsListAnchor),
}

/// The `ThreadItemsListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadItemsListParams.ts")]
pub struct ThreadItemsListParams {
    /// Continuation cursor or item anchor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<ThreadItemsListCursor>,
    /// Optional item page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Direction; ascending by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_direction: Option<SortDirection>,
    /// Thread id.
    pub thread_id: String,
    /// Only this turn's items, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
}

/// One item of `thread/items/list`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadItemEntry.ts")]
pub struct ThreadItemEntry {
    /// When the item completed (Unix milliseconds), if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at_ms: Option<i64>,
    /// The item.
    pub item: ThreadItem,
    /// When the item started (Unix milliseconds), if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at_ms: Option<i64>,
    /// The turn holding the item.
    pub turn_id: String,
}

/// The `ThreadItemsListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadItemsListResponse.ts")]
pub struct ThreadItemsListResponse {
    /// Cursor for the opposite direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backwards_cursor: Option<String>,
    /// The items.
    pub data: Vec<ThreadItemEntry>,
    /// Cursor of the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `ThreadGoalStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadGoalStatus.ts")]
pub enum ThreadGoalStatus {
    /// `active`.
    #[serde(rename = "active")]
    Active,
    /// `paused`.
    #[serde(rename = "paused")]
    Paused,
    /// `blocked`.
    #[serde(rename = "blocked")]
    Blocked,
    /// `usageLimited`.
    #[serde(rename = "usageLimited")]
    UsageLimited,
    /// `budgetLimited`.
    #[serde(rename = "budgetLimited")]
    BudgetLimited,
    /// `complete`.
    #[serde(rename = "complete")]
    Complete,
}

/// Distinguishes explicit user actions from automatic goal lifecycle mutations.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadGoalMutationOrigin.ts")]
pub enum ThreadGoalMutationOrigin {
    /// `user`.
    #[serde(rename = "user")]
    User,
    /// `automatic`.
    #[serde(rename = "automatic")]
    Automatic,
}

/// A thread's goal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadGoal.ts")]
pub struct ThreadGoal {
    /// When it was set (Unix seconds).
    pub created_at: i64,
    /// What the thread works towards.
    pub objective: String,
    /// Status.
    pub status: ThreadGoalStatus,
    /// Thread id.
    pub thread_id: String,
    /// Seconds spent on it.
    pub time_used_seconds: i64,
    /// Token budget, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_budget: Option<i64>,
    /// Tokens used on it.
    pub tokens_used: i64,
    /// When it last changed (Unix seconds).
    pub updated_at: i64,
}

/// The `ThreadGoalGetParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadGoalGetParams.ts")]
pub struct ThreadGoalGetParams {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadGoalGetResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadGoalGetResponse.ts")]
pub struct ThreadGoalGetResponse {
    /// The goal, if one is set.
    #[schemars(with = "crate::schema_support::Required<Option<ThreadGoal>>")]
    pub goal: Option<ThreadGoal>,
}

/// The `ThreadGoalSetParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadGoalSetParams.ts")]
pub struct ThreadGoalSetParams {
    /// The objective (required when no goal is set yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    /// Who made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<ThreadGoalMutationOrigin>,
    /// New status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ThreadGoalStatus>,
    /// Thread id.
    pub thread_id: String,
    /// Token budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_budget: Option<i64>,
}

/// The `ThreadGoalSetResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadGoalSetResponse.ts")]
pub struct ThreadGoalSetResponse {
    /// The goal as stored.
    pub goal: ThreadGoal,
}

/// The `ThreadGoalClearParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadGoalClearParams.ts")]
pub struct ThreadGoalClearParams {
    /// Who made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<ThreadGoalMutationOrigin>,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadGoalClearResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadGoalClearResponse.ts")]
pub struct ThreadGoalClearResponse {
    /// Whether a goal was set (and is now cleared).
    pub cleared: bool,
}

/// The `ThreadGoalUpdatedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadGoalUpdatedNotification.ts")]
pub struct ThreadGoalUpdatedNotification {
    /// The goal now.
    pub goal: ThreadGoal,
    /// Thread id.
    pub thread_id: String,
    /// The turn that changed it, if a turn did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
}

/// The `ThreadGoalClearedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadGoalClearedNotification.ts")]
pub struct ThreadGoalClearedNotification {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadBackgroundTerminalsListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadBackgroundTerminalsListParams.ts")]
pub struct ThreadBackgroundTerminalsListParams {
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Optional page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Thread id.
    pub thread_id: String,
}

/// A command the model left running in a thread.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadBackgroundTerminal.ts")]
pub struct ThreadBackgroundTerminal {
    /// The command line.
    pub command: String,
    /// Where it runs.
    pub cwd: String,
    /// The item that started it.
    pub item_id: String,
    /// The operating system's process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_pid: Option<i64>,
    /// The session id the model uses for it.
    pub process_id: String,
}

/// The `ThreadBackgroundTerminalsListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadBackgroundTerminalsListResponse.ts")]
pub struct ThreadBackgroundTerminalsListResponse {
    /// The running terminals.
    pub data: Vec<ThreadBackgroundTerminal>,
    /// Cursor of the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `ThreadBackgroundTerminalsCleanParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadBackgroundTerminalsCleanParams.ts")]
pub struct ThreadBackgroundTerminalsCleanParams {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadBackgroundTerminalsCleanResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadBackgroundTerminalsCleanResponse.ts")]
pub struct ThreadBackgroundTerminalsCleanResponse {}

/// The `ThreadBackgroundTerminalsTerminateParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadBackgroundTerminalsTerminateParams.ts")]
pub struct ThreadBackgroundTerminalsTerminateParams {
    /// The terminal's `processId`.
    pub process_id: String,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadBackgroundTerminalsTerminateResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadBackgroundTerminalsTerminateResponse.ts")]
pub struct ThreadBackgroundTerminalsTerminateResponse {
    /// Whether a running terminal was found and terminated.
    pub terminated: bool,
}

/// The first unread position of a thread.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/ThreadUnreadPosition.ts")]
pub enum ThreadUnreadPosition {
    /// Nothing of the thread was read.
    #[serde(rename = "threadStart")]
    ThreadStart {},
    /// Unread from this turn on.
    #[serde(rename = "turn")]
    Turn {
        /// The first unread turn.
        #[serde(rename = "turnId")]
        turn_id: String,
    },
}

/// The read state of a thread.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadReadState.ts")]
pub struct ThreadReadState {
    /// The first unread position (`null`: read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_unread: Option<ThreadUnreadPosition>,
    /// Opaque revision guarding edits.
    pub revision: String,
}

/// The `ThreadReadStateChangedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadReadStateChangedNotification.ts")]
pub struct ThreadReadStateChangedNotification {
    /// The read state now.
    pub read_state: ThreadReadState,
    /// Thread id.
    pub thread_id: String,
}
