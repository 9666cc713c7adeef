//! Session transcripts: `$REINS_HOME/sessions/<id>.jsonl`, one record per line, flushed as written
//! so a crash or `kill -9` loses at most the line in flight; synced to disk in the background at
//! the end of each turn (nothing waits for the disk, see `background_sync`: a machine crash
//! mid-turn loses that turn's lines, as it may that turn's edits, see `sandbox::beneath::unsynced`), and
//! waited for when the transcript closes.
//! Besides the public events, a transcript holds what rebuilds the conversation exactly: every
//! history item (full tool results) and compaction replacements.

pub use super::ledger::TopRung;
use crate::agent::Event;
use crate::conversation::Item;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// One line of a transcript.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Record {
    /// First line: what `reins sessions` lists.
    #[serde(rename = "session.meta")]
    Meta {
        session_id: String,
        workspace: String,
        /// Seconds since the Unix epoch.
        started_at: u64,
        /// The same instant in nanoseconds, which orders sessions started in one second
        /// (`--continue` picks the latest); absent in older transcripts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        started_at_ns: Option<u64>,
        prompt: String,
        /// The route (`[routers.NAME]` name, or `router`) when a router picks the models.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<String>,
        /// The route's most capable model and its prices, so the ledger can say what the same
        /// tokens would have cost there without the config of the day.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        top_rung: Option<TopRung>,
        /// The workflow the session ran (`reins run NAME`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workflow: Option<String>,
        /// The agent a subagent session ran as: the parent's `task` result names the child's id,
        /// and session lists and `--continue` pass children over.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subagent: Option<String>,
    },
    /// A history item appended to the conversation.
    #[serde(rename = "history.item")]
    HistoryItem { item: Item },
    /// Compaction replaced the history with these items.
    #[serde(rename = "history.replace")]
    HistoryReplace { items: Vec<Item> },
    /// The session's thread (goal, what the user said, decisions, files) as it stands now; the
    /// last one is restored on resume. Opaque here: the agent owns its shape.
    #[serde(rename = "session.state")]
    SessionState { state: serde_json::Value },
    /// A public event, as the `--json` stream carries it.
    #[serde(untagged)]
    Event(serde_json::Value),
}

#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("cannot write transcript {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no session `{0}`; list them with `reins sessions`")]
    NotFound(String),
    #[error(
        "no earlier session in this workspace to continue; start one with `reins exec \"...\"`"
    )]
    NoneToContinue,
}

/// The directory holding every transcript.
pub fn sessions_dir(reins_home: &Path) -> PathBuf {
    reins_home.join("sessions")
}

pub fn transcript_path(reins_home: &Path, session_id: &str) -> PathBuf {
    sessions_dir(reins_home).join(format!("{session_id}.jsonl"))
}

/// Appends records to a transcript. When it is dropped (the session has ended), the session's
/// row in the index of `reins sessions` is brought up to date.
pub struct TranscriptWriter {
    path: PathBuf,
    out: BufWriter<File>,
    redactor: crate::redact::Redactor,
    /// Started by the first [`TranscriptWriter::sync`].
    syncer: Option<super::background_sync::BackgroundSync>,
    /// The caches opened by the session's first record, brought up to date by its last.
    indexes: Option<super::transcript_indexes::Indexes>,
}

impl TranscriptWriter {
    /// Opens (creating or appending to) the transcript of `session_id`.
    pub fn open(reins_home: &Path, session_id: &str) -> Result<Self, TranscriptError> {
        let path = transcript_path(reins_home, session_id);
        let io = |source| TranscriptError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(sessions_dir(reins_home)).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        let mut w = TranscriptWriter {
            path,
            out: BufWriter::with_capacity(64 * 1024, file),
            redactor: Default::default(),
            syncer: None,
            indexes: None,
        };
        w.end_torn_line()?;
        Ok(w)
    }

