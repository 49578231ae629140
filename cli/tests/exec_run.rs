//! `codex exec` end to end: the built binary against a temp CODEX_HOME whose config points at a
//! `MockProvider` in this test process. Answers on stdout and exit codes, prompts from stdin,
//! the `--json` event stream line by line, provider failures, `exec resume --last` carrying the
//! history to the provider, `--output-last-message`, `--ephemeral`, and Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;
use std::process::Stdio;
use std::time::Duration;

use codex_app_server::in_process::InProcessOptions;
use codex_app_server::in_process::InProcessServer;
use codex_app_server_protocol::methods::markers;
use codex_app_server_protocol::ClientInfo;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

struct Setup {
    home: tempfile::TempDir,
    work: tempfile::TempDir,
    mock: MockProvider,
}

async fn setup() -> Setup {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // `codex exec` runs only inside a git repository (see exec_reference_flags.rs).
    std::fs::create_dir(work.path().join(".git")).unwrap();
    let mock = MockProvider::start().await;
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.path().join("config.toml"), text).unwrap();
    Setup { home, work, mock }
}

impl Setup {
    /// Runs `codex exec ARGS` (in the work dir) with `stdin` piped in; waits for it to exit.
    async fn exec(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = common::codex(self.home.path());
        command.current_dir(self.work.path()).arg("exec").args(args);
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        tokio::time::timeout(common::WAIT, child.wait_with_output()).await.unwrap().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `--json` lines, without the kernel-cannot-sandbox `warning` (kernels without Landlock).
fn json_lines(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"))
        })
        .filter(|event: &Value| {
            !(event["type"] == "warning"
                && event["message"].as_str().is_some_and(|message| {
                    message.contains(codex_test_support::SANDBOX_UNAVAILABLE_SUMMARY)
                }))
        })
        .collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|event| event["type"].as_str().unwrap()).collect()
}

/// Stored threads of `codex exec` (source `exec`) and of other clients (`vscode`, or
/// `appServer` for custom servers).
async fn stored_thread_count(home: &Path) -> usize {
    stored_threads_of(home, json!(["exec", "vscode", "appServer"])).await
}

