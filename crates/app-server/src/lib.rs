//! The Codex app-server processors: connection sessions, routing, the
//! thread and turn engine, tools, approvals, `command/exec` and state.

pub mod config;
pub mod state;
