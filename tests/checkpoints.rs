//! Workspace checkpoints through the library API: recording, listing, diffing and restoring, in a
//! plain directory and in a git repository whose own state must stay untouched.

use reins::store::session_changes::{diff_command, undo_command};
use reins::store::{
    collect_garbage, CheckpointError, CheckpointStore, GcOutcome, RestoreKind, Retention,
};
use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// What is on disk at one path, compared in full.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File { content: Vec<u8>, mode: u32 },
    Link(PathBuf),
}

/// Every directory, file (content and permission bits) and symlink under `root`, `.git` aside.
fn disk_state(root: &Path) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    collect(root, root, &mut out);
    out
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Node>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == ".git" {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            out.insert(rel, Node::Link(std::fs::read_link(&path).unwrap()));
        } else if meta.is_dir() {
            out.insert(rel, Node::Dir);
            collect(root, &path, out);
        } else {
            let content = std::fs::read(&path).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            out.insert(rel, Node::File { content, mode });
        }
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn chmod(root: &Path, rel: &str, mode: u32) {
    std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A workspace with nested directories, an executable, a symlink, a hidden directory and
/// ignored files.
fn populate(root: &Path) {
    write(root, "README.md", "# demo\n");
    write(root, "src/lib.rs", "pub fn a() {}\n");
    write(root, "src/deep/nested/mod.rs", "mod x;\n");
    write(root, "run.sh", "#!/bin/sh\necho hi\n");
    chmod(root, "run.sh", 0o755);
    symlink("README.md", root.join("readme-link")).unwrap();
    write(root, ".config/settings.toml", "a = 1\n");
    write(root, ".gitignore", "*.log\nbuild/\n");
    write(root, "app.log", "log line 1\n");
    write(root, "build/out.bin", "\x00\x01binary");
}

/// Every kind of change: edit, delete (emptying directories), rename, exec bit both ways,
/// symlink retarget, file replaced by a directory, new nested files; ignored files edited too.
fn mutate(root: &Path) {
    write(root, "README.md", "# demo, edited\n");
    std::fs::remove_file(root.join("src/deep/nested/mod.rs")).unwrap();
    std::fs::rename(root.join("src/lib.rs"), root.join("src/main.rs")).unwrap();
    chmod(root, "run.sh", 0o644);
    chmod(root, ".config/settings.toml", 0o755);
    std::fs::remove_file(root.join("readme-link")).unwrap();
    symlink("src/main.rs", root.join("readme-link")).unwrap();
    write(root, "new/dir/file.txt", "created\n");
    write(root, "app.log", "log line 1\nlog line 2\n");
    write(root, "build/extra.o", "obj");
}

fn ignored_now(root: &Path) -> [(String, Node); 3] {
    let s = disk_state(root);
    ["app.log", "build/out.bin", "build/extra.o"].map(|p| (p.to_string(), s[p].clone()))
}

#[test]
fn restore_is_byte_identical_in_a_plain_directory() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    populate(root);
    let before = disk_state(root);
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    let first = store.checkpoint("s1", 1, "write_file README.md").unwrap();
    assert!(first.files_changed.is_empty());

    mutate(root);
    let second = store.checkpoint("s1", 2, "shell: make").unwrap();
    let mut expected_changes = vec![
        ".config/settings.toml",
        "README.md",
        "new/dir/file.txt",
        "readme-link",
        "run.sh",
        "src/deep/nested/mod.rs",
        "src/lib.rs",
        "src/main.rs",
    ];
    expected_changes.sort();
    assert_eq!(second.files_changed, expected_changes);

    let report = store.restore("s1", &first).unwrap();
    let mut expected = before.clone();
    expected.extend(ignored_now(root));
    assert_eq!(disk_state(root), expected, "restored tree differs");
    assert!(
        !root.join("new").exists(),
        "emptied directories are removed"
    );
    let kind = |p: &str| report.paths.iter().find(|r| r.path == p).map(|r| r.kind);
    assert_eq!(kind("src/lib.rs"), Some(RestoreKind::Recreated));
    assert_eq!(kind("src/main.rs"), Some(RestoreKind::Removed));
    assert_eq!(kind("README.md"), Some(RestoreKind::Reverted));
    assert_eq!(kind("run.sh"), Some(RestoreKind::Reverted));
    assert_eq!(kind("app.log"), None, "ignored files are never touched");
    assert_eq!(report.saved.label, "before undo");
    assert_eq!(report.saved.step, 3);
}

