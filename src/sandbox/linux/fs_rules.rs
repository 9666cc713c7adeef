//! The Landlock rulesets. Landlock is an allow-list whose rights on a directory cover the whole
//! tree beneath it and add up across rules, so "the workspace except `.git`" cannot be said
//! directly. Two rulesets are therefore built:
//!
//! - *open*: every writable root is writable as a whole; the protected paths inside are made
//!   read-only by read-only bind mounts (see [`super::mounts`]);
//! - *carved*: the fallback when no mount namespace can be created. Each writable root that
//!   contains protected paths is granted entry by entry, skipping the protected ones and
//!   recursing along their ancestors. The directories on those paths (e.g. the workspace root)
//!   get no write right of their own, so new entries cannot be created directly in them: that
//!   is the price of never granting a right that would reach into `.git`.
//!
//! Both also scope signals and abstract unix sockets to the sandbox (Landlock ABI 6, Linux 6.12):
//! a child cannot signal reins or any process outside its domain, nor connect to a daemon's
//! abstract socket. On older kernels these scopes are dropped (best effort) and
//! [`super::probe::degraded`] says so.

use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use landlock::{
    Access, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope, ABI,
};

use crate::sandbox::layout::WriteLayout;
use crate::sandbox::SandboxError;

/// The ABI whose rights are handled: every right it defines is enforced or the ruleset is
/// refused (hard requirement), never silently dropped.
const HANDLED_ABI: ABI = ABI::V3;

/// Rights on the writable roots: everything but creating device nodes, which no build needs and
/// which would let a privileged child make a node for the raw disk inside the workspace.
fn writable() -> BitFlags<AccessFs> {
    AccessFs::from_all(HANDLED_ABI) & !(AccessFs::MakeChar | AccessFs::MakeBlock)
}

/// Devices a shell needs to write even in `read-only` (output discarding, terminals).
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

/// One rule to add: an `O_PATH` descriptor and the rights granted beneath it.
struct Grant {
    fd: OwnedFd,
    access: BitFlags<AccessFs>,
}

/// Builds the ruleset for `layout`, carving protected paths out when `carve` is set, and
/// returns its descriptor (close-on-exec, as Landlock creates it).
pub(super) fn ruleset(layout: &WriteLayout, carve: bool) -> Result<OwnedFd, SandboxError> {
    let grants = grants(layout, carve)?;
    let mut created = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(HANDLED_ABI))
        .map(|r| r.set_compatibility(CompatLevel::BestEffort))
        .and_then(|r| r.scope(Scope::Signal | Scope::AbstractUnixSocket))
        .and_then(|r| r.create())
        .map_err(rejected)?;
    for grant in grants {
        created = created
            .add_rule(PathBeneath::new(grant.fd, grant.access))
            .map_err(rejected)?;
    }
    Option::<OwnedFd>::from(created)
        .ok_or_else(|| SandboxError::unavailable("Landlock did not create a ruleset"))
}

/// Maps a Landlock crate error to the fail-closed error.
fn rejected(e: landlock::RulesetError) -> SandboxError {
    SandboxError::unavailable(format!("Landlock refused the ruleset ({e})"))
}

/// Every rule of the ruleset: read and execute everywhere, devices, writable roots.
fn grants(layout: &WriteLayout, carve: bool) -> Result<Vec<Grant>, SandboxError> {
    let mut out = Vec::new();
    push(Path::new("/"), AccessFs::from_read(HANDLED_ABI), &mut out)?;
    let device_access = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate;
    for device in DEVICES {
        push(Path::new(device), device_access, &mut out)?;
    }
    for root in &layout.roots {
        let protected = if carve {
            layout.protected_under(root)
        } else {
            Vec::new()
        };
        carve_tree(root, &protected, &mut out)?;
    }
    Ok(out)
}

/// Grants all rights on `dir` except inside `protected`: the whole tree when nothing in it is
/// protected, nothing when `dir` itself is, else each entry in turn.
fn carve_tree(dir: &Path, protected: &[&Path], out: &mut Vec<Grant>) -> Result<(), SandboxError> {
    if protected.is_empty() {
        return push(dir, writable(), out);
    }
    if protected.contains(&dir) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| SandboxError::io(format!("listing {}", dir.display()), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| SandboxError::io(format!("listing {}", dir.display()), e))?
            .path();
        let inside: Vec<&Path> = protected
            .iter()
            .copied()
            .filter(|p| p.starts_with(&path))
            .collect();
        carve_tree(&path, &inside, out)?;
    }
    Ok(())
}

/// Adds a grant of `access` on `path` if it exists and is not a symlink (a link's target is
/// governed by where it really is; following it here could grant a tree outside the roots).
/// Rights that only make sense on directories are dropped for files.
fn push(path: &Path, access: BitFlags<AccessFs>, out: &mut Vec<Grant>) -> Result<(), SandboxError> {
    let Some((fd, is_dir)) = open_path(path)? else {
        return Ok(());
    };
    let access = if is_dir {
        access
    } else {
        access & AccessFs::from_file(HANDLED_ABI)
    };
    if !access.is_empty() {
        out.push(Grant { fd, access });
    }
    Ok(())
}

/// Opens `path` with `O_PATH | O_NOFOLLOW`; `None` if it is missing or a symlink.
fn open_path(path: &Path) -> Result<Option<(OwnedFd, bool)>, SandboxError> {
    let io_err = |e| SandboxError::io(format!("opening {}", path.display()), e);
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|e| io_err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
    let flags = libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `c_path` is NUL-terminated and these flags take no mode argument.
    let raw = unsafe { libc::open(c_path.as_ptr(), flags) };
    if raw < 0 {
        let err = std::io::Error::last_os_error();
        return match err.kind() {
            std::io::ErrorKind::NotFound => Ok(None),
            _ => Err(io_err(err)),
        };
    }
    // SAFETY: `raw` was just opened and is owned by nobody else.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw) });
    let kind = file.metadata().map_err(io_err)?.file_type();
    if kind.is_symlink() {
        return Ok(None);
    }
    Ok(Some((OwnedFd::from(file), kind.is_dir())))
}
