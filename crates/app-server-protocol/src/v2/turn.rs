//! Turns: `turn/start`, `turn/steer`, `turn/interrupt`, the user input they carry, turn status, errors, token usage and turn lifecycle notifications.

use super::*;
use crate::AbsolutePath;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `ByteRange` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ByteRange.ts")]
pub struct ByteRange {
    /// End.
    pub end: u64,
    /// Start.
    pub start: u64,
}

/// This translation layer make sure that we expose codex error code in camel case.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/CodexErrorInfo.ts")]
pub enum CodexErrorInfo {
    /// `contextWindowExceeded`.
    #[serde(rename = "contextWindowExceeded")]
    ContextWindowExceeded,
    /// `sessionBudgetExceeded`.
    #[serde(rename = "sessionBudgetExceeded")]
    SessionBudgetExceeded,
    /// `usageLimitExceeded`.
    #[serde(rename = "usageLimitExceeded")]
    UsageLimitExceeded,
    /// `rateLimitExceeded`.
    #[serde(rename = "rateLimitExceeded")]
    RateLimitExceeded,
    /// `flexUnavailable`.
    #[serde(rename = "flexUnavailable")]
    FlexUnavailable,
    /// `serverOverloaded`.
    #[serde(rename = "serverOverloaded")]
    ServerOverloaded,
    /// `modelNotFound`.
    #[serde(rename = "modelNotFound")]
    ModelNotFound,
    /// `policyCapacityUnavailable`.
    #[serde(rename = "policyCapacityUnavailable")]
    PolicyCapacityUnavailable,
    /// `cyberPolicy`.
    #[serde(rename = "cyberPolicy")]
    CyberPolicy,
    /// `misalignmentPolicyViolation`.
    #[serde(rename = "misalignmentPolicyViolation")]
    MisalignmentPolicyViolation,
    /// `tooManyDenials`.
    #[serde(rename = "tooManyDenials")]
    TooManyDenials,
    /// `internalServerError`.
    #[serde(rename = "internalServerError")]
    InternalServerError,
    /// `unauthorized`.
    #[serde(rename = "unauthorized")]
    Unauthorized,
    /// `badRequest`.
    #[serde(rename = "badRequest")]
    BadRequest,
    /// `threadRollbackFailed`.
    #[serde(rename = "threadRollbackFailed")]
    ThreadRollbackFailed,
    /// `sandboxError`.
    #[serde(rename = "sandboxError")]
    SandboxError,
    /// `other`.
    #[serde(rename = "other")]
    Other,
    /// The workspace's inference hook explicitly denied this request.
    #[serde(rename = "inferenceHookDenied")]
    InferenceHookDenied,
    /// `httpConnectionFailed`.
    #[serde(rename = "httpConnectionFailed")]
    HttpConnectionFailed {
        /// Http status code.
        #[serde(rename = "httpStatusCode", default, skip_serializing_if = "Option::is_none")]
        http_status_code: Option<u16>,
    },
    /// Failed to connect to the response SSE stream.
    #[serde(rename = "responseStreamConnectionFailed")]
    ResponseStreamConnectionFailed {
        /// Http status code.
        #[serde(rename = "httpStatusCode", default, skip_serializing_if = "Option::is_none")]
        http_status_code: Option<u16>,
    },
    /// The response SSE stream disconnected in the middle of a turn before completion.
    #[serde(rename = "responseStreamDisconnected")]
    ResponseStreamDisconnected {
        /// Http status code.
        #[serde(rename = "httpStatusCode", default, skip_serializing_if = "Option::is_none")]
        http_status_code: Option<u16>,
    },
    /// Reached the retry limit for responses.
    #[serde(rename = "responseTooManyFailedAttempts")]
    ResponseTooManyFailedAttempts {
        /// Http status code.
        #[serde(rename = "httpStatusCode", default, skip_serializing_if = "Option::is_none")]
        http_status_code: Option<u16>,
    },
    /// Returned when `turn/start` or `turn/steer` is submitted while the current active turn cannot accept same-turn steering, for example `/review` or manual `/compact`.
    #[serde(rename = "activeTurnNotSteerable")]
    ActiveTurnNotSteerable {
        /// Turn kind.
        #[serde(rename = "turnKind")]
        turn_kind: NonSteerableTurnKind,
    },
}

