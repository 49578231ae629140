#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Spawns real processes under each policy and checks the restrictions from inside the child.

use std::io::Write;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::path::PathBuf;

use codex_sandbox::ChildRestrictions;
use codex_sandbox::ProtectionMethod;
use codex_sandbox::SandboxPolicy;
use codex_sandbox::SandboxSupport;
use codex_sandbox::SandboxedCommand;

/// Python probe: performs one operation given on the command line and prints `ok` or the errno name.
const PROBE: &str = r#"
import errno, os, socket, sys
op, arg = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
try:
    if op == "write":
        with open(arg, "w") as f:
            f.write("x")
    elif op == "append":
        with open(arg, "a") as f:
            f.write("x")
    elif op == "read":
        open(arg, "rb").read(16)
    elif op == "mkdir":
        os.mkdir(arg)
    elif op == "rename":
        src, dst = arg.split(":")
        os.rename(src, dst)
    elif op == "tcp":
        socket.create_connection(("127.0.0.1", int(arg)), timeout=5).close()
    elif op == "udp":
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
    elif op == "inet6":
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    elif op == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(arg)
        s.close()
        a, b = socket.socketpair()
        a.sendall(b"hi")
        assert b.recv(2) == b"hi"
    elif op == "abstract":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0" + arg)
        s.close()
    elif op == "io_uring":
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        params = ctypes.create_string_buffer(120)
        if libc.syscall(425, 4, params) < 0:
            raise OSError(ctypes.get_errno(), "io_uring_setup")
    elif op == "umount":
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.umount2(arg.encode(), 2) != 0:
            raise OSError(ctypes.get_errno(), "umount2")
    elif op == "pgid":
        assert os.getpgid(0) == os.getpid(), "not a process group leader"
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
"#;

/// Whether the kernel can enforce `policy`; prints a SKIPPED line naming `test` when it cannot.
fn enforceable(test: &str, policy: &SandboxPolicy) -> bool {
    let support = SandboxSupport::get();
    match support.check(policy) {
        Ok(()) => true,
        Err(error) => {
            eprintln!("SKIPPED {test}: {error}");
            false
        }
    }
}

