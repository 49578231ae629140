//! What a `codex exec` run is asked to do: the prompt, the thread to use, the thread settings
//! and the output mode, plus parsers for the command line's policy names.

use std::io::IsTerminal;
use std::io::Read;
use std::path::PathBuf;

use codex_app_server::config::ConfigOverrides;
use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxMode;

use crate::approvals::ApprovalDecider;
use crate::error::ExecError;

/// Where the prompt comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptSource {
    /// Given on the command line.
    Text(String),
    /// Read from stdin to its end (`-`, or no argument with stdin not a terminal).
    Stdin,
}

impl PromptSource {
    /// From the optional PROMPT argument: absent or `-` means stdin.
    pub fn from_argument(argument: Option<String>) -> Self {
        match argument {
            Some(text) if text != "-" => PromptSource::Text(text),
            _ => PromptSource::Stdin,
        }
    }

    /// The prompt text; an empty prompt is an error.
    pub fn read(&self) -> Result<String, ExecError> {
        let text = match self {
            PromptSource::Text(text) => text.clone(),
            PromptSource::Stdin => {
                let mut stdin = std::io::stdin();
                if stdin.is_terminal() {
                    return Err(ExecError::EmptyPrompt);
                }
                let mut text = String::new();
                stdin.read_to_string(&mut text).map_err(ExecError::ReadPrompt)?;
                text
            }
        };
        if text.trim().is_empty() {
            return Err(ExecError::EmptyPrompt);
        }
        Ok(text)
    }
}

/// Which thread the turn runs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadTarget {
    /// A new thread.
    New,
    /// The most recently updated stored thread (`exec resume --last`).
    ResumeLast,
    /// A stored thread by id (`exec resume THREAD_ID`).
    Resume(String),
}

/// How events are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputMode {
    /// Agent text on stdout, progress on stderr.
    #[default]
    Human,
    /// One JSON event per line on stdout (`--json`).
    Json,
}

/// Everything one run needs.
#[derive(Clone, Debug)]
pub struct ExecOptions {
    /// `$CODEX_HOME`.
    pub codex_home: PathBuf,
    /// `-c key=value` overrides, as `codex app-server` takes them.
    pub overrides: ConfigOverrides,
    /// The prompt.
    pub prompt: PromptSource,
    /// New thread or resume.
    pub thread: ThreadTarget,
    /// `--model`.
    pub model: Option<String>,
    /// `--cd`: the thread's working directory (default: the current directory for new threads).
    pub cwd: Option<PathBuf>,
    /// `--sandbox`.
    pub sandbox: Option<SandboxMode>,
    /// `--ask-for-approval` (default `never`).
    pub approval_policy: AskForApproval,
    /// How approval requests are answered.
    pub approvals: ApprovalDecider,
    /// `--ephemeral`: the thread is not stored.
    pub ephemeral: bool,
    /// `--output-schema`: a JSON Schema file for the final answer.
    pub output_schema: Option<PathBuf>,
    /// `--output-last-message`: where to write the last agent message.
    pub output_last_message: Option<PathBuf>,
    /// Human or JSON lines.
    pub output: OutputMode,
}

impl ExecOptions {
    /// A new-thread run of `prompt` under `codex_home` with every default.
    pub fn new(codex_home: PathBuf, prompt: PromptSource) -> Self {
        Self {
            codex_home,
            overrides: ConfigOverrides::default(),
            prompt,
            thread: ThreadTarget::New,
            model: None,
            cwd: None,
            sandbox: None,
            approval_policy: AskForApproval::Never,
            approvals: ApprovalDecider::DeclineAll,
            ephemeral: false,
            output_schema: None,
            output_last_message: None,
            output: OutputMode::Human,
        }
    }
}

/// Parses `--sandbox`: `read-only`, `workspace-write` or `danger-full-access`.
pub fn parse_sandbox_mode(raw: &str) -> Result<SandboxMode, String> {
    match raw {
        "read-only" => Ok(SandboxMode::ReadOnly),
        "workspace-write" => Ok(SandboxMode::WorkspaceWrite),
        "danger-full-access" => Ok(SandboxMode::DangerFullAccess),
        other => Err(format!(
            "unknown sandbox mode {other:?}: expected read-only, workspace-write or danger-full-access"
        )),
    }
}

/// Parses `--ask-for-approval`: `untrusted`, `on-request`, `on-failure` or `never`.
///
/// The v2 protocol has no `on-failure` (the reference deprecated it); it is accepted and sent
/// as `on-request`, the closest policy that still lets commands run.
pub fn parse_approval_policy(raw: &str) -> Result<AskForApproval, String> {
    match raw {
        "untrusted" => Ok(AskForApproval::Untrusted),
        "on-request" | "on-failure" => Ok(AskForApproval::OnRequest),
        "never" => Ok(AskForApproval::Never),
        other => Err(format!(
            "unknown approval policy {other:?}: expected untrusted, on-request, on-failure or never"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_parse_and_unknown_ones_are_explained() {
        assert_eq!(parse_sandbox_mode("workspace-write"), Ok(SandboxMode::WorkspaceWrite));
        assert!(parse_sandbox_mode("yolo").unwrap_err().contains("read-only"));
        assert_eq!(parse_approval_policy("never"), Ok(AskForApproval::Never));
        assert_eq!(parse_approval_policy("on-failure"), Ok(AskForApproval::OnRequest));
        assert!(parse_approval_policy("always").unwrap_err().contains("on-request"));
    }

    #[test]
    fn a_dash_or_nothing_means_stdin_and_blank_prompts_are_refused() {
        assert_eq!(PromptSource::from_argument(None), PromptSource::Stdin);
        assert_eq!(PromptSource::from_argument(Some("-".into())), PromptSource::Stdin);
        assert_eq!(PromptSource::from_argument(Some("hi".into())), PromptSource::Text("hi".into()));
        assert!(matches!(PromptSource::Text("  \n".into()).read(), Err(ExecError::EmptyPrompt)));
    }
}
