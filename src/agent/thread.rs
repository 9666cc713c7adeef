//! The thread of a session: what a long session must not forget when its history is compacted.
//! A summary is the model's prose and loses things (users of other agents report instructions
//! gone after a compaction and a long climb back to where they were), so the facts later steps
//! depend on are kept here as data, outside the summary: the goal, every later thing the user
//! said (constraints and corrections), the decisions each summary named, the files changed and
//! those the current turn works on, and the plan when there is one. The state is re-sent verbatim
//! after every compaction and saved to the transcript, so a resumed session keeps it too.

use serde::{Deserialize, Serialize};

/// The preamble of the state item, model-facing.
const PREAMBLE: &str = include_str!("../../prompts/session_state.md");
/// How the state item begins; compaction recognises (and replaces) an older one by it.
pub const STATE_OPEN: &str = "<session state";

/// One user message is kept up to this many bytes; a pasted log must not crowd out the rest.
const MESSAGE_BYTES: usize = 2000;
/// User messages kept besides the goal; older ones are counted, not kept.
const SAID_KEPT: usize = 30;
const DECISIONS_KEPT: usize = 30;
const CHANGED_KEPT: usize = 60;
const IN_FLIGHT_KEPT: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    /// The user's first request in the session.
    #[serde(default)]
    pub goal: String,
    /// What the user said after the goal, oldest first.
    #[serde(default)]
    pub said: Vec<String>,
    /// User messages that fell out of `said` (the transcript still has them).
    #[serde(default)]
    pub said_dropped: usize,
    /// Decisions the compaction summaries named, oldest first.
    #[serde(default)]
    pub decisions: Vec<String>,
    /// Workspace paths changed in the session, most recent last.
    #[serde(default)]
    pub changed: Vec<String>,
    #[serde(default)]
    pub changed_dropped: usize,
    /// Paths the current user turn read or changed.
    #[serde(default)]
    pub in_flight: Vec<String>,
    /// The current plan as text, when the session keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

impl Thread {
    /// A user turn begins: the first message is the goal, later ones are kept as said. The files
    /// in flight belong to the previous turn and are cleared.
    pub fn user_said(&mut self, text: &str) {
        let text = clip(text.trim(), MESSAGE_BYTES);
        if self.goal.is_empty() {
            self.goal = text;
        } else {
            self.said.push(text);
            if self.said.len() > SAID_KEPT {
                self.said.remove(0);
                self.said_dropped += 1;
            }
        }
        self.in_flight.clear();
    }

    /// Paths a tool call named (`worked_on`) and changed. Returns whether anything was new.
    pub fn files(&mut self, worked_on: &[String], changed: &[String]) -> bool {
        let mut new = false;
        for p in changed {
            new |= push_recent(
                &mut self.changed,
                p,
                CHANGED_KEPT,
                &mut self.changed_dropped,
            );
        }
        let mut ignored = 0;
        for p in worked_on.iter().chain(changed) {
            new |= push_recent(&mut self.in_flight, p, IN_FLIGHT_KEPT, &mut ignored);
        }
        new
    }

    /// Takes the decisions a summary listed under its `## Decisions` heading. Returns how many
    /// were new.
    pub fn take_decisions(&mut self, summary: &str) -> usize {
        let mut n = 0;
        for d in decisions_in(summary) {
            if !self.decisions.contains(&d) {
                self.decisions.push(d);
                n += 1;
            }
        }
        if self.decisions.len() > DECISIONS_KEPT {
            let extra = self.decisions.len() - DECISIONS_KEPT;
            self.decisions.drain(..extra);
        }
        n
    }

    pub fn is_empty(&self) -> bool {
        self.goal.is_empty() && self.said.is_empty() && self.changed.is_empty()
    }

    /// What the state holds, in a few words, for the `compacted` event.
    pub fn describe(&self) -> String {
        let mut parts = vec!["the goal".to_string()];
        let said = self.said.len();
        if said > 0 {
            parts.push(format!("{said} later user message{}", plural(said)));
        }
        let d = self.decisions.len();
        if d > 0 {
            parts.push(format!("{d} decision{}", plural(d)));
        }
        let c = self.changed.len();
        if c > 0 {
            parts.push(format!("{c} changed file{}", plural(c)));
        }
        if self.plan.is_some() {
            parts.push("the plan".into());
        }
        format!("session state ({})", parts.join(", "))
    }

