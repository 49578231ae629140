//! The model calling an MCP tool: the approval gate, the `mcpToolCall` item, the call itself and
//! the output the model reads.
//!
//! Approval follows the reference: with the tool's `approval_mode` `auto`, a tool annotated
//! destructive asks, one annotated read-only runs, and one with neither hint asks unless it is
//! annotated both non-destructive and closed-world; `prompt` always asks, `writes` asks unless
//! read-only, `approve` never asks. Under `never` a call that would ask is refused (or runs when
//! the sandbox is full access). The question is an `mcpServer/elicitation/request` in form mode
//! with `_meta.codex_approval_kind = "mcp_tool_call"`; the answer's `_meta.persist` may be
//! `"session"` (this thread stops asking for this tool) or `"always"` (written to config.toml).
//! A declined call never reaches the MCP server; the model reads that the user declined it.

use std::sync::Arc;
use std::time::Instant;

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::McpServerElicitationAction;
use codex_app_server_protocol::v2::McpServerElicitationRequest;
use codex_app_server_protocol::v2::McpServerElicitationRequestParams;
use codex_app_server_protocol::v2::McpServerElicitationRequestResponse;
use codex_app_server_protocol::v2::McpToolCallError;
use codex_app_server_protocol::v2::McpToolCallResult;
use codex_app_server_protocol::v2::McpToolCallStatus;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::ServerRequest;
use rmcp::model::CallToolResult;
use rmcp::model::ToolAnnotations;
use serde_json::json;
use serde_json::Map;
use serde_json::Value;
use tracing::Instrument as _;

use crate::engine::now_ms;
use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;
use crate::host::Expect;
use crate::host::NoAnswer;
use crate::mcp::config::ApprovalMode;
use crate::mcp::connection::CallFailure;
use crate::mcp::manager::McpManager;
use crate::mcp::manager::McpToolEntry;

/// The most of a result's content kept on the item (the model's copy is truncated separately).
const ITEM_RESULT_CAP: usize = 1024 * 1024;

/// What the approval gate decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Run without asking.
    Run,
    /// Ask the user.
    Ask,
    /// Refuse without asking (`approval_policy = "never"`).
    Refuse,
}

/// Whether a call of a tool with `annotations` needs approval under `mode`.
pub fn needs_approval(mode: ApprovalMode, annotations: Option<&ToolAnnotations>) -> bool {
    let read_only = annotations.and_then(|a| a.read_only_hint);
    let destructive = annotations.and_then(|a| a.destructive_hint);
    let open_world = annotations.and_then(|a| a.open_world_hint);
    match mode {
        ApprovalMode::Approve => false,
        ApprovalMode::Prompt => true,
        ApprovalMode::Writes => read_only != Some(true),
        ApprovalMode::Auto => {
            if destructive == Some(true) {
                true
            } else if read_only == Some(true) {
                false
            } else {
                destructive.unwrap_or(true) || open_world.unwrap_or(true)
            }
        }
    }
}

/// The gate for a call needing approval `needed` under the thread's policy and sandbox.
pub fn gate(needed: bool, policy: &AskForApproval, sandbox: &SandboxPolicy) -> Gate {
    if !needed {
        return Gate::Run;
    }
    let full_access = matches!(
        sandbox,
        SandboxPolicy::DangerFullAccess {} | SandboxPolicy::ExternalSandbox { .. }
    );
    match policy {
        AskForApproval::Never if full_access => Gate::Run,
        AskForApproval::Never => Gate::Refuse,
        AskForApproval::Granular { mcp_elicitations: false, .. } => Gate::Refuse,
        _ => Gate::Ask,
    }
}

/// What the approval question came to.
enum Approval {
    Approved,
    Declined(String),
    Interrupted,
}

/// The item of a call in progress, completed once with its outcome.
struct CallItem {
    id: String,
    server: String,
    tool: String,
    arguments: Value,
    read_only_hint: Option<bool>,
    started_ms: i64,
}

impl CallItem {
    fn item(
        &self,
        status: McpToolCallStatus,
        result: Option<McpToolCallResult>,
        error: Option<String>,
    ) -> ThreadItem {
        let done = status != McpToolCallStatus::InProgress;
        let completed_ms = done.then(now_ms);
        ThreadItem::McpToolCall {
            started_at_ms: Some(self.started_ms),
            completed_at_ms: completed_ms,
            arguments: self.arguments.clone(),
            duration_ms: completed_ms.map(|ms| ms.saturating_sub(self.started_ms)),
            error: error.map(|message| McpToolCallError { message }),
            id: self.id.clone(),
            mcp_app_resource_uri: None,
            plugin_id: None,
            read_only_hint: self.read_only_hint,
            result,
            server: self.server.clone(),
            status,
            tool: self.tool.clone(),
        }
    }
}

