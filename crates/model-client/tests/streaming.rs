#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The model client against a real HTTP mock provider: streaming on both wire APIs, retries,
//! error messages, timeouts, cancellation, request shapes and model listing.

use std::collections::BTreeMap;
use std::time::Duration;

use codex_model_client::{
    FunctionTool, InputItem, ModelClient, ModelError, ModelEvent, ModelRequest, OutputItem,
    ProviderConfig, ReasoningEffort, ReasoningOptions, ReasoningSummary, RetryPolicy, TokenUsage,
    WireApi,
};
use codex_test_support::{MockProvider, MockUsage, Script, ServeOutcome};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

const KEY_VAR: &str = "CODEX_TEST_MOCK_API_KEY";
const BOTH: [WireApi; 2] = [WireApi::Responses, WireApi::Chat];

fn provider(base_url: String, wire: WireApi) -> ProviderConfig {
    ProviderConfig::new("mock", base_url, wire)
        .with_env_key(KEY_VAR)
        .with_header("x-test-header", "present")
        .with_stream_idle_timeout(Duration::from_secs(20))
}

fn client_for(provider: ProviderConfig) -> ModelClient {
    ModelClient::new(provider)
        .unwrap()
        .with_env_lookup(|name| (name == KEY_VAR).then(|| "sk-test-123".to_string()))
        .with_retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(5),
        })
}

fn client(mock: &MockProvider, wire: WireApi) -> ModelClient {
    client_for(provider(mock.base_url(), wire))
}

fn hello_request() -> ModelRequest {
    ModelRequest::new("mock-model", "You are a test.").push(InputItem::user("hi"))
}

/// Reads a stream to its end, returning the events and the error that ended it, if any.
async fn drain(
    client: &ModelClient,
    request: &ModelRequest,
) -> (Vec<ModelEvent>, Option<ModelError>) {
    let mut stream = client.stream(request).await.expect("stream should start");
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(error) => {
                assert!(stream.next().await.is_none(), "stream must end after an error");
                return (events, Some(error));
            }
        }
    }
    (events, None)
}

