#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Applies patches to real files in temp dirs: every hunk kind, atomicity, and path confinement
//! tried from the attacker's side.

use std::path::Path;
use std::path::PathBuf;

use codex_apply_patch::apply_patch;
use codex_apply_patch::parse_patch;
use codex_apply_patch::ApplyPatchError;
use codex_apply_patch::FileChangeKind;
use codex_apply_patch::PatchPlan;

/// A workspace (the cwd and only writable root) inside a temp dir that also has an outside file.
struct Workspace {
    _temp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().canonicalize().unwrap();
        let root = base.join("ws");
        std::fs::create_dir(&root).unwrap();
        let outside = base.join("outside.txt");
        std::fs::write(&outside, "secret\n").unwrap();
        Self { _temp: temp, root, outside }
    }

    fn write(&self, name: &str, contents: &str) {
        let path = self.root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(name)).ok()
    }

    fn apply(&self, patch: &str) -> Result<codex_apply_patch::AppliedPatch, ApplyPatchError> {
        apply_patch(patch, &self.root, std::slice::from_ref(&self.root))
    }

    /// Every path below the workspace root with its contents, to prove nothing changed.
    fn snapshot(&self) -> Vec<(PathBuf, Option<String>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Option<String>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                if entry.file_type().unwrap().is_symlink() {
                    let target = std::fs::read_link(&path).unwrap();
                    out.push((path, Some(format!("-> {}", target.display()))));
                } else if path.is_dir() {
                    out.push((path.clone(), None));
                    walk(&path, out);
                } else {
                    out.push((path.clone(), Some(std::fs::read_to_string(&path).unwrap())));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out.sort();
        out
    }
}

#[test]
fn add_creates_the_file_and_its_directories() {
    let ws = Workspace::new();
    let applied = ws
        .apply("*** Begin Patch\n*** Add File: src/new/hello.txt\n+hello\n+world\n*** End Patch")
        .unwrap();
    assert_eq!(ws.read("src/new/hello.txt").unwrap(), "hello\nworld\n");
    assert_eq!(applied.added, vec![ws.root.join("src/new/hello.txt")]);
    assert_eq!(
        applied.summary(),
        format!(
            "Success. Updated the following files:\nA {}\n",
            ws.root.join("src/new/hello.txt").display()
        )
    );
}

#[test]
fn update_applies_several_hunks_with_context_headers() {
    let ws = Workspace::new();
    ws.write(
        "app.py",
        "import os\n\ndef first():\n    return 1\n\ndef second():\n    return 1\n\ndef third():\n    return 1\n",
    );
    ws.apply(
        "*** Begin Patch\n*** Update File: app.py\n@@ import os\n+import sys\n@@ def second():\n\
         -    return 1\n+    return 2\n@@ def third():\n-    return 1\n+    return 3\n*** End Patch\n",
    )
    .unwrap();
    assert_eq!(
        ws.read("app.py").unwrap(),
        "import os\nimport sys\n\ndef first():\n    return 1\n\ndef second():\n    return 2\n\ndef third():\n    return 3\n"
    );
}

#[test]
fn update_tolerates_whitespace_differences_and_end_of_file_marker() {
    let ws = Workspace::new();
    ws.write("notes.txt", "alpha   \n  beta\nend\nend");
    ws.apply(
        "*** Begin Patch\n*** Update File: notes.txt\n alpha\n-beta\n+BETA\n@@\n-end\n+END\n\
         *** End of File\n*** End Patch",
    )
    .unwrap();
    // Like the reference, matched context lines take the patch's spelling.
    assert_eq!(ws.read("notes.txt").unwrap(), "alpha\nBETA\nend\nEND\n");
}

#[test]
fn delete_removes_the_file() {
    let ws = Workspace::new();
    ws.write("old.txt", "bye\n");
    let applied = ws.apply("*** Begin Patch\n*** Delete File: old.txt\n*** End Patch").unwrap();
    assert_eq!(ws.read("old.txt"), None);
    assert_eq!(applied.deleted, vec![ws.root.join("old.txt")]);
}

