//! Routing terminal input: global keys first (Ctrl+C, Esc, paging), then the open overlay, then
//! the focused widget.

use super::app::{App, Focus, Overlay};
use super::composer::Outcome;
use super::diff_view::DiffAction;
use super::picker::{PickKind, PickerAction};
use super::transcript::Level;
use crate::conversation::{Image, Prompt};
use crate::sandbox::approval::Answer;
use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};
use std::time::{Duration, Instant};

/// A second Ctrl+C within this time quits.
const QUIT_WINDOW: Duration = Duration::from_secs(2);
/// Rows per mouse-wheel notch.
const WHEEL: usize = 3;

impl App {
    pub fn on_terminal(&mut self, event: TermEvent) {
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            TermEvent::Paste(text) => self.on_paste(&text),
            TermEvent::Mouse(m) => self.on_mouse(m),
            _ => {}
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.ctrl_c();
        }
        if self.overlay.is_some() {
            return self.overlay_key(key);
        }
        if ctrl && key.code == KeyCode::Char('t') {
            return self.toggle_reasoning();
        }
        match key.code {
            KeyCode::PageUp => return self.transcript.view.scroll_up(self.transcript.view.page()),
            KeyCode::PageDown => {
                return self
                    .transcript
                    .view
                    .scroll_down(self.transcript.view.page())
            }
            KeyCode::Esc if self.composer.completer().completion().is_none() => {
                return self.escape()
            }
            _ => {}
        }
        match self.focus {
            Focus::Transcript => self.transcript_key(key),
            Focus::Composer => self.composer_key(key),
        }
    }

    /// Interrupts a turn; on an idle composer, the second press within two seconds quits.
    fn ctrl_c(&mut self) {
        let now = Instant::now();
        if let Some(Overlay::Approval { reply, .. }) = self.overlay.as_mut() {
            if let Some(r) = reply.take() {
                let _ = r.send(Answer::Deny { note: None });
            }
            self.overlay = None;
            self.engine.interrupt();
            return;
        }
        if self.overlay.take().is_some() {
            return;
        }
        if self.working {
            self.engine.interrupt();
            self.status.flash("interrupting…", now);
            return;
        }
        if self
            .quit_armed
            .is_some_and(|t| now.duration_since(t) < QUIT_WINDOW)
        {
            self.quit = true;
            return;
        }
        self.quit_armed = Some(now);
        self.composer.discard();
        self.status.flash("press Ctrl+C again to quit", now);
    }

    fn escape(&mut self) {
        if self.working {
            self.engine.interrupt();
            self.status.flash("interrupting…", Instant::now());
        } else if self.focus == Focus::Transcript {
            self.focus = Focus::Composer;
            self.transcript.clear_selection();
        }
    }

    fn overlay_key(&mut self, key: KeyEvent) {
        match self.overlay.as_mut() {
            Some(Overlay::Approval { modal, reply }) => {
                if let Some(answer) = modal.handle_key(key) {
                    let reply = reply.take();
                    self.overlay = None;
                    if let Some(r) = reply {
                        self.answer(answer, r);
                    }
                }
            }
            Some(Overlay::Diff(view)) => match view.handle_key(key) {
                DiffAction::Close => self.overlay = None,
                DiffAction::Reverted => self.reload_diff(),
                DiffAction::None => {}
            },
            Some(Overlay::Picker(p)) => match p.handle_key(key) {
                PickerAction::Close => self.overlay = None,
                PickerAction::Pick(kind, value) => {
                    self.overlay = None;
                    match kind {
                        PickKind::Session => self.resume(&value),
                        PickKind::Model => self.switch_model(&value),
                        PickKind::ReviewScope => self.review(&value),
                    }
                }
                PickerAction::None => {}
            },
            None => {}
        }
    }

    fn transcript_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.transcript.select_step(true),
            KeyCode::Down | KeyCode::Char('j') => self.transcript.select_step(false),
            KeyCode::Enter | KeyCode::Char(' ') => self.transcript.toggle_selected(),
            KeyCode::End | KeyCode::Char('G') => self.transcript.view.scroll_to_bottom(),
            KeyCode::Tab | KeyCode::Char('i') => {
                self.focus = Focus::Composer;
                self.transcript.clear_selection();
            }
            KeyCode::Char(_) => {
                self.focus = Focus::Composer;
                self.transcript.clear_selection();
                self.composer_key(key);
            }
            _ => {}
        }
    }

    fn composer_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Tab && self.composer.completer().completion().is_none() {
            if self.transcript.cells().iter().any(|c| c.is_foldable()) {
                self.focus = Focus::Transcript;
                self.transcript.select_step(true);
            }
            return;
        }
        self.quit_armed = None;
        if let Outcome::Submit(shown) = self.composer.handle_key(key) {
            let (full, images) = self.composer.resolve(&shown);
            self.remember_prompt(&full);
            self.submit_as(&shown, full, images);
        }
    }

    fn on_paste(&mut self, text: &str) {
        match self.overlay.as_mut() {
            Some(Overlay::Approval { modal, .. }) => modal.paste(text),
            Some(Overlay::Picker(p)) => p.paste(text),
            Some(_) => {}
            None => {
                self.focus = Focus::Composer;
                self.paste_into_composer(text);
            }
        }
    }

    /// A paste naming an image file attaches the image; any other paste is text.
    fn paste_into_composer(&mut self, text: &str) {
        let Some(path) = super::pasted_image::image_path(text, &self.ctx.root) else {
            return self.composer.paste(text);
        };
        match crate::frontend::user_image::read(&path) {
            Ok(image) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| image.name.clone());
                self.composer.attach_image(&name, image);
            }
            Err(e) => {
                self.note(Level::Warning, format!("{e}; pasted as text"));
                self.composer.paste(text);
            }
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        if self.overlay.is_some() {
            return;
        }
        let area = self.transcript_area;
        match m.kind {
            MouseEventKind::ScrollUp => self.transcript.view.scroll_up(WHEEL),
            MouseEventKind::ScrollDown => self.transcript.view.scroll_down(WHEEL),
            MouseEventKind::Down(_) if m.row >= area.y && m.row < area.y + area.height => {
                self.transcript.click(m.row - area.y)
            }
            _ => {}
        }
    }

    /// What Enter sent: a slash command or a prompt.
    pub fn submit(&mut self, text: String) {
        self.submit_as(&text.clone(), text, Vec::new());
    }

    /// A prompt with images (`reins "PROMPT" --image FILE`), or a slash command.
    pub fn submit_with(&mut self, prompt: Prompt) {
        let text = prompt.text;
        self.submit_as(&text.clone(), text, prompt.images);
    }

    /// A slash command or a prompt, `shown` in the transcript as typed (pastes collapsed) and
    /// `full` as sent with `images`; `@path` mentions attach the files.
    fn submit_as(&mut self, shown: &str, full: String, images: Vec<Image>) {
        if let Some((name, args)) = super::commands::parse(&full) {
            let (name, args) = (name.to_string(), args.to_string());
            return self.run_command(&name, &args, shown);
        }
        let (text, attached, skipped) = super::attach::attach(&self.policy(), &full);
        for image in &images {
            self.note(Level::Info, format!("attached image {}", image.describe()));
        }
        self.send_prompt(shown, Prompt { text, images });
        if !attached.is_empty() {
            let list: Vec<String> = attached
                .iter()
                .map(|a| {
                    let cut = if a.truncated { ", truncated" } else { "" };
                    format!("{} ({}{cut})", a.path, super::attach::size(a.bytes))
                })
                .collect();
            self.note(Level::Info, format!("attached {}", list.join(", ")));
        }
        for why in skipped {
            self.note(Level::Warning, why);
        }
    }
}
