//! The `apply_patch` format used by coding agents to edit files: parsing ([`parse_patch`]),
//! planning against the filesystem with path confinement ([`PatchPlan::prepare`], which yields
//! per-file [`FileChange`]s with unified diffs for approval), and all-or-nothing application
//! ([`PatchPlan::apply`]).
//!
//! ```text
//! *** Begin Patch
//! *** Add File: path/to/new.txt
//! +line
//! *** Update File: path/to/file.py
//! *** Move to: path/to/renamed.py
//! @@ optional context header
//!  context line
//! -removed
//! +added
//! *** Delete File: path/to/old.txt
//! *** End Patch
//! ```

mod error;
mod matching;
mod parser;
mod plan;
mod transaction;

use std::path::Path;
use std::path::PathBuf;

pub use error::ApplyPatchError;
pub use parser::parse_patch;
pub use parser::patch_from_command;
pub use parser::Hunk;
pub use parser::Patch;
pub use parser::UpdateChunk;
pub use plan::AppliedPatch;
pub use plan::FileChange;
pub use plan::FileChangeKind;
pub use plan::PatchPlan;

/// Parses `patch_text`, plans it against `cwd` confined to `writable_roots`, and applies it
/// atomically. Use [`PatchPlan`] directly to show the changes for approval first.
pub fn apply_patch(
    patch_text: &str,
    cwd: &Path,
    writable_roots: &[PathBuf],
) -> Result<AppliedPatch, ApplyPatchError> {
    let patch = parse_patch(patch_text)?;
    PatchPlan::prepare(&patch, cwd, writable_roots)?.apply()
}
