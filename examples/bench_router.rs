//! The cost of one routing decision, which runs before every model request and must stay far
//! below a request's latency (target: under 20 µs per call).
//!
//! Run: `cargo run --release --example bench_router`

use reins::router::{Router, RouterConfig, Signals, StepKind};
use std::hint::black_box;
use std::time::Instant;

const CALLS: u32 = 1_000_000;

const CONFIG: &str = r#"
default = "fast"
ladder = ["fast", "strong"]
escalate_after = 2
deescalate_after = 3
rules = [
  { step = "plan", model = "strong" },
  { step = "compact", model = "fast" },
  { loop = true, model = "strong" },
  { cost_above = 1.50, model = "fast" },
]
fallback = "fast"
"#;

const STEPS: [StepKind; 5] = [
    StepKind::Plan,
    StepKind::Act,
    StepKind::Fix,
    StepKind::Act,
    StepKind::Compact,
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg: RouterConfig = toml::from_str(CONFIG)?;
    let mut router = Router::new(cfg, &["fast".to_string(), "strong".to_string()])?;
    let signals: Vec<Signals> = (0..64u32).map(signals_for).collect();
    let mut bytes = 0usize;
    let start = Instant::now();
    for i in 0..CALLS {
        let s = &signals[(i % 64) as usize];
        let d = router.decide(black_box(s));
        bytes += d.model.len() + d.reason.len();
        router.record_outcome(s.step != StepKind::Fix);
    }
    let elapsed = start.elapsed();
    let per_call_ns = elapsed.as_nanos() as f64 / f64::from(CALLS);
    println!(
        "{CALLS} decide()+record_outcome() calls in {:.1} ms: {:.0} ns per call ({:.3} µs; target < 20 µs){}",
        elapsed.as_secs_f64() * 1000.0,
        per_call_ns,
        per_call_ns / 1000.0,
        if black_box(bytes) == 0 { "!" } else { "" }
    );
    Ok(())
}

/// A varied but realistic mix: every step kind, some loops, cost rising past the cost rule.
fn signals_for(i: u32) -> Signals {
    let step = STEPS[(i % 5) as usize];
    Signals {
        step,
        consecutive_failures: if step == StepKind::Fix { 1 + i % 3 } else { 0 },
        steps: i,
        cost_usd: f64::from(i) * 0.03,
        context_fill_pct: f64::from(i % 100),
        user_model: None,
        looping: i.is_multiple_of(17),
        last_failure: (step == StepKind::Fix).then(|| "exit 1 from cargo test".to_string()),
    }
}
