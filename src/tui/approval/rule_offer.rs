//! The `p` answer of the approval modal: always allow the commands starting with a prefix of
//! the one asked about, as a rule saved in the user's own files for this workspace. Its own type
//! because it has its own small editor (the prefix, checked to still allow the command) inside
//! the modal.

use crate::sandbox::approval::{command_prefix, prefix_rule, Answer, Request};
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};
use std::path::PathBuf;

/// The offer to allow every command starting with a prefix.
pub struct RuleOffer {
    /// Where the rule is saved.
    pub(super) file: PathBuf,
    /// The command asked about, which the rule must allow.
    pub(super) command: String,
    pub(super) prefix: String,
    /// Editing the prefix (after `p`); Enter saves.
    pub(super) editing: bool,
    pub(super) error: Option<String>,
}

impl RuleOffer {
    /// The offer for `request`, the rule to be saved to `file`; only for a command line an
    /// allow rule can match.
    pub fn for_request(request: &Request, file: PathBuf) -> Option<RuleOffer> {
        if request.tool != "shell" {
            return None;
        }
        let command = request.arguments.get("command").and_then(|v| v.as_str())?;
        let prefix = command_prefix(command)?;
        Some(RuleOffer {
            file,
            command: command.to_string(),
            prefix,
            editing: false,
            error: None,
        })
    }

    /// A key while the prefix is edited: Enter saves a rule that allows the command (or says
    /// why not), Esc goes back to the answers.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Answer> {
        match key.code {
            KeyCode::Enter => match prefix_rule(&self.prefix, &self.command) {
                Ok(rule) => return Some(Answer::Rule { rule }),
                Err(e) => self.error = Some(e.to_string()),
            },
            KeyCode::Esc => {
                self.editing = false;
                self.error = None;
            }
            KeyCode::Backspace => {
                self.prefix.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.prefix.clear()
            }
            KeyCode::Char(c) => self.prefix.push(c),
            _ => {}
        }
        None
    }

    /// The modal's footer while the prefix is edited.
    pub fn editor_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = vec![
            Line::from(vec![
                Span::styled("always allow commands starting with: ", theme.bold),
                Span::raw(self.prefix.clone()),
                Span::styled("█", theme.dim),
            ]),
            Line::styled(
                format!(
                    "as the rule shell({}*) in {}",
                    self.prefix.trim(),
                    self.file.display()
                ),
                theme.dim,
            ),
            Line::styled("Enter save the rule and run · Esc back", theme.dim),
        ];
        if let Some(e) = &self.error {
            lines.insert(1, Line::styled(e.clone(), theme.level.error));
        }
        lines
    }
}
