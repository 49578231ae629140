//! Read-only bind mounts over protected directories, made in a private mount namespace of the
//! child (only when the server may create one, i.e. has `CAP_SYS_ADMIN`).
//!
//! This keeps `.git` and `.codex` read-only while the rest of the writable root, including its top
//! level, stays writable: Landlock grants the whole root and the kernel refuses writes beneath the
//! read-only mount with `EROFS`. The mounts exist only in the child's namespace; Landlock then
//! forbids the sandboxed command from unmounting them.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::SandboxError;

/// A directory to cover with a read-only bind mount, prepared before `fork`.
#[derive(Debug)]
pub(crate) struct ReadOnlyMount {
    path: CString,
    /// Flags of the existing mount to keep (nosuid, nodev, noexec, atime) when remounting.
    kept_flags: libc::c_ulong,
}

impl ReadOnlyMount {
    /// Prepares a read-only bind mount over `path`.
    pub(crate) fn prepare(path: &Path) -> Result<Self, SandboxError> {
        let invalid = |source| SandboxError::Path { path: path.to_path_buf(), source };
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            invalid(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "path contains a NUL byte",
            ))
        })?;
        let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
        // SAFETY: `c_path` is NUL-terminated and `stat` is a valid out-pointer.
        if unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) } != 0 {
            return Err(invalid(std::io::Error::last_os_error()));
        }
        // SAFETY: statvfs succeeded and initialised the structure.
        let stat = unsafe { stat.assume_init() };
        let mut kept_flags = 0;
        for (statvfs_flag, mount_flag) in [
            (libc::ST_NOSUID, libc::MS_NOSUID),
            (libc::ST_NODEV, libc::MS_NODEV),
            (libc::ST_NOEXEC, libc::MS_NOEXEC),
            (libc::ST_NOATIME, libc::MS_NOATIME),
            (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
            (libc::ST_RELATIME, libc::MS_RELATIME),
        ] {
            if stat.f_flag & statvfs_flag != 0 {
                kept_flags |= mount_flag;
            }
        }
        Ok(Self { path: c_path, kept_flags })
    }

    /// Bind-mounts the directory onto itself and makes the bind read-only. Raw syscalls only.
    pub(crate) fn apply(&self) -> std::io::Result<()> {
        let path = self.path.as_ptr();
        // SAFETY: `path` is a valid NUL-terminated string owned by `self`; null pointers are
        // allowed for the unused arguments.
        let rc = unsafe {
            libc::mount(
                path,
                path,
                std::ptr::null(),
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: as above.
        let rc = unsafe {
            libc::mount(
                std::ptr::null(),
                path,
                std::ptr::null(),
                libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | self.kept_flags,
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Moves the calling process into a new mount namespace whose mounts do not propagate back to the
/// parent's namespace. Raw syscalls only.
pub(crate) fn enter_private_mount_namespace() -> std::io::Result<()> {
    // SAFETY: integer argument only.
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: "/" is a valid NUL-terminated string; null pointers are allowed for the others.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
