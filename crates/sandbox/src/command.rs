//! [`SandboxedCommand`]: the single entry point through which commands are spawned.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use tokio::process::Child;
use tokio::process::Command;

use crate::error::SandboxError;
use crate::policy::SandboxPolicy;
use crate::restrictions::ChildRestrictions;

/// A command line to run under a [`SandboxPolicy`], with an exact environment and working
/// directory. Build it, adjust stdio and process-group settings, then [`spawn`] it or turn it
/// into a [`tokio::process::Command`] with the restrictions installed as a `pre_exec` hook.
///
/// [`spawn`]: SandboxedCommand::spawn
#[derive(Debug)]
pub struct SandboxedCommand {
    argv: Vec<OsString>,
    cwd: PathBuf,
    policy_cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    policy: SandboxPolicy,
    stdin: StdioMode,
    stdout: StdioMode,
    stderr: StdioMode,
    new_process_group: bool,
    kill_on_drop: bool,
}

/// How one standard stream of the child is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdioMode {
    /// Inherit the parent's stream.
    Inherit,
    /// A pipe readable/writable by the parent.
    Piped,
    /// `/dev/null`.
    Null,
}

impl StdioMode {
    fn to_stdio(self) -> Stdio {
        match self {
            Self::Inherit => Stdio::inherit(),
            Self::Piped => Stdio::piped(),
            Self::Null => Stdio::null(),
        }
    }
}

impl SandboxedCommand {
    /// A command running `argv` in `cwd` with exactly the environment `env` (nothing inherited)
    /// under `policy`. Stdio defaults to null stdin and piped stdout/stderr, in a new process group.
    pub fn new<A, K, V>(
        argv: impl IntoIterator<Item = A>,
        cwd: impl Into<PathBuf>,
        env: impl IntoIterator<Item = (K, V)>,
        policy: SandboxPolicy,
    ) -> Self
    where
        A: Into<OsString>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            cwd: cwd.into(),
            policy_cwd: None,
            env: env.into_iter().map(|(key, value)| (key.into(), value.into())).collect(),
            policy,
            stdin: StdioMode::Null,
            stdout: StdioMode::Piped,
            stderr: StdioMode::Piped,
            new_process_group: true,
            kill_on_drop: false,
        }
    }

    /// Sets how stdin, stdout and stderr are connected.
    pub fn stdio(mut self, stdin: StdioMode, stdout: StdioMode, stderr: StdioMode) -> Self {
        self.stdin = stdin;
        self.stdout = stdout;
        self.stderr = stderr;
        self
    }

    /// Whether the child leads a new process group (pgid = its pid), so callers can signal the
    /// whole group with `kill(-pid, sig)`. On by default.
    pub fn new_process_group(mut self, enabled: bool) -> Self {
        self.new_process_group = enabled;
        self
    }

    /// Whether the child is killed when the returned [`Child`] is dropped. Off by default.
    pub fn kill_on_drop(mut self, enabled: bool) -> Self {
        self.kill_on_drop = enabled;
        self
    }

    /// The directory the policy's workspace is rooted at (the writable root of a
    /// `workspaceWrite` policy, besides its `writableRoots`). Defaults to the working directory;
    /// callers whose working directory is chosen by someone less trusted than the policy (a
    /// model's `workdir`) must set it, so the working directory never becomes writable by itself.
    pub fn policy_cwd(mut self, policy_cwd: impl Into<PathBuf>) -> Self {
        self.policy_cwd = Some(policy_cwd.into());
        self
    }

    /// The policy the command runs under.
    pub fn policy(&self) -> &SandboxPolicy {
        &self.policy
    }

    /// Prepares the kernel restrictions and returns a ready-to-spawn [`Command`] whose `pre_exec`
    /// hook applies them. Fails when the command line is empty or the policy cannot be enforced.
    pub fn into_command(self) -> Result<Command, SandboxError> {
        let restrictions = ChildRestrictions::prepare(
            &self.policy,
            self.policy_cwd.as_deref().unwrap_or(&self.cwd),
            self.env.iter().map(|(key, value)| (key, value)),
        )?;
        self.into_command_with(restrictions)
    }

    /// Like [`SandboxedCommand::into_command`] with restrictions prepared by the caller.
    pub fn into_command_with(
        self,
        restrictions: ChildRestrictions,
    ) -> Result<Command, SandboxError> {
        let kill_on_drop = self.kill_on_drop;
        let mut command = Command::from(self.into_std_command_with(restrictions)?);
        command.kill_on_drop(kill_on_drop);
        Ok(command)
    }

    /// Like [`SandboxedCommand::into_command_with`] but returns a blocking
    /// [`std::process::Command`] (for spawners built on std, such as PTY spawners). The
    /// kill-on-drop setting does not apply to it.
    pub fn into_std_command_with(
        self,
        restrictions: ChildRestrictions,
    ) -> Result<std::process::Command, SandboxError> {
        use std::os::unix::process::CommandExt;

        let (program, args) = self.argv.split_first().ok_or(SandboxError::EmptyCommand)?;
        let mut command = std::process::Command::new(program);
        command
            .args(args)
            .current_dir(&self.cwd)
            .env_clear()
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(self.stdin.to_stdio())
            .stdout(self.stdout.to_stdio())
            .stderr(self.stderr.to_stdio());
        if self.new_process_group {
            command.process_group(0);
        }
        if !restrictions.is_unrestricted() {
            let restrictions = Arc::new(restrictions);
            // SAFETY: `apply_in_child` only issues raw syscalls on data prepared before the fork
            // (no allocation, no locks), which is async-signal-safe.
            unsafe {
                command.pre_exec(move || restrictions.apply_in_child());
            }
        }
        Ok(command)
    }

    /// Prepares the restrictions and spawns the child. Fails before spawning when the working
    /// directory is not a directory.
    pub fn spawn(self) -> Result<Child, SandboxError> {
        let program = self
            .argv
            .first()
            .map(|program| program.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !self.cwd.is_dir() {
            return Err(SandboxError::Path {
                path: self.cwd,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "working directory does not exist or is not a directory",
                ),
            });
        }
        self.into_command()?.spawn().map_err(|source| SandboxError::Spawn { program, source })
    }
}

/// Sends `signal` to every process in the process group led by `pid` (a child spawned with
/// [`SandboxedCommand::new_process_group`] enabled), e.g. to kill a command and all its children.
pub fn signal_process_group(pid: u32, signal: i32) -> std::io::Result<()> {
    let pgid =
        libc::pid_t::try_from(pid).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    if pgid <= 0 {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: integer arguments only; a negative pid addresses the process group.
    if unsafe { libc::kill(-pgid, signal) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
