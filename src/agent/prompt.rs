//! The request prefix and the first user message. The prefix (system prompt, then tool schemas) is
//! identical on every step of a session so providers can serve it from their prompt cache; what
//! changes between sessions (directory, date) goes into the first user message instead.

use std::path::Path;

/// The system prompt, embedded at build time.
pub const SYSTEM_PROMPT: &str = include_str!("../../prompts/system.md");

/// The summariser's instructions for compaction.
pub const COMPACT_PROMPT: &str = include_str!("../../prompts/compact.md");

/// The full stable prefix: system prompt, then instructions files, then the memory files.
pub fn system_prefix(instructions: &str, memory: &str) -> String {
    let mut s = SYSTEM_PROMPT.to_string();
    if !instructions.trim().is_empty() {
        s.push_str("\n# Instructions from the user and the project\n\n");
        s.push_str(instructions.trim_end());
        s.push('\n');
    }
    if !memory.trim().is_empty() {
        s.push_str("\n# Memory (facts saved by earlier sessions; add with the remember tool)\n\n");
        s.push_str(memory.trim_end());
        s.push('\n');
    }
    s
}

/// The user's task with the facts about the environment the model needs to start.
pub fn first_user_message(task: &str, root: &Path) -> String {
    let git = if root.join(".git").exists() {
        "yes"
    } else {
        "no"
    };
    format!(
        "<environment>\nworkspace: {}\nos: {}\ngit repository: {git}\ndate: {}\n</environment>\n\n{task}",
        root.display(),
        std::env::consts::OS,
        today()
    )
}

/// What the user typed in a user message: the message without the `<environment>` block
/// [`first_user_message`] puts before the first task (the TUI and ACP replay show only this).
pub fn typed_text(text: &str) -> &str {
    match text.strip_prefix("<environment>") {
        Some(rest) => rest
            .split_once("</environment>")
            .map_or(text, |(_, after)| after.trim_start()),
        None => text,
    }
}

/// Today's date (UTC) as YYYY-MM-DD, without pulling in a date crate for one line.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's days-to-civil algorithm.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_784), (2026, 11, 27));
    }

    #[test]
    fn the_typed_text_is_the_task_without_its_environment_block() {
        let first = first_user_message("fix the\nparser", std::path::Path::new("/w"));
        assert_eq!(typed_text(&first), "fix the\nparser");
        assert_eq!(typed_text("later turn"), "later turn");
        let unclosed = "<environment>\nno end";
        assert_eq!(typed_text(unclosed), unclosed);
    }
}
