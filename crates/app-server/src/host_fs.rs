//! The host filesystem operations behind `fs/*`: blocking calls, run on the blocking pool by
//! the handler, each returning the wire response or an [`FsError`].
//!
//! - Reads open the file with `O_NONBLOCK` and check the opened descriptor (`fstat`), so a
//!   FIFO, a device such as `/dev/zero` or a directory is refused at once instead of being read
//!   forever, and a file that is swapped between a check and the open is still checked. At most
//!   [`MAX_READ_BYTES`] are read.
//! - Writes are atomic: the bytes go to a temp file in the target's directory, are synced, and
//!   replace the target with one `rename`. Any failure before that leaves the old file as it was.
//!   An existing target keeps its permissions; a symlink target is written through.
//! - Copies refuse a directory without `recursive`, a copy into the source itself, and a source
//!   that is not a regular file or directory; inside a recursive copy, symlinks are recreated and
//!   other special files skipped.

use std::fs;
use std::io::Read;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::time::SystemTime;

use base64::Engine as _;
use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::FsGetMetadataResponse;
use codex_app_server_protocol::v2::FsReadDirectoryEntry;
use codex_app_server_protocol::v2::FsReadDirectoryResponse;
use codex_app_server_protocol::JsonRpcError;
use codex_app_server_protocol::RequestId;
use serde_json::json;

/// Largest file `fs/readFile` reads: 512 MiB, as in the reference.
pub const MAX_READ_BYTES: u64 = 512 * 1024 * 1024;

/// Why an `fs/*` call failed.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// A param is malformed (answered with `-32602`).
    #[error("{0}")]
    InvalidParams(String),
    /// The request cannot be carried out as asked (answered with `-32600`).
    #[error("{0}")]
    Refused(String),
    /// The operating system refused (answered with `-32603`, the OS message and `data.kind`).
    #[error("{path}: {source}")]
    Io {
        /// The path the failing call was about.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl FsError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FsError + '_ {
        move |source| FsError::Io { path: path.to_path_buf(), source }
    }

    /// The error response for request `id`.
    pub fn to_json_rpc(&self, id: &RequestId) -> JsonRpcError {
        let id = Some(id.clone());
        match self {
            FsError::InvalidParams(message) => {
                JsonRpcError::new(id, error_codes::INVALID_PARAMS, message.clone())
            }
            FsError::Refused(message) => {
                JsonRpcError::new(id, error_codes::INVALID_REQUEST, message.clone())
            }
            FsError::Io { path, source } => JsonRpcError::new(
                id,
                error_codes::INTERNAL_ERROR,
                self.to_string(),
            )
            .with_data(
                json!({"kind": format!("{:?}", source.kind()), "path": path.display().to_string()}),
            ),
        }
    }
}

/// Reads a regular file whole, base64-encoded.
pub fn read_file(path: &Path) -> Result<String, FsError> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(FsError::io(path))?;
    let metadata = file.metadata().map_err(FsError::io(path))?;
    if !metadata.is_file() {
        return Err(FsError::Refused(format!(
            "{} is not a file ({}); fs/readFile reads regular files only",
            path.display(),
            kind_name(&metadata.file_type())
        )));
    }
    if metadata.len() > MAX_READ_BYTES {
        return Err(FsError::Refused(format!(
            "file is too large to read: limit is {MAX_READ_BYTES} bytes ({} is {} bytes)",
            path.display(),
            metadata.len()
        )));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // A file that grows while it is read is still cut at the limit.
    file.take(MAX_READ_BYTES + 1).read_to_end(&mut bytes).map_err(FsError::io(path))?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(FsError::Refused(format!(
            "file is too large to read: limit is {MAX_READ_BYTES} bytes ({} grew past it)",
            path.display()
        )));
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Decodes `data_base64` and replaces `path` with it atomically.
pub fn write_file(path: &Path, data_base64: &str) -> Result<(), FsError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(data_base64).map_err(|err| {
        FsError::InvalidParams(format!("dataBase64: not valid standard base64: {err}"))
    })?;
    // Write through a symlink to its target, as a plain write would.
    let target = match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    };
    let existing = match fs::metadata(&target) {
        Ok(metadata) if metadata.is_file() => Some(metadata.permissions()),
        Ok(metadata) => {
            return Err(FsError::Refused(format!(
                "{} is not a file ({}); fs/writeFile replaces regular files only",
                path.display(),
                kind_name(&metadata.file_type())
            )))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(FsError::Io { path: path.to_path_buf(), source: err }),
    };
    let Some(directory) = target.parent() else {
        return Err(FsError::Refused(format!("{} has no parent directory", path.display())));
    };
    // Created with 0666 & ~umask, like any new file; an existing target's mode is kept below.
    let mut temp = tempfile::Builder::new()
        .prefix(".codex-write-")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(directory)
        .map_err(FsError::io(directory))?;
    let temp_path = temp.path().to_path_buf();
    temp.write_all(&bytes).map_err(FsError::io(&temp_path))?;
    if let Some(permissions) = existing {
        temp.as_file().set_permissions(permissions).map_err(FsError::io(&temp_path))?;
    }
    temp.as_file().sync_all().map_err(FsError::io(&temp_path))?;
    temp.persist(&target).map_err(|err| FsError::Io { path: target.clone(), source: err.error })?;
    Ok(())
}

