//! The JSON-RPC 2.0 envelope: requests, notifications, responses and errors.
//!
//! Incoming messages are accepted with or without `"jsonrpc":"2.0"` (the
//! reference neither sends nor requires it); everything we serialise carries
//! it. [`JsonRpcMessage::parse`] turns raw bytes into a message or into the
//! error response the sender should get back (`-32700` for bytes that are not
//! JSON, `-32600` for JSON that is not a JSON-RPC message, `-32602` for params
//! holding a number out of range), so every transport classifies input the same
//! way. Such an error carries the request's id whenever the id itself is
//! readable; `-0` is the id 0.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::Serializer;
use serde_json::Value;
use ts_rs::TS;

use crate::error_codes;

/// The `"jsonrpc":"2.0"` marker: always serialised, optional when read, `"2.0"` only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct JsonRpcVersion;

impl Serialize for JsonRpcVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("2.0")
    }
}

impl<'de> Deserialize<'de> for JsonRpcVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        if value == "2.0" {
            Ok(JsonRpcVersion)
        } else {
            Err(serde::de::Error::custom(format!(
                "unsupported jsonrpc version {value:?}, expected \"2.0\""
            )))
        }
    }
}

/// A request id: a string or an integer, echoed back exactly as received.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema, TS)]
#[serde(untagged)]
#[ts(export_to = "RequestId.ts")]
pub enum RequestId {
    /// A string id, such as `"initialize"`.
    String(String),
    /// An integer id.
    Integer(i64),
}

/// Reads a string or an integer; `-0` (which serde_json reads as a float) is the integer 0.
impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RequestIdVisitor)
    }
}

struct RequestIdVisitor;

