#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Per-turn request cost for a thread with 200 history items and 30 KB of AGENTS.md, measured in
//! one run:
//!
//! 1. Build: what a turn does before it samples (`record_context` + `build_request` in
//!    `engine/turn.rs`): `context_update` (reads the root and nested AGENTS.md from disk, renders
//!    the permissions and environment context) and assembling the `ModelRequest` (base
//!    instructions, the history cloned, the `AgentTools` tools, reasoning, verbosity, headers).
//!    Two cases: the first turn (nothing sent yet, so all context is sent) and a steady-state turn
//!    (the first turn's context already sent, nothing re-sent).
//! 2. Serialise: that request turned into the Responses API body bytes
//!    (`responses_request_body` then `serde_json::to_vec`).
//!
//! Medians and p90 over 300 interleaved iterations after 30 warm-ups; the ratio is build over
//! serialise. Persisting the new history items and the thread settings is not included.
//!
//! Run: `cargo bench -p codex-agent --bench turn_context`. On the 2-core dev box (release,
//! shared, load ~3): build 86 us median (p90 104) on the first turn and 66 us (p90 79) in steady
//! state; serialise 431 us (p90 496) for the 299 KB first-turn body and 406 us (p90 477) for the
//! 265 KB steady-state body; build/serialise 0.20 and 0.16.

use std::hint::black_box;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::Instant;

use codex_agent::config::AgentSettings;
use codex_agent::context::context_update;
use codex_agent::context::model_info;
use codex_agent::context::EnvironmentContext;
use codex_agent::context::ProjectDocOptions;
use codex_agent::context::SentContext;
use codex_agent::context::TurnContextInputs;
use codex_agent::context::BASE_INSTRUCTIONS;
use codex_agent::engine::request::reasoning_options;
use codex_agent::engine::request::verbosity;
use codex_agent::engine::request::TurnOrigin;
use codex_agent::engine::tools::ToolRouter;
use codex_agent::engine::ThreadSettings;
use codex_agent::tools::AgentTools;
use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_model_client::InputItem;
use codex_model_client::ModelRequest;

const HISTORY_ITEMS: usize = 200;
const ROOT_AGENTS_MD_BYTES: usize = 20 * 1024;
const NESTED_AGENTS_MD_BYTES: usize = 10 * 1024;
const PROJECT_DOC_MAX_BYTES: usize = 32 * 1024;
const WARMUP: usize = 30;
const ITERATIONS: usize = 300;
const MODEL: &str = "gpt-5";
const THREAD_ID: &str = "0199a7c2-5b1e-7d40-9c3a-6f2e8d1b4a57";

/// The repository, `$CODEX_HOME` and thread state a turn reads.
struct Fixture {
    _repo: tempfile::TempDir,
    home: tempfile::TempDir,
    cwd: PathBuf,
    settings: ThreadSettings,
    config: AgentSettings,
    project_docs: ProjectDocOptions,
    tools: AgentTools,
    origin: TurnOrigin,
    history: Vec<InputItem>,
}

/// Markdown of about `bytes` bytes that reads like a project's agent instructions.
fn agents_md(title: &str, bytes: usize) -> String {
    let mut text = format!("# {title}\n\n");
    let mut section = 0;
    while text.len() < bytes {
        section += 1;
        text.push_str(&format!(
            "## Section {section}: conventions for `crates/part-{section}`\n\n"
        ));
        for rule in 0..6 {
            text.push_str(&format!(
                "- Rule {section}.{rule}: run `cargo test -p codex-part-{section}` after changing \
                 `src/module_{rule}.rs`; keep functions under 60 lines, name errors after what \
                 failed, and never `unwrap()` outside tests.\n"
            ));
        }
        text.push_str(
            "\n```sh\njust fmt && cargo clippy --all-targets -- -D warnings\n```\n\n\
             Prefer small commits with a message that says *why*; \"fix\" alone is not enough.\n\n",
        );
    }
    text.truncate(bytes);
    text
}

