//! Request spans, exported through the production subscriber wiring to an in-memory OpenTelemetry
//! exporter: one span per request named after its method, parented to the request's
//! `traceparent`, carrying transport, ids and client identity. (Own test binary: it installs the
//! process-wide subscriber.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server::telemetry;
use codex_app_server_transport::ListenAddress;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use opentelemetry::trace::SpanId;
use opentelemetry::trace::TraceId;
use opentelemetry::Value as OtelValue;
use opentelemetry_sdk::trace::InMemorySpanExporter;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::SpanData;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
const TURN_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| match &kv.value {
        OtelValue::String(s) => s.as_str().to_owned(),
        other => other.to_string(),
    })
}

async fn finished_span(
    exporter: &InMemorySpanExporter,
    matches: impl Fn(&SpanData) -> bool,
) -> SpanData {
    for _ in 0..200 {
        if let Some(span) = exporter.get_finished_spans().unwrap().into_iter().find(&matches) {
            return span;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("span not exported; got {:?}", exporter.get_finished_spans().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_span_is_named_after_its_method_and_parented_to_its_traceparent() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    telemetry::install_subscriber(
        tracing_subscriber::EnvFilter::new("warn"),
        Some(&provider),
        None,
    )
    .unwrap();

    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    let config = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    let mut options = ServeOptions::new(
        ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
        home.path().to_path_buf(),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    options.on_listening = Some(Arc::new(move |address: &str| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(address.to_owned());
        }
    }));
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(options, shutdown.clone()));
    let address = rx.await.unwrap();
    let mut client = TestClient::connect_ws(address.trim_start_matches("ws://")).await.unwrap();
    client.initialize("tracing-test", false).await.unwrap();

    let trace = json!({
        "traceparent": format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01"),
        "tracestate": "vendor=value"
    });
    client
        .send_request_with_trace(json!("traced-1"), "account/read", json!({}), trace)
        .await
        .unwrap();
    client.response(&json!("traced-1")).await.unwrap().unwrap();
    client.call("config/read", json!({})).await.unwrap();

    let span = finished_span(&exporter, |s| {
        s.name == "account/read"
            && attribute(s, "rpc.request_id").is_some_and(|id| id.contains("traced-1"))
    })
    .await;
    assert_eq!(span.span_context.trace_id(), TraceId::from_hex(TRACE_ID).unwrap());
    assert_eq!(span.parent_span_id, SpanId::from_hex(PARENT_SPAN_ID).unwrap());
    assert!(span.parent_span_is_remote);
    assert_eq!(span.span_context.trace_state().get("vendor"), Some("value"));
    // The reference's attribute names and values.
    assert_eq!(attribute(&span, "app_server.client_name").as_deref(), Some("tracing-test"));
    assert_eq!(attribute(&span, "app_server.client_version").as_deref(), Some("1.0"));
    assert_eq!(attribute(&span, "rpc.transport").as_deref(), Some("websocket"));
    assert_eq!(attribute(&span, "rpc.system").as_deref(), Some("jsonrpc"));
    assert_eq!(attribute(&span, "rpc.method").as_deref(), Some("account/read"));
    assert_eq!(attribute(&span, "app_server.api_version").as_deref(), Some("v2"));
    assert!(attribute(&span, "app_server.connection_id").is_some());

    // Without `trace` (and without TRACEPARENT in this process) a request starts its own trace.
    let untraced = finished_span(&exporter, |s| s.name == "config/read").await;
    assert_ne!(untraced.span_context.trace_id(), TraceId::from_hex(TRACE_ID).unwrap());
    assert_eq!(untraced.parent_span_id, SpanId::INVALID);

    // `initialize` has its own span too, named with the client it introduced.
    let init = finished_span(&exporter, |s| s.name == "initialize").await;
    assert_eq!(attribute(&init, "app_server.client_name").as_deref(), Some("tracing-test"));

    // A traced turn: the turn, its model requests and its tool call are spans of the caller's
    // trace, and the provider is sent a `traceparent` of that trace.
    let work = tempfile::tempdir().unwrap();
    mock.push(Script::function_call("call-1", "shell", json!({"command": ["echo", "traced"]})));
    mock.push(Script::text("done"));
    let started = client.call("thread/start", json!({"cwd": work.path()})).await.unwrap();
    let thread_id = started["thread"]["id"].as_str().unwrap().to_owned();
    let trace = json!({"traceparent": format!("00-{TURN_TRACE_ID}-{PARENT_SPAN_ID}-01")});
    client
        .send_request_with_trace(
            json!("turn-1"),
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}),
            trace,
        )
        .await
        .unwrap();
    client.response(&json!("turn-1")).await.unwrap().unwrap();
    let turn_trace = TraceId::from_hex(TURN_TRACE_ID).unwrap();
    let turn = finished_span(&exporter, |s| s.name == "turn").await;
    assert_eq!(turn.span_context.trace_id(), turn_trace);
    assert_eq!(attribute(&turn, "codex.thread.id").as_deref(), Some(thread_id.as_str()));
    let request = finished_span(&exporter, |s| s.name == "turn/start").await;
    assert_eq!(turn.parent_span_id, request.span_context.span_id(), "turn under its request");
    let turn_id = attribute(&turn, "turn.id").expect("turn.id on the turn span");
    assert_eq!(attribute(&request, "turn.id"), Some(turn_id), "turn/start names its turn");
    let model = finished_span(&exporter, |s| s.name == "model.request").await;
    assert_eq!(model.span_context.trace_id(), turn_trace);
    assert_eq!(model.parent_span_id, turn.span_context.span_id());
    assert_eq!(attribute(&model, "model.name").as_deref(), Some("mock-model"));
    let tool = finished_span(&exporter, |s| s.name == "tool.call").await;
    assert_eq!(tool.parent_span_id, turn.span_context.span_id());
    assert_eq!(attribute(&tool, "tool.name").as_deref(), Some("shell"));
    assert_eq!(attribute(&tool, "tool.success").as_deref(), Some("true"));
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 2);
    for sent in &requests {
        let traceparent = sent.header("traceparent").expect("traceparent sent to the provider");
        assert!(traceparent.contains(TURN_TRACE_ID), "{traceparent}");
    }

    // Waiting for an approval is a span of the tool call that asked, with the user's decision.
    mock.push(Script::function_call("call-2", "shell", json!({"command": ["touch", "made"]})));
    mock.push(Script::text("declined"));
    let started = client
        .call("thread/start", json!({"cwd": work.path(), "approvalPolicy": "untrusted"}))
        .await
        .unwrap();
    let thread_id = started["thread"]["id"].as_str().unwrap().to_owned();
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "touch"}]}),
        )
        .await
        .unwrap();
    let asked =
        client.wait_for_server_request("item/commandExecution/requestApproval").await.unwrap();
    client.respond(&asked["id"], json!({"decision": "decline"})).await.unwrap();
    let wait = finished_span(&exporter, |s| s.name == "approval.wait").await;
    assert_eq!(
        attribute(&wait, "approval.method").as_deref(),
        Some("item/commandExecution/requestApproval")
    );
    assert_eq!(attribute(&wait, "approval.decision").as_deref(), Some("decline"));
    let asking_tool = finished_span(&exporter, |s| {
        s.name == "tool.call" && attribute(s, "tool.call_id").as_deref() == Some("call-2")
    })
    .await;
    assert_eq!(wait.parent_span_id, asking_tool.span_context.span_id(), "wait under its tool call");
    assert_eq!(attribute(&asking_tool, "tool.success").as_deref(), Some("false"));

    shutdown.cancel();
    server.await.unwrap().unwrap();
    provider.shutdown().unwrap();
}
