//! Colours for the progress trace, off unless stderr is a terminal and `NO_COLOR` is unset or
//! empty (the convention at no-color.org).

use std::io::IsTerminal;

#[derive(Debug, Clone, Copy)]
pub struct Paint {
    color: bool,
}

impl Paint {
    /// Colour when stderr is a terminal and `NO_COLOR` does not forbid it.
    pub fn for_stderr() -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint {
            color: !no_color && std::io::stderr().is_terminal(),
        }
    }

    #[cfg(test)]
    pub fn plain() -> Paint {
        Paint { color: false }
    }

    pub fn ok(&self, s: &str) -> String {
        self.sgr("32", s)
    }

    pub fn bad(&self, s: &str) -> String {
        self.sgr("31", s)
    }

    pub fn warn(&self, s: &str) -> String {
        self.sgr("33", s)
    }

    pub fn dim(&self, s: &str) -> String {
        self.sgr("2", s)
    }

    fn sgr(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{s}\u{1b}[0m")
        } else {
            s.to_string()
        }
    }
}