/// Shell-like output of `bytes` bytes (newlines, quotes and tabs to escape, like real output).
fn tool_output(seed: usize, bytes: usize) -> String {
    let mut text = String::from("Exit code: 0\nWall time: 0.4 seconds\nOutput:\n");
    let mut line = 0;
    while text.len() < bytes {
        line += 1;
        text.push_str(&format!(
            "crates/agent/src/engine/turn.rs:{}:\tlet value = map.get(\"key_{seed}_{line}\")?; // {}\n",
            100 + line,
            "checked".repeat(1 + (seed + line) % 4)
        ));
    }
    text.truncate(bytes);
    text
}

/// An earlier reasoning item with ~1 KB of encrypted content.
fn reasoning(turn: usize, step: usize) -> InputItem {
    InputItem::Reasoning {
        id: Some(format!("rs_{turn:03}_{step}")),
        summary: vec![format!(
            "**Locating the cursor code** I'll search for where the list cursor is encoded and \
             check how ties on updated_at are broken (turn {turn}, step {step})."
        )],
        encrypted_content: Some(
            format!("gAAAAABo{turn:03}{step}")
                .chars()
                .chain("Zx9_kQ2-vR7mW4pL1sT8yB3nC6hJ0fD5aE".chars().cycle())
                .take(1024)
                .collect(),
        ),
    }
}

/// 200 items shaped like a real thread: 20 turns of 10 items, each a user message, shell calls
/// with their outputs (1–4 KB) and an assistant answer (~500 B); every fourth turn reasons
/// before its calls and before its answer (in place of one call and its output).
fn history(cwd: &Path) -> Vec<InputItem> {
    let mut items = Vec::with_capacity(HISTORY_ITEMS);
    for turn in 0..HISTORY_ITEMS / 10 {
        let reasons = turn % 4 == 0;
        items.push(InputItem::user(format!(
            "Turn {turn}: the `thread/list` pagination skips a row when two threads share an \
             updated_at. Find where the cursor is built, fix it, and add a test that covers ties."
        )));
        if reasons {
            items.push(reasoning(turn, 0));
        }
        for call in 0..if reasons { 3 } else { 4 } {
            let call_id = format!("call_{turn:03}_{call}");
            let arguments = serde_json::json!({
                "command": [
                    "bash",
                    "-lc",
                    format!("rg -n 'cursor|updated_at' crates/state/src --glob '*.rs' | head -{}", 40 + call),
                ],
                "workdir": cwd.display().to_string(),
                "timeout_ms": 10_000,
            })
            .to_string();
            let seed = turn * 4 + call;
            let output = tool_output(seed, 1024 + (seed * 733) % 3072);
            items.push(InputItem::function_call(call_id.clone(), "shell", arguments));
            items.push(InputItem::function_call_output(call_id, output));
        }
        if reasons {
            items.push(reasoning(turn, 1));
        }
        let answer = format!(
            "Turn {turn}: the cursor encoded only `updated_at`, so rows with equal timestamps \
             collapsed into one page boundary. "
        );
        items.push(InputItem::assistant(answer.repeat(500 / answer.len() + 1)));
    }
    assert_eq!(items.len(), HISTORY_ITEMS);
    items
}

