//! The report as text tables: one row per configuration, then a task × configuration grid.

use super::report::{ConfigSummary, Report};
use super::significance::{choice_line, PairTest};
use super::stats::Estimate;

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
    if !report.pairs.is_empty() {
        out.push('\n');
        out.push_str(&pairs_table(report));
    }
    out.push('\n');
    out.push_str(&choice_line(report.choice.as_ref()));
    out.push('\n');
    out
}

/// One line per pair of configurations: who was better on how many tasks, and the test.
fn pairs_table(report: &Report) -> String {
    let no = |label: &str| {
        report
            .plan
            .configs
            .iter()
            .position(|c| c == label)
            .map_or("?".into(), |i| format!("#{}", i + 1))
    };
    let mut out = format!(
        "paired tests over the same tasks ({}):\n",
        if report.plan.repeat > 1 {
            "exact sign test on each task's solve rate"
        } else {
            "McNemar's exact test"
        }
    );
    let rows: Vec<Vec<String>> = report
        .pairs
        .iter()
        .map(|p| pair_row(p, &no(&p.a), &no(&p.b)))
        .collect();
    out.push_str(&columns(&rows));
    out
}

fn pair_row(p: &PairTest, a: &str, b: &str) -> Vec<String> {
    vec![
        format!("  {a} vs {b}"),
        format!("{a} better on {}", p.a_better),
        format!("{b} better on {}", p.b_better),
        format!("{} tied", p.ties),
        format!("p = {}", p_value(p.p_value)),
        if p.significant {
            "significant".into()
        } else {
            "not significant".into()
        },
    ]
}

/// `0.0039`, or `< 0.0001`.
pub(super) fn p_value(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// `[56.5–98.0]`: an interval of a rate, in percent.
pub(super) fn pct_interval(e: Option<&Estimate>) -> String {
    e.map_or("—".into(), |e| {
        format!("[{}–{}]", pct(e.low), pct(e.high))
    })
}

fn pct(x: f64) -> String {
    let s = format!("{:.1}", x * 100.0);
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// `$0.0526 [0.0400–0.0650]` with repeats, else the plain figure.
fn usd_interval(point: Option<f64>, e: Option<&Estimate>, repeat: u32) -> String {
    match e {
        Some(e) if repeat > 1 => format!("${:.4} [{:.4}–{:.4}]", e.value, e.low, e.high),
        _ => usd(point),
    }
}

fn configs_table(report: &Report) -> String {
    let mut rows = vec![[
        "#",
        "configuration",
        "solved",
        "pass rate",
        "95% CI",
        "steps",
        "in tok",
        "out tok",
        "cost",
        "$/solved",
        "wall",
    ]
    .map(String::from)
    .to_vec()];
    let repeat = report.plan.repeat;
    if repeat > 1 {
        rows[0].push("$/repeat".into());
    }
    for (i, c) in report.configs.iter().enumerate() {
        let mut row = vec![
            (i + 1).to_string(),
            cut_middle(&c.config, LABEL_WIDTH),
            format!("{}/{}", c.solved, c.runs),
            pass_rate(c, repeat),
            pct_interval(c.pass_rate_ci.as_ref()),
            format!("{:.1}", c.mean_steps),
            tokens(c.mean_input_tokens),
            tokens(c.mean_output_tokens),
            usd(c.cost_usd),
            usd_interval(c.cost_per_solved_usd, c.cost_per_solved_ci.as_ref(), repeat),
            wall(c.mean_wall_ms),
        ];
        if repeat > 1 {
            row.push(usd_interval(
                c.repeat_cost_ci.map(|e| e.value),
                c.repeat_cost_ci.as_ref(),
                repeat,
            ));
        }
        rows.push(row);
    }
    columns(&rows)
}

/// `100%`, or with repeats `66.7% ±4.7`.
fn pass_rate(c: &ConfigSummary, repeat: u32) -> String {
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
