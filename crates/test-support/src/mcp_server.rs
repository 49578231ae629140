//! [`TestMcpServer`]: a real MCP server written with the official SDK (`rmcp`), for tests of the
//! app-server's MCP client. The `mcp_test_server` binary serves it over stdio;
//! [`spawn_http_mcp_server`] serves it over streamable HTTP on `127.0.0.1:0` in the test process.
//!
//! Tools: `echo` (read-only), `add` (read-only, structured result), `delete_file` (destructive),
//! `no_hints` (no annotations), `slow` (read-only; sends progress, then sleeps `ms`), `crash`
//! (read-only; the process exits), `image` (an image result), `ask` (asks the client through an
//! elicitation), `env` (reads an environment variable), `fail` (an `isError` result). Resource
//! `test://greeting`, template `test://items/{id}`.
//!
//! With `MCP_TEST_CALL_LOG=PATH` every tool call appends the tool's name to PATH, so a test can
//! tell which calls reached the server; `MCP_TEST_START_DELAY_MS=N` delays serving by N ms.

use std::io::Write as _;
use std::time::Duration;

use axum::response::IntoResponse as _;
use rmcp::model::CallToolRequestParams;
use rmcp::model::CallToolResponse;
use rmcp::model::CallToolResult;
use rmcp::model::ErrorData;
use rmcp::model::ListResourceTemplatesResult;
use rmcp::model::ListResourcesResult;
use rmcp::model::ListToolsResult;
use rmcp::model::PaginatedRequestParams;
use rmcp::model::ReadResourceRequestParams;
use rmcp::model::ReadResourceResponse;
use rmcp::model::ServerConfig;
use rmcp::service::RequestContext;
use rmcp::RoleServer;
use rmcp::ServerHandler;
use serde_json::json;
use serde_json::Value;

/// A 1×1 PNG, base64.
pub const TEST_PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// The greeting resource's text.
pub const GREETING: &str = "hello from the test server";

/// The test MCP server's handler.
#[derive(Debug, Clone, Default)]
pub struct TestMcpServer;

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ErrorData> {
    serde_json::from_value(value)
        .map_err(|err| ErrorData::internal_error(format!("building a response: {err}"), None))
}

fn text_result(text: impl Into<String>) -> Result<CallToolResult, ErrorData> {
    from_json(json!({"content": [{"type": "text", "text": text.into()}]}))
}

fn log_call(name: &str) {
    if let Ok(path) = std::env::var("MCP_TEST_CALL_LOG") {
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(file, "{name}");
        }
    }
}

fn tools() -> Value {
    let object = |properties: Value, required: Value| json!({"type": "object", "properties": properties, "required": required});
    json!([
        {"name": "echo", "description": "Echoes the text back.",
         "inputSchema": object(json!({"text": {"type": "string"}}), json!(["text"])),
         "annotations": {"readOnlyHint": true}},
        {"name": "add", "description": "Adds two numbers.",
         "inputSchema": object(json!({"a": {"type": "number"}, "b": {"type": "number"}}), json!(["a", "b"])),
         "outputSchema": {"type": "object", "properties": {"sum": {"type": "number"}}},
         "annotations": {"readOnlyHint": true}},
        {"name": "delete_file", "description": "Deletes a file.",
         "inputSchema": object(json!({"path": {"type": "string"}}), json!(["path"])),
         "annotations": {"destructiveHint": true, "title": "Delete a file"}},
        {"name": "no_hints", "description": "A tool without annotations.",
         "inputSchema": {"type": "object"}},
        {"name": "slow", "description": "Reports progress, then sleeps `ms` milliseconds.",
         "inputSchema": object(json!({"ms": {"type": "integer"}}), json!(["ms"])),
         "annotations": {"readOnlyHint": true}},
        {"name": "crash", "description": "Makes the server exit.",
         "inputSchema": {"type": "object", "properties": {}},
         "annotations": {"readOnlyHint": true}},
        {"name": "image", "description": "Returns a tiny image.",
         "inputSchema": {"type": "object", "properties": {}},
         "annotations": {"readOnlyHint": true}},
        {"name": "ask", "description": "Asks the user for their name.",
         "inputSchema": {"type": "object", "properties": {}},
         "annotations": {"readOnlyHint": true}},
        {"name": "env", "description": "Reads an environment variable of the server.",
         "inputSchema": object(json!({"name": {"type": "string"}}), json!(["name"])),
         "annotations": {"readOnlyHint": true}},
        {"name": "fail", "description": "Always fails.",
         "inputSchema": {"type": "object", "properties": {}},
         "annotations": {"readOnlyHint": true}}
    ])
}

