//! The agent's tools inside turns: [`AgentTools`], the [`ToolRouter`] `serve` offers by default.
//!
//! The model is offered `shell` (argv `command`, `workdir`, `timeout_ms`, `sandbox_permissions`,
//! `justification`) and `apply_patch` (`input`); calls spelled `exec_command` (`cmd`) or
//! `shell_command` (`command` string) run through the user's shell, and a shell call whose argv is
//! `["apply_patch", PATCH]` is treated as the patch tool. See [`shell`], [`patch`] and
//! [`approval`] for how calls run and when clients are asked.

pub mod approval;
pub mod model_output;
pub mod patch;
pub mod request_user_input;
pub mod rules;
pub mod safety;
pub mod shell;
pub mod unified_exec;
pub mod update_plan;
pub mod view_image;

use std::path::Path;
use std::sync::Arc;

use codex_model_client::FunctionTool;
use futures::future::BoxFuture;
use serde_json::json;

use crate::engine::tools::BackgroundTerminal;
use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;
use crate::engine::tools::ToolRouter;
use crate::mcp::McpManager;
use crate::tools::approval::Approvals;
use crate::tools::rules::PrefixRules;
use crate::tools::shell::ShellCall;

/// The shell and apply-patch tools with their approval state, and the tools of MCP servers.
#[derive(Debug)]
pub struct AgentTools {
    approvals: Approvals,
    sessions: unified_exec::ExecSessions,
    unified_exec: bool,
    mcp: Option<Arc<McpManager>>,
}

impl AgentTools {
    /// Tools whose prefix rules live under `codex_home/rules` (loaded now), offering the
    /// interactive `exec_command` + `write_stdin` pair.
    pub fn load(codex_home: &Path) -> Self {
        Self {
            approvals: Approvals::new(PrefixRules::load(codex_home)),
            sessions: unified_exec::ExecSessions::default(),
            unified_exec: true,
            mcp: None,
        }
    }

    /// Offers `exec_command` + `write_stdin` (`true`, the default) or the one-shot `shell`
    /// (`false`; `[features] unified_exec = false`). Calls of either kind are served whatever
    /// is offered.
    pub fn with_unified_exec(mut self, enabled: bool) -> Self {
        self.unified_exec = enabled;
        self
    }

    /// Also offers the tools of `manager`'s MCP servers (as `mcp__SERVER__TOOL`).
    pub fn with_mcp(mut self, manager: Arc<McpManager>) -> Self {
        self.mcp = Some(manager);
        self
    }

    /// The MCP tool the model calls `name`, if any.
    fn mcp_tool(&self, name: &str) -> Option<(&Arc<McpManager>, Arc<crate::mcp::McpToolEntry>)> {
        if !name.starts_with(crate::mcp::naming::MCP_TOOL_PREFIX) {
            return None;
        }
        let manager = self.mcp.as_ref()?;
        Some((manager, manager.resolve(name)?))
    }

    /// The live exec sessions.
    pub fn sessions(&self) -> &unified_exec::ExecSessions {
        &self.sessions
    }

    /// Tools that ignore the stored prefix rules (`--ignore-rules`).
    pub fn without_rules(codex_home: &Path) -> Self {
        Self {
            approvals: Approvals::new(PrefixRules::empty(codex_home)),
            sessions: unified_exec::ExecSessions::default(),
            unified_exec: true,
            mcp: None,
        }
    }

    /// The approval state.
    pub fn approvals(&self) -> &Approvals {
        &self.approvals
    }
}

fn shell_tool() -> FunctionTool {
    FunctionTool::new(
        "shell",
        "Runs a shell command and returns its output. The arguments to `shell` will be passed \
         to execvp(); most terminal commands should be prefixed with [\"bash\", \"-lc\"]. Always \
         set the `workdir` param when using the shell function; do not use `cd` unless \
         absolutely necessary.",
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "array", "items": {"type": "string"}, "description": "The command to execute"},
                "workdir": {"type": "string", "description": "The working directory to execute the command in"},
                "timeout_ms": {"type": "number", "description": "The timeout for the command in milliseconds"},
                "sandbox_permissions": {
                    "type": "string",
                    "enum": ["use_default", "require_escalated"],
                    "description": "Sandbox permissions for the command. Set to \"require_escalated\" to request running without sandbox restrictions; defaults to \"use_default\"."
                },
                "justification": {"type": "string", "description": "Only set if sandbox_permissions is \"require_escalated\". One sentence asking the user whether they want to allow it."}
            },
            "required": ["command"],
            "additionalProperties": false
        }),
    )
}

fn apply_patch_tool() -> FunctionTool {
    FunctionTool::new(
        "apply_patch",
        "Use the `apply_patch` tool to edit files. The patch starts with `*** Begin Patch` and \
         ends with `*** End Patch`; each file operation is `*** Add File: PATH` (every line \
         prefixed with `+`), `*** Delete File: PATH`, or `*** Update File: PATH` (optionally \
         followed by `*** Move to: NEW_PATH`) with `@@` hunks of context (` `), removed (`-`) \
         and added (`+`) lines. Paths are relative to the working directory.",
        json!({
            "type": "object",
            "properties": {
                "input": {"type": "string", "description": "The entire contents of the apply_patch command"}
            },
            "required": ["input"],
            "additionalProperties": false
        }),
    )
}