/// Runs the probe with `op arg` under `policy` in `cwd`, returning its single-line verdict.
async fn probe(policy: &SandboxPolicy, cwd: &Path, op: &str, arg: &str) -> String {
    let env =
        [("PATH", std::env::var("PATH").unwrap_or_default()), ("LANG", "C.UTF-8".to_string())];
    let argv = ["python3", "-c", PROBE, op, arg];
    let child = SandboxedCommand::new(argv, cwd, env, policy.clone()).spawn().expect("spawn");
    let output = child.wait_with_output().await.expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "probe {op} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// A scratch directory outside `/tmp` (so `/tmp` being writable does not cover it).
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn workspace_write(roots: Vec<PathBuf>, network_access: bool) -> SandboxPolicy {
    SandboxPolicy::WorkspaceWrite {
        writable_roots: roots,
        network_access,
        exclude_tmpdir_env_var: true,
        exclude_slash_tmp: false,
    }
}

#[tokio::test]
async fn read_only_cannot_create_files_in_cwd_but_reads_everywhere() {
    let policy = SandboxPolicy::ReadOnly { network_access: false };
    if !enforceable("read_only_cannot_create_files_in_cwd_but_reads_everywhere", &policy) {
        return;
    }
    let cwd = scratch();
    std::fs::write(cwd.path().join("existing"), "data").unwrap();
    assert_eq!(probe(&policy, cwd.path(), "write", "new-file").await, "EACCES");
    assert!(!cwd.path().join("new-file").exists());
    assert_eq!(probe(&policy, cwd.path(), "append", "existing").await, "EACCES");
    assert_eq!(std::fs::read_to_string(cwd.path().join("existing")).unwrap(), "data");
    assert_eq!(probe(&policy, cwd.path(), "write", "/tmp/codex-sandbox-ro").await, "EACCES");
    assert_eq!(probe(&policy, cwd.path(), "read", "existing").await, "ok");
    assert_eq!(probe(&policy, cwd.path(), "read", "/etc/passwd").await, "ok");
    assert_eq!(probe(&policy, cwd.path(), "write", "/dev/null").await, "ok");
}

#[tokio::test]
async fn workspace_write_allows_cwd_roots_and_tmp_but_nothing_else() {
    let policy_for = |extra: &Path| workspace_write(vec![extra.to_path_buf()], false);
    let cwd = scratch();
    let extra = scratch();
    let outside = scratch();
    let policy = policy_for(extra.path());
    if !enforceable("workspace_write_allows_cwd_roots_and_tmp_but_nothing_else", &policy) {
        return;
    }
    assert_eq!(probe(&policy, cwd.path(), "write", "created").await, "ok");
    assert_eq!(std::fs::read_to_string(cwd.path().join("created")).unwrap(), "x");
    assert_eq!(probe(&policy, cwd.path(), "mkdir", "sub").await, "ok");
    let in_extra = extra.path().join("file");
    assert_eq!(probe(&policy, cwd.path(), "write", path_str(&in_extra)).await, "ok");
    let tmp_file = tempfile::NamedTempFile::new_in("/tmp").unwrap();
    let tmp_path = path_str(tmp_file.path());
    assert_eq!(probe(&policy, cwd.path(), "append", tmp_path).await, "ok");

    let in_outside = outside.path().join("file");
    assert_eq!(probe(&policy, cwd.path(), "write", path_str(&in_outside)).await, "EACCES");
    assert!(!in_outside.exists());
    // Moving a file out of the workspace is a write outside it too.
    let escape = format!("{}:{}", cwd.path().join("created").display(), in_outside.display());
    assert_eq!(probe(&policy, cwd.path(), "rename", &escape).await, "EACCES");
    assert!(!in_outside.exists());

    // The server process itself stays unrestricted.
    std::fs::write(&in_outside, "parent").unwrap();

    let no_tmp = SandboxPolicy::WorkspaceWrite {
        writable_roots: vec![],
        network_access: false,
        exclude_tmpdir_env_var: true,
        exclude_slash_tmp: true,
    };
    assert_eq!(probe(&no_tmp, cwd.path(), "append", tmp_path).await, "EACCES");
}

/// Like [`probe`], with restrictions prepared against an explicit `support` description.
async fn probe_with_support(
    policy: &SandboxPolicy,
    support: &SandboxSupport,
    cwd: &Path,
    op: &str,
    arg: &str,
) -> String {
    let env = [("PATH", std::env::var("PATH").unwrap_or_default())];
    let restrictions = ChildRestrictions::prepare_with_support(policy, cwd, env.clone(), support)
        .expect("prepare");
    let argv = ["python3", "-c", PROBE, op, arg];
    let command = SandboxedCommand::new(argv, cwd, env, policy.clone())
        .into_command_with(restrictions)
        .expect("command");
    let mut command = command;
    let output = command.output().await.expect("spawn");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "probe {op} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn git_and_codex_directories_stay_read_only() {
    let test = "git_and_codex_directories_stay_read_only";
    let policy = workspace_write(vec![], false);
    if !enforceable(test, &policy) {
        return;
    }
    let probed = SandboxSupport::get();
    let mut methods = vec![(
        ProtectionMethod::PerEntryGrants,
        SandboxSupport { read_only_bind_mounts: false, ..probed.clone() },
    )];
    if probed.read_only_bind_mounts {
        methods.push((ProtectionMethod::ReadOnlyBindMounts, probed.clone()));
    } else {
        eprintln!("SKIPPED {test} (read-only bind mounts): {}", probed.message);
    }
    for (method, support) in methods {
        let cwd = scratch();
        let root = cwd.path();
        std::fs::create_dir_all(root.join(".git/refs")).unwrap();
        std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir(root.join(".codex")).unwrap();
        std::fs::create_dir(root.join("src")).unwrap();
        std::fs::write(root.join("README"), "readme").unwrap();
        let prepared = ChildRestrictions::prepare_with_support(
            &policy,
            root,
            std::iter::empty::<(&str, &str)>(),
            &support,
        )
        .unwrap();
        assert_eq!(prepared.protection_method(), method);
        let (denied, top_level) = match method {
            ProtectionMethod::ReadOnlyBindMounts => ("EROFS", "ok"),
            // Documented limit: a root holding `.git` is granted entry by entry, so no new entry
            // can be created at its top level.
            ProtectionMethod::PerEntryGrants => ("EACCES", "EACCES"),
        };
        let run = |op: &'static str, arg: &'static str| {
            let support = support.clone();
            let policy = policy.clone();
            let root = root.to_path_buf();
            async move { probe_with_support(&policy, &support, &root, op, arg).await }
        };
        assert_eq!(run("append", ".git/HEAD").await, denied, "{method:?}");
        assert_eq!(run("write", ".git/refs/evil").await, denied, "{method:?}");
        assert_eq!(run("mkdir", ".git/hooks").await, denied, "{method:?}");
        assert_eq!(run("write", ".codex/config.toml").await, denied, "{method:?}");
        assert_ne!(run("rename", ".git:moved-git").await, "ok", "{method:?}");
        assert_eq!(run("umount", ".git").await, "EPERM", "{method:?}");
        assert_eq!(
            std::fs::read_to_string(root.join(".git/HEAD")).unwrap(),
            "ref: refs/heads/main\n"
        );
        assert!(!root.join(".git/refs/evil").exists());
        assert!(!root.join(".git/hooks").exists());
        assert!(root.join(".git").is_dir());
        // Everything else in the root stays writable.
        assert_eq!(run("append", "README").await, "ok", "{method:?}");
        assert_eq!(run("write", "src/main.rs").await, "ok", "{method:?}");
        assert_eq!(run("mkdir", "src/nested").await, "ok", "{method:?}");
        assert_eq!(run("write", "new-top-level").await, top_level, "{method:?}");
        // The bind mounts lived in the child's own mount namespace only.
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(!mountinfo.contains(root.to_str().unwrap()), "{mountinfo}");
        // The server can still write there.
        std::fs::write(root.join(".git/refs/server"), "ok").unwrap();
    }
}

#[tokio::test]
async fn network_is_blocked_without_access_and_works_with_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let cwd = scratch();
    let unix_path = cwd.path().join("sock");
    let unix_listener = UnixListener::bind(&unix_path).unwrap();
    std::thread::spawn(move || {
        for stream in unix_listener.incoming() {
            drop(stream);
        }
    });
    let unix_arg = path_str(&unix_path).to_string();
    let abstract_name = format!("codex-sandbox-test-{}", std::process::id());
    let abstract_address =
        <std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(
            abstract_name.as_bytes(),
        )
        .unwrap();
    let abstract_listener = UnixListener::bind_addr(&abstract_address).unwrap();
    std::thread::spawn(move || {
        for stream in abstract_listener.incoming() {
            drop(stream);
        }
    });
    let scoped_abstract_sockets = SandboxSupport::get().landlock_abi >= Some(6);

    let blocked =
        [SandboxPolicy::ReadOnly { network_access: false }, workspace_write(vec![], false)];
    for policy in &blocked {
        if !enforceable("network_is_blocked_without_access_and_works_with_it", policy) {
            return;
        }
        assert_eq!(probe(policy, cwd.path(), "tcp", &port).await, "EPERM", "{policy:?}");
        assert_eq!(probe(policy, cwd.path(), "udp", "").await, "EPERM", "{policy:?}");
        assert_eq!(probe(policy, cwd.path(), "inet6", "").await, "EPERM", "{policy:?}");
        assert_eq!(probe(policy, cwd.path(), "io_uring", "").await, "EPERM", "{policy:?}");
        assert_eq!(probe(policy, cwd.path(), "unix", &unix_arg).await, "ok", "{policy:?}");
        if scoped_abstract_sockets {
            let verdict = probe(policy, cwd.path(), "abstract", &abstract_name).await;
            assert_eq!(verdict, "EPERM", "{policy:?}");
        } else {
            eprintln!("SKIPPED abstract socket check: Landlock ABI < 6");
        }
    }
    // The server process can still connect after spawning restricted children.
    std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();

    let allowed = [
        SandboxPolicy::ReadOnly { network_access: true },
        workspace_write(vec![], true),
        SandboxPolicy::DangerFullAccess,
    ];
    for policy in &allowed {
        assert_eq!(probe(policy, cwd.path(), "tcp", &port).await, "ok", "{policy:?}");
        assert_eq!(probe(policy, cwd.path(), "unix", &unix_arg).await, "ok", "{policy:?}");
        let verdict = probe(policy, cwd.path(), "abstract", &abstract_name).await;
        assert_eq!(verdict, "ok", "{policy:?}");
    }
}

