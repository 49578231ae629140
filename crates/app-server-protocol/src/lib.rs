//! Wire types of the Codex app-server protocol v2.
//!
//! This crate is pure data: the JSON-RPC envelope ([`jsonrpc`]), the error
//! codes the server answers with ([`error_codes`]), the typed params,
//! responses, notifications and server requests of the v2 protocol ([`v2`],
//! [`initialize`]), the typed method enums that tie method names to those
//! types ([`methods`]), and the JSON Schema / TypeScript export
//! ([`schema_export`]). It does no network I/O and pulls in no async
//! runtime, so any tool can depend on it.

pub mod absolute_path;
pub mod error_codes;
pub mod initialize;
pub mod jsonrpc;
pub mod methods;
pub mod schema_export;
pub mod schema_support;
pub mod tristate;
pub mod v2;

pub use absolute_path::AbsolutePath;
pub use absolute_path::RelativePathError;
pub use initialize::ClientInfo;
pub use initialize::InitializeCapabilities;
pub use initialize::InitializeParams;
pub use initialize::InitializeResponse;
pub use jsonrpc::JsonRpcError;
pub use jsonrpc::JsonRpcErrorObject;
pub use jsonrpc::JsonRpcMessage;
pub use jsonrpc::JsonRpcNotification;
pub use jsonrpc::JsonRpcRequest;
pub use jsonrpc::JsonRpcResponse;
pub use jsonrpc::RequestId;
pub use methods::ClientNotification;
pub use methods::ClientRequest;
pub use methods::RequestParseError;
pub use methods::ServerNotification;
pub use methods::ServerRequest;
pub use methods::ServerRequestResponse;