#[test]
fn move_renames_and_edits() {
    let ws = Workspace::new();
    ws.write("a/old.rs", "fn main() {\n    println!(\"hi\");\n}\n");
    let applied = ws
        .apply(
            "*** Begin Patch\n*** Update File: a/old.rs\n*** Move to: b/new.rs\n@@ fn main() {\n\
             -    println!(\"hi\");\n+    println!(\"hello\");\n*** End Patch",
        )
        .unwrap();
    assert_eq!(ws.read("a/old.rs"), None);
    assert_eq!(ws.read("b/new.rs").unwrap(), "fn main() {\n    println!(\"hello\");\n}\n");
    assert_eq!(applied.modified, vec![ws.root.join("b/new.rs")]);
}

#[test]
fn heredoc_wrapped_patches_apply() {
    let ws = Workspace::new();
    ws.apply("apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: x.txt\n+x\n*** End Patch\nEOF\n")
        .unwrap();
    assert_eq!(ws.read("x.txt").unwrap(), "x\n");
}

#[test]
fn planning_shows_changes_and_diffs_without_writing() {
    let ws = Workspace::new();
    ws.write("f.txt", "one\ntwo\nthree\n");
    ws.write("gone.txt", "x\n");
    let patch = parse_patch(
        "*** Begin Patch\n*** Update File: f.txt\n one\n-two\n+TWO\n*** Delete File: gone.txt\n\
         *** Add File: n.txt\n+n\n*** End Patch",
    )
    .unwrap();
    let before = ws.snapshot();
    let plan = PatchPlan::prepare(&patch, &ws.root, std::slice::from_ref(&ws.root)).unwrap();
    assert_eq!(ws.snapshot(), before, "planning must not write");
    let changes = plan.changes();
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0].kind, FileChangeKind::Update { move_path: None });
    assert!(changes[0].unified_diff.contains("-two\n+TWO\n"), "{}", changes[0].unified_diff);
    assert!(changes[0].unified_diff.contains("@@ -1,3 +1,3 @@"), "{}", changes[0].unified_diff);
    assert_eq!(changes[1].kind, FileChangeKind::Delete);
    assert!(changes[1].unified_diff.contains("+++ /dev/null"), "{}", changes[1].unified_diff);
    assert_eq!(changes[2].kind, FileChangeKind::Add);
    assert!(changes[2].unified_diff.contains("--- /dev/null"), "{}", changes[2].unified_diff);
    plan.apply().unwrap();
    assert_eq!(ws.read("f.txt").unwrap(), "one\nTWO\nthree\n");
    assert_eq!(ws.read("gone.txt"), None);
    assert_eq!(ws.read("n.txt").unwrap(), "n\n");
}

#[test]
fn a_failing_hunk_leaves_every_file_untouched() {
    let ws = Workspace::new();
    ws.write("first.txt", "keep me\n");
    ws.write("second.txt", "delete me\n");
    ws.write("third.txt", "alpha\nbeta\n");
    let before = ws.snapshot();
    let error = ws
        .apply(
            "*** Begin Patch\n*** Update File: first.txt\n-keep me\n+changed\n\
             *** Delete File: second.txt\n*** Add File: dir/fourth.txt\n+new\n\
             *** Update File: third.txt\n@@\n-gamma\n+delta\n*** End Patch",
        )
        .unwrap_err();
    assert!(matches!(error, ApplyPatchError::ContextNotFound { .. }), "{error}");
    assert!(error.to_string().contains("gamma"), "{error}");
    assert_eq!(ws.snapshot(), before);
}

#[test]
fn a_file_changed_after_planning_aborts_the_whole_patch() {
    let ws = Workspace::new();
    ws.write("a.txt", "a\n");
    ws.write("b.txt", "b\n");
    let patch = parse_patch(
        "*** Begin Patch\n*** Update File: a.txt\n-a\n+A\n*** Update File: b.txt\n-b\n+B\n*** End Patch",
    )
    .unwrap();
    let plan = PatchPlan::prepare(&patch, &ws.root, std::slice::from_ref(&ws.root)).unwrap();
    ws.write("b.txt", "edited meanwhile\n");
    let error = plan.apply().unwrap_err();
    assert!(matches!(error, ApplyPatchError::ChangedSincePlanned { .. }), "{error}");
    assert_eq!(ws.read("a.txt").unwrap(), "a\n");
}

