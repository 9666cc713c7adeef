//! Path unix sockets of daemons, hidden from confined commands. Landlock (up to the ABI these
//! kernels offer) does not govern `connect(2)` on a path socket, so a command could talk to the
//! Docker daemon, the D-Bus buses, an ssh or gpg agent, or systemd, and act through them outside
//! the sandbox. Before each command the parent lists the sockets where daemons put them (`/run`,
//! the user's runtime dir, the agents' sockets the environment names, `~/.gnupg`); the child
//! binds `/dev/null` over each in its private mount namespace, so `connect` finds no socket
//! there (`ECONNREFUSED`). Sockets elsewhere (a daemon's socket under the home directory, one
//! created after the command started) stay reachable until Landlock can scope them.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// How deep below each place sockets are looked for (`/run/user/1000/gnupg/S.gpg-agent` is 3).
const MAX_DEPTH: usize = 4;

/// Upper bound on sockets masked per command: each is one mount in the child.
const MAX_SOCKETS: usize = 512;

/// The sockets to hide: those found in the usual places, except under `writable` (the child may
/// replace what lies there anyway, and its own sockets must keep working).
pub(super) fn daemon_sockets(writable: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for place in places() {
        collect(&place, 0, &mut found);
    }
    found.sort();
    found.dedup();
    found.retain(|s| !writable.iter().any(|w| s.starts_with(w)));
    found.truncate(MAX_SOCKETS);
    found
}

/// Where daemons put their sockets, canonical (`/var/run` is usually a link to `/run`).
fn places() -> Vec<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let mut places = vec![PathBuf::from("/run"), PathBuf::from("/var/run")];
    places.extend(env("XDG_RUNTIME_DIR").map(PathBuf::from));
    places.extend(env("HOME").map(|h| PathBuf::from(h).join(".gnupg")));
    for agent in ["SSH_AUTH_SOCK", "GPG_AGENT_INFO"] {
        places.extend(env(agent).map(|v| agent_path(&v)));
    }
    places.extend(env("DBUS_SESSION_BUS_ADDRESS").and_then(|a| dbus_path(&a)));
    places.extend(env("DOCKER_HOST").and_then(|h| {
        let h = h.as_bytes().strip_prefix(b"unix://")?.to_vec();
        Some(PathBuf::from(OsStr::from_bytes(&h)))
    }));
    places
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect()
}

/// `GPG_AGENT_INFO` is `PATH:PID:1`; `SSH_AUTH_SOCK` a plain path.
fn agent_path(value: &OsStr) -> PathBuf {
    let bytes = value.as_bytes();
    let path = bytes.split(|b| *b == b':').next().unwrap_or(bytes);
    PathBuf::from(OsStr::from_bytes(path))
}

/// The socket of a D-Bus address such as `unix:path=/run/user/1000/bus,guid=…`.
fn dbus_path(address: &OsStr) -> Option<PathBuf> {
    let text = address.to_str()?;
    text.split(';')
        .filter_map(|a| a.strip_prefix("unix:"))
        .flat_map(|a| a.split(','))
        .find_map(|kv| kv.strip_prefix("path="))
        .map(PathBuf::from)
}

/// Sockets at or below `path` (links not followed, unreadable folders skipped).
fn collect(path: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(meta) = path.symlink_metadata() else {
        return;
    };
    let kind = meta.file_type();
    if kind.is_socket() {
        found.push(path.to_path_buf());
    } else if kind.is_dir() && depth < MAX_DEPTH && found.len() < MAX_SOCKETS {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            collect(&entry.path(), depth + 1, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_found_below_a_place_and_not_under_writable_roots() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        let _l1 = std::os::unix::net::UnixListener::bind(root.join("a/b/s1")).unwrap();
        let _l2 = std::os::unix::net::UnixListener::bind(root.join("s2")).unwrap();
        std::fs::write(root.join("a/plain"), "x").unwrap();
        let mut found = Vec::new();
        collect(&root, 0, &mut found);
        found.sort();
        assert_eq!(found, vec![root.join("a/b/s1"), root.join("s2")]);
    }

    #[test]
    fn addresses_name_their_socket() {
        assert_eq!(
            dbus_path(OsStr::new("unix:path=/run/user/1/bus,guid=ab")),
            Some(PathBuf::from("/run/user/1/bus"))
        );
        assert_eq!(dbus_path(OsStr::new("tcp:host=x")), None);
        assert_eq!(
            agent_path(OsStr::new("/home/u/.gnupg/S.gpg-agent:123:1")),
            PathBuf::from("/home/u/.gnupg/S.gpg-agent")
        );
    }
}
