//! The checked-in `schema/` tree must match what the crate generates.
//!
//! Regenerates the JSON Schema (experimental surface included, as `cargo
//! xtask schema` writes it) and TypeScript in memory and compares them with
//! `schema/json/` and `schema/typescript/` at the repository root. JSON is
//! compared after canonicalising (sorted keys). With `UPDATE_SCHEMA=1` the
//! test rewrites `schema/` instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;

use codex_app_server_protocol::schema_export;

fn schema_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema")
}

fn read_tree(dir: &Path, ext: &str) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, ext: &str, out: &mut BTreeMap<PathBuf, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, ext, &mut out);
    out
}

fn differing_files(
    expected: &BTreeMap<PathBuf, String>,
    actual: &BTreeMap<PathBuf, String>,
    normalise: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut diffs = vec![];
    for (path, text) in expected {
        match actual.get(path) {
            None => diffs.push(format!("missing: {}", path.display())),
            Some(on_disk) if normalise(on_disk) != normalise(text) => {
                diffs.push(format!("differs: {}", path.display()))
            }
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|path| !expected.contains_key(*path)) {
        diffs.push(format!("stale: {}", path.display()));
    }
    diffs
}

fn canonical(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => schema_export::canonical_json(&value),
        Err(_) => text.to_owned(),
    }
}

#[test]
fn checked_in_schema_matches_generated() {
    let root = schema_root();
    let json_dir = root.join("json");
    let ts_dir = root.join("typescript");
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        schema_export::write_schema_tree(&json_dir, true).unwrap();
        schema_export::write_typescript_tree(&ts_dir).unwrap();
        return;
    }
    let mut diffs: Vec<String> = differing_files(
        &schema_export::json_schema_texts(true),
        &read_tree(&json_dir, "json"),
        canonical,
    )
    .into_iter()
    .map(|d| format!("schema/json {d}"))
    .collect();
    diffs.extend(
        differing_files(&schema_export::typescript_files(), &read_tree(&ts_dir, "ts"), |t| {
            t.to_owned()
        })
        .into_iter()
        .map(|d| format!("schema/typescript {d}")),
    );
    assert!(
        diffs.is_empty(),
        "checked-in schema is out of date:\n  {}\nrun `cargo xtask schema` or re-run with UPDATE_SCHEMA=1",
        diffs.join("\n  ")
    );
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(schema_export::json_schema_texts(true), schema_export::json_schema_texts(true));
    assert_eq!(schema_export::typescript_files(), schema_export::typescript_files());
}
