#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A 500-turn scripted conversation with a small context window, automatic compaction on and
//! off, measured in one run (the two threads' turns interleaved):
//!
//! - request-body bytes per turn (the turn's model request as the mock provider received it;
//!   summary requests counted apart): total, mean, max, at turns 100/250/500, and compactions;
//! - end-to-end turn time: `turn/start` → `turn/completed` in the host, against a
//!   `codex_test_support::MockProvider` (real HTTP on 127.0.0.1, scripted SSE), split at the
//!   user message's `item/started` (before it: the compaction check, a compaction with its
//!   summary round trip, the context update) and at the first `agentMessage` `item/started`;
//! - request build: what `build_request` plus the model client's serialisation do with that
//!   turn's history (`ModelRequest` with the history cloned and the tools, then
//!   `responses_request_body` + `serde_json::to_vec`), replayed after the conversation from the
//!   recorded body and checked to reproduce it (same JSON, same length).
//!
//! The real engine is driven without sockets (an in-memory `AgentHost`, `Engine::with_tools`,
//! `Config::load` from a temp `CODEX_HOME`). The model slug is unknown to the catalog, so the
//! only difference is the window: "on" sets `model_context_window = 20000` (compaction limit
//! 18 000 tokens), "off" sets none (history grows unbounded). Each turn is a ~90–180 B user
//! message answered by 500–1000 B of text; the answer reports input tokens = its request body
//! bytes / 4 (computed exactly before the request from the previous body, or for a compacted
//! history from what the compaction keeps; checked against the recorded bodies afterwards).
//! Scripts are pushed by the host when the engine announces what comes next: a short summary
//! when a `contextCompaction` item starts, the turn's answer when its user message starts.
//!
//! Run: `cargo bench -p codex-agent --bench compaction` (~15 s). On the 2-core dev box (release,
//! shared, load ~4), on vs off (ratio on/off):
//!
//! - turn request bytes: total 36.7 MiB vs 132.1 MiB (0.28), mean 75 KiB vs 270 KiB (0.28), max
//!   123 KiB vs 528 KiB (0.23); at turn 100 36 vs 115 KiB (0.31), at 250 69 vs 270 KiB (0.25), at
//!   500 123 vs 528 KiB (0.23). The 262 summary requests add 24.1 MiB (94 KiB each): all requests
//!   60.8 MiB, 0.46 of off.
//! - 262 compactions: at turns 57, 100, 134, 161, 182, 199, 212, 222, …, and at every turn from
//!   254 on (2, 4, 56, 100, 100 per 100 turns).
//! - turn time: median 10.9 vs 6.7 ms (1.62), p90 27.6 vs 13.9 ms (2.0); start → user message
//!   5.5 vs 0.50 ms median (the compaction's summary round trip is in it); user message → answer
//!   2.2 vs 4.2 ms median (0.53; the mock parsing the body is in it); compacting turns median
//!   15.9 ms, p90 37.9 ms.
//! - request build + serialise: median 0.43 vs 0.88 ms (0.49), p90 0.73 vs 1.55 ms (0.47).
//! - Reported usage matched body bytes / 4 on every turn after the first, and every replayed body
//!   had the recorded body's JSON and length.
//!
//! Compaction does not hold this thread under the window: a compacted history keeps the recent
//! user messages up to `KEPT_USER_TOKENS` (20 000 tokens, not scaled to the window), which here
//! is all of them (500 × ~135 B ≈ 17k tokens), so each compaction leaves more behind, the gaps
//! shrink until every turn compacts, and 208 turn requests exceed the 20 000-token window at 4 B
//! a token (turn 500's body is 123 KiB, ~31.5k tokens; a real provider would refuse them).

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use codex_agent::config::Config;
use codex_agent::config::ConfigOverrides;
use codex_agent::context::compaction::auto_compact_limit;
use codex_agent::context::compaction::kept_user_messages;
use codex_agent::context::compaction::summary_message;
use codex_agent::context::compaction::KEPT_USER_TOKENS;
use codex_agent::context::compaction::SUMMARY_REQUEST;
use codex_agent::engine::request::TurnOrigin;
use codex_agent::engine::tools::ToolRouter;
use codex_agent::engine::Engine;
use codex_agent::host::AgentHost;
use codex_agent::host::Delivery;
use codex_agent::host::NoAnswer;
use codex_agent::tools::AgentTools;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::TurnStatus;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use codex_model_client::ContentPart;
use codex_model_client::InputItem;
use codex_model_client::MessageRole;
use codex_model_client::ModelRequest;
use codex_state::StateDb;
use codex_test_support::MockProvider;
use codex_test_support::MockUsage;
use codex_test_support::RecordedRequest;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use futures::future::BoxFuture;
use serde_json::json;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const TURNS: usize = 500;
const WINDOW: u64 = 20_000;
/// Unknown to the catalog: no window unless configured, no reasoning or verbosity options.
const MODEL: &str = "mock-model";
/// Reported as the first turn's input tokens (its body is not known before it is sent).
const FIRST_TURN_INPUT_TOKENS: u64 = 4_000;
const REPORT_TURNS: [usize; 3] = [100, 250, 500];

