//! The `apply_patch` tool: a patch in the `*** Begin Patch` format becomes a `fileChange` item
//! and is applied atomically (every file or none) through `codex-apply-patch`.
//!
//! Paths are meant to lie inside the thread's writable roots: the cwd and the `writableRoots` of
//! a workspace-write policy, anywhere under danger-full-access (or an external sandbox), nowhere
//! under read-only. A patch that writes elsewhere needs the user's approval
//! (`item/fileChange/requestApproval`, under `on-request`, `untrusted`, or a granular policy with
//! sandbox approval) and is refused under `never`. Under `untrusted` every patch is asked about.
//! `acceptForSession` lets later patches touching only already-approved files (move destinations
//! included) through, outside the sandbox too. After an approval the patch is planned again and
//! must produce exactly the approved changes.

use std::path::PathBuf;

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::FileChangeApprovalDecision;
use codex_app_server_protocol::v2::FileChangeRequestApprovalParams;
use codex_app_server_protocol::v2::FileUpdateChange;
use codex_app_server_protocol::v2::PatchApplyStatus;
use codex_app_server_protocol::v2::PatchChangeKind;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::ServerRequest;
use codex_apply_patch::FileChangeKind;
use codex_apply_patch::PatchPlan;
use serde::Deserialize;

use crate::engine::new_id;
use crate::engine::now_ms;
use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;
use crate::tools::approval::Approvals;
use crate::tools::approval::Decision;

#[derive(Deserialize)]
struct PatchArgs {
    #[serde(alias = "patch")]
    input: String,
}

/// The patch text of an `apply_patch` function call.
pub fn parse_arguments(arguments: &str) -> Result<String, String> {
    // Freeform/custom-tool callers send the patch itself rather than JSON.
    if arguments.trim_start().starts_with("*** Begin Patch") {
        return Ok(arguments.to_owned());
    }
    serde_json::from_str::<PatchArgs>(arguments)
        .map(|args| args.input)
        .map_err(|err| format!("failed to parse function arguments: {err}"))
}

/// Where a patch may write under the thread's sandbox policy (`None`: nowhere).
fn writable_roots(policy: &SandboxPolicy, cwd: &std::path::Path) -> Option<Vec<PathBuf>> {
    match policy {
        SandboxPolicy::DangerFullAccess {} | SandboxPolicy::ExternalSandbox { .. } => {
            Some(vec![PathBuf::from("/")])
        }
        SandboxPolicy::ReadOnly { .. } => None,
        SandboxPolicy::WorkspaceWrite { writable_roots, .. } => {
            let mut roots = vec![cwd.to_path_buf()];
            roots.extend(writable_roots.iter().map(|root| root.as_path().to_path_buf()));
            Some(roots)
        }
    }
}

fn wire_changes(plan: &PatchPlan) -> Vec<FileUpdateChange> {
    plan.changes()
        .iter()
        .map(|change| FileUpdateChange {
            // As the reference sends them (clients render them so): a new file's contents, a
            // deleted file's former contents, a unified diff for an update.
            diff: match &change.kind {
                FileChangeKind::Add => change.new_contents.clone().unwrap_or_default(),
                FileChangeKind::Delete => change.old_contents.clone().unwrap_or_default(),
                FileChangeKind::Update { .. } => change.unified_diff.clone(),
            },
            kind: match &change.kind {
                FileChangeKind::Add => PatchChangeKind::Add {},
                FileChangeKind::Delete => PatchChangeKind::Delete {},
                FileChangeKind::Update { move_path } => PatchChangeKind::Update {
                    move_path: move_path.as_ref().map(|path| path.display().to_string()),
                },
            },
            path: change.path.display().to_string(),
        })
        .collect()
}

fn file_item(
    id: &str,
    changes: &[FileUpdateChange],
    started_ms: i64,
    completed_ms: Option<i64>,
    status: PatchApplyStatus,
) -> ThreadItem {
    ThreadItem::FileChange {
        started_at_ms: Some(started_ms),
        completed_at_ms: completed_ms,
        changes: changes.to_vec(),
        id: id.to_owned(),
        status,
    }
}

