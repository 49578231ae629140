//! Configuration: `$CODEX_HOME/config.toml`, per-launch overrides (`-c key=value`,
//! `--enable/--disable FEATURE`), and atomic edits that keep comments and unknown keys.
//!
//! Loading is strict about the keys we know and tolerant of the rest: a malformed known key is
//! an error naming the file, line and key, and the server refuses to start rather than guess;
//! unknown keys are kept and shown by `config/read`. Edits (`config/value/write`,
//! `config/batchWrite`) go through `toml_edit`, so comments, ordering and unknown keys survive,
//! and are written to a temporary file in the same directory and renamed over the original.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::path::PathBuf;

use codex_model_client::ReasoningEffort;
use codex_model_client::ReasoningSummary;
use codex_model_client::Verbosity;
use serde::Deserialize;
use serde_json::Value as JsonValue;
use sha2::Digest as _;
use sha2::Sha256;

/// File name of the user config inside `$CODEX_HOME`.
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// Errors of loading or editing configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML, or a known key has the wrong shape.
    #[error("invalid config in {path}: {detail}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line, column, key and what was expected.
        detail: String,
    },
    /// A `-c key=value` override could not be applied.
    #[error("invalid override `-c {raw}`: {detail}")]
    Override {
        /// The override as given.
        raw: String,
        /// What was wrong.
        detail: String,
    },
    /// A key path in an edit is empty or malformed.
    #[error("invalid key path {key_path:?}: {detail}")]
    KeyPath {
        /// The key path as given.
        key_path: String,
        /// What was wrong.
        detail: String,
    },
    /// The file changed since the client read it.
    #[error(
        "config file {path} changed (now version {actual}, expected {expected}); read it again"
    )]
    VersionConflict {
        /// The file.
        path: PathBuf,
        /// The version the client expected.
        expected: String,
        /// The version on disk.
        actual: String,
    },
    /// Writing the config file failed; the original is unchanged.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// When the agent asks before running commands (the `approval_policy` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalPolicySetting {
    /// Ask for every command that is not known to be safe.
    Untrusted,
    /// Ask only when a command fails in the sandbox.
    OnFailure,
    /// Ask when the model requests escalation.
    #[default]
    OnRequest,
    /// Never ask.
    Never,
}

/// How commands are sandboxed (the `sandbox_mode` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxModeSetting {
    /// Read everywhere, write nowhere.
    #[default]
    ReadOnly,
    /// Write inside the workspace.
    WorkspaceWrite,
    /// No sandbox.
    DangerFullAccess,
}

/// Per-launch overrides given on the command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigOverrides {
    /// `-c key.path=value` pairs, in order; later ones win.
    pub values: Vec<(String, toml::Value)>,
    /// `--enable FEATURE`.
    pub enable: Vec<String>,
    /// `--disable FEATURE`.
    pub disable: Vec<String>,
}

impl ConfigOverrides {
    /// Parses one `-c key=value`: the value as TOML when it parses, else as a plain string.
    pub fn parse_value_override(raw: &str) -> Result<(String, toml::Value), ConfigError> {
        let error =
            |detail: &str| ConfigError::Override { raw: raw.to_owned(), detail: detail.to_owned() };
        let (key, value) = raw.split_once('=').ok_or_else(|| error("expected key=value"))?;
        let key = key.trim();
        split_key_path(key).map_err(|err| error(&err.to_string()))?;
        let value = value.trim();
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut table| table.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_owned()));
        Ok((key.to_owned(), parsed))
    }
}

/// The keys of `config.toml` the server reads; everything else is kept in [`Config::table`].
#[derive(Debug, Clone, Default, Deserialize)]
struct KnownKeys {
    model: Option<String>,
    model_provider: Option<String>,
    #[serde(default)]
    model_providers: BTreeMap<String, toml::Table>,
    approval_policy: Option<ApprovalPolicySetting>,
    sandbox_mode: Option<SandboxModeSetting>,
    #[serde(default)]
    features: BTreeMap<String, bool>,
    instructions: Option<String>,
    model_instructions_file: Option<PathBuf>,
    developer_instructions: Option<String>,
    project_doc_max_bytes: Option<usize>,
    #[serde(default)]
    project_doc_fallback_filenames: Vec<String>,
    project_root_markers: Option<Vec<String>>,
    model_reasoning_effort: Option<ReasoningEffort>,
    model_reasoning_summary: Option<ReasoningSummary>,
    model_verbosity: Option<Verbosity>,
    model_context_window: Option<u64>,
    model_auto_compact_token_limit: Option<u64>,
    tool_output_token_limit: Option<usize>,
    #[serde(default)]
    workspace: WorkspaceSettings,
}

