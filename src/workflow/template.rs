//! `{{name}}` placeholders in a workflow's prompt, checks and paths.

use std::collections::{BTreeMap, BTreeSet};

/// The variable names `text` uses, in order of first use.
pub fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (name, _) in placeholders(text) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Replaces every placeholder with its value; `Err` lists the names that have none.
pub fn render(text: &str, vars: &BTreeMap<String, String>) -> Result<String, BTreeSet<String>> {
    let mut out = String::with_capacity(text.len());
    let mut missing = BTreeSet::new();
    let mut last = 0;
    for (name, range) in placeholders(text) {
        out.push_str(&text[last..range.start]);
        match vars.get(&name) {
            Some(v) => out.push_str(v),
            None => {
                missing.insert(name);
            }
        }
        last = range.end;
    }
    out.push_str(&text[last..]);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// Each `{{ name }}` with its byte range. Text between braces that is not a plain identifier
/// (letters, digits, `_`, `-`) is left alone, so a prompt may quote code with `{{`.
fn placeholders(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| i + from) {
        let Some(close) = text[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        let name = text[open + 2..close].trim();
        if is_identifier(name) {
            found.push((name.to_string(), open..close + 2));
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    found
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn renders_with_or_without_spaces_inside_braces() {
        let t = "fix {{dir}} and {{ dir }} for {{who}}";
        assert_eq!(variables(t), ["dir", "who"]);
        assert_eq!(
            render(t, &vars(&[("dir", "src"), ("who", "me")])).unwrap(),
            "fix src and src for me"
        );
    }

    #[test]
    fn missing_variables_are_all_named() {
        let err = render("{{a}} {{b}} {{c}}", &vars(&[("b", "x")])).unwrap_err();
        assert_eq!(err.into_iter().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn code_with_double_braces_is_left_alone() {
        let t = "format!(\"{{}}\") and {{ x.y }}";
        assert!(variables(t).is_empty());
        assert_eq!(render(t, &BTreeMap::new()).unwrap(), t);
    }
}
