//! `codex exec`: flag parsing only; the run itself is [`codex_headless_exec`].

use std::path::PathBuf;

use clap::Args;
use clap::Subcommand;
use codex_app_server::config::ConfigOverrides;
use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxMode;
use codex_headless_exec::parse_approval_policy;
use codex_headless_exec::parse_sandbox_mode;
use codex_headless_exec::ApprovalDecider;
use codex_headless_exec::ExecOptions;
use codex_headless_exec::OutputMode;
use codex_headless_exec::PromptSource;
use codex_headless_exec::ThreadTarget;

/// `codex exec` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when the turn completed, 1 when it failed (or exec could not \
                  run), 130 when it was interrupted. Ctrl-C interrupts the turn; a second \
                  Ctrl-C exits at once. The --json format is documented in docs/exec-json.md."
)]
pub struct ExecArgs {
    #[command(subcommand)]
    action: Option<ExecAction>,
    #[command(flatten)]
    flags: ExecFlags,
    /// The prompt. Absent or `-`: read it from stdin.
    #[arg(value_name = "PROMPT")]
    prompt: Option<String>,
}

/// `codex exec` subcommands.
#[derive(Debug, Subcommand)]
enum ExecAction {
    /// Continue a stored thread with one more turn.
    Resume {
        /// Continue the most recently updated thread (then the first argument is the prompt).
        #[arg(long)]
        last: bool,
        /// The thread to continue.
        #[arg(value_name = "THREAD_ID")]
        thread_id: Option<String>,
        /// The prompt. Absent or `-`: read it from stdin.
        #[arg(value_name = "PROMPT")]
        prompt: Option<String>,
    },
}

/// Flags shared by `codex exec` and `codex exec resume`.
#[derive(Debug, Args)]
struct ExecFlags {
    /// The model to use.
    #[arg(long, short = 'm', global = true)]
    model: Option<String>,
    /// The agent's working directory (default: the current directory).
    #[arg(long = "cd", short = 'C', value_name = "DIR", global = true)]
    cd: Option<PathBuf>,
    /// Sandbox for commands: read-only, workspace-write or danger-full-access.
    #[arg(long, short = 's', value_name = "MODE", value_parser = parse_sandbox_mode, global = true)]
    sandbox: Option<SandboxMode>,
    /// When the agent must ask before acting: untrusted, on-request, on-failure or never.
    #[arg(long, short = 'a', value_name = "POLICY", value_parser = parse_approval_policy,
          default_value = "never", global = true)]
    ask_for_approval: AskForApproval,
    /// Accept every approval request (by default they are declined: nobody can be asked).
    #[arg(long, global = true)]
    approve_all: bool,
    /// Override a config.toml value for this run, e.g. `-c model=gpt-5` (TOML, else a string).
    #[arg(short = 'c', long = "config", value_name = "KEY=VALUE", global = true)]
    config: Vec<String>,
    /// Do not store the thread.
    #[arg(long, global = true)]
    ephemeral: bool,
    /// A JSON Schema file the final answer must follow (sent as the turn's outputSchema).
    #[arg(long, value_name = "FILE", global = true)]
    output_schema: Option<PathBuf>,
    /// Write the last agent message to FILE.
    #[arg(long, short = 'o', value_name = "FILE", global = true)]
    output_last_message: Option<PathBuf>,
    /// Print one JSON event per line on stdout instead of human output.
    #[arg(long, global = true)]
    json: bool,
}

/// Turns the parsed arguments into a run description.
fn options(args: ExecArgs) -> anyhow::Result<ExecOptions> {
    let (thread, prompt) = match args.action {
        None => (ThreadTarget::New, args.prompt),
        Some(ExecAction::Resume { last: true, thread_id, prompt }) => {
            anyhow::ensure!(
                prompt.is_none() && !thread_id.as_deref().is_some_and(looks_like_thread_id),
                "`codex exec resume` takes a THREAD_ID or --last, not both (with --last the one \
                 argument is the prompt)"
            );
            (ThreadTarget::ResumeLast, thread_id)
        }
        Some(ExecAction::Resume { last: false, thread_id: Some(id), prompt }) => {
            (ThreadTarget::Resume(id), prompt)
        }
        Some(ExecAction::Resume { last: false, thread_id: None, .. }) => {
            anyhow::bail!("`codex exec resume` needs a THREAD_ID or --last")
        }
    };
    let flags = args.flags;
    anyhow::ensure!(
        !flags.ephemeral || matches!(thread, ThreadTarget::New),
        "`--ephemeral` applies to new threads; a resumed thread is already stored"
    );
    let values = flags
        .config
        .iter()
        .map(|raw| ConfigOverrides::parse_value_override(raw))
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = ExecOptions::new(
        crate::app_server_command::codex_home()?,
        PromptSource::from_argument(prompt),
    );
    options.overrides = ConfigOverrides { values, ..ConfigOverrides::default() };
    options.thread = thread;
    options.model = flags.model;
    options.cwd = flags.cd;
    options.sandbox = flags.sandbox;
    options.approval_policy = flags.ask_for_approval;
    options.approvals =
        if flags.approve_all { ApprovalDecider::ApproveAll } else { ApprovalDecider::DeclineAll };
    options.ephemeral = flags.ephemeral;
    options.output_schema = flags.output_schema;
    options.output_last_message = flags.output_last_message;
    options.output = if flags.json { OutputMode::Json } else { OutputMode::Human };
    Ok(options)
}

/// True for a thread id as the server makes them: a UUID (8-4-4-4-12 hex digits).
fn looks_like_thread_id(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, length)| {
            group.len() == length && group.chars().all(|c| c.is_ascii_hexdigit())
        })
}

/// Runs `codex exec`; returns the exit code.
///
/// A usage error found after parsing (`resume` without a thread, a bad `-c`) exits 2; under
/// `--json` it is also the one `error` line on stdout, as `docs/exec-json.md` says.
pub async fn run(args: ExecArgs) -> u8 {
    let json = args.flags.json;
    let options = match options(args) {
        Ok(options) => options,
        Err(err) => {
            let message = format!("{err:#}");
            eprintln!("Error: {message}");
            if json {
                let line = codex_headless_exec::json_events::ExecEvent::Error { message }.to_line();
                println!("{line}");
            }
            return 2;
        }
    };
    codex_headless_exec::run_and_report(options).await
}