/// The direct children of a directory, sorted by name.
pub fn read_directory(path: &Path) -> Result<FsReadDirectoryResponse, FsError> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(path).map_err(FsError::io(path))? {
        let entry = entry.map_err(FsError::io(path))?;
        let entry_path = entry.path();
        // "Resolves to": follow symlinks; a dangling one is neither.
        let (is_directory, is_file) = match fs::metadata(&entry_path) {
            Ok(metadata) => (metadata.is_dir(), metadata.is_file()),
            Err(_) => (false, false),
        };
        entries.push(FsReadDirectoryEntry {
            file_name: entry.file_name().to_string_lossy().into_owned(),
            is_directory,
            is_file,
        });
    }
    entries.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(FsReadDirectoryResponse { entries })
}

fn millis(time: std::io::Result<SystemTime>) -> i64 {
    time.ok()
        .and_then(|time| time.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What `path` is and when it was created and modified.
pub fn get_metadata(path: &Path) -> Result<FsGetMetadataResponse, FsError> {
    let own = fs::symlink_metadata(path).map_err(FsError::io(path))?;
    let is_symlink = own.file_type().is_symlink();
    let resolved = if is_symlink { fs::metadata(path).unwrap_or(own) } else { own };
    Ok(FsGetMetadataResponse {
        created_at_ms: millis(resolved.created()),
        is_directory: resolved.is_dir(),
        is_file: resolved.is_file(),
        is_symlink,
        modified_at_ms: millis(resolved.modified()),
    })
}

/// Creates a directory (and its parents when `recursive`).
pub fn create_directory(path: &Path, recursive: bool) -> Result<(), FsError> {
    if recursive {
        fs::create_dir_all(path).map_err(FsError::io(path))
    } else {
        fs::create_dir(path).map_err(FsError::io(path))
    }
}

/// Removes a file, a symlink (not its target) or a directory (with its contents when
/// `recursive`); a missing path is fine when `force`.
pub fn remove(path: &Path, recursive: bool, force: bool) -> Result<(), FsError> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && force => return Ok(()),
        Err(err) => return Err(FsError::Io { path: path.to_path_buf(), source: err }),
    };
    let result = if metadata.is_dir() {
        if recursive {
            fs::remove_dir_all(path)
        } else {
            fs::remove_dir(path)
        }
    } else {
        fs::remove_file(path)
    };
    match result {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && force => Ok(()),
        other => other.map_err(FsError::io(path)),
    }
}

/// Copies a file, or a directory tree when `recursive`.
pub fn copy(source: &Path, destination: &Path, recursive: bool) -> Result<(), FsError> {
    let metadata = fs::metadata(source).map_err(FsError::io(source))?;
    if metadata.is_file() {
        copy_file(source, destination)?;
        return Ok(());
    }
    if !metadata.is_dir() {
        return Err(FsError::Refused(format!(
            "{} is not a file or directory ({}); fs/copy copies regular files and directories",
            source.display(),
            kind_name(&metadata.file_type())
        )));
    }
    if !recursive {
        return Err(FsError::Refused(
            "fs/copy requires recursive: true when sourcePath is a directory".to_owned(),
        ));
    }
    let source_real = fs::canonicalize(source).map_err(FsError::io(source))?;
    if resolve_existing_prefix(destination).starts_with(&source_real) {
        return Err(FsError::Refused(format!(
            "cannot copy {} into itself ({})",
            source.display(),
            destination.display()
        )));
    }
    copy_tree(source, destination)
}

/// Copies a regular file, opened non-blocking and checked after the open like [`read_file`].
fn copy_file(source: &Path, destination: &Path) -> Result<(), FsError> {
    let mut input = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(source)
        .map_err(FsError::io(source))?;
    let metadata = input.metadata().map_err(FsError::io(source))?;
    if !metadata.is_file() {
        return Err(FsError::Refused(format!("{} is not a regular file", source.display())));
    }
    if let Ok(existing) = fs::metadata(destination) {
        use std::os::unix::fs::MetadataExt;
        if existing.dev() == metadata.dev() && existing.ino() == metadata.ino() {
            return Err(FsError::Refused(format!(
                "cannot copy {} onto itself ({})",
                source.display(),
                destination.display()
            )));
        }
    }
    let mut output = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .mode(metadata.permissions().mode())
        .open(destination)
        .map_err(FsError::io(destination))?;
    let out_metadata = output.metadata().map_err(FsError::io(destination))?;
    if !out_metadata.is_file() {
        return Err(FsError::Refused(format!("{} is not a regular file", destination.display())));
    }
    std::io::copy(&mut input, &mut output).map_err(FsError::io(destination))?;
    Ok(())
}

fn copy_tree(source: &Path, destination: &Path) -> Result<(), FsError> {
    fs::create_dir_all(destination).map_err(FsError::io(destination))?;
    for entry in fs::read_dir(source).map_err(FsError::io(source))? {
        let entry = entry.map_err(FsError::io(source))?;
        let from = entry.path();
        let to = destination.join(entry.file_name());
        let kind = entry.file_type().map_err(FsError::io(&from))?;
        if kind.is_dir() {
            copy_tree(&from, &to)?;
        } else if kind.is_file() {
            copy_file(&from, &to)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(&from).map_err(FsError::io(&from))?;
            std::os::unix::fs::symlink(&link, &to).map_err(FsError::io(&to))?;
        }
        // FIFOs, sockets and devices inside a tree are skipped.
    }
    Ok(())
}

/// `path` with its longest existing prefix canonicalised (symlinks and `..` resolved) and the
/// rest appended; `path` itself (lexically normalised) when nothing of it exists.
pub fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let normalized = normalize(path);
    let mut existing = normalized.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = fs::canonicalize(existing) {
            let mut resolved = real;
            for part in rest.iter().rev() {
                resolved.push(part);
            }
            return resolved;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return normalized,
        }
    }
}

/// Lexical normalisation: drops `.` and resolves `..` against the components before it.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn kind_name(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_symlink() {
        "a symlink"
    } else {
        "not a regular file"
    }
}
