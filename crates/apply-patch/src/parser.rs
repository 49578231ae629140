//! Parsing patch text into typed hunks, with line-numbered errors. Accepts the lenient forms
//! agents produce: the patch wrapped in a heredoc (`apply_patch <<'EOF'` … `EOF`), surrounding
//! whitespace, a missing trailing newline, CRLF line ends, blank lines between hunks, a first
//! update chunk without `@@`, and the `*** End of File` marker.

use crate::error::ApplyPatchError;

const BEGIN_PATCH: &str = "*** Begin Patch";
const END_PATCH: &str = "*** End Patch";
const ADD_FILE: &str = "*** Add File: ";
const DELETE_FILE: &str = "*** Delete File: ";
const UPDATE_FILE: &str = "*** Update File: ";
const MOVE_TO: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";

/// A parsed patch: its hunks in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The file operations, applied in order.
    pub hunks: Vec<Hunk>,
}

/// One file operation of a patch. Paths are as written (relative to the cwd or absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hunk {
    /// Create (or overwrite) a file with the given contents.
    AddFile {
        /// The file to create.
        path: String,
        /// Its full contents (each `+` line, newline-terminated).
        contents: String,
    },
    /// Delete a file.
    DeleteFile {
        /// The file to delete.
        path: String,
    },
    /// Edit a file in place, optionally moving it.
    UpdateFile {
        /// The file to edit.
        path: String,
        /// Where to move the edited file, if anywhere.
        move_path: Option<String>,
        /// The edits, in file order.
        chunks: Vec<UpdateChunk>,
    },
}

/// One `@@` section of an update: lines to find and what to replace them with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateChunk {
    /// The text after `@@`, a line to find before the change (e.g. a function signature).
    pub context: Option<String>,
    /// Context and removed lines, in order: what must be present in the file.
    pub old_lines: Vec<String>,
    /// Context and added lines, in order: what replaces `old_lines`.
    pub new_lines: Vec<String>,
    /// Whether the chunk must match at the end of the file (`*** End of File`).
    pub is_end_of_file: bool,
}

/// A line of the input with its 1-based number.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    number: usize,
    text: &'a str,
}

fn error(line: usize, message: impl Into<String>) -> ApplyPatchError {
    ApplyPatchError::Parse { line, message: message.into() }
}

/// Parses patch text.
pub fn parse_patch(text: &str) -> Result<Patch, ApplyPatchError> {
    let mut lines: Vec<Line<'_>> =
        text.lines().enumerate().map(|(index, text)| Line { number: index + 1, text }).collect();
    // Surrounding blank lines are not part of the patch.
    while lines.first().is_some_and(|line| line.text.trim().is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|line| line.text.trim().is_empty()) {
        lines.pop();
    }
    strip_heredoc(&mut lines);
    let (first, last) = match (lines.first(), lines.last()) {
        (Some(first), Some(last)) => (*first, *last),
        _ => return Err(error(1, "the patch is empty")),
    };
    if first.text.trim() != BEGIN_PATCH {
        return Err(error(
            first.number,
            format!("the first line of the patch must be '{BEGIN_PATCH}', got '{}'", first.text),
        ));
    }
    if lines.len() < 2 || last.text.trim() != END_PATCH {
        return Err(error(
            last.number,
            format!("the last line of the patch must be '{END_PATCH}', got '{}'", last.text),
        ));
    }
    let body = &lines[1..lines.len() - 1];
    let mut parser = HunkParser { lines: body, position: 0 };
    let mut hunks = Vec::new();
    while let Some(hunk) = parser.next_hunk()? {
        hunks.push(hunk);
    }
    if hunks.is_empty() {
        return Err(error(last.number, "the patch contains no file operations"));
    }
    Ok(Patch { hunks })
}

/// The patch text of a command line that invokes `apply_patch` directly
/// (`["apply_patch", PATCH]`) or through a shell heredoc (`["bash", "-lc", "apply_patch <<'EOF'
/// …"]`); `None` for any other command. Feed the result to [`parse_patch`].
pub fn patch_from_command(argv: &[String]) -> Option<&str> {
    let is_tool = |name: &str| matches!(name, "apply_patch" | "applypatch");
    match argv {
        [program, patch] if is_tool(program) => Some(patch),
        [shell, flag, script]
            if matches!(shell.rsplit('/').next(), Some("bash" | "sh" | "zsh"))
                && matches!(flag.as_str(), "-c" | "-lc")
                && script
                    .split_whitespace()
                    .next()
                    .is_some_and(|word| is_tool(word.split("<<").next().unwrap_or(word))) =>
        {
            Some(script)
        }
        _ => None,
    }
}

