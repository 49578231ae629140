#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Request bodies and headers the mock provider receives for role/part messages, prompt cache
//! key, verbosity, per-request headers, reasoning replay and parallel tool calls; plus the stored
//! JSON shape of [`InputItem`]s and option parsing.

use std::time::Duration;

use codex_model_client::{
    ContentPart, FunctionTool, InputItem, MessageRole, ModelClient, ModelEvent, ModelRequest,
    OutputItem, ProviderConfig, ReasoningEffort, ReasoningOptions, ReasoningSummary, RetryPolicy,
    Verbosity, WireApi,
};
use codex_test_support::{MockProvider, RecordedRequest, Script};
use futures::StreamExt;
use serde_json::{json, Value};

const KEY_VAR: &str = "CODEX_TEST_MOCK_API_KEY";
const BOTH: [WireApi; 2] = [WireApi::Responses, WireApi::Chat];
const PNG_DATA_URL: &str = "data:image/png;base64,iVBORw0KGgo=";

fn client(mock: &MockProvider, wire: WireApi) -> ModelClient {
    let provider = ProviderConfig::new("mock", mock.base_url(), wire)
        .with_env_key(KEY_VAR)
        .with_header("x-test-header", "present")
        .with_stream_idle_timeout(Duration::from_secs(20));
    ModelClient::new(provider)
        .unwrap()
        .with_env_lookup(|name| (name == KEY_VAR).then(|| "sk-test-123".to_string()))
        .with_retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(5),
        })
}

/// Streams `request` to completion (panicking on errors), returning the events.
async fn run(client: &ModelClient, request: &ModelRequest) -> Vec<ModelEvent> {
    let mut stream = client.stream(request).await.expect("stream should start");
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        events.push(item.expect("stream should not fail"));
    }
    events
}

/// Sends `request` once over `wire` (answered with "ok") and returns what the provider got.
async fn recorded(wire: WireApi, request: &ModelRequest) -> RecordedRequest {
    let mock = MockProvider::start().await;
    mock.push(Script::text("ok"));
    run(&client(&mock, wire), request).await;
    let mut requests = mock.model_requests();
    assert_eq!(requests.len(), 1, "{wire:?}");
    requests.remove(0)
}

fn done_items(events: &[ModelEvent]) -> Vec<OutputItem> {
    events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::OutputItemDone(item) => Some(item.clone()),
            _ => None,
        })
        .collect()
}

fn message_request() -> ModelRequest {
    ModelRequest::new("gpt-test", "Base instructions.")
        .push(InputItem::developer(
            "<permissions instructions>sandboxed</permissions instructions>",
        ))
        .push(InputItem::Message {
            role: MessageRole::System,
            content: vec![ContentPart::text("system note")],
        })
        .push(InputItem::user_parts(vec![
            ContentPart::text("# AGENTS.md instructions"),
            ContentPart::text("<environment_context>x</environment_context>"),
        ]))
        .push(InputItem::user_parts(vec![
            ContentPart::text("what is in these?"),
            ContentPart::image("https://example.com/cat.png"),
            ContentPart::image(PNG_DATA_URL),
        ]))
        .push(InputItem::user("plain old message"))
}

#[tokio::test]
async fn role_messages_with_images_on_responses_api() {
    let body = recorded(WireApi::Responses, &message_request()).await.body;
    assert_eq!(body["instructions"], "Base instructions.");
    assert_eq!(
        body["input"],
        json!([
            {"type":"message","role":"developer","content":[
                {"type":"input_text","text":"<permissions instructions>sandboxed</permissions instructions>"}]},
            {"type":"message","role":"system","content":[{"type":"input_text","text":"system note"}]},
            {"type":"message","role":"user","content":[
                {"type":"input_text","text":"# AGENTS.md instructions"},
                {"type":"input_text","text":"<environment_context>x</environment_context>"}]},
            {"type":"message","role":"user","content":[
                {"type":"input_text","text":"what is in these?"},
                {"type":"input_image","image_url":"https://example.com/cat.png"},
                {"type":"input_image","image_url":PNG_DATA_URL}]},
            {"type":"message","role":"user","content":[{"type":"input_text","text":"plain old message"}]},
        ])
    );
}

