//! Syntax colour for code blocks (syntect). The syntax and theme sets take tens of milliseconds
//! to load, so they are loaded once, on the first code block, not at startup.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use std::sync::OnceLock;
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::SyntaxSet;

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

/// The code's lines with syntax colour, or `None` when the language is unknown (the caller
/// draws them plain).
pub fn highlight(code: &str, lang: &str) -> Option<Vec<Line<'static>>> {
    let lang = lang.split([' ', ',', '{']).next().unwrap_or("").trim();
    if lang.is_empty() {
        return None;
    }
    let sets = sets();
    let syntax = sets.syntaxes.find_syntax_by_token(lang)?;
    let mut h = HighlightLines::new(syntax, sets.theme.as_ref()?);
    let mut out = Vec::new();
    for line in code.lines() {
        let ranges = h.highlight_line(line, &sets.syntaxes).ok()?;
        out.push(Line::from(
            ranges
                .into_iter()
                .map(|(style, text)| Span::styled(text.to_string(), convert(style)))
                .collect::<Vec<_>>(),
        ));
    }
    Some(out)
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
}
