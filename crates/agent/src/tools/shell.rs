//! The `shell` tool (and its `exec_command` / `shell_command` spellings): parsing the call,
//! deciding whether to ask, and running the command as a `commandExecution` item.
//!
//! Commands run through `codex-exec`, so always through the sandbox: in the thread's sandbox
//! policy, or outside it (danger-full-access) only when a `require_escalated` call was approved
//! under `on-request`. Output streams to the thread's subscribers as
//! `item/commandExecution/outputDelta`; the item completes with the exit code, the aggregated
//! output and the duration, and the model reads [`format_exec_output`]. A turn interrupt kills
//! the command's whole process group.
//!
//! A `workdir` is resolved (`..` and symlinks) before it is shown or used, and never widens the
//! sandbox: the writable workspace is the thread's cwd (plus the policy's `writableRoots`), not
//! the directory the command starts in. A stored prefix rule ("don't ask again for commands that
//! start with …") pre-approves every matching command, escalated or not: a matching command
//! that asks to run outside the sandbox runs there without asking, one that does not runs inside
//! it.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::CommandExecutionApprovalDecision;
use codex_app_server_protocol::v2::CommandExecutionOutputDeltaNotification;
use codex_app_server_protocol::v2::CommandExecutionRequestApprovalParams;
use codex_app_server_protocol::v2::CommandExecutionSource;
use codex_app_server_protocol::v2::CommandExecutionStatus;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use codex_exec::ExecEvent;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_exec::ExecStream;
use codex_sandbox::SandboxPolicy;
use serde::Deserialize;

use crate::engine::new_id;
use crate::engine::now_ms;
use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;
use crate::tools::approval::Approvals;
use crate::tools::approval::Decision;
use crate::tools::model_output::format_exec_output;
use crate::tools::safety;

/// Timeout of a command when the call names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most output kept per stream (the rest is read and dropped).
pub const OUTPUT_CAP: usize = 1024 * 1024;
/// Exit code reported for a command killed by its timeout (as `timeout(1)` does).
pub const TIMEOUT_EXIT_CODE: i32 = 124;

/// `sandbox_permissions` of a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxPermissions {
    /// Run in the thread's sandbox.
    #[default]
    UseDefault,
    /// Ask to run outside the sandbox.
    RequireEscalated,
}

/// A shell call, whatever spelling the model used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellCall {
    /// The argv to run.
    pub argv: Vec<String>,
    /// Working directory (relative to the thread's cwd).
    pub workdir: Option<String>,
    /// Timeout in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Whether the call asks to run outside the sandbox.
    pub escalated: bool,
    /// Why the model wants escalation (shown as the approval's `reason`).
    pub justification: Option<String>,
}

#[derive(Deserialize)]
struct ShellArgs {
    command: Vec<String>,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    sandbox_permissions: Option<SandboxPermissions>,
    #[serde(default)]
    with_escalated_permissions: Option<bool>,
    #[serde(default)]
    justification: Option<String>,
}

#[derive(Deserialize)]
struct ScriptArgs {
    #[serde(alias = "cmd")]
    command: String,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    shell: Option<String>,
    #[serde(default)]
    login: Option<bool>,
    #[serde(default)]
    sandbox_permissions: Option<SandboxPermissions>,
    #[serde(default)]
    with_escalated_permissions: Option<bool>,
    #[serde(default)]
    justification: Option<String>,
}

fn escalated(permissions: Option<SandboxPermissions>, legacy: Option<bool>) -> bool {
    permissions == Some(SandboxPermissions::RequireEscalated) || legacy == Some(true)
}

/// The user's shell for script calls: `bash` when installed, else `sh`.
fn user_shell(requested: Option<&str>) -> String {
    if let Some(shell) = requested.filter(|shell| !shell.is_empty()) {
        return shell.to_owned();
    }
    for bash in ["/bin/bash", "/usr/bin/bash"] {
        if Path::new(bash).exists() {
            return bash.to_owned();
        }
    }
    "/bin/sh".to_owned()
}