/// The `ErrorNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ErrorNotification.ts")]
pub struct ErrorNotification {
    /// Error.
    pub error: TurnError,
    /// Thread id.
    pub thread_id: String,
    /// Turn id.
    pub turn_id: String,
    /// Will retry.
    pub will_retry: bool,
}

/// The `ImageDetail` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ImageDetail.ts")]
pub enum ImageDetail {
    /// `auto`.
    #[serde(rename = "auto")]
    Auto,
    /// `low`.
    #[serde(rename = "low")]
    Low,
    /// `high`.
    #[serde(rename = "high")]
    High,
    /// `original`.
    #[serde(rename = "original")]
    Original,
}

/// The `TextElement` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TextElement.ts")]
pub struct TextElement {
    /// Byte range in the parent `text` buffer that this element occupies.
    pub byte_range: ByteRange,
    /// Optional human-readable placeholder for the element, displayed in the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

/// The `TokenUsageBreakdown` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TokenUsageBreakdown.ts")]
pub struct TokenUsageBreakdown {
    /// Cache write input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<i64>,
    /// Cached input tokens.
    pub cached_input_tokens: i64,
    /// Input tokens.
    pub input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Reasoning output tokens.
    pub reasoning_output_tokens: i64,
    /// Total tokens.
    pub total_tokens: i64,
}

/// The `Turn` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/Turn.ts")]
pub struct Turn {
    /// Unix timestamp (in seconds) when the turn completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<i64>,
    /// Duration between turn start and completion in milliseconds, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// Error associated with a failed or interrupted turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TurnError>,
    /// Identifier for this turn. Codex-generated turn IDs are UUIDv7.
    pub id: String,
    /// Thread items currently included in this turn payload.
    pub items: Vec<ThreadItem>,
    /// Describes how much of `items` has been loaded for this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_view: Option<TurnItemsView>,
    /// ID of the first turn in the chain of work that led to this turn. Pass this as `rootTurnId` when starting work on behalf of this turn. May be null in older history or a `review/start` response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    /// Unix timestamp (in seconds) when the turn started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// Status.
    pub status: TurnStatus,
}

/// The `TurnCompletedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnCompletedNotification.ts")]
pub struct TurnCompletedNotification {
    /// Thread id.
    pub thread_id: String,
    /// Turn.
    pub turn: Turn,
}

/// The `TurnError` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnError.ts")]
pub struct TurnError {
    /// Additional details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<String>,
    /// Codex error info.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codex_error_info: Option<CodexErrorInfo>,
    /// Message.
    pub message: String,
}

/// The `TurnInterruptParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnInterruptParams.ts")]
pub struct TurnInterruptParams {
    /// Thread id.
    pub thread_id: String,
    /// Turn id.
    pub turn_id: String,
}

/// The `TurnInterruptResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnInterruptResponse.ts")]
pub struct TurnInterruptResponse {}

/// The `TurnItemsView` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/TurnItemsView.ts")]
pub enum TurnItemsView {
    /// `items` was not loaded for this turn. The field is intentionally empty.
    #[serde(rename = "notLoaded")]
    NotLoaded,
    /// `items` contains only a display summary for this turn.
    #[serde(rename = "summary")]
    Summary,
    /// `items` contains every ThreadItem available from persisted app-server history for this turn.
    #[serde(rename = "full")]
    Full,
}

/// The `TurnStartParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnStartParams.ts")]
pub struct TurnStartParams {
    /// Override the approval policy for this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<AskForApproval>,
    /// Override where approval requests are routed for review on this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<ApprovalsReviewer>,
    /// Client user message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_user_message_id: Option<String>,
    /// EXPERIMENTAL - Set a pre-set collaboration mode. Takes precedence over model, reasoning_effort, and developer instructions if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub collaboration_mode: Option<serde_json::Value>,
    /// Override the working directory for this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<AbsolutePath>,
    /// EXPERIMENTAL - Request an authorized cyber program for this turn. Omission preserves automatic behavior. This does not grant access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub cyber_access_program: Option<serde_json::Value>,
    /// Replace this thread's disabled plugin IDs. Omitted/null preserves the list; [] clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_plugin_ids: Option<Vec<String>>,
    /// Override the reasoning effort for this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// Input.
    pub input: Vec<UserInput>,
    /// Override the model for this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Optional JSON Schema used to constrain the final assistant message for this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub output_schema: Option<serde_json::Value>,
    /// ID of the turn that caused this new turn to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_turn_id: Option<String>,
    /// Select a named permissions profile id for this turn and subsequent turns. Cannot be combined with `sandboxPolicy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// @deprecated `friendly` and `pragmatic` no longer select a style. Changing this does not rewrite the thread's existing instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personality: Option<Personality>,
    /// Optional metadata to enrich Codex's ResponsesAPI turn metadata. Replaces unprotected client-provided entries when supplied; an empty map clears them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsesapi_client_metadata: Option<std::collections::BTreeMap<String, String>>,
    /// Merge entries into the ResponsesAPI turn metadata without removing existing entries. Applied after `responsesapiClientMetadata` if both are provided; reserved keys remain protected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsesapi_client_metadata_patch: Option<std::collections::BTreeMap<String, String>>,
    /// ID of the first turn in the chain of work that led to this new turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    /// Replace the thread's runtime workspace roots for this turn and subsequent turns. Paths must be absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_workspace_roots: Option<Vec<AbsolutePath>>,
    /// Override the sandbox policy for this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_policy: Option<SandboxPolicy>,
    /// Override the service tier for this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Override the service tier only when this request starts a new turn. Use "default" for standard speed. Omitted or null inherits the thread's tier. Does not change the thread's tier or a turn being steered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier_for_turn: Option<String>,
    /// Override the reasoning summary for this turn and subsequent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
    /// Thread id.
    pub thread_id: String,
    /// Optional source classification for the caller that starts this turn. Ignored when this request steers an already-active turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_trigger: Option<String>,
}

/// The `TurnStartResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnStartResponse.ts")]
pub struct TurnStartResponse {
    /// Turn.
    pub turn: Turn,
}

/// The `TurnStartedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnStartedNotification.ts")]
pub struct TurnStartedNotification {
    /// Thread id.
    pub thread_id: String,
    /// Turn.
    pub turn: Turn,
}

/// The `TurnStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/TurnStatus.ts")]
pub enum TurnStatus {
    /// `completed`.
    #[serde(rename = "completed")]
    Completed,
    /// `interrupted`.
    #[serde(rename = "interrupted")]
    Interrupted,
    /// `failed`.
    #[serde(rename = "failed")]
    Failed,
    /// `inProgress`.
    #[serde(rename = "inProgress")]
    InProgress,
}

/// The `TurnSteerParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnSteerParams.ts")]
pub struct TurnSteerParams {
    /// Client user message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_user_message_id: Option<String>,
    /// Required active turn id precondition. The request fails when it does not match the currently active turn.
    pub expected_turn_id: String,
    /// Input.
    pub input: Vec<UserInput>,
    /// Optional metadata to enrich Codex's ResponsesAPI turn metadata. Replaces unprotected client-provided entries when supplied; an empty map clears them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsesapi_client_metadata: Option<std::collections::BTreeMap<String, String>>,
    /// Merge entries into the ResponsesAPI turn metadata without removing existing entries. Applied after `responsesapiClientMetadata` if both are provided; reserved keys remain protected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsesapi_client_metadata_patch: Option<std::collections::BTreeMap<String, String>>,
    /// Thread id.
    pub thread_id: String,
}

/// The `TurnSteerResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnSteerResponse.ts")]
pub struct TurnSteerResponse {
    /// Turn id.
    pub turn_id: String,
}

/// The `UserInput` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/UserInput.ts")]
pub enum UserInput {
    /// `text`.
    #[serde(rename = "text")]
    Text {
        /// Text.
        text: String,
        /// UI-defined spans within `text` used to render or persist special elements.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        text_elements: Vec<TextElement>,
    },
    /// `image`.
    #[serde(rename = "image")]
    Image {
        /// Detail.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<ImageDetail>,
        /// Url.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// File id.
        #[serde(rename = "fileId", default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
    },
    /// `localImage`.
    #[serde(rename = "localImage")]
    LocalImage {
        /// Detail.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<ImageDetail>,
        /// Path.
        path: String,
    },
    /// `audio`.
    #[serde(rename = "audio")]
    Audio {
        /// Url.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// File id.
        #[serde(rename = "fileId", default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
    },
    /// `localAudio`.
    #[serde(rename = "localAudio")]
    LocalAudio {
        /// Path.
        path: String,
    },
    /// `skill`.
    #[serde(rename = "skill")]
    Skill {
        /// Name.
        name: String,
        /// Path.
        path: String,
    },
    /// `mention`.
    #[serde(rename = "mention")]
    Mention {
        /// Name.
        name: String,
        /// Path.
        path: String,
    },
}

/// The `ThreadTokenUsage` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ThreadTokenUsage.ts")]
pub struct ThreadTokenUsage {
    /// Last.
    pub last: TokenUsageBreakdown,
    /// Model context window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_context_window: Option<i64>,
    /// Total.
    pub total: TokenUsageBreakdown,
}

/// The `TurnPlanStepStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, TS)]
#[ts(export_to = "v2/TurnPlanStepStatus.ts")]
pub enum TurnPlanStepStatus {
    /// `pending`.
    #[serde(rename = "pending")]
    Pending,
    /// `inProgress`.
    #[serde(rename = "inProgress")]
    InProgress,
    /// `completed`.
    #[serde(rename = "completed")]
    Completed,
}

/// The `TurnPlanStep` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnPlanStep.ts")]
pub struct TurnPlanStep {
    /// Status.
    pub status: TurnPlanStepStatus,
    /// Step.
    pub step: String,
}

/// The `TurnPlanUpdatedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TurnPlanUpdatedNotification.ts")]
pub struct TurnPlanUpdatedNotification {
    /// Explanation.
    #[serde(default)]
    pub explanation: Option<String>,
    /// Plan.
    pub plan: Vec<TurnPlanStep>,
    /// Thread id.
    pub thread_id: String,
    /// Turn id.
    pub turn_id: String,
}

/// The `TerminalInteractionNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/TerminalInteractionNotification.ts")]
pub struct TerminalInteractionNotification {
    /// Item id.
    pub item_id: String,
    /// Process id.
    pub process_id: String,
    /// Stdin.
    pub stdin: String,
    /// Thread id.
    pub thread_id: String,
    /// Turn id.
    pub turn_id: String,
}

/// The `ToolRequestUserInputOption` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ToolRequestUserInputOption.ts")]
pub struct ToolRequestUserInputOption {
    /// Description.
    pub description: String,
    /// Label.
    pub label: String,
}

/// The `ToolRequestUserInputQuestion` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ToolRequestUserInputQuestion.ts")]
pub struct ToolRequestUserInputQuestion {
    /// Header.
    pub header: String,
    /// Id.
    pub id: String,
    /// Whether the client adds a free-text "Other" answer.
    #[serde(default)]
    pub is_other: bool,
    /// Whether the answer is secret.
    #[serde(default)]
    pub is_secret: bool,
    /// Options.
    #[serde(default)]
    pub options: Option<Vec<ToolRequestUserInputOption>>,
    /// Question.
    pub question: String,
}

/// The `ToolRequestUserInputParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ToolRequestUserInputParams.ts")]
pub struct ToolRequestUserInputParams {
    /// Deprecated: use `isBlocking`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_resolution_ms: Option<u64>,
    /// Whether the turn waits for the answer.
    pub is_blocking: bool,
    /// Item id.
    pub item_id: String,
    /// Questions.
    pub questions: Vec<ToolRequestUserInputQuestion>,
    /// Thread id.
    pub thread_id: String,
    /// Turn id.
    pub turn_id: String,
}

/// The `ToolRequestUserInputAnswer` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ToolRequestUserInputAnswer.ts")]
pub struct ToolRequestUserInputAnswer {
    /// Answers.
    pub answers: Vec<String>,
}

/// The `ToolRequestUserInputResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ToolRequestUserInputResponse.ts")]
pub struct ToolRequestUserInputResponse {
    /// Answers by question id.
    pub answers: std::collections::BTreeMap<String, ToolRequestUserInputAnswer>,
}
