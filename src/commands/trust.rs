//! `reins trust [--revoke] [--yes]`: shows what trusting the workspace would let its own files
//! do (every key its `.reins/config.toml` sets, each workflow's checks, models and limits, the
//! slash commands), asks, and records the trust tied to the content that was shown.

use crate::cli::GlobalArgs;
use crate::config::trust::{self, TrustError};
use crate::config::{self, LoadOptions};
use crate::frontend::ExitError;
use crate::workflow::{Found, Origin};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

impl From<TrustError> for ExitError {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::Io { .. } => ExitError::failure(e.to_string()),
            _ => ExitError::usage(e.to_string()),
        }
    }
}

pub fn run(revoke: bool, yes: bool, global: GlobalArgs) -> Result<i32, ExitError> {
    let (root, repo_warning) = crate::workspace::discover(global.cd.as_deref())
        .map_err(|e| ExitError::usage(e.to_string()))?;
    if let Some(warning) = repo_warning {
        eprintln!("warning: {warning}");
    }
    let home = crate::workspace::reins_home().ok_or_else(|| {
        ExitError::usage(
            "neither REINS_HOME nor HOME is set; set REINS_HOME to a directory reins may write",
        )
    })?;
    trust::key(&root)?;
    if revoke {
        trust::set_trusted(&home, &root, None)?;
        println!(
            "{} is no longer trusted: its .reins/config.toml may only add deny, ask and protected entries, and its workflows' checks, models and limits are ignored",
            root.display()
        );
        return Ok(0);
    }
    let digest = trust::digest(&root);
    print!("{}", review(&home, &root)?);
    if !confirmed(yes)? {
        println!("not trusted");
        return Ok(1);
    }
    if trust::digest(&root) != digest {
        return Err(ExitError::failure(
            "the workspace's .reins files changed while you reviewed them; run `reins trust` again",
        ));
    }
    trust::set_trusted(&home, &root, Some(digest))?;
    println!("trusted {}", root.display());
    Ok(0)
}

/// What trusting the workspace enables, as text for the user.
fn review(home: &Path, root: &Path) -> Result<String, ExitError> {
    let loaded = config::load(&LoadOptions {
        reins_home: Some(home.to_path_buf()),
        workspace: Some(root.to_path_buf()),
        overrides: Vec::new(),
        workspace_trusted: true,
    })
    .map_err(|e| ExitError::usage(format!("{e}; fix it before trusting the workspace")))?;
    let mut out = format!(
        "Trusting {} lets its own files configure reins:\n",
        root.display()
    );
    let project = root.join(".reins").join("config.toml");
    let project = project.display().to_string();
    let mut leaves = Vec::new();
    super::config::flatten(&loaded.merged, "", &mut leaves);
    let set: Vec<String> = leaves
        .into_iter()
        .filter(|(k, _)| loaded.sources.get(k) == Some(&project))
        .map(|(k, v)| format!("  {k} = {v}\n"))
        .collect();
    if set.is_empty() {
        out.push_str("- .reins/config.toml: nothing\n");
    } else {
        out.push_str("- .reins/config.toml sets:\n");
        out.extend(set);
    }
    out.extend(workflow_lines(root));
    for rel in trust::covered_files(root)
        .into_iter()
        .filter(|r| r.extension().is_some_and(|e| e == "md"))
    {
        out.push_str(&format!("- {} ({})\n", rel.display(), role(&rel)));
    }
    out.push_str("Any later change to these files needs `reins trust` again.\n");
    Ok(out)
}

/// What a covered markdown file becomes once trusted, so the user reviews it for what it can do:
/// an agent definition can grant tools and pick a model, a skill's body is instructions.
fn role(rel: &Path) -> &'static str {
    if rel.starts_with(".reins/agents") {
        "a subagent's definition: its prompt, tools and model"
    } else if rel.file_name().is_some_and(|n| n == trust::SKILL_FILE) {
        "a skill: instructions the model loads on demand"
    } else {
        "a slash command's prompt"
    }
}

/// Each workspace workflow with the parts trust lets apply (checks, model, route, limits, tools).
fn workflow_lines(root: &Path) -> Vec<String> {
    let policy = crate::workspace_file::secrets_only(root);
    crate::workspace_file::names(root, Path::new(".reins/workflows"), "toml")
        .into_iter()
        .map(|name| {
            let found = Found {
                path: root.join(".reins/workflows").join(format!("{name}.toml")),
                name,
                origin: Origin::Workspace,
                shadowed: None,
            };
            let parts = match found.load(&policy) {
                Ok(wf) if wf.sensitive_parts().is_empty() => "a prompt only".to_string(),
                Ok(wf) => wf.sensitive_parts().join(", "),
                Err(e) => format!("unusable: {e}"),
            };
            format!("- workflow .reins/workflows/{}.toml: {parts}\n", found.name)
        })
        .collect()
}

/// `--yes`, or a `y` typed on a terminal; without a terminal and without `--yes` it refuses.
fn confirmed(yes: bool) -> Result<bool, ExitError> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(ExitError::usage(
            "reins trust asks before trusting, and there is no terminal to ask on; review the output above and run `reins trust --yes` to confirm",
        ));
    }
    print!("Trust this workspace? [y/N] ");
    std::io::stdout()
        .flush()
        .map_err(|e| ExitError::failure(e.to_string()))?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| ExitError::failure(e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
