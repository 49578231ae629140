//! Planning a patch against the filesystem: resolving and confining paths, computing every
//! file's new contents and a unified diff (nothing is written), then applying the plan.

use std::collections::BTreeMap;
use std::path::Component;
use std::path::Path;
use std::path::PathBuf;

use codex_sandbox::PROTECTED_DIRECTORY_NAMES;

use crate::error::ApplyPatchError;
use crate::matching::apply_chunks;
use crate::parser::Hunk;
use crate::parser::Patch;
use crate::transaction::Operation;

/// What a patch does to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChangeKind {
    /// The file is created (or overwritten).
    Add,
    /// The file is deleted.
    Delete,
    /// The file is edited, and moved when `move_path` is set.
    Update {
        /// The resolved destination of a move.
        move_path: Option<PathBuf>,
    },
}

/// One file operation of a planned patch, for display and approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The resolved (canonical) path the hunk names.
    pub path: PathBuf,
    /// What happens to it.
    pub kind: FileChangeKind,
    /// A unified diff of the change (`/dev/null` stands for a missing side).
    pub unified_diff: String,
    /// The contents before this hunk (`None` when the file does not exist).
    pub old_contents: Option<String>,
    /// The contents after this hunk (`None` when it is deleted).
    pub new_contents: Option<String>,
}

/// A patch resolved against the filesystem: the per-file changes, ready to apply atomically.
#[derive(Debug, Clone)]
pub struct PatchPlan {
    changes: Vec<FileChange>,
    /// Disk contents of every touched path when planned (`None`: absent).
    originals: BTreeMap<PathBuf, Option<String>>,
    /// Contents of every touched path after the whole patch (`None`: absent).
    desired: BTreeMap<PathBuf, Option<String>>,
    /// For move destinations: the file whose permissions the new file takes.
    permissions_from: BTreeMap<PathBuf, PathBuf>,
}

/// The files a successfully applied patch touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedPatch {
    /// Files created.
    pub added: Vec<PathBuf>,
    /// Files edited (at their new location when moved).
    pub modified: Vec<PathBuf>,
    /// Files deleted.
    pub deleted: Vec<PathBuf>,
}

impl AppliedPatch {
    /// The reference tool's report: `Success. Updated the following files:` then `A`/`M`/`D`
    /// lines.
    pub fn summary(&self) -> String {
        let mut text = String::from("Success. Updated the following files:\n");
        for (mark, paths) in [("A", &self.added), ("M", &self.modified), ("D", &self.deleted)] {
            for path in paths {
                text.push_str(&format!("{mark} {}\n", path.display()));
            }
        }
        text
    }
}

impl PatchPlan {
    /// Resolves `patch` against `cwd` and computes every change without writing anything.
    /// Paths (relative or absolute) must resolve, after `..` and symlinks, inside one of
    /// `writable_roots` (the cwd is not implicitly writable: include it if it should be), and not
    /// beneath `.git` or `.codex` at the top of a root (kept read-only, as by the sandbox).
    pub fn prepare(
        patch: &Patch,
        cwd: &Path,
        writable_roots: &[PathBuf],
    ) -> Result<Self, ApplyPatchError> {
        let confinement = Confinement::new(cwd, writable_roots)?;
        let mut plan = Self {
            changes: Vec::new(),
            originals: BTreeMap::new(),
            desired: BTreeMap::new(),
            permissions_from: BTreeMap::new(),
        };
        for hunk in &patch.hunks {
            match hunk {
                Hunk::AddFile { path, contents } => {
                    let path = confinement.resolve(path)?;
                    let old = plan.current(&path)?;
                    plan.desired.insert(path.clone(), Some(contents.clone()));
                    plan.record(path, FileChangeKind::Add, old, Some(contents.clone()), None);
                }
                Hunk::DeleteFile { path } => {
                    let path = confinement.resolve(path)?;
                    let old = plan.current(&path)?.ok_or(ApplyPatchError::MissingFile {
                        path: path.clone(),
                        action: "delete",
                    })?;
                    plan.desired.insert(path.clone(), None);
                    plan.record(path, FileChangeKind::Delete, Some(old), None, None);
                }
                Hunk::UpdateFile { path, move_path, chunks } => {
                    let path = confinement.resolve(path)?;
                    let old = plan.current(&path)?.ok_or(ApplyPatchError::MissingFile {
                        path: path.clone(),
                        action: "update",
                    })?;
                    let new = apply_chunks(&path, &old, chunks)?;
                    let destination = match move_path {
                        Some(move_path) => {
                            let destination = confinement.resolve(move_path)?;
                            plan.current(&destination)?;
                            Some(destination)
                        }
                        None => None,
                    };
                    match &destination {
                        Some(destination) if *destination != path => {
                            plan.desired.insert(path.clone(), None);
                            plan.desired.insert(destination.clone(), Some(new.clone()));
                            plan.permissions_from.insert(destination.clone(), path.clone());
                        }
                        _ => {
                            plan.desired.insert(path.clone(), Some(new.clone()));
                        }
                    }
                    let kind = FileChangeKind::Update { move_path: destination.clone() };
                    plan.record(path, kind, Some(old), Some(new), destination);
                }
            }
        }
        Ok(plan)
    }

    /// The per-file changes, in patch order.
    pub fn changes(&self) -> &[FileChange] {
        &self.changes
    }

