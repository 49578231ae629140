//! `command/exec` and its follow-ups (`command/exec/write`, `resize`, `terminate`): standalone
//! commands outside any thread, run through `codex-exec` (and so always through the sandbox).
//!
//! `command/exec` validates and spawns the command on the connection's request task, then hands
//! the rest to a task of its own and defers its response, so the connection keeps serving
//! requests (e.g. `command/exec/write`) while the command runs. With `streamStdoutStderr` (or
//! `tty`) output goes out as `command/exec/outputDelta` notifications, each sent with
//! send-and-wait: at most one output message is in flight, and while it is, `codex-exec` keeps
//! coalescing up to 64 KiB per stream and then stops reading the pipe, so a fast command is slowed
//! to the client's pace. The response follows the last delta.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::CommandExecOutputStream;
use codex_app_server_protocol::v2::CommandExecParams;
use codex_app_server_protocol::v2::CommandExecResizeParams;
use codex_app_server_protocol::v2::CommandExecResizeResponse;
use codex_app_server_protocol::v2::CommandExecResponse;
use codex_app_server_protocol::v2::CommandExecTerminateParams;
use codex_app_server_protocol::v2::CommandExecTerminateResponse;
use codex_app_server_protocol::v2::CommandExecWriteParams;
use codex_app_server_protocol::v2::CommandExecWriteResponse;
use codex_app_server_protocol::v2::ConfigWarningNotification;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use codex_app_server_transport::ConnectionId;
use codex_exec::ExecError;
use codex_exec::ExecEvent;
use codex_exec::ExecEvents;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_exec::ExecStream;
use codex_exec::TerminalSize;
use codex_sandbox::SandboxPolicy;
use codex_sandbox::SandboxSupport;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::config::SandboxModeSetting;
use crate::handlers::to_result;
use crate::processes::ProcessCapabilities;
use crate::processes::ProcessKey;
use crate::processes::ProcessTable;
use crate::processes::RunningProcess;
use crate::processor::DeferredResponse;
use crate::processor::HandlerResult;
use crate::processor::RequestContext;
use crate::processor::ServerShared;

/// Timeout of a command when the request names none (and does not disable it).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Per-stream output cap when the request names none (and does not disable it).
pub const DEFAULT_OUTPUT_BYTES_CAP: usize = 1024 * 1024;
/// Terminal size of a `tty` command when the request names none.
pub const DEFAULT_TERMINAL_SIZE: TerminalSize = TerminalSize { rows: 24, cols: 80 };

fn invalid_params(id: &RequestId, message: impl Into<String>) -> JsonRpcError {
    JsonRpcError::new(Some(id.clone()), error_codes::INVALID_PARAMS, message.into())
}

/// How output leaves the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputMode {
    /// Collected and returned in the response.
    Buffered,
    /// Sent as `command/exec/outputDelta` notifications.
    Streamed,
}

/// A validated `command/exec` request.
struct ExecPlan {
    request: ExecRequest,
    process_id: Option<String>,
    output: OutputMode,
    capabilities: ProcessCapabilities,
}

/// The policy `sandbox_mode` in config stands for.
pub fn policy_for_mode(mode: SandboxModeSetting) -> SandboxPolicy {
    match mode {
        SandboxModeSetting::ReadOnly => SandboxPolicy::ReadOnly { network_access: false },
        SandboxModeSetting::WorkspaceWrite => SandboxPolicy::workspace_write(),
        SandboxModeSetting::DangerFullAccess => SandboxPolicy::DangerFullAccess,
    }
}

