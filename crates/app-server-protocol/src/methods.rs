//! Typed method enums: which method names exist, which params and response
//! types belong to each, and how they move in and out of the JSON-RPC envelope.
//!
//! - [`ClientRequest`]: every client→server request we serve, parsed with
//!   [`ClientRequest::parse`] into typed params (or a [`RequestParseError`]
//!   that maps to `-32601`/`-32602`).
//! - [`ClientNotification`]: client→server notifications (`initialized`).
//! - [`ServerNotification`]: server→client notifications, turned into
//!   envelopes with [`ServerNotification::to_notification`].
//! - [`ServerRequest`]: server→client requests (approvals), sent with
//!   [`ServerRequest::to_request`]; the client's answer is read back with
//!   [`ServerRequest::parse_response`].
//!
//! Each method also has a zero-sized marker type (for example
//! [`markers::ThreadStart`]) implementing [`ClientMethod`],
//! [`ServerNotificationMethod`] or [`ServerRequestMethod`], so typed clients
//! and the server's dispatch can tie a params type to its response type.
//!
//! # Experimental API
//!
//! Connections that did not set `capabilities.experimentalApi` during
//! `initialize` must not use experimental methods or fields. The complete
//! list lives here, in [`EXPERIMENTAL_CLIENT_METHODS`],
//! [`EXPERIMENTAL_SERVER_NOTIFICATIONS`] and [`EXPERIMENTAL_FIELDS`];
//! [`ClientRequest::experimental_reason`] checks one request against it and
//! the schema export leaves the same methods and fields out of the stable
//! schema.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

use crate::error_codes;
use crate::jsonrpc::JsonRpcError;
use crate::jsonrpc::JsonRpcNotification;
use crate::jsonrpc::JsonRpcRequest;
use crate::jsonrpc::RequestId;
use crate::v2::*;

/// Why a request (or notification) could not be turned into a typed message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestParseError {
    /// No such method; answered with `-32601`.
    #[error("Method not found: {0}")]
    UnknownMethod(String),
    /// The params do not fit the method; answered with `-32602`.
    #[error("Invalid params for {method}: {message}")]
    InvalidParams {
        /// The method whose params were bad.
        method: String,
        /// The serde error text.
        message: String,
    },
}

impl RequestParseError {
    /// The JSON-RPC error code this error is answered with.
    pub fn code(&self) -> i64 {
        match self {
            RequestParseError::UnknownMethod(_) => error_codes::METHOD_NOT_FOUND,
            RequestParseError::InvalidParams { .. } => error_codes::INVALID_PARAMS,
        }
    }

    /// The error response for request `id`.
    pub fn to_error_response(&self, id: RequestId) -> JsonRpcError {
        JsonRpcError::new(Some(id), self.code(), self.to_string())
    }
}

/// How a method's `params` look on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamsShape {
    /// An object; a missing or `null` `params` means `{}`.
    Object,
    /// An object or `null`; a missing `params` means `null`.
    NullableObject,
    /// No params: `params` must be missing or `null` (an empty object is tolerated).
    None,
}

/// A client→server request method, tying its name to its params and response types.
pub trait ClientMethod {
    /// The wire method name.
    const METHOD: &'static str;
    /// The typed params (`()` for methods without params).
    type Params: Serialize + DeserializeOwned;
    /// The typed result of a successful response.
    type Response: Serialize + DeserializeOwned;
}

/// A server→client notification method, tying its name to its params type.
pub trait ServerNotificationMethod {
    /// The wire method name.
    const METHOD: &'static str;
    /// The typed params.
    type Params: Serialize + DeserializeOwned;
}

/// A server→client request method, tying its name to its params and response types.
pub trait ServerRequestMethod {
    /// The wire method name.
    const METHOD: &'static str;
    /// The typed params.
    type Params: Serialize + DeserializeOwned;
    /// The typed result the client answers with.
    type Response: Serialize + DeserializeOwned;
}

/// One method as listed for schema export and documentation.
#[derive(Clone, Copy, Debug)]
pub struct MethodInfo {
    /// The wire method name.
    pub method: &'static str,
    /// The Rust variant name, used for schema titles (`<Variant>Request`).
    pub variant: &'static str,
    /// The shape of `params`.
    pub params_shape: ParamsShape,
    /// The params type's definition name (`None` without params).
    pub params_type: Option<&'static str>,
    /// The response type's definition name (`None` for notifications).
    pub response_type: Option<&'static str>,
    /// Adds the params (and response) definitions to `gen`; returns the params schema.
    pub params_schema: fn(&mut SchemaGenerator) -> Schema,
    /// Adds the response definition to `gen` (requests only).
    pub response_schema: Option<fn(&mut SchemaGenerator) -> Schema>,
    /// Adds the TypeScript of the params and response types (and their dependencies).
    pub typescript: fn(&mut crate::schema_export::TypeScriptCollector),
}

/// Client methods that require `experimentalApi`.
pub const EXPERIMENTAL_CLIENT_METHODS: &[&str] = &[
    "remoteControl/enable",
    "remoteControl/disable",
    "remoteControl/status/read",
    "remoteControl/pairing/start",
    "remoteControl/pairing/status",
    "remoteControl/client/list",
    "remoteControl/client/revoke",
    "fuzzyFileSearch/sessionStart",
    "fuzzyFileSearch/sessionUpdate",
    "fuzzyFileSearch/sessionStop",
];

