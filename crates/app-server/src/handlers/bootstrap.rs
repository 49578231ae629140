//! Session bootstrap methods that clients call before their first thread (`account/read` is in
//! [`super::account`]): `configRequirements/read`, `skills/list`, `collaborationMode/list`, `hooks/list`,
//! `experimentalFeature/list`, and the config methods `config/read`, `config/value/write`,
//! `config/batchWrite`.

use std::path::Path;
use std::path::PathBuf;

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::CollaborationModeListResponse;
use codex_app_server_protocol::v2::CollaborationModeMask;
use codex_app_server_protocol::v2::ConfigBatchWriteParams;
use codex_app_server_protocol::v2::ConfigReadParams;
use codex_app_server_protocol::v2::ConfigRequirementsReadResponse;
use codex_app_server_protocol::v2::ConfigValueWriteParams;
use codex_app_server_protocol::v2::ConfigWriteResponse;
use codex_app_server_protocol::v2::ExperimentalFeature;
use codex_app_server_protocol::v2::ExperimentalFeatureListResponse;
use codex_app_server_protocol::v2::ExperimentalFeatureStage;
use codex_app_server_protocol::v2::HooksListEntry;
use codex_app_server_protocol::v2::HooksListParams;
use codex_app_server_protocol::v2::HooksListResponse;
use codex_app_server_protocol::v2::MergeStrategy;
use codex_app_server_protocol::v2::ModeKind;
use codex_app_server_protocol::v2::SkillErrorInfo;
use codex_app_server_protocol::v2::SkillMetadata;
use codex_app_server_protocol::v2::SkillScope;
use codex_app_server_protocol::v2::SkillsListEntry;
use codex_app_server_protocol::v2::SkillsListParams;
use codex_app_server_protocol::v2::SkillsListResponse;
use codex_app_server_protocol::v2::WriteStatus;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use serde_json::json;
use serde_json::Value;

use crate::config::apply_config_edits;
use crate::config::Config;
use crate::config::ConfigEdit;
use crate::config::ConfigError;
use crate::config::MergeMode;
use crate::config::CONFIG_FILE_NAME;

/// Features this server knows, with their stage and default, for `experimentalFeature/list`.
pub const KNOWN_FEATURES: &[(&str, ExperimentalFeatureStage, bool, &str)] = &[(
    "remote_control",
    ExperimentalFeatureStage::Removed,
    false,
    "Removed: remote control starts only with `codex app-server --remote-control`.",
)];

/// `configRequirements/read`: this server imposes no requirements.
pub fn config_requirements_read() -> ConfigRequirementsReadResponse {
    ConfigRequirementsReadResponse { requirements: None, supports_independent_speed_modes: None }
}

/// `collaborationMode/list`: the default mode and plan mode.
pub fn collaboration_mode_list() -> CollaborationModeListResponse {
    let mode = |name: &str, kind: ModeKind| CollaborationModeMask {
        mode: Some(kind),
        model: None,
        name: name.to_owned(),
        reasoning_effort: None,
    };
    CollaborationModeListResponse {
        data: vec![mode("Default", ModeKind::Default), mode("Plan", ModeKind::Plan)],
    }
}

/// `hooks/list`: no hooks are configured in this server; one entry per requested cwd.
pub fn hooks_list(params: HooksListParams) -> HooksListResponse {
    let data = params
        .cwds
        .into_iter()
        .map(|cwd| HooksListEntry {
            cwd,
            errors: Vec::new(),
            hooks: Vec::new(),
            warnings: Vec::new(),
        })
        .collect();
    HooksListResponse { data }
}

/// `experimentalFeature/list`: every known feature with its effective state.
pub fn experimental_feature_list(config: &Config) -> ExperimentalFeatureListResponse {
    let data = KNOWN_FEATURES
        .iter()
        .map(|(name, stage, default_enabled, description)| ExperimentalFeature {
            announcement: None,
            default_enabled: *default_enabled,
            description: Some((*description).to_owned()),
            display_name: None,
            enabled: config.features.get(*name).copied().unwrap_or(*default_enabled),
            name: (*name).to_owned(),
            stage: stage.clone(),
        })
        .collect();
    ExperimentalFeatureListResponse { data, next_cursor: None }
}

/// `skills/list`: `SKILL.md` files under `$CODEX_HOME/skills` and each cwd's `.codex/skills`.
pub fn skills_list(config: &Config, params: SkillsListParams) -> SkillsListResponse {
    let cwds = if params.cwds.is_empty() {
        std::env::current_dir().map(|cwd| vec![cwd.display().to_string()]).unwrap_or_default()
    } else {
        params.cwds
    };
    let data = cwds
        .into_iter()
        .map(|cwd| {
            let mut skills = Vec::new();
            let mut errors = Vec::new();
            collect_skills(
                &config.codex_home.join("skills"),
                SkillScope::User,
                &mut skills,
                &mut errors,
            );
            collect_skills(
                &Path::new(&cwd).join(".codex").join("skills"),
                SkillScope::Repo,
                &mut skills,
                &mut errors,
            );
            SkillsListEntry { cwd, errors, skills }
        })
        .collect();
    SkillsListResponse { data }
}

