//! Every style the TUI draws with, in one place, so `NO_COLOR` is honoured by construction: the
//! plain theme keeps only modifiers (bold, dim, reverse), which NO_COLOR permits.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours are used at all (also gates syntax highlighting).
    pub color: bool,
    pub dim: Style,
    pub bold: Style,
    pub accent: Style,
    pub user: Style,
    pub heading: Style,
    pub code: Style,
    pub link: Style,
    pub quote: Style,
    pub ok: Style,
    pub error: Style,
    pub warning: Style,
    pub diff_add: Style,
    pub diff_del: Style,
    pub diff_hunk: Style,
    pub diff_header: Style,
    pub selected: Style,
    pub status: Style,
    pub border: Style,
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
            heading: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            code: fg(Color::Yellow),
            link: fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
            quote: fg(Color::Green).add_modifier(Modifier::ITALIC),
            ok: fg(Color::Green),
            error: fg(Color::Red),
            warning: fg(Color::Yellow),
            diff_add: fg(Color::Green),
            diff_del: fg(Color::Red),
            diff_hunk: fg(Color::Cyan),
            diff_header: Style::new().add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            status: Style::new().bg(Color::Indexed(236)).fg(Color::Gray),
            border: fg(Color::DarkGray),
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
            heading: m(Modifier::BOLD | Modifier::UNDERLINED),
            code: m(Modifier::BOLD),
            link: m(Modifier::UNDERLINED),
            quote: m(Modifier::ITALIC),
            ok: Style::new(),
            error: m(Modifier::BOLD),
            warning: m(Modifier::BOLD),
            diff_add: Style::new(),
            diff_del: m(Modifier::DIM),
            diff_hunk: m(Modifier::BOLD),
            diff_header: m(Modifier::BOLD),
            selected: m(Modifier::REVERSED),
            status: m(Modifier::REVERSED),
            border: m(Modifier::DIM),
        }
    }

    /// The style of one line of a unified diff, by its first character.
    pub fn diff_line(&self, line: &str) -> Style {
        if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") {
            self.diff_header
        } else if line.starts_with('+') {
            self.diff_add
        } else if line.starts_with('-') {
            self.diff_del
        } else if line.starts_with("@@") {
            self.diff_hunk
        } else {
            Style::new()
        }
    }
}
