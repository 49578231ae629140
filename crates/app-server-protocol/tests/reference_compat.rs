//! Wire compatibility with the reference protocol schema.
//!
//! The reference (codex-cli's published JSON Schema) lives at
//! `$CARGO_MANIFEST_DIR/../../../shared/protocol-reference/schema`. For every
//! core method, representative values are deserialised into our types,
//! serialised back (the round trip must be exact, so no field is silently
//! dropped or renamed), and validated against the reference definition and
//! against the reference's whole-message unions. A structural check then
//! compares every definition we export with the reference definition of the
//! same name: each property we declare must exist there (so a renamed field
//! fails even when optional), each property the reference requires must be
//! required by us, and each enum value we emit must exist there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::path::PathBuf;
use std::sync::OnceLock;

use codex_app_server_protocol::methods::markers;
use codex_app_server_protocol::methods::ClientMethod;
use codex_app_server_protocol::methods::ClientRequest;
use codex_app_server_protocol::methods::ServerNotification;
use codex_app_server_protocol::methods::ServerRequest;
use codex_app_server_protocol::methods::ServerRequestResponse;
use codex_app_server_protocol::methods::CLIENT_REQUEST_METHODS;
use codex_app_server_protocol::methods::SERVER_NOTIFICATION_METHODS;
use codex_app_server_protocol::methods::SERVER_REQUEST_METHODS;
use codex_app_server_protocol::schema_export;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use serde_json::Map;
use serde_json::Value;

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/protocol-reference/schema")
}

