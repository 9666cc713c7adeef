//! The session's approval requests as the user meets them: how often the same request came
//! before (the modal says so), the rule file a new rule would go to, and saving a rule the user
//! chose. The modal itself ([`super::approval::ApprovalModal`]) only shows one request and reads
//! the answer.

use super::approval::ApprovalModal;
use super::theme::Theme;
use super::transcript::Level;
use crate::sandbox::approval::{Answer, Request};
use std::collections::HashMap;
use std::path::PathBuf;

/// The approvals asked in the open session, and where the user's own rules are kept.
pub struct Approvals {
    root: PathBuf,
    home: Option<PathBuf>,
    /// How many times each request (tool and arguments) was asked in this session.
    asked: HashMap<String, usize>,
}

impl Approvals {
    pub fn new(root: PathBuf, home: Option<PathBuf>) -> Self {
        Approvals {
            root,
            home,
            asked: HashMap::new(),
        }
    }

    /// The modal for `request`, with what the model said before the call and how often the
    /// same request came before in this session; it offers a rule when there is a home to
    /// keep it in.
    pub fn modal(
        &mut self,
        request: Request,
        explanation: Option<String>,
        theme: &Theme,
    ) -> ApprovalModal {
        let key = format!("{}\u{0}{}", request.tool, request.arguments);
        let repeat = self.asked.entry(key).or_default();
        *repeat += 1;
        let repeat = *repeat;
        let mut modal =
            ApprovalModal::new(request, &self.root, theme).with_context(explanation, repeat);
        if let Some(home) = &self.home {
            modal = modal.offer_rule(crate::config::user_workspace::rules_path(home, &self.root));
        }
        modal
    }

    /// The answer to send to the gate, and a note to show. A rule the user chose is saved
    /// first, in the user's own rules for this workspace; if that fails the call still runs,
    /// approved for the session only, and the note says so.
    pub fn answer(&self, answer: Answer) -> (Answer, Option<(Level, String)>) {
        let Answer::Rule { rule } = answer else {
            return (answer, None);
        };
        let Some(home) = &self.home else {
            return (Answer::Always, None);
        };
        match crate::config::user_workspace::add_allow_rule(home, &self.root, &rule) {
            Ok(path) => {
                let note = format!(
                    "saved `{rule}` in {} (delete it there to be asked again)",
                    path.display()
                );
                (Answer::Rule { rule }, Some((Level::Info, note)))
            }
            Err(e) => {
                let note = format!("{e}; approved this exact command for the session only");
                (Answer::Always, Some((Level::Error, note)))
            }
        }
    }

    /// A session was (re)opened: its requests start counting afresh.
    pub fn forget(&mut self) {
        self.asked.clear();
    }
}