    /// Applies the plan: every file changes, or (on any error) none does. Fails without
    /// touching anything if a file changed on disk since planning.
    pub fn apply(self) -> Result<AppliedPatch, ApplyPatchError> {
        let operations: Vec<Operation> = self
            .desired
            .iter()
            .filter_map(|(path, desired)| {
                let original = self.originals.get(path).cloned().flatten();
                if *desired == original {
                    return None;
                }
                Some(Operation {
                    path: path.clone(),
                    contents: desired.clone(),
                    existed: original.is_some(),
                    permissions_from: self.permissions_from.get(path).cloned(),
                })
            })
            .collect();
        crate::transaction::commit(&operations, &self.originals)?;
        let mut applied = AppliedPatch::default();
        for change in self.changes {
            match change.kind {
                FileChangeKind::Add => applied.added.push(change.path),
                FileChangeKind::Delete => applied.deleted.push(change.path),
                FileChangeKind::Update { move_path } => {
                    applied.modified.push(move_path.unwrap_or(change.path))
                }
            }
        }
        Ok(applied)
    }

    /// The contents of `path` as of the hunks planned so far (reading the disk the first time).
    fn current(&mut self, path: &Path) -> Result<Option<String>, ApplyPatchError> {
        if let Some(contents) = self.desired.get(path) {
            return Ok(contents.clone());
        }
        let contents = read_text(path)?;
        self.originals.insert(path.to_path_buf(), contents.clone());
        self.desired.insert(path.to_path_buf(), contents.clone());
        Ok(contents)
    }

    fn record(
        &mut self,
        path: PathBuf,
        kind: FileChangeKind,
        old_contents: Option<String>,
        new_contents: Option<String>,
        destination: Option<PathBuf>,
    ) {
        let old_label =
            if old_contents.is_some() { path.display().to_string() } else { "/dev/null".into() };
        let new_label = match (&new_contents, &destination) {
            (None, _) => "/dev/null".to_string(),
            (Some(_), Some(destination)) => destination.display().to_string(),
            (Some(_), None) => path.display().to_string(),
        };
        let unified_diff = similar::TextDiff::from_lines(
            old_contents.as_deref().unwrap_or(""),
            new_contents.as_deref().unwrap_or(""),
        )
        .unified_diff()
        .context_radius(3)
        .header(&old_label, &new_label)
        .to_string();
        self.changes.push(FileChange { path, kind, unified_diff, old_contents, new_contents });
    }
}

/// Reads a text file; `None` when it does not exist.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>, ApplyPatchError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| ApplyPatchError::Io {
            action: "reading",
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => {
            Err(ApplyPatchError::Io { action: "reading", path: path.to_path_buf(), source })
        }
    }
}

/// The cwd and the writable roots, canonicalized, against which patch paths are resolved.
struct Confinement {
    cwd: PathBuf,
    roots: Vec<PathBuf>,
}

impl Confinement {
    fn new(cwd: &Path, writable_roots: &[PathBuf]) -> Result<Self, ApplyPatchError> {
        let cwd = cwd.canonicalize().map_err(|source| ApplyPatchError::Io {
            action: "resolving the working directory",
            path: cwd.to_path_buf(),
            source,
        })?;
        // Roots that do not exist cannot contain anything yet; skip them.
        let roots =
            writable_roots.iter().filter_map(|root| cwd.join(root).canonicalize().ok()).collect();
        Ok(Self { cwd, roots })
    }

    /// Resolves `raw` (relative to the cwd, or absolute) to a canonical path inside a root.
    fn resolve(&self, raw: &str) -> Result<PathBuf, ApplyPatchError> {
        let outside = || ApplyPatchError::OutsideWritableRoots { path: raw.to_string() };
        let mut normalized = PathBuf::new();
        for component in self.cwd.join(raw).components() {
            match component {
                Component::Prefix(_) | Component::RootDir | Component::Normal(_) => {
                    normalized.push(component)
                }
                Component::CurDir => {}
                Component::ParentDir => {
                    if !normalized.pop() {
                        return Err(outside());
                    }
                }
            }
        }
        // Follow symlinks in the part that exists, so a link cannot lead out of the roots.
        let existing = normalized
            .ancestors()
            .find(|ancestor| ancestor.symlink_metadata().is_ok())
            .ok_or_else(outside)?;
        let remainder = normalized.strip_prefix(existing).map_err(|_| outside())?.to_path_buf();
        let resolved = existing.canonicalize().map_err(|source| ApplyPatchError::Io {
            action: "resolving",
            path: existing.to_path_buf(),
            source,
        })?;
        let resolved =
            if remainder.as_os_str().is_empty() { resolved } else { resolved.join(remainder) };
        let containing: Vec<&PathBuf> = self
            .roots
            .iter()
            .filter(|root| resolved.starts_with(root) && resolved != **root)
            .collect();
        if containing.is_empty() {
            return Err(outside());
        }
        // Like the sandbox: `.git` and `.codex` at the top of a writable root stay read-only.
        for root in containing {
            let first = resolved
                .strip_prefix(root)
                .ok()
                .and_then(|relative| relative.components().next())
                .map(|component| component.as_os_str().to_string_lossy().into_owned());
            if let Some(first) = first {
                if PROTECTED_DIRECTORY_NAMES.contains(&first.as_str()) {
                    return Err(ApplyPatchError::ProtectedDirectory {
                        path: raw.to_string(),
                        directory: first,
                    });
                }
            }
        }
        Ok(resolved)
    }
}
