//! The `codex` binary: parses flags and wires the crates together.

mod sandbox_command;

use clap::Parser;
use clap::Subcommand;

/// The `codex` command line.
#[derive(Debug, Parser)]
#[command(name = "codex", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run a command under a sandbox policy (for testing policies by hand).
    #[command(subcommand)]
    Sandbox(sandbox_command::SandboxCommand),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Sandbox(command) => sandbox_command::run(command).await,
    };
    std::process::exit(code);
}