fn plan(
    id: &RequestId,
    config: &Config,
    params: CommandExecParams,
) -> Result<ExecPlan, JsonRpcError> {
    if params.command.is_empty() {
        return Err(invalid_params(id, "command must not be empty: give the argv to run"));
    }
    let tty = params.tty.unwrap_or(false);
    let stream_output = tty || params.stream_stdout_stderr.unwrap_or(false);
    let stream_stdin = tty || params.stream_stdin.unwrap_or(false);
    if (tty || stream_output || stream_stdin) && params.process_id.is_none() {
        return Err(invalid_params(
            id,
            "processId is required with tty, streamStdin or streamStdoutStderr",
        ));
    }
    if params.size.is_some() && !tty {
        return Err(invalid_params(id, "size is only valid when tty is true"));
    }
    if params.disable_timeout.unwrap_or(false) && params.timeout_ms.is_some() {
        return Err(invalid_params(id, "timeoutMs cannot be combined with disableTimeout"));
    }
    if params.disable_output_cap.unwrap_or(false) && params.output_bytes_cap.is_some() {
        return Err(invalid_params(id, "outputBytesCap cannot be combined with disableOutputCap"));
    }
    if params.permission_profile.is_some() {
        if params.sandbox_policy.is_some() {
            return Err(invalid_params(
                id,
                "permissionProfile cannot be combined with sandboxPolicy",
            ));
        }
        return Err(invalid_params(
            id,
            "permissionProfile is not supported by this server; use sandboxPolicy",
        ));
    }
    let timeout = match (params.disable_timeout.unwrap_or(false), params.timeout_ms) {
        (true, _) => None,
        (false, None) => Some(DEFAULT_TIMEOUT),
        (false, Some(ms)) => {
            let ms = u64::try_from(ms)
                .map_err(|_| invalid_params(id, "timeoutMs must not be negative"))?;
            Some(Duration::from_millis(ms))
        }
    };
    let output_cap = match (params.disable_output_cap.unwrap_or(false), params.output_bytes_cap) {
        (true, _) => None,
        (false, None) => Some(DEFAULT_OUTPUT_BYTES_CAP),
        (false, Some(cap)) => Some(usize::try_from(cap).unwrap_or(usize::MAX)),
    };
    let policy = match params.sandbox_policy {
        Some(wire) => serde_json::to_value(&wire)
            .and_then(serde_json::from_value::<SandboxPolicy>)
            .map_err(|err| invalid_params(id, format!("sandboxPolicy: {err}")))?,
        None => policy_for_mode(config.sandbox_mode),
    };
    let cwd = match params.cwd {
        Some(cwd) => cwd.into_path_buf(),
        None => std::env::current_dir().map_err(|err| {
            JsonRpcError::new(
                Some(id.clone()),
                error_codes::INTERNAL_ERROR,
                format!("the server's working directory is unavailable: {err}"),
            )
        })?,
    };
    let env = codex_exec::env_with_overrides(params.env.unwrap_or_default());
    let size = params.size.map(|size| TerminalSize { rows: size.rows, cols: size.cols });
    let request = ExecRequest {
        argv: params.command.into_iter().map(Into::into).collect(),
        cwd,
        policy_cwd: None,
        env,
        policy,
        timeout,
        output_cap,
        tty: tty.then(|| size.unwrap_or(DEFAULT_TERMINAL_SIZE)),
    };
    Ok(ExecPlan {
        request,
        process_id: params.process_id,
        output: if stream_output { OutputMode::Streamed } else { OutputMode::Buffered },
        capabilities: ProcessCapabilities { stdin: stream_stdin, tty },
    })
}

fn spawn_error(id: &RequestId, error: ExecError) -> JsonRpcError {
    let code = match &error {
        ExecError::EmptyCommand => error_codes::INVALID_PARAMS,
        ExecError::Sandbox(codex_sandbox::SandboxError::Path { .. }) => error_codes::INVALID_PARAMS,
        _ => error_codes::INTERNAL_ERROR,
    };
    JsonRpcError::new(Some(id.clone()), code, format!("command/exec failed: {error}"))
}

/// Refuses `policy` with the sandbox crate's explanation when `support` cannot enforce it.
fn check_sandbox(
    support: &SandboxSupport,
    policy: &SandboxPolicy,
    id: &RequestId,
) -> Result<(), JsonRpcError> {
    support.check(policy).map_err(|err| spawn_error(id, ExecError::Sandbox(err)))
}