fn load(relative: &str) -> Value {
    let path = reference_dir().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("reading reference {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every reference definition by name: the v2 bundle plus the server-request
/// and v1 files, which define a few types the bundle does not.
fn reference_definitions() -> &'static Map<String, Value> {
    static DEFINITIONS: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFINITIONS.get_or_init(|| {
        let mut all = load("codex_app_server_protocol.v2.schemas.json")["definitions"]
            .as_object()
            .unwrap()
            .clone();
        for file in [
            "ServerRequest.json",
            "CommandExecutionRequestApprovalResponse.json",
            "FileChangeRequestApprovalResponse.json",
            "FuzzyFileSearchResponse.json",
            "FuzzyFileSearchSessionStartResponse.json",
            "FuzzyFileSearchSessionUpdateResponse.json",
            "FuzzyFileSearchSessionStopResponse.json",
            "v1/InitializeParams.json",
            "v1/InitializeResponse.json",
        ] {
            let value = load(file);
            if let Some(definitions) = value["definitions"].as_object() {
                for (name, schema) in definitions {
                    all.entry(name.clone()).or_insert_with(|| schema.clone());
                }
            }
            if let Some(title) = value["title"].as_str() {
                if value.get("properties").is_some() || value["type"] == "object" {
                    let mut root = value.as_object().unwrap().clone();
                    root.remove("definitions");
                    all.entry(title.to_owned()).or_insert(Value::Object(root));
                }
            }
        }
        all
    })
}

fn validate(schema: &Value, instance: &Value, what: &str) {
    // Compiling the large union schemas is the slow part; keep each one compiled.
    type Compiled = Vec<(Value, std::sync::Arc<jsonschema::Validator>)>;
    static CACHE: OnceLock<std::sync::Mutex<Compiled>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let cached = cache.lock().unwrap().iter().find(|(s, _)| s == schema).map(|(_, v)| v.clone());
    let validator = match cached {
        Some(validator) => validator,
        None => {
            let validator =
                std::sync::Arc::new(jsonschema::draft7::new(schema).unwrap_or_else(|err| {
                    panic!("reference schema for {what} does not compile: {err}")
                }));
            cache.lock().unwrap().push((schema.clone(), validator.clone()));
            validator
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|err| format!("{} at {}", err, err.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against the reference:\n  {}\ninstance: {}",
        errors.join("\n  "),
        serde_json::to_string_pretty(instance).unwrap()
    );
}

/// Validates `instance` against reference definition `name`.
fn validate_against_definition(name: &str, instance: &Value) {
    // Prefer the reference's own small per-type file (some server-request payloads, such as
    // `ToolRequestUserInputResponse`, exist only there); fall back to the bundle.
    for candidate in [format!("v2/{name}.json"), format!("v1/{name}.json"), format!("{name}.json")]
    {
        if reference_dir().join(&candidate).is_file() {
            return validate(&load(&candidate), instance, name);
        }
    }
    assert!(reference_definitions().contains_key(name), "reference has no definition {name}");
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": reference_definitions(),
        "$ref": format!("#/definitions/{name}"),
    });
    validate(&schema, instance, name);
}

/// `value` without object members that are `null`: we omit absent optional
/// fields where the reference allows omission, so `"x": null` and no `x`
/// are the same value for the round-trip comparison. (Fields the reference
/// requires are still checked by validation.)
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Deserialises `sample` as `T`, checks the round trip is exact, validates it as `name`.
fn round_trip<T: Serialize + DeserializeOwned>(name: &str, sample: Value) -> T {
    let typed: T = serde_json::from_value(sample.clone())
        .unwrap_or_else(|err| panic!("{name}: sample does not deserialise: {err}\n{sample}"));
    let out = serde_json::to_value(&typed).unwrap();
    assert_eq!(without_nulls(&out), without_nulls(&sample), "{name}: round trip changed the value");
    validate_against_definition(name, &out);
    typed
}

fn check_client_method<M: ClientMethod>(params: Value, response: Value) {
    let info = CLIENT_REQUEST_METHODS.iter().find(|info| info.method == M::METHOD).unwrap();
    if let Some(params_type) = info.params_type.filter(|_| !params.is_null()) {
        round_trip::<M::Params>(params_type, params.clone());
    }
    round_trip::<M::Response>(info.response_type.unwrap(), response);
    let wire_params = if params.is_null() { None } else { Some(params) };
    let request = ClientRequest::parse(M::METHOD, wire_params).unwrap();
    let mut envelope = serde_json::to_value(request.to_request(7)).unwrap();
    envelope.as_object_mut().unwrap().remove("jsonrpc");
    validate(&load("ClientRequest.json"), &envelope, &format!("{} request", M::METHOD));
}

fn thread_sample() -> Value {
    json!({
        "id": "019a0000-0000-7000-8000-000000000001",
        "preview": "Fix the build",
        "name": "Build fix",
        "cwd": "/work/project",
        "model": "gpt-5",
        "modelProvider": "openai",
        "createdAt": 1_700_000_000,
        "updatedAt": 1_700_000_100,
        "status": {"type": "active", "activeFlags": ["waitingOnApproval"]},
        "turns": [turn_sample()],
        "ephemeral": false,
        "cliVersion": "0.1.0",
        "source": "appServer",
        "path": "/home/u/.codex/sessions/rollout.jsonl",
        "projectId": null,
        "sessionId": "019a0000-0000-7000-8000-000000000001",
        "gitInfo": {"branch": "main", "sha": "abc123", "originUrl": "git@example.com:x/y"},
    })
}

fn items_sample() -> Vec<Value> {
    vec![
        json!({"type": "userMessage", "id": "i1", "content": [
            {"type": "text", "text": "hello", "text_elements": [{"byteRange": {"start": 0, "end": 5}, "placeholder": "[x]"}]},
            {"type": "text", "text": "plain"},
            {"type": "image", "url": "https://example.com/a.png", "detail": "high"},
            {"type": "localImage", "path": "/tmp/a.png"},
            {"type": "skill", "name": "deploy", "path": "/skills/deploy/SKILL.md"},
            {"type": "mention", "name": "app", "path": "app://x"},
        ]}),
        json!({"type": "agentMessage", "id": "i2", "text": "Done.", "phase": "final_answer",
               "startedAtMs": 1_700_000_000_000_i64, "completedAtMs": 1_700_000_000_900_i64}),
        json!({"type": "reasoning", "id": "i3", "summary": ["thinking"], "content": ["raw"]}),
        json!({"type": "plan", "id": "i3b", "text": "1. do it"}),
        json!({"type": "commandExecution", "id": "i4", "command": "ls -la", "cwd": "/work/project",
            "commandActions": [{"type": "listFiles", "command": "ls -la"},
                               {"type": "read", "command": "cat a", "name": "a", "path": "/work/project/a"}],
            "status": "completed", "aggregatedOutput": "a\n", "exitCode": 0, "durationMs": 12, "processId": "p1"}),
        json!({"type": "fileChange", "id": "i5", "status": "completed", "changes": [
            {"path": "/work/project/a.txt", "kind": {"type": "add"}, "diff": "+x\n"},
            {"path": "/work/project/b.txt", "kind": {"type": "update", "move_path": null}, "diff": "-a\n+b\n"}]}),
        json!({"type": "mcpToolCall", "id": "i6", "server": "docs", "tool": "search", "arguments": {"q": 1},
            "status": "failed", "error": {"message": "boom"}, "durationMs": 3}),
        json!({"type": "webSearch", "id": "i7", "query": "rust", "action": {"type": "search", "query": "rust"}}),
        json!({"type": "contextCompaction", "id": "i8"}),
        json!({"type": "enteredReviewMode", "id": "i9", "review": "current changes"}),
    ]
}

fn turn_sample() -> Value {
    json!({
        "id": "turn-1",
        "items": items_sample(),
        "status": "failed",
        "startedAt": 1_700_000_000,
        "completedAt": 1_700_000_005,
        "durationMs": 5000,
        "error": {"message": "stream disconnected", "codexErrorInfo": {"responseStreamDisconnected": {"httpStatusCode": 502}},
                  "additionalDetails": "retry later"},
    })
}

fn thread_session_response() -> Value {
    json!({
        "thread": thread_sample(),
        "model": "gpt-5",
        "modelProvider": "openai",
        "cwd": "/work/project",
        "approvalPolicy": "on-request",
        "approvalsReviewer": "user",
        "sandbox": {"type": "workspaceWrite", "writableRoots": ["/work/project"], "networkAccess": false},
        "reasoningEffort": "medium",
    })
}

#[test]
fn client_requests_match_reference() {
    check_client_method::<markers::Initialize>(
        json!({"clientInfo": {"name": "codex-tui", "title": "Codex", "version": "1.0.0"},
               "capabilities": {"experimentalApi": true, "optOutNotificationMethods": ["thread/started"]}}),
        json!({"codexHome": "/home/u/.codex", "platformFamily": "unix", "platformOs": "linux",
               "userAgent": "codex/0.1.0"}),
    );
    check_client_method::<markers::GetAccount>(
        json!({"refreshToken": false}),
        json!({"account": {"type": "apiKey"}, "requiresOpenaiAuth": false}),
    );
    check_client_method::<markers::GetAccount>(
        json!({}),
        json!({"account": {"type": "chatgpt", "email": "a@b.c", "planType": "pro"}, "requiresOpenaiAuth": true}),
    );
    check_client_method::<markers::ModelList>(
        json!({"limit": 20, "includeHidden": false}),
        json!({"data": [{"id": "gpt-5", "model": "gpt-5", "displayName": "GPT-5", "description": "Frontier",
                         "hidden": false, "isDefault": true, "defaultReasoningEffort": "medium",
                         "supportedReasoningEfforts": [{"reasoningEffort": "low", "description": "Fast"}],
                         "inputModalities": ["text", "image"], "upgrade": null}],
               "nextCursor": null}),
    );
    check_client_method::<markers::ConfigRead>(
        json!({"cwd": "/work/project", "includeLayers": true}),
        json!({"config": {"model": "gpt-5", "approval_policy": "never", "sandbox_mode": "workspace-write",
                          "model_provider": "openai", "profiles": {"x": {}}},
               "origins": {"model": {"name": {"type": "user", "file": "/home/u/.codex/config.toml"}, "version": "v1"}},
               "layers": [{"name": {"type": "sessionFlags"}, "version": "v0", "config": {"model": "gpt-5"}}]}),
    );
    check_client_method::<markers::ConfigRequirementsRead>(
        Value::Null,
        json!({"requirements": {"allowedApprovalPolicies": ["on-request", "never"],
                                "allowedSandboxModes": ["read-only"]}}),
    );
    check_client_method::<markers::ConfigRequirementsRead>(Value::Null, json!({}));
    check_client_method::<markers::SkillsList>(
        json!({"cwds": ["/work/project"], "forceReload": true}),
        json!({"data": [{"cwd": "/work/project", "errors": [{"message": "bad", "path": "/s/x"}],
                         "skills": [{"name": "deploy", "description": "Deploys", "enabled": true,
                                     "path": "/s/deploy/SKILL.md", "scope": "repo"}]}]}),
    );
    check_client_method::<markers::CollaborationModeList>(
        json!({}),
        json!({"data": [{"name": "Plan", "mode": "plan", "model": null, "reasoning_effort": null}]}),
    );
    check_client_method::<markers::HooksList>(
        json!({"cwds": ["/work/project"]}),
        json!({"data": [{"cwd": "/work/project", "errors": [], "hooks": [], "warnings": []}]}),
    );
    check_client_method::<markers::ThreadStart>(
        json!({"model": "gpt-5", "cwd": "/work/project", "approvalPolicy": "on-request",
               "sandbox": "workspace-write", "config": {"model_reasoning_effort": "high"},
               "baseInstructions": "be brief", "ephemeral": false}),
        thread_session_response(),
    );
    check_client_method::<markers::ThreadStart>(
        json!({"approvalPolicy": {"granular": {"sandbox_approval": true, "rules": false, "mcp_elicitations": true}}}),
        thread_session_response(),
    );
    check_client_method::<markers::ThreadResume>(
        json!({"threadId": "t1", "model": "gpt-5", "cwd": "/work/project"}),
        thread_session_response(),
    );
    check_client_method::<markers::ThreadFork>(
        json!({"threadId": "t1"}),
        thread_session_response(),
    );
    check_client_method::<markers::ThreadList>(
        json!({"limit": 10, "cursor": "c1", "archived": false, "sortKey": "updated_at"}),
        json!({"data": [thread_sample()], "nextCursor": "c2"}),
    );
    check_client_method::<markers::ThreadRead>(
        json!({"threadId": "t1", "includeTurns": true}),
        json!({"thread": thread_sample()}),
    );
    check_client_method::<markers::ThreadTurnsList>(
        json!({"threadId": "t1", "limit": 5, "sortDirection": "desc"}),
        json!({"data": [turn_sample()], "nextCursor": null}),
    );
    check_client_method::<markers::ThreadArchive>(json!({"threadId": "t1"}), json!({}));
    check_client_method::<markers::ThreadUnarchive>(
        json!({"threadId": "t1"}),
        json!({"thread": thread_sample()}),
    );
    check_client_method::<markers::ThreadUnsubscribe>(
        json!({"threadId": "t1"}),
        json!({"status": "unsubscribed"}),
    );
    check_client_method::<markers::ThreadSetName>(
        json!({"threadId": "t1", "name": "x"}),
        json!({}),
    );
    check_client_method::<markers::ThreadLoadedList>(
        json!({}),
        json!({"data": ["t1", "t2"], "nextCursor": null}),
    );
    check_client_method::<markers::TurnStart>(
        json!({"threadId": "t1", "input": [{"type": "text", "text": "hi"}], "model": "gpt-5",
               "effort": "high", "summary": "auto", "cwd": "/work/project",
               "sandboxPolicy": {"type": "readOnly", "networkAccess": false},
               "outputSchema": {"type": "object"}}),
        json!({"turn": {"id": "turn-2", "items": [], "status": "inProgress"}}),
    );
    check_client_method::<markers::TurnInterrupt>(
        json!({"threadId": "t1", "turnId": "turn-2"}),
        json!({}),
    );
    check_client_method::<markers::TurnSteer>(
        json!({"threadId": "t1", "expectedTurnId": "turn-2", "input": [{"type": "text", "text": "also"}]}),
        json!({"turnId": "turn-2"}),
    );
    check_client_method::<markers::CommandExec>(
        json!({"command": ["ls", "-la"], "cwd": "/work/project", "processId": "p1", "tty": true,
               "size": {"rows": 24, "cols": 80}, "timeoutMs": 1000, "env": {"A": "1", "B": null},
               "sandboxPolicy": {"type": "dangerFullAccess"}}),
        json!({"exitCode": 0, "stdout": "a\n", "stderr": ""}),
    );
    check_client_method::<markers::CommandExecWrite>(
        json!({"processId": "p1", "deltaBase64": "aGk=", "closeStdin": true}),
        json!({}),
    );
    check_client_method::<markers::CommandExecTerminate>(json!({"processId": "p1"}), json!({}));
    check_client_method::<markers::CommandExecResize>(
        json!({"processId": "p1", "size": {"rows": 50, "cols": 120}}),
        json!({}),
    );
    check_client_method::<markers::ConfigValueWrite>(
        json!({"keyPath": "model", "value": "gpt-5", "mergeStrategy": "replace", "expectedVersion": "v1"}),
        json!({"status": "ok", "version": "v2", "filePath": "/home/u/.codex/config.toml"}),
    );
    check_client_method::<markers::ConfigBatchWrite>(
        json!({"edits": [{"keyPath": "a.b", "value": {"c": 1}, "mergeStrategy": "upsert"}], "reloadUserConfig": true}),
        json!({"status": "okOverridden", "version": "v3", "filePath": "/home/u/.codex/config.toml",
               "overriddenMetadata": {"message": "managed", "overridingLayer": {"name": {"type": "system", "file": "/etc/codex/config.toml"}, "version": "v1"}, "effectiveValue": "x"}}),
    );
    check_client_method::<markers::ExperimentalFeatureList>(
        json!({"limit": 50}),
        json!({"data": [{"name": "unified_exec", "stage": "beta", "enabled": false, "defaultEnabled": false,
                         "displayName": "Unified exec", "description": "d", "announcement": null}],
               "nextCursor": null}),
    );
    check_client_method::<markers::RemoteControlEnable>(
        json!({"ephemeral": true}),
        json!({"installationId": "inst", "serverName": "box", "status": "connecting"}),
    );
    check_client_method::<markers::RemoteControlDisable>(
        Value::Null,
        json!({"installationId": "inst", "serverName": "box", "status": "disabled", "environmentId": null}),
    );
    check_client_method::<markers::RemoteControlStatusRead>(
        Value::Null,
        json!({"installationId": "inst", "serverName": "box", "status": "connected", "environmentId": "env"}),
    );
    let file_match = json!({"root": "/work/p", "path": "src/main.rs", "match_type": "file",
                            "file_name": "main.rs", "score": 120, "indices": [4, 5, 6]});
    check_client_method::<markers::FuzzyFileSearch>(
        json!({"query": "main", "roots": ["/work/p"], "cancellationToken": "t"}),
        json!({"files": [file_match.clone(),
                         {"root": "/work/p", "path": "src", "match_type": "directory", "file_name": "src", "score": 3}]}),
    );
    check_client_method::<markers::FuzzyFileSearchSessionStart>(
        json!({"sessionId": "s", "roots": ["/work/p"]}),
        json!({}),
    );
    check_client_method::<markers::FuzzyFileSearchSessionUpdate>(
        json!({"sessionId": "s", "query": "ma"}),
        json!({}),
    );
    check_client_method::<markers::FuzzyFileSearchSessionStop>(
        json!({"sessionId": "s"}),
        json!({}),
    );
    check_client_method::<markers::FsReadFile>(
        json!({"path": "/a/b"}),
        json!({"dataBase64": "YQ=="}),
    );
    check_client_method::<markers::FsWriteFile>(
        json!({"path": "/a/b", "dataBase64": "YQ=="}),
        json!({}),
    );
    check_client_method::<markers::FsCreateDirectory>(
        json!({"path": "/a/b", "recursive": false}),
        json!({}),
    );
    check_client_method::<markers::FsGetMetadata>(
        json!({"path": "/a/b"}),
        json!({"isDirectory": false, "isFile": true, "isSymlink": false, "createdAtMs": 0, "modifiedAtMs": 1_700_000_000_000_i64}),
    );
    check_client_method::<markers::FsReadDirectory>(
        json!({"path": "/a"}),
        json!({"entries": [{"fileName": "b", "isDirectory": false, "isFile": true}]}),
    );
    check_client_method::<markers::FsRemove>(
        json!({"path": "/a/b", "recursive": true, "force": false}),
        json!({}),
    );
    check_client_method::<markers::FsCopy>(
        json!({"sourcePath": "/a/b", "destinationPath": "/a/c", "recursive": true}),
        json!({}),
    );
    check_client_method::<markers::FsWatch>(
        json!({"path": "/a", "watchId": "w1"}),
        json!({"path": "/a"}),
    );
    check_client_method::<markers::FsUnwatch>(json!({"watchId": "w1"}), json!({}));
    check_client_method::<markers::McpServerStatusList>(
        json!({"cursor": "1", "limit": 5, "detail": "toolsAndAuthOnly", "threadId": "t1"}),
        json!({"data": [{"name": "docs", "authStatus": "unsupported", "runtimeStatus": "connected",
               "serverInfo": {"name": "docs-server", "version": "1.2.0"},
               "serverCapabilities": {"tools": {}},
               "tools": {"search": {"name": "search", "inputSchema": {"type": "object"},
                                    "annotations": {"readOnlyHint": true}}},
               "resources": [{"name": "readme", "uri": "docs://readme", "mimeType": "text/plain"}],
               "resourceTemplates": [{"name": "page", "uriTemplate": "docs://page/{id}"}]},
               {"name": "web", "authStatus": "bearerToken", "httpOrigin": "https://mcp.example.com",
               "runtimeStatus": "failed", "toolsError": "web: connection refused",
               "tools": {}, "resources": [], "resourceTemplates": []}],
               "nextCursor": "3"}),
    );
    check_client_method::<markers::McpServerToolCall>(
        json!({"threadId": "t1", "server": "docs", "tool": "search", "arguments": {"q": "x"},
               "_meta": {"k": 1}}),
        json!({"content": [{"type": "text", "text": "found"}], "structuredContent": {"hits": 1},
               "isError": false}),
    );
    check_client_method::<markers::McpResourceRead>(
        json!({"server": "docs", "uri": "docs://readme", "threadId": "t1"}),
        json!({"contents": [{"uri": "docs://readme", "mimeType": "text/plain", "text": "hi"},
                            {"uri": "docs://logo", "blob": "aGk="}]}),
    );
    check_client_method::<markers::McpServerRefresh>(json!(null), json!({}));
}

fn notification_samples() -> Vec<(&'static str, Value)> {
    vec![
        (
            "error",
            json!({"error": {"message": "rate limited", "codexErrorInfo": "usageLimitExceeded"},
                         "threadId": "t1", "turnId": "turn-1", "willRetry": true}),
        ),
        ("thread/started", json!({"thread": thread_sample()})),
        ("thread/status/changed", json!({"threadId": "t1", "status": {"type": "idle"}})),
        ("thread/status/changed", json!({"threadId": "t1", "status": {"type": "systemError"}})),
        ("thread/archived", json!({"threadId": "t1"})),
        ("thread/unarchived", json!({"threadId": "t1"})),
        ("thread/closed", json!({"threadId": "t1"})),
        ("thread/name/updated", json!({"threadId": "t1", "threadName": "New name"})),
        (
            "thread/tokenUsage/updated",
            json!({"threadId": "t1", "turnId": "turn-1", "tokenUsage": {
            "total": {"totalTokens": 30, "inputTokens": 20, "cachedInputTokens": 5, "outputTokens": 10, "reasoningOutputTokens": 2},
            "last": {"totalTokens": 3, "inputTokens": 2, "cachedInputTokens": 0, "outputTokens": 1, "reasoningOutputTokens": 0},
            "modelContextWindow": 200000}}),
        ),
        (
            "turn/started",
            json!({"threadId": "t1", "turn": {"id": "turn-1", "items": [], "status": "inProgress"}}),
        ),
        ("turn/completed", json!({"threadId": "t1", "turn": turn_sample()})),
        (
            "item/started",
            json!({"threadId": "t1", "turnId": "turn-1", "startedAtMs": 1_700_000_000_000_i64,
                                "item": items_sample()[4].clone()}),
        ),
        (
            "item/completed",
            json!({"threadId": "t1", "turnId": "turn-1", "completedAtMs": 1_700_000_000_500_i64,
                                  "item": items_sample()[1].clone()}),
        ),
        (
            "item/agentMessage/delta",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i2", "delta": "Do"}),
        ),
        (
            "item/reasoning/summaryTextDelta",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i3",
                                                   "delta": "th", "summaryIndex": 0}),
        ),
        (
            "item/reasoning/textDelta",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i3",
                                            "delta": "r", "contentIndex": 0}),
        ),
        (
            "item/commandExecution/outputDelta",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i4", "delta": "a"}),
        ),
        (
            "item/commandExecution/terminalInteraction",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i4", "processId": "4242",
                   "stdin": "print(1)\n"}),
        ),
        (
            "turn/plan/updated",
            json!({"threadId": "t1", "turnId": "turn-1", "explanation": "why",
                   "plan": [{"step": "read", "status": "inProgress"},
                            {"step": "fix", "status": "pending"}]}),
        ),
        ("serverRequest/resolved", json!({"threadId": "t1", "requestId": 3})),
        (
            "command/exec/outputDelta",
            json!({"processId": "p1", "stream": "stdout", "deltaBase64": "YQ==", "capReached": false}),
        ),
        (
            "remoteControl/status/changed",
            json!({"installationId": "inst", "serverName": "box", "status": "errored"}),
        ),
        (
            "configWarning",
            json!({"summary": "unknown key", "path": "/home/u/.codex/config.toml",
                                 "range": {"start": {"line": 1, "column": 1}, "end": {"line": 1, "column": 4}}}),
        ),
        ("warning", json!({"message": "careful", "threadId": "t1"})),
        (
            "fuzzyFileSearch/sessionUpdated",
            json!({"sessionId": "s", "query": "ma", "files": [{"root": "/p", "path": "a/main.rs",
                   "match_type": "file", "file_name": "main.rs", "score": 9, "indices": [2, 3]}]}),
        ),
        ("fuzzyFileSearch/sessionCompleted", json!({"sessionId": "s"})),
        ("fs/changed", json!({"watchId": "w1", "changedPaths": ["/a/b", "/a/c"]})),
        (
            "thread/settings/updated",
            json!({"threadId": "t1", "threadSettings": thread_settings_sample()}),
        ),
        ("account/login/completed", json!({"loginId": null, "success": true, "error": null})),
        ("account/updated", json!({"authMode": "apikey"})),
        ("account/rateLimits/updated", json!({"rateLimits": rate_limits_sample()})),
        ("thread/goal/updated", json!({"threadId": "t1", "goal": goal_sample(), "turnId": null})),
        ("thread/goal/cleared", json!({"threadId": "t1"})),
        (
            "thread/readState/changed",
            json!({"threadId": "t1", "readState": {"revision": "r2",
                   "firstUnread": {"type": "turn", "turnId": "turn-1"}}}),
        ),
        (
            "mcpServer/startupStatus/updated",
            json!({"name": "docs", "status": "failed",
                   "error": "MCP server `docs` failed to start: no such file"}),
        ),
        ("mcpServer/startupStatus/updated", json!({"name": "docs", "status": "ready"})),
        (
            "item/mcpToolCall/progress",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i6", "message": "50%"}),
        ),
    ]
}

