//! The model each step of the session went to and why, as the router's `route` events said:
//! `/route` lists them and `/status` names the last. Restored from the transcript's totals when
//! a session is resumed.

use std::fmt::Write;

/// `(step, model, reason)` of every route event of the open session.
#[derive(Debug, Default)]
pub struct RouteLog {
    routes: Vec<(u32, String, String)>,
}

impl RouteLog {
    pub fn push(&mut self, step: u32, model: String, reason: String) {
        self.routes.push((step, model, reason));
    }

    /// The routes of a reopened session, replacing any kept.
    pub fn restore(&mut self, routes: Vec<(u64, String, String)>) {
        self.routes = routes
            .into_iter()
            .map(|(step, model, reason)| (step as u32, model, reason))
            .collect();
    }

    pub fn clear(&mut self) {
        self.routes.clear();
    }

    /// The last step routed, if any.
    pub fn last(&self) -> Option<&(u32, String, String)> {
        self.routes.last()
    }

    /// `/route`: one line per step, or that nothing was asked yet.
    pub fn table(&self) -> String {
        if self.routes.is_empty() {
            return "no model requests yet".to_string();
        }
        let mut out = String::from("step  model                 reason\n");
        for (step, model, reason) in &self.routes {
            let _ = writeln!(out, "{step:>4}  {model:<20}  {reason}");
        }
        out.trim_end().to_string()
    }
}
