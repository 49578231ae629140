//! Base instructions: the text sent in the request's `instructions` field. Owns the built-in
//! default prompt (`prompts/base_instructions.md`) and the precedence between the thread's
//! `baseInstructions` parameter, the `model_instructions_file` config key, the `instructions`
//! config key and that default.

use std::path::Path;

use super::error::ContextError;

/// The built-in system prompt for a coding agent.
pub const BASE_INSTRUCTIONS: &str = include_str!("../../prompts/base_instructions.md");

/// Picks the base instructions: thread param, then instructions file, then config text, then default.
pub fn resolve_base_instructions(
    thread_param: Option<&str>,
    instructions_file: Option<&Path>,
    config_instructions: Option<&str>,
) -> Result<String, ContextError> {
    if let Some(text) = thread_param {
        return Ok(text.to_string());
    }
    if let Some(path) = instructions_file {
        return read_instructions_file(path);
    }
    if let Some(text) = config_instructions {
        return Ok(text.to_string());
    }
    Ok(BASE_INSTRUCTIONS.to_string())
}

/// Reads `model_instructions_file`, which must be an existing, non-empty regular file.
fn read_instructions_file(path: &Path) -> Result<String, ContextError> {
    let metadata = std::fs::metadata(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => {
            ContextError::InstructionsFileMissing { path: path.to_path_buf() }
        }
        _ => ContextError::io(path, err),
    })?;
    if !metadata.is_file() {
        return Err(ContextError::InstructionsFileNotRegular { path: path.to_path_buf() });
    }
    let bytes = std::fs::read(path).map_err(|err| ContextError::io(path, err))?;
    let text = String::from_utf8_lossy(&bytes);
    if text.trim().is_empty() {
        return Err(ContextError::InstructionsFileEmpty { path: path.to_path_buf() });
    }
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_prompt_is_substantial_and_covers_the_tools() {
        assert!(BASE_INSTRUCTIONS.len() > 6 * 1024);
        assert!(BASE_INSTRUCTIONS.len() < 12 * 1024);
        for needle in [
            "AGENTS.md",
            "apply_patch",
            "*** Begin Patch",
            "*** End Patch",
            "*** Move to:",
            "update_plan",
            "rg --files",
            "workdir",
            "require_escalated",
            "justification",
        ] {
            assert!(BASE_INSTRUCTIONS.contains(needle), "missing {needle}");
        }
    }

    #[test]
    fn thread_param_wins_over_everything() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prompt.md");
        std::fs::write(&file, "from file").unwrap();
        let text = resolve_base_instructions(Some("from thread"), Some(&file), Some("from config"))
            .unwrap();
        assert_eq!(text, "from thread");
    }

    #[test]
    fn instructions_file_wins_over_config() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prompt.md");
        std::fs::write(&file, "from file\n").unwrap();
        let text = resolve_base_instructions(None, Some(&file), Some("from config")).unwrap();
        assert_eq!(text, "from file\n");
    }

    #[test]
    fn config_wins_over_default() {
        let text = resolve_base_instructions(None, None, Some("from config")).unwrap();
        assert_eq!(text, "from config");
    }

    #[test]
    fn default_when_nothing_is_configured() {
        let text = resolve_base_instructions(None, None, None).unwrap();
        assert_eq!(text, BASE_INSTRUCTIONS);
    }

    #[test]
    fn missing_file_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nope.md");
        let err = resolve_base_instructions(None, Some(&file), Some("x")).unwrap_err();
        assert!(matches!(err, ContextError::InstructionsFileMissing { .. }));
        assert!(err.to_string().contains("nope.md"), "{err}");
    }

    #[test]
    fn directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve_base_instructions(None, Some(dir.path()), None).unwrap_err();
        assert!(matches!(err, ContextError::InstructionsFileNotRegular { .. }));
        assert!(err.to_string().contains(&dir.path().display().to_string()));
    }

    #[test]
    fn whitespace_only_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blank.md");
        std::fs::write(&file, " \n\t\n").unwrap();
        let err = resolve_base_instructions(None, Some(&file), None).unwrap_err();
        assert!(matches!(err, ContextError::InstructionsFileEmpty { .. }));
        assert!(err.to_string().contains("blank.md"));
    }
}
