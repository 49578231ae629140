//! The context messages a turn adds to a thread's history before the user's input: on the first
//! turn the developer message (developer instructions + permissions) and the contextual user
//! message (AGENTS.md + environment context); on later turns only the pieces that changed.
//!
//! What was last sent is kept as [`SentContext`] (stored with the thread's settings), so a
//! restarted server sends exactly what a running one would have: nothing when nothing changed,
//! which keeps the request prefix stable for the provider's prompt cache.

use std::path::Path;
use std::path::PathBuf;

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_model_client::ContentPart;
use codex_model_client::InputItem;
use codex_model_client::MessageRole;
use serde::Deserialize;
use serde::Serialize;

use crate::context::agents_md::discover_project_docs;
use crate::context::agents_md::global_instructions;
use crate::context::agents_md::render_agents_md_message;
use crate::context::agents_md::ProjectDocOptions;
use crate::context::environment::EnvironmentContext;
use crate::context::error::ContextError;
use crate::context::permissions::permissions_instructions;

/// Put before a new AGENTS.md block that replaces an earlier one in the same thread.
const AGENTS_MD_REPLACED: &str = include_str!("../../prompts/agents_md_replaced.md");
/// Sent when AGENTS.md instructions applied earlier in the thread no longer do.
const AGENTS_MD_REMOVED: &str = include_str!("../../prompts/agents_md_removed.md");

/// Whether `text` is one of the context parts this module writes (AGENTS.md, environment, or
/// the notices about them), as opposed to something the user typed.
pub fn is_context_text(text: &str) -> bool {
    text.starts_with("# AGENTS.md instructions")
        || text.starts_with(crate::context::environment::ENVIRONMENT_CONTEXT_OPEN_TAG)
        || text.starts_with(AGENTS_MD_REPLACED.trim())
        || text.starts_with(AGENTS_MD_REMOVED.trim())
}

/// The context pieces last sent to the model in a thread (their exact text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentContext {
    /// Developer instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// The `<permissions instructions>` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// The AGENTS.md block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents_md: Option<String>,
    /// The `<environment_context>` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl SentContext {
    /// Whether nothing was sent yet (the thread's first turn).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What a turn's context is built from.
#[derive(Debug, Clone)]
pub struct TurnContextInputs<'a> {
    /// The turn's working directory.
    pub cwd: &'a Path,
    /// `$CODEX_HOME` (its AGENTS.md holds the user's global instructions).
    pub codex_home: &'a Path,
    /// The thread's sandbox.
    pub sandbox: &'a SandboxPolicy,
    /// The thread's approval policy.
    pub approval: &'a AskForApproval,
    /// Developer instructions (config or `thread/start`), if any.
    pub developer_instructions: Option<&'a str>,
    /// How AGENTS.md files are found and budgeted.
    pub project_docs: &'a ProjectDocOptions,
    /// The environment facts (cwd, shell, date, timezone, sandbox) as of now.
    pub environment: EnvironmentContext,
}

/// The items a turn adds before its user input, and what is then known to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextUpdate {
    /// History items to append (empty when nothing changed).
    pub items: Vec<InputItem>,
    /// The context as sent, after this turn.
    pub sent: SentContext,
    /// The instruction files in effect (global AGENTS.md, then project files root first).
    pub instruction_sources: Vec<PathBuf>,
    /// Set when the AGENTS.md budget cut a file (the rest was not sent).
    pub agents_md_truncated: bool,
}

/// The AGENTS.md block for `cwd` and the files it came from.
pub struct AgentsMd {
    /// The rendered block, if any instructions apply.
    pub message: Option<String>,
    /// Global file first, then project files root first.
    pub sources: Vec<PathBuf>,
    /// Whether the byte budget cut the project files.
    pub truncated: bool,
}

/// Reads the user's global instructions and the project's AGENTS.md files that apply to `cwd`.
pub fn load_agents_md(
    cwd: &Path,
    codex_home: &Path,
    options: &ProjectDocOptions,
) -> Result<AgentsMd, ContextError> {
    let global = global_instructions(codex_home);
    let project = discover_project_docs(cwd, options)?;
    let mut sources = Vec::new();
    if global.is_some() {
        for name in ["AGENTS.override.md", "AGENTS.md"] {
            let path = codex_home.join(name);
            if path.is_file() {
                sources.push(path);
                break;
            }
        }
    }
    sources.extend(project.files.iter().cloned());
    Ok(AgentsMd {
        message: render_agents_md_message(cwd, global.as_deref(), &project),
        sources,
        truncated: project.truncated,
    })
}

