//! `cargo xtask bazel`: the `BUILD.bazel` file of every workspace member, rendered from its
//! `Cargo.toml` (via `cargo metadata`), so the two build systems name the same crates and the
//! same dependencies. `--check` compares instead of writing; a unit test does the same, so a
//! manifest change without regenerating fails `cargo test`.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;

use anyhow::bail;
use anyhow::Context;
use serde_json::Value;

/// One dependency of a crate, as Bazel names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct BazelDep {
    label: String,
    proc_macro: bool,
}

/// What the renderer needs to know about one workspace member.
#[derive(Debug)]
struct Member {
    dir: PathBuf,
    package: String,
    edition: String,
    lib_crate: Option<String>,
    bins: Vec<(String, String)>,
    integration_tests: Vec<(String, String)>,
    deps: BTreeSet<BazelDep>,
    dev_deps: BTreeSet<BazelDep>,
    /// Whether the library embeds the files of [`PROMPTS_DIR`] (`compile_data`).
    compile_data: bool,
}

/// A package folder whose files the library embeds with `include_str!` (prompt texts).
const PROMPTS_DIR: &str = "prompts";

/// Runs `cargo metadata` for the workspace at `root`.
fn cargo_metadata(root: &Path) -> anyhow::Result<Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    serde_json::from_slice(&output.stdout).context("parsing cargo metadata")
}

fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}

fn relative_dir(root: &Path, manifest: &str) -> anyhow::Result<PathBuf> {
    let dir = Path::new(manifest).parent().context("manifest has no parent")?;
    Ok(dir.strip_prefix(root).context("member outside the workspace")?.to_path_buf())
}

