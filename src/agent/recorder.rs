//! The session's transcript writer, shared with the event sink, and what happened when a write
//! failed. A session that can no longer write its transcript must not go on: every step after
//! the failure would be work the user cannot resume or look back on. The first failure is kept;
//! the turn loop stops on it with an error that says what to do.

use std::sync::{Arc, Mutex, OnceLock};

use super::events::Event;
use crate::store::transcript::{Record, TranscriptError, TranscriptWriter};

/// Why a record did not reach the transcript. Cloneable (the write error is shared) so the first
/// failure can be kept and shown when the turn loop stops.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Write(Arc<TranscriptError>),
    /// A writer that panicked mid-write may have left a torn line: nothing more is written.
    #[error("the transcript writer panicked")]
    Poisoned,
}

#[derive(Clone, Default)]
pub(super) struct Recorder {
    writer: Option<Arc<Mutex<TranscriptWriter>>>,
    failure: Arc<OnceLock<RecordError>>,
}

impl Recorder {
    pub(super) fn new(writer: Option<TranscriptWriter>) -> Self {
        Recorder {
            writer: writer.map(|w| Arc::new(Mutex::new(w))),
            failure: Arc::default(),
        }
    }

    /// Appends a record; a failure is kept (see [`Recorder::failure`]) and returned.
    pub(super) fn record(&self, record: &Record) -> Result<(), RecordError> {
        self.with_writer(|w| w.append(record))
    }

    pub(super) fn event(&self, event: &Event) {
        let _kept_in_failure = self.with_writer(|w| w.append_event(event));
    }

    /// Makes everything written so far durable.
    pub(super) fn sync(&self) {
        let _kept_in_failure = self.with_writer(TranscriptWriter::sync);
    }

    /// The first write that failed, if one did.
    pub(super) fn failure(&self) -> Option<&RecordError> {
        self.failure.get()
    }

    fn with_writer(
        &self,
        write: impl FnOnce(&mut TranscriptWriter) -> Result<(), TranscriptError>,
    ) -> Result<(), RecordError> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let result = match writer.lock() {
            Ok(mut w) => write(&mut w).map_err(|e| RecordError::Write(Arc::new(e))),
            Err(_) => Err(RecordError::Poisoned),
        };
        if let Err(e) = &result {
            let _first_is_kept = self.failure.set(e.clone());
        }
        result
    }
}