impl ShellCall {
    /// Parses the arguments of tool `name` (`shell`, `exec_command` or `shell_command`).
    pub fn parse(name: &str, arguments: &str) -> Result<Self, String> {
        let invalid = |err: serde_json::Error| format!("failed to parse function arguments: {err}");
        if name == "shell" {
            let args: ShellArgs = serde_json::from_str(arguments).map_err(invalid)?;
            if args.command.is_empty() {
                return Err("`command` must not be empty: give the argv to run".to_owned());
            }
            return Ok(Self {
                argv: args.command,
                workdir: args.workdir,
                timeout_ms: args.timeout_ms.or(args.timeout),
                escalated: escalated(args.sandbox_permissions, args.with_escalated_permissions),
                justification: args.justification,
            });
        }
        let args: ScriptArgs = serde_json::from_str(arguments).map_err(invalid)?;
        if args.command.trim().is_empty() {
            return Err("the command must not be empty".to_owned());
        }
        let shell = user_shell(args.shell.as_deref());
        let is_bash = shell.ends_with("bash") || shell.ends_with("zsh");
        let flag = if is_bash && args.login.unwrap_or(true) { "-lc" } else { "-c" };
        Ok(Self {
            argv: vec![shell, flag.to_owned(), args.command],
            workdir: args.workdir,
            timeout_ms: args.timeout_ms,
            escalated: escalated(args.sandbox_permissions, args.with_escalated_permissions),
            justification: args.justification,
        })
    }
}

/// What the approval policy says about a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Run it without asking; `escalated` runs outside the sandbox.
    Run {
        /// Run outside the sandbox.
        escalated: bool,
    },
    /// Ask first; if approved, run (outside the sandbox when `escalated`).
    Ask {
        /// Run outside the sandbox once approved.
        escalated: bool,
    },
    /// Refuse, telling the model why.
    Refuse(String),
}

fn policy_name(policy: &AskForApproval) -> &'static str {
    match policy {
        AskForApproval::Untrusted => "untrusted",
        AskForApproval::OnRequest => "on-request",
        AskForApproval::Never => "never",
        AskForApproval::Granular { .. } => "granular",
    }
}

/// Decides whether a command runs, asks, or is refused under `policy`.
pub fn approval_for(
    policy: &AskForApproval,
    call: &ShellCall,
    pre_approved: bool,
    unrestricted_sandbox: bool,
) -> Approval {
    let escalation_allowed = match policy {
        AskForApproval::OnRequest => true,
        AskForApproval::Granular { sandbox_approval, .. } => *sandbox_approval,
        AskForApproval::Untrusted | AskForApproval::Never => false,
    };
    if call.escalated && !unrestricted_sandbox {
        if !escalation_allowed {
            let name = policy_name(policy);
            return Approval::Refuse(format!(
                "approval policy is {name}; reject command — you should not ask for escalated \
                 permissions if the approval policy is {name}. Run the command without \
                 `sandbox_permissions`, inside the sandbox."
            ));
        }
        return if pre_approved {
            Approval::Run { escalated: true }
        } else {
            Approval::Ask { escalated: true }
        };
    }
    match policy {
        AskForApproval::Untrusted if !pre_approved && !safety::is_known_safe(&call.argv) => {
            Approval::Ask { escalated: false }
        }
        _ => Approval::Run { escalated: false },
    }
}

/// The thread's sandbox policy in `codex-sandbox` terms.
pub fn thread_policy(
    wire: &codex_app_server_protocol::v2::SandboxPolicy,
) -> Result<SandboxPolicy, String> {
    serde_json::to_value(wire)
        .and_then(serde_json::from_value::<SandboxPolicy>)
        .map_err(|err| format!("the thread's sandbox policy is unusable: {err}"))
}

/// The key identical requests share for `acceptForSession`.
fn session_key(call: &ShellCall, cwd: &Path) -> String {
    format!("cmd\u{0}{}\u{0}{}\u{0}{}", call.escalated, cwd.display(), call.argv.join("\u{0}"))
}

/// A shell call cleared to run: where, under which sandbox, and the id its item takes.
#[derive(Debug)]
pub struct Authorized {
    /// The working directory.
    pub cwd: PathBuf,
    /// The sandbox it runs in (`DangerFullAccess` once an escalation was approved).
    pub policy: SandboxPolicy,
    /// The id of the approval prompt and of the item that runs.
    pub item_id: String,
}