#[tokio::test]
async fn danger_full_access_and_external_sandbox_are_unrestricted() {
    let cwd = scratch();
    let outside = scratch();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let policies = [
        SandboxPolicy::DangerFullAccess,
        SandboxPolicy::ExternalSandbox { network_access: codex_sandbox::NetworkAccess::Restricted },
    ];
    for policy in &policies {
        let target = outside.path().join(format!("{policy:?}").replace(' ', ""));
        assert_eq!(probe(policy, cwd.path(), "write", path_str(&target)).await, "ok");
        assert!(target.exists());
        assert_eq!(probe(policy, cwd.path(), "tcp", &port).await, "ok");
    }
}

#[tokio::test]
async fn children_lead_their_own_process_group() {
    let cwd = scratch();
    let policy = SandboxPolicy::DangerFullAccess;
    assert_eq!(probe(&policy, cwd.path(), "pgid", "").await, "ok");
    let policy = workspace_write(vec![], false);
    if enforceable("children_lead_their_own_process_group", &policy) {
        assert_eq!(probe(&policy, cwd.path(), "pgid", "").await, "ok");
    }
}

#[tokio::test]
async fn piped_stdin_reaches_a_sandboxed_child() {
    let policy = SandboxPolicy::ReadOnly { network_access: false };
    if !enforceable("piped_stdin_reaches_a_sandboxed_child", &policy) {
        return;
    }
    let cwd = scratch();
    let mut child = SandboxedCommand::new(["cat"], cwd.path(), [("PATH", "/usr/bin:/bin")], policy)
        .stdio(
            codex_sandbox::StdioMode::Piped,
            codex_sandbox::StdioMode::Piped,
            codex_sandbox::StdioMode::Null,
        )
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, b"through the sandbox").await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.stdout, b"through the sandbox");
}

