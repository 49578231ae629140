//! Export of the protocol as JSON Schema (draft-07) and TypeScript.
//!
//! The JSON Schema tree is laid out like the reference's
//! (`codex app-server generate-json-schema`): `ClientRequest.json`,
//! `ClientNotification.json`, `ServerNotification.json`,
//! `ServerRequest.json`, `JSONRPC*.json`, `RequestId.json`,
//! `v1/Initialize{Params,Response}.json`, one `v2/<Name>.json` per params,
//! response and notification type, and the bundle
//! `codex_app_server_protocol.v2.schemas.json` holding every definition.
//! With `experimental = false` the methods and fields listed in
//! [`crate::methods`] as experimental are left out.
//!
//! TypeScript comes from ts-rs: one file per type (paths as in each type's
//! `export_to`), the four method unions, and an `index.ts`. It always
//! includes the experimental surface.
//!
//! Output is byte-stable: JSON objects are written with sorted keys, pretty
//! printed, with a trailing newline.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::path::PathBuf;

use schemars::gen::SchemaGenerator;
use schemars::gen::SchemaSettings;
use schemars::schema::RootSchema;
use schemars::JsonSchema;
use serde_json::json;
use serde_json::Map;
use serde_json::Value;
use ts_rs::TypeVisitor;
use ts_rs::TS;

use crate::jsonrpc;
use crate::methods::MethodInfo;
use crate::methods::ParamsShape;
use crate::methods::CLIENT_REQUEST_METHODS;
use crate::methods::EXPERIMENTAL_CLIENT_METHODS;
use crate::methods::EXPERIMENTAL_FIELDS;
use crate::methods::EXPERIMENTAL_SERVER_NOTIFICATIONS;
use crate::methods::SERVER_NOTIFICATION_METHODS;
use crate::methods::SERVER_REQUEST_METHODS;
use crate::RequestId;

/// The draft-07 meta-schema URL written as `$schema`.
pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// File name of the bundle with every definition.
pub const BUNDLE_FILE: &str = "codex_app_server_protocol.v2.schemas.json";

/// Types whose files go under `v1/` instead of `v2/`.
const V1_TYPES: &[&str] = &["InitializeParams", "InitializeResponse"];

fn generator() -> SchemaGenerator {
    SchemaSettings::draft07().into_generator()
}

fn schema_value<T: serde::Serialize>(schema: &T) -> Value {
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// Returns `value` with every object's keys sorted, recursively.
pub fn canonicalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), canonicalize(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonicalize).collect()),
        other => other.clone(),
    }
}

/// `value` as pretty JSON with sorted keys and a trailing newline.
pub fn canonical_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&canonicalize(value)).unwrap_or_default();
    text.push('\n');
    text
}

fn included(info: &MethodInfo, experimental: bool, experimental_list: &[&str]) -> bool {
    experimental || !experimental_list.contains(&info.method)
}

fn client_methods(experimental: bool) -> impl Iterator<Item = &'static MethodInfo> {
    CLIENT_REQUEST_METHODS
        .iter()
        .filter(move |m| included(m, experimental, EXPERIMENTAL_CLIENT_METHODS))
}

fn server_notifications(experimental: bool) -> impl Iterator<Item = &'static MethodInfo> {
    SERVER_NOTIFICATION_METHODS
        .iter()
        .filter(move |m| included(m, experimental, EXPERIMENTAL_SERVER_NOTIFICATIONS))
}