/// The user's message of turn `turn` (0-based): ~90–180 bytes.
fn user_text(turn: usize) -> String {
    let file = ["cursor.rs", "list.rs", "store.rs", "paging.rs", "sort.rs"][turn % 5];
    let mut text = format!(
        "Turn {turn}: now look at crates/state/src/{file} and tell me whether the tie on \
         updated_at is handled."
    );
    text.push_str(&" Keep it short.".repeat(turn % 7));
    text
}

/// The assistant's answer to turn `turn`: 500–1000 bytes.
fn answer_text(turn: usize) -> String {
    let bytes = 500 + (turn * 137) % 501;
    let sentence = format!(
        "In turn {turn} I read the cursor code: the page boundary is encoded from `updated_at` \
         alone, so two rows with the same timestamp collapse and one is skipped; encoding \
         `(updated_at, id)` and comparing both fixes it. "
    );
    let mut text = sentence.repeat(bytes / sentence.len() + 1);
    text.truncate(bytes);
    text
}

/// The model's hand-off summary for compaction `index`: ~400–700 bytes.
fn summary_text(index: usize) -> String {
    let bytes = 400 + (index * 97) % 301;
    let sentence = format!(
        "Summary {index}: the user is fixing `thread/list` pagination in crates/state; ties on \
         updated_at skip rows; the fix encodes (updated_at, id) in the cursor; tests for ties \
         are still to be written. "
    );
    let mut text = sentence.repeat(bytes / sentence.len() + 1);
    text.truncate(bytes);
    text
}

/// Bytes one input item adds to a Responses API body (without the separating comma).
fn item_bytes(item: &InputItem) -> usize {
    let len = |input: Vec<InputItem>| {
        let mut request = ModelRequest::new("m", "");
        request.input = input;
        serde_json::to_vec(&codex_model_client::responses_request_body(&request)).unwrap().len()
    };
    len(vec![item.clone()]) - len(Vec::new())
}

fn usage(body_bytes: usize, answer: &str) -> MockUsage {
    MockUsage {
        input_tokens: body_bytes as u64 / 4,
        cached_input_tokens: 0,
        output_tokens: answer.len() as u64 / 4,
        reasoning_tokens: 0,
    }
}

/// What the host answers during one turn.
struct Plan {
    answer: String,
    /// The answer's usage when the turn did not compact, and when it did.
    plain: MockUsage,
    compacted: MockUsage,
    summary: String,
}

/// What the host saw during one turn.
#[derive(Default)]
struct Seen {
    compacted: bool,
    user_started: Option<Instant>,
    first_output: Option<Instant>,
    completed: Option<(Instant, TurnStatus)>,
}

/// A host that answers the mock provider's next request as the engine announces it, and
/// timestamps the turn's milestones (no events are kept).
struct BenchHost {
    codex_home: AbsolutePath,
    mock: Arc<MockProvider>,
    plan: Mutex<Option<Plan>>,
    seen: Mutex<Seen>,
    done: Notify,
}

