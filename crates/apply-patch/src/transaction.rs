//! All-or-nothing application of planned file operations: new contents are staged in temp files
//! next to their targets, originals are moved aside to backups, staged files are renamed into
//! place, and only then are backups deleted. Any failure undoes every step taken.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;

use tempfile::TempPath;

use crate::error::ApplyPatchError;
use crate::plan::read_text;

const TEMP_PREFIX: &str = ".codex-patch-";

/// The final state of one path.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// The file.
    pub(crate) path: PathBuf,
    /// Its new contents, or `None` to delete it.
    pub(crate) contents: Option<String>,
    /// Whether the file existed when planned (and so is backed up first).
    pub(crate) existed: bool,
    /// For a new file: an existing file whose permissions it takes (the source of a move).
    pub(crate) permissions_from: Option<PathBuf>,
}

/// Checks that nothing changed since planning, then applies `operations` atomically.
pub(crate) fn commit(
    operations: &[Operation],
    originals: &BTreeMap<PathBuf, Option<String>>,
) -> Result<(), ApplyPatchError> {
    // Planned paths are canonical: a symlink anywhere in one now (a directory swapped for a
    // link after planning) would send the write elsewhere.
    for path in operations.iter().map(|operation| &operation.path).chain(originals.keys()) {
        if !still_canonical(path) {
            return Err(ApplyPatchError::ChangedSincePlanned { path: path.clone() });
        }
    }
    for (path, original) in originals {
        if read_text(path)? != *original {
            return Err(ApplyPatchError::ChangedSincePlanned { path: path.clone() });
        }
    }
    let mut transaction = Transaction::default();
    match transaction.run(operations) {
        Ok(()) => {
            transaction.finish();
            Ok(())
        }
        Err(error) => {
            transaction.roll_back();
            Err(error)
        }
    }
}

