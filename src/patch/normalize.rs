//! Folding of typographic lookalikes to ASCII, for the most lenient matching pass. Models often
//! "typeset" the code they copy (an en dash for `-`, curly quotes for `'`, a non-breaking space for
//! a space), while the file holds the ASCII; comparing the folded forms still finds the place meant.

use std::borrow::Cow;

/// `line` with lookalike punctuation and spaces replaced by their ASCII forms and surrounding
/// whitespace trimmed. Borrows when nothing changes, which is every ASCII line, so the pass costs
/// no allocation on ordinary source files.
pub fn fold(line: &str) -> Cow<'_, str> {
    if line.is_ascii() || !line.chars().any(|c| ascii_for(c).is_some()) {
        return Cow::Borrowed(line.trim());
    }
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match ascii_for(c) {
            Some(ascii) => out.push_str(ascii),
            None => out.push(c),
        }
    }
    Cow::Owned(out.trim().to_string())
}

/// The ASCII a lookalike stands for; `None` for characters kept as they are.
fn ascii_for(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}' => "-",
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '\u{ff07}' => "'",
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' | '\u{ff02}' => "\"",
        '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => " ",
        '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' => "",
        '\u{2026}' => "...",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_lines_are_only_trimmed_and_borrowed() {
        assert!(matches!(
            fold("  let x = 1;  "),
            Cow::Borrowed("let x = 1;")
        ));
    }

    #[test]
    fn dashes_quotes_and_spaces_fold_to_ascii() {
        assert_eq!(fold("a \u{2013} b \u{2014} c \u{2212} d"), "a - b - c - d");
        assert_eq!(fold("\u{201c}hi\u{201d} \u{2018}x\u{2019}"), "\"hi\" 'x'");
        assert_eq!(fold("a\u{00a0}=\u{202f}b"), "a = b");
        assert_eq!(fold("wait\u{2026}"), "wait...");
    }

    #[test]
    fn other_non_ascii_text_is_kept() {
        assert!(matches!(fold("café"), Cow::Borrowed("café")));
        assert_eq!(fold("\u{00a0}héllo\u{2014}"), "héllo-");
    }
}
