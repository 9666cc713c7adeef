//! `--html FILE`: the report as one self-contained page (inline CSS and SVG, no script, nothing
//! fetched) for people who would rather look than read: the configurations with their
//! intervals, a cost-versus-pass-rate chart with the Pareto front marked, the paired tests, the
//! choice, and the task grid. Every label comes from a report that may be someone else's, so
//! all text is escaped.

use super::report::Report;
use super::significance::{choice_line, cost_per_run};
use super::table::{p_value, pct_interval, usd};
use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 380.0;
const MARGIN_LEFT: f64 = 64.0;
const MARGIN_RIGHT: f64 = 24.0;
const MARGIN_TOP: f64 = 16.0;
const MARGIN_BOTTOM: f64 = 48.0;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\
td.ok{background:#c8f0c8}td.part{background:#f5e6a8}td.no{background:#f5c6c6}td.none{color:#999}\
.choice{font-weight:bold;margin:1em 0}svg text{font-size:12px}";

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let title = format!("eval {}", report.suite);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&title)
    );
    let p = &report.plan;
    let _ = writeln!(
        out,
        "<h1>{}</h1>\n<p>{} tasks × {} configurations × {} repeats = {} runs ({} in this report)</p>",
        esc(&title),
        p.tasks.len(),
        p.configs.len(),
        p.repeat,
        p.units,
        report.runs.len()
    );
    let _ = writeln!(
        out,
        "<p class=\"choice\">{}</p>",
        esc(&choice_line(report.choice.as_ref()))
    );
    configs_table(&mut out, report);
    out.push_str("<h2>Cost against pass rate</h2>\n");
    out.push_str(&chart(report));
    pairs_table(&mut out, report);
    task_grid(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

fn configs_table(out: &mut String, report: &Report) {
    out.push_str("<h2>Configurations</h2>\n<table><tr><th>#</th><th>configuration</th><th>solved</th><th>pass rate</th><th>95% CI</th><th>cost</th><th>$/run</th><th>$/solved</th><th>steps</th></tr>\n");
    for (i, c) in report.configs.iter().enumerate() {
        let rate = c.pass_rate_ci.map_or(0.0, |e| e.value);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}/{}</td><td>{:.1}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
            i + 1,
            esc(&c.config),
            c.solved,
            c.runs,
            rate * 100.0,
            esc(&pct_interval(c.pass_rate_ci.as_ref())),
            esc(&usd(c.cost_usd)),
            esc(&usd(cost_per_run(c))),
            esc(&usd(c.cost_per_solved_usd)),
            c.mean_steps
        );
    }
    out.push_str("</table>\n");
}

/// A point of the chart: configuration number, cost per run, pass rate and its interval.
struct Point {
    no: usize,
    cost: f64,
    rate: f64,
    low: f64,
    high: f64,
}

/// The configurations no other beats on both cost and pass rate, cheapest first.
fn pareto(points: &[Point]) -> Vec<&Point> {
    let mut front: Vec<&Point> = points
        .iter()
        .filter(|p| {
            !points.iter().any(|q| {
                q.cost <= p.cost && q.rate >= p.rate && (q.cost < p.cost || q.rate > p.rate)
            })
        })
        .collect();
    front.sort_by(|a, b| a.cost.total_cmp(&b.cost));
    front
}

fn chart(report: &Report) -> String {
    let points: Vec<Point> = report
        .configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let cost = cost_per_run(c)?;
            let e = c.pass_rate_ci?;
            Some(Point {
                no: i + 1,
                cost,
                rate: e.value,
                low: e.low,
                high: e.high,
            })
        })
        .collect();
    let mut out = String::new();
    if points.is_empty() {
        out.push_str("<p>No configuration reported a cost, so there is nothing to plot.</p>\n");
        return out;
    }
    let max_cost = points.iter().map(|p| p.cost).fold(0.0, f64::max);
    let max_cost = if max_cost > 0.0 { max_cost * 1.1 } else { 1.0 };
    let plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    let plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
    let x = |c: f64| MARGIN_LEFT + c / max_cost * plot_w;
    let y = |r: f64| MARGIN_TOP + (1.0 - r) * plot_h;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"cost per run against pass rate\">"
    );
    // Axes, grid and ticks.
    for k in 0..=4 {
        let r = k as f64 / 4.0;
        let _ = writeln!(
            out,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}%</text>",
            x(0.0), y(r), x(max_cost), y(r), x(0.0) - 6.0, y(r) + 4.0, (r * 100.0) as u32
        );
        let c = max_cost * k as f64 / 4.0;
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">${c:.4}</text>",
            x(c),
            y(0.0) + 18.0
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{2:.1}\" y2=\"{1:.1}\" stroke=\"#333\"/><line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{3:.1}\" stroke=\"#333\"/>",
        x(0.0), y(0.0), x(max_cost), y(1.0)
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">cost per run (USD)</text>",
        MARGIN_LEFT + plot_w / 2.0,
        HEIGHT - 6.0
    );
    let front = pareto(&points);
    let line: Vec<String> = front
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.cost), y(p.rate)))
        .collect();
    let _ = writeln!(
        out,
        "<polyline class=\"pareto\" points=\"{}\" fill=\"none\" stroke=\"#2a7\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>",
        line.join(" ")
    );
    for p in &points {
        let on_front = front.iter().any(|f| f.no == p.no);
        let _ = writeln!(
            out,
            "<g class=\"config{}\"><line x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{:.1}\" stroke=\"#888\"/><circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">#{}</text></g>",
            if on_front { " pareto-point" } else { "" },
            y(p.low),
            y(p.high),
            if on_front { "#2a7" } else { "#789" },
            x(p.cost) + 8.0,
            y(p.rate) - 6.0,
            p.no,
            cx = x(p.cost),
            cy = y(p.rate),
        );
    }
    out.push_str("</svg>\n<p>Bars: the pass rate's 95% interval. Dashed: the Pareto front (no other configuration is both cheaper and better).</p>\n");
    out
}