fn thread_settings_sample() -> Value {
    json!({
        "approvalPolicy": "on-request",
        "approvalsReviewer": "user",
        "collaborationMode": {"mode": "default", "settings": {"model": "gpt-5", "reasoning_effort": "high"}},
        "cwd": "/work/project",
        "model": "gpt-5",
        "modelProvider": "openai",
        "sandboxPolicy": {"type": "readOnly", "networkAccess": false},
        "activePermissionProfile": {"id": ":read-only"},
        "effort": "high",
        "summary": "concise",
    })
}

fn rate_limits_sample() -> Value {
    json!({"limitId": "requests", "limitName": "Requests",
           "primary": {"usedPercent": 25, "resetsAt": 1_700_000_060, "windowDurationMins": 1},
           "secondary": {"usedPercent": 3}})
}

fn goal_sample() -> Value {
    json!({"threadId": "t1", "objective": "ship it", "status": "active", "createdAt": 1_700_000_000,
           "updatedAt": 1_700_000_001, "timeUsedSeconds": 0, "tokensUsed": 0, "tokenBudget": 5000})
}

#[test]
fn tui_methods_match_reference() {
    check_client_method::<markers::ThreadShellCommand>(
        json!({"threadId": "t1", "command": "ls | wc -l", "timeoutMs": 1000}),
        json!({}),
    );
    check_client_method::<markers::ReviewStart>(
        json!({"threadId": "t1", "target": {"type": "uncommittedChanges"}, "delivery": "inline"}),
        json!({"turn": {"id": "turn-2", "items": [], "status": "inProgress"}, "reviewThreadId": "t1"}),
    );
    for target in [
        json!({"type": "baseBranch", "branch": "main"}),
        json!({"type": "commit", "sha": "abc1234", "title": "Fix it"}),
        json!({"type": "custom", "instructions": "look at the parser"}),
    ] {
        check_client_method::<markers::ReviewStart>(
            json!({"threadId": "t1", "target": target}),
            json!({"turn": {"id": "turn-2", "items": [], "status": "inProgress"}, "reviewThreadId": "t1"}),
        );
    }
    check_client_method::<markers::PermissionProfileList>(
        json!({"cwd": "/work/project"}),
        json!({"data": [{"id": ":read-only", "allowed": true, "description": "Read files"},
                        {"id": ":workspace", "allowed": true}], "nextCursor": null}),
    );
    check_client_method::<markers::ThreadSettingsUpdate>(
        json!({"threadId": "t1", "model": "gpt-5", "effort": "low", "summary": "none",
               "approvalPolicy": "never", "approvalsReviewer": "user", "permissions": ":workspace",
               "collaborationMode": {"mode": "plan", "settings": {"model": "gpt-5", "developer_instructions": null}}}),
        json!({}),
    );
    check_client_method::<markers::ThreadSettingsUpdate>(
        json!({"threadId": "t1", "sandboxPolicy": {"type": "workspaceWrite", "writableRoots": ["/tmp/x"]}}),
        json!({}),
    );
    check_client_method::<markers::LoginAccount>(
        json!({"type": "apiKey", "apiKey": "sk-test"}),
        json!({"type": "apiKey"}),
    );
    check_client_method::<markers::LoginAccount>(
        json!({"type": "chatgpt"}),
        json!({"type": "chatgpt", "loginId": "l1", "authUrl": "https://auth.example/x"}),
    );
    check_client_method::<markers::LogoutAccount>(Value::Null, json!({}));
    check_client_method::<markers::GetAccountRateLimits>(
        Value::Null,
        json!({"rateLimits": rate_limits_sample(), "rateLimitsByLimitId": {"requests": rate_limits_sample()}}),
    );
    check_client_method::<markers::BedrockCheckGovCloudRequirements>(
        json!({}),
        json!({"isGovCloud": false, "shouldWarn": false}),
    );
    check_client_method::<markers::ThreadSearch>(
        json!({"searchTerm": "parser", "limit": 20, "sortKey": "updated_at", "sourceKinds": ["cli", "vscode"]}),
        json!({"data": [{"snippet": "…the parser fails…", "thread": thread_sample()}], "nextCursor": null}),
    );
    check_client_method::<markers::ThreadItemsList>(
        json!({"threadId": "t1", "turnId": "turn-1", "cursor": {"type": "item", "itemId": "i2"}, "limit": 2}),
        json!({"data": [{"turnId": "turn-1", "item": items_sample()[1].clone(),
                         "startedAtMs": 1_700_000_000_000_i64}], "nextCursor": "3"}),
    );
    check_client_method::<markers::ThreadItemsList>(
        json!({"threadId": "t1", "cursor": "4", "sortDirection": "desc"}),
        json!({"data": [], "backwardsCursor": "4"}),
    );
    check_client_method::<markers::ThreadGoalGet>(
        json!({"threadId": "t1"}),
        json!({"goal": goal_sample()}),
    );
    check_client_method::<markers::ThreadGoalGet>(json!({"threadId": "t1"}), json!({"goal": null}));
    check_client_method::<markers::ThreadGoalSet>(
        json!({"threadId": "t1", "objective": "ship it", "status": "paused", "origin": "user", "tokenBudget": 10}),
        json!({"goal": goal_sample()}),
    );
    check_client_method::<markers::ThreadGoalClear>(
        json!({"threadId": "t1", "origin": "user"}),
        json!({"cleared": true}),
    );
    check_client_method::<markers::ThreadBackgroundTerminalsList>(
        json!({"threadId": "t1", "limit": 10}),
        json!({"data": [{"processId": "1234", "itemId": "i4", "command": "npm run dev",
                         "cwd": "/work/project", "osPid": 4321}], "nextCursor": null}),
    );
    check_client_method::<markers::ThreadBackgroundTerminalsClean>(
        json!({"threadId": "t1"}),
        json!({}),
    );
    check_client_method::<markers::ThreadBackgroundTerminalsTerminate>(
        json!({"threadId": "t1", "processId": "1234"}),
        json!({"terminated": true}),
    );
    check_client_method::<markers::PluginInstalled>(
        json!({"cwds": ["/work/project"]}),
        json!({"marketplaces": []}),
    );
}

