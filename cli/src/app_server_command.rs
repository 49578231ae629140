//! `codex app-server`: flag parsing for the server, its proxy and schema generators, and the
//! signal handling around [`codex_app_server::serve::serve`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use clap::Subcommand;
use clap::ValueEnum;
use codex_app_server::config::ConfigOverrides;
use codex_app_server::processor::DEFAULT_INBOUND_QUEUE_CAPACITY;
use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_daemon::PidRecord;
use codex_app_server_protocol::schema_export;
use codex_app_server_transport::default_control_socket_path;
use codex_app_server_transport::run_proxy;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::ListenAddress;
use codex_app_server_transport::TransportConfig;
use codex_app_server_transport::WebsocketAuth;
use codex_app_server_transport::WebsocketOptions;
use codex_app_server_transport::DEFAULT_MAX_PENDING_HANDSHAKES;
use codex_app_server_transport::DEFAULT_OUTBOUND_QUEUE_CAPACITY;

/// `codex app-server` flags.
#[derive(Debug, Args)]
#[command(
    after_help = "State lives under $CODEX_HOME (default ~/.codex): config.toml, state.sqlite, \
                  app-server-control/. Logs go to stderr; set RUST_LOG=info or debug for more."
)]
pub struct AppServerArgs {
    #[command(subcommand)]
    action: Option<AppServerAction>,
    /// Where to listen: stdio:// (default), unix:// (the default control socket), unix://PATH,
    /// ws://IP:PORT, or off.
    #[arg(long, value_name = "URL", default_value = "stdio://")]
    listen: ListenAddress,
    /// Shorthand for `--listen stdio://`.
    #[arg(long, conflicts_with = "listen")]
    stdio: bool,
    #[command(flatten)]
    ws_auth: WsAuthArgs,
    /// Override a config.toml value for this launch, e.g. `-c model=gpt-5` or
    /// `-c 'model_providers.local.base_url="http://127.0.0.1:8080/v1"'` (TOML, else a string).
    #[arg(short = 'c', long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Turn a feature on for this launch (sets `[features].NAME = true`).
    #[arg(long = "enable", value_name = "FEATURE")]
    enable: Vec<String>,
    /// Turn a feature off for this launch (sets `[features].NAME = false`).
    #[arg(long = "disable", value_name = "FEATURE")]
    disable: Vec<String>,
    /// Layer the config profile NAME over config.toml: `[profiles.NAME]`, then
    /// `$CODEX_HOME/NAME.config.toml`.
    #[arg(long, short = 'p', value_name = "NAME")]
    profile: Option<String>,
    /// Exit when config.toml cannot be loaded (by default the server starts with default
    /// settings, sends each client a `configWarning`, and refuses thread/start, turn/start and
    /// config writes until the file is fixed).
    #[arg(long)]
    strict_config: bool,
    /// When state.sqlite is corrupt, move it aside (to `state.sqlite.corrupt-<timestamp>`, with
    /// its -wal/-shm; never deleted) and start with empty state, instead of exiting.
    #[arg(long)]
    recover_state: bool,
    /// Start remote control at launch: dial out to the relay of `[remote_control] url`.
    #[arg(long, hide = true)]
    remote_control: bool,
    /// Once listening, record this process's pid and start time in PATH (removed at exit);
    /// `daemon start` passes it.
    #[arg(long, hide = true, value_name = "PATH")]
    pid_file: Option<PathBuf>,
    /// PATH is this process's stdout/stderr log (`daemon start` passes it): rotate it while
    /// running once it grows past `--log-max-bytes`.
    #[arg(long, hide = true, value_name = "PATH")]
    log_file: Option<PathBuf>,
    /// Size above which `--log-file` is rotated.
    #[arg(long, hide = true, value_name = "BYTES", env = "CODEX_APP_SERVER_LOG_MAX_BYTES",
          default_value_t = codex_app_server_daemon::log_rotation::DEFAULT_MAX_LOG_BYTES)]
    log_max_bytes: u64,
    /// On SIGINT/SIGTERM, how long to wait for running turns before closing connections.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    drain_timeout_seconds: u64,
    /// Requests each connection may have queued before new ones are answered at once with
    /// "server overloaded" (-32001).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_INBOUND_QUEUE_CAPACITY,
          value_parser = positive_count)]
    inbound_queue_capacity: usize,
    /// Messages each connection may have queued for sending; a websocket or Unix-socket client
    /// that lets its queue fill is disconnected (stdio waits instead).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_OUTBOUND_QUEUE_CAPACITY,
          value_parser = positive_count)]
    outbound_queue_capacity: usize,
    /// Seconds a websocket or control-socket connection has to complete its HTTP upgrade,
    /// however slowly it sends, before it is closed (health checks included).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = positive_seconds)]
    ws_handshake_timeout_seconds: Duration,
    /// Most websocket or control-socket connections in their handshake at once; each one
    /// beyond closes the oldest.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PENDING_HANDSHAKES,
          value_parser = positive_count)]
    ws_max_pending_handshakes: usize,
    /// Seconds an upgraded websocket or control-socket connection has to send `initialize`
    /// before it is closed (1008).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = positive_seconds)]
    ws_initialize_timeout_seconds: Duration,
}