    /// Masks secrets in every line written from now on (the model may echo a key it saw).
    pub fn with_redactor(mut self, redactor: crate::redact::Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A torn last line (a crash mid-write) would glue onto the next record; start a fresh line.
    fn end_torn_line(&mut self) -> Result<(), TranscriptError> {
        use std::os::unix::fs::FileExt;
        let len = self.out.get_ref().metadata().map(|m| m.len()).unwrap_or(0);
        if len == 0 {
            return Ok(());
        }
        let mut last = [0u8; 1];
        let read = File::open(&self.path).and_then(|f| f.read_at(&mut last, len - 1));
        if read.is_ok() && last[0] != b'\n' {
            self.write_raw(b"\n")?;
        }
        Ok(())
    }

    pub fn append(&mut self, record: &Record) -> Result<(), TranscriptError> {
        self.save_images(record)?;
        let line = serde_json::to_string(record).map_err(|e| TranscriptError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        let mut line = self.redactor.redact(&line);
        line.push('\n');
        self.write_raw(line.as_bytes())?;
        if matches!(record, Record::Meta { .. }) {
            self.index_in_background();
        }
        Ok(())
    }

    /// The session has started: `reins sessions` lists it from the index from now on. Opening
    /// the index (an SQLite database) is done on a thread of its own, because this record is
    /// written before the first model request and the listing does not need the row at once:
    /// a listing brings any transcript its index does not match up to date itself.
    fn index_in_background(&mut self) {
        if let Some(started) = self.indexes.take() {
            // A second `Meta` (a resumed session's): its row waits for the first one's.
            started.finish(&self.path);
        }
        self.indexes = Some(super::transcript_indexes::Indexes::start(&self.path));
    }

    /// Stores the copies of the images a history record names, before the line that names
    /// them (see [`super::images`]).
    fn save_images(&self, record: &Record) -> Result<(), TranscriptError> {
        let items: Vec<&Item> = match record {
            Record::HistoryItem { item } => vec![item],
            Record::HistoryReplace { items } => items.iter().collect(),
            _ => return Ok(()),
        };
        if items.iter().all(|i| i.images().is_empty()) {
            return Ok(());
        }
        let dir = super::images::dir_for(&self.path);
        super::images::save(&dir, &items)
            .map_err(|source| TranscriptError::Io { path: dir, source })
    }

    pub fn append_event(&mut self, event: &Event) -> Result<(), TranscriptError> {
        match serde_json::to_value(event) {
            Ok(v) => self.append(&Record::Event(v)),
            Err(_) => Ok(()),
        }
    }

    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), TranscriptError> {
        let io = |source| TranscriptError::Io {
            path: self.path.clone(),
            source,
        };
        self.out.write_all(bytes).map_err(io)?;
        self.out.flush().map_err(io)
    }

    /// Hands everything so far to the OS and asks for it to be made durable without waiting
    /// (called at the end of each turn); `Err` if the write, or an earlier sync, failed.
    pub fn sync(&mut self) -> Result<(), TranscriptError> {
        let io = |source| TranscriptError::Io {
            path: self.path.clone(),
            source,
        };
        self.out.flush().map_err(io)?;
        if self.syncer.is_none() {
            let file = self.out.get_ref().try_clone().map_err(io)?;
            self.syncer = Some(super::background_sync::BackgroundSync::start(file).map_err(io)?);
        }
        match &self.syncer {
            Some(syncer) => syncer.request().map_err(io),
            None => Ok(()),
        }
    }

    /// Waits until everything asked to be durable is on disk (a test, or the session's end).
    pub fn finish_sync(&mut self) -> Result<(), TranscriptError> {
        let io = |source| TranscriptError::Io {
            path: self.path.clone(),
            source,
        };
        match self.syncer.take() {
            Some(mut syncer) => syncer.finish().map_err(io),
            None => Ok(()),
        }
    }
}
impl Drop for TranscriptWriter {
    fn drop(&mut self) {
        // The indexes read what the OS has, not what the disk has: they are brought up to date
        // while the last sync asked for runs on its thread.
        let indexes = self.indexes.take().unwrap_or_default();
        if self.out.flush().is_ok() {
            indexes.finish(&self.path);
        }
        // Drop cannot report: a caller that must know calls `finish_sync` first. What a failed
        // sync loses here is durability against a power cut, not lines already written.
        let _ = self.finish_sync();
    }
}