#[test]
fn server_notifications_match_reference() {
    let reference = load("ServerNotification.json");
    let mut covered = BTreeSet::new();
    for (method, params) in notification_samples() {
        let info = SERVER_NOTIFICATION_METHODS.iter().find(|info| info.method == method).unwrap();
        let notification = ServerNotification::parse(method, Some(params.clone()))
            .unwrap_or_else(|err| panic!("{method}: {err}"));
        let envelope = notification.to_notification();
        assert_eq!(
            without_nulls(envelope.params.as_ref().unwrap()),
            without_nulls(&params),
            "{method}: round trip changed params"
        );
        validate_against_definition(info.params_type.unwrap(), &params);
        validate(&reference, &json!({"method": method, "params": params}), method);
        covered.insert(method);
    }
    for info in SERVER_NOTIFICATION_METHODS {
        assert!(covered.contains(info.method), "no sample for notification {}", info.method);
    }
}

#[test]
fn server_requests_match_reference() {
    let reference = load("ServerRequest.json");
    let samples = [
        (
            "item/commandExecution/requestApproval",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i4", "startedAtMs": 1_700_000_000_000_i64,
                   "command": "rm -rf build", "cwd": "/work/project", "reason": "needs write access",
                   "commandActions": [{"type": "unknown", "command": "rm -rf build"}],
                   "proposedExecpolicyAmendment": ["rm", "-rf"],
                   "availableDecisions": ["accept", "acceptForSession",
                       {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["rm", "-rf"]}},
                       "decline", "cancel"]}),
            vec![
                json!({"decision": "accept"}),
                json!({"decision": "cancel"}),
                json!({"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["rm"]}}}),
                json!({"decision": {"applyNetworkPolicyAmendment": {"network_policy_amendment": {"host": "x.com", "action": "allow"}}}}),
            ],
        ),
        (
            "item/fileChange/requestApproval",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i5", "startedAtMs": 1_700_000_000_000_i64,
                   "reason": "outside workspace", "grantRoot": "/work"}),
            vec![json!({"decision": "acceptForSession"}), json!({"decision": "decline"})],
        ),
        (
            "item/tool/requestUserInput",
            json!({"threadId": "t1", "turnId": "turn-1", "itemId": "i6", "isBlocking": true,
                   "questions": [{"id": "db", "header": "Database", "question": "Which?",
                                  "isOther": true, "isSecret": false,
                                  "options": [{"label": "SQLite", "description": "embedded"},
                                              {"label": "Postgres", "description": "server"}]}]}),
            vec![json!({"answers": {"db": {"answers": ["SQLite"]}}})],
        ),
        (
            "mcpServer/elicitation/request",
            json!({"threadId": "t1", "turnId": "turn-1", "serverName": "docs", "mode": "form",
                   "message": "Allow the docs MCP server to run tool \"delete\"?",
                   "requestedSchema": {"type": "object", "properties": {}},
                   "_meta": {"codex_approval_kind": "mcp_tool_call", "tool_name": "delete",
                             "persist": ["session", "always"], "tool_params": {"path": "a"}}}),
            vec![
                json!({"action": "accept", "content": {}, "_meta": {"persist": "session"}}),
                json!({"action": "decline"}),
            ],
        ),
        (
            "mcpServer/elicitation/request",
            json!({"threadId": "t1", "serverName": "docs", "mode": "url",
                   "message": "Log in", "url": "https://example.com/login", "elicitationId": "e1"}),
            vec![json!({"action": "cancel"})],
        ),
    ];
    for (method, params, responses) in samples {
        let info = SERVER_REQUEST_METHODS.iter().find(|info| info.method == method).unwrap();
        let request = ServerRequest::parse(method, Some(params.clone())).unwrap();
        let mut envelope = serde_json::to_value(request.to_request(11)).unwrap();
        envelope.as_object_mut().unwrap().remove("jsonrpc");
        assert_eq!(
            without_nulls(&envelope["params"]),
            without_nulls(&params),
            "{method}: round trip changed params"
        );
        validate_against_definition(info.params_type.unwrap(), &params);
        validate(&reference, &envelope, method);
        for response in responses {
            let typed = request.parse_response(response.clone()).unwrap();
            assert_eq!(typed.to_value(), response);
            validate_against_definition(info.response_type.unwrap(), &response);
        }
        assert!(ServerRequestResponse::parse(method, json!({"decision": "perhaps"})).is_err());
    }
}

