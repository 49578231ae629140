//! Finding a chunk's lines in a file and rewriting the file: exact match first, then ignoring
//! trailing whitespace, then ignoring surrounding whitespace, then also treating typographic
//! punctuation (dashes, quotes, non-breaking spaces) as its ASCII counterpart.

use std::path::Path;

use crate::error::ApplyPatchError;
use crate::parser::UpdateChunk;

/// Where `pattern` occurs in `lines` at or after `start` (at the end of the file first when
/// `at_end`), trying ever more lenient comparisons.
pub(crate) fn seek_sequence(
    lines: &[String],
    pattern: &[String],
    start: usize,
    at_end: bool,
) -> Option<usize> {
    if pattern.is_empty() {
        return Some(start.min(lines.len()));
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last_start = lines.len() - pattern.len();
    let comparisons: [fn(&str, &str) -> bool; 4] = [
        |a, b| a == b,
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| a.trim() == b.trim(),
        |a, b| normalize_punctuation(a.trim()) == normalize_punctuation(b.trim()),
    ];
    for same in comparisons {
        let matches_at = |index: usize| {
            lines[index..index + pattern.len()].iter().zip(pattern).all(|(a, b)| same(a, b))
        };
        if at_end && last_start >= start && matches_at(last_start) {
            return Some(last_start);
        }
        if let Some(found) = (start..=last_start).find(|&index| matches_at(index)) {
            return Some(found);
        }
    }
    None
}

fn normalize_punctuation(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => '"',
            '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2009}' | '\u{202F}' => ' ',
            other => other,
        })
        .collect()
}

/// Applies `chunks` to `original`, returning the new contents (always newline-terminated).
pub(crate) fn apply_chunks(
    path: &Path,
    original: &str,
    chunks: &[UpdateChunk],
) -> Result<String, ApplyPatchError> {
    let mut lines: Vec<String> = original.split('\n').map(str::to_string).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let not_found =
        |expected: String| ApplyPatchError::ContextNotFound { path: path.to_path_buf(), expected };
    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut cursor = 0usize;
    for chunk in chunks {
        let mut anchored = false;
        if let Some(context) = &chunk.context {
            let found = seek_sequence(&lines, std::slice::from_ref(context), cursor, false)
                .ok_or_else(|| not_found(context.clone()))?;
            cursor = found + 1;
            anchored = true;
        }
        if chunk.old_lines.is_empty() {
            // Pure insertion: right after the `@@` context line, or at the end of the file.
            let at = if anchored { cursor } else { lines.len() };
            replacements.push((at, 0, chunk.new_lines.clone()));
            continue;
        }
        let mut old = chunk.old_lines.as_slice();
        let mut new = chunk.new_lines.as_slice();
        let mut found = seek_sequence(&lines, old, cursor, chunk.is_end_of_file);
        if found.is_none() && old.last().is_some_and(String::is_empty) {
            // A trailing blank line in the patch often stands for the file's final newline.
            old = &old[..old.len() - 1];
            if new.last().is_some_and(String::is_empty) {
                new = &new[..new.len() - 1];
            }
            found = seek_sequence(&lines, old, cursor, chunk.is_end_of_file);
        }
        let start = found.ok_or_else(|| not_found(chunk.old_lines.join("\n")))?;
        replacements.push((start, old.len(), new.to_vec()));
        cursor = start + old.len();
    }
    for (start, removed, added) in replacements.into_iter().rev() {
        lines.splice(start..start + removed, added);
    }
    let mut contents = lines.join("\n");
    contents.push('\n');
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn matching_gets_progressively_lenient() {
        let lines = strings(&["a  ", "  b", "c \u{2014} d"]);
        assert_eq!(seek_sequence(&lines, &strings(&["a"]), 0, false), Some(0));
        assert_eq!(seek_sequence(&lines, &strings(&["b"]), 0, false), Some(1));
        assert_eq!(seek_sequence(&lines, &strings(&["c - d"]), 0, false), Some(2));
        assert_eq!(seek_sequence(&lines, &strings(&["a  "]), 1, false), None);
        assert_eq!(seek_sequence(&lines, &strings(&["zzz"]), 0, false), None);
    }

    #[test]
    fn end_of_file_chunks_prefer_the_last_occurrence() {
        let lines = strings(&["x", "y", "x"]);
        assert_eq!(seek_sequence(&lines, &strings(&["x"]), 0, true), Some(2));
        assert_eq!(seek_sequence(&lines, &strings(&["x"]), 0, false), Some(0));
    }

    #[test]
    fn exact_matches_win_over_lenient_ones_earlier_in_the_file() {
        let lines = strings(&["foo ", "foo"]);
        assert_eq!(seek_sequence(&lines, &strings(&["foo"]), 0, false), Some(1));
    }
}
