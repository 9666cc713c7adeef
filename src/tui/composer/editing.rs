//! Edits and reads on the text area that the composer's keys need and the text area does not
//! provide: the readline kill and move keys, what is being completed at the cursor, and putting
//! a completion in place of its query.

use crate::tui::popup::{Query, Source};
use ratatui_textarea::{CursorMove, TextArea};

/// The readline keys a shell user's fingers know, which the text area binds otherwise (Ctrl+U
/// is its undo): kill to the start or end of the line, kill the word before the cursor up to
/// whitespace (`foo/bar.rs` goes whole, as in bash), go to the start or end.
pub fn line_edit(area: &mut TextArea<'_>, c: char) {
    match c {
        'u' => {
            let col = area.cursor().1;
            if col > 0 {
                area.move_cursor(CursorMove::Head);
                area.delete_str(col);
            }
        }
        'k' => {
            let (row, col) = (area.cursor().0, area.cursor().1);
            let len = area.lines().get(row).map_or(0, |l| l.chars().count());
            if col < len {
                area.delete_str(len - col);
            }
        }
        'w' => {
            let (row, col) = (area.cursor().0, area.cursor().1);
            let line = area.lines().get(row).cloned().unwrap_or_default();
            let n = word_before(&line, col);
            for _ in 0..n {
                area.move_cursor(CursorMove::Back);
            }
            area.delete_str(n);
        }
        'a' => area.move_cursor(CursorMove::Head),
        _ => area.move_cursor(CursorMove::End),
    }
}

/// Characters Ctrl+W kills before column `col` of `line`: the spaces just before the cursor
/// and the word before them.
fn word_before(line: &str, col: usize) -> usize {
    let before: Vec<char> = line.chars().take(col).collect();
    let spaces = before
        .iter()
        .rev()
        .take_while(|c| c.is_whitespace())
        .count();
    let word = before[..before.len() - spaces]
        .iter()
        .rev()
        .take_while(|c| !c.is_whitespace())
        .count();
    spaces + word
}

/// What is being completed at the cursor: `/name` alone on the first line, or `@path`.
pub fn query_at_cursor(area: &TextArea<'_>) -> Option<Query> {
    let lines = area.lines();
    let (row, col) = (area.cursor().0, area.cursor().1);
    let line = lines.get(row)?;
    if lines.len() == 1 {
        if let Some(name) = line.strip_prefix('/') {
            if !name.contains(char::is_whitespace) {
                return Some(Query {
                    source: Source::Commands,
                    text: name.to_string(),
                });
            }
        }
    }
    let before: String = line.chars().take(col).collect();
    let word = before.rsplit(char::is_whitespace).next()?;
    let path = word.strip_prefix('@')?;
    Some(Query {
        source: Source::Files,
        text: path.to_string(),
    })
}

/// Replaces `@query` just before the cursor with `with`.
pub fn replace_query(area: &mut TextArea<'_>, query: &str, with: &str) {
    let n = query.chars().count() + 1;
    for _ in 0..n {
        area.move_cursor(CursorMove::Back);
    }
    area.delete_str(n);
    area.insert_str(with);
}
