//! The Unix control socket's files and singleton startup.
//!
//! [`prepare_control_socket`] takes an advisory lock on the startup lock
//! file, refuses to steal a socket a live server answers on, replaces a stale
//! one, binds (mode 0600, in a 0700 directory) and returns a
//! [`PreparedControlSocket`] that still holds the lock, so the caller can
//! initialise its state before releasing it. Paths longer than `sun_path`
//! are bound in a short per-user runtime directory and the requested path
//! becomes a symlink to it. Everything created is removed when the
//! [`ControlSocketFiles`] guard drops.

use std::fs::DirBuilder;
use std::fs::File;
use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use sha2::Digest;
use sha2::Sha256;
use tokio::net::UnixListener;
use tokio::net::UnixStream;
use tokio_tungstenite::WebSocketStream;

use crate::error::TransportError;

/// Longest socket path (in bytes) that fits `sockaddr_un.sun_path` with its NUL.
pub const MAX_SOCKET_PATH_BYTES: usize = 107;

/// How long a liveness probe of an existing socket may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// An exclusive advisory lock on the startup lock file; released on drop.
#[derive(Debug)]
pub struct StartupLock {
    file: File,
}

impl StartupLock {
    /// Blocks (off the async runtime) until the lock at `path` is ours.
    pub async fn acquire(path: &Path) -> Result<Self, TransportError> {
        if let Some(parent) = path.parent() {
            create_private_dir(parent)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|err| TransportError::io(format!("opening {}", path.display()), err))?;
        let display = path.display().to_string();
        tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(|err| {
                TransportError::io("waiting for the startup lock", io::Error::other(err))
            })?
            .map(|file| StartupLock { file })
            .map_err(|err| TransportError::io(format!("locking {display}"), err))
    }
}

impl Drop for StartupLock {
    fn drop(&mut self) {
        // Closing the file would release it too; unlocking says so explicitly.
        let _ = self.file.unlock();
    }
}

/// The files a bound control socket created; removed on drop if still ours.
#[derive(Debug)]
pub struct ControlSocketFiles {
    requested: PathBuf,
    bound: PathBuf,
    identity: (u64, u64),
}

impl ControlSocketFiles {
    /// The path clients were told to use.
    pub fn requested_path(&self) -> &Path {
        &self.requested
    }

    /// The path actually bound (differs from the requested one only for long paths).
    pub fn bound_path(&self) -> &Path {
        &self.bound
    }
}

impl Drop for ControlSocketFiles {
    fn drop(&mut self) {
        let still_ours = std::fs::symlink_metadata(&self.bound)
            .map(|meta| (meta.dev(), meta.ino()) == self.identity)
            .unwrap_or(false);
        if !still_ours {
            return;
        }
        let _ = std::fs::remove_file(&self.bound);
        if self.requested != self.bound {
            let _ = std::fs::remove_file(&self.requested);
        }
    }
}

/// A bound control socket listener plus the guard that removes its files.
#[derive(Debug)]
pub struct BoundControlSocket {
    listener: UnixListener,
    files: ControlSocketFiles,
}

impl BoundControlSocket {
    /// The files this socket created.
    pub fn files(&self) -> &ControlSocketFiles {
        &self.files
    }

    /// The listener and the cleanup guard (keep the guard alive while serving).
    pub fn into_parts(self) -> (UnixListener, ControlSocketFiles) {
        (self.listener, self.files)
    }
}

/// A bound control socket whose startup lock is still held.
#[derive(Debug)]
pub struct PreparedControlSocket {
    lock: StartupLock,
    bound: BoundControlSocket,
}

impl PreparedControlSocket {
    /// The path clients connect to.
    pub fn socket_path(&self) -> &Path {
        self.bound.files.requested_path()
    }

    /// Releases the startup lock (call once state is initialised) and returns the socket.
    pub fn release_startup_lock(self) -> BoundControlSocket {
        drop(self.lock);
        self.bound
    }
}

/// Takes the startup lock, checks for a live server, replaces a stale socket and binds.
pub async fn prepare_control_socket(
    socket_path: &Path,
    lock_path: &Path,
) -> Result<PreparedControlSocket, TransportError> {
    let lock = StartupLock::acquire(lock_path).await?;
    let bound = bind_control_socket_locked(socket_path).await?;
    Ok(PreparedControlSocket { lock, bound })
}