impl AgentHost for BenchHost {
    fn publish<'a>(
        &'a self,
        _thread_id: &'a str,
        event: &'a ServerNotification,
        _delivery: Delivery,
    ) -> BoxFuture<'a, ()> {
        let now = Instant::now();
        match event {
            ServerNotification::ItemStarted(started) => match &started.item {
                ThreadItem::ContextCompaction { .. } => {
                    let plan = self.plan.lock().unwrap();
                    let plan = plan.as_ref().expect("a plan for the turn");
                    self.mock.push(Script::text(plan.summary.clone()));
                    self.seen.lock().unwrap().compacted = true;
                }
                ThreadItem::UserMessage { .. } => {
                    let mut seen = self.seen.lock().unwrap();
                    let plan = self.plan.lock().unwrap();
                    let plan = plan.as_ref().expect("a plan for the turn");
                    let usage = if seen.compacted { plan.compacted } else { plan.plain };
                    self.mock.push(Script::text(plan.answer.clone()).with_usage(usage));
                    seen.user_started = Some(now);
                }
                ThreadItem::AgentMessage { .. } => {
                    self.seen.lock().unwrap().first_output.get_or_insert(now);
                }
                _ => {}
            },
            ServerNotification::TurnCompleted(completed) => {
                if let Some(error) = &completed.turn.error {
                    eprintln!("turn failed: {}", error.message);
                }
                self.seen.lock().unwrap().completed = Some((now, completed.turn.status.clone()));
                self.done.notify_one();
            }
            _ => {}
        }
        Box::pin(async {})
    }

    fn has_subscribers(&self, _thread_id: &str) -> bool {
        true
    }

    fn ask<'a>(
        &'a self,
        _thread_id: &'a str,
        _request: ServerRequest,
        _expect: codex_agent::host::Expect,
        _cancel: CancellationToken,
    ) -> BoxFuture<'a, Result<Value, NoAnswer>> {
        Box::pin(async { Err(NoAnswer::Declined) })
    }

    fn can_ask(&self, _thread_id: &str) -> bool {
        false
    }

    fn session_source(&self) -> Value {
        json!("appServer")
    }

    fn codex_home(&self) -> AbsolutePath {
        self.codex_home.clone()
    }

    fn running_turns_changed(&self, _delta: i64) {}
}

/// Per-turn timings of one conversation.
#[derive(Default)]
struct Timings {
    total: Vec<Duration>,
    before_user: Vec<Duration>,
    user_to_output: Vec<Duration>,
    compaction_turns: Vec<Duration>,
}

/// One conversation: engine, host, mock and the bench's mirror of what the history holds.
struct Conversation {
    _home: tempfile::TempDir,
    workdir: tempfile::TempDir,
    mock: Arc<MockProvider>,
    engine: Arc<Engine>,
    host: Arc<BenchHost>,
    config: Config,
    tools: Arc<AgentTools>,
    limit: Option<u64>,
    thread_id: String,
    /// Body bytes of the last turn request (exact from turn 2 on).
    last_body: usize,
    /// The first body's bytes without its user message: instructions, tools and context.
    context_body: usize,
    /// The real user messages the history holds now (what a compaction keeps from).
    users: Vec<InputItem>,
    compactions: usize,
    /// The (0-based) turns that compacted.
    compacted_at: Vec<usize>,
    predicted: Vec<usize>,
    timings: Timings,
}

impl Conversation {
    async fn new(window: Option<u64>) -> Self {
        let home = tempfile::tempdir().unwrap();
        let workdir = tempfile::tempdir().unwrap();
        let mock = Arc::new(MockProvider::start().await);
        let window_toml =
            window.map_or(String::new(), |window| format!("model_context_window = {window}\n"));
        let toml = format!(
            "model = \"{MODEL}\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
             sandbox_mode = \"workspace-write\"\n{window_toml}{}",
            mock.provider_toml("mock", WireFormat::Responses)
        );
        std::fs::write(home.path().join("config.toml"), toml).unwrap();
        let config = Config::load(home.path(), &ConfigOverrides::default()).unwrap();
        let limit = auto_compact_limit(
            config.agent.model_context_window,
            config.agent.model_auto_compact_token_limit,
        );
        assert_eq!(limit, window.map(|window| window * 9 / 10));
        let state = StateDb::open_in(home.path()).await.unwrap();
        let tools = Arc::new(AgentTools::load(home.path()));
        let engine = Arc::new(Engine::with_tools(state, tools.clone()));
        let host = Arc::new(BenchHost {
            codex_home: AbsolutePath::new(home.path()).unwrap(),
            mock: mock.clone(),
            plan: Mutex::new(None),
            seen: Mutex::default(),
            done: Notify::new(),
        });
        let mut conversation = Self {
            _home: home,
            workdir,
            mock,
            engine,
            host,
            config,
            tools,
            limit,
            thread_id: String::new(),
            last_body: 0,
            context_body: 0,
            users: Vec::new(),
            compactions: 0,
            compacted_at: Vec::new(),
            predicted: Vec::new(),
            timings: Timings::default(),
        };
        conversation.thread_id = conversation.start_thread().await;
        conversation
    }

