//! `thread/shellCommand`: a command the user typed (the TUI's `!cmd`), run in the thread's cwd
//! through the user's shell as a login shell, outside the sandbox (the user, not the model,
//! asked for it), with a one-hour default timeout.
//!
//! When no turn runs it is a turn of its own (`turn/started`, the `commandExecution` item with
//! source `userShell` and its output deltas, `turn/completed`), interrupted with `turn/interrupt`
//! like any turn. While a turn runs it runs beside it as one more item of that turn, and the
//! running turn's interrupt stops it too. Either way the command and its result are added to
//! the thread's model history as a `<user_shell_command>` user message (the output cut to the
//! tool-output budget), so the model knows what the user ran on its next request.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::v2::CommandExecutionOutputDeltaNotification;
use codex_app_server_protocol::v2::CommandExecutionSource;
use codex_app_server_protocol::v2::CommandExecutionStatus;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::ThreadShellCommandParams;
use codex_app_server_protocol::v2::ThreadShellCommandResponse;
use codex_app_server_protocol::ServerNotification;
use codex_exec::ExecEvent;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_exec::ExecStream;
use codex_model_client::InputItem;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::context::truncate_for_model;
use crate::engine::items::TurnItems;
use crate::engine::new_id;
use crate::engine::now_ms;
use crate::engine::request::TurnOrigin;
use crate::engine::turn::Launch;
use crate::engine::turn::TurnKind;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::engine::TurnSlot;
use crate::host::AgentHost;
use crate::tools::safety;
use crate::tools::shell::Utf8Decoder;
use crate::tools::shell::OUTPUT_CAP;
use crate::tools::shell::TIMEOUT_EXIT_CODE;

/// How long a user command may run when the request names no timeout.
pub const DEFAULT_USER_SHELL_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// One user command to run.
#[derive(Debug, Clone)]
pub(crate) struct UserShellCommand {
    /// The command line as typed (trimmed).
    pub command: String,
    /// The thread's working directory.
    pub cwd: PathBuf,
    /// When it is killed.
    pub timeout: Duration,
    /// The thread's tool-output budget (tokens) for the history record.
    pub output_tokens: usize,
}

/// The user's shell: `$SHELL` when it names an existing program, else bash, else sh.
fn user_shell_program() -> String {
    if let Some(shell) = std::env::var_os("SHELL").filter(|shell| Path::new(shell).is_file()) {
        return shell.to_string_lossy().into_owned();
    }
    for candidate in ["/bin/bash", "/usr/bin/bash"] {
        if Path::new(candidate).is_file() {
            return candidate.to_owned();
        }
    }
    "/bin/sh".to_owned()
}

fn shell_item(
    id: &str,
    run: &UserShellCommand,
    started_ms: i64,
    status: CommandExecutionStatus,
) -> ThreadItem {
    ThreadItem::CommandExecution {
        started_at_ms: Some(started_ms),
        completed_at_ms: None,
        aggregated_output: None,
        // As the reference shows it: the shell invocation, which clients (the TUI) unwrap to
        // display the script as typed.
        command: safety::display_command(&[
            user_shell_program(),
            "-lc".to_owned(),
            run.command.clone(),
        ]),
        command_actions: safety::command_actions(&[
            "sh".to_owned(),
            "-c".to_owned(),
            run.command.clone(),
        ]),
        cwd: run.cwd.display().to_string(),
        duration_ms: None,
        exit_code: None,
        id: id.to_owned(),
        plugin_id: None,
        process_id: None,
        script_path: None,
        source: Some(CommandExecutionSource::UserShell),
        status,
    }
}

/// How a user command ended.
struct Ran {
    exit_code: i32,
    output: String,
    duration: Duration,
    note: Option<String>,
    interrupted: bool,
}

