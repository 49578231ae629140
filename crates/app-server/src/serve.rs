//! Starting and stopping a whole server: config, state, the listener, the processor, and the
//! graceful drain.
//!
//! A config.toml that cannot be loaded is served around with defaults (see
//! [`crate::config_problem`]) unless `strict_config`; a corrupt state database stops the start
//! unless `recover_state`, which moves it aside and starts with empty state.
//!
//! Startup order matters for the control socket: the startup lock is taken first and held across
//! socket preparation and state initialisation, then released once the listener is bound, so
//! twenty simultaneous launches leave exactly one server and an intact database. Shutdown: when
//! `shutdown` fires (the CLI maps SIGINT/SIGTERM to it) running turns get up to the drain timeout
//! to finish while their clients stay connected, then listeners stop and every connection is
//! closed normally.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::v2::SessionSource;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_transport::bind_websocket;
use codex_app_server_transport::prepare_control_socket;
use codex_app_server_transport::serve_control_socket;
use codex_app_server_transport::serve_stdio;
use codex_app_server_transport::serve_websocket;
use codex_app_server_transport::startup_lock_path;
use codex_app_server_transport::ListenAddress;
use codex_app_server_transport::TransportError;
use codex_app_server_transport::TransportEvent;
use codex_app_server_transport::TransportKind;
use codex_app_server_transport::WebsocketOptions;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::config::ConfigError;
use crate::config::ConfigOverrides;
use crate::config_problem::ConfigProblem;
use crate::handlers::AppHandler;
use crate::processor::close_all_connections;
use crate::processor::wait_for_idle;
use crate::processor::MessageProcessor;
use crate::processor::ProcessorOptions;
use crate::processor::DEFAULT_DRAIN_TIMEOUT;
use crate::processor::DEFAULT_INBOUND_QUEUE_CAPACITY;
use crate::remote_control::RemoteControl;
use crate::state::StateDb;
use crate::state::StateError;
use crate::tools::AgentTools;
use codex_agent::mcp::McpManager;

/// Capacity of the channel carrying transport events to the processor.
const EVENT_CHANNEL_CAPACITY: usize = 1024;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The state database could not be opened.
    #[error(transparent)]
    State(#[from] StateError),
    /// `$CODEX_HOME` cannot be made absolute.
    #[error("CODEX_HOME {0} cannot be resolved to an absolute path")]
    CodexHome(PathBuf),
    /// A transport failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// Called with the listening address (`ws://IP:PORT`, `unix://PATH`, `stdio://`) once bound.
pub type ListeningCallback = Arc<dyn Fn(&str) + Send + Sync>;

/// Everything needed to run a server.
#[derive(Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: ListenAddress,
    /// `$CODEX_HOME`.
    pub codex_home: PathBuf,
    /// Per-launch config overrides.
    pub overrides: ConfigOverrides,
    /// Websocket auth, limits and readiness (also used for the control socket's limits).
    pub websocket: WebsocketOptions,
    /// How long a graceful shutdown waits for running turns.
    pub drain_timeout: Duration,
    /// Capacity of each connection's inbound request queue (full → `-32001` at once).
    pub inbound_queue_capacity: usize,
    /// Told the address once the listener is bound.
    pub on_listening: Option<ListeningCallback>,
    /// Start remote control at launch (`codex app-server --remote-control`).
    pub remote_control: bool,
    /// The source recorded on threads this server creates.
    pub session_source: SessionSource,
    /// `--strict-config`: a config file that cannot be loaded stops the start (otherwise the
    /// server serves with defaults and warns).
    pub strict_config: bool,
    /// `--recover-state`: a corrupt state database is moved aside and a fresh one created
    /// (otherwise the start fails and the file is left untouched).
    pub recover_state: bool,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("codex_home", &self.codex_home)
            .field("overrides", &self.overrides)
            .field("websocket", &self.websocket)
            .field("drain_timeout", &self.drain_timeout)
            .field("inbound_queue_capacity", &self.inbound_queue_capacity)
            .field("remote_control", &self.remote_control)
            .field("strict_config", &self.strict_config)
            .field("recover_state", &self.recover_state)
            .finish_non_exhaustive()
    }
}

impl ServeOptions {
    /// Options for `listen` with state under `codex_home` and defaults elsewhere.
    pub fn new(listen: ListenAddress, codex_home: PathBuf) -> Self {
        Self {
            listen,
            codex_home,
            overrides: ConfigOverrides::default(),
            websocket: WebsocketOptions::default(),
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            inbound_queue_capacity: DEFAULT_INBOUND_QUEUE_CAPACITY,
            on_listening: None,
            remote_control: false,
            session_source: SessionSource::Vscode,
            strict_config: false,
            recover_state: false,
        }
    }
}

