//! The report as text tables: one row per configuration, then a task × configuration grid.

use super::report::{ConfigSummary, Report};

/// Column width cap for configuration labels (long replay paths are cut in the middle).
const LABEL_WIDTH: usize = 44;

pub fn render(report: &Report) -> String {
    let p = &report.plan;
    let mut out = format!(
        "eval `{}`: {} × {} × {} = {} runs",
        report.suite,
        count(p.tasks.len(), "task"),
        count(p.configs.len(), "configuration"),
        count(p.repeat as usize, "repeat"),
        p.units
    );
    if let Some(s) = report.shard {
        out.push_str(&format!(
            " (shard {}/{}: {} runs)",
            s.index,
            s.count,
            report.runs.len()
        ));
    } else if report.missing() > 0 {
        out.push_str(&format!(" ({} missing)", report.missing()));
    }
    out.push_str("\n\n");
    out.push_str(&configs_table(report));
    out.push('\n');
    out.push_str(&tasks_table(report));
    out
}

fn configs_table(report: &Report) -> String {
    let mut rows = vec![[
        "#",
        "configuration",
        "solved",
        "pass rate",
        "steps",
        "in tok",
        "out tok",
        "cost",
        "$/solved",
        "wall",
    ]
    .map(String::from)
    .to_vec()];
    for (i, c) in report.configs.iter().enumerate() {
        rows.push(vec![
            (i + 1).to_string(),
            cut_middle(&c.config, LABEL_WIDTH),
            format!("{}/{}", c.solved, c.runs),
            pass_rate(c, report.plan.repeat),
            format!("{:.1}", c.mean_steps),
            tokens(c.mean_input_tokens),
            tokens(c.mean_output_tokens),
            usd(c.cost_usd),
            usd(c.cost_per_solved_usd),
            wall(c.mean_wall_ms),
        ]);
    }
    columns(&rows)
}

/// `100%`, or with repeats `66.7% ±4.7`.
fn pass_rate(c: &ConfigSummary, repeat: u32) -> String {
    let pct = |x: f64| {
        let s = format!("{:.1}", x * 100.0);
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    if repeat > 1 {
        format!("{}% ±{}", pct(c.pass_rate.mean), pct(c.pass_rate.stddev))
    } else {
        format!("{}%", pct(c.pass_rate.mean))
    }
}

fn tasks_table(report: &Report) -> String {
    let mut header = vec!["task".to_string()];
    header.extend((1..=report.plan.configs.len()).map(|i| format!("#{i}")));
    let mut rows = vec![header];
    for t in &report.tasks {
        let mut row = vec![t.task.clone()];
        row.extend(t.results.iter().map(|r| match (r.runs, r.solved) {
            (0, _) => "·".to_string(),
            (n, 0) => format!("✗ 0/{n}"),
            (n, s) => format!("✓ {s}/{n}"),
        }));
        rows.push(row);
    }
    columns(&rows)
}

/// `1 task`, `9 tasks`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Mean tokens: `850`, `4.1k`, `1.2M`.
/// A duration a reader can tell apart from zero: `85 ms` under a second (scripted runs take
/// tens of milliseconds, which one decimal of seconds showed as `0.0s`), else `12.3 s`.
pub fn wall(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn tokens(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

pub(super) fn usd(x: Option<f64>) -> String {
    x.map_or("—".to_string(), |c| format!("${c:.4}"))
}

pub(super) fn cut_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max / 2 - 1).collect();
    let tail: String = s.chars().skip(n - (max - max / 2)).collect();
    format!("{head}…{tail}")
}

/// Left-aligned columns two spaces apart, without trailing spaces.
pub(super) fn columns(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            let pad = widths[c].saturating_sub(cell.chars().count());
            line.push_str(&" ".repeat(pad + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_short_wall_time_is_not_zero() {
        assert_eq!(wall(42), "42 ms");
        assert_eq!(wall(0), "0 ms");
        assert_eq!(wall(12_345), "12.3 s");
    }

    use super::*;

    #[test]
    fn long_labels_are_cut_in_the_middle() {
        let s = cut_middle("replay:tests/fixtures/evals/solve/{task}.json", 20);
        assert_eq!(s.chars().count(), 20);
        assert!(
            s.starts_with("replay:te") && s.ends_with("task}.json"),
            "{s}"
        );
    }

    #[test]
    fn columns_align() {
        let rows = vec![
            vec!["a".to_string(), "bb".to_string()],
            vec!["ccc".to_string(), "d".to_string()],
        ];
        assert_eq!(columns(&rows), "a    bb\nccc  d\n");
    }
}