/// Runs `run` as a `commandExecution` item of `items`' turn; returns the history record the
/// model reads, and whether `cancel` stopped it.
pub(crate) async fn run_user_shell(
    items: &TurnItems,
    run: &UserShellCommand,
    cancel: &CancellationToken,
) -> (InputItem, bool) {
    let id = new_id();
    let started = now_ms();
    items.start(shell_item(&id, run, started, CommandExecutionStatus::InProgress), started).await;
    let ran = execute(items, run, &id, cancel).await;
    let status = if ran.exit_code == 0 && !ran.interrupted {
        CommandExecutionStatus::Completed
    } else {
        CommandExecutionStatus::Failed
    };
    let mut item = shell_item(&id, run, started, status);
    if let ThreadItem::CommandExecution {
        completed_at_ms,
        aggregated_output,
        duration_ms,
        exit_code,
        ..
    } = &mut item
    {
        let completed = now_ms();
        *completed_at_ms = Some(completed);
        *aggregated_output = Some(ran.output.clone());
        *duration_ms = Some(i64::try_from(ran.duration.as_millis()).unwrap_or(i64::MAX));
        *exit_code = Some(ran.exit_code);
    }
    if let Err(err) = items.complete(item).await {
        tracing::warn!(thread = items.thread_id(), "storing a user shell item failed: {err}");
    }
    (history_record(run, &ran), ran.interrupted)
}

async fn execute(
    items: &TurnItems,
    run: &UserShellCommand,
    item_id: &str,
    cancel: &CancellationToken,
) -> Ran {
    let begun = std::time::Instant::now();
    let request = ExecRequest {
        argv: vec![user_shell_program().into(), "-lc".into(), run.command.clone().into()],
        cwd: run.cwd.clone(),
        policy_cwd: None,
        env: codex_exec::env_with_overrides(Vec::<(String, Option<String>)>::new()),
        policy: codex_sandbox::SandboxPolicy::DangerFullAccess,
        timeout: Some(run.timeout),
        output_cap: Some(OUTPUT_CAP),
        tty: None,
    };
    let (process, mut events) = match ExecProcess::spawn(request) {
        Ok(spawned) => spawned,
        Err(err) => {
            let message = format!("failed to start the command: {err}");
            let delta = ServerNotification::CommandExecutionOutputDelta(
                CommandExecutionOutputDeltaNotification {
                    delta: message.clone(),
                    item_id: item_id.to_owned(),
                    thread_id: items.thread_id().to_owned(),
                    turn_id: items.turn_id().to_owned(),
                },
            );
            items.notifier().notify(&delta).await;
            return Ran {
                exit_code: -1,
                output: message,
                duration: begun.elapsed(),
                note: None,
                interrupted: false,
            };
        }
    };
    if let Err(err) = process.close_stdin().await {
        tracing::debug!("closing the user command's stdin failed: {err}");
    }
    let mut output = Vec::new();
    let mut decoders: HashMap<ExecStream, Utf8Decoder> = HashMap::new();
    let exit = loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = cancel.cancelled() => None,
        };
        match event {
            Some(ExecEvent::Output { stream, bytes, .. }) => {
                output.extend_from_slice(&bytes);
                let delta = decoders.entry(stream).or_default().decode(&bytes);
                if delta.is_empty() {
                    continue;
                }
                items
                    .notifier()
                    .notify(&ServerNotification::CommandExecutionOutputDelta(
                        CommandExecutionOutputDeltaNotification {
                            delta,
                            item_id: item_id.to_owned(),
                            thread_id: items.thread_id().to_owned(),
                            turn_id: items.turn_id().to_owned(),
                        },
                    ))
                    .await;
            }
            Some(ExecEvent::Exited(exit)) => break Some(exit),
            None => break None,
        }
    };
    // Dropping the handle kills the command's whole process group (an interrupt).
    drop(process);
    let output = String::from_utf8_lossy(&output).into_owned();
    match exit {
        Some(exit) if exit.timed_out => Ran {
            exit_code: TIMEOUT_EXIT_CODE,
            output,
            duration: exit.duration,
            note: Some(format!("command timed out after {} ms", run.timeout.as_millis())),
            interrupted: false,
        },
        Some(exit) => Ran {
            exit_code: exit.shell_exit_code(),
            output,
            duration: exit.duration,
            note: None,
            interrupted: false,
        },
        None => Ran {
            exit_code: -1,
            output,
            duration: begun.elapsed(),
            note: Some("command interrupted by the user".to_owned()),
            interrupted: true,
        },
    }
}

