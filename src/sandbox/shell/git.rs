//! What makes a `git` command not plain: options before the subcommand other than
//! [`QUIET_GLOBALS`] (`-C`, `-c`, `--git-dir`... change where or how git runs), the subcommands
//! that run tools or change what later git commands run ([`TOOL_COMMANDS`]), [`RISKY`] options
//! that name a program (`--extcmd`, `--upload-pack`, `--exec`, `--template`...), and `--output`
//! (it writes a file, like a redirection does).

use super::words::has_option;
use super::{Analysis, Word};

/// `git` options allowed before the subcommand in a plain line.
const QUIET_GLOBALS: &[&str] = &[
    "--no-pager",
    "-P",
    "--no-optional-locks",
    "--literal-pathspecs",
    "--glob-pathspecs",
    "--noglob-pathspecs",
    "--icase-pathspecs",
    "--no-replace-objects",
    "--version",
    "--help",
    "-h",
];
/// `git` subcommands that run external tools or change what later git commands run.
const TOOL_COMMANDS: &[&str] = &[
    "difftool",
    "mergetool",
    "bisect",
    "submodule",
    "filter-branch",
    "config",
    "instaweb",
    "daemon",
    "credential",
    "web--browse",
];
/// `git` options (after the subcommand) that name a program to run, or a template whose hooks
/// run: matched as the option or `option=value`.
const RISKY: &[&str] = &[
    "--extcmd",
    "--upload-pack",
    "--receive-pack",
    "--exec",
    "--template",
    "--open-files-in-pager",
    "--config",
    "--tool",
];
/// Short `git` options that run programs, by subcommand.
const RISKY_SHORT: &[(&str, &str)] = &[
    ("grep", "-O"),
    ("rebase", "-x"),
    ("clone", "-c"),
    ("clone", "-u"),
    ("fetch", "-u"),
    ("pull", "-u"),
    ("ls-remote", "-u"),
    ("archive", "--remote"),
];
/// `git`: global options before the subcommand, tool-running subcommands and risky options.
pub(super) fn classify(args: &[Word], out: &mut Analysis) {
    let sub = args.iter().position(|w| !w.text.starts_with('-'));
    if let Some(global) = args[..sub.unwrap_or(args.len())]
        .iter()
        .find(|w| !QUIET_GLOBALS.contains(&w.text.as_str()))
    {
        out.unplain(format!(
            "`git {}` before the subcommand changes where or how git runs",
            global.text
        ));
    }
    let Some(sub) = sub.map(|i| args[i].text.as_str()) else {
        return;
    };
    if TOOL_COMMANDS.contains(&sub) {
        out.unplain(format!("`git {sub}` can run other programs"));
    }
    if let Some(w) = args.iter().find(|w| has_option(&w.text, RISKY)) {
        out.unplain(format!("`git {}` can run another program", w.text));
    }
    if let Some(w) = args.iter().find(|w| has_option(&w.text, &["--output"])) {
        out.unplain(format!("`git {}` writes a file", w.text));
    }
    let short = RISKY_SHORT
        .iter()
        .filter(|(s, _)| *s == sub)
        .map(|(_, o)| *o)
        .collect::<Vec<_>>();
    if let Some(w) = args.iter().find(|w| has_option(&w.text, &short)) {
        out.unplain(format!("`git {sub} {}` can run another program", w.text));
    }
}
