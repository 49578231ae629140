//! Every JSON-RPC error code the server sends, in one place.
//!
//! The first five are the JSON-RPC 2.0 standard codes. The reference server
//! answers most failures with `-32600`; we use the specific standard code
//! instead (`-32601` for an unknown method, `-32602` for bad params), which
//! clients that only check for "an error" handle the same way. The codes in
//! the `-32000..=-32099` range are ours and are reserved by JSON-RPC for
//! implementation-defined server errors.

/// Invalid JSON was received (`-32700`).
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid JSON-RPC message (`-32600`).
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or is not available (`-32601`).
pub const METHOD_NOT_FOUND: i64 = -32601;
/// The params do not match the method's schema (`-32602`).
pub const INVALID_PARAMS: i64 = -32602;
/// An internal error in the server (`-32603`).
pub const INTERNAL_ERROR: i64 = -32603;

/// The server's inbound queue is full; retry later (`-32001`).
pub const SERVER_OVERLOADED: i64 = -32001;
/// A request other than `initialize` arrived before `initialize` (`-32002`).
pub const NOT_INITIALIZED: i64 = -32002;
/// `initialize` arrived on a connection that is already initialized (`-32003`).
pub const ALREADY_INITIALIZED: i64 = -32003;
/// The method or field is experimental and the connection did not opt in (`-32004`).
pub const EXPERIMENTAL_API_REQUIRED: i64 = -32004;
