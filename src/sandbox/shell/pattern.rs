//! The pattern of a `shell(...)` rule, matched against parsed commands (see [`super::analyze`]).
//!
//! The pattern is split into words like a command (quotes group and are removed, and make glob
//! characters literal); each word is a glob over one word of the command (`*` matches anything,
//! `/` included). A last word ending in `*` also lets the command have more words.
//!
//! - Allow rules match strictly: the program as written (`./git` is not `git`) and each word in
//!   place: `shell(git diff*)` allows `git diff --stat`, not `git -C x diff`.
//! - Deny and ask rules match every spelling of the same call: the program by file name
//!   (`/bin/rm` is `rm`); options as a set, in any order and combination (`-rf` is `-r -f`,
//!   `-fr`, `--recursive --force` or `--rec --for` where the program's long names are known, see
//!   [`ALIASES`]);
//!   and the other words in order but with anything between them (`git push*` catches
//!   `git -C . push`). They always allow more words, so `shell(rm -rf)` catches `rm -rf /`.

use globset::{GlobBuilder, GlobMatcher};

use super::{Command, Word};

/// Long options that are another name for a short one, by program.
const ALIASES: &[(&str, &[(&str, &str)])] = &[
    (
        "rm",
        &[
            ("--recursive", "-r"),
            ("-R", "-r"),
            ("--force", "-f"),
            ("--dir", "-d"),
        ],
    ),
    (
        "cp",
        &[("--recursive", "-r"), ("-R", "-r"), ("--force", "-f")],
    ),
    ("mv", &[("--force", "-f")]),
    ("chmod", &[("--recursive", "-R")]),
    ("chown", &[("--recursive", "-R")]),
    ("chgrp", &[("--recursive", "-R")]),
    ("git", &[("--force", "-f")]),
];

/// Why a `shell(...)` pattern does not compile; the caller names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PatternError {
    #[error("empty command pattern")]
    Empty,
    #[error("unclosed `{quote}` in the command pattern")]
    Unclosed { quote: char },
    #[error("`{word}`: {reason}")]
    Glob { word: String, reason: String },
}

/// A compiled `shell(...)` pattern.
#[derive(Debug, Clone)]
pub(crate) struct CommandPattern {
    /// Every word as a glob, for allow rules.
    words: Vec<GlobMatcher>,
    /// Whether the last word ends in `*`.
    open: bool,
    /// The program's file name as a glob, for deny and ask rules.
    program: GlobMatcher,
    /// Options that must all be present (short ones split, aliases resolved).
    flags: Vec<String>,
    /// Option words with glob characters, each matched against the command's option words.
    flag_globs: Vec<GlobMatcher>,
    /// The other words, in order.
    operands: Vec<GlobMatcher>,
}

/// How a deny or ask rule relates to a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hit {
    Yes,
    /// The program matches but words known only at run time may make the rest match.
    Maybe,
    No,
}

impl CommandPattern {
    /// Compiles `pattern`; the error is the reason, for the caller to name the rule.
    pub(crate) fn new(pattern: &str) -> Result<CommandPattern, PatternError> {
        let words = split(pattern)?;
        let Some((program, rest)) = words.split_first() else {
            return Err(PatternError::Empty);
        };
        let open = words
            .last()
            .is_some_and(|w| w.ends_with('*') && !w.ends_with("\\*"));
        let base = program.rsplit('/').next().unwrap_or(program);
        let mut compiled = CommandPattern {
            words: words.iter().map(|w| glob(w)).collect::<Result<_, _>>()?,
            open,
            program: glob(base)?,
            flags: Vec::new(),
            flag_globs: Vec::new(),
            operands: Vec::new(),
        };
        compiled.split_options(base, rest)?;
        Ok(compiled)
    }

    fn split_options(&mut self, program: &str, rest: &[String]) -> Result<(), PatternError> {
        let mut options_end = false;
        for word in rest {
            let trimmed = word.strip_suffix('*').unwrap_or(word);
            if word == "--" {
                options_end = true;
            } else if word == "*" {
            } else if !options_end && trimmed.len() > 1 && trimmed.starts_with('-') {
                if has_glob(trimmed) {
                    self.flag_globs.push(glob(trimmed)?);
                } else {
                    self.flags.extend(flags_of(program, trimmed));
                }
            } else {
                self.operands.push(glob(word)?);
            }
        }
        Ok(())
    }