/// Runs one shell call end to end.
pub async fn run_shell_call(
    approvals: &Approvals,
    context: &ToolContext,
    call: ShellCall,
) -> ToolOutcome {
    match authorize(approvals, context, &call).await {
        Ok(authorized) => {
            execute(context, &call, &authorized.cwd, authorized.policy, authorized.item_id).await
        }
        Err(refused) => refused,
    }
}

/// Resolves a call's working directory and sandbox and asks for approval when the policy says
/// so; `Err` is the outcome to give the model (refused, declined or interrupted).
pub async fn authorize(
    approvals: &Approvals,
    context: &ToolContext,
    call: &ShellCall,
) -> Result<Authorized, ToolOutcome> {
    let cwd = resolve_workdir(context.cwd.as_path(), call.workdir.as_deref())
        .map_err(ToolOutcome::failure)?;
    let policy = thread_policy(&context.sandbox).map_err(ToolOutcome::failure)?;
    let unrestricted = !policy.restricts_filesystem() && !policy.restricts_network();
    let key = session_key(call, &cwd);
    // The user was told a prefix rule means not being asked again for matching commands, so
    // it covers escalated calls too (they run outside the sandbox, as approved).
    let pre_approved = approvals.approved_for_session(&context.thread_id, &key)
        || approvals.rules().allows(&safety::rule_words(&call.argv));
    // The approval prompt and the item that runs (or is declined) share this id.
    let item_id = new_id();
    let escalate = match approval_for(&context.approval_policy, call, pre_approved, unrestricted) {
        Approval::Refuse(message) => return Err(ToolOutcome::failure(message)),
        Approval::Run { escalated } => escalated,
        Approval::Ask { escalated } => {
            let decision = ask(approvals, context, call, &cwd, &item_id).await;
            match decision {
                Decision::Accept => {}
                Decision::AcceptForSession => {
                    approvals.approve_for_session(&context.thread_id, key.clone())
                }
                Decision::AcceptWithPrefixRule(prefix) => {
                    if let Err(err) = approvals.rules().add(&prefix) {
                        tracing::warn!("storing the approved command rule failed: {err}");
                    }
                }
                Decision::Decline | Decision::Cancel => {
                    declined_item(context, call, &cwd, item_id).await;
                    if decision == Decision::Cancel {
                        context.cancel.cancel();
                    }
                    return Err(ToolOutcome::failure(
                        "The user declined to run this command; do not retry it. Continue \
                         without it or ask the user how to proceed.",
                    ));
                }
                Decision::Interrupted => {
                    return Err(ToolOutcome::failure("the turn was interrupted before approval"))
                }
            }
            // An interrupt that raced the answer wins: nothing runs after it.
            if context.cancel.is_cancelled() {
                return Err(ToolOutcome::failure(
                    "the turn was interrupted before the command ran",
                ));
            }
            escalated
        }
    };
    let policy = if escalate { SandboxPolicy::DangerFullAccess } else { policy };
    Ok(Authorized { cwd, policy, item_id })
}

async fn ask(
    approvals: &Approvals,
    context: &ToolContext,
    call: &ShellCall,
    cwd: &Path,
    item_id: &str,
) -> Decision {
    let proposed = safety::proposed_prefix(&call.argv);
    let mut offered = vec![
        CommandExecutionApprovalDecision::Accept,
        CommandExecutionApprovalDecision::AcceptForSession,
    ];
    if let Some(prefix) = &proposed {
        offered.push(CommandExecutionApprovalDecision::AcceptWithExecpolicyAmendment {
            execpolicy_amendment: prefix.clone(),
        });
    }
    offered.push(CommandExecutionApprovalDecision::Decline);
    offered.push(CommandExecutionApprovalDecision::Cancel);
    let reason = if call.escalated {
        Some(
            call.justification
                .clone()
                .unwrap_or_else(|| "the command asks to run outside the sandbox".to_owned()),
        )
    } else {
        call.justification.clone()
    };
    let request =
        ServerRequest::CommandExecutionRequestApproval(CommandExecutionRequestApprovalParams {
            approval_id: None,
            available_decisions: Some(offered.clone()),
            command: Some(safety::display_command(&call.argv)),
            command_actions: Some(safety::command_actions(&call.argv)),
            cwd: Some(cwd.display().to_string()),
            environment_id: None,
            item_id: item_id.to_owned(),
            kind: None,
            network_approval_context: None,
            proposed_execpolicy_amendment: proposed,
            proposed_network_policy_amendments: None,
            reason,
            started_at_ms: now_ms(),
            thread_id: context.thread_id.clone(),
            turn_id: context.turn_id.clone(),
        });
    approvals.ask_command(context, request, &offered).await
}

