//! `codex remote-control`: the self-hostable relay (`relay`) and its operator tooling
//! (`relay issue-token`, `relay list-tokens`, `relay revoke-token`), and end-to-end pairing with
//! the app-server running on this machine's control socket (`pair`, `clients list`,
//! `clients revoke`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use clap::Subcommand;
use codex_app_server::state::StateDb;
use codex_app_server_daemon::ControlClient;
use codex_app_server_protocol::v2::RemoteControlClientsRevokeResponse;
use codex_app_server_protocol::v2::RemoteControlPairingStartResponse;
use codex_app_server_protocol::v2::RemoteControlPairingStatusResponse;
use codex_app_server_transport::default_control_socket_path;
use codex_app_server_transport::remote_control::unix_now;
use codex_app_server_transport::CancellationToken;
use codex_remote_relay::check_bind;
use codex_remote_relay::parse_listen;
use codex_remote_relay::serve_relay;
use codex_remote_relay::RelayOptions;
use codex_remote_relay::Store;

/// `codex remote-control` subcommands.
#[derive(Debug, Subcommand)]
pub enum RemoteControlCommand {
    /// Run a relay that app-servers dial out to and remote clients connect through.
    Relay(RelayArgs),
    /// Issue a pairing code on the running app-server (its control socket); prints the code.
    Pair(PairArgs),
    /// List or revoke the remote clients paired with the running app-server.
    Clients(ClientsArgs),
}

/// `codex remote-control pair` flags.
#[derive(Debug, Args)]
pub struct PairArgs {
    /// The app-server's control socket (default: the one under $CODEX_HOME).
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Wait until the code is claimed or expires, and say which.
    #[arg(long)]
    wait: bool,
}

/// `codex remote-control clients` flags.
#[derive(Debug, Args)]
pub struct ClientsArgs {
    #[command(subcommand)]
    action: ClientsAction,
    /// The app-server's control socket (default: the one under $CODEX_HOME).
    #[arg(long, value_name = "PATH", global = true)]
    socket: Option<PathBuf>,
}

/// `codex remote-control clients` subcommands.
#[derive(Debug, Subcommand)]
enum ClientsAction {
    /// Print one line per paired client: id, name, paired at, last seen (Unix seconds; read
    /// from the state database, so it works whether or not the server runs).
    List,
    /// Forget a paired client and close its open streams now (through the running server; with
    /// none running, straight from the state database).
    Revoke {
        /// The client id (`rcc_...`, from `clients list`).
        #[arg(value_name = "CLIENT_ID")]
        client_id: String,
    },
}

/// A client of the running app-server's control socket, initialized.
async fn control_client(socket: Option<&PathBuf>) -> anyhow::Result<ControlClient> {
    let path = match socket {
        Some(path) => path.clone(),
        None => default_control_socket_path(&crate::app_server_command::codex_home()?),
    };
    let mut client = ControlClient::connect(&path).await.with_context(|| {
        format!(
            "no app-server answers on {}: start one (`codex app-server daemon start`) first",
            path.display()
        )
    })?;
    client.initialize("codex-remote-control").await?;
    Ok(client)
}

async fn pair(args: &PairArgs) -> anyhow::Result<()> {
    let mut client = control_client(args.socket.as_ref()).await?;
    let started: RemoteControlPairingStartResponse =
        client.request("remoteControl/pairing/start", serde_json::json!({})).await?;
    println!("{}", started.pairing_code);
    let minutes = (started.expires_at - unix_now()).max(0) / 60;
    eprintln!(
        "enter this code in the remote client within {minutes} min; it works once. The code \
         never crosses the relay: the client proves it knows it."
    );
    if args.wait {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            // An expired code is an error answer.
            let status: RemoteControlPairingStatusResponse = client
                .request(
                    "remoteControl/pairing/status",
                    serde_json::json!({"pairingCode": started.pairing_code}),
                )
                .await?;
            if status.claimed {
                eprintln!("paired; `codex remote-control clients list` shows the client");
                break;
            }
        }
    }
    client.close().await;
    Ok(())
}

