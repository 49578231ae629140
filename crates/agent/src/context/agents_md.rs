//! AGENTS.md discovery and rendering: finds the project's instruction files from the project
//! root down to the working directory under one cumulative byte budget, reads the global
//! instructions from `CODEX_HOME`, and wraps both into the user message the model sees.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::path::PathBuf;

use super::error::ContextError;

/// The file name that takes precedence over `AGENTS.md` in the same directory.
pub const AGENTS_OVERRIDE_FILENAME: &str = "AGENTS.override.md";
/// The standard instructions file name.
pub const AGENTS_FILENAME: &str = "AGENTS.md";
/// Default `project_doc_max_bytes`: the budget shared by all project docs.
pub const DEFAULT_PROJECT_DOC_MAX_BYTES: usize = 32 * 1024;
/// Default `project_root_markers`.
pub const DEFAULT_PROJECT_ROOT_MARKER: &str = ".git";
/// Separator between the global instructions and the first project doc.
pub const PROJECT_DOC_SEPARATOR: &str = "\n\n--- project-doc ---\n\n";

/// How project docs are discovered (`project_root_markers`, `project_doc_fallback_filenames`, `project_doc_max_bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectDocOptions {
    /// Entries whose presence marks the project root; empty means only cwd is searched.
    pub markers: Vec<String>,
    /// File names tried after `AGENTS.override.md` and `AGENTS.md`, in order.
    pub fallback_filenames: Vec<String>,
    /// Cumulative byte budget over all project docs; 0 disables them.
    pub max_bytes: usize,
}

impl Default for ProjectDocOptions {
    fn default() -> Self {
        Self {
            markers: vec![DEFAULT_PROJECT_ROOT_MARKER.to_string()],
            fallback_filenames: Vec::new(),
            max_bytes: DEFAULT_PROJECT_DOC_MAX_BYTES,
        }
    }
}

/// The project docs found for one working directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectDocs {
    /// The files used, root first (a truncated file is included).
    pub files: Vec<PathBuf>,
    /// Their contents joined by a blank line.
    pub text: String,
    /// Whether the byte budget cut the docs short.
    pub truncated: bool,
}

/// Finds and reads the AGENTS.md files that apply to `cwd`, root first, within the byte budget.
pub fn discover_project_docs(
    cwd: &Path,
    opts: &ProjectDocOptions,
) -> Result<ProjectDocs, ContextError> {
    if opts.max_bytes == 0 {
        return Ok(ProjectDocs::default());
    }
    let names = candidate_names(&opts.fallback_filenames);
    let mut selected = Vec::new();
    for dir in search_dirs(cwd, &opts.markers) {
        if let Some(path) = first_regular_file(&dir, &names)? {
            selected.push(path);
        }
    }
    read_within_budget(selected, opts.max_bytes)
}

/// The global instructions in `codex_home`: `AGENTS.override.md`, else `AGENTS.md`, trimmed.
pub fn global_instructions(codex_home: &Path) -> Option<String> {
    [AGENTS_OVERRIDE_FILENAME, AGENTS_FILENAME]
        .iter()
        .find_map(|name| read_global_file(&codex_home.join(name)))
}

/// Wraps global and project instructions into the AGENTS.md user message; `None` when both are empty.
pub fn render_agents_md_message(
    cwd: &Path,
    global: Option<&str>,
    project: &ProjectDocs,
) -> Option<String> {
    let global = global.map(str::trim).filter(|text| !text.is_empty());
    let project_text = Some(project.text.as_str()).filter(|text| !text.trim().is_empty());
    let body = match (global, project_text) {
        (None, None) => return None,
        (Some(global), None) => global.to_string(),
        (None, Some(project)) => project.to_string(),
        (Some(global), Some(project)) => format!("{global}{PROJECT_DOC_SEPARATOR}{project}"),
    };
    Some(format!(
        "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\n{body}\n</INSTRUCTIONS>",
        cwd.display()
    ))
}

/// Candidate file names per directory: override, standard, then non-empty unique fallbacks.
fn candidate_names(fallbacks: &[String]) -> Vec<String> {
    let mut names = vec![AGENTS_OVERRIDE_FILENAME.to_string(), AGENTS_FILENAME.to_string()];
    for name in fallbacks {
        if !name.is_empty() && !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// Directories to search, from the project root down to `cwd` inclusive.
fn search_dirs(cwd: &Path, markers: &[String]) -> Vec<PathBuf> {
    let root = find_project_root(cwd, markers);
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in cwd.ancestors() {
        dirs.push(dir.to_path_buf());
        if dir == root {
            break;
        }
    }
    dirs.reverse();
    dirs
}

/// The nearest ancestor of `cwd` (itself included) holding a marker, else `cwd`.
fn find_project_root<'a>(cwd: &'a Path, markers: &[String]) -> &'a Path {
    cwd.ancestors().find(|dir| has_marker(dir, markers)).unwrap_or(cwd)
}

