//! `cargo test` (libtest's output, one block per test binary) and `cargo nextest run`.

use super::{add, count_before, lines_at, push_unique, TestReport};

/// libtest: `test NAME ... FAILED` lines and one `test result:` line per binary; the details
/// follow a `failures:` line.
pub fn cargo_test(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "cargo test",
        ..TestReport::default()
    };
    let mut seen_result = false;
    for (at, line) in lines_at(output) {
        if let Some(rest) = line.strip_prefix("test result: ") {
            seen_result = true;
            report.passed = add(report.passed, count_before(rest, " passed"));
            report.failed = add(report.failed, count_before(rest, " failed"));
        } else if let Some(name) = failed_line(line) {
            push_unique(&mut report.failing, name);
        } else if line == "failures:" && report.focus.is_none() {
            report.focus = Some(at);
        }
    }
    seen_result.then_some(report)
}

/// `test NAME ... FAILED`, or `NAME --- FAILED` under `cargo test -q`.
fn failed_line(line: &str) -> Option<&str> {
    if let Some(name) = line
        .strip_prefix("test ")
        .and_then(|l| l.strip_suffix(" ... FAILED"))
    {
        return Some(name.strip_suffix(" - should panic").unwrap_or(name));
    }
    line.strip_suffix(" --- FAILED")
        .filter(|name| !name.contains(' '))
}

/// nextest: `FAIL [ 0.005s] (2/4) BINARY TEST` lines (repeated in the closing summary) and a
/// `Summary [ … ] N tests run: P passed, F failed` line.
pub fn nextest(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "cargo nextest",
        ..TestReport::default()
    };
    let mut seen_summary = false;
    for (at, line) in lines_at(output) {
        let t = line.trim_start();
        if t.starts_with("Summary [") && t.contains(" tests run:") {
            seen_summary = true;
            report.passed = count_before(t, " passed");
            report.failed = count_before(t, " failed");
        } else if let Some(name) = failed_test(t) {
            push_unique(&mut report.failing, name);
            report.focus.get_or_insert(at);
        }
    }
    seen_summary.then_some(report)
}

/// The test named on a nextest failure line, without its status, time and counter.
fn failed_test(line: &str) -> Option<&str> {
    let statuses = ["FAIL [", "TIMEOUT [", "SIGSEGV [", "SIGABRT [", "SIGKILL ["];
    if !statuses.iter().any(|s| line.starts_with(s)) {
        return None;
    }
    let rest = line[line.find(']')? + 1..].trim_start();
    let rest = match rest.strip_prefix('(') {
        Some(r) => r[r.find(')')? + 1..].trim_start(),
        None => rest,
    };
    Some(rest)
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    #[test]
    fn cargo_test_sums_every_binary_and_names_failures() {
        let out = include_str!("samples/cargo_test.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "cargo test");
        assert_eq!((r.passed, r.failed), (Some(2), Some(2)));
        assert_eq!(r.failing, ["integ_bad", "t::b"]);
        assert!(out[r.focus.unwrap()..].starts_with("failures:\n\n---- t::b stdout"));
    }

    #[test]
    fn quiet_cargo_test_still_names_failures() {
        let r = parse(include_str!("samples/cargo_test_quiet.txt")).unwrap();
        assert_eq!((r.passed, r.failed), (Some(1), Some(2)));
        assert_eq!(
            r.failing,
            [
                "tests::centuries_are_not_leap_unless_divisible_by_400",
                "tests::february"
            ]
        );
    }

    #[test]
    fn nextest_reads_the_summary_and_each_failure_once() {
        let out = include_str!("samples/nextest.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "cargo nextest");
        assert_eq!((r.passed, r.failed), (Some(2), Some(2)));
        assert_eq!(r.failing, ["sbx t::b", "sbx::it integ_bad"]);
    }

    #[test]
    fn a_build_error_is_not_a_test_report() {
        assert_eq!(parse(include_str!("samples/cargo_build_error.txt")), None);
    }
}
