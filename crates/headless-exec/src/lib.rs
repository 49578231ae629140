//! `codex exec`: run one agent turn without a person at the keyboard.
//!
//! A run starts the app-server inside this process ([`codex_app_server::in_process`]), opens a
//! thread (new, or a stored one to continue), sends the prompt as one turn and prints what
//! happens: the agent's text on stdout and progress on stderr ([`human`]), or one JSON object
//! per line with `--json` ([`json_events`], documented in `docs/exec-json.md`). Approval
//! requests are answered by the policy chosen on the command line ([`approvals`]); Ctrl-C
//! interrupts the turn ([`interrupts`]). The exit code says how the turn ended
//! ([`ExecOutcome::exit_code`]). Everything goes through the typed protocol; nothing here
//! reaches into the engine.

pub mod approvals;
mod error;
pub mod human;
pub mod interrupts;
pub mod json_events;
mod options;
mod run;

pub use approvals::ApprovalDecider;
pub use error::ExecError;
pub use options::git_repository_root;
pub use options::parse_approval_policy;
pub use options::parse_color_mode;
pub use options::parse_sandbox_mode;
pub use options::ColorMode;
pub use options::ExecOptions;
pub use options::OutputMode;
pub use options::PromptSource;
pub use options::ThreadTarget;
pub use run::run_and_report;
pub use run::ExecOutcome;