impl ToolRouter for AgentTools {
    fn tools(&self) -> Vec<FunctionTool> {
        let shell_tools = if self.unified_exec {
            vec![unified_exec::exec_command_tool(), unified_exec::write_stdin_tool()]
        } else {
            vec![shell_tool()]
        };
        shell_tools
            .into_iter()
            .chain([
                apply_patch_tool(),
                view_image::view_image_tool(),
                update_plan::update_plan_tool(),
                request_user_input::request_user_input_tool(),
            ])
            .chain(self.mcp.iter().flat_map(|manager| manager.model_tools()))
            .collect()
    }

    fn parallel_safe(&self, name: &str, arguments: &str) -> bool {
        if let Some((_, entry)) = self.mcp_tool(name) {
            // Read-only tools whose mode never asks because of that annotation.
            return entry.read_only_hint() == Some(true)
                && !crate::mcp::tool_call::needs_approval(
                    entry.approval_mode,
                    entry.tool.annotations.as_ref(),
                );
        }
        match name {
            "view_image" => true,
            "exec_command" if self.unified_exec => false,
            "shell" | "exec_command" | "shell_command" | "container.exec" => {
                let name = if name == "container.exec" { "shell" } else { name };
                ShellCall::parse(name, arguments).is_ok_and(|call| {
                    !call.escalated
                        && codex_apply_patch::patch_from_command(&call.argv).is_none()
                        && safety::is_known_safe(&call.argv)
                })
            }
            _ => false,
        }
    }

    fn call<'a>(
        &'a self,
        context: ToolContext,
        name: &'a str,
        arguments: &'a str,
    ) -> BoxFuture<'a, ToolOutcome> {
        Box::pin(async move {
            if let Some((manager, entry)) = self.mcp_tool(name) {
                return crate::mcp::tool_call::run_model_call(manager, entry, &context, arguments)
                    .await;
            }
            match name {
                "exec_command" if self.unified_exec => {
                    unified_exec::run_exec_command(
                        &self.sessions,
                        &self.approvals,
                        &context,
                        arguments,
                    )
                    .await
                }
                "write_stdin" => {
                    unified_exec::run_write_stdin(&self.sessions, &context, arguments).await
                }
                "shell" | "exec_command" | "shell_command" | "container.exec" => {
                    let name = if name == "container.exec" { "shell" } else { name };
                    let call = match ShellCall::parse(name, arguments) {
                        Ok(call) => call,
                        Err(message) => return ToolOutcome::failure(message),
                    };
                    if let Some(patch) = codex_apply_patch::patch_from_command(&call.argv) {
                        let patch = patch.to_owned();
                        return patch::run_patch(&self.approvals, &context, &heredoc_body(&patch))
                            .await;
                    }
                    shell::run_shell_call(&self.approvals, &context, call).await
                }
                "view_image" => view_image::run_view_image(&context, arguments).await,
                update_plan::UPDATE_PLAN => update_plan::run_update_plan(&context, arguments).await,
                "request_user_input" => {
                    request_user_input::run_request_user_input(&context, arguments).await
                }
                "apply_patch" => match patch::parse_arguments(arguments) {
                    Ok(text) => patch::run_patch(&self.approvals, &context, &text).await,
                    Err(message) => ToolOutcome::failure(message),
                },
                other => ToolOutcome::failure(format!(
                    "unsupported tool: `{other}` is not available on this server; use `shell` or \
                     `apply_patch`"
                )),
            }
        })
    }

    fn thread_unloaded(&self, thread_id: &str) {
        self.approvals.forget_session(thread_id);
        if let Some(manager) = &self.mcp {
            manager.forget_thread(thread_id);
        }
        self.sessions.kill_thread(thread_id);
    }

    fn turn_interrupted(&self, thread_id: &str) {
        self.sessions.kill_thread(thread_id);
    }

    fn background_terminals(&self, thread_id: &str) -> Vec<BackgroundTerminal> {
        self.sessions.running(thread_id)
    }

    fn terminate_background_terminal(&self, thread_id: &str, process_id: &str) -> bool {
        process_id.parse::<u64>().is_ok_and(|id| self.sessions.terminate(thread_id, id))
    }

    fn clean_background_terminals(&self, thread_id: &str) {
        self.sessions.kill_thread(thread_id);
    }
}

/// The patch inside `apply_patch <<'EOF' … EOF` (a shell heredoc), or the text itself.
pub(crate) fn heredoc_body(text: &str) -> String {
    match (text.find("*** Begin Patch"), text.rfind("*** End Patch")) {
        (Some(start), Some(end)) if end > start => {
            format!("{}\n", &text[start..end + "*** End Patch".len()])
        }
        _ => text.to_owned(),
    }
}
