//! The process groups of commands still running in this process, so that a process about to
//! exit abruptly (a second Ctrl-C in `codex exec`) can take them down first: each command runs in
//! its own process group, which the terminal's SIGINT never reaches.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::PoisonError;

use codex_sandbox::signal_process_group;

/// Group ids (the leaders' pids) of commands spawned and not yet reaped.
static LIVE_GROUPS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Records the group of a command just spawned.
pub(crate) fn register(pid: u32) {
    LIVE_GROUPS.lock().unwrap_or_else(PoisonError::into_inner).insert(pid);
}

/// Forgets the group of a command that was reaped (its group was killed then).
pub(crate) fn unregister(pid: u32) {
    LIVE_GROUPS.lock().unwrap_or_else(PoisonError::into_inner).remove(&pid);
}

/// SIGKILLs the process group of every command still running; returns how many were signalled.
/// Meant for a process about to exit without waiting for its commands.
pub fn kill_all_running_commands() -> usize {
    let groups: Vec<u32> =
        LIVE_GROUPS.lock().unwrap_or_else(PoisonError::into_inner).iter().copied().collect();
    groups
        .into_iter()
        .filter(|pid| match signal_process_group(*pid, libc::SIGKILL) {
            Ok(()) => true,
            Err(error) => {
                if error.raw_os_error() != Some(libc::ESRCH) {
                    tracing::warn!(pid, %error, "killing a command's process group failed");
                }
                false
            }
        })
        .count()
}
