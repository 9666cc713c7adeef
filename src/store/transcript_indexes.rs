//! The two caches a transcript keeps up to date (the sessions index of `reins sessions` and the
//! cost ledger, tables of one SQLite file), opened once per session: by its first record, on a
//! thread of its own, and kept open for its last, which then writes its rows without opening
//! the database again (opening and checking it is half of such an update).

use super::ledger::Ledger;
use super::session_index::SessionIndex;
use std::path::Path;
use std::thread::JoinHandle;

/// The caches of a transcript's directory; `None` for one that could not be opened (the final
/// update tries it again).
#[derive(Default)]
struct Open {
    sessions: Option<SessionIndex>,
    ledger: Option<Ledger>,
}

/// The caches being opened on their thread, or open (none yet, by default: the finish opens
/// them).
pub(super) struct Indexes(State);

impl Default for Indexes {
    fn default() -> Self {
        Indexes(State::Ready(Box::default()))
    }
}

enum State {
    Opening(JoinHandle<Open>),
    /// Boxed: two open connections are large beside a thread's handle.
    Ready(Box<Open>),
}

impl Indexes {
    /// Opens the caches of the transcript at `path` and gives it its row in the sessions index
    /// (the session is listed from now on), on a thread of its own when one can be started.
    pub(super) fn start(path: &Path) -> Self {
        let owned = path.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("reins-session-index".into())
            .spawn(move || open_and_list(&owned));
        match spawned {
            Ok(handle) => Indexes(State::Opening(handle)),
            Err(_) => Indexes(State::Ready(Box::new(open_and_list(path)))),
        }
    }

    /// Brings both caches up to date with the transcript at `path`, which has ended; waits for
    /// the start's update first, which must not land after (and overwrite) this one.
    pub(super) fn finish(self, path: &Path) {
        let open = match self.0 {
            State::Opening(handle) => handle.join().unwrap_or_default(),
            State::Ready(open) => *open,
        };
        match open.sessions {
            Some(mut index) => drop(index.refresh_one(path)),
            None => super::session_index::index_transcript(path),
        }
        match open.ledger {
            Some(mut ledger) => drop(ledger.refresh_one(path)),
            None => super::ledger::index_transcript(path),
        }
    }
}

fn open_and_list(path: &Path) -> Open {
    let Some(dir) = path.parent() else {
        return Open::default();
    };
    let mut sessions = SessionIndex::open(dir).ok();
    if let Some(index) = sessions.as_mut() {
        let _ = index.refresh_one(path);
    }
    Open {
        sessions,
        ledger: Ledger::open(dir).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const META: &str = r#"{"type":"session.meta","session_id":"s","workspace":"/w","started_at":86400,"prompt":"p"}"#;

    fn row_len(dir: &Path, file: &str) -> Option<i64> {
        let db =
            rusqlite::Connection::open(dir.join(super::super::session_index::INDEX_FILE)).ok()?;
        db.query_row("SELECT len FROM sessions WHERE file = ?1", [file], |r| {
            r.get(0)
        })
        .ok()
    }

    /// The start lists the session; the finish, with the connection the start opened, writes
    /// the row of the whole transcript (lines written after the start included).
    #[test]
    fn the_final_update_covers_what_was_written_after_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut file = std::fs::File::create(&path).unwrap();
        writeln!(file, "{META}").unwrap();
        let started = Indexes::start(&path);
        writeln!(
            file,
            r#"{{"type":"session.finished","status":"done","steps":1}}"#
        )
        .unwrap();
        started.finish(&path);
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(
            row_len(dir.path(), "s.jsonl"),
            Some(i64::try_from(len).unwrap())
        );
    }

    /// A directory whose database cannot be opened at the start (here: not yet a directory of
    /// sessions) is tried again at the finish.
    #[test]
    fn a_cache_the_start_could_not_open_is_opened_at_the_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let blocker = dir.path().join(super::super::session_index::INDEX_FILE);
        std::fs::create_dir(&blocker).unwrap();
        std::fs::write(&path, format!("{META}\n")).unwrap();
        let started = Indexes::start(&path);
        let Indexes(State::Opening(handle)) = started else {
            panic!("the start has a thread of its own");
        };
        let open = handle.join().unwrap();
        assert!(open.sessions.is_none() && open.ledger.is_none());
        std::fs::remove_dir(&blocker).unwrap();
        Indexes(State::Ready(Box::new(open))).finish(&path);
        assert!(row_len(dir.path(), "s.jsonl").is_some());
    }
}