/// `[workspace]`: who may reach the host filesystem through `fs/*` and `fuzzyFileSearch`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct WorkspaceSettings {
    /// `remote_fs_roots_only`: confine `fs/*` and `fuzzyFileSearch` requests of remote-control
    /// connections to the cwd and writable roots of the loaded threads (default `false`: remote
    /// clients reach the whole filesystem with the server's rights, as local ones always do).
    #[serde(default)]
    pub remote_fs_roots_only: bool,
}

/// What shapes the model's context and requests (the agent keys of `config.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSettings {
    /// `instructions`: replaces the built-in base instructions.
    pub instructions: Option<String>,
    /// `model_instructions_file`: a file whose text replaces the base instructions (relative
    /// paths are resolved against `$CODEX_HOME`); wins over `instructions`.
    pub model_instructions_file: Option<PathBuf>,
    /// `developer_instructions`: sent in the developer message of every thread.
    pub developer_instructions: Option<String>,
    /// `project_doc_max_bytes`: one budget for all AGENTS.md files of a turn (0 disables them).
    pub project_doc_max_bytes: usize,
    /// `project_doc_fallback_filenames`: names tried after `AGENTS.md` in each directory.
    pub project_doc_fallback_filenames: Vec<String>,
    /// `project_root_markers`: what marks the project root (default `[".git"]`).
    pub project_root_markers: Vec<String>,
    /// `model_reasoning_effort`.
    pub model_reasoning_effort: Option<ReasoningEffort>,
    /// `model_reasoning_summary`.
    pub model_reasoning_summary: Option<ReasoningSummary>,
    /// `model_verbosity` (`text.verbosity`, for models that support it).
    pub model_verbosity: Option<Verbosity>,
    /// `model_context_window`: overrides the catalog's window, in tokens.
    pub model_context_window: Option<u64>,
    /// `model_auto_compact_token_limit`: compact history above this many tokens.
    pub model_auto_compact_token_limit: Option<u64>,
    /// `tool_output_token_limit`: how much of one tool output the model reads (tokens, 4 bytes
    /// each; head and tail are kept).
    pub tool_output_token_limit: usize,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            instructions: None,
            model_instructions_file: None,
            developer_instructions: None,
            project_doc_max_bytes: crate::context::agents_md::DEFAULT_PROJECT_DOC_MAX_BYTES,
            project_doc_fallback_filenames: Vec::new(),
            project_root_markers: vec![".git".to_owned()],
            model_reasoning_effort: None,
            model_reasoning_summary: None,
            model_verbosity: None,
            model_context_window: None,
            model_auto_compact_token_limit: None,
            tool_output_token_limit: crate::context::DEFAULT_TOOL_OUTPUT_TOKENS,
        }
    }
}

impl AgentSettings {
    fn from_known(known: &KnownKeys, codex_home: &Path) -> Self {
        let defaults = Self::default();
        Self {
            instructions: known.instructions.clone(),
            model_instructions_file: known
                .model_instructions_file
                .as_ref()
                .map(|file| codex_home.join(file)),
            developer_instructions: known.developer_instructions.clone(),
            project_doc_max_bytes: known
                .project_doc_max_bytes
                .unwrap_or(defaults.project_doc_max_bytes),
            project_doc_fallback_filenames: known.project_doc_fallback_filenames.clone(),
            project_root_markers: known
                .project_root_markers
                .clone()
                .unwrap_or(defaults.project_root_markers),
            model_reasoning_effort: known.model_reasoning_effort,
            model_reasoning_summary: known.model_reasoning_summary,
            model_verbosity: known.model_verbosity,
            model_context_window: known.model_context_window,
            model_auto_compact_token_limit: known.model_auto_compact_token_limit,
            tool_output_token_limit: known
                .tool_output_token_limit
                .unwrap_or(defaults.tool_output_token_limit),
        }
    }
}

