//! The agent on its own, behind its seam: turns driven through the mock provider with an
//! in-memory [`AgentHost`] (no sockets, no app-server): a turn, a tool call whose approval the
//! test answers, and an interrupt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_agent::config::Config;
use codex_agent::config::ConfigOverrides;
use codex_agent::engine::request::TurnOrigin;
use codex_agent::engine::Engine;
use codex_agent::host::AgentHost;
use codex_agent::host::Delivery;
use codex_agent::host::Expect;
use codex_agent::host::NoAnswer;
use codex_agent::tools::AgentTools;
use codex_app_server_protocol::v2::TurnStatus;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use codex_state::StateDb;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use futures::future::BoxFuture;
use serde_json::json;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// A host that keeps every event in memory and answers questions from a script.
struct MemoryHost {
    codex_home: AbsolutePath,
    events: Mutex<Vec<ServerNotification>>,
    changed: Notify,
    answers: Mutex<VecDeque<Value>>,
    asked: Mutex<Vec<ServerRequest>>,
    running: AtomicI64,
}

impl MemoryHost {
    fn new(codex_home: AbsolutePath) -> Arc<Self> {
        Arc::new(Self {
            codex_home,
            events: Mutex::default(),
            changed: Notify::new(),
            answers: Mutex::default(),
            asked: Mutex::default(),
            running: AtomicI64::new(0),
        })
    }

    fn events(&self) -> Vec<ServerNotification> {
        self.events.lock().unwrap().clone()
    }

    /// Waits for the thread's `turn/completed` and returns the turn's status.
    async fn completed_turn(&self) -> TurnStatus {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let notified = self.changed.notified();
                let done = self.events().into_iter().find_map(|event| match event {
                    ServerNotification::TurnCompleted(completed) => Some(completed.turn.status),
                    _ => None,
                });
                if let Some(status) = done {
                    return status;
                }
                notified.await;
            }
        })
        .await
        .expect("the turn did not complete")
    }
}

impl AgentHost for MemoryHost {
    fn publish<'a>(
        &'a self,
        _thread_id: &'a str,
        event: &'a ServerNotification,
        _delivery: Delivery,
    ) -> BoxFuture<'a, ()> {
        self.events.lock().unwrap().push(event.clone());
        self.changed.notify_waiters();
        Box::pin(async {})
    }

    fn has_subscribers(&self, _thread_id: &str) -> bool {
        true
    }

    fn ask<'a>(
        &'a self,
        _thread_id: &'a str,
        request: ServerRequest,
        _expect: Expect,
        _cancel: CancellationToken,
    ) -> BoxFuture<'a, Result<Value, NoAnswer>> {
        self.asked.lock().unwrap().push(request);
        let answer = self.answers.lock().unwrap().pop_front();
        Box::pin(async move { answer.ok_or(NoAnswer::Declined) })
    }

    fn can_ask(&self, _thread_id: &str) -> bool {
        true
    }

    fn session_source(&self) -> Value {
        json!("appServer")
    }

    fn codex_home(&self) -> AbsolutePath {
        self.codex_home.clone()
    }

    fn running_turns_changed(&self, delta: i64) {
        self.running.fetch_add(delta, Ordering::SeqCst);
    }
}

struct Harness {
    _home: tempfile::TempDir,
    workdir: tempfile::TempDir,
    mock: MockProvider,
    engine: Arc<Engine>,
    host: Arc<MemoryHost>,
    config: Config,
}

impl Harness {
    async fn new(approval_policy: &str) -> Self {
        let home = tempfile::tempdir().unwrap();
        let workdir = tempfile::tempdir().unwrap();
        let mock = MockProvider::start().await;
        let toml = format!(
            "model = \"gpt-5\"\nmodel_provider = \"mock\"\napproval_policy = \"{approval_policy}\"\n\
             sandbox_mode = \"workspace-write\"\n{}",
            mock.provider_toml("mock", WireFormat::Responses)
        );
        std::fs::write(home.path().join("config.toml"), toml).unwrap();
        let config = Config::load(home.path(), &ConfigOverrides::default()).unwrap();
        let state = StateDb::open_in(home.path()).await.unwrap();
        let tools = Arc::new(AgentTools::load(home.path()));
        let engine = Arc::new(Engine::with_tools(state, tools));
        let host = MemoryHost::new(AbsolutePath::new(home.path()).unwrap());
        Self { _home: home, workdir, mock, engine, host, config }
    }