fn fixture() -> Fixture {
    let repo = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let cwd = repo.path().join("sub").join("dir");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    std::fs::write(
        repo.path().join("AGENTS.md"),
        agents_md("Repository instructions", ROOT_AGENTS_MD_BYTES),
    )
    .unwrap();
    std::fs::write(
        cwd.join("AGENTS.md"),
        agents_md("sub/dir instructions", NESTED_AGENTS_MD_BYTES),
    )
    .unwrap();
    let sandbox = SandboxPolicy::WorkspaceWrite {
        exclude_slash_tmp: None,
        exclude_tmpdir_env_var: None,
        network_access: Some(false),
        writable_roots: Vec::new(),
    };
    let settings = ThreadSettings {
        approval_policy: AskForApproval::OnRequest,
        sandbox,
        base_instructions: Some(BASE_INSTRUCTIONS.to_owned()),
        developer_instructions: None,
        reasoning_effort: None,
        reasoning_summary: None,
        approvals_reviewer: None,
        permission_profile: None,
        collaboration_mode: None,
        sent_context: SentContext::default(),
    };
    let config =
        AgentSettings { project_doc_max_bytes: PROJECT_DOC_MAX_BYTES, ..Default::default() };
    let project_docs = ProjectDocOptions {
        markers: config.project_root_markers.clone(),
        fallback_filenames: config.project_doc_fallback_filenames.clone(),
        max_bytes: config.project_doc_max_bytes,
    };
    let tools = AgentTools::load(home.path());
    let history = history(&cwd);
    Fixture {
        _repo: repo,
        home,
        cwd,
        settings,
        config,
        project_docs,
        tools,
        origin: TurnOrigin::default(),
        history,
    }
}

/// One turn's `record_context` + `build_request`: the request and the context now sent.
fn build_turn(fixture: &Fixture, previous: &SentContext) -> (ModelRequest, SentContext) {
    let settings = &fixture.settings;
    let inputs = TurnContextInputs {
        cwd: &fixture.cwd,
        codex_home: fixture.home.path(),
        sandbox: &settings.sandbox,
        approval: &settings.approval_policy,
        developer_instructions: settings.developer_instructions.as_deref(),
        project_docs: &fixture.project_docs,
        environment: EnvironmentContext::new(&fixture.cwd, &settings.sandbox),
    };
    let update = context_update(&inputs, previous).expect("context builds");

    let info = model_info(MODEL);
    let instructions =
        settings.base_instructions.clone().unwrap_or_else(|| BASE_INSTRUCTIONS.to_owned());
    let mut request = ModelRequest::new(MODEL, instructions);
    let mut input = Vec::with_capacity(fixture.history.len() + update.items.len());
    input.extend(fixture.history.iter().cloned());
    input.extend(update.items);
    request.input = input;
    request.tools = fixture.tools.tools();
    request.parallel_tool_calls = true;
    request.reasoning = reasoning_options(&info, settings, &fixture.config);
    request.verbosity = verbosity(&info, &fixture.config);
    request.prompt_cache_key = Some(THREAD_ID.to_owned());
    request.headers = vec![
        ("session-id".to_owned(), THREAD_ID.to_owned()),
        ("thread-id".to_owned(), THREAD_ID.to_owned()),
        ("originator".to_owned(), fixture.origin.originator.clone()),
        ("user-agent".to_owned(), fixture.origin.user_agent.clone()),
    ];
    (request, update.sent)
}

/// The Responses API body bytes of `request`, timing the JSON value and the bytes separately.
fn serialise(request: &ModelRequest) -> (Vec<u8>, Duration, Duration) {
    let start = Instant::now();
    let body = codex_model_client::responses_request_body(request);
    let valued = Instant::now();
    let bytes = serde_json::to_vec(&body).unwrap();
    let done = Instant::now();
    (bytes, valued - start, done - valued)
}

fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = black_box(work());
    (out, start.elapsed())
}

