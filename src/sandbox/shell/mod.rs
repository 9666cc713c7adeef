//! What a shell command line runs, as bash reads it: the line is parsed with tree-sitter-bash and
//! reduced to simple commands (program and arguments, quotes removed). Permission rules match
//! those words, never the raw text, so quoting, comments and line continuations mean what they
//! mean to bash.
//!
//! The classifier says three things about a line:
//! - its commands: every simple command bash may run, including those inside substitutions,
//!   functions and loops, and those run through wrappers (`sudo rm`), `bash -c '...'`, `eval`
//!   and `find -exec`, so that deny and ask rules see them;
//! - whether it is *plain*: only lists and pipelines of simple commands with literal words, safe
//!   redirections and programs without options that run other programs. Only a plain line can
//!   match an allow rule; see [`programs`] for what is not plain;
//! - whether something it runs is *hidden*: a program name computed at run time, `eval` of a
//!   variable, a shell reading commands from a pipe. Deny and ask rules cannot be checked then.

mod git;
mod parse;
pub(crate) mod pattern;
mod programs;
mod words;

pub(crate) use words::Word;

/// The most nested `bash -c` / `eval` / wrapper levels followed.
const MAX_DEPTH: usize = 4;
/// The most commands collected from one line (wrapper suffixes multiply them).
const MAX_COMMANDS: usize = 2048;

/// One simple command bash may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The program, then its arguments.
    pub(crate) words: Vec<Word>,
}

impl Command {
    /// The program's file name: `/bin/rm` and `rm` are the same program to a deny rule.
    pub(crate) fn program(&self) -> &str {
        let first = self.words.first().map(|w| w.text.as_str()).unwrap_or("");
        first.rsplit('/').next().unwrap_or(first)
    }

    /// The words joined by spaces, quoted where needed: how a rule for exactly this command is
    /// written.
    pub(crate) fn display(&self) -> String {
        let quoted: Vec<String> = self.words.iter().map(|w| quote(&w.text)).collect();
        quoted.join(" ")
    }
}

/// What a line runs.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    pub(crate) commands: Vec<Command>,
    unplain: Option<String>,
    hidden: Option<String>,
}

impl Analysis {
    /// The commands when the line is plain, for allow rules.
    pub(crate) fn plain_commands(&self) -> Option<&[Command]> {
        self.unplain.is_none().then_some(self.commands.as_slice())
    }

    /// Why the line is not plain.
    pub(crate) fn why_unplain(&self) -> Option<&str> {
        self.unplain.as_deref()
    }

    /// Why some command of the line cannot be seen by deny and ask rules.
    pub(crate) fn why_hidden(&self) -> Option<&str> {
        self.hidden.as_deref()
    }

    pub(crate) fn unplain(&mut self, why: String) {
        self.unplain.get_or_insert(why);
    }

    pub(crate) fn hide(&mut self, why: &str) {
        self.unplain.get_or_insert_with(|| why.to_string());
        self.hidden.get_or_insert_with(|| why.to_string());
    }

    /// Adds a command unless the line already holds too many.
    fn push(&mut self, command: Command) -> bool {
        if self.commands.len() >= MAX_COMMANDS {
            self.hide("a line too complex to classify");
            return false;
        }
        self.commands.push(command);
        true
    }
}

/// Classifies `line`.
pub(crate) fn analyze(line: &str) -> Analysis {
    let mut out = Analysis::default();
    analyze_into(line, 0, &mut out);
    out
}

/// Adds the commands of `line`, nested `depth` levels deep in other commands, to `out`.
fn analyze_into(line: &str, depth: usize, out: &mut Analysis) {
    if depth > MAX_DEPTH {
        out.hide("scripts nested too deeply");
        return;
    }
    let Some(tree) = parse::tree(line) else {
        out.hide("the shell parser is unavailable");
        return;
    };
    let root = tree.root_node();
    if root.has_error() {
        out.hide("bash syntax the classifier cannot parse");
    }
    let mut on_command =
        |simple: parse::Simple, out: &mut Analysis| programs::classify(simple, depth, out);
    parse::Walker {
        src: line,
        out,
        on_command: &mut on_command,
    }
    .walk(root);
}

/// `text` as one shell word: bare when it holds no special character, else single-quoted.
pub(crate) fn quote(text: &str) -> String {
    let bare = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^~".contains(c));
    if bare {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests;