async fn bind_control_socket_locked(
    requested: &Path,
) -> Result<BoundControlSocket, TransportError> {
    if !requested.is_absolute() {
        return Err(TransportError::io(
            format!("control socket path {} must be absolute", requested.display()),
            io::Error::from(io::ErrorKind::InvalidInput),
        ));
    }
    if let Some(parent) = requested.parent() {
        create_private_dir(parent)?;
    }
    let bound_path = if path_fits_sun_path(requested) {
        requested.to_path_buf()
    } else {
        short_runtime_socket_path(requested)?
    };
    remove_if_stale(requested).await?;
    if bound_path != requested {
        remove_if_stale(&bound_path).await?;
    }
    let listener = UnixListener::bind(&bound_path)
        .map_err(|err| TransportError::io(format!("binding {}", bound_path.display()), err))?;
    std::fs::set_permissions(&bound_path, std::fs::Permissions::from_mode(0o600))
        .map_err(|err| TransportError::io(format!("chmod 0600 {}", bound_path.display()), err))?;
    let meta = std::fs::symlink_metadata(&bound_path)
        .map_err(|err| TransportError::io(format!("inspecting {}", bound_path.display()), err))?;
    let files = ControlSocketFiles {
        requested: requested.to_path_buf(),
        bound: bound_path.clone(),
        identity: (meta.dev(), meta.ino()),
    };
    if bound_path != requested {
        std::os::unix::fs::symlink(&bound_path, requested).map_err(|err| {
            TransportError::io(
                format!("linking {} to {}", requested.display(), bound_path.display()),
                err,
            )
        })?;
    }
    tracing::info!(path = %requested.display(), bound = %bound_path.display(), "control socket bound");
    Ok(BoundControlSocket { listener, files })
}

/// Errors with `AddressInUse` when a server answers at `path`; removes a stale socket or link.
async fn remove_if_stale(path: &Path) -> Result<(), TransportError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(TransportError::io(format!("inspecting {}", path.display()), err)),
    };
    let file_type = meta.file_type();
    if !file_type.is_socket() && !file_type.is_symlink() {
        return Err(TransportError::io(
            format!("{} exists and is not a socket; refusing to replace it", path.display()),
            io::Error::from(io::ErrorKind::AlreadyExists),
        ));
    }
    match tokio::time::timeout(PROBE_TIMEOUT, connect_control_socket(path)).await {
        Ok(Ok(_stream)) => return Err(TransportError::AddressInUse { path: path.to_path_buf() }),
        // A server so busy it does not accept within the timeout is alive.
        Err(_elapsed) => return Err(TransportError::AddressInUse { path: path.to_path_buf() }),
        Ok(Err(err)) => tracing::info!("replacing stale control socket {}: {err}", path.display()),
    }
    if file_type.is_symlink() {
        if let Ok(target) = std::fs::read_link(path) {
            let target = path.parent().map(|parent| parent.join(&target)).unwrap_or(target);
            if std::fs::symlink_metadata(&target).is_ok_and(|meta| meta.file_type().is_socket()) {
                let _ = std::fs::remove_file(&target);
            }
        }
    }
    std::fs::remove_file(path)
        .or_else(|err| if err.kind() == io::ErrorKind::NotFound { Ok(()) } else { Err(err) })
        .map_err(|err| TransportError::io(format!("removing stale {}", path.display()), err))
}

/// Connects to a control socket, following the symlink of a path longer than `sun_path`.
pub async fn connect_control_socket(path: &Path) -> Result<UnixStream, TransportError> {
    let not_listening = |source| TransportError::NotListening { path: path.to_path_buf(), source };
    let target = if path_fits_sun_path(path) {
        path.to_path_buf()
    } else {
        let target = std::fs::read_link(path).map_err(not_listening)?;
        path.parent().map(|parent| parent.join(&target)).unwrap_or(target)
    };
    UnixStream::connect(&target).await.map_err(not_listening)
}

/// Connects to a control socket and performs the websocket handshake on `/rpc`.
pub async fn connect_control_socket_websocket(
    path: &Path,
    max_message_bytes: usize,
) -> Result<WebSocketStream<UnixStream>, TransportError> {
    let stream = connect_control_socket(path).await?;
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(max_message_bytes))
        .max_frame_size(Some(max_message_bytes));
    let (socket, _response) =
        tokio_tungstenite::client_async_with_config("ws://localhost/rpc", stream, Some(config))
            .await
            .map_err(|err| TransportError::Websocket(err.to_string()))?;
    Ok(socket)
}

fn path_fits_sun_path(path: &Path) -> bool {
    path.as_os_str().len() <= MAX_SOCKET_PATH_BYTES
}