impl TestMcpServer {
    async fn run_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let arguments = Value::Object(request.arguments.clone().unwrap_or_default());
        let name = request.name.to_string();
        log_call(&name);
        match name.as_str() {
            "echo" => text_result(format!("echo: {}", arguments["text"].as_str().unwrap_or(""))),
            "add" => {
                let sum =
                    arguments["a"].as_f64().unwrap_or(0.0) + arguments["b"].as_f64().unwrap_or(0.0);
                from_json(json!({"content": [{"type": "text", "text": format!("{sum}")}],
                                 "structuredContent": {"sum": sum}}))
            }
            "delete_file" => {
                text_result(format!("deleted {}", arguments["path"].as_str().unwrap_or("")))
            }
            "no_hints" => text_result("ran"),
            "slow" => {
                let token = request
                    .meta
                    .as_ref()
                    .and_then(|meta| meta.get_progress_token())
                    .or_else(|| context.meta.get_progress_token());
                if let Some(token) = token {
                    for (step, message) in [(1, "starting"), (2, "halfway")] {
                        let progress = from_json(json!({
                            "progressToken": token, "progress": step, "total": 2, "message": message
                        }))?;
                        let _ = context.peer.notify_progress(progress).await;
                    }
                }
                let ms = arguments["ms"].as_u64().unwrap_or(0);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(ms)) => text_result("slept"),
                    () = context.ct.cancelled() => text_result("cancelled"),
                }
            }
            "crash" => std::process::exit(3),
            "image" => from_json(json!({"content": [
                {"type": "text", "text": "a pixel"},
                {"type": "image", "data": TEST_PNG_BASE64, "mimeType": "image/png"}
            ]})),
            "ask" => {
                let question = from_json(json!({
                    "mode": "form",
                    "message": "What is your name?",
                    "requestedSchema": {"type": "object",
                        "properties": {"name": {"type": "string", "title": "Name"}},
                        "required": ["name"]}
                }))?;
                match context.peer.create_elicitation(question).await {
                    Ok(answer) => {
                        let answer = serde_json::to_value(&answer).unwrap_or_default();
                        match answer["action"].as_str() {
                            Some("accept") => text_result(format!(
                                "hello {}",
                                answer["content"]["name"].as_str().unwrap_or("?")
                            )),
                            other => text_result(format!("no answer: {}", other.unwrap_or("?"))),
                        }
                    }
                    Err(err) => text_result(format!("elicitation failed: {err}")),
                }
            }
            "env" => {
                let name = arguments["name"].as_str().unwrap_or("");
                text_result(std::env::var(name).unwrap_or_else(|_| "<unset>".to_owned()))
            }
            "fail" => from_json(json!({"content": [{"type": "text", "text": "it failed"}],
                                       "isError": true})),
            other => Err(ErrorData::invalid_params(format!("unknown tool: {other}"), None)),
        }
    }
}

impl ServerHandler for TestMcpServer {
    fn get_info(&self) -> ServerConfig {
        serde_json::from_value(json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {}, "resources": {}},
            "serverInfo": {"name": "codex-mcp-test-server", "version": "1.0.0"},
            "instructions": "A server for tests."
        }))
        .unwrap_or_default()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        from_json(json!({"tools": tools()}))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.run_tool(request, context).await.map(CallToolResponse::from)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        from_json(json!({"resources": [
            {"uri": "test://greeting", "name": "greeting", "mimeType": "text/plain"}
        ]}))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        from_json(json!({"resourceTemplates": [
            {"uriTemplate": "test://items/{id}", "name": "item"}
        ]}))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri == "test://greeting" {
            let result: rmcp::model::ReadResourceResult = from_json(json!({"contents": [
                {"uri": "test://greeting", "mimeType": "text/plain", "text": GREETING}
            ]}))?;
            Ok(result.into())
        } else {
            Err(ErrorData::resource_not_found(
                format!("no resource {}", request.uri),
                Some(json!({"uri": request.uri})),
            ))
        }
    }
}

/// Serves [`TestMcpServer`] over stdio until the client goes away.
pub async fn serve_stdio() -> Result<(), String> {
    if let Some(delay) =
        std::env::var("MCP_TEST_START_DELAY_MS").ok().and_then(|ms| ms.parse::<u64>().ok())
    {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let service = rmcp::ServiceExt::serve(TestMcpServer, rmcp::transport::stdio())
        .await
        .map_err(|err| format!("serving over stdio: {err}"))?;
    service.waiting().await.map_err(|err| format!("serving over stdio: {err}"))?;
    Ok(())
}

/// A streamable-HTTP [`TestMcpServer`] on loopback; stops when dropped.
#[derive(Debug)]
pub struct HttpMcpServer {
    /// The endpoint (`http://127.0.0.1:PORT/mcp`).
    pub url: String,
    stop: tokio_util::sync::CancellationToken,
}

impl Drop for HttpMcpServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Starts a streamable-HTTP [`TestMcpServer`] on `127.0.0.1:0`. With `bearer_token`, requests
/// without `Authorization: Bearer TOKEN` are refused with 401.
pub async fn spawn_http_mcp_server(bearer_token: Option<&str>) -> Result<HttpMcpServer, String> {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
    use rmcp::transport::streamable_http_server::StreamableHttpService;

    let stop = tokio_util::sync::CancellationToken::new();
    let mut config = StreamableHttpServerConfig::default();
    config.cancellation_token = stop.child_token();
    let service = StreamableHttpService::new(
        || Ok(TestMcpServer),
        std::sync::Arc::new(LocalSessionManager::default()),
        config,
    );
    let expected = bearer_token.map(|token| format!("Bearer {token}"));
    let app = axum::Router::new().nest_service("/mcp", service).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let expected = expected.clone();
            async move {
                let given =
                    request.headers().get("authorization").and_then(|value| value.to_str().ok());
                match &expected {
                    Some(expected) if given != Some(expected.as_str()) => {
                        axum::http::StatusCode::UNAUTHORIZED.into_response()
                    }
                    _ => next.run(request).await,
                }
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| format!("binding: {err}"))?;
    let address = listener.local_addr().map_err(|err| format!("local address: {err}"))?;
    let shutdown = stop.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
    });
    Ok(HttpMcpServer { url: format!("http://{address}/mcp"), stop })
}
