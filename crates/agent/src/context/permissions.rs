//! The `<permissions instructions>` block of the developer message: tells the model what the
//! sandbox lets its commands do (filesystem, network) and when the user is asked for approval.
//! The prose lives in `prompts/permissions/` (one file per sandbox mode and approval policy);
//! this module picks and assembles the pieces deterministically.

use codex_app_server_protocol::v2::AskForApproval;
use codex_app_server_protocol::v2::NetworkAccess;
use codex_app_server_protocol::v2::SandboxPolicy;
use codex_app_server_protocol::AbsolutePath;

/// Opening tag of the permissions block.
pub const PERMISSIONS_OPEN_TAG: &str = "<permissions instructions>";
/// Closing tag of the permissions block.
pub const PERMISSIONS_CLOSE_TAG: &str = "</permissions instructions>";

const SANDBOX_READ_ONLY: &str = include_str!("../../prompts/permissions/sandbox_read_only.md");
const SANDBOX_WORKSPACE_WRITE: &str =
    include_str!("../../prompts/permissions/sandbox_workspace_write.md");
const SANDBOX_DANGER_FULL_ACCESS: &str =
    include_str!("../../prompts/permissions/sandbox_danger_full_access.md");
const SANDBOX_EXTERNAL: &str = include_str!("../../prompts/permissions/sandbox_external.md");
const APPROVAL_UNTRUSTED: &str = include_str!("../../prompts/permissions/approval_untrusted.md");
const APPROVAL_ON_REQUEST: &str = include_str!("../../prompts/permissions/approval_on_request.md");
const APPROVAL_NEVER: &str = include_str!("../../prompts/permissions/approval_never.md");
const APPROVAL_GRANULAR: &str = include_str!("../../prompts/permissions/approval_granular.md");

const NETWORK_ENABLED: &str =
    "Network access: `enabled`. Commands may reach the network, for example to fetch dependencies.";
const NETWORK_RESTRICTED: &str = "Network access: `restricted`. Commands cannot reach the network; downloads, package installs and remote git operations fail unless they are approved to run outside the sandbox.";

/// Renders the whole `<permissions instructions>` block for a sandbox policy and approval policy.
pub fn permissions_instructions(sandbox: &SandboxPolicy, approval: &AskForApproval) -> String {
    let sections = [
        filesystem_section(sandbox),
        network_section(sandbox).to_string(),
        approval_section(approval),
    ];
    format!("{PERMISSIONS_OPEN_TAG}\n{}\n{PERMISSIONS_CLOSE_TAG}", sections.join("\n\n"))
}

/// Whether commands run under `sandbox` may use the network.
pub fn network_enabled(sandbox: &SandboxPolicy) -> bool {
    match sandbox {
        SandboxPolicy::DangerFullAccess {} => true,
        SandboxPolicy::ReadOnly { network_access }
        | SandboxPolicy::WorkspaceWrite { network_access, .. } => *network_access == Some(true),
        SandboxPolicy::ExternalSandbox { network_access } => {
            *network_access == Some(NetworkAccess::Enabled)
        }
    }
}

fn filesystem_section(sandbox: &SandboxPolicy) -> String {
    match sandbox {
        SandboxPolicy::DangerFullAccess {} => fragment(SANDBOX_DANGER_FULL_ACCESS).to_string(),
        SandboxPolicy::ReadOnly { .. } => fragment(SANDBOX_READ_ONLY).to_string(),
        SandboxPolicy::ExternalSandbox { .. } => fragment(SANDBOX_EXTERNAL).to_string(),
        SandboxPolicy::WorkspaceWrite {
            writable_roots,
            exclude_slash_tmp,
            exclude_tmpdir_env_var,
            ..
        } => {
            let roots = writable_root_lines(
                writable_roots,
                *exclude_slash_tmp != Some(true),
                *exclude_tmpdir_env_var != Some(true),
            );
            format!("{}\nWritable roots:\n{roots}", fragment(SANDBOX_WORKSPACE_WRITE))
        }
    }
}

