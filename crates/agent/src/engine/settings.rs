//! A thread's settings for its next turns: `thread/settings/update` (model, reasoning effort and
//! summary, approval policy, approvals reviewer, permission profile or sandbox policy,
//! collaboration mode, cwd), the `thread/settings/updated` notification that reports them, and
//! the built-in permission profiles of `permissionProfile/list`.
//!
//! An update is stored with the thread at once (it survives a restart) and applies from the
//! thread's next turn: a running turn keeps the settings it started with. The next turn's
//! request carries the new model and reasoning options, and its context re-sends the
//! permissions and environment blocks when the policy or sandbox changed.

use codex_app_server_protocol::v2::ActivePermissionProfile;
use codex_app_server_protocol::v2::ApprovalsReviewer;
use codex_app_server_protocol::v2::CollaborationMode;
use codex_app_server_protocol::v2::CollaborationModeSettings;
use codex_app_server_protocol::v2::ModeKind;
use codex_app_server_protocol::v2::PermissionProfileListParams;
use codex_app_server_protocol::v2::PermissionProfileListResponse;
use codex_app_server_protocol::v2::PermissionProfileSummary;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::ThreadSettings as WireThreadSettings;
use codex_app_server_protocol::v2::ThreadSettingsUpdateParams;
use codex_app_server_protocol::v2::ThreadSettingsUpdateResponse;
use codex_app_server_protocol::v2::ThreadSettingsUpdatedNotification;
use codex_app_server_protocol::AbsolutePath;
use codex_app_server_protocol::ServerNotification;
use codex_model_client::ReasoningEffort;

use crate::engine::provider::default_model;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::engine::LoadedThread;
use crate::engine::ThreadState;

/// The built-in permission profiles, as the reference names them, with what each allows.
pub const PERMISSION_PROFILES: &[(&str, &str)] = &[
    (
        ":read-only",
        "Read files anywhere; commands cannot write files or reach the network without approval",
    ),
    (
        ":workspace",
        "Read files anywhere and write inside the workspace (the thread's cwd); no network",
    ),
    (":danger-full-access", "No sandbox: commands can write anywhere and use the network"),
];

/// The sandbox policy of built-in permission profile `id`.
pub fn profile_sandbox(id: &str) -> Option<SandboxPolicy> {
    match id {
        ":read-only" => Some(SandboxPolicy::ReadOnly { network_access: None }),
        ":workspace" => Some(SandboxPolicy::WorkspaceWrite {
            exclude_slash_tmp: None,
            exclude_tmpdir_env_var: None,
            network_access: None,
            writable_roots: Vec::new(),
        }),
        ":danger-full-access" => Some(SandboxPolicy::DangerFullAccess {}),
        _ => None,
    }
}

/// The built-in profile a sandbox policy corresponds to, for policies set without a profile.
fn profile_of(sandbox: &SandboxPolicy) -> Option<&'static str> {
    match sandbox {
        SandboxPolicy::ReadOnly { .. } => Some(":read-only"),
        SandboxPolicy::WorkspaceWrite { .. } => Some(":workspace"),
        SandboxPolicy::DangerFullAccess {} => Some(":danger-full-access"),
        SandboxPolicy::ExternalSandbox { .. } => None,
    }
}

/// The thread's settings for its next turns, as `thread/settings/updated` reports them.
pub fn wire_settings(state: &ThreadState) -> Result<WireThreadSettings, EngineError> {
    let settings = &state.settings;
    let model = state
        .record
        .model
        .clone()
        .unwrap_or_else(|| default_model(&state.record.model_provider).to_owned());
    let collaboration_mode = settings.collaboration_mode.clone().unwrap_or(CollaborationMode {
        mode: ModeKind::Default,
        settings: CollaborationModeSettings {
            developer_instructions: None,
            model: model.clone(),
            reasoning_effort: settings.reasoning_effort.clone(),
        },
    });
    let profile = settings
        .permission_profile
        .clone()
        .or_else(|| profile_of(&settings.sandbox).map(str::to_owned));
    let cwd = AbsolutePath::new(&state.record.cwd).map_err(|_| {
        EngineError::InvalidParams(format!(
            "thread {} has a relative cwd {}",
            state.record.id, state.record.cwd
        ))
    })?;
    Ok(WireThreadSettings {
        active_permission_profile: profile.map(|id| ActivePermissionProfile { extends: None, id }),
        approval_policy: settings.approval_policy.clone(),
        approvals_reviewer: settings.approvals_reviewer.clone().unwrap_or(ApprovalsReviewer::User),
        collaboration_mode,
        cwd,
        effort: settings.reasoning_effort.clone(),
        model,
        model_provider: state.record.model_provider.clone(),
        sandbox_policy: settings.sandbox.clone(),
        summary: settings
            .reasoning_summary
            .as_deref()
            .and_then(|summary| serde_json::from_value(serde_json::json!(summary)).ok()),
    })
}

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidParams(message.into())
}

