//! The permission gate every tool call passes before it runs: the `[permissions]` rules first
//! (deny beats ask beats allow), then the approval policy decides what happens to calls no rule
//! names. The sandbox still confines whatever is allowed.

use super::rules::{Decision, Rules};
use super::shell::{self, pattern::exact_rule};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

pub use crate::types::Approval;
use crate::types::{Effects, SharedApproval, Subject};

/// The user's answer to an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Answer {
    Once,
    /// Allow this call and the same one for the rest of the session.
    Always,
    /// Allow this call and every later one the allow rule `rule` matches (`shell(cargo test*)`)
    /// for the rest of the session; the front end saved the rule for later sessions.
    Rule {
        rule: String,
    },
    Deny {
        note: Option<String>,
    },
}

/// One question for the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub tool: String,
    pub arguments: serde_json::Value,
    pub reason: String,
    /// What an `always` answer allows for the rest of the session, in words ("the command
    /// `cargo test`", "`web_fetch` for docs.rs"), so the user does not approve a whole host
    /// believing it is one call. Empty: this exact call.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub always: String,
}

/// What [`Gate::allow_for_session`] will allow after an `always` answer for `tool` on
/// `subjects`: the same subjects for the same tool, or every call of a tool that names none.
pub fn always_scope(tool: &str, subjects: &[Subject]) -> String {
    if subjects.is_empty() {
        return format!("every `{tool}` call");
    }
    let named: Vec<String> = subjects
        .iter()
        .map(|s| match s {
            Subject::Command(c) => format!("the command `{c}`"),
            Subject::Path(p) => p.clone(),
            Subject::Name(n) => n.clone(),
        })
        .collect();
    match subjects.first() {
        Some(Subject::Command(_)) => named.join(", "),
        _ => format!("`{tool}` for {}", named.join(", ")),
    }
}

/// A front end that can answer approval requests.
pub trait Approver: Send + Sync {
    fn ask<'a>(&'a self, request: &'a Request) -> crate::types::BoxFuture<'a, Answer>;
}

/// The headless answer: never ask, refuse what would need asking. The request's reason already
/// says what to do instead.
pub struct NeverAsk;

impl Approver for NeverAsk {
    fn ask<'a>(&'a self, request: &'a Request) -> crate::types::BoxFuture<'a, Answer> {
        let note = format!(
            "{}. reins exec never asks, so the call was refused",
            request.reason
        );
        Box::pin(async move { Answer::Deny { note: Some(note) } })
    }
}

/// Why a call that no rule names needs approval, and the rule that would allow exactly it: never
/// a prefix glob, which would allow more than the user saw.
fn unlisted(tool: &str, subject: Option<&Subject>, effects: Effects) -> String {
    let suggest = |rules: &str| {
        format!("`{tool}` is not covered by an allow rule; to run it without asking, the user can add {rules} to [permissions].allow")
    };
    match subject {
        Some(Subject::Command(line)) => {
            let analysis = shell::analyze(line);
            if let Some(why) = analysis.why_unplain() {
                return format!(
                    "the command line contains {why}, which no allow rule can match; run plain commands instead, or have the user approve it"
                );
            }
            let rules: Vec<String> = analysis
                .commands
                .iter()
                .map(|c| format!("`{}`", exact_rule(c)))
                .collect();
            suggest(&rules.join(", "))
        }
        _ if effects.external => suggest(&format!("`mcp({tool})`")),
        Some(s) => suggest(&format!("`{tool}({})`", s.text())),
        None => suggest(&format!("`{tool}`")),
    }
}

/// The start of a command line that an "always allow commands starting with …" rule would name:
/// the program and, when the next word looks like a subcommand (not an option, a path or an
/// assignment), that word too: `cargo test`, `npm run`, `ls`. `None` when no allow rule can match
/// the line at all: it is not plain, or it runs more than one command.
pub fn command_prefix(line: &str) -> Option<String> {
    let analysis = shell::analyze(line);
    let [command] = analysis.plain_commands()? else {
        return None;
    };
    let mut words = command.words.iter();
    let program = words.next()?;
    let mut prefix = vec![program.clone()];
    if let Some(next) = words.next() {
        let sub = &next.text;
        let subcommand = next.exact
            && !sub.is_empty()
            && sub
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':')
            && !sub.starts_with('-');
        if subcommand {
            prefix.push(next.clone());
        }
    }
    Some(shell::Command { words: prefix }.display())
}

