//! The thread as the session keeps it: saved to the transcript whenever it changes (so a resumed
//! session has it), restored on resume, and fed with the files each tool call worked on (which
//! the repo map also ranks toward).

use super::session::Session;
use super::thread::Thread;
use crate::store::transcript::Record;
use crate::types::Subject;

impl Session {
    /// Restores the thread of a resumed session from its transcript's last `session.state`;
    /// a transcript written before there was one gives only its first prompt as the goal.
    pub fn restore_thread(&mut self, saved: Option<serde_json::Value>, first_prompt: &str) {
        self.thread = saved
            .and_then(|v| serde_json::from_value::<Thread>(v).ok())
            .unwrap_or_else(|| {
                let mut t = Thread::default();
                if !first_prompt.trim().is_empty() {
                    t.user_said(first_prompt);
                }
                t
            });
    }

    /// Writes the thread to the transcript; the last one written is the one resumed.
    pub(super) fn save_thread(&self) {
        if let Ok(state) = serde_json::to_value(&self.thread) {
            // Kept by the recorder on failure, which ends the turn at its next check.
            let _kept_in_failure = self.record(&Record::SessionState { state });
        }
    }

    /// Notes the paths a tool call named and those it changed.
    pub(super) fn thread_files(&mut self, subjects: &[Subject], changed: &[String]) {
        let named: Vec<String> = subjects
            .iter()
            .filter_map(|s| match s {
                Subject::Path(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        if let Ok(mut touched) = self.setup.tools.context.touched.lock() {
            touched.extend(named.iter().chain(changed).cloned());
        }
        if self.thread.files(&named, changed) {
            self.save_thread();
        }
    }
}
