//! Dropping dangerous Linux capabilities in the child, so a server running as root does not hand
//! `CAP_SYS_ADMIN`, `CAP_SYS_MODULE`, `CAP_BPF` and friends to sandboxed commands.
//!
//! Landlock confines root as well, but capabilities reach past the filesystem (loading kernel
//! modules, raw I/O, rebooting, BPF). Capabilities needed to work on files the command is allowed to
//! write (ownership, DAC override, setuid/setgid) and to bind low ports are kept. The bounding set
//! is lowered, so root's `execve` cannot regain the dropped ones.

/// Capabilities kept: CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, KILL (still limited
/// by the Landlock signal scope), SETGID, SETUID, NET_BIND_SERVICE.
const KEPT_CAPABILITIES: u64 = (1 << 0)
    | (1 << 1)
    | (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 10);

/// The highest capability number tried (unknown numbers are skipped by the kernel with `EINVAL`).
const MAX_CAPABILITY: u32 = 63;

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapabilityHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapabilityData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Drops every capability outside [`KEPT_CAPABILITIES`] from the bounding, ambient, inheritable,
/// permitted and effective sets of the calling process. Only raw syscalls: async-signal-safe.
/// Lowering the bounding set needs `CAP_SETPCAP`; a process without it has nothing to lose there
/// (no-new-privs stops file capabilities), so `EPERM` is ignored.
pub(crate) fn drop_dangerous_capabilities() -> std::io::Result<()> {
    for capability in 0..=MAX_CAPABILITY {
        if KEPT_CAPABILITIES & (1 << capability) != 0 {
            continue;
        }
        // SAFETY: integer arguments only.
        let rc =
            unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability as libc::c_ulong, 0, 0, 0) };
        if rc != 0 {
            let error = std::io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EINVAL) | Some(libc::EPERM) => {}
                _ => return Err(error),
            }
        }
    }
    // SAFETY: integer arguments only. Fails with EINVAL on kernels without ambient capabilities,
    // which then have no ambient set to clear.
    unsafe {
        libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong, 0, 0, 0)
    };
    let mut header = CapabilityHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapabilityData { effective: 0, permitted: 0, inheritable: 0 }; 2];
    // SAFETY: header and a two-element data array as required by capability version 3.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let kept = [KEPT_CAPABILITIES as u32, (KEPT_CAPABILITIES >> 32) as u32];
    for (word, kept) in data.iter_mut().zip(kept) {
        word.effective &= kept;
        word.permitted &= kept;
        word.inheritable &= kept;
    }
    // SAFETY: as above; lowering capabilities is always permitted.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