/// Loads the config for a start. A config file that cannot be loaded is fatal under `strict`;
/// otherwise it is logged and the defaults (with the command-line overrides) are used, and the
/// problem is returned for the server to report and act on.
pub(crate) fn load_config(
    codex_home: &std::path::Path,
    overrides: &ConfigOverrides,
    strict: bool,
) -> Result<(Config, Option<ConfigProblem>), ServeError> {
    match Config::load(codex_home, overrides) {
        Ok(config) => Ok((config, None)),
        Err(err) if !strict && err.is_file_problem() => {
            let problem = ConfigProblem::from_error(&err);
            tracing::error!(
                "{}; serving with default settings (thread/start, turn/start and config writes \
                 are refused until the file is fixed; --strict-config exits instead)",
                problem.summary
            );
            let defaults =
                ConfigOverrides { ignore_user_config: true, profile: None, ..overrides.clone() };
            Ok((Config::load(codex_home, &defaults)?, Some(problem)))
        }
        Err(err) => Err(err.into()),
    }
}

/// Opens the state database under `codex_home`; with `recover`, a corrupt one is moved aside
/// (never deleted) and a fresh one created.
pub(crate) async fn open_state(
    codex_home: &std::path::Path,
    recover: bool,
) -> Result<StateDb, ServeError> {
    let path = codex_home.join(crate::state::STATE_DB_FILE_NAME);
    if !recover {
        return Ok(StateDb::open(&path).await?);
    }
    let (state, moved) = StateDb::open_recovering(&path).await?;
    if let Some(moved) = moved {
        tracing::warn!(
            "--recover-state: the corrupt state database was moved aside to {}; starting with \
             empty state",
            moved.display()
        );
    }
    Ok(state)
}

/// Runs a server until its listener ends (stdio EOF) or `shutdown` fires, then drains.
pub async fn serve(
    mut options: ServeOptions,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let codex_home = absolute_codex_home(&options.codex_home)?;
    options.codex_home = codex_home.as_path().to_path_buf();
    let (config, config_problem) =
        load_config(&options.codex_home, &options.overrides, options.strict_config)?;
    let (events_tx, events_rx) = mpsc::channel(EVENT_CHANNEL_CAPACITY);
    let stop_accepting = CancellationToken::new();

    // Bind first (under the startup lock for the control socket, held while state opens).
    let (tcp, unix, state) = match &options.listen {
        ListenAddress::Websocket(address) => {
            let tcp = bind_websocket(*address, &options.websocket.auth.clone()).await?;
            (Some(tcp), None, open_state(&options.codex_home, options.recover_state).await?)
        }
        listen @ (ListenAddress::DefaultControlSocket | ListenAddress::UnixSocket(_)) => {
            let path = listen.control_socket_path(&options.codex_home).unwrap_or_default();
            let prepared =
                prepare_control_socket(&path, &startup_lock_path(&options.codex_home)).await?;
            let state = open_state(&options.codex_home, options.recover_state).await?;
            (None, Some(prepared.release_startup_lock()), state)
        }
        ListenAddress::Stdio | ListenAddress::Off => {
            (None, None, open_state(&options.codex_home, options.recover_state).await?)
        }
    };

    let core = ServerCore::start(
        codex_home,
        (config, config_problem),
        state,
        &options,
        events_tx.clone(),
        events_rx,
    )
    .await;

    let listener_task = {
        let stop = stop_accepting.clone();
        let websocket = options.websocket.clone();
        let events = events_tx.clone();
        let listen = options.listen.clone();
        let on_listening = options.on_listening.clone();
        let announce = move |address: String| {
            if let Some(callback) = &on_listening {
                callback(&address);
            }
        };
        tokio::spawn(async move {
            match (listen, tcp, unix) {
                (ListenAddress::Stdio, _, _) => {
                    announce("stdio://".to_owned());
                    serve_stdio(events, &websocket.config, stop).await
                }
                (_, Some(tcp), _) => {
                    let address = tcp.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    announce(format!("ws://{address}"));
                    websocket.readiness.set_ready();
                    serve_websocket(tcp, websocket, events, stop).await
                }
                (_, _, Some(bound)) => {
                    announce(format!("unix://{}", bound.files().requested_path().display()));
                    websocket.readiness.set_ready();
                    serve_control_socket(bound, websocket, events, stop).await
                }
                _ => {
                    stop.cancelled().await;
                    Ok(())
                }
            }
        })
    };
    drop(events_tx);

    let mut listener_task = listener_task;
    let listener_result = tokio::select! {
        result = &mut listener_task => Some(result.unwrap_or(Ok(()))),
        () = shutdown.cancelled() => None,
    };
    // Drain before stopping the listener: the transports tie every connection's lifetime to the
    // listener's token, so stopping it first would cut clients off from their turns' last events.
    // Remote control stays up for the same reason and stops after the drain.
    core.drain(options.drain_timeout).await;
    stop_accepting.cancel();
    let listener_result = match listener_result {
        Some(result) => result,
        None => tokio::time::timeout(Duration::from_secs(5), listener_task)
            .await
            .map(|joined| joined.unwrap_or(Ok(())))
            .unwrap_or(Ok(())),
    };
    core.close().await;
    listener_result.map_err(ServeError::from)
}

