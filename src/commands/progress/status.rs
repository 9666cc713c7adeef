//! The status line under the trace when stderr is a terminal: a spinner, what is happening
//! (`thinking`, `$ cargo test`), the time since the session started and its cost so far. It is
//! redrawn in place (carriage return, erase line) by a ticker and after every trace line, and
//! cut to the terminal's width so it never wraps (a wrapped line could not be erased).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const TICK: Duration = Duration::from_millis(120);

#[derive(Debug)]
struct State {
    activity: String,
    cost: Option<f64>,
    started: Instant,
    frame: usize,
    shown: bool,
    done: bool,
}

/// The line and its ticker; cheap to clone.
#[derive(Debug, Clone)]
pub struct StatusLine {
    state: Arc<Mutex<State>>,
}

impl StatusLine {
    /// Starts the ticker (inside a tokio runtime).
    pub fn start() -> StatusLine {
        let line = StatusLine {
            state: Arc::new(Mutex::new(State {
                activity: "starting".into(),
                cost: None,
                started: Instant::now(),
                frame: 0,
                shown: false,
                done: false,
            })),
        };
        let ticker = line.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(TICK);
            loop {
                every.tick().await;
                if !ticker.tick() {
                    return;
                }
            }
        });
        line
    }

    /// Advances the spinner; false once the line is finished.
    fn tick(&self) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.done {
            return false;
        }
        s.frame = (s.frame + 1) % FRAMES.len();
        draw(&mut s, &mut std::io::stderr().lock());
        true
    }

    /// Shows what is happening now, at once (not at the next tick).
    pub fn set_activity(&self, activity: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.activity = activity.to_string();
            if !s.done {
                draw(&mut s, &mut std::io::stderr().lock());
            }
        }
    }

    pub fn add_cost(&self, cost: f64) {
        if let Ok(mut s) = self.state.lock() {
            *s.cost.get_or_insert(0.0) += cost;
        }
    }

    /// Prints `text` (whole lines) above the status line.
    pub fn print(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        match self.state.lock() {
            Ok(mut s) => {
                clear(&mut s, &mut err);
                let _ = writeln!(err, "{text}");
                if !s.done {
                    draw(&mut s, &mut err);
                }
            }
            Err(_) => {
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// Erases the line for good.
    pub fn finish(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.done = true;
            clear(&mut s, &mut std::io::stderr().lock());
        }
    }
}

fn clear(s: &mut State, out: &mut impl Write) {
    if s.shown {
        let _ = write!(out, "\r\u{1b}[2K");
        let _ = out.flush();
        s.shown = false;
    }
}

fn draw(s: &mut State, out: &mut impl Write) {
    let cost = s
        .cost
        .map(|c| format!(" · {}", crate::types::usd::show(c)))
        .unwrap_or_default();
    let text = format!(
        "{} {} · {:.1}s{cost}",
        FRAMES[s.frame],
        s.activity,
        s.started.elapsed().as_secs_f64()
    );
    let width = crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w));
    let text: String = text.chars().take(width.saturating_sub(1)).collect();
    let _ = write!(out, "\r\u{1b}[2K{text}");
    let _ = out.flush();
    s.shown = true;
}
