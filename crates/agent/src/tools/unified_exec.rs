//! Interactive exec sessions (`exec_command` + `write_stdin`): commands that keep running
//! between tool calls and can be written to — a REPL, a dev server, a test watcher, a prompt.
//!
//! `exec_command` starts the command (after the same approval and sandbox decisions as `shell`)
//! and waits up to its yield time or until it exits; a command still running stays alive as a
//! session whose id the model gets back. `write_stdin` writes characters to it (empty = poll)
//! and returns what it printed since. Each session keeps its unread output in a bounded
//! head/tail buffer (1 MiB). A thread has at most [`MAX_SESSIONS`] sessions; starting one more
//! closes the least recently used, preferring exited ones and never one of the
//! [`PROTECTED_RECENT`] most recently used. Sessions are killed with their process group when
//! their turn is interrupted, when the thread unloads and when the server stops. After a write,
//! a call returns as soon as the output has been quiet for 50 ms (or the yield time passed), so
//! a REPL answers in milliseconds; polls and `exec_command` wait their whole yield time. Every call is
//! a `commandExecution` item (source `unifiedExecStartup` or `unifiedExecInteraction`) with
//! streamed output; writes are reported as `item/commandExecution/terminalInteraction`.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;
use std::time::Instant;

use codex_app_server_protocol::v2::CommandExecutionOutputDeltaNotification;
use codex_app_server_protocol::v2::CommandExecutionSource;
use codex_app_server_protocol::v2::CommandExecutionStatus;
use codex_app_server_protocol::v2::TerminalInteractionNotification;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::ServerNotification;
use codex_exec::ExecEvent;
use codex_exec::ExecEvents;
use codex_exec::ExecExit;
use codex_exec::ExecProcess;
use codex_exec::ExecRequest;
use codex_exec::TerminalSize;
use codex_model_client::FunctionTool;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Notify;

use crate::context::truncate_for_model;
use crate::engine::new_id;
use crate::engine::notify::ThreadNotifier;
use crate::engine::now_ms;
use crate::engine::tools::BackgroundTerminal;
use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;
use crate::tools::approval::Approvals;
use crate::tools::safety;
use crate::tools::shell::authorize;
use crate::tools::shell::ShellCall;
use crate::tools::shell::Utf8Decoder;

/// Most live sessions per thread.
pub const MAX_SESSIONS: usize = 64;
/// The most recently used sessions that pruning never closes.
pub const PROTECTED_RECENT: usize = 8;
/// Unread output kept per session (half from the start, half from the end).
pub const BUFFER_BYTES: usize = 1 << 20;

const DEFAULT_YIELD_MS: u64 = 10_000;
const WRITE_YIELD_MS: u64 = 250;
const MIN_YIELD_MS: u64 = 250;
const MAX_YIELD_MS: u64 = 30_000;
const MIN_POLL_MS: u64 = 5_000;
const MAX_POLL_MS: u64 = 300_000;
const DEFAULT_MAX_OUTPUT_TOKENS: usize = 10_000;
/// After a write, how long output must stay quiet before the call returns early.
const WRITE_SETTLE: Duration = Duration::from_millis(50);

/// Description of `exec_command` for the model.
const EXEC_DESCRIPTION: &str = include_str!("../../prompts/tools/exec_command.md");
/// Description of `write_stdin` for the model.
const WRITE_DESCRIPTION: &str = include_str!("../../prompts/tools/write_stdin.md");

/// The `exec_command` function the model is offered.
pub fn exec_command_tool() -> FunctionTool {
    FunctionTool::new(
        "exec_command",
        EXEC_DESCRIPTION.trim(),
        json!({
            "type": "object",
            "properties": {
                "cmd": {"type": "string", "description": "The shell command line to run"},
                "workdir": {"type": "string", "description": "Working directory (default: the thread's)"},
                "tty": {"type": "boolean", "description": "Run on a pseudo-terminal (for programs that need one); default false"},
                "shell": {"type": "string", "description": "Shell to run the command with (default bash)"},
                "login": {"type": "boolean", "description": "Use a login shell (-l); default true"},
                "yield_time_ms": {"type": "number", "description": "How long to wait for output before returning (250 to 30000, default 10000)"},
                "max_output_tokens": {"type": "number", "description": "Most output tokens to return (default 10000)"},
                "sandbox_permissions": {"type": "string", "enum": ["use_default", "require_escalated"]},
                "justification": {"type": "string", "description": "Only with require_escalated: one sentence telling the user why"}
            },
            "required": ["cmd"],
            "additionalProperties": false
        }),
    )
}