/// The effective configuration: `config.toml` with the launch overrides applied.
#[derive(Debug, Clone)]
pub struct Config {
    /// `$CODEX_HOME`.
    pub codex_home: PathBuf,
    /// The user config file (it may not exist).
    pub file: PathBuf,
    /// The model, when configured.
    pub model: Option<String>,
    /// The model provider id (default `openai`).
    pub model_provider: String,
    /// `[model_providers.<id>]` tables as written by the user.
    pub model_providers: BTreeMap<String, toml::Table>,
    /// The approval policy.
    pub approval_policy: ApprovalPolicySetting,
    /// The sandbox mode.
    pub sandbox_mode: SandboxModeSetting,
    /// `[features]`, after `--enable/--disable`.
    pub features: BTreeMap<String, bool>,
    /// The agent keys: instructions, AGENTS.md, reasoning, context window, tool output.
    pub agent: AgentSettings,
    /// `[workspace]`: filesystem access of remote clients.
    pub workspace: WorkspaceSettings,
    /// The whole effective table, unknown keys included, for `config/read`.
    pub table: toml::Table,
}

impl Config {
    /// Loads `$CODEX_HOME/config.toml` (absent means empty) and applies `overrides`.
    pub fn load(codex_home: &Path, overrides: &ConfigOverrides) -> Result<Self, ConfigError> {
        let file = codex_home.join(CONFIG_FILE_NAME);
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ConfigError::Read { path: file, source }),
        };
        let invalid = |detail: String| ConfigError::Invalid { path: file.clone(), detail };
        // First the file alone, so errors point at its lines and keys.
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|err| invalid(err.to_string()))?;
        let _: KnownKeys = toml::from_str(&text).map_err(|err| invalid(err.to_string()))?;
        for (key, value) in &overrides.values {
            let raw = format!("{key}={value}");
            set_in_table(&mut table, key, value.clone())
                .map_err(|detail| ConfigError::Override { raw, detail })?;
        }
        for (feature, on) in overrides
            .enable
            .iter()
            .map(|f| (f, true))
            .chain(overrides.disable.iter().map(|f| (f, false)))
        {
            set_in_table(&mut table, &format!("features.{feature}"), toml::Value::Boolean(on))
                .map_err(|detail| ConfigError::Override {
                    raw: format!("--enable/--disable {feature}"),
                    detail,
                })?;
        }
        let known: KnownKeys =
            toml::Value::Table(table.clone()).try_into().map_err(|err: toml::de::Error| {
                ConfigError::Override {
                    raw: "(command-line overrides)".to_owned(),
                    detail: err.to_string(),
                }
            })?;
        let agent = AgentSettings::from_known(&known, codex_home);
        Ok(Self {
            codex_home: codex_home.to_path_buf(),
            file,
            model: known.model,
            model_provider: known.model_provider.unwrap_or_else(|| "openai".to_owned()),
            model_providers: known.model_providers,
            approval_policy: known.approval_policy.unwrap_or_default(),
            sandbox_mode: known.sandbox_mode.unwrap_or_default(),
            agent,
            workspace: known.workspace,
            features: known.features,
            table,
        })
    }

    /// Whether the configured provider needs a ChatGPT login this server does not offer
    /// (`requires_openai_auth = true` in its `[model_providers.<id>]` table); providers that
    /// authenticate with an API key from `env_key`, or need no key, do not.
    pub fn provider_requires_login(&self) -> bool {
        self.model_providers
            .get(&self.model_provider)
            .and_then(|provider| provider.get("requires_openai_auth"))
            .and_then(toml::Value::as_bool)
            .unwrap_or(false)
    }

    /// Whether `[features].<name>` is on.
    pub fn feature_enabled(&self, name: &str) -> bool {
        self.features.get(name).copied().unwrap_or(false)
    }

    /// The effective configuration as JSON, for `config/read`.
    pub fn to_json(&self) -> JsonValue {
        serde_json::to_value(&self.table).unwrap_or(JsonValue::Null)
    }
}

