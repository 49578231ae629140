//! Wire types of the Codex app-server protocol v2.
//!
//! This crate is pure data: the JSON-RPC envelope ([`jsonrpc`]), the error
//! codes the server answers with ([`error_codes`]), and the typed params,
//! responses, notifications and server requests of the v2 protocol. It does
//! no I/O and pulls in no async runtime, so any tool can depend on it.

pub mod error_codes;
pub mod jsonrpc;

pub use jsonrpc::JsonRpcError;
pub use jsonrpc::JsonRpcErrorObject;
pub use jsonrpc::JsonRpcMessage;
pub use jsonrpc::JsonRpcNotification;
pub use jsonrpc::JsonRpcRequest;
pub use jsonrpc::JsonRpcResponse;
pub use jsonrpc::RequestId;
