//! The Codex agent core: what a model is told on every request of a thread (base instructions,
//! permissions, AGENTS.md, environment context), the model catalog, and how tool output and
//! images are prepared for the model. It knows nothing of connections or JSON-RPC sessions; the
//! app-server drives it and turns its events into notifications.

pub mod context;