/// Whether `path` (canonical when planned) has no symlink in it now: the path itself is not a
/// link, and its deepest existing ancestor still canonicalizes to itself.
fn still_canonical(path: &Path) -> bool {
    if path.symlink_metadata().is_ok_and(|meta| meta.file_type().is_symlink()) {
        return false;
    }
    let Some(existing) = path.ancestors().find(|ancestor| ancestor.symlink_metadata().is_ok())
    else {
        return false;
    };
    existing.canonicalize().is_ok_and(|resolved| resolved == existing)
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ApplyPatchError {
    let path = path.to_path_buf();
    move |source| ApplyPatchError::Io { action, path, source }
}

/// Undo information for the steps taken so far.
#[derive(Default)]
struct Transaction {
    /// Directories created for new files, outermost first.
    created_dirs: Vec<PathBuf>,
    /// Staged new contents and their targets (temp files are deleted when dropped).
    staged: Vec<(TempPath, PathBuf)>,
    /// Originals moved aside and where they belong (deleted when dropped).
    backups: Vec<(TempPath, PathBuf)>,
    /// Targets installed where no file existed before.
    installed_new: Vec<PathBuf>,
}

impl Transaction {
    fn run(&mut self, operations: &[Operation]) -> Result<(), ApplyPatchError> {
        for operation in operations {
            if let Some(contents) = &operation.contents {
                self.stage(operation, contents)?;
            }
        }
        for operation in operations.iter().filter(|operation| operation.existed) {
            self.back_up(&operation.path)?;
        }
        for (temp, target) in std::mem::take(&mut self.staged) {
            let existed = self.backups.iter().any(|(_, original)| *original == target);
            match temp.persist(&target) {
                Ok(()) => {
                    if !existed {
                        self.installed_new.push(target);
                    }
                }
                Err(error) => {
                    // Keep the temp path so it is cleaned up with the rest.
                    self.staged.push((error.path, target.clone()));
                    return Err(io_error("installing", &target)(error.error));
                }
            }
        }
        Ok(())
    }

    /// Writes `contents` to a temp file in the target's directory (creating directories).
    fn stage(&mut self, operation: &Operation, contents: &str) -> Result<(), ApplyPatchError> {
        let target = &operation.path;
        let parent = target.parent().ok_or_else(|| {
            io_error("writing", target)(std::io::Error::from(std::io::ErrorKind::InvalidInput))
        })?;
        self.create_dirs(parent)?;
        let permissions = if operation.existed {
            Some(std::fs::metadata(target).map_err(io_error("reading permissions of", target))?)
        } else {
            match &operation.permissions_from {
                Some(source) => Some(
                    std::fs::metadata(source)
                        .map_err(io_error("reading permissions of", source))?,
                ),
                None => None,
            }
        }
        .map(|metadata| metadata.permissions())
        // New files get the usual 0666 minus the umask.
        .unwrap_or_else(|| std::fs::Permissions::from_mode(0o666));
        let mut file = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".tmp")
            .permissions(permissions.clone())
            .tempfile_in(parent)
            .map_err(io_error("creating a temp file for", target))?;
        file.write_all(contents.as_bytes()).map_err(io_error("writing", target))?;
        if operation.existed || operation.permissions_from.is_some() {
            // Exact mode of the replaced file, regardless of the umask.
            file.as_file()
                .set_permissions(permissions)
                .map_err(io_error("setting permissions of", target))?;
        }
        self.staged.push((file.into_temp_path(), target.clone()));
        Ok(())
    }

    /// Creates `dir` and its missing ancestors, remembering them for roll back.
    fn create_dirs(&mut self, dir: &Path) -> Result<(), ApplyPatchError> {
        let missing: Vec<&Path> =
            dir.ancestors().take_while(|ancestor| ancestor.symlink_metadata().is_err()).collect();
        for dir in missing.into_iter().rev() {
            std::fs::create_dir(dir).map_err(io_error("creating directory", dir))?;
            self.created_dirs.push(dir.to_path_buf());
        }
        Ok(())
    }

    /// Moves the original at `path` aside to a backup in the same directory.
    fn back_up(&mut self, path: &Path) -> Result<(), ApplyPatchError> {
        let parent = path.parent().unwrap_or(Path::new("."));
        let backup = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".orig")
            .tempfile_in(parent)
            .map_err(io_error("creating a backup for", path))?
            .into_temp_path();
        std::fs::rename(path, &backup).map_err(io_error("backing up", path))?;
        self.backups.push((backup, path.to_path_buf()));
        Ok(())
    }

    /// Everything is in place: delete the backups.
    fn finish(self) {
        drop(self.backups);
    }

    /// Undoes every step taken, newest first.
    fn roll_back(self) {
        for path in self.installed_new.iter().rev() {
            if let Err(error) = std::fs::remove_file(path) {
                tracing::error!(path = %path.display(), %error, "roll back: removing a new file failed");
            }
        }
        for (backup, original) in self.backups.into_iter().rev() {
            if let Err(error) = backup.persist(&original) {
                let kept = error.path.keep();
                tracing::error!(
                    path = %original.display(),
                    backup = ?kept.ok(),
                    error = %error.error,
                    "roll back: restoring the original failed; the backup was kept"
                );
            }
        }
        drop(self.staged);
        for dir in self.created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_failure_while_installing_restores_every_earlier_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.txt");
        let blocker = dir.path().join("z-dir");
        std::fs::write(&a, "a\n").unwrap();
        std::fs::write(&b, "b\n").unwrap();
        std::fs::create_dir(&blocker).unwrap();
        std::fs::write(blocker.join("keep"), "").unwrap();
        let operations = vec![
            Operation {
                path: a.clone(),
                contents: Some("A\n".into()),
                existed: true,
                permissions_from: None,
            },
            Operation { path: b.clone(), contents: None, existed: true, permissions_from: None },
            Operation {
                path: dir.path().join("new/deeper/c.txt"),
                contents: Some("c\n".into()),
                existed: false,
                permissions_from: None,
            },
            // Renaming a file over a non-empty directory fails after the others were installed.
            Operation {
                path: blocker.clone(),
                contents: Some("x\n".into()),
                existed: false,
                permissions_from: None,
            },
        ];
        let before = entries(dir.path());
        let mut transaction = Transaction::default();
        let error = transaction.run(&operations).unwrap_err();
        assert!(error.to_string().contains("installing"), "{error}");
        assert!(!transaction.installed_new.is_empty(), "the failure must come after installs");
        transaction.roll_back();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "b\n");
        assert_eq!(entries(dir.path()), before, "no temp files, backups or new dirs left");
        assert_eq!(entries(&blocker), vec!["keep"]);
    }

    #[test]
    fn permissions_of_replaced_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("run.sh");
        std::fs::write(&script, "old\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();
        let operations = vec![Operation {
            path: script.clone(),
            contents: Some("new\n".into()),
            existed: true,
            permissions_from: None,
        }];
        let originals = BTreeMap::from([(script.clone(), Some("old\n".to_string()))]);
        commit(&operations, &originals).unwrap();
        let mode = std::fs::metadata(&script).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750);
        assert_eq!(entries(dir.path()), vec!["run.sh"]);
    }
}