/// Removes a heredoc wrapper: a first line like `apply_patch <<'EOF'` (or `<<EOF`, `<<"EOF"`,
/// `<<-EOF`, with or without the command) and a last line holding just the terminator.
fn strip_heredoc(lines: &mut Vec<Line<'_>>) {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return;
    };
    let Some((command, marker)) = first.text.trim().split_once("<<") else {
        return;
    };
    if !matches!(command.trim(), "" | "apply_patch" | "applypatch") {
        return;
    }
    let terminator = marker.trim().trim_start_matches('-').trim_matches(|c| c == '\'' || c == '"');
    if terminator.is_empty() || lines.len() < 2 || last.text.trim() != terminator {
        return;
    }
    lines.pop();
    lines.remove(0);
}

/// Walks the patch body hunk by hunk.
struct HunkParser<'a, 'b> {
    lines: &'b [Line<'a>],
    position: usize,
}

impl<'a> HunkParser<'a, '_> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.position).copied()
    }

    fn next_hunk(&mut self) -> Result<Option<Hunk>, ApplyPatchError> {
        while self.peek().is_some_and(|line| line.text.trim().is_empty()) {
            self.position += 1;
        }
        let Some(header) = self.peek() else {
            return Ok(None);
        };
        self.position += 1;
        let trimmed = header.text.trim();
        if let Some(path) = trimmed.strip_prefix(ADD_FILE) {
            let path = header_path(header, path)?;
            let mut contents = String::new();
            while let Some(line) = self.peek() {
                let Some(added) = line.text.strip_prefix('+') else {
                    break;
                };
                contents.push_str(added);
                contents.push('\n');
                self.position += 1;
            }
            return Ok(Some(Hunk::AddFile { path, contents }));
        }
        if let Some(path) = trimmed.strip_prefix(DELETE_FILE) {
            return Ok(Some(Hunk::DeleteFile { path: header_path(header, path)? }));
        }
        if let Some(path) = trimmed.strip_prefix(UPDATE_FILE) {
            let path = header_path(header, path)?;
            let mut move_path = None;
            if let Some(line) = self.peek() {
                if let Some(target) = line.text.trim().strip_prefix(MOVE_TO) {
                    move_path = Some(header_path(line, target)?);
                    self.position += 1;
                }
            }
            let chunks = self.update_chunks()?;
            if chunks.is_empty() && move_path.is_none() {
                return Err(error(header.number, format!("update hunk for '{path}' is empty")));
            }
            return Ok(Some(Hunk::UpdateFile { path, move_path, chunks }));
        }
        Err(error(
            header.number,
            format!(
                "'{trimmed}' is not a valid hunk header; valid hunk headers are \
                 '{ADD_FILE}{{path}}', '{DELETE_FILE}{{path}}' and '{UPDATE_FILE}{{path}}'"
            ),
        ))
    }

    /// Parses the chunks of an update hunk, up to the next hunk header.
    fn update_chunks(&mut self) -> Result<Vec<UpdateChunk>, ApplyPatchError> {
        let mut chunks = Vec::new();
        while let Some(line) = self.peek() {
            let trimmed = line.text.trim();
            if line.text.starts_with("*** ") && trimmed != END_OF_FILE {
                break;
            }
            let context = if trimmed == "@@" {
                self.position += 1;
                None
            } else if let Some(context) = line.text.strip_prefix("@@ ") {
                self.position += 1;
                Some(context.to_string())
            } else if chunks.is_empty() {
                None
            } else {
                return Err(error(
                    line.number,
                    format!("expected an '@@' line to start the next change, got '{}'", line.text),
                ));
            };
            chunks.push(self.chunk_body(context, line.number)?);
        }
        Ok(chunks)
    }

    /// Parses the lines of one chunk after its optional `@@` line.
    fn chunk_body(
        &mut self,
        context: Option<String>,
        start_line: usize,
    ) -> Result<UpdateChunk, ApplyPatchError> {
        let mut chunk = UpdateChunk {
            context,
            old_lines: Vec::new(),
            new_lines: Vec::new(),
            is_end_of_file: false,
        };
        let mut line_count = 0usize;
        while let Some(line) = self.peek() {
            let trimmed = line.text.trim();
            if trimmed == END_OF_FILE {
                self.position += 1;
                chunk.is_end_of_file = true;
                break;
            }
            if line.text.starts_with("*** ") || line.text.starts_with("@@") {
                break;
            }
            match line.text.chars().next() {
                None => {
                    chunk.old_lines.push(String::new());
                    chunk.new_lines.push(String::new());
                }
                Some(' ') => {
                    chunk.old_lines.push(line.text[1..].to_string());
                    chunk.new_lines.push(line.text[1..].to_string());
                }
                Some('-') => chunk.old_lines.push(line.text[1..].to_string()),
                Some('+') => chunk.new_lines.push(line.text[1..].to_string()),
                Some(_) => {
                    return Err(error(
                        line.number,
                        format!(
                            "unexpected line '{}' in update hunk; every line must start with \
                             ' ' (context), '+' (added) or '-' (removed)",
                            line.text
                        ),
                    ))
                }
            }
            line_count += 1;
            self.position += 1;
        }
        if line_count == 0 {
            return Err(error(start_line, "update hunk change contains no lines"));
        }
        Ok(chunk)
    }
}

