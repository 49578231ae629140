//! The Codex app-server processors: connection sessions, routing, the
//! thread and turn engine, tools, approvals, `command/exec` and state.
//!
//! [`serve::serve`] runs a whole server on one listener; [`processor::MessageProcessor`] is the
//! transport-independent core that consumes transport events and answers requests;
//! [`in_process`] embeds the whole server in its client's process (`codex exec`).
// Handlers return `JsonRpcError` by value (it is the response they send); boxing it everywhere
// would only add noise.

pub mod agent_host;
pub mod config_problem;
pub mod file_search;
pub mod fs_watch;
pub mod handlers;
pub mod host_fs;
pub mod in_process;
pub mod outbound;
pub mod processes;
pub mod processor;
pub mod questions;
pub mod remote_control;
pub mod serve;
pub mod server_requests;
pub mod session;
pub mod subscriptions;
pub mod telemetry;

// The agent core and the state database live in crates of their own; handlers reach them
// through these paths.
pub use codex_agent::config;
pub use codex_agent::engine;
pub use codex_agent::tools;
pub use codex_state as state;
