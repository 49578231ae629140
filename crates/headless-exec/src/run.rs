//! One `codex exec` run: start the in-process app-server, open a thread (new or resumed), run one
//! turn, print its events, answer approval requests by policy, interrupt on request, and report
//! how the turn ended. Everything goes through the typed in-process client; nothing here knows
//! the engine.

use std::io::IsTerminal;
use std::io::Write;

use codex_app_server::in_process::InProcessClient;
use codex_app_server::in_process::InProcessOptions;
use codex_app_server::in_process::InProcessServer;
use codex_app_server::in_process::ServerEvent;
use codex_app_server_protocol::methods::markers;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::ThreadListParams;
use codex_app_server_protocol::v2::ThreadResumeParams;
use codex_app_server_protocol::v2::ThreadStartParams;
use codex_app_server_protocol::v2::TurnInterruptParams;
use codex_app_server_protocol::v2::TurnStartParams;
use codex_app_server_protocol::v2::TurnStatus;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ClientInfo;
use codex_app_server_protocol::ServerNotification;
use serde_json::json;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::approvals::ServerRequestAnswer;
use crate::error::ExecError;
use crate::human::HumanOutput;
use crate::json_events::ExecEvent;
use crate::json_events::FailureBody;
use crate::json_events::Usage;
use crate::options::ExecOptions;
use crate::options::OutputMode;
use crate::options::ThreadTarget;

/// How long stopping the embedded server waits for a turn still running (only after an error).
const SHUTDOWN_DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecOutcome {
    /// The turn completed.
    Completed,
    /// The turn failed (provider error, …).
    Failed,
    /// The turn was interrupted (Ctrl-C).
    Interrupted,
}

impl ExecOutcome {
    /// The process exit code: 0, 1, or 130 (the shell's code for SIGINT).
    pub fn exit_code(self) -> u8 {
        match self {
            ExecOutcome::Completed => 0,
            ExecOutcome::Failed => 1,
            ExecOutcome::Interrupted => 130,
        }
    }
}

/// Where events are printed.
enum Output {
    Human(HumanOutput<std::io::Stdout, std::io::Stderr>),
    Json(std::io::Stdout),
}

impl Output {
    fn new(mode: OutputMode) -> Self {
        match mode {
            OutputMode::Human => Output::Human(HumanOutput::new(
                std::io::stdout(),
                std::io::stderr(),
                std::io::stderr().is_terminal(),
            )),
            OutputMode::Json => Output::Json(std::io::stdout()),
        }
    }

    fn json(&mut self, event: &ExecEvent) {
        if let Output::Json(stdout) = self {
            let mut line = event.to_line();
            line.push('\n');
            let mut lock = stdout.lock();
            let _ = lock.write_all(line.as_bytes());
            let _ = lock.flush();
        }
    }

    fn error(&mut self, message: &str) {
        match self {
            Output::Human(human) => human.error(message),
            Output::Json(_) => self.json(&ExecEvent::Error { message: message.to_owned() }),
        }
    }
}

/// Runs `options` and prints the outcome; errors are reported on the output (an `error` line
/// with `--json`, stderr otherwise). Returns the exit code.
///
/// Once the prompt is read, Ctrl-C is taken over: the first press interrupts the turn
/// (`turn/interrupt`), a second one exits at once (see [`crate::interrupts`]).
pub async fn run_and_report(options: ExecOptions) -> u8 {
    let mut output = Output::new(options.output);
    match run(&options, &mut output).await {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            output.error(&err.to_string());
            1
        }
    }
}

/// The thread the turn runs in, as the server described it.
struct OpenedThread {
    id: String,
    model: String,
    resumed: bool,
}