#[tokio::test]
async fn role_messages_with_images_on_chat_api() {
    let body = recorded(WireApi::Chat, &message_request()).await.body;
    assert_eq!(
        body["messages"],
        json!([
            {"role":"system","content":"Base instructions."},
            {"role":"system","content":"<permissions instructions>sandboxed</permissions instructions>"},
            {"role":"system","content":"system note"},
            {"role":"user","content":"# AGENTS.md instructions\n\n<environment_context>x</environment_context>"},
            {"role":"user","content":[
                {"type":"text","text":"what is in these?"},
                {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}},
                {"type":"image_url","image_url":{"url":PNG_DATA_URL}}]},
            {"role":"user","content":"plain old message"},
        ])
    );
    assert!(!body.to_string().contains("developer"), "no developer role on chat: {body}");
}

#[tokio::test]
async fn chat_developer_message_without_instructions_keeps_history_order() {
    let request = ModelRequest::new("m", "")
        .push(InputItem::user("first"))
        .push(InputItem::developer("later rule"))
        .push(InputItem::Message {
            role: MessageRole::Developer,
            content: vec![ContentPart::image(PNG_DATA_URL)],
        });
    let body = recorded(WireApi::Chat, &request).await.body;
    // The image-only developer message has nothing a system message can carry: dropped.
    assert_eq!(
        body["messages"],
        json!([
            {"role":"user","content":"first"},
            {"role":"system","content":"later rule"},
        ])
    );
}

#[tokio::test]
async fn prompt_cache_key_is_sent_on_responses_only() {
    let mut request = ModelRequest::new("m", "i").push(InputItem::user("hi"));
    let without = recorded(WireApi::Responses, &request).await.body;
    assert!(without.get("prompt_cache_key").is_none(), "{without}");

    request.prompt_cache_key = Some("thread-0191".into());
    let responses = recorded(WireApi::Responses, &request).await.body;
    assert_eq!(responses["prompt_cache_key"], "thread-0191");

    let chat = recorded(WireApi::Chat, &request).await.body;
    assert!(chat.get("prompt_cache_key").is_none(), "{chat}");
    assert!(!chat.to_string().contains("thread-0191"), "{chat}");
}

#[tokio::test]
async fn verbosity_with_and_without_output_schema() {
    let schema = json!({"type":"object","properties":{"ok":{"type":"boolean"}}});
    let base = ModelRequest::new("m", "i").push(InputItem::user("hi"));

    let plain = recorded(WireApi::Responses, &base).await.body;
    assert!(plain.get("text").is_none(), "neither verbosity nor schema: {plain}");

    let mut verbose = base.clone();
    verbose.verbosity = Some(Verbosity::Low);
    let body = recorded(WireApi::Responses, &verbose).await.body;
    assert_eq!(body["text"], json!({"verbosity":"low"}));

    let mut both = verbose.clone();
    both.verbosity = Some(Verbosity::High);
    both.output_schema = Some(schema.clone());
    let body = recorded(WireApi::Responses, &both).await.body;
    assert_eq!(
        body["text"],
        json!({
            "verbosity": "high",
            "format": {"type":"json_schema","name":"codex_output_schema","schema":schema,"strict":true},
        })
    );

    let mut schema_only = base.clone();
    schema_only.output_schema = Some(schema.clone());
    let body = recorded(WireApi::Responses, &schema_only).await.body;
    assert!(body["text"].get("verbosity").is_none(), "{body}");
    assert_eq!(body["text"]["format"]["schema"], schema);

    let chat = recorded(WireApi::Chat, &both).await.body;
    assert!(chat.get("text").is_none() && chat.get("verbosity").is_none(), "{chat}");
    assert!(!chat.to_string().contains("verbosity"), "{chat}");
    assert_eq!(chat["response_format"]["json_schema"]["schema"], schema);
}