/// Server notifications only sent to connections with `experimentalApi`.
pub const EXPERIMENTAL_SERVER_NOTIFICATIONS: &[&str] = &["remoteControl/status/changed"];

/// An experimental field of a stable method's params.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExperimentalField {
    /// The method whose params carry the field.
    pub method: &'static str,
    /// The params definition name.
    pub params_type: &'static str,
    /// The wire field name.
    pub field: &'static str,
    /// The reason string reported by [`ClientRequest::experimental_reason`].
    pub reason: &'static str,
}

/// Every experimental field of a stable method (the reference marks them
/// "experimental", "EXPERIMENTAL", "[UNSTABLE]" or "internal use only").
/// A field counts as used when present and not `null` (and, for booleans, `true`).
///
/// `initialize.capabilities.requiredHumanApproval` is special: it is only
/// allowed when the same `initialize` sets `capabilities.experimentalApi`.
pub const EXPERIMENTAL_FIELDS: &[ExperimentalField] = &[
    ExperimentalField {
        method: "initialize",
        params_type: "InitializeCapabilities",
        field: "requiredHumanApproval",
        reason: "initialize.capabilities.requiredHumanApproval",
    },
    ExperimentalField {
        method: "thread/start",
        params_type: "ThreadStartParams",
        field: "mockExperimentalField",
        reason: "thread/start.mockExperimentalField",
    },
    ExperimentalField {
        method: "thread/start",
        params_type: "ThreadStartParams",
        field: "experimentalRawEvents",
        reason: "thread/start.experimentalRawEvents",
    },
    ExperimentalField {
        method: "thread/resume",
        params_type: "ThreadResumeParams",
        field: "history",
        reason: "thread/resume.history",
    },
    ExperimentalField {
        method: "thread/resume",
        params_type: "ThreadResumeParams",
        field: "path",
        reason: "thread/resume.path",
    },
    ExperimentalField {
        method: "thread/fork",
        params_type: "ThreadForkParams",
        field: "path",
        reason: "thread/fork.path",
    },
    ExperimentalField {
        method: "turn/start",
        params_type: "TurnStartParams",
        field: "collaborationMode",
        reason: "turn/start.collaborationMode",
    },
    ExperimentalField {
        method: "turn/start",
        params_type: "TurnStartParams",
        field: "cyberAccessProgram",
        reason: "turn/start.cyberAccessProgram",
    },
];

fn parse_params<T: DeserializeOwned>(
    method: &str,
    shape: ParamsShape,
    params: Option<Value>,
) -> Result<T, RequestParseError> {
    let value = match (shape, params) {
        (ParamsShape::Object, None | Some(Value::Null)) => Value::Object(serde_json::Map::new()),
        (ParamsShape::None, Some(Value::Object(map))) if map.is_empty() => Value::Null,
        (_, None) => Value::Null,
        (_, Some(value)) => value,
    };
    serde_json::from_value(value.clone()).map_err(|err| RequestParseError::InvalidParams {
        method: method.to_owned(),
        message: name_relative_path_field(&value, err.to_string()),
    })
}

/// Prefixes an "is not absolute" error with the field holding the offending path (e.g.
/// `sandboxPolicy.writableRoots[0]: path "x" is not absolute…`), so the client knows which of
/// its permission paths to fix; other messages are returned unchanged.
fn name_relative_path_field(params: &Value, message: String) -> String {
    let Some(path) = crate::absolute_path::relative_path_in_error(&message) else {
        return message;
    };
    match field_holding(params, &path, String::new()) {
        Some(field) if !field.is_empty() => format!("{field}: {message}"),
        _ => message,
    }
}

/// The dotted path (`a.b[2]`) of the first string in `value` equal to `needle`.
fn field_holding(value: &Value, needle: &str, at: String) -> Option<String> {
    match value {
        Value::String(text) if text == needle => Some(at),
        Value::Object(map) => map.iter().find_map(|(key, child)| {
            let next = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
            field_holding(child, needle, next)
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, child)| field_holding(child, needle, format!("{at}[{index}]"))),
        _ => None,
    }
}

fn params_to_value<T: Serialize>(params: &T) -> Option<Value> {
    // Serialising these data types cannot fail (all map keys are strings);
    // should it ever, `null` params are the least surprising outcome.
    match serde_json::to_value(params).unwrap_or(Value::Null) {
        Value::Null => None,
        value => Some(value),
    }
}

/// Schema of `params` for a method without params (`{"type": "null"}`).
fn null_schema(gen: &mut SchemaGenerator) -> Schema {
    <()>::json_schema(gen)
}

