//! The `codex` binary: parses flags and wires the crates together.

mod minimal_responder;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use clap::Parser;
use clap::Subcommand;
use clap::ValueEnum;
use codex_app_server_transport::bind_websocket;
use codex_app_server_transport::default_control_socket_path;
use codex_app_server_transport::prepare_control_socket;
use codex_app_server_transport::run_proxy;
use codex_app_server_transport::serve_control_socket;
use codex_app_server_transport::serve_stdio;
use codex_app_server_transport::serve_websocket;
use codex_app_server_transport::startup_lock_path;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::ListenAddress;
use codex_app_server_transport::TransportConfig;
use codex_app_server_transport::WebsocketAuth;
use codex_app_server_transport::WebsocketOptions;
use tokio::sync::mpsc;

/// The `codex` command.
#[derive(Debug, Parser)]
#[command(name = "codex", version, about = "Codex app-server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the app-server (JSON-RPC over stdio, a Unix control socket or a websocket).
    AppServer(AppServerArgs),
}

/// `codex app-server` flags.
#[derive(Debug, Args)]
struct AppServerArgs {
    #[command(subcommand)]
    action: Option<AppServerAction>,
    /// Where to listen: stdio://, unix://, unix://PATH, ws://IP:PORT or off.
    #[arg(long, value_name = "URL", default_value = "stdio://")]
    listen: ListenAddress,
    /// Shorthand for `--listen stdio://`.
    #[arg(long, conflicts_with = "listen")]
    stdio: bool,
    #[command(flatten)]
    ws_auth: WsAuthArgs,
}

/// `codex app-server` subcommands.
#[derive(Debug, Subcommand)]
enum AppServerAction {
    /// Bridge stdin/stdout to a running app-server's control socket.
    Proxy {
        /// The control socket (default: $CODEX_HOME/app-server-control/app-server-control.sock).
        #[arg(long, value_name = "PATH")]
        sock: Option<PathBuf>,
    },
}

/// Websocket authentication modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum WsAuthMode {
    /// A shared token (`--ws-token-file` or `--ws-token-sha256`).
    CapabilityToken,
    /// An HS256 JWT signed with `--ws-shared-secret-file`.
    SignedBearerToken,
}

/// Websocket authentication flags.
#[derive(Debug, Args)]
struct WsAuthArgs {
    /// Require clients to authenticate with `Authorization: Bearer <token>`.
    #[arg(long, value_enum)]
    ws_auth: Option<WsAuthMode>,
    /// Absolute path of the file holding the capability token.
    #[arg(long, value_name = "PATH", conflicts_with = "ws_token_sha256")]
    ws_token_file: Option<PathBuf>,
    /// Hex SHA-256 digest of the capability token.
    #[arg(long, value_name = "HEX")]
    ws_token_sha256: Option<String>,
    /// Absolute path of the file holding the HS256 secret (at least 32 bytes).
    #[arg(long, value_name = "PATH")]
    ws_shared_secret_file: Option<PathBuf>,
    /// Required `iss` claim.
    #[arg(long, value_name = "ISSUER")]
    ws_issuer: Option<String>,
    /// Required `aud` claim.
    #[arg(long, value_name = "AUDIENCE")]
    ws_audience: Option<String>,
    /// Tolerated clock skew when checking `exp`/`nbf`, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    ws_max_clock_skew_seconds: u64,
}

impl WsAuthArgs {
    fn to_auth(&self) -> anyhow::Result<WebsocketAuth> {
        let skew = Duration::from_secs(self.ws_max_clock_skew_seconds);
        match self.ws_auth {
            None => {
                let stray = self.ws_token_file.is_some()
                    || self.ws_token_sha256.is_some()
                    || self.ws_shared_secret_file.is_some();
                anyhow::ensure!(!stray, "websocket auth flags given without `--ws-auth MODE`");
                Ok(WebsocketAuth::None)
            }
            Some(WsAuthMode::CapabilityToken) => match (&self.ws_token_file, &self.ws_token_sha256) {
                (Some(path), None) => Ok(WebsocketAuth::capability_token_from_file(path)?),
                (None, Some(digest)) => Ok(WebsocketAuth::capability_token_from_sha256_hex(digest)?),
                _ => anyhow::bail!(
                    "`--ws-auth capability-token` needs `--ws-token-file PATH` or `--ws-token-sha256 HEX`"
                ),
            },
            Some(WsAuthMode::SignedBearerToken) => {
                let path = self.ws_shared_secret_file.as_ref().context(
                    "`--ws-auth signed-bearer-token` needs `--ws-shared-secret-file PATH`",
                )?;
                Ok(WebsocketAuth::signed_bearer_token_from_secret_file(
                    path,
                    self.ws_issuer.clone(),
                    self.ws_audience.clone(),
                    skew,
                )?)
            }
        }
    }
}

fn codex_home() -> anyhow::Result<PathBuf> {
    if let Some(home) = std::env::var_os("CODEX_HOME").filter(|home| !home.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    let home = std::env::var_os("HOME").context("neither CODEX_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".codex"))
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("Error: starting the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run());
    // A blocking stdin read (proxy, stdio) must not keep the process alive.
    runtime.shutdown_background();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::AppServer(args) => app_server(args).await,
    }
}

async fn app_server(args: AppServerArgs) -> anyhow::Result<()> {
    let config = TransportConfig::default();
    let codex_home = codex_home()?;
    if let Some(AppServerAction::Proxy { sock }) = args.action {
        let sock = sock.unwrap_or_else(|| default_control_socket_path(&codex_home));
        run_proxy(&sock, tokio::io::stdin(), tokio::io::stdout(), &config).await?;
        return Ok(());
    }
    let listen = if args.stdio { ListenAddress::Stdio } else { args.listen };
    let auth = args.ws_auth.to_auth()?;
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone())?;
    let (events_tx, events) = mpsc::channel(256);
    let responder = tokio::spawn(minimal_responder::run(events, codex_home.clone()));
    let options = WebsocketOptions { config: config.clone(), auth, ..WebsocketOptions::default() };

    match &listen {
        ListenAddress::Stdio => {
            anyhow::ensure!(!options.auth.is_enabled(), "`--ws-auth` does not apply to stdio");
            serve_stdio(events_tx, &config, shutdown).await?;
        }
        ListenAddress::DefaultControlSocket | ListenAddress::UnixSocket(_) => {
            let path = listen.control_socket_path(&codex_home).context("no control socket path")?;
            let prepared = prepare_control_socket(&path, &startup_lock_path(&codex_home)).await?;
            // Server state initialisation belongs here, while the startup lock is held.
            let bound = prepared.release_startup_lock();
            eprintln!("codex app-server listening on unix://{}", path.display());
            options.readiness.set_ready();
            serve_control_socket(bound, options, events_tx, shutdown).await?;
        }
        ListenAddress::Websocket(address) => {
            let listener = bind_websocket(*address, &options.auth).await?;
            let local = listener.local_addr().context("reading the bound address")?;
            eprintln!("codex app-server listening on ws://{local}");
            options.readiness.set_ready();
            serve_websocket(listener, options, events_tx, shutdown).await?;
        }
        ListenAddress::Off => {
            drop(events_tx);
            shutdown.cancelled().await;
        }
    }
    responder.abort();
    Ok(())
}

fn spawn_signal_handler(shutdown: CancellationToken) -> anyhow::Result<()> {
    use tokio::signal::unix::signal;
    use tokio::signal::unix::SignalKind;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let mut terminate = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        shutdown.cancel();
    });
    Ok(())
}
