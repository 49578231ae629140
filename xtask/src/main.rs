//! Project chores run as `cargo xtask <task>`: `ci` (every check, the README's test command),
//! `bazel` (regenerate `BUILD.bazel` files from the Cargo manifests).

mod bazel;
mod ci;

use std::path::Path;
use std::path::PathBuf;

use anyhow::bail;
use anyhow::Context;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci              run every check CI runs (fmt, build, tests, clippy, buildifier)
  bazel [--check] regenerate (or check) every BUILD.bazel from its Cargo.toml";

fn workspace_root() -> anyhow::Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent dir")
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["ci"] => ci::run(&root),
        ["bazel"] => bazel::run(&root, false),
        ["bazel", "--check"] => bazel::run(&root, true),
        ["-h" | "--help" | "help"] | [] => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}