macro_rules! client_requests {
    ($($variant:ident => $method:literal, $shape:ident($params:ty), $response:ty;)*) => {
        /// A client→server request with its typed params.
        // Params are moved straight into handlers; boxing them would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum ClientRequest {
            $(
                #[doc = concat!("`", $method, "`.")]
                $variant(client_requests!(@ty $shape, $params)),
            )*
        }

        /// Zero-sized marker types, one per client request method.
        pub mod markers {
            use super::*;
            $(
                #[doc = concat!("Marker for the `", $method, "` client request.")]
                #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
                pub struct $variant;
                impl ClientMethod for $variant {
                    const METHOD: &'static str = $method;
                    type Params = client_requests!(@ty $shape, $params);
                    type Response = $response;
                }
            )*
        }

        /// Every client request method, in protocol order.
        pub const CLIENT_REQUEST_METHODS: &[MethodInfo] = &[$(
            MethodInfo {
                method: $method,
                variant: stringify!($variant),
                params_shape: ParamsShape::$shape,
                params_type: client_requests!(@name $shape, $params),
                response_type: Some(stringify!($response)),
                params_schema: |gen| client_requests!(@schema gen, $shape, $params),
                response_schema: Some(|gen| gen.subschema_for::<$response>()),
                typescript: |ts| {
                    ts.add::<client_requests!(@ty $shape, $params)>();
                    ts.add::<$response>();
                },
            },
        )*];

        impl ClientRequest {
            /// Parses a request's method and params; a missing `params` means empty.
            pub fn parse(method: &str, params: Option<Value>) -> Result<Self, RequestParseError> {
                match method {
                    $($method => Ok(ClientRequest::$variant(parse_params(
                        method,
                        ParamsShape::$shape,
                        params,
                    )?)),)*
                    other => Err(RequestParseError::UnknownMethod(other.to_owned())),
                }
            }

            /// Parses the method and params of a JSON-RPC request.
            pub fn from_request(request: &JsonRpcRequest) -> Result<Self, RequestParseError> {
                Self::parse(&request.method, request.params.clone())
            }

            /// The wire method name.
            pub fn method(&self) -> &'static str {
                match self {
                    $(ClientRequest::$variant(_) => $method,)*
                }
            }

            /// The params as JSON (`None` for methods without params).
            pub fn params_value(&self) -> Option<Value> {
                match self {
                    $(ClientRequest::$variant(params) => params_to_value(params),)*
                }
            }

            /// The request as a JSON-RPC envelope with id `id`.
            pub fn to_request(&self, id: impl Into<RequestId>) -> JsonRpcRequest {
                JsonRpcRequest::new(id, self.method(), self.params_value())
            }
        }
    };
    (@ty Object, $params:ty) => { $params };
    (@ty NullableObject, $params:ty) => { Option<$params> };
    (@ty None, $params:ty) => { () };
    (@name None, $params:ty) => { None };
    (@name $shape:ident, $params:ty) => { Some(stringify!($params)) };
    (@schema $gen:ident, None, $params:ty) => { null_schema($gen) };
    (@schema $gen:ident, $shape:ident, $params:ty) => { $gen.subschema_for::<$params>() };
}