#[test]
fn file_and_directory_swap_places_and_back() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "thing", "a file\n");
    write(root, "dir/inner.txt", "inside\n");
    let before = disk_state(root);
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    let first = store.checkpoint("s", 1, "x").unwrap();
    std::fs::remove_file(root.join("thing")).unwrap();
    write(root, "thing/now/a/dir.txt", "d\n");
    std::fs::remove_dir_all(root.join("dir")).unwrap();
    write(root, "dir", "now a file\n");
    store.restore("s", &first).unwrap();
    assert_eq!(disk_state(root), before);
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Everything of the user's repository that checkpoints must not change.
fn git_state(dir: &Path) -> Vec<String> {
    [
        &["status", "--porcelain", "--untracked-files=all"][..],
        &["rev-parse", "HEAD"],
        &["branch", "--list", "-v"],
        &["stash", "list"],
        &["ls-files", "--stage"],
        &["for-each-ref"],
    ]
    .iter()
    .map(|args| git(dir, args))
    .collect()
}

#[test]
fn restore_in_a_git_repository_leaves_its_index_head_and_branches_alone() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    populate(root);
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    write(root, "forced.log", "tracked although ignored\n");
    git(root, &["add", "-f", "forced.log"]);
    git(root, &["commit", "-q", "-m", "init"]);
    git(root, &["branch", "feature"]);
    write(root, "README.md", "# demo, staged\n");
    git(root, &["add", "README.md"]);
    write(root, "untracked.txt", "not added\n");
    write(root, "src/lib.rs", "pub fn a() { /* unstaged */ }\n");
    let repo_before = git_state(root);
    let before = disk_state(root);

    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    let first = store.checkpoint("g", 1, "edit").unwrap();
    mutate(root);
    write(root, "forced.log", "changed\n");
    std::fs::remove_file(root.join("untracked.txt")).unwrap();
    let second = store.checkpoint("g", 2, "edit").unwrap();
    assert!(second.files_changed.contains(&"forced.log".to_string()));
    assert!(second.files_changed.contains(&"untracked.txt".to_string()));
    store.restore("g", &first).unwrap();

    let mut expected = before;
    expected.extend(ignored_now(root));
    assert_eq!(disk_state(root), expected);
    assert_eq!(git_state(root), repo_before);
    assert!(!git(root, &["for-each-ref"]).contains("reins"));
}

#[test]
fn undo_walks_back_step_by_step_and_can_itself_be_undone() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let (h, root) = (home.path(), ws.path());
    write(root, "a.txt", "0\n");
    let s0 = disk_state(root);
    let mut store = CheckpointStore::open(h, root).unwrap();
    store.checkpoint("run", 1, "write_file a.txt").unwrap();
    write(root, "a.txt", "1\n");
    let s1 = disk_state(root);
    store.checkpoint("run", 2, "shell: cargo test").unwrap(); // changes nothing
    store.checkpoint("run", 3, "write_file b.txt").unwrap();
    write(root, "b.txt", "new\n");
    let s3 = disk_state(root);
    drop(store);

    let out = undo_command(h, root, None, None).unwrap();
    assert_eq!(disk_state(root), s1, "{out}");
    assert!(out.contains("before step 3"), "{out}");
    assert!(out.contains("removed    b.txt"), "{out}");
    assert!(out.contains("undo point 4"), "{out}");

    // Step 2 left the workspace as step 3 found it, so the next undo goes to step 1.
    let out = undo_command(h, root, None, None).unwrap();
    assert_eq!(disk_state(root), s0, "{out}");
    assert!(out.contains("before step 1"), "{out}");

    let err = undo_command(h, root, None, None).unwrap_err();
    assert!(matches!(err, CheckpointError::NothingToUndo(_)), "{err}");
    assert!(err.to_string().contains("--to 5"), "{err}");

    // Undo the first undo: back to the state after the session's last step.
    let out = undo_command(h, root, Some("run"), Some(4)).unwrap();
    assert_eq!(disk_state(root), s3, "{out}");
    assert!(out.contains("undo point 4"), "{out}");
    // And from there, plain undo takes back the last step again.
    undo_command(h, root, None, None).unwrap();
    assert_eq!(disk_state(root), s1);

    let list = CheckpointStore::open(h, root).unwrap().list("run").unwrap();
    let steps: Vec<(u32, bool)> = list.iter().map(|c| (c.step, c.is_undo_point())).collect();
    assert_eq!(
        steps,
        [
            (1, false),
            (2, false),
            (3, false),
            (4, true),
            (5, true),
            (6, true),
            (7, true)
        ]
    );
}

