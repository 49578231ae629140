//! One-time probe of what the running kernel can enforce (Landlock ABI, seccomp filters).

use std::sync::OnceLock;

use crate::error::SandboxError;
use crate::policy::SandboxPolicy;

/// What the running kernel supports for sandboxing, probed once per process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSupport {
    /// The Landlock ABI version reported by the kernel, or `None` when Landlock is unavailable.
    pub landlock_abi: Option<i32>,
    /// Whether seccomp filters returning `errno` can be installed.
    pub seccomp_filter: bool,
    /// A human-readable summary of the above.
    pub message: String,
}

impl SandboxSupport {
    /// The probed support of the running kernel (probed on first call, cached afterwards).
    pub fn get() -> &'static SandboxSupport {
        static SUPPORT: OnceLock<SandboxSupport> = OnceLock::new();
        SUPPORT.get_or_init(probe)
    }

    /// Builds a support description from raw facts (used by the probe and by tests).
    pub fn from_parts(landlock_abi: Option<i32>, seccomp_filter: bool) -> Self {
        let landlock = match landlock_abi {
            Some(abi) => format!("Landlock ABI v{abi} available"),
            None => "Landlock unavailable (kernel without CONFIG_SECURITY_LANDLOCK, or \
                     `landlock` missing from the `lsm=` boot parameter)"
                .to_string(),
        };
        let seccomp = if seccomp_filter {
            "seccomp filters available"
        } else {
            "seccomp filters unavailable (kernel without CONFIG_SECCOMP_FILTER)"
        };
        Self { landlock_abi, seccomp_filter, message: format!("{landlock}; {seccomp}") }
    }

    /// Whether the filesystem part of sandbox policies can be enforced.
    pub fn landlock_available(&self) -> bool {
        self.landlock_abi.is_some()
    }

    /// Checks that `policy` can be enforced, with an explanation when it cannot.
    pub fn check(&self, policy: &SandboxPolicy) -> Result<(), SandboxError> {
        if policy.restricts_filesystem() && !self.landlock_available() {
            return Err(SandboxError::Unsupported {
                reason: format!(
                    "the sandbox policy needs Landlock to confine filesystem writes, but {}",
                    self.message
                ),
            });
        }
        if policy.restricts_network() && !self.seccomp_filter {
            return Err(SandboxError::Unsupported {
                reason: format!(
                    "the sandbox policy needs seccomp to block network access, but {}",
                    self.message
                ),
            });
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn probe() -> SandboxSupport {
    SandboxSupport::from_parts(probe_landlock_abi(), probe_seccomp_filter())
}

#[cfg(not(target_os = "linux"))]
fn probe() -> SandboxSupport {
    let mut support = SandboxSupport::from_parts(None, false);
    support.message = "kernel sandboxing is only implemented on Linux".to_string();
    support
}

/// Asks the kernel for its Landlock ABI version (`landlock_create_ruleset` with the VERSION flag).
#[cfg(target_os = "linux")]
fn probe_landlock_abi() -> Option<i32> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag the syscall only returns
    // the ABI version (or an error); it reads and writes no memory.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if version > 0 {
        i32::try_from(version).ok()
    } else {
        None
    }
}

/// Checks that seccomp is compiled in and that filters may return an errno.
#[cfg(target_os = "linux")]
fn probe_seccomp_filter() -> bool {
    // SAFETY: PR_GET_SECCOMP takes no pointer arguments.
    let mode = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) };
    if mode < 0 {
        return false;
    }
    match std::fs::read_to_string("/proc/sys/kernel/seccomp/actions_avail") {
        Ok(actions) => actions.split_whitespace().any(|action| action == "errno"),
        // Kernels before 4.14 lack this file but support SECCOMP_RET_ERRNO; check the mode file.
        Err(_) => std::path::Path::new("/proc/sys/kernel/seccomp").exists(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_landlock_refuses_restricted_policies_and_names_the_escape_hatch() {
        let support = SandboxSupport::from_parts(None, true);
        let error = support.check(&SandboxPolicy::ReadOnly { network_access: true }).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("Landlock"), "{text}");
        assert!(text.contains("danger-full-access"), "{text}");
        assert!(support.check(&SandboxPolicy::DangerFullAccess).is_ok());
        assert!(support
            .check(&SandboxPolicy::ExternalSandbox {
                network_access: crate::NetworkAccess::Restricted
            })
            .is_ok());
    }

    #[test]
    fn missing_seccomp_refuses_only_network_restricted_policies() {
        let support = SandboxSupport::from_parts(Some(7), false);
        assert!(support.check(&SandboxPolicy::ReadOnly { network_access: true }).is_ok());
        let text = support.check(&SandboxPolicy::workspace_write()).unwrap_err().to_string();
        assert!(text.contains("seccomp"), "{text}");
    }
}
