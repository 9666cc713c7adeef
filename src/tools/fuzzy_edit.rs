//! The lenient fallbacks of `edit_file`, for when `old_string` is not in the file byte for byte:
//! trailing whitespace ignored, indentation re-based, whitespace runs collapsed. Each applies only
//! if exactly one place matches, and the replacement is re-indented to the block it replaces.

use crate::patch::seek::{find_unique, SeekError};

/// Why no lenient match was used.
pub enum Miss {
    NotFound,
    Ambiguous(String),
}

/// Replaces the one block of whole lines matching `old` (leniently) with `new`.
pub fn replace(text: &str, old: &str, new: &str) -> Result<String, Miss> {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.lines().collect();
    let block: Vec<&str> = old.trim_end_matches(['\n', '\r']).lines().collect();
    if block.is_empty() {
        return Err(Miss::NotFound);
    }
    let start = match find_unique(&lines, &block) {
        Ok(found) => found.start,
        Err(e @ SeekError::Ambiguous { .. }) => return Err(Miss::Ambiguous(e.to_string())),
        Err(SeekError::NotFound) => find_collapsed(&lines, &block)?,
    };
    let matched = &lines[start..start + block.len()];
    let replacement = reindent(
        new.trim_end_matches(['\n', '\r']),
        indent_of(&block),
        indent_of(matched),
    );
    let mut out: Vec<String> = lines[..start].iter().map(|s| s.to_string()).collect();
    if !new.is_empty() {
        out.extend(replacement.lines().map(str::to_string));
    }
    out.extend(lines[start + block.len()..].iter().map(|s| s.to_string()));
    let mut joined = out.join(eol);
    if text.ends_with('\n') {
        joined.push_str(eol);
    }
    Ok(joined)
}

/// Last resort: lines equal once every whitespace run is collapsed to one space.
fn find_collapsed(lines: &[&str], block: &[&str]) -> Result<usize, Miss> {
    let key = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let want: Vec<String> = block.iter().map(|l| key(l)).collect();
    let have: Vec<String> = lines.iter().map(|l| key(l)).collect();
    let hits: Vec<usize> = (0..=have.len().saturating_sub(want.len()))
        .filter(|&i| have.len() >= want.len() && have[i..i + want.len()] == want[..])
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(Miss::NotFound),
        [a, b, ..] => Err(Miss::Ambiguous(format!(
            "the lines match (collapsing whitespace) at lines {} and {}",
            a + 1,
            b + 1
        ))),
    }
}

/// The indentation of the first non-blank line.
fn indent_of(lines: &[&str]) -> String {
    lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| l[..l.len() - l.trim_start().len()].to_string())
        .unwrap_or_default()
}

/// Moves `text` from indentation `from` to `to`: the `from` prefix of each line is swapped for `to`.
fn reindent(text: &str, from: String, to: String) -> String {
    if from == to {
        return text.to_string();
    }
    text.lines()
        .map(|l| match l.strip_prefix(from.as_str()) {
            Some(rest) => format!("{to}{rest}"),
            None if l.trim().is_empty() => String::new(),
            None => format!("{to}{}", l.trim_start()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, old: &str, new: &str) -> String {
        replace(text, old, new).unwrap_or_else(|_| panic!("no match"))
    }

    #[test]
    fn trailing_whitespace_in_the_file_is_tolerated() {
        assert_eq!(ok("a  \nb\n", "a\nb", "x\ny"), "x\ny\n");
    }

    #[test]
    fn a_block_sent_at_the_wrong_indent_is_reindented() {
        let text = "fn f() {\n    if x {\n        y();\n    }\n}\n";
        let out = ok(text, "if x {\n    y();\n}", "if x {\n    z();\n}");
        assert_eq!(out, "fn f() {\n    if x {\n        z();\n    }\n}\n");
    }

    #[test]
    fn collapsed_whitespace_is_the_last_resort() {
        assert_eq!(
            ok("let  x =   1;\n", "let x = 1;", "let x = 2;"),
            "let x = 2;\n"
        );
    }

    #[test]
    fn crlf_files_keep_their_line_endings() {
        assert_eq!(ok("a\r\nb  \r\nc\r\n", "b", "B"), "a\r\nB\r\nc\r\n");
    }

    #[test]
    fn ambiguous_lenient_matches_are_refused() {
        assert!(matches!(
            replace("x \nx \n", "x", "y"),
            Err(Miss::Ambiguous(_))
        ));
    }
}