#[test]
fn every_method_exists_in_the_reference() {
    let names = |file: &str| -> BTreeSet<String> {
        load(file)["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|branch| branch["properties"]["method"]["enum"][0].as_str().unwrap().to_owned())
            .collect()
    };
    let client = names("ClientRequest.json");
    for info in CLIENT_REQUEST_METHODS {
        assert!(client.contains(info.method), "client method {} not in reference", info.method);
    }
    let notifications = names("ServerNotification.json");
    for info in SERVER_NOTIFICATION_METHODS {
        assert!(
            notifications.contains(info.method),
            "notification {} not in reference",
            info.method
        );
    }
    let server_requests = names("ServerRequest.json");
    for info in SERVER_REQUEST_METHODS {
        assert!(
            server_requests.contains(info.method),
            "server request {} not in reference",
            info.method
        );
    }
    let client_notifications = names("ClientNotification.json");
    assert!(client_notifications.contains("initialized"));
    // The params shapes agree with the reference too (object, nullable object, or none).
    let reference = load("ClientRequest.json");
    let our_files = schema_export::json_schema_files(true);
    let ours = &our_files[Path::new("ClientRequest.json")];
    for info in CLIENT_REQUEST_METHODS {
        let branch = reference["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["properties"]["method"]["enum"][0] == info.method)
            .unwrap();
        let our_branch = ours["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["properties"]["method"]["enum"][0] == info.method)
            .unwrap();
        assert_eq!(our_branch["required"], branch["required"], "{}: required keys", info.method);
        assert_eq!(
            our_branch["properties"]["params"], branch["properties"]["params"],
            "{}: params schema",
            info.method
        );
    }
}

/// Follows `$ref`, single-element `allOf` and `anyOf [X, null]` down to the schema they stand for.
fn resolve<'a>(schema: &'a Value, definitions: &'a Map<String, Value>) -> &'a Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/definitions/");
        return definitions.get(name).map_or(schema, |target| resolve(target, definitions));
    }
    if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return resolve(only, definitions);
    }
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = branches.iter().filter(|b| b["type"] != "null").collect();
        if non_null.len() == 1 && branches.len() == 2 {
            return resolve(non_null[0], definitions);
        }
    }
    schema
}