fn split_key_path(key_path: &str) -> Result<Vec<String>, ConfigError> {
    let error = |detail: &str| ConfigError::KeyPath {
        key_path: key_path.to_owned(),
        detail: detail.to_owned(),
    };
    if key_path.trim().is_empty() {
        return Err(error("empty"));
    }
    let parts: Vec<String> = key_path.split('.').map(|part| part.trim().to_owned()).collect();
    if parts.iter().any(String::is_empty) {
        return Err(error("empty segment"));
    }
    Ok(parts)
}

fn set_in_table(table: &mut toml::Table, key_path: &str, value: toml::Value) -> Result<(), String> {
    let parts = split_key_path(key_path).map_err(|err| err.to_string())?;
    let Some((last, parents)) = parts.split_last() else {
        return Err("empty key".to_owned());
    };
    let mut current = table;
    for part in parents {
        let entry =
            current.entry(part.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(inner) => inner,
            _ => return Err(format!("`{part}` is not a table")),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

/// How an edit combines with what is already stored at its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMode {
    /// Replace the value at the key.
    Replace,
    /// Merge tables key by key; replace anything else.
    Upsert,
}

/// One edit of the user config: set `key_path` to `value` (`null` removes the key).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEdit {
    /// Dotted key path, e.g. `model_providers.local.base_url`.
    pub key_path: String,
    /// The new value.
    pub value: JsonValue,
    /// How to combine with the stored value.
    pub merge: MergeMode,
}

/// The version string of a config file's contents (`sha256:<hex>`; empty file when absent).
pub fn config_version(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// Reads the current version of the file at `path` (absent file: version of the empty string).
pub fn read_config_version(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(config_version(&text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(config_version("")),
        Err(source) => Err(ConfigError::Read { path: path.to_path_buf(), source }),
    }
}

/// Applies `edits` to the TOML file at `path` atomically and returns the new version.
///
/// Comments and keys the edits do not touch are kept. With `expected_version`, the write is
/// refused when the file changed since that version was read. The result must still load as a
/// valid config; otherwise nothing is written.
pub fn apply_config_edits(
    path: &Path,
    edits: &[ConfigEdit],
    expected_version: Option<&str>,
) -> Result<String, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(ConfigError::Read { path: path.to_path_buf(), source }),
    };
    let actual = config_version(&text);
    if let Some(expected) = expected_version {
        if expected != actual {
            return Err(ConfigError::VersionConflict {
                path: path.to_path_buf(),
                expected: expected.to_owned(),
                actual,
            });
        }
    }
    let invalid = |detail: String| ConfigError::Invalid { path: path.to_path_buf(), detail };
    let mut document: toml_edit::DocumentMut =
        text.parse().map_err(|err: toml_edit::TomlError| invalid(err.to_string()))?;
    for edit in edits {
        apply_edit(document.as_table_mut(), edit)?;
    }
    let new_text = document.to_string();
    let _: KnownKeys = toml::from_str(&new_text)
        .map_err(|err| invalid(format!("the edit would make the config invalid: {err}")))?;
    write_atomically(path, new_text.as_bytes())?;
    Ok(config_version(&new_text))
}

fn apply_edit(root: &mut toml_edit::Table, edit: &ConfigEdit) -> Result<(), ConfigError> {
    let parts = split_key_path(&edit.key_path)?;
    let key_error =
        |detail: String| ConfigError::KeyPath { key_path: edit.key_path.clone(), detail };
    let Some((last, parents)) = parts.split_last() else {
        return Err(key_error("empty".to_owned()));
    };
    let mut table = root;
    for part in parents {
        let entry = table.entry(part).or_insert_with(|| {
            let mut new_table = toml_edit::Table::new();
            new_table.set_implicit(true);
            toml_edit::Item::Table(new_table)
        });
        if let Some(inline) = entry.as_inline_table().cloned() {
            *entry = toml_edit::Item::Table(inline.into_table());
        }
        table = entry
            .as_table_mut()
            .ok_or_else(|| key_error(format!("`{part}` holds a value, not a table")))?;
    }
    match edit.merge {
        MergeMode::Replace => set_value(table, last, &edit.value),
        MergeMode::Upsert => upsert_value(table, last, &edit.value),
    }
    Ok(())
}

/// Sets `key` to `value` in `table`; `null` removes the key.
fn set_value(table: &mut toml_edit::Table, key: &str, value: &JsonValue) {
    if value.is_null() {
        table.remove(key);
        return;
    }
    let mut new_item = json_to_item(value);
    match table.get_mut(key) {
        // Assign in place so the key keeps its comments, and a value its trailing comment.
        Some(existing) => {
            if let (Some(old), Some(new)) = (existing.as_value(), new_item.as_value_mut()) {
                *new.decor_mut() = old.decor().clone();
            }
            *existing = new_item;
        }
        None => {
            table.insert(key, new_item);
        }
    }
}

/// Like [`set_value`], but an object merges key by key into a table already at `key`.
fn upsert_value(table: &mut toml_edit::Table, key: &str, value: &JsonValue) {
    let JsonValue::Object(fields) = value else {
        return set_value(table, key, value);
    };
    let Some(existing) = table.get_mut(key) else {
        return set_value(table, key, value);
    };
    if let Some(inline) = existing.as_inline_table().cloned() {
        *existing = toml_edit::Item::Table(inline.into_table());
    }
    match existing.as_table_mut() {
        Some(inner) => {
            for (field, field_value) in fields {
                upsert_value(inner, field, field_value);
            }
        }
        None => set_value(table, key, value),
    }
}

fn json_to_value(value: &JsonValue) -> toml_edit::Value {
    match value {
        JsonValue::Null => toml_edit::Value::from(""),
        JsonValue::Bool(b) => toml_edit::Value::from(*b),
        JsonValue::Number(n) => match n.as_i64() {
            Some(i) => toml_edit::Value::from(i),
            None => toml_edit::Value::from(n.as_f64().unwrap_or(0.0)),
        },
        JsonValue::String(s) => toml_edit::Value::from(s.as_str()),
        JsonValue::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items.iter().filter(|item| !item.is_null()) {
                array.push(json_to_value(item));
            }
            toml_edit::Value::Array(array)
        }
        JsonValue::Object(fields) => {
            let mut table = toml_edit::InlineTable::new();
            for (key, item) in fields.iter().filter(|(_, item)| !item.is_null()) {
                table.insert(key, json_to_value(item));
            }
            toml_edit::Value::InlineTable(table)
        }
    }
}

