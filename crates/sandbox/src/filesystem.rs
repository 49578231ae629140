//! Landlock ruleset construction, built in the parent before `fork`: which paths may be written,
//! plus the signal and abstract-socket scopes.
//!
//! Only write-type access rights are *handled*, so reading and executing stay allowed
//! everywhere. Writable roots get every write right except creating device nodes.
//!
//! Directories named in [`PROTECTED_DIRECTORY_NAMES`] at the top level of a root stay read-only
//! in one of two ways ([`ProtectionMethod`]): with read-only bind mounts (see `mounts.rs`), the
//! whole root is granted; otherwise such a root is granted entry by entry, skipping the protected
//! ones (Landlock cannot subtract a subtree from a granted tree). Limits of the per-entry method:
//! no new entry can be created directly at the top level of such a root, and a protected
//! directory is still writable when another, enclosing writable root grants its whole tree.
//!
//! Limits of Landlock itself (ABI up to v7): metadata changes (`chmod`, `chown`, `utimes`,
//! extended attributes) are not controlled, so a command can change the mode or times of files it
//! owns outside the writable roots (but not their contents). On ABI v1 kernels, renames and links
//! across directories are always refused, even inside writable roots.

use std::fs::File;
use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::path::PathBuf;

use landlock::make_bitflags;
use landlock::Access;
use landlock::AccessFs;
use landlock::AccessNet;
use landlock::BitFlags;
use landlock::CompatLevel;
use landlock::Compatible;
use landlock::PathBeneath;
use landlock::Ruleset;
use landlock::RulesetAttr;
use landlock::RulesetCreatedAttr;
use landlock::Scope;
use landlock::ABI;

use crate::error::SandboxError;
use crate::policy::PROTECTED_DIRECTORY_NAMES;
use crate::restrictions::ProtectionMethod;

/// Devices every sandboxed command may write to (file rights only).
const WRITABLE_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

/// The write rights this sandbox handles: every filesystem write right up to ABI v3
/// (`IoctlDev`, ABI v5, is left unhandled so terminals keep working).
fn handled_write_access() -> BitFlags<AccessFs> {
    AccessFs::from_write(ABI::V3)
}

/// Rights granted beneath a writable directory: everything handled except making device nodes.
fn directory_grant() -> BitFlags<AccessFs> {
    handled_write_access() & !make_bitflags!(AccessFs::{MakeChar | MakeBlock})
}

/// Rights granted on a writable non-directory (a file or a device).
fn file_grant() -> BitFlags<AccessFs> {
    handled_write_access() & AccessFs::from_file(ABI::V3)
}

/// Builds a Landlock ruleset allowing writes only beneath `writable_roots` (plus a few devices)
/// and no signals to processes outside the sandbox (ABI v6+). When `block_network` is set it
/// also forbids TCP bind/connect (ABI v4+) and connecting to abstract UNIX sockets created
/// outside the sandbox (ABI v6+). Rights the kernel lacks are dropped (best effort; the seccomp
/// filter is the primary network barrier). Returns the ruleset file descriptor, ready for
/// `landlock_restrict_self` in the child.
pub(crate) fn build_ruleset(
    writable_roots: &[PathBuf],
    block_network: bool,
    protection: ProtectionMethod,
) -> Result<OwnedFd, SandboxError> {
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(handled_write_access())?
        .scope(Scope::Signal)?;
    if block_network {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(ABI::V4))?
            .scope(Scope::AbstractUnixSocket)?;
    }
    let mut created = ruleset.create()?;
    for device in WRITABLE_DEVICES {
        let path = Path::new(device);
        if let Some(fd) = open_path(path)? {
            created = created.add_rule(PathBeneath::new(fd, file_grant()))?;
        }
    }
    for root in writable_roots {
        for (path, is_dir) in grants_for_root(root, protection)? {
            let Some(fd) = open_path(&path)? else {
                continue;
            };
            let access = if is_dir { directory_grant() } else { file_grant() };
            created = created.add_rule(PathBeneath::new(fd, access))?;
        }
    }
    let fd: Option<OwnedFd> = created.into();
    fd.ok_or_else(|| SandboxError::Unsupported {
        reason: "the kernel refused to create a Landlock ruleset".to_string(),
    })
}

/// The protected entries (not symlinks) present at the top level of `root`.
pub(crate) fn protected_entries(root: &Path) -> Vec<PathBuf> {
    PROTECTED_DIRECTORY_NAMES
        .iter()
        .map(|name| root.join(name))
        .filter(|path| {
            path.symlink_metadata().is_ok_and(|metadata| !metadata.file_type().is_symlink())
        })
        .collect()
}

/// The paths to grant for one writable root: the root itself, or, with per-entry protection of a
/// root holding a protected directory, each top-level entry except the protected ones and symlinks.
fn grants_for_root(
    root: &Path,
    protection: ProtectionMethod,
) -> Result<Vec<(PathBuf, bool)>, SandboxError> {
    let has_protected =
        PROTECTED_DIRECTORY_NAMES.iter().any(|name| root.join(name).symlink_metadata().is_ok());
    if !has_protected || protection == ProtectionMethod::ReadOnlyBindMounts {
        return Ok(vec![(root.to_path_buf(), true)]);
    }
    let path_error = |source| SandboxError::Path { path: root.to_path_buf(), source };
    let mut grants = Vec::new();
    for entry in std::fs::read_dir(root).map_err(path_error)? {
        let entry = entry.map_err(path_error)?;
        if PROTECTED_DIRECTORY_NAMES.iter().any(|name| entry.file_name() == *name) {
            continue;
        }
        let file_type = entry.file_type().map_err(path_error)?;
        // A symlink would grant its target; writes through it follow the target's own rules.
        if file_type.is_symlink() {
            continue;
        }
        grants.push((entry.path(), file_type.is_dir()));
    }
    Ok(grants)
}

/// Opens `path` with `O_PATH` (no read or write access is obtained); `None` if it does not exist.
fn open_path(path: &Path) -> Result<Option<File>, SandboxError> {
    match OpenOptions::new().read(true).custom_flags(libc::O_PATH | libc::O_CLOEXEC).open(path) {
        Ok(file) => Ok(Some(file)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SandboxError::Path { path: path.to_path_buf(), source }),
    }
}
