//! The sandbox policy type, mirroring the protocol's `SandboxPolicy` wire shape.

use std::path::PathBuf;

use serde::Deserialize;
use serde::Serialize;

/// Names of directories that stay read-only at the top level of every writable root.
pub const PROTECTED_DIRECTORY_NAMES: &[&str] = &[".git", ".codex"];

/// How much a spawned command may do; serialized exactly like the protocol's `SandboxPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum SandboxPolicy {
    /// No restrictions at all.
    DangerFullAccess,
    /// Read everything, write nothing (except a few devices such as `/dev/null`).
    #[serde(rename_all = "camelCase")]
    ReadOnly {
        /// Whether the command may open network sockets.
        #[serde(default)]
        network_access: bool,
    },
    /// Read everything, write only inside the working directory and the writable roots.
    #[serde(rename_all = "camelCase")]
    WorkspaceWrite {
        /// Extra directories (absolute paths) the command may write to.
        #[serde(default)]
        writable_roots: Vec<PathBuf>,
        /// Whether the command may open network sockets.
        #[serde(default)]
        network_access: bool,
        /// Do not make `$TMPDIR` writable.
        #[serde(default)]
        exclude_tmpdir_env_var: bool,
        /// Do not make `/tmp` writable.
        #[serde(default)]
        exclude_slash_tmp: bool,
    },
    /// Some outer sandbox already confines the process; spawn without restrictions.
    #[serde(rename_all = "camelCase")]
    ExternalSandbox {
        /// Network access declared for the outer sandbox (informational here).
        #[serde(default)]
        network_access: NetworkAccess,
    },
}

/// Network access declared for an external sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NetworkAccess {
    /// Network access is restricted.
    #[default]
    Restricted,
    /// Network access is enabled.
    Enabled,
}

impl SandboxPolicy {
    /// The default policy for workspace writing: cwd, `/tmp` and `$TMPDIR` writable, no network.
    pub fn workspace_write() -> Self {
        Self::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
        }
    }

    /// Whether this crate must confine filesystem writes for this policy.
    pub fn restricts_filesystem(&self) -> bool {
        matches!(self, Self::ReadOnly { .. } | Self::WorkspaceWrite { .. })
    }

    /// Whether this crate must block network sockets for this policy.
    pub fn restricts_network(&self) -> bool {
        match self {
            Self::ReadOnly { network_access } | Self::WorkspaceWrite { network_access, .. } => {
                !network_access
            }
            Self::DangerFullAccess | Self::ExternalSandbox { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn policies_use_the_protocol_wire_shape() {
        let cases = [
            (SandboxPolicy::DangerFullAccess, json!({"type": "dangerFullAccess"})),
            (
                SandboxPolicy::ReadOnly { network_access: true },
                json!({"type": "readOnly", "networkAccess": true}),
            ),
            (
                SandboxPolicy::WorkspaceWrite {
                    writable_roots: vec![PathBuf::from("/srv/a")],
                    network_access: false,
                    exclude_tmpdir_env_var: true,
                    exclude_slash_tmp: false,
                },
                json!({"type": "workspaceWrite", "writableRoots": ["/srv/a"],
                       "networkAccess": false, "excludeTmpdirEnvVar": true,
                       "excludeSlashTmp": false}),
            ),
            (
                SandboxPolicy::ExternalSandbox { network_access: NetworkAccess::Enabled },
                json!({"type": "externalSandbox", "networkAccess": "enabled"}),
            ),
        ];
        for (policy, wire) in cases {
            assert_eq!(serde_json::to_value(&policy).unwrap(), wire);
            assert_eq!(serde_json::from_value::<SandboxPolicy>(wire).unwrap(), policy);
        }
    }

    #[test]
    fn omitted_fields_take_the_schema_defaults() {
        let policy: SandboxPolicy =
            serde_json::from_value(json!({"type": "workspaceWrite"})).unwrap();
        assert_eq!(policy, SandboxPolicy::workspace_write());
        let policy: SandboxPolicy = serde_json::from_value(json!({"type": "readOnly"})).unwrap();
        assert!(policy.restricts_network());
        let policy: SandboxPolicy =
            serde_json::from_value(json!({"type": "externalSandbox"})).unwrap();
        assert_eq!(
            policy,
            SandboxPolicy::ExternalSandbox { network_access: NetworkAccess::Restricted }
        );
        assert!(serde_json::from_value::<SandboxPolicy>(json!({"type": "bogus"})).is_err());
    }
}
