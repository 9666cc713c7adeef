//! The session's transcript writer, shared with the event sink, and what happened when a write
//! failed. A session that can no longer write its transcript must not go on: every step after
//! the failure would be work the user cannot resume or look back on. The first failure is kept;
//! the turn loop stops on it with an error that says what to do.

use std::sync::{Arc, Mutex, OnceLock};

use super::events::Event;
use crate::store::transcript::{Record, TranscriptWriter};

#[derive(Clone, Default)]
pub(super) struct Recorder {
    writer: Option<Arc<Mutex<TranscriptWriter>>>,
    failure: Arc<OnceLock<String>>,
}

impl Recorder {
    pub(super) fn new(writer: Option<TranscriptWriter>) -> Self {
        Recorder {
            writer: writer.map(|w| Arc::new(Mutex::new(w))),
            failure: Arc::default(),
        }
    }

    /// Appends a record; a failure is kept (see [`Recorder::failure`]) and returned.
    pub(super) fn record(&self, record: &Record) -> Result<(), String> {
        self.with_writer(|w| w.append(record).map_err(|e| e.to_string()))
    }

    pub(super) fn event(&self, event: &Event) {
        let _kept_in_failure =
            self.with_writer(|w| w.append_event(event).map_err(|e| e.to_string()));
    }

    /// Makes everything written so far durable.
    pub(super) fn sync(&self) {
        let _kept_in_failure = self.with_writer(|w| w.sync().map_err(|e| e.to_string()));
    }

    /// The first write that failed, if one did.
    pub(super) fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    fn with_writer(
        &self,
        write: impl FnOnce(&mut TranscriptWriter) -> Result<(), String>,
    ) -> Result<(), String> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let result = match writer.lock() {
            Ok(mut w) => write(&mut w),
            Err(_) => Err("the transcript writer panicked".to_string()),
        };
        if let Err(e) = &result {
            let _first_is_kept = self.failure.set(e.clone());
        }
        result
    }
}
