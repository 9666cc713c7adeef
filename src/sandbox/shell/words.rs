//! The value bash gives one word node: quotes removed, escapes applied, and whether that value is
//! known before the command runs (no expansion, no glob that could turn into an option).

use tree_sitter::Node;

/// One word of a command as bash passes it to the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The value with quotes and escapes removed; expansions stay as written (`$HOME`).
    pub(crate) text: String,
    /// Whether `text` is exactly what the program receives.
    pub(crate) exact: bool,
}

impl Word {
    pub(crate) fn exact(text: impl Into<String>) -> Word {
        Word {
            text: text.into(),
            exact: true,
        }
    }
}

/// What reading a word found besides its value: the nodes that run commands or compute values
/// (substitutions, expansions with operators), which the caller walks and reports.
#[derive(Default)]
pub(crate) struct Found<'t> {
    /// Nodes that the caller must walk for the commands inside them.
    pub(crate) nested: Vec<Node<'t>>,
    /// Why the word is not plain, for the first such part.
    pub(crate) unplain: Option<&'static str>,
}

impl Found<'_> {
    fn note(&mut self, why: &'static str) {
        self.unplain.get_or_insert(why);
    }
}

/// Node kinds that are one word of a command.
pub(crate) fn is_word(kind: &str) -> bool {
    matches!(
        kind,
        "word"
            | "string"
            | "raw_string"
            | "ansi_c_string"
            | "translated_string"
            | "number"
            | "concatenation"
            | "simple_expansion"
            | "expansion"
            | "command_substitution"
            | "process_substitution"
            | "arithmetic_expansion"
    )
}

/// The value of the word node `n` of `src`.
pub(crate) fn read<'t>(n: Node<'t>, src: &str, found: &mut Found<'t>) -> Word {
    read_as(n, src, found, false)
}

/// The value of a command name: any unquoted glob makes it unknown (`/bin/r?` runs `rm`).
pub(crate) fn read_program<'t>(n: Node<'t>, src: &str, found: &mut Found<'t>) -> Word {
    read_as(n, src, found, true)
}

fn read_as<'t>(n: Node<'t>, src: &str, found: &mut Found<'t>, program: bool) -> Word {
    let mut unquoted = String::new();
    let word = value(n, src, found, &mut unquoted);
    if expands_braces(&unquoted) {
        found.note("brace expansion (`{a,b}`)");
        return Word {
            exact: false,
            ..word
        };
    }
    if may_glob_into_option(&unquoted, &word.text)
        || (program && unquoted.contains(['*', '?', '[']))
    {
        found.note("a glob that can expand to an option (`*` at the start of a word)");
        return Word {
            exact: false,
            ..word
        };
    }
    word
}

/// Whether an unquoted glob can expand to a file name that the program reads as an option: a
/// file named `--upload-pack=...` is what `*` or `-*` becomes. `src/*.rs` cannot.
fn may_glob_into_option(unquoted: &str, text: &str) -> bool {
    unquoted.contains(['*', '?', '[']) && (text.starts_with(['*', '?', '[', '-']))
}

/// The value of `n`; `unquoted` collects the text that was outside quotes (for brace detection).
fn value<'t>(n: Node<'t>, src: &str, found: &mut Found<'t>, unquoted: &mut String) -> Word {
    let text = &src[n.byte_range()];
    match n.kind() {
        "word" | "number" => {
            unquoted.push_str(text);
            bare_word(text)
        }
        "raw_string" => Word::exact(strip_quotes(text, "'", "'")),
        "ansi_c_string" => ansi_c(strip_quotes(text, "$'", "'")),
        "string" | "translated_string" => double_quoted(n, src, found),
        "concatenation" => {
            let mut cursor = n.walk();
            let mut out = Word::exact("");
            for child in n.named_children(&mut cursor) {
                let part = value(child, src, found, unquoted);
                out.text.push_str(&part.text);
                out.exact &= part.exact;
            }
            out
        }
        "simple_expansion" | "expansion" => expansion(n, src, found),
        _ => {
            found.note("command substitution or arithmetic expansion");
            found.nested.push(n);
            Word {
                text: text.to_string(),
                exact: false,
            }
        }
    }
}

