//! Formatting a command's result as the function-call output the model reads.
//!
//! Like the reference: `Exit code: N`, `Wall time: S seconds`, then `Output:` and the aggregated
//! output. Long output keeps its first and last [`HEAD_TAIL_LINES`] lines (within
//! [`MAX_BYTES`]) with a marker saying how much was left out.

use std::time::Duration;

/// Most bytes of output the model is sent.
pub const MAX_BYTES: usize = 10 * 1024;
/// Lines kept from each end of long output.
pub const HEAD_TAIL_LINES: usize = 128;

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
    text.push_str(&truncate_middle(output));
    text
}

/// `output` with its middle left out when it is longer than the model should read.
pub fn truncate_middle(output: &str) -> String {
    let lines: Vec<&str> = output.split_inclusive('\n').collect();
    if lines.len() <= 2 * HEAD_TAIL_LINES && output.len() <= MAX_BYTES {
        return output.to_owned();
    }
    let half = MAX_BYTES / 2;
    let mut head = String::new();
    for line in lines.iter().take(HEAD_TAIL_LINES) {
        if head.len() + line.len() > half {
            let room = half.saturating_sub(head.len());
            head.push_str(prefix_within(line, room));
            break;
        }
        head.push_str(line);
    }
    let mut tail_lines: Vec<&str> = Vec::new();
    let mut tail_len = 0;
    for line in lines.iter().rev().take(HEAD_TAIL_LINES) {
        if tail_len + line.len() > half {
            let room = half.saturating_sub(tail_len);
            tail_lines.push(suffix_within(line, room));
            break;
        }
        tail_lines.push(line);
        tail_len += line.len();
    }
    tail_lines.reverse();
    let tail: String = tail_lines.concat();
    let omitted = output.len().saturating_sub(head.len() + tail.len());
    format!(
        "{head}\n[... {omitted} bytes of {} omitted ({} lines in total) ...]\n\n{tail}",
        output.len(),
        lines.len()
    )
}

fn prefix_within(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn suffix_within(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_kept_and_long_output_loses_its_middle() {
        let text = format_exec_output(0, Duration::from_millis(1500), "hi\n", None);
        assert_eq!(text, "Exit code: 0\nWall time: 1.5 seconds\nOutput:\nhi\n");
        let long: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        let cut = truncate_middle(&long);
        assert!(cut.len() <= MAX_BYTES + 200, "{}", cut.len());
        assert!(cut.starts_with("line 0\n"));
        assert!(cut.ends_with("line 9999\n"));
        assert!(cut.contains("omitted"));
    }
}
