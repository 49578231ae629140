//! `[mcp_servers.NAME]` in config.toml: the raw keys (type-checked with the rest of the known
//! keys, so a wrong type names its line), and each server's checked settings.
//!
//! A server whose keys are well typed but do not make sense together (both `command` and `url`,
//! neither, a literal `bearer_token`) is not a config error for the whole file: it is kept as
//! [`McpServerSpec::Invalid`] and reported as a failed server, so the other servers and the rest
//! of the config keep working.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Default time for a server to start: spawn or connect, `initialize`, first `tools/list`.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time one tool call may take.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(300);

/// One `env_vars` entry: a name, or `{name, source}` (only local variables exist here).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RawEnvVar {
    /// `"NAME"`.
    Name(String),
    /// `{name = "NAME", source = "local"}`.
    Detailed {
        /// The variable.
        name: String,
        /// Where it comes from (`local`; `remote` is treated as local).
        #[serde(default)]
        source: Option<String>,
    },
}

impl RawEnvVar {
    fn name(&self) -> &str {
        match self {
            RawEnvVar::Name(name) | RawEnvVar::Detailed { name, .. } => name,
        }
    }
}

/// `tools.<tool>` of a server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RawToolSettings {
    /// `approval_mode`.
    pub approval_mode: Option<ApprovalMode>,
}

/// `[mcp_servers.NAME]` as written (every key optional; checked by [`McpServerSpec::from_raw`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RawMcpServer {
    command: Option<String>,
    args: Option<Vec<String>>,
    env: Option<BTreeMap<String, String>>,
    env_vars: Option<Vec<RawEnvVar>>,
    cwd: Option<PathBuf>,
    url: Option<String>,
    bearer_token_env_var: Option<String>,
    bearer_token: Option<String>,
    http_headers: Option<BTreeMap<String, String>>,
    env_http_headers: Option<BTreeMap<String, String>>,
    enabled: Option<bool>,
    required: Option<bool>,
    startup_timeout_sec: Option<f64>,
    startup_timeout_ms: Option<u64>,
    tool_timeout_sec: Option<f64>,
    enabled_tools: Option<Vec<String>>,
    disabled_tools: Option<Vec<String>>,
    default_tools_approval_mode: Option<ApprovalMode>,
    #[serde(default)]
    tools: BTreeMap<String, RawToolSettings>,
}

/// When a tool call asks the user first (`approval_mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalMode {
    /// From the tool's annotations: read-only tools run, destructive or open-world tools ask.
    #[default]
    Auto,
    /// Always ask.
    Prompt,
    /// Ask unless the tool is annotated read-only.
    Writes,
    /// Never ask.
    Approve,
}

/// How a server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpTransport {
    /// A child process speaking MCP over stdin/stdout.
    Stdio {
        /// The program (looked up in `PATH`).
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Variables set for it (on top of the minimal environment).
        env: BTreeMap<String, String>,
        /// Variables copied from the app-server's environment, when set.
        env_vars: Vec<String>,
        /// Its working directory (default: the app-server's).
        cwd: Option<PathBuf>,
    },
    /// A streamable-HTTP endpoint.
    StreamableHttp {
        /// The endpoint.
        url: String,
        /// Environment variable holding a bearer token.
        bearer_token_env_var: Option<String>,
        /// Headers sent as written.
        http_headers: BTreeMap<String, String>,
        /// Headers whose values come from environment variables (header → variable).
        env_http_headers: BTreeMap<String, String>,
    },
}

/// A server's checked settings.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServerConfig {
    /// How it is reached.
    pub transport: McpTransport,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `required` (accepted and shown; a required server that fails is logged as an error).
    pub required: bool,
    /// `startup_timeout_sec` / `startup_timeout_ms` (default 30 s).
    pub startup_timeout: Duration,
    /// `tool_timeout_sec` (default 300 s).
    pub tool_timeout: Duration,
    /// `enabled_tools`: only these raw tool names are offered (all when absent).
    pub enabled_tools: Option<Vec<String>>,
    /// `disabled_tools`: these raw tool names are never offered.
    pub disabled_tools: Vec<String>,
    /// `default_tools_approval_mode` (default `auto`).
    pub default_approval: ApprovalMode,
    /// `tools.<tool>.approval_mode`.
    pub tool_approvals: BTreeMap<String, ApprovalMode>,
}

