//! Threads: the `Thread` resource, its status, and the `thread/*` methods and notifications.

use super::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `GitInfo` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/GitInfo.ts")]
pub struct GitInfo {
    /// Branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Origin url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_url: Option<String>,
    /// Sha.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
}

/// The `SessionSource` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/SessionSource.ts")]
pub enum SessionSource {
    /// `cli`.
    #[serde(rename = "cli")]
    Cli,
    /// `vscode`.
    #[serde(rename = "vscode")]
    Vscode,
    /// `exec`.
    #[serde(rename = "exec")]
    Exec,
    /// `appServer`.
    #[serde(rename = "appServer")]
    AppServer,
    /// `unknown`.
    #[serde(rename = "unknown")]
    Unknown,
    /// `custom`.
    #[serde(rename = "custom")]
    Custom(String),
    /// `subAgent`.
    #[serde(rename = "subAgent")]
    SubAgent(serde_json::Value),
}

/// The `SortDirection` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/SortDirection.ts")]
pub enum SortDirection {
    /// `asc`.
    #[serde(rename = "asc")]
    Asc,
    /// `desc`.
    #[serde(rename = "desc")]
    Desc,
}

/// The `Thread` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/Thread.ts")]
pub struct Thread {
    /// Optional random unique nickname assigned to an AgentControl-spawned sub-agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_nickname: Option<String>,
    /// Optional role (agent_role) assigned to an AgentControl-spawned sub-agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_role: Option<String>,
    /// Parent that owns this persisted attached thread, independent of fork or spawn lineage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_to_thread_id: Option<String>,
    /// Whether the app server accepts direct turn input for this loaded thread. `None` means the capability is unavailable, such as for an unloaded stored thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_accept_direct_input: Option<bool>,
    /// Version of the CLI that created the thread.
    pub cli_version: String,
    /// Unix timestamp (in seconds) when the thread was created.
    pub created_at: i64,
    /// Working directory captured for the thread.
    pub cwd: AbsolutePath,
    /// Saved Daybreak choice, independent of turn execution. Null if unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daybreak_enabled: Option<bool>,
    /// Whether the thread is ephemeral and should not be materialized on disk.
    pub ephemeral: bool,
    /// Source thread id when this thread was created by forking another thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from_id: Option<String>,
    /// Optional Git metadata captured when the thread was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_info: Option<GitInfo>,
    /// Persisted thread history contract selected when this thread was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_mode: Option<ThreadHistoryMode>,
    /// Identifier for this thread. Codex-generated thread IDs are UUIDv7.
    pub id: String,
    /// Current configured model when loaded, otherwise the latest persisted model. Null when unavailable. This is not per-turn execution telemetry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model provider used for this thread (for example, 'openai').
    pub model_provider: String,
    /// Optional user-facing thread title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Originator recorded when the thread was created, independent of its current client or executor. Null when the recorded originator is unavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originator: Option<String>,
    /// The ID of the parent thread. This will only be set if this thread is a subagent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_thread_id: Option<String>,
    /// [UNSTABLE] Path to the thread on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Usually the first user message in the thread, if available.
    pub preview: String,
    /// Canonical project assignment owned by app-server, if any.
    #[schemars(with = "crate::schema_support::Required<Option<String>>")]
    pub project_id: Option<String>,
    /// Current configured reasoning effort when loaded, otherwise the latest persisted effort. Null when unset or unavailable. This is not per-turn execution telemetry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Unix timestamp (in seconds) used for thread recency ordering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recency_at: Option<i64>,
    /// Unix timestamp in seconds when the thread entered its current section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_entered_at: Option<i64>,
    /// Session id shared by threads that belong to the same session tree.
    pub session_id: String,
    /// Origin of the thread (CLI, VSCode, codex exec, codex app-server, etc.).
    pub source: SessionSource,
    /// Current runtime status for the thread.
    pub status: ThreadStatus,
    /// Optional analytics source classification for this thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_source: Option<String>,
    /// Only populated on `thread/resume`, `thread/fork`, and `thread/read` (when `includeTurns` is true) responses. For all other responses and notifications returning a Thread, the turns field will be an empty list.
    pub turns: Vec<Turn>,
    /// Unix timestamp (in seconds) when the thread was last updated.
    pub updated_at: i64,
}

