//! The `codex` binary: parses flags and wires the crates together.

fn main() {}