fn collect_skills(
    root: &Path,
    scope: SkillScope,
    skills: &mut Vec<SkillMetadata>,
    errors: &mut Vec<SkillErrorInfo>,
) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    let mut dirs: Vec<PathBuf> = entries.filter_map(Result::ok).map(|entry| entry.path()).collect();
    dirs.sort();
    for dir in dirs {
        let file = dir.join("SKILL.md");
        if !file.is_file() {
            continue;
        }
        match std::fs::read_to_string(&file)
            .map_err(|err| err.to_string())
            .and_then(|text| parse_skill(&text))
        {
            Ok((name, description)) => skills.push(SkillMetadata {
                dependencies: None,
                description,
                enabled: true,
                interface: None,
                name,
                path: file.display().to_string(),
                plugin_id: None,
                scope: scope.clone(),
                short_description: None,
            }),
            Err(message) => {
                errors.push(SkillErrorInfo { message, path: file.display().to_string() })
            }
        }
    }
}

/// Reads `name` and `description` from a `SKILL.md` front matter block (`---` … `---`).
fn parse_skill(text: &str) -> Result<(String, String), String> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some("---") {
        return Err("SKILL.md must start with a `---` front matter block".to_owned());
    }
    let (mut name, mut description) = (None, None);
    for line in lines.by_ref() {
        if line.trim() == "---" {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim().trim_matches('"').trim_matches('\'').to_owned();
            match key.trim() {
                "name" => name = Some(value),
                "description" => description = Some(value),
                _ => {}
            }
        }
    }
    match (name, description) {
        (Some(name), Some(description)) if !name.is_empty() => Ok((name, description)),
        _ => Err("front matter needs `name` and `description`".to_owned()),
    }
}

/// `config/read`: the effective config (file plus launch overrides), with its layer on request.
pub fn config_read(config: &Config, params: ConfigReadParams) -> Value {
    let mut response = json!({ "config": config.to_json(), "origins": {} });
    if params.include_layers == Some(true) {
        let version = crate::config::read_config_version(&config.file).unwrap_or_default();
        response["layers"] = json!([{
            "name": {"type": "user", "file": config.file.display().to_string()},
            "version": version,
            "config": config.to_json(),
        }]);
    }
    response
}

fn merge_mode(strategy: &MergeStrategy) -> MergeMode {
    match strategy {
        MergeStrategy::Replace => MergeMode::Replace,
        MergeStrategy::Upsert => MergeMode::Upsert,
    }
}

fn config_error(id: RequestId, err: ConfigError) -> JsonRpcError {
    let code = match err {
        ConfigError::Write { .. } | ConfigError::Read { .. } => error_codes::INTERNAL_ERROR,
        _ => error_codes::INVALID_PARAMS,
    };
    JsonRpcError::new(Some(id), code, err.to_string())
}

fn target_file(config: &Config, file_path: Option<&str>) -> Result<PathBuf, String> {
    let default = config.codex_home.join(CONFIG_FILE_NAME);
    match file_path {
        None => Ok(default),
        Some(path) if Path::new(path) == default => Ok(default),
        Some(path) => Err(format!(
            "filePath {path} is not writable through this server; only {} is",
            default.display()
        )),
    }
}

/// `config/value/write` and `config/batchWrite`: atomic, comment-preserving edits of config.toml.
pub fn config_write(
    config: &Config,
    id: RequestId,
    file_path: Option<&str>,
    expected_version: Option<&str>,
    edits: Vec<ConfigEdit>,
) -> Result<ConfigWriteResponse, JsonRpcError> {
    let file = target_file(config, file_path).map_err(|message| {
        JsonRpcError::new(Some(id.clone()), error_codes::INVALID_PARAMS, message)
    })?;
    let version = apply_config_edits(&file, &edits, expected_version)
        .map_err(|err| config_error(id.clone(), err))?;
    let file_path = AbsolutePath::new(file.clone()).map_err(|err| {
        JsonRpcError::new(
            Some(id),
            error_codes::INTERNAL_ERROR,
            format!("config path {}: {err}", file.display()),
        )
    })?;
    Ok(ConfigWriteResponse {
        file_path,
        overridden_metadata: None,
        status: WriteStatus::Ok,
        version,
    })
}

/// The edits of a `config/value/write`.
pub fn value_write_edits(params: &ConfigValueWriteParams) -> Vec<ConfigEdit> {
    vec![ConfigEdit {
        key_path: params.key_path.clone(),
        value: params.value.clone(),
        merge: merge_mode(&params.merge_strategy),
    }]
}

/// The edits of a `config/batchWrite`.
pub fn batch_write_edits(params: &ConfigBatchWriteParams) -> Vec<ConfigEdit> {
    params
        .edits
        .iter()
        .map(|edit| ConfigEdit {
            key_path: edit.key_path.clone(),
            value: edit.value.clone(),
            merge: merge_mode(&edit.merge_strategy),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_front_matter_needs_name_and_description() {
        assert_eq!(
            parse_skill("---\nname: lint\ndescription: \"Run the linter\"\n---\nbody").unwrap(),
            ("lint".to_owned(), "Run the linter".to_owned())
        );
        assert!(parse_skill("no front matter").is_err());
        assert!(parse_skill("---\nname: x\n---\n").is_err());
    }
}