client_requests! {
    Initialize => "initialize", Object(InitializeParams), InitializeResponse;
    GetAccount => "account/read", Object(GetAccountParams), GetAccountResponse;
    ModelList => "model/list", Object(ModelListParams), ModelListResponse;
    ConfigRead => "config/read", Object(ConfigReadParams), ConfigReadResponse;
    ConfigRequirementsRead => "configRequirements/read", None(()), ConfigRequirementsReadResponse;
    SkillsList => "skills/list", Object(SkillsListParams), SkillsListResponse;
    CollaborationModeList => "collaborationMode/list", Object(CollaborationModeListParams), CollaborationModeListResponse;
    HooksList => "hooks/list", Object(HooksListParams), HooksListResponse;
    ThreadStart => "thread/start", Object(ThreadStartParams), ThreadStartResponse;
    ThreadResume => "thread/resume", Object(ThreadResumeParams), ThreadResumeResponse;
    ThreadFork => "thread/fork", Object(ThreadForkParams), ThreadForkResponse;
    ThreadList => "thread/list", Object(ThreadListParams), ThreadListResponse;
    ThreadRead => "thread/read", Object(ThreadReadParams), ThreadReadResponse;
    ThreadTurnsList => "thread/turns/list", Object(ThreadTurnsListParams), ThreadTurnsListResponse;
    ThreadArchive => "thread/archive", Object(ThreadArchiveParams), ThreadArchiveResponse;
    ThreadUnarchive => "thread/unarchive", Object(ThreadUnarchiveParams), ThreadUnarchiveResponse;
    ThreadCompactStart => "thread/compact/start", Object(ThreadCompactStartParams), ThreadCompactStartResponse;
    ThreadUnsubscribe => "thread/unsubscribe", Object(ThreadUnsubscribeParams), ThreadUnsubscribeResponse;
    ThreadSetName => "thread/name/set", Object(ThreadSetNameParams), ThreadSetNameResponse;
    ThreadLoadedList => "thread/loaded/list", Object(ThreadLoadedListParams), ThreadLoadedListResponse;
    TurnStart => "turn/start", Object(TurnStartParams), TurnStartResponse;
    TurnInterrupt => "turn/interrupt", Object(TurnInterruptParams), TurnInterruptResponse;
    TurnSteer => "turn/steer", Object(TurnSteerParams), TurnSteerResponse;
    CommandExec => "command/exec", Object(CommandExecParams), CommandExecResponse;
    CommandExecWrite => "command/exec/write", Object(CommandExecWriteParams), CommandExecWriteResponse;
    CommandExecTerminate => "command/exec/terminate", Object(CommandExecTerminateParams), CommandExecTerminateResponse;
    CommandExecResize => "command/exec/resize", Object(CommandExecResizeParams), CommandExecResizeResponse;
    ConfigValueWrite => "config/value/write", Object(ConfigValueWriteParams), ConfigWriteResponse;
    ConfigBatchWrite => "config/batchWrite", Object(ConfigBatchWriteParams), ConfigWriteResponse;
    ExperimentalFeatureList => "experimentalFeature/list", Object(ExperimentalFeatureListParams), ExperimentalFeatureListResponse;
    RemoteControlEnable => "remoteControl/enable", NullableObject(RemoteControlEnableParams), RemoteControlEnableResponse;
    RemoteControlDisable => "remoteControl/disable", NullableObject(RemoteControlDisableParams), RemoteControlDisableResponse;
    RemoteControlStatusRead => "remoteControl/status/read", None(()), RemoteControlStatusReadResponse;
    RemoteControlPairingStart => "remoteControl/pairing/start", Object(RemoteControlPairingStartParams), RemoteControlPairingStartResponse;
    RemoteControlPairingStatus => "remoteControl/pairing/status", Object(RemoteControlPairingStatusParams), RemoteControlPairingStatusResponse;
    RemoteControlClientList => "remoteControl/client/list", Object(RemoteControlClientsListParams), RemoteControlClientsListResponse;
    RemoteControlClientRevoke => "remoteControl/client/revoke", Object(RemoteControlClientsRevokeParams), RemoteControlClientsRevokeResponse;
    FuzzyFileSearch => "fuzzyFileSearch", Object(FuzzyFileSearchParams), FuzzyFileSearchResponse;
    FuzzyFileSearchSessionStart => "fuzzyFileSearch/sessionStart", Object(FuzzyFileSearchSessionStartParams), FuzzyFileSearchSessionStartResponse;
    FuzzyFileSearchSessionUpdate => "fuzzyFileSearch/sessionUpdate", Object(FuzzyFileSearchSessionUpdateParams), FuzzyFileSearchSessionUpdateResponse;
    FuzzyFileSearchSessionStop => "fuzzyFileSearch/sessionStop", Object(FuzzyFileSearchSessionStopParams), FuzzyFileSearchSessionStopResponse;
    FsReadFile => "fs/readFile", Object(FsReadFileParams), FsReadFileResponse;
    FsWriteFile => "fs/writeFile", Object(FsWriteFileParams), FsWriteFileResponse;
    FsCreateDirectory => "fs/createDirectory", Object(FsCreateDirectoryParams), FsCreateDirectoryResponse;
    FsGetMetadata => "fs/getMetadata", Object(FsGetMetadataParams), FsGetMetadataResponse;
    FsReadDirectory => "fs/readDirectory", Object(FsReadDirectoryParams), FsReadDirectoryResponse;
    FsRemove => "fs/remove", Object(FsRemoveParams), FsRemoveResponse;
    FsCopy => "fs/copy", Object(FsCopyParams), FsCopyResponse;
    FsWatch => "fs/watch", Object(FsWatchParams), FsWatchResponse;
    FsUnwatch => "fs/unwatch", Object(FsUnwatchParams), FsUnwatchResponse;
    ThreadShellCommand => "thread/shellCommand", Object(ThreadShellCommandParams), ThreadShellCommandResponse;
    ReviewStart => "review/start", Object(ReviewStartParams), ReviewStartResponse;
    PermissionProfileList => "permissionProfile/list", Object(PermissionProfileListParams), PermissionProfileListResponse;
    ThreadSettingsUpdate => "thread/settings/update", Object(ThreadSettingsUpdateParams), ThreadSettingsUpdateResponse;
    LoginAccount => "account/login/start", Object(LoginAccountParams), LoginAccountResponse;
    LogoutAccount => "account/logout", None(()), LogoutAccountResponse;
    GetAccountRateLimits => "account/rateLimits/read", NullableObject(GetAccountRateLimitsParams), GetAccountRateLimitsResponse;
    BedrockCheckGovCloudRequirements => "account/bedrock/checkGovCloudRequirements", Object(BedrockCheckGovCloudRequirementsParams), BedrockCheckGovCloudRequirementsResponse;
    ThreadSearch => "thread/search", Object(ThreadSearchParams), ThreadSearchResponse;
    ThreadItemsList => "thread/items/list", Object(ThreadItemsListParams), ThreadItemsListResponse;
    ThreadGoalGet => "thread/goal/get", Object(ThreadGoalGetParams), ThreadGoalGetResponse;
    ThreadGoalSet => "thread/goal/set", Object(ThreadGoalSetParams), ThreadGoalSetResponse;
    ThreadGoalClear => "thread/goal/clear", Object(ThreadGoalClearParams), ThreadGoalClearResponse;
    ThreadBackgroundTerminalsList => "thread/backgroundTerminals/list", Object(ThreadBackgroundTerminalsListParams), ThreadBackgroundTerminalsListResponse;
    ThreadBackgroundTerminalsClean => "thread/backgroundTerminals/clean", Object(ThreadBackgroundTerminalsCleanParams), ThreadBackgroundTerminalsCleanResponse;
    ThreadBackgroundTerminalsTerminate => "thread/backgroundTerminals/terminate", Object(ThreadBackgroundTerminalsTerminateParams), ThreadBackgroundTerminalsTerminateResponse;
    PluginInstalled => "plugin/installed", Object(PluginInstalledParams), PluginInstalledResponse;
    McpServerStatusList => "mcpServerStatus/list", Object(ListMcpServerStatusParams), ListMcpServerStatusResponse;
    McpServerToolCall => "mcpServer/tool/call", Object(McpServerToolCallParams), McpServerToolCallResponse;
    McpResourceRead => "mcpServer/resource/read", Object(McpResourceReadParams), McpResourceReadResponse;
    McpServerRefresh => "config/mcpServer/reload", None(()), McpServerRefreshResponse;
}

