//! Scenario suite for `reins::patch::apply`: each test pins one behaviour of the apply_patch
//! engine against a real temporary workspace. Rejections also check that the tree is left
//! byte-for-byte as it was, since a patch must apply whole or not at all.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use reins::patch::{apply, ChangeKind, FileChange, PatchError};
use reins::sandbox::paths;
use tempfile::TempDir;

/// A temporary workspace with a canonical root, as the tools get it.
struct Workspace {
    _dir: TempDir,
    root: PathBuf,
}

impl Workspace {
    fn with(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        fs::create_dir(&root).unwrap();
        let root = root.canonicalize().unwrap();
        let ws = Workspace { _dir: dir, root };
        for (path, content) in files {
            ws.write(path, content);
        }
        ws
    }

    fn write(&self, path: &str, content: &str) {
        let p = self.root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn exists(&self, path: &str) -> bool {
        self.root.join(path).exists()
    }

    fn apply(&self, patch: &str) -> Result<Vec<FileChange>, PatchError> {
        let root = self.root.clone();
        let handle = reins::sandbox::beneath::Beneath::open(&root).unwrap();
        let resolve = |p: &str| {
            let abs = paths::resolve(&root, p).map_err(|e| e.to_string())?;
            Ok(abs.strip_prefix(&root).unwrap().to_path_buf())
        };
        apply(patch, &resolve, &handle)
    }

    fn applied(&self, patch: &str) -> Vec<FileChange> {
        self.apply(patch)
            .unwrap_or_else(|e| panic!("patch refused: {e}"))
    }

    /// Applies a patch that must be refused, checks the tree did not change, returns the message.
    fn refused(&self, patch: &str) -> String {
        let before = self.snapshot();
        let message = match self.apply(patch) {
            Ok(changes) => panic!("patch applied: {changes:?}"),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            self.snapshot(),
            before,
            "tree changed by a refused patch: {message}"
        );
        message
    }

    /// Every path under the parent of the root (so escapes show up) with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
        let mut out = BTreeMap::new();
        walk(self.root.parent().unwrap(), &mut out);
        out
    }
}

fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.insert(path.clone(), None);
            walk(&path, out);
        } else {
            out.insert(path.clone(), Some(fs::read(&path).unwrap()));
        }
    }
}

fn patch(body: &str) -> String {
    format!("*** Begin Patch\n{body}*** End Patch\n")
}

#[test]
fn add_creates_the_file_and_its_parent_directories() {
    let ws = Workspace::with(&[]);
    let changes = ws.applied(&patch(
        "*** Add File: src/deep/new.rs\n+fn main() {}\n+\n+// end\n",
    ));
    assert_eq!(ws.read("src/deep/new.rs"), "fn main() {}\n\n// end\n");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "src/deep/new.rs");
    assert_eq!(changes[0].kind, ChangeKind::Add);
    assert!(
        changes[0].diff.contains("+++ b/src/deep/new.rs"),
        "{}",
        changes[0].diff
    );
}

#[test]
fn delete_removes_the_file_and_reports_its_old_lines() {
    let ws = Workspace::with(&[("old.txt", "bye\n")]);
    let changes = ws.applied(&patch("*** Delete File: old.txt\n"));
    assert!(!ws.exists("old.txt"));
    assert_eq!(changes[0].kind, ChangeKind::Delete);
    assert!(changes[0].diff.contains("-bye"), "{}", changes[0].diff);
}

#[test]
fn update_applies_several_chunks_in_file_order() {
    let ws = Workspace::with(&[(
        "a.py",
        "def one():\n    return 1\n\ndef two():\n    return 2\n\ndef three():\n    return 3\n",
    )]);
    let changes = ws.applied(&patch(
        "*** Update File: a.py\n@@ def one():\n-    return 1\n+    return 10\n@@ def three():\n def three():\n-    return 3\n+    return 30\n+\n+def four():\n+    return 4\n",
    ));
    assert_eq!(
        ws.read("a.py"),
        "def one():\n    return 10\n\ndef two():\n    return 2\n\ndef three():\n    return 30\n\ndef four():\n    return 4\n"
    );
    assert_eq!(changes[0].kind, ChangeKind::Update { moved_from: None });
    assert!(
        changes[0].diff.contains("+    return 10"),
        "{}",
        changes[0].diff
    );
}

