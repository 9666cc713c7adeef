//! pytest and `python -m unittest`.

use super::{count_after, count_before, lines_at, push_unique, TestReport};

/// pytest: the closing `N failed, M passed in 0.05s` line, `FAILED path::test - reason` lines in
/// the short summary, and a `FAILURES` (or `ERRORS`) banner before the details.
pub fn pytest(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "pytest",
        ..TestReport::default()
    };
    let mut seen_total = false;
    for (at, line) in lines_at(output) {
        let bare = line.trim_matches(|c: char| c == '=' || c.is_whitespace());
        if is_banner(line, "FAILURES") || is_banner(line, "ERRORS") {
            report.focus.get_or_insert(at);
        } else if let Some(rest) = line
            .strip_prefix("FAILED ")
            .or_else(|| line.strip_prefix("ERROR "))
        {
            push_unique(
                &mut report.failing,
                rest.split(" - ").next().unwrap_or(rest),
            );
        } else if is_total(bare) {
            seen_total = true;
            let errors = count_before(bare, " error");
            report.passed = Some(count_before(bare, " passed").unwrap_or(0));
            report.failed = Some(count_before(bare, " failed").unwrap_or(0) + errors.unwrap_or(0));
        }
    }
    seen_total.then_some(report)
}

/// `=== FAILURES ===`.
fn is_banner(line: &str, word: &str) -> bool {
    line.starts_with('=') && line.trim_matches(|c: char| c == '=' || c == ' ') == word
}

/// `2 failed, 2 passed in 0.05s`, `1 passed in 0.01s (0:00:00)`, `no tests ran in 0.01s`.
fn is_total(bare: &str) -> bool {
    let Some((counts, time)) = bare.rsplit_once(" in ") else {
        return false;
    };
    let time = time.split(' ').next().unwrap_or("");
    let timed = time.ends_with('s') && time.starts_with(|c: char| c.is_ascii_digit());
    let counted = ["passed", "failed", "error", "no tests ran"]
        .iter()
        .any(|w| counts.contains(w));
    timed && counted
}

/// unittest: `Ran N tests in 0.001s`, then `OK` or `FAILED (failures=1, errors=1)`; each failure
/// is a `FAIL: test_x (module.Class.test_x)` header under a line of `=`.
pub fn unittest(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "unittest",
        ..TestReport::default()
    };
    let mut ran = None;
    let mut failed = 0;
    let mut skipped = 0;
    let mut previous = (0, "");
    for (at, line) in lines_at(output) {
        if let Some(n) = line
            .strip_prefix("Ran ")
            .and_then(|r| count_before(r, " test"))
        {
            ran = Some(n);
        } else if let Some(header) = line
            .strip_prefix("FAIL: ")
            .or_else(|| line.strip_prefix("ERROR: "))
        {
            push_unique(&mut report.failing, test_id(header));
            if previous.1.starts_with("=====") {
                report.focus.get_or_insert(previous.0);
            }
        } else if line.starts_with("FAILED (") || line.starts_with("OK") {
            failed = count_after_eq(line, "failures=") + count_after_eq(line, "errors=");
            skipped = count_after_eq(line, "skipped=");
        }
        previous = (at, line);
    }
    let ran = ran?;
    report.failed = Some(failed);
    report.passed = Some(ran.saturating_sub(failed + skipped));
    Some(report)
}

/// `test_x (module.Class.test_x)` → `module.Class.test_x`; without parentheses, the header.
fn test_id(header: &str) -> &str {
    header
        .split_once(" (")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(header)
}

/// `failures=2` inside `FAILED (failures=2, errors=1)`.
fn count_after_eq(line: &str, key: &str) -> u64 {
    line.find(key)
        .and_then(|i| count_after(&line[i..], key))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    #[test]
    fn pytest_reads_the_short_summary_and_the_totals() {
        let out = include_str!("samples/pytest.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "pytest");
        assert_eq!((r.passed, r.failed), (Some(2), Some(2)));
        assert_eq!(
            r.failing,
            [
                "tests/test_calc.py::TestParse::test_empty",
                "tests/test_calc.py::test_divide"
            ]
        );
        assert!(
            out[r.focus.unwrap()..].starts_with("=====")
                && out[r.focus.unwrap()..].contains("FAILURES")
        );
    }

    #[test]
    fn unittest_counts_failures_and_errors_and_names_them() {
        let out = include_str!("samples/unittest.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "unittest");
        assert_eq!((r.passed, r.failed), (Some(1), Some(2)));
        assert_eq!(r.failing, ["test_x.T.test_bad", "test_x.T.test_err"]);
        let mut details = out[r.focus.unwrap()..].lines();
        assert!(details.next().unwrap().starts_with("====="));
        assert_eq!(details.next(), Some("ERROR: test_err (test_x.T.test_err)"));
    }

    #[test]
    fn unittest_all_passing_with_skips() {
        let out = "...s\n----------------------------------------------------------------------\nRan 4 tests in 0.002s\n\nOK (skipped=1)\n";
        let r = parse(out).unwrap();
        assert_eq!((r.passed, r.failed), (Some(3), Some(0)));
        assert!(r.failing.is_empty());
    }
}
