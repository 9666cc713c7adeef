//! The shadow repository: one bare git repository per workspace under
//! `$REINS_HOME/checkpoints/<workspace-key>/`. Keeping checkpoints there, rather than in the
//! workspace's own `.git`, makes them work in directories that are not git repositories and
//! guarantees the user's index, HEAD, branches and stash are never touched.

use super::error::{io_err, CheckpointError};
use git2::{ObjectType, Oid, Repository};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// Records which workspace a shadow repository belongs to, so a key collision or a hand-copied
/// directory is caught instead of mixing two workspaces' histories.
const WORKSPACE_FILE: &str = "workspace";

/// Where the shadow repository of `workspace` (a canonical path) lives.
pub(crate) fn shadow_dir(reins_home: &Path, workspace: &Path) -> Result<PathBuf, CheckpointError> {
    Ok(checkpoints_root(reins_home).join(workspace_key(workspace)?))
}

/// The directory holding every workspace's shadow repository; the scan skips it when the
/// workspace contains `$REINS_HOME` (reins run in the home directory).
pub(crate) fn checkpoints_root(reins_home: &Path) -> PathBuf {
    reins_home.join("checkpoints")
}

/// `<basename>-<16 hex digits of the SHA-1 of the path>`: stable across runs and toolchains
/// (the std hasher is not), and still readable when someone lists the directory.
pub(crate) fn workspace_key(workspace: &Path) -> Result<String, CheckpointError> {
    let hash = Oid::hash_object(ObjectType::Blob, workspace.as_os_str().as_bytes())?;
    let base: String = workspace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hex = hash.to_string();
    if base.is_empty() || base.starts_with('.') {
        Ok(format!("root-{}", &hex[..16]))
    } else {
        Ok(format!("{base}-{}", &hex[..16]))
    }
}

/// The workspace the store at `dir` records; `None` when `dir` is not (yet) a store.
pub(crate) fn recorded_workspace(dir: &Path) -> Option<PathBuf> {
    let recorded = std::fs::read(dir.join(WORKSPACE_FILE)).ok()?;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(&recorded)))
}

/// Opens the shadow repository at `dir`, creating it on first use.
pub(crate) fn open_or_init(dir: &Path, workspace: &Path) -> Result<Repository, CheckpointError> {
    let marker = dir.join(WORKSPACE_FILE);
    match std::fs::read(&marker) {
        Ok(recorded) => {
            if recorded != workspace.as_os_str().as_bytes() {
                return Err(CheckpointError::WorkspaceMismatch {
                    shadow: dir.to_path_buf(),
                    recorded: PathBuf::from(std::ffi::OsStr::from_bytes(&recorded)),
                    workspace: workspace.to_path_buf(),
                });
            }
            Ok(Repository::open_bare(dir)?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => init(dir, workspace),
        Err(e) => Err(io_err("reading", &marker)(e)),
    }
}

/// Settings a user's global git config could otherwise change:
/// - no fsync per object: it would make the first checkpoint of a large tree take seconds;
/// - only a literal `.git` is refused as a name (the scan never enters one): the Windows and
///   macOS look-alike checks would make names such as `git~1` fail a checkpoint;
/// - libgit2 takes its big-file threshold from `pack.deltaCacheSize`: 1 byte means "never
///   delta-compress", which keeps packing a first checkpoint of 10,000 files in the hundreds of
///   milliseconds.
const PINNED_CONFIG: &str = "[core]\n\tfsyncObjectFiles = false\n\tlogAllRefUpdates = false\n\tprotectNTFS = false\n\tprotectHFS = false\n[pack]\n\tdeltaCacheSize = 1\n";

/// What a new store's `config` holds: a bare repository's core settings, then [`PINNED_CONFIG`].
const NEW_CONFIG: &str =
    "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n";

/// Creates the repository private to the user (checkpoints hold copies of workspace files, which
/// may include secrets), and pins the settings a user's global git config could otherwise change.
///
/// The layout is written here rather than by `git init` (libgit2's): a bare repository needs
/// only `HEAD`, `config`, `objects/` (with `pack/`, where large batches go) and `refs/`, while
/// libgit2 also writes a description, hooks and `info/exclude` and rewrites the config through a
/// lock file once per setting. Creating a file is the dearest thing a new session does before
/// its first checkpoint (0.2 to 0.4 ms of CPU each on the ext4 these figures come from), and a
/// workspace's first session makes its store. The workspace marker is written last: a store
/// left half made by a crash has none, and is made again.
fn init(dir: &Path, workspace: &Path) -> Result<Repository, CheckpointError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err("creating", dir))?;
    // `refs/reins`, where the sessions' refs go, is made here (in the background) rather than by
    // the first checkpoint, which waits for its write.
    for sub in ["objects", "objects/pack", "refs", "refs/reins"] {
        let path = dir.join(sub);
        match std::fs::create_dir(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(io_err("creating", &path)(e))
            }
            _ => {}
        }
    }
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(io_err("writing", &path))
    };
    write("HEAD", b"ref: refs/heads/main\n")?;
    write("config", format!("{NEW_CONFIG}{PINNED_CONFIG}").as_bytes())?;
    write(WORKSPACE_FILE, workspace.as_os_str().as_bytes())?;
    Ok(Repository::open_bare(dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_has_the_pinned_settings_and_no_template_files() {
        let (home, ws) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let dir = home.path().join("store");
        let repo = open_or_init(&dir, ws.path()).unwrap();
        let config = repo.config().unwrap().snapshot().unwrap();
        assert!(!config.get_bool("core.fsyncObjectFiles").unwrap());
        assert!(!config.get_bool("core.protectNTFS").unwrap());
        assert_eq!(config.get_i64("pack.deltaCacheSize").unwrap(), 1);
        assert!(!dir.join("hooks").exists());
        assert!(
            dir.join("refs/reins").is_dir(),
            "the sessions' refs have their folder"
        );
        assert!(repo.is_bare());
        // Opened again, it is the same store.
        drop(repo);
        assert!(open_or_init(&dir, ws.path()).is_ok());
    }
}