/// A `commandExecution` item for `call` (source `agent`).
pub fn command_item(
    id: String,
    call: &ShellCall,
    cwd: &Path,
    started_ms: i64,
    status: CommandExecutionStatus,
) -> ThreadItem {
    ThreadItem::CommandExecution {
        started_at_ms: Some(started_ms),
        completed_at_ms: None,
        aggregated_output: None,
        command: safety::display_command(&call.argv),
        command_actions: safety::command_actions(&call.argv),
        cwd: cwd.display().to_string(),
        duration_ms: None,
        exit_code: None,
        id,
        plugin_id: None,
        process_id: None,
        script_path: None,
        source: Some(CommandExecutionSource::Agent),
        status,
    }
}

async fn declined_item(context: &ToolContext, call: &ShellCall, cwd: &Path, id: String) {
    let started = now_ms();
    context
        .items
        .start(
            command_item(id.clone(), call, cwd, started, CommandExecutionStatus::InProgress),
            started,
        )
        .await;
    let mut item = command_item(id, call, cwd, started, CommandExecutionStatus::Declined);
    if let ThreadItem::CommandExecution { completed_at_ms, .. } = &mut item {
        *completed_at_ms = Some(now_ms());
    }
    if let Err(err) = context.items.complete(item).await {
        tracing::warn!("storing a declined command item failed: {err}");
    }
}