fn has_marker(dir: &Path, markers: &[String]) -> bool {
    markers
        .iter()
        .filter(|marker| !marker.is_empty())
        .any(|marker| dir.join(marker).symlink_metadata().is_ok())
}

/// The first candidate in `dir` that is a regular file (symlinks followed).
fn first_regular_file(dir: &Path, names: &[String]) -> Result<Option<PathBuf>, ContextError> {
    for name in names {
        let path = dir.join(name);
        match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => return Ok(Some(path)),
            Ok(_) => continue,
            Err(err) if is_absent(&err) => continue,
            Err(err) => return Err(ContextError::io(path, err)),
        }
    }
    Ok(None)
}

/// Whether an error only says the path is not there (or not a directory on the way).
fn is_absent(err: &std::io::Error) -> bool {
    matches!(err.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory)
}

/// Reads `files` in order, spending one byte budget on the files kept (whitespace-only ones are
/// skipped for free); the file crossing the budget is cut and no later file is read.
fn read_within_budget(files: Vec<PathBuf>, max_bytes: usize) -> Result<ProjectDocs, ContextError> {
    let mut docs = ProjectDocs::default();
    let mut parts: Vec<String> = Vec::new();
    let mut remaining = max_bytes;
    for path in files {
        let Some(mut bytes) = read_at_most(&path, remaining.saturating_add(1))? else {
            continue;
        };
        let crosses_budget = bytes.len() > remaining;
        if crosses_budget {
            bytes.truncate(remaining);
            tracing::warn!(
                path = %path.display(),
                max_bytes,
                "AGENTS.md instructions exceed project_doc_max_bytes; truncating and ignoring later files"
            );
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if !text.trim().is_empty() {
            remaining -= bytes.len();
            parts.push(text);
            docs.files.push(path);
        }
        if crosses_budget {
            docs.truncated = true;
            break;
        }
    }
    docs.text = parts.join("\n\n");
    Ok(docs)
}

/// Reads up to `limit` bytes of `path`; `None` if the file vanished.
fn read_at_most(path: &Path, limit: usize) -> Result<Option<Vec<u8>>, ContextError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(ContextError::io(path, err)),
    };
    let mut bytes = Vec::new();
    file.take(limit as u64).read_to_end(&mut bytes).map_err(|err| ContextError::io(path, err))?;
    Ok(Some(bytes))
}

