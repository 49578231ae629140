//! [`ExecRequest`]: what to run, where, with which environment and limits.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use codex_sandbox::SandboxPolicy;

/// A command to run: argv, working directory, full environment, sandbox policy and limits.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// Program and arguments; must not be empty.
    pub argv: Vec<OsString>,
    /// Working directory of the command.
    pub cwd: PathBuf,
    /// The directory the sandbox policy's workspace is rooted at (writable under
    /// `workspaceWrite`); `None` means `cwd`. Set it whenever `cwd` comes from a less trusted
    /// source than the policy, so the working directory never becomes writable by itself.
    pub policy_cwd: Option<PathBuf>,
    /// The complete environment of the command (nothing is inherited); see [`env_with_overrides`].
    pub env: Vec<(OsString, OsString)>,
    /// The sandbox the command runs in.
    pub policy: SandboxPolicy,
    /// Kill the command's process group after this long.
    pub timeout: Option<Duration>,
    /// Maximum bytes delivered per output stream; the rest is read and discarded.
    pub output_cap: Option<usize>,
    /// Run on a pseudo-terminal of this size instead of pipes.
    pub tty: Option<TerminalSize>,
}

/// Rows and columns of a pseudo-terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalSize {
    /// Number of rows.
    pub rows: u16,
    /// Number of columns.
    pub cols: u16,
}

impl ExecRequest {
    /// A request running `argv` in `cwd` under `policy` with the server's own environment, no
    /// timeout, no cap and pipes for stdio.
    pub fn new<A: Into<OsString>>(
        argv: impl IntoIterator<Item = A>,
        cwd: impl Into<PathBuf>,
        policy: SandboxPolicy,
    ) -> Self {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            cwd: cwd.into(),
            policy_cwd: None,
            env: std::env::vars_os().collect(),
            policy,
            timeout: None,
            output_cap: None,
            tty: None,
        }
    }
}

/// The server's environment with `overrides` applied: `Some(value)` sets a variable, `None`
/// (a JSON `null`) removes it.
pub fn env_with_overrides<K, V>(
    overrides: impl IntoIterator<Item = (K, Option<V>)>,
) -> Vec<(OsString, OsString)>
where
    K: Into<OsString>,
    V: Into<OsString>,
{
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for (key, value) in overrides {
        let key = key.into();
        env.retain(|(existing, _)| *existing != key);
        if let Some(value) = value {
            env.push((key, value.into()));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_set_replace_and_unset() {
        let path = std::env::var_os("PATH").unwrap();
        let env = env_with_overrides([
            ("CODEX_EXEC_TEST_NEW", Some("1")),
            ("PATH", Some("/bin")),
            ("HOME", None::<&str>),
        ]);
        let get = |name: &str| {
            env.iter().filter(|(key, _)| key == name).map(|(_, v)| v.clone()).collect::<Vec<_>>()
        };
        assert_eq!(get("CODEX_EXEC_TEST_NEW"), vec![OsString::from("1")]);
        assert_eq!(get("PATH"), vec![OsString::from("/bin")]);
        assert_ne!(path, OsString::from("/bin"));
        assert!(get("HOME").is_empty());
    }
}