/// One `- …` line per writable root: cwd first, then configured roots, then temp dirs.
fn writable_root_lines(roots: &[AbsolutePath], slash_tmp: bool, tmpdir_env: bool) -> String {
    let mut lines = vec!["- the current working directory".to_string()];
    lines.extend(roots.iter().map(|root| format!("- `{}`", root.as_path().display())));
    if slash_tmp {
        lines.push("- `/tmp`".to_string());
    }
    if tmpdir_env {
        lines.push("- the directory named by `$TMPDIR`".to_string());
    }
    lines.join("\n")
}

fn network_section(sandbox: &SandboxPolicy) -> &'static str {
    if network_enabled(sandbox) {
        NETWORK_ENABLED
    } else {
        NETWORK_RESTRICTED
    }
}

fn approval_section(approval: &AskForApproval) -> String {
    match approval {
        AskForApproval::Untrusted => fragment(APPROVAL_UNTRUSTED).to_string(),
        AskForApproval::OnRequest => fragment(APPROVAL_ON_REQUEST).to_string(),
        AskForApproval::Never => fragment(APPROVAL_NEVER).to_string(),
        AskForApproval::Granular {
            mcp_elicitations,
            request_permissions,
            rules,
            sandbox_approval,
            skill_approval,
        } => {
            // Optional flags default to refused, matching the reference's `false` defaults.
            let kinds = [
                ("Running a command outside the sandbox (`require_escalated`)", *sandbox_approval),
                ("Commands that a command rule marks for review", *rules),
                ("Questions from MCP servers (elicitations)", *mcp_elicitations),
                ("Requests for additional permissions", request_permissions.unwrap_or(false)),
                ("Running skill scripts that need approval", skill_approval.unwrap_or(false)),
            ];
            let lines: Vec<String> = kinds
                .iter()
                .map(|(kind, allowed)| format!("- {kind}: {}", allowed_word(*allowed)))
                .collect();
            format!("{}\n{}", fragment(APPROVAL_GRANULAR), lines.join("\n"))
        }
    }
}

fn allowed_word(allowed: bool) -> &'static str {
    if allowed {
        "allowed"
    } else {
        "refused"
    }
}