/// Runs `call` in `cwd` under `policy` as a `commandExecution` item.
async fn execute(
    context: &ToolContext,
    call: &ShellCall,
    cwd: &Path,
    policy: SandboxPolicy,
    id: String,
) -> ToolOutcome {
    let started = now_ms();
    let request = ExecRequest {
        argv: call.argv.iter().map(Into::into).collect(),
        cwd: cwd.to_path_buf(),
        // The writable workspace is the thread's cwd, whatever `workdir` the model chose.
        policy_cwd: Some(context.cwd.as_path().to_path_buf()),
        env: codex_exec::env_with_overrides(Vec::<(String, Option<String>)>::new()),
        policy,
        timeout: Some(call.timeout_ms.map(Duration::from_millis).unwrap_or(DEFAULT_TIMEOUT)),
        output_cap: Some(OUTPUT_CAP),
        tty: None,
    };
    let (process, mut events) = match ExecProcess::spawn(request) {
        Ok(spawned) => spawned,
        Err(err) => {
            return ToolOutcome::failure(format!("failed to start the command: {err}"));
        }
    };
    context
        .items
        .start(
            command_item(id.clone(), call, cwd, started, CommandExecutionStatus::InProgress),
            started,
        )
        .await;
    // Dropped before the command finished (the turn gave up on the tool): the item ends failed.
    let abandoned = context.items.complete_on_drop({
        let mut item = command_item(id.clone(), call, cwd, started, CommandExecutionStatus::Failed);
        if let ThreadItem::CommandExecution { completed_at_ms, .. } = &mut item {
            *completed_at_ms = Some(now_ms());
        }
        item
    });
    if let Err(err) = process.close_stdin().await {
        tracing::debug!("closing the command's stdin failed: {err}");
    }
    let mut output = Vec::new();
    let mut decoders: HashMap<ExecStream, Utf8Decoder> = HashMap::new();
    let exit = loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = context.cancel.cancelled() => None,
        };
        match event {
            Some(ExecEvent::Output { stream, bytes, .. }) => {
                output.extend_from_slice(&bytes);
                let delta = decoders.entry(stream).or_default().decode(&bytes);
                if delta.is_empty() {
                    continue;
                }
                context
                    .notify(&ServerNotification::CommandExecutionOutputDelta(
                        CommandExecutionOutputDeltaNotification {
                            delta,
                            item_id: id.clone(),
                            thread_id: context.thread_id.clone(),
                            turn_id: context.turn_id.clone(),
                        },
                    ))
                    .await;
            }
            Some(ExecEvent::Exited(exit)) => break Some(exit),
            None => break None,
        }
    };
    // A command that stopped mid-character: what is left goes out as replacement characters.
    for decoder in decoders.into_values().filter(|decoder| !decoder.tail.is_empty()) {
        context
            .notify(&ServerNotification::CommandExecutionOutputDelta(
                CommandExecutionOutputDeltaNotification {
                    delta: String::from_utf8_lossy(&decoder.tail).into_owned(),
                    item_id: id.clone(),
                    thread_id: context.thread_id.clone(),
                    turn_id: context.turn_id.clone(),
                },
            ))
            .await;
    }
    // Dropping the handle kills the whole process group (interrupt, or a vanished supervisor).
    drop(process);
    abandoned.disarm();
    let aggregated = String::from_utf8_lossy(&output).into_owned();
    let completed = now_ms();
    let duration_ms = completed.saturating_sub(started);
    let (exit_code, status, note) = match &exit {
        Some(exit) if exit.timed_out => (
            TIMEOUT_EXIT_CODE,
            CommandExecutionStatus::Failed,
            Some(format!(
                "command timed out after {} milliseconds",
                call.timeout_ms.unwrap_or(DEFAULT_TIMEOUT.as_millis() as u64)
            )),
        ),
        Some(exit) => {
            let code = exit.shell_exit_code();
            let status = if code == 0 {
                CommandExecutionStatus::Completed
            } else {
                CommandExecutionStatus::Failed
            };
            (code, status, None)
        }
        None => (-1, CommandExecutionStatus::Failed, Some("command interrupted".to_owned())),
    };
    let mut item = command_item(id, call, cwd, started, status.clone());
    if let ThreadItem::CommandExecution {
        completed_at_ms,
        aggregated_output,
        duration_ms: d,
        exit_code: e,
        ..
    } = &mut item
    {
        *completed_at_ms = Some(completed);
        *aggregated_output = Some(aggregated.clone());
        *d = Some(duration_ms);
        *e = Some(exit_code);
    }
    if let Err(err) = context.items.complete(item).await {
        tracing::warn!("storing a command item failed: {err}");
    }
    let duration = exit
        .as_ref()
        .map(|exit| exit.duration)
        .unwrap_or_else(|| Duration::from_millis(u64::try_from(duration_ms).unwrap_or(0)));
    let text = format_exec_output(exit_code, duration, &aggregated, note.as_deref());
    if status == CommandExecutionStatus::Completed {
        ToolOutcome::success(text)
    } else {
        ToolOutcome::failure(text)
    }
}

/// Decodes one output stream chunk by chunk without splitting a character: the bytes of an
/// incomplete character at the end of a chunk wait for the next one. Invalid bytes become U+FFFD.
/// Turns byte chunks into text without splitting a character between chunks.
#[derive(Debug, Default)]
pub struct Utf8Decoder {
    tail: Vec<u8>,
}

impl Utf8Decoder {
    /// The text of `bytes` (with what an earlier chunk left unfinished), keeping back an
    /// unfinished character for the next chunk.
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        let mut buffer = std::mem::take(&mut self.tail);
        buffer.extend_from_slice(bytes);
        let keep = incomplete_tail_len(&buffer);
        self.tail = buffer.split_off(buffer.len() - keep);
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

/// How many bytes at the end of `bytes` start a character whose remaining bytes are missing.
fn incomplete_tail_len(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0b1100_0000 != 0b1000_0000 {
            let needed = match byte {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => 1,
            };
            return if needed > back { back } else { 0 };
        }
    }
    0
}

