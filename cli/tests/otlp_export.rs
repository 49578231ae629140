//! Span and log export from the built binary to an OTLP/HTTP collector on loopback (a minimal
//! HTTP server in this test): the request's `traceparent` (or the process's `TRACEPARENT`) reaches
//! the collector as the exported span's trace id, under the method's name; `[otel]` keys select
//! spans (`trace_exporter`, protobuf or JSON) and logs (`exporter`) as the reference reads them;
//! a hung collector holds the exit only as long as `shutdown_timeout_ms`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::net::TcpListener;

/// One HTTP request the collector received.
#[derive(Clone, Debug)]
struct Received {
    request_line: String,
    content_type: String,
    body: Vec<u8>,
}

/// A loopback HTTP server that records every request and answers 200.
async fn start_collector() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                loop {
                    let mut request_line = String::new();
                    if stream.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let (mut length, mut content_type) = (0usize, String::new());
                    loop {
                        let mut header = String::new();
                        stream.read_line(&mut header).await.unwrap();
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        let (name, value) = header.split_once(':').unwrap();
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap(),
                            "content-type" => content_type = value.trim().to_owned(),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    stream.read_exact(&mut body).await.unwrap();
                    sink.lock().unwrap().push(Received {
                        request_line: request_line.trim_end().to_owned(),
                        content_type,
                        body,
                    });
                    stream
                        .get_mut()
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .unwrap();
                }
            });
        }
    });
    (address, received)
}

/// A loopback TCP server that accepts connections and never answers.
async fn start_hung_collector() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    address
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

/// Runs `codex app-server` on stdio with `env`, sends `initialize` and `lines`, closes stdin, and
/// waits for it to exit (which flushes the exporter).
async fn run_server(env: &[(&str, String)], lines: &[String]) {
    run_server_timed(env, lines).await;
}

