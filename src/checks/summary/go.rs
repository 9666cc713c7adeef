//! `go test`: `--- FAIL: TestName (0.00s)` lines (indented for subtests) and per-package
//! `ok` / `FAIL` lines. Passing tests are only listed with `-v`, so `passed` is known only then.

use super::{lines_at, push_unique, TestReport};

pub fn go_test(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "go test",
        ..TestReport::default()
    };
    let mut recognised = false;
    let (mut passed, mut failed) = (0, 0);
    for (at, line) in lines_at(output) {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("--- FAIL: ") {
            recognised = true;
            failed += 1;
            push_unique(&mut report.failing, test_name(rest));
            report.focus.get_or_insert(at);
        } else if t.starts_with("--- PASS: ") {
            recognised = true;
            passed += 1;
        } else if is_package_line(line) {
            recognised = true;
        }
    }
    if !recognised {
        return None;
    }
    report.failed = Some(failed);
    report.passed = (passed > 0).then_some(passed);
    Some(report)
}

/// `TestAdd (0.00s)` → `TestAdd`.
fn test_name(rest: &str) -> &str {
    rest.rsplit_once(" (").map_or(rest, |(name, _)| name)
}

/// `ok  \texample.com/calc\t0.003s` or `FAIL\texample.com/calc\t0.003s`.
fn is_package_line(line: &str) -> bool {
    let mut fields = line.split('\t');
    let status = fields.next().unwrap_or("").trim_end();
    (status == "ok" || status == "FAIL") && fields.next().is_some_and(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    #[test]
    fn go_test_names_failing_tests_and_subtests() {
        let out = include_str!("samples/go_test.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "go test");
        assert_eq!(r.failed, Some(3));
        assert_eq!(r.passed, Some(1));
        assert_eq!(r.failing, ["TestAdd", "TestTable", "TestTable/negative"]);
        assert_eq!(r.focus, Some(0));
    }

    #[test]
    fn passing_go_test_without_verbose_has_no_pass_count() {
        let r = parse("ok  \texample.com/calc\t0.003s\n").unwrap();
        assert_eq!((r.passed, r.failed), (None, Some(0)));
    }
}