/// A prompt fragment without the trailing newline its file ends with.
fn fragment(text: &'static str) -> &'static str {
    text.trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_write(roots: &[&str], network: Option<bool>) -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            exclude_slash_tmp: None,
            exclude_tmpdir_env_var: None,
            network_access: network,
            writable_roots: roots.iter().map(|root| AbsolutePath::new(*root).unwrap()).collect(),
        }
    }

    fn read_only() -> SandboxPolicy {
        SandboxPolicy::ReadOnly { network_access: None }
    }

    #[test]
    fn block_is_wrapped_in_tags() {
        let text = permissions_instructions(&read_only(), &AskForApproval::OnRequest);
        assert!(text.starts_with("<permissions instructions>\nFilesystem sandbox: `read-only`."));
        assert!(text.ends_with("\n</permissions instructions>"));
    }

    #[test]
    fn sections_appear_in_order_separated_by_blank_lines() {
        let text = permissions_instructions(&read_only(), &AskForApproval::Never);
        let expected = format!(
            "<permissions instructions>\n{}\n\n{}\n\n{}\n</permissions instructions>",
            SANDBOX_READ_ONLY.trim_end(),
            NETWORK_RESTRICTED,
            APPROVAL_NEVER.trim_end()
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn sandbox_mode_changes_the_text() {
        let approval = AskForApproval::OnRequest;
        let modes = [
            (read_only(), "`read-only`"),
            (workspace_write(&[], None), "`workspace-write`"),
            (SandboxPolicy::DangerFullAccess {}, "`danger-full-access`"),
            (SandboxPolicy::ExternalSandbox { network_access: None }, "`external`"),
        ];
        for (sandbox, name) in modes {
            let text = permissions_instructions(&sandbox, &approval);
            assert!(text.contains(&format!("Filesystem sandbox: {name}.")), "{text}");
        }
    }

    #[test]
    fn workspace_write_lists_writable_roots() {
        let sandbox = workspace_write(&["/srv/cache", "/home/me/other"], None);
        let text = permissions_instructions(&sandbox, &AskForApproval::OnRequest);
        assert!(text.contains(
            "Writable roots:\n- the current working directory\n- `/srv/cache`\n- `/home/me/other`\n- `/tmp`\n- the directory named by `$TMPDIR`\n\nNetwork access:"
        ), "{text}");
    }

    #[test]
    fn excluded_temp_dirs_are_not_listed() {
        let sandbox = SandboxPolicy::WorkspaceWrite {
            exclude_slash_tmp: Some(true),
            exclude_tmpdir_env_var: Some(true),
            network_access: None,
            writable_roots: vec![],
        };
        let text = permissions_instructions(&sandbox, &AskForApproval::OnRequest);
        assert!(text.contains("Writable roots:\n- the current working directory\n\nNetwork"));
    }

    #[test]
    fn network_follows_the_policy() {
        assert!(network_enabled(&SandboxPolicy::DangerFullAccess {}));
        assert!(!network_enabled(&read_only()));
        assert!(network_enabled(&workspace_write(&[], Some(true))));
        assert!(!network_enabled(&workspace_write(&[], Some(false))));
        assert!(network_enabled(&SandboxPolicy::ExternalSandbox {
            network_access: Some(NetworkAccess::Enabled)
        }));
        assert!(!network_enabled(&SandboxPolicy::ExternalSandbox {
            network_access: Some(NetworkAccess::Restricted)
        }));
        let on =
            permissions_instructions(&workspace_write(&[], Some(true)), &AskForApproval::Never);
        assert!(on.contains("Network access: `enabled`."));
        let off = permissions_instructions(&workspace_write(&[], None), &AskForApproval::Never);
        assert!(off.contains("Network access: `restricted`."));
    }

    #[test]
    fn approval_policy_changes_the_text() {
        let sandbox = read_only();
        let untrusted = permissions_instructions(&sandbox, &AskForApproval::Untrusted);
        let on_request = permissions_instructions(&sandbox, &AskForApproval::OnRequest);
        let never = permissions_instructions(&sandbox, &AskForApproval::Never);
        assert!(untrusted.contains("Approval policy: `untrusted`."));
        assert!(on_request.contains("Approval policy: `on-request`."));
        assert!(on_request.contains("`sandbox_permissions: \"require_escalated\"`"));
        assert!(never.contains("Approval policy: `never`."));
        assert_ne!(untrusted, on_request);
        assert_ne!(on_request, never);
    }

    #[test]
    fn granular_lists_each_kind() {
        let approval = AskForApproval::Granular {
            mcp_elicitations: true,
            request_permissions: None,
            rules: false,
            sandbox_approval: true,
            skill_approval: Some(true),
        };
        let text = permissions_instructions(&read_only(), &approval);
        assert!(text.contains("Approval policy: `granular`."));
        assert!(
            text.ends_with(
                "- Running a command outside the sandbox (`require_escalated`): allowed\n\
             - Commands that a command rule marks for review: refused\n\
             - Questions from MCP servers (elicitations): allowed\n\
             - Requests for additional permissions: refused\n\
             - Running skill scripts that need approval: allowed\n\
             </permissions instructions>"
            ),
            "{text}"
        );
    }

    #[test]
    fn output_is_deterministic() {
        let sandbox = workspace_write(&["/a", "/b"], Some(true));
        let first = permissions_instructions(&sandbox, &AskForApproval::OnRequest);
        let second = permissions_instructions(&sandbox, &AskForApproval::OnRequest);
        assert_eq!(first, second);
    }
}