/// The `write_stdin` function the model is offered.
pub fn write_stdin_tool() -> FunctionTool {
    FunctionTool::new(
        "write_stdin",
        WRITE_DESCRIPTION.trim(),
        json!({
            "type": "object",
            "properties": {
                "session_id": {"type": "number", "description": "The session id exec_command returned"},
                "chars": {"type": "string", "description": "Characters to write (include \\n to submit a line); empty to only read new output"},
                "yield_time_ms": {"type": "number", "description": "How long to wait for output (default 250 after a write, at least 5000 for a poll)"},
                "max_output_tokens": {"type": "number", "description": "Most output tokens to return (default 10000)"}
            },
            "required": ["session_id"],
            "additionalProperties": false
        }),
    )
}

#[derive(Deserialize)]
struct ExecArgs {
    cmd: String,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    tty: bool,
    #[serde(default)]
    shell: Option<String>,
    #[serde(default)]
    login: Option<bool>,
    #[serde(default)]
    yield_time_ms: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<usize>,
    #[serde(default)]
    sandbox_permissions: Option<String>,
    #[serde(default)]
    justification: Option<String>,
}

#[derive(Deserialize)]
struct WriteArgs {
    session_id: u64,
    #[serde(default)]
    chars: String,
    #[serde(default)]
    yield_time_ms: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<usize>,
}

/// Unread output: the first and the last [`BUFFER_BYTES`] / 2 bytes, the middle counted.
#[derive(Debug, Default)]
struct HeadTail {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: usize,
}

impl HeadTail {
    fn push(&mut self, mut bytes: &[u8]) {
        let half = BUFFER_BYTES / 2;
        if self.head.len() < half {
            let room = (half - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..room]);
            bytes = &bytes[room..];
        }
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(half);
        if excess > 0 {
            self.tail.drain(..excess);
            self.dropped += excess;
        }
    }

    /// The unread output as text (with a marker where bytes were dropped), and empties it.
    fn take(&mut self) -> String {
        let taken = std::mem::take(self);
        let mut text = String::from_utf8_lossy(&taken.head).into_owned();
        if taken.dropped > 0 {
            text.push_str(&format!("\n[… {} bytes of output dropped …]\n", taken.dropped));
        }
        let tail: Vec<u8> = taken.tail.into_iter().collect();
        text.push_str(&String::from_utf8_lossy(&tail));
        text
    }
}

/// Where a session's output is streamed while a call waits on it.
struct Sink {
    notifier: ThreadNotifier,
    thread_id: String,
    turn_id: String,
    item_id: String,
    decoder: Utf8Decoder,
}

#[derive(Default)]
struct SessionState {
    unread: HeadTail,
    /// Everything the current call has seen, for its item.
    seen: Vec<u8>,
    exit: Option<ExecExit>,
    sink: Option<Sink>,
}

/// What the output pump and the calls share.
#[derive(Default)]
struct Shared {
    state: Mutex<SessionState>,
    changed: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One running (or just exited) command.
struct Session {
    id: u64,
    /// The item of the `exec_command` call that started it.
    item_id: String,
    argv: Vec<String>,
    cwd: PathBuf,
    /// Dropping it kills the command's process group.
    process: ExecProcess,
    shared: Arc<Shared>,
    last_used: AtomicU64,
}

impl Session {
    fn exited(&self) -> bool {
        self.shared.lock().exit.is_some()
    }
}

/// Every thread's sessions.
#[derive(Default)]
pub struct ExecSessions {
    threads: Mutex<HashMap<String, HashMap<u64, Arc<Session>>>>,
    clock: AtomicU64,
}

impl std::fmt::Debug for ExecSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecSessions").finish_non_exhaustive()
    }
}