fn is_set<T: Serialize>(value: &Option<T>) -> bool {
    match value.as_ref().map(serde_json::to_value) {
        Some(Ok(Value::Null | Value::Bool(false))) | None => false,
        Some(_) => true,
    }
}

impl ClientRequest {
    /// Why this request needs `experimentalApi`: the experimental method name,
    /// or `method.field` for an experimental field; `None` for stable requests.
    /// For `initialize` it reports an experimental capability requested without
    /// `experimentalApi` in the same request (which the server should refuse).
    pub fn experimental_reason(&self) -> Option<&'static str> {
        let method = self.method();
        if EXPERIMENTAL_CLIENT_METHODS.contains(&method) {
            return Some(method);
        }
        let used: &[(bool, &'static str)] = match self {
            ClientRequest::Initialize(p) => &[(
                p.capabilities.as_ref().is_some_and(|c| {
                    is_set(&c.required_human_approval) && c.experimental_api != Some(true)
                }),
                "requiredHumanApproval",
            )],
            ClientRequest::ThreadStart(p) => &[
                (is_set(&p.mock_experimental_field), "mockExperimentalField"),
                (is_set(&p.experimental_raw_events), "experimentalRawEvents"),
            ],
            ClientRequest::ThreadResume(p) => {
                &[(is_set(&p.history), "history"), (is_set(&p.path), "path")]
            }
            ClientRequest::ThreadFork(p) => &[(is_set(&p.path), "path")],
            ClientRequest::TurnStart(p) => &[
                (is_set(&p.collaboration_mode), "collaborationMode"),
                (is_set(&p.cyber_access_program), "cyberAccessProgram"),
            ],
            _ => &[],
        };
        let field = used.iter().find(|(set, _)| *set)?.1;
        EXPERIMENTAL_FIELDS
            .iter()
            .find(|entry| entry.method == method && entry.field == field)
            .map(|entry| entry.reason)
    }
}

/// A client→server notification.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientNotification {
    /// `initialized`: the client has processed the `initialize` response.
    Initialized,
}

impl ClientNotification {
    /// Every client notification method name.
    pub const METHODS: &'static [&'static str] = &["initialized"];

    /// Parses a notification's method (params are ignored for `initialized`).
    pub fn parse(method: &str, _params: Option<Value>) -> Result<Self, RequestParseError> {
        match method {
            "initialized" => Ok(ClientNotification::Initialized),
            other => Err(RequestParseError::UnknownMethod(other.to_owned())),
        }
    }

    /// The wire method name.
    pub fn method(&self) -> &'static str {
        match self {
            ClientNotification::Initialized => "initialized",
        }
    }

    /// The notification as a JSON-RPC envelope.
    pub fn to_notification(&self) -> JsonRpcNotification {
        JsonRpcNotification::new(self.method(), None)
    }
}

macro_rules! server_notifications {
    ($($variant:ident => $method:literal, $params:ty;)*) => {
        /// A server→client notification with its typed params.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "method", content = "params")]
        pub enum ServerNotification {
            $(
                #[doc = concat!("`", $method, "`.")]
                #[serde(rename = $method)]
                $variant($params),
            )*
        }

        /// Marker types for server notifications.
        pub mod notification_markers {
            use super::*;
            $(
                #[doc = concat!("Marker for the `", $method, "` notification.")]
                #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
                pub struct $variant;
                impl ServerNotificationMethod for $variant {
                    const METHOD: &'static str = $method;
                    type Params = $params;
                }
            )*
        }

        /// Every server notification method, in protocol order.
        pub const SERVER_NOTIFICATION_METHODS: &[MethodInfo] = &[$(
            MethodInfo {
                method: $method,
                variant: stringify!($variant),
                params_shape: ParamsShape::Object,
                params_type: Some(stringify!($params)),
                response_type: None,
                params_schema: |gen| gen.subschema_for::<$params>(),
                response_schema: None,
                typescript: |ts| ts.add::<$params>(),
            },
        )*];

        impl ServerNotification {
            /// The wire method name.
            pub fn method(&self) -> &'static str {
                match self {
                    $(ServerNotification::$variant(_) => $method,)*
                }
            }

            /// The notification as a JSON-RPC envelope.
            pub fn to_notification(&self) -> JsonRpcNotification {
                let params = match self {
                    $(ServerNotification::$variant(params) => params_to_value(params),)*
                };
                JsonRpcNotification::new(self.method(), params)
            }

            /// Parses a received notification (for typed clients and tests).
            pub fn parse(method: &str, params: Option<Value>) -> Result<Self, RequestParseError> {
                match method {
                    $($method => Ok(ServerNotification::$variant(parse_params(
                        method,
                        ParamsShape::Object,
                        params,
                    )?)),)*
                    other => Err(RequestParseError::UnknownMethod(other.to_owned())),
                }
            }
        }
    };
}