#[test]
fn first_chunk_without_at_at_line_applies() {
    let ws = Workspace::with(&[("a.txt", "x\ny\n")]);
    ws.applied(&patch("*** Update File: a.txt\n x\n-y\n+z\n"));
    assert_eq!(ws.read("a.txt"), "x\nz\n");
}

#[test]
fn move_renames_and_edits_the_file() {
    let ws = Workspace::with(&[("src/lib.rs", "pub fn a() {}\n")]);
    let changes = ws.applied(&patch("*** Update File: src/lib.rs\n*** Move to: src/core.rs\n@@\n-pub fn a() {}\n+pub fn b() {}\n"));
    assert!(!ws.exists("src/lib.rs"));
    assert_eq!(ws.read("src/core.rs"), "pub fn b() {}\n");
    assert_eq!(changes[0].path, "src/core.rs");
    assert_eq!(
        changes[0].kind,
        ChangeKind::Update {
            moved_from: Some("src/lib.rs".into())
        }
    );
}

#[test]
fn move_without_chunks_is_a_plain_rename() {
    let ws = Workspace::with(&[("a.txt", "same\n")]);
    ws.applied(&patch("*** Update File: a.txt\n*** Move to: dir/b.txt\n"));
    assert!(!ws.exists("a.txt"));
    assert_eq!(ws.read("dir/b.txt"), "same\n");
}

#[cfg(unix)]
#[test]
fn updated_and_moved_files_keep_their_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::with(&[("run.sh", "echo a\n"), ("go.sh", "echo b\n")]);
    for f in ["run.sh", "go.sh"] {
        fs::set_permissions(ws.root.join(f), fs::Permissions::from_mode(0o750)).unwrap();
    }
    ws.applied(&patch("*** Update File: run.sh\n-echo a\n+echo A\n*** Update File: go.sh\n*** Move to: bin/go.sh\n"));
    let mode = |p: &str| fs::metadata(ws.root.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("run.sh"), 0o750);
    assert_eq!(mode("bin/go.sh"), 0o750);
}

#[test]
fn move_onto_an_existing_file_is_refused() {
    let ws = Workspace::with(&[("a.txt", "a\n"), ("b.txt", "b\n")]);
    let e = ws.refused(&patch(
        "*** Update File: a.txt\n*** Move to: b.txt\n@@\n-a\n+c\n",
    ));
    assert!(
        e.contains("cannot move `a.txt` to `b.txt`: `b.txt` already exists"),
        "{e}"
    );
}

#[test]
fn add_over_an_existing_file_is_refused_and_points_to_update() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let e = ws.refused(&patch("*** Add File: a.txt\n+new\n"));
    assert!(e.contains("already exists"), "{e}");
    assert!(e.contains("*** Update File: a.txt"), "{e}");
}

#[test]
fn pure_addition_chunk_appends_at_the_end_of_the_file() {
    let ws = Workspace::with(&[("a.txt", "one\ntwo")]);
    ws.applied(&patch("*** Update File: a.txt\n@@\n+three\n+four\n"));
    assert_eq!(ws.read("a.txt"), "one\ntwo\nthree\nfour\n");
}

#[test]
fn pure_addition_chunk_with_an_anchor_inserts_after_it() {
    let ws = Workspace::with(&[("a.rs", "use a;\n\nfn main() {}\n")]);
    ws.applied(&patch("*** Update File: a.rs\n@@ use a;\n+use b;\n"));
    assert_eq!(ws.read("a.rs"), "use a;\nuse b;\n\nfn main() {}\n");
}