/// The `ThreadActiveFlag` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadActiveFlag.ts")]
pub enum ThreadActiveFlag {
    /// `waitingOnApproval`.
    #[serde(rename = "waitingOnApproval")]
    WaitingOnApproval,
    /// `waitingOnUserInput`.
    #[serde(rename = "waitingOnUserInput")]
    WaitingOnUserInput,
}

/// The `ThreadArchiveParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadArchiveParams.ts")]
pub struct ThreadArchiveParams {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadArchiveResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadArchiveResponse.ts")]
pub struct ThreadArchiveResponse {}

/// The `ThreadArchivedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadArchivedNotification.ts")]
pub struct ThreadArchivedNotification {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadClosedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadClosedNotification.ts")]
pub struct ThreadClosedNotification {
    /// Thread id.
    pub thread_id: String,
}

/// There are two ways to fork a thread: 1. By thread_id: load the thread from disk by thread_id and fork it into a new thread. 2. By path: load the thread from disk by path and fork it into a new thread.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadForkParams.ts")]
pub struct ThreadForkParams {
    /// Approval policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<AskForApproval>,
    /// Override where approval requests are routed for review on this thread and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<ApprovalsReviewer>,
    /// Persist the fork as an attached thread of its resolved source, hidden from ordinary lists. The source cannot be deleted while attached threads exist. Requires a paginated source and local storage; incompatible with ephemeral and deferGoalContinuation. Omitted or false creates an ordinary fork.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_to_source: Option<bool>,
    /// Base instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<String>,
    /// Optional turn id to fork before, excluding that turn and all later turns. Cannot be combined with `last_turn_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_turn_id: Option<String>,
    /// Config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Cwd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<AbsolutePath>,
    /// When true, carry the source thread's current goal into the fork without starting its initial automatic continuation. The next explicit turn owns the goal lifecycle, and normal automatic continuation resumes after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defer_goal_continuation: Option<bool>,
    /// Developer instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// Ephemeral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
    /// When true, return only thread metadata and live fork state without populating `thread.turns`. This is useful when the client plans to call `thread/turns/list` immediately after forking. Full-history hydration is deprecated for paginated threads; use this with `thread/turns/list` and `thread/items/list` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_turns: Option<bool>,
    /// Disable MCP servers in prediction mode when the inherited window uses incremental tools on Responses Lite. Requires `experimentalPredictionMode: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experimental_disable_prediction_mcp: Option<bool>,
    /// Start from the loaded parent's effective config, tools, environments, and persisted history to maximize prompt-cache reuse. Requires a loaded, persisted parent and `ephemeral: true`. Enables `features.reasoning_effort_override` on the fork. Only `config.thread_unload_delay_secs` may override the inherited config. Cannot be combined with `path`, `lastTurnId`, or `beforeTurnId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experimental_prediction_mode: Option<bool>,
    /// Optional last turn id to fork through, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_turn_id: Option<String>,
    /// Configuration overrides for the forked thread, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// [UNSTABLE] Specify the rollout path to fork from. If specified, the thread_id param will be ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Named profile id for the forked thread. Cannot be combined with `sandbox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// Replace the thread's runtime workspace roots. Paths must be absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_workspace_roots: Option<Vec<AbsolutePath>>,
    /// Sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    /// Service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Thread id.
    pub thread_id: String,
    /// Optional client-supplied analytics source classification for this forked thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_source: Option<String>,
}

/// The `ThreadForkResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadForkResponse.ts")]
pub struct ThreadForkResponse {
    /// Approval policy.
    pub approval_policy: AskForApproval,
    /// Reviewer currently used for approval requests on this thread.
    pub approvals_reviewer: ApprovalsReviewer,
    /// Cwd.
    pub cwd: AbsolutePath,
    /// Saved list of disabled plugin IDs. Does not yet filter plugin capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_plugin_ids: Vec<String>,
    /// Environment-native paths to instruction source files currently loaded for this thread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instruction_sources: Vec<String>,
    /// Model.
    pub model: String,
    /// Model provider.
    pub model_provider: String,
    /// Reasoning effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Thread-scoped runtime workspace roots used to materialize `:workspace_roots`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_workspace_roots: Vec<AbsolutePath>,
    /// Legacy sandbox policy retained for compatibility. Experimental clients should prefer `activePermissionProfile` for profile provenance.
    pub sandbox: SandboxPolicy,
    /// Service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Thread.
    pub thread: Thread,
}

/// The `ThreadHistoryMode` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadHistoryMode.ts")]
pub enum ThreadHistoryMode {
    /// `legacy`.
    #[serde(rename = "legacy")]
    Legacy,
    /// `paginated`.
    #[serde(rename = "paginated")]
    Paginated,
}

/// The `ThreadListCwdFilter` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(untagged)]
#[ts(export_to = "v2/ThreadListCwdFilter.ts")]
pub enum ThreadListCwdFilter {
    /// A String value.
    Single(String),
    /// A Vec&lt;String> value.
    Many(Vec<String>),
}

/// The `ThreadListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadListParams.ts")]
pub struct ThreadListParams {
    /// Optional ancestor thread filter. Returns spawned descendants at any depth, excluding the ancestor itself. Mutually exclusive with `parentThreadId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ancestor_thread_id: Option<String>,
    /// Optional archived filter; when set to true, only archived threads are returned. If false or null, only non-archived threads are returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Return only persistent threads attached to this thread, including empty threads. Mutually exclusive with parentThreadId and ancestorThreadId. Omitting this filter keeps attached threads hidden from ordinary listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_to_thread_id: Option<String>,
    /// Show local history visible to the current ChatGPT account. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_account_only: Option<bool>,
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Optional cwd filter or filters; when set, only threads whose session cwd exactly matches one of these paths are returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<ThreadListCwdFilter>,
    /// Thread IDs to exclude before applying the result limit. Up to 100 entries; invalid IDs or a larger list are rejected, never truncated. Send the same exclusions on each page. Omitted, null, or empty means no exclusions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_thread_ids: Option<Vec<String>>,
    /// Include persistent threads attached to a parent when searching by title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_attached_threads: Option<bool>,
    /// Optional page size; defaults to a reasonable server-side value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Optional provider filter; when set, only sessions recorded under these providers are returned. When present but empty, includes all providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_providers: Option<Vec<String>>,
    /// Optional originator allowlist, matching any supplied value exactly. Supported by hosted backends only; the local app-server rejects a nonempty list. Omitted or empty lists leave originators unrestricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originators: Option<Vec<String>>,
    /// Optional direct parent thread filter. Mutually exclusive with `ancestorThreadId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_thread_id: Option<String>,
    /// Omit to include every project, set to null for unassigned threads, or provide a project ID to return only threads in that project.
    // `None` when the key is absent, `Some(None)` for `null`.
    #[serde(
        default,
        deserialize_with = "crate::tristate::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>")]
    #[ts(optional, type = "string | null")]
    pub project_id: Option<Option<String>>,
    /// Optional substring filter for the extracted thread title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_term: Option<String>,
    /// Omit to include every section, set to `null` for unsectioned threads, or provide a section ID to return only threads in that section.
    // `None` when the key is absent, `Some(None)` for `null`.
    #[serde(
        default,
        deserialize_with = "crate::tristate::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>")]
    #[ts(optional, type = "string | null")]
    pub section_id: Option<Option<String>>,
    /// Optional sort direction; defaults to descending (newest first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_direction: Option<SortDirection>,
    /// Optional sort key; defaults to created_at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<ThreadSortKey>,
    /// Optional source filter; when set, only sessions from these source kinds are returned. When omitted or empty, defaults to interactive sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_kinds: Option<Vec<ThreadSourceKind>>,
    /// If true, return from the state DB without scanning JSONL rollouts to repair thread metadata. Omitted or false preserves scan-and-repair behavior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_state_db_only: Option<bool>,
}