/// The reference's title style: the method with its first letter upper-cased.
fn title_stem(method: &str) -> String {
    let mut chars = method.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One `oneOf` branch of a method enum schema.
fn method_branch(info: &MethodInfo, gen: &mut SchemaGenerator, kind: &str, with_id: bool) -> Value {
    let stem = title_stem(info.method);
    let mut properties = Map::new();
    let mut required = vec![];
    if with_id {
        properties.insert("id".into(), schema_value(&gen.subschema_for::<RequestId>()));
        required.push("id");
    }
    properties.insert(
        "method".into(),
        json!({"enum": [info.method], "title": format!("{stem}{kind}Method"), "type": "string"}),
    );
    required.push("method");
    let params = match info.params_shape {
        ParamsShape::Object => {
            required.push("params");
            schema_value(&(info.params_schema)(gen))
        }
        ParamsShape::NullableObject => {
            json!({"anyOf": [schema_value(&(info.params_schema)(gen)), {"type": "null"}]})
        }
        ParamsShape::None => json!({"type": "null"}),
    };
    properties.insert("params".into(), params);
    if let Some(response) = info.response_schema {
        // Responses are not part of the union, but their definitions belong in the bundle.
        let _ = response(gen);
    }
    json!({
        "properties": properties,
        "required": required,
        "title": format!("{stem}{kind}"),
        "type": "object",
    })
}

fn method_enum_file(
    title: &str,
    description: &str,
    branches: Vec<Value>,
    mut gen: SchemaGenerator,
) -> Value {
    let definitions = schema_value(&gen.take_definitions());
    json!({
        "$schema": DRAFT_07,
        "definitions": definitions,
        "description": description,
        "oneOf": branches,
        "title": title,
    })
}

fn client_request_file(experimental: bool) -> Value {
    let mut gen = generator();
    let branches = client_methods(experimental)
        .map(|info| method_branch(info, &mut gen, "Request", true))
        .collect();
    method_enum_file("ClientRequest", "Request from the client to the server.", branches, gen)
}

fn client_notification_file() -> Value {
    json!({
        "$schema": DRAFT_07,
        "description": "Notification from the client to the server.",
        "oneOf": [{
            "properties": {
                "method": {
                    "enum": ["initialized"],
                    "title": "InitializedNotificationMethod",
                    "type": "string",
                },
            },
            "required": ["method"],
            "title": "InitializedNotification",
            "type": "object",
        }],
        "title": "ClientNotification",
    })
}

fn server_notification_file(experimental: bool) -> Value {
    let mut gen = generator();
    let branches = server_notifications(experimental)
        .map(|info| method_branch(info, &mut gen, "Notification", false))
        .collect();
    method_enum_file(
        "ServerNotification",
        "Notification sent from the server to the client.",
        branches,
        gen,
    )
}

fn server_request_file() -> Value {
    let mut gen = generator();
    let branches = SERVER_REQUEST_METHODS
        .iter()
        .map(|info| method_branch(info, &mut gen, "Request", true))
        .collect();
    method_enum_file(
        "ServerRequest",
        "Request initiated from the server and sent to the client.",
        branches,
        gen,
    )
}

/// A root schema file for the single type that `add` registers as `name`.
fn single_type_file(
    name: &str,
    add: fn(&mut SchemaGenerator) -> schemars::schema::Schema,
) -> Value {
    let mut gen = generator();
    let _ = add(&mut gen);
    let mut definitions = gen.take_definitions();
    let Some(root) = definitions.get(name).cloned() else {
        return Value::Null;
    };
    let mut root = schema_value(&root);
    let self_reference = format!("#/definitions/{name}");
    if !schema_value(&root).to_string().contains(&self_reference) {
        definitions.remove(name);
    }
    if let Value::Object(map) = &mut root {
        map.insert("$schema".into(), json!(DRAFT_07));
        map.insert("title".into(), json!(name));
        if !definitions.is_empty() {
            map.insert("definitions".into(), schema_value(&definitions));
        }
    }
    root
}

fn root_file<T: JsonSchema>() -> Value {
    let root: RootSchema = generator().into_root_schema_for::<T>();
    schema_value(&root)
}

/// Removes experimental fields from every definition (and root) they appear in.
fn strip_experimental_fields(value: &mut Value) {
    fn strip_from(schema: &mut Value, params_type: &str) {
        for entry in EXPERIMENTAL_FIELDS.iter().filter(|e| e.params_type == params_type) {
            if let Some(Value::Object(properties)) = schema.get_mut("properties") {
                properties.remove(entry.field);
            }
            if let Some(Value::Array(required)) = schema.get_mut("required") {
                required.retain(|name| name != entry.field);
            }
        }
    }
    if let Some(title) = value.get("title").and_then(Value::as_str).map(str::to_owned) {
        strip_from(value, &title);
    }
    if let Some(Value::Object(definitions)) = value.get_mut("definitions") {
        for (name, schema) in definitions.iter_mut() {
            strip_from(schema, name);
        }
    }
}

fn type_file_path(name: &str) -> PathBuf {
    let folder = if V1_TYPES.contains(&name) { "v1" } else { "v2" };
    PathBuf::from(folder).join(format!("{name}.json"))
}

/// Every JSON Schema file, keyed by path relative to the schema root.
pub fn json_schema_files(experimental: bool) -> BTreeMap<PathBuf, Value> {
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("ClientRequest.json"), client_request_file(experimental));
    files.insert(PathBuf::from("ClientNotification.json"), client_notification_file());
    files.insert(PathBuf::from("ServerNotification.json"), server_notification_file(experimental));
    files.insert(PathBuf::from("ServerRequest.json"), server_request_file());
    files.insert(PathBuf::from("RequestId.json"), root_file::<RequestId>());
    files.insert(PathBuf::from("JSONRPCMessage.json"), root_file::<jsonrpc::JsonRpcMessage>());
    files.insert(PathBuf::from("JSONRPCRequest.json"), root_file::<jsonrpc::JsonRpcRequest>());
    files.insert(
        PathBuf::from("JSONRPCNotification.json"),
        root_file::<jsonrpc::JsonRpcNotification>(),
    );
    files.insert(PathBuf::from("JSONRPCResponse.json"), root_file::<jsonrpc::JsonRpcResponse>());
    files.insert(PathBuf::from("JSONRPCError.json"), root_file::<jsonrpc::JsonRpcError>());
    files.insert(
        PathBuf::from("JSONRPCErrorError.json"),
        root_file::<jsonrpc::JsonRpcErrorObject>(),
    );

    let mut bundle_gen = generator();
    let methods = client_methods(experimental)
        .chain(server_notifications(experimental))
        .chain(SERVER_REQUEST_METHODS.iter());
    for info in methods {
        if let Some(params_type) = info.params_type {
            files.insert(
                type_file_path(params_type),
                single_type_file(params_type, info.params_schema),
            );
            let _ = (info.params_schema)(&mut bundle_gen);
        }
        if let (Some(response_type), Some(response_schema)) =
            (info.response_type, info.response_schema)
        {
            files.insert(
                type_file_path(response_type),
                single_type_file(response_type, response_schema),
            );
            let _ = response_schema(&mut bundle_gen);
        }
    }
    let _ = bundle_gen.subschema_for::<RequestId>();
    let mut definitions = match schema_value(&bundle_gen.take_definitions()) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (name, file) in [
        ("ClientRequest", "ClientRequest.json"),
        ("ClientNotification", "ClientNotification.json"),
        ("ServerNotification", "ServerNotification.json"),
        ("ServerRequest", "ServerRequest.json"),
    ] {
        if let Some(Value::Object(schema)) = files.get(Path::new(file)) {
            let mut schema = schema.clone();
            schema.remove("definitions");
            definitions.insert(name.into(), Value::Object(schema));
        }
    }
    files.insert(
        PathBuf::from(BUNDLE_FILE),
        json!({
            "$schema": DRAFT_07,
            "definitions": definitions,
            "title": "CodexAppServerProtocolV2",
            "type": "object",
        }),
    );

    for value in files.values_mut() {
        if !experimental {
            strip_experimental_fields(value);
        }
        *value = canonicalize(value);
    }
    files
}

