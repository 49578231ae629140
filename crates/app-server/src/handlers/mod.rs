//! The request handler: dispatches each typed, permitted request to the module that serves it.
//!
//! Session checks (initialize, experimental gating) happened before a request gets here; see
//! [`crate::processor`]. Methods of the core set this server does not serve yet answer `-32601`
//! with a message that says so, like any unknown method.

pub mod account;
pub mod bootstrap;
pub mod command_exec;
pub mod mcp;
pub mod threads;
pub mod workspace;

use std::sync::Arc;
use std::sync::RwLock;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_transport::ConnectionId;
use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::config::ConfigOverrides;
use crate::config_problem::ConfigProblem;
use crate::config_problem::REFUSED_WITH_BROKEN_CONFIG;
use crate::engine::tools::ToolRouter;
use crate::engine::Engine;
use crate::processes::ProcessTable;
use crate::processor::method_not_implemented;
use crate::processor::HandlerResult;
use crate::processor::RequestContext;
use crate::processor::RequestHandler;
use crate::processor::ServerShared;
use crate::remote_control::RemoteControl;
use crate::state::StateDb;
use codex_agent::mcp::McpManager;

/// Serialises a typed response into the `result` value.
pub fn to_result<T: Serialize>(id: &RequestId, response: &T) -> HandlerResult {
    serde_json::to_value(response).map_err(|err| {
        JsonRpcError::new(
            Some(id.clone()),
            error_codes::INTERNAL_ERROR,
            format!("failed to serialise response: {err}"),
        )
    })
}

/// The app-server's request handler.
#[derive(Debug)]
pub struct AppHandler {
    config: RwLock<Arc<Config>>,
    /// Why config.toml could not be loaded (then `config` holds the defaults).
    config_problem: RwLock<Option<ConfigProblem>>,
    overrides: ConfigOverrides,
    state: StateDb,
    engine: Arc<Engine>,
    processes: Arc<ProcessTable>,
    remote_control: Arc<RemoteControl>,
    workspace: workspace::Workspace,
    mcp: Arc<McpManager>,
}

impl AppHandler {
    /// A handler serving `config` and storing state in `state`.
    pub fn new(config: Config, overrides: ConfigOverrides, state: StateDb) -> Self {
        command_exec::log_sandbox_support();
        let engine = Arc::new(Engine::new(state.clone()));
        let remote_control = Arc::new(RemoteControl::new(&config.codex_home, state.clone()));
        Self {
            config: RwLock::new(Arc::new(config)),
            config_problem: RwLock::new(None),
            overrides,
            state,
            engine,
            processes: Arc::new(ProcessTable::default()),
            remote_control,
            workspace: workspace::Workspace::default(),
            mcp: McpManager::new(),
        }
    }

    /// Serves the MCP methods with `manager` (shared with the tool router).
    pub fn with_mcp(mut self, manager: Arc<McpManager>) -> Self {
        self.mcp = manager;
        self
    }

    /// The MCP servers.
    pub fn mcp(&self) -> &Arc<McpManager> {
        &self.mcp
    }

    /// `config/mcpServer/reload`: loads config.toml again (keeping the launch overrides) and
    /// restarts the MCP servers whose settings changed.
    fn reload_mcp(&self, id: &RequestId) -> HandlerResult {
        let current = self.config();
        let config = Config::load(&current.codex_home, &self.overrides).map_err(|err| {
            JsonRpcError::new(
                Some(id.clone()),
                error_codes::INTERNAL_ERROR,
                format!("config/mcpServer/reload: {}", err.summary()),
            )
        })?;
        self.mcp.reload(&config);
        if let Ok(mut slot) = self.config.write() {
            *slot = Arc::new(config);
        }
        mcp::reloaded(id)
    }

    /// Serves around `problem`: config.toml could not be loaded and `config` holds defaults.
    pub fn with_config_problem(self, problem: Option<ConfigProblem>) -> Self {
        if let Ok(mut slot) = self.config_problem.write() {
            *slot = problem;
        }
        self
    }

    /// Why config.toml could not be loaded, if it could not.
    pub fn config_problem(&self) -> Option<ConfigProblem> {
        self.config_problem.read().map(|problem| problem.clone()).unwrap_or(None)
    }

    /// For a request that depends on config.toml while the file could not be loaded: loads it
    /// again, and once it loads, serves with it from then on. Returns the problem that remains.
    fn recheck_config_problem(&self) -> Option<ConfigProblem> {
        self.config_problem()?;
        let codex_home = self.config().codex_home.clone();
        let (config, problem) = match Config::load(&codex_home, &self.overrides) {
            Ok(config) => (Some(config), None),
            Err(err) => (None, Some(ConfigProblem::from_error(&err))),
        };
        if let Some(config) = config {
            tracing::info!("{} loads again; serving with it", config.file.display());
            if let Ok(mut slot) = self.config.write() {
                *slot = Arc::new(config);
            }
        }
        if let Ok(mut slot) = self.config_problem.write() {
            slot.clone_from(&problem);
        }
        problem
    }

    /// Uses `remote_control` (shared with `serve`, which attaches it to the processor).
    pub fn with_remote_control(mut self, remote_control: Arc<RemoteControl>) -> Self {
        self.remote_control = remote_control;
        self
    }

    /// Serves the model's function calls with `tools` (instead of answering them as unsupported).
    pub fn with_tool_router(mut self, tools: Arc<dyn ToolRouter>) -> Self {
        self.engine = Arc::new(Engine::with_tools(self.state.clone(), tools));
        self
    }

    /// The agent engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The current effective config.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .map(|config| Arc::clone(&config))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }

    /// The state database.
    pub fn state(&self) -> &StateDb {
        &self.state
    }