/// The `ThreadListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadListResponse.ts")]
pub struct ThreadListResponse {
    /// Opaque cursor to pass as `cursor` when reversing `sortDirection`. This is only populated when the page contains at least one thread. Use it with the opposite `sortDirection`; for timestamp sorts it anchors at the start of the page timestamp so same-second updates are not skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backwards_cursor: Option<String>,
    /// Data.
    pub data: Vec<Thread>,
    /// Opaque cursor to pass to the next call to continue after the last item. if None, there are no more items to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `ThreadLoadedListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadLoadedListParams.ts")]
pub struct ThreadLoadedListParams {
    /// Opaque pagination cursor returned by a previous call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Optional page size; defaults to no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The `ThreadLoadedListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadLoadedListResponse.ts")]
pub struct ThreadLoadedListResponse {
    /// Thread ids for sessions currently loaded in memory.
    pub data: Vec<String>,
    /// Opaque cursor to pass to the next call to continue after the last item. if None, there are no more items to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `ThreadNameUpdatedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadNameUpdatedNotification.ts")]
pub struct ThreadNameUpdatedNotification {
    /// Thread id.
    pub thread_id: String,
    /// Thread name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_name: Option<String>,
}

/// The `ThreadReadParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadReadParams.ts")]
pub struct ThreadReadParams {
    /// When true, include turns and their items from rollout history. Full-history hydration is deprecated for paginated threads; prefer a metadata-only read and page with `thread/turns/list` and `thread/items/list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_turns: Option<bool>,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadReadResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadReadResponse.ts")]
pub struct ThreadReadResponse {
    /// Thread.
    pub thread: Thread,
}

/// There are three ways to resume a thread: 1. By thread_id: load the thread from disk by thread_id and resume it. 2. By history: instantiate the thread from memory and resume it. 3. By path: load the thread from disk by path and resume it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadResumeParams.ts")]
pub struct ThreadResumeParams {
    /// Approval policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<AskForApproval>,
    /// Override where approval requests are routed for review on this thread and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<ApprovalsReviewer>,
    /// Base instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<String>,
    /// Config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Cwd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<AbsolutePath>,
    /// Developer instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// When true, return only thread metadata and live-resume state without populating `thread.turns`. This is useful when the client plans to call `thread/turns/list` immediately after resuming. Full-history hydration is deprecated for paginated threads; use this with `thread/turns/list` and `thread/items/list` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_turns: Option<bool>,
    /// [UNSTABLE] FOR CODEX CLOUD - DO NOT USE. If specified, the thread will be resumed with the provided history instead of loaded from disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<serde_json::Value>>,
    /// Configuration overrides for the resumed thread, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// [UNSTABLE] Specify the rollout path to resume from. If specified for a non-running thread, the thread_id param will be ignored. If thread_id identifies a running thread, the path must match the active rollout path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Named profile id for the resumed thread. Cannot be combined with `sandbox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// @deprecated `friendly` and `pragmatic` no longer select a style. Changing this does not rewrite the thread's existing instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personality: Option<Personality>,
    /// Replace the thread's runtime workspace roots. Paths must be absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_workspace_roots: Option<Vec<AbsolutePath>>,
    /// Sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    /// Service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadResumeResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadResumeResponse.ts")]
pub struct ThreadResumeResponse {
    /// Approval policy.
    pub approval_policy: AskForApproval,
    /// Reviewer currently used for approval requests on this thread.
    pub approvals_reviewer: ApprovalsReviewer,
    /// Cwd.
    pub cwd: AbsolutePath,
    /// Saved list of disabled plugin IDs. Does not yet filter plugin capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_plugin_ids: Vec<String>,
    /// Environment-native paths to instruction source files currently loaded for this thread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instruction_sources: Vec<String>,
    /// Opaque cursor for hydrating paginated items backwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_backwards_cursor: Option<String>,
    /// Model.
    pub model: String,
    /// Model provider.
    pub model_provider: String,
    /// Reasoning effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Thread-scoped runtime workspace roots used to materialize `:workspace_roots`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_workspace_roots: Vec<AbsolutePath>,
    /// Legacy sandbox policy retained for compatibility. Experimental clients should prefer `activePermissionProfile` for profile provenance.
    pub sandbox: SandboxPolicy,
    /// Service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Thread.
    pub thread: Thread,
    /// Opaque cursor for hydrating paginated turns backwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns_backwards_cursor: Option<String>,
}

/// The `ThreadSetNameParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadSetNameParams.ts")]
pub struct ThreadSetNameParams {
    /// Name.
    pub name: String,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadSetNameResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadSetNameResponse.ts")]
pub struct ThreadSetNameResponse {}

/// The `ThreadSortKey` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadSortKey.ts")]
pub enum ThreadSortKey {
    /// `created_at`.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// `updated_at`.
    #[serde(rename = "updated_at")]
    UpdatedAt,
    /// `recency_at`.
    #[serde(rename = "recency_at")]
    RecencyAt,
    /// `section_position`.
    #[serde(rename = "section_position")]
    SectionPosition,
}

/// The `ThreadSourceKind` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadSourceKind.ts")]
pub enum ThreadSourceKind {
    /// `cli`.
    #[serde(rename = "cli")]
    Cli,
    /// `vscode`.
    #[serde(rename = "vscode")]
    Vscode,
    /// `exec`.
    #[serde(rename = "exec")]
    Exec,
    /// `appServer`.
    #[serde(rename = "appServer")]
    AppServer,
    /// `subAgent`.
    #[serde(rename = "subAgent")]
    SubAgent,
    /// `subAgentReview`.
    #[serde(rename = "subAgentReview")]
    SubAgentReview,
    /// `subAgentCompact`.
    #[serde(rename = "subAgentCompact")]
    SubAgentCompact,
    /// `subAgentThreadSpawn`.
    #[serde(rename = "subAgentThreadSpawn")]
    SubAgentThreadSpawn,
    /// `subAgentOther`.
    #[serde(rename = "subAgentOther")]
    SubAgentOther,
    /// `unknown`.
    #[serde(rename = "unknown")]
    Unknown,
}

/// The `ThreadStartParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadStartParams.ts")]
pub struct ThreadStartParams {
    /// Allow a provider with an authoritative static model catalog to replace an unavailable requested model with its default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_provider_model_fallback: Option<bool>,
    /// Approval policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<AskForApproval>,
    /// Override where approval requests are routed for review on this thread and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<ApprovalsReviewer>,
    /// Base instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<String>,
    /// Config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Cwd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<AbsolutePath>,
    /// Initial Daybreak choice for this persistent thread. Omitted or null leaves it unset. This does not select a turn's `cyberAccessProgram` or grant access. Not supported for ephemeral threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daybreak_enabled: Option<bool>,
    /// Developer instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// Ephemeral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
    /// If true, opt into emitting raw Responses API items on the event stream. This is for internal use only (e.g. Codex Cloud).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experimental_raw_events: Option<bool>,
    /// Persisted thread history contract to use for this new thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_mode: Option<ThreadHistoryMode>,
    /// Test-only experimental field used to validate experimental gating and schema filtering behavior in a stable way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mock_experimental_field: Option<String>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// Named profile id for this thread. Cannot be combined with `sandbox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// @deprecated `friendly` and `pragmatic` no longer select a style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personality: Option<Personality>,
    /// Optional project identity for this new thread. Durable threads persist the assignment; ephemeral threads expose it only in live responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Replace the thread's runtime workspace roots. Paths must be absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_workspace_roots: Option<Vec<AbsolutePath>>,
    /// Sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    /// Service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// Service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Session start source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_start_source: Option<ThreadStartSource>,
    /// Optional client-supplied analytics source classification for this thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_source: Option<String>,
}

/// The `ThreadStartResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadStartResponse.ts")]
pub struct ThreadStartResponse {
    /// Approval policy.
    pub approval_policy: AskForApproval,
    /// Reviewer currently used for approval requests on this thread.
    pub approvals_reviewer: ApprovalsReviewer,
    /// Cwd.
    pub cwd: AbsolutePath,
    /// Saved list of disabled plugin IDs. Does not yet filter plugin capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_plugin_ids: Vec<String>,
    /// Environment-native paths to instruction source files currently loaded for this thread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instruction_sources: Vec<String>,
    /// Model.
    pub model: String,
    /// Model provider.
    pub model_provider: String,
    /// Reasoning effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Thread-scoped runtime workspace roots used to materialize `:workspace_roots`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_workspace_roots: Vec<AbsolutePath>,
    /// Legacy sandbox policy retained for compatibility. Experimental clients should prefer `activePermissionProfile` for profile provenance.
    pub sandbox: SandboxPolicy,
    /// Service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Thread.
    pub thread: Thread,
}

/// The `ThreadStartSource` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadStartSource.ts")]
pub enum ThreadStartSource {
    /// `startup`.
    #[serde(rename = "startup")]
    Startup,
    /// `clear`.
    #[serde(rename = "clear")]
    Clear,
}

/// The `ThreadStartedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadStartedNotification.ts")]
pub struct ThreadStartedNotification {
    /// Thread.
    pub thread: Thread,
}

/// The `ThreadStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/ThreadStatus.ts")]
pub enum ThreadStatus {
    /// `notLoaded`.
    #[serde(rename = "notLoaded")]
    NotLoaded {},
    /// `idle`.
    #[serde(rename = "idle")]
    Idle {},
    /// `systemError`.
    #[serde(rename = "systemError")]
    SystemError {},
    /// `active`.
    #[serde(rename = "active")]
    Active {
        /// Active flags.
        #[serde(rename = "activeFlags")]
        active_flags: Vec<ThreadActiveFlag>,
    },
}

/// The `ThreadStatusChangedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadStatusChangedNotification.ts")]
pub struct ThreadStatusChangedNotification {
    /// Status.
    pub status: ThreadStatus,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadTokenUsageUpdatedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadTokenUsageUpdatedNotification.ts")]
pub struct ThreadTokenUsageUpdatedNotification {
    /// Thread id.
    pub thread_id: String,
    /// Token usage.
    pub token_usage: ThreadTokenUsage,
    /// Turn id.
    pub turn_id: String,
}

/// The `ThreadTurnsListParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadTurnsListParams.ts")]
pub struct ThreadTurnsListParams {
    /// Opaque cursor to pass to the next call to continue after the last turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// How much item detail to include for each returned turn; defaults to summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_view: Option<TurnItemsView>,
    /// Optional turn page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Optional turn pagination direction; defaults to descending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_direction: Option<SortDirection>,
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadTurnsListResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadTurnsListResponse.ts")]
pub struct ThreadTurnsListResponse {
    /// Opaque cursor to pass as `cursor` when reversing `sortDirection`. This is only populated when the page contains at least one turn. Use it with the opposite `sortDirection` to include the anchor turn again and catch updates to that turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backwards_cursor: Option<String>,
    /// Data.
    pub data: Vec<Turn>,
    /// Opaque cursor to pass to the next call to continue after the last turn. if None, there are no more turns to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `ThreadCompactStartParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadCompactStartParams.ts")]
pub struct ThreadCompactStartParams {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadCompactStartResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadCompactStartResponse.ts")]
pub struct ThreadCompactStartResponse {}

/// The `ThreadUnarchiveParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadUnarchiveParams.ts")]
pub struct ThreadUnarchiveParams {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadUnarchiveResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadUnarchiveResponse.ts")]
pub struct ThreadUnarchiveResponse {
    /// Thread.
    pub thread: Thread,
}

/// The `ThreadUnarchivedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadUnarchivedNotification.ts")]
pub struct ThreadUnarchivedNotification {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadUnsubscribeParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadUnsubscribeParams.ts")]
pub struct ThreadUnsubscribeParams {
    /// Thread id.
    pub thread_id: String,
}

/// The `ThreadUnsubscribeResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadUnsubscribeResponse.ts")]
pub struct ThreadUnsubscribeResponse {
    /// Status.
    pub status: ThreadUnsubscribeStatus,
}

/// The `ThreadUnsubscribeStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ThreadUnsubscribeStatus.ts")]
pub enum ThreadUnsubscribeStatus {
    /// `notLoaded`.
    #[serde(rename = "notLoaded")]
    NotLoaded,
    /// `notSubscribed`.
    #[serde(rename = "notSubscribed")]
    NotSubscribed,
    /// `unsubscribed`.
    #[serde(rename = "unsubscribed")]
    Unsubscribed,
}
