//! Configuration: `$CODEX_HOME/config.toml`, per-launch overrides (`-c key=value`,
//! `--enable/--disable FEATURE`, `--profile NAME`, `--ignore-user-config`), and atomic edits that
//! keep comments and unknown keys.
//!
//! Loading is strict about the keys we know and tolerant of the rest: a malformed known key is
//! an error naming the file, line and key ([`ConfigError::location`]); what the server does with
//! it (refuse to start, or serve with defaults and warn) is the caller's choice. Unknown keys are
//! kept and shown by `config/read`. A profile (`--profile NAME`) layers `[profiles.NAME]` of
//! config.toml, then `$CODEX_HOME/NAME.config.toml`, over the top level; `-c` overrides come last. Edits (`config/value/write`,
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
    /// The config file is not valid TOML (or not UTF-8), or a known key has the wrong shape.
    #[error("invalid config in {path}: {detail}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line, column, key and what was expected.
        detail: String,
        /// Where in the file, when known.
        location: Option<TextLocation>,
        /// The error alone, without the file excerpt of `detail`.
        message: String,
    },
    /// `--profile NAME` names no profile, or not a usable name.
    #[error("config profile `{name}`: {detail}")]
    Profile {
        /// The profile name as given.
        name: String,
        /// What was wrong.
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

/// A position in a config file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLocation {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl TextLocation {
    /// The position of byte `offset` in `text` (clamped to the text).
    pub fn at_byte(text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);
        Self {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl ConfigError {
    /// Whether the error is about a file under `$CODEX_HOME` (unreadable, not TOML, a known key
    /// malformed) rather than about the command line (`-c`, `--profile`).
    pub fn is_file_problem(&self) -> bool {
        matches!(self, ConfigError::Read { .. } | ConfigError::Invalid { .. })
    }

    /// The file the error is about, when it is about one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            ConfigError::Read { path, .. }
            | ConfigError::Invalid { path, .. }
            | ConfigError::VersionConflict { path, .. }
            | ConfigError::Write { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Where in the file, when known.
    pub fn location(&self) -> Option<TextLocation> {
        match self {
            ConfigError::Invalid { location, .. } => *location,
            _ => None,
        }
    }

    /// A one-line description: file, line and column when known, and the error alone.
    pub fn summary(&self) -> String {
        match self {
            ConfigError::Invalid { path, location: Some(at), message, .. } => {
                format!("{}:{}:{}: {message}", path.display(), at.line, at.column)
            }
            ConfigError::Invalid { path, message, .. } => format!("{}: {message}", path.display()),
            other => other.to_string(),
        }
    }
}

/// The error of parsing `text` (the contents of `path`) as TOML, with its location.
fn invalid_toml(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_path_buf(),
        detail: err.to_string(),
        location: err.span().map(|span| TextLocation::at_byte(text, span.start)),
        message: err.message().trim().to_owned(),
    }
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
    /// `--profile NAME`: layer `[profiles.NAME]` (and `$CODEX_HOME/NAME.config.toml`) over the
    /// top level.
    pub profile: Option<String>,
    /// `--ignore-user-config`: do not read `$CODEX_HOME/config.toml` (writes still go there).
    pub ignore_user_config: bool,
    /// `--ignore-rules`: do not load the prefix rules of `$CODEX_HOME/rules/*.rules`.
    pub ignore_rules: bool,
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
    web_search: Option<WebSearchSetting>,
    #[serde(default)]
    workspace: WorkspaceSettings,
    #[serde(default)]
    mcp_servers: BTreeMap<String, crate::mcp::config::RawMcpServer>,
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

/// Whether the model may search the web (the `web_search` key; Responses providers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum WebSearchSetting {
    /// No web search tool.
    Disabled,
    /// Search the provider's cached index only (no live web access).
    #[default]
    Cached,
    /// Live web access, with indexed results preferred.
    Indexed,
    /// Live web access.
    Live,
}

impl WebSearchSetting {
    /// The hosted tool spec to offer, or `None` when disabled.
    pub fn hosted_tool(self) -> Option<serde_json::Value> {
        match self {
            Self::Disabled => None,
            Self::Cached => {
                Some(serde_json::json!({"type": "web_search", "external_web_access": false}))
            }
            Self::Live => {
                Some(serde_json::json!({"type": "web_search", "external_web_access": true}))
            }
            Self::Indexed => Some(serde_json::json!({
                "type": "web_search", "external_web_access": true, "indexed_web_access": true
            })),
        }
    }
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
    /// `web_search`: the hosted web search tool (default `cached`).
    pub web_search: WebSearchSetting,
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
            web_search: WebSearchSetting::default(),
        }
    }
}