#[test]
fn undo_to_a_step_and_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let (h, root) = (home.path(), ws.path());
    let err = undo_command(h, root, None, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no session with checkpoints in this workspace; run reins exec first"
    );
    assert!(diff_command(h, root, None).is_err());

    write(root, "f", "v1\n");
    let v1 = disk_state(root);
    let mut store = CheckpointStore::open(h, root).unwrap();
    store.checkpoint("s", 1, "a").unwrap();
    write(root, "f", "v2\n");
    store.checkpoint("s", 3, "b").unwrap();
    store.checkpoint("s", 3, "c").unwrap();
    write(root, "f", "v3\n");
    drop(store);

    let err = undo_command(h, root, None, Some(2))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "no checkpoint before step 2 in session `s`; available steps: 1, 3"
    );
    let err = undo_command(h, root, Some("nope"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no checkpoints for session `nope`"), "{err}");
    assert!(err.contains("sessions here: s"), "{err}");
    let err = undo_command(h, root, Some("../x"), None).unwrap_err();
    assert!(matches!(err, CheckpointError::InvalidSessionId(_)));

    undo_command(h, root, None, Some(1)).unwrap();
    assert_eq!(disk_state(root), v1);
}

#[test]
fn diff_shows_everything_the_session_changed() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let (h, root) = (home.path(), ws.path());
    write(root, "keep.txt", "one\ntwo\nthree\n");
    write(root, "old.txt", "going away\n");
    write(root, "tool.sh", "echo\n");
    let mut store = CheckpointStore::open(h, root).unwrap();
    store.checkpoint("d", 1, "x").unwrap();
    write(root, "keep.txt", "one\nTWO\nthree\n");
    std::fs::remove_file(root.join("old.txt")).unwrap();
    write(root, "sub/new.txt", "hello\n");
    chmod(root, "tool.sh", 0o755);
    store.checkpoint("d", 2, "y").unwrap();
    write(root, "late.txt", "after the last checkpoint\n");
    drop(store);

    let diff = diff_command(h, root, None).unwrap();
    for needle in [
        "diff --git a/keep.txt b/keep.txt",
        "-two\n+TWO\n",
        "diff --git a/old.txt b/old.txt\ndeleted file mode 100644",
        "--- a/old.txt\n+++ /dev/null\n",
        "-going away\n",
        "diff --git a/sub/new.txt b/sub/new.txt\nnew file mode 100644",
        "--- /dev/null\n+++ b/sub/new.txt\n",
        "+hello\n",
        "old mode 100644\nnew mode 100755",
        "+++ b/late.txt",
    ] {
        assert!(diff.contains(needle), "missing {needle:?} in:\n{diff}");
    }
    let mut store = CheckpointStore::open(h, root).unwrap();
    let list = store.list("d").unwrap();
    assert_eq!(list.len(), 2, "diff records no checkpoint");
    assert_eq!(store.diff_session("d").unwrap(), diff);
}

#[test]
fn stat_cache_skips_unchanged_files_and_catches_same_size_edits() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    for i in 0..50 {
        write(
            root,
            &format!("d{}/f{i}.txt", i % 5),
            &format!("content {i:03}\n"),
        );
    }
    // Let the file times fall behind the filesystem clock, as they are for files not just written.
    std::thread::sleep(Duration::from_millis(50));
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    store.checkpoint("c", 1, "first").unwrap();
    assert_eq!(store.last_scan().hashed, 50);

    let cp = store.checkpoint("c", 2, "idle").unwrap();
    assert!(cp.files_changed.is_empty());
    assert_eq!(
        store.last_scan().hashed,
        0,
        "unchanged files are not re-read"
    );
    // A fresh process loads the cache from disk, as the last one saved it when it closed.
    drop(store);
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    store.checkpoint("c", 3, "idle").unwrap();
    assert_eq!(store.last_scan().hashed, 0);

    // Same size, new content, mtime moved (into the past, so the cache may trust it afterwards).
    let f = root.join("d2/f7.txt");
    let past = SystemTime::now() - Duration::from_secs(100);
    std::fs::write(&f, "CONTENT 007\n").unwrap();
    set_mtime(&f, past);
    std::thread::sleep(Duration::from_millis(50));
    let cp = store.checkpoint("c", 4, "edit").unwrap();
    assert_eq!(cp.files_changed, ["d2/f7.txt"]);
    assert_eq!(store.last_scan().hashed, 1);
    store.checkpoint("c", 5, "idle").unwrap();
    assert_eq!(store.last_scan().hashed, 0);

    // Same size and the same mtime put back: the inode change time still gives it away.
    std::fs::write(&f, "c0ntent 007\n").unwrap();
    set_mtime(&f, past);
    let cp = store.checkpoint("c", 6, "edit").unwrap();
    assert_eq!(cp.files_changed, ["d2/f7.txt"]);
}

