#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What the model is sent on every request, end to end: a real server on `ws://127.0.0.1:0`,
//! `TestClient` as the client and `MockProvider` as the model, asserting on the request bodies
//! and headers the provider receives: base instructions, the developer message (developer
//! instructions + permissions), the contextual user message (AGENTS.md + environment), reasoning
//! replay, the prompt-cache key, identity headers, images, tool-output truncation and input
//! limits, on the Responses and Chat Completions wire APIs.

mod tools_common;

use std::path::Path;

use codex_test_support::MockProvider;
use codex_test_support::RecordedRequest;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

/// Writes config.toml with `model`, the mock as provider on `wire`, and `extra` keys.
fn configure(home: &Path, mock: &MockProvider, model: &str, wire: WireFormat, extra: &str) {
    let text = format!(
        "model = \"{model}\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n{extra}\n\n{}",
        mock.provider_toml("mock", wire)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

async fn started(
    model: &str,
    wire: WireFormat,
    extra: &str,
) -> (tempfile::TempDir, MockProvider, Server) {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    configure(home.path(), &mock, model, wire, extra);
    let server = Server::start(home.path()).await;
    (home, mock, server)
}

async fn turn(client: &mut TestClient, params: Value) -> Vec<Value> {
    let result = client.call("turn/start", params).await.unwrap();
    assert_eq!(result["turn"]["status"], "inProgress");
    let messages = turn_messages(client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed", "{messages:?}");
    messages
}

fn text_input(thread_id: &str, text: &str) -> Value {
    json!({"threadId": thread_id, "input": [{"type": "text", "text": text}]})
}

/// The texts of a Responses `message` item's content parts.
fn parts(item: &Value) -> Vec<String> {
    item["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|part| part["text"].as_str().map(str::to_owned))
        .collect()
}

fn input(request: &RecordedRequest) -> Vec<Value> {
    request.body["input"].as_array().unwrap().clone()
}

/// Messages of `role` in a Responses input.
fn messages_of(items: &[Value], role: &str) -> Vec<Value> {
    items.iter().filter(|item| item["type"] == "message" && item["role"] == role).cloned().collect()
}

/// How many parts of the input mention `needle`.
fn count_parts(items: &[Value], needle: &str) -> usize {
    items
        .iter()
        .flat_map(|item| match item["type"].as_str() {
            Some("message") => parts(item),
            _ => Vec::new(),
        })
        .filter(|text| text.contains(needle))
        .count()
}

fn git_repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    repo
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_request_carries_instructions_permissions_agents_md_and_environment() {
    let (home, mock, server) = started(
        "gpt-5",
        WireFormat::Responses,
        "developer_instructions = \"Answer in French.\"\nsandbox_mode = \"workspace-write\"\n\
         project_doc_max_bytes = 2000",
    )
    .await;
    std::fs::write(home.path().join("AGENTS.md"), "GLOBAL-RULE: sign every answer.").unwrap();
    let repo = git_repo();
    let root_text = format!("ROOT-RULE: use tabs.\n{}", "r".repeat(1500));
    std::fs::write(repo.path().join("AGENTS.md"), &root_text).unwrap();
    let nested = repo.path().join("crates").join("core");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(repo.path().join("crates").join("AGENTS.md"), "MIDDLE-RULE: no unwrap.\n")
        .unwrap();
    std::fs::write(nested.join("AGENTS.md"), format!("{}NESTED-TAIL", "n".repeat(800))).unwrap();
    std::fs::write(repo.path().join("crates").join("AGENTS.override.md"), "OVERRIDE-RULE\n")
        .unwrap();

    mock.push(Script::text("ok"));
    let mut client = server.client().await;
    let started = client.call("thread/start", json!({"cwd": nested})).await.unwrap();
    let sources: Vec<String> =
        serde_json::from_value(started["instructionSources"].clone()).unwrap();
    assert_eq!(sources.len(), 4, "global + three project files: {sources:?}");
    assert!(
        sources[0].ends_with("AGENTS.md")
            && sources[0].starts_with(&*home.path().to_string_lossy())
    );
    assert!(sources[2].ends_with("AGENTS.override.md"), "{sources:?}");
    let thread_id = started["thread"]["id"].as_str().unwrap().to_owned();
    turn(&mut client, text_input(&thread_id, "hi")).await;

    let request = &mock.model_requests()[0];
    let instructions = request.body["instructions"].as_str().unwrap();
    assert!(instructions.len() > 6000, "our base instructions: {} bytes", instructions.len());
    assert!(instructions.contains("AGENTS.md") && instructions.contains("apply_patch"));
    assert!(!instructions.contains("Answer in French."), "developer text is not in instructions");

    let items = input(request);
    assert_eq!(items.len(), 3, "developer message, context message, user input: {items:?}");
    assert_eq!(items[0]["role"], "developer");
    let developer = parts(&items[0]);
    assert_eq!(developer[0], "Answer in French.");
    assert!(developer[1].starts_with("<permissions instructions>"));
    assert!(developer[1].contains("workspace-write") && developer[1].contains("never"));

    assert_eq!(items[1]["role"], "user");
    let context = parts(&items[1]);
    let agents = &context[0];
    assert!(agents.starts_with(&format!("# AGENTS.md instructions for {}", nested.display())));
    let global = agents.find("GLOBAL-RULE").unwrap();
    let root = agents.find("ROOT-RULE").unwrap();
    let middle = agents.find("OVERRIDE-RULE").unwrap();
    assert!(global < root && root < middle, "global, then root first: {agents}");
    assert!(!agents.contains("MIDDLE-RULE"), "AGENTS.override.md wins over AGENTS.md");
    assert!(agents.contains("nnnn"), "the nested file is read up to the budget");
    assert!(!agents.contains("NESTED-TAIL"), "the 2000-byte budget cuts the nested file");
    assert!(context[1].starts_with("<environment_context>"));
    assert!(context[1].contains(&format!("<cwd>{}</cwd>", nested.display())));
    assert!(context[1].contains("<current_date>") && context[1].contains("<timezone>"));
    assert_eq!(parts(&items[2]), vec!["hi".to_owned()]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_is_resent_only_when_it_changes() {
    let (home, mock, server) = started("gpt-5", WireFormat::Responses, "").await;
    let first_dir = git_repo();
    let second_dir = git_repo();
    std::fs::write(second_dir.path().join("AGENTS.md"), "SECOND-DIR-RULE").unwrap();
    for _ in 0..4 {
        mock.push(Script::text("ok"));
    }
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, first_dir.path()).await;
    turn(&mut client, text_input(&thread_id, "one")).await;
    turn(&mut client, text_input(&thread_id, "two")).await;
    let mut changed_policy = text_input(&thread_id, "three");
    changed_policy["approvalPolicy"] = json!("untrusted");
    turn(&mut client, changed_policy).await;
    let mut moved = text_input(&thread_id, "four");
    moved["cwd"] = json!(second_dir.path());
    turn(&mut client, moved).await;

    let requests = mock.model_requests();
    let (first, second, third, fourth) =
        (input(&requests[0]), input(&requests[1]), input(&requests[2]), input(&requests[3]));
    assert_eq!(count_parts(&first, "<environment_context>"), 1);
    assert_eq!(count_parts(&first, "<permissions instructions>"), 1);
    // Turn 2: the history plus the answer and the new input, nothing else.
    assert_eq!(second.len(), first.len() + 2, "{second:?}");
    assert_eq!(second[..first.len()], first[..], "the prefix stays byte-identical");
    // Turn 3: a new permissions block in a developer message, no new environment.
    let new_items = &third[second.len() + 1..];
    assert_eq!(new_items.len(), 2, "{new_items:?}");
    assert_eq!(new_items[0]["role"], "developer");
    let permissions = parts(&new_items[0]);
    assert_eq!(permissions.len(), 1);
    assert!(permissions[0].contains("untrusted"), "{permissions:?}");
    assert_eq!(count_parts(&third, "<environment_context>"), 1);
    // Turn 4: a new cwd brings its AGENTS.md and a new environment block, no permissions.
    let new_items = &fourth[third.len() + 1..];
    assert_eq!(new_items.len(), 2, "{new_items:?}");
    assert_eq!(new_items[0]["role"], "user");
    let context = parts(&new_items[0]);
    assert!(context[0].contains("SECOND-DIR-RULE"));
    assert!(context[1].contains(&format!("<cwd>{}</cwd>", second_dir.path().display())));
    assert_eq!(count_parts(&fourth, "<permissions instructions>"), 2);
    drop(home);
    server.stop().await;
}

/// A raw SSE response: one reasoning item with encrypted content, then `then` (a function call
/// or a message), as the Responses API streams them.
fn reasoning_then(encrypted: &str, then: Value) -> Script {
    let reasoning = json!({"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text",
        "text": "thinking"}], "encrypted_content": encrypted});
    let events = [
        json!({"type": "response.created", "response": {"id": "resp_1"}}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "reasoning",
            "id": "rs_1", "summary": []}}),
        json!({"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "output_index": 0,
            "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0,
            "summary_index": 0, "delta": "thinking"}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": reasoning}),
        json!({"type": "response.output_item.done", "output_index": 1, "item": then}),
        json!({"type": "response.completed", "response": {"id": "resp_1", "usage": {
            "input_tokens": 10, "output_tokens": 5, "total_tokens": 15}}}),
    ];
    let body: String = events
        .iter()
        .map(|event| format!("event: {}\ndata: {event}\n\n", event["type"].as_str().unwrap()))
        .collect();
    Script::raw_sse(body)
}

fn assistant(text: &str) -> Value {
    json!({"type": "message", "role": "assistant", "id": "msg_1",
        "content": [{"type": "output_text", "text": text}]})
}

fn replayed(items: &[Value], encrypted: &str) -> bool {
    items.iter().any(|item| item["type"] == "reasoning" && item["encrypted_content"] == encrypted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_is_requested_streamed_and_replayed_across_calls_turns_and_restarts() {
    let (home, mock, server) = started("gpt-5", WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    let call = json!({"type": "function_call", "id": "fc_1", "call_id": "call-1", "name": "shell",
        "arguments": json!({"command": ["echo", "hi"]}).to_string()});
    mock.push(reasoning_then("ENC-ONE", call));
    mock.push(reasoning_then("ENC-TWO", assistant("done")));
    mock.push(Script::text("second turn"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let messages = turn(&mut client, text_input(&thread_id, "think")).await;
    assert!(
        messages.iter().any(|m| m["method"] == "item/reasoning/summaryTextDelta"
            && m["params"]["delta"] == "thinking"),
        "the summary streams to the client"
    );
    turn(&mut client, text_input(&thread_id, "again")).await;
    client.close().await;
    server.stop().await;

    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    mock.push(Script::text("after restart"));
    turn(&mut client, text_input(&thread_id, "after")).await;

    let requests = mock.model_requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert_eq!(request.body["include"], json!(["reasoning.encrypted_content"]));
        assert_eq!(request.body["reasoning"]["effort"], "medium");
        assert_eq!(request.body["reasoning"]["summary"], "auto");
        assert_eq!(request.body["prompt_cache_key"], thread_id.as_str(), "stable cache key");
        assert_eq!(request.body["parallel_tool_calls"], true);
    }
    assert!(replayed(&input(&requests[1]), "ENC-ONE"), "replayed in the tool follow-up");
    assert!(replayed(&input(&requests[2]), "ENC-ONE") && replayed(&input(&requests[2]), "ENC-TWO"));
    assert!(replayed(&input(&requests[3]), "ENC-TWO"), "replayed after a restart");
    // The restart did not change what was already sent: the old prefix is identical.
    let before = input(&requests[2]);
    assert_eq!(input(&requests[3])[..before.len()], before[..]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_overrides_and_config_shape_reasoning_and_verbosity() {
    let (_home, mock, server) = started(
        "gpt-5",
        WireFormat::Responses,
        "model_reasoning_effort = \"low\"\nmodel_reasoning_summary = \"concise\"\n\
         model_verbosity = \"high\"",
    )
    .await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::text("a"));
    mock.push(Script::text("b"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(&mut client, text_input(&thread_id, "one")).await;
    let mut overridden = text_input(&thread_id, "two");
    overridden["effort"] = json!("high");
    overridden["summary"] = json!("detailed");
    turn(&mut client, overridden).await;
    let requests = mock.model_requests();
    assert_eq!(requests[0].body["reasoning"], json!({"effort": "low", "summary": "concise"}));
    assert_eq!(requests[0].body["text"], json!({"verbosity": "high"}));
    assert_eq!(requests[1].body["reasoning"], json!({"effort": "high", "summary": "detailed"}));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_name_the_thread_and_the_client() {
    let (_home, mock, server) = started("mock-model", WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::text("ok"));
    let mut client = TestClient::connect_ws(&server.address).await.unwrap();
    let init = client.initialize("my-ide", false).await.unwrap();
    let user_agent = init["userAgent"].as_str().unwrap().to_owned();
    assert!(user_agent.starts_with("codex-app-server/"), "{user_agent}");
    assert!(user_agent.ends_with(" (my-ide; 1.0)"), "{user_agent}");
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(&mut client, text_input(&thread_id, "hi")).await;
    let request = &mock.model_requests()[0];
    assert_eq!(request.header("session-id"), Some(thread_id.as_str()));
    assert_eq!(request.header("thread-id"), Some(thread_id.as_str()));
    assert_eq!(request.header("originator"), Some("my-ide"));
    assert_eq!(request.header("user-agent"), Some(user_agent.as_str()));
    // An unknown model gets no reasoning parameters.
    assert!(request.body.get("reasoning").is_none(), "{}", request.body);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_and_developer_instructions_follow_thread_then_config() {
    let (home, mock, server) = started(
        "mock-model",
        WireFormat::Responses,
        "model_instructions_file = \"my-instructions.md\"\ninstructions = \"from the key\"",
    )
    .await;
    std::fs::write(home.path().join("my-instructions.md"), "FROM THE FILE").unwrap();
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::text("a"));
    mock.push(Script::text("b"));
    let mut client = server.client().await;
    let from_file = start_thread(&mut client, work.path()).await;
    turn(&mut client, text_input(&from_file, "one")).await;
    let result = client
        .call(
            "thread/start",
            json!({"cwd": work.path(), "baseInstructions": "FROM THE THREAD",
                   "developerInstructions": "THREAD DEVELOPER"}),
        )
        .await
        .unwrap();
    let from_thread = result["thread"]["id"].as_str().unwrap().to_owned();
    client.wait_for_notification("thread/started").await.unwrap();
    turn(&mut client, text_input(&from_thread, "two")).await;
    let requests = mock.model_requests();
    assert_eq!(requests[0].body["instructions"], "FROM THE FILE");
    assert_eq!(requests[1].body["instructions"], "FROM THE THREAD");
    let developer = messages_of(&input(&requests[1]), "developer");
    assert_eq!(parts(&developer[0])[0], "THREAD DEVELOPER");

    // A missing instructions file is a clear error, not a silent fallback.
    std::fs::remove_file(home.path().join("my-instructions.md")).unwrap();
    let error =
        client.request("thread/start", json!({"cwd": work.path()})).await.unwrap().unwrap_err();
    assert!(error["message"].as_str().unwrap().contains("my-instructions.md"), "{error}");
    server.stop().await;
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0, 0x05, 0, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d,
    0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_reach_the_model_as_input_image_parts() {
    let (_home, mock, server) = started("gpt-5", WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    let png = work.path().join("shot.png");
    std::fs::write(&png, PNG).unwrap();
    mock.push(Script::text("a cat"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(
        &mut client,
        json!({"threadId": thread_id, "input": [
            {"type": "text", "text": "what is this?"},
            {"type": "localImage", "path": png},
            {"type": "image", "url": "https://example.com/cat.png"},
        ]}),
    )
    .await;
    let items = input(&mock.model_requests()[0]);
    let user = items.last().unwrap();
    let content = user["content"].as_array().unwrap();
    assert_eq!(content[0], json!({"type": "input_text", "text": "what is this?"}));
    assert_eq!(content[1]["type"], "input_image");
    assert!(content[1]["image_url"].as_str().unwrap().starts_with("data:image/png;base64,iVBOR"));
    assert_eq!(
        content[2],
        json!({"type": "input_image", "image_url": "https://example.com/cat.png"})
    );

    // A device or a FIFO is refused at once with a clear error; the thread is unharmed.
    let error = client
        .request(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "localImage", "path": "/dev/zero"}]}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(error["message"].as_str().unwrap().contains("/dev/zero"), "{error}");
    assert_eq!(error["code"], -32602);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_input_is_refused() {
    let (_home, mock, server) = started("gpt-5", WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let huge = "x".repeat((1 << 20) + 1);
    let error =
        client.request("turn/start", text_input(&thread_id, &huge)).await.unwrap().unwrap_err();
    assert_eq!(error["code"], -32602);
    assert!(error["message"].as_str().unwrap().contains("1048577"), "{error}");
    assert_eq!(mock.request_count(), 0);
    // Exactly at the limit is accepted.
    mock.push(Script::text("ok"));
    turn(&mut client, text_input(&thread_id, &"y".repeat(1 << 20))).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_tool_output_reaches_the_model_cut_to_the_budget() {
    let (_home, mock, server) =
        started("gpt-5", WireFormat::Responses, "sandbox_mode = \"danger-full-access\"").await;
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call(
        "call-long",
        "shell",
        json!({"command": ["seq", "1", "60000"], "workdir": work.path()}),
    ));
    mock.push(Script::text("seen"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(&mut client, text_input(&thread_id, "count")).await;
    let output = call_output(&mock, "call-long").unwrap();
    // 60,000 lines are 348,894 bytes; the default budget is 10,000 tokens of 4 bytes.
    assert!(output.len() > 39_000 && output.len() < 41_000, "{} bytes", output.len());
    assert!(output.contains("Exit code: 0"), "the header survives");
    assert!(output.contains("\n1\n2\n3\n"), "the head is kept");
    assert!(output.trim_end().ends_with("60000"), "the tail is kept");
    assert!(output.contains("cut from the middle"), "the marker says what was left out");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_calls_in_one_response_are_both_answered_in_order() {
    let (_home, mock, server) =
        started("gpt-5", WireFormat::Responses, "sandbox_mode = \"danger-full-access\"").await;
    let work = tempfile::tempdir().unwrap();
    mock.push(
        Script::function_call("call-a", "shell", json!({"command": ["echo", "AAA"]}))
            .and_function_call("call-b", "shell", json!({"command": ["echo", "BBB"]})),
    );
    mock.push(Script::text("both"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    turn(&mut client, text_input(&thread_id, "two things")).await;
    let follow_up = input(&mock.model_requests()[1]);
    let outputs: Vec<&Value> =
        follow_up.iter().filter(|item| item["type"] == "function_call_output").collect();
    assert_eq!(outputs.len(), 2);
    assert_eq!(outputs[0]["call_id"], "call-a");
    assert!(outputs[0]["output"].as_str().unwrap().contains("AAA"));
    assert_eq!(outputs[1]["call_id"], "call-b");
    assert!(outputs[1]["output"].as_str().unwrap().contains("BBB"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_providers_get_the_same_context_as_system_and_user_messages() {
    let (home, mock, server) =
        started("llama3.2", WireFormat::Chat, "developer_instructions = \"CHAT DEVELOPER\"").await;
    let repo = git_repo();
    std::fs::write(repo.path().join("AGENTS.md"), "CHAT-AGENTS-RULE").unwrap();
    mock.push(Script::text("ok"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, repo.path()).await;
    turn(&mut client, text_input(&thread_id, "hello chat")).await;
    let request = &mock.model_requests()[0];
    let messages = request.body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert!(messages[0]["content"].as_str().unwrap().contains("AGENTS.md"), "base instructions");
    assert_eq!(messages[1]["role"], "system", "the developer message as a system message");
    let developer = messages[1]["content"].as_str().unwrap();
    assert!(
        developer.contains("CHAT DEVELOPER") && developer.contains("<permissions instructions>")
    );
    assert_eq!(messages[2]["role"], "user");
    let context = messages[2]["content"].as_str().unwrap();
    assert!(context.contains("CHAT-AGENTS-RULE") && context.contains("<environment_context>"));
    assert_eq!(messages[3], json!({"role": "user", "content": "hello chat"}));
    assert!(request.body.get("prompt_cache_key").is_none(), "chat providers get no cache key");
    drop(home);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_image_shows_the_model_a_workspace_image() {
    let (_home, mock, server) = started("gpt-5", WireFormat::Responses, "").await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("chart.png"), PNG).unwrap();
    std::fs::write(work.path().join("notes.txt"), "not an image").unwrap();
    mock.push(
        Script::function_call("call-img", "view_image", json!({"path": "chart.png"}))
            .and_function_call("call-txt", "view_image", json!({"path": "notes.txt"})),
    );
    mock.push(Script::text("a chart"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, work.path()).await;
    let messages = turn(&mut client, text_input(&thread_id, "look at the chart")).await;
    let views = completed_items(&messages, "imageView");
    assert_eq!(views.len(), 2, "{messages:?}");
    // The two calls run at the same time (both only read), so their items finish in any order.
    let mut paths: Vec<String> =
        views.iter().map(|view| view["path"].as_str().unwrap().to_owned()).collect();
    paths.sort();
    let expected = |name: &str| work.path().join(name).display().to_string();
    assert_eq!(paths, vec![expected("chart.png"), expected("notes.txt")]);

    let requests = mock.model_requests();
    let tool_names: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(tool_names.contains(&"view_image"), "{tool_names:?}");
    let follow_up = input(&requests[1]);
    let n = follow_up.len();
    assert_eq!(follow_up[n - 3]["type"], "function_call_output");
    assert!(follow_up[n - 3]["output"].as_str().unwrap().contains("attached"));
    assert_eq!(follow_up[n - 2]["type"], "function_call_output");
    assert!(follow_up[n - 2]["output"].as_str().unwrap().contains("notes.txt"), "a clear error");
    let shown = &follow_up[n - 1];
    assert_eq!(shown["role"], "user");
    assert_eq!(shown["content"].as_array().unwrap().len(), 1, "only the real image");
    assert!(shown["content"][0]["image_url"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    server.stop().await;
}