    /// The state as the user item re-sent after a compaction.
    pub fn render(&self) -> String {
        let mut s = format!("{STATE_OPEN}>\n{}\n", PREAMBLE.trim());
        s.push_str("\n## Goal (the user's first request)\n");
        s.push_str(&self.goal);
        s.push('\n');
        if !self.said.is_empty() || self.said_dropped > 0 {
            s.push_str("\n## What the user said since, oldest first (constraints and corrections still hold unless the user lifted them)\n");
            if self.said_dropped > 0 {
                s.push_str(&format!(
                    "({} earlier message{} not shown; the transcript has them)\n",
                    self.said_dropped,
                    plural(self.said_dropped)
                ));
            }
            for m in &self.said {
                s.push_str(&format!("- {}\n", m.replace('\n', "\n  ")));
            }
        }
        list(&mut s, "Decisions taken", &self.decisions);
        if let Some(plan) = &self.plan {
            s.push_str("\n## Plan\n");
            s.push_str(plan.trim_end());
            s.push('\n');
        }
        if !self.changed.is_empty() {
            s.push_str("\n## Files changed in this session\n");
            if self.changed_dropped > 0 {
                s.push_str(&format!("({} more, older)\n", self.changed_dropped));
            }
            s.push_str(&self.changed.join(", "));
            s.push('\n');
        }
        if !self.in_flight.is_empty() {
            s.push_str("\n## Files the current turn is working on\n");
            s.push_str(&self.in_flight.join(", "));
            s.push('\n');
        }
        s.push_str("</session state>");
        s
    }
}

fn list(s: &mut String, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    s.push_str(&format!("\n## {heading}\n"));
    for i in items {
        s.push_str(&format!("- {i}\n"));
    }
}

/// Moves `p` to the end of `list` (most recent last), dropping the oldest past `cap`.
fn push_recent(list: &mut Vec<String>, p: &str, cap: usize, dropped: &mut usize) -> bool {
    if list.last().is_some_and(|l| l == p) {
        return false;
    }
    let existed = list.iter().position(|l| l == p).map(|i| list.remove(i));
    list.push(p.to_string());
    if list.len() > cap {
        list.remove(0);
        *dropped += 1;
    }
    existed.is_none()
}

/// The `- ` lines under a `## Decisions` heading, up to the next heading.
fn decisions_in(summary: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in summary.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            inside = t
                .trim_start_matches('#')
                .trim()
                .eq_ignore_ascii_case("decisions");
            continue;
        }
        if inside {
            if let Some(d) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
                let d = d.trim();
                if !d.is_empty() && !d.eq_ignore_ascii_case("none") {
                    out.push(clip(d, 500));
                }
            }
        }
    }
    out
}

fn clip(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_string();
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} [… {} more bytes]", &s[..end], s.len() - end)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_message_is_the_goal_and_later_ones_are_kept_in_order() {
        let mut t = Thread::default();
        t.user_said("port the parser to nom");
        t.user_said("never touch tests/");
        t.user_said("actually, keep the old API too");
        assert_eq!(t.goal, "port the parser to nom");
        assert_eq!(
            t.said,
            ["never touch tests/", "actually, keep the old API too"]
        );
        let r = t.render();
        assert!(r.starts_with(STATE_OPEN));
        assert!(r.find("never touch").unwrap() < r.find("actually").unwrap());
    }

    #[test]
    fn old_messages_are_counted_when_they_fall_out() {
        let mut t = Thread::default();
        t.user_said("goal");
        for i in 0..SAID_KEPT + 2 {
            t.user_said(&format!("m{i}"));
        }
        assert_eq!(t.said.len(), SAID_KEPT);
        assert_eq!(t.said_dropped, 2);
        assert_eq!(t.goal, "goal", "the goal never falls out");
        assert!(t.render().contains("2 earlier messages not shown"));
    }

    #[test]
    fn a_huge_paste_is_clipped() {
        let mut t = Thread::default();
        t.user_said(&"é".repeat(5000));
        assert!(t.goal.len() < MESSAGE_BYTES + 40, "{}", t.goal.len());
    }

    #[test]
    fn decisions_come_from_the_summarys_section_once() {
        let mut t = Thread::default();
        let summary =
            "## Done\n- read a.rs\n## Decisions\n- use nom 7, not pest\n- None\n\n## Next\n- tests";
        assert_eq!(t.take_decisions(summary), 1);
        assert_eq!(t.take_decisions(summary), 0);
        assert_eq!(t.decisions, ["use nom 7, not pest"]);
    }

    #[test]
    fn files_in_flight_reset_each_turn_and_changed_ones_stay() {
        let mut t = Thread::default();
        t.user_said("goal");
        assert!(t.files(&["a.rs".into()], &["b.rs".into()]));
        assert!(!t.files(&["a.rs".into()], &[]));
        t.user_said("next");
        assert!(t.in_flight.is_empty());
        assert_eq!(t.changed, ["b.rs"]);
    }

    #[test]
    fn reads_back_from_older_saved_states() {
        let t: Thread = serde_json::from_str(r#"{"goal":"g"}"#).unwrap();
        assert_eq!(t.goal, "g");
    }
}