fn set_mtime(path: &Path, time: SystemTime) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(time).unwrap();
}

#[test]
fn sessions_are_listed_and_the_latest_is_found() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "x", "1\n");
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    assert_eq!(store.latest_session().unwrap(), None);
    store.checkpoint("older", 1, "a").unwrap();
    store.checkpoint("newer", 1, "b").unwrap();
    write(root, "x", "2\n");
    let c = store.checkpoint("older", 2, "multi\nline label").unwrap();
    assert_eq!(c.files_changed, ["x"]);
    assert_eq!(store.latest_session().unwrap().as_deref(), Some("older"));

    let list = store.list("older").unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].step, list[0].label.as_str()), (1, "a"));
    assert_eq!(
        (list[1].step, list[1].label.as_str()),
        (2, "multi line label")
    );
    assert_eq!(list[1], c);
    assert!(list[0].time > 1_600_000_000);
    assert!(store.list("missing").unwrap().is_empty());

    // Another workspace has its own history.
    let other = tempfile::tempdir().unwrap();
    let store2 = CheckpointStore::open(home.path(), other.path()).unwrap();
    assert_eq!(store2.latest_session().unwrap(), None);
}

#[test]
fn a_reins_home_inside_the_workspace_is_not_checkpointed() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "notes.txt", "n\n");
    let home = root.join(".reins");
    let mut store = CheckpointStore::open(&home, root).unwrap();
    store.checkpoint("h", 1, "a").unwrap();
    write(root, "notes.txt", "m\n");
    let cp = store.checkpoint("h", 2, "b").unwrap();
    assert_eq!(cp.files_changed, ["notes.txt"]);
    assert_eq!(store.last_scan().files, 1);
}

#[test]
fn an_ignored_file_in_the_way_is_left_alone_and_reported() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "data.txt", "original\n");
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    let first = store.checkpoint("i", 1, "a").unwrap();
    // The step ignores data.txt and changes it: it is no longer part of the snapshot.
    write(root, ".gitignore", "data.txt\n");
    write(root, "data.txt", "rewritten while ignored\n");
    let report = store.restore("i", &first).unwrap();
    assert!(!root.join(".gitignore").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("data.txt")).unwrap(),
        "rewritten while ignored\n"
    );
    let data = report.paths.iter().find(|p| p.path == "data.txt").unwrap();
    assert_eq!(data.kind, RestoreKind::Skipped);
}

#[test]
fn the_stat_cache_is_written_when_a_turn_ends_and_when_the_store_closes_not_per_step() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "a.txt", "one\n");
    let cache_file = || {
        walk_files(home.path())
            .into_iter()
            .find(|p| p.ends_with("reins-stat-cache"))
            .map(|p| std::fs::read(p).unwrap())
    };
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    store.checkpoint("t", 1, "before step 1").unwrap();
    assert_eq!(cache_file(), None, "not written before a step");
    store
        .checkpoint("t", 1, reins::store::TURN_END_LABEL)
        .unwrap();
    let at_turn_end = cache_file().expect("written at the end of the turn");
    write(root, "b.txt", "two\n");
    store.checkpoint("t", 2, "before step 2").unwrap();
    assert_eq!(cache_file().as_ref(), Some(&at_turn_end));
    drop(store);
    let closed = cache_file().unwrap();
    assert_ne!(closed, at_turn_end, "written when the store closed");
    // The next process starts from it.
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    store.checkpoint("t", 3, "before step 3").unwrap();
    assert_eq!(store.last_scan().files, 2);
}

