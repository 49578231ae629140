//! Local images attached to a turn: reads a file safely (never blocking on FIFOs or devices,
//! never reading more than the size cap), checks that it is a PNG, JPEG, GIF or WebP image by
//! its magic bytes, and turns it into a `data:` URL for the model.

use std::fs::File;
use std::fs::Metadata;
use std::io::Read;
use std::path::Path;

use base64::Engine;

use super::error::ContextError;

/// Largest image file accepted, in bytes (20 MiB).
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

/// Reads an image file and returns it as a `data:<mime>;base64,…` URL.
pub fn load_local_image(path: &Path) -> Result<String, ContextError> {
    let file = open_without_blocking(path)?;
    let metadata = file.metadata().map_err(|err| ContextError::io(path, err))?;
    ensure_regular_file(path, &metadata)?;
    ensure_within_cap(path, metadata.len())?;
    let bytes = read_capped(path, file)?;
    let mime = detect_image_mime(&bytes)
        .ok_or_else(|| ContextError::UnsupportedImage { path: path.to_path_buf() })?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{mime};base64,{encoded}"))
}

/// The MIME type of PNG, JPEG, GIF or WebP data, recognised by its magic bytes.
pub fn detect_image_mime(bytes: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Opens read-only with `O_NONBLOCK`, so a FIFO without a writer does not hang the open.
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> Result<File, ContextError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|err| ContextError::io(path, err))
}

/// Opens read-only.
#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> Result<File, ContextError> {
    File::open(path).map_err(|err| ContextError::io(path, err))
}

/// Refuses anything but a regular file, judged from the opened file's own metadata.
fn ensure_regular_file(path: &Path, metadata: &Metadata) -> Result<(), ContextError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(ContextError::ImageNotRegularFile { path: path.to_path_buf(), kind: file_kind(metadata) })
}

fn ensure_within_cap(path: &Path, size: u64) -> Result<(), ContextError> {
    if size <= MAX_IMAGE_BYTES {
        return Ok(());
    }
    Err(ContextError::ImageTooLarge { path: path.to_path_buf(), size, max: MAX_IMAGE_BYTES })
}

/// Reads at most `MAX_IMAGE_BYTES + 1` bytes, refusing the file if it grew past the cap.
fn read_capped(path: &Path, file: File) -> Result<Vec<u8>, ContextError> {
    let mut bytes = Vec::new();
    file.take(MAX_IMAGE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| ContextError::io(path, err))?;
    ensure_within_cap(path, bytes.len() as u64)?;
    Ok(bytes)
}

/// A short name for a non-regular file type, for error messages.
fn file_kind(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "FIFO";
        }
        if file_type.is_char_device() {
            return "character device";
        }
        if file_type.is_block_device() {
            return "block device";
        }
        if file_type.is_socket() {
            return "socket";
        }
    }
    "special file"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89,
    ];

    #[test]
    fn png_becomes_a_data_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pixel.png");
        std::fs::write(&path, PNG_1X1).unwrap();
        let url = load_local_image(&path).unwrap();
        let expected = base64::engine::general_purpose::STANDARD.encode(PNG_1X1);
        assert_eq!(url, format!("data:image/png;base64,{expected}"));
    }

    #[test]
    fn mime_is_detected_from_magic_bytes() {
        assert_eq!(detect_image_mime(PNG_1X1), Some("image/png"));
        assert_eq!(detect_image_mime(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(detect_image_mime(b"GIF89a...."), Some("image/gif"));
        assert_eq!(detect_image_mime(b"GIF87a...."), Some("image/gif"));
        assert_eq!(detect_image_mime(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(detect_image_mime(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(detect_image_mime(b""), None);
    }

    #[test]
    fn text_file_is_refused_listing_supported_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.png");
        std::fs::write(&path, "just text").unwrap();
        let err = load_local_image(&path).unwrap_err();
        assert!(matches!(err, ContextError::UnsupportedImage { .. }));
        let message = err.to_string();
        assert!(message.contains("notes.png"), "{message}");
        assert!(message.contains("PNG, JPEG, GIF, WebP"), "{message}");
    }

    #[test]
    fn too_big_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.png");
        let file = File::create(&path).unwrap();
        file.set_len(MAX_IMAGE_BYTES + 1).unwrap();
        let err = load_local_image(&path).unwrap_err();
        assert!(
            matches!(err, ContextError::ImageTooLarge { size, .. } if size == MAX_IMAGE_BYTES + 1)
        );
        assert!(err.to_string().contains("huge.png"));
    }

    #[test]
    fn directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_local_image(dir.path()).unwrap_err();
        assert!(matches!(err, ContextError::ImageNotRegularFile { kind: "directory", .. }));
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.png");
        let err = load_local_image(&path).unwrap_err();
        assert!(matches!(err, ContextError::Io { .. }));
        assert!(err.to_string().contains("gone.png"));
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_is_refused() {
        let err = load_local_image(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(err, ContextError::ImageNotRegularFile { kind: "character device", .. }));
        assert!(err.to_string().contains("/dev/zero"));
    }

    #[cfg(unix)]
    #[test]
    fn fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipe.png");
        let status = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(status.success());
        let (tx, rx) = std::sync::mpsc::channel();
        let fifo = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(load_local_image(&fifo));
        });
        let result =
            rx.recv_timeout(Duration::from_secs(5)).expect("opening a FIFO must not block");
        let err = result.unwrap_err();
        assert!(matches!(err, ContextError::ImageNotRegularFile { kind: "FIFO", .. }));
        assert!(err.to_string().contains("pipe.png"));
    }
}