#[tokio::test]
async fn per_request_headers_are_sent_and_override_defaults() {
    for wire in BOTH {
        let plain = ModelRequest::new("m", "i").push(InputItem::user("hi"));
        let default = recorded(wire, &plain).await;
        let default_agent = default.header("user-agent").unwrap().to_string();
        assert!(default_agent.starts_with("codex-app-server/"), "{wire:?}: {default_agent}");
        assert_eq!(default.header("session-id"), None);

        let request = plain
            .clone()
            .header("session-id", "sess-1")
            .header("thread-id", "thr-1")
            .header("originator", "codex_vscode")
            .header("User-Agent", "codex_vscode/1.2.3 (Linux 6.1; x86_64) vscode/1.90")
            .header("X-Test-Header", "per-request");
        let got = recorded(wire, &request).await;
        assert_eq!(got.header("session-id"), Some("sess-1"), "{wire:?}");
        assert_eq!(got.header("thread-id"), Some("thr-1"), "{wire:?}");
        assert_eq!(got.header("originator"), Some("codex_vscode"), "{wire:?}");
        assert_eq!(
            got.header("user-agent"),
            Some("codex_vscode/1.2.3 (Linux 6.1; x86_64) vscode/1.90"),
            "{wire:?}"
        );
        let count = |name: &str| got.headers.iter().filter(|(key, _)| key == name).count();
        assert_eq!(count("user-agent"), 1, "{wire:?}: {:?}", got.headers);
        assert_eq!(count("x-test-header"), 1, "{wire:?}: {:?}", got.headers);
        assert_eq!(got.header("x-test-header"), Some("per-request"), "{wire:?}");
        assert_eq!(got.header("authorization"), Some("Bearer sk-test-123"), "{wire:?}");
    }
}

#[tokio::test]
async fn per_request_headers_are_resent_on_retries() {
    let mock = MockProvider::start().await;
    mock.push(Script::status(503, "warming up"));
    mock.push(Script::text("ok"));
    let request =
        ModelRequest::new("m", "i").push(InputItem::user("hi")).header("thread-id", "thr-9");
    run(&client(&mock, WireApi::Responses), &request).await;
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.header("thread-id") == Some("thr-9")), "{requests:?}");
}

#[tokio::test]
async fn invalid_per_request_headers_are_skipped_not_fatal() {
    for wire in BOTH {
        let request = ModelRequest::new("m", "i")
            .push(InputItem::user("hi"))
            .header("bad header", "x")
            .header("", "empty name")
            .header("x-bad-value", "line\nbreak")
            .header("x-non-ascii", "caf\u{e9}")
            .header("x-good", "1");
        let got = recorded(wire, &request).await;
        assert_eq!(got.header("x-good"), Some("1"), "{wire:?}");
        // Bytes above 0x7f are legal (obs-text) header bytes and go out as UTF-8.
        assert_eq!(got.header("x-non-ascii"), Some("caf\u{e9}"), "{wire:?}");
        for name in ["bad header", "x-bad-value"] {
            assert_eq!(got.header(name), None, "{wire:?}: {name}");
        }
        assert!(got.header("user-agent").unwrap().starts_with("codex-app-server/"));
    }
}

