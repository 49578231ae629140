//! The agent engine end to end: a real server (in-process, websocket on 127.0.0.1:0, temp
//! CODEX_HOME) driven by `TestClient` (every server message validated against the reference
//! schema), with `MockProvider` as the model. Threads, turns, streamed items, persistence across a
//! restart, interrupts, provider failures, subscription routing, the chat wire API and the tools
//! loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeError;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::ListenAddress;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::ServeOutcome;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

struct Server {
    address: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Server {
    async fn start(home: &Path) -> Self {
        let (sender, receiver) = tokio::sync::oneshot::channel::<String>();
        let sender = Arc::new(Mutex::new(Some(sender)));
        let mut options = ServeOptions::new(
            ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
            home.into(),
        );
        options.on_listening = Some(Arc::new(move |address: &str| {
            if let Some(sender) = sender.lock().unwrap().take() {
                let _ = sender.send(address.to_owned());
            }
        }));
        options.drain_timeout = Duration::from_secs(10);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(options, shutdown.clone()));
        let address = receiver.await.unwrap().trim_start_matches("ws://").to_owned();
        Server { address, shutdown, task }
    }

    async fn client(&self) -> TestClient {
        let mut client = TestClient::connect_ws(&self.address).await.unwrap();
        client.initialize("engine-test", false).await.unwrap();
        client
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

fn write_config(home: &Path, mock: &MockProvider, wire: WireFormat) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n{}",
        mock.provider_toml("mock", wire)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

async fn setup(wire: WireFormat) -> (tempfile::TempDir, MockProvider, Server) {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock, wire);
    let server = Server::start(home.path()).await;
    (home, mock, server)
}

async fn start_thread(client: &mut TestClient, cwd: &Path) -> String {
    let result = client.call("thread/start", json!({"cwd": cwd})).await.unwrap();
    result["thread"]["id"].as_str().unwrap().to_owned()
}

async fn start_turn(client: &mut TestClient, thread_id: &str, text: &str) -> String {
    let result = client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": text}]}),
        )
        .await
        .unwrap();
    assert_eq!(result["turn"]["status"], "inProgress");
    result["turn"]["id"].as_str().unwrap().to_owned()
}

/// Every notification up to and including the `thread/status/changed` to idle that ends a turn.
async fn turn_notifications(client: &mut TestClient) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = client.next_message(Duration::from_secs(20)).await.unwrap();
        let done = message["method"] == "thread/status/changed"
            && message["params"]["status"]["type"] == "idle";
        seen.push(message);
        if done {
            return seen;
        }
    }
}

fn methods(messages: &[Value]) -> Vec<String> {
    messages.iter().map(|m| m["method"].as_str().unwrap_or("").to_owned()).collect()
}