/// Collects the TypeScript of types and their dependencies, one file per type.
pub struct TypeScriptCollector {
    config: ts_rs::Config,
    files: BTreeMap<PathBuf, String>,
    errors: Vec<String>,
    seen: std::collections::HashSet<std::any::TypeId>,
}

impl TypeScriptCollector {
    fn new() -> Self {
        Self {
            config: ts_rs::Config::new().with_large_int("number"),
            files: BTreeMap::new(),
            errors: vec![],
            seen: std::collections::HashSet::new(),
        }
    }

    /// Adds `T` (when it has its own file) and, recursively, the types it uses.
    pub fn add<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(std::any::TypeId::of::<T>()) {
            return;
        }
        match T::output_path() {
            Some(path) => {
                match T::export_to_string(&self.config) {
                    Ok(text) => {
                        self.files.insert(path, text);
                    }
                    Err(err) => self.errors.push(format!("{path:?}: {err}")),
                }
                T::visit_dependencies(self);
            }
            None => {
                T::visit_dependencies(self);
                T::visit_generics(self);
            }
        }
    }
}

impl TypeVisitor for TypeScriptCollector {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        self.add::<T>();
    }
}

fn ts_import_path(from_root: &Path) -> String {
    let stem = from_root.with_extension("");
    format!("./{}", stem.to_string_lossy().replace('\\', "/"))
}

