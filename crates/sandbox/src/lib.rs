//! Kernel-enforced sandboxing for the commands the app-server spawns.
//!
//! Every command spawn goes through [`SandboxedCommand`]; spawners built on
//! `std::process::Command` (PTYs) use [`SandboxedCommand::into_std_command_with`] or call
//! [`ChildRestrictions::apply_in_child`] from their own `pre_exec` hook. Restrictions are built in
//! the parent before `fork` and only *applied* in the child between `fork` and `exec`, so the
//! server process itself is never restricted.
//!
//! On Linux the filesystem is confined with Landlock (writes only inside the writable roots,
//! reads and execution everywhere; `.git` and `.codex` at the top of each root stay read-only) and
//! the network with a seccomp filter (no sockets except `AF_UNIX`, no `io_uring`). Signals to
//! processes outside the sandbox are refused and dangerous capabilities (e.g. `CAP_SYS_ADMIN`
//! when the server runs as root) are dropped. When the kernel cannot enforce a policy, spawning is
//! refused with [`SandboxError::Unsupported`]; a command is never silently run unsandboxed.

#[cfg(target_os = "linux")]
mod capabilities;
mod command;
mod error;
#[cfg(target_os = "linux")]
mod filesystem;
#[cfg(target_os = "linux")]
mod mounts;
#[cfg(target_os = "linux")]
mod network;
mod policy;
mod restrictions;
mod support;

pub use command::signal_process_group;
pub use command::SandboxedCommand;
pub use command::StdioMode;
pub use error::SandboxError;
pub use policy::NetworkAccess;
pub use policy::SandboxPolicy;
pub use policy::PROTECTED_DIRECTORY_NAMES;
pub use restrictions::ChildRestrictions;
pub use restrictions::ProtectionMethod;
pub use support::SandboxSupport;
pub use support::SIMULATE_UNSUPPORTED_ENV;
