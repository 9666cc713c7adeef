//! Text from the model or from tools, made safe to print on the user's terminal. A command's
//! output or a model's answer may carry terminal control sequences: OSC 52 writes the user's
//! clipboard, others retitle the window, move the cursor over earlier lines or, on some
//! terminals, answer back into the input. Human-readable output shows them in caret notation
//! (`^[]52;...`) instead: visible, inert. JSON output is data for programs and stays exact.

use std::io::IsTerminal;

/// `s` with every control character but newline and tab in caret notation (`ESC` is `^[`,
/// `BEL` is `^G`, `DEL` is `^?`); C1 controls (U+0080..U+009F) as `\u{..}` escapes.
pub fn neutralize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\u{7f}' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// `s` neutralized when stdout is a terminal, unchanged when it is a pipe or a file (a script
/// reading the final answer gets it byte for byte).
pub fn for_stdout(s: &str) -> String {
    match std::io::stdout().is_terminal() {
        true => neutralize(s),
        false => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_become_visible_and_inert() {
        assert_eq!(
            neutralize("a\u{1b}]52;c;cHduZWQ=\u{7}b\n\tc\r"),
            "a^[]52;c;cHduZWQ=^Gb\n\tc^M"
        );
        assert_eq!(neutralize("\u{9b}31m\u{7f}"), "\\u{9b}31m^?");
        assert_eq!(neutralize("plain · text"), "plain · text");
    }
}
