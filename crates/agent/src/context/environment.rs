//! The `<environment_context>` item of the contextual user message: where the agent runs (cwd,
//! shell), the local date and timezone, and what the sandbox allows (network, filesystem). It
//! derives equality so the engine can re-send it only when something changed.

use std::path::Path;

use codex_app_server_protocol::v2::SandboxPolicy;
use jiff::Zoned;

use super::permissions::network_enabled;

/// Opening tag of the environment context.
pub const ENVIRONMENT_CONTEXT_OPEN_TAG: &str = "<environment_context>";
/// Closing tag of the environment context.
pub const ENVIRONMENT_CONTEXT_CLOSE_TAG: &str = "</environment_context>";
/// Shell name reported when `$SHELL` is unset or empty.
pub const DEFAULT_SHELL: &str = "bash";

/// Whether commands may use the network.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NetworkMode {
    /// The network is reachable.
    Enabled,
    /// The network is blocked by the sandbox.
    Restricted,
}

/// What the sandbox lets commands do to the filesystem.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FilesystemMode {
    /// Reads only.
    ReadOnly,
    /// Writes inside the cwd and the listed extra roots.
    WorkspaceWrite {
        /// Extra writable roots beyond the cwd, as displayed paths.
        writable_roots: Vec<String>,
    },
    /// No sandbox.
    DangerFullAccess,
    /// A sandbox managed outside the agent.
    External,
}

/// The environment facts shown to the model.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EnvironmentContext {
    /// Working directory of the turn.
    pub cwd: String,
    /// Shell name, e.g. `bash` or `zsh`.
    pub shell: String,
    /// Local date as `YYYY-MM-DD`.
    pub current_date: String,
    /// IANA timezone name, e.g. `Europe/Paris`.
    pub timezone: String,
    /// Network access under the sandbox.
    pub network: NetworkMode,
    /// Filesystem access under the sandbox.
    pub filesystem: FilesystemMode,
}

impl EnvironmentContext {
    /// Builds the context from the process environment (`$SHELL`) and the system clock.
    pub fn new(cwd: &Path, sandbox: &SandboxPolicy) -> Self {
        let shell_env = std::env::var("SHELL").ok();
        Self::with_clock(cwd, sandbox, shell_env.as_deref(), &Zoned::now())
    }

    /// Builds the context from explicit inputs: the `$SHELL` value and the current zoned time.
    pub fn with_clock(
        cwd: &Path,
        sandbox: &SandboxPolicy,
        shell_env: Option<&str>,
        now: &Zoned,
    ) -> Self {
        Self {
            cwd: cwd.display().to_string(),
            shell: shell_name(shell_env),
            current_date: now.date().to_string(),
            timezone: now.time_zone().iana_name().unwrap_or("UTC").to_string(),
            network: network_mode(sandbox),
            filesystem: filesystem_mode(sandbox),
        }
    }

    /// Renders the `<environment_context>` block with XML-escaped values.
    pub fn render(&self) -> String {
        let fields = [
            ("cwd", self.cwd.clone()),
            ("shell", self.shell.clone()),
            ("current_date", self.current_date.clone()),
            ("timezone", self.timezone.clone()),
            ("network", self.network.as_str().to_string()),
            ("filesystem", self.filesystem.describe()),
        ];
        let mut out = String::from(ENVIRONMENT_CONTEXT_OPEN_TAG);
        for (tag, value) in fields {
            out.push_str(&format!("\n  <{tag}>{}</{tag}>", xml_escape(&value)));
        }
        out.push('\n');
        out.push_str(ENVIRONMENT_CONTEXT_CLOSE_TAG);
        out
    }
}

impl NetworkMode {
    /// The wire word: `enabled` or `restricted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Restricted => "restricted",
        }
    }
}

impl FilesystemMode {
    /// The mode name, followed by extra writable roots for `workspace-write`.
    pub fn describe(&self) -> String {
        match self {
            Self::ReadOnly => "read-only".to_string(),
            Self::DangerFullAccess => "danger-full-access".to_string(),
            Self::External => "external".to_string(),
            Self::WorkspaceWrite { writable_roots } if writable_roots.is_empty() => {
                "workspace-write".to_string()
            }
            Self::WorkspaceWrite { writable_roots } => {
                format!("workspace-write; extra writable roots: {}", writable_roots.join(", "))
            }
        }
    }
}

/// The basename of `$SHELL`, or [`DEFAULT_SHELL`].
fn shell_name(shell_env: Option<&str>) -> String {
    shell_env
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .and_then(|value| Path::new(value).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| DEFAULT_SHELL.to_string())
}

fn network_mode(sandbox: &SandboxPolicy) -> NetworkMode {
    if network_enabled(sandbox) {
        NetworkMode::Enabled
    } else {
        NetworkMode::Restricted
    }
}

fn filesystem_mode(sandbox: &SandboxPolicy) -> FilesystemMode {
    match sandbox {
        SandboxPolicy::DangerFullAccess {} => FilesystemMode::DangerFullAccess,
        SandboxPolicy::ReadOnly { .. } => FilesystemMode::ReadOnly,
        SandboxPolicy::ExternalSandbox { .. } => FilesystemMode::External,
        SandboxPolicy::WorkspaceWrite { writable_roots, .. } => FilesystemMode::WorkspaceWrite {
            writable_roots: writable_roots
                .iter()
                .map(|root| root.as_path().display().to_string())
                .collect(),
        },
    }
}

