//! Near misses for "chunk not found" messages. A model that gets "not found" alone tends to resend
//! the same chunk; shown the closest lines of the file, with line numbers and the first line that
//! differs, it can copy the real text. Runs only on the error path, so it may scan the whole file.

use std::borrow::Cow;
use std::collections::HashMap;

use super::normalize;
use super::seek::Haystack;

/// Longest window of file lines quoted in a message.
const MAX_QUOTED: usize = 16;
/// Longest single line quoted, in characters.
const MAX_LINE: usize = 160;

/// Identifies a chunk by its first lines: "whose first lines are `a` / `b`".
pub fn head(old: &[String], new: &[String]) -> String {
    let (lines, what) = if old.is_empty() {
        (new, "added")
    } else {
        (old, "expected")
    };
    let quoted: Vec<String> = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(2)
        .map(|l| format!("`{}`", clip(l)))
        .collect();
    match quoted.as_slice() {
        [] => format!("whose {what} lines are blank"),
        [one] => format!("whose first {what} line is {one}"),
        _ => format!("whose first {what} lines are {}", quoted.join(" / ")),
    }
}

/// The place in the file that shares most lines with `block` (compared leniently), quoted with
/// line numbers, plus the first line that differs.
pub fn closest(hay: &Haystack<'_>, block: &[&str]) -> String {
    let Some((start, score)) = best_window(hay, block) else {
        return "None of the chunk's lines occur in the file, even ignoring whitespace: check \
                that this is the right file and that it has not changed since you read it."
            .to_string();
    };
    let lines = hay.lines();
    let from = start.saturating_sub(1);
    let to = (start + block.len() + 1)
        .min(lines.len())
        .min(from + MAX_QUOTED);
    let mut out = format!(
        "The closest place in the file is at line {}, where {score} of the chunk's {} lines match; the file there reads:\n",
        start + 1,
        block.len()
    );
    for (i, line) in lines.iter().enumerate().take(to).skip(from) {
        out.push_str(&format!("{:>6} | {}\n", i + 1, clip(line)));
    }
    out.push_str(&first_difference(hay, block, start));
    out
}

/// The start whose window shares the most non-blank lines with `block`, if any share one.
/// Counts through an index of the block's lines, so the cost is one pass over the file.
fn best_window(hay: &Haystack<'_>, block: &[&str]) -> Option<(usize, usize)> {
    let keys: Vec<Cow<'_, str>> = block.iter().map(|l| normalize::fold(l)).collect();
    let mut offsets: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, key) in keys.iter().enumerate().filter(|(_, k)| !k.is_empty()) {
        offsets.entry(key.as_ref()).or_default().push(j);
    }
    let mut scores = vec![0usize; hay.len()];
    for (k, line) in hay.folded().iter().enumerate() {
        for &j in offsets.get(line.as_ref()).into_iter().flatten() {
            if let Some(start) = k.checked_sub(j) {
                scores[start] += 1;
            }
        }
    }
    let (start, score) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    (*score > 0).then_some((start, *score))
}

fn first_difference(hay: &Haystack<'_>, block: &[&str], start: usize) -> String {
    let folded = hay.folded();
    for (j, want) in block.iter().enumerate() {
        let at = start + j;
        let Some(have) = folded.get(at) else {
            return format!(
                "The chunk continues past the end of the file at its line `{}`.",
                clip(want)
            );
        };
        if normalize::fold(want) != *have {
            return format!(
                "First difference: the chunk has `{}` where line {} of the file is `{}`.",
                clip(want),
                at + 1,
                clip(hay.lines()[at])
            );
        }
    }
    "These lines match only when whitespace is ignored; copy them exactly.".to_string()
}

/// `line` cut to a quotable length.
fn clip(line: &str) -> Cow<'_, str> {
    match line.char_indices().nth(MAX_LINE) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &line[..cut])),
        None => Cow::Borrowed(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_quotes_numbered_lines_and_the_first_difference() {
        let file = ["a", "fn f() {", "    let x = 2;", "    x", "}", "z"];
        let hay = Haystack::new(&file);
        let hint = closest(&hay, &["fn f() {", "    let x = 1;", "    x"]);
        assert!(
            hint.contains("at line 2, where 2 of the chunk's 3 lines match"),
            "{hint}"
        );
        assert!(hint.contains("     3 |     let x = 2;"), "{hint}");
        assert!(
            hint.contains(
                "the chunk has `    let x = 1;` where line 3 of the file is `    let x = 2;`"
            ),
            "{hint}"
        );
    }

    #[test]
    fn closest_says_when_nothing_matches() {
        let hay = Haystack::new(&["a", "b"]);
        assert!(closest(&hay, &["q"]).contains("None of the chunk's lines occur"));
    }

    #[test]
    fn head_names_the_first_nonblank_lines() {
        let old = vec![
            "".to_string(),
            "x".to_string(),
            "y".to_string(),
            "z".to_string(),
        ];
        assert_eq!(head(&old, &[]), "whose first expected lines are `x` / `y`");
        assert_eq!(
            head(&[], &["n".to_string()]),
            "whose first added line is `n`"
        );
    }
}