/// The command's working directory: `workdir` (relative to the thread's cwd, or absolute)
/// resolved through `..` and symlinks, so what is shown, asked about and run is the real
/// directory. It never widens the sandbox: the writable roots come from the thread's policy.
fn resolve_workdir(thread_cwd: &Path, workdir: Option<&str>) -> Result<PathBuf, String> {
    let Some(workdir) = workdir.filter(|workdir| !workdir.is_empty()) else {
        return Ok(thread_cwd.to_path_buf());
    };
    let joined = thread_cwd.join(workdir);
    match joined.canonicalize() {
        Ok(resolved) if resolved.is_dir() => Ok(resolved),
        Ok(resolved) => Err(format!("workdir {} is not a directory", resolved.display())),
        Err(err) => Err(format!("workdir {} is unusable: {err}", joined.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(argv: &[&str], escalated: bool) -> ShellCall {
        ShellCall {
            argv: argv.iter().map(|s| (*s).to_owned()).collect(),
            workdir: None,
            timeout_ms: None,
            escalated,
            justification: None,
        }
    }

    #[test]
    fn the_three_spellings_parse() {
        let shell = ShellCall::parse(
            "shell",
            r#"{"command":["ls","-l"],"workdir":"sub","timeout_ms":5,"sandbox_permissions":"require_escalated","justification":"why"}"#,
        )
        .unwrap();
        assert_eq!(shell.argv, vec!["ls", "-l"]);
        assert!(shell.escalated);
        assert_eq!(shell.justification.as_deref(), Some("why"));
        let exec = ShellCall::parse("exec_command", r#"{"cmd":"echo hi"}"#).unwrap();
        assert_eq!(exec.argv.last().unwrap(), "echo hi");
        let script = ShellCall::parse("shell_command", r#"{"command":"echo hi"}"#).unwrap();
        assert_eq!(script.argv.last().unwrap(), "echo hi");
        assert!(ShellCall::parse("shell", r#"{"command":[]}"#).is_err());
        assert!(ShellCall::parse("shell", r#"{"command":"ls"}"#).is_err());
    }

    #[test]
    fn characters_split_across_chunks_are_decoded_whole() {
        let mut decoder = Utf8Decoder::default();
        let text = "aé€😀";
        let bytes = text.as_bytes();
        let mut decoded = String::new();
        for byte in bytes {
            decoded.push_str(&decoder.decode(std::slice::from_ref(byte)));
        }
        assert_eq!(decoded, text);
        assert!(decoder.tail.is_empty());
        assert_eq!(Utf8Decoder::default().decode(b"a\xffb"), "a\u{FFFD}b");
    }

    #[test]
    fn a_model_supplied_shell_path_is_not_known_safe() {
        let untrusted = AskForApproval::Untrusted;
        for shell in ["./bash", "/repo/bin/sh", "bin/bash"] {
            let arguments = serde_json::json!({"command": "ls", "shell": shell}).to_string();
            let call = ShellCall::parse("shell_command", &arguments).unwrap();
            assert_eq!(call.argv[0], shell);
            assert_eq!(
                approval_for(&untrusted, &call, false, false),
                Approval::Ask { escalated: false },
                "{shell}"
            );
        }
        let call = ShellCall::parse("shell_command", r#"{"command":"ls","shell":"bash"}"#).unwrap();
        assert_eq!(
            approval_for(&untrusted, &call, false, false),
            Approval::Run { escalated: false }
        );
    }

    #[test]
    fn policies_decide_like_the_reference() {
        let write = call(&["touch", "x"], false);
        let safe = call(&["ls"], false);
        let escalated = call(&["touch", "/x"], true);
        use AskForApproval as P;
        assert_eq!(
            approval_for(&P::Untrusted, &write, false, false),
            Approval::Ask { escalated: false }
        );
        assert_eq!(
            approval_for(&P::Untrusted, &safe, false, false),
            Approval::Run { escalated: false }
        );
        assert_eq!(
            approval_for(&P::Untrusted, &write, true, false),
            Approval::Run { escalated: false }
        );
        assert_eq!(
            approval_for(&P::OnRequest, &write, false, false),
            Approval::Run { escalated: false }
        );
        assert_eq!(
            approval_for(&P::OnRequest, &escalated, false, false),
            Approval::Ask { escalated: true }
        );
        assert_eq!(
            approval_for(&P::OnRequest, &escalated, true, false),
            Approval::Run { escalated: true }
        );
        assert!(matches!(approval_for(&P::Never, &escalated, false, false), Approval::Refuse(_)));
        assert_eq!(
            approval_for(&P::Never, &write, false, false),
            Approval::Run { escalated: false }
        );
        assert_eq!(
            approval_for(&P::Never, &escalated, false, true),
            Approval::Run { escalated: false }
        );
    }
}