    fn host(&self) -> Arc<dyn AgentHost> {
        self.host.clone()
    }

    async fn start_thread(&self) -> String {
        let params =
            serde_json::from_value(json!({"cwd": self.workdir.path().to_str().unwrap()})).unwrap();
        let host = self.host();
        let response =
            self.engine.start_thread(&host, &self.config, |_: &str| {}, params).await.unwrap();
        response.thread.id
    }

    /// Body bytes of turn `turn`'s request if it does not compact, and if it does.
    fn predict(&self, turn: usize, summary: &str) -> (usize, usize) {
        if turn == 0 {
            let first = FIRST_TURN_INPUT_TOKENS as usize * 4;
            return (first, first);
        }
        let user = 1 + item_bytes(&InputItem::user(user_text(turn)));
        let plain = self.last_body + 1 + item_bytes(&InputItem::assistant(answer_text(turn - 1)));
        let kept: usize = kept_user_messages(&self.users, KEPT_USER_TOKENS)
            .iter()
            .map(|item| 1 + item_bytes(item))
            .sum();
        let compacted = self.context_body + kept + 1 + item_bytes(&summary_message(summary)) + user;
        (plain + user, compacted)
    }

    /// Runs turn `turn` to completion and records its timings.
    async fn turn(&mut self, turn: usize) {
        let summary = summary_text(self.compactions);
        let (plain, compacted) = self.predict(turn, &summary);
        let answer = answer_text(turn);
        *self.host.plan.lock().unwrap() = Some(Plan {
            plain: usage(plain, &answer),
            compacted: usage(compacted, &answer),
            answer,
            summary,
        });
        *self.host.seen.lock().unwrap() = Seen::default();
        let params = serde_json::from_value(json!({
            "threadId": self.thread_id,
            "input": [{"type": "text", "text": user_text(turn)}],
        }))
        .unwrap();

        let started = Instant::now();
        self.engine.start_turn(&self.host(), &self.config, params, TurnOrigin::default()).unwrap();
        tokio::time::timeout(Duration::from_secs(30), self.host.done.notified())
            .await
            .expect("the turn did not complete");

        let seen = std::mem::take(&mut *self.host.seen.lock().unwrap());
        let (completed, status) = seen.completed.expect("turn/completed");
        assert_eq!(status, TurnStatus::Completed, "turn {turn}");
        let user_started = seen.user_started.expect("the user message started");
        let first_output = seen.first_output.expect("the answer started");
        let total = completed - started;
        self.timings.total.push(total);
        self.timings.before_user.push(user_started - started);
        self.timings.user_to_output.push(first_output - user_started);

        if seen.compacted {
            self.compactions += 1;
            self.compacted_at.push(turn);
            self.timings.compaction_turns.push(total);
            self.users = kept_user_messages(&self.users, KEPT_USER_TOKENS);
        }
        let body = if seen.compacted { compacted } else { plain };
        self.predicted.push(body);
        self.users.push(InputItem::user(user_text(turn)));
        self.last_body = body;
        if turn == 0 {
            // The one cheap look at the mock: its first body fixes the base of the predictions.
            let first = &self.mock.model_requests()[0];
            self.last_body = first.raw_body.len();
            self.context_body = self.last_body - 1 - item_bytes(&InputItem::user(user_text(0)));
            self.predicted[0] = self.last_body;
        }
    }
}