impl McpServerConfig {
    /// Whether raw tool `name` is offered (allow-list first, then deny-list).
    pub fn tool_enabled(&self, name: &str) -> bool {
        let allowed =
            self.enabled_tools.as_ref().is_none_or(|list| list.iter().any(|tool| tool == name));
        allowed && !self.disabled_tools.iter().any(|tool| tool == name)
    }

    /// The approval mode of raw tool `name`.
    pub fn approval_mode(&self, name: &str) -> ApprovalMode {
        self.tool_approvals.get(name).copied().unwrap_or(self.default_approval)
    }
}

/// One `[mcp_servers.NAME]` entry.
#[derive(Debug, Clone, PartialEq)]
pub enum McpServerSpec {
    /// Usable settings.
    Valid(Box<McpServerConfig>),
    /// Settings that cannot work, and why (reported as a failed server).
    Invalid(String),
}

fn seconds(value: f64, key: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|_| format!("`{key}` must be a positive number"))
}

impl McpServerSpec {
    /// Checks the raw settings of server `name`.
    pub fn from_raw(name: &str, raw: &RawMcpServer) -> Self {
        match Self::check(name, raw) {
            Ok(config) => McpServerSpec::Valid(Box::new(config)),
            Err(message) => McpServerSpec::Invalid(format!("[mcp_servers.{name}]: {message}")),
        }
    }

    fn check(name: &str, raw: &RawMcpServer) -> Result<McpServerConfig, String> {
        if name.is_empty() {
            return Err("the server name is empty".to_owned());
        }
        if raw.bearer_token.is_some() {
            return Err("`bearer_token` is not supported: put the token in an environment \
                        variable and name it in `bearer_token_env_var`"
                .to_owned());
        }
        let stdio_keys = [
            ("args", raw.args.is_some()),
            ("env", raw.env.is_some()),
            ("env_vars", raw.env_vars.is_some()),
            ("cwd", raw.cwd.is_some()),
        ];
        let http_keys = [
            ("bearer_token_env_var", raw.bearer_token_env_var.is_some()),
            ("http_headers", raw.http_headers.is_some()),
            ("env_http_headers", raw.env_http_headers.is_some()),
        ];
        let transport = match (&raw.command, &raw.url) {
            (Some(_), Some(_)) => {
                return Err(
                    "set either `command` (stdio) or `url` (streamable HTTP), not both".to_owned()
                )
            }
            (None, None) => {
                return Err("invalid transport: set `command` (a stdio server) or `url` (a \
                            streamable HTTP server)"
                    .to_owned())
            }
            (Some(command), None) => {
                if let Some((key, _)) = http_keys.iter().find(|(_, set)| *set) {
                    return Err(format!("`{key}` is not supported for stdio servers"));
                }
                if command.trim().is_empty() {
                    return Err("`command` is empty".to_owned());
                }
                McpTransport::Stdio {
                    command: command.clone(),
                    args: raw.args.clone().unwrap_or_default(),
                    env: raw.env.clone().unwrap_or_default(),
                    env_vars: raw
                        .env_vars
                        .iter()
                        .flatten()
                        .map(|var| var.name().to_owned())
                        .collect(),
                    cwd: raw.cwd.clone(),
                }
            }
            (None, Some(url)) => {
                if let Some((key, _)) = stdio_keys.iter().find(|(_, set)| *set) {
                    return Err(format!("`{key}` is not supported for streamable_http servers"));
                }
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!("`url` must be an http:// or https:// URL, not {url:?}"));
                }
                McpTransport::StreamableHttp {
                    url: url.clone(),
                    bearer_token_env_var: raw.bearer_token_env_var.clone(),
                    http_headers: raw.http_headers.clone().unwrap_or_default(),
                    env_http_headers: raw.env_http_headers.clone().unwrap_or_default(),
                }
            }
        };
        let startup_timeout = match (raw.startup_timeout_sec, raw.startup_timeout_ms) {
            (Some(secs), _) => seconds(secs, "startup_timeout_sec")?,
            (None, Some(ms)) => Duration::from_millis(ms),
            (None, None) => DEFAULT_STARTUP_TIMEOUT,
        };
        let tool_timeout = match raw.tool_timeout_sec {
            Some(secs) => seconds(secs, "tool_timeout_sec")?,
            None => DEFAULT_TOOL_TIMEOUT,
        };
        Ok(McpServerConfig {
            transport,
            enabled: raw.enabled.unwrap_or(true),
            required: raw.required.unwrap_or(false),
            startup_timeout,
            tool_timeout,
            enabled_tools: raw.enabled_tools.clone(),
            disabled_tools: raw.disabled_tools.clone().unwrap_or_default(),
            default_approval: raw.default_tools_approval_mode.unwrap_or_default(),
            tool_approvals: raw
                .tools
                .iter()
                .filter_map(|(tool, settings)| Some((tool.clone(), settings.approval_mode?)))
                .collect(),
        })
    }
}