impl ExecSessions {
    fn threads(&self) -> MutexGuard<'_, HashMap<String, HashMap<u64, Arc<Session>>>> {
        self.threads.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn touch(&self, session: &Session) {
        session.last_used.store(self.clock.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    fn get(&self, thread_id: &str, id: u64) -> Option<Arc<Session>> {
        let session = self.threads().get(thread_id)?.get(&id).cloned()?;
        self.touch(&session);
        Some(session)
    }

    fn remove(&self, thread_id: &str, id: u64) {
        if let Some(sessions) = self.threads().get_mut(thread_id) {
            sessions.remove(&id);
        }
    }

    /// Adds a session, first closing the least recently used one when the thread is full.
    fn insert(&self, thread_id: &str, session: Arc<Session>) {
        self.touch(&session);
        let mut threads = self.threads();
        let sessions = threads.entry(thread_id.to_owned()).or_default();
        if sessions.len() >= MAX_SESSIONS {
            let mut by_use: Vec<&Arc<Session>> = sessions.values().collect();
            by_use.sort_by_key(|session| session.last_used.load(Ordering::Relaxed));
            let candidates = &by_use[..by_use.len().saturating_sub(PROTECTED_RECENT)];
            let victim = candidates
                .iter()
                .find(|session| session.exited())
                .or_else(|| candidates.first())
                .map(|session| session.id);
            if let Some(victim) = victim {
                tracing::debug!(
                    thread = thread_id,
                    session = victim,
                    "closing the least recently used exec session"
                );
                sessions.remove(&victim);
            }
        }
        sessions.insert(session.id, session);
    }

    /// Ids of the thread's live sessions.
    pub fn session_ids(&self, thread_id: &str) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .threads()
            .get(thread_id)
            .map(|sessions| sessions.keys().copied().collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// The thread's sessions whose command still runs, by id.
    pub fn running(&self, thread_id: &str) -> Vec<BackgroundTerminal> {
        let threads = self.threads();
        let Some(sessions) = threads.get(thread_id) else { return Vec::new() };
        let mut running: Vec<BackgroundTerminal> = sessions
            .values()
            .filter(|session| !session.exited())
            .map(|session| BackgroundTerminal {
                process_id: session.id.to_string(),
                command: safety::display_command(&session.argv),
                cwd: session.cwd.display().to_string(),
                item_id: session.item_id.clone(),
                os_pid: Some(session.process.pid()),
            })
            .collect();
        running.sort_by_key(|terminal| terminal.process_id.parse::<u64>().unwrap_or(0));
        running
    }

    /// Kills session `id` of `thread_id` (its whole process group); true when it still ran.
    pub fn terminate(&self, thread_id: &str, id: u64) -> bool {
        let removed = self.threads().get_mut(thread_id).and_then(|sessions| sessions.remove(&id));
        match removed {
            Some(session) => {
                let was_running = !session.exited();
                session.process.terminate();
                was_running
            }
            None => false,
        }
    }

    /// Kills every session of `thread_id` (interrupt, unload).
    pub fn kill_thread(&self, thread_id: &str) {
        let removed = self.threads().remove(thread_id);
        if let Some(sessions) = removed {
            for session in sessions.values() {
                session.process.terminate();
            }
        }
    }

    /// A fresh session id for `thread_id`, in [1000, 100000).
    fn new_id(&self, thread_id: &str) -> u64 {
        let threads = self.threads();
        let taken = threads.get(thread_id);
        loop {
            let id = 1000 + (uuid::Uuid::new_v4().as_u128() % 99_000) as u64;
            if !taken.is_some_and(|sessions| sessions.contains_key(&id)) {
                return id;
            }
        }
    }
}

/// Moves a session's output into its buffer (and the waiting call's item) until it exits.
async fn pump(mut events: ExecEvents, shared: Arc<Shared>) {
    while let Some(event) = events.recv().await {
        match event {
            ExecEvent::Output { bytes, .. } => {
                let delta = {
                    let mut state = shared.lock();
                    state.unread.push(&bytes);
                    let SessionState { seen, sink, .. } = &mut *state;
                    match sink {
                        Some(sink) => {
                            seen.extend_from_slice(&bytes);
                            let text = sink.decoder.decode(&bytes);
                            (!text.is_empty()).then(|| {
                                (
                                    sink.notifier.clone(),
                                    CommandExecutionOutputDeltaNotification {
                                        delta: text,
                                        item_id: sink.item_id.clone(),
                                        thread_id: sink.thread_id.clone(),
                                        turn_id: sink.turn_id.clone(),
                                    },
                                )
                            })
                        }
                        None => None,
                    }
                };
                if let Some((notifier, delta)) = delta {
                    notifier.notify(&ServerNotification::CommandExecutionOutputDelta(delta)).await;
                }
                shared.changed.notify_waiters();
            }
            ExecEvent::Exited(exit) => {
                shared.lock().exit = Some(exit);
                shared.changed.notify_waiters();
            }
        }
    }
}

/// What one wait on a session produced.
struct Collected {
    output: String,
    exit: Option<ExecExit>,
    wall: Duration,
}

/// Streams the session's output into `item_id` and waits `yield_ms` or until it exits (or the
/// turn is interrupted), then takes the unread output.
/// Streams the session's output into `item_id` from now on (called before a write, so an
/// immediate echo is not missed).
fn attach(session: &Session, context: &ToolContext, item_id: &str) {
    let mut state = session.shared.lock();
    if state.sink.as_ref().is_some_and(|sink| sink.item_id == item_id) {
        return;
    }
    state.seen.clear();
    state.sink = Some(Sink {
        notifier: context.notifier.clone(),
        thread_id: context.thread_id.clone(),
        turn_id: context.turn_id.clone(),
        item_id: item_id.to_owned(),
        decoder: Utf8Decoder::default(),
    });
}

async fn wait_on(
    session: &Session,
    context: &ToolContext,
    item_id: &str,
    yield_ms: u64,
    settle: Option<Duration>,
) -> Collected {
    let started = Instant::now();
    attach(session, context, item_id);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(yield_ms);
    // With `settle`, the wait also ends once output arrived and then stayed quiet that long;
    // output that came before the wait began (a fast echo) counts as arrived.
    let mut quiet_until: Option<tokio::time::Instant> = settle
        .filter(|_| !session.shared.lock().seen.is_empty())
        .map(|settle| tokio::time::Instant::now() + settle);
    loop {
        let changed = session.shared.changed.notified();
        if session.exited() || context.cancel.is_cancelled() {
            break;
        }
        let wake = quiet_until.map_or(deadline, |quiet| quiet.min(deadline));
        tokio::select! {
            () = changed => {
                if let Some(settle) = settle {
                    quiet_until = Some(tokio::time::Instant::now() + settle);
                }
            }
            () = tokio::time::sleep_until(wake) => break,
            () = context.cancel.cancelled() => break,
        }
    }
    let mut state = session.shared.lock();
    state.sink = None;
    Collected { output: state.unread.take(), exit: state.exit.clone(), wall: started.elapsed() }
}

fn clamp_yield(requested: Option<u64>, default: u64, min: u64, max: u64) -> u64 {
    requested.unwrap_or(default).clamp(min, max)
}

/// The model's view of one wait.
fn model_text(collected: &Collected, session_id: u64, max_output_tokens: usize) -> String {
    let chunk = &new_id().replace('-', "")[..6];
    let mut text =
        format!("Chunk ID: {chunk}\nWall time: {:.4} seconds\n", collected.wall.as_secs_f64());
    match &collected.exit {
        Some(exit) => match exit.exit_code {
            Some(code) => text.push_str(&format!("Process exited with code {code}\n")),
            None => text.push_str(&format!(
                "Process was killed{}\n",
                exit.signal.map(|signal| format!(" by signal {signal}")).unwrap_or_default()
            )),
        },
        None => text.push_str(&format!("Process running with session ID {session_id}\n")),
    }
    let output = truncate_for_model(&collected.output, max_output_tokens);
    if output.len() != collected.output.len() {
        text.push_str(&format!(
            "Original token count: {}\n",
            crate::context::truncate::approx_tokens(collected.output.len())
        ));
    }
    text.push_str("Output:\n");
    text.push_str(&output);
    text
}

fn item(
    id: &str,
    session: &Session,
    source: CommandExecutionSource,
    started_ms: i64,
    status: CommandExecutionStatus,
) -> ThreadItem {
    ThreadItem::CommandExecution {
        started_at_ms: Some(started_ms),
        completed_at_ms: None,
        aggregated_output: None,
        command: safety::display_command(&session.argv),
        command_actions: safety::command_actions(&session.argv),
        cwd: session.cwd.display().to_string(),
        duration_ms: None,
        exit_code: None,
        id: id.to_owned(),
        plugin_id: None,
        process_id: Some(session.id.to_string()),
        script_path: None,
        source: Some(source),
        status,
    }
}

/// Completes a call's item with what it saw.
async fn complete_item(
    context: &ToolContext,
    session: &Session,
    id: &str,
    source: CommandExecutionSource,
    started_ms: i64,
    collected: &Collected,
) {
    let seen = String::from_utf8_lossy(&session.shared.lock().seen).into_owned();
    let status = match &collected.exit {
        None => CommandExecutionStatus::InProgress,
        Some(exit) if exit.exit_code == Some(0) => CommandExecutionStatus::Completed,
        Some(_) => CommandExecutionStatus::Failed,
    };
    let mut completed = item(id, session, source, started_ms, status);
    if let ThreadItem::CommandExecution {
        completed_at_ms,
        aggregated_output,
        duration_ms,
        exit_code,
        ..
    } = &mut completed
    {
        let now = now_ms();
        *completed_at_ms = Some(now);
        *aggregated_output = Some(seen);
        *duration_ms = Some(now.saturating_sub(started_ms));
        *exit_code = collected.exit.as_ref().and_then(|exit| exit.exit_code);
    }
    if let Err(err) = context.items.complete(completed).await {
        tracing::warn!(thread = %context.thread_id, "exec session item not stored: {err}");
    }
}

/// The environment of session commands: no colours, no pagers, UTF-8.
fn session_env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    codex_exec::env_with_overrides([
        ("NO_COLOR", Some("1")),
        ("TERM", Some("dumb")),
        ("COLORTERM", Some("")),
        ("PAGER", Some("cat")),
        ("GIT_PAGER", Some("cat")),
        ("GH_PAGER", Some("cat")),
        ("LANG", Some("C.UTF-8")),
        ("LC_CTYPE", Some("C.UTF-8")),
        ("LC_ALL", Some("C.UTF-8")),
        ("CODEX_CI", Some("1")),
    ])
}

/// Runs one `exec_command` call.
pub async fn run_exec_command(
    sessions: &ExecSessions,
    approvals: &Approvals,
    context: &ToolContext,
    arguments: &str,
) -> ToolOutcome {
    let args: ExecArgs = match serde_json::from_str(arguments) {
        Ok(args) => args,
        Err(err) => {
            return ToolOutcome::failure(format!(
                "invalid exec_command arguments: {err}; pass {{\"cmd\": \"<command line>\"}}"
            ))
        }
    };
    let shell = args.shell.clone().unwrap_or_else(|| "bash".to_owned());
    let flag = if args.login.unwrap_or(true) { "-lc" } else { "-c" };
    let call = ShellCall {
        argv: vec![shell, flag.to_owned(), args.cmd.clone()],
        workdir: args.workdir.clone(),
        timeout_ms: None,
        escalated: args.sandbox_permissions.as_deref() == Some("require_escalated"),
        justification: args.justification.clone(),
    };
    if let Some(patch) = codex_apply_patch::patch_from_command(&call.argv) {
        let patch = patch.to_owned();
        return crate::tools::patch::run_patch(
            approvals,
            context,
            &crate::tools::heredoc_body(&patch),
        )
        .await;
    }
    let authorized = match authorize(approvals, context, &call).await {
        Ok(authorized) => authorized,
        Err(refused) => return refused,
    };
    let request = ExecRequest {
        argv: call.argv.iter().map(Into::into).collect(),
        cwd: authorized.cwd.clone(),
        policy_cwd: Some(context.cwd.as_path().to_path_buf()),
        env: session_env(),
        policy: authorized.policy,
        timeout: None,
        output_cap: None,
        tty: args.tty.then_some(TerminalSize { rows: 24, cols: 120 }),
    };
    let (process, events) = match ExecProcess::spawn(request) {
        Ok(spawned) => spawned,
        Err(err) => return ToolOutcome::failure(format!("failed to start the command: {err}")),
    };
    if !args.tty {
        // Pipes: the command reads stdin only through write_stdin; keep it open for that.
    }
    let shared = Arc::new(Shared::default());
    let session = Arc::new(Session {
        id: sessions.new_id(&context.thread_id),
        item_id: authorized.item_id.clone(),
        argv: call.argv.clone(),
        cwd: authorized.cwd,
        process,
        shared: Arc::clone(&shared),
        last_used: AtomicU64::new(0),
    });
    tokio::spawn(pump(events, shared));
    sessions.insert(&context.thread_id, Arc::clone(&session));
    let started_ms = now_ms();
    let source = CommandExecutionSource::UnifiedExecStartup;
    context
        .items
        .start(
            item(
                &authorized.item_id,
                &session,
                source.clone(),
                started_ms,
                CommandExecutionStatus::InProgress,
            ),
            started_ms,
        )
        .await;
    let yield_ms = clamp_yield(args.yield_time_ms, DEFAULT_YIELD_MS, MIN_YIELD_MS, MAX_YIELD_MS);
    let collected = wait_on(&session, context, &authorized.item_id, yield_ms, None).await;
    let call = Call { item_id: &authorized.item_id, source, started_ms };
    conclude(sessions, context, &session, call, &collected, args.max_output_tokens).await
}

/// Runs one `write_stdin` call.
pub async fn run_write_stdin(
    sessions: &ExecSessions,
    context: &ToolContext,
    arguments: &str,
) -> ToolOutcome {
    let args: WriteArgs = match serde_json::from_str(arguments) {
        Ok(args) => args,
        Err(err) => {
            return ToolOutcome::failure(format!(
                "invalid write_stdin arguments: {err}; pass {{\"session_id\": N, \"chars\": \"…\"}}"
            ))
        }
    };
    let Some(session) = sessions.get(&context.thread_id, args.session_id) else {
        let live = sessions.session_ids(&context.thread_id);
        return ToolOutcome::failure(format!(
            "no exec session {} in this thread (it exited, was closed, or never existed); live \
             sessions: {live:?}",
            args.session_id
        ));
    };
    let item_id = new_id();
    let started_ms = now_ms();
    let source = CommandExecutionSource::UnifiedExecInteraction;
    context
        .items
        .start(
            item(
                &item_id,
                &session,
                source.clone(),
                started_ms,
                CommandExecutionStatus::InProgress,
            ),
            started_ms,
        )
        .await;
    let yield_ms = if args.chars.is_empty() {
        clamp_yield(args.yield_time_ms, MIN_POLL_MS, MIN_POLL_MS, MAX_POLL_MS)
    } else {
        attach(&session, context, &item_id);
        if let Err(err) = session.process.write_stdin(args.chars.as_bytes()).await {
            tracing::debug!(session = session.id, "write to exec session failed: {err}");
        }
        context
            .notify(&ServerNotification::TerminalInteraction(TerminalInteractionNotification {
                item_id: item_id.clone(),
                process_id: session.id.to_string(),
                stdin: args.chars.clone(),
                thread_id: context.thread_id.clone(),
                turn_id: context.turn_id.clone(),
            }))
            .await;
        clamp_yield(args.yield_time_ms, WRITE_YIELD_MS, MIN_YIELD_MS, MAX_YIELD_MS)
    };
    // After a write the answer usually comes at once (a REPL's echo and result): return when the
    // output has settled instead of always waiting the whole yield time.
    let settle = (!args.chars.is_empty()).then_some(WRITE_SETTLE);
    let collected = wait_on(&session, context, &item_id, yield_ms, settle).await;
    let call = Call { item_id: &item_id, source, started_ms };
    conclude(sessions, context, &session, call, &collected, args.max_output_tokens).await
}

/// One call's item: its id, source and start time.
struct Call<'a> {
    item_id: &'a str,
    source: CommandExecutionSource,
    started_ms: i64,
}

/// Ends a call: completes its item, forgets an exited session, and gives the model its text.
async fn conclude(
    sessions: &ExecSessions,
    context: &ToolContext,
    session: &Session,
    call: Call<'_>,
    collected: &Collected,
    max_output_tokens: Option<usize>,
) -> ToolOutcome {
    complete_item(context, session, call.item_id, call.source, call.started_ms, collected).await;
    finish(sessions, context, session, collected);
    let text =
        model_text(collected, session.id, max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS));
    outcome(collected, text)
}

