//! Protocol v2 payloads, grouped by resource.
//!
//! Type names match the reference schema's definition names so the exported
//! JSON Schema and TypeScript line up with it one to one. Optional reference
//! fields that no part of this project fills yet (realtime, plugins, memory,
//! sub-agent collaboration, ...) are left out; unknown fields sent by clients
//! are ignored, so leaving them out never breaks a request.

mod account;
mod approval;
mod command_exec;
mod config;
mod fs;
mod item;
mod mcp;
mod model;
mod notification;
mod plugin;
mod policy;
mod remote_control;
mod review;
mod search;
mod skills;
mod thread;
mod thread_ops;
mod thread_settings;
mod turn;

pub use account::*;
pub use approval::*;
pub use command_exec::*;
pub use config::*;
pub use fs::*;
pub use item::*;
pub use mcp::*;
pub use model::*;
pub use notification::*;
pub use plugin::*;
pub use policy::*;
pub use remote_control::*;
pub use review::*;
pub use search::*;
pub use skills::*;
pub use thread::*;
pub use thread_ops::*;
pub use thread_settings::*;
pub use turn::*;

pub use crate::initialize::*;
