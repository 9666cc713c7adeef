//! `fdatasync` off the caller's thread. A transcript is written to the OS line by line, so a
//! crash of reins loses nothing; only a crash of the machine can lose what the disk has not yet
//! been told to keep. Waiting for that cost 4–8 ms of wall time on a busy disk (more than the
//! rest of a cheap step), so the session asks for the sync at the end of a turn and goes on; a
//! thread of its own runs it, and requests that arrive while one runs are served by the next.
//! A failed sync is reported by the next request, and [`BackgroundSync::finish`] (called when the
//! transcript closes) waits until everything asked for is on disk.

use std::fs::File;
use std::io;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub(crate) struct BackgroundSync {
    wake: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    failed: Arc<Mutex<Option<io::Error>>>,
}

impl BackgroundSync {
    /// Starts the thread that syncs `file` (a handle of its own on the file being written).
    pub(crate) fn start(file: File) -> io::Result<Self> {
        let (wake, asked) = mpsc::channel::<()>();
        let failed: Arc<Mutex<Option<io::Error>>> = Arc::default();
        let report = failed.clone();
        let thread = std::thread::Builder::new()
            .name("reins-transcript-sync".into())
            .spawn(move || {
                while asked.recv().is_ok() {
                    // Everything asked for until now is covered by this one sync.
                    while asked.try_recv().is_ok() {}
                    if let Err(e) = file.sync_data() {
                        if let Ok(mut slot) = report.lock() {
                            slot.get_or_insert(e);
                        }
                    }
                }
            })?;
        Ok(BackgroundSync {
            wake: Some(wake),
            thread: Some(thread),
            failed,
        })
    }

    /// Asks for a sync of everything written so far and returns at once; `Err` if an earlier
    /// sync failed.
    pub(crate) fn request(&self) -> io::Result<()> {
        self.take_failure()?;
        match &self.wake {
            Some(wake) if wake.send(()).is_ok() => Ok(()),
            _ => Err(io::Error::other("the transcript's sync thread has stopped")),
        }
    }

    /// Waits until every sync asked for has run; `Err` if one failed.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .map_err(|_| io::Error::other("the transcript's sync thread panicked"))?;
        }
        self.take_failure()
    }

    fn take_failure(&self) -> io::Result<()> {
        match self.failed.lock().ok().and_then(|mut slot| slot.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        // Waits for the last sync; a failure is reported by `finish` to whoever called it first.
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn finish_returns_after_the_requested_sync_of_a_regular_file() {
        let dir = tempfile::tempdir().expect("dir");
        let mut file = File::create(dir.path().join("t.jsonl")).expect("file");
        file.write_all(b"{}\n").expect("write");
        let mut sync = BackgroundSync::start(file.try_clone().expect("clone")).expect("start");
        sync.request().expect("request");
        sync.request()
            .expect("a second request while the first may still run");
        sync.finish().expect("the syncs succeed");
        assert!(
            sync.request().is_err(),
            "a finished syncer takes no more requests"
        );
    }

    #[test]
    fn a_failed_sync_is_reported_not_lost_in_the_thread() {
        // fdatasync on a pipe fails (EINVAL): the failure must not be lost in the thread.
        let mut fds = [0; 2];
        // SAFETY: pipe writes two new descriptors into the array; each is owned once below.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just created and are owned by nothing else.
        let (read, write) = unsafe {
            use std::os::fd::FromRawFd;
            (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1]))
        };
        let mut sync = BackgroundSync::start(write).expect("start");
        sync.request().expect("the first request is accepted");
        let err = sync.finish().expect_err("the failed sync is reported");
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
        drop(read);
    }
}