/// `codex app-server` subcommands.
#[derive(Debug, Subcommand)]
enum AppServerAction {
    /// Bridge stdin/stdout (newline-delimited JSON) to a running app-server's control socket.
    Proxy {
        /// The control socket (default: $CODEX_HOME/app-server-control/app-server-control.sock).
        #[arg(long, value_name = "PATH")]
        sock: Option<PathBuf>,
    },
    /// Manage a background app-server on the control socket (one per $CODEX_HOME).
    #[command(subcommand)]
    Daemon(crate::daemon_command::DaemonCommand),
    /// Write the protocol's JSON Schema (draft-07) files to a directory.
    GenerateJsonSchema {
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Include experimental methods and fields.
        #[arg(long)]
        experimental: bool,
    },
    /// Write the protocol's TypeScript type definitions to a directory.
    GenerateTs {
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
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
    /// Require websocket clients to authenticate with `Authorization: Bearer <token>`.
    /// Required for a non-loopback `--listen ws://` address.
    #[arg(long, value_enum)]
    ws_auth: Option<WsAuthMode>,
    /// Absolute path of the file holding the capability token (trimmed).
    #[arg(long, value_name = "PATH", conflicts_with = "ws_token_sha256")]
    ws_token_file: Option<PathBuf>,
    /// Hex SHA-256 digest of the capability token.
    #[arg(long, value_name = "HEX")]
    ws_token_sha256: Option<String>,
    /// Absolute path of the file holding the HS256 secret (at least 32 bytes).
    #[arg(long, value_name = "PATH")]
    ws_shared_secret_file: Option<PathBuf>,
    /// Required `iss` claim of signed bearer tokens.
    #[arg(long, value_name = "ISSUER")]
    ws_issuer: Option<String>,
    /// Required `aud` claim of signed bearer tokens.
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

/// Parses a count of at least 1.
/// A positive number of seconds, fractions allowed (`0.5`).
fn positive_seconds(raw: &str) -> Result<Duration, String> {
    let seconds = raw.parse::<f64>().map_err(|err| err.to_string())?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err("must be more than 0".to_owned());
    }
    Duration::try_from_secs_f64(seconds).map_err(|err| err.to_string())
}

fn positive_count(raw: &str) -> Result<usize, String> {
    match raw.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(count) => Ok(count),
        Err(err) => Err(err.to_string()),
    }
}

