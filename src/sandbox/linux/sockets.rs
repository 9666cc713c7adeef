//! Path unix sockets of daemons, hidden from confined commands. Landlock (up to the ABI these
//! kernels offer) does not govern `connect(2)` on a path socket, so a command could talk to the
//! Docker daemon, the D-Bus buses, an ssh or gpg agent, systemd or any user daemon, and act
//! through them outside the sandbox. Before each command the parent lists every path socket
//! bound in its network namespace (`/proc/net/unix`) and, for daemons of other namespaces, the
//! sockets where daemons put them (`/run`, the user's runtime dir, the agents' sockets the
//! environment names, `~/.gnupg`); the child binds `/dev/null` over each in its private mount
//! namespace, so `connect` finds no socket there (`ECONNREFUSED`). Left reachable until Landlock
//! can scope them: a socket bound after the command started, one bound by a relative name, and
//! one of another network namespace outside the usual places.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// How deep below each place sockets are looked for (`/run/user/1000/gnupg/S.gpg-agent` is 3).
const MAX_DEPTH: usize = 4;

/// Upper bound on sockets masked per command: each is one mount in the child.
const MAX_SOCKETS: usize = 2048;

/// The sockets to hide: those found in the usual places, except under `writable` (the child may
/// replace what lies there anyway, and its own sockets must keep working).
pub(super) fn daemon_sockets(writable: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = bound_sockets(&read_proc_net_unix(), writable);
    for place in places() {
        collect(&place, 0, &mut found);
    }
    found.sort();
    found.dedup();
    found.retain(|s| !writable.iter().any(|w| s.starts_with(w)));
    found.truncate(MAX_SOCKETS);
    found
}

/// `/proc/net/unix`, or nothing when it cannot be read (no `/proc`): the usual places remain.
fn read_proc_net_unix() -> Vec<u8> {
    std::fs::read("/proc/net/unix").unwrap_or_default()
}

/// The path sockets listed in a `/proc/net/unix` table, canonical and checked to be sockets
/// now. The table is not trusted: a socket's name may hold spaces or newlines (a command can
/// bind one to forge lines), so only the last column of a line counts, and only a path that is
/// a socket on disk is kept, so a forged line can hide nothing but a real socket.
fn bound_sockets(table: &[u8], writable: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    // A daemon's socket is listed once per connection to it: look at each path once.
    let mut seen = std::collections::HashSet::new();
    for line in table.split(|b| *b == b'\n').skip(1) {
        let Some(path) = path_column(line) else {
            continue;
        };
        // Abstract names start with `@`; relative ones cannot be placed.
        if !path.starts_with(b"/") || !seen.insert(path) {
            continue;
        }
        let Ok(real) = Path::new(OsStr::from_bytes(path)).canonicalize() else {
            continue;
        };
        if is_socket(&real) && !writable.iter().any(|w| real.starts_with(w)) {
            found.push(real);
        }
    }
    found
}

/// The eighth column of `Num RefCount Protocol Flags Type St Inode Path`: what follows seven
/// fields (the inode is padded with spaces) and one space, to the end of the line.
fn path_column(line: &[u8]) -> Option<&[u8]> {
    let mut rest = line;
    for _ in 0..7 {
        let start = rest.iter().position(|b| *b != b' ')?;
        rest = &rest[start..];
        let end = rest.iter().position(|b| *b == b' ')?;
        rest = &rest[end..];
    }
    rest.strip_prefix(b" ").filter(|p| !p.is_empty())
}

fn is_socket(path: &Path) -> bool {
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_socket())
}

/// Where daemons put their sockets, canonical and each once (`/var/run` is usually a link to
/// `/run`, which would otherwise be walked twice for every command).
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
    let mut places: Vec<PathBuf> = places
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    places.sort();
    places.dedup();
    places
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
    if let Ok(meta) = path.symlink_metadata() {
        collect_kind(path, meta.file_type(), depth, found);
    }
}

/// [`collect`] for a path whose type is known: below a folder, the type comes with each entry
/// of its listing (no `stat` per entry; this runs before every command).
fn collect_kind(path: &Path, kind: std::fs::FileType, depth: usize, found: &mut Vec<PathBuf>) {
    if kind.is_socket() {
        found.push(path.to_path_buf());
    } else if kind.is_dir() && depth < MAX_DEPTH && found.len() < MAX_SOCKETS {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            if let Ok(kind) = entry.file_type() {
                collect_kind(&entry.path(), kind, depth + 1, found);
            }
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
    fn every_bound_path_socket_is_listed_but_not_forged_or_writable_ones() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        let outside = root.join("home/u/.docker.sock");
        let inside = root.join("ws/own.sock");
        std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
        let _a = std::os::unix::net::UnixListener::bind(&outside).unwrap();
        let _b = std::os::unix::net::UnixListener::bind(&inside).unwrap();
        std::fs::write(root.join("plain"), "x").unwrap();
        let table = format!(
            "Num       RefCount Protocol Flags    Type St Inode Path\n\
             0000000000000001: 00000002 00000000 00010000 0001 01  1300 {}\n\
             0000000000000002: 00000002 00000000 00010000 0001 01 27001 {}\n\
             0000000000000003: 00000002 00000000 00010000 0001 01 27002 @abstract\n\
             0000000000000004: 00000002 00000000 00010000 0001 01 27003 {}\n\
             0000000000000005: 00000002 00000000 00010000 0001 01 27004 relative.sock\n\
             0000000000000006: 00000003 00000000 00000000 0001 03 27005\n",
            outside.display(),
            inside.display(),
            root.join("plain").display(),
        );
        let found = bound_sockets(table.as_bytes(), &[root.join("ws")]);
        assert_eq!(found, vec![outside]);
    }

    #[test]
    fn this_process_listener_is_found_in_the_real_table() {
        let d = tempfile::tempdir().unwrap();
        let sock = d.path().canonicalize().unwrap().join("daemon.sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert!(bound_sockets(&read_proc_net_unix(), &[]).contains(&sock));
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