/// The path of a hunk header, which must not be empty.
fn header_path(line: Line<'_>, path: &str) -> Result<String, ApplyPatchError> {
    let path = path.trim();
    if path.is_empty() {
        return Err(error(line.number, "missing file path"));
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_hunk_kind() {
        let patch = parse_patch(
            "*** Begin Patch\n*** Add File: a.txt\n+one\n+two\n*** Delete File: b.txt\n\
             *** Update File: c.py\n*** Move to: d.py\n@@ def f():\n-    return 1\n+    return 2\n\
             @@\n x\n+y\n*** End of File\n*** End Patch\n",
        )
        .unwrap();
        assert_eq!(
            patch.hunks,
            vec![
                Hunk::AddFile { path: "a.txt".into(), contents: "one\ntwo\n".into() },
                Hunk::DeleteFile { path: "b.txt".into() },
                Hunk::UpdateFile {
                    path: "c.py".into(),
                    move_path: Some("d.py".into()),
                    chunks: vec![
                        UpdateChunk {
                            context: Some("def f():".into()),
                            old_lines: vec!["    return 1".into()],
                            new_lines: vec!["    return 2".into()],
                            is_end_of_file: false,
                        },
                        UpdateChunk {
                            context: None,
                            old_lines: vec!["x".into()],
                            new_lines: vec!["x".into(), "y".into()],
                            is_end_of_file: true,
                        },
                    ],
                },
            ]
        );
    }

    #[test]
    fn accepts_heredoc_wrapping_and_missing_trailing_newline() {
        let inner = "*** Begin Patch\n*** Delete File: x\n*** End Patch";
        let expected = parse_patch(inner).unwrap();
        for wrapped in [
            format!("apply_patch <<'EOF'\n{inner}\nEOF\n"),
            format!("apply_patch <<\"EOF\"\n{inner}\nEOF"),
            format!("<<EOF\n{inner}\nEOF"),
            format!("\n  {inner}\r\n\n"),
        ] {
            assert_eq!(parse_patch(&wrapped).unwrap(), expected, "{wrapped:?}");
        }
    }

    #[test]
    fn recognises_apply_patch_command_lines() {
        let patch = "*** Begin Patch\n*** Delete File: x\n*** End Patch";
        let argv = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
        assert_eq!(patch_from_command(&argv(&["apply_patch", patch])), Some(patch));
        let script = format!("apply_patch <<'EOF'\n{patch}\nEOF\n");
        let shell = argv(&["/bin/bash", "-lc", &script]);
        let found = patch_from_command(&shell).unwrap();
        assert_eq!(parse_patch(found).unwrap(), parse_patch(patch).unwrap());
        assert_eq!(patch_from_command(&argv(&["bash", "-lc", "ls -la"])), None);
        assert_eq!(patch_from_command(&argv(&["python3", patch])), None);
    }

    #[test]
    fn first_update_chunk_may_omit_the_marker() {
        let patch =
            parse_patch("*** Begin Patch\n*** Update File: f\n a\n-b\n+c\n*** End Patch").unwrap();
        let Hunk::UpdateFile { chunks, .. } = &patch.hunks[0] else { panic!() };
        assert_eq!(chunks[0].old_lines, vec!["a", "b"]);
        assert_eq!(chunks[0].new_lines, vec!["a", "c"]);
    }

    fn parse_error(text: &str) -> (usize, String) {
        match parse_patch(text).unwrap_err() {
            ApplyPatchError::Parse { line, message } => (line, message),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn malformed_patches_name_the_line() {
        let (line, message) = parse_error("*** Begin Patch\n*** Frobnicate File: x\n*** End Patch");
        assert_eq!(line, 2);
        assert!(message.contains("not a valid hunk header"), "{message}");

        let (line, message) = parse_error("\n\nhello\n*** End Patch");
        assert_eq!(line, 3);
        assert!(message.contains("*** Begin Patch"), "{message}");

        let (line, message) = parse_error("*** Begin Patch\n*** Delete File: x\n");
        assert_eq!(line, 2);
        assert!(message.contains("*** End Patch"), "{message}");

        let (line, message) =
            parse_error("*** Begin Patch\n*** Update File: f\n@@\n a\nbogus\n*** End Patch");
        assert_eq!(line, 5);
        assert!(message.contains("unexpected line 'bogus'"), "{message}");

        let (line, _) = parse_error("*** Begin Patch\n*** Update File: f\n*** End Patch");
        assert_eq!(line, 2);

        let (line, _) = parse_error("*** Begin Patch\n*** Add File:   \n+x\n*** End Patch");
        assert_eq!(line, 2);

        let (line, _) = parse_error("*** Begin Patch\n*** End Patch");
        assert_eq!(line, 2);
    }
}