/// The history items of a recorded Responses body (inverse of the client's item rendering;
/// this conversation only has messages).
fn input_items(body: &Value) -> Vec<InputItem> {
    body["input"]
        .as_array()
        .expect("an input array")
        .iter()
        .map(|item| {
            assert_eq!(item["type"], "message", "only messages in this conversation: {item}");
            let texts: Vec<&str> = item["content"]
                .as_array()
                .unwrap()
                .iter()
                .map(|part| part["text"].as_str().expect("text parts only"))
                .collect();
            match item["role"].as_str().unwrap() {
                "assistant" => InputItem::assistant(texts.concat()),
                role => InputItem::Message {
                    role: match role {
                        "user" => MessageRole::User,
                        "developer" => MessageRole::Developer,
                        _ => MessageRole::System,
                    },
                    content: texts.into_iter().map(ContentPart::text).collect(),
                },
            }
        })
        .collect()
}

fn is_summary_request(request: &RecordedRequest) -> bool {
    let last = request.body["input"].as_array().and_then(|input| input.last());
    last.and_then(|item| item["content"][0]["text"].as_str())
        .is_some_and(|text| text == SUMMARY_REQUEST.trim())
}

/// What `build_request` and the client's serialisation do with a recorded turn's history;
/// returns the body bytes and the time taken (fastest of `REPLAYS`).
fn replay_build(
    tools: &AgentTools,
    thread_id: &str,
    recorded: &Value,
    history: &[InputItem],
) -> (Vec<u8>, Duration) {
    const REPLAYS: usize = 3;
    let instructions = recorded["instructions"].as_str().unwrap().to_owned();
    let origin = TurnOrigin::default();
    let mut best = Duration::MAX;
    let mut bytes = Vec::new();
    for _ in 0..REPLAYS {
        let start = Instant::now();
        let mut request = ModelRequest::new(MODEL, instructions.clone());
        request.input = history.to_vec();
        request.tools = tools.tools();
        request.parallel_tool_calls = true;
        request.prompt_cache_key = Some(thread_id.to_owned());
        request.headers = vec![
            ("session-id".to_owned(), thread_id.to_owned()),
            ("thread-id".to_owned(), thread_id.to_owned()),
            ("originator".to_owned(), origin.originator.clone()),
            ("user-agent".to_owned(), origin.user_agent.clone()),
        ];
        let body = codex_model_client::responses_request_body(&request);
        bytes = std::hint::black_box(serde_json::to_vec(&body).unwrap());
        best = best.min(start.elapsed());
    }
    (bytes, best)
}

/// The figures of one conversation.
struct Report {
    bodies: Vec<usize>,
    summary_bytes: usize,
    summaries: usize,
    compactions: usize,
    compacted_at: Vec<usize>,
    mispredicted: usize,
    build: Vec<Duration>,
    timings: Timings,
}

fn report(conversation: Conversation) -> Report {
    let requests = conversation.mock.model_requests();
    let (summaries, turns): (Vec<&RecordedRequest>, Vec<&RecordedRequest>) =
        requests.iter().partition(|request| is_summary_request(request));
    assert_eq!(turns.len(), TURNS, "one request per turn");
    assert_eq!(summaries.len(), conversation.compactions, "one summary request per compaction");
    let bodies: Vec<usize> = turns.iter().map(|request| request.raw_body.len()).collect();
    let mispredicted =
        bodies.iter().zip(&conversation.predicted).filter(|(body, predicted)| body != predicted);
    let build = turns
        .iter()
        .map(|request| {
            let history = input_items(&request.body);
            let (bytes, elapsed) =
                replay_build(&conversation.tools, &conversation.thread_id, &request.body, &history);
            assert_eq!(
                serde_json::from_slice::<Value>(&bytes).unwrap(),
                request.body,
                "the replay builds the recorded body"
            );
            assert_eq!(bytes.len(), request.raw_body.len(), "the replay builds the recorded bytes");
            elapsed
        })
        .collect();
    Report {
        summary_bytes: summaries.iter().map(|request| request.raw_body.len()).sum(),
        summaries: summaries.len(),
        mispredicted: mispredicted.count(),
        bodies,
        compactions: conversation.compactions,
        compacted_at: conversation.compacted_at,
        build,
        timings: conversation.timings,
    }
}