/// Runs the model's call of MCP tool `entry` with `arguments` (the model's JSON text).
pub async fn run_model_call(
    manager: &McpManager,
    entry: Arc<McpToolEntry>,
    context: &ToolContext,
    arguments: &str,
) -> ToolOutcome {
    let span = tracing::info_span!(
        "mcp.tool_call",
        mcp.server = %entry.server,
        mcp.tool = %entry.tool.name,
        mcp.is_error = tracing::field::Empty,
    );
    run(manager, entry, context, arguments).instrument(span).await
}

async fn run(
    manager: &McpManager,
    entry: Arc<McpToolEntry>,
    context: &ToolContext,
    arguments: &str,
) -> ToolOutcome {
    let parsed: Result<Option<Map<String, Value>>, String> = match arguments.trim() {
        "" => Ok(None),
        text => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(Value::Null) => Ok(None),
            Ok(_) => Err("the arguments must be a JSON object".to_owned()),
            Err(err) => Err(format!("the arguments are not valid JSON: {err}")),
        },
    };
    let call = CallItem {
        id: context.call_id.clone(),
        server: entry.server.clone(),
        tool: entry.tool.name.to_string(),
        arguments: match &parsed {
            Ok(Some(map)) => Value::Object(map.clone()),
            Ok(None) => json!({}),
            Err(_) => Value::String(arguments.to_owned()),
        },
        read_only_hint: entry.read_only_hint(),
        started_ms: now_ms(),
    };
    context
        .items
        .start(call.item(McpToolCallStatus::InProgress, None, None), call.started_ms)
        .await;
    let abandoned = context.items.complete_on_drop(call.item(
        McpToolCallStatus::Failed,
        None,
        Some("the call was abandoned (the turn ended)".to_owned()),
    ));
    let outcome = match parsed {
        Err(message) => Err(message),
        Ok(arguments) => call_after_approval(manager, &entry, context, &call, arguments).await,
    };
    abandoned.disarm();
    let (item, outcome) = match outcome {
        Ok((item, outcome)) => (item, outcome),
        Err(message) => {
            tracing::Span::current().record("mcp.is_error", true);
            let item = call.item(McpToolCallStatus::Failed, None, Some(message.clone()));
            (item, ToolOutcome::failure(message))
        }
    };
    if let Err(err) = context.items.complete(item).await {
        tracing::warn!("storing the MCP tool call item failed: {err}");
    }
    outcome
}

async fn call_after_approval(
    manager: &McpManager,
    entry: &McpToolEntry,
    context: &ToolContext,
    call: &CallItem,
    arguments: Option<Map<String, Value>>,
) -> Result<(ThreadItem, ToolOutcome), String> {
    let needed = needs_approval(entry.approval_mode, entry.tool.annotations.as_ref())
        && !manager.approved_for_session(&context.thread_id, &entry.server, &entry.tool.name);
    match gate(needed, &context.approval_policy, &context.sandbox) {
        Gate::Run => {}
        Gate::Refuse => {
            return Err(format!(
                "MCP tool `{}` of server `{}` needs the user's approval, and this thread's \
                 approval policy does not allow asking; the call was not made.",
                call.tool, call.server
            ))
        }
        Gate::Ask => match ask(manager, entry, context, call).await {
            Approval::Approved => {}
            Approval::Declined(message) => return Err(message),
            Approval::Interrupted => return Err("the turn was interrupted".to_owned()),
        },
    }
    let (slot, connection) =
        manager.connection(&entry.server).await.map_err(|err| err.to_string())?;
    let registration = slot.calls.register(
        &context.thread_id,
        Some((context.turn_id.clone(), call.id.clone())),
        Arc::clone(&context.host),
        context.cancel.clone(),
    );
    let started = Instant::now();
    let meta = Map::from_iter([("threadId".to_owned(), Value::String(context.thread_id.clone()))]);
    let result = tokio::select! {
        biased;
        () = context.cancel.cancelled() => {
            return Err("the turn was interrupted; the MCP server was told to cancel the call".to_owned());
        }
        result = connection.call_tool(
            &entry.tool.name,
            arguments,
            Some(meta),
            &registration,
            entry.timeout,
        ) => result,
    };
    drop(registration);
    let elapsed = started.elapsed();
    match result {
        Ok(result) => {
            let is_error = result.is_error.unwrap_or(false);
            tracing::Span::current().record("mcp.is_error", is_error);
            let outcome = model_output(&result, elapsed);
            let item_result = item_result(&result);
            let item = if is_error {
                let message = outcome.output.clone();
                call.item(McpToolCallStatus::Failed, Some(item_result), Some(message))
            } else {
                call.item(McpToolCallStatus::Completed, Some(item_result), None)
            };
            Ok((item, outcome))
        }
        Err(failure) => Err(failure_message(&entry.server, &call.tool, &failure)),
    }
}

