#![allow(clippy::unwrap_used, clippy::expect_used)]
//! An MCP tool call round trip through the app-server next to a direct `rmcp` client call to the
//! same stdio server (the `mcp_test_server` binary), measured in the same run.
//!
//! 1. Direct: an `rmcp` client spawns the server and calls `echo` 200 times back to back.
//! 2. Client call: a websocket client sends `mcpServer/tool/call` for `echo` 200 times (app-server
//!    → its `rmcp` client → the server's own process), request to response.
//! 3. Model call: a turn in which the model (`MockProvider`) calls `mcp__bench__echo` in 50
//!    consecutive responses; measured at the client as the time from one call's `item/started`
//!    to the next one's: the whole agent path per call (the item stored in SQLite, the call, the
//!    output, the next model request and its stream), next to the same turn calling a trivial
//!    built-in tool (`update_plan`, timed between its `turn/plan/updated` notifications).
//!
//! Run: `cargo bench -p codex-test-support --bench mcp_round_trip`.

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

/// Runs a turn; returns the intervals between consecutive messages that `mark` picks (after the
/// warm-up ones).
async fn run_turn(
    client: &mut TestClient,
    thread_id: &str,
    mark: impl Fn(&serde_json::Value) -> bool,
) -> Vec<Duration> {
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}),
        )
        .await
        .unwrap();
    let mut marks = Vec::new();
    loop {
        let message = client.next_message(Duration::from_secs(60)).await.unwrap();
        if mark(&message) {
            marks.push(Instant::now());
        }
        if message["method"] == "turn/completed" {
            assert_eq!(message["params"]["turn"]["status"], "completed", "{message}");
            return marks.windows(2).skip(WARMUP).map(|pair| pair[1] - pair[0]).collect();
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

    for index in 0..MODEL_CALLS {
        let id = format!("m{index}");
        mock.push(Script::function_call(id, "mcp__bench__echo", json!({"text": "x"})));
    }
    mock.push(Script::text("done"));
    let model_mcp = run_turn(&mut client, &thread_id, |message| {
        message["method"] == "item/started" && message["params"]["item"]["type"] == "mcpToolCall"
    })
    .await;

    for index in 0..MODEL_CALLS {
        let id = format!("p{index}");
        let plan = json!({"plan": [{"step": "a", "status": "in_progress"}]});
        mock.push(Script::function_call(id, "update_plan", plan));
    }
    mock.push(Script::text("done"));
    let model_plan =
        run_turn(&mut client, &thread_id, |message| message["method"] == "turn/plan/updated")
            .await;
    shutdown.cancel();

    let (direct_median, direct_p90) = stats(direct);
    let (through_median, through_p90) = stats(through);
    let (mcp_median, mcp_p90) = stats(model_mcp);
    let (plan_median, plan_p90) = stats(model_plan);
    println!("MCP echo round trip, median / p90:");
    println!("  direct rmcp client:             {:.3} / {:.3} ms", ms(direct_median), ms(direct_p90));
    println!(
        "  mcpServer/tool/call (app-server): {:.3} / {:.3} ms  ({:.2}x direct)",
        ms(through_median),
        ms(through_p90),
        through_median.as_secs_f64() / direct_median.as_secs_f64()
    );
    println!(
        "  model call in a turn:           {:.3} / {:.3} ms  (update_plan in the same turn shape: {:.3} / {:.3} ms; MCP adds {:.3} ms)",
        ms(mcp_median),
        ms(mcp_p90),
        ms(plan_median),
        ms(plan_p90),
        ms(mcp_median.saturating_sub(plan_median))
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