/// Median and p90 of the samples.
fn stats(samples: &[Duration]) -> (Duration, Duration) {
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    let mut samples = samples.to_vec();
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn row(name: &str, on: f64, off: f64, unit: &str) {
    let ratio = if off == 0.0 { f64::NAN } else { on / off };
    println!("{name:<36} {on:>12.2} {off:>12.2} {unit:<3} {ratio:>8.3}");
}

fn time_rows(name: &str, on: &[Duration], off: &[Duration]) {
    let (on_median, on_p90) = stats(on);
    let (off_median, off_p90) = stats(off);
    row(&format!("{name}, median"), ms(on_median), ms(off_median), "ms");
    row(&format!("{name}, p90"), ms(on_p90), ms(off_p90), "ms");
}

async fn run() {
    let mut on = Conversation::new(Some(WINDOW)).await;
    let mut off = Conversation::new(None).await;
    assert_eq!(on.limit, Some(WINDOW * 9 / 10));
    assert_eq!(off.limit, None);
    let start = Instant::now();
    for turn in 0..TURNS {
        on.turn(turn).await;
        off.turn(turn).await;
    }
    let conversation_time = start.elapsed();
    let on_tools = on.tools.tools().len();
    let on = report(on);
    let off = report(off);

    println!(
        "{TURNS} turns, window {WINDOW} tokens (limit {}) on vs none off, model `{MODEL}`, \
         {on_tools} tools; conversations {:.1} s (interleaved)",
        WINDOW * 9 / 10,
        conversation_time.as_secs_f64()
    );
    println!("{:<36} {:>12} {:>12} {:<3} {:>8}", "", "on", "off", "", "on/off");
    let kib = |bytes: usize| bytes as f64 / 1024.0;
    let total = |report: &Report| report.bodies.iter().sum::<usize>();
    row("turn request bytes, total", kib(total(&on)), kib(total(&off)), "KiB");
    row(
        "turn request bytes, mean",
        kib(total(&on)) / TURNS as f64,
        kib(total(&off)) / TURNS as f64,
        "KiB",
    );
    let max = |report: &Report| report.bodies.iter().copied().max().unwrap_or(0);
    row("turn request bytes, max", kib(max(&on)), kib(max(&off)), "KiB");
    for turn in REPORT_TURNS {
        row(
            &format!("turn request bytes at turn {turn}"),
            kib(on.bodies[turn - 1]),
            kib(off.bodies[turn - 1]),
            "KiB",
        );
    }
    row("summary request bytes, total", kib(on.summary_bytes), kib(off.summary_bytes), "KiB");
    row(
        "all request bytes, total",
        kib(total(&on) + on.summary_bytes),
        kib(total(&off) + off.summary_bytes),
        "KiB",
    );
    row("compactions", on.compactions as f64, off.compactions as f64, "");
    time_rows("turn time (start -> completed)", &on.timings.total, &off.timings.total);
    time_rows("  start -> user message", &on.timings.before_user, &off.timings.before_user);
    time_rows("  user message -> answer", &on.timings.user_to_output, &off.timings.user_to_output);
    time_rows("request build + serialise", &on.build, &off.build);
    let (compaction_median, compaction_p90) = stats(&on.timings.compaction_turns);
    println!(
        "on: {} compactions ({} summary requests), compacting turns median {:.2} ms p90 {:.2} ms",
        on.compactions,
        on.summaries,
        ms(compaction_median),
        ms(compaction_p90),
    );
    let first: Vec<usize> = on.compacted_at.iter().take(8).map(|turn| turn + 1).collect();
    let every_turn_from = on
        .compacted_at
        .iter()
        .rev()
        .zip((0..TURNS).rev())
        .take_while(|(compacted, turn)| *compacted == turn)
        .last()
        .map(|(turn, _)| turn + 1);
    println!(
        "on: compactions per 100 turns {:?}, first at turns {first:?}, every turn from turn {}",
        compactions_per_block(&on.compacted_at),
        every_turn_from.map_or("-".to_owned(), |turn| turn.to_string()),
    );
    let over_window = on.bodies.iter().filter(|bytes| **bytes as u64 / 4 > WINDOW).count();
    println!(
        "on: {over_window} turn requests over the {WINDOW}-token window at 4 B a token; \
         reported usage differed from body bytes / 4 on {} turns (on), {} (off), turn 1 aside",
        on.mispredicted, off.mispredicted,
    );
}

/// Compactions per block of 100 turns.
fn compactions_per_block(compacted_at: &[usize]) -> Vec<usize> {
    let mut blocks = vec![0; TURNS.div_ceil(100)];
    for turn in compacted_at {
        blocks[turn / 100] += 1;
    }
    blocks
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run());
}