fn members(root: &Path) -> anyhow::Result<Vec<Member>> {
    let metadata = cargo_metadata(root)?;
    let empty = Vec::new();
    let packages = metadata["packages"].as_array().unwrap_or(&empty);
    let workspace_ids: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let is_proc_macro = |name: &str| {
        packages.iter().any(|package| {
            package["name"] == name
                && package["targets"].as_array().is_some_and(|targets| {
                    targets.iter().any(|target| {
                        target["kind"]
                            .as_array()
                            .is_some_and(|kinds| kinds.iter().any(|k| k == "proc-macro"))
                    })
                })
        })
    };
    let mut out = Vec::new();
    for package in packages {
        if !package["id"].as_str().is_some_and(|id| workspace_ids.contains(id)) {
            continue;
        }
        let manifest = package["manifest_path"].as_str().context("manifest_path")?;
        let dir = relative_dir(root, manifest)?;
        let mut member = Member {
            dir,
            package: package["name"].as_str().context("name")?.to_owned(),
            edition: package["edition"].as_str().unwrap_or("2021").to_owned(),
            lib_crate: None,
            bins: Vec::new(),
            integration_tests: Vec::new(),
            deps: BTreeSet::new(),
            dev_deps: BTreeSet::new(),
            compile_data: Path::new(manifest)
                .parent()
                .is_some_and(|dir| dir.join(PROMPTS_DIR).is_dir()),
        };
        let package_dir = Path::new(manifest).parent().context("manifest dir")?;
        for target in package["targets"].as_array().unwrap_or(&empty) {
            let name = target["name"].as_str().context("target name")?.to_owned();
            let src = target["src_path"].as_str().context("src_path")?;
            let src = Path::new(src)
                .strip_prefix(package_dir)
                .context("target outside its package")?
                .to_string_lossy()
                .into_owned();
            let kinds: Vec<&str> = target["kind"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .filter_map(Value::as_str)
                .collect();
            if kinds.contains(&"lib") {
                member.lib_crate = Some(crate_name(&name));
            } else if kinds.contains(&"bin") {
                member.bins.push((name, src));
            } else if kinds.contains(&"test") {
                member.integration_tests.push((name, src));
            }
        }
        for dep in package["dependencies"].as_array().unwrap_or(&empty) {
            let name = dep["name"].as_str().context("dep name")?;
            let label = match dep["path"].as_str() {
                Some(path) => {
                    let dep_dir = Path::new(path).strip_prefix(root).context("path dep outside")?;
                    format!("//{}:{}", dep_dir.to_string_lossy(), crate_name(name))
                }
                None => format!("@crates//:{name}"),
            };
            let bazel_dep = BazelDep { label, proc_macro: is_proc_macro(name) };
            match dep["kind"].as_str() {
                None => {
                    member.deps.insert(bazel_dep);
                }
                Some("dev") => {
                    member.dev_deps.insert(bazel_dep);
                }
                Some(_) => {}
            }
        }
        out.push(member);
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(out)
}

/// Orders labels the way buildifier does: local (`:x`) first, then `//pkg`, then `@repo`, and a
/// package before the packages whose names extend it.
fn label_sort_key(label: &str) -> (u8, String) {
    let rank = if label.starts_with(':') {
        0
    } else if label.starts_with("//") {
        1
    } else {
        2
    };
    (rank, label.replace(':', "\0"))
}

fn label_list(out: &mut String, key: &str, labels: &[String]) {
    if labels.is_empty() {
        return;
    }
    let mut labels = labels.to_vec();
    labels.sort_by_key(|label| label_sort_key(label));
    let _ = writeln!(out, "    {key} = [");
    for label in &labels {
        let _ = writeln!(out, "        \"{label}\",");
    }
    let _ = writeln!(out, "    ],");
}

fn split(deps: &BTreeSet<BazelDep>) -> (Vec<String>, Vec<String>) {
    let (macros, plain): (Vec<&BazelDep>, Vec<&BazelDep>) = deps.iter().partition(|d| d.proc_macro);
    (
        plain.into_iter().map(|d| d.label.clone()).collect(),
        macros.into_iter().map(|d| d.label.clone()).collect(),
    )
}

fn render(member: &Member) -> String {
    let mut rules = BTreeSet::new();
    let mut body = String::new();
    let (deps, macro_deps) = split(&member.deps);
    let all: BTreeSet<BazelDep> = member.deps.union(&member.dev_deps).cloned().collect();
    let (test_deps, test_macro_deps) = split(&all);
    let dev_only: BTreeSet<BazelDep> = member.dev_deps.difference(&member.deps).cloned().collect();
    let (dev_deps, dev_macro_deps) = split(&dev_only);
    let edition = &member.edition;
    let mut test_local = Vec::new();
    if let Some(lib) = &member.lib_crate {
        rules.insert("rust_library");
        rules.insert("rust_test");
        let _ = writeln!(body, "\nrust_library(");
        let _ = writeln!(body, "    name = \"{lib}\",");
        let _ = writeln!(body, "    srcs = glob([\"src/**/*.rs\"]),");
        if member.compile_data {
            let _ = writeln!(body, "    compile_data = glob([\"{PROMPTS_DIR}/**\"]),");
        }
        let _ = writeln!(body, "    crate_name = \"{lib}\",");
        let _ = writeln!(body, "    edition = \"{edition}\",");
        label_list(&mut body, "deps", &deps);
        label_list(&mut body, "proc_macro_deps", &macro_deps);
        let _ = writeln!(body, ")");
        let _ = writeln!(body, "\nrust_test(");
        let _ = writeln!(body, "    name = \"{lib}_unit_tests\",");
        let _ = writeln!(body, "    crate = \":{lib}\",");
        let _ = writeln!(body, "    edition = \"{edition}\",");
        label_list(&mut body, "deps", &dev_deps);
        label_list(&mut body, "proc_macro_deps", &dev_macro_deps);
        let _ = writeln!(body, ")");
        test_local.push(format!(":{lib}"));
    }
    for (bin, src) in &member.bins {
        rules.insert("rust_binary");
        let _ = writeln!(body, "\nrust_binary(");
        let _ = writeln!(body, "    name = \"{bin}\",");
        let src_dir = Path::new(src).parent().map(|p| p.to_string_lossy().into_owned());
        let _ = writeln!(body, "    srcs = glob([\"{}/**/*.rs\"]),", src_dir.unwrap_or_default());
        let _ = writeln!(body, "    crate_root = \"{src}\",");
        let _ = writeln!(body, "    edition = \"{edition}\",");
        // A binary of a package with a library uses that library.
        let mut bin_deps = test_local.clone();
        bin_deps.extend(deps.iter().cloned());
        label_list(&mut body, "deps", &bin_deps);
        label_list(&mut body, "proc_macro_deps", &macro_deps);
        let _ = writeln!(body, ")");
    }
    for (test, src) in &member.integration_tests {
        rules.insert("rust_test");
        let mut test_deps_all = test_local.clone();
        test_deps_all.extend(test_deps.iter().cloned());
        let _ = writeln!(body, "\nrust_test(");
        let _ = writeln!(body, "    name = \"{test}\",");
        let _ = writeln!(body, "    srcs = [\"{src}\"],");
        let bin = member.bins.first().map(|(bin, _)| bin);
        if let Some(bin) = bin {
            let _ = writeln!(body, "    data = [\":{bin}\"],");
        }
        let _ = writeln!(body, "    edition = \"{edition}\",");
        if let Some(bin) = bin {
            let _ = writeln!(
                body,
                "    rustc_env = {{\"CARGO_BIN_EXE_{bin}\": \"$(rootpath :{bin})\"}},"
            );
        }
        label_list(&mut body, "deps", &test_deps_all);
        label_list(&mut body, "proc_macro_deps", &test_macro_deps);
        let _ = writeln!(body, ")");
    }
    let loads: Vec<String> = rules.iter().map(|rule| format!("\"{rule}\"")).collect();
    format!(
        "# Generated by `cargo xtask bazel` from this package's Cargo.toml ({}); do not edit by hand.\n\
         load(\"@rules_rust//rust:defs.bzl\", {})\n\npackage(default_visibility = [\"//visibility:public\"])\n{body}",
        member.package,
        loads.join(", ")
    )
}

/// The root `MODULE.bazel`: rules_rust plus crate_universe reading every member's manifest.
fn render_module(members: &[Member]) -> String {
    let mut manifests = vec!["\"//:Cargo.toml\"".to_owned()];
    manifests.extend(members.iter().map(|m| format!("\"//{}:Cargo.toml\"", m.dir.display())));
    let manifests: String = manifests.iter().map(|m| format!("        {m},\n")).collect();
    format!(
        r#""""Bazel module for the Codex app-server workspace (generated by `cargo xtask bazel`); crates come from Cargo.lock via crate_universe."""

module(name = "codex_app_server")

bazel_dep(name = "rules_rust", version = "0.63.0")

rust = use_extension("@rules_rust//rust:extensions.bzl", "rust")
rust.toolchain(
    edition = "2021",
    versions = ["1.95.0"],
)
use_repo(rust, "rust_toolchains")

register_toolchains("@rust_toolchains//:all")

crate = use_extension("@rules_rust//crate_universe:extensions.bzl", "crate")
crate.from_cargo(
    name = "crates",
    cargo_lockfile = "//:Cargo.lock",
    manifests = [
{manifests}    ],
)
use_repo(crate, "crates")
"#
    )
}

/// Every Bazel file the workspace should have (`MODULE.bazel` and each member's `BUILD.bazel`),
/// keyed by path relative to `root`.
pub fn expected_build_files(root: &Path) -> anyhow::Result<BTreeMap<PathBuf, String>> {
    let members = members(root)?;
    let mut files: BTreeMap<PathBuf, String> =
        members.iter().map(|member| (member.dir.join("BUILD.bazel"), render(member))).collect();
    files.insert(PathBuf::from("MODULE.bazel"), render_module(&members));
    Ok(files)
}

/// Writes (or, with `check`, compares) every member's `BUILD.bazel`.
pub fn run(root: &Path, check: bool) -> anyhow::Result<()> {
    let expected = expected_build_files(root)?;
    let mut stale = Vec::new();
    for (path, contents) in &expected {
        let full = root.join(path);
        let current = std::fs::read_to_string(&full).unwrap_or_default();
        if current != *contents {
            if check {
                stale.push(path.display().to_string());
            } else {
                std::fs::write(&full, contents)
                    .with_context(|| format!("writing {}", full.display()))?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    if !stale.is_empty() {
        bail!(
            "BUILD.bazel files out of step with Cargo.toml: {}. Run `cargo xtask bazel` to regenerate.",
            stale.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }

    #[test]
    fn every_member_has_a_build_file_matching_its_manifest() {
        let root = workspace_root();
        let expected = expected_build_files(&root).unwrap();
        assert!(expected.len() >= 5, "expected every workspace member, got {:?}", expected.keys());
        for (path, contents) in &expected {
            let current = std::fs::read_to_string(root.join(path)).unwrap_or_else(|err| {
                panic!("{} is missing ({err}); run `cargo xtask bazel`", path.display())
            });
            assert!(
                current == *contents,
                "{} does not match its Cargo.toml; run `cargo xtask bazel`",
                path.display()
            );
        }
    }

    #[test]
    fn rendered_file_names_crate_and_every_dependency() {
        let root = workspace_root();
        let members = members(&root).unwrap();
        let protocol = members.iter().find(|m| m.package == "codex-app-server-protocol").unwrap();
        let text = render(protocol);
        assert!(text.contains("crate_name = \"codex_app_server_protocol\""));
        assert!(text.contains("\"@crates//:serde\""));
        let cli = members.iter().find(|m| m.package == "codex-cli").unwrap();
        let text = render(cli);
        assert!(text.contains("name = \"codex\""));
        assert!(text.contains("\"//crates/app-server:codex_app_server\""));
    }
}