/// The context items for a turn, given what was sent before.
pub fn context_update(
    inputs: &TurnContextInputs<'_>,
    previous: &SentContext,
) -> Result<ContextUpdate, ContextError> {
    let developer_instructions =
        inputs.developer_instructions.map(str::trim).filter(|text| !text.is_empty());
    let permissions = permissions_instructions(inputs.sandbox, inputs.approval);
    let agents_md = load_agents_md(inputs.cwd, inputs.codex_home, inputs.project_docs)?;
    let environment = inputs.environment.render();

    let mut developer_parts = Vec::new();
    if let Some(text) = developer_instructions {
        if previous.developer_instructions.as_deref() != Some(text) {
            developer_parts.push(ContentPart::text(text));
        }
    }
    if previous.permissions.as_deref() != Some(permissions.as_str()) {
        developer_parts.push(ContentPart::text(permissions.clone()));
    }

    let mut user_parts = Vec::new();
    match (&previous.agents_md, &agents_md.message) {
        (None, Some(text)) => user_parts.push(ContentPart::text(text.clone())),
        (Some(old), Some(text)) if old != text => {
            user_parts.push(ContentPart::text(format!("{}\n\n{text}", AGENTS_MD_REPLACED.trim())));
        }
        (Some(_), None) => user_parts.push(ContentPart::text(AGENTS_MD_REMOVED.trim())),
        _ => {}
    }
    if previous.environment.as_deref() != Some(environment.as_str()) {
        user_parts.push(ContentPart::text(environment.clone()));
    }

    let mut items = Vec::new();
    if !developer_parts.is_empty() {
        items.push(InputItem::Message { role: MessageRole::Developer, content: developer_parts });
    }
    if !user_parts.is_empty() {
        items.push(InputItem::user_parts(user_parts));
    }
    Ok(ContextUpdate {
        items,
        sent: SentContext {
            developer_instructions: developer_instructions.map(str::to_owned),
            permissions: Some(permissions),
            agents_md: agents_md.message,
            environment: Some(environment),
        },
        instruction_sources: agents_md.sources,
        agents_md_truncated: agents_md.truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(item: &InputItem) -> Vec<String> {
        match item {
            InputItem::Message { content, .. } => content
                .iter()
                .filter_map(|part| match part {
                    ContentPart::InputText { text } => Some(text.clone()),
                    ContentPart::InputImage { .. } => None,
                })
                .collect(),
            other => panic!("not a message: {other:?}"),
        }
    }

    fn environment(cwd: &Path, sandbox: &SandboxPolicy) -> EnvironmentContext {
        let now: jiff::Zoned = "2026-12-03T10:00:00+00:00[UTC]".parse().unwrap();
        EnvironmentContext::with_clock(cwd, sandbox, Some("/bin/bash"), &now)
    }

    #[test]
    fn the_first_turn_sends_everything_and_the_next_nothing() {
        let home = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        std::fs::write(repo.path().join("AGENTS.md"), "Use tabs.").unwrap();
        let sandbox = SandboxPolicy::DangerFullAccess {};
        let approval = AskForApproval::Never;
        let options = ProjectDocOptions::default();
        let inputs = TurnContextInputs {
            cwd: repo.path(),
            codex_home: home.path(),
            sandbox: &sandbox,
            approval: &approval,
            developer_instructions: Some("Be brief."),
            project_docs: &options,
            environment: environment(repo.path(), &sandbox),
        };
        let first = context_update(&inputs, &SentContext::default()).unwrap();
        assert_eq!(first.items.len(), 2);
        assert!(matches!(&first.items[0], InputItem::Message { role: MessageRole::Developer, .. }));
        let developer = texts(&first.items[0]);
        assert_eq!(developer[0], "Be brief.");
        assert!(developer[1].starts_with("<permissions instructions>"));
        let user = texts(&first.items[1]);
        assert!(user[0].contains("Use tabs."), "{user:?}");
        assert!(user[1].starts_with("<environment_context>"));
        assert_eq!(first.instruction_sources, vec![repo.path().join("AGENTS.md")]);

        let second = context_update(&inputs, &first.sent).unwrap();
        assert!(second.items.is_empty(), "{:?}", second.items);
        assert_eq!(second.sent, first.sent);
    }

    #[test]
    fn a_policy_change_resends_only_the_permissions() {
        let home = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let sandbox = SandboxPolicy::DangerFullAccess {};
        let options = ProjectDocOptions::default();
        let mut inputs = TurnContextInputs {
            cwd: cwd.path(),
            codex_home: home.path(),
            sandbox: &sandbox,
            approval: &AskForApproval::Never,
            developer_instructions: None,
            project_docs: &options,
            environment: environment(cwd.path(), &sandbox),
        };
        let first = context_update(&inputs, &SentContext::default()).unwrap();
        assert_eq!(first.items.len(), 2, "no AGENTS.md: permissions + environment");
        inputs.approval = &AskForApproval::Untrusted;
        let second = context_update(&inputs, &first.sent).unwrap();
        assert_eq!(second.items.len(), 1);
        let parts = texts(&second.items[0]);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].starts_with("<permissions instructions>"));
        assert_ne!(Some(&parts[0]), first.sent.permissions.as_ref());
    }

    #[test]
    fn a_new_cwd_replaces_agents_md_and_the_environment() {
        let home = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        std::fs::write(repo.path().join("AGENTS.md"), "root rules").unwrap();
        let sub = repo.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("AGENTS.md"), "sub rules").unwrap();
        let sandbox = SandboxPolicy::DangerFullAccess {};
        let options = ProjectDocOptions::default();
        fn at<'a>(
            cwd: &'a Path,
            home: &'a Path,
            sandbox: &'a SandboxPolicy,
            options: &'a ProjectDocOptions,
        ) -> TurnContextInputs<'a> {
            TurnContextInputs {
                cwd,
                codex_home: home,
                sandbox,
                approval: &AskForApproval::Never,
                developer_instructions: None,
                project_docs: options,
                environment: environment(cwd, sandbox),
            }
        }
        let first = context_update(
            &at(repo.path(), home.path(), &sandbox, &options),
            &SentContext::default(),
        )
        .unwrap();
        let second =
            context_update(&at(&sub, home.path(), &sandbox, &options), &first.sent).unwrap();
        assert_eq!(second.items.len(), 1, "only the contextual user message");
        let parts = texts(&second.items[0]);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].starts_with(AGENTS_MD_REPLACED.trim()));
        let root = parts[0].find("root rules").unwrap();
        let nested = parts[0].find("sub rules").unwrap();
        assert!(root < nested, "root first: {}", parts[0]);
        assert!(parts[1].contains(&format!("<cwd>{}</cwd>", sub.display())));
    }
}