impl serde::de::Visitor<'_> for RequestIdVisitor {
    type Value = RequestId;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string or an integer")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<RequestId, E> {
        Ok(RequestId::String(value.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<RequestId, E> {
        Ok(RequestId::String(value))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<RequestId, E> {
        Ok(RequestId::Integer(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<RequestId, E> {
        i64::try_from(value)
            .map(RequestId::Integer)
            .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(value), &self))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<RequestId, E> {
        // serde_json reads `-0` as the float -0.0; it is the integer 0. Other floats, even
        // integral ones, are not ids (as in the reference).
        if value == 0.0 {
            Ok(RequestId::Integer(0))
        } else {
            Err(E::invalid_value(serde::de::Unexpected::Float(value), &self))
        }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::String(value) => write!(f, "{value:?}"),
            RequestId::Integer(value) => write!(f, "{value}"),
        }
    }
}

impl From<i64> for RequestId {
    fn from(value: i64) -> Self {
        RequestId::Integer(value)
    }
}

impl From<String> for RequestId {
    fn from(value: String) -> Self {
        RequestId::String(value)
    }
}

impl From<&str> for RequestId {
    fn from(value: &str) -> Self {
        RequestId::String(value.to_owned())
    }
}

/// W3C Trace Context carried by a request so its span joins the caller's trace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[ts(export_to = "W3cTraceContext.ts")]
pub struct W3cTraceContext {
    /// The `traceparent` header value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The `tracestate` header value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

/// A request that expects a response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[schemars(rename = "JSONRPCRequest")]
#[ts(rename = "JSONRPCRequest", export_to = "JSONRPCRequest.ts")]
pub struct JsonRpcRequest {
    /// Always `"2.0"` when sent; optional when received.
    #[serde(default)]
    #[schemars(skip)]
    #[ts(skip)]
    pub jsonrpc: JsonRpcVersion,
    /// The request id, echoed in the response.
    pub id: RequestId,
    /// The method name, `resource/verb`.
    pub method: String,
    /// The method's params; a missing `params` means empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub params: Option<Value>,
    /// Optional W3C Trace Context for distributed tracing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<W3cTraceContext>,
}

/// A notification, which expects no response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[schemars(rename = "JSONRPCNotification")]
#[ts(rename = "JSONRPCNotification", export_to = "JSONRPCNotification.ts")]
pub struct JsonRpcNotification {
    /// Always `"2.0"` when sent; optional when received.
    #[serde(default)]
    #[schemars(skip)]
    #[ts(skip)]
    pub jsonrpc: JsonRpcVersion,
    /// The method name, `resource/verb`.
    pub method: String,
    /// The notification's params.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub params: Option<Value>,
}

/// A successful (non-error) response to a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[schemars(rename = "JSONRPCResponse")]
#[ts(rename = "JSONRPCResponse", export_to = "JSONRPCResponse.ts")]
pub struct JsonRpcResponse {
    /// Always `"2.0"` when sent; optional when received.
    #[serde(default)]
    #[schemars(skip)]
    #[ts(skip)]
    pub jsonrpc: JsonRpcVersion,
    /// The id of the request this answers.
    pub id: RequestId,
    /// The method's result.
    #[ts(type = "unknown")]
    pub result: Value,
}

/// The `error` member of an error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[schemars(rename = "JSONRPCErrorError")]
#[ts(rename = "JSONRPCErrorError", export_to = "JSONRPCErrorError.ts")]
pub struct JsonRpcErrorObject {
    /// The error code; see [`crate::error_codes`].
    pub code: i64,
    /// A message a person can act on.
    pub message: String,
    /// Optional structured detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub data: Option<Value>,
}

/// A response to a request that indicates an error occurred.
///
/// `id` is `null` when the request's id could not be read (unparseable input);
/// the reference schema has no such case, JSON-RPC 2.0 requires it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[schemars(rename = "JSONRPCError")]
#[ts(rename = "JSONRPCError", export_to = "JSONRPCError.ts")]
pub struct JsonRpcError {
    /// Always `"2.0"` when sent; optional when received.
    #[serde(default)]
    #[schemars(skip)]
    #[ts(skip)]
    pub jsonrpc: JsonRpcVersion,
    /// The id of the request this answers, or `null` when it could not be read.
    pub id: Option<RequestId>,
    /// The error.
    pub error: JsonRpcErrorObject,
}

/// Any valid JSON-RPC object that can be decoded off the wire, or encoded to be sent.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema, TS)]
#[serde(untagged)]
#[schemars(rename = "JSONRPCMessage")]
#[ts(rename = "JSONRPCMessage", export_to = "JSONRPCMessage.ts")]
pub enum JsonRpcMessage {
    /// A request.
    Request(JsonRpcRequest),
    /// A notification.
    Notification(JsonRpcNotification),
    /// A successful response.
    Response(JsonRpcResponse),
    /// An error response.
    Error(JsonRpcError),
}

/// Why raw input could not be turned into a [`JsonRpcMessage`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct MessageParseError {
    /// [`error_codes::PARSE_ERROR`], [`error_codes::INVALID_REQUEST`] or
    /// [`error_codes::INVALID_PARAMS`].
    pub code: i64,
    /// What was wrong, for the error response.
    pub message: String,
    /// The request id, when one could be read despite the error.
    pub id: Option<RequestId>,
}

impl MessageParseError {
    /// The error response to send back to whoever sent the bad input.
    pub fn to_error_response(&self) -> JsonRpcError {
        JsonRpcError::new(self.id.clone(), self.code, self.message.clone())
    }
}

impl JsonRpcRequest {
    /// A request with the given id, method and params.
    pub fn new(id: impl Into<RequestId>, method: impl Into<String>, params: Option<Value>) -> Self {
        Self { jsonrpc: JsonRpcVersion, id: id.into(), method: method.into(), params, trace: None }
    }
}

impl JsonRpcNotification {
    /// A notification with the given method and params.
    pub fn new(method: impl Into<String>, params: Option<Value>) -> Self {
        Self { jsonrpc: JsonRpcVersion, method: method.into(), params }
    }
}

impl JsonRpcResponse {
    /// A successful response to request `id`.
    pub fn new(id: RequestId, result: Value) -> Self {
        Self { jsonrpc: JsonRpcVersion, id, result }
    }
}

impl JsonRpcError {
    /// An error response to request `id` (`None` when the id is unknown).
    pub fn new(id: Option<RequestId>, code: i64, message: impl Into<String>) -> Self {
        Self {
            jsonrpc: JsonRpcVersion,
            id,
            error: JsonRpcErrorObject { code, message: message.into(), data: None },
        }
    }

    /// The same error with structured `data` attached.
    pub fn with_data(mut self, data: Value) -> Self {
        self.error.data = Some(data);
        self
    }
}

impl JsonRpcMessage {
    /// Parses one message from raw bytes, or says which error response the sender gets.
    pub fn parse(bytes: &[u8]) -> Result<Self, MessageParseError> {
        let text = std::str::from_utf8(bytes).map_err(|err| MessageParseError {
            code: error_codes::PARSE_ERROR,
            message: format!("Parse error: input is not valid UTF-8 ({err})"),
            id: None,
        })?;
        Self::parse_str(text)
    }

    /// Parses one message from text, or says which error response the sender gets.
    pub fn parse_str(text: &str) -> Result<Self, MessageParseError> {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => Self::from_value(value),
            Err(err) => Err(unreadable_json(text, &err)),
        }
    }

    /// Classifies an already-parsed JSON value as a request, notification, response or error.
    pub fn from_value(value: Value) -> Result<Self, MessageParseError> {
        let Value::Object(object) = &value else {
            return Err(MessageParseError {
                code: error_codes::INVALID_REQUEST,
                message: "Invalid request: a JSON-RPC message must be a JSON object".to_owned(),
                id: None,
            });
        };
        let id = object.get("id").and_then(|id| RequestId::deserialize(id).ok());
        let invalid = |message: String| MessageParseError {
            code: error_codes::INVALID_REQUEST,
            message: format!("Invalid request: {message}"),
            id: id.clone(),
        };
        let has = |key: &str| object.contains_key(key);
        let result = if has("method") {
            if has("id") {
                serde_json::from_value(value.clone()).map(JsonRpcMessage::Request)
            } else {
                serde_json::from_value(value.clone()).map(JsonRpcMessage::Notification)
            }
        } else if has("error") {
            serde_json::from_value(value.clone()).map(JsonRpcMessage::Error)
        } else if has("result") {
            serde_json::from_value(value.clone()).map(JsonRpcMessage::Response)
        } else {
            return Err(invalid(
                "expected a request (`method` and `id`), a notification (`method`), \
                 or a response (`id` and `result` or `error`)"
                    .to_owned(),
            ));
        };
        result.map_err(|err| invalid(err.to_string()))
    }

    /// The message serialised as one line of JSON (no trailing newline).
    pub fn to_json_string(&self) -> String {
        // Serialising these types cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_else(|err| {
            format!(
                r#"{{"jsonrpc":"2.0","id":null,"error":{{"code":{},"message":"failed to serialise message: {}"}}}}"#,
                error_codes::INTERNAL_ERROR,
                err.to_string().replace('"', "'")
            )
        })
    }
}

