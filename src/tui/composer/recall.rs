//! Up/Down through the prompts sent before. Kept apart from the text area so the walk (where it
//! is, and the draft it will give back at the end) is one small state machine, and the
//! persistent file ([`crate::tui::history`]) only feeds it.

/// The prompts sent before, oldest first, and where Up/Down stands in them.
#[derive(Debug, Default)]
pub struct Recall {
    entries: Vec<String>,
    /// Position in `entries` while browsing them, and the draft it replaced.
    browsing: Option<(usize, String)>,
}

impl Recall {
    /// Earlier prompts (oldest first), e.g. from the history file.
    pub fn set(&mut self, entries: Vec<String>) {
        self.entries = entries;
        self.browsing = None;
    }

    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// A prompt was sent: it becomes the newest entry (once, if sent twice in a row) and the
    /// walk ends.
    pub fn record(&mut self, text: &str) {
        if self.entries.last().map(String::as_str) != Some(text) {
            self.entries.push(text.to_string());
        }
        self.stop();
    }

    /// Ends a walk without giving the draft back (the text was cleared or replaced).
    pub fn stop(&mut self) {
        self.browsing = None;
    }

    /// One step back (Up) or forward (Down) from `current`, the text shown now: the text to
    /// show instead, the draft once the walk passes the newest entry, or `None` when there is
    /// nowhere to go.
    pub fn step(&mut self, back: bool, current: &str) -> Option<String> {
        let n = self.entries.len();
        let next = match (&self.browsing, back) {
            (None, true) if n > 0 => Some(n - 1),
            (Some((i, _)), true) => Some(i.saturating_sub(1)),
            (Some((i, _)), false) if i + 1 < n => Some(i + 1),
            (Some(_), false) => None,
            _ => return None,
        };
        let draft = match self.browsing.take() {
            Some((_, d)) => d,
            None => current.to_string(),
        };
        match next {
            Some(i) => {
                let text = self.entries[i].clone();
                self.browsing = Some((i, draft));
                Some(text)
            }
            None => Some(draft),
        }
    }
}
