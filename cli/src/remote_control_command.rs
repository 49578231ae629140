//! `codex remote-control`: the self-hostable relay (`relay`) and its operator tooling
//! (`relay issue-token`, `relay list-tokens`, `relay revoke-token`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use clap::Subcommand;
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
    let RemoteControlCommand::Relay(args) = command;
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
