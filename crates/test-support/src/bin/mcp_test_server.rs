//! The test MCP server over stdio (see `codex_test_support::mcp_server`).

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(err) = codex_test_support::mcp_server::serve_stdio().await {
        eprintln!("mcp_test_server: {err}");
        std::process::exit(1);
    }
}
