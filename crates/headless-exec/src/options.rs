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
    /// The most recently updated stored `exec` thread of the working directory
    /// (`exec resume --last`).
    ResumeLast,
    /// The most recently updated stored `exec` thread of any directory
    /// (`exec resume --last --all`).
    ResumeLastAnywhere,
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
    /// `--color`: colour on stderr progress in human mode.
    pub color: ColorMode,
    /// `-i/--image`: images attached to the prompt (`localImage` inputs, before the text).
    pub images: Vec<PathBuf>,
    /// `--add-dir`: extra writable roots when the sandbox is workspace-write.
    pub add_dirs: Vec<PathBuf>,
    /// `--skip-git-repo-check`: run even outside a git repository.
    pub skip_git_repo_check: bool,
    /// `--strict-config`: a config.toml that cannot be loaded stops the run at once (otherwise
    /// the server starts with defaults and refuses the turn, naming the problem).
    pub strict_config: bool,
}

/// When human output is coloured (`--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorMode {
    /// Colour when stderr is a terminal.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorMode {
    /// Whether to colour, given whether stderr is a terminal.
    pub fn enabled(self, stderr_is_terminal: bool) -> bool {
        match self {
            ColorMode::Auto => stderr_is_terminal,
            ColorMode::Always => true,
            ColorMode::Never => false,
        }
    }
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
            color: ColorMode::Auto,
            images: Vec::new(),
            add_dirs: Vec::new(),
            skip_git_repo_check: false,
            strict_config: false,
        }
    }
}

/// Parses `--color`: `always`, `never` or `auto`.
pub fn parse_color_mode(raw: &str) -> Result<ColorMode, String> {
    match raw {
        "auto" => Ok(ColorMode::Auto),
        "always" => Ok(ColorMode::Always),
        "never" => Ok(ColorMode::Never),
        other => Err(format!("unknown color setting {other:?}: expected always, never or auto")),
    }
}

/// The git repository `dir` is in: `dir` or the nearest ancestor holding `.git` (a directory,
/// or the file of a worktree or submodule).
pub fn git_repository_root(dir: &std::path::Path) -> Option<PathBuf> {
    dir.ancestors().find(|candidate| candidate.join(".git").exists()).map(PathBuf::from)
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
    fn colour_follows_the_flag_and_else_the_terminal() {
        assert_eq!(parse_color_mode("always"), Ok(ColorMode::Always));
        assert!(parse_color_mode("sometimes").unwrap_err().contains("auto"));
        assert!(ColorMode::Always.enabled(false));
        assert!(!ColorMode::Never.enabled(true));
        assert!(ColorMode::Auto.enabled(true) && !ColorMode::Auto.enabled(false));
    }

    #[test]
    fn a_repository_is_found_from_any_directory_below_its_git_entry() {
        let root = std::env::temp_dir().join(format!("exec-git-{}", std::process::id()));
        let deep = root.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        // Nothing below the temp dir marks a repository (the temp dir itself is not one).
        assert_eq!(git_repository_root(&deep), git_repository_root(&std::env::temp_dir()));
        // A worktree's `.git` is a file.
        std::fs::write(root.join(".git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(git_repository_root(&deep), Some(root.clone()));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_dash_or_nothing_means_stdin_and_blank_prompts_are_refused() {
        assert_eq!(PromptSource::from_argument(None), PromptSource::Stdin);
        assert_eq!(PromptSource::from_argument(Some("-".into())), PromptSource::Stdin);
        assert_eq!(PromptSource::from_argument(Some("hi".into())), PromptSource::Text("hi".into()));
        assert!(matches!(PromptSource::Text("  \n".into()).read(), Err(ExecError::EmptyPrompt)));
    }
}