/// Serves `command/exec`: spawns the command and answers (deferred) once it has exited.
pub async fn exec(
    shared: Arc<ServerShared>,
    context: RequestContext,
    config: &Config,
    processes: &Arc<ProcessTable>,
    params: CommandExecParams,
) -> HandlerResult {
    let id = context.id.clone();
    let plan = plan(&id, config, params)?;
    // Refuse before spawning when the kernel cannot enforce the policy; never run unsandboxed.
    check_sandbox(SandboxSupport::get(), &plan.request.policy, &id)?;
    let connection = context.connection;
    let key = processes
        .reserve(connection, plan.process_id.as_deref())
        .map_err(|err| invalid_params(&id, err.to_string()))?;
    let (process, events) = match ExecProcess::spawn(plan.request) {
        Ok(spawned) => spawned,
        Err(error) => {
            processes.remove(connection, &key);
            return Err(spawn_error(&id, error));
        }
    };
    if !plan.capabilities.stdin {
        if let Err(error) = process.close_stdin().await {
            tracing::debug!(%connection, %error, "closing the command's stdin failed");
        }
    }
    let process = Arc::new(process);
    let cancel = CancellationToken::new();
    let running = RunningProcess {
        process: Arc::clone(&process),
        capabilities: plan.capabilities,
        cancel: cancel.clone(),
    };
    if !processes.start(connection, &key, running) {
        // The connection closed while spawning; dropping the handle kills the command.
        return Err(invalid_params(&id, "the connection closed while the command started"));
    }
    let responder = context.defer();
    let task = ProcessTask {
        shared,
        id,
        connection,
        key,
        output: plan.output,
        processes: Arc::clone(processes),
    };
    tokio::spawn(task.run(process, events, cancel, responder));
    Ok(serde_json::Value::Null)
}

/// The task driving one command from spawn to response.
struct ProcessTask {
    shared: Arc<ServerShared>,
    id: RequestId,
    connection: ConnectionId,
    key: ProcessKey,
    output: OutputMode,
    processes: Arc<ProcessTable>,
}

/// Why a command's task stopped before the command exited.
#[derive(Debug)]
enum Abandoned {
    /// The connection closed (or its processes were killed).
    Cancelled,
    /// An output delta could not be delivered (client gone).
    ClientGone,
}

impl ProcessTask {
    async fn run(
        self,
        process: Arc<ExecProcess>,
        mut events: ExecEvents,
        cancel: CancellationToken,
        responder: DeferredResponse,
    ) {
        let outcome = tokio::select! {
            outcome = self.drive(&mut events) => outcome,
            () = cancel.cancelled() => Err(Abandoned::Cancelled),
        };
        self.processes.remove(self.connection, &self.key);
        match outcome {
            Ok(response) => responder.respond(to_result(&self.id, &response)).await,
            Err(reason) => {
                tracing::debug!(connection = %self.connection, ?reason, "command abandoned; killing it");
                // Dropping the last handle kills the process group. The client is gone, so
                // the responder's "abandoned" error goes nowhere.
                drop(process);
                drop(events);
                drop(responder);
            }
        }
    }

    async fn drive(&self, events: &mut ExecEvents) -> Result<CommandExecResponse, Abandoned> {
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        while let Some(event) = events.recv().await {
            match event {
                ExecEvent::Output { stream, bytes, cap_reached } => match self.output {
                    OutputMode::Buffered => match stream {
                        ExecStream::Stdout | ExecStream::Pty => stdout.extend_from_slice(&bytes),
                        ExecStream::Stderr => stderr.extend_from_slice(&bytes),
                    },
                    OutputMode::Streamed => self.send_delta(stream, &bytes, cap_reached).await?,
                },
                ExecEvent::Exited(exit) => {
                    return Ok(CommandExecResponse {
                        exit_code: exit.shell_exit_code(),
                        stdout: String::from_utf8_lossy(&stdout).into_owned(),
                        stderr: String::from_utf8_lossy(&stderr).into_owned(),
                    });
                }
            }
        }
        Err(Abandoned::Cancelled)
    }

    async fn send_delta(
        &self,
        stream: ExecStream,
        bytes: &[u8],
        cap_reached: bool,
    ) -> Result<(), Abandoned> {
        let ProcessKey::Client(process_id) = &self.key else {
            return Ok(());
        };
        let stream = match stream {
            ExecStream::Stdout | ExecStream::Pty => CommandExecOutputStream::Stdout,
            ExecStream::Stderr => CommandExecOutputStream::Stderr,
        };
        let json = output_delta_json(process_id, stream, bytes, cap_reached);
        self.shared
            .router
            .send_serialized_and_wait(self.connection, json)
            .await
            .map_err(|_| Abandoned::ClientGone)
    }
}

