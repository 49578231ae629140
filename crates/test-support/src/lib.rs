//! Test helpers shared by the Codex crates' tests.
//!
//! [`MockProvider`] is the one allowed fake: a real HTTP server on loopback that plays scripted
//! Responses-API and Chat-Completions SSE streams ([`Script`]) and records what it was sent.
//! [`TestClient`] talks JSON-RPC to a real server over a websocket and validates every message
//! the server sends against the reference schema ([`ReferenceSchema`]). [`mcp_server`] is a real
//! MCP server (stdio binary `mcp_test_server`, or streamable HTTP in the test process).

mod client;
pub mod mcp_server;
mod mock_provider;
mod reference_schema;
mod render;
mod script;

pub use client::{
    is_sandbox_unavailable_warning, RequestOutcome, TestClient, DEFAULT_WAIT,
    SANDBOX_UNAVAILABLE_SUMMARY,
};
pub use mock_provider::{MockProvider, RecordedRequest, ServeOutcome};
pub use reference_schema::{reference_schema_dir, ReferenceSchema};
pub use render::WireFormat;
pub use script::{Ending, MockUsage, Script};