/// String enum values a schema allows, across `enum`, `oneOf` and `anyOf` branches.
fn enum_values(schema: &Value) -> BTreeSet<String> {
    let mut values = BTreeSet::new();
    if let Some(list) = schema.get("enum").and_then(Value::as_array) {
        values.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    for key in ["oneOf", "anyOf"] {
        for branch in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            if branch.get("properties").is_none() {
                values.extend(enum_values(branch));
            }
        }
    }
    values
}

/// The discriminator of an object branch: its `type` (or `handlerType`, `mode`) constant, or its
/// single key.
fn branch_key(branch: &Value) -> Option<String> {
    let properties = branch.get("properties")?.as_object()?;
    for tag in ["type", "handlerType", "mode"] {
        if let Some(value) = properties.get(tag).and_then(|p| p["enum"][0].as_str()) {
            return Some(format!("{tag}={value}"));
        }
    }
    (properties.len() == 1).then(|| properties.keys().next().cloned()).flatten()
}

fn object_branches(schema: &Value) -> Vec<&Value> {
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|key| schema.get(*key).and_then(Value::as_array))
        .flatten()
        .filter(|branch| branch.get("properties").is_some())
        .collect()
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

struct Compare<'a> {
    ours: &'a Map<String, Value>,
    reference: &'a Map<String, Value>,
    problems: Vec<String>,
}