#[test]
fn a_large_batch_is_packed_and_restores_exactly() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    for i in 0..700 {
        write(
            root,
            &format!("m{}/f{i}.txt", i % 7),
            &format!("file {i}\n"),
        );
    }
    let before = disk_state(root);
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    let first = store.checkpoint("p", 1, "first").unwrap();
    let (loose, packs) = object_files(home.path());
    assert_eq!(
        loose, 0,
        "a large batch is written as packs, not as a file each"
    );
    assert_eq!(
        packs, 2,
        "one pack of contents, one of the trees and the commit"
    );

    for i in 0..700 {
        write(
            root,
            &format!("m{}/f{i}.txt", i % 7),
            &format!("changed {i}\n"),
        );
    }
    write(root, "extra/new.txt", "x\n");
    store.restore("p", &first).unwrap();
    assert_eq!(disk_state(root), before);

    // With the stat cache gone every file is hashed again; objects already stored are not
    // written twice.
    drop(store);
    let cache: Vec<_> = walk_files(home.path())
        .into_iter()
        .filter(|p| p.ends_with("reins-stat-cache"))
        .collect();
    std::fs::remove_file(&cache[0]).unwrap();
    let stored = object_files(home.path());
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    let again = store.checkpoint("p", 2, "again").unwrap();
    assert_eq!(store.last_scan().hashed, 700);
    // Compared with the undo point (the changed state): every file, plus the one restore removed.
    assert_eq!(again.files_changed.len(), 701);
    assert_eq!(
        object_files(home.path()),
        (stored.0 + 1, stored.1),
        "only the new commit was written: no pack of contents or trees already stored"
    );
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The one shadow repository under `home`.
fn shadow_repo(home: &Path) -> PathBuf {
    let root = home.join("checkpoints");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.remove(0)
}

/// `git fsck` of the shadow repository: every kept ref reaches only objects that exist.
fn fsck(shadow: &Path) {
    let out = Command::new("git")
        .args(["fsck", "--full", "--no-dangling"])
        .current_dir(shadow)
        .output()
        .unwrap();
    assert!(out.status.success(), "git fsck: {out:?}");
}

fn loose_objects(shadow: &Path) -> usize {
    std::fs::read_dir(shadow.join("objects"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().len() == 2)
        .map(|e| std::fs::read_dir(e.path()).unwrap().count())
        .sum()
}

/// Five sessions, each replacing a large file with its own content and then changing it.
fn five_sessions(home: &Path, root: &Path) {
    let mut store = CheckpointStore::open(home, root).unwrap();
    for s in 0..5 {
        let body: String = (0..20_000).map(|i| format!("{s}:{i}\n")).collect();
        write_settled(root, "data.txt", &body);
        store.checkpoint(&format!("s{s}"), 1, "write").unwrap();
        write_settled(root, "data.txt", &format!("{body}more\n"));
        store.checkpoint(&format!("s{s}"), 2, "edit").unwrap();
    }
}

/// Writes a file the stat cache will trust at once: a file whose mtime or ctime falls in the
/// clock tick a scan starts in is hashed again next time ("racily clean"), and whether the
/// checkpoint lands in that tick would otherwise depend on the machine's load. The mtime is
/// dated back; the ctime cannot be, so this waits until the file system's clock has moved past
/// it (a probe file's mtime is that clock).
fn write_settled(root: &Path, rel: &str, text: &str) {
    use std::os::unix::fs::MetadataExt;
    write(root, rel, text);
    let path = root.join(rel);
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(past))
        .unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    let changed = (meta.ctime(), meta.ctime_nsec());
    let mut probe = tempfile::NamedTempFile::new_in(root.parent().unwrap()).unwrap();
    loop {
        std::io::Write::write_all(&mut probe, b"x").unwrap();
        let now = probe.as_file().metadata().unwrap();
        if (now.mtime(), now.mtime_nsec()) > changed {
            break;
        }
        std::thread::yield_now();
    }
}

fn collected(reports: &[reins::store::StoreReport]) -> (Vec<String>, usize, u64, u64) {
    assert_eq!(reports.len(), 1, "{reports:?}");
    match &reports[0].outcome {
        GcOutcome::Collected {
            removed,
            kept,
            bytes_before,
            bytes_after,
        } => (removed.clone(), *kept, *bytes_before, *bytes_after),
        other => panic!("not collected: {other:?}"),
    }
}

