//! Validation of real server traffic against the reference protocol's JSON Schema.
//!
//! The reference schema lives in `../shared/protocol-reference/schema` beside the repository.
//! [`ReferenceSchema::validate_server_message`] checks one message the server sent: a response
//! against the response type of the request's method, a notification against the reference's
//! `ServerNotification` entry for its method, a server request against `ServerRequest`. Methods
//! the reference does not define are reported as failures too. Compiled validators are cached,
//! since the union schemas are large.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;

use codex_app_server_protocol::methods::CLIENT_REQUEST_METHODS;
use serde_json::json;
use serde_json::Map;
use serde_json::Value;

/// The reference schema directory (`<repo>/../shared/protocol-reference/schema`).
pub fn reference_schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/protocol-reference/schema")
}

/// A loaded reference schema with cached validators.
pub struct ReferenceSchema {
    definitions: Map<String, Value>,
    notification_params: HashMap<String, Option<String>>,
    server_request_params: HashMap<String, Option<String>>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl std::fmt::Debug for ReferenceSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceSchema").field("definitions", &self.definitions.len()).finish()
    }
}

fn load(dir: &Path, relative: &str) -> Result<Value, String> {
    let path = dir.join(relative);
    let text = std::fs::read_to_string(&path)
        .map_err(|err| format!("reading {}: {err}", path.display()))?;
    serde_json::from_str(&text).map_err(|err| format!("parsing {}: {err}", path.display()))
}

/// `method` → name of its params definition, from a reference union file's `oneOf`.
fn params_by_method(union: &Value) -> HashMap<String, Option<String>> {
    let mut out = HashMap::new();
    for branch in union["oneOf"].as_array().into_iter().flatten() {
        let Some(method) = branch["properties"]["method"]["enum"][0].as_str() else { continue };
        let params = &branch["properties"]["params"];
        let reference = params["$ref"]
            .as_str()
            .or_else(|| params["anyOf"][0]["$ref"].as_str())
            .map(|r| r.trim_start_matches("#/definitions/").to_owned());
        out.insert(method.to_owned(), reference);
    }
    out
}