/// Applies `patch_text` for the model as a `fileChange` item.
pub async fn run_patch(
    approvals: &Approvals,
    context: &ToolContext,
    patch_text: &str,
) -> ToolOutcome {
    let patch = match codex_apply_patch::parse_patch(patch_text) {
        Ok(patch) => patch,
        Err(err) => return ToolOutcome::failure(format!("apply_patch verification failed: {err}")),
    };
    let cwd = context.cwd.as_path();
    let everywhere = vec![PathBuf::from("/")];
    // Planned inside the sandbox's writable roots; when only the sandbox stands in the way (the
    // same patch plans with no confinement), the patch needs the user's approval to go outside.
    let sandboxed = match writable_roots(&context.sandbox, cwd) {
        Some(roots) => PatchPlan::prepare(&patch, cwd, &roots)
            .map(|plan| (plan, roots))
            .map_err(|err| err.to_string()),
        None => Err("the thread's sandbox is read-only, so no file may be changed".to_owned()),
    };
    let (plan, roots, escalation) = match sandboxed {
        Ok((plan, roots)) => (plan, roots, None),
        Err(confined) => match PatchPlan::prepare(&patch, cwd, &everywhere) {
            Ok(plan) => (plan, everywhere.clone(), Some(confined)),
            Err(_) => return ToolOutcome::failure(format!("apply_patch refused: {confined}")),
        },
    };
    let changes = wire_changes(&plan);
    let id = new_id();
    // Every file the patch writes, a move's destination included, must have been approved.
    let keys: Vec<String> = changes
        .iter()
        .flat_map(|change| {
            let destination = match &change.kind {
                PatchChangeKind::Update { move_path: Some(destination) } => Some(destination),
                _ => None,
            };
            std::iter::once(&change.path).chain(destination)
        })
        .map(|path| format!("file\u{0}{path}"))
        .collect();
    let approved = keys.iter().all(|key| approvals.approved_for_session(&context.thread_id, key));
    let may_ask = match &context.approval_policy {
        AskForApproval::Untrusted | AskForApproval::OnRequest => true,
        AskForApproval::Granular { sandbox_approval, .. } => *sandbox_approval,
        AskForApproval::Never => false,
    };
    if let (Some(reason), false, false) = (&escalation, approved, may_ask) {
        return ToolOutcome::failure(format!(
            "apply_patch refused: {reason}; the approval policy does not let the user allow \
             writing outside the sandbox"
        ));
    }
    let needs_approval = !approved
        && (escalation.is_some() || matches!(context.approval_policy, AskForApproval::Untrusted));
    if needs_approval {
        let offered = [
            FileChangeApprovalDecision::Accept,
            FileChangeApprovalDecision::AcceptForSession,
            FileChangeApprovalDecision::Decline,
            FileChangeApprovalDecision::Cancel,
        ];
        let request = ServerRequest::FileChangeRequestApproval(FileChangeRequestApprovalParams {
            grant_root: None,
            item_id: id.clone(),
            reason: escalation
                .as_ref()
                .map(|reason| format!("the patch writes outside the sandbox: {reason}")),
            started_at_ms: now_ms(),
            thread_id: context.thread_id.clone(),
            turn_id: context.turn_id.clone(),
        });
        let started = now_ms();
        context
            .items
            .start(file_item(&id, &changes, started, None, PatchApplyStatus::InProgress), started)
            .await;
        // Dropped while waiting (the turn gave up on the tool): the item ends declined.
        let abandoned = context.items.complete_on_drop(file_item(
            &id,
            &changes,
            started,
            Some(now_ms()),
            PatchApplyStatus::Declined,
        ));
        let decision = approvals.ask_file_change(context, request, &offered).await;
        abandoned.disarm();
        match decision {
            Decision::Accept | Decision::AcceptWithPrefixRule(_) => {}
            Decision::AcceptForSession => {
                for key in keys {
                    approvals.approve_for_session(&context.thread_id, key);
                }
            }
            decision @ (Decision::Decline | Decision::Cancel | Decision::Interrupted) => {
                let item =
                    file_item(&id, &changes, started, Some(now_ms()), PatchApplyStatus::Declined);
                if let Err(err) = context.items.complete(item).await {
                    tracing::warn!("storing a declined file change failed: {err}");
                }
                if decision == Decision::Cancel {
                    context.cancel.cancel();
                }
                return ToolOutcome::failure("The user declined this patch; no file was changed.");
            }
        }
        // An interrupt that raced the answer wins: nothing is written after it.
        if context.cancel.is_cancelled() {
            let item =
                file_item(&id, &changes, started, Some(now_ms()), PatchApplyStatus::Declined);
            if let Err(err) = context.items.complete(item).await {
                tracing::warn!("storing an interrupted file change failed: {err}");
            }
            return ToolOutcome::failure("the turn was interrupted before the patch was applied");
        }
        // Plan again: the files (or a directory turned symlink) may have changed while the user
        // read the prompt, and what was approved is exactly the planned change.
        let replanned = match PatchPlan::prepare(&patch, cwd, &roots) {
            Ok(replanned) if wire_changes(&replanned) == changes => Ok(replanned),
            Ok(_) => Err("apply_patch failed, no file was changed: the files changed while \
                          waiting for approval; read them again and make a new patch"
                .to_owned()),
            Err(err) => {
                Err(format!("apply_patch refused after approval, no file was changed: {err}"))
            }
        };
        let plan = match replanned {
            Ok(plan) => plan,
            Err(message) => {
                let item =
                    file_item(&id, &changes, started, Some(now_ms()), PatchApplyStatus::Failed);
                if let Err(err) = context.items.complete(item).await {
                    tracing::warn!("storing a failed file change failed: {err}");
                }
                return ToolOutcome::failure(message);
            }
        };
        return apply(context, plan, &id, &changes, started).await;
    }
    let started = now_ms();
    context
        .items
        .start(file_item(&id, &changes, started, None, PatchApplyStatus::InProgress), started)
        .await;
    apply(context, plan, &id, &changes, started).await
}

async fn apply(
    context: &ToolContext,
    plan: PatchPlan,
    id: &str,
    changes: &[FileUpdateChange],
    started: i64,
) -> ToolOutcome {
    let result = tokio::task::spawn_blocking(move || plan.apply()).await;
    let (status, outcome) = match result {
        Ok(Ok(applied)) => (PatchApplyStatus::Completed, ToolOutcome::success(applied.summary())),
        Ok(Err(err)) => (
            PatchApplyStatus::Failed,
            ToolOutcome::failure(format!("apply_patch failed, no file was changed: {err}")),
        ),
        Err(err) => {
            (PatchApplyStatus::Failed, ToolOutcome::failure(format!("apply_patch failed: {err}")))
        }
    };
    let item = file_item(id, changes, started, Some(now_ms()), status);
    if let Err(err) = context.items.complete(item).await {
        tracing::warn!("storing a file change item failed: {err}");
    }
    outcome
}
