//! `codex exec`: flag parsing only; the run itself is [`codex_headless_exec`].

use std::path::PathBuf;

use clap::Args;
use clap::Subcommand;
use codex_app_server::config::ConfigOverrides;
use codex_app_server::engine::provider::default_model;
use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxMode;
use codex_headless_exec::parse_approval_policy;
use codex_headless_exec::parse_color_mode;
use codex_headless_exec::parse_sandbox_mode;
use codex_headless_exec::ApprovalDecider;
use codex_headless_exec::ColorMode;
use codex_headless_exec::ExecOptions;
use codex_headless_exec::OutputMode;
use codex_headless_exec::PromptSource;
use codex_headless_exec::ThreadTarget;

/// The built-in local provider `--oss` means without `--local-provider`.
const OLLAMA_PROVIDER: &str = "ollama";

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
        /// With --last: pick among the threads of every directory, not only this one.
        #[arg(long, requires = "last")]
        all: bool,
        /// The thread to continue.
        #[arg(value_name = "THREAD_ID")]
        thread_id: Option<String>,
        /// The prompt. Absent or `-`: read it from stdin.
        #[arg(value_name = "PROMPT")]
        prompt: Option<String>,
    },
    /// The reference's `exec fork`: not supported by this server.
    #[command(hide = true)]
    Fork {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    },
    /// The reference's `exec review`: not supported by this server.
    #[command(hide = true)]
    Review {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
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
    /// Shorthand for `--sandbox workspace-write --ask-for-approval on-request`. Nobody answers
    /// approval requests under exec: escalations are declined unless --approve-all.
    #[arg(long, global = true, conflicts_with_all = ["sandbox", "ask_for_approval", "yolo"])]
    full_auto: bool,
    /// No sandbox and no approvals (`--sandbox danger-full-access --ask-for-approval never`).
    /// Only for environments that are sandboxed from outside.
    #[arg(long = "dangerously-bypass-approvals-and-sandbox", alias = "yolo", global = true,
          conflicts_with_all = ["sandbox", "ask_for_approval"])]
    yolo: bool,
    /// Run even when the working directory is not inside a git repository.
    #[arg(long, global = true)]
    skip_git_repo_check: bool,
    /// Attach image files to the prompt (repeatable, or comma-separated).
    #[arg(long, short = 'i', value_name = "FILE", value_delimiter = ',', global = true)]
    image: Vec<PathBuf>,
    /// Colour of the progress on stderr: always, never or auto (a terminal).
    #[arg(long, value_name = "COLOR", value_parser = parse_color_mode, default_value = "auto",
          global = true)]
    color: ColorMode,
    /// Layer the config profile NAME over config.toml: `[profiles.NAME]`, then
    /// `$CODEX_HOME/NAME.config.toml`.
    #[arg(long, short = 'p', value_name = "NAME", global = true)]
    profile: Option<String>,
    /// An extra writable directory for a workspace-write sandbox (repeatable).
    #[arg(long, value_name = "DIR", global = true)]
    add_dir: Vec<PathBuf>,
    /// Turn a feature on for this run (sets `[features].NAME = true`).
    #[arg(long = "enable", value_name = "FEATURE", global = true)]
    enable: Vec<String>,
    /// Turn a feature off for this run (sets `[features].NAME = false`).
    #[arg(long = "disable", value_name = "FEATURE", global = true)]
    disable: Vec<String>,
    /// Do not read `$CODEX_HOME/config.toml` (state and rules still live under CODEX_HOME).
    #[arg(long, global = true)]
    ignore_user_config: bool,
    /// Do not load the command prefix rules of `$CODEX_HOME/rules/*.rules`.
    #[arg(long, global = true)]
    ignore_rules: bool,
    /// Stop at once when config.toml cannot be loaded (otherwise the run fails at thread start,
    /// naming the file and line).
    #[arg(long, global = true)]
    strict_config: bool,
    /// Use a local model provider: `--local-provider`'s, else the built-in `ollama`.
    #[arg(long, global = true)]
    oss: bool,
    /// With --oss: the provider id (`ollama`, or a `[model_providers.NAME]` of config.toml).
    #[arg(long, value_name = "NAME", requires = "oss", global = true)]
    local_provider: Option<String>,
    #[command(flatten)]
    unsupported: UnsupportedFlags,
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

