//! Restrictions prepared in the parent and applied in the child between `fork` and `exec`.

use std::ffi::OsStr;
use std::ffi::OsString;
#[cfg(target_os = "linux")]
use std::os::fd::AsRawFd;
#[cfg(target_os = "linux")]
use std::os::fd::OwnedFd;
use std::path::Path;
use std::path::PathBuf;

use crate::error::SandboxError;
use crate::policy::SandboxPolicy;
use crate::support::SandboxSupport;

/// Kernel restrictions for one child process, built before `fork`.
///
/// Preparing allocates, opens files and compiles BPF; [`ChildRestrictions::apply_in_child`] only
/// issues raw syscalls (`unshare`, `mount`, `prctl`, `capset`, `landlock_restrict_self`,
/// `seccomp`), so it is safe to call from
/// a `pre_exec` hook, including one installed by a PTY spawner.
#[derive(Debug)]
pub struct ChildRestrictions {
    #[cfg(target_os = "linux")]
    read_only_mounts: Vec<crate::mounts::ReadOnlyMount>,
    #[cfg(target_os = "linux")]
    landlock_ruleset: Option<OwnedFd>,
    #[cfg(target_os = "linux")]
    seccomp_program: Option<seccompiler::BpfProgram>,
    writable_roots: Vec<PathBuf>,
    protection: ProtectionMethod,
}

/// How protected directories (`.git`, `.codex`) inside writable roots are kept read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectionMethod {
    /// Read-only bind mounts in a private mount namespace of the child; the rest of the root,
    /// top level included, stays writable. Writes beneath a protected directory fail with `EROFS`.
    ReadOnlyBindMounts,
    /// Landlock grants per top-level entry of the root, skipping protected ones. Writes beneath a
    /// protected directory fail with `EACCES`, and so does creating a new top-level entry.
    PerEntryGrants,
}

impl ChildRestrictions {
    /// Prepares the restrictions `policy` needs, with `cwd` as the policy's workspace root (a
    /// writable root under `workspaceWrite`: pass the policy's directory, not a less trusted
    /// working directory), and environment `env` (consulted for `TMPDIR`). Fails with [`SandboxError::Unsupported`] when the kernel
    /// cannot enforce the policy.
    pub fn prepare<K, V>(
        policy: &SandboxPolicy,
        cwd: &Path,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, SandboxError>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        Self::prepare_with_support(policy, cwd, env, SandboxSupport::get())
    }

