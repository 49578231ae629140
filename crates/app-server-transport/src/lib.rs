//! Transports of the Codex app-server: bytes to JSON-RPC messages and back.
//!
//! This crate knows nothing of threads or turns. It accepts connections over
//! stdio, a Unix control socket and a TCP websocket, hands the server events
//! (connection opened, message received, connection closed), and gives each
//! connection a writer queue.
