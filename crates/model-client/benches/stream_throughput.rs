#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Throughput of the streaming client: a 20,000-delta Responses-API stream from the mock provider,
//! parsed into `ModelEvent`s, against a baseline that reads the same bytes raw from the same mock.
//!
//! Run: `cargo bench -p codex-model-client --bench stream_throughput`.

use std::time::{Duration, Instant};

use codex_model_client::{
    InputItem, ModelClient, ModelEvent, ModelRequest, ProviderConfig, WireApi,
};
use codex_test_support::{MockProvider, Script};
use futures::StreamExt;

const DELTAS: usize = 20_000;
const ROUNDS: usize = 9;

/// The benchmark stream; a fixed response id keeps every copy byte-identical.
fn script() -> Script {
    Script::numbered_text(DELTAS).with_response_id("resp_bench")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn parsed_run(client: &ModelClient, request: &ModelRequest) -> (Duration, usize) {
    let start = Instant::now();
    let mut stream = client.stream(request).await.expect("stream starts");
    let mut deltas = 0;
    while let Some(event) = stream.next().await {
        match event.expect("no stream error") {
            ModelEvent::OutputTextDelta { .. } => deltas += 1,
            ModelEvent::Completed { .. } => {}
            _ => {}
        }
    }
    (start.elapsed(), deltas)
}

async fn raw_run(http: &reqwest::Client, url: &str) -> (Duration, usize) {
    let start = Instant::now();
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(r#"{"model":"bench","stream":true}"#)
        .send()
        .await
        .expect("raw request");
    let mut bytes = 0;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        bytes += chunk.expect("raw chunk").len();
    }
    (start.elapsed(), bytes)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mock = MockProvider::start().await;
        let client =
            ModelClient::new(ProviderConfig::new("bench", mock.base_url(), WireApi::Responses))
                .expect("client");
        let request = ModelRequest::new("bench", "").push(InputItem::user("go"));
        let http = reqwest::Client::new();
        let url = format!("{}/responses", mock.base_url());

        // Warm-up (connection pool, allocator), then alternate to share any drift.
        mock.push(script());
        mock.push(script());
        let _ = parsed_run(&client, &request).await;
        let (_, stream_bytes) = raw_run(&http, &url).await;

        let mut parsed = Vec::new();
        let mut raw = Vec::new();
        for _ in 0..ROUNDS {
            mock.push(script());
            mock.push(script());
            let (elapsed, deltas) = parsed_run(&client, &request).await;
            assert_eq!(deltas, DELTAS);
            parsed.push(elapsed);
            let (elapsed, bytes) = raw_run(&http, &url).await;
            assert_eq!(bytes, stream_bytes);
            raw.push(elapsed);
        }
        let parsed = median(parsed);
        let raw = median(raw);
        let per_sec = |d: Duration| DELTAS as f64 / d.as_secs_f64();
        let mib = stream_bytes as f64 / (1024.0 * 1024.0);
        println!(
            "stream: {DELTAS} deltas, {stream_bytes} bytes ({mib:.2} MiB), median of {ROUNDS}"
        );
        println!(
            "parsed (ModelClient -> ModelEvent): {:>8.1} ms  {:>10.0} deltas/s  {:>7.1} MiB/s",
            parsed.as_secs_f64() * 1e3,
            per_sec(parsed),
            mib / parsed.as_secs_f64()
        );
        println!(
            "raw bytes (reqwest, same mock):     {:>8.1} ms  {:>10.0} deltas/s  {:>7.1} MiB/s",
            raw.as_secs_f64() * 1e3,
            per_sec(raw),
            mib / raw.as_secs_f64()
        );
        println!(
            "ratio parsed/raw time: {:.2}x (parsed throughput = {:.0}% of raw)",
            parsed.as_secs_f64() / raw.as_secs_f64(),
            100.0 * raw.as_secs_f64() / parsed.as_secs_f64()
        );
    });
}