/// Median and p90 of the samples.
fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn main() {
    let fixture = fixture();

    let (first_request, first_sent) = build_turn(&fixture, &SentContext::default());
    let (steady_request, steady_sent) = build_turn(&fixture, &first_sent);
    let first = context_update(
        &TurnContextInputs {
            cwd: &fixture.cwd,
            codex_home: fixture.home.path(),
            sandbox: &fixture.settings.sandbox,
            approval: &fixture.settings.approval_policy,
            developer_instructions: None,
            project_docs: &fixture.project_docs,
            environment: EnvironmentContext::new(&fixture.cwd, &fixture.settings.sandbox),
        },
        &SentContext::default(),
    )
    .unwrap();
    assert_eq!(first.instruction_sources.len(), 2, "root and nested AGENTS.md are read");
    assert!(!first.agents_md_truncated, "all of the AGENTS.md text fits the budget");
    let agents_md_bytes = first_sent.agents_md.as_ref().map_or(0, String::len);
    assert_eq!(first_request.input.len(), HISTORY_ITEMS + 2, "developer + contextual user message");
    assert_eq!(steady_request.input.len(), HISTORY_ITEMS, "nothing re-sent");
    assert_eq!(steady_sent, first_sent);
    let history_bytes: usize =
        fixture.history.iter().map(|item| serde_json::to_vec(item).unwrap().len()).sum();

    let mut build_first = Vec::with_capacity(ITERATIONS);
    let mut build_steady = Vec::with_capacity(ITERATIONS);
    let mut ser_first = Vec::with_capacity(ITERATIONS);
    let mut ser_steady = Vec::with_capacity(ITERATIONS);
    let mut value_steady = Vec::with_capacity(ITERATIONS);
    let mut bytes_steady = Vec::with_capacity(ITERATIONS);
    let (mut first_body, mut steady_body) = (0, 0);
    for round in 0..WARMUP + ITERATIONS {
        let (request, elapsed_first) = timed(|| build_turn(&fixture, &SentContext::default()));
        drop(request);
        let (request, elapsed_steady) = timed(|| build_turn(&fixture, &first_sent));
        drop(request);
        let (first_bytes, first_value, first_to_vec) = black_box(serialise(&first_request));
        let (steady_bytes, steady_value, steady_to_vec) = black_box(serialise(&steady_request));
        first_body = first_bytes.len();
        steady_body = steady_bytes.len();
        if round >= WARMUP {
            build_first.push(elapsed_first);
            build_steady.push(elapsed_steady);
            ser_first.push(first_value + first_to_vec);
            ser_steady.push(steady_value + steady_to_vec);
            value_steady.push(steady_value);
            bytes_steady.push(steady_to_vec);
        }
    }

    let (build_first, build_first_p90) = stats(build_first);
    let (build_steady, build_steady_p90) = stats(build_steady);
    let (ser_first, ser_first_p90) = stats(ser_first);
    let (ser_steady, ser_steady_p90) = stats(ser_steady);
    let (value_steady, _) = stats(value_steady);
    let (bytes_steady, _) = stats(bytes_steady);

    println!(
        "fixture: {HISTORY_ITEMS} history items ({history_bytes} B as JSON), AGENTS.md block \
         {agents_md_bytes} B from 2 files, {} tools; {ITERATIONS} iterations after {WARMUP} warm-up",
        first_request.tools.len()
    );
    println!(
        "build, first turn:         median {:>8.1} us   p90 {:>8.1} us",
        micros(build_first),
        micros(build_first_p90)
    );
    println!(
        "build, steady state:       median {:>8.1} us   p90 {:>8.1} us",
        micros(build_steady),
        micros(build_steady_p90)
    );
    println!(
        "serialise, first turn:     median {:>8.1} us   p90 {:>8.1} us   body {first_body} B",
        micros(ser_first),
        micros(ser_first_p90)
    );
    println!(
        "serialise, steady state:   median {:>8.1} us   p90 {:>8.1} us   body {steady_body} B \
         (value {:.1} us + to_vec {:.1} us)",
        micros(ser_steady),
        micros(ser_steady_p90),
        micros(value_steady),
        micros(bytes_steady)
    );
    println!(
        "ratio build/serialise:     first turn {:.2}, steady state {:.2}",
        build_first.as_secs_f64() / ser_first.as_secs_f64(),
        build_steady.as_secs_f64() / ser_steady.as_secs_f64()
    );
}