#[tokio::test]
async fn empty_command_and_relative_roots_are_rejected() {
    let cwd = scratch();
    let empty: [&str; 0] = [];
    let error =
        SandboxedCommand::new(empty, cwd.path(), [("A", "B")], SandboxPolicy::DangerFullAccess)
            .spawn()
            .unwrap_err();
    assert!(matches!(error, codex_sandbox::SandboxError::EmptyCommand), "{error}");
    let policy = workspace_write(vec![PathBuf::from("relative/root")], false);
    if !enforceable("empty_command_and_relative_roots_are_rejected", &policy) {
        return;
    }
    let error =
        SandboxedCommand::new(["true"], cwd.path(), [("A", "B")], policy).spawn().unwrap_err();
    assert!(error.to_string().contains("absolute"), "{error}");
    let mut sink = std::io::sink();
    writeln!(sink, "{error}").unwrap();
}

#[tokio::test]
async fn sandboxed_commands_cannot_signal_the_server() {
    let cwd = scratch();
    let server = std::process::id().to_string();
    let script = "import os, sys\ntry:\n    os.kill(int(sys.argv[1]), 0)\n    print('ok')\nexcept OSError as e:\n    print(e.errno)";
    let run = |policy: SandboxPolicy| {
        let child = SandboxedCommand::new(
            ["python3", "-c", script, &server],
            cwd.path(),
            [("PATH", std::env::var("PATH").unwrap_or_default())],
            policy,
        )
        .spawn()
        .unwrap();
        async move {
            let output = child.wait_with_output().await.unwrap();
            String::from_utf8(output.stdout).unwrap().trim().to_string()
        }
    };
    assert_eq!(run(SandboxPolicy::DangerFullAccess).await, "ok");
    let policy = workspace_write(vec![], true);
    if !enforceable("sandboxed_commands_cannot_signal_the_server", &policy) {
        return;
    }
    if SandboxSupport::get().landlock_abi < Some(6) {
        eprintln!("SKIPPED sandboxed_commands_cannot_signal_the_server: Landlock ABI < 6 has no signal scoping");
        return;
    }
    // errno 1 is EPERM.
    assert_eq!(run(policy).await, "1");
}

