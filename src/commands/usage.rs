//! `reins usage`: the cost ledger over every session of `$REINS_HOME`, grouped by day, model,
//! workflow, workspace or route, as a table or JSON.

use crate::cli::{GlobalArgs, UsageArgs, UsageBy};
use crate::frontend::{setup, ExitError};
use crate::store::ledger::{GroupBy, Ledger, LedgerRow};
use crate::store::transcript::sessions_dir;

pub fn run(args: UsageArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let since = args.since.as_deref().map(parse_day).transpose()?;
    let by = group(args.by);
    let dir = sessions_dir(ws.home()?);
    let fail = |e: crate::store::ledger::LedgerError| ExitError::failure(e.to_string());
    let mut ledger = Ledger::open(&dir).map_err(fail)?;
    ledger.refresh().map_err(fail)?;
    let rows = ledger.query(since, by).map_err(fail)?;
    let total = ledger.total(since).map_err(fail)?;
    if args.json {
        let out = serde_json::json!({
            "by": by_name(args.by),
            "since": args.since,
            "rows": rows,
            "total": total,
        });
        println!("{out:#}");
    } else if rows.is_empty() {
        println!(
            "no sessions{}",
            args.since
                .map(|d| format!(" since {d}"))
                .unwrap_or_default()
        );
    } else {
        print!("{}", table(by_name(args.by), &rows, &total));
    }
    Ok(0)
}

fn group(by: UsageBy) -> GroupBy {
    match by {
        UsageBy::Day => GroupBy::Day,
        UsageBy::Model => GroupBy::Model,
        UsageBy::Workflow => GroupBy::Workflow,
        UsageBy::Workspace => GroupBy::Workspace,
        UsageBy::Route => GroupBy::Route,
    }
}

fn by_name(by: UsageBy) -> &'static str {
    match by {
        UsageBy::Day => "day",
        UsageBy::Model => "model",
        UsageBy::Workflow => "workflow",
        UsageBy::Workspace => "workspace",
        UsageBy::Route => "route",
    }
}

/// `YYYY-MM-DD` as seconds since the epoch at 00:00 UTC.
fn parse_day(s: &str) -> Result<u64, ExitError> {
    let bad = || ExitError::usage(format!("bad --since `{s}`: expected a day as YYYY-MM-DD"));
    let mut parts = s.trim().splitn(3, '-');
    let mut next =
        || -> Result<i64, ExitError> { parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad) };
    let (y, m, d) = (next()?, next()?, next()?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    u64::try_from(days_from_civil(y, m, d) * 86_400).map_err(|_| bad())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn table(by: &str, rows: &[LedgerRow], total: &LedgerRow) -> String {
    let mut lines = vec![[
        by,
        "sessions",
        "steps",
        "input",
        "cached",
        "output",
        "reasoning",
        "cost",
        "routed",
        "on top rung",
    ]
    .map(String::from)
    .to_vec()];
    for r in rows.iter().chain(std::iter::once(total)) {
        lines.push(vec![
            r.key.clone(),
            r.sessions.to_string(),
            r.steps.to_string(),
            tokens(r.input_tokens),
            tokens(r.cached_input_tokens),
            tokens(r.output_tokens),
            tokens(r.reasoning_tokens),
            cost(r.cost_usd, r.unpriced_requests),
            usd(r.routed_cost_usd),
            usd(r.top_rung_cost_usd),
        ]);
    }
    let mut out = columns(&lines);
    if total.unpriced_requests > 0 {
        out.push_str(&format!(
            "\n* {} requests to models without prices are not in the cost\n",
            total.unpriced_requests
        ));
    }
    if total.top_rung_cost_usd.is_some() {
        out.push_str(
            "\nrouted: what routed sessions cost; on top rung: what their tokens would have cost on their route's most capable model\n",
        );
    }
    out
}

fn cost(c: Option<f64>, unpriced: u64) -> String {
    let mark = if unpriced > 0 { "*" } else { "" };
    format!("{}{mark}", usd(c))
}

fn usd(c: Option<f64>) -> String {
    c.map_or("-".into(), |c| format!("${c:.4}"))
}

/// `850`, `4.1k`, `1.2M`.
fn tokens(n: u64) -> String {
    let x = n as f64;
    if x >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        n.to_string()
    }
}

/// The first column left-aligned, the figures right-aligned, two spaces apart.
fn columns(rows: &[Vec<String>]) -> String {
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
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pad = " ".repeat(widths[c].saturating_sub(cell.chars().count()));
                if c == 0 {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_to_utc_midnight() {
        assert_eq!(parse_day("1970-01-01").unwrap(), 0);
        assert_eq!(parse_day("2000-03-01").unwrap(), 951_868_800);
        assert_eq!(parse_day("2026-12-07").unwrap(), 1_796_601_600);
        for bad in ["2026-13-01", "yesterday", "2026-12", "1969-12-31"] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }
}
