#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MCP servers end to end: a real app-server on `ws://127.0.0.1:0` (every message checked
//! against the reference schema by `TestClient`), `MockProvider` as the model, and real MCP
//! servers written with `rmcp`: the `mcp_test_server` binary of this package over stdio (the test
//! lives here so cargo builds that binary for it) and the same server over streamable HTTP in the
//! test process.

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeError;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::ListenAddress;
use codex_test_support::mcp_server::spawn_http_mcp_server;
use codex_test_support::mcp_server::GREETING;
use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::TestClient;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const TEST_SERVER: &str = env!("CARGO_BIN_EXE_mcp_test_server");

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
        options.drain_timeout = Duration::from_secs(5);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(options, shutdown.clone()));
        let address = receiver.await.unwrap().trim_start_matches("ws://").to_owned();
        Server { address, shutdown, task }
    }

    async fn client(&self) -> TestClient {
        let mut client = TestClient::connect_ws(&self.address).await.unwrap();
        client.initialize("mcp-test", false).await.unwrap();
        client
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

/// A `[mcp_servers.NAME]` table running the stdio test server with `extra` keys.
fn stdio_server(name: &str, extra: &str) -> String {
    format!("[mcp_servers.{name}]\ncommand = {TEST_SERVER:?}\n{extra}\n")
}

fn write_config(home: &Path, mock: &MockProvider, servers: &str) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\napproval_policy = \"on-request\"\n\
         sandbox_mode = \"read-only\"\n\n{servers}\n{}",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

/// Polls `mcpServerStatus/list` until no server is starting; returns the statuses by name.
async fn settled_servers(client: &mut TestClient) -> serde_json::Map<String, Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let list = client.call("mcpServerStatus/list", json!({})).await.unwrap();
        let servers: serde_json::Map<String, Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|status| (status["name"].as_str().unwrap().to_owned(), status.clone()))
            .collect();
        if servers.values().all(|status| status["runtimeStatus"] != "starting") {
            return servers;
        }
        assert!(tokio::time::Instant::now() < deadline, "MCP servers still starting: {list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn start_thread(client: &mut TestClient, cwd: &Path) -> String {
    let result = client.call("thread/start", json!({"cwd": cwd})).await.unwrap();
    client.wait_for_notification("thread/started").await.unwrap();
    result["thread"]["id"].as_str().unwrap().to_owned()
}

async fn start_turn(client: &mut TestClient, thread_id: &str, approval: &str) {
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "go"}],
                   "approvalPolicy": approval}),
        )
        .await
        .unwrap();
}

/// Every message up to the `thread/status/changed` to idle that ends a turn, answering
/// `mcpServer/elicitation/request`s with `answer(request)`.
async fn run_turn(
    client: &mut TestClient,
    mut answer: impl FnMut(&Value) -> Value,
) -> (Vec<Value>, Vec<Value>) {
    let mut seen = Vec::new();
    let mut asked = Vec::new();
    loop {
        let message = client.next_message(Duration::from_secs(30)).await.unwrap();
        if message["method"] == "mcpServer/elicitation/request" && message.get("id").is_some() {
            client.respond(&message["id"], answer(&message)).await.unwrap();
            asked.push(message);
            continue;
        }
        let done = message["method"] == "thread/status/changed"
            && message["params"]["status"]["type"] == "idle";
        seen.push(message);
        if done {
            return (seen, asked);
        }
    }
}

fn completed_mcp_items(messages: &[Value]) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["method"] == "item/completed" && m["params"]["item"]["type"] == "mcpToolCall")
        .map(|m| m["params"]["item"].clone())
        .collect()
}

/// The function-call output for `call_id` in the model's request bodies.
fn call_output(mock: &MockProvider, call_id: &str) -> String {
    for request in mock.model_requests() {
        for item in request.body["input"].as_array().into_iter().flatten() {
            if item["type"] == "function_call_output" && item["call_id"] == call_id {
                return item["output"].as_str().unwrap_or_default().to_owned();
            }
        }
    }
    panic!("no output for {call_id} in the model requests");
}