    /// Like [`ChildRestrictions::prepare`] but against an explicit kernel support description.
    pub fn prepare_with_support<K, V>(
        policy: &SandboxPolicy,
        cwd: &Path,
        env: impl IntoIterator<Item = (K, V)>,
        support: &SandboxSupport,
    ) -> Result<Self, SandboxError>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        support.check(policy)?;
        let tmpdir = env
            .into_iter()
            .find(|(key, _)| key.as_ref() == "TMPDIR")
            .map(|(_, value)| value.as_ref().to_os_string())
            .or_else(|| std::env::var_os("TMPDIR"));
        let writable_roots = writable_roots(policy, cwd, tmpdir)?;
        let protection = if support.read_only_bind_mounts {
            ProtectionMethod::ReadOnlyBindMounts
        } else {
            ProtectionMethod::PerEntryGrants
        };
        Self::build(policy, writable_roots, protection)
    }

    #[cfg(target_os = "linux")]
    fn build(
        policy: &SandboxPolicy,
        writable_roots: Vec<PathBuf>,
        protection: ProtectionMethod,
    ) -> Result<Self, SandboxError> {
        let landlock_ruleset = if policy.restricts_filesystem() {
            Some(crate::filesystem::build_ruleset(
                &writable_roots,
                policy.restricts_network(),
                protection,
            )?)
        } else {
            None
        };
        let mut read_only_mounts = Vec::new();
        if protection == ProtectionMethod::ReadOnlyBindMounts {
            for root in &writable_roots {
                for entry in crate::filesystem::protected_entries(root) {
                    read_only_mounts.push(crate::mounts::ReadOnlyMount::prepare(&entry)?);
                }
            }
        }
        let seccomp_program = if policy.restricts_network() {
            Some(crate::network::build_network_filter()?)
        } else {
            None
        };
        Ok(Self { read_only_mounts, landlock_ruleset, seccomp_program, writable_roots, protection })
    }

    #[cfg(not(target_os = "linux"))]
    fn build(
        _policy: &SandboxPolicy,
        writable_roots: Vec<PathBuf>,
        protection: ProtectionMethod,
    ) -> Result<Self, SandboxError> {
        Ok(Self { writable_roots, protection })
    }

    /// Whether applying these restrictions is a no-op (danger-full-access, external sandbox).
    pub fn is_unrestricted(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.landlock_ruleset.is_none() && self.seccomp_program.is_none()
        }
        #[cfg(not(target_os = "linux"))]
        {
            true
        }
    }

    /// How protected directories inside the writable roots are kept read-only.
    pub fn protection_method(&self) -> ProtectionMethod {
        self.protection
    }

    /// The canonical writable roots (empty unless the policy is `workspaceWrite`).
    pub fn writable_roots(&self) -> &[PathBuf] {
        &self.writable_roots
    }

    /// Restricts the calling process. Meant for the child between `fork` and `exec` (a
    /// `pre_exec` hook): it only performs raw syscalls and never allocates. Calling it in any
    /// other process restricts that process irrevocably.
    pub fn apply_in_child(&self) -> std::io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            if self.is_unrestricted() {
                return Ok(());
            }
            if !self.read_only_mounts.is_empty() {
                crate::mounts::enter_private_mount_namespace()?;
                for mount in &self.read_only_mounts {
                    mount.apply()?;
                }
            }
            crate::capabilities::drop_dangerous_capabilities()?;
            // SAFETY: PR_SET_NO_NEW_PRIVS takes only integer arguments.
            if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(ruleset) = &self.landlock_ruleset {
                // SAFETY: the fd is a valid Landlock ruleset owned by `self`; flags are 0.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_landlock_restrict_self,
                        ruleset.as_raw_fd(),
                        0 as libc::c_uint,
                    )
                };
                if rc != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if let Some(program) = &self.seccomp_program {
                let len = u16::try_from(program.len())
                    .map_err(|_| std::io::Error::from_raw_os_error(libc::E2BIG))?;
                let fprog = libc::sock_fprog {
                    len,
                    filter: program.as_ptr().cast::<libc::sock_filter>().cast_mut(),
                };
                // SAFETY: `fprog` points at `program`, which outlives the call; the kernel copies it.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_seccomp,
                        libc::SECCOMP_SET_MODE_FILTER,
                        0 as libc::c_uint,
                        &fprog as *const libc::sock_fprog,
                    )
                };
                if rc != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            Ok(())
        }
    }
}

/// The canonical writable roots of `policy` for a command running in `cwd`.
fn writable_roots(
    policy: &SandboxPolicy,
    cwd: &Path,
    tmpdir: Option<OsString>,
) -> Result<Vec<PathBuf>, SandboxError> {
    let SandboxPolicy::WorkspaceWrite {
        writable_roots,
        exclude_tmpdir_env_var,
        exclude_slash_tmp,
        ..
    } = policy
    else {
        return Ok(Vec::new());
    };
    let mut candidates = vec![cwd.to_path_buf()];
    candidates.extend(writable_roots.iter().cloned());
    if !exclude_slash_tmp {
        candidates.push(PathBuf::from("/tmp"));
    }
    if !exclude_tmpdir_env_var {
        if let Some(tmpdir) = tmpdir.filter(|dir| !dir.is_empty()) {
            candidates.push(PathBuf::from(tmpdir));
        }
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    for candidate in candidates {
        if !candidate.is_absolute() {
            return Err(SandboxError::Path {
                path: candidate,
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "writable roots must be absolute paths",
                ),
            });
        }
        match candidate.canonicalize() {
            Ok(root) => {
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(root = %candidate.display(), "skipping missing writable root");
            }
            Err(source) => return Err(SandboxError::Path { path: candidate, source }),
        }
    }
    Ok(roots)
}