/// The user message that tells the model what the user ran and what came of it.
fn history_record(run: &UserShellCommand, ran: &Ran) -> InputItem {
    let output = truncate_for_model(&ran.output, run.output_tokens);
    let mut result = format!(
        "Exit code: {}\nDuration: {:.4} seconds\n",
        ran.exit_code,
        ran.duration.as_secs_f64()
    );
    if let Some(note) = &ran.note {
        result.push_str(note);
        result.push('\n');
    }
    result.push_str("Output:\n");
    result.push_str(&output);
    InputItem::user(format!(
        "<user_shell_command>\n<command>\n{}\n</command>\n<result>\n{}\n</result>\n</user_shell_command>",
        run.command,
        result.trim_end()
    ))
}

impl Engine {
    /// `thread/shellCommand`: runs the user's command as a turn of its own, or beside the
    /// running turn; answers at once.
    pub fn shell_command(
        self: &Arc<Self>,
        host: &Arc<dyn AgentHost>,
        config: &Config,
        params: ThreadShellCommandParams,
        origin: TurnOrigin,
    ) -> Result<ThreadShellCommandResponse, EngineError> {
        let command = params.command.trim().to_owned();
        if command.is_empty() {
            return Err(EngineError::InvalidParams("command must not be empty".into()));
        }
        let timeout = match params.timeout_ms {
            None => DEFAULT_USER_SHELL_TIMEOUT,
            Some(ms) => Duration::from_millis(u64::try_from(ms).map_err(|_| {
                EngineError::InvalidParams(format!(
                    "timeoutMs must not be negative (got {ms}); omit it for the one-hour default"
                ))
            })?),
        };
        let thread = self
            .loaded(&params.thread_id)
            .ok_or_else(|| EngineError::ThreadNotLoaded(params.thread_id.clone()))?;
        let run = {
            let state = thread.lock();
            UserShellCommand {
                command,
                cwd: PathBuf::from(&state.record.cwd),
                timeout,
                output_tokens: config.agent.tool_output_token_limit,
            }
        };
        // Beside a running turn: one more item of it; its record joins the history at the
        // turn's next request (or at once, if the turn ended meanwhile).
        let running = match &thread.lock().slot {
            TurnSlot::Running(running) => {
                Some((running.turn_id.clone(), running.items.clone(), running.cancel.clone()))
            }
            TurnSlot::Idle => None,
        };
        if let Some((turn_id, items, cancel)) = running {
            let engine = Arc::clone(self);
            tokio::spawn(async move {
                let (record, _) = run_user_shell(&items, &run, &cancel).await;
                engine.add_to_history(&thread, &turn_id, record).await;
            });
            return Ok(ThreadShellCommandResponse {});
        }
        let launch = Launch { output_schema: None, origin, kind: TurnKind::UserShell(run) };
        self.launch(host, config, &params.thread_id, launch, |_| {})?;
        Ok(ThreadShellCommandResponse {})
    }

    /// Adds `record` (made during turn `turn_id`) to the thread's model history: queued for the
    /// running turn's next request while a turn runs, appended (and stored) otherwise.
    async fn add_to_history(
        &self,
        thread: &crate::engine::LoadedThread,
        turn_id: &str,
        record: InputItem,
    ) {
        let (seq, ephemeral) = {
            let mut state = thread.lock();
            // Whichever turn runs now takes it before its next request, so it never lands
            // between a function call and its output.
            if let TurnSlot::Running(running) = &mut state.slot {
                running.pending_history.push(record);
                return;
            }
            let seq = state.history.len() as i64;
            state.history.push(crate::engine::HistoryEntry {
                turn_id: turn_id.to_owned(),
                item: record.clone(),
            });
            (seq, state.ephemeral)
        };
        if ephemeral {
            return;
        }
        let value = serde_json::to_value(&record).unwrap_or_default();
        if let Err(err) = self.state().append_history(&thread.id, turn_id, seq, &[value]).await {
            tracing::warn!(thread = %thread.id, "storing a user shell record failed: {err}");
        }
    }
}
