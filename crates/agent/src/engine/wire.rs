//! Conversions between the engine's records and the wire types: `Thread`, `Turn`, items, token
//! usage, and the policies derived from config.

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::SandboxMode;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::SessionSource;
use codex_app_server_protocol::v2::Thread;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::ThreadStatus;
use codex_app_server_protocol::v2::TokenUsageBreakdown;
use codex_app_server_protocol::v2::Turn;
use codex_app_server_protocol::v2::TurnError;
use codex_app_server_protocol::v2::TurnItemsView;
use codex_app_server_protocol::v2::TurnStatus;
use codex_app_server_protocol::v2::UserInput;
use codex_app_server_protocol::AbsolutePath;
use codex_model_client::TokenUsage;
use serde_json::Value;

use crate::config::ApprovalPolicySetting;
use crate::config::SandboxModeSetting;
use crate::engine::EngineError;
use codex_state::ItemRecord;
use codex_state::ThreadRecord;
use codex_state::TurnRecord;

/// Longest thread preview kept, in characters.
const PREVIEW_CHARS: usize = 200;

/// The wire `Thread` for a record.
pub fn thread_to_wire(
    record: &ThreadRecord,
    ephemeral: bool,
    status: ThreadStatus,
    turns: Vec<Turn>,
) -> Result<Thread, EngineError> {
    let cwd = AbsolutePath::new(&record.cwd).map_err(|_| {
        EngineError::InvalidParams(format!(
            "thread {} has a relative cwd {}",
            record.id, record.cwd
        ))
    })?;
    Ok(Thread {
        agent_nickname: None,
        agent_role: None,
        attached_to_thread_id: record.attached_to_thread_id.clone(),
        can_accept_direct_input: None,
        cli_version: record.cli_version.clone(),
        created_at: record.created_at,
        cwd,
        daybreak_enabled: None,
        ephemeral,
        forked_from_id: record.forked_from_id.clone(),
        git_info: None,
        history_mode: None,
        id: record.id.clone(),
        model: record.model.clone(),
        model_provider: record.model_provider.clone(),
        name: record.name.clone(),
        originator: None,
        parent_thread_id: record.parent_thread_id.clone(),
        path: None,
        preview: record.preview.clone(),
        project_id: record.project_id.clone(),
        reasoning_effort: None,
        recency_at: Some(record.updated_at),
        section_entered_at: None,
        session_id: record.id.clone(),
        source: serde_json::from_value(record.source.clone()).unwrap_or(SessionSource::AppServer),
        status,
        thread_source: None,
        turns,
        updated_at: record.updated_at,
    })
}

/// The wire status string of a turn status.
pub fn turn_status_name(status: &TurnStatus) -> &'static str {
    match status {
        TurnStatus::Completed => "completed",
        TurnStatus::Interrupted => "interrupted",
        TurnStatus::Failed => "failed",
        TurnStatus::InProgress => "inProgress",
    }
}

fn turn_status_from_name(name: &str) -> TurnStatus {
    match name {
        "completed" => TurnStatus::Completed,
        "interrupted" => TurnStatus::Interrupted,
        "inProgress" => TurnStatus::InProgress,
        _ => TurnStatus::Failed,
    }
}

/// The stored form of a turn.
pub fn turn_to_record(thread_id: &str, seq: i64, turn: &Turn) -> TurnRecord {
    TurnRecord {
        thread_id: thread_id.to_owned(),
        id: turn.id.clone(),
        seq,
        status: turn_status_name(&turn.status).to_owned(),
        started_at: turn.started_at,
        completed_at: turn.completed_at,
        duration_ms: turn.duration_ms,
        error: turn.error.as_ref().and_then(|error| serde_json::to_value(error).ok()),
    }
}

/// Turns with their items, from stored records (items in stored order).
pub fn turns_from_records(turns: Vec<TurnRecord>, items: Vec<ItemRecord>) -> Vec<Turn> {
    let mut wire: Vec<Turn> = turns
        .into_iter()
        .map(|record| {
            // A turn stored as running belonged to a server that stopped mid-turn.
            let status = match turn_status_from_name(&record.status) {
                TurnStatus::InProgress => TurnStatus::Interrupted,
                status => status,
            };
            Turn {
                completed_at: record.completed_at,
                duration_ms: record.duration_ms,
                error: record
                    .error
                    .and_then(|error| serde_json::from_value::<TurnError>(error).ok()),
                id: record.id,
                items: Vec::new(),
                items_view: Some(TurnItemsView::Full),
                root_turn_id: None,
                started_at: record.started_at,
                status,
            }
        })
        .collect();
    for item in items {
        let Ok(parsed) = serde_json::from_value::<ThreadItem>(item.item) else {
            tracing::warn!(item = %item.id, "skipping a stored item this server cannot read");
            continue;
        };
        if let Some(turn) = wire.iter_mut().find(|turn| turn.id == item.turn_id) {
            turn.items.push(parsed);
        }
    }
    wire
}

