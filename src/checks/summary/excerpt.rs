//! Cutting a check's output down to what the model needs to fix it.

use super::lines_at;

/// Line starts that mark where a build or an interpreter says what went wrong, for output that
/// no test-runner parser recognised (a compile error stops the run before any test report).
const ERROR_MARKERS: &[&str] = &[
    "error",
    "Traceback (most recent call last)",
    "SyntaxError",
    "npm ERR!",
];

/// The part of `output` worth showing: from `focus` (the first failure's details) or else the
/// first error line, cut to about `limit` bytes. The head of that part holds the first failure's
/// message and the tail the runner's totals, so the middle is what goes.
pub fn excerpt(output: &str, focus: Option<usize>, limit: usize) -> String {
    let start = focus
        .filter(|&f| output.is_char_boundary(f))
        .or_else(|| first_error(output))
        .unwrap_or(0);
    clip_middle(&output[start..], limit)
}

fn first_error(output: &str) -> Option<usize> {
    lines_at(output)
        .find(|(_, line)| ERROR_MARKERS.iter().any(|m| line.starts_with(m)))
        .map(|(at, _)| at)
}

/// Keeps two thirds of `limit` from the start and one third from the end.
fn clip_middle(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_string();
    }
    let head_end = floor_boundary(s, limit * 2 / 3);
    let tail_start = ceil_boundary(s, s.len() - limit / 3);
    format!(
        "{}\n[… {} bytes cut …]\n{}",
        &s[..head_end],
        tail_start - head_end,
        &s[tail_start..]
    )
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_error_starts_at_the_first_error_line() {
        let out = include_str!("samples/cargo_build_error.txt");
        let e = excerpt(out, None, 10_000);
        assert!(e.starts_with("error[E0308]: mismatched types"), "{e}");
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let out = format!("{}{}", "a".repeat(5000), "é".repeat(3000));
        let e = excerpt(&out, None, 900);
        assert!(e.starts_with("aaaa") && e.ends_with('é'), "{e}");
        assert!(e.contains("bytes cut"));
        assert!(e.len() < 1000);
    }

    #[test]
    fn focus_skips_the_passing_part() {
        let out = "test a ... ok\nfailures:\nboom\n";
        assert_eq!(excerpt(out, Some(14), 100), "failures:\nboom\n");
    }
}