/// `run_server`, returning how long the server took to exit once its stdin closed.
async fn run_server_timed(env: &[(&str, String)], lines: &[String]) -> Duration {
    let home = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_codex"));
    command
        .arg("app-server")
        .env("CODEX_HOME", home.path())
        .env_remove("RUST_LOG")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("TRACEPARENT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let init =
        r#"{"id":0,"method":"initialize","params":{"clientInfo":{"name":"otlp","version":"1"}}}"#;
    for line in std::iter::once(init.to_owned()).chain(lines.iter().cloned()) {
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        let reply = loop {
            let reply = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            let message: serde_json::Value = serde_json::from_str(&reply).unwrap();
            if !codex_test_support::is_sandbox_unavailable_warning(&message) {
                break reply;
            }
        };
        assert!(reply.contains("\"result\""), "{reply}");
    }
    drop(stdin);
    let closed = std::time::Instant::now();
    let status =
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    closed.elapsed()
}

/// A CODEX_HOME holding `config_toml`, and the env pointing `run_server` at it.
fn home_with_config(config_toml: &str) -> (tempfile::TempDir, (&'static str, String)) {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config_toml).unwrap();
    let env = ("CODEX_HOME", home.path().display().to_string());
    (home, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_http_collector_with_the_request_traceparent() {
    let (endpoint, received) = start_collector().await;
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let request = format!(
        r#"{{"id":1,"method":"account/read","params":{{}},"trace":{{"traceparent":"00-{trace_id}-b7ad6b7169203331-01"}}}}"#
    );
    run_server(&[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)], &[request]).await;

    let received = received.lock().unwrap().clone();
    let export = received
        .iter()
        .find(|r| contains(&r.body, b"account/read"))
        .unwrap_or_else(|| panic!("no span for account/read exported: {received:?}"));
    assert_eq!(export.request_line, "POST /v1/traces HTTP/1.1");
    assert_eq!(export.content_type, "application/x-protobuf");
    assert!(contains(&export.body, &hex_bytes(trace_id)), "trace id not in the exported span");
    assert!(contains(&export.body, b"codex-app-server"), "service name missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_toml_selects_the_exporter_and_traceparent_env_is_the_fallback_parent() {
    let (endpoint, received) = start_collector().await;
    let trace_id = "5b8efff798038103d269b633813fc60c";
    let (_home, home_env) = home_with_config(&format!(
        "[otel]\ntrace_exporter = \"otlp-http\"\nendpoint = \"{endpoint}\"\n"
    ));
    let env = [home_env, ("TRACEPARENT", format!("00-{trace_id}-eee19b7ec3c1b174-01"))];
    run_server(&env, &[r#"{"id":1,"method":"config/read","params":{}}"#.to_owned()]).await;

    let received = received.lock().unwrap().clone();
    let export = received
        .iter()
        .find(|r| contains(&r.body, b"config/read"))
        .unwrap_or_else(|| panic!("no span for config/read exported: {received:?}"));
    assert_eq!(export.request_line, "POST /v1/traces HTTP/1.1");
    assert!(contains(&export.body, &hex_bytes(trace_id)), "TRACEPARENT was not the parent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_exporter_protocol_json_sends_json_spans() {
    let (endpoint, received) = start_collector().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let (_home, home_env) = home_with_config(&format!(
        "[otel.trace_exporter.otlp-http]\nendpoint = \"{endpoint}\"\nprotocol = \"json\"\n\
         headers = {{ x-collector-key = \"k1\" }}\n"
    ));
    let request = format!(
        r#"{{"id":1,"method":"account/read","params":{{}},"trace":{{"traceparent":"00-{trace_id}-00f067aa0ba902b7-01"}}}}"#
    );
    run_server(&[home_env], &[request]).await;

    let received = received.lock().unwrap().clone();
    let export = received
        .iter()
        .find(|r| contains(&r.body, b"account/read"))
        .unwrap_or_else(|| panic!("no span for account/read exported: {received:?}"));
    assert_eq!(export.request_line, "POST /v1/traces HTTP/1.1");
    assert_eq!(export.content_type, "application/json");
    let body: serde_json::Value = serde_json::from_slice(&export.body).unwrap();
    let text = body.to_string();
    assert!(text.contains(trace_id), "trace id not in the JSON span: {text}");
    assert!(text.contains("service.version"), "service.version missing: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporter_carries_logs_not_spans() {
    let (endpoint, received) = start_collector().await;
    // `metrics_exporter` is accepted and noted in an info event, which the log exporter carries.
    let (_home, home_env) = home_with_config(&format!(
        "[otel]\nmetrics_exporter = \"statsig\"\n\
         [otel.exporter.otlp-http]\nendpoint = \"{endpoint}\"\n"
    ));
    run_server(&[home_env], &[r#"{"id":1,"method":"account/read","params":{}}"#.to_owned()]).await;

    let received = received.lock().unwrap().clone();
    assert!(
        received.iter().all(|r| r.request_line != "POST /v1/traces HTTP/1.1"),
        "spans went to the log exporter: {received:?}"
    );
    let export = received
        .iter()
        .find(|r| contains(&r.body, b"metrics_exporter"))
        .unwrap_or_else(|| panic!("no log record exported: {received:?}"));
    assert_eq!(export.request_line, "POST /v1/logs HTTP/1.1");
    assert_eq!(export.content_type, "application/x-protobuf");
    assert!(contains(&export.body, b"codex-app-server"), "service name missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_collector_holds_the_exit_only_for_the_configured_shutdown_timeout() {
    let endpoint = start_hung_collector().await;
    let (_home, home_env) = home_with_config(&format!(
        "[otel]\nshutdown_timeout_ms = 300\n\
         [otel.trace_exporter.otlp-http]\nendpoint = \"{endpoint}\"\n"
    ));
    let exit = run_server_timed(
        &[home_env],
        &[r#"{"id":1,"method":"account/read","params":{}}"#.to_owned()],
    )
    .await;
    // The default bound is 5 s; with 300 ms configured the exit must come well before that.
    assert!(exit < Duration::from_secs(4), "exit took {exit:?} with a 300 ms shutdown timeout");
}
