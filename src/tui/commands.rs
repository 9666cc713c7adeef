//! The slash-command catalogue: the built-in commands and custom ones, Markdown files in
//! `$REINS_HOME/commands/NAME.md` (the user's) and `.reins/commands/NAME.md` (the project's) whose
//! body becomes the prompt, `$ARGUMENTS` replaced by what follows `/NAME`. The user's win. Then
//! the workflows (`reins workflows`), each as `/NAME`, run by the engine as `reins run` runs them.

use crate::sandbox::SandboxPolicy;
use std::path::{Path, PathBuf};

/// One entry of the `/` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: String,
    /// How the arguments are written in the help (`[NAME]`, `MODE`), empty for none.
    pub args: String,
    pub help: String,
    /// The prompt template of a custom command.
    pub body: Option<String>,
    /// A workflow: `/NAME VAR=VALUE… TEXT` runs it in a session of its own.
    pub workflow: bool,
}

impl CommandInfo {
    /// Whether choosing it from the list runs it at once (nothing to type after it).
    pub fn runs_bare(&self) -> bool {
        self.args.is_empty() || self.args.starts_with('[')
    }
}

const BUILTINS: &[(&str, &str, &str)] = &[
    ("help", "", "commands and keys"),
    (
        "model",
        "[NAME]",
        "show or switch the model; the conversation is kept",
    ),
    ("route", "", "the router's decisions so far"),
    ("cost", "", "tokens and cost, per model"),
    (
        "status",
        "",
        "model, route, sandbox, approval, context, MCP servers and cost",
    ),
    ("diff", "", "review the session's changes; r reverts a hunk"),
    (
        "review",
        "[uncommitted|base BRANCH|commit SHA]",
        "code review of a change, as `reins review` does it",
    ),
    ("undo", "", "restore the files to before the last step"),
    ("compact", "", "summarise the conversation now"),
    (
        "reasoning",
        "",
        "show or collapse the model's reasoning (Ctrl+T)",
    ),
    (
        "memory",
        "[add TEXT]",
        "show the memory files, or add a fact to the project's",
    ),
    ("clear", "", "start a new session"),
    (
        "init",
        "[overwrite]",
        "write a starter AGENTS.md with the repository's build and test commands",
    ),
    ("resume", "[ID]", "reopen an earlier session"),
    ("sessions", "", "this workspace's sessions"),
    (
        "approval",
        "[MODE]",
        "show or set: never | on-request | untrusted",
    ),
    (
        "sandbox",
        "[MODE]",
        "show or set: read-only | workspace-write | full",
    ),
    ("quit", "", "leave reins"),
];

/// The built-in commands, then custom ones, with the workspace's files read under the secret
/// patterns only; see [`load_checked`].
pub fn load(workspace: &Path, reins_home: Option<&Path>) -> Vec<CommandInfo> {
    load_checked(&crate::workspace_file::secrets_only(workspace), reins_home).0
}

/// The built-in commands, then the user's (`$REINS_HOME/commands`), then the workspace's
/// (`.reins/commands`, read under `policy` like `read_file` reads). A name already taken is
/// skipped, so a custom file cannot shadow a built-in, and a workspace command cannot replace the
/// user's of the same name: that is reported in the warnings, as is a refused file.
pub fn load_checked(
    policy: &SandboxPolicy,
    reins_home: Option<&Path>,
) -> (Vec<CommandInfo>, Vec<String>) {
    let mut out: Vec<CommandInfo> = BUILTINS
        .iter()
        .map(|(name, args, help)| CommandInfo {
            name: name.to_string(),
            args: args.to_string(),
            help: help.to_string(),
            body: None,
            workflow: false,
        })
        .collect();
    let mut warnings = Vec::new();
    let user = reins_home.map(|h| (h.to_path_buf(), PathBuf::from("commands")));
    let workspace = (policy.workspace.clone(), PathBuf::from(WORKSPACE_DIR));
    for (is_user, (base, dir)) in [(true, user), (false, Some(workspace))]
        .into_iter()
        .filter_map(|(u, d)| d.map(|d| (u, d)))
    {
        for name in crate::workspace_file::names(&base, &dir, "md") {
            if !valid_name(&name) {
                continue;
            }
            let path = base.join(&dir).join(format!("{name}.md"));
            if let Some(taken) = out.iter().find(|c| c.name == name) {
                if !is_user {
                    warnings.push(shadow_warning(&path, taken));
                }
                continue;
            }
            let body = if is_user {
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))
            } else {
                crate::workspace_file::read(policy, &dir.join(format!("{name}.md")))
                    .map_err(|e| e.to_string())
            };
            match body {
                Ok(body) => out.push(custom(name, body)),
                Err(e) => warnings.push(format!("command /{name} skipped: {e}")),
            }
        }
    }
    add_workflows(policy, reins_home, &mut out, &mut warnings);
    (out, warnings)
}