server_notifications! {
    Error => "error", ErrorNotification;
    ThreadStarted => "thread/started", ThreadStartedNotification;
    ThreadStatusChanged => "thread/status/changed", ThreadStatusChangedNotification;
    ThreadArchived => "thread/archived", ThreadArchivedNotification;
    ThreadUnarchived => "thread/unarchived", ThreadUnarchivedNotification;
    ThreadClosed => "thread/closed", ThreadClosedNotification;
    ThreadNameUpdated => "thread/name/updated", ThreadNameUpdatedNotification;
    ThreadTokenUsageUpdated => "thread/tokenUsage/updated", ThreadTokenUsageUpdatedNotification;
    TurnStarted => "turn/started", TurnStartedNotification;
    TurnCompleted => "turn/completed", TurnCompletedNotification;
    ItemStarted => "item/started", ItemStartedNotification;
    ItemCompleted => "item/completed", ItemCompletedNotification;
    AgentMessageDelta => "item/agentMessage/delta", AgentMessageDeltaNotification;
    ReasoningSummaryTextDelta => "item/reasoning/summaryTextDelta", ReasoningSummaryTextDeltaNotification;
    ReasoningTextDelta => "item/reasoning/textDelta", ReasoningTextDeltaNotification;
    CommandExecutionOutputDelta => "item/commandExecution/outputDelta", CommandExecutionOutputDeltaNotification;
    TerminalInteraction => "item/commandExecution/terminalInteraction", TerminalInteractionNotification;
    TurnPlanUpdated => "turn/plan/updated", TurnPlanUpdatedNotification;
    ServerRequestResolved => "serverRequest/resolved", ServerRequestResolvedNotification;
    CommandExecOutputDelta => "command/exec/outputDelta", CommandExecOutputDeltaNotification;
    RemoteControlStatusChanged => "remoteControl/status/changed", RemoteControlStatusChangedNotification;
    ConfigWarning => "configWarning", ConfigWarningNotification;
    Warning => "warning", WarningNotification;
    FuzzyFileSearchSessionUpdated => "fuzzyFileSearch/sessionUpdated", FuzzyFileSearchSessionUpdatedNotification;
    FuzzyFileSearchSessionCompleted => "fuzzyFileSearch/sessionCompleted", FuzzyFileSearchSessionCompletedNotification;
    FsChanged => "fs/changed", FsChangedNotification;
    ThreadSettingsUpdated => "thread/settings/updated", ThreadSettingsUpdatedNotification;
    AccountLoginCompleted => "account/login/completed", AccountLoginCompletedNotification;
    AccountUpdated => "account/updated", AccountUpdatedNotification;
    AccountRateLimitsUpdated => "account/rateLimits/updated", AccountRateLimitsUpdatedNotification;
    ThreadGoalUpdated => "thread/goal/updated", ThreadGoalUpdatedNotification;
    ThreadGoalCleared => "thread/goal/cleared", ThreadGoalClearedNotification;
    ThreadReadStateChanged => "thread/readState/changed", ThreadReadStateChangedNotification;
    McpServerStatusUpdated => "mcpServer/startupStatus/updated", McpServerStatusUpdatedNotification;
    McpToolCallProgress => "item/mcpToolCall/progress", McpToolCallProgressNotification;
}

impl ServerNotification {
    /// Why this notification may only go to `experimentalApi` connections, if it is experimental.
    pub fn experimental_reason(&self) -> Option<&'static str> {
        let method = self.method();
        EXPERIMENTAL_SERVER_NOTIFICATIONS.contains(&method).then_some(method)
    }
}

