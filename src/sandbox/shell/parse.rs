//! Walks a tree-sitter-bash tree into the simple commands bash would run. Only a small set of
//! constructs counts as plain (lists, pipelines, subshells and groups of simple commands with
//! literal words and safe redirections); anything else marks the line unplain, and its commands
//! are still collected so that deny and ask rules see them.

use tree_sitter::{Node, Parser};

use super::words::{self, Found, Word};
use super::Analysis;

/// Separators and brackets that join plain commands.
const JOINERS: &[&str] = &[
    "&&", "||", ";", "|", "|&", "&", "(", ")", "{", "}", "!", "\n",
];
/// Files an output redirection may name without making the command unplain.
const SAFE_SINKS: &[&str] = &["/dev/null", "/dev/stdout", "/dev/stderr"];

/// One simple command as parsed, before program knowledge is applied.
pub(crate) struct Simple {
    pub(crate) assignments: Vec<(String, Word)>,
    pub(crate) words: Vec<Word>,
    /// Text fed to its standard input by a here-document or here-string, when known.
    pub(crate) stdin: Option<Word>,
}

/// Parses `line`; `None` only when the grammar cannot be loaded.
pub(crate) fn tree(line: &str) -> Option<tree_sitter::Tree> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .ok()?;
    parser.parse(line, None)
}

/// Collects the commands of `root` into `out`; `command` is called for each simple command.
pub(crate) struct Walker<'a, 's> {
    pub(crate) src: &'s str,
    pub(crate) out: &'a mut Analysis,
    pub(crate) on_command: &'a mut dyn FnMut(Simple, &mut Analysis),
}