/// Why a typed prefix gives no allow rule for the command the user is looking at; shown under
/// the prefix in the approval dialog.
#[derive(Debug, thiserror::Error)]
pub enum PrefixRuleError {
    #[error("type the start of the command to allow")]
    Empty,
    #[error(transparent)]
    Invalid(#[from] super::SandboxError),
    #[error("`{rule}` would not allow this command")]
    DoesNotMatch { rule: String },
}

/// The allow rule for the commands starting with `prefix`, checked to parse and to allow `line`
/// (the command the user is looking at), or why not.
pub fn prefix_rule(prefix: &str, line: &str) -> Result<String, PrefixRuleError> {
    let prefix = prefix.trim();
    if prefix.is_empty() {
        return Err(PrefixRuleError::Empty);
    }
    let rule = format!("shell({prefix}*)");
    let rules = Rules::parse(std::slice::from_ref(&rule), &[], &[])?;
    match rules.evaluate("shell", Some(&Subject::Command(line.to_string()))) {
        Some(Decision::Allow) => Ok(rule),
        _ => Err(PrefixRuleError::DoesNotMatch { rule }),
    }
}

/// Decides allow / ask / deny for one call.
pub struct Gate {
    rules: Rules,
    approval: SharedApproval,
    /// `always` answers add allow rules for the rest of the session.
    session_allow: Mutex<Vec<String>>,
    /// Allow rules the user approved during the session (see [`Answer::Rule`]).
    session_rules: Mutex<Vec<Rules>>,
    /// The session's network is allowed (`--network`, `network = true`): calls that talk to the
    /// network run without asking. Off by default, so a gate built without it asks.
    network: bool,
}

impl Gate {
    pub fn new(rules: Rules, approval: Approval) -> Self {
        Gate::sharing(rules, SharedApproval::new(approval))
    }

    /// A gate whose policy is `approval`, shared with the gates of the session's subagents.
    pub fn sharing(rules: Rules, approval: SharedApproval) -> Self {
        Gate {
            rules,
            approval,
            session_allow: Mutex::new(Vec::new()),
            session_rules: Mutex::new(Vec::new()),
            network: false,
        }
    }

    /// The gate for a session whose network is `allowed` (the sandbox policy's setting).
    pub fn with_network(mut self, allowed: bool) -> Self {
        self.network = allowed;
        self
    }

    /// Allows everything no rule denies (tests and `tool run`).
    pub fn permissive() -> Self {
        Gate::new(Rules::default(), Approval::Never)
    }

    pub fn approval(&self) -> Approval {
        self.approval.get()
    }

    /// Changes the policy mid-session (the TUI's `/approval MODE`), for this session's subagents
    /// too; rules and `always` answers stay.
    pub fn set_approval(&mut self, approval: Approval) {
        self.approval.set(approval);
    }

    /// The strictest decision over every subject of a call (a patch names several files).
    pub fn decide_all(&self, tool: &str, subjects: &[Subject], effects: Effects) -> Decision {
        if subjects.is_empty() {
            return self.decide(tool, None, effects);
        }
        let mut worst = Decision::Allow;
        for s in subjects {
            match self.decide(tool, Some(s), effects) {
                d @ Decision::Deny(_) => return d,
                d @ Decision::Ask(_) => worst = d,
                Decision::Allow => {}
            }
        }
        worst
    }