async fn run(options: &ExecOptions, output: &mut Output) -> Result<ExecOutcome, ExecError> {
    // Reading stdin comes first, so Ctrl-C still ends a `codex exec` waiting for its prompt.
    let prompt = options.prompt.read()?;
    let mut interrupts = crate::interrupts::install_ctrl_c_handler();
    let output_schema = read_output_schema(options)?;
    let cwd = resolve_cwd(options)?;

    let mut server_options = InProcessOptions::new(options.codex_home.clone());
    server_options.overrides = options.overrides.clone();
    // The turn has ended by the time the server stops, unless the run failed around it; then a
    // short wait lets the turn store its end without holding the terminal for long.
    server_options.drain_timeout = SHUTDOWN_DRAIN_TIMEOUT;
    let server = InProcessServer::start(server_options).await?;
    let result = async {
        let mut client = server.connect().await?;
        let client_info = ClientInfo {
            name: "codex_exec".to_owned(),
            title: Some("codex exec".to_owned()),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        client.initialize(client_info, None).await?;
        let result =
            drive(options, output, &mut client, &mut interrupts, prompt, output_schema, cwd).await;
        client.close().await;
        result
    }
    .await;
    server.shutdown().await;
    result
}

async fn drive(
    options: &ExecOptions,
    output: &mut Output,
    client: &mut InProcessClient,
    interrupts: &mut mpsc::Receiver<()>,
    prompt: String,
    output_schema: Option<Value>,
    cwd: Option<AbsolutePath>,
) -> Result<ExecOutcome, ExecError> {
    let thread = open_thread(options, client, cwd).await?;
    match output {
        Output::Human(human) => human.thread_started(&thread.id, &thread.model, thread.resumed),
        Output::Json(_) => output.json(&ExecEvent::ThreadStarted {
            thread_id: thread.id.clone(),
            resumed: thread.resumed,
        }),
    }

    let mut turn_params = turn_start_params(&thread.id, prompt)?;
    turn_params.output_schema = output_schema;
    let turn_id = client.request::<markers::TurnStart>(turn_params).await?.turn.id;

    let mut run = TurnWatch::new(thread.id.clone(), turn_id);
    let outcome = loop {
        tokio::select! {
            event = client.next_event() => {
                let Some(event) = event else { return Err(ExecError::ServerStopped) };
                match event {
                    ServerEvent::Notification(notification) => {
                        if let Some(outcome) = run.notification(output, &notification) {
                            break outcome;
                        }
                    }
                    ServerEvent::Request(request) => {
                        match options.approvals.answer(&request.request) {
                            ServerRequestAnswer::Decision { response, note } => {
                                match output {
                                    Output::Human(human) => human.approval(&note),
                                    Output::Json(_) => output.json(&ExecEvent::from_approval(&note)),
                                }
                                client.answer(request.id, response).await?;
                            }
                            ServerRequestAnswer::Refusal { code, message } => {
                                client.answer_error(request.id, code, message).await?;
                            }
                        }
                    }
                }
            }
            Some(()) = interrupts.recv(), if !run.interrupting => {
                run.interrupting = true;
                if let Output::Human(human) = output {
                    human.note("interrupting the turn (press Ctrl-C again to exit at once)");
                }
                let params = TurnInterruptParams {
                    thread_id: run.thread_id.clone(),
                    turn_id: run.turn_id.clone(),
                };
                if let Err(err) = client.request::<markers::TurnInterrupt>(params).await {
                    tracing::debug!("turn/interrupt: {err}");
                }
            }
        }
    };

    if let Some(path) = &options.output_last_message {
        let text = run.last_message.clone().unwrap_or_default();
        std::fs::write(path, text)
            .map_err(|source| ExecError::WriteLastMessage { path: path.clone(), source })?;
    }
    Ok(outcome)
}

/// Follows one turn's notifications until it ends.
struct TurnWatch {
    thread_id: String,
    turn_id: String,
    usage: Usage,
    last_message: Option<String>,
    interrupting: bool,
}

impl TurnWatch {
    fn new(thread_id: String, turn_id: String) -> Self {
        Self {
            thread_id,
            turn_id,
            usage: Usage::default(),
            last_message: None,
            interrupting: false,
        }
    }

    /// Prints `notification`; returns the outcome once it is this turn's `turn/completed`.
    fn notification(
        &mut self,
        output: &mut Output,
        notification: &ServerNotification,
    ) -> Option<ExecOutcome> {
        match notification {
            ServerNotification::ThreadTokenUsageUpdated(update)
                if update.turn_id == self.turn_id =>
            {
                self.usage.add(&update.token_usage.last);
            }
            ServerNotification::ItemCompleted(completed) if completed.turn_id == self.turn_id => {
                if let ThreadItem::AgentMessage { text, .. } = &completed.item {
                    self.last_message = Some(text.clone());
                }
            }
            ServerNotification::TurnCompleted(completed) if completed.turn.id == self.turn_id => {
                return Some(self.finish(
                    output,
                    &completed.turn.status,
                    completed.turn.error.as_ref(),
                ));
            }
            _ => {}
        }
        match output {
            Output::Human(human) => human.notification(notification),
            Output::Json(_) => {
                if let Some(event) = ExecEvent::from_notification(notification) {
                    output.json(&event);
                }
            }
        }
        None
    }

    fn finish(
        &self,
        output: &mut Output,
        status: &TurnStatus,
        error: Option<&codex_app_server_protocol::v2::TurnError>,
    ) -> ExecOutcome {
        let (outcome, status_name, failure) = match status {
            TurnStatus::Completed => (ExecOutcome::Completed, "completed", None),
            TurnStatus::Interrupted => (
                ExecOutcome::Interrupted,
                "interrupted",
                Some(FailureBody {
                    message: "the turn was interrupted".to_owned(),
                    kind: Some("interrupted".to_owned()),
                }),
            ),
            TurnStatus::Failed | TurnStatus::InProgress => (
                ExecOutcome::Failed,
                "failed",
                Some(error.map(FailureBody::from_turn_error).unwrap_or(FailureBody {
                    message: "the turn failed without an error message".to_owned(),
                    kind: None,
                })),
            ),
        };
        match (output, failure) {
            (Output::Human(human), None) => human.turn_completed(&self.usage),
            (Output::Human(human), Some(failure)) => human.turn_failed(status_name, &failure),
            (output @ Output::Json(_), None) => output.json(&ExecEvent::TurnCompleted {
                turn_id: self.turn_id.clone(),
                usage: self.usage.clone(),
            }),
            (output @ Output::Json(_), Some(error)) => output.json(&ExecEvent::TurnFailed {
                turn_id: self.turn_id.clone(),
                status: status_name.to_owned(),
                error,
                usage: self.usage.clone(),
            }),
        }
        outcome
    }
}

async fn open_thread(
    options: &ExecOptions,
    client: &mut InProcessClient,
    cwd: Option<AbsolutePath>,
) -> Result<OpenedThread, ExecError> {
    let thread_id = match &options.thread {
        ThreadTarget::New => {
            let mut params = thread_start_params()?;
            params.cwd = cwd;
            params.model = options.model.clone();
            params.sandbox = options.sandbox.clone();
            params.approval_policy = Some(options.approval_policy.clone());
            params.ephemeral = options.ephemeral.then_some(true);
            let started = client.request::<markers::ThreadStart>(params).await?;
            return Ok(OpenedThread {
                id: started.thread.id,
                model: started.model,
                resumed: false,
            });
        }
        ThreadTarget::Resume(id) => id.clone(),
        ThreadTarget::ResumeLast => {
            let params: ThreadListParams = from_json(json!({"limit": 1, "sortKey": "updated_at"}))?;
            let listed = client.request::<markers::ThreadList>(params).await?;
            listed.data.into_iter().next().ok_or(ExecError::NoThreadToResume)?.id
        }
    };
    let mut params: ThreadResumeParams = from_json(json!({ "threadId": thread_id }))?;
    params.cwd = cwd;
    params.model = options.model.clone();
    params.sandbox = options.sandbox.clone();
    params.approval_policy = Some(options.approval_policy.clone());
    let resumed = client.request::<markers::ThreadResume>(params).await?;
    Ok(OpenedThread { id: resumed.thread.id, model: resumed.model, resumed: true })
}

/// Params with only the required fields set; the protocol types have no `Default`.
fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ExecError> {
    serde_json::from_value(value).map_err(ExecError::BuildParams)
}

fn thread_start_params() -> Result<ThreadStartParams, ExecError> {
    from_json(json!({}))
}

fn turn_start_params(thread_id: &str, prompt: String) -> Result<TurnStartParams, ExecError> {
    from_json(json!({
        "threadId": thread_id,
        "input": [{"type": "text", "text": prompt}],
    }))
}

fn read_output_schema(options: &ExecOptions) -> Result<Option<Value>, ExecError> {
    let Some(path) = &options.output_schema else { return Ok(None) };
    let fail = |reason: String| ExecError::OutputSchema { path: path.clone(), reason };
    let text = std::fs::read_to_string(path).map_err(|err| fail(err.to_string()))?;
    let schema: Value =
        serde_json::from_str(&text).map_err(|err| fail(format!("not JSON: {err}")))?;
    if !schema.is_object() {
        return Err(fail("a JSON Schema must be an object".to_owned()));
    }
    Ok(Some(schema))
}

fn resolve_cwd(options: &ExecOptions) -> Result<Option<AbsolutePath>, ExecError> {
    let path = match (&options.cwd, &options.thread) {
        (Some(path), _) => path.clone(),
        // A resumed thread keeps its own directory unless --cd says otherwise.
        (None, ThreadTarget::Resume(_) | ThreadTarget::ResumeLast) => return Ok(None),
        (None, ThreadTarget::New) => std::path::PathBuf::from("."),
    };
    let fail = |reason: String| ExecError::WorkingDirectory { path: path.clone(), reason };
    let absolute = std::path::absolute(&path).map_err(|err| fail(err.to_string()))?;
    if !absolute.is_dir() {
        return Err(fail("not a directory".to_owned()));
    }
    AbsolutePath::new(absolute).map(Some).map_err(|err| fail(err.to_string()))
}