impl Compare<'_> {
    fn compare(&mut self, path: &str, ours: &Value, reference: &Value, depth: usize) {
        if depth > 6 {
            return;
        }
        let ours = resolve(ours, self.ours);
        let reference = resolve(reference, self.reference);
        // Properties: ours must exist there; theirs required must be required here.
        if let (Some(our_props), Some(ref_props)) = (
            ours.get("properties").and_then(Value::as_object),
            reference.get("properties").and_then(Value::as_object),
        ) {
            for (name, our_prop) in our_props {
                match ref_props.get(name) {
                    None => self
                        .problems
                        .push(format!("{path}: property `{name}` is not in the reference")),
                    Some(ref_prop) => {
                        self.compare(&format!("{path}.{name}"), our_prop, ref_prop, depth + 1)
                    }
                }
            }
            let ours_required = required(ours);
            for name in required(reference) {
                if !ours_required.contains(&name) {
                    self.problems.push(format!("{path}: reference requires `{name}`, we do not"));
                }
            }
        }
        // Enum values.
        let ref_values = enum_values(reference);
        if !ref_values.is_empty() {
            for value in enum_values(ours).difference(&ref_values) {
                self.problems.push(format!("{path}: enum value {value:?} is not in the reference"));
            }
        }
        // Tagged union branches, matched by discriminator.
        let ref_branches: Vec<(Option<String>, &Value)> =
            object_branches(reference).into_iter().map(|b| (branch_key(b), b)).collect();
        if !ref_branches.is_empty() {
            for branch in object_branches(ours) {
                let key = branch_key(branch);
                match ref_branches.iter().find(|(k, _)| *k == key && key.is_some()) {
                    Some((_, ref_branch)) => {
                        let label = key.clone().unwrap_or_default();
                        // Merge the reference's shared and alternative properties into the branch.
                        let mut merged = (*ref_branch).clone();
                        // Properties declared next to the union apply to every branch.
                        if let (Some(Value::Object(into)), Some(Value::Object(shared))) =
                            (merged.get_mut("properties"), reference.get("properties"))
                        {
                            for (k, v) in shared {
                                into.entry(k.clone()).or_insert(v.clone());
                            }
                        }
                        for alt in
                            ref_branch.get("anyOf").and_then(Value::as_array).into_iter().flatten()
                        {
                            if let (Some(Value::Object(into)), Some(Value::Object(from))) =
                                (merged.get_mut("properties"), alt.get("properties"))
                            {
                                for (k, v) in from {
                                    into.entry(k.clone()).or_insert(v.clone());
                                }
                            }
                        }
                        self.compare(&format!("{path}[{label}]"), branch, &merged, depth + 1);
                    }
                    None => self
                        .problems
                        .push(format!("{path}: variant {key:?} is not in the reference")),
                }
            }
        }
        // Arrays and maps.
        if let (Some(our_items), Some(ref_items)) = (ours.get("items"), reference.get("items")) {
            self.compare(&format!("{path}[]"), our_items, ref_items, depth + 1);
        }
        if let (Some(our_values @ Value::Object(_)), Some(ref_values @ Value::Object(_))) =
            (ours.get("additionalProperties"), reference.get("additionalProperties"))
        {
            self.compare(&format!("{path}{{}}"), our_values, ref_values, depth + 1);
        }
    }
}

