//! JavaScript runners: jest, vitest, and node's built-in runner (`node --test`) with its TAP
//! reporter (the default when output is not a terminal) and its spec reporter.

use super::{count_after, count_before, lines_at, push_unique, TestReport};

/// jest: `Tests: 1 failed, 4 passed, 5 total`, and a `● suite › test` header per failure.
pub fn jest(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "jest",
        ..TestReport::default()
    };
    let mut seen_total = false;
    for (at, line) in lines_at(output) {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Tests:") {
            seen_total = rest.contains(" total");
            report.failed = Some(count_before(rest, " failed").unwrap_or(0));
            report.passed = Some(count_before(rest, " passed").unwrap_or(0));
        } else if let Some(name) = t.strip_prefix("● ") {
            if name != "Test suite failed to run" {
                push_unique(&mut report.failing, name);
            }
            report.focus.get_or_insert(at);
        }
    }
    seen_total.then_some(report)
}

/// vitest: `Tests  1 failed | 4 passed (5)`, and ` FAIL  file > suite > test` per failure.
pub fn vitest(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "vitest",
        ..TestReport::default()
    };
    let mut seen_total = false;
    for (at, line) in lines_at(output) {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Tests  ") {
            seen_total = true;
            report.failed = Some(count_before(rest, " failed").unwrap_or(0));
            report.passed = Some(count_before(rest, " passed").unwrap_or(0));
        } else if let Some(name) = t.strip_prefix("FAIL ").filter(|n| n.contains(" > ")) {
            push_unique(&mut report.failing, name);
            report.focus.get_or_insert(at);
        }
    }
    seen_total.then_some(report)
}

/// node --test, TAP: `# pass N` / `# fail N`, and `not ok N - name` at any depth. A parent whose
/// only fault is a failing subtest (`failureType: 'subtestsFailed'`) is not named itself.
pub fn node_tap(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "node --test",
        ..TestReport::default()
    };
    let mut pending: Option<String> = None;
    for (at, line) in lines_at(output) {
        let t = line.trim();
        if t.contains("failureType: 'subtestsFailed'") {
            pending = None;
            continue;
        }
        if t.starts_with("ok ") || t.starts_with("not ok ") || t.starts_with('#') {
            flush(&mut report.failing, pending.take());
        }
        if let Some(n) = count_after(t, "# pass") {
            report.passed = Some(n);
        } else if let Some(n) = count_after(t, "# fail") {
            report.failed = Some(n);
        } else if let Some(rest) = t.strip_prefix("not ok ") {
            pending = rest.split_once(" - ").map(|(_, name)| name.to_string());
            report.focus.get_or_insert(at);
        }
    }
    flush(&mut report.failing, pending);
    (report.passed.is_some() && report.failed.is_some()).then_some(report)
}

fn flush(failing: &mut Vec<String>, name: Option<String>) {
    if let Some(n) = name {
        push_unique(failing, &n);
    }
}

/// node --test, spec reporter: `ℹ pass N` / `ℹ fail N` and `✖ name (1.2ms)` lines. When the
/// closing `✖ failing tests:` section is there it lists only the failing leaves, so names come
/// from it.
pub fn node_spec(output: &str) -> Option<TestReport> {
    let mut report = TestReport {
        runner: "node --test",
        ..TestReport::default()
    };
    let mut all = Vec::new();
    let mut leaves = Vec::new();
    let mut in_section = false;
    for (at, line) in lines_at(output) {
        let t = line.trim();
        if let Some(n) = count_after(t, "ℹ pass") {
            report.passed = Some(n);
        } else if let Some(n) = count_after(t, "ℹ fail") {
            report.failed = Some(n);
        } else if t == "✖ failing tests:" {
            in_section = true;
        } else if let Some(rest) = t.strip_prefix("✖ ") {
            let name = rest.rsplit_once(" (").map_or(rest, |(n, _)| n);
            push_unique(if in_section { &mut leaves } else { &mut all }, name);
            report.focus.get_or_insert(at);
        }
    }
    report.failing = if leaves.is_empty() { all } else { leaves };
    (report.passed.is_some() && report.failed.is_some()).then_some(report)
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    #[test]
    fn jest_counts_and_names() {
        let out = include_str!("samples/jest.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "jest");
        assert_eq!((r.passed, r.failed), (Some(4), Some(1)));
        assert_eq!(r.failing, ["sum › adds negatives"]);
        assert!(out[r.focus.unwrap()..]
            .trim_start()
            .starts_with("● sum › adds negatives"));
    }

    #[test]
    fn vitest_counts_and_names() {
        let out = include_str!("samples/vitest.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "vitest");
        assert_eq!((r.passed, r.failed), (Some(4), Some(1)));
        assert_eq!(r.failing, ["src/sum.test.ts > sum > adds negatives"]);
    }

    #[test]
    fn node_tap_names_failing_leaves_not_their_parents() {
        let out = include_str!("samples/node_tap.txt");
        let r = parse(out).unwrap();
        assert_eq!(r.runner, "node --test");
        assert_eq!((r.passed, r.failed), (Some(2), Some(3)));
        assert_eq!(r.failing, ["inner bad", "splits words"]);
    }

    #[test]
    fn node_spec_names_come_from_the_failing_tests_section() {
        let out = include_str!("samples/node_spec.txt");
        let r = parse(out).unwrap();
        assert_eq!((r.passed, r.failed), (Some(2), Some(3)));
        assert_eq!(r.failing, ["inner bad", "splits words"]);
        assert!(out[r.focus.unwrap()..].starts_with("✖ splits words"));
    }
}