/// Stored threads whose source is one of `kinds`.
async fn stored_threads_of(home: &Path, kinds: serde_json::Value) -> usize {
    let server = InProcessServer::start(InProcessOptions::new(home.to_path_buf())).await.unwrap();
    let mut client = server.connect().await.unwrap();
    client
        .initialize(ClientInfo { name: "check".into(), title: None, version: "1".into() }, None)
        .await
        .unwrap();
    let listed = client
        .request::<markers::ThreadList>(
            serde_json::from_value(json!({"sourceKinds": kinds})).unwrap(),
        )
        .await
        .unwrap();
    client.close().await;
    server.shutdown().await;
    listed.data.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn say_hi_prints_the_answer_on_stdout_and_exits_zero() {
    let setup = setup().await;
    setup.mock.push(Script::text_deltas(["Hi", " there", "!"]));
    let output = setup.exec(&["say hi"], "").await;
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(text(&output.stdout), "Hi there!\n");
    assert!(stderr.contains("started thread"), "{stderr}");
    assert!(stderr.contains("tokens used: 15"), "{stderr}");
    // Not a terminal: no colour.
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    let requests = setup.mock.model_requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].raw_body.contains("say hi"), "{}", requests[0].raw_body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_comes_from_stdin_when_absent_or_dash() {
    let setup = setup().await;
    setup.mock.push(Script::text("one"));
    setup.mock.push(Script::text("two"));
    let absent = setup.exec(&[], "prompt from a pipe\n").await;
    assert!(absent.status.success(), "{}", text(&absent.stderr));
    assert_eq!(text(&absent.stdout), "one\n");
    let dash = setup.exec(&["-"], "prompt after a dash").await;
    assert!(dash.status.success(), "{}", text(&dash.stderr));
    assert_eq!(text(&dash.stdout), "two\n");
    let requests = setup.mock.model_requests();
    assert!(requests[0].raw_body.contains("prompt from a pipe"));
    assert!(requests[1].raw_body.contains("prompt after a dash"));

    // Nothing on stdin and no argument: a clear error, no model call.
    let empty = setup.exec(&[], "").await;
    assert_eq!(empty.status.code(), Some(1));
    assert!(text(&empty.stderr).contains("no prompt"), "{}", text(&empty.stderr));
    assert_eq!(setup.mock.model_requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_prints_the_documented_event_sequence_one_object_per_line() {
    let setup = setup().await;
    setup.mock.push(Script::text_deltas(["Hel", "lo"]));
    let output = setup.exec(&["--json", "say hi"], "").await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let events = json_lines(&output);
    assert_eq!(
        types(&events),
        [
            "thread.started",
            "turn.started",
            "item.started",
            "item.completed",
            "item.started",
            "item.updated",
            "item.updated",
            "item.completed",
            "turn.completed",
        ]
    );
    let thread_id = events[0]["thread_id"].as_str().unwrap();
    assert_eq!(events[0]["resumed"], false);
    let turn_id = events[1]["turn_id"].as_str().unwrap();
    assert!(!thread_id.is_empty() && !turn_id.is_empty());
    assert_eq!(events[2]["item"]["type"], "userMessage");
    assert_eq!(events[3]["item"]["content"][0]["text"], "say hi");
    assert_eq!(events[4]["item"]["type"], "agentMessage");
    let agent_id = &events[4]["item"]["id"];
    for event in &events[5..7] {
        assert_eq!(&event["item_id"], agent_id);
        assert_eq!(event["turn_id"], turn_id);
        assert_eq!(event["delta"]["type"], "agentMessage");
    }
    assert_eq!(events[5]["delta"]["text"], "Hel");
    assert_eq!(events[7]["item"]["text"], "Hello");
    assert_eq!(events[8]["turn_id"], turn_id);
    assert_eq!(events[8]["usage"]["total_tokens"], 15);
    assert!(events[8]["usage"]["input_tokens"].as_i64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_provider_gives_a_non_zero_exit_and_a_readable_error() {
    let setup = setup().await;
    setup.mock.push(Script::status(500, "upstream exploded"));
    let output = setup.exec(&["say hi"], "").await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("turn failed:"), "{stderr}");
    assert!(stderr.contains("500"), "{stderr}");
    assert_eq!(text(&output.stdout), "");

    setup.mock.push(Script::status(401, r#"{"error":{"message":"bad key"}}"#));
    let output = setup.exec(&["--json", "say hi"], "").await;
    assert_eq!(output.status.code(), Some(1));
    let events = json_lines(&output);
    let failed = events.last().unwrap();
    assert_eq!(failed["type"], "turn.failed", "{events:?}");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["kind"], "unauthorized");
    assert!(failed["error"]["message"].as_str().unwrap().contains("401"), "{failed}");
    assert!(types(&events).contains(&"error"), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_last_continues_the_previous_thread_with_its_history() {
    let setup = setup().await;
    setup.mock.push(Script::text("the first answer"));
    setup.mock.push(Script::text("the second answer"));
    let first = setup.exec(&["--json", "the first question"], "").await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let first_thread = json_lines(&first)[0]["thread_id"].as_str().unwrap().to_owned();

    let second = setup.exec(&["resume", "--last", "--json", "the second question"], "").await;
    assert!(second.status.success(), "{}", text(&second.stderr));
    let events = json_lines(&second);
    assert_eq!(events[0]["type"], "thread.started");
    assert_eq!(events[0]["thread_id"], first_thread.as_str());
    assert_eq!(events[0]["resumed"], true);
    assert_eq!(events.last().unwrap()["type"], "turn.completed");

    let requests = setup.mock.model_requests();
    assert_eq!(requests.len(), 2);
    let body = &requests[1].raw_body;
    for needle in ["the first question", "the first answer", "the second question"] {
        assert!(body.contains(needle), "{needle} missing from {body}");
    }

    // By id, flags after the subcommand, human output.
    setup.mock.push(Script::text("the third answer"));
    let third = setup.exec(&["resume", &first_thread, "the third question"], "").await;
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert_eq!(text(&third.stdout), "the third answer\n");
    assert!(text(&third.stderr).contains(&format!("resumed thread {first_thread}")));
    assert!(setup.mock.model_requests()[2].raw_body.contains("the second answer"));
    assert_eq!(stored_thread_count(setup.home.path()).await, 1);
    // Recorded as `exec`, like the reference: the TUI's resume picker (cli, vscode) skips it.
    assert_eq!(stored_threads_of(setup.home.path(), json!(["exec"])).await, 1);
    assert_eq!(stored_threads_of(setup.home.path(), json!(["cli", "vscode"])).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_errors_are_clear() {
    let setup = setup().await;
    let none = setup.exec(&["resume", "--last", "hello"], "").await;
    assert_eq!(none.status.code(), Some(1));
    assert!(text(&none.stderr).contains("no stored thread"), "{}", text(&none.stderr));
    let unknown = setup.exec(&["resume", "not-a-thread", "hello"], "").await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("thread/resume failed"), "{}", text(&unknown.stderr));
    // With --json the failure is an `error` line on stdout.
    let json = setup.exec(&["resume", "--last", "--json", "hello"], "").await;
    assert_eq!(json.status.code(), Some(1));
    let events = json_lines(&json);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "error");
    assert!(events[0]["message"].as_str().unwrap().contains("no stored thread"));
    // A THREAD_ID together with --last, and --ephemeral on a resume: usage errors.
    let both = setup.exec(&["resume", "0199a213-81c0-7800-8aa1-bbab2a035a53", "--last"], "").await;
    assert_eq!(both.status.code(), Some(2));
    assert!(text(&both.stderr).contains("not both"), "{}", text(&both.stderr));
    let both = setup.exec(&["resume", "--last", "some-id", "a prompt"], "").await;
    assert_eq!(both.status.code(), Some(2));
    let ephemeral = setup.exec(&["resume", "--last", "--ephemeral", "hello"], "").await;
    assert_eq!(ephemeral.status.code(), Some(2));
    assert!(text(&ephemeral.stderr).contains("--ephemeral"), "{}", text(&ephemeral.stderr));
    let missing = setup.exec(&["resume"], "").await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("THREAD_ID or --last"), "{}", text(&missing.stderr));
    assert_eq!(setup.mock.model_requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_summaries_are_progress_in_human_mode_and_deltas_in_json() {
    let setup = setup().await;
    let script = || Script::reasoning_summary(["Weighing", " options"]).and_text_deltas(["ok"]);
    setup.mock.push(script());
    let human = setup.exec(&["think first"], "").await;
    assert!(human.status.success(), "{}", text(&human.stderr));
    assert_eq!(text(&human.stdout), "ok\n");
    assert!(text(&human.stderr).contains("thinking: Weighing options"), "{}", text(&human.stderr));

    setup.mock.push(script());
    let json = setup.exec(&["--json", "think first"], "").await;
    assert!(json.status.success(), "{}", text(&json.stderr));
    let events = json_lines(&json);
    let summary: String = events
        .iter()
        .filter(|event| {
            event["type"] == "item.updated" && event["delta"]["type"] == "reasoningSummary"
        })
        .map(|event| event["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(summary, "Weighing options");
    let reasoning = events
        .iter()
        .find(|event| event["type"] == "item.completed" && event["item"]["type"] == "reasoning")
        .expect("a completed reasoning item");
    assert_eq!(reasoning["item"]["summary"], json!(["Weighing options"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_last_message_writes_the_final_answer() {
    let setup = setup().await;
    setup.mock.push(Script::text_deltas(["All ", "done."]));
    let file = setup.work.path().join("last.txt");
    let output =
        setup.exec(&["--output-last-message", file.to_str().unwrap(), "finish up"], "").await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "All done.");

    // A file that cannot be written after the turn completed: exit 1, the `error` line last.
    setup.mock.push(Script::text("unwritable"));
    let directory = setup.work.path().to_str().unwrap();
    let output = setup.exec(&["--json", "--output-last-message", directory, "finish up"], "").await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let events = json_lines(&output);
    let kinds = types(&events);
    assert_eq!(kinds[kinds.len() - 2..], ["turn.completed", "error"], "{events:?}");
    assert!(events.last().unwrap()["message"].as_str().unwrap().contains(directory));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_last_message_is_left_alone_when_the_turn_fails() {
    let setup = setup().await;
    let file = setup.work.path().join("last.txt");
    std::fs::write(&file, "the previous answer").unwrap();
    // A complete agent message, then a tool call; the next model call is refused, so the turn
    // fails with an agent message that must not pass for the final answer.
    setup.mock.push(Script::text("a draft answer").and_function_call(
        "call-1",
        "no_such_tool",
        json!({}),
    ));
    setup.mock.push(Script::status(401, r#"{"error":{"message":"bad key"}}"#));
    let output =
        setup.exec(&["--output-last-message", file.to_str().unwrap(), "finish up"], "").await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "the previous answer");
}

/// Starts a thread in `cwd` through an ordinary (non-exec) in-process server on `home` and runs
/// one turn in it, so it is the most recently updated thread.
async fn start_foreign_thread(home: &Path, cwd: &Path) -> String {
    let server = InProcessServer::start(InProcessOptions::new(home.to_path_buf())).await.unwrap();
    let mut client = server.connect().await.unwrap();
    client
        .initialize(ClientInfo { name: "other".into(), title: None, version: "1".into() }, None)
        .await
        .unwrap();
    let started = client
        .request::<markers::ThreadStart>(
            serde_json::from_value(json!({"cwd": cwd.to_str().unwrap()})).unwrap(),
        )
        .await
        .unwrap();
    client.close().await;
    server.shutdown().await;
    started.thread.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_last_picks_the_latest_exec_thread_of_this_directory() {
    let setup = setup().await;
    setup.mock.push(Script::text("exec answer"));
    let first = setup.exec(&["--json", "the exec question"], "").await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let exec_thread = json_lines(&first)[0]["thread_id"].as_str().unwrap().to_owned();

    // Updated later (timestamps have one-second resolution): an exec thread in another
    // directory and a thread some other client created here.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let elsewhere = tempfile::tempdir().unwrap();
    setup.mock.push(Script::text("elsewhere"));
    let other_dir = setup
        .exec(&["--skip-git-repo-check", "--cd", elsewhere.path().to_str().unwrap(), "x"], "")
        .await;
    assert!(other_dir.status.success(), "{}", text(&other_dir.stderr));
    let foreign = start_foreign_thread(setup.home.path(), setup.work.path()).await;
    assert_ne!(foreign, exec_thread);

    setup.mock.push(Script::text("resumed"));
    let second = setup.exec(&["resume", "--last", "--json", "again"], "").await;
    assert!(second.status.success(), "{}", text(&second.stderr));
    let events = json_lines(&second);
    assert_eq!(events[0]["thread_id"], exec_thread.as_str(), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_leaves_no_stored_thread() {
    let setup = setup().await;
    setup.mock.push(Script::text("forgotten"));
    let output = setup.exec(&["--ephemeral", "do not keep this"], "").await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "forgotten\n");
    assert_eq!(stored_thread_count(setup.home.path()).await, 0);

    setup.mock.push(Script::text("kept"));
    let output = setup.exec(&["keep this"], "").await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(stored_thread_count(setup.home.path()).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_and_files_are_reported_before_any_model_call() {
    let setup = setup().await;
    let schema = setup.work.path().join("schema.json");
    std::fs::write(&schema, "{not json").unwrap();
    let output = setup.exec(&["--output-schema", schema.to_str().unwrap(), "hi"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("--output-schema"), "{}", text(&output.stderr));

    let output = setup.exec(&["--sandbox", "yolo", "hi"], "").await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("workspace-write"), "{}", text(&output.stderr));

    let output = setup.exec(&["--cd", "/definitely/not/here", "hi"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("--cd"), "{}", text(&output.stderr));

    // A usage error found after parsing: exit 2, and under --json the one `error` line.
    let output = setup.exec(&["--json", "-c", "model", "hi"], "").await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let events = json_lines(&output);
    assert_eq!(types(&events), ["error"], "{events:?}");
    assert!(events[0]["message"].as_str().unwrap().contains("model"), "{events:?}");
    // One the argument parser rejects: exit 2, stderr only.
    let output = setup.exec(&["--json", "--no-such-flag", "hi"], "").await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout), "");
    assert_eq!(setup.mock.model_requests().len(), 0);

    // A valid schema and every thread flag are accepted.
    std::fs::write(&schema, r#"{"type":"object","properties":{"a":{"type":"string"}}}"#).unwrap();
    setup.mock.push(Script::text("{\"a\":\"b\"}"));
    let output = setup
        .exec(
            &[
                "--output-schema",
                schema.to_str().unwrap(),
                "--model",
                "mock-model",
                "--sandbox",
                "read-only",
                "--ask-for-approval",
                "on-request",
                "-C",
                setup.work.path().to_str().unwrap(),
                "-c",
                "model=\"mock-model\"",
                "answer in JSON",
            ],
            "",
        )
        .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "{\"a\":\"b\"}\n");
    // The schema reached the provider as the Responses API's structured-output format.
    let requests = setup.mock.model_requests();
    let body: Value = serde_json::from_str(&requests.last().unwrap().raw_body).unwrap();
    assert_eq!(body["text"]["format"]["type"], "json_schema", "{body}");
    assert_eq!(body["text"]["format"]["schema"]["properties"]["a"]["type"], "string", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_interrupts_the_turn_and_exits_non_zero() {
    let setup = setup().await;
    setup.mock.push(Script::slow_text(2000, Duration::from_millis(10)));
    let mut command = common::codex(setup.home.path());
    command.current_dir(setup.work.path()).args(["exec", "count slowly"]).stdin(Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Wait until the answer is streaming, then press Ctrl-C once.
    let mut first = [0u8; 4];
    tokio::time::timeout(common::WAIT, stdout.read_exact(&mut first)).await.unwrap().unwrap();
    let pid = i32::try_from(child.id().unwrap()).unwrap();
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = tokio::time::timeout(common::WAIT, child.wait()).await.unwrap().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupting the turn"), "{stderr}");
    assert!(stderr.contains("turn interrupted"), "{stderr}");
}

/// The shell call the mock model makes in the approval tests: it asks to run outside the
/// sandbox and writes a marker file in the work dir.
fn escalated_touch(marker: &Path) -> Script {
    Script::function_call(
        "call-escalate",
        "shell",
        json!({
            "command": ["touch", marker.to_str().unwrap()],
            "sandbox_permissions": "require_escalated",
            "justification": "create the marker",
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalated_shell_call_under_on_request_is_declined_reported_and_not_hung() {
    let setup = setup().await;
    let marker = setup.work.path().join("marker");
    setup.mock.push(escalated_touch(&marker));
    setup.mock.push(Script::text("I could not run it."));
    let output =
        setup.exec(&["--ask-for-approval", "on-request", "--json", "make the marker"], "").await;
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let events = json_lines(&output);
    let answered: Vec<&Value> =
        events.iter().filter(|event| event["type"] == "approval.answered").collect();
    assert_eq!(answered.len(), 1, "{events:#?}");
    assert_eq!(answered[0]["kind"], "commandExecution");
    assert_eq!(answered[0]["decision"], "decline");
    assert!(answered[0]["message"].as_str().unwrap().contains("--approve-all"), "{events:#?}");
    assert!(!marker.exists(), "a declined command must not run");
    // The model was told, and the turn went on to its answer.
    let requests = setup.mock.model_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].raw_body.contains("call-escalate"), "{}", requests[1].raw_body);
    assert!(types(&events).contains(&"turn.completed"), "{events:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_all_runs_the_escalated_shell_call() {
    let setup = setup().await;
    let marker = setup.work.path().join("marker");
    setup.mock.push(escalated_touch(&marker));
    setup.mock.push(Script::text("Done."));
    let output = setup
        .exec(&["--ask-for-approval", "on-request", "--approve-all", "make the marker"], "")
        .await;
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("approved"), "{stderr}");
    assert!(marker.exists(), "the approved command must run: {stderr}");
    assert_eq!(text(&output.stdout), "Done.\n");
}