/// Flags of the reference's `codex exec` this server does not implement; each is refused with
/// a message that says so (instead of the parser's generic "unexpected argument").
#[derive(Debug, Args)]
struct UnsupportedFlags {
    #[arg(long, hide = true, global = true)]
    approve_for_me: bool,
    #[arg(long, hide = true, global = true)]
    dangerously_bypass_hook_trust: bool,
    #[arg(long, hide = true, global = true)]
    worktree: bool,
    #[arg(long, hide = true, global = true)]
    trust: bool,
    #[arg(long, hide = true, global = true, value_name = "SOURCE")]
    thread_source: Option<String>,
    #[arg(long, hide = true, global = true, value_name = "PROGRAM")]
    cyber_access_program: Option<String>,
}

impl UnsupportedFlags {
    /// The first unsupported flag given, by name.
    fn first_given(&self) -> Option<&'static str> {
        [
            (self.approve_for_me, "--approve-for-me"),
            (self.dangerously_bypass_hook_trust, "--dangerously-bypass-hook-trust"),
            (self.worktree, "--worktree"),
            (self.trust, "--trust"),
            (self.thread_source.is_some(), "--thread-source"),
            (self.cyber_access_program.is_some(), "--cyber-access-program"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }
}

/// The error for a reference feature this server does not have.
fn not_supported(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} is not supported by this server (see \"codex exec\" in the README for what is)"
    )
}

/// Turns the parsed arguments into a run description.
fn options(args: ExecArgs) -> anyhow::Result<ExecOptions> {
    if let Some(flag) = args.flags.unsupported.first_given() {
        return Err(not_supported(&format!("`{flag}`")));
    }
    let (thread, prompt) = match args.action {
        None => (ThreadTarget::New, args.prompt),
        Some(ExecAction::Fork { .. }) => return Err(not_supported("`codex exec fork`")),
        Some(ExecAction::Review { .. }) => return Err(not_supported("`codex exec review`")),
        Some(ExecAction::Resume { last: true, all, thread_id, prompt }) => {
            anyhow::ensure!(
                prompt.is_none() && !thread_id.as_deref().is_some_and(looks_like_thread_id),
                "`codex exec resume` takes a THREAD_ID or --last, not both (with --last the one \
                 argument is the prompt)"
            );
            let target =
                if all { ThreadTarget::ResumeLastAnywhere } else { ThreadTarget::ResumeLast };
            (target, thread_id)
        }
        Some(ExecAction::Resume { last: false, thread_id: Some(id), prompt, .. }) => {
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
    let mut values = flags
        .config
        .iter()
        .map(|raw| ConfigOverrides::parse_value_override(raw))
        .collect::<Result<Vec<_>, _>>()?;
    let mut model = flags.model;
    if flags.oss {
        // After the user's `-c`: --oss decides the provider.
        let provider = flags.local_provider.unwrap_or_else(|| OLLAMA_PROVIDER.to_owned());
        if model.is_none() && provider == OLLAMA_PROVIDER {
            // The configured model is most likely a hosted one; use the local default.
            model = Some(default_model(&provider).to_owned());
        }
        let quoted = serde_json::to_string(&provider)?;
        values.push(ConfigOverrides::parse_value_override(&format!("model_provider={quoted}"))?);
    }
    let mut options = ExecOptions::new(
        crate::app_server_command::codex_home()?,
        PromptSource::from_argument(prompt),
    );
    options.overrides = ConfigOverrides {
        values,
        enable: flags.enable,
        disable: flags.disable,
        profile: flags.profile,
        ignore_user_config: flags.ignore_user_config,
        ignore_rules: flags.ignore_rules,
    };
    options.thread = thread;
    options.model = model;
    options.cwd = flags.cd;
    (options.sandbox, options.approval_policy) = if flags.full_auto {
        (Some(SandboxMode::WorkspaceWrite), AskForApproval::OnRequest)
    } else if flags.yolo {
        (Some(SandboxMode::DangerFullAccess), AskForApproval::Never)
    } else {
        (flags.sandbox, flags.ask_for_approval)
    };
    options.approvals =
        if flags.approve_all { ApprovalDecider::ApproveAll } else { ApprovalDecider::DeclineAll };
    options.ephemeral = flags.ephemeral;
    options.output_schema = flags.output_schema;
    options.output_last_message = flags.output_last_message;
    options.output = if flags.json { OutputMode::Json } else { OutputMode::Human };
    options.color = flags.color;
    options.images = flags.image;
    options.add_dirs = flags.add_dir;
    options.skip_git_repo_check = flags.skip_git_repo_check;
    options.strict_config = flags.strict_config;
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