#[test]
fn end_of_file_marker_anchors_the_chunk_at_the_end() {
    let ws = Workspace::with(&[("a.txt", "}\nmid\n}\n")]);
    ws.applied(&patch(
        "*** Update File: a.txt\n@@\n-}\n+} // end\n*** End of File\n",
    ));
    assert_eq!(ws.read("a.txt"), "}\nmid\n} // end\n");
}

#[test]
fn whitespace_padded_markers_are_accepted() {
    let ws = Workspace::with(&[("a.txt", "x\n"), ("b.txt", "b\n")]);
    ws.applied("  *** Begin Patch  \n   *** Update File:   a.txt  \n@@  \n-x\n+y\n*** End of File   \n  *** Delete File: b.txt \n *** End Patch \n");
    assert_eq!(ws.read("a.txt"), "y\n");
    assert!(!ws.exists("b.txt"));
}

#[test]
fn context_differing_only_in_trailing_or_surrounding_whitespace_matches() {
    let ws = Workspace::with(&[("a.rs", "fn f() {  \n        let x = 1;\n}\n")]);
    ws.applied(&patch(
        "*** Update File: a.rs\n@@\n fn f() {\n-    let x = 1;\n+    let x = 2;\n }\n",
    ));
    assert_eq!(ws.read("a.rs"), "fn f() {  \n    let x = 2;\n}\n");
}

#[test]
fn unicode_lookalike_context_matches_the_ascii_file() {
    let ws = Workspace::with(&[("a.py", "# a - b\nprint(\"it's\")\nx = 1\n")]);
    ws.applied(&patch(
        "*** Update File: a.py\n@@\n # a \u{2013} b\n print(\u{201c}it\u{2019}s\u{201d})\n-x\u{a0}= 1\n+x = 2\n",
    ));
    assert_eq!(ws.read("a.py"), "# a - b\nprint(\"it's\")\nx = 2\n");
}

#[test]
fn heredoc_wrapped_patch_applies() {
    let ws = Workspace::with(&[("a.txt", "x\n")]);
    ws.applied("apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: a.txt\n@@\n-x\n+y\n*** End Patch\nEOF\n");
    assert_eq!(ws.read("a.txt"), "y\n");
    ws.applied("<<EOF\n*** Begin Patch\n*** Update File: a.txt\n@@\n-y\n+z\n*** End Patch\nEOF");
    assert_eq!(ws.read("a.txt"), "z\n");
}

#[test]
fn crlf_file_keeps_its_line_endings() {
    let ws = Workspace::with(&[("w.txt", "one\r\ntwo\r\nthree\r\n")]);
    ws.applied(&patch(
        "*** Update File: w.txt\n@@\n one\n-two\n+TWO\n+2.5\n",
    ));
    assert_eq!(ws.read("w.txt"), "one\r\nTWO\r\n2.5\r\nthree\r\n");
}

#[test]
fn crlf_patch_text_applies_to_an_lf_file() {
    let ws = Workspace::with(&[("a.txt", "one\ntwo\n")]);
    ws.applied("*** Begin Patch\r\n*** Update File: a.txt\r\n@@\r\n one\r\n-two\r\n+2\r\n*** End Patch\r\n");
    assert_eq!(ws.read("a.txt"), "one\n2\n");
}

#[test]
fn file_without_final_newline_gets_one_when_updated() {
    let ws = Workspace::with(&[("a.txt", "a\nb")]);
    ws.applied(&patch("*** Update File: a.txt\n@@\n-a\n+A\n"));
    assert_eq!(ws.read("a.txt"), "A\nb\n");
}

