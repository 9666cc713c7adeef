//! Every style the TUI draws with, in one place, so `NO_COLOR` is honoured by construction: the
//! plain theme keeps only modifiers (bold, dim, reverse), which NO_COLOR permits.
//!
//! The styles are grouped by what draws them (Markdown prose, diffs, outcome levels), so a
//! widget takes the one group it needs and a new style goes where its readers look for it.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours are used at all (also gates syntax highlighting).
    pub color: bool,
    pub dim: Style,
    pub bold: Style,
    pub accent: Style,
    pub user: Style,
    pub selected: Style,
    /// The status line and the diff view's footer.
    pub status: Style,
    pub border: Style,
    pub markdown: MarkdownStyles,
    pub diff: DiffStyles,
    pub level: LevelStyles,
}

/// The assistant's Markdown: what the renderer adds on top of the running text style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkdownStyles {
    pub heading: Style,
    pub code: Style,
    pub link: Style,
    pub quote: Style,
}

/// Unified diffs, wherever they are shown (tool results, the approval modal, `/diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffStyles {
    pub add: Style,
    pub del: Style,
    pub hunk: Style,
    pub header: Style,
}

/// How an outcome went: a passed call, a warning note, an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelStyles {
    pub ok: Style,
    pub warning: Style,
    pub error: Style,
}

impl Theme {
    /// Colour unless the `NO_COLOR` convention (a non-empty value) says otherwise.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color {
            Theme::plain()
        } else {
            Theme::colored()
        }
    }

    pub fn colored() -> Theme {
        let fg = |c: Color| Style::new().fg(c);
        Theme {
            color: true,
            dim: Style::new().add_modifier(Modifier::DIM),
            bold: Style::new().add_modifier(Modifier::BOLD),
            accent: fg(Color::Cyan),
            user: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            status: Style::new().bg(Color::Indexed(236)).fg(Color::Gray),
            border: fg(Color::DarkGray),
            markdown: MarkdownStyles {
                heading: fg(Color::Magenta).add_modifier(Modifier::BOLD),
                code: fg(Color::Yellow),
                link: fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
                quote: fg(Color::Green).add_modifier(Modifier::ITALIC),
            },
            diff: DiffStyles {
                add: fg(Color::Green),
                del: fg(Color::Red),
                hunk: fg(Color::Cyan),
                header: Style::new().add_modifier(Modifier::BOLD),
            },
            level: LevelStyles {
                ok: fg(Color::Green),
                warning: fg(Color::Yellow),
                error: fg(Color::Red),
            },
        }
    }

    pub fn plain() -> Theme {
        let m = |m: Modifier| Style::new().add_modifier(m);
        Theme {
            color: false,
            dim: m(Modifier::DIM),
            bold: m(Modifier::BOLD),
            accent: m(Modifier::BOLD),
            user: m(Modifier::BOLD),
            selected: m(Modifier::REVERSED),
            status: m(Modifier::REVERSED),
            border: m(Modifier::DIM),
            markdown: MarkdownStyles {
                heading: m(Modifier::BOLD | Modifier::UNDERLINED),
                code: m(Modifier::BOLD),
                link: m(Modifier::UNDERLINED),
                quote: m(Modifier::ITALIC),
            },
            diff: DiffStyles {
                add: Style::new(),
                del: m(Modifier::DIM),
                hunk: m(Modifier::BOLD),
                header: m(Modifier::BOLD),
            },
            level: LevelStyles {
                ok: Style::new(),
                warning: m(Modifier::BOLD),
                error: m(Modifier::BOLD),
            },
        }
    }
}

impl DiffStyles {
    /// The style of one line of a unified diff, by its first character.
    pub fn line(&self, line: &str) -> Style {
        if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") {
            self.header
        } else if line.starts_with('+') {
            self.add
        } else if line.starts_with('-') {
            self.del
        } else if line.starts_with("@@") {
            self.hunk
        } else {
            Style::new()
        }
    }
}