#[tokio::test]
async fn reasoning_with_encrypted_content_round_trips() {
    let encrypted = "gAAAAABo+/ZmT3v==\"quoted\"\\slash";
    let reasoning_item = json!({
        "type": "reasoning",
        "id": "rs_abc",
        "summary": [
            {"type":"summary_text","text":"**Plan**"},
            {"type":"summary_text","text":"Then act."},
        ],
        "encrypted_content": encrypted,
    });
    let frame = |kind: &str, mut data: Value| {
        data["type"] = json!(kind);
        format!("event: {kind}\ndata: {data}\n\n")
    };
    let sse = [
        frame("response.created", json!({"response":{"id":"resp_r"}})),
        frame(
            "response.output_item.added",
            json!({"output_index":0,"item":{"type":"reasoning","id":"rs_abc","summary":[]}}),
        ),
        frame(
            "response.reasoning_summary_part.added",
            json!({"item_id":"rs_abc","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}),
        ),
        frame(
            "response.reasoning_summary_text.delta",
            json!({"item_id":"rs_abc","output_index":0,"summary_index":0,"delta":"**Plan**"}),
        ),
        frame(
            "response.reasoning_summary_part.added",
            json!({"item_id":"rs_abc","output_index":0,"summary_index":1,"part":{"type":"summary_text","text":""}}),
        ),
        frame(
            "response.reasoning_summary_text.delta",
            json!({"item_id":"rs_abc","output_index":0,"summary_index":1,"delta":"Then act."}),
        ),
        frame("response.output_item.done", json!({"output_index":0,"item":reasoning_item})),
        frame("response.completed", json!({"response":{"id":"resp_r"}})),
    ]
    .concat();

    let mock = MockProvider::start().await;
    mock.push(Script::raw_sse(sse));
    mock.push(Script::text("ok"));
    let client = client(&mock, WireApi::Responses);
    let mut first = ModelRequest::new("m", "i").push(InputItem::user("hi"));
    first.reasoning = Some(ReasoningOptions { effort: Some(ReasoningEffort::High), summary: None });
    let events = run(&client, &first).await;

    let summary_events: Vec<&ModelEvent> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ModelEvent::ReasoningSummaryPartAdded { .. }
                    | ModelEvent::ReasoningSummaryDelta { .. }
            )
        })
        .collect();
    assert_eq!(
        summary_events,
        [
            &ModelEvent::ReasoningSummaryPartAdded { item_id: "rs_abc".into(), summary_index: 0 },
            &ModelEvent::ReasoningSummaryDelta {
                item_id: "rs_abc".into(),
                summary_index: 0,
                delta: "**Plan**".into()
            },
            &ModelEvent::ReasoningSummaryPartAdded { item_id: "rs_abc".into(), summary_index: 1 },
            &ModelEvent::ReasoningSummaryDelta {
                item_id: "rs_abc".into(),
                summary_index: 1,
                delta: "Then act.".into()
            },
        ]
    );
    let items = done_items(&events);
    let [OutputItem::Reasoning { id, summary, encrypted_content, .. }] = &items[..] else {
        panic!("expected one reasoning item: {items:?}");
    };
    assert_eq!(encrypted_content.as_deref(), Some(encrypted));
    assert_eq!(summary, &["**Plan**", "Then act."]);

    // Replayed in the next request exactly as the provider sent it.
    let second = first.clone().push(InputItem::Reasoning {
        id: Some(id.clone()),
        summary: summary.clone(),
        encrypted_content: encrypted_content.clone(),
    });
    run(&client, &second).await;
    let requests = mock.model_requests();
    let first_body = &requests[0].body;
    assert_eq!(first_body["reasoning"], json!({"effort":"high"}));
    assert_eq!(first_body["include"], json!(["reasoning.encrypted_content"]));
    let body = &requests[1].body;
    assert_eq!(body["input"][1], reasoning_item);
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));

    // Chat Completions has no place for it.
    let chat = recorded(WireApi::Chat, &second).await.body;
    assert!(!chat.to_string().contains("gAAAA"), "{chat}");
}

