//! A private temp directory per reins process. Confined children used to write all of `/tmp`,
//! `/var/tmp` and `/dev/shm`, which other programs share: a model could replace a script or a
//! server another tool later runs from there, read or plant files of other sessions, or reach
//! daemons' sockets. Instead each session gets `reins-<pid>-<random>/` under the system temp dir
//! (mode 0700) with one subdirectory per temp dir, and children see those in place of the shared
//! ones (see `WriteLayout`): `echo > /tmp/x` still works, privately.
//!
//! The directory is removed when reins exits normally ([`remove`]); one left by a killed reins is
//! swept by the next start once its process is gone.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The shared temp dirs and the name of the private subdirectory standing in for each.
pub(crate) const SHARED: &[(&str, &str)] = &[
    ("/tmp", "tmp"),
    ("/var/tmp", "var-tmp"),
    ("/dev/shm", "shm"),
];

/// This process's private temp directory, created on first use; `None` if it cannot be.
pub(crate) fn dir() -> Option<&'static Path> {
    DIR.get_or_init(create).as_deref()
}

/// Set once: by the session's background probe (`SandboxPolicy::probe_in_background`), or by
/// the first confined child prepared, whichever comes first.
static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The private stand-in for the shared temp dir `shared` (one of [`SHARED`]).
pub(crate) fn stand_in(shared: &Path) -> Option<PathBuf> {
    let (_, sub) = SHARED.iter().find(|(s, _)| Path::new(s) == shared)?;
    Some(dir()?.join(sub))
}

/// Removes this process's private temp directory and everything in it, if it was made.
pub fn remove() {
    if let Some(Some(dir)) = DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn create() -> Option<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let parent = std::env::temp_dir().canonicalize().ok()?;
    sweep_stale(&parent);
    let prefix = format!("reins-{}-", std::process::id());
    let dir = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(&parent)
        .ok()?
        .keep();
    for (_, sub) in SHARED {
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(dir.join(sub))
            .ok()?;
    }
    Some(dir)
}

/// Removes the private temp dirs of reins processes that are gone.
fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("reins-"))
            .and_then(|rest| rest.split('-').next())
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
