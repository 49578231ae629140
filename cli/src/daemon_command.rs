//! `codex app-server daemon …`: flag parsing and JSON printing around
//! [`codex_app_server_daemon::Daemon`], which does the work.
//!
//! Every command prints one JSON object on one line. `start`, `stop`, `restart` and `version`
//! carry the reference's lifecycle fields: `status` (`started`, `alreadyRunning`, `restarted`,
//! `running`, `stopped`, `notRunning`), `pid`, `socketPath`, `cliVersion` and
//! `appServerVersion` (absent when no server answered), beside our own.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use clap::Subcommand;
use codex_app_server_daemon::Daemon;
use codex_app_server_daemon::DaemonStatus;
use codex_app_server_daemon::StartOutcome;
use codex_app_server_daemon::StopOptions;
use codex_app_server_daemon::StopOutcome;
use codex_app_server_daemon::DEFAULT_START_TIMEOUT;
use codex_app_server_daemon::DEFAULT_STOP_TIMEOUT;
use serde_json::json;
use serde_json::Value;

use crate::app_server_command::codex_home;

/// `codex app-server daemon` subcommands.
#[derive(Debug, Subcommand)]
#[command(after_help = "One daemon per $CODEX_HOME, on the control socket \
    $CODEX_HOME/app-server-control/app-server-control.sock. Its output goes to \
    $CODEX_HOME/log/app-server.log (rotated at start above 10 MiB, 3 old files kept); its pid to \
    $CODEX_HOME/app-server-control/app-server.pid; the remote-control choice to \
    $CODEX_HOME/app-server-control/daemon.json. Every command prints one JSON object on one \
    line on stdout; start, stop, restart and version report `status` (started, alreadyRunning, \
    restarted, running, stopped, notRunning), `pid`, `socketPath`, `cliVersion` and \
    `appServerVersion`.")]
pub enum DaemonCommand {
    /// Start the daemon in the background (a no-op when one is already running).
    Start(StartArgs),
    /// Stop the daemon, letting running turns finish first.
    ///
    /// A second `stop` while it drains ends it without waiting (like a second SIGTERM).
    Stop(StopArgs),
    /// Stop the daemon (if running), then start it.
    Restart {
        #[command(flatten)]
        stop: StopArgs,
        #[command(flatten)]
        start: StartArgs,
    },
    /// Print the daemon's status: pid, socket, version, uptime, remote control.
    Status,
    /// Print this CLI's version and the running daemon's.
    Version,
    /// Start remote control now (if running) and at every future start.
    EnableRemoteControl,
    /// Stop remote control now (if running) and at every future start.
    DisableRemoteControl,
}

/// `daemon start` flags.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// How long to wait for the new server to answer on its socket.
    #[arg(long = "start-timeout-seconds", value_name = "SECONDS",
          default_value_t = DEFAULT_START_TIMEOUT.as_secs())]
    start_timeout_seconds: u64,
}

/// `daemon stop` flags.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// How long to wait for the server to drain running turns and exit.
    #[arg(long = "stop-timeout-seconds", value_name = "SECONDS",
          default_value_t = DEFAULT_STOP_TIMEOUT.as_secs())]
    stop_timeout_seconds: u64,
    /// Kill the server (SIGKILL) if it has not exited when the timeout ends.
    #[arg(long)]
    force: bool,
}

impl StopArgs {
    fn options(&self) -> StopOptions {
        StopOptions { timeout: Duration::from_secs(self.stop_timeout_seconds), force: self.force }
    }
}

fn print(value: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Sets the reference's lifecycle fields on `value`: `status`, `socketPath`, `cliVersion`,
/// and `pid` / `appServerVersion` when known (absent otherwise).
fn lifecycle(
    mut value: Value,
    status: &str,
    daemon: &Daemon,
    pid: Option<u32>,
    app_server_version: Option<&str>,
) -> Value {
    value["status"] = json!(status);
    value["socketPath"] = json!(daemon.paths().socket);
    value["cliVersion"] = json!(env!("CARGO_PKG_VERSION"));
    if let Some(object) = value.as_object_mut() {
        object.remove("pid");
        object.remove("appServerVersion");
    }
    if let Some(pid) = pid {
        value["pid"] = json!(pid);
    }
    if let Some(version) = app_server_version {
        value["appServerVersion"] = json!(version);
    }
    value
}

fn status_value(status: &DaemonStatus) -> anyhow::Result<Value> {
    serde_json::to_value(status).context("encoding the status")
}

async fn start(daemon: &Daemon, args: &StartArgs) -> anyhow::Result<Value> {
    let daemon = daemon.clone().with_start_timeout(Duration::from_secs(args.start_timeout_seconds));
    let outcome = daemon.start().await?;
    let status = outcome.status();
    let already = matches!(outcome, StartOutcome::AlreadyRunning(_));
    let mut value = lifecycle(
        status_value(status)?,
        if already { "alreadyRunning" } else { "started" },
        &daemon,
        status.pid,
        status.server_version.as_deref(),
    );
    if already {
        eprintln!(
            "the app-server daemon is already running (pid {})",
            outcome.status().pid.map(|pid| pid.to_string()).unwrap_or_else(|| "unknown".into())
        );
    }
    value["alreadyRunning"] = json!(already);
    Ok(value)
}

async fn stop(daemon: &Daemon, args: &StopArgs) -> anyhow::Result<Value> {
    let value = match daemon.stop(args.options()).await? {
        StopOutcome::Stopped { pid } => lifecycle(
            json!({"stopped": true, "outcome": "stopped"}),
            "stopped",
            daemon,
            Some(pid),
            None,
        ),
        StopOutcome::Killed { pid } => lifecycle(
            json!({"stopped": true, "outcome": "killed"}),
            "stopped",
            daemon,
            Some(pid),
            None,
        ),
        StopOutcome::NotRunning => {
            eprintln!("the app-server daemon is not running");
            lifecycle(
                json!({"stopped": false, "outcome": "notRunning"}),
                "notRunning",
                daemon,
                None,
                None,
            )
        }
    };
    Ok(value)
}

/// Runs one daemon command and prints its JSON.
pub async fn run(command: DaemonCommand) -> anyhow::Result<()> {
    let daemon = Daemon::new(&codex_home()?)?;
    let value = match command {
        DaemonCommand::Start(args) => start(&daemon, &args).await?,
        DaemonCommand::Stop(args) => stop(&daemon, &args).await?,
        DaemonCommand::Restart { stop: stop_args, start: start_args } => {
            let stopped = stop(&daemon, &stop_args).await?;
            let mut started = start(&daemon, &start_args).await?;
            started["status"] = json!("restarted");
            started["previous"] = stopped;
            started
        }
        DaemonCommand::Status => status_value(&daemon.status().await?)?,
        DaemonCommand::Version => {
            let status = daemon.status().await?;
            let value = json!({
                "serverVersion": status.server_version,
                "running": status.running,
                "daemon": status_value(&status)?,
            });
            let (state, pid, version) = if status.running {
                ("running", status.pid, status.server_version.as_deref())
            } else {
                ("notRunning", None, None)
            };
            lifecycle(value, state, &daemon, pid, version)
        }
        DaemonCommand::EnableRemoteControl => {
            status_value(&daemon.set_remote_control(true).await?)?
        }
        DaemonCommand::DisableRemoteControl => {
            status_value(&daemon.set_remote_control(false).await?)?
        }
    };
    print(&value)
}
