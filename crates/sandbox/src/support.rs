//! One-time probe of what the running kernel can enforce (Landlock ABI, seccomp filters, private
//! mount namespaces).

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
    /// Whether child processes can get a private mount namespace with read-only bind mounts
    /// (needs `CAP_SYS_ADMIN`, i.e. a server running as root); used to keep `.git` read-only.
    pub read_only_bind_mounts: bool,
    /// A human-readable summary of the above.
    pub message: String,
}

/// Set (non-empty) to make the probe report no Landlock and no seccomp, as on an old kernel.
///
/// It can only take protection away from the *probe*, never from a command: with it set, every
/// command that needs the sandbox is refused. CI runs the test suite a second time with it to
/// check that sandbox-dependent tests skip by name instead of failing.
pub const SIMULATE_UNSUPPORTED_ENV: &str = "CODEX_SANDBOX_SIMULATE_UNSUPPORTED";

impl SandboxSupport {
    /// The probed support of the running kernel (probed on first call, cached afterwards).
    pub fn get() -> &'static SandboxSupport {
        static SUPPORT: OnceLock<SandboxSupport> = OnceLock::new();
        SUPPORT.get_or_init(probe)
    }

    /// Builds a support description from raw facts (used by the probe and by tests).
    pub fn from_parts(
        landlock_abi: Option<i32>,
        seccomp_filter: bool,
        read_only_bind_mounts: bool,
    ) -> Self {
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
        let mounts = if read_only_bind_mounts {
            "protected directories (.git, .codex) kept read-only with bind mounts"
        } else {
            "no private mount namespaces (needs CAP_SYS_ADMIN): protected directories (.git, \
             .codex) kept read-only by per-entry Landlock grants"
        };
        Self {
            landlock_abi,
            seccomp_filter,
            read_only_bind_mounts,
            message: format!("{landlock}; {seccomp}; {mounts}"),
        }
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
    if std::env::var_os(SIMULATE_UNSUPPORTED_ENV).is_some_and(|value| !value.is_empty()) {
        let mut support = SandboxSupport::from_parts(None, false, false);
        support.message = format!(
            "kernel sandboxing treated as unavailable because {SIMULATE_UNSUPPORTED_ENV} is set"
        );
        return support;
    }
    SandboxSupport::from_parts(
        probe_landlock_abi(),
        probe_seccomp_filter(),
        probe_read_only_bind_mounts(),
    )
}

#[cfg(not(target_os = "linux"))]
fn probe() -> SandboxSupport {
    let mut support = SandboxSupport::from_parts(None, false, false);
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

/// Forks a child that tries to enter a private mount namespace; reports whether it succeeded.
#[cfg(target_os = "linux")]
fn probe_read_only_bind_mounts() -> bool {
    // SAFETY: the child only issues raw syscalls and leaves with `_exit`, which is
    // async-signal-safe even when the parent is multi-threaded.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return false;
    }
    if pid == 0 {
        let entered = crate::mounts::enter_private_mount_namespace().is_ok();
        // SAFETY: terminates the forked child without running any parent-owned destructors.
        unsafe { libc::_exit(if entered { 0 } else { 1 }) };
    }
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: waits for the child forked above; `status` is a valid out-pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_landlock_refuses_restricted_policies_and_names_the_escape_hatch() {
        let support = SandboxSupport::from_parts(None, true, true);
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
        let support = SandboxSupport::from_parts(Some(7), false, true);
        assert!(support.check(&SandboxPolicy::ReadOnly { network_access: true }).is_ok());
        let text = support.check(&SandboxPolicy::workspace_write()).unwrap_err().to_string();
        assert!(text.contains("seccomp"), "{text}");
    }
}
