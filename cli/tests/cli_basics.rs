//! The `codex` binary's own surface: `--version`, `--help`, the schema generators, and clear
//! refusals of bad flags.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn codex() -> Command {
    Command::new(env!("CARGO_BIN_EXE_codex"))
}

#[test]
fn version_and_help_describe_the_server() {
    let version = codex().arg("--version").output().unwrap();
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));

    let help = codex().args(["app-server", "--help"]).output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--listen",
        "--ws-auth",
        "--ws-token-file",
        "--ws-shared-secret-file",
        "--config",
        "--enable",
        "--disable",
        "proxy",
        "generate-json-schema",
        "generate-ts",
        "CODEX_HOME",
    ] {
        assert!(text.contains(flag), "`codex app-server --help` should mention {flag}:\n{text}");
    }
}

#[test]
fn generate_json_schema_writes_the_same_files_as_the_checked_in_schema() {
    let out = tempfile::tempdir().unwrap();
    let status = codex()
        .args(["app-server", "generate-json-schema", "--experimental", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let checked_in = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/json");
    for name in [
        "ClientRequest.json",
        "ServerNotification.json",
        "codex_app_server_protocol.v2.schemas.json",
        "v2/ThreadStartParams.json",
    ] {
        let generated = std::fs::read_to_string(out.path().join(name))
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        let expected = std::fs::read_to_string(checked_in.join(name)).unwrap();
        assert_eq!(generated, expected, "{name} differs from schema/json");
    }
    // Without --experimental the experimental methods are left out.
    let stable = tempfile::tempdir().unwrap();
    assert!(codex()
        .args(["app-server", "generate-json-schema", "--out"])
        .arg(stable.path())
        .status()
        .unwrap()
        .success());
    let requests = std::fs::read_to_string(stable.path().join("ClientRequest.json")).unwrap();
    assert!(!requests.contains("remoteControl/enable"));
    assert!(requests.contains("thread/start"));

    let ts = tempfile::tempdir().unwrap();
    assert!(codex()
        .args(["app-server", "generate-ts", "--out"])
        .arg(ts.path())
        .status()
        .unwrap()
        .success());
    assert!(ts.path().join("index.ts").is_file());
}

#[test]
fn bad_flags_get_a_clear_message_and_nonzero_exit() {
    let home = tempfile::tempdir().unwrap();
    let bad_override = codex()
        .env("CODEX_HOME", home.path())
        .args(["app-server", "-c", "no-equals-sign"])
        .output()
        .unwrap();
    assert!(!bad_override.status.success());
    assert!(
        String::from_utf8_lossy(&bad_override.stderr).contains("key=value"),
        "{}",
        String::from_utf8_lossy(&bad_override.stderr)
    );

    std::fs::write(home.path().join("config.toml"), "sandbox_mode = \"everything\"\n").unwrap();
    // Without --strict-config the server would serve with defaults (app_server_config_recovery.rs).
    let bad_config = codex()
        .env("CODEX_HOME", home.path())
        .args(["app-server", "--strict-config"])
        .output()
        .unwrap();
    assert!(!bad_config.status.success(), "a malformed config refuses to start");
    let stderr = String::from_utf8_lossy(&bad_config.stderr);
    assert!(
        stderr.contains("config.toml")
            && stderr.contains("line 1")
            && stderr.contains("sandbox_mode"),
        "{stderr}"
    );
}