/// Each workflow as `/NAME`, unless a built-in or custom command has the name (reported).
fn add_workflows(
    policy: &SandboxPolicy,
    reins_home: Option<&Path>,
    out: &mut Vec<CommandInfo>,
    warnings: &mut Vec<String>,
) {
    for listed in crate::workflow::list(&policy.workspace, reins_home, policy) {
        let name = listed.found.name.clone();
        if !valid_name(&name) {
            continue;
        }
        if let Some(taken) = out.iter().find(|c| c.name == name) {
            warnings.push(format!(
                "workflow {} has no /{name}: the name is taken by {} command; `reins run {name}` still runs it",
                listed.found.path.display(),
                if taken.body.is_some() { "a custom" } else { "a built-in" }
            ));
            continue;
        }
        match listed.description {
            Ok(description) => out.push(CommandInfo {
                name,
                args: "[VAR=VALUE…] [TEXT]".into(),
                help: match description.trim() {
                    "" => "workflow".to_string(),
                    d => format!("workflow: {d}"),
                },
                body: None,
                workflow: true,
            }),
            Err(e) => warnings.push(format!("workflow /{name} skipped: {e}")),
        }
    }
}

const WORKSPACE_DIR: &str = ".reins/commands";

fn shadow_warning(path: &Path, taken: &CommandInfo) -> String {
    let whose = if taken.body.is_some() {
        "yours"
    } else {
        "the built-in"
    };
    format!(
        "{} is ignored: /{} is {whose}; rename the file to use it",
        path.display(),
        taken.name
    )
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn custom(name: String, body: String) -> CommandInfo {
    let help = body
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("custom command")
        .to_string();
    CommandInfo {
        name,
        args: "[ARGS]".into(),
        help,
        body: Some(body),
        workflow: false,
    }
}

/// `/name args` split into the name and the rest; `None` when `line` is not a command.
pub fn parse(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix('/')?;
    let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    (!name.is_empty()).then_some((name, args.trim()))
}

/// A custom command's prompt: `$ARGUMENTS` replaced, or the arguments appended when the body
/// has no placeholder.
pub fn expand(body: &str, args: &str) -> String {
    if body.contains("$ARGUMENTS") {
        body.replace("$ARGUMENTS", args)
    } else if args.is_empty() {
        body.to_string()
    } else {
        format!("{}\n\n{args}", body.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_name_and_arguments() {
        assert_eq!(parse("/model fast"), Some(("model", "fast")));
        assert_eq!(
            parse("/memory add  use tabs "),
            Some(("memory", "add  use tabs"))
        );
        assert_eq!(parse("/quit"), Some(("quit", "")));
        assert_eq!(parse("hello /x"), None);
        assert_eq!(parse("/"), None);
    }

    #[test]
    fn expand_fills_the_placeholder() {
        assert_eq!(
            expand("Review $ARGUMENTS now", "src/a.rs"),
            "Review src/a.rs now"
        );
        assert_eq!(expand("Review\n", "a"), "Review\n\na");
    }

    #[test]
    fn custom_commands_come_from_both_directories_the_users_winning() {
        let ws = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let p = ws.path().join(".reins/commands");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("audit.md"), "# Review the diff\nReview $ARGUMENTS").unwrap();
        std::fs::write(p.join("help.md"), "shadow attempt").unwrap();
        std::fs::write(p.join("lint.md"), "# Lint it\nlint").unwrap();
        std::fs::write(ws.path().join(".env"), "TOKEN=SECRET_VALUE").unwrap();
        std::os::unix::fs::symlink("../../.env", p.join("leak.md")).unwrap();
        let u = home.path().join("commands");
        std::fs::create_dir_all(&u).unwrap();
        std::fs::write(u.join("ship.md"), "Ship it").unwrap();
        std::fs::write(u.join("audit.md"), "user copy").unwrap();
        let policy = crate::workspace_file::secrets_only(ws.path());
        let (all, warnings) = load_checked(&policy, Some(home.path()));
        let custom: Vec<(&str, &str)> = all
            .iter()
            .filter_map(|c| Some((c.name.as_str(), c.body.as_deref()?)))
            .collect();
        assert_eq!(
            custom,
            [
                ("audit", "user copy"),
                ("ship", "Ship it"),
                ("lint", "# Lint it\nlint")
            ]
        );
        assert_eq!(all.iter().filter(|c| c.name == "help").count(), 1);
        let w = warnings.join("\n");
        assert!(
            w.contains("/audit is yours") && w.contains("/help is the built-in"),
            "{w}"
        );
        assert!(
            w.contains("/leak skipped") && !w.contains("SECRET_VALUE"),
            "{w}"
        );
    }
}