fn text_of(events: &[ModelEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::OutputTextDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect()
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

#[tokio::test]
async fn hundred_deltas_arrive_in_order_and_complete_on_both_wires() {
    for wire in BOTH {
        let mock = MockProvider::start().await;
        mock.push(Script::numbered_text(100).with_usage(MockUsage {
            input_tokens: 40,
            cached_input_tokens: 8,
            output_tokens: 100,
            reasoning_tokens: 0,
        }));
        let (events, error) = drain(&client(&mock, wire), &hello_request()).await;
        assert_eq!(error, None, "{wire:?}");
        let expected: String = (0..100).map(|i| format!("{i} ")).collect();
        let deltas: Vec<&ModelEvent> =
            events.iter().filter(|e| matches!(e, ModelEvent::OutputTextDelta { .. })).collect();
        assert_eq!(deltas.len(), 100, "{wire:?}");
        assert_eq!(text_of(&events), expected, "{wire:?}");
        assert!(matches!(events.first(), Some(ModelEvent::Created { response_id: Some(_) })));
        assert!(matches!(
            events.iter().find(|e| matches!(e, ModelEvent::OutputItemAdded(_))),
            Some(ModelEvent::OutputItemAdded(OutputItem::Message { .. }))
        ));
        let items = done_items(&events);
        assert!(
            matches!(&items[..], [OutputItem::Message { text, .. }] if *text == expected),
            "{wire:?}: {items:?}"
        );
        assert_eq!(
            events.last(),
            Some(&ModelEvent::Completed {
                response_id: "resp_0".to_string(),
                usage: Some(TokenUsage {
                    input_tokens: 40,
                    cached_input_tokens: 8,
                    output_tokens: 100,
                    reasoning_output_tokens: 0,
                    total_tokens: 140,
                }),
            }),
            "{wire:?}"
        );
    }
}

#[tokio::test]
async fn reasoning_summary_and_text_stream_on_responses_api() {
    let mock = MockProvider::start().await;
    mock.push(
        Script::reasoning_summary(["Think", "ing"])
            .and_reasoning_text(["raw ", "thoughts"])
            .and_text_deltas(["Done"]),
    );
    let (events, error) = drain(&client(&mock, WireApi::Responses), &hello_request()).await;
    assert_eq!(error, None);
    assert!(events.contains(&ModelEvent::ReasoningSummaryPartAdded {
        item_id: "rs_0".into(),
        summary_index: 0
    }));
    let summary: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            ModelEvent::ReasoningSummaryDelta { item_id, delta, .. } if item_id == "rs_0" => {
                Some(delta.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(summary, ["Think", "ing"]);
    let raw: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            ModelEvent::ReasoningTextDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(raw, ["raw ", "thoughts"]);
    let items = done_items(&events);
    assert_eq!(
        items[0],
        OutputItem::Reasoning {
            id: "rs_0".into(),
            summary: vec!["Thinking".into()],
            content: vec![],
            encrypted_content: Some("mock-encrypted".into()),
        }
    );
    assert!(
        matches!(&items[1], OutputItem::Reasoning { content, .. } if content == &["raw thoughts"])
    );
    assert!(matches!(&items[2], OutputItem::Message { text, .. } if text == "Done"));
}

#[tokio::test]
async fn reasoning_content_streams_on_chat_api() {
    let mock = MockProvider::start().await;
    mock.push(Script::reasoning_text(["let me ", "think"]).and_text_deltas(["42"]));
    let response = client(&mock, WireApi::Chat)
        .stream(&hello_request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert!(matches!(
        &response.items[0],
        OutputItem::Reasoning { content, .. } if content == &["let me think"]
    ));
    assert_eq!(response.text(), "42");
}

#[tokio::test]
async fn function_call_arguments_are_assembled_on_both_wires() {
    for wire in BOTH {
        let mock = MockProvider::start().await;
        let args_one = json!({"command": ["echo", "hi"], "workdir": "/tmp/ü"});
        let args_two = json!({"command": ["ls", "-la"]});
        mock.push(
            Script::text_deltas(["Running"])
                .and_function_call("call_1", "shell", args_one.clone())
                .and_function_call("call_2", "shell", args_two.clone()),
        );
        let response = client(&mock, wire)
            .stream(&hello_request())
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        let calls: Vec<(String, String, Value)> = response
            .items
            .iter()
            .filter_map(|item| match item {
                OutputItem::FunctionCall { call_id, name, arguments, .. } => {
                    Some((call_id.clone(), name.clone(), serde_json::from_str(arguments).unwrap()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            calls,
            vec![
                ("call_1".into(), "shell".into(), args_one.clone()),
                ("call_2".into(), "shell".into(), args_two.clone())
            ],
            "{wire:?}"
        );
        assert_eq!(response.text(), "Running", "{wire:?}");
    }
}

#[tokio::test]
async fn unauthorized_names_the_env_var_and_is_not_retried() {
    for status in [401, 403] {
        let mock = MockProvider::start().await;
        mock.push(Script::status(status, r#"{"error":{"message":"Incorrect API key provided"}}"#));
        let error = client(&mock, WireApi::Responses).stream(&hello_request()).await.unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, ModelError::Unauthorized { .. }), "{error:?}");
        assert!(message.contains(&format!("check the API key in ${KEY_VAR}")), "{message}");
        assert!(message.contains("Incorrect API key provided"), "{message}");
        assert!(message.contains(&status.to_string()), "{message}");
        assert_eq!(mock.request_count(), 1);
    }
}

#[tokio::test]
async fn rate_limit_then_success_is_retried() {
    let mock = MockProvider::start().await;
    mock.push(Script::rate_limited(0));
    mock.push(Script::status(503, "warming up"));
    mock.push(Script::text("finally"));
    let response = client(&mock, WireApi::Responses)
        .stream(&hello_request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(response.text(), "finally");
    assert_eq!(mock.wait_for_outcome(2).await, ServeOutcome::Finished);
    let requests = mock.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.body == requests[0].body), "retries resend the same body");
}

#[tokio::test]
async fn retry_after_header_overrides_the_backoff() {
    // Backoff alone would wait ten minutes; `Retry-After: 0` makes the retry immediate. The
    // outer timeout only turns a hang (header ignored) into a failure.
    let mock = MockProvider::start().await;
    mock.push(Script::rate_limited(0));
    mock.push(Script::text("ok"));
    let client = client(&mock, WireApi::Responses).with_retry_policy(RetryPolicy {
        base_delay: Duration::from_secs(600),
        max_delay: Duration::from_secs(600),
        max_retry_after: Duration::from_secs(600),
    });
    let response = tokio::time::timeout(Duration::from_secs(60), async {
        client.stream(&hello_request()).await.unwrap().collect_response().await.unwrap()
    })
    .await
    .expect("Retry-After: 0 was not honoured");
    assert_eq!(response.text(), "ok");
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn long_error_bodies_are_cut_to_a_snippet() {
    let mock = MockProvider::start().await;
    let body = format!("start-{}-end", "x".repeat(5000));
    mock.push(Script::status(502, body));
    let provider = provider(mock.base_url(), WireApi::Responses).with_request_max_retries(0);
    let message = client_for(provider).stream(&hello_request()).await.unwrap_err().to_string();
    assert!(message.contains("HTTP 502") && message.contains("start-xxx"), "{message}");
    assert!(!message.contains("-end") && message.ends_with('…'), "{message}");
    assert!(message.len() < 1000, "{} chars", message.len());
}

#[tokio::test]
async fn rate_limit_after_all_retries_says_rate_limited() {
    let mock = MockProvider::start().await;
    for _ in 0..3 {
        mock.push(Script::rate_limited(0));
    }
    let provider = provider(mock.base_url(), WireApi::Chat).with_request_max_retries(2);
    let error = client_for(provider).stream(&hello_request()).await.unwrap_err();
    assert_eq!(
        error,
        ModelError::RateLimited {
            provider: "mock".into(),
            attempts: 3,
            body: r#"{"error":{"message":"Rate limit reached","type":"rate_limit_exceeded"}}"#
                .into()
        }
    );
    assert!(error.to_string().contains("rate limiting"), "{error}");
    assert_eq!(mock.request_count(), 3);
}

#[tokio::test]
async fn server_error_is_retried_then_fails_with_status_and_body() {
    let mock = MockProvider::start().await;
    for _ in 0..5 {
        mock.push(Script::status(500, "upstream exploded: shard 7"));
    }
    // Default retries: 4, so five attempts in all.
    let error = client(&mock, WireApi::Responses).stream(&hello_request()).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ModelError::ServerError { status: 500, attempts: 5, .. }), "{error:?}");
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains("upstream exploded: shard 7"), "{message}");
    assert_eq!(mock.request_count(), 5);
    assert_eq!(mock.remaining_scripts(), 0);
}

#[tokio::test]
async fn not_found_names_url_and_model() {
    let mock = MockProvider::start().await;
    mock.push(Script::status(404, "The model `nope` does not exist"));
    let request = ModelRequest::new("nope", "").push(InputItem::user("hi"));
    let error = client(&mock, WireApi::Chat).stream(&request).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains(&format!("{}/chat/completions", mock.base_url())), "{message}");
    assert!(message.contains("model `nope`"), "{message}");
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn bad_request_is_not_retried() {
    let mock = MockProvider::start().await;
    mock.push(Script::status(400, "Invalid schema for function 'shell'"));
    let error = client(&mock, WireApi::Responses).stream(&hello_request()).await.unwrap_err();
    assert!(matches!(error, ModelError::BadRequest { status: 400, .. }), "{error:?}");
    assert!(error.to_string().contains("Invalid schema"), "{error}");
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn connect_failure_is_retried_then_reported() {
    // A port that was just free: bind, read the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let provider = provider(format!("http://127.0.0.1:{port}/v1"), WireApi::Responses)
        .with_request_max_retries(1);
    let error = client_for(provider).stream(&hello_request()).await.unwrap_err();
    assert!(matches!(error, ModelError::Connect { attempts: 2, .. }), "{error:?}");
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")), "{error}");
}

#[tokio::test]
async fn mid_stream_disconnect_is_an_error_on_both_wires() {
    for wire in BOTH {
        let mock = MockProvider::start().await;
        mock.push(Script::text_deltas(["par", "tial"]).and_disconnect());
        mock.push(Script::text_deltas(["par", "tial"]).and_end_without_completion());
        let client = client(&mock, wire);

        let (events, error) = drain(&client, &hello_request()).await;
        assert_eq!(text_of(&events), "partial", "{wire:?}");
        assert!(!events.iter().any(|e| matches!(e, ModelEvent::Completed { .. })));
        assert!(
            matches!(error, Some(ModelError::Transport { .. } | ModelError::Disconnected { .. })),
            "{wire:?}: {error:?}"
        );

        let (events, error) = drain(&client, &hello_request()).await;
        assert_eq!(text_of(&events), "partial");
        assert_eq!(error, Some(ModelError::Disconnected { provider: "mock".into() }), "{wire:?}");
        assert_eq!(mock.wait_for_outcome(1).await, ServeOutcome::Finished);
        assert!(error.unwrap().to_string().contains("ended before the response completed"));
        assert_eq!(mock.request_count(), 2, "no retry once streaming began");
    }
}

#[tokio::test]
async fn idle_stream_times_out_and_closes_the_connection() {
    let mock = MockProvider::start().await;
    mock.push(Script::text_deltas(["hello"]).and_hang());
    let provider = provider(mock.base_url(), WireApi::Responses)
        .with_stream_idle_timeout(Duration::from_millis(300));
    let (events, error) = drain(&client_for(provider), &hello_request()).await;
    assert_eq!(text_of(&events), "hello");
    assert_eq!(
        error,
        Some(ModelError::IdleTimeout {
            provider: "mock".into(),
            timeout: Duration::from_millis(300)
        })
    );
    assert!(error.unwrap().to_string().contains("stream_idle_timeout_ms"));
    // A hanging stream never ends by itself: this outcome means the client closed it.
    assert_eq!(mock.wait_for_outcome(0).await, ServeOutcome::ClientDisconnected);
}

#[tokio::test]
async fn a_slow_but_steady_stream_outlives_the_idle_timeout() {
    // Each gap (50 ms) is well under the idle limit (1 s); the whole stream (~1.5 s) is not.
    let mock = MockProvider::start().await;
    mock.push(Script::slow_text(30, Duration::from_millis(50)));
    let provider =
        provider(mock.base_url(), WireApi::Chat).with_stream_idle_timeout(Duration::from_secs(1));
    let (events, error) = drain(&client_for(provider), &hello_request()).await;
    assert_eq!(error, None);
    assert_eq!(text_of(&events), (0..30).map(|i| format!("{i} ")).collect::<String>());
}

#[tokio::test]
async fn provider_reported_failures_are_errors() {
    let mock = MockProvider::start().await;
    mock.push(
        Script::text_deltas(["so far"]).and_fail("context_length_exceeded", "Input too long"),
    );
    let (events, error) = drain(&client(&mock, WireApi::Responses), &hello_request()).await;
    assert_eq!(text_of(&events), "so far");
    let error = error.unwrap();
    assert!(error.is_context_window_exceeded(), "{error:?}");
    assert!(error.to_string().contains("Input too long"));

    mock.push(Script::failed("server_error", "overloaded"));
    let (_, error) = drain(&client(&mock, WireApi::Chat), &hello_request()).await;
    let message = error.unwrap().to_string();
    assert!(message.contains("(server_error): overloaded"), "{message}");
}

#[tokio::test]
async fn json_instead_of_a_stream_is_reported() {
    let mock = MockProvider::start().await;
    mock.push(Script::status(200, r#"{"error":{"message":"streaming disabled for this key"}}"#));
    let error = client(&mock, WireApi::Chat).stream(&hello_request()).await.unwrap_err();
    assert!(matches!(error, ModelError::InvalidResponse { .. }), "{error:?}");
    assert!(error.to_string().contains("streaming disabled for this key"), "{error}");
}

#[tokio::test]
async fn malformed_event_is_an_error_not_a_panic() {
    let mock = MockProvider::start().await;
    mock.push(Script::raw_sse(
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\n\
         event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":7}\n\n",
    ));
    let (events, error) = drain(&client(&mock, WireApi::Responses), &hello_request()).await;
    assert_eq!(events, vec![ModelEvent::Created { response_id: Some("r".into()) }]);
    assert!(
        matches!(&error, Some(ModelError::InvalidEvent { event, .. }) if event == "response.output_text.delta"),
        "{error:?}"
    );
}

#[tokio::test]
async fn missing_api_key_fails_before_any_request() {
    let mock = MockProvider::start().await;
    mock.push(Script::text("unused"));
    let client = ModelClient::new(provider(mock.base_url(), WireApi::Responses))
        .unwrap()
        .with_env_lookup(|_| None);
    let error = client.stream(&hello_request()).await.unwrap_err();
    assert_eq!(
        error,
        ModelError::MissingApiKey { provider: "mock".into(), env_key: KEY_VAR.into() }
    );
    assert!(error.to_string().contains(&format!("set the environment variable ${KEY_VAR}")));
    assert_eq!(client.list_models().await.unwrap_err(), error);
    assert_eq!(mock.request_count(), 0);

    // The default lookup reads the real process environment (this variable is never set).
    let env_client = ModelClient::new(
        provider(mock.base_url(), WireApi::Responses)
            .with_env_key("CODEX_TEST_SURELY_UNSET_KEY_4711"),
    )
    .unwrap();
    let error = env_client.stream(&hello_request()).await.unwrap_err();
    assert!(error.to_string().contains("$CODEX_TEST_SURELY_UNSET_KEY_4711"), "{error}");
    assert_eq!(mock.request_count(), 0);
}

fn full_request() -> ModelRequest {
    let mut request = ModelRequest::new("gpt-test", "Follow the rules.")
        .push(InputItem::user("list files"))
        .push(InputItem::Reasoning {
            id: Some("rs_1".into()),
            summary: vec!["Plan".into()],
            encrypted_content: Some("enc".into()),
        })
        .push(InputItem::assistant("Sure."))
        .push(InputItem::function_call("call_9", "shell", r#"{"command":["ls"]}"#))
        .push(InputItem::function_call_output("call_9", "a.txt\nb.txt"))
        .tool(FunctionTool::new(
            "shell",
            "Runs a command",
            json!({"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}},"required":["command"]}),
        ));
    request.reasoning = Some(ReasoningOptions {
        effort: Some(ReasoningEffort::Low),
        summary: Some(ReasoningSummary::Concise),
    });
    request.output_schema = Some(json!({"type":"object","properties":{"ok":{"type":"boolean"}}}));
    request
}

#[tokio::test]
async fn responses_request_shape_is_recorded() {
    let mock = MockProvider::start().await;
    mock.push(Script::text("ok"));
    drain(&client(&mock, WireApi::Responses), &full_request()).await;
    let requests = mock.model_requests();
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/responses");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-123"));
    assert_eq!(request.header("x-test-header"), Some("present"));
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    let body = &request.body;
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["instructions"], "Follow the rules.");
    assert_eq!(body["stream"], true);
    assert_eq!(body["store"], false);
    assert_eq!(
        body["input"],
        json!([
            {"type":"message","role":"user","content":[{"type":"input_text","text":"list files"}]},
            {"type":"reasoning","summary":[{"type":"summary_text","text":"Plan"}],"id":"rs_1","encrypted_content":"enc"},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Sure."}]},
            {"type":"function_call","call_id":"call_9","name":"shell","arguments":"{\"command\":[\"ls\"]}"},
            {"type":"function_call_output","call_id":"call_9","output":"a.txt\nb.txt"},
        ])
    );
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["name"], "shell");
    assert_eq!(body["tools"][0]["parameters"]["required"], json!(["command"]));
    assert_eq!(body["reasoning"], json!({"effort":"low","summary":"concise"}));
    assert_eq!(body["text"]["format"]["schema"]["properties"]["ok"]["type"], "boolean");
}

#[tokio::test]
async fn chat_request_shape_is_recorded() {
    let mock = MockProvider::start().await;
    mock.push(Script::text("ok"));
    drain(&client(&mock, WireApi::Chat), &full_request()).await;
    let request = &mock.model_requests()[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-123"));
    let body = &request.body;
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(
        body["messages"],
        json!([
            {"role":"system","content":"Follow the rules."},
            {"role":"user","content":"list files"},
            {"role":"assistant","content":"Sure.","tool_calls":[{"id":"call_9","type":"function","function":{"name":"shell","arguments":"{\"command\":[\"ls\"]}"}}]},
            {"role":"tool","tool_call_id":"call_9","content":"a.txt\nb.txt"},
        ])
    );
    assert_eq!(body["tools"][0]["function"]["name"], "shell");
    assert_eq!(body["reasoning_effort"], "low");
    assert_eq!(body["response_format"]["type"], "json_schema");
}

#[tokio::test]
async fn list_models_reads_the_openai_shape() {
    let mock = MockProvider::start().await;
    mock.set_models(["gpt-a", "llama-b"]);
    let models = client(&mock, WireApi::Chat).list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["gpt-a", "llama-b"]);
    assert_eq!(models[0].owned_by.as_deref(), Some("mock"));
    let request = &mock.requests()[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/v1/models"));
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-123"));

    mock.fail_models(404, "no such endpoint");
    let error = client(&mock, WireApi::Chat).list_models().await.unwrap_err();
    assert!(error.to_string().contains(&format!("{}/models", mock.base_url())), "{error}");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_http_request() {
    let mock = MockProvider::start().await;
    mock.push(Script::slow_text(500, Duration::from_millis(10)));
    let mut stream = client(&mock, WireApi::Responses).stream(&hello_request()).await.unwrap();
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    drop(stream);
    assert_eq!(mock.wait_for_outcome(0).await, ServeOutcome::ClientDisconnected);
}

#[tokio::test]
async fn cancelling_ends_the_stream_and_the_request() {
    let mock = MockProvider::start().await;
    mock.push(Script::slow_text(500, Duration::from_millis(10)));
    let cancel = CancellationToken::new();
    let mut stream = client(&mock, WireApi::Chat)
        .stream_with_cancel(&hello_request(), cancel.clone())
        .await
        .unwrap();
    stream.next().await.unwrap().unwrap();
    cancel.cancel();
    assert_eq!(stream.next().await, Some(Err(ModelError::Cancelled)));
    assert_eq!(stream.next().await, None);
    // The stream is still alive here, yet the connection is closed.
    assert_eq!(mock.wait_for_outcome(0).await, ServeOutcome::ClientDisconnected);

    // Cancelled before the request is sent: no request at all.
    let error = client(&mock, WireApi::Chat)
        .stream_with_cancel(&hello_request(), cancel)
        .await
        .unwrap_err();
    assert_eq!(error, ModelError::Cancelled);
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn unscripted_request_gets_a_clear_500() {
    let mock = MockProvider::start().await;
    let provider = provider(mock.base_url(), WireApi::Responses).with_request_max_retries(0);
    let error = client_for(provider).stream(&hello_request()).await.unwrap_err();
    assert!(error.to_string().contains("no script queued"), "{error}");
    assert_eq!(mock.requests()[0].outcome, ServeOutcome::Unscripted);
}

#[test]
fn provider_config_reads_the_toml_shape() {
    #[derive(serde::Deserialize)]
    struct Config {
        model_providers: BTreeMap<String, ProviderConfig>,
    }
    let config: Config = toml::from_str(
        r#"
        [model_providers.local]
        name = "Local LLM"
        base_url = "http://localhost:8080/v1"
        wire_api = "chat"
        http_headers = { "X-Org" = "acme" }
        request_max_retries = 2
        stream_idle_timeout_ms = 1500

        [model_providers.azure]
        base_url = "https://example.invalid/openai"
        env_key = "AZURE_OPENAI_API_KEY"
        query_params = { "api-version" = "2025-04-01-preview" }
        "#,
    )
    .unwrap();
    let local = &config.model_providers["local"];
    assert_eq!(local.name, "Local LLM");
    assert_eq!(local.wire_api, WireApi::Chat);
    assert_eq!(local.env_key, None);
    assert_eq!(local.http_headers["X-Org"], "acme");
    assert_eq!(local.request_max_retries, 2);
    assert_eq!(local.stream_idle_timeout(), Duration::from_millis(1500));
    let azure = &config.model_providers["azure"];
    assert_eq!(azure.wire_api, WireApi::Responses);
    assert_eq!(azure.request_max_retries, 4);
    assert_eq!(azure.stream_idle_timeout_ms, 300_000);
    assert_eq!(
        azure.endpoint_url("responses"),
        "https://example.invalid/openai/responses?api-version=2025-04-01-preview"
    );

    let merged = codex_model_client::merge_providers(config.model_providers);
    assert_eq!(merged["azure"].name, "azure");
    assert_eq!(merged["openai"].env_key.as_deref(), Some("OPENAI_API_KEY"));
    assert_eq!(merged["openai"].base_url, "https://api.openai.com/v1");
    assert_eq!(merged["ollama"].base_url, "http://localhost:11434/v1");
    assert_eq!(merged["ollama"].env_key, None);

    let bad: Result<Config, _> =
        toml::from_str("[model_providers.x]\nbase_url = \"http://h\"\nwire_api = \"grpc\"\n");
    assert!(bad.is_err());
}

#[tokio::test]
async fn mock_provider_toml_configures_a_working_provider() {
    #[derive(serde::Deserialize)]
    struct Config {
        model_providers: BTreeMap<String, ProviderConfig>,
    }
    let mock = MockProvider::start().await;
    mock.push(Script::text("from toml"));
    let config: Config =
        toml::from_str(&mock.provider_toml("mock", codex_test_support::WireFormat::Chat)).unwrap();
    let provider = config.model_providers["mock"].clone();
    assert_eq!((provider.wire_api, provider.request_max_retries), (WireApi::Chat, 0));
    let response = ModelClient::new(provider)
        .unwrap()
        .stream(&hello_request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(response.text(), "from toml");
    assert_eq!(mock.requests()[0].header("authorization"), None);
}

#[test]
fn invalid_header_is_a_config_error() {
    let provider = ProviderConfig::new("p", "http://127.0.0.1:1/v1", WireApi::Chat)
        .with_header("bad header", "x");
    let error = ModelClient::new(provider).unwrap_err();
    assert!(error.to_string().contains("bad header name `bad header`"), "{error}");
}
