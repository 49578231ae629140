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
use codex_test_support::TestClient;
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
    telemetry::install_subscriber(tracing_subscriber::EnvFilter::new("warn"), Some(&provider))
        .unwrap();

    let home = tempfile::tempdir().unwrap();
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
            && attribute(s, "request_id").is_some_and(|id| id.contains("traced-1"))
    })
    .await;
    assert_eq!(span.span_context.trace_id(), TraceId::from_hex(TRACE_ID).unwrap());
    assert_eq!(span.parent_span_id, SpanId::from_hex(PARENT_SPAN_ID).unwrap());
    assert!(span.parent_span_is_remote);
    assert_eq!(span.span_context.trace_state().get("vendor"), Some("value"));
    assert_eq!(attribute(&span, "client.name").as_deref(), Some("tracing-test"));
    assert_eq!(attribute(&span, "client.version").as_deref(), Some("1.0"));
    assert!(attribute(&span, "transport").unwrap().contains("Websocket"));
    assert!(attribute(&span, "connection_id").is_some());

    // Without `trace` (and without TRACEPARENT in this process) a request starts its own trace.
    let untraced = finished_span(&exporter, |s| s.name == "config/read").await;
    assert_ne!(untraced.span_context.trace_id(), TraceId::from_hex(TRACE_ID).unwrap());
    assert_eq!(untraced.parent_span_id, SpanId::INVALID);

    // `initialize` has its own span too, named with the client it introduced.
    let init = finished_span(&exporter, |s| s.name == "initialize").await;
    assert_eq!(attribute(&init, "client.name").as_deref(), Some("tracing-test"));

    shutdown.cancel();
    server.await.unwrap().unwrap();
    provider.shutdown().unwrap();
}