/// The id of a thread item.
pub fn item_id(item: &ThreadItem) -> String {
    serde_json::to_value(item)
        .ok()
        .and_then(|value| value.get("id").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// The text of user input, as sent to the model (non-text parts are named, not sent).
pub fn user_input_text(input: &[UserInput]) -> String {
    input
        .iter()
        .map(|part| match part {
            UserInput::Text { text, .. } => text.clone(),
            UserInput::Image { url, .. } => format!("[image {}]", url.as_deref().unwrap_or("")),
            UserInput::LocalImage { path, .. } => format!("[image {path}]"),
            UserInput::Audio { url, .. } => format!("[audio {}]", url.as_deref().unwrap_or("")),
            UserInput::LocalAudio { path } => format!("[audio {path}]"),
            UserInput::Skill { name, path } => format!("[skill {name} at {path}]"),
            UserInput::Mention { name, path } => format!("[{name} at {path}]"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A listing preview of a user message.
pub fn preview_of(text: &str) -> String {
    let trimmed = text.trim();
    let mut preview: String = trimmed.chars().take(PREVIEW_CHARS).collect();
    if trimmed.chars().count() > PREVIEW_CHARS {
        preview.push('…');
    }
    preview
}

/// The approval policy a config setting means.
pub fn approval_from_config(setting: ApprovalPolicySetting) -> AskForApproval {
    match setting {
        ApprovalPolicySetting::Untrusted => AskForApproval::Untrusted,
        ApprovalPolicySetting::OnFailure | ApprovalPolicySetting::OnRequest => {
            AskForApproval::OnRequest
        }
        ApprovalPolicySetting::Never => AskForApproval::Never,
    }
}

/// The sandbox mode a config setting means.
pub fn sandbox_mode_from_config(setting: SandboxModeSetting) -> SandboxMode {
    match setting {
        SandboxModeSetting::ReadOnly => SandboxMode::ReadOnly,
        SandboxModeSetting::WorkspaceWrite => SandboxMode::WorkspaceWrite,
        SandboxModeSetting::DangerFullAccess => SandboxMode::DangerFullAccess,
    }
}

/// The sandbox policy of a sandbox mode.
pub fn sandbox_policy(mode: &SandboxMode) -> SandboxPolicy {
    match mode {
        SandboxMode::ReadOnly => SandboxPolicy::ReadOnly { network_access: None },
        SandboxMode::WorkspaceWrite => SandboxPolicy::WorkspaceWrite {
            exclude_slash_tmp: None,
            exclude_tmpdir_env_var: None,
            network_access: None,
            writable_roots: Vec::new(),
        },
        SandboxMode::DangerFullAccess => SandboxPolicy::DangerFullAccess {},
    }
}

/// Token usage of one response, in wire form.
pub fn usage_breakdown(usage: &TokenUsage) -> TokenUsageBreakdown {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    TokenUsageBreakdown {
        cache_write_input_tokens: None,
        cached_input_tokens: count(usage.cached_input_tokens),
        input_tokens: count(usage.input_tokens),
        output_tokens: count(usage.output_tokens),
        reasoning_output_tokens: count(usage.reasoning_output_tokens),
        total_tokens: count(usage.total_tokens),
    }
}

/// An all-zero usage.
pub fn zero_usage() -> TokenUsageBreakdown {
    TokenUsageBreakdown {
        cache_write_input_tokens: None,
        cached_input_tokens: 0,
        input_tokens: 0,
        output_tokens: 0,
        reasoning_output_tokens: 0,
        total_tokens: 0,
    }
}

/// `total + last`.
pub fn add_usage(total: &TokenUsageBreakdown, last: &TokenUsageBreakdown) -> TokenUsageBreakdown {
    TokenUsageBreakdown {
        cache_write_input_tokens: None,
        cached_input_tokens: total.cached_input_tokens.saturating_add(last.cached_input_tokens),
        input_tokens: total.input_tokens.saturating_add(last.input_tokens),
        output_tokens: total.output_tokens.saturating_add(last.output_tokens),
        reasoning_output_tokens: total
            .reasoning_output_tokens
            .saturating_add(last.reasoning_output_tokens),
        total_tokens: total.total_tokens.saturating_add(last.total_tokens),
    }
}