    /// The decision for `tool` on `subject` (command line, workspace-relative path, or an MCP
    /// tool's own name). `on-request` asks before the commands the model writes (shell lines, MCP
    /// calls); `untrusted` also before every write and every tool that runs commands, the
    /// configured checks included.
    pub fn decide(&self, tool: &str, subject: Option<&Subject>, effects: Effects) -> Decision {
        match self.rules.evaluate(tool, subject) {
            Some(Decision::Allow) => return Decision::Allow,
            Some(d) => return d,
            None => {}
        }
        if self.session_allowed(tool, subject) || self.session_rule_allows(tool, subject) {
            return Decision::Allow;
        }
        if effects.writes_outside {
            return Decision::Ask(format!(
                "`{tool}` writes outside the workspace this time; {}",
                unlisted(tool, subject, effects)
            ));
        }
        if effects.network && !self.network {
            let what = subject.map_or("the network".to_string(), |s| format!("`{}`", s.text()));
            return Decision::Ask(format!(
                "`{tool}` talks to {what} over the network, which this session does not allow (--network or `network = true` allow it); answering `always` allows {what} for the rest of the session; {}",
                unlisted(tool, subject, effects)
            ));
        }
        let directed = effects.model_directed();
        let runs = effects.runs != crate::types::Runs::Nothing;
        match self.approval.get() {
            Approval::Never => Decision::Allow,
            Approval::OnRequest if directed => Decision::Ask(unlisted(tool, subject, effects)),
            Approval::Untrusted if directed || effects.edits || runs => Decision::Ask(format!(
                "approval = untrusted asks before every write and command; {}",
                unlisted(tool, subject, effects)
            )),
            _ => Decision::Allow,
        }
    }

    /// Records an `always` answer: the same tool and subject run without asking from now on.
    pub fn allow_for_session(&self, tool: &str, subject: Option<&Subject>) {
        if let Ok(mut list) = self.session_allow.lock() {
            list.push(session_key(tool, subject));
        }
    }

    /// Adds an allow rule for the rest of the session. It comes after the configured rules, so
    /// their deny and ask rules still win.
    pub fn allow_rule_for_session(&self, rule: &str) -> Result<(), super::SandboxError> {
        let parsed = Rules::parse(std::slice::from_ref(&rule.to_string()), &[], &[])?;
        if let Ok(mut list) = self.session_rules.lock() {
            list.push(parsed);
        }
        Ok(())
    }

    fn session_rule_allows(&self, tool: &str, subject: Option<&Subject>) -> bool {
        self.session_rules.lock().is_ok_and(|rules| {
            rules
                .iter()
                .any(|r| r.evaluate(tool, subject) == Some(Decision::Allow))
        })
    }