fn call_log(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_calls_stdio_and_http_tools_and_reads_their_results() {
    // Cargo sets these for test runs: one is forwarded with `env_vars`, one must not leak.
    let (forwarded, private) = ("CARGO_MANIFEST_DIR", "CARGO_PKG_NAME");
    let package = std::env::var(private).expect("cargo sets CARGO_PKG_NAME for tests");
    // The HTTP server wants `Authorization: Bearer <CARGO_PKG_NAME>`.
    let http = spawn_http_mcp_server(Some(&package)).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = home.path().join("calls.log");
    let mock = MockProvider::start().await;
    let servers = format!(
        "{}\n[mcp_servers.web]\nurl = {:?}\nbearer_token_env_var = {private:?}\n\
         disabled_tools = [\"crash\"]\n",
        stdio_server(
            "test",
            &format!(
                "env = {{ MCP_TEST_CALL_LOG = {:?} }}\nenv_vars = [{forwarded:?}]",
                log.display().to_string()
            )
        ),
        http.url
    );
    write_config(home.path(), &mock, &servers);
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let statuses = settled_servers(&mut client).await;
    assert_eq!(statuses["test"]["runtimeStatus"], "connected", "{statuses:?}");
    assert_eq!(statuses["web"]["runtimeStatus"], "connected", "{statuses:?}");
    assert_eq!(statuses["web"]["authStatus"], "bearerToken");
    assert!(statuses["web"]["tools"].get("crash").is_none(), "disabled_tools hides crash");

    mock.push(
        Script::function_call("c-echo", "mcp__test__echo", json!({"text": "hi"}))
            .and_function_call("c-add", "mcp__web__add", json!({"a": 1, "b": 2}))
            .and_function_call("c-env", "mcp__test__env", json!({"name": private}))
            .and_function_call("c-fwd", "mcp__test__env", json!({"name": forwarded}))
            .and_function_call("c-img", "mcp__web__image", json!({}))
            .and_function_call("c-fail", "mcp__test__fail", json!({})),
    );
    mock.push(Script::text("done"));
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "on-request").await;
    let (messages, asked) = run_turn(&mut client, |_| json!({"action": "decline"})).await;
    assert!(asked.is_empty(), "read-only tools never ask: {asked:?}");

    // The model was offered the tools under their flat names, with their schemas.
    let requests = mock.model_requests();
    let tools = requests[0].body["tools"].as_array().unwrap().clone();
    let echo = tools.iter().find(|t| t["name"] == "mcp__test__echo").expect("echo offered");
    assert_eq!(echo["parameters"]["properties"]["text"]["type"], "string");
    assert!(tools.iter().any(|t| t["name"] == "mcp__web__add"));
    let no_hints = tools.iter().find(|t| t["name"] == "mcp__test__no_hints").unwrap();
    assert_eq!(no_hints["parameters"], json!({"type": "object", "properties": {}}));

    // Results reached the model.
    let echo_output = call_output(&mock, "c-echo");
    assert!(echo_output.starts_with("Wall time: "), "{echo_output}");
    assert!(echo_output.ends_with("Output:\necho: hi"), "{echo_output}");
    assert_eq!(call_output(&mock, "c-add"), r#"{"sum":3.0}"#);
    assert!(call_output(&mock, "c-env").ends_with("<unset>"), "the environment is clean");
    let manifest_dir = std::env::var(forwarded).unwrap();
    assert!(call_output(&mock, "c-fwd").ends_with(&manifest_dir), "env_vars are forwarded");
    assert!(call_output(&mock, "c-fail").ends_with("it failed"));
    let last = &requests.last().unwrap().body["input"];
    let image_shown = last.as_array().unwrap().iter().any(|item| {
        item["role"] == "user"
            && item["content"].as_array().into_iter().flatten().any(|part| {
                part["type"] == "input_image"
                    && part["image_url"].as_str().unwrap().starts_with("data:image/png;base64,")
            })
    });
    assert!(image_shown, "the image result is shown to the model: {last}");
    // Read-only calls of one response run at the same time: compare as a set.
    let mut log_lines = call_log(&log);
    log_lines.sort();
    assert_eq!(log_lines, ["echo", "env", "env", "fail"]);

    // Items: started in progress, completed with the result (or failed), and stored.
    let started: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "item/started" && m["params"]["item"]["type"] == "mcpToolCall")
        .collect();
    assert_eq!(started.len(), 6);
    let echo_started =
        &started.iter().find(|m| m["params"]["item"]["id"] == "c-echo").unwrap()["params"]["item"];
    assert_eq!(echo_started["status"], "inProgress");
    assert_eq!(echo_started["server"], "test");
    assert_eq!(echo_started["tool"], "echo");
    assert_eq!(echo_started["readOnlyHint"], true);
    assert_eq!(echo_started["arguments"], json!({"text": "hi"}));
    let items = completed_mcp_items(&messages);
    let item = |id: &str| items.iter().find(|item| item["id"] == id).unwrap().clone();
    assert_eq!(item("c-echo")["status"], "completed");
    assert_eq!(item("c-echo")["result"]["content"][0], json!({"type": "text", "text": "echo: hi"}));
    assert_eq!(item("c-add")["result"]["structuredContent"], json!({"sum": 3.0}));
    assert_eq!(item("c-fail")["status"], "failed");
    assert!(item("c-fail")["error"]["message"].as_str().unwrap().contains("it failed"));
    let read = client
        .call("thread/read", json!({"threadId": thread_id, "includeTurns": true}))
        .await
        .unwrap();
    let stored: Vec<&Value> = read["thread"]["turns"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "mcpToolCall")
        .collect();
    assert_eq!(stored.len(), 6);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_tools_ask_and_a_decline_reaches_the_model() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = home.path().join("calls.log");
    let mock = MockProvider::start().await;
    let servers = stdio_server(
        "test",
        &format!("env = {{ MCP_TEST_CALL_LOG = {:?} }}", log.display().to_string()),
    );
    write_config(home.path(), &mock, &servers);
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    settled_servers(&mut client).await;
    let thread_id = start_thread(&mut client, work.path()).await;

    // on-request: the destructive tool asks (declined), the unannotated one asks (allowed for
    // the session), then runs again without asking; the read-only one never asks.
    mock.push(
        Script::function_call("c-del", "mcp__test__delete_file", json!({"path": "/x"}))
            .and_function_call("c-nh1", "mcp__test__no_hints", json!({}))
            .and_function_call("c-nh2", "mcp__test__no_hints", json!({}))
            .and_function_call("c-echo", "mcp__test__echo", json!({"text": "e"})),
    );
    mock.push(Script::text("ok"));
    start_turn(&mut client, &thread_id, "on-request").await;
    let (messages, asked) =
        run_turn(&mut client, |request| match request["params"]["_meta"]["tool_name"].as_str() {
            Some("delete_file") => json!({"action": "decline"}),
            _ => json!({"action": "accept", "content": {}, "_meta": {"persist": "session"}}),
        })
        .await;
    assert_eq!(asked.len(), 2, "{asked:#?}");
    let question = &asked[0]["params"];
    assert_eq!(question["threadId"], thread_id);
    assert_eq!(question["serverName"], "test");
    assert_eq!(question["mode"], "form");
    assert_eq!(question["message"], "Allow the test MCP server to run tool \"delete_file\"?");
    assert_eq!(question["_meta"]["codex_approval_kind"], "mcp_tool_call");
    assert_eq!(question["_meta"]["tool_params"], json!({"path": "/x"}));
    assert_eq!(question["_meta"]["tool_title"], "Delete a file");
    assert_eq!(asked[1]["params"]["_meta"]["tool_name"], "no_hints");
    let declined = call_output(&mock, "c-del");
    assert!(declined.contains("declined"), "{declined}");
    assert!(call_output(&mock, "c-nh2").ends_with("ran"));
    assert_eq!(call_log(&log), ["no_hints", "no_hints", "echo"], "the declined call never ran");
    let items = completed_mcp_items(&messages);
    assert_eq!(items[0]["status"], "failed");
    assert!(items[0]["error"]["message"].as_str().unwrap().contains("declined"));
    assert!(messages.iter().any(|m| m["method"] == "serverRequest/resolved"));

    // never: a call that would ask is refused without asking; read-only calls still run.
    mock.push(
        Script::function_call("c-del2", "mcp__test__delete_file", json!({"path": "/y"}))
            .and_function_call("c-echo2", "mcp__test__echo", json!({"text": "f"})),
    );
    mock.push(Script::text("ok"));
    start_turn(&mut client, &thread_id, "never").await;
    let (_, asked) = run_turn(&mut client, |_| json!({"action": "accept"})).await;
    assert!(asked.is_empty());
    assert!(call_output(&mock, "c-del2").contains("does not allow asking"));
    assert!(call_output(&mock, "c-echo2").ends_with("echo: f"));
    assert_eq!(call_log(&log), ["no_hints", "no_hints", "echo", "echo"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_crashes_are_tool_errors_and_the_turn_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    write_config(home.path(), &mock, &stdio_server("test", "tool_timeout_sec = 0.5"));
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    settled_servers(&mut client).await;
    let thread_id = start_thread(&mut client, work.path()).await;
    // Separate responses, so the two calls run one after the other.
    mock.push(Script::function_call("c-slow", "mcp__test__slow", json!({"ms": 30000})));
    mock.push(Script::function_call("c-crash", "mcp__test__crash", json!({})));
    mock.push(Script::text("carried on"));
    start_turn(&mut client, &thread_id, "on-request").await;
    let (messages, _) = run_turn(&mut client, |_| json!({"action": "decline"})).await;
    let timed_out = call_output(&mock, "c-slow");
    assert!(timed_out.contains("timed out after 0.5 s"), "{timed_out}");
    assert!(timed_out.contains("tool_timeout_sec"), "{timed_out}");
    let crashed = call_output(&mock, "c-crash");
    assert!(crashed.contains("closed the connection"), "{crashed}");
    let progress: Vec<&str> = messages
        .iter()
        .filter(|m| m["method"] == "item/mcpToolCall/progress")
        .map(|m| m["params"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(progress, ["starting", "halfway"]);
    let items = completed_mcp_items(&messages);
    assert_eq!(
        (items[0]["status"].as_str(), items[1]["status"].as_str()),
        (Some("failed"), Some("failed"))
    );
    let turn = messages.iter().find(|m| m["method"] == "turn/completed").unwrap();
    assert_eq!(turn["params"]["turn"]["status"], "completed");

    // The crashed server is started again and serves the next call.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let result = loop {
        let outcome = client
            .request(
                "mcpServer/tool/call",
                json!({"threadId": thread_id, "server": "test", "tool": "echo",
                       "arguments": {"text": "back"}}),
            )
            .await
            .unwrap();
        if let Ok(result) = outcome {
            break result;
        }
        assert!(tokio::time::Instant::now() < deadline, "the server did not come back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(result["content"][0]["text"], "echo: back");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_methods_status_calls_resources_elicitation_and_reload() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    let servers = format!(
        "{}{}{}",
        stdio_server("test", ""),
        "[mcp_servers.broken]\ncommand = \"/nonexistent/mcp-server\"\n",
        stdio_server("off", "enabled = false"),
    );
    write_config(home.path(), &mock, &servers);
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let statuses = settled_servers(&mut client).await;
    let broken = &statuses["broken"];
    assert_eq!(broken["runtimeStatus"], "failed");
    let error = broken["toolsError"].as_str().unwrap();
    assert!(
        error.contains("`broken` failed to start") && error.contains("/nonexistent"),
        "{error}"
    );
    assert_eq!(statuses["off"]["runtimeStatus"], "disabled");
    let test = &statuses["test"];
    assert_eq!(test["authStatus"], "unsupported");
    assert_eq!(test["serverInfo"]["name"], "codex-mcp-test-server");
    assert_eq!(test["tools"]["delete_file"]["annotations"]["destructiveHint"], true);
    assert_eq!(test["resources"][0]["uri"], "test://greeting");
    assert_eq!(test["resourceTemplates"][0]["uriTemplate"], "test://items/{id}");

    // Pages of two, sorted by name.
    let first = client.call("mcpServerStatus/list", json!({"limit": 2})).await.unwrap();
    let names: Vec<&str> =
        first["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["broken", "off"]);
    assert_eq!(first["nextCursor"], "2");
    let second = client
        .call(
            "mcpServerStatus/list",
            json!({"cursor": "2", "limit": 2, "detail": "toolsAndAuthOnly"}),
        )
        .await
        .unwrap();
    assert_eq!(second["data"][0]["name"], "test");
    assert_eq!(second["data"][0]["resources"], json!([]));
    assert!(second.get("nextCursor").is_none_or(Value::is_null));
    let bad = client.request("mcpServerStatus/list", json!({"cursor": "x"})).await.unwrap();
    assert_eq!(bad.unwrap_err()["code"], -32600);

    // Direct tool calls.
    let thread_id = start_thread(&mut client, work.path()).await;
    let echo = client
        .call(
            "mcpServer/tool/call",
            json!({"threadId": thread_id, "server": "test", "tool": "echo", "arguments": {"text": "x"}}),
        )
        .await
        .unwrap();
    assert_eq!(echo, json!({"content": [{"type": "text", "text": "echo: x"}], "isError": false}));
    let unknown_tool = client
        .call(
            "mcpServer/tool/call",
            json!({"threadId": thread_id, "server": "test", "tool": "nope"}),
        )
        .await
        .unwrap();
    assert_eq!(unknown_tool["isError"], true);
    let unknown_server = client
        .request(
            "mcpServer/tool/call",
            json!({"threadId": thread_id, "server": "zzz", "tool": "echo"}),
        )
        .await
        .unwrap();
    assert_eq!(unknown_server.unwrap_err()["code"], -32603);
    let unknown_thread = client
        .request(
            "mcpServer/tool/call",
            json!({"threadId": "nope", "server": "test", "tool": "echo"}),
        )
        .await
        .unwrap();
    assert_eq!(unknown_thread.unwrap_err()["code"], -32600);

    // The server's own elicitation goes to the thread's client.
    let id = client
        .send_request(
            "mcpServer/tool/call",
            json!({"threadId": thread_id, "server": "test", "tool": "ask"}),
        )
        .await
        .unwrap();
    let question = client.wait_for_server_request("mcpServer/elicitation/request").await.unwrap();
    assert_eq!(question["params"]["threadId"], thread_id);
    assert_eq!(question["params"]["serverName"], "test");
    assert_eq!(question["params"]["message"], "What is your name?");
    assert_eq!(question["params"]["requestedSchema"]["properties"]["name"]["type"], "string");
    client
        .respond(&question["id"], json!({"action": "accept", "content": {"name": "Ada"}}))
        .await
        .unwrap();
    let answered = client.response(&id).await.unwrap().unwrap();
    assert_eq!(answered["content"][0]["text"], "hello Ada");

    // Resources.
    let read = client
        .call("mcpServer/resource/read", json!({"server": "test", "uri": "test://greeting"}))
        .await
        .unwrap();
    assert_eq!(read["contents"][0]["text"], GREETING);
    let missing = client
        .request(
            "mcpServer/resource/read",
            json!({"server": "test", "uri": "test://missing", "threadId": thread_id}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(missing["code"], -32002);
    assert_eq!(missing["data"]["uri"], "test://missing");

    // Reload: `off` removed, `extra` added (and reported as it starts), `test` kept running.
    let servers = format!("{}{}", stdio_server("test", ""), stdio_server("extra", ""));
    write_config(home.path(), &mock, &servers);
    client.take_inbox();
    let reloaded = client.call("config/mcpServer/reload", Value::Null).await.unwrap();
    assert_eq!(reloaded, json!({}));
    let starting = client.wait_for_notification("mcpServer/startupStatus/updated").await.unwrap();
    assert_eq!(starting, json!({"name": "extra", "status": "starting"}));
    let ready = client.wait_for_notification("mcpServer/startupStatus/updated").await.unwrap();
    assert_eq!(ready, json!({"name": "extra", "status": "ready"}));
    let statuses = settled_servers(&mut client).await;
    let names: Vec<&String> = statuses.keys().collect();
    assert_eq!(names, ["extra", "test"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_and_slow_servers_do_not_block_a_turn() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    let servers = format!(
        "{}{}{}",
        "[mcp_servers.broken]\ncommand = \"/nonexistent/mcp-server\"\n",
        stdio_server(
            "hangs",
            "env = { MCP_TEST_START_DELAY_MS = \"60000\" }\nstartup_timeout_sec = 0.3"
        ),
        stdio_server("sleepy", "env = { MCP_TEST_START_DELAY_MS = \"60000\" }"),
    );
    write_config(home.path(), &mock, &servers);
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    mock.push(Script::text("answered"));
    let thread_id = start_thread(&mut client, work.path()).await;
    start_turn(&mut client, &thread_id, "on-request").await;
    let (messages, _) = run_turn(&mut client, |_| json!({"action": "decline"})).await;
    let turn = messages.iter().find(|m| m["method"] == "turn/completed").unwrap();
    assert_eq!(turn["params"]["turn"]["status"], "completed");
    let tools = mock.model_requests()[0].body["tools"].as_array().unwrap().clone();
    assert!(tools.iter().all(|t| !t["name"].as_str().unwrap_or("").starts_with("mcp__")));

    // The hanging server fails at its startup timeout; the sleepy one is still starting.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let list = client.call("mcpServerStatus/list", json!({})).await.unwrap();
        let hangs =
            list["data"].as_array().unwrap().iter().find(|s| s["name"] == "hangs").unwrap().clone();
        if hangs["runtimeStatus"] == "failed" {
            let error = hangs["toolsError"].as_str().unwrap();
            assert!(error.contains("did not start within 0.3 s"), "{error}");
            let sleepy =
                list["data"].as_array().unwrap().iter().find(|s| s["name"] == "sleepy").unwrap();
            assert_eq!(sleepy["runtimeStatus"], "starting");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}