impl Engine {
    /// `permissionProfile/list`: the built-in profiles, paged by index.
    pub fn permission_profiles(
        &self,
        params: PermissionProfileListParams,
    ) -> Result<PermissionProfileListResponse, EngineError> {
        let start = match &params.cursor {
            Some(cursor) => cursor.parse::<usize>().map_err(|_| {
                invalid(format!(
                    "invalid cursor {cursor:?}: pass a `nextCursor` from a previous page"
                ))
            })?,
            None => 0,
        };
        let limit = params.limit.map_or(PERMISSION_PROFILES.len(), |limit| limit.max(1) as usize);
        let end = start.saturating_add(limit).min(PERMISSION_PROFILES.len());
        let data = PERMISSION_PROFILES
            .get(start.min(end)..end)
            .unwrap_or_default()
            .iter()
            .map(|(id, description)| PermissionProfileSummary {
                allowed: true,
                description: Some((*description).to_owned()),
                id: (*id).to_owned(),
            })
            .collect();
        let next_cursor = (end < PERMISSION_PROFILES.len()).then(|| end.to_string());
        Ok(PermissionProfileListResponse { data, next_cursor })
    }

    /// `thread/settings/update`: changes and stores the thread's settings for its next turns;
    /// the notification (`thread/settings/updated`) goes to the thread's subscribers.
    pub async fn update_thread_settings(
        &self,
        params: ThreadSettingsUpdateParams,
    ) -> Result<(ThreadSettingsUpdateResponse, ServerNotification), EngineError> {
        let thread = self.loaded_or_error(&params.thread_id).await?;
        if params.permissions.is_some() && params.sandbox_policy.is_some() {
            return Err(invalid("permissions and sandboxPolicy cannot be combined; send one"));
        }
        let profile_policy = match &params.permissions {
            Some(id) => Some(profile_sandbox(id).ok_or_else(|| {
                let known: Vec<&str> = PERMISSION_PROFILES.iter().map(|(id, _)| *id).collect();
                invalid(format!(
                    "unknown permissions profile {id:?}; this server offers {}",
                    known.join(", ")
                ))
            })?),
            None => None,
        };
        let efforts = [
            params.effort.as_deref(),
            params
                .collaboration_mode
                .as_ref()
                .and_then(|mode| mode.settings.reasoning_effort.as_deref()),
        ];
        for effort in efforts.into_iter().flatten() {
            effort.parse::<ReasoningEffort>().map_err(|err| invalid(err.to_string()))?;
        }
        if params.model.as_deref().is_some_and(|model| model.trim().is_empty()) {
            return Err(invalid("model must not be empty"));
        }
        let cwd = match &params.cwd {
            Some(cwd) => {
                let cwd = AbsolutePath::new(cwd).map_err(|err| invalid(format!("cwd: {err}")))?;
                crate::engine::thread::check_cwd(&cwd)?;
                Some(cwd)
            }
            None => None,
        };
        let (record, ephemeral, notification) = {
            let mut state = thread.lock();
            let ThreadState { record, settings, .. } = &mut *state;
            if let Some(mode) = &params.collaboration_mode {
                record.model = Some(mode.settings.model.clone());
                if let Some(effort) = &mode.settings.reasoning_effort {
                    settings.reasoning_effort = Some(effort.clone());
                }
                settings.collaboration_mode = Some(mode.clone());
            }
            if let Some(model) = &params.model {
                record.model = Some(model.trim().to_owned());
            }
            if let Some(effort) = &params.effort {
                settings.reasoning_effort = Some(effort.clone());
            }
            if let Some(summary) = &params.summary {
                settings.reasoning_summary = serde_json::to_value(summary)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned));
            }
            if let Some(policy) = &params.approval_policy {
                settings.approval_policy = policy.clone();
            }
            if let Some(reviewer) = &params.approvals_reviewer {
                settings.approvals_reviewer = Some(reviewer.clone());
            }
            if let (Some(id), Some(policy)) = (&params.permissions, profile_policy) {
                settings.sandbox = policy;
                settings.permission_profile = Some(id.clone());
            }
            if let Some(policy) = &params.sandbox_policy {
                settings.sandbox = policy.clone();
                settings.permission_profile = None;
            }
            if let Some(cwd) = &cwd {
                record.cwd = cwd.to_string();
            }
            record.settings = serde_json::to_value(&*settings).unwrap_or_default();
            let notification =
                ServerNotification::ThreadSettingsUpdated(ThreadSettingsUpdatedNotification {
                    thread_id: thread.id.clone(),
                    thread_settings: wire_settings(&state)?,
                });
            (state.record.clone(), state.ephemeral, notification)
        };
        if !ephemeral {
            self.state().upsert_thread(&record).await?;
        }
        Ok((ThreadSettingsUpdateResponse {}, notification))
    }

    /// The loaded thread `id`; a stored one must be resumed first, an unknown one is not found.
    pub(crate) async fn loaded_or_error(
        &self,
        id: &str,
    ) -> Result<std::sync::Arc<LoadedThread>, EngineError> {
        if let Some(thread) = self.loaded(id) {
            return Ok(thread);
        }
        Err(match self.state().thread(id).await? {
            Some(_) => EngineError::ThreadNotLoaded(id.to_owned()),
            None => EngineError::ThreadNotFound(id.to_owned()),
        })
    }
}