/// The capability sets of a child under `policy`, as the `Cap*` lines of `/proc/self/status`.
async fn child_capabilities(policy: SandboxPolicy, cwd: &Path) -> String {
    let child = SandboxedCommand::new(
        ["grep", "^Cap", "/proc/self/status"],
        cwd,
        [("PATH", "/usr/bin:/bin")],
        policy,
    )
    .spawn()
    .unwrap();
    let output = child.wait_with_output().await.unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn capability_mask(status: &str, field: &str) -> u64 {
    let line = status.lines().find(|line| line.starts_with(field)).unwrap();
    u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
}

#[tokio::test]
async fn root_loses_dangerous_capabilities_inside_the_sandbox() {
    const CAP_SYS_MODULE: u64 = 1 << 16;
    const CAP_SYS_ADMIN: u64 = 1 << 21;
    const CAP_DAC_OVERRIDE: u64 = 1 << 1;
    let cwd = scratch();
    let unrestricted = child_capabilities(SandboxPolicy::DangerFullAccess, cwd.path()).await;
    if capability_mask(&unrestricted, "CapEff") & CAP_SYS_ADMIN == 0 {
        eprintln!(
            "SKIPPED root_loses_dangerous_capabilities_inside_the_sandbox: \
             the test process has no CAP_SYS_ADMIN to drop"
        );
        return;
    }
    let policy = workspace_write(vec![], false);
    if !enforceable("root_loses_dangerous_capabilities_inside_the_sandbox", &policy) {
        return;
    }
    let sandboxed = child_capabilities(policy, cwd.path()).await;
    for field in ["CapEff", "CapPrm", "CapBnd"] {
        let mask = capability_mask(&sandboxed, field);
        assert_eq!(mask & (CAP_SYS_ADMIN | CAP_SYS_MODULE), 0, "{field}: {sandboxed}");
    }
    let effective = capability_mask(&sandboxed, "CapEff");
    assert_ne!(effective & CAP_DAC_OVERRIDE, 0, "{sandboxed}");
}

#[tokio::test]
async fn killing_the_process_group_kills_grandchildren_too() {
    let cwd = scratch();
    let policy = workspace_write(vec![], false);
    let policy = if enforceable("killing_the_process_group_kills_grandchildren_too", &policy) {
        policy
    } else {
        SandboxPolicy::DangerFullAccess
    };
    // The grandchild `sleep` inherits stdout, so stdout reaches EOF only once it is dead too.
    let mut child = SandboxedCommand::new(
        ["sh", "-c", "sleep 300 & echo started; wait"],
        cwd.path(),
        [("PATH", "/usr/bin:/bin")],
        policy,
    )
    .spawn()
    .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut stdout, &mut line).await.unwrap();
    assert_eq!(line, "started\n");
    codex_sandbox::signal_process_group(child.id().unwrap(), libc::SIGKILL).unwrap();
    let mut rest = Vec::new();
    let read_to_end = tokio::io::AsyncReadExt::read_to_end(&mut stdout, &mut rest);
    // Generous bound so a surviving grandchild fails the test instead of hanging it.
    tokio::time::timeout(std::time::Duration::from_secs(120), read_to_end)
        .await
        .expect("a grandchild survived the process-group kill")
        .unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
}

#[tokio::test]
async fn a_missing_working_directory_is_reported_before_spawning() {
    let cwd = scratch();
    let missing = cwd.path().join("missing");
    let error = SandboxedCommand::new(
        ["true"],
        &missing,
        [("PATH", "/usr/bin:/bin")],
        SandboxPolicy::DangerFullAccess,
    )
    .spawn()
    .unwrap_err();
    assert!(error.to_string().contains("working directory"), "{error}");
}