fn completed_turn(messages: &[Value]) -> Value {
    messages.iter().find(|m| m["method"] == "turn/completed").expect("turn/completed")["params"]
        ["turn"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_streams_persists_and_resumes_after_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock, WireFormat::Responses);
    mock.push(Script::numbered_text(100));
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;

    let started = client.call("thread/start", json!({"cwd": home.path()})).await.unwrap();
    assert_eq!(started["model"], "mock-model");
    assert_eq!(started["modelProvider"], "mock");
    assert_eq!(started["cwd"], json!(home.path()));
    let thread_id = started["thread"]["id"].as_str().unwrap().to_owned();
    assert_eq!(uuid_version(&thread_id), 7);
    let announced = client.wait_for_notification("thread/started").await.unwrap();
    assert_eq!(announced["thread"]["id"], thread_id.as_str());

    let turn_id = start_turn(&mut client, &thread_id, "hello").await;
    assert_eq!(uuid_version(&turn_id), 7);
    let messages = turn_notifications(&mut client).await;
    let mut expected = vec![
        "thread/status/changed",
        "turn/started",
        "item/started",
        "item/completed",
        "item/started",
    ];
    expected.extend(std::iter::repeat_n("item/agentMessage/delta", 100));
    expected.extend([
        "item/completed",
        "thread/tokenUsage/updated",
        "thread/readState/changed",
        "turn/completed",
        "thread/status/changed",
    ]);
    assert_eq!(methods(&messages), expected);
    assert_eq!(messages[0]["params"]["status"]["type"], "active");
    assert_eq!(messages[2]["params"]["item"]["type"], "userMessage");
    assert_eq!(messages[3]["params"]["item"]["content"][0]["text"], "hello");
    let agent_id = messages[4]["params"]["item"]["id"].clone();
    assert_eq!(messages[4]["params"]["item"]["type"], "agentMessage");
    let streamed: String = messages
        .iter()
        .filter(|m| m["method"] == "item/agentMessage/delta")
        .map(|m| {
            assert_eq!(m["params"]["itemId"], agent_id);
            assert_eq!(m["params"]["turnId"], turn_id.as_str());
            m["params"]["delta"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected_text: String = (0..100).map(|i| format!("{i} ")).collect();
    assert_eq!(streamed, expected_text);
    assert_eq!(messages[105]["params"]["item"]["text"], expected_text.as_str());
    assert_eq!(messages[106]["params"]["tokenUsage"]["total"]["totalTokens"], 15);
    let turn = completed_turn(&messages);
    assert_eq!(turn["status"], "completed");
    assert_eq!(turn["id"], turn_id.as_str());

    let read = client
        .call("thread/read", json!({"threadId": thread_id, "includeTurns": true}))
        .await
        .unwrap();
    assert_eq!(read["thread"]["preview"], "hello");
    let turns = read["thread"]["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0]["status"], "completed");
    assert_eq!(turns[0]["items"][0]["type"], "userMessage");
    assert_eq!(turns[0]["items"][1]["text"], expected_text.as_str());
    client.close().await;
    server.stop().await;

    // A new server on the same CODEX_HOME brings the thread back with its history.
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let listed = client.call("thread/list", json!({})).await.unwrap();
    let data = listed["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], thread_id.as_str());
    assert_eq!(data[0]["status"]["type"], "notLoaded");
    let resumed = client.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(resumed["thread"]["turns"][0]["items"][1]["text"], expected_text.as_str());
    assert_eq!(resumed["model"], "mock-model");

    mock.push(Script::text("second answer"));
    start_turn(&mut client, &thread_id, "again").await;
    let messages = turn_notifications(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 2);
    let body = &requests[1].body["input"].to_string();
    let (hello, answer, again) = (
        body.find(r#""text":"hello""#).expect("first user message sent again"),
        body.find("99 ").expect("first answer sent again"),
        body.find(r#""text":"again""#).expect("new input sent"),
    );
    assert!(hello < answer && answer < again, "history out of order: {body}");
    let read =
        client.call("thread/turns/list", json!({"threadId": thread_id, "limit": 1})).await.unwrap();
    assert_eq!(read["data"][0]["items"][1]["text"], "second answer");
    assert!(read["nextCursor"].is_string());
    server.stop().await;
}

fn uuid_version(id: &str) -> usize {
    let parsed = uuid::Uuid::parse_str(id).unwrap();
    parsed.get_version_num()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_stops_the_stream_at_once_and_the_thread_keeps_working() {
    let (home, mock, server) = setup(WireFormat::Responses).await;
    mock.push(Script::slow_text(2000, Duration::from_millis(20)));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, home.path()).await;
    let turn_id = start_turn(&mut client, &thread_id, "count slowly").await;
    client.wait_for_notification("item/agentMessage/delta").await.unwrap();
    let second = client
        .request(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "too soon"}]}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(second["code"], -32600);
    assert!(second["message"].as_str().unwrap().contains("already has a running turn"), "{second}");

    let answer = client
        .call("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id}))
        .await
        .unwrap();
    assert_eq!(answer, json!({}));
    let turn = client.wait_for_notification("turn/completed").await.unwrap()["turn"].clone();
    assert_eq!(turn["status"], "interrupted");
    let partial = turn["items"][1]["text"].as_str().unwrap().to_owned();
    assert!(partial.starts_with("0 ") && partial.len() < 2000 * 3, "{partial}");
    assert_eq!(mock.wait_for_outcome(0).await, ServeOutcome::ClientDisconnected);

    mock.push(Script::text("still here"));
    start_turn(&mut client, &thread_id, "are you there").await;
    let turn = client.wait_for_notification("turn/completed").await.unwrap()["turn"].clone();
    assert_eq!(turn["status"], "completed");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_failures_fail_the_turn_with_an_actionable_error_and_the_server_lives() {
    let (home, mock, server) = setup(WireFormat::Responses).await;
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, home.path()).await;
    let cases: Vec<(Script, &str, &str)> = vec![
        (Script::status(401, r#"{"error":{"message":"bad key"}}"#), "unauthorized", "401"),
        (Script::rate_limited(1), "responseTooManyFailedAttempts", "429"),
        (Script::status(500, "boom"), "responseTooManyFailedAttempts", "500"),
        (Script::numbered_text(3).and_disconnect(), "responseStreamDisconnected", "mid-stream"),
    ];
    for (script, info, needle) in cases {
        mock.push(script);
        let turn_id = start_turn(&mut client, &thread_id, "try").await;
        let messages = turn_notifications(&mut client).await;
        let error = messages.iter().find(|m| m["method"] == "error").expect("error notification");
        assert_eq!(error["params"]["turnId"], turn_id.as_str());
        assert_eq!(error["params"]["willRetry"], false);
        let turn = completed_turn(&messages);
        assert_eq!(turn["status"], "failed");
        let message = turn["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
        let info_value = &turn["error"]["codexErrorInfo"];
        let name = info_value
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| info_value.as_object().unwrap().keys().next().unwrap().clone());
        assert_eq!(name, info, "{turn}");
    }
    mock.push(Script::text("recovered"));
    start_turn(&mut client, &thread_id, "again").await;
    let messages = turn_notifications(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_events_reach_only_subscribers() {
    let (home, mock, server) = setup(WireFormat::Responses).await;
    let mut owner = server.client().await;
    let mut other = server.client().await;
    let thread_id = start_thread(&mut owner, home.path()).await;
    mock.push(Script::text("one"));
    start_turn(&mut owner, &thread_id, "first").await;
    turn_notifications(&mut owner).await;
    assert!(other.is_quiet_for(Duration::from_millis(300)).await, "{:?}", other.take_inbox());

    // Resuming subscribes the second connection.
    other.call("thread/resume", json!({"threadId": thread_id})).await.unwrap();
    mock.push(Script::text("two"));
    start_turn(&mut owner, &thread_id, "second").await;
    turn_notifications(&mut owner).await;
    let seen = turn_notifications(&mut other).await;
    assert_eq!(completed_turn(&seen)["status"], "completed");

    // Unsubscribing stops delivery.
    let left = other.call("thread/unsubscribe", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(left["status"], "unsubscribed");
    mock.push(Script::text("three"));
    start_turn(&mut owner, &thread_id, "third").await;
    turn_notifications(&mut owner).await;
    assert!(other.is_quiet_for(Duration::from_millis(300)).await, "{:?}", other.take_inbox());
    let again = other.call("thread/unsubscribe", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(again["status"], "notSubscribed");

    // The last subscriber closing unloads the thread.
    let loaded = other.call("thread/loaded/list", json!({})).await.unwrap();
    assert_eq!(loaded["data"], json!([thread_id]));
    owner.close().await;
    let mut unloaded = false;
    for _ in 0..100 {
        let loaded = other.call("thread/loaded/list", json!({})).await.unwrap();
        if loaded["data"] == json!([]) {
            unloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(unloaded, "thread still loaded after its only subscriber left");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_the_last_subscriber_closes_the_thread() {
    let (home, _mock, server) = setup(WireFormat::Responses).await;
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, home.path()).await;
    let left = client.call("thread/unsubscribe", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(left["status"], "unsubscribed");
    let closed = client.wait_for_notification("thread/closed").await.unwrap();
    assert_eq!(closed["threadId"], thread_id.as_str());
    let left = client.call("thread/unsubscribe", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(left["status"], "notLoaded");
    let error = client
        .request(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "x"}]}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(error["message"].as_str().unwrap().contains("thread/resume"), "{error}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_wire_api_streams_too() {
    let (home, mock, server) = setup(WireFormat::Chat).await;
    mock.push(Script::text_deltas(["Hel", "lo", "!"]));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, home.path()).await;
    start_turn(&mut client, &thread_id, "greet me").await;
    let messages = turn_notifications(&mut client).await;
    let turn = completed_turn(&messages);
    assert_eq!(turn["status"], "completed");
    assert_eq!(turn["items"][1]["text"], "Hello!");
    let requests = mock.model_requests();
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert!(requests[0].raw_body.contains("greet me"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_calls_get_an_unsupported_output_and_the_turn_continues() {
    let (home, mock, server) = setup(WireFormat::Responses).await;
    mock.push(Script::function_call("call_1", "web_search", json!({"query": "files"})));
    mock.push(Script::reasoning_summary(["thinking ", "hard"]).and_text_deltas(["done"]));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, home.path()).await;
    start_turn(&mut client, &thread_id, "list files").await;
    let messages = turn_notifications(&mut client).await;
    let turn = completed_turn(&messages);
    assert_eq!(turn["status"], "completed");
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 2);
    let second = &requests[1].raw_body;
    assert!(second.contains("call_1") && second.contains("unsupported tool"), "{second}");
    let summary: String = messages
        .iter()
        .filter(|m| m["method"] == "item/reasoning/summaryTextDelta")
        .map(|m| m["params"]["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(summary, "thinking hard");
    let items = turn["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["userMessage", "reasoning", "agentMessage"]);
    assert_eq!(items[1]["summary"], json!(["thinking hard"]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steer_adds_input_to_the_running_turn() {
    let (home, mock, server) = setup(WireFormat::Responses).await;
    mock.push(Script::slow_text(20, Duration::from_millis(30)));
    mock.push(Script::text("steered answer"));
    let mut client = server.client().await;
    let thread_id = start_thread(&mut client, home.path()).await;
    let turn_id = start_turn(&mut client, &thread_id, "start").await;
    client.wait_for_notification("item/agentMessage/delta").await.unwrap();
    let steered = client
        .call(
            "turn/steer",
            json!({"threadId": thread_id, "expectedTurnId": turn_id, "input": [{"type": "text", "text": "also this"}]}),
        )
        .await
        .unwrap();
    assert_eq!(steered["turnId"], turn_id.as_str());
    let messages = turn_notifications(&mut client).await;
    let turn = completed_turn(&messages);
    assert_eq!(turn["status"], "completed");
    let requests = mock.model_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].raw_body.contains("also this"));
    let wrong = client
        .request(
            "turn/steer",
            json!({"threadId": thread_id, "expectedTurnId": turn_id, "input": [{"type": "text", "text": "late"}]}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(wrong["message"].as_str().unwrap().contains("no turn is running"), "{wrong}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_archive_fork_and_model_list() {
    let (home, mock, server) = setup(WireFormat::Responses).await;
    mock.set_models(["mock-model", "other-model"]);
    let mut client = server.client().await;
    let models = client.call("model/list", json!({})).await.unwrap();
    let ids: Vec<&str> =
        models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["mock-model", "other-model"]);
    assert_eq!(models["data"][0]["isDefault"], true);

    let thread_id = start_thread(&mut client, home.path()).await;
    mock.push(Script::text("answer"));
    let turn_id = start_turn(&mut client, &thread_id, "question").await;
    turn_notifications(&mut client).await;

    client
        .call("thread/name/set", json!({"threadId": thread_id, "name": " My thread "}))
        .await
        .unwrap();
    let renamed = client.wait_for_notification("thread/name/updated").await.unwrap();
    assert_eq!(renamed["threadName"], "My thread");

    let forked = client
        .call("thread/fork", json!({"threadId": thread_id, "lastTurnId": turn_id}))
        .await
        .unwrap();
    let fork_id = forked["thread"]["id"].as_str().unwrap().to_owned();
    assert_ne!(fork_id, thread_id);
    assert_eq!(forked["thread"]["forkedFromId"], thread_id.as_str());
    assert_eq!(forked["thread"]["turns"][0]["items"][1]["text"], "answer");

    client.call("thread/archive", json!({"threadId": thread_id})).await.unwrap();
    client.wait_for_notification("thread/archived").await.unwrap();
    let active = client.call("thread/list", json!({})).await.unwrap();
    let active_ids: Vec<&str> =
        active["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(active_ids, [fork_id.as_str()]);
    let archived = client.call("thread/list", json!({"archived": true})).await.unwrap();
    assert_eq!(archived["data"][0]["id"], thread_id.as_str());
    assert_eq!(archived["data"][0]["name"], "My thread");
    let back = client.call("thread/unarchive", json!({"threadId": thread_id})).await.unwrap();
    assert_eq!(back["thread"]["id"], thread_id.as_str());
    client.wait_for_notification("thread/unarchived").await.unwrap();

    // Pagination: one per page, newest first, the cursor leads to the rest.
    let first = client.call("thread/list", json!({"limit": 1})).await.unwrap();
    assert_eq!(first["data"][0]["id"], fork_id.as_str());
    let second = client
        .call("thread/list", json!({"limit": 1, "cursor": first["nextCursor"]}))
        .await
        .unwrap();
    assert_eq!(second["data"][0]["id"], thread_id.as_str());
    assert!(second.get("nextCursor").is_none() || second["nextCursor"].is_null());

    let missing =
        client.request("thread/read", json!({"threadId": "nope"})).await.unwrap().unwrap_err();
    assert!(missing["message"].as_str().unwrap().contains("thread not found"), "{missing}");

    // Ephemeral threads are never stored.
    let ephemeral =
        client.call("thread/start", json!({"cwd": home.path(), "ephemeral": true})).await.unwrap();
    assert_eq!(ephemeral["thread"]["ephemeral"], true);
    let all = client.call("thread/list", json!({})).await.unwrap();
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    server.stop().await;
}