impl<'t> Walker<'_, '_> {
    pub(crate) fn walk(&mut self, n: Node<'t>) {
        match n.kind() {
            "program" | "list" | "pipeline" | "subshell" | "negated_command" => self.joined(n),
            "compound_statement" if first_kind(n) == Some("{") => self.joined(n),
            "comment" => {}
            "command" => self.command(n, &[]),
            "redirected_statement" => self.redirected(n),
            "function_definition" => self.opaque(n, "a function definition"),
            "variable_assignment"
            | "variable_assignments"
            | "declaration_command"
            | "unset_command" => self.opaque(n, "a variable assignment"),
            "command_substitution" | "process_substitution" => {
                self.opaque(n, "a command substitution")
            }
            "arithmetic_expansion" | "compound_statement" => {
                self.opaque(n, "an arithmetic expansion")
            }
            "if_statement"
            | "while_statement"
            | "for_statement"
            | "c_style_for_statement"
            | "case_statement"
            | "test_command" => self.opaque(n, "a compound command"),
            _ => self.opaque(n, "shell syntax the classifier does not know"),
        }
    }

    /// Plain commands joined by operators; any other token makes the line unplain.
    fn joined(&mut self, n: Node<'t>) {
        let mut cursor = n.walk();
        for child in n.children(&mut cursor) {
            if child.is_named() {
                self.walk(child);
            } else if !JOINERS.contains(&child.kind()) {
                self.out.unplain(format!("the operator `{}`", child.kind()));
            }
        }
    }

    /// A construct no allow rule may match; the commands inside are still collected.
    fn opaque(&mut self, n: Node<'t>, why: &str) {
        self.out.unplain(why.to_string());
        self.walk_inside(n);
    }

    /// Every command anywhere beneath `n`.
    fn walk_inside(&mut self, n: Node<'t>) {
        let mut cursor = n.walk();
        for child in n.named_children(&mut cursor) {
            match child.kind() {
                "command"
                | "redirected_statement"
                | "list"
                | "pipeline"
                | "subshell"
                | "compound_statement"
                | "function_definition"
                | "command_substitution"
                | "process_substitution"
                | "if_statement"
                | "while_statement"
                | "for_statement"
                | "case_statement"
                | "negated_command" => self.walk(child),
                _ => self.walk_inside(child),
            }
        }
    }

    /// A statement with redirections: the body, then each redirection.
    fn redirected(&mut self, n: Node<'t>) {
        let mut cursor = n.walk();
        let children: Vec<Node<'t>> = n.named_children(&mut cursor).collect();
        let (body, redirects): (Vec<Node<'t>>, Vec<Node<'t>>) =
            children.into_iter().partition(|c| !is_redirect(c.kind()));
        match body.as_slice() {
            [one] if one.kind() == "command" => self.command(*one, &redirects),
            _ => {
                for b in body {
                    self.walk(b);
                }
                let mut none = Simple::empty();
                for r in redirects {
                    self.redirect(r, &mut none);
                }
                if !none.words.is_empty() {
                    self.out.unplain("words after a redirection".to_string());
                }
            }
        }
    }

    /// One simple command with the redirections written after it.
    fn command(&mut self, n: Node<'t>, trailing: &[Node<'t>]) {
        let mut simple = Simple::empty();
        let mut cursor = n.walk();
        for child in n.named_children(&mut cursor) {
            match child.kind() {
                "variable_assignment" => self.assignment(child, &mut simple),
                "command_name" => {
                    if let Some(inner) = child.named_child(0) {
                        let w = self.word_as(inner, words::read_program);
                        simple.words.insert(0, w);
                    }
                }
                k if words::is_word(k) => {
                    let w = self.word(child);
                    simple.words.push(w);
                }
                k if is_redirect(k) => self.redirect(child, &mut simple),
                _ => self.opaque(child, "shell syntax the classifier does not know"),
            }
        }
        let mut anonymous = n.walk();
        if n.children(&mut anonymous).any(|c| !c.is_named()) {
            self.out
                .unplain("a quoting form the classifier does not know".to_string());
        }
        for r in trailing {
            self.redirect(*r, &mut simple);
        }
        (self.on_command)(simple, self.out);
    }

    fn assignment(&mut self, n: Node<'t>, simple: &mut Simple) {
        let name = n
            .child_by_field_name("name")
            .map(|c| self.src[c.byte_range()].to_string())
            .unwrap_or_default();
        let value = match n.child_by_field_name("value") {
            Some(v) if words::is_word(v.kind()) => self.word(v),
            Some(v) => {
                self.opaque(v, "an array assignment");
                Word {
                    text: String::new(),
                    exact: false,
                }
            }
            None => Word::exact(""),
        };
        simple.assignments.push((name, value));
    }

    /// Reads a word, walking what it runs and noting why it is not plain.
    fn word(&mut self, n: Node<'t>) -> Word {
        self.word_as(n, words::read)
    }

    fn word_as(&mut self, n: Node<'t>, read: fn(Node<'t>, &str, &mut Found<'t>) -> Word) -> Word {
        let mut found = Found::default();
        let w = read(n, self.src, &mut found);
        if let Some(why) = found.unplain {
            self.out.unplain(why.to_string());
        }
        for nested in found.nested {
            self.walk_inside(nested);
        }
        w
    }

    /// A redirection: output into a file that is not a safe sink is unplain; words bash reads as
    /// arguments (tree-sitter puts `rm >/dev/null -rf /`'s `-rf /` inside the redirection)
    /// join the command.
    fn redirect(&mut self, n: Node<'t>, simple: &mut Simple) {
        let mut cursor = n.walk();
        let children: Vec<Node<'t>> = n.children(&mut cursor).collect();
        let op = children
            .iter()
            .find(|c| !c.is_named())
            .map(|c| c.kind())
            .unwrap_or("");
        let mut targets = children
            .iter()
            .filter(|c| c.is_named() && words::is_word(c.kind()));
        match n.kind() {
            "file_redirect" => {
                if let Some(t) = targets.next() {
                    let target = self.word(*t);
                    self.check_target(op, &target);
                }
            }
            "herestring_redirect" => {
                if let Some(t) = targets.next() {
                    simple.stdin = Some(self.word(*t));
                }
            }
            _ => simple.stdin = Some(self.heredoc(n)),
        }
        for extra in targets {
            let w = self.word(*extra);
            simple.words.push(w);
        }
    }

    fn check_target(&mut self, op: &str, target: &Word) {
        let writes = matches!(op, ">" | ">>" | "&>" | "&>>" | ">|" | ">&" | "<>");
        let dup =
            matches!(op, ">&" | "<&") && (target.text == "-" || target.text.parse::<u32>().is_ok());
        if writes && !dup && !(target.exact && SAFE_SINKS.contains(&target.text.as_str())) {
            self.out
                .unplain(format!("an output redirection into `{}`", target.text));
        }
    }

    /// A here-document's text; expansions in its body make it unknown (and are walked).
    fn heredoc(&mut self, n: Node<'t>) -> Word {
        let Some(body) = named_of_kind(n, "heredoc_body") else {
            return Word::exact("");
        };
        if !self.heredoc_agrees(n, body) {
            self.out
                .hide("a here-document whose end bash may read differently");
        }
        let mut cursor = body.walk();
        let mut exact = true;
        for part in body.named_children(&mut cursor) {
            if part.kind() != "heredoc_content" {
                exact = false;
                self.out
                    .unplain("an expansion in a here-document".to_string());
                self.walk_inside(part);
            }
        }
        Word {
            text: self.src[body.byte_range()].to_string(),
            exact,
        }
    }
}

impl Walker<'_, '_> {
    /// Whether bash would end the here-document where tree-sitter did: no line of the body
    /// (tabs stripped for `<<-`) may be the delimiter itself.
    fn heredoc_agrees(&self, n: Node, body: Node) -> bool {
        let mut cursor = n.walk();
        let strip_tabs = n.children(&mut cursor).any(|c| c.kind() == "<<-");
        let Some(start) = named_of_kind(n, "heredoc_start") else {
            return false;
        };
        let delimiter: String = self.src[start.byte_range()]
            .chars()
            .filter(|c| !matches!(c, '\'' | '"' | '\\'))
            .collect();
        !self.src[body.byte_range()].lines().any(|line| {
            let line = if strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            line == delimiter
        })
    }
}

impl Simple {
    fn empty() -> Simple {
        Simple {
            assignments: Vec::new(),
            words: Vec::new(),
            stdin: None,
        }
    }
}

fn is_redirect(kind: &str) -> bool {
    matches!(
        kind,
        "file_redirect" | "heredoc_redirect" | "herestring_redirect"
    )
}

fn first_kind<'t>(n: Node<'t>) -> Option<&'static str> {
    n.child(0).map(|c| c.kind())
}

fn named_of_kind<'t>(n: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = n.walk();
    let found = n.named_children(&mut cursor).find(|c| c.kind() == kind);
    found
}
