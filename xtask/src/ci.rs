//! `cargo xtask ci`: every check the project runs, in the order CI runs them. This is the README's
//! test command and what `.ci/run` calls, so a green local run means a green CI run.
//!
//! Steps: formatting, the build, every test (which include the schema golden test, the reference
//! compatibility test and the Bazel manifest test), every test again with kernel sandboxing
//! simulated as unavailable, clippy with warnings denied, and buildifier
//! over the `BUILD.bazel` files (installed from the npm package `@bazel/buildifier` on first use).

use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::bail;
use anyhow::Context;

/// `codex_sandbox::SIMULATE_UNSUPPORTED_ENV` (xtask does not depend on the workspace crates).
const SIMULATE_UNSUPPORTED_ENV: &str = "CODEX_SANDBOX_SIMULATE_UNSUPPORTED";

/// The buildifier release CI pins (the npm package ships the binaries).
const BUILDIFIER_VERSION: &str = "8.2.1";

fn run_step(name: &str, command: &mut Command) -> anyhow::Result<()> {
    eprintln!("==> {name}: {command:?}");
    let started = Instant::now();
    let status = command.status().with_context(|| format!("starting {name}"))?;
    eprintln!("<== {name}: {status} in {:.1}s", started.elapsed().as_secs_f64());
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

fn cargo(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(root).args(args);
    command
}

/// Installs buildifier under `target/buildifier` unless it is already there; returns its path.
fn buildifier(root: &Path) -> anyhow::Result<PathBuf> {
    let prefix = root.join("target").join("buildifier");
    let package = prefix.join("node_modules").join("@bazel").join("buildifier");
    let binary = package.join(match std::env::consts::ARCH {
        "aarch64" => "buildifier-linux_arm64",
        _ => "buildifier-linux_amd64",
    });
    if !binary.exists() {
        std::fs::create_dir_all(&prefix)?;
        run_step(
            "install buildifier",
            Command::new("npm").current_dir(&prefix).args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                ".",
                &format!("@bazel/buildifier@{BUILDIFIER_VERSION}"),
            ]),
        )?;
    }
    if !binary.exists() {
        bail!("buildifier was not installed at {}", binary.display());
    }
    Ok(binary)
}

fn bazel_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = vec![root.join("BUILD.bazel")];
    files.extend(crate::bazel::expected_build_files(root)?.into_keys().map(|path| root.join(path)));
    Ok(files)
}

/// Runs every check; fails on the first one that fails.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    run_step("rustfmt", &mut cargo(root, &["fmt", "--all", "--check"]))?;
    run_step("build", &mut cargo(root, &["build", "--workspace", "--all-targets", "--locked"]))?;
    run_step("test", &mut cargo(root, &["test", "--workspace", "--locked", "--no-fail-fast"]))?;
    // Again as on a kernel without Landlock and seccomp: sandbox-dependent tests must skip by
    // name, everything else must pass, and nothing may run unsandboxed.
    let mut without_sandbox = cargo(root, &["test", "--workspace", "--locked", "--no-fail-fast"]);
    without_sandbox.env(SIMULATE_UNSUPPORTED_ENV, "1");
    run_step("test without kernel sandboxing", &mut without_sandbox)?;
    run_step(
        "clippy",
        &mut cargo(
            root,
            &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"],
        ),
    )?;
    let buildifier = buildifier(root)?;
    let mut lint = Command::new(buildifier);
    lint.current_dir(root).args(["--mode=check", "--lint=warn"]).args(bazel_files(root)?);
    run_step("buildifier", &mut lint)?;
    eprintln!("all checks passed in {:.0}s", started.elapsed().as_secs_f64());
    Ok(())
}