    /// Whether an allow rule with this pattern allows `command`: every word in place.
    pub(crate) fn allows(&self, command: &Command) -> bool {
        let n = self.words.len();
        let w = &command.words;
        (w.len() == n || (self.open && w.len() > n))
            && self.words.iter().zip(w).all(|(g, w)| g.is_match(&w.text))
    }

    /// Whether a deny or ask rule with this pattern catches `command`, however it is spelled.
    pub(crate) fn catches(&self, command: &Command) -> Hit {
        if !self.program.is_match(command.program()) {
            return Hit::No;
        }
        let program = command.program();
        let mut flags = Vec::new();
        let mut option_words = Vec::new();
        let mut operands = Vec::new();
        let mut options_end = false;
        for w in &command.words[1..] {
            if w.text == "--" && !options_end {
                options_end = true;
            } else if !options_end && w.text.len() > 1 && w.text.starts_with('-') {
                flags.extend(flags_of(program, &w.text));
                option_words.push(w);
            } else {
                operands.push(w);
            }
        }
        let matched = self.flags.iter().all(|f| flags.contains(f))
            && self
                .flag_globs
                .iter()
                .all(|g| option_words.iter().any(|w| g.is_match(&w.text)))
            && in_order(&self.operands, &operands);
        match matched {
            true => Hit::Yes,
            false if command.words.iter().any(|w| !w.exact) => Hit::Maybe,
            false => Hit::No,
        }
    }
}

/// Whether `globs` match some of `words` in order.
fn in_order(globs: &[GlobMatcher], words: &[&Word]) -> bool {
    let mut rest = words.iter();
    globs
        .iter()
        .all(|g| rest.by_ref().any(|w| g.is_match(&w.text)))
}

/// The options one option word stands for: `-rf` is `-r` and `-f`, `--name=value` is `--name`,
/// each under its canonical name for `program`.
fn flags_of(program: &str, word: &str) -> Vec<String> {
    let names: Vec<String> = match word.strip_prefix("--") {
        Some(long) => vec![format!("--{}", long.split('=').next().unwrap_or(long))],
        None => word
            .chars()
            .skip(1)
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| format!("-{c}"))
            .collect(),
    };
    let aliases = ALIASES
        .iter()
        .find(|(p, _)| *p == program)
        .map(|(_, a)| *a)
        .unwrap_or(&[]);
    names.into_iter().map(|n| canonical(aliases, n)).collect()
}

/// The canonical name of option `name`: its short alias, also for an abbreviated long name
/// (`--rec`), which GNU and git option parsers accept when it is unambiguous.
fn canonical(aliases: &[(&str, &str)], name: String) -> String {
    let exact = aliases.iter().find(|(from, _)| *from == name);
    let prefix = || {
        let mut hits = aliases.iter().filter(|(from, _)| {
            name.len() > 2 && from.starts_with("--") && from.starts_with(&name)
        });
        match (hits.next(), hits.next()) {
            (Some(hit), None) => Some(hit),
            _ => None,
        }
    };
    exact
        .or_else(prefix)
        .map(|(_, to)| to.to_string())
        .unwrap_or(name)
}

fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

fn glob(word: &str) -> Result<GlobMatcher, PatternError> {
    GlobBuilder::new(word)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| PatternError::Glob {
            word: word.to_string(),
            reason: e.kind().to_string(),
        })
}

/// Splits a pattern into words: whitespace separates, quotes group (and make glob characters in
/// them literal), a backslash escapes the next character for the glob.
fn split(pattern: &str) -> Result<Vec<String>, PatternError> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(cur.take()),
            '\'' | '"' => {
                let word = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(ch) => push_literal(word, ch),
                        None => return Err(PatternError::Unclosed { quote: c }),
                    }
                }
            }
            '\\' => {
                let word = cur.get_or_insert_with(String::new);
                word.push('\\');
                word.extend(chars.next());
            }
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    Ok(words)
}

fn push_literal(word: &mut String, c: char) {
    if "*?[]{}\\".contains(c) {
        word.push('\\');
    }
    word.push(c);
}

/// An allow rule that matches exactly `command` and nothing else ([`super::quote`] quotes every
/// word holding a glob character, which makes it literal).
pub(crate) fn exact_rule(command: &Command) -> String {
    format!("shell({})", command.display())
}
