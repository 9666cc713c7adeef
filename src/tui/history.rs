//! The prompt history kept across launches, one file per workspace in the user's home
//! (`$REINS_HOME/workspaces/<key>/history.jsonl`, see [`crate::config::user_workspace`]), never in
//! the repository: what one user typed is not for everyone who clones it. One JSON string per
//! line, so a multi-line prompt stays one entry; the file is created private (0600).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Entries kept: older ones are dropped when the file is compacted.
const KEEP: usize = 500;
/// The file is rewritten with the last `KEEP` entries once it holds this many.
const COMPACT_AT: usize = 2 * KEEP;

pub struct PromptHistory {
    path: Option<PathBuf>,
    /// Lines in the file, to know when to compact it.
    lines: usize,
    /// The newest entry: the same prompt sent twice in a row is kept once.
    last: Option<String>,
}

impl PromptHistory {
    /// The history of `workspace`; without a home (tests, no `$HOME`) nothing is kept.
    pub fn open(reins_home: Option<&Path>, workspace: &Path) -> Self {
        PromptHistory {
            path: reins_home
                .map(|h| crate::config::user_workspace::dir(h, workspace).join("history.jsonl")),
            lines: 0,
            last: None,
        }
    }

    /// The earlier prompts, oldest first. A line that does not parse (a torn write) is skipped.
    pub fn load(&mut self) -> Vec<String> {
        let Some(text) = self
            .path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
        else {
            return Vec::new();
        };
        let mut entries: Vec<String> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<String>(l).ok())
            .collect();
        self.lines = text.lines().count();
        let drop = entries.len().saturating_sub(KEEP);
        entries.drain(..drop);
        self.last = entries.last().cloned();
        entries
    }

    /// Appends one prompt. Failing to write history never stops the UI: the error is returned
    /// for a note, and the prompt still goes to the model.
    pub fn append(&mut self, prompt: &str, all: &[String]) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if self.last.as_deref() == Some(prompt) {
            return Ok(());
        }
        self.last = Some(prompt.to_string());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if self.lines + 1 >= COMPACT_AT {
            let start = all.len().saturating_sub(KEEP);
            let body: String = all[start..].iter().map(|p| encode(p) + "\n").collect();
            crate::fsutil::write_atomic(path, body.as_bytes())?;
            self.lines = all.len() - start;
            return Ok(());
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        f.write_all((encode(prompt) + "\n").as_bytes())?;
        self.lines += 1;
        Ok(())
    }
}

fn encode(prompt: &str) -> String {
    serde_json::Value::String(prompt.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_come_back_in_order_multi_line_ones_whole() {
        let home = tempfile::tempdir().unwrap();
        let ws = Path::new("/w/app");
        let mut h = PromptHistory::open(Some(home.path()), ws);
        assert!(h.load().is_empty());
        h.append("first", &[]).unwrap();
        h.append("two\nlines", &[]).unwrap();
        h.append("two\nlines", &[]).unwrap();
        let mut again = PromptHistory::open(Some(home.path()), ws);
        assert_eq!(again.load(), ["first", "two\nlines"]);
        let other = PromptHistory::open(Some(home.path()), Path::new("/w/other")).load();
        assert!(other.is_empty(), "history is per workspace");
    }

    #[test]
    fn the_file_is_compacted_to_the_last_entries() {
        let home = tempfile::tempdir().unwrap();
        let ws = Path::new("/w/app");
        let mut h = PromptHistory::open(Some(home.path()), ws);
        let mut all = Vec::new();
        for i in 0..COMPACT_AT + 3 {
            all.push(format!("p{i}"));
            h.append(&format!("p{i}"), &all).unwrap();
        }
        let back = PromptHistory::open(Some(home.path()), ws).load();
        assert_eq!(back.len(), KEEP);
        assert_eq!(
            back.last().map(String::as_str),
            Some(&*format!("p{}", COMPACT_AT + 2))
        );
        let text = std::fs::read_to_string(h.path.as_ref().unwrap()).unwrap();
        assert!(text.lines().count() <= COMPACT_AT);
    }
}
