//! The terminals open when a command starts, hidden from it. Landlock must let children write
//! `/dev/pts` (a command may open a pseudo-terminal of its own through `/dev/ptmx`), so without
//! this a command could open the user's terminal as `/dev/pts/N` (its owner is the user): write
//! escape sequences to it (OSC 52 sets the clipboard), read what the user types, or turn off
//! echo and `ISIG` so that Ctrl-C no longer stops reins. The child has no controlling terminal
//! (`/dev/tty` fails), and before each command the parent lists the terminals that exist; the
//! child binds `/dev/null` over each in its private mount namespace, as it does over daemons'
//! sockets. Terminals it opens itself get new numbers and keep working.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// The pseudo-terminals under `/dev/pts` now (`ptmx` is the multiplexer, not a terminal).
pub(super) fn open_terminals() -> Vec<PathBuf> {
    terminals_in(Path::new("/dev/pts"))
}

fn terminals_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(is_number))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_char_device()))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

fn is_number(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_opened_here_is_listed_and_ptmx_is_not() {
        let mut master = 0;
        let mut slave = 0;
        let mut name = [0 as libc::c_char; 64];
        // SAFETY: openpty writes the two descriptors and the name into the buffers given.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                name.as_mut_ptr(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        if rc != 0 {
            eprintln!("skipped: no pseudo-terminal can be opened here");
            return;
        }
        // SAFETY: openpty wrote a NUL-terminated path into `name`.
        let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
        let path = PathBuf::from(path.to_str().unwrap());
        let found = open_terminals();
        // SAFETY: both descriptors were opened above and are closed once.
        unsafe {
            libc::close(master);
            libc::close(slave);
        }
        assert!(found.contains(&path), "{path:?} not in {found:?}");
        assert!(!found.iter().any(|p| p.ends_with("ptmx")));
    }
}
