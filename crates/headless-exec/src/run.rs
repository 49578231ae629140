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
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::SessionSource;
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
use crate::options::ColorMode;
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

/// A byte sink for output (stdout, stderr, or a buffer in tests).
type Sink = Box<dyn Write + Send>;

/// Where events are printed.
enum Output {
    Human(HumanOutput<Sink, Sink>),
    Json(Sink),
}

impl Output {
    fn new(mode: OutputMode, color: ColorMode) -> Self {
        match mode {
            OutputMode::Human => Output::Human(HumanOutput::new(
                Box::new(std::io::stdout()),
                Box::new(std::io::stderr()),
                color.enabled(std::io::stderr().is_terminal()),
            )),
            OutputMode::Json => Output::Json(Box::new(std::io::stdout())),
        }
    }

    fn json(&mut self, event: &ExecEvent) {
        if let Output::Json(stdout) = self {
            let mut line = event.to_line();
            line.push('\n');
            let _ = stdout.write_all(line.as_bytes());
            let _ = stdout.flush();
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
    let mut output = Output::new(options.output, options.color);
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
    sandbox: SandboxPolicy,
}

async fn run(options: &ExecOptions, output: &mut Output) -> Result<ExecOutcome, ExecError> {
    // Reading stdin comes first, so Ctrl-C still ends a `codex exec` waiting for its prompt.
    let prompt = options.prompt.read()?;
    let mut interrupts = crate::interrupts::install_ctrl_c_handler();
    let output_schema = read_output_schema(options)?;
    let cwd = resolve_cwd(options)?;
    if !options.skip_git_repo_check {
        let dir = match &cwd {
            Some(cwd) => cwd.clone(),
            None => current_dir_of(options)?,
        };
        if crate::options::git_repository_root(dir.as_path()).is_none() {
            return Err(ExecError::NotInGitRepository { dir: dir.as_path().to_path_buf() });
        }
    }
    let images = resolve_images(options)?;
    let add_dirs = resolve_add_dirs(options)?;

    let mut server_options = InProcessOptions::new(options.codex_home.clone());
    server_options.overrides = options.overrides.clone();
    server_options.strict_config = options.strict_config;
    // The turn has ended by the time the server stops, unless the run failed around it; then a
    // short wait lets the turn store its end without holding the terminal for long.
    server_options.drain_timeout = SHUTDOWN_DRAIN_TIMEOUT;
    // Threads started here are `exec` threads: `exec resume --last` picks only those.
    server_options.session_source = SessionSource::Exec;
    let server = InProcessServer::start(server_options).await?;
    let result = async {
        let mut client = server.connect().await?;
        let client_info = ClientInfo {
            name: "codex_exec".to_owned(),
            title: Some("codex exec".to_owned()),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        client.initialize(client_info, None).await?;
        let turn = TurnInput { prompt, images, output_schema, add_dirs };
        let result = drive(options, output, &mut client, &mut interrupts, turn, cwd).await;
        client.close().await;
        result
    }
    .await;
    server.shutdown().await;
    result
}

/// What the turn is sent with, checked before the server starts.
struct TurnInput {
    prompt: String,
    images: Vec<AbsolutePath>,
    output_schema: Option<Value>,
    add_dirs: Vec<AbsolutePath>,
}

async fn drive(
    options: &ExecOptions,
    output: &mut Output,
    client: &mut InProcessClient,
    interrupts: &mut mpsc::Receiver<()>,
    turn: TurnInput,
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

    let mut turn_params = turn_start_params(&thread.id, &turn.images, turn.prompt)?;
    turn_params.output_schema = turn.output_schema;
    if !turn.add_dirs.is_empty() {
        match with_extra_writable_roots(&thread.sandbox, &turn.add_dirs) {
            Some(policy) => turn_params.sandbox_policy = Some(policy),
            None => {
                let message = "--add-dir is ignored: the sandbox is not workspace-write (pass \
                               --sandbox workspace-write or --full-auto)";
                match output {
                    Output::Human(human) => human.note(message),
                    Output::Json(_) => {
                        output.json(&ExecEvent::Warning { message: message.to_owned() })
                    }
                }
            }
        }
    }
    let turn_id = client.request::<markers::TurnStart>(turn_params).await?.turn.id;

    let mut run = TurnWatch::new(thread.id.clone(), turn_id);
    let outcome = watch_turn(options, output, client, interrupts, &mut run).await?;

    // Only a completed turn has a final message; a failed or interrupted one leaves the file as
    // it was (a partial answer would pass for a real one).
    if let (Some(path), ExecOutcome::Completed) = (&options.output_last_message, outcome) {
        let text = run.last_message.clone().unwrap_or_default();
        std::fs::write(path, text)
            .map_err(|source| ExecError::WriteLastMessage { path: path.clone(), source })?;
    }
    Ok(outcome)
}

/// Prints the turn's events, answers server requests and relays Ctrl-C until the turn ends.
async fn watch_turn(
    options: &ExecOptions,
    output: &mut Output,
    client: &mut InProcessClient,
    interrupts: &mut mpsc::Receiver<()>,
    run: &mut TurnWatch,
) -> Result<ExecOutcome, ExecError> {
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
                    ServerEvent::UnreadableNotification { method, params, error } => {
                        if let Some(outcome) = run.unreadable(output, &method, params.as_ref(), &error) {
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

    /// A notification that did not parse: an unreadable `turn/completed` of this turn ends the
    /// run as failed (waiting on would hang forever); anything else is only logged.
    fn unreadable(
        &mut self,
        output: &mut Output,
        method: &str,
        params: Option<&Value>,
        error: &str,
    ) -> Option<ExecOutcome> {
        let turn_id = params.and_then(|params| {
            params.pointer("/turn/id").or_else(|| params.get("turnId")).and_then(Value::as_str)
        });
        if method != "turn/completed" || turn_id.is_some_and(|id| id != self.turn_id) {
            return None;
        }
        let error = codex_app_server_protocol::v2::TurnError {
            message: format!("the server's turn/completed could not be read: {error}"),
            additional_details: None,
            codex_error_info: None,
        };
        Some(self.finish(output, &TurnStatus::Failed, Some(&error)))
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
                sandbox: started.sandbox,
            });
        }
        ThreadTarget::Resume(id) => id.clone(),
        ThreadTarget::ResumeLast | ThreadTarget::ResumeLastAnywhere => {
            // Only threads `codex exec` started; in this directory (`--cd`, else the current
            // one) unless `--all`.
            let mut filter = json!({
                "limit": 1,
                "sortKey": "updated_at",
                "sourceKinds": ["exec"],
            });
            if options.thread == ThreadTarget::ResumeLast {
                let here = match &cwd {
                    Some(cwd) => cwd.clone(),
                    None => current_dir_of(options)?,
                };
                filter["cwd"] = json!(here.to_string());
            }
            let params: ThreadListParams = from_json(filter)?;
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
    Ok(OpenedThread {
        id: resumed.thread.id,
        model: resumed.model,
        resumed: true,
        sandbox: resumed.sandbox,
    })
}

/// Params with only the required fields set; the protocol types have no `Default`.
fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ExecError> {
    serde_json::from_value(value).map_err(ExecError::BuildParams)
}

fn thread_start_params() -> Result<ThreadStartParams, ExecError> {
    from_json(json!({}))
}

/// The turn's input: the images first (as the reference sends them), then the prompt.
fn turn_start_params(
    thread_id: &str,
    images: &[AbsolutePath],
    prompt: String,
) -> Result<TurnStartParams, ExecError> {
    let mut input: Vec<Value> =
        images.iter().map(|path| json!({"type": "localImage", "path": path.to_string()})).collect();
    input.push(json!({"type": "text", "text": prompt}));
    from_json(json!({ "threadId": thread_id, "input": input }))
}

/// `policy` with `extra` added to its writable roots; `None` unless it is workspace-write.
fn with_extra_writable_roots(
    policy: &SandboxPolicy,
    extra: &[AbsolutePath],
) -> Option<SandboxPolicy> {
    let SandboxPolicy::WorkspaceWrite {
        writable_roots,
        network_access,
        exclude_tmpdir_env_var,
        exclude_slash_tmp,
    } = policy
    else {
        return None;
    };
    let mut roots = writable_roots.clone();
    for dir in extra {
        if !roots.contains(dir) {
            roots.push(dir.clone());
        }
    }
    Some(SandboxPolicy::WorkspaceWrite {
        writable_roots: roots,
        network_access: *network_access,
        exclude_tmpdir_env_var: *exclude_tmpdir_env_var,
        exclude_slash_tmp: *exclude_slash_tmp,
    })
}

/// `path` made absolute against the current directory.
fn absolute(path: &std::path::Path) -> Result<AbsolutePath, String> {
    let absolute = std::path::absolute(path).map_err(|err| err.to_string())?;
    AbsolutePath::new(absolute).map_err(|err| err.to_string())
}

/// `--image` files as absolute paths; each must be a readable file.
fn resolve_images(options: &ExecOptions) -> Result<Vec<AbsolutePath>, ExecError> {
    options
        .images
        .iter()
        .map(|path| {
            let fail = |reason: String| ExecError::Image { path: path.clone(), reason };
            let absolute = absolute(path).map_err(fail)?;
            match std::fs::metadata(absolute.as_path()) {
                Ok(metadata) if metadata.is_file() => Ok(absolute),
                Ok(_) => Err(fail("not a file".to_owned())),
                Err(err) => Err(fail(err.to_string())),
            }
        })
        .collect()
}

/// `--add-dir` directories as absolute paths; each must be a directory.
fn resolve_add_dirs(options: &ExecOptions) -> Result<Vec<AbsolutePath>, ExecError> {
    options
        .add_dirs
        .iter()
        .map(|path| {
            let fail = |reason: String| ExecError::AddDir { path: path.clone(), reason };
            let absolute = absolute(path).map_err(fail)?;
            if absolute.as_path().is_dir() {
                Ok(absolute)
            } else {
                Err(fail("not a directory".to_owned()))
            }
        })
        .collect()
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

/// `--cd` (else `.`) as an absolute directory.
fn current_dir_of(options: &ExecOptions) -> Result<AbsolutePath, ExecError> {
    let path = options.cwd.clone().unwrap_or_else(|| std::path::PathBuf::from("."));
    let fail = |reason: String| ExecError::WorkingDirectory { path: path.clone(), reason };
    let absolute = std::path::absolute(&path).map_err(|err| fail(err.to_string()))?;
    AbsolutePath::new(absolute).map_err(|err| fail(err.to_string()))
}

fn resolve_cwd(options: &ExecOptions) -> Result<Option<AbsolutePath>, ExecError> {
    let path = match (&options.cwd, &options.thread) {
        (Some(path), _) => path.clone(),
        // A resumed thread keeps its own directory unless --cd says otherwise.
        (
            None,
            ThreadTarget::Resume(_) | ThreadTarget::ResumeLast | ThreadTarget::ResumeLastAnywhere,
        ) => return Ok(None),
        (None, ThreadTarget::New) => std::path::PathBuf::from("."),
    };
    let fail = |reason: String| ExecError::WorkingDirectory { path: path.clone(), reason };
    let absolute = std::path::absolute(&path).map_err(|err| fail(err.to_string()))?;
    if !absolute.is_dir() {
        return Err(fail("not a directory".to_owned()));
    }
    AbsolutePath::new(absolute).map(Some).map_err(|err| fail(err.to_string()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::time::Duration;

    use codex_app_server_protocol::JsonRpcMessage;
    use codex_app_server_protocol::JsonRpcNotification;
    use codex_app_server_protocol::JsonRpcRequest;
    use codex_app_server_protocol::JsonRpcResponse;
    use codex_app_server_transport::connect_in_process;
    use codex_app_server_transport::ConnectionWriter;
    use codex_app_server_transport::TransportConfig;
    use codex_app_server_transport::TransportEvent;

    use super::*;
    use crate::approvals::ApprovalDecider;
    use crate::options::PromptSource;

    /// A clonable in-memory sink.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// A client whose server end the test plays.
    async fn fake_server() -> (InProcessClient, mpsc::Receiver<TransportEvent>, ConnectionWriter) {
        let (events_tx, mut events) = mpsc::channel(16);
        let connection = connect_in_process(&events_tx, &TransportConfig::default()).await.unwrap();
        let Some(TransportEvent::ConnectionOpened { writer, .. }) = events.recv().await else {
            panic!("expected ConnectionOpened");
        };
        (InProcessClient::new(connection), events, writer)
    }

    async fn next_sent(events: &mut mpsc::Receiver<TransportEvent>) -> JsonRpcMessage {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap();
        match event {
            Some(TransportEvent::MessageReceived { message, .. }) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    fn approval(id: &str, method: &str, extra: Value) -> JsonRpcMessage {
        let mut params = json!({"itemId": id, "threadId": "t", "turnId": "u", "startedAtMs": 1});
        if let (Some(params), Value::Object(extra)) = (params.as_object_mut(), extra) {
            params.extend(extra);
        }
        JsonRpcRequest::new(id, method, Some(params)).into()
    }

    fn turn_completed(status: &str) -> JsonRpcMessage {
        JsonRpcNotification::new(
            "turn/completed",
            Some(json!({"threadId": "t", "turn": {"id": "u", "items": [], "status": status}})),
        )
        .into()
    }

    async fn expect_decision(events: &mut mpsc::Receiver<TransportEvent>, id: &str) -> Value {
        let JsonRpcMessage::Response(answer) = next_sent(events).await else {
            panic!("expected an approval answer");
        };
        assert_eq!(answer.id, id.into());
        answer.result["decision"].clone()
    }

    fn options(approvals: ApprovalDecider) -> ExecOptions {
        let mut options =
            ExecOptions::new(std::path::PathBuf::new(), PromptSource::Text("x".into()));
        options.approvals = approvals;
        options
    }

    #[tokio::test]
    async fn approvals_are_declined_by_default_reported_and_the_turn_goes_on() {
        let (mut client, mut events, writer) = fake_server().await;
        let server = tokio::spawn(async move {
            let command = json!({"command": "rm -rf /"});
            writer
                .send(approval("s1", "item/commandExecution/requestApproval", command))
                .await
                .unwrap();
            assert_eq!(expect_decision(&mut events, "s1").await, "decline");
            writer
                .send(approval("s2", "item/fileChange/requestApproval", json!({})))
                .await
                .unwrap();
            assert_eq!(expect_decision(&mut events, "s2").await, "decline");
            writer.send(turn_completed("completed")).await.unwrap();
        });
        let stdout = Buffer::default();
        let mut output = Output::Json(Box::new(stdout.clone()));
        let (_press, mut interrupts) = mpsc::channel(1);
        let mut run = TurnWatch::new("t".into(), "u".into());
        let options = options(ApprovalDecider::default());
        let watch = watch_turn(&options, &mut output, &mut client, &mut interrupts, &mut run);
        let outcome = tokio::time::timeout(Duration::from_secs(10), watch).await.unwrap().unwrap();
        assert_eq!(outcome, ExecOutcome::Completed);
        server.await.unwrap();
        let lines: Vec<Value> =
            stdout.text().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        let types: Vec<&str> = lines.iter().map(|line| line["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["approval.answered", "approval.answered", "turn.completed"]);
        assert_eq!(lines[0]["kind"], "commandExecution");
        assert_eq!(lines[0]["decision"], "decline");
        assert!(lines[0]["message"].as_str().unwrap().contains("--approve-all"));
        assert_eq!(lines[1]["kind"], "fileChange");
    }

    #[tokio::test]
    async fn an_unreadable_turn_completed_fails_the_run_instead_of_hanging() {
        let (mut client, _events, writer) = fake_server().await;
        let server = tokio::spawn(async move {
            // Another turn's unreadable end is not ours; then ours, with a status nobody knows.
            for turn in ["other", "u"] {
                let params = json!({"threadId": "t", "turn": {"id": turn, "status": "exploded"}});
                let message = JsonRpcNotification::new("turn/completed", Some(params)).into();
                writer.send(message).await.unwrap();
            }
        });
        let stdout = Buffer::default();
        let mut output = Output::Json(Box::new(stdout.clone()));
        let (_press, mut interrupts) = mpsc::channel(1);
        let mut run = TurnWatch::new("t".into(), "u".into());
        let options = options(ApprovalDecider::default());
        let watch = watch_turn(&options, &mut output, &mut client, &mut interrupts, &mut run);
        let outcome = tokio::time::timeout(Duration::from_secs(10), watch).await.unwrap().unwrap();
        assert_eq!(outcome, ExecOutcome::Failed);
        server.await.unwrap();
        let lines: Vec<Value> =
            stdout.text().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["type"], "turn.failed");
        assert_eq!(lines[0]["turn_id"], "u");
        assert!(lines[0]["error"]["message"].as_str().unwrap().contains("could not be read"));
    }

    #[tokio::test]
    async fn approve_all_accepts_and_ctrl_c_interrupts_the_turn() {
        let (mut client, mut events, writer) = fake_server().await;
        let (press, mut interrupts) = mpsc::channel(1);
        let server = tokio::spawn(async move {
            let command = json!({"command": "ls"});
            writer
                .send(approval("s1", "item/commandExecution/requestApproval", command))
                .await
                .unwrap();
            assert_eq!(expect_decision(&mut events, "s1").await, "accept");
            press.send(()).await.unwrap();
            let JsonRpcMessage::Request(interrupt) = next_sent(&mut events).await else {
                panic!("expected turn/interrupt");
            };
            assert_eq!(interrupt.method, "turn/interrupt");
            assert_eq!(interrupt.params, Some(json!({"threadId": "t", "turnId": "u"})));
            writer.send(JsonRpcResponse::new(interrupt.id, json!({})).into()).await.unwrap();
            writer.send(turn_completed("interrupted")).await.unwrap();
        });
        let (stdout, stderr) = (Buffer::default(), Buffer::default());
        let human = HumanOutput::new(
            Box::new(stdout.clone()) as Sink,
            Box::new(stderr.clone()) as Sink,
            false,
        );
        let mut output = Output::Human(human);
        let mut run = TurnWatch::new("t".into(), "u".into());
        let options = options(ApprovalDecider::ApproveAll);
        let watch = watch_turn(&options, &mut output, &mut client, &mut interrupts, &mut run);
        let outcome = tokio::time::timeout(Duration::from_secs(10), watch).await.unwrap().unwrap();
        assert_eq!(outcome, ExecOutcome::Interrupted);
        assert_eq!(outcome.exit_code(), 130);
        server.await.unwrap();
        let stderr = stderr.text();
        assert!(stderr.contains("approved command `ls` (--approve-all)"), "{stderr}");
        assert!(stderr.contains("interrupting the turn"), "{stderr}");
        assert!(stderr.contains("turn interrupted"), "{stderr}");
        assert_eq!(stdout.text(), "");
    }
}
