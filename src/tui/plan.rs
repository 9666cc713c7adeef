//! The model's plan as a live checklist between the transcript and the composer. It owns the
//! plan the last `plan` event carried and draws at most [`MAX_ROWS`] rows: the header with the
//! progress, then the steps around the one in progress, so a long plan never pushes the
//! transcript off the screen.

use super::theme::Theme;
use super::wrap::{sanitize, str_width, truncate};
use crate::types::{Plan, PlanStep, StepStatus};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Rows the checklist may take, header included.
pub const MAX_ROWS: u16 = 7;

#[derive(Debug, Default)]
pub struct PlanView {
    plan: Plan,
}

impl PlanView {
    pub fn set(&mut self, steps: Vec<PlanStep>) {
        self.plan = Plan { steps };
    }

    pub fn clear(&mut self) {
        self.plan = Plan::default();
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Rows it wants: none without a plan, none once every step is done (the checklist has
    /// served; the transcript keeps its last state).
    pub fn height(&self) -> u16 {
        let (done, all) = self.plan.progress();
        if all == 0 || done == all {
            return 0;
        }
        (all as u16 + 1).min(MAX_ROWS)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        if area.height == 0 {
            return;
        }
        let (done, all) = self.plan.progress();
        let header = Line::from(vec![
            Span::styled("plan ", theme.bold),
            Span::styled(format!("{done}/{all} done"), theme.dim),
        ]);
        buf.set_line(area.x, area.y, &header, area.width);
        let rows = usize::from(area.height - 1);
        let first = window_start(&self.plan.steps, rows);
        let width = usize::from(area.width).saturating_sub(6);
        for (i, step) in self.plan.steps.iter().skip(first).take(rows).enumerate() {
            let style = match step.status {
                StepStatus::Done => theme.dim,
                StepStatus::InProgress => theme.accent,
                StepStatus::Pending => Style::default(),
            };
            let mut text = sanitize(&step.step);
            if str_width(&text) > width {
                text = truncate(&text, width);
            }
            let line = Line::from(vec![
                Span::styled(format!(" {} ", step.status.mark()), style),
                Span::styled(text, style),
            ]);
            buf.set_line(area.x, area.y + 1 + i as u16, &line, area.width);
        }
    }
}

/// The first step shown when only `rows` fit: the one in progress (else the first not done)
/// stays in view with one finished step above it for context.
fn window_start(steps: &[PlanStep], rows: usize) -> usize {
    if steps.len() <= rows {
        return 0;
    }
    let focus = steps
        .iter()
        .position(|s| s.status == StepStatus::InProgress)
        .or_else(|| steps.iter().position(|s| s.status != StepStatus::Done))
        .unwrap_or(0);
    focus.saturating_sub(1).min(steps.len() - rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(statuses: &[StepStatus]) -> Vec<PlanStep> {
        statuses
            .iter()
            .enumerate()
            .map(|(i, s)| PlanStep {
                step: format!("step {i}"),
                status: *s,
            })
            .collect()
    }

    #[test]
    fn a_long_plan_keeps_the_step_in_progress_in_view() {
        use StepStatus::*;
        let s = steps(&[
            Done, Done, Done, Done, Done, InProgress, Pending, Pending, Pending,
        ]);
        assert_eq!(window_start(&s, 4), 4);
        assert_eq!(window_start(&s[..3], 4), 0);
    }

    #[test]
    fn a_finished_plan_gives_its_rows_back() {
        let mut v = PlanView::default();
        v.set(steps(&[StepStatus::Done, StepStatus::Pending]));
        assert_eq!(v.height(), 3);
        v.set(steps(&[StepStatus::Done, StepStatus::Done]));
        assert_eq!(v.height(), 0);
    }
}