async fn clients(args: &ClientsArgs) -> anyhow::Result<()> {
    let codex_home = crate::app_server_command::codex_home()?;
    match &args.action {
        ClientsAction::List => {
            let state = StateDb::open_in(&codex_home).await?;
            let clients = state.remote_clients().await;
            state.close().await;
            for paired in clients? {
                let last_seen = paired.last_seen_at.map(|at| at.to_string());
                println!(
                    "{}\t{}\t{}\t{}",
                    paired.client_id,
                    paired.display_name,
                    paired.paired_at,
                    last_seen.as_deref().unwrap_or("-"),
                );
            }
        }
        ClientsAction::Revoke { client_id } => match control_client(args.socket.as_ref()).await {
            Ok(mut client) => {
                let revoked: Result<RemoteControlClientsRevokeResponse, _> = client
                    .request(
                        "remoteControl/client/revoke",
                        serde_json::json!({"clientId": client_id, "environmentId": "local"}),
                    )
                    .await;
                client.close().await;
                revoked?;
                eprintln!("revoked {client_id}; its open streams are closed");
            }
            Err(_) => {
                let state = StateDb::open_in(&codex_home).await?;
                let removed = state.remove_remote_client(client_id).await;
                state.close().await;
                if !removed? {
                    anyhow::bail!("no paired client {client_id:?}");
                }
                eprintln!("revoked {client_id} (no server was running)");
            }
        },
    }
    Ok(())
}

/// `codex remote-control relay` flags.
#[derive(Debug, Args)]
#[command(after_help = "The relay speaks plain ws:// and http://. Expose it only behind a \
                  TLS-terminating reverse proxy (app-servers accept http:// relays on loopback \
                  only); binding a non-loopback address needs --behind-tls-proxy, and a \
                  wildcard address (0.0.0.0, [::]) is refused: bind the address the proxy uses.")]
pub struct RelayArgs {
    #[command(subcommand)]
    action: Option<RelayAction>,
    /// Where to listen: ws://IP:PORT.
    #[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:8765")]
    listen: String,
    /// Directory of enrollments and client tokens.
    #[arg(long, value_name = "DIR", global = true)]
    state_dir: Option<PathBuf>,
    /// Largest frame exchanged with app-servers; larger messages are chunked.
    #[arg(long, value_name = "BYTES", default_value_t = codex_remote_relay::DEFAULT_MAX_FRAME_BYTES)]
    max_frame_bytes: usize,
    /// Allow a specific non-loopback --listen address because a TLS-terminating proxy fronts it.
    #[arg(long)]
    behind_tls_proxy: bool,
    /// Lifetime of issued server tokens, in seconds (testing aid).
    #[arg(long, hide = true, value_name = "SECONDS")]
    token_ttl_seconds: Option<u64>,
}

/// `codex remote-control relay` subcommands.
#[derive(Debug, Subcommand)]
enum RelayAction {
    /// Issue a token letting one remote client reach one server; prints the token.
    IssueToken {
        /// The server id (from the relay's log or the server's enrollment).
        #[arg(long, value_name = "ID")]
        server_id: String,
    },
    /// List issued client tokens (their ids and servers; tokens themselves are never stored).
    ListTokens,
    /// Revoke a client token by its id (from list-tokens) or by the token itself.
    RevokeToken {
        /// The token's id (`cli_...`) or the token.
        #[arg(value_name = "ID_OR_TOKEN")]
        token: String,
    },
}

fn state_dir(args: &RelayArgs) -> anyhow::Result<PathBuf> {
    match &args.state_dir {
        Some(dir) => Ok(dir.clone()),
        None => Ok(crate::app_server_command::codex_home()?.join("remote-relay")),
    }
}

/// Runs `codex remote-control ...`.
pub async fn run(command: RemoteControlCommand) -> anyhow::Result<()> {
    let args = match command {
        RemoteControlCommand::Relay(args) => args,
        RemoteControlCommand::Pair(args) => return pair(&args).await,
        RemoteControlCommand::Clients(args) => return clients(&args).await,
    };
    let dir = state_dir(&args)?;
    match &args.action {
        Some(RelayAction::IssueToken { server_id }) => {
            let token = Store::new(&dir).issue_client_token(server_id)?;
            println!("{token}");
            return Ok(());
        }
        Some(RelayAction::ListTokens) => {
            for (id, record) in Store::new(&dir).list_client_tokens()? {
                println!("{id}\t{}\t{}", record.server_id, record.issued_at);
            }
            return Ok(());
        }
        Some(RelayAction::RevokeToken { token }) => {
            let removed = Store::new(&dir).revoke_client_token(token)?;
            if removed == 0 {
                anyhow::bail!("no client token matches {token:?}");
            }
            eprintln!("revoked {removed} client token(s); new sockets with it are refused");
            return Ok(());
        }
        None => {}
    }
    let address = parse_listen(&args.listen)?;
    check_bind(address, args.behind_tls_proxy)?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    eprintln!("codex remote-control relay listening on ws://{local}");
    let mut options = RelayOptions::new(dir);
    options.max_frame_bytes = args.max_frame_bytes;
    if let Some(seconds) = args.token_ttl_seconds {
        options.token_ttl = std::time::Duration::from_secs(seconds.max(1));
    }
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    serve_relay(listener, options, shutdown).await?;
    Ok(())
}
