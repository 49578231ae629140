#![allow(clippy::unwrap_used, clippy::expect_used)]
//! An MCP tool call round trip through the app-server next to a direct `rmcp` client call to the
//! same stdio server (the `mcp_test_server` binary), measured in the same run.
//!
//! 1. Direct: an `rmcp` client spawns the server and calls `echo` 200 times back to back.
//! 2. Client call: a websocket client sends `mcpServer/tool/call` for `echo` 200 times (app-server
//!    → its `rmcp` client → the server's own process), request to response.
//! 3. Model calls: a turn in which the model (`MockProvider`) calls `mcp__bench__echo` in 50
//!    consecutive responses, next to the same turn calling a trivial built-in tool
//!    (`update_plan`) instead; each turn timed from `turn/start` to `turn/completed` (5 rounds of
//!    each, interleaved) and divided by its 50 calls: the whole agent path per call (model
//!    request and stream, the item stored in SQLite, the call, the output), and the difference is
//!    what an MCP call costs inside a turn. The server-side `durationMs` of the `mcpToolCall`
//!    items is reported too.
//!
//! Run: `cargo bench -p codex-test-support --bench mcp_round_trip`. Measured 2026-12-03 (release,
//! 2-core box): direct 0.058 / 0.072 ms, `mcpServer/tool/call` 0.134 / 0.177 ms (2.30x); per call
//! in a turn 11.21 ms vs 11.18 ms for `update_plan`; item `durationMs` 1 ms.

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::ListenAddress;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use rmcp::ServiceExt as _;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SERVER: &str = env!("CARGO_BIN_EXE_mcp_test_server");
const CALLS: usize = 200;
const MODEL_CALLS: usize = 50;
const WARMUP: usize = 5;
const TURN_ROUNDS: usize = 5;

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    (at(0.5), at(0.9))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn direct() -> Vec<Duration> {
    let transport =
        rmcp::transport::TokioChildProcess::new(tokio::process::Command::new(SERVER)).unwrap();
    let client = ().serve(transport).await.unwrap();
    let params: rmcp::model::CallToolRequestParams =
        serde_json::from_value(json!({"name": "echo", "arguments": {"text": "x"}})).unwrap();
    let mut samples = Vec::new();
    for round in 0..WARMUP + CALLS {
        let start = Instant::now();
        client.call_tool(params.clone()).await.unwrap();
        if round >= WARMUP {
            samples.push(start.elapsed());
        }
    }
    let _ = client.cancel().await;
    samples
}

async fn start_server(home: &Path) -> (String, CancellationToken) {
    let (sender, receiver) = tokio::sync::oneshot::channel::<String>();
    let sender = Arc::new(Mutex::new(Some(sender)));
    let mut options =
        ServeOptions::new(ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()), home.into());
    options.on_listening = Some(Arc::new(move |address: &str| {
        if let Some(sender) = sender.lock().unwrap().take() {
            let _ = sender.send(address.to_owned());
        }
    }));
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(options, shutdown.clone()));
    let address = receiver.await.unwrap().trim_start_matches("ws://").to_owned();
    (address, shutdown)
}

/// Runs a turn; returns its wall time and the `durationMs` of its `mcpToolCall` items.
async fn run_turn(client: &mut TestClient, thread_id: &str) -> (Duration, Vec<Duration>) {
    let start = Instant::now();
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}),
        )
        .await
        .unwrap();
    let mut items = Vec::new();
    loop {
        let message = client.next_message(Duration::from_secs(60)).await.unwrap();
        let item = &message["params"]["item"];
        if message["method"] == "item/completed" && item["type"] == "mcpToolCall" {
            assert_eq!(item["status"], "completed", "{item}");
            items.push(Duration::from_millis(item["durationMs"].as_u64().unwrap()));
        }
        if message["method"] == "turn/completed" {
            assert_eq!(message["params"]["turn"]["status"], "completed", "{message}");
            return (start.elapsed(), items);
        }
    }
}

async fn bench() {
    let direct = direct().await;

    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    let text = format!(
        "model = \"gpt-5\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\n\n[mcp_servers.bench]\ncommand = {SERVER:?}\n\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.path().join("config.toml"), text).unwrap();
    let (address, shutdown) = start_server(home.path()).await;
    let mut client = TestClient::connect_ws(&address).await.unwrap().without_validation();
    client.initialize("bench", false).await.unwrap();
    loop {
        let list = client.call("mcpServerStatus/list", json!({})).await.unwrap();
        if list["data"][0]["runtimeStatus"] == "connected" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let thread = client.call("thread/start", json!({"cwd": work.path()})).await.unwrap();
    let thread_id = thread["thread"]["id"].as_str().unwrap().to_owned();

    let mut through = Vec::new();
    for round in 0..WARMUP + CALLS {
        let start = Instant::now();
        client
            .call(
                "mcpServer/tool/call",
                json!({"threadId": thread_id, "server": "bench", "tool": "echo",
                       "arguments": {"text": "x"}}),
            )
            .await
            .unwrap();
        if round >= WARMUP {
            through.push(start.elapsed());
        }
    }

    let (mut per_mcp_call, mut per_plan_call, mut item_durations) =
        (Vec::new(), Vec::new(), Vec::new());
    for round in 0..TURN_ROUNDS {
        for index in 0..MODEL_CALLS {
            let id = format!("m{round}-{index}");
            mock.push(Script::function_call(id, "mcp__bench__echo", json!({"text": "x"})));
        }
        mock.push(Script::text("done"));
        let (elapsed, items) = run_turn(&mut client, &thread_id).await;
        per_mcp_call.push(elapsed / MODEL_CALLS as u32);
        item_durations.extend(items);
        for index in 0..MODEL_CALLS {
            let id = format!("p{round}-{index}");
            let plan = json!({"plan": [{"step": "a", "status": "in_progress"}]});
            mock.push(Script::function_call(id, "update_plan", plan));
        }
        mock.push(Script::text("done"));
        let (elapsed, _) = run_turn(&mut client, &thread_id).await;
        per_plan_call.push(elapsed / MODEL_CALLS as u32);
    }
    shutdown.cancel();

    let (direct_median, direct_p90) = stats(direct);
    let (through_median, through_p90) = stats(through);
    let (mcp_median, _) = stats(per_mcp_call);
    let (plan_median, _) = stats(per_plan_call);
    let (item_median, item_p90) = stats(item_durations);
    println!("MCP echo round trip, median / p90:");
    println!(
        "  direct rmcp client:               {:.3} / {:.3} ms",
        ms(direct_median),
        ms(direct_p90)
    );
    println!(
        "  mcpServer/tool/call (app-server): {:.3} / {:.3} ms  ({:.2}x direct)",
        ms(through_median),
        ms(through_p90),
        through_median.as_secs_f64() / direct_median.as_secs_f64()
    );
    println!(
        "  model call in a turn, per call (median of {TURN_ROUNDS} turns): {:.3} ms vs {:.3} ms for update_plan (MCP adds {:.3} ms); mcpToolCall durationMs median / p90 {} / {} ms",
        ms(mcp_median),
        ms(plan_median),
        ms(mcp_median.saturating_sub(plan_median)),
        item_median.as_millis(),
        item_p90.as_millis()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects a quick run.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("mcp_round_trip: run with `cargo bench` to measure");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(bench());
}
