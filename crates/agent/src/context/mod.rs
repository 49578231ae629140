//! The context builder: the instructions and context messages a thread's model requests carry.
//!
//! The turn engine sends these pieces in a fixed order, so the request prefix stays stable and
//! cacheable:
//! 1. the request's `instructions` field holds the base instructions ([`instructions`]);
//! 2. one developer message: the configured developer instructions, then the
//!    `<permissions instructions>` block ([`permissions`]);
//! 3. one user message: the AGENTS.md block ([`agents_md`]), then the `<environment_context>`
//!    ([`environment`]), which is re-sent later only when it changed;
//! 4. the user's turn input.
//!
//! [`truncate`] and [`images`] prepare tool output and local images for the model, and
//! [`catalog`] says what each model supports.

pub mod agents_md;
pub mod catalog;
pub mod compaction;
pub mod environment;
pub mod error;
pub mod images;
pub mod instructions;
pub mod permissions;
pub mod truncate;
pub mod turn_context;

pub use agents_md::discover_project_docs;
pub use agents_md::global_instructions;
pub use agents_md::render_agents_md_message;
pub use agents_md::ProjectDocOptions;
pub use agents_md::ProjectDocs;
pub use catalog::effective_context_window;
pub use catalog::model_info;
pub use catalog::ModelInfo;
pub use catalog::Verbosity;
pub use environment::EnvironmentContext;
pub use error::ContextError;
pub use images::load_local_image;
pub use images::MAX_IMAGE_BYTES;
pub use instructions::resolve_base_instructions;
pub use instructions::BASE_INSTRUCTIONS;
pub use permissions::permissions_instructions;
pub use truncate::truncate_for_model;
pub use truncate::DEFAULT_TOOL_OUTPUT_TOKENS;
pub use turn_context::context_update;
pub use turn_context::ContextUpdate;
pub use turn_context::SentContext;
pub use turn_context::TurnContextInputs;