fn json_to_item(value: &JsonValue) -> toml_edit::Item {
    match value {
        JsonValue::Object(fields) => {
            let mut table = toml_edit::Table::new();
            for (key, item) in fields.iter().filter(|(_, item)| !item.is_null()) {
                table.insert(key, json_to_item(item));
            }
            toml_edit::Item::Table(table)
        }
        other => toml_edit::Item::Value(json_to_value(other)),
    }
}

/// Writes `bytes` to a temporary file next to `path`, syncs it, and renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ConfigError> {
    let write_error = |source| ConfigError::Write { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(write_error)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    temp.write_all(bytes).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        std::fs::set_permissions(temp.path(), metadata.permissions()).map_err(write_error)?;
    }
    temp.persist(path).map_err(|err| write_error(err.error))?;
    if let Ok(dir_handle) = std::fs::File::open(dir) {
        let _ = dir_handle.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn override_values_parse_as_toml_or_fall_back_to_strings() {
        let (key, value) = ConfigOverrides::parse_value_override("model=gpt-5").unwrap();
        assert_eq!((key.as_str(), value), ("model", toml::Value::String("gpt-5".into())));
        let (_, value) = ConfigOverrides::parse_value_override("x.retries=4").unwrap();
        assert_eq!(value, toml::Value::Integer(4));
        let (_, value) = ConfigOverrides::parse_value_override(r#"x.h={a="b"}"#).unwrap();
        assert!(value.is_table());
        assert!(ConfigOverrides::parse_value_override("no-equals").is_err());
        assert!(ConfigOverrides::parse_value_override(".bad=1").is_err());
    }

    #[test]
    fn malformed_known_key_names_file_line_and_key() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(CONFIG_FILE_NAME),
            "model = \"m\"\napproval_policy = \"sometimes\"\n",
        )
        .unwrap();
        let err = Config::load(home.path(), &ConfigOverrides::default()).unwrap_err().to_string();
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("approval_policy"), "{err}");
        assert!(err.contains("sometimes"), "{err}");
    }

    #[test]
    fn workspace_switch_is_read_and_checked() {
        let home = tempfile::tempdir().unwrap();
        let config = Config::load(home.path(), &ConfigOverrides::default()).unwrap();
        assert!(!config.workspace.remote_fs_roots_only);
        std::fs::write(
            home.path().join(CONFIG_FILE_NAME),
            "[workspace]\nremote_fs_roots_only = true\n",
        )
        .unwrap();
        let config = Config::load(home.path(), &ConfigOverrides::default()).unwrap();
        assert!(config.workspace.remote_fs_roots_only);
        std::fs::write(
            home.path().join(CONFIG_FILE_NAME),
            "[workspace]\nremote_fs_roots_only = \"yes\"\n",
        )
        .unwrap();
        let err = Config::load(home.path(), &ConfigOverrides::default()).unwrap_err().to_string();
        assert!(err.contains("remote_fs_roots_only"), "{err}");
    }

    #[test]
    fn overrides_and_features_apply_over_the_file() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(CONFIG_FILE_NAME),
            "model = \"from-file\"\nunknown_key = 1\n[features]\nalpha = true\n",
        )
        .unwrap();
        let overrides = ConfigOverrides {
            values: vec![ConfigOverrides::parse_value_override("model=from-cli").unwrap()],
            enable: vec!["beta".into()],
            disable: vec!["alpha".into()],
        };
        let config = Config::load(home.path(), &overrides).unwrap();
        assert_eq!(config.model.as_deref(), Some("from-cli"));
        assert!(config.feature_enabled("beta"));
        assert!(!config.feature_enabled("alpha"));
        assert_eq!(config.to_json()["unknown_key"], 1);
        let bad = ConfigOverrides {
            values: vec![ConfigOverrides::parse_value_override("sandbox_mode=everything").unwrap()],
            ..Default::default()
        };
        let err = Config::load(home.path(), &bad).unwrap_err().to_string();
        assert!(err.contains("everything"), "{err}");
    }

    #[test]
    fn edits_keep_comments_and_unknown_keys_and_check_versions() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(CONFIG_FILE_NAME);
        let original = "# my settings\nmodel = \"a\" # inline note\nmystery = [1, 2]\n\n[model_providers.local]\n# provider comment\nbase_url = \"http://x\"\n";
        std::fs::write(&path, original).unwrap();
        let version = read_config_version(&path).unwrap();
        let new_version = apply_config_edits(
            &path,
            &[
                ConfigEdit {
                    key_path: "model".into(),
                    value: json!("b"),
                    merge: MergeMode::Replace,
                },
                ConfigEdit {
                    key_path: "model_providers.local".into(),
                    value: json!({"wire_api": "chat"}),
                    merge: MergeMode::Upsert,
                },
                ConfigEdit {
                    key_path: "features.fast".into(),
                    value: json!(true),
                    merge: MergeMode::Replace,
                },
            ],
            Some(&version),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# my settings"), "{text}");
        assert!(text.contains("# provider comment"), "{text}");
        assert!(text.contains("mystery = [1, 2]"), "{text}");
        assert!(text.contains("model = \"b\""), "{text}");
        assert!(text.contains("wire_api = \"chat\""), "{text}");
        assert!(text.contains("base_url = \"http://x\""), "{text}");
        assert_eq!(new_version, config_version(&text));

        let conflict = apply_config_edits(
            &path,
            &[ConfigEdit {
                key_path: "model".into(),
                value: json!("c"),
                merge: MergeMode::Replace,
            }],
            Some(&version),
        )
        .unwrap_err();
        assert!(matches!(conflict, ConfigError::VersionConflict { .. }), "{conflict}");
        let invalid = apply_config_edits(
            &path,
            &[ConfigEdit {
                key_path: "approval_policy".into(),
                value: json!("sometimes"),
                merge: MergeMode::Replace,
            }],
            None,
        )
        .unwrap_err();
        assert!(matches!(invalid, ConfigError::Invalid { .. }), "{invalid}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "failed edits leave the file as it was"
        );
    }
}