/// The `command/exec/outputDelta` notification as JSON text, the base64 written straight into
/// it: the same message as serialising a `CommandExecOutputDeltaNotification`, without the
/// intermediate base64 string, JSON value and escaping pass over the base64 (which needs none).
fn output_delta_json(
    process_id: &str,
    stream: CommandExecOutputStream,
    bytes: &[u8],
    cap_reached: bool,
) -> String {
    // Strings serialise without failing; the fallbacks are never used.
    let process_id = serde_json::to_string(process_id).unwrap_or_else(|_| "\"\"".to_owned());
    let stream = serde_json::to_string(&stream).unwrap_or_else(|_| "\"stdout\"".to_owned());
    let mut json = String::with_capacity(bytes.len().div_ceil(3) * 4 + process_id.len() + 160);
    json.push_str(
        r#"{"jsonrpc":"2.0","method":"command/exec/outputDelta","params":{"capReached":"#,
    );
    json.push_str(if cap_reached { "true" } else { "false" });
    json.push_str(r#","deltaBase64":""#);
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut json);
    json.push_str(r#"","processId":"#);
    json.push_str(&process_id);
    json.push_str(r#","stream":"#);
    json.push_str(&stream);
    json.push_str("}}");
    json
}

fn unknown_process(id: &RequestId, process_id: &str) -> JsonRpcError {
    invalid_params(
        id,
        format!("no running command with processId {process_id:?} on this connection"),
    )
}

/// Serves `command/exec/write`: writes base64 bytes to stdin and/or closes it.
pub async fn write(
    context: &RequestContext,
    processes: &ProcessTable,
    params: CommandExecWriteParams,
) -> HandlerResult {
    let id = &context.id;
    let running = processes
        .get(context.connection, &params.process_id)
        .ok_or_else(|| unknown_process(id, &params.process_id))?;
    if !running.capabilities.stdin {
        return Err(invalid_params(
            id,
            format!(
                "command {:?} was not started with streamStdin (or tty); its stdin is closed",
                params.process_id
            ),
        ));
    }
    if let Some(delta) = &params.delta_base64 {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(delta)
            .map_err(|err| invalid_params(id, format!("deltaBase64 is not valid base64: {err}")))?;
        if !bytes.is_empty() {
            running.process.write_stdin(&bytes).await.map_err(|err| {
                JsonRpcError::new(Some(id.clone()), error_codes::INVALID_REQUEST, err.to_string())
            })?;
        }
    }
    if params.close_stdin.unwrap_or(false) {
        running.process.close_stdin().await.map_err(|err| {
            JsonRpcError::new(Some(id.clone()), error_codes::INVALID_REQUEST, err.to_string())
        })?;
    }
    to_result(id, &CommandExecWriteResponse {})
}

/// Serves `command/exec/terminate`: SIGTERM to the command's group, SIGKILL after a grace.
pub fn terminate(
    context: &RequestContext,
    processes: &ProcessTable,
    params: CommandExecTerminateParams,
) -> HandlerResult {
    let running = processes
        .get(context.connection, &params.process_id)
        .ok_or_else(|| unknown_process(&context.id, &params.process_id))?;
    running.process.terminate();
    to_result(&context.id, &CommandExecTerminateResponse {})
}

/// Serves `command/exec/resize`: sets the terminal size of a `tty` command.
pub fn resize(
    context: &RequestContext,
    processes: &ProcessTable,
    params: CommandExecResizeParams,
) -> HandlerResult {
    let id = &context.id;
    let running = processes
        .get(context.connection, &params.process_id)
        .ok_or_else(|| unknown_process(id, &params.process_id))?;
    if !running.capabilities.tty {
        return Err(invalid_params(
            id,
            format!("command {:?} does not run on a terminal (tty was not set)", params.process_id),
        ));
    }
    let size = TerminalSize { rows: params.size.rows, cols: params.size.cols };
    running.process.resize(size).map_err(|err| {
        JsonRpcError::new(Some(id.clone()), error_codes::INTERNAL_ERROR, err.to_string())
    })?;
    to_result(id, &CommandExecResizeResponse {})
}

/// The warning sent to each new connection when the kernel cannot sandbox commands, or `None`.
pub fn sandbox_warning() -> Option<ConfigWarningNotification> {
    sandbox_warning_for(SandboxSupport::get())
}

fn sandbox_warning_for(support: &SandboxSupport) -> Option<ConfigWarningNotification> {
    if support.landlock_available() && support.seccomp_filter {
        return None;
    }
    Some(ConfigWarningNotification {
        summary: "The kernel cannot enforce the command sandbox; commands that need it are \
                  refused (only `danger-full-access` commands run)"
            .to_owned(),
        details: Some(support.message.clone()),
        path: None,
        range: None,
    })
}

/// Logs once (at startup) what the kernel's sandbox support means for commands.
pub fn log_sandbox_support() {
    let support = SandboxSupport::get();
    if sandbox_warning().is_some() {
        tracing::warn!(
            "sandbox unavailable, commands needing it will be refused: {}",
            support.message
        );
    } else {
        tracing::info!("sandbox available: {}", support.message);
    }
}

#[cfg(test)]
mod tests {
    use codex_app_server_protocol::v2::CommandExecOutputDeltaNotification;
    use codex_app_server_protocol::JsonRpcMessage;
    use codex_app_server_protocol::ServerNotification;

    use super::*;

    #[test]
    fn the_hand_built_output_delta_is_the_serialised_notification() {
        let cases: [(&str, CommandExecOutputStream, &[u8], bool); 4] = [
            ("bench", CommandExecOutputStream::Stdout, b"hello\n\x00\xff", false),
            ("quote\"back\\slash\nnewline", CommandExecOutputStream::Stderr, b"", true),
            ("p", CommandExecOutputStream::Stdout, &[7u8; 65536], false),
            ("\u{1f600}", CommandExecOutputStream::Stderr, b"ab", true),
        ];
        for (process_id, stream, bytes, cap_reached) in cases {
            let json = output_delta_json(process_id, stream.clone(), bytes, cap_reached);
            assert!(!json.contains('\n'));
            let typed =
                ServerNotification::CommandExecOutputDelta(CommandExecOutputDeltaNotification {
                    cap_reached,
                    delta_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                    process_id: process_id.to_owned(),
                    stream,
                });
            let expected = JsonRpcMessage::Notification(typed.to_notification()).to_json_string();
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed, serde_json::from_str::<serde_json::Value>(&expected).unwrap());
            // It reads back as the typed notification, too.
            let message = JsonRpcMessage::parse(json.as_bytes()).unwrap();
            let JsonRpcMessage::Notification(notification) = message else { panic!("{json}") };
            assert_eq!(notification.method, "command/exec/outputDelta");
        }
    }

    #[test]
    fn an_unsupported_kernel_refuses_sandboxed_commands_with_the_sandbox_explanation() {
        let support = SandboxSupport::from_parts(None, false, false);
        let id = RequestId::Integer(7);
        let error =
            check_sandbox(&support, &SandboxPolicy::ReadOnly { network_access: false }, &id)
                .unwrap_err();
        assert_eq!(error.id, Some(id.clone()));
        let message = &error.error.message;
        assert!(message.contains("Landlock"), "{message}");
        assert!(message.contains("refusing to run the command unsandboxed"), "{message}");
        assert!(check_sandbox(&support, &SandboxPolicy::DangerFullAccess, &id).is_ok());
    }

    #[test]
    fn the_config_warning_appears_only_when_the_kernel_cannot_sandbox() {
        let warning = sandbox_warning_for(&SandboxSupport::from_parts(None, true, false)).unwrap();
        assert!(warning.summary.contains("sandbox"), "{}", warning.summary);
        assert!(warning.details.unwrap().contains("Landlock unavailable"));
        assert!(sandbox_warning_for(&SandboxSupport::from_parts(Some(3), false, false)).is_some());
        assert!(sandbox_warning_for(&SandboxSupport::from_parts(Some(3), true, false)).is_none());
    }
}