fn failure_message(server: &str, tool: &str, failure: &CallFailure) -> String {
    match failure {
        CallFailure::Timeout(timeout) => format!(
            "MCP tool `{tool}` of server `{server}` timed out after {} s (tool_timeout_sec in \
             [mcp_servers.{server}]); the server was told to cancel the call.",
            timeout.as_secs_f64()
        ),
        CallFailure::Closed => format!(
            "MCP server `{server}` closed the connection during the call of `{tool}` (it exited \
             or crashed); it is being started again, so a later call may work."
        ),
        CallFailure::Server(error) => format!(
            "MCP server `{server}` refused the call of `{tool}`: {} (code {})",
            error.message, error.code.0
        ),
        CallFailure::Other(message) => {
            format!("MCP tool `{tool}` of server `{server}` failed: {message}")
        }
    }
}

/// Asks the thread's users whether to run the call.
async fn ask(
    manager: &McpManager,
    entry: &McpToolEntry,
    context: &ToolContext,
    call: &CallItem,
) -> Approval {
    if !context.host.can_ask(&context.thread_id) {
        return Approval::Declined(format!(
            "MCP tool `{}` of server `{}` needs the user's approval and nobody can answer in \
             this session; the call was not made.",
            call.tool, call.server
        ));
    }
    let mut meta = json!({
        "codex_approval_kind": "mcp_tool_call",
        "persist": ["session", "always"],
        "tool_name": call.tool,
        "tool_params": call.arguments,
        "tool_params_display": serde_json::to_string_pretty(&call.arguments).unwrap_or_default(),
    });
    if let Some(title) =
        entry.tool.title.clone().or_else(|| entry.tool.annotations.as_ref()?.title.clone())
    {
        meta["tool_title"] = Value::String(title);
    }
    if let Some(description) = &entry.tool.description {
        meta["tool_description"] = Value::String(description.to_string());
    }
    let request = ServerRequest::McpServerElicitationRequest(McpServerElicitationRequestParams {
        server_name: call.server.clone(),
        thread_id: context.thread_id.clone(),
        turn_id: Some(context.turn_id.clone()),
        request: McpServerElicitationRequest::Form {
            meta: Some(meta),
            message: format!("Allow the {} MCP server to run tool \"{}\"?", call.server, call.tool),
            requested_schema: json!({"type": "object", "properties": {}}),
        },
    });
    let declined = || {
        Approval::Declined(format!(
            "The user declined the call of MCP tool `{}` of server `{}`; it was not made. Do not \
             retry it; continue without it or ask the user how to proceed.",
            call.tool, call.server
        ))
    };
    let answer =
        context.host.ask(&context.thread_id, request, Expect::Result, context.cancel.clone()).await;
    let response = match answer {
        Ok(result) => serde_json::from_value::<McpServerElicitationRequestResponse>(result),
        Err(NoAnswer::Interrupted) => return Approval::Interrupted,
        Err(NoAnswer::Declined) => return declined(),
    };
    let Ok(response) = response else { return declined() };
    if response.action != McpServerElicitationAction::Accept {
        return declined();
    }
    let persist =
        response.meta.as_ref().and_then(|meta| meta.get("persist")?.as_str().map(str::to_owned));
    match persist.as_deref() {
        Some("session") => {
            manager.approve_for_session(&context.thread_id, &call.server, &call.tool)
        }
        Some("always") => {
            manager.approve_for_session(&context.thread_id, &call.server, &call.tool);
            manager.persist_approval(&call.server, &call.tool);
        }
        _ => {}
    }
    Approval::Approved
}

/// The item's copy of a result, capped at [`ITEM_RESULT_CAP`].
fn item_result(result: &CallToolResult) -> McpToolCallResult {
    let value = serde_json::to_value(result).unwrap_or_default();
    let mut content = value.get("content").and_then(Value::as_array).cloned().unwrap_or_default();
    let size = serde_json::to_string(&content).map_or(0, |text| text.len());
    if size > ITEM_RESULT_CAP {
        let text = text_of(result);
        let mut cut = ITEM_RESULT_CAP.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        content = vec![json!({"type": "text", "text": format!(
            "{}\n[result of {size} bytes cut to {ITEM_RESULT_CAP} bytes]",
            &text[..cut]
        )})];
    }
    McpToolCallResult {
        _meta: value.get("_meta").cloned(),
        content,
        structured_content: value.get("structuredContent").cloned(),
    }
}