#[test]
fn a_directory_swapped_for_a_symlink_after_planning_aborts_the_patch() {
    let ws = Workspace::new();
    ws.write("sub/existing.txt", "old\n");
    let elsewhere = ws.outside.parent().unwrap().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("existing.txt"), "old\n").unwrap();
    let patch = parse_patch(
        "*** Begin Patch\n*** Add File: sub/new.txt\n+x\n*** Update File: sub/existing.txt\n-old\n+new\n*** End Patch",
    )
    .unwrap();
    let plan = PatchPlan::prepare(&patch, &ws.root, std::slice::from_ref(&ws.root)).unwrap();
    // Between planning and applying, `sub` becomes a link to a look-alike directory outside.
    std::fs::remove_dir_all(ws.root.join("sub")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, ws.root.join("sub")).unwrap();
    let error = plan.apply().unwrap_err();
    assert!(matches!(error, ApplyPatchError::ChangedSincePlanned { .. }), "{error}");
    assert!(!elsewhere.join("new.txt").exists(), "the patch wrote through the link");
    assert_eq!(std::fs::read_to_string(elsewhere.join("existing.txt")).unwrap(), "old\n");
}

#[test]
fn update_or_delete_of_a_missing_file_is_refused() {
    let ws = Workspace::new();
    let error = ws.apply("*** Begin Patch\n*** Delete File: nope.txt\n*** End Patch").unwrap_err();
    assert!(matches!(error, ApplyPatchError::MissingFile { action: "delete", .. }), "{error}");
    let error =
        ws.apply("*** Begin Patch\n*** Update File: nope.txt\n-a\n+b\n*** End Patch").unwrap_err();
    assert!(matches!(error, ApplyPatchError::MissingFile { action: "update", .. }), "{error}");
}

fn assert_refused(ws: &Workspace, patch: &str) {
    let before = ws.snapshot();
    let error = ws.apply(patch).unwrap_err();
    assert!(matches!(error, ApplyPatchError::OutsideWritableRoots { .. }), "{patch}: {error}");
    assert_eq!(ws.snapshot(), before);
    assert_eq!(std::fs::read_to_string(&ws.outside).unwrap(), "secret\n");
}

#[test]
fn paths_outside_the_writable_roots_are_refused() {
    let ws = Workspace::new();
    let outside = ws.outside.display().to_string();
    assert_refused(&ws, &format!("*** Begin Patch\n*** Delete File: {outside}\n*** End Patch"));
    assert_refused(
        &ws,
        &format!("*** Begin Patch\n*** Update File: {outside}\n-secret\n+pwned\n*** End Patch"),
    );
    assert_refused(&ws, "*** Begin Patch\n*** Add File: /etc/codex-pwned\n+x\n*** End Patch");
    // An absolute path inside the root is fine.
    let inside = ws.root.join("abs.txt").display().to_string();
    ws.apply(&format!("*** Begin Patch\n*** Add File: {inside}\n+ok\n*** End Patch")).unwrap();
    assert_eq!(ws.read("abs.txt").unwrap(), "ok\n");
}

#[test]
fn dot_dot_traversal_is_refused() {
    let ws = Workspace::new();
    ws.write("inner/file.txt", "x\n");
    assert_refused(
        &ws,
        "*** Begin Patch\n*** Update File: ../outside.txt\n-secret\n+pwned\n*** End Patch",
    );
    assert_refused(&ws, "*** Begin Patch\n*** Add File: inner/../../evil.txt\n+x\n*** End Patch");
    assert_refused(
        &ws,
        "*** Begin Patch\n*** Add File: ../../../../../../../../tmp/evil.txt\n+x\n*** End Patch",
    );
    // A move may not carry a file out either, and the source stays put.
    assert_refused(
        &ws,
        "*** Begin Patch\n*** Update File: inner/file.txt\n*** Move to: ../moved.txt\n-x\n+y\n*** End Patch",
    );
    assert_eq!(ws.read("inner/file.txt").unwrap(), "x\n");
    // `..` that stays inside the root is just a path.
    ws.apply("*** Begin Patch\n*** Add File: inner/../ok.txt\n+ok\n*** End Patch").unwrap();
    assert_eq!(ws.read("ok.txt").unwrap(), "ok\n");
}