/// `$CODEX_HOME`, defaulting to `~/.codex`.
pub fn codex_home() -> anyhow::Result<PathBuf> {
    if let Some(home) = std::env::var_os("CODEX_HOME").filter(|home| !home.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    let home = std::env::var_os("HOME").context("neither CODEX_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".codex"))
}

fn overrides(args: &AppServerArgs) -> anyhow::Result<ConfigOverrides> {
    let values = args
        .config
        .iter()
        .map(|raw| ConfigOverrides::parse_value_override(raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ConfigOverrides {
        values,
        enable: args.enable.clone(),
        disable: args.disable.clone(),
        profile: args.profile.clone(),
        ..ConfigOverrides::default()
    })
}

/// Runs `codex app-server` with `args`.
pub async fn run(args: AppServerArgs) -> anyhow::Result<()> {
    let args = match args.action {
        Some(AppServerAction::Daemon(command)) => return crate::daemon_command::run(command).await,
        _ => args,
    };
    match &args.action {
        Some(AppServerAction::GenerateJsonSchema { out, experimental }) => {
            schema_export::write_schema_tree(out, *experimental)
                .with_context(|| format!("writing JSON Schema to {}", out.display()))?;
            eprintln!("wrote JSON Schema to {}", out.display());
            return Ok(());
        }
        Some(AppServerAction::GenerateTs { out }) => {
            schema_export::write_typescript_tree(out)
                .with_context(|| format!("writing TypeScript to {}", out.display()))?;
            eprintln!("wrote TypeScript to {}", out.display());
            return Ok(());
        }
        Some(AppServerAction::Proxy { sock }) => {
            let sock = match sock {
                Some(sock) => sock.clone(),
                None => default_control_socket_path(&codex_home()?),
            };
            run_proxy(&sock, tokio::io::stdin(), tokio::io::stdout(), &TransportConfig::default())
                .await?;
            return Ok(());
        }
        Some(AppServerAction::Daemon(_)) | None => {}
    }
    let listen = if args.stdio { ListenAddress::Stdio } else { args.listen.clone() };
    let auth = args.ws_auth.to_auth()?;
    anyhow::ensure!(
        !(auth.is_enabled() && matches!(listen, ListenAddress::Stdio)),
        "`--ws-auth` applies to `--listen ws://…` only"
    );
    let mut options = ServeOptions::new(listen.clone(), codex_home()?);
    options.overrides = overrides(&args)?;
    let mut websocket = WebsocketOptions { auth, ..WebsocketOptions::default() };
    websocket.config.outbound_queue_capacity = args.outbound_queue_capacity;
    websocket.config.initialize_timeout = args.ws_initialize_timeout_seconds;
    websocket.handshake_timeout = args.ws_handshake_timeout_seconds;
    websocket.max_pending_handshakes = args.ws_max_pending_handshakes;
    options.websocket = websocket;
    options.drain_timeout = Duration::from_secs(args.drain_timeout_seconds);
    options.inbound_queue_capacity = args.inbound_queue_capacity;
    options.remote_control = args.remote_control;
    options.strict_config = args.strict_config;
    options.recover_state = args.recover_state;
    let pid_file = args.pid_file.clone();
    let record_path = pid_file.clone();
    options.on_listening = Some(std::sync::Arc::new(move |address: &str| {
        eprintln!("codex app-server listening on {address}");
        if let Some(path) = &record_path {
            if let Err(err) = PidRecord::for_current_process().write(path) {
                tracing::warn!("{err}");
            }
        }
    }));
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone(), pid_file.clone())?;
    if let Some(log_file) = args.log_file.clone() {
        use codex_app_server_daemon::log_rotation;
        let lock_path = codex_app_server_transport::startup_lock_path(&options.codex_home);
        tokio::spawn(log_rotation::keep_log_rotated(
            log_file,
            lock_path,
            args.log_max_bytes,
            log_rotation::DEFAULT_KEPT_LOGS,
            log_rotation::LOG_CHECK_INTERVAL,
        ));
    }
    let served = serve(options, shutdown).await;
    if let Some(path) = &pid_file {
        PidRecord::remove_if_owned_by(path, std::process::id());
    }
    served?;
    Ok(())
}

/// The first SIGINT/SIGTERM starts a graceful drain; a second one exits at once.
/// With a pid file, the record is marked draining first, so `daemon start` waits for the exit.
fn spawn_signal_handler(
    shutdown: CancellationToken,
    pid_file: Option<PathBuf>,
) -> anyhow::Result<()> {
    use tokio::signal::unix::signal;
    use tokio::signal::unix::SignalKind;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let mut terminate = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("signal received: draining (send another signal to exit at once)");
        if let Some(path) = &pid_file {
            if let Err(err) = PidRecord::mark_draining(path) {
                tracing::warn!("{err}");
            }
        }
        shutdown.cancel();
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        eprintln!("second signal: exiting without waiting");
        std::process::exit(130);
    });
    Ok(())
}