fn pairs_table(out: &mut String, report: &Report) {
    if report.pairs.is_empty() {
        return;
    }
    out.push_str("<h2>Paired tests over the same tasks</h2>\n<table><tr><th>A</th><th>B</th><th>A better</th><th>B better</th><th>tied</th><th>p</th><th></th></tr>\n");
    for p in &report.pairs {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.a),
            esc(&p.b),
            p.a_better,
            p.b_better,
            p.ties,
            esc(&p_value(p.p_value)),
            if p.significant { "significant" } else { "not significant" }
        );
    }
    out.push_str("</table>\n");
}

fn task_grid(out: &mut String, report: &Report) {
    out.push_str("<h2>Tasks</h2>\n<table><tr><th>task</th>");
    for i in 1..=report.plan.configs.len() {
        let _ = write!(out, "<th>#{i}</th>");
    }
    out.push_str("</tr>\n");
    for t in &report.tasks {
        let _ = write!(out, "<tr><td>{}</td>", esc(&t.task));
        for r in &t.results {
            let (class, text) = match (r.runs, r.solved) {
                (0, _) => ("none", "·".to_string()),
                (n, 0) => ("no", format!("✗ 0/{n}")),
                (n, s) if s == n => ("ok", format!("✓ {s}/{n}")),
                (n, s) => ("part", format!("✓ {s}/{n}")),
            };
            let _ = write!(
                out,
                "<td class=\"{class}\" title=\"{}\">{text}</td>",
                esc(&r.config)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// Text and attribute values made inert.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::report::{Plan, RunResult};

    fn run(task: &str, config: &str, passed: bool, cost: Option<f64>) -> RunResult {
        RunResult {
            task: task.into(),
            config: config.into(),
            repeat: 0,
            status: "done".into(),
            passed,
            steps: 1,
            input_tokens: 1,
            output_tokens: 1,
            cost_usd: cost,
            wall_ms: 1,
            checks: Vec::new(),
            error: None,
        }
    }

    fn report(configs: &[(&str, [bool; 2], Option<f64>)]) -> Report {
        let runs = configs
            .iter()
            .flat_map(|(c, passed, cost)| {
                [
                    run("t1", c, passed[0], *cost),
                    run("t2", c, passed[1], *cost),
                ]
            })
            .collect();
        let plan = Plan {
            tasks: vec!["t1".into(), "t2".into()],
            configs: configs.iter().map(|c| c.0.to_string()).collect(),
            repeat: 1,
            units: configs.len() * 2,
        };
        Report::build("s", plan, None, runs)
    }

    #[test]
    fn the_pareto_front_holds_only_undominated_configurations() {
        let r = report(&[
            ("cheap", [true, false], Some(0.01)),
            ("dear", [true, true], Some(0.10)),
            ("worse", [true, false], Some(0.05)),
        ]);
        let page = render(&r);
        assert_eq!(page.matches("pareto-point").count(), 2, "{page}");
        assert!(page.contains("<g class=\"config pareto-point\">"));
        let worse = page.find("#3</text>").unwrap();
        let group = page[..worse].rfind("<g class=").unwrap();
        assert!(page[group..worse].starts_with("<g class=\"config\">"));
    }

    #[test]
    fn labels_from_the_report_cannot_inject_markup() {
        let r = report(&[
            ("<script>alert(1)</script>", [true, true], Some(0.01)),
            ("x\" onmouseover=\"y", [false, false], Some(0.02)),
        ]);
        let page = render(&r);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("\" onmouseover"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
        assert!(
            !page.contains("src=") && !page.contains("href="),
            "nothing is fetched"
        );
    }

    #[test]
    fn without_costs_the_chart_says_why_it_is_empty() {
        let r = report(&[("a", [true, false], None)]);
        let page = render(&r);
        assert!(page.contains("nothing to plot"));
        assert!(page.contains("<td class=\"ok\" title=\"a\">✓ 1/1</td>"));
    }
}
