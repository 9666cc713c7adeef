//! Finding the patch inside whatever the model wrapped it in. Models trained on Codex often send the
//! shell form (`apply_patch <<'EOF' … EOF`) or a Markdown fence instead of the bare patch; those
//! wrappers are peeled off here, and what remains must run from `*** Begin Patch` to
//! `*** End Patch`. A missing end marker is an error, not a guess: it usually means the output was
//! cut off, and applying a truncated patch would write half a change.

use super::PatchError;

const BEGIN: &str = "*** Begin Patch";
const END: &str = "*** End Patch";

/// One line of the patch with its 1-based line number in the text as sent, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    pub no: usize,
    pub text: &'a str,
}

/// A line that closes a wrapper opened before `*** Begin Patch`.
enum Closer {
    Nothing,
    Word(String),
    Fence,
}

/// The lines between `*** Begin Patch` and `*** End Patch` (both excluded). CRLF is accepted.
pub fn body(text: &str) -> Result<Vec<Line<'_>>, PatchError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let all: Vec<Line<'_>> = text
        .lines()
        .enumerate()
        .map(|(i, l)| Line {
            no: i + 1,
            text: l.strip_suffix('\r').unwrap_or(l),
        })
        .collect();
    let mut lo = all
        .iter()
        .position(|l| !is_blank(l))
        .ok_or(PatchError::Empty)?;
    let mut hi = all.iter().rposition(|l| !is_blank(l)).map_or(lo, |i| i + 1);
    let mut closers = Vec::new();
    while lo < hi && all[lo].text.trim() != BEGIN {
        let Some(closer) = opener(all[lo].text) else {
            break;
        };
        closers.push(closer);
        lo += 1;
    }
    while lo < hi && is_blank(&all[lo]) {
        lo += 1;
    }
    if lo == hi || all[lo].text.trim() != BEGIN {
        let line = all.get(lo).copied().unwrap_or(all[0]);
        return Err(syntax(
            line.no,
            format!(
                "the patch must start with `{BEGIN}`, found `{}`",
                line.text.trim()
            ),
        ));
    }
    while hi > lo + 1 && all[hi - 1].text.trim() != END && closes(&all[hi - 1], &closers) {
        hi -= 1;
    }
    if hi <= lo + 1 || all[hi - 1].text.trim() != END {
        let last = all[hi - 1];
        return Err(syntax(
            last.no,
            format!(
                "the patch must end with `{END}`, but its last line is `{}`; the patch may have \
                 been cut off, so send the whole patch again",
                last.text.trim()
            ),
        ));
    }
    let body = all[lo + 1..hi - 1].to_vec();
    if body.iter().all(is_blank) {
        return Err(PatchError::Empty);
    }
    Ok(body)
}

fn is_blank(line: &Line<'_>) -> bool {
    line.text.trim().is_empty()
}

fn syntax(line: usize, message: String) -> PatchError {
    PatchError::Syntax { line, message }
}

/// Recognises a wrapper's opening line: `apply_patch`, `apply_patch <<'EOF'`, `<<EOF`, a fence.
fn opener(line: &str) -> Option<Closer> {
    let t = line.trim();
    if t.starts_with("```") {
        return Some(Closer::Fence);
    }
    let (command, rest) = match t
        .strip_prefix("apply_patch")
        .or_else(|| t.strip_prefix("applypatch"))
    {
        Some(rest) => (true, rest.trim()),
        None => (false, t),
    };
    if command && rest.is_empty() {
        return Some(Closer::Nothing);
    }
    heredoc_word(rest.strip_prefix("<<")?).map(Closer::Word)
}

/// The delimiter of a heredoc from what follows `<<`: `'EOF'`, `"EOF"`, `EOF` or `-EOF`.
fn heredoc_word(spec: &str) -> Option<String> {
    let spec = spec.trim_start_matches('-').trim();
    let word: String = match spec.chars().next()? {
        q @ ('\'' | '"') => spec[1..].chars().take_while(|&c| c != q).collect(),
        _ => spec
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect(),
    };
    (!word.is_empty()).then_some(word)
}

/// Whether a line after `*** End Patch` is only the end of a wrapper (or blank).
fn closes(line: &Line<'_>, closers: &[Closer]) -> bool {
    let t = line.text.trim();
    t.is_empty()
        || closers.iter().any(|c| match c {
            Closer::Nothing => false,
            Closer::Word(word) => t == word,
            Closer::Fence => t == "```",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        match body(text) {
            Ok(lines) => lines.iter().map(|l| l.text.to_string()).collect(),
            Err(e) => vec![format!("error: {e}")],
        }
    }

    #[test]
    fn bare_patch_yields_the_lines_between_markers() {
        let t = "*** Begin Patch\n*** Delete File: a\n*** End Patch\n";
        assert_eq!(texts(t), ["*** Delete File: a"]);
    }

    #[test]
    fn line_numbers_count_from_the_text_as_sent() {
        let t = "\n\n*** Begin Patch\n*** Delete File: a\n*** End Patch";
        assert_eq!(body(t).ok().map(|b| b[0].no), Some(4));
    }

    #[test]
    fn heredoc_wrappers_are_peeled() {
        for opener in [
            "apply_patch <<'EOF'",
            "apply_patch <<EOF",
            "<<\"EOF\"",
            "<<'EOF'",
        ] {
            let t = format!("{opener}\n*** Begin Patch\n*** Delete File: a\n*** End Patch\nEOF\n");
            assert_eq!(texts(&t), ["*** Delete File: a"], "{opener}");
        }
    }

    #[test]
    fn fences_and_a_bare_command_line_are_peeled() {
        let t = "```\napply_patch\n*** Begin Patch\n*** Delete File: a\n*** End Patch\n```";
        assert_eq!(texts(t), ["*** Delete File: a"]);
    }

    #[test]
    fn leading_byte_order_mark_is_ignored() {
        let t = "\u{feff}*** Begin Patch\n*** Delete File: a\n*** End Patch\n";
        assert_eq!(texts(t), ["*** Delete File: a"]);
    }

    #[test]
    fn crlf_and_padded_markers_are_accepted() {
        let t = "  *** Begin Patch \r\n*** Delete File: a\r\n *** End Patch\r\n";
        assert_eq!(texts(t), ["*** Delete File: a"]);
    }

    #[test]
    fn missing_end_marker_is_reported_as_truncation() {
        let t = texts("*** Begin Patch\n*** Add File: a\n+x\n");
        assert!(t[0].contains("must end with `*** End Patch`"), "{t:?}");
        assert!(t[0].contains("cut off"), "{t:?}");
    }

    #[test]
    fn text_after_the_end_marker_is_refused() {
        let t = texts("*** Begin Patch\n*** Delete File: a\n*** End Patch\nthat's it!\n");
        assert!(t[0].contains("must end with"), "{t:?}");
    }

    #[test]
    fn missing_begin_marker_is_an_error() {
        let t = texts("*** Delete File: a\n*** End Patch\n");
        assert!(t[0].contains("must start with `*** Begin Patch`"), "{t:?}");
    }

    #[test]
    fn blank_and_marker_only_patches_are_empty() {
        assert!(matches!(body("  \n\n"), Err(PatchError::Empty)));
        assert!(matches!(
            body("*** Begin Patch\n\n*** End Patch"),
            Err(PatchError::Empty)
        ));
    }
}
