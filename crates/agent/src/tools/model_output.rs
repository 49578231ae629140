//! Formatting a command's result as the function-call output the model reads.
//!
//! Like the reference: `Exit code: N`, `Wall time: S seconds`, then `Output:` and the aggregated
//! output. Long output is cut to the thread's tool-output budget by the turn engine
//! ([`crate::context::truncate_for_model`]), which does the same for every tool.

use std::time::Duration;

/// The model's view of a finished command.
pub fn format_exec_output(
    exit_code: i32,
    duration: Duration,
    output: &str,
    note: Option<&str>,
) -> String {
    let mut text =
        format!("Exit code: {exit_code}\nWall time: {:.1} seconds\n", duration.as_secs_f64());
    if let Some(note) = note {
        text.push_str(note);
        text.push('\n');
    }
    text.push_str("Output:\n");
    text.push_str(output);
    text
}