fn structural_problems(ours: &Map<String, Value>) -> Vec<String> {
    let reference = reference_definitions();
    let mut compare = Compare { ours, reference, problems: vec![] };
    let mut compared = 0;
    for (name, schema) in ours {
        if ["ClientRequest", "ServerNotification", "ServerRequest", "ClientNotification"]
            .contains(&name.as_str())
        {
            continue;
        }
        if let Some(reference_schema) = reference.get(name) {
            compare.compare(name, schema, reference_schema, 0);
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} definitions matched reference names");
    compare.problems
}

fn our_bundle() -> Map<String, Value> {
    let files = schema_export::json_schema_files(true);
    files[Path::new(schema_export::BUNDLE_FILE)]["definitions"].as_object().unwrap().clone()
}

#[test]
fn exported_definitions_are_structurally_compatible() {
    let problems = structural_problems(&our_bundle());
    assert!(problems.is_empty(), "schema differs from the reference:\n  {}", problems.join("\n  "));
}

#[test]
fn structural_check_catches_a_renamed_optional_field() {
    // Guard against a check that cannot fail: rename one optional field, one
    // nested variant field and drop one required field in a copy of our bundle.
    let mut bundle = our_bundle();
    let properties = bundle["ThreadStartParams"]["properties"].as_object_mut().unwrap();
    let model = properties.remove("model").unwrap();
    properties.insert("modelName".into(), model);
    let thread = bundle["Thread"].as_object_mut().unwrap();
    thread["required"].as_array_mut().unwrap().retain(|name| name != "cliVersion");
    let problems = structural_problems(&bundle);
    assert!(
        problems.iter().any(|p| p.contains("ThreadStartParams: property `modelName`")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("Thread: reference requires `cliVersion`")),
        "{problems:?}"
    );
}
