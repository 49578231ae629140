//! Project chores run as `cargo xtask <task>`.
//!
//! `cargo xtask schema` regenerates the checked-in protocol schema under the
//! repository root: `schema/json/` (JSON Schema draft-07, including the
//! experimental methods and fields, like the reference's
//! `generate-json-schema --experimental`) and `schema/typescript/` (ts-rs
//! output). Files that are no longer generated are deleted.

use std::path::Path;
use std::path::PathBuf;

use anyhow::bail;
use anyhow::Context;
use anyhow::Result;
use codex_app_server_protocol::schema_export;

/// Whether `cargo xtask schema` writes the experimental surface too.
const SCHEMA_EXPERIMENTAL: bool = true;

fn repo_root() -> Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().context("xtask has no parent directory")?;
    Ok(root.to_path_buf())
}

fn schema(root: &Path) -> Result<()> {
    let json_dir = root.join("schema").join("json");
    let ts_dir = root.join("schema").join("typescript");
    schema_export::write_schema_tree(&json_dir, SCHEMA_EXPERIMENTAL)
        .with_context(|| format!("writing {}", json_dir.display()))?;
    schema_export::write_typescript_tree(&ts_dir)
        .with_context(|| format!("writing {}", ts_dir.display()))?;
    eprintln!("wrote {} and {}", json_dir.display(), ts_dir.display());
    Ok(())
}

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "schema" => schema(&repo_root()?),
        other => bail!("unknown task {other:?}; available: schema"),
    }
}
