//! Test helpers shared by the Codex crates' tests.
//!
//! [`MockProvider`] is the one allowed fake: a real HTTP server on loopback that plays scripted
//! Responses-API and Chat-Completions SSE streams ([`Script`]) and records what it was sent.

mod mock_provider;
mod render;
mod script;

pub use mock_provider::{MockProvider, RecordedRequest, ServeOutcome};
pub use render::WireFormat;
pub use script::{Ending, MockUsage, Script};
