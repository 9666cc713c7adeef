//! The `/` and `@` completion list's state: what can be completed (the commands, the workspace
//! files), the list open now, and a query the user closed the list on. Apart from the text area
//! so the rules of when the list opens, closes and stays closed read in one place; the composer
//! says what the query is and applies a pick.

use crate::tui::commands::CommandInfo;
use crate::tui::fuzzy::FileIndex;
use crate::tui::popup::{Candidate, Completion, Query};
use crossterm::event::{KeyCode, KeyEvent};

/// The completion list and what it completes from.
pub struct Completer {
    pub(super) commands: Vec<CommandInfo>,
    files: FileIndex,
    completion: Option<Completion>,
    /// A query whose list the user closed with Esc; it stays closed until the query changes.
    dismissed: Option<Query>,
}

/// What a key did to the open list.
pub enum ListKey {
    /// Moved the selection or closed the list.
    Handled,
    /// The user took `pick` for `query` (with Enter when `enter`); the list is closed.
    Accept {
        query: Query,
        pick: Candidate,
        enter: bool,
    },
}

impl Completer {
    pub fn new(commands: Vec<CommandInfo>, files: FileIndex) -> Self {
        Completer {
            commands,
            files,
            completion: None,
            dismissed: None,
        }
    }

    /// The slash commands there are, built-in and custom.
    pub fn commands(&self) -> &[CommandInfo] {
        &self.commands
    }

    /// The open list, if any.
    pub fn completion(&self) -> Option<&Completion> {
        self.completion.as_ref()
    }

    /// Whether an open `@` list waits for the file list.
    pub fn waiting_for_files(&self) -> bool {
        self.completion.as_ref().is_some_and(|c| c.pending)
    }

    /// Keys the open list takes: move, accept, close. `None` when no list is open or the key
    /// is not one of them.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<ListKey> {
        let c = self.completion.as_mut()?;
        match key.code {
            KeyCode::Up | KeyCode::BackTab => c.step(true),
            KeyCode::Down => c.step(false),
            KeyCode::Esc => {
                self.dismissed = Some(c.query.clone());
                self.completion = None;
            }
            KeyCode::Tab => return Some(self.take(false)),
            KeyCode::Enter if key.modifiers.is_empty() && !c.is_empty() => {
                return Some(self.take(true))
            }
            _ => return None,
        }
        Some(ListKey::Handled)
    }

    /// Closes the list, handing over its selected candidate.
    fn take(&mut self, enter: bool) -> ListKey {
        let Some(c) = self.completion.take() else {
            return ListKey::Handled;
        };
        match c.selected().cloned() {
            Some(pick) => ListKey::Accept {
                query: c.query,
                pick,
                enter,
            },
            None => ListKey::Handled,
        }
    }

    /// The text changed and `query` is what stands at the cursor now: opens, keeps, or closes
    /// the list (a dismissed query stays closed until it changes).
    pub fn refresh(&mut self, query: Option<Query>) {
        if query.is_none() || query != self.dismissed {
            self.dismissed = None;
        }
        match query {
            Some(q) if self.dismissed.is_none() => {
                if self.completion.as_ref().map(|c| &c.query) != Some(&q) {
                    self.completion = Some(Completion::new(q, &self.commands, &self.files));
                }
            }
            _ => self.completion = None,
        }
    }

    /// Closes the list and keeps it closed for `query`: a recalled `/command` must not open
    /// the list, which would take the next Up.
    pub fn suppress(&mut self, query: Option<Query>) {
        self.dismissed = query;
        self.completion = None;
    }

    /// Whether an open `@` list waited for the file list and it is ready now, so the list
    /// must be filtered again.
    pub fn files_arrived(&self) -> bool {
        self.waiting_for_files() && self.files.get().is_some()
    }

    /// Closes the list without remembering the query (the text around it was replaced).
    pub fn close(&mut self) {
        self.completion = None;
    }
}