/// Forgets a session that exited; kills the thread's sessions when the turn was interrupted.
fn finish(
    sessions: &ExecSessions,
    context: &ToolContext,
    session: &Session,
    collected: &Collected,
) {
    if collected.exit.is_some() {
        sessions.remove(&context.thread_id, session.id);
    }
    if context.cancel.is_cancelled() {
        sessions.kill_thread(&context.thread_id);
    }
}

fn outcome(collected: &Collected, text: String) -> ToolOutcome {
    match &collected.exit {
        Some(exit) if exit.exit_code != Some(0) => ToolOutcome::failure(text),
        _ => ToolOutcome::success(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_keeps_head_and_tail_and_counts_the_middle() {
        let mut buffer = HeadTail::default();
        buffer.push(&vec![b'a'; BUFFER_BYTES / 2]);
        buffer.push(&vec![b'b'; BUFFER_BYTES]);
        buffer.push(b"END");
        let text = buffer.take();
        assert!(text.starts_with("aaa"));
        assert!(text.ends_with("bEND"));
        assert!(text.contains(&format!("[… {} bytes of output dropped …]", BUFFER_BYTES / 2 + 3)));
        assert!(text.len() < BUFFER_BYTES + 100);
        assert_eq!(buffer.take(), "", "taking empties it");
    }

    /// A live session running `sleep 600` (no sandbox, so no kernel support is needed).
    fn sleeper(sessions: &ExecSessions, thread: &str) -> (Arc<Session>, ExecEvents) {
        let request = ExecRequest::new(
            ["sleep", "600"],
            std::env::temp_dir(),
            codex_sandbox::SandboxPolicy::DangerFullAccess,
        );
        let (process, events) = ExecProcess::spawn(request).unwrap();
        let session = Arc::new(Session {
            id: sessions.new_id(thread),
            item_id: "item".into(),
            argv: vec!["sleep".into(), "600".into()],
            cwd: std::env::temp_dir(),
            process,
            shared: Arc::new(Shared::default()),
            last_used: AtomicU64::new(0),
        });
        (session, events)
    }

    #[tokio::test]
    async fn the_65th_session_closes_the_least_recently_used_one_and_kills_it() {
        let sessions = ExecSessions::default();
        let mut events = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..MAX_SESSIONS {
            let (session, session_events) = sleeper(&sessions, "t");
            ids.push(session.id);
            events.push(session_events);
            sessions.insert("t", session);
        }
        // Use the oldest one again: the second oldest becomes the least recently used.
        assert!(sessions.get("t", ids[0]).is_some());
        let (extra, _extra_events) = sleeper(&sessions, "t");
        sessions.insert("t", extra);
        let live = sessions.session_ids("t");
        assert_eq!(live.len(), MAX_SESSIONS);
        assert!(live.contains(&ids[0]), "a recently used session survives");
        assert!(!live.contains(&ids[1]), "the least recently used session is closed");
        // Closing it killed its process.
        let exit = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match events[1].recv().await {
                    Some(ExecEvent::Exited(exit)) => return exit,
                    Some(_) => {}
                    None => panic!("no exit"),
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(exit.exit_code, None, "killed by a signal");
        sessions.kill_thread("t");
        assert!(sessions.session_ids("t").is_empty());
    }

    #[test]
    fn yields_are_clamped() {
        assert_eq!(clamp_yield(None, DEFAULT_YIELD_MS, MIN_YIELD_MS, MAX_YIELD_MS), 10_000);
        assert_eq!(clamp_yield(Some(10), DEFAULT_YIELD_MS, MIN_YIELD_MS, MAX_YIELD_MS), 250);
        assert_eq!(clamp_yield(Some(90_000), DEFAULT_YIELD_MS, MIN_YIELD_MS, MAX_YIELD_MS), 30_000);
        assert_eq!(clamp_yield(Some(300), MIN_POLL_MS, MIN_POLL_MS, MAX_POLL_MS), 5_000);
    }
}