/// The text the result's content blocks carry (images and audio as placeholders).
fn text_of(result: &CallToolResult) -> String {
    let value = serde_json::to_value(&result.content).unwrap_or_default();
    let mut parts = Vec::new();
    for block in value.as_array().into_iter().flatten() {
        let part = match block["type"].as_str() {
            Some("text") => block["text"].as_str().unwrap_or_default().to_owned(),
            Some("image") => format!("[image: {}]", block["mimeType"].as_str().unwrap_or("image")),
            Some("audio") => "[audio content omitted]".to_owned(),
            Some("resource") => match block["resource"]["text"].as_str() {
                Some(text) => text.to_owned(),
                None => format!("[resource {}]", block["resource"]["uri"].as_str().unwrap_or("")),
            },
            Some("resource_link") => format!(
                "[resource link: {} ({})]",
                block["uri"].as_str().unwrap_or(""),
                block["name"].as_str().unwrap_or("")
            ),
            _ => block.to_string(),
        };
        parts.push(part);
    }
    parts.join("\n")
}

/// What the model reads: the structured content as JSON when the tool returned it, otherwise a
/// `Wall time` header and the text of each block; images go to the model as images.
pub(crate) fn model_output(result: &CallToolResult, elapsed: std::time::Duration) -> ToolOutcome {
    let is_error = result.is_error.unwrap_or(false);
    let value = serde_json::to_value(&result.content).unwrap_or_default();
    let images: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter(|block| block["type"] == "image")
        .filter_map(|block| {
            let data = block["data"].as_str()?;
            let mime = block["mimeType"].as_str().unwrap_or("image/png");
            Some(format!("data:{mime};base64,{data}"))
        })
        .collect();
    let output = match (&result.structured_content, is_error) {
        (Some(structured), false) => structured.to_string(),
        _ => {
            format!("Wall time: {:.1} seconds\nOutput:\n{}", elapsed.as_secs_f64(), text_of(result))
        }
    };
    ToolOutcome { output, success: !is_error, images }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(value: Value) -> ToolAnnotations {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn approval_follows_annotations_and_mode() {
        let read_only = annotations(json!({"readOnlyHint": true}));
        let destructive = annotations(json!({"destructiveHint": true, "readOnlyHint": true}));
        let closed = annotations(json!({"destructiveHint": false, "openWorldHint": false}));
        let open = annotations(json!({"destructiveHint": false}));
        assert!(!needs_approval(ApprovalMode::Auto, Some(&read_only)));
        assert!(needs_approval(ApprovalMode::Auto, Some(&destructive)));
        assert!(!needs_approval(ApprovalMode::Auto, Some(&closed)));
        assert!(needs_approval(ApprovalMode::Auto, Some(&open)));
        assert!(needs_approval(ApprovalMode::Auto, None));
        assert!(needs_approval(ApprovalMode::Prompt, Some(&read_only)));
        assert!(!needs_approval(ApprovalMode::Writes, Some(&read_only)));
        assert!(needs_approval(ApprovalMode::Writes, Some(&closed)));
        assert!(!needs_approval(ApprovalMode::Approve, Some(&destructive)));
        let read_only_sandbox = SandboxPolicy::ReadOnly { network_access: None };
        let full = SandboxPolicy::DangerFullAccess {};
        assert_eq!(gate(false, &AskForApproval::Never, &read_only_sandbox), Gate::Run);
        assert_eq!(gate(true, &AskForApproval::OnRequest, &full), Gate::Ask);
        assert_eq!(gate(true, &AskForApproval::Untrusted, &read_only_sandbox), Gate::Ask);
        assert_eq!(gate(true, &AskForApproval::Never, &read_only_sandbox), Gate::Refuse);
        assert_eq!(gate(true, &AskForApproval::Never, &full), Gate::Run);
    }

    #[test]
    fn results_become_model_output() {
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [
                {"type": "text", "text": "hello"},
                {"type": "image", "data": "aGk=", "mimeType": "image/png"},
                {"type": "resource_link", "uri": "file:///a", "name": "a"}
            ]
        }))
        .unwrap_or_else(|err| panic!("{err}"));
        let outcome = model_output(&result, std::time::Duration::from_millis(1500));
        assert!(outcome.success);
        assert_eq!(
            outcome.output,
            "Wall time: 1.5 seconds\nOutput:\nhello\n[image: image/png]\n[resource link: file:///a (a)]"
        );
        assert_eq!(outcome.images, vec!["data:image/png;base64,aGk=".to_owned()]);
        let structured: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "text", "text": "{\"sum\":3}"}],
            "structuredContent": {"sum": 3}
        }))
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(model_output(&structured, std::time::Duration::ZERO).output, "{\"sum\":3}");
        let failed: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "text", "text": "no such file"}], "isError": true
        }))
        .unwrap_or_else(|err| panic!("{err}"));
        let outcome = model_output(&failed, std::time::Duration::ZERO);
        assert!(!outcome.success && outcome.output.ends_with("no such file"));
    }
}