#[test]
fn gc_keeps_the_last_sessions_whole_and_reclaims_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    five_sessions(home.path(), root);
    let shadow = shadow_repo(home.path());
    let keep = Retention {
        keep_sessions: 2,
        keep_days: 30,
    };

    let dry = collect_garbage(home.path(), keep, true).unwrap();
    let (removed, kept, before, after) = collected(&dry);
    assert_eq!(
        (removed, kept),
        (vec!["s2".into(), "s1".into(), "s0".into()], 2)
    );
    assert_eq!(before, after, "a dry run removes nothing");

    let (removed, kept, before, after) =
        collected(&collect_garbage(home.path(), keep, false).unwrap());
    assert_eq!((removed.len(), kept), (3, 2));
    assert!(after * 3 < before * 2, "{before} -> {after}");
    assert_eq!(loose_objects(&shadow), 0, "everything kept is packed");
    fsck(&shadow);

    let store = CheckpointStore::open(home.path(), root).unwrap();
    assert_eq!(store.sessions().unwrap(), ["s4", "s3"]);
    drop(store);
    // The kept sessions still diff and undo.
    let diff = diff_command(home.path(), root, Some("s3")).unwrap();
    assert!(diff.contains("+more"), "{diff}");
    undo_command(home.path(), root, Some("s4"), Some(1)).unwrap();
    let data = std::fs::read_to_string(root.join("data.txt")).unwrap();
    assert!(data.starts_with("4:0\n") && !data.contains("more"));
    let err = diff_command(home.path(), root, Some("s0")).unwrap_err();
    assert!(
        matches!(err, CheckpointError::UnknownSession { .. }),
        "{err}"
    );
}

#[test]
fn gc_by_age_can_remove_every_session_and_the_next_checkpoint_is_still_whole() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    five_sessions(home.path(), root);
    let no_age = Retention {
        keep_sessions: 50,
        keep_days: 0,
    };
    let (removed, kept, _, _) = collected(&collect_garbage(home.path(), no_age, false).unwrap());
    assert_eq!((removed.len(), kept), (5, 0));
    // The stat cache still vouches for the files: their blobs were kept for it.
    let mut store = CheckpointStore::open(home.path(), root).unwrap();
    write(root, "other.txt", "new\n");
    let first = store.checkpoint("next", 1, "write").unwrap();
    assert_eq!(
        store.last_scan().hashed,
        1,
        "data.txt came from the stat cache"
    );
    write(root, "data.txt", "changed\n");
    store.checkpoint("next", 2, "write").unwrap();
    store.restore("next", &first).unwrap();
    let data = std::fs::read_to_string(root.join("data.txt")).unwrap();
    assert!(data.starts_with("4:0\n") && data.ends_with("more\n"));
    drop(store);
    fsck(&shadow_repo(home.path()));
}

#[test]
fn gc_leaves_a_store_that_a_running_session_has_open_alone() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    five_sessions(home.path(), root);
    let running = CheckpointStore::open(home.path(), root).unwrap();
    let everything = Retention {
        keep_sessions: 0,
        keep_days: 0,
    };
    let reports = collect_garbage(home.path(), everything, false).unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].outcome, GcOutcome::InUse);
    assert_eq!(running.sessions().unwrap().len(), 5, "nothing removed");
    drop(running);
    let (removed, _, _, _) = collected(&collect_garbage(home.path(), everything, false).unwrap());
    assert_eq!(removed.len(), 5);
}

#[test]
fn checkpoints_gc_through_the_binary_follows_the_config_and_sessions_shows_the_size() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    five_sessions(home.path(), ws.path());
    std::fs::write(
        home.path().join("config.toml"),
        "[checkpoints]\nkeep_sessions = 1\n",
    )
    .unwrap();
    let reins = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("reins")
            .unwrap()
            .env("REINS_HOME", home.path())
            .args(args)
            .arg("-C")
            .arg(ws.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = reins(&["sessions"]);
    assert!(
        listed.contains("checkpoints: ") && listed.contains("for this workspace"),
        "{listed}"
    );
    let out = reins(&["checkpoints", "gc", "--dry-run"]);
    assert!(out.contains("would remove 4 sessions, kept 1"), "{out}");
    let out = reins(&["checkpoints", "gc", "--keep-days", "30"]);
    assert!(
        out.contains("Keeping the last 1 sessions per workspace, none older than 30 days"),
        "{out}"
    );
    assert!(out.contains("removed 4 sessions, kept 1"), "{out}");
    let store = CheckpointStore::open(home.path(), ws.path()).unwrap();
    assert_eq!(store.sessions().unwrap(), ["s4"]);
}