    /// Applies config edits, then reloads the config so later requests see them.
    fn write_config(
        &self,
        config: &Config,
        id: &RequestId,
        file_path: Option<&str>,
        expected_version: Option<&str>,
        edits: Vec<crate::config::ConfigEdit>,
    ) -> HandlerResult {
        let response =
            bootstrap::config_write(config, id.clone(), file_path, expected_version, edits)?;
        self.reload_config();
        to_result(id, &response)
    }

    /// Reloads config.toml after a write (keeping the launch overrides).
    fn reload_config(&self) {
        let current = self.config();
        match Config::load(&current.codex_home, &self.overrides) {
            Ok(config) => {
                if let Ok(mut slot) = self.config.write() {
                    *slot = Arc::new(config);
                }
            }
            Err(err) => tracing::warn!("config written but reloading it failed: {err}"),
        }
    }
}

impl RequestHandler for AppHandler {
    async fn handle(
        &self,
        shared: Arc<ServerShared>,
        context: RequestContext,
        request: ClientRequest,
    ) -> HandlerResult {
        let id = context.id.clone();
        if REFUSED_WITH_BROKEN_CONFIG.contains(&request.method()) {
            if let Some(problem) = self.recheck_config_problem() {
                return Err(problem.refusal(id, request.method()));
            }
        }
        let config = self.config();
        let request = match threads::handle(&self.engine, &shared, &config, &context, request).await
        {
            Ok(result) => return result,
            Err(request) => request,
        };
        let request =
            match self.workspace.handle(&shared, &context, &config, &self.engine, request).await {
                Ok(result) => return result,
                Err(request) => request,
            };
        let request = match account::handle(&self.engine, &shared, &config, &context, request).await
        {
            Ok(result) => return result,
            Err(request) => request,
        };
        let request = match mcp::handle(&self.mcp, &self.engine, &shared, &context, request).await {
            Ok(result) => return result,
            Err(request) => request,
        };
        match request {
            ClientRequest::ConfigRequirementsRead(()) => {
                to_result(&id, &bootstrap::config_requirements_read())
            }
            ClientRequest::CollaborationModeList(_) => {
                to_result(&id, &bootstrap::collaboration_mode_list())
            }
            ClientRequest::HooksList(params) => to_result(&id, &bootstrap::hooks_list(params)),
            ClientRequest::ExperimentalFeatureList(_) => {
                to_result(&id, &bootstrap::experimental_feature_list(&config))
            }
            ClientRequest::SkillsList(params) => {
                to_result(&id, &bootstrap::skills_list(&config, params))
            }
            ClientRequest::ConfigRead(params) => Ok(bootstrap::config_read(&config, params)),
            ClientRequest::ConfigValueWrite(params) => self.write_config(
                &config,
                &id,
                params.file_path.as_deref(),
                params.expected_version.as_deref(),
                bootstrap::value_write_edits(&params),
            ),
            ClientRequest::ConfigBatchWrite(params) => self.write_config(
                &config,
                &id,
                params.file_path.as_deref(),
                params.expected_version.as_deref(),
                bootstrap::batch_write_edits(&params),
            ),
            ClientRequest::CommandExec(params) => {
                command_exec::exec(shared, context, &config, &self.processes, params).await
            }
            ClientRequest::CommandExecWrite(params) => {
                command_exec::write(&context, &self.processes, params).await
            }
            ClientRequest::CommandExecTerminate(params) => {
                command_exec::terminate(&context, &self.processes, params)
            }
            ClientRequest::CommandExecResize(params) => {
                command_exec::resize(&context, &self.processes, params)
            }
            ClientRequest::McpServerRefresh(()) => self.reload_mcp(&id),
            ClientRequest::RemoteControlEnable(_)
            | ClientRequest::RemoteControlDisable(_)
            | ClientRequest::RemoteControlStatusRead(()) => {
                crate::remote_control::handle(&self.remote_control, &config, id, request).await
            }
            // This server has no plugin marketplaces.
            ClientRequest::PluginInstalled(_) => to_result(
                &id,
                &codex_app_server_protocol::v2::PluginInstalledResponse {
                    marketplace_load_errors: None,
                    marketplaces: Vec::new(),
                },
            ),
            ClientRequest::RemoteControlPairingStart(_)
            | ClientRequest::RemoteControlPairingStatus(_)
            | ClientRequest::RemoteControlClientList(_)
            | ClientRequest::RemoteControlClientRevoke(_) => {
                crate::remote_control::handle_pairing(
                    &self.remote_control,
                    context.transport,
                    id,
                    request,
                )
                .await
            }
            other => Err(method_not_implemented(id, other.method())),
        }
    }

    async fn connection_closed(
        &self,
        shared: Arc<ServerShared>,
        connection: ConnectionId,
        emptied: Vec<(String, u64)>,
    ) {
        self.engine
            .connection_closed(&crate::agent_host::ServerHost(Arc::clone(&shared)), &emptied);
        self.workspace.connection_closed(connection);
        let killed = self.processes.remove_connection(connection);
        if killed > 0 {
            tracing::debug!(%connection, killed, "killed the closed connection's commands");
        }
    }

    async fn connection_initialized(&self, shared: Arc<ServerShared>, connection: ConnectionId) {
        let warnings = self
            .config_problem()
            .map(|problem| problem.warning())
            .into_iter()
            .chain(command_exec::sandbox_warning());
        for warning in warnings {
            let notification = ServerNotification::ConfigWarning(warning);
            if let Err(err) = shared.router.notify(connection, &notification).await {
                tracing::debug!(%connection, "config warning not delivered: {err}");
            }
        }
    }
}

/// A `result` of `{}` for methods whose response has no fields.
pub fn empty_result() -> Value {
    Value::Object(serde_json::Map::new())
}
