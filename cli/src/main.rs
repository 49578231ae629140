//! The `codex` binary: parses flags and wires the crates together.
//!
//! Logs go to stderr (level from `RUST_LOG`, default `warn`); stdout may be the transport. Spans
//! are exported over OTLP/HTTP when `[otel]` in config.toml or `OTEL_EXPORTER_OTLP_ENDPOINT` asks.

mod app_server_command;
mod daemon_command;
mod exec_command;
mod remote_control_command;
mod sandbox_command;

use clap::Parser;
use clap::Subcommand;

/// The `codex` command line.
#[derive(Debug, Parser)]
#[command(name = "codex", version, about = "Codex app-server: drive a coding agent over JSON-RPC")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the app-server (JSON-RPC over stdio, a Unix control socket or a websocket).
    AppServer(Box<app_server_command::AppServerArgs>),
    /// Run one agent turn non-interactively and print its events.
    Exec(Box<exec_command::ExecArgs>),
    /// Remote control: run a self-hosted relay and issue client tokens; pair remote clients
    /// with the running app-server, list and revoke them.
    #[command(subcommand)]
    RemoteControl(remote_control_command::RemoteControlCommand),
    /// Run a command under a sandbox policy (for testing policies by hand).
    #[command(subcommand)]
    Sandbox(sandbox_command::SandboxCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Built before the runtime: the OTLP exporter's blocking HTTP client must not start inside it.
    let mut telemetry = match app_server_command::codex_home() {
        Ok(home) => codex_app_server::telemetry::init(&home),
        Err(_) => {
            let _ = codex_app_server::telemetry::install_subscriber(
                codex_app_server::telemetry::log_filter(),
                None,
                None,
            );
            codex_app_server::telemetry::TelemetryGuard::default()
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("Error: starting the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let code = match cli.command {
        Command::AppServer(args) => {
            let result = runtime.block_on(app_server_command::run(*args));
            match result {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("Error: {err:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Exec(args) => {
            std::process::ExitCode::from(runtime.block_on(exec_command::run(*args)))
        }
        Command::RemoteControl(command) => {
            match runtime.block_on(remote_control_command::run(command)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("Error: {err:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Sandbox(command) => {
            let code = runtime.block_on(sandbox_command::run(command));
            std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
    };
    // A blocking stdin read (proxy, stdio) must not keep the process alive.
    runtime.shutdown_background();
    telemetry.shutdown();
    code
}
