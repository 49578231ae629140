//! Span export from the built binary to an OTLP/HTTP collector on loopback (a minimal HTTP server
//! in this test): the request's `traceparent` (or the process's `TRACEPARENT`) reaches the
//! collector as the exported span's trace id, under the method's name.
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

/// Runs `codex app-server` on stdio with `env`, sends `initialize` and `lines`, closes stdin, and
/// waits for it to exit (which flushes the exporter).
async fn run_server(env: &[(&str, String)], lines: &[String]) {
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
    let status =
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success());
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
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!("[otel]\nexporter = \"otlp-http\"\nendpoint = \"{endpoint}\"\n"),
    )
    .unwrap();
    // run_server makes its own CODEX_HOME; point it at ours instead.
    let env = [
        ("CODEX_HOME", home.path().display().to_string()),
        ("TRACEPARENT", format!("00-{trace_id}-eee19b7ec3c1b174-01")),
    ];
    run_server(&env, &[r#"{"id":1,"method":"config/read","params":{}}"#.to_owned()]).await;

    let received = received.lock().unwrap().clone();
    let export = received
        .iter()
        .find(|r| contains(&r.body, b"config/read"))
        .unwrap_or_else(|| panic!("no span for config/read exported: {received:?}"));
    assert_eq!(export.request_line, "POST /v1/traces HTTP/1.1");
    assert!(contains(&export.body, &hex_bytes(trace_id)), "TRACEPARENT was not the parent");
}
