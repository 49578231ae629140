//! Tool-output truncation before text reaches the model: output over the token budget keeps its
//! beginning and end (half the byte budget each, cut on character boundaries and preferably on
//! line boundaries), with a header giving the full size and a marker where the middle was cut.

use std::borrow::Cow;

/// Default tool-output budget in tokens (`tool_output_token_limit`).
pub const DEFAULT_TOOL_OUTPUT_TOKENS: usize = 10_000;
/// Bytes assumed per token when turning a token budget into bytes.
pub const BYTES_PER_TOKEN: usize = 4;
/// A cut moves to a line boundary if one lies within this fraction (1/N) of the half budget.
const LINE_SNAP_DIVISOR: usize = 10;

/// Shortens `text` to about `max_tokens` tokens, keeping its head and tail; unchanged if it fits.
pub fn truncate_for_model(text: &str, max_tokens: usize) -> Cow<'_, str> {
    let budget = max_tokens.saturating_mul(BYTES_PER_TOKEN);
    if text.len() <= budget {
        return Cow::Borrowed(text);
    }
    let head_budget = budget / 2;
    let tail_budget = budget - head_budget;
    let head_end = head_cut(text, head_budget);
    let tail_start = tail_cut(text, text.len() - tail_budget).max(head_end);
    Cow::Owned(assemble(text, head_end, tail_start))
}

/// Approximate token count of `bytes` bytes (rounded up).
pub fn approx_tokens(bytes: usize) -> usize {
    bytes.div_ceil(BYTES_PER_TOKEN)
}

fn assemble(text: &str, head_end: usize, tail_start: usize) -> String {
    let omitted = tail_start - head_end;
    let head = &text[..head_end];
    let tail = &text[tail_start..];
    let mut out = String::with_capacity(head.len() + tail.len() + 160);
    out.push_str(&format!(
        "Output was {} bytes (about {} tokens); only its beginning and end are shown.\n",
        text.len(),
        approx_tokens(text.len())
    ));
    out.push_str(head);
    if !head.is_empty() && !head.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "[… {omitted} bytes (about {} tokens) cut from the middle …]\n",
        approx_tokens(omitted)
    ));
    out.push_str(tail);
    out
}

/// End of the head: at most `limit` bytes, on a char boundary, just after a nearby newline if any.
fn head_cut(text: &str, limit: usize) -> usize {
    let end = floor_char_boundary(text, limit);
    let slack = limit / LINE_SNAP_DIVISOR;
    match text[..end].rfind('\n') {
        Some(newline) if end - (newline + 1) <= slack => newline + 1,
        _ => end,
    }
}

/// Start of the tail: at or after `start`, on a char boundary, just after a nearby newline if any.
fn tail_cut(text: &str, start: usize) -> usize {
    let begin = ceil_char_boundary(text, start);
    let slack = (text.len() - start) / LINE_SNAP_DIVISOR;
    match text[begin..].find('\n') {
        Some(offset) if offset < slack => begin + offset + 1,
        _ => begin,
    }
}

/// The largest char boundary `<= index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The smallest char boundary `>= index`.
fn ceil_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_borrowed_unchanged() {
        let text = "hello\nworld\n";
        let out = truncate_for_model(text, 10);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(out, text);
    }

    #[test]
    fn exact_budget_is_unchanged() {
        let text = "x".repeat(40);
        assert_eq!(truncate_for_model(&text, 10), text.as_str());
    }

    #[test]
    fn long_single_line_keeps_head_and_tail_halves() {
        let text = format!("{}{}", "a".repeat(100), "b".repeat(100));
        let out = truncate_for_model(&text, 10);
        assert_eq!(
            out,
            format!(
                "Output was 200 bytes (about 50 tokens); only its beginning and end are shown.\n{}\n[… 160 bytes (about 40 tokens) cut from the middle …]\n{}",
                "a".repeat(20),
                "b".repeat(20)
            )
        );
    }

    #[test]
    fn cuts_snap_to_nearby_line_boundaries() {
        let lines: Vec<String> = (0..100).map(|i| format!("line {i:04}")).collect();
        let text = lines.join("\n");
        let out = truncate_for_model(&text, 25);
        let body: Vec<&str> = out.lines().collect();
        assert!(body[0].starts_with("Output was 999 bytes"));
        assert_eq!(&body[1..6], &["line 0000", "line 0001", "line 0002", "line 0003", "line 0004"]);
        assert!(body[6].starts_with("[… "), "{out}");
        assert_eq!(&body[7..], &["line 0095", "line 0096", "line 0097", "line 0098", "line 0099"]);
    }

    #[test]
    fn multibyte_characters_are_never_split() {
        let text = "é".repeat(1000) + &"日本".repeat(500);
        for tokens in [1, 3, 7, 50, 333] {
            let out = truncate_for_model(&text, tokens);
            assert!(!out.contains('\u{FFFD}'));
            assert!(out.len() < text.len());
        }
        let emoji = "🦀".repeat(100);
        let out = truncate_for_model(&emoji, 5);
        assert!(out.contains("🦀🦀\n[… "), "{out}");
        assert!(out.ends_with("…]\n🦀🦀"), "{out}");
    }

    #[test]
    fn large_output_is_cut_to_about_the_budget() {
        let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n";
        let text = line.repeat(289 * 1024 / line.len() + 1);
        assert!(text.len() >= 289 * 1024);
        let out = truncate_for_model(&text, DEFAULT_TOOL_OUTPUT_TOKENS);
        assert!(out.len() > 38_000 && out.len() <= 40_200, "{}", out.len());
        let header = out.lines().next().unwrap();
        assert_eq!(
            header,
            format!(
                "Output was {} bytes (about {} tokens); only its beginning and end are shown.",
                text.len(),
                approx_tokens(text.len())
            )
        );
        assert!(out.ends_with(line));
    }

    #[test]
    fn zero_budget_keeps_only_header_and_marker() {
        let out = truncate_for_model("abcdef", 0);
        assert_eq!(
            out,
            "Output was 6 bytes (about 2 tokens); only its beginning and end are shown.\n[… 6 bytes (about 2 tokens) cut from the middle …]\n"
        );
    }
}