impl ReferenceSchema {
    /// The process-wide instance, loaded once.
    pub fn get() -> &'static ReferenceSchema {
        static SCHEMA: OnceLock<ReferenceSchema> = OnceLock::new();
        SCHEMA.get_or_init(|| match ReferenceSchema::load(&reference_schema_dir()) {
            Ok(schema) => schema,
            Err(err) => panic!("cannot load the reference schema: {err}"),
        })
    }

    /// Loads the reference schema from `dir`.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let mut definitions = load(dir, "codex_app_server_protocol.v2.schemas.json")?
            ["definitions"]
            .as_object()
            .cloned()
            .ok_or("bundle has no definitions")?;
        let server_notifications = load(dir, "ServerNotification.json")?;
        let server_requests = load(dir, "ServerRequest.json")?;
        for extra in [
            server_requests.clone(),
            server_notifications.clone(),
            load(dir, "CommandExecutionRequestApprovalResponse.json")?,
            load(dir, "FileChangeRequestApprovalResponse.json")?,
            load(dir, "v1/InitializeResponse.json")?,
            load(dir, "FuzzyFileSearchResponse.json")?,
            load(dir, "FuzzyFileSearchSessionStartResponse.json")?,
            load(dir, "FuzzyFileSearchSessionUpdateResponse.json")?,
            load(dir, "FuzzyFileSearchSessionStopResponse.json")?,
        ] {
            if let Some(extra_definitions) = extra["definitions"].as_object() {
                for (name, schema) in extra_definitions {
                    definitions.entry(name.clone()).or_insert_with(|| schema.clone());
                }
            }
            if let (Some(title), Some(object)) = (extra["title"].as_str(), extra.as_object()) {
                if extra.get("properties").is_some() || extra["type"] == "object" {
                    let mut root = object.clone();
                    root.remove("definitions");
                    definitions.entry(title.to_owned()).or_insert(Value::Object(root));
                }
            }
        }
        Ok(Self {
            definitions,
            notification_params: params_by_method(&server_notifications),
            server_request_params: params_by_method(&server_requests),
            validators: Mutex::new(HashMap::new()),
        })
    }

    fn validate_definition(&self, name: &str, instance: &Value) -> Result<(), String> {
        if !self.definitions.contains_key(name) {
            return Err(format!("the reference has no definition {name}"));
        }
        let cached = self.validators.lock().ok().and_then(|cache| cache.get(name).cloned());
        let validator = match cached {
            Some(validator) => validator,
            None => {
                let schema = json!({
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "definitions": self.definitions,
                    "$ref": format!("#/definitions/{name}"),
                });
                let validator = Arc::new(
                    jsonschema::draft7::new(&schema)
                        .map_err(|err| format!("reference {name} does not compile: {err}"))?,
                );
                if let Ok(mut cache) = self.validators.lock() {
                    cache.insert(name.to_owned(), Arc::clone(&validator));
                }
                validator
            }
        };
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|err| format!("{err} at {}", err.instance_path))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{name} does not validate: {}\ninstance: {instance}", errors.join("; ")))
        }
    }

    /// Checks the `result` of a response to a request for `method`.
    pub fn validate_response(&self, method: &str, result: &Value) -> Result<(), String> {
        let info = CLIENT_REQUEST_METHODS
            .iter()
            .find(|info| info.method == method)
            .ok_or_else(|| format!("response to unknown method {method}"))?;
        match info.response_type {
            Some(name) => self.validate_definition(name, result),
            None => Ok(()),
        }
    }

    /// Checks a notification the server sent.
    pub fn validate_notification(
        &self,
        method: &str,
        params: Option<&Value>,
    ) -> Result<(), String> {
        let params_type = self
            .notification_params
            .get(method)
            .ok_or_else(|| format!("the reference has no server notification {method}"))?;
        match (params_type, params) {
            (Some(name), Some(params)) => self.validate_definition(name, params),
            (Some(name), None) => {
                Err(format!("notification {method} has no params, expected {name}"))
            }
            (None, _) => Ok(()),
        }
    }

    /// Checks a request the server sent to a client.
    pub fn validate_server_request(
        &self,
        method: &str,
        params: Option<&Value>,
    ) -> Result<(), String> {
        let params_type = self
            .server_request_params
            .get(method)
            .ok_or_else(|| format!("the reference has no server request {method}"))?;
        match (params_type, params) {
            (Some(name), Some(params)) => self.validate_definition(name, params),
            (Some(name), None) => {
                Err(format!("server request {method} has no params, expected {name}"))
            }
            (None, _) => Ok(()),
        }
    }

    /// Checks any message the server sent; `request_method` names the method of the request a
    /// response answers (responses carry only an id).
    pub fn validate_server_message(
        &self,
        message: &Value,
        request_method: Option<&str>,
    ) -> Result<(), String> {
        if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(format!("message without \"jsonrpc\":\"2.0\": {message}"));
        }
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            return if message.get("id").is_some() {
                self.validate_server_request(method, message.get("params"))
            } else {
                self.validate_notification(method, message.get("params"))
            };
        }
        if let Some(error) = message.get("error") {
            let ok = error.get("code").is_some_and(Value::is_i64)
                && error.get("message").is_some_and(Value::is_string);
            return if ok { Ok(()) } else { Err(format!("malformed error response: {message}")) };
        }
        match (request_method, message.get("result")) {
            (Some(method), Some(result)) => self.validate_response(method, result),
            (None, Some(_)) => Err(format!("response to a request we did not send: {message}")),
            _ => Err(format!("not a JSON-RPC message: {message}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rejects_traffic_the_reference_does_not_allow() {
        let schema = ReferenceSchema::get();
        let ok = json!({"jsonrpc": "2.0", "id": 1, "result": {"requiresOpenaiAuth": false}});
        schema.validate_server_message(&ok, Some("account/read")).unwrap();
        let wrong_type = json!({"jsonrpc": "2.0", "id": 1, "result": {"requiresOpenaiAuth": "no"}});
        assert!(schema.validate_server_message(&wrong_type, Some("account/read")).is_err());
        let missing = json!({"jsonrpc": "2.0", "id": 1, "result": {}});
        assert!(schema.validate_server_message(&missing, Some("account/read")).is_err());
        let no_version = json!({"id": 1, "result": {"requiresOpenaiAuth": false}});
        assert!(schema.validate_server_message(&no_version, Some("account/read")).is_err());
        let legacy = json!({"jsonrpc": "2.0", "method": "codex/event/task_started", "params": {}});
        assert!(schema.validate_server_message(&legacy, None).is_err());
        let bad_delta =
            json!({"jsonrpc": "2.0", "method": "item/agentMessage/delta", "params": {"delta": 5}});
        assert!(schema.validate_server_message(&bad_delta, None).is_err());
    }
}