impl AgentSettings {
    /// How AGENTS.md files are found and budgeted under these settings.
    pub fn project_doc_options(&self) -> crate::context::ProjectDocOptions {
        crate::context::ProjectDocOptions {
            markers: self.project_root_markers.clone(),
            fallback_filenames: self.project_doc_fallback_filenames.clone(),
            max_bytes: self.project_doc_max_bytes,
        }
    }

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
            web_search: known.web_search.unwrap_or_default(),
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
    /// `[mcp_servers.NAME]`: the MCP servers, checked, by name.
    pub mcp_servers: BTreeMap<String, crate::mcp::config::McpServerSpec>,
    /// The whole effective table, unknown keys included, for `config/read`.
    pub table: toml::Table,
}

impl Config {
    /// Loads `$CODEX_HOME/config.toml` (absent means empty), layers the profile, and applies
    /// `overrides`.
    pub fn load(codex_home: &Path, overrides: &ConfigOverrides) -> Result<Self, ConfigError> {
        let file = codex_home.join(CONFIG_FILE_NAME);
        // Each file alone first, so errors point at its lines and keys.
        let mut table =
            if overrides.ignore_user_config { toml::Table::new() } else { read_layer(&file)? };
        if let Some(name) = &overrides.profile {
            apply_profile(&mut table, codex_home, &file, name)?;
        }
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
            mcp_servers: crate::mcp::config::mcp_servers(&known.mcp_servers),
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

/// `[profiles.NAME]` tables: each checked like the top level.
#[derive(Debug, Default, Deserialize)]
struct ProfileTables {
    // Only deserialised to check each profile's known keys (with their lines).
    #[allow(dead_code)]
    #[serde(default)]
    profiles: BTreeMap<String, KnownKeys>,
}

/// Reads one config file (absent means empty) and checks its known keys, the known keys of its
/// `[profiles.*]` included.
fn read_layer(file: &Path) -> Result<toml::Table, ConfigError> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(ConfigError::Read { path: file.to_path_buf(), source }),
    };
    let text = String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        let text = String::from_utf8_lossy(&bytes[..valid]);
        let location = TextLocation::at_byte(&text, valid);
        let message = format!("not UTF-8 text (invalid byte 0x{:02x})", bytes[valid]);
        ConfigError::Invalid {
            path: file.to_path_buf(),
            detail: format!("{message} at line {}, column {}", location.line, location.column),
            location: Some(location),
            message,
        }
    })?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|err| invalid_toml(file, &text, &err))?;
    let _: KnownKeys = toml::from_str(&text).map_err(|err| invalid_toml(file, &text, &err))?;
    let _: ProfileTables = toml::from_str(&text).map_err(|err| invalid_toml(file, &text, &err))?;
    Ok(table)
}

/// Layers profile `name` over `table`: `[profiles.NAME]` of the user file, then
/// `$CODEX_HOME/NAME.config.toml`. At least one must exist.
fn apply_profile(
    table: &mut toml::Table,
    codex_home: &Path,
    file: &Path,
    name: &str,
) -> Result<(), ConfigError> {
    let error = |detail: String| ConfigError::Profile { name: name.to_owned(), detail };
    let usable =
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    if !usable {
        return Err(error("not a usable profile name".to_owned()));
    }
    let in_file = match table.get("profiles").and_then(|profiles| profiles.get(name)) {
        Some(toml::Value::Table(profile)) => Some(profile.clone()),
        _ => None,
    };
    let profile_file = codex_home.join(format!("{name}.config.toml"));
    let from_file = if profile_file.is_file() { Some(read_layer(&profile_file)?) } else { None };
    if in_file.is_none() && from_file.is_none() {
        return Err(error(format!(
            "not found: no [profiles.{name}] in {} and no {}",
            file.display(),
            profile_file.display()
        )));
    }
    for layer in in_file.into_iter().chain(from_file) {
        merge_tables(table, layer);
    }
    Ok(())
}

