//! Reading test runners' output: how many tests passed and failed, which ones failed, and where
//! the failure details start. The model fixes failures faster from "3 failed: a, b, c" and the
//! first failure's message than from a screen of passing test names, and a table of eval runs
//! needs counts, not logs. Output no parser recognises falls back to the raw head and tail.

mod excerpt;
mod go;
mod js;
mod python;
mod rust;

pub use excerpt::excerpt;

/// What a test runner's output says, as far as it could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// Which runner's format was recognised (`cargo test`, `pytest`, …).
    pub runner: &'static str,
    pub passed: Option<u64>,
    pub failed: Option<u64>,
    /// Names of the failing tests, sorted, without duplicates.
    pub failing: Vec<String>,
    /// Byte offset in the output where the details of the first failure start.
    pub focus: Option<usize>,
}

type Parser = fn(&str) -> Option<TestReport>;

/// Tried in order; the first that recognises the output wins. nextest before cargo test (nextest
/// prints cargo's own result lines inside its failure blocks), pytest before unittest (pytest
/// runs unittest suites too).
const PARSERS: &[Parser] = &[
    rust::nextest,
    rust::cargo_test,
    python::pytest,
    python::unittest,
    go::go_test,
    js::jest,
    js::vitest,
    js::node_tap,
    js::node_spec,
];

/// Reads `output` with the first parser that recognises it. Failing names are sorted: runners
/// that run tests in parallel (libtest, jest) report them in a different order every time, and a
/// summary must not change when the failures do not.
pub fn parse(output: &str) -> Option<TestReport> {
    let mut report = PARSERS.iter().find_map(|p| p(output))?;
    report.failing.sort();
    Some(report)
}

/// How many failing test names a one-line summary lists before "+N more".
const NAMES_SHOWN: usize = 8;

impl TestReport {
    /// One line: counts, then the failing tests, e.g.
    /// `cargo test: 2 failed, 5 passed; failing: t::b, integ_bad`.
    pub fn describe(&self) -> String {
        let mut counts = Vec::new();
        if let Some(f) = self.failed {
            counts.push(format!("{f} failed"));
        }
        if let Some(p) = self.passed {
            counts.push(format!("{p} passed"));
        }
        let mut s = format!("{}: {}", self.runner, counts.join(", "));
        if counts.is_empty() {
            s = format!("{}: no counts", self.runner);
        }
        if !self.failing.is_empty() {
            s.push_str("; failing: ");
            s.push_str(&names_list(&self.failing));
        }
        s
    }
}

fn names_list(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(String::as_str).collect();
    let mut s = shown.join(", ");
    if names.len() > NAMES_SHOWN {
        s.push_str(&format!(" (+{} more)", names.len() - NAMES_SHOWN));
    }
    s
}

/// Each line with the byte offset where it starts.
pub(super) fn lines_at(output: &str) -> impl Iterator<Item = (usize, &str)> {
    output.split_inclusive('\n').scan(0, |at, line| {
        let start = *at;
        *at += line.len();
        Some((start, line.trim_end_matches(['\n', '\r'])))
    })
}

/// The integer written just before `word` in `line` ("3 passed" → 3), at the first occurrence
/// of `word` that has one.
pub(super) fn count_before(line: &str, word: &str) -> Option<u64> {
    line.match_indices(word).find_map(|(i, _)| {
        let before = line[..i].trim_end();
        // Digits are one byte each: the number is the run of trailing ASCII digits, and cutting
        // by their count never lands inside a multi-byte character such as `✅`.
        let digits = before.bytes().rev().take_while(u8::is_ascii_digit).count();
        before[before.len() - digits..].parse().ok()
    })
}

/// The integer written just after `prefix` in `line` ("# pass 3" → 3).
pub(super) fn count_after(line: &str, prefix: &str) -> Option<u64> {
    let rest = line.trim().strip_prefix(prefix)?.trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
#[test]
fn counts_after_a_multibyte_character() {
    assert_eq!(count_before("✅ 3 passed in 0.4s", " passed"), Some(3));
    assert_eq!(count_before("✅ passed in 0.4s", " passed"), None);
}

/// Adds `name` unless it is already listed.
pub(super) fn push_unique(names: &mut Vec<String>, name: &str) {
    let name = name.trim();
    if !name.is_empty() && !names.iter().any(|n| n == name) {
        names.push(name.to_string());
    }
}

/// Adds two optional counts, keeping `None` only when both are unknown.
pub(super) fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_next_to_their_words() {
        assert_eq!(count_before("1 passed; 2 failed;", "failed"), Some(2));
        assert_eq!(count_before("Tests: 1 failed, 4 passed", "passed"), Some(4));
        assert_eq!(count_before("no numbers passed", "passed"), None);
        assert_eq!(count_after("# pass 12", "# pass"), Some(12));
    }

    #[test]
    fn describe_lists_a_few_names_then_the_rest_as_a_count() {
        let r = TestReport {
            runner: "pytest",
            passed: Some(1),
            failed: Some(10),
            failing: (0..10).map(|i| format!("t{i}")).collect(),
            focus: None,
        };
        assert_eq!(
            r.describe(),
            "pytest: 10 failed, 1 passed; failing: t0, t1, t2, t3, t4, t5, t6, t7 (+2 more)"
        );
    }

    #[test]
    fn unknown_output_is_not_claimed_by_any_parser() {
        assert_eq!(parse("make: *** [all] Error 1\n"), None);
    }
}