/// Escapes the five XML special characters.
fn xml_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_app_server_protocol::AbsolutePath;

    fn paris_noon() -> Zoned {
        "2025-03-09T12:00:00[Europe/Paris]".parse().unwrap()
    }

    fn workspace_write(network: Option<bool>) -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            exclude_slash_tmp: None,
            exclude_tmpdir_env_var: None,
            network_access: network,
            writable_roots: vec![AbsolutePath::new("/data").unwrap()],
        }
    }

    #[test]
    fn renders_every_field_in_order() {
        let ctx = EnvironmentContext::with_clock(
            Path::new("/home/me/repo"),
            &SandboxPolicy::ReadOnly { network_access: None },
            Some("/usr/bin/zsh"),
            &paris_noon(),
        );
        assert_eq!(
            ctx.render(),
            "<environment_context>\n  <cwd>/home/me/repo</cwd>\n  <shell>zsh</shell>\n  <current_date>2025-03-09</current_date>\n  <timezone>Europe/Paris</timezone>\n  <network>restricted</network>\n  <filesystem>read-only</filesystem>\n</environment_context>"
        );
    }

    #[test]
    fn workspace_write_lists_extra_roots_and_network() {
        let ctx = EnvironmentContext::with_clock(
            Path::new("/w"),
            &workspace_write(Some(true)),
            None,
            &paris_noon(),
        );
        let text = ctx.render();
        assert!(text.contains("\n  <network>enabled</network>\n"), "{text}");
        assert!(
            text.contains(
                "\n  <filesystem>workspace-write; extra writable roots: /data</filesystem>\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn other_sandbox_modes_have_their_names() {
        let full = EnvironmentContext::with_clock(
            Path::new("/w"),
            &SandboxPolicy::DangerFullAccess {},
            None,
            &paris_noon(),
        );
        assert_eq!(full.filesystem.describe(), "danger-full-access");
        assert_eq!(full.network, NetworkMode::Enabled);
        let external = EnvironmentContext::with_clock(
            Path::new("/w"),
            &SandboxPolicy::ExternalSandbox { network_access: None },
            None,
            &paris_noon(),
        );
        assert_eq!(external.filesystem.describe(), "external");
        assert_eq!(external.network, NetworkMode::Restricted);
    }

    #[test]
    fn shell_defaults_to_bash() {
        assert_eq!(shell_name(None), "bash");
        assert_eq!(shell_name(Some("")), "bash");
        assert_eq!(shell_name(Some("/bin/fish")), "fish");
        assert_eq!(shell_name(Some("zsh")), "zsh");
    }

    #[test]
    fn local_date_uses_the_zone() {
        let late: Zoned = "2025-12-31T23:30:00[America/New_York]".parse().unwrap();
        let ctx = EnvironmentContext::with_clock(
            Path::new("/w"),
            &SandboxPolicy::DangerFullAccess {},
            None,
            &late,
        );
        assert_eq!(ctx.current_date, "2025-12-31");
        assert_eq!(ctx.timezone, "America/New_York");
    }

    #[test]
    fn zone_without_iana_name_falls_back_to_utc() {
        let fixed =
            jiff::Timestamp::UNIX_EPOCH.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)));
        let ctx = EnvironmentContext::with_clock(
            Path::new("/w"),
            &SandboxPolicy::DangerFullAccess {},
            None,
            &fixed,
        );
        assert_eq!(ctx.timezone, "UTC");
        assert_eq!(ctx.current_date, "1970-01-01");
    }

    #[test]
    fn values_are_xml_escaped() {
        let ctx = EnvironmentContext::with_clock(
            Path::new("/tmp/a<b>&\"c'"),
            &SandboxPolicy::DangerFullAccess {},
            None,
            &paris_noon(),
        );
        assert!(ctx.render().contains("<cwd>/tmp/a&lt;b&gt;&amp;&quot;c&apos;</cwd>"));
    }

    #[test]
    fn equality_detects_changes() {
        let sandbox = workspace_write(None);
        let a = EnvironmentContext::with_clock(Path::new("/w"), &sandbox, None, &paris_noon());
        let b = EnvironmentContext::with_clock(Path::new("/w"), &sandbox, None, &paris_noon());
        assert_eq!(a, b);
        let moved = EnvironmentContext::with_clock(Path::new("/x"), &sandbox, None, &paris_noon());
        assert_ne!(a, moved);
        let online = EnvironmentContext::with_clock(
            Path::new("/w"),
            &workspace_write(Some(true)),
            None,
            &paris_noon(),
        );
        assert_ne!(a, online);
    }

    #[test]
    fn new_reads_the_real_clock() {
        let ctx = EnvironmentContext::new(Path::new("/w"), &SandboxPolicy::DangerFullAccess {});
        assert_eq!(ctx.current_date.len(), 10);
        assert!(!ctx.timezone.is_empty());
        assert!(!ctx.shell.is_empty());
    }
}
