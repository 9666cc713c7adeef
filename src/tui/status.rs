//! The status line: the model and the router's last reason on the left; context fill, tokens,
//! cost, sandbox mode and approval policy on the right; a spinner with the elapsed time while a
//! turn runs. Fed by `route` and `usage` events and the engine's session state.

use super::theme::Theme;
use super::wrap::{str_width, truncate};
use crate::sandbox::approval::Approval;
use crate::sandbox::SandboxMode;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Tokens and cost of one model over the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelUsage {
    pub requests: u64,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub cost: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub model: String,
    pub reason: String,
    /// Input tokens of the last request and the model's context window.
    pub context_tokens: u64,
    pub window: Option<u64>,
    pub usage: BTreeMap<String, ModelUsage>,
    pub sandbox: SandboxMode,
    pub approval: Approval,
    /// When the running turn started.
    pub working_since: Option<Instant>,
    /// A short message that replaces the reason for a while (`press Ctrl+C again to quit`).
    pub flash: Option<(String, Instant)>,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            model: String::new(),
            reason: String::new(),
            context_tokens: 0,
            window: None,
            usage: BTreeMap::new(),
            sandbox: SandboxMode::WorkspaceWrite,
            approval: Approval::OnRequest,
            working_since: None,
            flash: None,
        }
    }
}

impl Status {
    /// A `usage` event.
    pub fn add_usage(
        &mut self,
        model: &str,
        input: u64,
        cached: u64,
        output: u64,
        cost: Option<f64>,
    ) {
        let u = self.usage.entry(model.to_string()).or_default();
        u.requests += 1;
        u.input_tokens += input;
        u.cached_input_tokens += cached;
        u.output_tokens += output;
        if let Some(c) = cost {
            *u.cost.get_or_insert(0.0) += c;
        }
        self.context_tokens = input;
    }

    /// The figures of a reopened session, as its transcript recorded them.
    pub fn restore(&mut self, totals: &crate::store::totals::SessionTotals) {
        self.usage = totals
            .by_model
            .iter()
            .map(|(model, t)| {
                let u = ModelUsage {
                    requests: t.requests,
                    input_tokens: t.input_tokens,
                    cached_input_tokens: t.cached_input_tokens,
                    output_tokens: t.output_tokens,
                    cost: t.cost_usd,
                };
                (model.clone(), u)
            })
            .collect();
        self.context_tokens = totals.last_input_tokens;
    }

    pub fn total_tokens(&self) -> u64 {
        self.usage
            .values()
            .map(|u| u.input_tokens + u.output_tokens)
            .sum()
    }

    pub fn total_cost(&self) -> Option<f64> {
        self.usage
            .values()
            .filter_map(|u| u.cost)
            .reduce(|a, b| a + b)
    }

    pub fn context_pct(&self) -> Option<u64> {
        let w = self.window.filter(|w| *w > 0)?;
        Some((self.context_tokens * 100).div_ceil(w).min(100))
    }

    pub fn flash(&mut self, text: impl Into<String>, now: Instant) {
        self.flash = Some((text.into(), now));
    }

    /// The right-hand figures, most important first (the last ones give way on a narrow line).
    fn right_parts(&self) -> Vec<String> {
        let mut parts = vec![
            self.sandbox.as_str().to_string(),
            approval_name(self.approval).to_string(),
            match self.total_cost() {
                Some(c) => format!("${c:.4}"),
                None => "$—".to_string(),
            },
        ];
        if let Some(p) = self.context_pct() {
            parts.push(format!("ctx {p}%"));
        }
        parts.push(format!("{} tok", compact_count(self.total_tokens())));
        parts
    }

    /// The left-hand text: spinner and elapsed time, then the model and the router's reason, or
    /// a flash message in their place.
    fn left_side(&self, now: Instant) -> String {
        let mut left = String::from(" ");
        if let Some(since) = self.working_since {
            let elapsed = now.saturating_duration_since(since);
            let frame = (elapsed.as_millis() / 80) as usize % SPINNER.len();
            left.push_str(&format!("{} {} · ", SPINNER[frame], elapsed_text(elapsed)));
        }
        match &self.flash {
            Some((text, at)) if now.saturating_duration_since(*at) < Duration::from_secs(3) => {
                left.push_str(text);
            }
            _ => {
                left.push_str(&self.model);
                if !self.reason.is_empty() {
                    left.push_str(" · ");
                    left.push_str(&self.reason);
                }
            }
        }
        left
    }

    /// Draws the line as of `now` (the spinner frame and elapsed time derive from it).
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme, now: Instant) {
        buf.set_style(area, theme.status);
        let width = usize::from(area.width);
        let left = self.left_side(now);
        let want_left = str_width(&left).min(28);
        let mut parts = self.right_parts();
        let right = loop {
            let right = format!("{} ", parts.join(" · "));
            if parts.is_empty() || str_width(&right) + want_left < width {
                break if parts.is_empty() {
                    String::new()
                } else {
                    right
                };
            }
            parts.pop();
        };
        let left = truncate(&left, width.saturating_sub(str_width(&right) + 1));
        let pad = width.saturating_sub(str_width(&left) + str_width(&right));
        let line = Line::from(vec![
            Span::styled(left, theme.status),
            Span::styled(" ".repeat(pad), theme.status),
            Span::styled(right, theme.status),
        ]);
        buf.set_line(area.x, area.y, &line, area.width);
    }
}

pub fn approval_name(a: Approval) -> &'static str {
    match a {
        Approval::Never => "never",
        Approval::OnRequest => "on-request",
        Approval::Untrusted => "untrusted",
    }
}

/// 950, 12.3k, 4.1M.
pub fn compact_count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

fn elapsed_text(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_context_fill() {
        assert_eq!(compact_count(950), "950");
        assert_eq!(compact_count(12_345), "12.3k");
        let mut s = Status {
            window: Some(1000),
            ..Status::default()
        };
        s.add_usage("m", 250, 0, 10, Some(0.5));
        s.add_usage("m", 300, 0, 10, Some(0.25));
        assert_eq!(s.context_pct(), Some(30));
        assert_eq!(s.total_tokens(), 570);
        assert_eq!(s.total_cost(), Some(0.75));
    }
}