    fn session_allowed(&self, tool: &str, subject: Option<&Subject>) -> bool {
        let key = session_key(tool, subject);
        self.session_allow
            .lock()
            .map(|l| l.contains(&key))
            .unwrap_or(false)
    }
}

fn session_key(tool: &str, subject: Option<&Subject>) -> String {
    format!("{tool}\u{0}{}", subject.map(Subject::text).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_names_what_the_session_will_allow() {
        let cmd = [Subject::Command("cargo test".into())];
        assert_eq!(always_scope("shell", &cmd), "the command `cargo test`");
        let paths = [Subject::Path("a.rs".into()), Subject::Path("b.rs".into())];
        assert_eq!(
            always_scope("apply_patch", &paths),
            "`apply_patch` for a.rs, b.rs"
        );
        assert_eq!(always_scope("task", &[]), "every `task` call");
    }

    use crate::types::{Runs, ToolKind};

    const WRITES: Effects = Effects {
        kind: ToolKind::Execute,
        edits: true,
        runs: Runs::ModelWritten,
        external: false,
        writes_outside: false,
        network: false,
    };

    fn cmd(line: &str) -> Option<Subject> {
        Some(Subject::Command(line.into()))
    }

    fn path(p: &str) -> Option<Subject> {
        Some(Subject::Path(p.into()))
    }

    fn gate(approval: Approval) -> Gate {
        let rules = Rules::parse(
            &["shell(cargo test*)".into()],
            &["shell(git push*)".into()],
            &["shell(rm -rf /*)".into()],
        )
        .unwrap();
        Gate::new(rules, approval)
    }

    #[test]
    fn a_prefix_is_the_program_and_its_subcommand() {
        assert_eq!(
            command_prefix("cargo test --lib foo").as_deref(),
            Some("cargo test")
        );
        assert_eq!(command_prefix("ls -la src").as_deref(), Some("ls"));
        assert_eq!(command_prefix("./run.sh x").as_deref(), Some("./run.sh x"));
        assert_eq!(
            command_prefix("python3 src/a.py").as_deref(),
            Some("python3")
        );
        assert_eq!(command_prefix("make && make install"), None);
        assert_eq!(command_prefix("echo $(whoami)"), None);
    }

    #[test]
    fn a_prefix_rule_must_allow_the_command_asked_about() {
        let line = "cargo test --lib foo";
        assert_eq!(
            prefix_rule("cargo test", line).ok().as_deref(),
            Some("shell(cargo test*)")
        );
        assert!(matches!(
            prefix_rule("cargo build", line),
            Err(PrefixRuleError::DoesNotMatch { rule }) if rule == "shell(cargo build*)"
        ));
        assert!(matches!(
            prefix_rule("  ", line),
            Err(PrefixRuleError::Empty)
        ));
    }

    #[test]
    fn a_session_rule_allows_later_calls_but_not_what_a_configured_rule_asks() {
        let g = gate(Approval::OnRequest);
        let later = cmd("cargo build --release");
        assert!(matches!(
            g.decide("shell", later.as_ref(), WRITES),
            Decision::Ask(_)
        ));
        g.allow_rule_for_session("shell(cargo build*)").unwrap();
        assert_eq!(g.decide("shell", later.as_ref(), WRITES), Decision::Allow);
        g.allow_rule_for_session("shell(git*)").unwrap();
        assert!(matches!(
            g.decide("shell", cmd("git push origin").as_ref(), WRITES),
            Decision::Ask(_)
        ));
        assert!(g.allow_rule_for_session("nosuch(x)").is_err());
    }

    #[test]
    fn rules_come_first_in_every_mode() {
        for a in [Approval::Never, Approval::OnRequest, Approval::Untrusted] {
            assert_eq!(
                gate(a).decide("shell", cmd("cargo test -q").as_ref(), WRITES),
                Decision::Allow
            );
            assert!(matches!(
                gate(a).decide("shell", cmd("git push origin").as_ref(), WRITES),
                Decision::Ask(_)
            ));
            assert!(matches!(
                gate(a).decide("shell", cmd("rm -rf /").as_ref(), WRITES),
                Decision::Deny(_)
            ));
        }
    }

    #[test]
    fn on_request_asks_for_unlisted_commands_only() {
        let g = gate(Approval::OnRequest);
        assert!(matches!(
            g.decide("shell", cmd("make").as_ref(), WRITES),
            Decision::Ask(_)
        ));
        assert_eq!(
            g.decide("write_file", path("a.txt").as_ref(), Effects::edit()),
            Decision::Allow
        );
        g.allow_for_session("shell", cmd("make").as_ref());
        assert_eq!(
            g.decide("shell", cmd("make").as_ref(), WRITES),
            Decision::Allow
        );
    }

    #[test]
    fn untrusted_asks_for_writes() {
        assert!(matches!(
            gate(Approval::Untrusted).decide("edit_file", path("a.rs").as_ref(), Effects::edit()),
            Decision::Ask(_)
        ));
        assert_eq!(
            gate(Approval::Untrusted).decide(
                "read_file",
                path("a.rs").as_ref(),
                Effects::of(ToolKind::Read)
            ),
            Decision::Allow
        );
    }

    #[test]
    fn untrusted_asks_before_tools_that_run_commands() {
        let checks = Effects {
            runs: Runs::Configured,
            ..Effects::of(ToolKind::Execute)
        };
        let d = gate(Approval::Untrusted).decide("run_checks", None, checks);
        assert!(
            matches!(&d, Decision::Ask(r) if r.contains("`run_checks`")),
            "{d:?}"
        );
        assert_eq!(
            gate(Approval::OnRequest).decide("run_checks", None, checks),
            Decision::Allow
        );
    }

    #[test]
    fn unlisted_commands_suggest_the_exact_command_never_a_prefix() {
        let g = gate(Approval::OnRequest);
        let Decision::Ask(reason) = g.decide(
            "shell",
            cmd("make -j4 'a b' && ls src/*.rs").as_ref(),
            WRITES,
        ) else {
            panic!("expected a question");
        };
        assert!(
            reason.contains("`shell(make -j4 'a b')`") && reason.contains("`shell(ls 'src/*.rs')`"),
            "{reason}"
        );
        let suggested = Rules::parse(
            &[
                "shell(make -j4 'a b')".into(),
                "shell(ls 'src/*.rs')".into(),
            ],
            &[],
            &[],
        )
        .unwrap();
        let allowed = Gate::new(suggested, Approval::OnRequest);
        assert_eq!(
            allowed.decide(
                "shell",
                cmd("make -j4 'a b' && ls src/*.rs").as_ref(),
                WRITES
            ),
            Decision::Allow
        );
        assert!(matches!(
            allowed.decide("shell", cmd("make -j4 'a b' x").as_ref(), WRITES),
            Decision::Ask(_)
        ));
        assert!(matches!(
            allowed.decide("shell", cmd("ls src/a.rs").as_ref(), WRITES),
            Decision::Ask(_)
        ));
    }

    #[test]
    fn writing_outside_the_workspace_is_asked_even_when_approval_is_never() {
        let outside = Effects {
            writes_outside: true,
            ..Effects::edit()
        };
        let d = gate(Approval::Never).decide("remember", None, outside);
        assert!(
            matches!(&d, Decision::Ask(r) if r.contains("outside the workspace")),
            "{d:?}"
        );
        let g = gate(Approval::Never);
        g.allow_for_session("remember", None);
        assert_eq!(g.decide("remember", None, outside), Decision::Allow);
    }

    #[test]
    fn network_calls_are_asked_per_host_unless_the_network_is_allowed() {
        let fetch = Effects {
            network: true,
            ..Effects::of(ToolKind::Fetch)
        };
        let host = Subject::Name("docs.rs".into());
        let other = Subject::Name("evil.example".into());
        for a in [Approval::Never, Approval::OnRequest, Approval::Untrusted] {
            let d = gate(a).decide("web_fetch", Some(&host), fetch);
            assert!(
                matches!(&d, Decision::Ask(r) if r.contains("`docs.rs`") && r.contains("web_fetch(docs.rs)")),
                "{d:?}"
            );
            assert_eq!(
                gate(a)
                    .with_network(true)
                    .decide("web_fetch", Some(&host), fetch),
                Decision::Allow
            );
        }
        let g = gate(Approval::Never);
        g.allow_for_session("web_fetch", Some(&host));
        assert_eq!(g.decide("web_fetch", Some(&host), fetch), Decision::Allow);
        assert!(matches!(
            g.decide("web_fetch", Some(&other), fetch),
            Decision::Ask(_)
        ));
        let ruled = Gate::new(
            Rules::parse(
                &["web_fetch(*.rs)".into()],
                &[],
                &["web_fetch(evil.*)".into()],
            )
            .unwrap(),
            Approval::Never,
        );
        assert_eq!(
            ruled.decide("web_fetch", Some(&host), fetch),
            Decision::Allow
        );
        assert!(matches!(
            ruled
                .with_network(true)
                .decide("web_fetch", Some(&other), fetch),
            Decision::Deny(_)
        ));
    }

    #[test]
    fn the_gate_acts_on_declared_effects_not_on_names() {
        let g = gate(Approval::OnRequest);
        let server = Effects {
            external: true,
            ..Effects::of(ToolKind::Other)
        };
        let d = g.decide("deploy", Some(&Subject::Name("ops__deploy".into())), server);
        assert!(
            matches!(&d, Decision::Ask(r) if r.contains("mcp(deploy)")),
            "{d:?}"
        );
        let reader = Effects::of(ToolKind::Read);
        assert_eq!(g.decide("shell", None, reader), Decision::Allow);
    }
}