#[test]
fn sections_see_the_effect_of_earlier_sections() {
    let ws = Workspace::with(&[("old.txt", "old\n")]);
    let changes = ws.applied(&patch(
        "*** Add File: n.txt\n+one\n*** Update File: n.txt\n@@\n-one\n+two\n*** Delete File: old.txt\n*** Add File: old.txt\n+fresh\n",
    ));
    assert_eq!(ws.read("n.txt"), "two\n");
    assert_eq!(ws.read("old.txt"), "fresh\n");
    let kinds: Vec<_> = changes
        .iter()
        .map(|c| (c.path.as_str(), c.kind.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("n.txt", ChangeKind::Add),
            ("n.txt", ChangeKind::Update { moved_from: None }),
            ("old.txt", ChangeKind::Delete),
            ("old.txt", ChangeKind::Add),
        ]
    );
}

#[test]
fn many_chunks_on_a_large_file_apply_in_order() {
    let original: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    let ws = Workspace::with(&[("big.txt", &original)]);
    let mut body = String::from("*** Update File: big.txt\n");
    for k in 0..50 {
        let i = k * 400 + 7;
        body.push_str(&format!(
            "@@\n line {}\n-line {i}\n+changed {i}\n line {}\n",
            i - 1,
            i + 1
        ));
    }
    ws.applied(&patch(&body));
    let got = ws.read("big.txt");
    assert_eq!(got.lines().count(), 20_000);
    assert_eq!(got.lines().nth(407), Some("changed 407"));
    assert_eq!(got.lines().nth(408), Some("line 408"));
}

#[test]
fn absolute_and_dotted_paths_inside_the_workspace_name_the_same_file() {
    let ws = Workspace::with(&[("src/a.txt", "a\n")]);
    let absolute = ws.root.join("src/a.txt");
    let changes = ws.applied(&patch(&format!(
        "*** Update File: {}\n@@\n-a\n+b\n*** Update File: ./src/a.txt\n@@\n-b\n+c\n",
        absolute.display()
    )));
    assert_eq!(ws.read("src/a.txt"), "c\n");
    assert_eq!(changes[0].path, "src/a.txt");
    assert_eq!(changes[1].path, "src/a.txt");
}

// ---- rejections: each leaves the tree byte-identical ----

#[test]
fn update_of_a_missing_file_is_refused() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let e = ws.refused(&patch("*** Update File: nope.txt\n@@\n-a\n+b\n"));
    assert!(
        e.contains("cannot update `nope.txt`: the file does not exist"),
        "{e}"
    );
    assert!(e.contains("*** Add File: nope.txt"), "{e}");
}

#[test]
fn delete_of_a_missing_file_is_refused() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let e = ws.refused(&patch("*** Delete File: gone.txt\n"));
    assert!(
        e.contains("cannot delete `gone.txt`: the file does not exist"),
        "{e}"
    );
}

#[test]
fn delete_of_a_directory_is_refused() {
    let ws = Workspace::with(&[("dir/a.txt", "a\n")]);
    let e = ws.refused(&patch("*** Delete File: dir\n"));
    assert!(e.contains("cannot delete `dir`: it is a directory"), "{e}");
}

#[test]
fn missing_context_names_file_chunk_and_closest_lines() {
    let ws = Workspace::with(&[(
        "src/a.rs",
        "fn a() {}\n\nfn f() {\n    let x = 2;\n    x\n}\n",
    )]);
    let e = ws.refused(&patch(
        "*** Update File: src/a.rs\n@@\n-fn a() {}\n+fn a() { }\n@@\n fn f() {\n-    let x = 1;\n+    let x = 3;\n     x\n",
    ));
    assert!(e.contains("cannot update `src/a.rs`: chunk 2"), "{e}");
    assert!(e.contains("`fn f() {` / `    let x = 1;`"), "{e}");
    assert!(e.contains("     4 |     let x = 2;"), "{e}");
    assert!(
        e.contains("the chunk has `    let x = 1;` where line 4 of the file is `    let x = 2;`"),
        "{e}"
    );
    assert!(e.contains("Read the file again"), "{e}");
}

