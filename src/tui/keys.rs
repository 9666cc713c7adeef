//! Routing terminal input: global keys first (Ctrl+C, Esc, paging), then the open overlay, then
//! the focused widget; and what Enter sent, a slash command or a prompt.

use super::app::App;
use super::composer::Outcome;
use super::overlay::{Cancelled, OverlayAction};
use super::picker::PickKind;
use super::screen::Focus;
use super::transcript::Level;
use crate::conversation::{Image, Prompt};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::time::Instant;

impl App {
    pub fn on_terminal(&mut self, event: TermEvent) {
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            TermEvent::Paste(text) => self.on_paste(&text),
            TermEvent::Mouse(m) if !self.overlay.is_open() => self.screen.on_mouse(m),
            _ => {}
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.ctrl_c();
        }
        if self.overlay.is_open() {
            return self.overlay_key(key);
        }
        if ctrl && key.code == KeyCode::Char('t') {
            return self.screen.toggle_reasoning();
        }
        let view = &mut self.screen.transcript.view;
        match key.code {
            KeyCode::PageUp => return view.scroll_up(view.page()),
            KeyCode::PageDown => return view.scroll_down(view.page()),
            KeyCode::Esc if self.screen.composer.completer().completion().is_none() => {
                return self.escape()
            }
            _ => {}
        }
        match self.screen.focus {
            Focus::Transcript => {
                if let Some(typed) = self.screen.transcript_key(key) {
                    self.composer_key(typed);
                }
            }
            Focus::Composer => self.composer_key(key),
        }
    }

    /// Interrupts a turn; on an idle composer, the second press within two seconds quits.
    fn ctrl_c(&mut self) {
        let now = Instant::now();
        match self.overlay.cancel() {
            Cancelled::Approval => return self.session.interrupt(),
            Cancelled::View => return,
            Cancelled::Nothing => {}
        }
        if self.session.is_working() {
            self.session.interrupt();
            self.screen.status.flash("interrupting…", now);
            return;
        }
        if self.quit.press(now) {
            return;
        }
        self.screen.composer.discard();
        self.screen.status.flash("press Ctrl+C again to quit", now);
    }

    fn escape(&mut self) {
        if self.session.is_working() {
            self.session.interrupt();
            self.screen.status.flash("interrupting…", Instant::now());
        } else if self.screen.focus == Focus::Transcript {
            self.screen.focus_composer();
        }
    }

    fn overlay_key(&mut self, key: KeyEvent) {
        match self.overlay.handle_key(key) {
            Some(OverlayAction::Answer(answer, reply)) => {
                let (answer, note) = self.approvals.answer(answer);
                if let Some((level, text)) = note {
                    self.screen.note(level, text);
                }
                let _ = reply.send(answer);
            }
            Some(OverlayAction::ReloadDiff) => {
                self.session.send(crate::engine::Op::Diff { reload: true })
            }
            Some(OverlayAction::Pick(kind, value)) => {
                let command = match kind {
                    PickKind::Session => "resume",
                    PickKind::Model => "model",
                    PickKind::ReviewScope => "review",
                };
                self.run_command(command, &value, "");
            }
            None => {}
        }
    }

    fn composer_key(&mut self, key: KeyEvent) {
        let screen = &mut self.screen;
        if key.code == KeyCode::Tab && screen.composer.completer().completion().is_none() {
            return screen.focus_transcript();
        }
        self.quit.disarm();
        let Outcome::Submit(shown) = screen.composer.handle_key(key) else {
            return;
        };
        let (full, images) = screen.composer.resolve(&shown);
        // Kept for Up/Down in later launches; a failure to write is said once per attempt
        // and costs nothing else.
        if let Err(e) = self.prompt_history.append(&full, screen.composer.history()) {
            screen.note(Level::Warning, format!("prompt history not saved: {e}"));
        }
        self.submit_as(&shown, full, images);
    }

    fn on_paste(&mut self, text: &str) {
        if self.overlay.paste(text) {
            return;
        }
        self.screen.focus = Focus::Composer;
        // A paste naming an image file attaches the image; any other paste is text.
        match super::pasted_image::read(text, &self.ctx.root) {
            Some(Ok((name, image))) => self.screen.composer.attach_image(&name, image),
            Some(Err(e)) => {
                self.screen
                    .note(Level::Warning, format!("{e}; pasted as text"));
                self.screen.composer.paste(text);
            }
            None => self.screen.composer.paste(text),
        }
    }

    /// What Enter sent: a slash command or a prompt.
    pub fn submit(&mut self, text: String) {
        self.submit_as(&text.clone(), text, Vec::new());
    }

    /// A slash command or a prompt, `shown` in the transcript as typed (pastes collapsed) and
    /// `full` as sent with `images`; `@path` mentions attach the files.
    pub(super) fn submit_as(&mut self, shown: &str, full: String, images: Vec<Image>) {
        if let Some((name, args)) = super::commands::parse(&full) {
            let (name, args) = (name.to_string(), args.to_string());
            return self.run_command(&name, &args, shown);
        }
        let (text, attached, skipped) = super::attach::attach(&self.ctx.policy(), &full);
        for image in &images {
            self.screen
                .note(Level::Info, format!("attached image {}", image.describe()));
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
            self.screen
                .note(Level::Info, format!("attached {}", list.join(", ")));
        }
        for why in skipped {
            self.screen.note(Level::Warning, why);
        }
    }
}
