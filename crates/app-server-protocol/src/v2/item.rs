//! Thread items: the user messages, agent messages, reasoning, commands, file changes and tool calls that make up a turn, plus their streaming deltas and item lifecycle notifications.

#[allow(unused_imports)]
use super::*;
use crate::AbsolutePath;
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

/// A thread item and its recorded lifecycle times. The payload stays flat on the wire.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/ThreadItem.ts")]
pub enum ThreadItem {
    /// `userMessage`.
    #[serde(rename = "userMessage")]
    UserMessage {
        /// `clientId` field.
        #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// `content` field.
        content: Vec<UserInput>,
        /// `id` field.
        id: String,
    },
    /// `hookPrompt`.
    #[serde(rename = "hookPrompt")]
    HookPrompt {
        /// `fragments` field.
        fragments: Vec<serde_json::Value>,
        /// `id` field.
        id: String,
    },
    /// `agentMessage`.
    #[serde(rename = "agentMessage")]
    AgentMessage {
        /// `id` field.
        id: String,
        /// `phase` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phase: Option<MessagePhase>,
        /// `text` field.
        text: String,
    },
    /// `functionCallOutput`.
    #[serde(rename = "functionCallOutput")]
    FunctionCallOutput {
        /// `id` field.
        id: String,
        /// `name` field.
        name: String,
        /// `namespace` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// `output` field.
        output: FunctionCallOutputBody,
    },
    /// EXPERIMENTAL - proposed plan item content. The completed plan item is authoritative and may not match the concatenation of `PlanDelta` text.
    #[serde(rename = "plan")]
    Plan {
        /// `id` field.
        id: String,
        /// `text` field.
        text: String,
    },
    /// `reasoning`.
    #[serde(rename = "reasoning")]
    Reasoning {
        /// `content` field.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        content: Vec<String>,
        /// `id` field.
        id: String,
        /// `summary` field.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        summary: Vec<String>,
    },
    /// `commandExecution`.
    #[serde(rename = "commandExecution")]
    CommandExecution {
        /// The command's output, aggregated from stdout and stderr.
        #[serde(rename = "aggregatedOutput", default, skip_serializing_if = "Option::is_none")]
        aggregated_output: Option<String>,
        /// The command to be executed.
        command: String,
        /// A best-effort parsing of the command to understand the action(s) it will perform. This returns a list of CommandAction objects because a single shell command may be composed of many commands piped together.
        #[serde(rename = "commandActions")]
        command_actions: Vec<CommandAction>,
        /// The command's working directory.
        cwd: String,
        /// The duration of the command execution in milliseconds.
        #[serde(rename = "durationMs", default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<i64>,
        /// The command's exit code.
        #[serde(rename = "exitCode", default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        /// `id` field.
        id: String,
        /// Trusted first-party plugin id when this command resolves to one plugin script.
        #[serde(rename = "pluginId", default, skip_serializing_if = "Option::is_none")]
        plugin_id: Option<String>,
        /// Identifier for the underlying PTY process (when available).
        #[serde(rename = "processId", default, skip_serializing_if = "Option::is_none")]
        process_id: Option<String>,
        /// Safe plugin-relative path when this command resolves to one plugin script.
        #[serde(rename = "scriptPath", default, skip_serializing_if = "Option::is_none")]
        script_path: Option<String>,
        /// `source` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<CommandExecutionSource>,
        /// `status` field.
        status: CommandExecutionStatus,
    },
    /// `fileChange`.
    #[serde(rename = "fileChange")]
    FileChange {
        /// `changes` field.
        changes: Vec<FileUpdateChange>,
        /// `id` field.
        id: String,
        /// `status` field.
        status: PatchApplyStatus,
    },
    /// `mcpToolCall`.
    #[serde(rename = "mcpToolCall")]
    McpToolCall {
        /// `arguments` field.
        #[ts(type = "unknown")]
        arguments: serde_json::Value,
        /// The duration of the MCP tool call in milliseconds.
        #[serde(rename = "durationMs", default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<i64>,
        /// `error` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<McpToolCallError>,
        /// `id` field.
        id: String,
        /// Legacy compatibility field; prefer `mcpAppUi.resourceUri` when available.
        #[serde(rename = "mcpAppResourceUri", default, skip_serializing_if = "Option::is_none")]
        mcp_app_resource_uri: Option<String>,
        /// `pluginId` field.
        #[serde(rename = "pluginId", default, skip_serializing_if = "Option::is_none")]
        plugin_id: Option<String>,
        /// `readOnlyHint` field.
        #[serde(rename = "readOnlyHint", default, skip_serializing_if = "Option::is_none")]
        read_only_hint: Option<bool>,
        /// `result` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<McpToolCallResult>,
        /// `server` field.
        server: String,
        /// `status` field.
        status: McpToolCallStatus,
        /// `tool` field.
        tool: String,
    },
    /// `dynamicToolCall`.
    #[serde(rename = "dynamicToolCall")]
    DynamicToolCall {
        /// `arguments` field.
        #[ts(type = "unknown")]
        arguments: serde_json::Value,
        /// `contentItems` field.
        #[serde(rename = "contentItems", default, skip_serializing_if = "Option::is_none")]
        content_items: Option<Vec<DynamicToolCallOutputContentItem>>,
        /// The duration of the dynamic tool call in milliseconds.
        #[serde(rename = "durationMs", default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<i64>,
        /// `id` field.
        id: String,
        /// `namespace` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// `status` field.
        status: DynamicToolCallStatus,
        /// `success` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        success: Option<bool>,
        /// `tool` field.
        tool: String,
    },
    /// `collabAgentToolCall`.
    #[serde(rename = "collabAgentToolCall")]
    CollabAgentToolCall {
        /// Last known status of the target agents, when available.
        #[serde(rename = "agentsStates")]
        agents_states: std::collections::BTreeMap<String, serde_json::Value>,
        /// Unique identifier for this collab tool call.
        id: String,
        /// Model requested for the spawned agent, when applicable.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        /// Prompt text sent as part of the collab tool call, when available.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
        /// Reasoning effort requested for the spawned agent, when applicable.
        #[serde(rename = "reasoningEffort", default, skip_serializing_if = "Option::is_none")]
        reasoning_effort: Option<String>,
        /// Thread ID of the receiving agent, when applicable. In case of spawn operation, this corresponds to the newly spawned agent.
        #[serde(rename = "receiverThreadIds")]
        receiver_thread_ids: Vec<String>,
        /// Thread ID of the agent issuing the collab request.
        #[serde(rename = "senderThreadId")]
        sender_thread_id: String,
        /// Current status of the collab tool call.
        #[ts(type = "unknown")]
        status: serde_json::Value,
        /// Name of the collab tool that was invoked.
        #[ts(type = "unknown")]
        tool: serde_json::Value,
    },
    /// `subAgentActivity`.
    #[serde(rename = "subAgentActivity")]
    SubAgentActivity {
        /// `agentPath` field.
        #[serde(rename = "agentPath")]
        agent_path: String,
        /// `agentThreadId` field.
        #[serde(rename = "agentThreadId")]
        agent_thread_id: String,
        /// `id` field.
        id: String,
        /// `kind` field.
        #[ts(type = "unknown")]
        kind: serde_json::Value,
        /// Resolved model at sub-agent creation; absent from older records and other activities.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        /// Resolved reasoning effort at sub-agent creation, when known.
        #[serde(rename = "reasoningEffort", default, skip_serializing_if = "Option::is_none")]
        reasoning_effort: Option<String>,
    },
    /// `webSearch`.
    #[serde(rename = "webSearch")]
    WebSearch {
        /// `action` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<WebSearchAction>,
        /// `id` field.
        id: String,
        /// `query` field.
        query: String,
        /// Structured search results returned out-of-band by standalone web search.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        results: Option<Vec<serde_json::Value>>,
    },
    /// `imageView`.
    #[serde(rename = "imageView")]
    ImageView {
        /// `id` field.
        id: String,
        /// `path` field.
        path: String,
    },
    /// Display item emitted by the interruptible `clock.sleep` tool.
    #[serde(rename = "sleep")]
    Sleep {
        /// `durationMs` field.
        #[serde(rename = "durationMs")]
        duration_ms: u64,
        /// `id` field.
        id: String,
    },
    /// Either inline generated-image data or its durable attachment-store identity.
    #[serde(rename = "imageGeneration")]
    ImageGeneration {
        /// Image generation identifier for the generated image, when provided by the image backend.
        #[serde(rename = "generationId", default, skip_serializing_if = "Option::is_none")]
        generation_id: Option<String>,
        /// `id` field.
        id: String,
        /// `revisedPrompt` field.
        #[serde(rename = "revisedPrompt", default, skip_serializing_if = "Option::is_none")]
        revised_prompt: Option<String>,
        /// `savedPath` field.
        #[serde(rename = "savedPath", default, skip_serializing_if = "Option::is_none")]
        saved_path: Option<AbsolutePath>,
        /// `status` field.
        status: String,
        /// `transparentBackground` field.
        #[serde(
            rename = "transparentBackground",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        transparent_background: Option<bool>,
        /// `fileId` field.
        #[serde(rename = "fileId", default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// `result` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<String>,
    },
    /// `enteredReviewMode`.
    #[serde(rename = "enteredReviewMode")]
    EnteredReviewMode {
        /// `id` field.
        id: String,
        /// `review` field.
        review: String,
    },
    /// `exitedReviewMode`.
    #[serde(rename = "exitedReviewMode")]
    ExitedReviewMode {
        /// `id` field.
        id: String,
        /// `review` field.
        review: String,
    },
    /// `contextCompaction`.
    #[serde(rename = "contextCompaction")]
    ContextCompaction {
        /// `id` field.
        id: String,
    },
}