#[test]
fn ambiguous_context_is_refused_naming_both_places() {
    let ws = Workspace::with(&[(
        "a.rs",
        "fn a() {\n    todo!()\n}\nfn b() {\n    todo!()\n}\n",
    )]);
    let e = ws.refused(&patch("*** Update File: a.rs\n@@\n-    todo!()\n+    1\n"));
    assert!(e.contains("chunk 1"), "{e}");
    assert!(e.contains("at lines 2 and 5"), "{e}");
    assert!(e.contains("@@ <line>"), "{e}");
}

#[test]
fn missing_anchor_line_is_refused() {
    let ws = Workspace::with(&[("a.rs", "fn a() {}\n")]);
    let e = ws.refused(&patch(
        "*** Update File: a.rs\n@@ fn zzz()\n-fn a() {}\n+fn b() {}\n",
    ));
    assert!(e.contains("`@@ fn zzz()`"), "{e}");
}

#[test]
fn unknown_file_header_is_refused() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let e = ws.refused(&patch("*** Rename File: a.txt\n"));
    assert!(e.contains("unknown header `*** Rename File: a.txt`"), "{e}");
}

#[test]
fn chunk_line_without_prefix_is_refused() {
    let ws = Workspace::with(&[("a.txt", "a\nb\n")]);
    let e = ws.refused(&patch("*** Update File: a.txt\n@@\n a\nb\n"));
    assert!(e.contains("chunk 1 of `*** Update File: a.txt`"), "{e}");
    assert!(e.contains("`b` has no prefix"), "{e}");
}

#[test]
fn empty_patch_is_refused() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let e = ws.refused("*** Begin Patch\n*** End Patch\n");
    assert!(e.contains("the patch is empty"), "{e}");
    assert!(ws.refused("").contains("the patch is empty"));
}

#[test]
fn truncated_patch_is_refused() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let e = ws.refused("*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+b\n");
    assert!(e.contains("must end with `*** End Patch`"), "{e}");
}

#[test]
fn failing_chunk_in_a_later_file_leaves_earlier_files_untouched() {
    let ws = Workspace::with(&[("first.txt", "one\n"), ("second.txt", "two\n")]);
    let e = ws.refused(&patch(
        "*** Update File: first.txt\n@@\n-one\n+ONE\n*** Add File: third.txt\n+3\n*** Update File: second.txt\n@@\n-missing\n+x\n",
    ));
    assert!(e.contains("cannot update `second.txt`"), "{e}");
    assert!(!ws.exists("third.txt"));
}

#[test]
fn write_failure_midway_restores_the_files_already_written() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let before = ws.snapshot();
    // `x` is written as a file, so creating `x/y` under it fails at write time.
    let result = ws.apply(&patch(
        "*** Update File: a.txt\n@@\n-a\n+b\n*** Add File: x\n+1\n*** Add File: x/y\n+2\n",
    ));
    let e = result.map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("cannot write `x/y`"), "{e}");
    assert!(e.contains("restored"), "{e}");
    assert_eq!(ws.snapshot(), before);
}

#[test]
fn paths_outside_the_workspace_are_refused() {
    let ws = Workspace::with(&[("a.txt", "a\n")]);
    let e = ws.refused(&patch("*** Add File: ../escape.txt\n+x\n"));
    assert!(e.contains("cannot use the path `../escape.txt`"), "{e}");
    assert!(e.contains("outside the workspace"), "{e}");
    let e = ws.refused(&patch(
        "*** Update File: a.txt\n*** Move to: ../../moved.txt\n",
    ));
    assert!(e.contains("outside the workspace"), "{e}");
    let e = ws.refused(&patch("*** Delete File: /etc/hostname\n"));
    assert!(e.contains("outside the workspace"), "{e}");
}

#[cfg(unix)]
#[test]
fn symlink_pointing_outside_the_workspace_is_refused() {
    let ws = Workspace::with(&[]);
    let outside = ws.root.parent().unwrap().join("outside");
    fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, ws.root.join("link")).unwrap();
    let e = ws.refused(&patch("*** Add File: link/x.txt\n+x\n"));
    assert!(e.contains("outside the workspace"), "{e}");
}