#[tokio::test]
async fn missing_kernel_support_refuses_instead_of_running_unsandboxed() {
    let cwd = scratch();
    let marker = cwd.path().join("ran");
    let no_landlock = SandboxSupport::from_parts(None, true, false);
    let policy = workspace_write(vec![], true);
    let error = ChildRestrictions::prepare_with_support(
        &policy,
        cwd.path(),
        std::iter::empty::<(&str, &str)>(),
        &no_landlock,
    )
    .unwrap_err();
    assert!(matches!(error, codex_sandbox::SandboxError::Unsupported { .. }), "{error}");
    assert!(error.to_string().contains("danger-full-access"), "{error}");
    let no_seccomp = SandboxSupport::from_parts(Some(7), false, false);
    let error = ChildRestrictions::prepare_with_support(
        &SandboxPolicy::ReadOnly { network_access: false },
        cwd.path(),
        std::iter::empty::<(&str, &str)>(),
        &no_seccomp,
    )
    .unwrap_err();
    assert!(error.to_string().contains("seccomp"), "{error}");
    // Unrestricted policies never need kernel support.
    let restrictions = ChildRestrictions::prepare_with_support(
        &SandboxPolicy::DangerFullAccess,
        cwd.path(),
        std::iter::empty::<(&str, &str)>(),
        &no_landlock,
    )
    .unwrap();
    assert!(restrictions.is_unrestricted());
    let touch = format!("touch {}", marker.display());
    let status = SandboxedCommand::new(
        ["sh", "-c", touch.as_str()],
        cwd.path(),
        [("PATH", "/usr/bin:/bin")],
        SandboxPolicy::DangerFullAccess,
    )
    .into_command_with(restrictions)
    .unwrap()
    .status()
    .await
    .unwrap();
    assert!(status.success());
    assert!(marker.exists());
}

#[test]
fn std_commands_for_pty_spawners_get_the_same_restrictions() {
    let policy = SandboxPolicy::ReadOnly { network_access: false };
    if !enforceable("std_commands_for_pty_spawners_get_the_same_restrictions", &policy) {
        return;
    }
    let cwd = scratch();
    let env = [("PATH", std::env::var("PATH").unwrap_or_default())];
    let restrictions =
        ChildRestrictions::prepare(&policy, cwd.path(), env.clone()).expect("prepare");
    let argv = ["python3", "-c", PROBE, "write", "from-std"];
    let output = SandboxedCommand::new(argv, cwd.path(), env, policy)
        .into_std_command_with(restrictions)
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "EACCES", "{output:?}");
    assert!(!cwd.path().join("from-std").exists());
}

#[tokio::test]
async fn a_working_directory_outside_the_policy_cwd_stays_read_only() {
    let policy = SandboxPolicy::WorkspaceWrite {
        writable_roots: Vec::new(),
        network_access: false,
        exclude_tmpdir_env_var: true,
        exclude_slash_tmp: true,
    };
    if !enforceable("a_working_directory_outside_the_policy_cwd_stays_read_only", &policy) {
        return;
    }
    let workspace = scratch();
    let elsewhere = scratch();
    let env = [("PATH", std::env::var("PATH").unwrap_or_default())];
    let write = |cwd: &Path, file: &str| {
        SandboxedCommand::new(
            ["python3", "-c", PROBE, "write", file],
            cwd,
            env.clone(),
            policy.clone(),
        )
        .policy_cwd(workspace.path())
    };
    let output = write(elsewhere.path(), "cwd-file").spawn().unwrap().wait_with_output().await;
    assert_eq!(String::from_utf8_lossy(&output.unwrap().stdout).trim(), "EACCES");
    assert!(!elsewhere.path().join("cwd-file").exists());
    let inside = workspace.path().join("ws-file");
    let output =
        write(elsewhere.path(), path_str(&inside)).spawn().unwrap().wait_with_output().await;
    assert_eq!(String::from_utf8_lossy(&output.unwrap().stdout).trim(), "ok");
    assert!(inside.exists());
}
