//! The Codex agent core: threads, turns against a model provider, the context a model is told on
//! every request (base instructions, permissions, AGENTS.md, environment context), the model
//! catalog, the tools a turn offers and their approval policy, and the config that drives them.
//!
//! It knows nothing of connections or JSON-RPC sessions: everything it says to clients goes
//! through one seam, [`host::AgentHost`], which the app-server implements (events become
//! notifications for the thread's subscribers; questions become server requests).

pub mod auth;
pub mod config;
pub mod context;
pub mod engine;
pub mod host;
pub mod mcp;
pub mod tools;
