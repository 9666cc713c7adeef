//! Syntax colour for code blocks (syntect). The syntax and theme sets take tens of milliseconds
//! to load, so they are loaded once, on the first code block, not at startup.
//!
//! A code block that is still streaming is highlighted again on every frame, and syntect costs
//! about 0.2 ms a line: a 50-line block would cost 10 ms a frame. But a line's colours depend only
//! on the lines before it, so the last block's finished lines and the parser state after them are
//! kept, and each frame highlights only the lines that arrived since.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use std::cell::RefCell;
use std::sync::OnceLock;
use syntect::easy::HighlightLines;
use syntect::highlighting::{HighlightState, Theme, ThemeSet};
use syntect::parsing::{ParseState, SyntaxSet};

struct Sets {
    syntaxes: SyntaxSet,
    theme: Option<Theme>,
}

fn sets() -> &'static Sets {
    static SETS: OnceLock<Sets> = OnceLock::new();
    SETS.get_or_init(|| {
        let mut themes = ThemeSet::load_defaults();
        Sets {
            syntaxes: SyntaxSet::load_defaults_nonewlines(),
            theme: themes.themes.remove("base16-ocean.dark"),
        }
    })
}

/// Loads the syntax and theme sets now (the TUI calls it on a background thread at startup).
/// A syntax's regexes are still compiled on its first use (about 20 ms for Rust, one slow frame):
/// compiling the common ones ahead would cost ~25 MB of memory for languages that may never come.
pub fn preload() {
    sets();
}

/// The finished lines of the last block highlighted, and the state after them.
struct Memo {
    lang: String,
    lines: Vec<String>,
    out: Vec<Line<'static>>,
    state: (HighlightState, ParseState),
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// The code's lines with syntax colour, or `None` when the language is unknown (the caller
/// draws them plain).
pub fn highlight(code: &str, lang: &str) -> Option<Vec<Line<'static>>> {
    let lang = lang.split([' ', ',', '{']).next().unwrap_or("").trim();
    if lang.is_empty() {
        return None;
    }
    let sets = sets();
    let theme = sets.theme.as_ref()?;
    let syntax = sets.syntaxes.find_syntax_by_token(lang)?;
    let lines: Vec<&str> = code.lines().collect();
    // A last line without its newline may still grow: it is drawn but not remembered.
    let finished = if code.ends_with('\n') {
        lines.len()
    } else {
        lines.len().saturating_sub(1)
    };
    let memo = MEMO.with(|m| m.borrow_mut().take());
    let (mut out, mut h, from) = match memo {
        Some(m)
            if m.lang == lang
                && m.lines.len() <= finished
                && m.lines.iter().zip(&lines).all(|(a, b)| a == b) =>
        {
            let (hs, ps) = m.state;
            let from = m.lines.len();
            (m.out, HighlightLines::from_state(theme, hs, ps), from)
        }
        _ => (Vec::new(), HighlightLines::new(syntax, theme), 0),
    };
    for line in &lines[from..finished] {
        out.push(colour(&mut h, line, &sets.syntaxes)?);
    }
    let state = h.state();
    let mut result = out.clone();
    if finished < lines.len() {
        let mut tail = HighlightLines::from_state(theme, state.0.clone(), state.1.clone());
        result.push(colour(&mut tail, lines[finished], &sets.syntaxes)?);
    }
    let memo = Memo {
        lang: lang.to_string(),
        lines: lines[..finished].iter().map(|l| l.to_string()).collect(),
        out,
        state,
    };
    MEMO.with(|m| *m.borrow_mut() = Some(memo));
    Some(result)
}

fn colour(h: &mut HighlightLines<'_>, line: &str, syntaxes: &SyntaxSet) -> Option<Line<'static>> {
    let ranges = h.highlight_line(line, syntaxes).ok()?;
    Some(Line::from(
        ranges
            .into_iter()
            .map(|(style, text)| Span::styled(text.to_string(), convert(style)))
            .collect::<Vec<_>>(),
    ))
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let c = style.foreground;
    Style::new().fg(Color::Rgb(c.r, c.g, c.b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_gets_coloured_spans() {
        let lines = highlight("fn main() {}\n", "rust").unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].to_string(), "fn main() {}");
        assert!(lines[0].spans.len() > 1);
    }

    #[test]
    fn unknown_language_is_none() {
        assert!(highlight("x", "no-such-lang").is_none());
        assert!(highlight("x", "").is_none());
    }

    #[test]
    fn growing_code_colours_like_the_whole_block() {
        let code = "/* a comment\nstill the comment */\nfn main() {\n    let x = \"s\";\n}\n";
        let whole = highlight(code, "rust").unwrap();
        let _ = highlight("fn other() {}\n", "rust");
        let mut grown = Vec::new();
        for end in 1..=code.len() {
            if code.is_char_boundary(end) {
                grown = highlight(&code[..end], "rust").unwrap();
            }
        }
        assert_eq!(grown, whole);
    }
}
