//! The slash-command catalogue: the built-in commands and the user's own, Markdown files in
//! `.reins/commands/NAME.md` (the project's) and `$REINS_HOME/commands/NAME.md` (the user's) whose
//! body becomes the prompt, `$ARGUMENTS` replaced by what follows `/NAME`.

use std::path::Path;

/// One entry of the `/` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: String,
    /// How the arguments are written in the help (`[NAME]`, `MODE`), empty for none.
    pub args: String,
    pub help: String,
    /// The prompt template of a custom command.
    pub body: Option<String>,
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
    ("diff", "", "review the session's changes; r reverts a hunk"),
    ("undo", "", "restore the files to before the last step"),
    ("compact", "", "summarise the conversation now"),
    (
        "memory",
        "[add TEXT]",
        "show the memory files, or add a fact to the project's",
    ),
    ("clear", "", "start a new session"),
    ("resume", "[ID]", "reopen an earlier session"),
    ("sessions", "", "this workspace's sessions"),
    ("approval", "MODE", "never | on-request | untrusted"),
    ("sandbox", "MODE", "read-only | workspace-write | full"),
    ("quit", "", "leave reins"),
];

/// The built-in commands, then custom ones (the project's before the user's; a name already
/// taken is skipped, so a custom file cannot shadow a built-in).
pub fn load(workspace: &Path, reins_home: Option<&Path>) -> Vec<CommandInfo> {
    let mut out: Vec<CommandInfo> = BUILTINS
        .iter()
        .map(|(name, args, help)| CommandInfo {
            name: name.to_string(),
            args: args.to_string(),
            help: help.to_string(),
            body: None,
        })
        .collect();
    let dirs = [
        Some(workspace.join(".reins").join("commands")),
        reins_home.map(|h| h.join("commands")),
    ];
    for dir in dirs.into_iter().flatten() {
        for custom in read_dir(&dir) {
            if !out.iter().any(|c| c.name == custom.name) {
                out.push(custom);
            }
        }
    }
    out
}

fn read_dir(dir: &Path) -> Vec<CommandInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<CommandInfo> = entries
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_stem()?.to_str()?.to_string();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if path.extension()? != "md" || !valid {
                return None;
            }
            let body = std::fs::read_to_string(&path).ok()?;
            let help = body
                .lines()
                .map(|l| l.trim().trim_start_matches('#').trim())
                .find(|l| !l.is_empty())
                .unwrap_or("custom command")
                .to_string();
            Some(CommandInfo {
                name,
                args: "[ARGS]".into(),
                help,
                body: Some(body),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
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
    fn custom_commands_come_from_both_directories() {
        let ws = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let p = ws.path().join(".reins/commands");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("review.md"), "# Review the diff\nReview $ARGUMENTS").unwrap();
        std::fs::write(p.join("help.md"), "shadow attempt").unwrap();
        let u = home.path().join("commands");
        std::fs::create_dir_all(&u).unwrap();
        std::fs::write(u.join("ship.md"), "Ship it").unwrap();
        std::fs::write(u.join("review.md"), "user copy").unwrap();
        let all = load(ws.path(), Some(home.path()));
        let custom: Vec<_> = all.iter().filter(|c| c.body.is_some()).collect();
        assert_eq!(custom.len(), 2);
        assert_eq!(custom[0].name, "review");
        assert_eq!(custom[0].help, "Review the diff");
        assert_eq!(custom[1].name, "ship");
        assert_eq!(all.iter().filter(|c| c.name == "help").count(), 1);
    }
}