#[tokio::test]
async fn two_function_calls_in_one_response_with_parallel_tool_calls() {
    for wire in BOTH {
        for parallel in [true, false] {
            let mock = MockProvider::start().await;
            mock.push(
                Script::function_call("call_a", "shell", json!({"command":["pwd"]}))
                    .and_function_call("call_b", "read_file", json!({"path":"a.txt"})),
            );
            let mut request = ModelRequest::new("m", "i")
                .push(InputItem::user("hi"))
                .tool(FunctionTool::new("shell", "run", json!({"type":"object"})))
                .tool(FunctionTool::new("read_file", "read", json!({"type":"object"})));
            request.parallel_tool_calls = parallel;
            let events = run(&client(&mock, wire), &request).await;
            let body = &mock.model_requests()[0].body;
            assert_eq!(body["parallel_tool_calls"], json!(parallel), "{wire:?}");
            let calls: Vec<(String, String)> = done_items(&events)
                .into_iter()
                .filter_map(|item| match item {
                    OutputItem::FunctionCall { call_id, name, .. } => Some((call_id, name)),
                    _ => None,
                })
                .collect();
            assert_eq!(
                calls,
                [("call_a".into(), "shell".into()), ("call_b".into(), "read_file".into())],
                "{wire:?}"
            );
        }
    }
}

#[test]
fn stored_input_items_keep_their_json_shape() {
    // Shapes already stored in thread history must keep deserializing, and reserialize the same.
    let stored = [
        json!({"type":"user_message","text":"hi"}),
        json!({"type":"assistant_message","text":"hello"}),
        json!({"type":"reasoning","id":"rs_1","summary":["a","b"],"encrypted_content":"enc"}),
        json!({"type":"reasoning","id":null,"summary":[],"encrypted_content":null}),
        json!({"type":"function_call","call_id":"c1","name":"shell","arguments":"{}"}),
        json!({"type":"function_call_output","call_id":"c1","output":"done"}),
    ];
    for value in stored {
        let item: InputItem = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&item).unwrap(), value);
    }
    assert_eq!(
        serde_json::from_value::<InputItem>(json!({"type":"user_message","text":"hi"})).unwrap(),
        InputItem::user("hi")
    );

    let message = InputItem::user_parts(vec![ContentPart::text("t"), ContentPart::image("u")]);
    let value = serde_json::to_value(&message).unwrap();
    assert_eq!(
        value,
        json!({"type":"message","role":"user","content":[
            {"type":"input_text","text":"t"},{"type":"input_image","image_url":"u"}]})
    );
    assert_eq!(serde_json::from_value::<InputItem>(value).unwrap(), message);
    assert_eq!(
        serde_json::to_value(InputItem::developer("d")).unwrap(),
        json!({"type":"message","role":"developer","content":[{"type":"input_text","text":"d"}]})
    );
    assert_eq!(serde_json::to_value(MessageRole::System).unwrap(), json!("system"));
}

#[test]
fn model_request_without_new_fields_deserializes() {
    let request: ModelRequest = serde_json::from_value(json!({
        "model": "m", "instructions": "", "input": [], "tools": [],
        "parallel_tool_calls": true, "output_schema": null, "reasoning": null,
    }))
    .unwrap();
    assert_eq!(request.prompt_cache_key, None);
    assert_eq!(request.verbosity, None);
    assert!(request.headers.is_empty());
}

#[test]
fn options_parse_from_strings() {
    let efforts = ["none", "minimal", "low", "medium", "high", "xhigh"];
    for name in efforts {
        let effort: ReasoningEffort = name.parse().unwrap();
        assert_eq!(serde_json::to_value(effort).unwrap(), json!(name));
    }
    assert_eq!(" High ".parse::<ReasoningEffort>(), Ok(ReasoningEffort::High));
    let error = "ultra-max".parse::<ReasoningEffort>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid reasoning effort `ultra-max`: expected one of none, minimal, low, medium, high, xhigh"
    );
    assert_eq!("concise".parse::<ReasoningSummary>(), Ok(ReasoningSummary::Concise));
    assert!("short".parse::<ReasoningSummary>().unwrap_err().to_string().contains("auto"));
    assert_eq!("medium".parse::<Verbosity>(), Ok(Verbosity::Medium));
    assert_eq!(serde_json::to_value(Verbosity::Medium).unwrap(), json!("medium"));
    let error = "loud".parse::<Verbosity>().unwrap_err();
    assert_eq!(error.to_string(), "invalid verbosity `loud`: expected one of low, medium, high");
}