impl From<JsonRpcRequest> for JsonRpcMessage {
    fn from(value: JsonRpcRequest) -> Self {
        JsonRpcMessage::Request(value)
    }
}

impl From<JsonRpcNotification> for JsonRpcMessage {
    fn from(value: JsonRpcNotification) -> Self {
        JsonRpcMessage::Notification(value)
    }
}

impl From<JsonRpcResponse> for JsonRpcMessage {
    fn from(value: JsonRpcResponse) -> Self {
        JsonRpcMessage::Response(value)
    }
}

impl From<JsonRpcError> for JsonRpcMessage {
    fn from(value: JsonRpcError) -> Self {
        JsonRpcMessage::Error(value)
    }
}

/// The error for `text` that serde_json could not read as a [`Value`]. Broken JSON is a parse
/// error with no id. Well-formed JSON that still cannot be held (a number out of range, such as
/// `1e309`) keeps its readable id: `-32602` when the number is in `params`, else `-32600`.
fn unreadable_json(text: &str, err: &serde_json::Error) -> MessageParseError {
    use serde::de::IgnoredAny;

    /// The members that can be read on their own; every other member is skipped unread.
    #[derive(Deserialize)]
    struct Id {
        #[serde(default)]
        id: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Params {
        #[serde(default)]
        #[allow(dead_code)]
        params: Option<Value>,
    }

    // Skipping checks the syntax only, not whether numbers fit.
    if serde_json::from_str::<IgnoredAny>(text).is_err() {
        return MessageParseError {
            code: error_codes::PARSE_ERROR,
            message: format!("Parse error: {err}"),
            id: None,
        };
    }
    let id = serde_json::from_str::<Id>(text)
        .ok()
        .and_then(|probe| probe.id)
        .and_then(|id| RequestId::deserialize(id).ok());
    // (A top-level array would also fill the probes, from its first elements.)
    let is_object = text.trim_start().starts_with('{');
    let id = id.filter(|_| is_object);
    let in_params = is_object && serde_json::from_str::<Params>(text).is_err();
    let (code, kind) = if in_params {
        (error_codes::INVALID_PARAMS, "Invalid params")
    } else {
        (error_codes::INVALID_REQUEST, "Invalid request")
    };
    MessageParseError { code, message: format!("{kind}: {err}"), id }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn accepts_messages_without_jsonrpc_field_and_emits_it() {
        let message =
            JsonRpcMessage::parse(br#"{"id":"initialize","method":"initialize"}"#).unwrap();
        let JsonRpcMessage::Request(request) = &message else {
            panic!("not a request: {message:?}")
        };
        assert_eq!(request.id, RequestId::String("initialize".into()));
        assert_eq!(request.params, None);
        let out: Value = serde_json::from_str(&message.to_json_string()).unwrap();
        assert_eq!(out, json!({"jsonrpc":"2.0","id":"initialize","method":"initialize"}));
    }

    #[test]
    fn classifies_each_kind() {
        let cases = [
            (json!({"jsonrpc":"2.0","id":1,"method":"a","params":{}}), "request"),
            (json!({"method":"initialized"}), "notification"),
            (json!({"id":7,"result":{}}), "response"),
            (json!({"id":7,"error":{"code":-1,"message":"x"}}), "error"),
        ];
        for (value, kind) in cases {
            let parsed = JsonRpcMessage::from_value(value.clone()).unwrap();
            let got = match parsed {
                JsonRpcMessage::Request(_) => "request",
                JsonRpcMessage::Notification(_) => "notification",
                JsonRpcMessage::Response(_) => "response",
                JsonRpcMessage::Error(_) => "error",
            };
            assert_eq!(got, kind, "{value}");
        }
    }

    #[test]
    fn bad_input_maps_to_parse_or_invalid_request() {
        let not_json = JsonRpcMessage::parse(b"{nope").unwrap_err();
        assert_eq!(not_json.code, error_codes::PARSE_ERROR);
        assert_eq!(not_json.id, None);
        let not_utf8 = JsonRpcMessage::parse(&[0xff, 0xfe]).unwrap_err();
        assert_eq!(not_utf8.code, error_codes::PARSE_ERROR);
        let array = JsonRpcMessage::parse(b"[1,2]").unwrap_err();
        assert_eq!(array.code, error_codes::INVALID_REQUEST);
        let wrong_version =
            JsonRpcMessage::parse(br#"{"jsonrpc":"1.0","id":3,"method":"x"}"#).unwrap_err();
        assert_eq!(wrong_version.code, error_codes::INVALID_REQUEST);
        assert_eq!(wrong_version.id, Some(RequestId::Integer(3)));
        let bad_method = JsonRpcMessage::parse(br#"{"id":4,"method":5}"#).unwrap_err();
        assert_eq!(bad_method.id, Some(RequestId::Integer(4)));
        let error = bad_method.to_error_response();
        let out = serde_json::to_value(JsonRpcMessage::Error(error)).unwrap();
        assert_eq!(out["jsonrpc"], "2.0");
        assert_eq!(out["id"], 4);
        assert_eq!(out["error"]["code"], error_codes::INVALID_REQUEST);
    }

    #[test]
    fn negative_zero_is_the_id_zero_and_other_floats_are_not_ids() {
        let message = JsonRpcMessage::parse(br#"{"id":-0,"method":"a"}"#).unwrap();
        let JsonRpcMessage::Request(request) = message else { panic!("not a request") };
        assert_eq!(request.id, RequestId::Integer(0));
        for id in ["1.5", "3.0", "1e3", "null", "9223372036854775808", "true"] {
            let text = format!(r#"{{"id":{id},"result":{{}}}}"#);
            let err = JsonRpcMessage::parse(text.as_bytes()).unwrap_err();
            assert_eq!((err.code, err.id), (error_codes::INVALID_REQUEST, None), "{id}");
        }
        assert_eq!(serde_json::to_string(&RequestId::Integer(0)).unwrap(), "0");
    }

    #[test]
    fn numbers_out_of_range_keep_the_readable_id() {
        let err = JsonRpcMessage::parse(br#"{"id":7,"method":"m","params":{"limit":1e309}}"#)
            .unwrap_err();
        assert_eq!((err.code, err.id), (error_codes::INVALID_PARAMS, Some(RequestId::Integer(7))));
        assert!(err.message.contains("out of range"), "{}", err.message);
        let err = JsonRpcMessage::parse(br#"{"x":[-1e400],"method":"m","id":"s"}"#).unwrap_err();
        assert_eq!(
            (err.code, err.id),
            (error_codes::INVALID_REQUEST, Some(RequestId::String("s".into())))
        );
        let err = JsonRpcMessage::parse(br#"{"id":1e309,"method":"m"}"#).unwrap_err();
        assert_eq!((err.code, err.id), (error_codes::INVALID_REQUEST, None));
        let err = JsonRpcMessage::parse(br#"[7, 1e309]"#).unwrap_err();
        assert_eq!((err.code, err.id), (error_codes::INVALID_REQUEST, None));
        let err =
            JsonRpcMessage::parse(br#"{"id":7,"method":"m","params":{"a":1e309"#).unwrap_err();
        assert_eq!((err.code, err.id), (error_codes::PARSE_ERROR, None));
    }

    #[test]
    fn unknown_id_serialises_as_null() {
        let error = JsonRpcError::new(None, error_codes::PARSE_ERROR, "Parse error");
        let out = serde_json::to_value(JsonRpcMessage::Error(error)).unwrap();
        assert_eq!(
            out,
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})
        );
    }
}
