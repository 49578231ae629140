//! `codex exec` with the reference's flags, through the built binary against a `MockProvider`:
//! the git-repository check and `--skip-git-repo-check`, `--full-auto`, `--yolo`, `--image`,
//! `--color`, `--profile`, `--add-dir`, `--ignore-user-config`, `--ignore-rules`, `--oss` /
//! `--local-provider`, `resume --last --all`, and the reference flags this server refuses with a
//! message of its own. What each flag changes is read from the model request it produces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

struct Setup {
    home: tempfile::TempDir,
    /// A git repository (it holds `.git`).
    repo: tempfile::TempDir,
    mock: MockProvider,
}

async fn setup() -> Setup {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock, "");
    Setup { home, repo, mock }
}

/// config.toml pointing at `mock` (Responses API), with `extra` appended.
fn write_config(home: &Path, mock: &MockProvider, extra: &str) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n{extra}\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

impl Setup {
    /// Runs `codex exec ARGS` in `dir`; waits for it to exit.
    async fn exec_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut command = common::codex(self.home.path());
        command.current_dir(dir).arg("exec").args(args);
        let mut child = command.spawn().unwrap();
        child.stdin.take().unwrap().shutdown().await.unwrap();
        tokio::time::timeout(common::WAIT, child.wait_with_output()).await.unwrap().unwrap()
    }

    /// Runs `codex exec ARGS` in the repository.
    async fn exec(&self, args: &[&str]) -> Output {
        self.exec_in(self.repo.path(), args).await
    }

    /// The body of the last model request.
    fn last_body(&self) -> String {
        self.mock.model_requests().last().expect("a model request").raw_body.clone()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_ok(output: &Output) {
    assert!(output.status.success(), "exit {:?}: {}", output.status, text(&output.stderr));
}

/// The `--json` events of `output`.
fn events(output: &Output) -> Vec<Value> {
    text(&output.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_a_git_repository_exec_refuses_unless_skip_git_repo_check() {
    let setup = setup().await;
    let plain = tempfile::tempdir().unwrap();
    let refused = setup.exec_in(plain.path(), &["say hi"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("--skip-git-repo-check"), "{stderr}");
    assert!(stderr.contains(&plain.path().display().to_string()), "{stderr}");
    // `--cd` into a non-repository from inside one is refused too.
    let plain_dir = plain.path().to_str().unwrap();
    let refused = setup.exec(&["--json", "-C", plain_dir, "say hi"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(events(&refused)[0]["type"], "error", "{}", text(&refused.stdout));
    assert_eq!(setup.mock.model_requests().len(), 0, "refused before any model call");

    setup.mock.push(Script::text("anywhere"));
    let skipped = setup.exec_in(plain.path(), &["--skip-git-repo-check", "say hi"]).await;
    assert_ok(&skipped);
    assert_eq!(text(&skipped.stdout), "anywhere\n");

    // Any directory below the repository's root is inside it.
    let nested = setup.repo.path().join("src/deep");
    std::fs::create_dir_all(&nested).unwrap();
    setup.mock.push(Script::text("nested"));
    let inside = setup.exec_in(&nested, &["say hi"]).await;
    assert_ok(&inside);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_auto_is_workspace_write_on_request_and_yolo_is_full_access_never() {
    let setup = setup().await;
    setup.mock.push(Script::text("auto"));
    assert_ok(&setup.exec(&["--full-auto", "go"]).await);
    let body = setup.last_body();
    assert!(body.contains("Filesystem sandbox: `workspace-write`"), "{body}");
    assert!(body.contains("Approval policy: `on-request`"), "{body}");

    for flag in ["--dangerously-bypass-approvals-and-sandbox", "--yolo"] {
        setup.mock.push(Script::text("yolo"));
        assert_ok(&setup.exec(&[flag, "go"]).await);
        let body = setup.last_body();
        assert!(body.contains("Filesystem sandbox: `danger-full-access`"), "{flag}: {body}");
        assert!(body.contains("Approval policy: `never`"), "{flag}: {body}");
    }

    // Contradictions are usage errors.
    for args in [&["--full-auto", "--yolo", "go"][..], &["--full-auto", "-s", "read-only", "go"]] {
        let output = setup.exec(args).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output.stderr));
    }
    assert_eq!(setup.mock.model_requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalations_under_full_auto_are_declined_because_nobody_answers() {
    let setup = setup().await;
    let marker = setup.repo.path().join("marker");
    setup.mock.push(Script::function_call(
        "call-escalate",
        "shell",
        json!({
            "command": ["touch", marker.to_str().unwrap()],
            "sandbox_permissions": "require_escalated",
            "justification": "create the marker",
        }),
    ));
    setup.mock.push(Script::text("could not"));
    let output = setup.exec(&["--full-auto", "--json", "make the marker"]).await;
    assert_ok(&output);
    let answered: Vec<Value> =
        events(&output).into_iter().filter(|event| event["type"] == "approval.answered").collect();
    assert_eq!(answered.len(), 1, "{}", text(&output.stdout));
    assert_eq!(answered[0]["decision"], "decline");
    assert!(!marker.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_are_attached_before_the_prompt_and_missing_ones_are_refused() {
    let setup = setup().await;
    let png = setup.repo.path().join("shot.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest-of-the-image").unwrap();
    let gif = setup.repo.path().join("anim.gif");
    std::fs::write(&gif, b"GIF89a-and-more").unwrap();
    setup.mock.push(Script::text("I see it"));
    let output = setup.exec(&["-i", "shot.png,anim.gif", "describe the picture"]).await;
    assert_ok(&output);
    let body = setup.last_body();
    let png_at = body.find("data:image/png;base64,iVBORw0KGg").expect(&body);
    let gif_at = body.find("data:image/gif;base64,").expect(&body);
    let prompt_at = body.find("describe the picture").expect(&body);
    assert!(png_at < gif_at && gif_at < prompt_at, "images first, in order: {body}");

    let output = setup.exec(&["--image", "missing.png", "describe"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("--image missing.png"), "{}", text(&output.stderr));
    assert_eq!(setup.mock.model_requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn color_always_colours_progress_even_off_a_terminal() {
    let setup = setup().await;
    setup.mock.push(Script::text("plain"));
    let never = setup.exec(&["--color", "never", "hi"]).await;
    assert_ok(&never);
    assert!(!text(&never.stderr).contains('\x1b'));
    setup.mock.push(Script::text("coloured"));
    let always = setup.exec(&["--color", "always", "hi"]).await;
    assert_ok(&always);
    assert!(text(&always.stderr).contains('\x1b'), "{:?}", text(&always.stderr));
    assert_eq!(text(&always.stdout), "coloured\n", "the answer itself is never coloured");
    let bad = setup.exec(&["--color", "sometimes", "hi"]).await;
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_override_the_top_level_from_config_toml_or_their_own_file() {
    let setup = setup().await;
    write_config(
        setup.home.path(),
        &setup.mock,
        "developer_instructions = \"TOP-LEVEL\"\n\n[profiles.fast]\nmodel = \"fast-model\"\n",
    );
    std::fs::write(
        setup.home.path().join("deep.config.toml"),
        "model = \"deep-model\"\ndeveloper_instructions = \"FROM-PROFILE-FILE\"\n",
    )
    .unwrap();

    setup.mock.push(Script::text("top"));
    assert_ok(&setup.exec(&["hi"]).await);
    let body: Value = serde_json::from_str(&setup.last_body()).unwrap();
    assert_eq!(body["model"], "mock-model");

    setup.mock.push(Script::text("fast"));
    assert_ok(&setup.exec(&["-p", "fast", "hi"]).await);
    let body = setup.last_body();
    let parsed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed["model"], "fast-model");
    assert!(body.contains("TOP-LEVEL"), "keys the profile leaves alone stay: {body}");

    setup.mock.push(Script::text("deep"));
    assert_ok(&setup.exec(&["--profile", "deep", "hi"]).await);
    let body = setup.last_body();
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["model"], "deep-model");
    assert!(body.contains("FROM-PROFILE-FILE") && !body.contains("TOP-LEVEL"), "{body}");

    let unknown = setup.exec(&["-p", "nope", "hi"]).await;
    assert_eq!(unknown.status.code(), Some(1));
    let stderr = text(&unknown.stderr);
    assert!(stderr.contains("profile `nope`") && stderr.contains("[profiles.nope]"), "{stderr}");
    assert_eq!(setup.mock.model_requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_dir_extends_a_workspace_write_sandbox_and_is_ignored_otherwise() {
    let setup = setup().await;
    let extra = tempfile::tempdir().unwrap();
    let extra_dir = extra.path().to_str().unwrap();
    setup.mock.push(Script::text("wider"));
    let output = setup.exec(&["--full-auto", "--add-dir", extra_dir, "go"]).await;
    assert_ok(&output);
    let body = setup.last_body();
    assert!(body.contains(&format!("- `{extra_dir}`")), "the writable roots list it: {body}");

    setup.mock.push(Script::text("read-only"));
    let output = setup.exec(&["-s", "read-only", "--add-dir", extra_dir, "go"]).await;
    assert_ok(&output);
    assert!(text(&output.stderr).contains("--add-dir is ignored"), "{}", text(&output.stderr));
    assert!(!setup.last_body().contains(extra_dir));

    let output = setup.exec(&["--full-auto", "--add-dir", "/no/such/dir", "go"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("--add-dir /no/such/dir"), "{}", text(&output.stderr));
    assert_eq!(setup.mock.model_requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_user_config_leaves_config_toml_unread() {
    let setup = setup().await;
    write_config(setup.home.path(), &setup.mock, "developer_instructions = \"FROM-THE-FILE\"\n");
    setup.mock.push(Script::text("with"));
    assert_ok(&setup.exec(&["hi"]).await);
    assert!(setup.last_body().contains("FROM-THE-FILE"));

    // Without the file the provider must come from the command line.
    let provider = format!(
        "model_providers.cli={{name=\"cli\", base_url=\"{}\", wire_api=\"responses\", \
         request_max_retries=0}}",
        setup.mock.base_url()
    );
    setup.mock.push(Script::text("without"));
    let output = setup
        .exec(&[
            "--ignore-user-config",
            "-c",
            &provider,
            "-c",
            "model_provider=cli",
            "-m",
            "cli-model",
            "hi",
        ])
        .await;
    assert_ok(&output);
    let body = setup.last_body();
    assert!(!body.contains("FROM-THE-FILE"), "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["model"], "cli-model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_rules_asks_again_for_commands_a_stored_rule_allows() {
    let setup = setup().await;
    std::fs::create_dir(setup.home.path().join("rules")).unwrap();
    std::fs::write(
        setup.home.path().join("rules/default.rules"),
        "prefix_rule(pattern=[\"touch\"], decision=\"allow\")\n",
    )
    .unwrap();
    let call =
        || Script::function_call("call-touch", "shell", json!({"command": ["touch", "ruled"]}));
    let run = async |extra: &[&str]| {
        setup.mock.push(call());
        setup.mock.push(Script::text("done"));
        let mut args = vec!["--json", "-a", "untrusted", "-s", "danger-full-access"];
        args.extend_from_slice(extra);
        args.push("touch something");
        let output = setup.exec(&args).await;
        assert_ok(&output);
        events(&output).into_iter().filter(|event| event["type"] == "approval.answered").count()
    };
    assert_eq!(run(&[]).await, 0, "the stored rule lets `touch` run without asking");
    assert_eq!(run(&["--ignore-rules"]).await, 1, "without the rules `touch` needs an approval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oss_uses_the_local_provider() {
    let setup = setup().await;
    let local = MockProvider::start().await;
    // The configured provider is a mock that must not be called; `ollama` is pointed at the
    // local mock (the built-in one's URL is 127.0.0.1:11434).
    write_config(
        setup.home.path(),
        &setup.mock,
        &format!(
            "{}\n{}",
            local.provider_toml("ollama", WireFormat::Chat),
            local.provider_toml("lmlocal", WireFormat::Chat)
        ),
    );
    local.push(Script::text("from ollama"));
    let output = setup.exec(&["--oss", "hi"]).await;
    assert_ok(&output);
    assert_eq!(text(&output.stdout), "from ollama\n");
    let requests = local.model_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].wire, Some(WireFormat::Chat));
    assert_eq!(requests[0].model(), Some("llama3.2"), "ollama's default, not the configured model");

    local.push(Script::text("from lmlocal"));
    let output = setup.exec(&["--oss", "--local-provider", "lmlocal", "-m", "qwen", "hi"]).await;
    assert_ok(&output);
    assert_eq!(local.model_requests()[1].model(), Some("qwen"));
    assert_eq!(setup.mock.model_requests().len(), 0);

    let output = setup.exec(&["--local-provider", "lmlocal", "hi"]).await;
    assert_eq!(output.status.code(), Some(2), "--local-provider needs --oss");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_last_all_looks_beyond_the_working_directory() {
    let setup = setup().await;
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir(other.path().join(".git")).unwrap();
    setup.mock.push(Script::text("first"));
    let first = setup.exec_in(other.path(), &["--json", "first"]).await;
    assert_ok(&first);
    let thread = events(&first)[0]["thread_id"].as_str().unwrap().to_owned();

    let here = setup.exec(&["resume", "--last", "again"]).await;
    assert_eq!(here.status.code(), Some(1), "none in this directory");
    setup.mock.push(Script::text("second"));
    let anywhere = setup.exec(&["resume", "--last", "--all", "--json", "again"]).await;
    assert_ok(&anywhere);
    assert_eq!(events(&anywhere)[0]["thread_id"], thread.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_flags_this_server_lacks_are_refused_by_name() {
    let setup = setup().await;
    for args in [
        &["--worktree", "hi"][..],
        &["--approve-for-me", "hi"],
        &["--trust", "hi"],
        &["--dangerously-bypass-hook-trust", "hi"],
        &["--thread-source", "x", "hi"],
        &["--cyber-access-program", "standard", "hi"],
        &["fork", "0199a213-81c0-7800-8aa1-bbab2a035a53", "hi"],
        &["review", "--uncommitted"],
    ] {
        let output = setup.exec(args).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("is not supported by this server"), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "the message names it: {args:?}: {stderr}");
    }
    assert_eq!(setup.mock.model_requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_config_fails_the_run_naming_file_and_line_with_or_without_strict_config() {
    let setup = setup().await;
    let file = setup.home.path().join("config.toml");
    std::fs::write(&file, "model = \"m\"\nmodel_provider = = \"mock\"\n").unwrap();
    let where_ = format!("{}:2:", file.display());
    let output = setup.exec(&["--json", "hi"]).await;
    assert_eq!(output.status.code(), Some(1));
    let events = events(&output);
    let error = events.last().unwrap();
    assert_eq!(error["type"], "error", "{events:?}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("thread/start refused") && message.contains(&where_), "{message}");

    let strict = setup.exec(&["--strict-config", "hi"]).await;
    assert_eq!(strict.status.code(), Some(1));
    let stderr = text(&strict.stderr);
    assert!(stderr.contains(&file.display().to_string()) && stderr.contains("line 2"), "{stderr}");
    assert!(!stderr.contains("thread/start"), "stopped before any thread: {stderr}");
    assert_eq!(setup.mock.model_requests().len(), 0);
}
