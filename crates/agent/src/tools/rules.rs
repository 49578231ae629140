//! Persistent command-prefix rules ("execpolicy amendments") under `$CODEX_HOME/rules/`.
//!
//! When a client answers a command approval with `acceptWithExecpolicyAmendment`, the proposed
//! prefix is appended to `$CODEX_HOME/rules/default.rules`; every `*.rules` file of that
//! directory is loaded at startup. A command whose words start with a stored prefix runs without
//! asking. The format is one rule per line, the reference's own spelling:
//!
//! ```text
//! # comments and blank lines are ignored
//! prefix_rule(pattern=["git", "push"], decision="allow")
//! ```
//!
//! `pattern` is a JSON array of strings; only `decision="allow"` rules are kept. Lines that do
//! not parse are skipped with a warning.

use std::io::Write as _;
use std::path::Path;
use std::path::PathBuf;
use std::sync::RwLock;

/// The file amendments are appended to, inside `$CODEX_HOME/rules/`.
pub const DEFAULT_RULES_FILE: &str = "default.rules";

/// Why a rule could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Writing the rules file failed.
    #[error("writing the command rule to {path}: {source}")]
    Write {
        /// The rules file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The prefix was empty.
    #[error("an empty command prefix cannot become a rule")]
    EmptyPrefix,
}

/// Allowed command prefixes, loaded from and appended to `$CODEX_HOME/rules/`.
#[derive(Debug)]
pub struct PrefixRules {
    directory: PathBuf,
    allowed: RwLock<Vec<Vec<String>>>,
}

impl PrefixRules {
    /// Loads every `*.rules` file of `codex_home/rules` (missing directory: no rules).
    pub fn load(codex_home: &Path) -> Self {
        let directory = codex_home.join("rules");
        let mut allowed = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                    .filter(|path| path.extension().is_some_and(|ext| ext == "rules"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else { continue };
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                match parse_rule(line) {
                    Some(Some(prefix)) => allowed.push(prefix),
                    Some(None) => {}
                    None => tracing::warn!(
                        file = %file.display(),
                        line = number + 1,
                        "skipping a command rule that does not parse: {line}"
                    ),
                }
            }
        }
        Self { directory, allowed: RwLock::new(allowed) }
    }

    /// No rules loaded (`--ignore-rules`); amendments are still appended to `codex_home/rules`
    /// and honoured from then on.
    pub fn empty(codex_home: &Path) -> Self {
        Self { directory: codex_home.join("rules"), allowed: RwLock::new(Vec::new()) }
    }

    /// Whether `words` start with an allowed prefix.
    pub fn allows(&self, words: &[String]) -> bool {
        self.allowed
            .read()
            .map(|allowed| allowed.iter().any(|prefix| words.starts_with(prefix)))
            .unwrap_or(false)
    }

    /// Appends an allow rule for `prefix` to `default.rules` and starts honouring it.
    pub fn add(&self, prefix: &[String]) -> Result<(), RulesError> {
        if prefix.is_empty() {
            return Err(RulesError::EmptyPrefix);
        }
        let path = self.directory.join(DEFAULT_RULES_FILE);
        let line = format!(
            "prefix_rule(pattern={}, decision=\"allow\")\n",
            serde_json::to_string(prefix).unwrap_or_default()
        );
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.directory)?;
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            file.write_all(line.as_bytes())?;
            file.sync_all()
        };
        write().map_err(|source| RulesError::Write { path: path.clone(), source })?;
        if let Ok(mut allowed) = self.allowed.write() {
            allowed.push(prefix.to_vec());
        }
        Ok(())
    }
}

/// Parses one rule line: `Some(Some(prefix))` for an allow rule, `Some(None)` for a rule with
/// another decision, `None` when it does not parse.
fn parse_rule(line: &str) -> Option<Option<Vec<String>>> {
    let body = line.strip_prefix("prefix_rule(")?.strip_suffix(')')?;
    let rest = body.trim_start().strip_prefix("pattern")?.trim_start().strip_prefix('=')?;
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Vec<String>>();
    let pattern = stream.next()?.ok()?;
    let rest = rest[stream.byte_offset()..].trim();
    let decision = rest.strip_prefix(',')?.trim().strip_prefix("decision")?.trim_start();
    let decision = decision.strip_prefix('=')?.trim();
    if pattern.is_empty() {
        return None;
    }
    match decision {
        "\"allow\"" => Some(Some(pattern)),
        "\"prompt\"" | "\"forbidden\"" => Some(None),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_through_the_file() {
        let home = tempfile::tempdir().unwrap();
        let rules = PrefixRules::load(home.path());
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(!rules.allows(&words(&["git", "push", "origin"])));
        rules.add(&words(&["git", "push"])).unwrap();
        assert!(rules.allows(&words(&["git", "push", "origin"])));
        let reloaded = PrefixRules::load(home.path());
        assert!(reloaded.allows(&words(&["git", "push"])));
        assert!(!reloaded.allows(&words(&["git"])));
        let text = std::fs::read_to_string(home.path().join("rules/default.rules")).unwrap();
        assert_eq!(text, "prefix_rule(pattern=[\"git\",\"push\"], decision=\"allow\")\n");
    }

    #[test]
    fn odd_lines_are_skipped() {
        assert_eq!(
            parse_rule("prefix_rule(pattern=[\"a\"], decision=\"allow\")"),
            Some(Some(vec!["a".into()]))
        );
        assert_eq!(parse_rule("prefix_rule(pattern=[\"a\"], decision=\"forbidden\")"), Some(None));
        assert_eq!(parse_rule("prefix_rule(pattern=[], decision=\"allow\")"), None);
        assert_eq!(parse_rule("rm -rf /"), None);
    }
}
