//! The `---` header of a Markdown file (skills' `SKILL.md`, agent definitions): a small subset of
//! YAML, enough for what these files hold — `key: value` lines, quoted values, lists written
//! `[a, b]` or as `- item` lines, and `>` / `|` blocks. Anything else is an error naming the line,
//! so a file is never half understood.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("no front matter: the file must start with a `---` line, then `key: value` lines, then `---`")]
    Missing,
    #[error("the front matter has no closing `---` line")]
    Unclosed,
    #[error("front matter line {line}: {message}")]
    Line { line: usize, message: String },
}

/// A value: text, or a list of texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    List(Vec<String>),
}

impl Value {
    /// A list as given, or a text of comma-separated items (`tools: read_file, grep`).
    pub fn items(&self) -> Vec<String> {
        match self {
            Value::List(l) => l.clone(),
            Value::Text(t) => t
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// The parsed header and the text after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub fields: BTreeMap<String, Value>,
    pub body: String,
}

impl Document {
    /// A text field, trimmed; `None` when absent, empty or a list.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.fields.get(key) {
            Some(Value::Text(t)) if !t.trim().is_empty() => Some(t.trim()),
            _ => None,
        }
    }
}

/// Splits `text` into its front matter and body.
pub fn parse(text: &str) -> Result<Document, FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return Err(FrontMatterError::Missing),
    }
    let mut header = Vec::new();
    let mut consumed = text.split_inclusive('\n').next().map_or(0, str::len);
    let mut closed = false;
    for line in lines {
        consumed += line.len();
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        header.push(line.trim_end_matches(['\n', '\r']));
    }
    if !closed {
        return Err(FrontMatterError::Unclosed);
    }
    Ok(Document {
        fields: fields(&header)?,
        body: text[consumed..].to_string(),
    })
}

fn fields(lines: &[&str]) -> Result<BTreeMap<String, Value>, FrontMatterError> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < lines.len() {
        let n = i + 2; // 1-based, after the opening `---`
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            return Err(err(n, "an indented line outside a list or block"));
        }
        let Some((key, rest)) = line.split_once(':') else {
            return Err(err(n, "expected `key: value`"));
        };
        let key = key.trim().to_string();
        let rest = rest.trim();
        // The indented lines that follow belong to this key (a list or a block).
        let start = i;
        while i < lines.len() && (lines[i].starts_with([' ', '\t']) || lines[i].trim().is_empty()) {
            i += 1;
        }
        let nested: Vec<&str> = lines[start..i].iter().map(|l| l.trim()).collect();
        let value = match rest {
            ">" | ">-" | "|" | "|-" => {
                let sep = if rest.starts_with('>') { " " } else { "\n" };
                Value::Text(nested.join(sep).trim().to_string())
            }
            "" if nested.iter().any(|l| l.starts_with('-')) => {
                let mut items = Vec::new();
                for item in nested.iter().filter(|l| !l.is_empty()) {
                    let Some(item) = item.strip_prefix('-') else {
                        return Err(err(n, "a list mixes `- item` lines with other lines"));
                    };
                    items.push(unquote(item.trim()));
                }
                Value::List(items)
            }
            _ if !nested.iter().all(|l| l.is_empty()) => {
                return Err(err(n, "a value followed by indented lines"))
            }
            r if r.starts_with('[') => {
                let Some(inner) = r.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
                    return Err(err(
                        n,
                        "a list opened with `[` is not closed on the same line",
                    ));
                };
                Value::List(
                    inner
                        .split(',')
                        .map(|s| unquote(s.trim()))
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            r => Value::Text(unquote(r)),
        };
        out.insert(key, value);
    }
    Ok(out)
}

fn unquote(s: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    s.to_string()
}

fn err(line: usize, message: &str) -> FrontMatterError {
    FrontMatterError::Line {
        line,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_texts_lists_and_blocks_and_keeps_the_body() {
        let doc = parse(
            "---\nname: pdf\ndescription: \"Fill PDF forms\"\ntools: [read_file, 'grep']\nmore:\n  - a\n  - b\nlong: >\n  one\n  two\n---\n# Body\ntext\n",
        )
        .expect("parses");
        assert_eq!(doc.text("name"), Some("pdf"));
        assert_eq!(doc.text("description"), Some("Fill PDF forms"));
        assert_eq!(
            doc.fields["tools"].items(),
            vec!["read_file".to_string(), "grep".to_string()]
        );
        assert_eq!(
            doc.fields["more"],
            Value::List(vec!["a".into(), "b".into()])
        );
        assert_eq!(doc.text("long"), Some("one two"));
        assert_eq!(doc.body, "# Body\ntext\n");
        assert_eq!(Value::Text("a, b".into()).items(), vec!["a", "b"]);
    }

    #[test]
    fn says_what_is_wrong_and_where() {
        assert_eq!(parse("# no header"), Err(FrontMatterError::Missing));
        assert_eq!(parse("---\nname: x\n"), Err(FrontMatterError::Unclosed));
        assert!(matches!(
            parse("---\nname x\n---\n"),
            Err(FrontMatterError::Line { line: 2, .. })
        ));
    }
}