/// Merges `layer` into `base`: tables key by key, anything else replaced.
fn merge_tables(base: &mut toml::Table, layer: toml::Table) {
    for (key, value) in layer {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(layer_inner)) => {
                merge_tables(inner, layer_inner);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
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
    let mut document: toml_edit::DocumentMut =
        text.parse().map_err(|err: toml_edit::TomlError| ConfigError::Invalid {
            path: path.to_path_buf(),
            detail: err.to_string(),
            location: err.span().map(|span| TextLocation::at_byte(&text, span.start)),
            message: err.message().trim().to_owned(),
        })?;
    for edit in edits {
        apply_edit(document.as_table_mut(), edit)?;
    }
    let new_text = document.to_string();
    let _: KnownKeys = toml::from_str(&new_text).map_err(|err| ConfigError::Invalid {
        path: path.to_path_buf(),
        detail: format!("the edit would make the config invalid: {err}"),
        location: None,
        message: format!("the edit would make the config invalid: {}", err.message().trim()),
    })?;
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
    fn syntax_errors_and_bytes_that_are_not_utf8_have_a_location() {
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join(CONFIG_FILE_NAME);
        std::fs::write(&file, "model = \"m\"\n\n  broken = = 1\n").unwrap();
        let err = Config::load(home.path(), &ConfigOverrides::default()).unwrap_err();
        assert!(err.is_file_problem());
        assert_eq!(err.location().map(|at| at.line), Some(3), "{err}");
        assert!(err.summary().starts_with(&format!("{}:3:", file.display())), "{}", err.summary());
        std::fs::write(&file, b"model = \"m\"\nx = \"\xff\xfe\"\n").unwrap();
        let err = Config::load(home.path(), &ConfigOverrides::default()).unwrap_err();
        assert_eq!(err.location(), Some(TextLocation { line: 2, column: 6 }), "{err}");
        assert!(err.to_string().contains("not UTF-8"), "{err}");
        // Command-line problems are not file problems.
        let overrides = ConfigOverrides { profile: Some("nope".into()), ..Default::default() };
        std::fs::write(&file, "").unwrap();
        let err = Config::load(home.path(), &overrides).unwrap_err();
        assert!(!err.is_file_problem(), "{err}");
    }

    #[test]
    fn a_profile_layers_its_table_then_its_file_over_the_top_level() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(CONFIG_FILE_NAME),
            "model = \"top\"\nsandbox_mode = \"read-only\"\n[model_providers.p]\nbase_url = \"a\"\n\
             [profiles.work]\nmodel = \"work\"\n[profiles.work.model_providers.p]\nwire_api = \"chat\"\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join("work.config.toml"),
            "sandbox_mode = \"workspace-write\"\n",
        )
        .unwrap();
        let profile = |name: &str| ConfigOverrides {
            profile: Some(name.to_owned()),
            ..ConfigOverrides::default()
        };
        let config = Config::load(home.path(), &profile("work")).unwrap();
        assert_eq!(config.model.as_deref(), Some("work"));
        assert_eq!(config.sandbox_mode, SandboxModeSetting::WorkspaceWrite);
        let provider = &config.model_providers["p"];
        assert_eq!(provider["base_url"].as_str(), Some("a"), "tables merge key by key");
        assert_eq!(provider["wire_api"].as_str(), Some("chat"));
        // `-c` still wins over the profile.
        let mut overrides = profile("work");
        overrides.values.push(ConfigOverrides::parse_value_override("model=cli").unwrap());
        assert_eq!(Config::load(home.path(), &overrides).unwrap().model.as_deref(), Some("cli"));
        for bad in ["missing", "../work", ""] {
            let err = Config::load(home.path(), &profile(bad)).unwrap_err();
            assert!(matches!(err, ConfigError::Profile { .. }), "{bad}: {err}");
        }
        // A malformed known key inside a profile is found with its line.
        std::fs::write(
            home.path().join(CONFIG_FILE_NAME),
            "[profiles.work]\napproval_policy = \"sometimes\"\n",
        )
        .unwrap();
        let err = Config::load(home.path(), &ConfigOverrides::default()).unwrap_err();
        assert_eq!(err.location().map(|at| at.line), Some(2), "{err}");
    }

    #[test]
    fn ignore_user_config_reads_nothing_from_the_file() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(CONFIG_FILE_NAME), "model = \"file\"\nthis is not toml")
            .unwrap();
        let overrides = ConfigOverrides { ignore_user_config: true, ..ConfigOverrides::default() };
        let config = Config::load(home.path(), &overrides).unwrap();
        assert_eq!(config.model, None);
        assert_eq!(config.file, home.path().join(CONFIG_FILE_NAME), "writes still go there");
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
            ..ConfigOverrides::default()
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