/// Every configured server by name, checked.
pub fn mcp_servers(raw: &BTreeMap<String, RawMcpServer>) -> BTreeMap<String, McpServerSpec> {
    raw.iter().map(|(name, raw)| (name.clone(), McpServerSpec::from_raw(name, raw))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> BTreeMap<String, McpServerSpec> {
        #[derive(Deserialize)]
        struct Root {
            mcp_servers: BTreeMap<String, RawMcpServer>,
        }
        let root: Root = toml::from_str(text).unwrap_or_else(|err| panic!("{err}"));
        mcp_servers(&root.mcp_servers)
    }

    fn invalid(spec: &McpServerSpec) -> &str {
        match spec {
            McpServerSpec::Invalid(message) => message,
            McpServerSpec::Valid(config) => panic!("expected an invalid server: {config:?}"),
        }
    }

    #[test]
    fn stdio_and_http_servers_are_read_with_defaults() {
        let servers = parse(
            r#"
            [mcp_servers.docs]
            command = "docs-server"
            args = ["--stdio"]
            env = { A = "1" }
            env_vars = ["TOKEN", { name = "OTHER", source = "local" }]
            startup_timeout_ms = 2500
            disabled_tools = ["drop"]
            [mcp_servers.docs.tools.search]
            approval_mode = "approve"

            [mcp_servers.web]
            url = "https://mcp.example.com/mcp"
            bearer_token_env_var = "WEB_TOKEN"
            http_headers = { "X-Team" = "core" }
            tool_timeout_sec = 1.5
            enabled_tools = ["fetch"]
            default_tools_approval_mode = "prompt"
            "#,
        );
        let McpServerSpec::Valid(docs) = &servers["docs"] else { panic!("{servers:?}") };
        assert_eq!(
            docs.transport,
            McpTransport::Stdio {
                command: "docs-server".into(),
                args: vec!["--stdio".into()],
                env: BTreeMap::from([("A".into(), "1".into())]),
                env_vars: vec!["TOKEN".into(), "OTHER".into()],
                cwd: None,
            }
        );
        assert_eq!(docs.startup_timeout, Duration::from_millis(2500));
        assert_eq!(docs.tool_timeout, DEFAULT_TOOL_TIMEOUT);
        assert!(docs.enabled && docs.tool_enabled("search") && !docs.tool_enabled("drop"));
        assert_eq!(docs.approval_mode("search"), ApprovalMode::Approve);
        assert_eq!(docs.approval_mode("other"), ApprovalMode::Auto);
        let McpServerSpec::Valid(web) = &servers["web"] else { panic!("{servers:?}") };
        assert_eq!(web.startup_timeout, DEFAULT_STARTUP_TIMEOUT);
        assert_eq!(web.tool_timeout, Duration::from_millis(1500));
        assert!(web.tool_enabled("fetch") && !web.tool_enabled("other"));
        assert_eq!(web.approval_mode("fetch"), ApprovalMode::Prompt);
    }

    #[test]
    fn impossible_servers_are_invalid_with_a_reason() {
        let servers = parse(
            r#"
            [mcp_servers.both]
            command = "x"
            url = "http://localhost/mcp"
            [mcp_servers.neither]
            args = ["x"]
            [mcp_servers.mixed]
            command = "x"
            http_headers = { A = "b" }
            [mcp_servers.mixed_http]
            url = "http://localhost/mcp"
            cwd = "/tmp"
            [mcp_servers.literal]
            url = "http://localhost/mcp"
            bearer_token = "secret"
            "#,
        );
        assert!(invalid(&servers["both"]).contains("not both"));
        assert!(invalid(&servers["neither"]).contains("invalid transport"));
        assert!(invalid(&servers["mixed"]).contains("`http_headers` is not supported for stdio"));
        assert!(invalid(&servers["mixed_http"]).contains("`cwd` is not supported"));
        let literal = invalid(&servers["literal"]);
        assert!(literal.starts_with("[mcp_servers.literal]"), "{literal}");
        assert!(literal.contains("bearer_token_env_var"), "{literal}");
    }
}