fn ts_type_name(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The TypeScript union for one method enum (`ClientRequest.ts` and friends).
fn ts_method_union(
    name: &str,
    methods: &[MethodInfo],
    with_id: bool,
    paths: &BTreeMap<String, PathBuf>,
) -> String {
    let mut imports = std::collections::BTreeSet::new();
    if with_id {
        imports.insert("RequestId".to_owned());
    }
    let mut branches = vec![];
    for info in methods {
        let params = match (info.params_shape, info.params_type) {
            (ParamsShape::Object, Some(ty)) => {
                imports.insert(ty.to_owned());
                format!(" params: {ty},")
            }
            (ParamsShape::NullableObject, Some(ty)) => {
                imports.insert(ty.to_owned());
                format!(" params?: {ty} | null,")
            }
            _ => " params?: null,".to_owned(),
        };
        let id = if with_id { " id: RequestId," } else { "" };
        branches.push(format!("{{ \"method\": \"{}\",{id}{params} }}", info.method));
    }
    let mut text = String::from("// Generated by `cargo xtask schema`. Do not edit by hand.\n");
    for ty in &imports {
        if let Some(path) = paths.get(ty) {
            text.push_str(&format!("import type {{ {ty} }} from \"{}\";\n", ts_import_path(path)));
        }
    }
    text.push_str(&format!("\nexport type {name} = {};\n", branches.join(" | ")));
    text
}

/// Every TypeScript file (one per type, the method unions and `index.ts`), keyed by relative path.
pub fn typescript_files() -> BTreeMap<PathBuf, String> {
    let mut collector = TypeScriptCollector::new();
    collector.add::<jsonrpc::JsonRpcMessage>();
    collector.add::<jsonrpc::JsonRpcErrorObject>();
    collector.add::<RequestId>();
    for info in CLIENT_REQUEST_METHODS
        .iter()
        .chain(SERVER_NOTIFICATION_METHODS)
        .chain(SERVER_REQUEST_METHODS)
    {
        (info.typescript)(&mut collector);
    }
    let mut files = collector.files;
    for error in &collector.errors {
        files.insert(PathBuf::from("EXPORT_ERRORS.txt"), format!("{error}\n"));
    }
    let paths: BTreeMap<String, PathBuf> =
        files.keys().map(|path| (ts_type_name(path), path.clone())).collect();
    files.insert(
        PathBuf::from("ClientRequest.ts"),
        ts_method_union("ClientRequest", CLIENT_REQUEST_METHODS, true, &paths),
    );
    files.insert(
        PathBuf::from("ServerNotification.ts"),
        ts_method_union("ServerNotification", SERVER_NOTIFICATION_METHODS, false, &paths),
    );
    files.insert(
        PathBuf::from("ServerRequest.ts"),
        ts_method_union("ServerRequest", SERVER_REQUEST_METHODS, true, &paths),
    );
    files.insert(
        PathBuf::from("ClientNotification.ts"),
        "// Generated by `cargo xtask schema`. Do not edit by hand.\n\nexport type ClientNotification = { \"method\": \"initialized\" };\n"
            .to_owned(),
    );
    let mut index = String::from("// Generated by `cargo xtask schema`. Do not edit by hand.\n");
    for path in files.keys() {
        if path.extension().is_some_and(|ext| ext == "ts") {
            index.push_str(&format!(
                "export type {{ {} }} from \"{}\";\n",
                ts_type_name(path),
                ts_import_path(path)
            ));
        }
    }
    files.insert(PathBuf::from("index.ts"), index);
    files
}

/// Writes `files` under `out_dir` and deletes files with extension `ext` that are no longer generated.
fn write_tree(out_dir: &Path, files: &BTreeMap<PathBuf, String>, ext: &str) -> io::Result<()> {
    remove_stale(out_dir, out_dir, files, ext)?;
    for (relative, contents) in files {
        let path = out_dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let unchanged = std::fs::read(&path).is_ok_and(|old| old == contents.as_bytes());
        if !unchanged {
            std::fs::write(&path, contents)?;
        }
    }
    Ok(())
}

fn remove_stale(
    root: &Path,
    dir: &Path,
    files: &BTreeMap<PathBuf, String>,
    ext: &str,
) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            remove_stale(root, &path, files, ext)?;
            if std::fs::read_dir(&path)?.next().is_none() {
                std::fs::remove_dir(&path)?;
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            if !files.contains_key(relative) {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

/// The JSON Schema files rendered as canonical text (sorted keys, trailing newline).
pub fn json_schema_texts(experimental: bool) -> BTreeMap<PathBuf, String> {
    json_schema_files(experimental)
        .into_iter()
        .map(|(path, value)| (path, canonical_json(&value)))
        .collect()
}

/// Writes the JSON Schema tree under `out_dir`, removing stale `.json` files.
pub fn write_schema_tree(out_dir: &Path, experimental: bool) -> io::Result<()> {
    write_tree(out_dir, &json_schema_texts(experimental), "json")
}

/// Writes the TypeScript tree under `out_dir`, removing stale `.ts` files.
pub fn write_typescript_tree(out_dir: &Path) -> io::Result<()> {
    write_tree(out_dir, &typescript_files(), "ts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_schema_leaves_out_experimental_surface() {
        let stable = json_schema_files(false);
        let full = json_schema_files(true);
        let requests = stable[Path::new("ClientRequest.json")].to_string();
        assert!(!requests.contains("remoteControl/enable"));
        assert!(full[Path::new("ClientRequest.json")].to_string().contains("remoteControl/enable"));
        assert!(!stable.contains_key(Path::new("v2/RemoteControlStatusReadResponse.json")));
        assert!(full.contains_key(Path::new("v2/RemoteControlStatusReadResponse.json")));
        let start = &stable[Path::new("v2/ThreadStartParams.json")]["properties"];
        assert!(start.get("mockExperimentalField").is_none());
        assert!(start.get("model").is_some());
        let start = &full[Path::new("v2/ThreadStartParams.json")]["properties"];
        assert!(start.get("mockExperimentalField").is_some());
        let bundle = &stable[Path::new(BUNDLE_FILE)]["definitions"]["TurnStartParams"];
        assert!(bundle["properties"].get("collaborationMode").is_none());
    }

    #[test]
    fn files_are_draft07_with_titles() {
        for (path, value) in json_schema_files(true) {
            assert_eq!(value["$schema"], DRAFT_07, "{path:?}");
            assert!(value["title"].is_string(), "{path:?}");
        }
    }

    #[test]
    fn typescript_has_one_file_per_type_and_an_index() {
        let files = typescript_files();
        assert!(
            !files.contains_key(Path::new("EXPORT_ERRORS.txt")),
            "{:?}",
            files.get(Path::new("EXPORT_ERRORS.txt"))
        );
        assert!(files[Path::new("v2/Thread.ts")].contains("export type Thread"));
        assert!(
            files[Path::new("index.ts")].contains("export type { Thread } from \"./v2/Thread\";")
        );
        assert!(files[Path::new("ClientRequest.ts")].contains("\"thread/start\""));
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let text = canonical_json(&json!({"b": 1, "a": {"d": 2, "c": 3}}));
        assert_eq!(text, "{\n  \"a\": {\n    \"c\": 3,\n    \"d\": 2\n  },\n  \"b\": 1\n}\n");
    }
}