/// A store whose session `s` took its turn's first checkpoint, of `a.txt` holding `text`.
fn turn_started(text: &str) -> (tempfile::TempDir, tempfile::TempDir, CheckpointStore) {
    let (home, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write(dir.path(), "a.txt", text);
    let mut store = CheckpointStore::open(home.path(), dir.path()).unwrap();
    store.checkpoint("s", 1, "first").unwrap();
    (home, dir, store)
}

/// What another process sees of a session's checkpoints: the ref on disk.
fn seen_from_outside(home: &Path, root: &Path, session: &str) -> Vec<String> {
    let outside = CheckpointStore::open(home, root).unwrap();
    outside
        .list(session)
        .unwrap()
        .into_iter()
        .map(|c| c.label)
        .collect()
}

#[test]
fn a_turns_later_checkpoints_reach_the_ref_when_the_turn_ends() {
    let (home, dir, mut store) = turn_started("1");
    let root = dir.path();
    write(root, "a.txt", "2");
    store.checkpoint("s", 2, "second").unwrap();
    write(root, "a.txt", "3");
    store.checkpoint("s", 3, "third").unwrap();
    // In the store, every checkpoint; on disk, the turn's first one until the turn ends.
    assert_eq!(store.list("s").unwrap().len(), 3);
    assert_eq!(seen_from_outside(home.path(), root, "s"), ["first"]);
    store
        .checkpoint("s", 3, reins::store::TURN_END_LABEL)
        .unwrap();
    assert_eq!(
        seen_from_outside(home.path(), root, "s"),
        ["first", "second", "third", reins::store::TURN_END_LABEL]
    );
    // The next turn starts over: its first checkpoint is written at once.
    write(root, "a.txt", "4");
    store.checkpoint("s", 4, "next turn").unwrap();
    assert_eq!(seen_from_outside(home.path(), root, "s").len(), 5);
    drop(store);
    // The turn's steps were staged in memory: their objects reached disk with the turn's end.
    restore_from_outside(home.path(), root, "second");
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "2");
}

/// Restores the checkpoint labelled `label` from a store opened afresh (another process's view).
fn restore_from_outside(home: &Path, root: &Path, label: &str) {
    let mut outside = CheckpointStore::open(home, root).unwrap();
    let target = outside
        .list("s")
        .unwrap()
        .into_iter()
        .find(|c| c.label == label)
        .unwrap();
    outside.restore("s", &target).unwrap();
}

#[test]
fn a_store_closed_mid_turn_writes_what_it_held() {
    let (home, dir, mut store) = turn_started("1");
    let root = dir.path();
    write(root, "a.txt", "2");
    store.checkpoint("s", 2, "second").unwrap();
    drop(store);
    assert_eq!(
        seen_from_outside(home.path(), root, "s"),
        ["first", "second"]
    );
    write(root, "a.txt", "later");
    restore_from_outside(home.path(), root, "second");
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "2");
}

/// A turn of many steps writes its staged objects as one pack, not a file per object.
#[test]
fn a_turns_steps_reach_disk_as_one_pack() {
    let (home, dir, mut store) = turn_started("0");
    let root = dir.path();
    let before = object_files(home.path());
    for step in 2..12 {
        write(root, "a.txt", &step.to_string());
        store.checkpoint("s", step, "step").unwrap();
    }
    assert_eq!(
        object_files(home.path()),
        before,
        "a step wrote to disk mid-turn"
    );
    store
        .checkpoint("s", 12, reins::store::TURN_END_LABEL)
        .unwrap();
    let (loose, packs) = object_files(home.path());
    assert_eq!(packs, before.1 + 1);
    assert!(
        loose <= before.0 + 3,
        "the turn's end wrote {} loose objects",
        loose - before.0
    );
    assert_eq!(seen_from_outside(home.path(), root, "s").len(), 12);
}