/// `codex_home` made absolute.
pub(crate) fn absolute_codex_home(
    codex_home: &std::path::Path,
) -> Result<AbsolutePath, ServeError> {
    std::path::absolute(codex_home)
        .ok()
        .and_then(|path| AbsolutePath::new(path).ok())
        .ok_or_else(|| ServeError::CodexHome(codex_home.to_path_buf()))
}

/// The transport-independent part of a running server: the processor (with its handler and
/// remote control) consuming an event channel, and the state database. `serve` puts a listener
/// in front of it; the in-process server hands out channel connections instead.
pub(crate) struct ServerCore {
    processor: Arc<MessageProcessor<AppHandler>>,
    processor_task: tokio::task::JoinHandle<()>,
    /// Stops the processor at `close`, even while some event sender (a client) is still alive.
    processor_stop: CancellationToken,
    remote_control: Arc<RemoteControl>,
    mcp: Arc<McpManager>,
    state: StateDb,
}

impl ServerCore {
    /// Builds the processor for `config` (and the problem of the file it should have come
    /// from) and `state`, and starts it on `events_rx`.
    pub(crate) async fn start(
        codex_home: AbsolutePath,
        (config, config_problem): (Config, Option<ConfigProblem>),
        state: StateDb,
        options: &ServeOptions,
        events_tx: mpsc::Sender<TransportEvent>,
        events_rx: mpsc::Receiver<TransportEvent>,
    ) -> Self {
        let mut processor_options = ProcessorOptions::new(codex_home);
        processor_options.drain_timeout = options.drain_timeout;
        processor_options.inbound_queue_capacity = options.inbound_queue_capacity.max(1);
        processor_options.remote_control = options.remote_control;
        processor_options.session_source = options.session_source.clone();
        let remote_control = Arc::new(RemoteControl::new(&options.codex_home, state.clone()));
        let launch_config = config.clone();
        // `[features] unified_exec = false` offers the one-shot `shell` tool instead.
        let unified_exec = config.features.get("unified_exec").copied().unwrap_or(true);
        let mcp = McpManager::new();
        let processor = Arc::new(MessageProcessor::new(
            processor_options,
            AppHandler::new(config, options.overrides.clone(), state.clone())
                .with_config_problem(config_problem)
                .with_remote_control(Arc::clone(&remote_control))
                .with_mcp(Arc::clone(&mcp))
                .with_tool_router(Arc::new(
                    if options.overrides.ignore_rules {
                        AgentTools::without_rules(&options.codex_home)
                    } else {
                        AgentTools::load(&options.codex_home)
                    }
                    .with_unified_exec(unified_exec)
                    .with_mcp(Arc::clone(&mcp)),
                )),
        ));
        remote_control.attach(events_tx, processor.shared().router.clone());
        // MCP servers start in the background; their status is broadcast to clients.
        mcp.attach_host(crate::agent_host::ServerHost::of(&processor.shared()));
        mcp.start(&launch_config);
        if options.remote_control {
            if let Err(err) = remote_control.enable(&launch_config).await {
                tracing::warn!("--remote-control: {err}");
            }
        }
        let processor_stop = CancellationToken::new();
        let processor_task = {
            let processor = Arc::clone(&processor);
            let stop = processor_stop.clone();
            tokio::spawn(async move { processor.run_until(events_rx, stop).await })
        };
        Self { processor, processor_task, processor_stop, remote_control, mcp, state }
    }

    /// The state shared with handlers.
    pub(crate) fn shared(&self) -> Arc<crate::processor::ServerShared> {
        self.processor.shared()
    }

    /// Waits up to `timeout` for running turns to finish, then stops remote control.
    pub(crate) async fn drain(&self, timeout: Duration) {
        tracing::info!("draining running turns");
        self.shared().lifecycle.send_replace(crate::processor::ServerLifecycle::Draining);
        if !wait_for_idle(&self.shared(), timeout).await {
            tracing::warn!(?timeout, "drain timeout reached with turns still running");
        }
        self.remote_control.shutdown();
    }

    /// Closes every connection, waits (briefly) for the processor and closes the database.
    pub(crate) async fn close(self) {
        let shared = self.shared();
        close_all_connections(&shared);
        // Let the processor see every transport connection close (its cleanup runs then), but
        // do not wait for an in-process client still held: it only closes when dropped.
        let all_closed = async {
            while shared.router.connection_ids().into_iter().any(|id| {
                shared
                    .router
                    .handle(id)
                    .is_some_and(|handle| handle.transport != TransportKind::InProcess)
            }) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), all_closed).await;
        self.processor_stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.processor_task).await;
        self.mcp.shutdown();
        self.state.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn serve_future_is_send_so_it_can_be_spawned() {
        let options = ServeOptions::new(ListenAddress::Off, PathBuf::from("/nonexistent"));
        let future = serve(options, CancellationToken::new());
        assert_send(&future);
    }
}
