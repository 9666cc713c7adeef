//! `reins sessions`: listing and inspecting past sessions.

use crate::cli::GlobalArgs;
use crate::frontend::{setup, timestamp, ExitError};
use crate::store::sessions;

pub fn list(all: bool, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let found = sessions::list(ws.home()?, (!all).then_some(ws.root.as_path()));
    if found.is_empty() {
        println!(
            "no sessions{}",
            if all {
                ""
            } else {
                " in this workspace (try --all)"
            }
        );
    } else {
        print_table(&found, all);
    }
    if let Some(line) = checkpoints_line(ws.home()?, &ws.root, all) {
        println!("\n{line}");
    }
    Ok(0)
}

/// What the checkpoint stores take on disk, and how to reclaim it; `None` when there are none.
fn checkpoints_line(home: &std::path::Path, root: &std::path::Path, all: bool) -> Option<String> {
    use super::checkpoint::human_bytes;
    let total = crate::store::stores_size(home);
    if total == 0 {
        return None;
    }
    let here = crate::store::store_size(home, root)
        .filter(|_| !all)
        .map(|n| format!("{} for this workspace, ", human_bytes(n)))
        .unwrap_or_default();
    Some(format!(
        "checkpoints: {here}{} in all (`reins checkpoints gc` removes old sessions' checkpoints)",
        human_bytes(total)
    ))
}

fn print_table(found: &[sessions::SessionInfo], all: bool) {
    println!(
        "{:<22} {:<17} {:>5} {:>9} {:<12} PROMPT",
        "ID", "STARTED (UTC)", "STEPS", "COST", "STATUS"
    );
    for s in found {
        let cost = s.cost_usd.map_or("-".to_string(), |c| format!("${c:.4}"));
        let prompt: String = s
            .prompt
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        let place = if all {
            format!("  [{}]", s.workspace)
        } else {
            String::new()
        };
        println!(
            "{:<22} {:<17} {:>5} {:>9} {:<12} {prompt}{place}",
            s.id,
            timestamp(s.started_at),
            s.steps,
            cost,
            s.status
        );
    }
}

/// `reins sessions show ID [--routes]`.
pub fn show(id: &str, routes: bool, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let loaded =
        sessions::load_by_id(ws.home()?, id).map_err(|e| ExitError::usage(e.to_string()))?;
    let i = &loaded.info;
    println!(
        "session   {}\nworkspace {}\nstarted   {}\nprompt    {}",
        i.id,
        i.workspace,
        timestamp(i.started_at),
        i.prompt.lines().next().unwrap_or("")
    );
    let cost = i
        .cost_usd
        .map_or("unknown".to_string(), |c| format!("${c:.4}"));
    println!(
        "steps     {}\ntokens    {} in / {} out\ncost      {cost}\nstatus    {}",
        i.steps, i.input_tokens, i.output_tokens, i.status
    );
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    if routes {
        println!("\n{:>4}  {:<20} REASON", "STEP", "MODEL");
        for r in sessions::routes(&i.path).map_err(|e| ExitError::failure(e.to_string()))? {
            println!("{:>4}  {:<20} {}", r.0, r.1, r.2);
        }
    }
    Ok(0)
}
