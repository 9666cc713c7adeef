//! The full-screen or modal view over the transcript, if one is open: the approval modal, the
//! `/diff` view, or a picker. It takes the keys and pastes while open and says what the user
//! chose; the app acts on that. One place decides what closes a view and what Ctrl+C does to it.

use super::approval::ApprovalModal;
use super::diff_view::{DiffAction, DiffView};
use super::picker::{PickKind, Picker, PickerAction};
use super::theme::Theme;
use super::transcript::Level;
use crate::engine::ChangesError;
use crate::sandbox::approval::Answer;
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::path::Path;
use std::time::Instant;
use tokio::sync::oneshot;

/// A full-screen or modal view over the transcript.
pub enum Overlay {
    Approval {
        modal: Box<ApprovalModal>,
        reply: Option<oneshot::Sender<Answer>>,
    },
    Diff(DiffView),
    Picker(Picker),
}

/// What the user did in an overlay that the app must act on. The overlay has closed itself
/// already where the action ends it.
pub enum OverlayAction {
    /// The approval modal was answered; the answer goes to the gate through `reply`.
    Answer(Answer, oneshot::Sender<Answer>),
    /// A hunk was reverted in the diff view: it wants the diff as it is now.
    ReloadDiff,
    /// A picker's choice.
    Pick(PickKind, String),
}

/// What Ctrl+C closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The approval modal: its call was denied, and the turn must stop.
    Approval,
    /// Another view.
    View,
    Nothing,
}

/// The open overlay, if any.
#[derive(Default)]
pub struct Overlays {
    open: Option<Overlay>,
}

impl Overlays {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Opens `overlay` in place of any other.
    pub fn open(&mut self, overlay: Overlay) {
        self.open = Some(overlay);
    }

    /// A key while a view is open.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<OverlayAction> {
        let action = match self.open.as_mut()? {
            Overlay::Approval { modal, reply } => {
                let answer = modal.handle_key(key)?;
                let reply = reply.take();
                self.open = None;
                return reply.map(|r| OverlayAction::Answer(answer, r));
            }
            Overlay::Diff(view) => match view.handle_key(key) {
                DiffAction::Close => None,
                DiffAction::Reverted => return Some(OverlayAction::ReloadDiff),
                DiffAction::None => return None,
            },
            Overlay::Picker(p) => match p.handle_key(key) {
                PickerAction::Close => None,
                PickerAction::Pick(kind, value) => Some(OverlayAction::Pick(kind, value)),
                PickerAction::None => return None,
            },
        };
        self.open = None;
        action
    }

    /// A paste while a view is open goes to its text field, if it has one; `false` when no
    /// view is open.
    pub fn paste(&mut self, text: &str) -> bool {
        match self.open.as_mut() {
            Some(Overlay::Approval { modal, .. }) => modal.paste(text),
            Some(Overlay::Picker(p)) => p.paste(text),
            Some(Overlay::Diff(_)) => {}
            None => return false,
        }
        true
    }

    /// Ctrl+C: closes the open view; an approval modal denies its call first.
    pub fn cancel(&mut self) -> Cancelled {
        match self.open.take() {
            Some(Overlay::Approval { reply, .. }) => {
                if let Some(r) = reply {
                    let _ = r.send(Answer::Deny { note: None });
                }
                Cancelled::Approval
            }
            Some(_) => Cancelled::View,
            None => Cancelled::Nothing,
        }
    }

    /// The turn ended: a question it asked can no longer be answered.
    pub fn close_approval(&mut self) {
        if let Some(Overlay::Approval { .. }) = self.open {
            self.open = None;
        }
    }

    /// The diff view, if it is open (it covers the screen; a reload goes to it).
    pub fn diff_mut(&mut self) -> Option<&mut DiffView> {
        match self.open.as_mut() {
            Some(Overlay::Diff(view)) => Some(view),
            _ => None,
        }
    }

    /// The engine's answer to `Op::Diff`: a reload goes to the open diff view; a first answer
    /// opens the view, or comes back as a note (no changes, or why the diff could not be read).
    pub fn show_diff(
        &mut self,
        text: Result<String, ChangesError>,
        reload: bool,
        root: &Path,
    ) -> Option<(Level, String)> {
        if reload {
            if let Some(view) = self.diff_mut() {
                match text {
                    Ok(text) => view.reload(&text),
                    Err(e) => view.set_message(e.to_string()),
                }
            }
            return None;
        }
        match text {
            Ok(text) if text.starts_with("no changes") => {
                Some((Level::Info, text.trim_end().to_string()))
            }
            Ok(text) => {
                self.open(Overlay::Diff(DiffView::new(&text, root.to_path_buf())));
                None
            }
            Err(e) => Some((Level::Warning, e.to_string())),
        }
    }

    /// Whether the approval modal animates (it waits a moment before it takes keys).
    pub fn waiting(&self) -> bool {
        matches!(&self.open, Some(Overlay::Approval { modal, .. }) if modal.waiting())
    }

    /// Draws a modal (approval, picker) over `area`; the diff view draws itself full-screen.
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme, now: Instant) {
        match self.open.as_mut() {
            Some(Overlay::Approval { modal, .. }) => modal.render(area, buf, theme, now),
            Some(Overlay::Picker(p)) => p.render(area, buf, theme),
            _ => {}
        }
    }
}