/// An unquoted word: backslash escapes applied, line continuations dropped.
fn bare_word(text: &str) -> Word {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\n') | None => {}
            Some(escaped) => out.push(escaped),
        }
    }
    Word::exact(out)
}

/// `"..."`: escapes of `$`, `` ` ``, `"`, `\` and newline applied; expansions inside make the
/// value unknown.
fn double_quoted<'t>(n: Node<'t>, src: &str, found: &mut Found<'t>) -> Word {
    let mut out = Word::exact("");
    let mut cursor = n.walk();
    for child in n.named_children(&mut cursor) {
        let part = match child.kind() {
            "string_content" => Word::exact(unescape_double(&src[child.byte_range()])),
            _ => value(child, src, found, &mut String::new()),
        };
        out.text.push_str(&part.text);
        out.exact &= part.exact;
    }
    out
}

fn unescape_double(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some('\n')) => {
                chars.next();
            }
            ('\\', Some(&e @ ('$' | '`' | '"' | '\\'))) => {
                out.push(e);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// `$NAME` or `${NAME}` is a plain expansion (its value is unknown, nothing runs); any operator
/// (`${X:-...}`, `${!X}`, `${X/a/b}`) is not, and substitutions inside are walked.
fn expansion<'t>(n: Node<'t>, src: &str, found: &mut Found<'t>) -> Word {
    let mut cursor = n.walk();
    let plain = n.children(&mut cursor).all(|c| {
        matches!(
            c.kind(),
            "$" | "${" | "}" | "variable_name" | "special_variable_name"
        )
    });
    if !plain {
        found.note("a parameter expansion with operators");
        found.nested.push(n);
    }
    Word {
        text: src[n.byte_range()].to_string(),
        exact: false,
    }
}

fn strip_quotes<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    text.strip_prefix(open)
        .and_then(|t| t.strip_suffix(close))
        .unwrap_or(text)
}

/// `$'...'`: the common escapes decoded; an escape bash decodes differently from this list
/// (`\c`, `\u`, `\U`) makes the value unknown rather than wrong.
fn ansi_c(body: &str) -> Word {
    let mut out = String::new();
    let mut exact = true;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'e' | 'E' => out.push('\x1b'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '\\' | '\'' | '"' | '?' => out.push(e),
            'x' => out.push(radix(&mut chars, 16, 2)),
            '0'..='7' => {
                let mut digits = String::from(e);
                while digits.len() < 3 && chars.peek().is_some_and(|d| d.is_digit(8)) {
                    digits.extend(chars.next());
                }
                out.push(char::from(u8::from_str_radix(&digits, 8).unwrap_or(0)));
            }
            _ => {
                exact = false;
                out.push('\\');
                out.push(e);
            }
        }
    }
    Word { text: out, exact }
}

/// Up to `max` digits in `radix` as one byte-valued character.
fn radix(chars: &mut std::iter::Peekable<std::str::Chars>, radix: u32, max: usize) -> char {
    let mut digits = String::new();
    while digits.len() < max && chars.peek().is_some_and(|d| d.is_digit(radix)) {
        digits.extend(chars.next());
    }
    char::from(u8::from_str_radix(&digits, radix).unwrap_or(0))
}

/// Whether unquoted text holds a brace expansion (`{a,b}` or `{1..3}`), which turns one word into
/// several. Over-approximates: any unquoted `{` later followed by `,` or `..` and then `}`.
fn expands_braces(unquoted: &str) -> bool {
    let Some(open) = unquoted.find('{') else {
        return false;
    };
    let rest = &unquoted[open..];
    let Some(close) = rest.rfind('}') else {
        return false;
    };
    let inner = &rest[..close];
    inner.contains(',') || inner.contains("..")
}

/// Whether `word` is one of `options`, possibly with `=value`; a one-letter option also counts
/// inside a cluster or with its value attached (`-Bc`, `-ecmd`).
pub(crate) fn has_option(word: &str, options: &[&str]) -> bool {
    options.iter().any(|o| {
        word == *o
            || word.starts_with(&format!("{o}="))
            || (o.len() == 2
                && o.starts_with('-')
                && is_cluster(word)
                && word[1..].contains(&o[1..]))
    })
}

pub(crate) fn is_cluster(word: &str) -> bool {
    word.len() > 1 && word.starts_with('-') && !word.starts_with("--")
}
