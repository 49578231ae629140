//! What the model sees of an MCP tool: its function name and its parameter schema.
//!
//! Names are the flat `mcp__SERVER__TOOL` form (the public Responses and Chat Completions APIs
//! take plain function names): characters outside `[A-Za-z0-9_-]` become `_`, and a name longer
//! than 64 bytes, or one that collides with an earlier name, is cut and given a 12-hex suffix
//! hashed from the raw server and tool names, so it is stable across restarts.
//!
//! Schemas are passed through with the constructs providers reject normalised: the top level is
//! an object schema with `properties`; `title` and `$schema` keywords are dropped; an object
//! without `properties` gets an empty one, an array without `items` gets string items, and a
//! schema without `type` gets one inferred from its keywords.

use std::collections::HashSet;

use serde_json::Map;
use serde_json::Value;
use sha2::Digest as _;
use sha2::Sha256;

/// Prefix of every MCP tool name the model sees.
pub const MCP_TOOL_PREFIX: &str = "mcp__";
/// The longest function name providers accept.
pub const MAX_TOOL_NAME_BYTES: usize = 64;
/// Separator between server and tool.
const DELIMITER: &str = "__";

/// `text` with every character outside `[A-Za-z0-9_-]` replaced by `_` (never empty).
pub fn sanitize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned
    }
}

fn hash_suffix(server: &str, tool: &str, attempt: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(server.as_bytes());
    hasher.update([0]);
    hasher.update(tool.as_bytes());
    if attempt > 0 {
        hasher.update(attempt.to_le_bytes());
    }
    let digest = hex::encode(hasher.finalize());
    format!("_{}", &digest[..12])
}

/// Gives each `(server, tool)` pair (raw names, in order) a unique model-visible name, reserving
/// the names in `taken` (the built-in tools).
pub fn assign_names(pairs: &[(String, String)], taken: &HashSet<String>) -> Vec<String> {
    let mut used: HashSet<String> = taken.clone();
    let mut names = Vec::with_capacity(pairs.len());
    for (server, tool) in pairs {
        let base = format!("{MCP_TOOL_PREFIX}{}{DELIMITER}{}", sanitize(server), sanitize(tool));
        let mut name = base.clone();
        let mut attempt = 0;
        while name.len() > MAX_TOOL_NAME_BYTES || used.contains(&name) {
            let suffix = hash_suffix(server, tool, attempt);
            // Sanitised names are ASCII, so any byte index is a char boundary.
            let keep = base.len().min(MAX_TOOL_NAME_BYTES - suffix.len());
            name = format!("{}{suffix}", &base[..keep]);
            attempt += 1;
        }
        used.insert(name.clone());
        names.push(name);
    }
    names
}

/// Keywords whose value is one schema.
const SCHEMA_KEYWORDS: &[&str] =
    &["items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LIST_KEYWORDS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] =
    &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

/// The tool's input schema as providers accept it (see the module docs).
pub fn normalize_input_schema(schema: &Map<String, Value>) -> Value {
    let mut top = Value::Object(schema.clone());
    normalize(&mut top);
    if let Value::Object(map) = &mut top {
        map.remove("$schema");
        map.insert("type".to_owned(), Value::String("object".to_owned()));
        map.entry("properties").or_insert_with(|| Value::Object(Map::new()));
    }
    top
}

fn normalize(schema: &mut Value) {
    let Value::Object(map) = schema else {
        if schema.as_bool().is_some() {
            // `true` / `false` schemas: providers want objects.
            *schema = Value::Object(Map::new());
            normalize(schema);
        }
        return;
    };
    map.remove("title");
    map.remove("$schema");
    for keyword in SCHEMA_KEYWORDS {
        if let Some(child) = map.get_mut(*keyword) {
            if child.is_object() || (child.is_boolean() && *keyword != "additionalProperties") {
                normalize(child);
            }
        }
    }
    for keyword in SCHEMA_LIST_KEYWORDS {
        if let Some(Value::Array(children)) = map.get_mut(*keyword) {
            children.iter_mut().for_each(normalize);
        }
    }
    for keyword in SCHEMA_MAP_KEYWORDS {
        if let Some(Value::Object(children)) = map.get_mut(*keyword) {
            children.values_mut().for_each(normalize);
        }
    }
    let combined = ["anyOf", "oneOf", "allOf", "$ref", "enum", "const"]
        .iter()
        .any(|keyword| map.contains_key(*keyword));
    if !map.contains_key("type") && !combined {
        let inferred = if map.contains_key("properties") || map.contains_key("additionalProperties")
        {
            "object"
        } else if map.contains_key("items") || map.contains_key("prefixItems") {
            "array"
        } else if ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]
            .iter()
            .any(|keyword| map.contains_key(*keyword))
        {
            "number"
        } else {
            "string"
        };
        map.insert("type".to_owned(), Value::String(inferred.to_owned()));
    }
    let kinds: Vec<&str> = match map.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let is_object = kinds.contains(&"object");
    let is_array = kinds.contains(&"array");
    if is_object && !map.contains_key("properties") {
        map.insert("properties".to_owned(), Value::Object(Map::new()));
    }
    if is_array && !map.contains_key("items") {
        map.insert("items".to_owned(), serde_json::json!({"type": "string"}));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(s, t)| ((*s).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn names_are_sanitised_bounded_and_unique() {
        let long_tool = "t".repeat(80);
        let names = assign_names(
            &pairs(&[
                ("docs", "search"),
                ("my.server", "get-sum"),
                ("docs", "search!"),
                ("docs", "search?"),
                ("x", &long_tool),
                ("", ""),
            ]),
            &HashSet::new(),
        );
        assert_eq!(names[0], "mcp__docs__search");
        assert_eq!(names[1], "mcp__my_server__get-sum");
        assert_eq!(names[2], "mcp__docs__search_");
        // A collision gets a hash suffix of the raw names.
        assert!(names[3].starts_with("mcp__docs__search_") && names[3].len() == 18 + 13);
        assert!(names[4].len() <= MAX_TOOL_NAME_BYTES && names[4].starts_with("mcp__x__ttt"));
        assert_eq!(names[5], "mcp______");
        let unique: HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        for name in &names {
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        }
        // Stable: the same inputs give the same names.
        assert_eq!(
            names,
            assign_names(
                &pairs(&[
                    ("docs", "search"),
                    ("my.server", "get-sum"),
                    ("docs", "search!"),
                    ("docs", "search?"),
                    ("x", &long_tool),
                    ("", "")
                ]),
                &HashSet::new()
            )
        );
        let taken = HashSet::from(["mcp__docs__search".to_owned()]);
        assert_ne!(assign_names(&pairs(&[("docs", "search")]), &taken)[0], "mcp__docs__search");
    }

    #[test]
    fn schemas_are_normalised_for_providers() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Args",
            "properties": {
                "title": {"type": "string", "title": "Title"},
                "tags": {"type": "array"},
                "limit": {"minimum": 1},
                "filter": {"type": "object"},
                "either": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "flag": true
            }
        });
        let normalized = normalize_input_schema(schema.as_object().unwrap());
        assert_eq!(
            normalized,
            json!({
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "limit": {"minimum": 1, "type": "number"},
                    "filter": {"type": "object", "properties": {}},
                    "either": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "flag": {"type": "string"}
                }
            })
        );
        assert_eq!(
            normalize_input_schema(&Map::new()),
            json!({"type": "object", "properties": {}})
        );
    }
}