macro_rules! server_requests {
    ($($variant:ident => $method:literal, $params:ty, $response:ty;)*) => {
        /// A server→client request with its typed params.
        // Params are moved straight into handlers; boxing them would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum ServerRequest {
            $(
                #[doc = concat!("`", $method, "`.")]
                $variant($params),
            )*
        }

        /// A client's typed answer to a [`ServerRequest`].
        // Params are moved straight into handlers; boxing them would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum ServerRequestResponse {
            $(
                #[doc = concat!("Answer to `", $method, "`.")]
                $variant($response),
            )*
        }

        /// Marker types for server requests.
        pub mod server_request_markers {
            use super::*;
            $(
                #[doc = concat!("Marker for the `", $method, "` server request.")]
                #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
                pub struct $variant;
                impl ServerRequestMethod for $variant {
                    const METHOD: &'static str = $method;
                    type Params = $params;
                    type Response = $response;
                }
            )*
        }

        /// Every server request method, in protocol order.
        pub const SERVER_REQUEST_METHODS: &[MethodInfo] = &[$(
            MethodInfo {
                method: $method,
                variant: stringify!($variant),
                params_shape: ParamsShape::Object,
                params_type: Some(stringify!($params)),
                response_type: Some(stringify!($response)),
                params_schema: |gen| gen.subschema_for::<$params>(),
                response_schema: Some(|gen| gen.subschema_for::<$response>()),
                typescript: |ts| {
                    ts.add::<$params>();
                    ts.add::<$response>();
                },
            },
        )*];

        impl ServerRequest {
            /// The wire method name.
            pub fn method(&self) -> &'static str {
                match self {
                    $(ServerRequest::$variant(_) => $method,)*
                }
            }

            /// The request as a JSON-RPC envelope with id `id`.
            pub fn to_request(&self, id: impl Into<RequestId>) -> JsonRpcRequest {
                let params = match self {
                    $(ServerRequest::$variant(params) => params_to_value(params),)*
                };
                JsonRpcRequest::new(id, self.method(), params)
            }

            /// Parses a received server request (for typed clients and tests).
            pub fn parse(method: &str, params: Option<Value>) -> Result<Self, RequestParseError> {
                match method {
                    $($method => Ok(ServerRequest::$variant(parse_params(
                        method,
                        ParamsShape::Object,
                        params,
                    )?)),)*
                    other => Err(RequestParseError::UnknownMethod(other.to_owned())),
                }
            }

            /// Reads the client's `result` for this request into its typed response.
            pub fn parse_response(&self, result: Value) -> Result<ServerRequestResponse, RequestParseError> {
                ServerRequestResponse::parse(self.method(), result)
            }
        }

        impl ServerRequestResponse {
            /// Reads a client's `result` for a server request of method `method`.
            pub fn parse(method: &str, result: Value) -> Result<Self, RequestParseError> {
                match method {
                    $($method => serde_json::from_value(result)
                        .map(ServerRequestResponse::$variant)
                        .map_err(|err| RequestParseError::InvalidParams {
                            method: method.to_owned(),
                            message: err.to_string(),
                        }),)*
                    other => Err(RequestParseError::UnknownMethod(other.to_owned())),
                }
            }

            /// The result as JSON, as a client would send it.
            pub fn to_value(&self) -> Value {
                match self {
                    $(ServerRequestResponse::$variant(response) => {
                        params_to_value(response).unwrap_or(Value::Null)
                    })*
                }
            }
        }
    };
}