/// A short turn's new objects (a commit per step, a tree, a blob) go out as one pack, two files,
/// rather than a file each; the packs that pile up are merged (see the next test).
#[test]
fn a_short_turn_leaves_one_pack_and_no_loose_objects() {
    let (home, dir, mut store) = turn_started("0");
    let root = dir.path();
    let before = object_files(home.path());
    write(root, "a.txt", "1");
    store.checkpoint("s", 2, "step").unwrap();
    store
        .checkpoint("s", 2, reins::store::TURN_END_LABEL)
        .unwrap();
    assert_eq!(object_files(home.path()), (before.0, before.1 + 1));
    drop(store);
    restore_from_outside(home.path(), root, "step");
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "1");
}

/// Forty turns that each leave a pack: past 32 packs the small ones are merged into one, and
/// every checkpoint, the first turn's steps included, can still be restored by another handle.
#[test]
fn the_packs_of_many_turns_are_merged() {
    let (home, dir, mut store) = turn_started("0");
    let root = dir.path();
    let mut other = None;
    for turn in 0..40u32 {
        if turn == 10 {
            // Another handle that has read the early packs before they are merged away.
            let handle = CheckpointStore::open(home.path(), root).unwrap();
            assert_eq!(handle.list("s").unwrap().len(), 31);
            other = Some(handle);
        }
        store.checkpoint("s", turn * 10 + 2, "turn start").unwrap();
        for f in 0..20 {
            write(root, &format!("t{turn}/f{f}.txt"), &format!("{turn} {f}"));
        }
        store
            .checkpoint("s", turn * 10 + 3, &format!("step {turn}"))
            .unwrap();
        store
            .checkpoint("s", turn * 10 + 3, reins::store::TURN_END_LABEL)
            .unwrap();
    }
    let (_, packs) = object_files(home.path());
    assert!(packs <= 33, "{packs} packs after 40 turns");
    drop(store);
    let mut other = other.unwrap();
    let early = other
        .list("s")
        .unwrap()
        .into_iter()
        .find(|c| c.label == "step 5")
        .unwrap();
    other.restore("s", &early).unwrap();
    assert!(root.join("t5/f19.txt").exists() && !root.join("t6").exists());
    drop(other);
    write(root, "t0/f0.txt", "changed since");
    restore_from_outside(home.path(), root, "step 39");
    assert_eq!(
        std::fs::read_to_string(root.join("t0/f0.txt")).unwrap(),
        "0 0"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("t39/f19.txt")).unwrap(),
        "39 19"
    );
}

/// Loose objects and packs in the one store under `home`.
fn object_files(home: &Path) -> (usize, usize) {
    let (mut loose, mut packs) = (0, 0);
    for path in walk_files(&shadow_repo(home).join("objects")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".pack") {
            packs += 1;
        } else if path.parent().unwrap().file_name().unwrap().len() == 2 {
            loose += 1;
        }
    }
    (loose, packs)
}

/// A process killed mid-turn (no drop runs) keeps the state before its turn: undo can still
/// bring back what the turn's first checkpoint recorded.
#[test]
fn a_session_killed_mid_turn_can_still_undo_to_before_the_turn() {
    let (home, dir, mut store) = turn_started("before the turn");
    let root = dir.path();
    let first = store.list("s").unwrap().remove(0);
    write(root, "a.txt", "step 1");
    store.checkpoint("s", 2, "second").unwrap();
    write(root, "a.txt", "step 2");
    std::mem::forget(store);
    assert_eq!(seen_from_outside(home.path(), root, "s"), ["first"]);
    let mut after = CheckpointStore::open(home.path(), root).unwrap();
    after.restore("s", &first).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "before the turn"
    );
}

/// A held update is written only over the value it was held against: a ref another process
/// moved meanwhile makes the turn's end fail instead of being overwritten.
#[test]
fn a_held_ref_is_not_written_over_a_ref_moved_meanwhile() {
    let (home, dir, mut store) = turn_started("1");
    let root = dir.path();
    store.checkpoint("s", 2, "held").unwrap();
    let mut other = CheckpointStore::open(home.path(), root).unwrap();
    other.checkpoint("s", 9, "from elsewhere").unwrap();
    let refused = store
        .checkpoint("s", 2, reins::store::TURN_END_LABEL)
        .unwrap_err();
    assert!(
        matches!(refused, CheckpointError::RefMoved { .. }),
        "{refused}"
    );
    assert_eq!(
        seen_from_outside(home.path(), root, "s"),
        ["first", "from elsewhere"]
    );
}
