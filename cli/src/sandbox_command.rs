//! `codex sandbox linux`: runs one command under a sandbox policy and exits with its exit code.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;
use clap::Subcommand;
use clap::ValueEnum;
use codex_sandbox::SandboxError;
use codex_sandbox::SandboxPolicy;
use codex_sandbox::SandboxedCommand;
use codex_sandbox::StdioMode;

/// Exit code when the sandbox itself could not run the command (not the command's own code).
const EXIT_SANDBOX_FAILURE: i32 = 125;
/// Exit code when the command exists but cannot be executed.
const EXIT_NOT_EXECUTABLE: i32 = 126;
/// Exit code when the command was not found.
const EXIT_NOT_FOUND: i32 = 127;

/// Platforms `codex sandbox` can run commands on.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run a command under Landlock + seccomp (Linux).
    Linux(LinuxSandboxArgs),
}

/// Flags of `codex sandbox linux`.
#[derive(Debug, Args)]
pub struct LinuxSandboxArgs {
    /// Sandbox policy to run the command under.
    #[arg(long, value_enum, default_value_t = PolicyFlag::ReadOnly)]
    policy: PolicyFlag,
    /// Extra writable directory (workspace-write only); may be repeated.
    #[arg(long = "writable-root", value_name = "PATH")]
    writable_roots: Vec<PathBuf>,
    /// Allow network access.
    #[arg(long)]
    network: bool,
    /// Working directory of the command (default: the current directory).
    #[arg(long = "cd", value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

/// The `--policy` values, named like the protocol's `SandboxMode`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum PolicyFlag {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

/// Runs the subcommand and returns the process exit code to use.
pub async fn run(command: SandboxCommand) -> i32 {
    let SandboxCommand::Linux(args) = command;
    match run_linux(args).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("codex sandbox: {error}");
            match error.downcast_ref::<SandboxError>() {
                Some(SandboxError::Spawn { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    EXIT_NOT_FOUND
                }
                Some(SandboxError::Spawn { source, .. })
                    if source.kind() == std::io::ErrorKind::PermissionDenied =>
                {
                    EXIT_NOT_EXECUTABLE
                }
                _ => EXIT_SANDBOX_FAILURE,
            }
        }
    }
}

async fn run_linux(args: LinuxSandboxArgs) -> anyhow::Result<i32> {
    let cwd = match args.cwd {
        Some(dir) => std::path::absolute(dir)?,
        None => std::env::current_dir()?,
    };
    let writable_roots =
        args.writable_roots.iter().map(std::path::absolute).collect::<Result<Vec<_>, _>>()?;
    let policy = match args.policy {
        PolicyFlag::ReadOnly | PolicyFlag::DangerFullAccess if !writable_roots.is_empty() => {
            anyhow::bail!("--writable-root only applies to --policy workspace-write");
        }
        PolicyFlag::ReadOnly => SandboxPolicy::ReadOnly { network_access: args.network },
        PolicyFlag::WorkspaceWrite => SandboxPolicy::WorkspaceWrite {
            writable_roots,
            network_access: args.network,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
        },
        PolicyFlag::DangerFullAccess => SandboxPolicy::DangerFullAccess,
    };
    let status = SandboxedCommand::new(args.command, cwd, std::env::vars_os(), policy)
        .stdio(StdioMode::Inherit, StdioMode::Inherit, StdioMode::Inherit)
        // Stay in the terminal's foreground process group so the command can read the tty and
        // receives Ctrl-C together with us.
        .new_process_group(false)
        .spawn()?
        .wait()
        .await?;
    Ok(exit_code(status))
}

/// The shell convention: the exit code, or 128 + signal number when killed by a signal.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => EXIT_SANDBOX_FAILURE,
    }
}
