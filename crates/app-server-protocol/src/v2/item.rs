//! Thread items: the user messages, agent messages, reasoning, commands, file changes and tool calls that make up a turn, plus their streaming deltas and item lifecycle notifications.

#[allow(unused_imports)]
use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `AgentMessageDeltaNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/AgentMessageDeltaNotification.ts")]
pub struct AgentMessageDeltaNotification {
    /// `delta` field.
    pub delta: String,
    /// `itemId` field.
    pub item_id: String,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `CommandAction` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/CommandAction.ts")]
pub enum CommandAction {
    /// `read`.
    #[serde(rename = "read")]
    Read {
        /// `command` field.
        command: String,
        /// `name` field.
        name: String,
        /// `path` field.
        path: String,
    },
    /// `listFiles`.
    #[serde(rename = "listFiles")]
    ListFiles {
        /// `command` field.
        command: String,
        /// `path` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// `search`.
    #[serde(rename = "search")]
    Search {
        /// `command` field.
        command: String,
        /// `path` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// `query` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
    },
    /// `unknown`.
    #[serde(rename = "unknown")]
    Unknown {
        /// `command` field.
        command: String,
    },
}

/// The `CommandExecutionOutputDeltaNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/CommandExecutionOutputDeltaNotification.ts")]
pub struct CommandExecutionOutputDeltaNotification {
    /// `delta` field.
    pub delta: String,
    /// `itemId` field.
    pub item_id: String,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `CommandExecutionSource` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/CommandExecutionSource.ts")]
pub enum CommandExecutionSource {
    /// `agent`.
    #[serde(rename = "agent")]
    Agent,
    /// `userShell`.
    #[serde(rename = "userShell")]
    UserShell,
    /// `unifiedExecStartup`.
    #[serde(rename = "unifiedExecStartup")]
    UnifiedExecStartup,
    /// `unifiedExecInteraction`.
    #[serde(rename = "unifiedExecInteraction")]
    UnifiedExecInteraction,
}

/// The `CommandExecutionStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/CommandExecutionStatus.ts")]
pub enum CommandExecutionStatus {
    /// `inProgress`.
    #[serde(rename = "inProgress")]
    InProgress,
    /// `completed`.
    #[serde(rename = "completed")]
    Completed,
    /// `failed`.
    #[serde(rename = "failed")]
    Failed,
    /// `declined`.
    #[serde(rename = "declined")]
    Declined,
}

/// The `DynamicToolCallOutputContentItem` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/DynamicToolCallOutputContentItem.ts")]
pub enum DynamicToolCallOutputContentItem {
    /// `inputText`.
    #[serde(rename = "inputText")]
    InputText {
        /// `text` field.
        text: String,
    },
    /// `inputImage`.
    #[serde(rename = "inputImage")]
    InputImage {
        /// `imageUrl` field.
        #[serde(rename = "imageUrl")]
        image_url: String,
    },
    /// `inputAudio`.
    #[serde(rename = "inputAudio")]
    InputAudio {
        /// `audioUrl` field.
        #[serde(rename = "audioUrl")]
        audio_url: String,
    },
}

/// The `DynamicToolCallStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/DynamicToolCallStatus.ts")]
pub enum DynamicToolCallStatus {
    /// `inProgress`.
    #[serde(rename = "inProgress")]
    InProgress,
    /// `completed`.
    #[serde(rename = "completed")]
    Completed,
    /// `failed`.
    #[serde(rename = "failed")]
    Failed,
}

/// The `FileUpdateChange` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/FileUpdateChange.ts")]
pub struct FileUpdateChange {
    /// `diff` field.
    pub diff: String,
    /// `kind` field.
    pub kind: PatchChangeKind,
    /// `path` field.
    pub path: String,
}

/// The `ForcedLoginMethod` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/ForcedLoginMethod.ts")]
pub enum ForcedLoginMethod {
    /// `chatgpt`.
    #[serde(rename = "chatgpt")]
    Chatgpt,
    /// `api`.
    #[serde(rename = "api")]
    Api,
}

/// The `FunctionCallOutputBody` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(untagged)]
#[ts(export_to = "v2/FunctionCallOutputBody.ts")]
pub enum FunctionCallOutputBody {
    /// A String value.
    Single(String),
    /// A Vec&lt;FunctionCallOutputContentItem> value.
    List(Vec<FunctionCallOutputContentItem>),
}

/// Responses API compatible content items that can be returned by a tool call. This is a subset of ContentItem with the types we support as function call outputs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/FunctionCallOutputContentItem.ts")]
pub enum FunctionCallOutputContentItem {
    /// `input_text`.
    #[serde(rename = "input_text")]
    InputText {
        /// `text` field.
        text: String,
    },
    /// `input_image`.
    #[serde(rename = "input_image")]
    InputImage {
        /// `detail` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<ImageDetail>,
        /// `image_url` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        /// `file_id` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
    },
    /// Inline audio data or an uploaded file loaded by the Responses API.
    #[serde(rename = "input_audio")]
    InputAudio {
        /// `audio_url` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio_url: Option<String>,
        /// `file_id` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
    },
    /// `encrypted_content`.
    #[serde(rename = "encrypted_content")]
    EncryptedContent {
        /// `encrypted_content` field.
        encrypted_content: String,
    },
}

/// The `ItemCompletedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ItemCompletedNotification.ts")]
pub struct ItemCompletedNotification {
    /// Unix timestamp (in milliseconds) when this item lifecycle completed.
    pub completed_at_ms: i64,
    /// Native content tokens for the completed assistant message, including a sampled footer. Null when unavailable. Completion telemetry is not part of the stored thread item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_token_count: Option<u64>,
    /// `item` field.
    pub item: ThreadItem,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `ItemStartedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ItemStartedNotification.ts")]
pub struct ItemStartedNotification {
    /// `item` field.
    pub item: ThreadItem,
    /// Unix timestamp (in milliseconds) when this item lifecycle started.
    pub started_at_ms: i64,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `McpToolCallError` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpToolCallError.ts")]
pub struct McpToolCallError {
    /// `message` field.
    pub message: String,
}

/// The `McpToolCallResult` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/McpToolCallResult.ts")]
pub struct McpToolCallResult {
    /// `_meta` field.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub _meta: Option<serde_json::Value>,
    /// `content` field.
    pub content: Vec<serde_json::Value>,
    /// `structuredContent` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub structured_content: Option<serde_json::Value>,
}

/// The `McpToolCallStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/McpToolCallStatus.ts")]
pub enum McpToolCallStatus {
    /// `inProgress`.
    #[serde(rename = "inProgress")]
    InProgress,
    /// `completed`.
    #[serde(rename = "completed")]
    Completed,
    /// `failed`.
    #[serde(rename = "failed")]
    Failed,
}

/// Classifies assistant text as commentary, a partial answer, or a terminal answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/MessagePhase.ts")]
pub enum MessagePhase {
    /// Mid-turn assistant text (for example preamble/progress narration).
    #[serde(rename = "commentary")]
    Commentary,
    /// Stable answer text that may be followed by more assistant output or tools.
    #[serde(rename = "partial_answer")]
    PartialAnswer,
    /// The assistant's declared terminal answer text for the current turn.
    #[serde(rename = "final_answer")]
    FinalAnswer,
}

/// The `NonSteerableTurnKind` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/NonSteerableTurnKind.ts")]
pub enum NonSteerableTurnKind {
    /// `review`.
    #[serde(rename = "review")]
    Review,
    /// `compact`.
    #[serde(rename = "compact")]
    Compact,
}

/// The `PatchApplyStatus` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/PatchApplyStatus.ts")]
pub enum PatchApplyStatus {
    /// `inProgress`.
    #[serde(rename = "inProgress")]
    InProgress,
    /// `completed`.
    #[serde(rename = "completed")]
    Completed,
    /// `failed`.
    #[serde(rename = "failed")]
    Failed,
    /// `declined`.
    #[serde(rename = "declined")]
    Declined,
}

/// The `PatchChangeKind` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/PatchChangeKind.ts")]
pub enum PatchChangeKind {
    /// `add`.
    #[serde(rename = "add")]
    Add {},
    /// `delete`.
    #[serde(rename = "delete")]
    Delete {},
    /// `update`.
    #[serde(rename = "update")]
    Update {
        /// `move_path` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        move_path: Option<String>,
    },
}

/// The `ReasoningSummaryTextDeltaNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ReasoningSummaryTextDeltaNotification.ts")]
pub struct ReasoningSummaryTextDeltaNotification {
    /// `delta` field.
    pub delta: String,
    /// `itemId` field.
    pub item_id: String,
    /// `summaryIndex` field.
    pub summary_index: i64,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `ReasoningTextDeltaNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/ReasoningTextDeltaNotification.ts")]
pub struct ReasoningTextDeltaNotification {
    /// `contentIndex` field.
    pub content_index: i64,
    /// `delta` field.
    pub delta: String,
    /// `itemId` field.
    pub item_id: String,
    /// `threadId` field.
    pub thread_id: String,
    /// `turnId` field.
    pub turn_id: String,
}

/// The `SandboxWorkspaceWrite` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/SandboxWorkspaceWrite.ts")]
pub struct SandboxWorkspaceWrite {
    /// `exclude_slash_tmp` field.
    #[serde(rename = "exclude_slash_tmp", default, skip_serializing_if = "Option::is_none")]
    pub exclude_slash_tmp: Option<bool>,
    /// `exclude_tmpdir_env_var` field.
    #[serde(rename = "exclude_tmpdir_env_var", default, skip_serializing_if = "Option::is_none")]
    pub exclude_tmpdir_env_var: Option<bool>,
    /// `network_access` field.
    #[serde(rename = "network_access", default, skip_serializing_if = "Option::is_none")]
    pub network_access: Option<bool>,
    /// `writable_roots` field.
    #[serde(rename = "writable_roots", default, skip_serializing_if = "Vec::is_empty")]
    pub writable_roots: Vec<String>,
}

/// Controls output length/detail on GPT-5 models via the Responses API. Serialized with lowercase values to match the OpenAI API.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/Verbosity.ts")]
pub enum Verbosity {
    /// `low`.
    #[serde(rename = "low")]
    Low,
    /// `medium`.
    #[serde(rename = "medium")]
    Medium,
    /// `high`.
    #[serde(rename = "high")]
    High,
}

/// The `WebSearchAction` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/WebSearchAction.ts")]
pub enum WebSearchAction {
    /// `search`.
    #[serde(rename = "search")]
    Search {
        /// `queries` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queries: Option<Vec<String>>,
        /// `query` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
    },
    /// `openPage`.
    #[serde(rename = "openPage")]
    OpenPage {
        /// `url` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// `findInPage`.
    #[serde(rename = "findInPage")]
    FindInPage {
        /// `pattern` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
        /// `url` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// `other`.
    #[serde(rename = "other")]
    Other {},
}

/// The `WebSearchMode` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/WebSearchMode.ts")]
pub enum WebSearchMode {
    /// `disabled`.
    #[serde(rename = "disabled")]
    Disabled,
    /// `cached`.
    #[serde(rename = "cached")]
    Cached,
    /// `indexed`.
    #[serde(rename = "indexed")]
    Indexed,
    /// `live`.
    #[serde(rename = "live")]
    Live,
}