server_requests! {
    CommandExecutionRequestApproval => "item/commandExecution/requestApproval", CommandExecutionRequestApprovalParams, CommandExecutionRequestApprovalResponse;
    FileChangeRequestApproval => "item/fileChange/requestApproval", FileChangeRequestApprovalParams, FileChangeRequestApprovalResponse;
    ToolRequestUserInput => "item/tool/requestUserInput", ToolRequestUserInputParams, ToolRequestUserInputResponse;
    McpServerElicitationRequest => "mcpServer/elicitation/request", McpServerElicitationRequestParams, McpServerElicitationRequestResponse;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_method_is_reported_by_name() {
        let err = ClientRequest::parse("thread/teleport", None).unwrap_err();
        assert_eq!(err, RequestParseError::UnknownMethod("thread/teleport".into()));
        assert_eq!(err.code(), error_codes::METHOD_NOT_FOUND);
        let response = err.to_error_response(RequestId::Integer(9));
        assert!(response.error.message.contains("thread/teleport"));
        assert_eq!(response.id, Some(RequestId::Integer(9)));
    }

    #[test]
    fn bad_params_carry_the_serde_text() {
        let err = ClientRequest::parse("thread/archive", Some(json!({"threadId": 5}))).unwrap_err();
        let RequestParseError::InvalidParams { method, message } = &err else { panic!("{err:?}") };
        assert_eq!(method, "thread/archive");
        assert!(message.contains("invalid type: integer `5`, expected a string"), "{message}");
        assert_eq!(err.code(), error_codes::INVALID_PARAMS);

        let missing = ClientRequest::parse("turn/start", Some(json!({"input": []}))).unwrap_err();
        assert!(missing.to_string().contains("missing field `threadId`"), "{missing}");

        let not_object = ClientRequest::parse("thread/list", Some(json!([1]))).unwrap_err();
        assert_eq!(not_object.code(), error_codes::INVALID_PARAMS);

        let params_for_no_params = ClientRequest::parse("configRequirements/read", Some(json!(3)));
        assert!(params_for_no_params.is_err());
    }

    #[test]
    fn missing_params_mean_empty() {
        assert_eq!(
            ClientRequest::parse("thread/list", None).unwrap(),
            ClientRequest::ThreadList(serde_json::from_value(json!({})).unwrap())
        );
        assert_eq!(
            ClientRequest::parse("configRequirements/read", None).unwrap(),
            ClientRequest::ConfigRequirementsRead(())
        );
        assert_eq!(
            ClientRequest::parse("configRequirements/read", Some(json!({}))).unwrap(),
            ClientRequest::ConfigRequirementsRead(())
        );
        assert_eq!(
            ClientRequest::parse("remoteControl/enable", None).unwrap(),
            ClientRequest::RemoteControlEnable(None)
        );
        assert_eq!(
            ClientRequest::parse("remoteControl/enable", Some(json!({"ephemeral": true}))).unwrap(),
            ClientRequest::RemoteControlEnable(Some(RemoteControlEnableParams {
                ephemeral: Some(true)
            }))
        );
        // A required field is still required when params are missing.
        assert!(ClientRequest::parse("thread/archive", None).is_err());
    }

    #[test]
    fn requests_round_trip_through_the_envelope() {
        let request = ClientRequest::parse(
            "thread/name/set",
            Some(json!({"threadId": "t1", "name": "Refactor"})),
        )
        .unwrap();
        assert_eq!(request.method(), markers::ThreadSetName::METHOD);
        let envelope = request.to_request("id-1");
        assert_eq!(envelope.method, "thread/name/set");
        assert_eq!(ClientRequest::from_request(&envelope).unwrap(), request);
        assert_eq!(ClientRequest::RemoteControlStatusRead(()).params_value(), None);
    }

    #[test]
    fn method_tables_are_consistent() {
        let mut names: Vec<&str> = CLIENT_REQUEST_METHODS.iter().map(|m| m.method).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate client method");
        for info in CLIENT_REQUEST_METHODS {
            if info.params_shape != ParamsShape::Object {
                let parsed = ClientRequest::parse(info.method, None).unwrap();
                assert_eq!(parsed.method(), info.method);
            }
        }
        for method in EXPERIMENTAL_CLIENT_METHODS {
            assert!(CLIENT_REQUEST_METHODS.iter().any(|m| m.method == *method), "{method}");
        }
        for method in EXPERIMENTAL_SERVER_NOTIFICATIONS {
            assert!(SERVER_NOTIFICATION_METHODS.iter().any(|m| m.method == *method), "{method}");
        }
    }

    #[test]
    fn experimental_methods_are_detected() {
        let params = json!({"sessionId": "s", "roots": [], "query": "q", "environmentId": "e", "clientId": "c"});
        for method in EXPERIMENTAL_CLIENT_METHODS {
            let request = ClientRequest::parse(method, None)
                .or_else(|_| ClientRequest::parse(method, Some(params.clone())))
                .unwrap();
            assert_eq!(request.experimental_reason(), Some(*method));
        }
        let search = json!({"query": "q", "roots": []});
        let stable = ClientRequest::parse("fuzzyFileSearch", Some(search)).unwrap();
        assert_eq!(stable.experimental_reason(), None);
        let stable = ClientRequest::parse("thread/start", Some(json!({"model": "m"}))).unwrap();
        assert_eq!(stable.experimental_reason(), None);
        let notification = ServerNotification::parse(
            "remoteControl/status/changed",
            Some(json!({"installationId": "i", "serverName": "s", "status": "disabled"})),
        )
        .unwrap();
        assert_eq!(notification.experimental_reason(), Some("remoteControl/status/changed"));
    }

    #[test]
    fn every_listed_experimental_field_is_detected() {
        let sample = |field: &str| match field {
            "experimentalRawEvents" => json!(true),
            "history" => json!([]),
            "collaborationMode" | "cyberAccessProgram" => json!({"mode": "x"}),
            _ => json!("x"),
        };
        for entry in EXPERIMENTAL_FIELDS.iter().filter(|e| e.method != "initialize") {
            let mut params = match entry.method {
                "turn/start" => json!({"threadId": "t", "input": []}),
                _ => json!({"threadId": "t"}),
            };
            params[entry.field] = sample(entry.field);
            let request = ClientRequest::parse(entry.method, Some(params.clone())).unwrap();
            assert_eq!(request.experimental_reason(), Some(entry.reason), "{params}");
            // The same field set to null (or false) is not a use of the field.
            params[entry.field] = json!(null);
            let request = ClientRequest::parse(entry.method, Some(params.clone())).unwrap();
            assert_eq!(request.experimental_reason(), None, "{params}");
        }
        let off =
            ClientRequest::parse("thread/start", Some(json!({"experimentalRawEvents": false})))
                .unwrap();
        assert_eq!(off.experimental_reason(), None);
    }

    #[test]
    fn server_messages_have_typed_envelopes() {
        let notification = ServerNotification::AgentMessageDelta(AgentMessageDeltaNotification {
            delta: "hi".into(),
            item_id: "i".into(),
            thread_id: "t".into(),
            turn_id: "u".into(),
        });
        let envelope = notification.to_notification();
        assert_eq!(envelope.method, "item/agentMessage/delta");
        assert_eq!(envelope.params.as_ref().unwrap()["itemId"], "i");
        assert_eq!(
            ServerNotification::parse(&envelope.method, envelope.params.clone()).unwrap(),
            notification
        );

        let request = ServerRequest::parse(
            "item/fileChange/requestApproval",
            Some(json!({"itemId": "i", "threadId": "t", "turnId": "u", "startedAtMs": 1})),
        )
        .unwrap();
        let envelope = request.to_request(RequestId::Integer(3));
        assert_eq!(envelope.method, "item/fileChange/requestApproval");
        let answer = request.parse_response(json!({"decision": "accept"})).unwrap();
        assert_eq!(
            answer,
            ServerRequestResponse::FileChangeRequestApproval(FileChangeRequestApprovalResponse {
                decision: FileChangeApprovalDecision::Accept
            })
        );
        let bad = request.parse_response(json!({"decision": "maybe"})).unwrap_err();
        assert_eq!(bad.code(), error_codes::INVALID_PARAMS);
        let cancel = ServerRequestResponse::parse(
            "item/commandExecution/requestApproval",
            json!({"decision": "cancel"}),
        )
        .unwrap();
        assert_eq!(cancel.to_value(), json!({"decision": "cancel"}));
    }
}