#[test]
fn symlinks_cannot_lead_out_of_the_roots() {
    let ws = Workspace::new();
    let outside_dir = ws.outside.parent().unwrap().join("elsewhere");
    std::fs::create_dir(&outside_dir).unwrap();
    std::os::unix::fs::symlink(&outside_dir, ws.root.join("link")).unwrap();
    std::os::unix::fs::symlink(&ws.outside, ws.root.join("secret-link")).unwrap();
    assert_refused(&ws, "*** Begin Patch\n*** Add File: link/evil.txt\n+x\n*** End Patch");
    assert_refused(
        &ws,
        "*** Begin Patch\n*** Update File: secret-link\n-secret\n+pwned\n*** End Patch",
    );
    assert!(std::fs::read_dir(&outside_dir).unwrap().next().is_none());
}

#[test]
fn moves_deletes_and_dangling_links_cannot_lead_out_of_the_roots() {
    let ws = Workspace::new();
    let outside_dir = ws.outside.parent().unwrap().join("elsewhere");
    std::fs::create_dir(&outside_dir).unwrap();
    std::os::unix::fs::symlink(&outside_dir, ws.root.join("link")).unwrap();
    std::os::unix::fs::symlink(&ws.outside, ws.root.join("secret-link")).unwrap();
    std::os::unix::fs::symlink(outside_dir.join("planted.txt"), ws.root.join("dangling")).unwrap();
    ws.write("inside.txt", "in\n");
    // A move whose destination goes through a link out of the root.
    assert_refused(
        &ws,
        "*** Begin Patch\n*** Update File: inside.txt\n*** Move to: link/moved.txt\n@@\n-in\n+out\n*** End Patch",
    );
    // Deleting through a link would delete the outside file.
    assert_refused(&ws, "*** Begin Patch\n*** Delete File: secret-link\n*** End Patch");
    // Adding through a link to a file that does not exist yet.
    let before = ws.snapshot();
    assert!(ws.apply("*** Begin Patch\n*** Add File: dangling\n+x\n*** End Patch").is_err());
    assert_eq!(ws.snapshot(), before);
    assert!(std::fs::read_dir(&outside_dir).unwrap().next().is_none());
    assert_eq!(ws.read("inside.txt").unwrap(), "in\n");
    assert_eq!(std::fs::read_to_string(&ws.outside).unwrap(), "secret\n");
}

#[test]
fn malformed_patches_report_the_line() {
    let ws = Workspace::new();
    let error = ws
        .apply("*** Begin Patch\n*** Add File: a.txt\n+a\n*** Rename File: b\n*** End Patch")
        .unwrap_err();
    match error {
        ApplyPatchError::Parse { line, ref message } => {
            assert_eq!(line, 4);
            assert!(message.contains("*** Rename File: b"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(error.to_string().starts_with("invalid patch at line 4:"), "{error}");
    assert_eq!(ws.read("a.txt"), None);
}

#[test]
fn protected_directories_at_the_top_of_a_root_are_refused() {
    let ws = Workspace::new();
    ws.write(".git/config", "[core]\n");
    ws.write("sub/.git/config", "nested\n");
    let before = ws.snapshot();
    for patch in [
        "*** Begin Patch\n*** Update File: .git/config\n-[core]\n+[evil]\n*** End Patch",
        "*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+#!/bin/sh\n*** End Patch",
        "*** Begin Patch\n*** Add File: .codex/config.toml\n+x\n*** End Patch",
        "*** Begin Patch\n*** Add File: sub/../.git/x\n+x\n*** End Patch",
    ] {
        let error = ws.apply(patch).unwrap_err();
        assert!(matches!(error, ApplyPatchError::ProtectedDirectory { .. }), "{patch}: {error}");
    }
    assert_eq!(ws.snapshot(), before);
    // Only the top level of a root is protected, as in the sandbox.
    ws.apply("*** Begin Patch\n*** Update File: sub/.git/config\n-nested\n+ok\n*** End Patch")
        .unwrap();
    assert_eq!(ws.read("sub/.git/config").unwrap(), "ok\n");
}