/// A global instructions file's trimmed text, or `None` if absent, unreadable or blank.
fn read_global_file(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() {
        return None;
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "cannot read global AGENTS.md");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A repo `root/.git` with a nested `root/a/b` working directory.
    fn repo() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let cwd = root.join("a").join("b");
        fs::create_dir_all(&cwd).unwrap();
        fs::create_dir(root.join(".git")).unwrap();
        (tmp, root, cwd)
    }

    fn opts(max_bytes: usize) -> ProjectDocOptions {
        ProjectDocOptions { max_bytes, ..ProjectDocOptions::default() }
    }

    #[test]
    fn defaults_match_the_reference() {
        let opts = ProjectDocOptions::default();
        assert_eq!(opts.markers, vec![".git".to_string()]);
        assert!(opts.fallback_filenames.is_empty());
        assert_eq!(opts.max_bytes, 32_768);
    }

    #[test]
    fn nested_docs_are_joined_root_first() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "root rules").unwrap();
        fs::write(root.join("a").join("AGENTS.md"), "middle rules").unwrap();
        fs::write(cwd.join("AGENTS.md"), "leaf rules").unwrap();
        let docs = discover_project_docs(&cwd, &ProjectDocOptions::default()).unwrap();
        assert_eq!(docs.text, "root rules\n\nmiddle rules\n\nleaf rules");
        assert_eq!(
            docs.files,
            vec![root.join("AGENTS.md"), root.join("a").join("AGENTS.md"), cwd.join("AGENTS.md")]
        );
        assert!(!docs.truncated);
    }

    #[test]
    fn nothing_above_the_project_root_is_read() {
        let (tmp, root, cwd) = repo();
        fs::write(tmp.path().join("AGENTS.md"), "outside").unwrap();
        fs::write(root.join("AGENTS.md"), "inside").unwrap();
        let docs = discover_project_docs(&cwd, &ProjectDocOptions::default()).unwrap();
        assert_eq!(docs.text, "inside");
    }

    #[test]
    fn git_file_marks_the_root_too() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("worktree");
        let cwd = root.join("src");
        fs::create_dir_all(&cwd).unwrap();
        fs::write(root.join(".git"), "gitdir: elsewhere").unwrap();
        fs::write(root.join("AGENTS.md"), "worktree rules").unwrap();
        let docs = discover_project_docs(&cwd, &ProjectDocOptions::default()).unwrap();
        assert_eq!(docs.text, "worktree rules");
    }

    #[test]
    fn override_is_preferred_over_agents_md() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "plain").unwrap();
        fs::write(root.join("AGENTS.override.md"), "override").unwrap();
        let docs = discover_project_docs(&cwd, &ProjectDocOptions::default()).unwrap();
        assert_eq!(docs.text, "override");
        assert_eq!(docs.files, vec![root.join("AGENTS.override.md")]);
    }

    #[test]
    fn fallback_is_used_when_agents_md_is_a_directory() {
        let (_tmp, _root, cwd) = repo();
        fs::create_dir(cwd.join("AGENTS.md")).unwrap();
        fs::write(cwd.join("CLAUDE.md"), "fallback rules").unwrap();
        let opts = ProjectDocOptions {
            fallback_filenames: vec![String::new(), "CLAUDE.md".into(), "CLAUDE.md".into()],
            ..ProjectDocOptions::default()
        };
        let docs = discover_project_docs(&cwd, &opts).unwrap();
        assert_eq!(docs.text, "fallback rules");
        assert_eq!(docs.files, vec![cwd.join("CLAUDE.md")]);
    }

    #[test]
    fn fallback_is_ignored_when_agents_md_exists() {
        let (_tmp, _root, cwd) = repo();
        fs::write(cwd.join("AGENTS.md"), "agents").unwrap();
        fs::write(cwd.join("CLAUDE.md"), "claude").unwrap();
        let opts = ProjectDocOptions {
            fallback_filenames: vec!["CLAUDE.md".into()],
            ..ProjectDocOptions::default()
        };
        assert_eq!(discover_project_docs(&cwd, &opts).unwrap().text, "agents");
    }

    #[test]
    fn whitespace_only_files_are_skipped() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "  \n\t\n").unwrap();
        fs::write(cwd.join("AGENTS.md"), "leaf").unwrap();
        let docs = discover_project_docs(&cwd, &ProjectDocOptions::default()).unwrap();
        assert_eq!(docs.text, "leaf");
        assert_eq!(docs.files, vec![cwd.join("AGENTS.md")]);
    }

    #[test]
    fn budget_truncates_the_crossing_file_and_drops_later_ones() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "0123456789").unwrap();
        fs::write(root.join("a").join("AGENTS.md"), "abcdefghij").unwrap();
        fs::write(cwd.join("AGENTS.md"), "never read").unwrap();
        let docs = discover_project_docs(&cwd, &opts(14)).unwrap();
        assert_eq!(docs.text, "0123456789\n\nabcd");
        assert!(docs.truncated);
        assert_eq!(docs.files, vec![root.join("AGENTS.md"), root.join("a").join("AGENTS.md")]);
    }

    #[test]
    fn single_oversized_file_is_cut_at_the_budget() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "x".repeat(100)).unwrap();
        let docs = discover_project_docs(&cwd, &opts(40)).unwrap();
        assert_eq!(docs.text, "x".repeat(40));
        assert!(docs.truncated);
    }

    #[test]
    fn whitespace_only_files_do_not_spend_the_budget() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), " \n\n ").unwrap();
        fs::write(cwd.join("AGENTS.md"), "0123456789").unwrap();
        let docs = discover_project_docs(&cwd, &opts(10)).unwrap();
        assert_eq!(docs.text, "0123456789");
        assert!(!docs.truncated);
    }

    #[test]
    fn budget_used_up_exactly_drops_later_files() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "0123456789").unwrap();
        fs::write(cwd.join("AGENTS.md"), "later").unwrap();
        let docs = discover_project_docs(&cwd, &opts(10)).unwrap();
        assert_eq!(docs.text, "0123456789");
        assert_eq!(docs.files, vec![root.join("AGENTS.md")]);
        assert!(docs.truncated);
    }

    #[test]
    fn exact_fit_is_not_truncated() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "0123456789").unwrap();
        let docs = discover_project_docs(&cwd, &opts(10)).unwrap();
        assert_eq!(docs.text, "0123456789");
        assert!(!docs.truncated);
    }

    #[test]
    fn cut_codepoint_becomes_replacement_character() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "aé").unwrap();
        let docs = discover_project_docs(&cwd, &opts(2)).unwrap();
        assert_eq!(docs.text, "a\u{FFFD}");
    }

    #[test]
    fn zero_budget_disables_project_docs() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "rules").unwrap();
        let docs = discover_project_docs(&cwd, &opts(0)).unwrap();
        assert_eq!(docs, ProjectDocs::default());
    }

    #[test]
    fn empty_markers_only_search_cwd() {
        let (_tmp, root, cwd) = repo();
        fs::write(root.join("AGENTS.md"), "root").unwrap();
        fs::write(cwd.join("AGENTS.md"), "leaf").unwrap();
        let opts = ProjectDocOptions { markers: vec![], ..ProjectDocOptions::default() };
        assert_eq!(discover_project_docs(&cwd, &opts).unwrap().text, "leaf");
    }

    #[test]
    fn no_marker_found_only_searches_cwd() {
        let tmp = tempfile::tempdir().unwrap();
        let cwd = tmp.path().join("x");
        fs::create_dir(&cwd).unwrap();
        fs::write(tmp.path().join("AGENTS.md"), "parent").unwrap();
        fs::write(cwd.join("AGENTS.md"), "here").unwrap();
        let opts = ProjectDocOptions {
            markers: vec!["no-such-marker-here".into()],
            ..ProjectDocOptions::default()
        };
        assert_eq!(discover_project_docs(&cwd, &opts).unwrap().text, "here");
    }

    #[test]
    fn global_prefers_override_and_trims() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(global_instructions(home.path()), None);
        fs::write(home.path().join("AGENTS.md"), "\n global \n").unwrap();
        assert_eq!(global_instructions(home.path()).as_deref(), Some("global"));
        fs::write(home.path().join("AGENTS.override.md"), "override").unwrap();
        assert_eq!(global_instructions(home.path()).as_deref(), Some("override"));
    }

    #[test]
    fn blank_or_directory_global_override_falls_through() {
        let home = tempfile::tempdir().unwrap();
        fs::write(home.path().join("AGENTS.md"), "global").unwrap();
        fs::write(home.path().join("AGENTS.override.md"), "   \n").unwrap();
        assert_eq!(global_instructions(home.path()).as_deref(), Some("global"));
        fs::remove_file(home.path().join("AGENTS.override.md")).unwrap();
        fs::create_dir(home.path().join("AGENTS.override.md")).unwrap();
        assert_eq!(global_instructions(home.path()).as_deref(), Some("global"));
    }

    #[test]
    fn global_invalid_utf8_is_lossy() {
        let home = tempfile::tempdir().unwrap();
        fs::write(home.path().join("AGENTS.md"), b"ok \xff end").unwrap();
        assert_eq!(global_instructions(home.path()).as_deref(), Some("ok \u{FFFD} end"));
    }

    #[test]
    fn render_puts_global_before_project() {
        let project = ProjectDocs {
            files: vec![PathBuf::from("/r/AGENTS.md")],
            text: "project rules".into(),
            truncated: false,
        };
        let text = render_agents_md_message(Path::new("/r"), Some("global rules"), &project);
        assert_eq!(
            text.as_deref(),
            Some(
                "# AGENTS.md instructions for /r\n\n<INSTRUCTIONS>\nglobal rules\n\n--- project-doc ---\n\nproject rules\n</INSTRUCTIONS>"
            )
        );
    }

    #[test]
    fn render_with_only_one_source_has_no_separator() {
        let project = ProjectDocs {
            files: vec![PathBuf::from("/r/AGENTS.md")],
            text: "project rules".into(),
            truncated: false,
        };
        assert_eq!(
            render_agents_md_message(Path::new("/r"), None, &project).as_deref(),
            Some(
                "# AGENTS.md instructions for /r\n\n<INSTRUCTIONS>\nproject rules\n</INSTRUCTIONS>"
            )
        );
        assert_eq!(
            render_agents_md_message(Path::new("/r"), Some("g"), &ProjectDocs::default())
                .as_deref(),
            Some("# AGENTS.md instructions for /r\n\n<INSTRUCTIONS>\ng\n</INSTRUCTIONS>")
        );
    }

    #[test]
    fn render_is_none_when_everything_is_empty() {
        assert_eq!(render_agents_md_message(Path::new("/r"), None, &ProjectDocs::default()), None);
        assert_eq!(
            render_agents_md_message(Path::new("/r"), Some("  "), &ProjectDocs::default()),
            None
        );
    }
}