/// A short socket path in the per-user runtime directory, derived from the requested one.
fn short_runtime_socket_path(requested: &Path) -> Result<PathBuf, TransportError> {
    let digest = hex::encode(Sha256::digest(requested.as_os_str().as_encoded_bytes()));
    let name = format!("{}.sock", &digest[..16]);
    let mut candidates = Vec::new();
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        if runtime.is_absolute() {
            candidates.push(runtime.join("codex-app-server"));
        }
    }
    candidates.push(PathBuf::from(format!("/tmp/codex-app-server-{}", effective_uid())));
    for dir in candidates {
        let path = dir.join(&name);
        if path_fits_sun_path(&path) {
            create_runtime_dir(&dir)?;
            return Ok(path);
        }
    }
    Err(TransportError::io(
        format!("no short runtime directory for the socket {}", requested.display()),
        io::Error::from(io::ErrorKind::InvalidFilename),
    ))
}

/// Creates `dir` (and missing parents) with mode 0700; warns when an existing one is shared.
fn create_private_dir(dir: &Path) -> Result<(), TransportError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|err| TransportError::io(format!("creating {}", dir.display()), err))?;
    if let Ok(meta) = std::fs::metadata(dir) {
        if meta.mode() & 0o077 != 0 {
            tracing::warn!(
                "{} is accessible to other users (mode {:o}); the socket itself is mode 0600",
                dir.display(),
                meta.mode() & 0o7777
            );
        }
    }
    Ok(())
}

/// Creates the per-user runtime dir with mode 0700; an existing one must be ours and private.
fn create_runtime_dir(dir: &Path) -> Result<(), TransportError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|err| TransportError::io(format!("creating {}", dir.display()), err))?;
    let meta = std::fs::metadata(dir)
        .map_err(|err| TransportError::io(format!("inspecting {}", dir.display()), err))?;
    if meta.uid() != effective_uid() || meta.mode() & 0o077 != 0 {
        return Err(TransportError::io(
            format!(
                "{} must be owned by this user and private (mode 0700), found mode {:o}",
                dir.display(),
                meta.mode() & 0o7777
            ),
            io::Error::from(io::ErrorKind::PermissionDenied),
        ));
    }
    Ok(())
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_with_private_modes_and_cleans_up() {
        let home = tempfile::tempdir().unwrap();
        let socket = home.path().join("ctl/sub/app.sock");
        let prepared =
            prepare_control_socket(&socket, &home.path().join("ctl/startup.lock")).await.unwrap();
        let bound = prepared.release_startup_lock();
        let mode = std::fs::metadata(&socket).unwrap().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(socket.parent().unwrap()).unwrap().mode();
        assert_eq!(dir_mode & 0o777, 0o700);

        // A live socket is never stolen.
        let err = prepare_control_socket(&socket, &home.path().join("ctl/startup.lock"))
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::AddressInUse { .. }), "{err}");
        assert!(err.to_string().contains("address in use: another app-server is listening on"));

        drop(bound);
        assert!(!socket.exists());
    }

    #[tokio::test]
    async fn stale_socket_is_replaced() {
        let home = tempfile::tempdir().unwrap();
        let socket = home.path().join("app.sock");
        drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
        assert!(socket.exists());
        let prepared =
            prepare_control_socket(&socket, &home.path().join("startup.lock")).await.unwrap();
        let bound = prepared.release_startup_lock();
        connect_control_socket(&socket).await.unwrap();
        drop(bound);
    }

    #[tokio::test]
    async fn regular_file_is_not_replaced() {
        let home = tempfile::tempdir().unwrap();
        let socket = home.path().join("app.sock");
        std::fs::write(&socket, "precious").unwrap();
        let err =
            prepare_control_socket(&socket, &home.path().join("startup.lock")).await.unwrap_err();
        assert!(err.to_string().contains("is not a socket"), "{err}");
        assert_eq!(std::fs::read_to_string(&socket).unwrap(), "precious");
    }

    #[tokio::test]
    async fn long_path_binds_via_symlink() {
        let home = tempfile::tempdir().unwrap();
        let deep = home.path().join("a".repeat(60)).join("b".repeat(60));
        let socket = deep.join("app-server-control.sock");
        assert!(socket.as_os_str().len() > 108);
        let bound =
            prepare_control_socket(&socket, &home.path().join("startup.lock")).await.unwrap();
        let bound = bound.release_startup_lock();
        let target = bound.files().bound_path().to_path_buf();
        assert!(std::fs::symlink_metadata(&socket).unwrap().file_type().is_symlink());
        connect_control_socket(&socket).await.unwrap();
        drop(bound);
        assert!(std::fs::symlink_metadata(&socket).is_err());
        assert!(!target.exists());
    }
}
