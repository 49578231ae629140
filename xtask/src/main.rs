//! Project chores run as `cargo xtask <task>`: `ci` (every check, the README's test command),
//! `schema` (regenerate `schema/`), `bazel` (regenerate `BUILD.bazel` files from the manifests).
//!
//! `cargo xtask schema` regenerates the checked-in protocol schema under the repository root:
//! `schema/json/` (JSON Schema draft-07, including the experimental methods and fields, like the
//! reference's `generate-json-schema --experimental`) and `schema/typescript/` (ts-rs output).
//! Files that are no longer generated are deleted.

mod bazel;
mod ci;

use std::path::Path;
use std::path::PathBuf;

use anyhow::bail;
use anyhow::Context;
use codex_app_server_protocol::schema_export;

/// Whether `cargo xtask schema` writes the experimental surface too.
const SCHEMA_EXPERIMENTAL: bool = true;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci              run every check CI runs (fmt, build, tests, clippy, buildifier)
  schema          regenerate schema/json and schema/typescript from the protocol types
  bazel [--check] regenerate (or check) every BUILD.bazel from its Cargo.toml";

fn workspace_root() -> anyhow::Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent dir")
}

fn schema(root: &Path) -> anyhow::Result<()> {
    let json_dir = root.join("schema").join("json");
    let ts_dir = root.join("schema").join("typescript");
    schema_export::write_schema_tree(&json_dir, SCHEMA_EXPERIMENTAL)
        .with_context(|| format!("writing {}", json_dir.display()))?;
    schema_export::write_typescript_tree(&ts_dir)
        .with_context(|| format!("writing {}", ts_dir.display()))?;
    eprintln!("wrote {} and {}", json_dir.display(), ts_dir.display());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["ci"] => ci::run(&root),
        ["schema"] => schema(&root),
        ["bazel"] => bazel::run(&root, false),
        ["bazel", "--check"] => bazel::run(&root, true),
        ["-h" | "--help" | "help"] | [] => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}