    fn host(&self) -> Arc<dyn AgentHost> {
        self.host.clone()
    }

    async fn start_thread(&self) -> String {
        let params = serde_json::from_value(json!({
            "cwd": self.workdir.path().to_str().unwrap(),
        }))
        .unwrap();
        let mut subscribed = None;
        let response = self
            .engine
            .start_thread(
                &self.host(),
                &self.config,
                |id: &str| subscribed = Some(id.to_owned()),
                params,
            )
            .await
            .unwrap();
        assert_eq!(subscribed.as_deref(), Some(response.thread.id.as_str()));
        response.thread.id
    }

    fn start_turn(&self, thread_id: &str, text: &str) -> String {
        let params = serde_json::from_value(json!({
            "threadId": thread_id,
            "input": [{"type": "text", "text": text}],
        }))
        .unwrap();
        self.engine
            .start_turn(&self.host(), &self.config, params, TurnOrigin::default())
            .unwrap()
            .turn
            .id
    }
}

#[tokio::test]
async fn a_turn_streams_the_answer_through_the_host() {
    let harness = Harness::new("never").await;
    harness.mock.push(Script::text_deltas(["Hel", "lo"]));
    let thread_id = harness.start_thread().await;
    harness.start_turn(&thread_id, "say hello");
    assert_eq!(harness.host.completed_turn().await, TurnStatus::Completed);

    let requests = harness.mock.model_requests();
    assert_eq!(requests.len(), 1);
    let input = requests[0].body["input"].to_string();
    assert!(input.contains("say hello"), "the user text reaches the model: {input}");
    let deltas: String = harness
        .host
        .events()
        .into_iter()
        .filter_map(|event| match event {
            ServerNotification::AgentMessageDelta(delta) => Some(delta.delta),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Hello");
    assert_eq!(harness.host.running.load(Ordering::SeqCst), 0, "the turn still counts as running");
}

#[tokio::test]
async fn a_declined_approval_reaches_the_model() {
    let harness = Harness::new("untrusted").await;
    harness.mock.push(Script::function_call(
        "call-1",
        "shell",
        json!({"command": ["bash", "-lc", "echo hi > made.txt"]}),
    ));
    harness.mock.push(Script::text("understood"));
    harness.host.answers.lock().unwrap().push_back(json!("decline"));
    let thread_id = harness.start_thread().await;
    harness.start_turn(&thread_id, "make a file");
    assert_eq!(harness.host.completed_turn().await, TurnStatus::Completed);

    let asked = harness.host.asked.lock().unwrap().clone();
    assert!(
        matches!(asked.as_slice(), [ServerRequest::CommandExecutionRequestApproval(_)]),
        "one command approval asked: {asked:?}"
    );
    assert!(!harness.workdir.path().join("made.txt").exists(), "a declined command ran");
    let requests = harness.mock.model_requests();
    assert_eq!(requests.len(), 2);
    let follow_up = &requests[1].body["input"];
    let output = follow_up
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "function_call_output")
        .expect("the follow-up carries the call's output");
    assert_eq!(output["call_id"], "call-1");
    assert!(
        output["output"].as_str().unwrap().to_lowercase().contains("declined"),
        "the model is told it was declined: {output}"
    );
}

#[tokio::test]
async fn an_interrupt_ends_the_turn_and_the_running_count() {
    let harness = Harness::new("never").await;
    harness.mock.push(Script::slow_text(200, Duration::from_millis(50)));
    let thread_id = harness.start_thread().await;
    let turn_id = harness.start_turn(&thread_id, "talk slowly");
    harness.mock.wait_for_requests(1).await;
    assert_eq!(harness.host.running.load(Ordering::SeqCst), 1);
    let params = serde_json::from_value(json!({"threadId": thread_id, "turnId": turn_id})).unwrap();
    harness.engine.interrupt_turn(params).unwrap();
    assert_eq!(harness.host.completed_turn().await, TurnStatus::Interrupted);
    assert_eq!(harness.host.running.load(Ordering::SeqCst), 0);
}
