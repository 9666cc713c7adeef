//! `reins memory`: show, edit, locate and compact the memory files.

use crate::cli::{GlobalArgs, MemoryCommand};
use crate::conversation::Item;
use crate::frontend::{setup, ExitError};
use crate::provider::{client_for, with_retries, Request};
use crate::store::memory;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

const COMPACT_PROMPT: &str = include_str!("../../prompts/memory_compact.md");

pub async fn run(cmd: Option<MemoryCommand>, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let home = ws.home()?.to_path_buf();
    let (user, project) = (memory::user_path(&home), memory::project_path(&ws.root));
    match cmd.unwrap_or(MemoryCommand::Show) {
        MemoryCommand::Path => println!(
            "user:    {}\nproject: {}",
            user.display(),
            project.display()
        ),
        MemoryCommand::Show => {
            let policy = crate::frontend::setup::policy(
                &ws,
                crate::frontend::setup::SandboxFlags::default(),
            );
            let (text, warnings) = memory::prompt_section(&policy, Some(&home));
            for w in warnings {
                eprintln!("warning: {w}");
            }
            println!(
                "{}",
                if text.is_empty() {
                    "(no memory yet)".to_string()
                } else {
                    text.trim_end().to_string()
                }
            );
        }
        MemoryCommand::Edit { user: u } => return edit(if u { &user } else { &project }),
        MemoryCommand::Compact {
            user: u,
            yes,
            model,
        } => {
            return compact(&ws, if u { &user } else { &project }, yes, model.as_deref()).await;
        }
    }
    Ok(0)
}

fn edit(path: &Path) -> Result<i32, ExitError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| ExitError::failure(format!("{}: {e}", dir.display())))?;
    }
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| ExitError::failure(format!("cannot start the editor `{editor}`: {e}")))?;
    Ok(status.code().unwrap_or(1))
}

/// The memory file's text; the project's is read under the file tools' policy, as it is sent
/// to the model (a `.reins/memory.md` linked to `.env` must not be).
fn read_memory(ws: &setup::Workspace, path: &Path) -> Result<String, ExitError> {
    let project = memory::project_path(&ws.root);
    let read = if path == project {
        let policy = setup::policy(ws, setup::SandboxFlags::default());
        crate::workspace_file::read(&policy, Path::new(".reins/memory.md"))
            .map_err(|e| e.to_string())
    } else {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    };
    read.map_err(|e| ExitError::usage(format!("no memory file at {}: {e}", path.display())))
}

/// Has the model rewrite the file, shows the diff, and writes it when confirmed.
async fn compact(
    ws: &setup::Workspace,
    path: &Path,
    yes: bool,
    model: Option<&str>,
) -> Result<i32, ExitError> {
    let old = read_memory(ws, path)?;
    let resolved =
        crate::config::resolve_model(&ws.loaded.config, model, &|k| std::env::var(k).ok())?;
    let client = client_for(&resolved).map_err(|e| ExitError::usage(e.to_string()))?;
    let history = [Item::user(old.clone())];
    let req = Request {
        system: COMPACT_PROMPT,
        tools: &[],
        history: &history,
        ..Request::default()
    };
    let policy = crate::provider::retry_policy(&ws.loaded.config.retry);
    let completion = with_retries(
        policy,
        |_| {},
        || async {
            let mut ignore = |_: crate::provider::Delta<'_>| {};
            client.complete(&req, &mut ignore).await
        },
    )
    .await
    .map_err(|e| ExitError::failure(format!("compaction failed: {e}")))?;
    let mut new = completion.text.trim().to_string();
    new.push('\n');
    let label = match path.strip_prefix(&ws.root) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    };
    let diff = crate::diff::unified(&label, Some(&old), Some(&new));
    if diff.is_empty() {
        println!("nothing to compact");
        return Ok(0);
    }
    print!("{diff}");
    if let Err(why) = judge(&old, &new) {
        eprintln!("not written: {why}");
        return Ok(1);
    }
    if !yes && !confirm()? {
        println!(
            "not written{}",
            if std::io::stdin().is_terminal() {
                ""
            } else {
                " (stdin is not a terminal: pass --yes to write)"
            }
        );
        return Ok(1);
    }
    // Written through a handle of the workspace or of REINS_HOME, never through a link.
    let (root, rel) = if *path == memory::user_path(ws.home()?) {
        (ws.home()?, memory::USER_FILE)
    } else {
        (ws.root.as_path(), memory::PROJECT_FILE)
    };
    let dir = crate::sandbox::beneath::Beneath::open(root)
        .map_err(|e| ExitError::failure(format!("{}: {e}", root.display())))?;
    memory::replace(&dir, Path::new(rel), &old, &new)
        .map_err(|e| ExitError::failure(e.to_string()))?;
    println!(
        "wrote {} ({} -> {} bytes)",
        path.display(),
        old.len(),
        new.len()
    );
    Ok(0)
}

/// The model's answer drops most of the memory file instead of merging it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the model's answer keeps {new_entries} of {old_entries} entries and {new_text} of \
     {old_text} characters, which drops most of the file rather than merging it; run the \
     command again (perhaps with another -m MODEL), or edit the file with `reins memory edit`"
)]
struct NotACompaction {
    old_entries: usize,
    new_entries: usize,
    old_text: usize,
    new_text: usize,
}

/// Below this share of the old file's entries or text, an answer is not a compaction.
const MIN_KEPT: f64 = 0.4;

/// Refuses an answer that is not a compaction of `old`: one that keeps too few of its entries
/// (a model that replied `done` or summarised the file in a sentence) or too little of its text.
/// Merging duplicates and dropping stale facts shrinks a file; it does not empty it.
fn judge(old: &str, new: &str) -> Result<(), NotACompaction> {
    let entries = |t: &str| {
        t.lines()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with("- ") || l.starts_with("* ")
            })
            .count()
    };
    let text = |t: &str| t.chars().filter(|c| !c.is_whitespace()).count();
    let (old_entries, new_entries) = (entries(old), entries(new));
    let (old_text, new_text) = (text(old), text(new));
    let too_few_entries = old_entries > 0 && (new_entries as f64) < MIN_KEPT * old_entries as f64;
    let too_little_text = old_text > 0 && (new_text as f64) < MIN_KEPT * old_text as f64;
    if too_few_entries || too_little_text {
        return Err(NotACompaction {
            old_entries,
            new_entries,
            old_text,
            new_text,
        });
    }
    Ok(())
}

fn confirm() -> Result<bool, ExitError> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    print!("write this? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| ExitError::failure(e.to_string()))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# Memory\n\n- a fact\n- another fact\n- a third fact\n- a fact again\n";

    #[test]
    fn a_merge_passes_and_a_dismissal_does_not() {
        assert!(judge(
            OLD,
            "# Memory\n\n- a fact\n- another fact\n- a third fact\n"
        )
        .is_ok());
        let why = judge(OLD, "done\n").unwrap_err().to_string();
        assert!(why.contains("0 of 4 entries"), "{why}");
        // The message is one sentence, not broken by the source's line continuation.
        assert!(why.contains("characters, which drops"), "{why}");
        assert!(!why.contains("  "), "{why}");
        assert!(judge(OLD, "# Memory\n\n- a fact, another and a third\n").is_err());
    }
}
