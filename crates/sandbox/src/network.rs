//! The seccomp filter that takes network access away, compiled in the parent before `fork`.
//!
//! `socket` and `socketpair` fail with `EPERM` unless the family is `AF_UNIX`; the `io_uring`
//! syscalls fail with `EPERM` (io_uring can create and connect sockets without `socket(2)`).
//! Calls through a foreign syscall ABI (e.g. 32-bit `int 0x80`) kill the process, and on x86_64 the
//! x32 variants of the blocked calls are refused too.

use std::collections::BTreeMap;

use seccompiler::BpfProgram;
use seccompiler::SeccompAction;
use seccompiler::SeccompCmpArgLen;
use seccompiler::SeccompCmpOp;
use seccompiler::SeccompCondition;
use seccompiler::SeccompFilter;
use seccompiler::SeccompRule;
use seccompiler::TargetArch;

use crate::error::SandboxError;

/// Compiles the network-blocking filter for the architecture this binary was built for.
pub(crate) fn build_network_filter() -> Result<BpfProgram, SandboxError> {
    let not_unix = || -> Result<Vec<SeccompRule>, SandboxError> {
        Ok(vec![SeccompRule::new(vec![SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Ne,
            libc::AF_UNIX as u64,
        )?])?])
    };
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    rules.insert(libc::SYS_socket, not_unix()?);
    rules.insert(libc::SYS_socketpair, not_unix()?);
    for always in [libc::SYS_io_uring_setup, libc::SYS_io_uring_enter, libc::SYS_io_uring_register]
    {
        rules.insert(always, Vec::new());
    }
    #[cfg(target_arch = "x86_64")]
    {
        const X32_SYSCALL_BIT: i64 = 0x4000_0000;
        rules.insert(X32_SYSCALL_BIT | libc::SYS_socket, not_unix()?);
        rules.insert(X32_SYSCALL_BIT | libc::SYS_socketpair, not_unix()?);
        for always in
            [libc::SYS_io_uring_setup, libc::SYS_io_uring_enter, libc::SYS_io_uring_register]
        {
            rules.insert(X32_SYSCALL_BIT | always, Vec::new());
        }
    }
    let arch = TargetArch::try_from(std::env::consts::ARCH)?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )?;
    Ok(BpfProgram::try_from(filter)?)
}
