//! The per-step router as the session will drive it: a scripted run through every routing path,
//! the budget arithmetic, loop detection, config validation and step classification.

use reins::router::{
    failure_note, lookup_prices, select, step_kind, tool_outcome, Budget, BudgetCheck,
    LoopDetector, Prices, Router, RouterConfig, RouterError, Signals, StepKind,
};
use std::collections::BTreeMap;

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

fn known() -> Vec<String> {
    vec!["fast".to_string(), "strong".to_string()]
}

fn router() -> Router {
    let cfg: RouterConfig = toml::from_str(CONFIG).unwrap();
    Router::new(cfg, &known()).unwrap()
}

fn signals(step: StepKind, failures: u32) -> Signals {
    Signals {
        step,
        consecutive_failures: failures,
        ..Signals::default()
    }
}

/// Decides one step and checks the model, returning the reason for further checks.
fn expect(r: &mut Router, s: &Signals, model: &str) -> String {
    let d = r.decide(s);
    assert_eq!(d.model, model, "{s:?}: {}", d.reason);
    d.reason
}

#[test]
fn scripted_session_follows_rules_and_ladder() {
    let mut r = router();
    let reason = expect(&mut r, &signals(StepKind::Plan, 0), "strong");
    assert_eq!(reason, "plan: rules[0] (step = plan) -> strong");
    r.record_outcome(true);

    let reason = expect(&mut r, &signals(StepKind::Act, 0), "fast");
    assert_eq!(reason, "act: default -> fast");
    // `cargo test` fails twice in a row.
    r.record_outcome(false);
    let mut fix = signals(StepKind::Fix, 1);
    fix.last_failure = Some("exit 1 from cargo test".into());
    let reason = expect(&mut r, &fix, "fast");
    assert!(reason.contains("escalating after 2"), "{reason}");
    r.record_outcome(false);
    fix.consecutive_failures = 2;
    let reason = expect(&mut r, &fix, "strong");
    assert_eq!(
        reason,
        "fix: 2 consecutive failures (exit 1 from cargo test) -> escalate to strong"
    );

    // Three successes on the strong model, then back down.
    r.record_outcome(true);
    expect(&mut r, &signals(StepKind::Act, 0), "strong");
    r.record_outcome(true);
    let reason = expect(&mut r, &signals(StepKind::Act, 0), "strong");
    assert!(reason.contains("2/3 successes"), "{reason}");
    r.record_outcome(true);
    let reason = expect(&mut r, &signals(StepKind::Act, 0), "fast");
    assert_eq!(reason, "act: 3 consecutive successes -> back down to fast");

    let mut looping = signals(StepKind::Act, 0);
    looping.looping = true;
    let reason = expect(&mut r, &looping, "strong");
    assert!(reason.contains("rules[2]"), "{reason}");

    expect(&mut r, &signals(StepKind::Compact, 0), "fast");
}

#[test]
fn cost_rule_caps_an_escalated_ladder() {
    let mut r = router();
    r.record_outcome(false);
    r.record_outcome(false);
    assert_eq!(r.current_rung(), "strong");
    let mut s = signals(StepKind::Fix, 2);
    s.cost_usd = 1.62;
    let reason = expect(&mut r, &s, "fast");
    assert_eq!(reason, "fix: rules[3] (cost $1.62 > $1.50) -> fast");
    s.cost_usd = 1.50;
    expect(&mut r, &s, "strong");
}

#[test]
fn ladder_stays_at_top_and_never_below_default() {
    let mut r = router();
    for _ in 0..5 {
        r.record_outcome(false);
    }
    let reason = expect(&mut r, &signals(StepKind::Fix, 5), "strong");
    assert!(reason.contains("escalate to strong"), "{reason}");
    let reason = expect(&mut r, &signals(StepKind::Fix, 5), "strong");
    assert!(reason.contains("top of the ladder"), "{reason}");
    for _ in 0..10 {
        r.record_outcome(true);
    }
    assert_eq!(r.current_rung(), "fast");
}

#[test]
fn failure_in_between_restarts_the_success_count() {
    let mut r = router();
    r.record_outcome(false);
    r.record_outcome(false);
    r.record_outcome(true);
    r.record_outcome(true);
    r.record_outcome(false);
    r.record_outcome(true);
    r.record_outcome(true);
    assert_eq!(r.current_rung(), "strong");
    r.record_outcome(true);
    assert_eq!(r.current_rung(), "fast");
}

#[test]
fn user_pin_wins_over_rules() {
    let mut r = router();
    let mut s = signals(StepKind::Plan, 0);
    s.user_model = Some("ollama/qwen".into());
    let reason = expect(&mut r, &s, "ollama/qwen");
    assert!(reason.contains("pinned"), "{reason}");
}

#[test]
fn default_outside_the_ladder_sits_below_it() {
    let cfg = RouterConfig {
        default: "fast".into(),
        ladder: vec!["strong".into()],
        escalate_after: 1,
        ..RouterConfig::default()
    };
    let mut r = Router::new(cfg, &known()).unwrap();
    r.record_outcome(false);
    expect(&mut r, &signals(StepKind::Fix, 1), "strong");
    assert_eq!(r.fallback(), None);
}

#[test]
fn other_conditions_match_strictly() {
    let cfg: RouterConfig = toml::from_str(
        r#"
default = "fast"
rules = [
  { failures_at_least = 3, steps_above = 10, model = "strong" },
  { context_above = 80.0, step = "act", model = "strong" },
]
"#,
    )
    .unwrap();
    let mut r = Router::new(cfg, &known()).unwrap();
    let mut s = signals(StepKind::Fix, 3);
    s.steps = 10;
    expect(&mut r, &s, "fast");
    s.steps = 11;
    expect(&mut r, &s, "strong");
    let mut s = signals(StepKind::Act, 0);
    s.context_fill_pct = 80.0;
    expect(&mut r, &s, "fast");
    s.context_fill_pct = 85.0;
    let reason = expect(&mut r, &s, "strong");
    assert_eq!(
        reason,
        "act: rules[1] (step = act, context 85% > 80%) -> strong"
    );
}

fn prices() -> Prices {
    Prices {
        input: 1.0,
        cached_input: 0.1,
        cache_write: 1.25,
        output: 4.0,
    }
}

#[test]
fn budget_stops_before_the_request_that_would_cross_it() {
    let mut b = Budget::new(1.0).unwrap();
    let p = prices();
    // 100k input tokens at $1/M = $0.10, 10k output at $4/M = $0.04.
    assert_eq!(b.check(0.50, 100_000, 10_000.0, Some(&p)), BudgetCheck::Ok);
    match b.check(0.90, 100_000, 10_000.0, Some(&p)) {
        BudgetCheck::Stop { spent, would_be } => {
            assert_eq!(spent, 0.90);
            assert!((would_be - 1.04).abs() < 1e-9, "{would_be}");
        }
        other => panic!("{other:?}"),
    }
    // Landing exactly on the budget does not cross it: 0.75 + 0.20 input + 0.05 output.
    let exact = b.check(0.75, 200_000, 12_500.0, Some(&p));
    assert!(matches!(exact, BudgetCheck::Warn80 { .. }), "{exact:?}");
}

#[test]
fn budget_warns_at_80_percent_once() {
    let mut b = Budget::new(2.0).unwrap();
    let p = prices();
    assert_eq!(b.check(1.40, 100_000, 0.0, Some(&p)), BudgetCheck::Ok);
    let warn = b.check(1.50, 100_000, 0.0, Some(&p));
    assert!(
        matches!(warn, BudgetCheck::Warn80 { would_be, max_cost } if (would_be - 1.6).abs() < 1e-9 && max_cost == 2.0),
        "{warn:?}"
    );
    assert_eq!(b.check(1.70, 100_000, 0.0, Some(&p)), BudgetCheck::Ok);
}

#[test]
fn budget_never_guesses_a_missing_price() {
    let mut b = Budget::new(1.0).unwrap();
    assert_eq!(b.check(0.2, 1_000_000, 0.0, None), BudgetCheck::Unpriced);
    assert!(matches!(
        b.check(1.2, 0, 0.0, None),
        BudgetCheck::Stop { .. }
    ));
    assert!(lookup_prices("my-local-model").is_none());
    assert!(Budget::new(0.0).is_err());
    assert!(Budget::new(f64::NAN).is_err());
}

#[test]
fn price_table_knows_the_common_models() {
    for id in [
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "o3",
        "o4-mini",
        "gpt-5",
        "gpt-5-mini",
        "claude-opus-4-1",
        "claude-sonnet-4-5",
        "claude-sonnet-4",
        "claude-haiku-4-5",
        "claude-3-5-haiku",
        "claude-sonnet-4-5-20250929",
        "claude-3-5-haiku-20241022",
    ] {
        assert!(lookup_prices(id).is_some(), "{id}");
    }
    let sonnet = lookup_prices("claude-sonnet-4-5-20250929").unwrap();
    assert_eq!((sonnet.input, sonnet.output), (3.0, 15.0));
}

#[test]
fn loop_detector_fires_on_the_third_identical_call() {
    let mut d = LoopDetector::new();
    assert!(!d.observe("shell", r#"{"command":"cargo test","timeout_ms":1000}"#));
    assert!(!d.observe(
        "shell",
        r#"{ "timeout_ms": 1000, "command": "cargo test" }"#
    ));
    assert!(d.observe("shell", r#"{"command":"cargo test","timeout_ms":1000}"#));
    assert!(d.observe("shell", r#"{"command":"cargo test","timeout_ms":1000}"#));
    // A different call breaks the run; so does the same arguments for another tool.
    assert!(!d.observe("read_file", r#"{"command":"cargo test","timeout_ms":1000}"#));
    assert!(!d.observe("shell", r#"{"command":"cargo test","timeout_ms":1000}"#));
    assert!(!d.observe("shell", r#"{"command":"cargo test","timeout_ms":1000}"#));
    d.reset();
    assert!(!d.observe("shell", r#"{"command":"cargo test","timeout_ms":1000}"#));
}

#[test]
fn unknown_model_key_names_the_key_and_the_table() {
    let mut cfg: RouterConfig = toml::from_str(CONFIG).unwrap();
    cfg.rules[2].model = "strnog".into();
    let err = Router::for_table("[routers.cheap]", cfg, &known()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("[routers.cheap]") && msg.contains("rules[2].model") && msg.contains("strnog"),
        "{msg}"
    );
    assert!(msg.contains("fast, strong"), "{msg}");

    let cfg: RouterConfig = toml::from_str("default = \"gpt\"").unwrap();
    let err = Router::new(cfg, &known()).unwrap_err();
    assert!(matches!(err, RouterError::UnknownModel { ref key, .. } if key == "default"));

    let cfg: RouterConfig = toml::from_str("default = \"fast\"\nfallback = \"x\"").unwrap();
    let msg = Router::new(cfg, &known()).unwrap_err().to_string();
    assert!(
        msg.contains("[router]") && msg.contains("`fallback`"),
        "{msg}"
    );
}

#[test]
fn incomplete_or_senseless_tables_are_refused() {
    let err = Router::new(RouterConfig::default(), &known()).unwrap_err();
    assert!(matches!(err, RouterError::Missing { ref key, .. } if key == "default"));
    let cfg: RouterConfig = toml::from_str("default = \"fast\"\nescalate_after = 0").unwrap();
    let msg = Router::new(cfg, &known()).unwrap_err().to_string();
    assert!(msg.contains("escalate_after"), "{msg}");
    let cfg: RouterConfig =
        toml::from_str("default = \"fast\"\nrules = [{ cost_above = -1.0, model = \"fast\" }]")
            .unwrap();
    let msg = Router::new(cfg, &known()).unwrap_err().to_string();
    assert!(msg.contains("rules[0].cost_above"), "{msg}");
}

#[test]
fn unknown_fields_are_rejected() {
    let err = toml::from_str::<RouterConfig>("default = \"fast\"\nescalate_afterr = 2")
        .unwrap_err()
        .to_string();
    assert!(err.contains("escalate_afterr"), "{err}");
    let err = toml::from_str::<RouterConfig>(
        "default = \"fast\"\nrules = [{ step = \"plan\", modle = \"fast\" }]",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("modle"), "{err}");
    let err = toml::from_str::<RouterConfig>("rules = [{ step = \"think\", model = \"fast\" }]")
        .unwrap_err()
        .to_string();
    assert!(err.contains("think"), "{err}");
}

#[test]
fn config_round_trips_through_toml() {
    let cfg: RouterConfig = toml::from_str(CONFIG).unwrap();
    let text = toml::to_string(&cfg).unwrap();
    let back: RouterConfig = toml::from_str(&text).unwrap();
    assert_eq!(cfg, back);
}

#[test]
fn route_flag_selects_a_named_table() {
    let base: RouterConfig = toml::from_str(CONFIG).unwrap();
    let mut named = BTreeMap::new();
    named.insert("cheap".to_string(), RouterConfig::default());
    let (label, _) = select(Some(&base), &named, Some("cheap")).unwrap().unwrap();
    assert_eq!(label, "[routers.cheap]");
    let (label, cfg) = select(Some(&base), &named, None).unwrap().unwrap();
    assert_eq!((label.as_str(), cfg), ("[router]", base));
    assert!(select(None, &named, None).unwrap().is_none());
    let msg = select(None, &named, Some("fast")).unwrap_err().to_string();
    assert!(msg.contains("fast") && msg.contains("cheap"), "{msg}");
}

#[test]
fn step_kind_classifies_what_happened() {
    let ok = |n: &str| (n.to_string(), true, None);
    assert_eq!(step_kind(true, &[]), StepKind::Plan);
    assert_eq!(
        step_kind(true, &[("shell".into(), true, Some(1))]),
        StepKind::Plan
    );
    assert_eq!(step_kind(false, &[]), StepKind::Side);
    assert_eq!(
        step_kind(false, &[ok("read_file"), ("shell".into(), true, Some(0))]),
        StepKind::Act
    );
    assert_eq!(
        step_kind(false, &[ok("read_file"), ("shell".into(), true, Some(2))]),
        StepKind::Fix
    );
    assert_eq!(
        step_kind(false, &[ok("grep"), ("edit_file".into(), false, None)]),
        StepKind::Fix
    );
    let timed_out = tool_outcome("shell", true, Some(reins::types::Exit::TimedOut));
    assert_eq!(step_kind(false, &[timed_out]), StepKind::Fix);
    let failed = tool_outcome("shell", true, Some(reins::types::Exit::Code(101)));
    assert_eq!(failed, ("shell".into(), true, Some(101)));
    assert_eq!(
        failure_note("shell", r#"{"command":"cargo test"}"#, failed.2, ""),
        "exit 101 from cargo test"
    );
}

#[test]
fn step_kind_serialises_lowercase() {
    assert_eq!(StepKind::Compact.to_string(), "compact");
    assert_eq!(serde_json::to_string(&StepKind::Side).unwrap(), "\"side\"");
}

#[test]
fn a_rule_sets_the_effort_of_its_steps_and_says_so() {
    let cfg: RouterConfig = toml::from_str(
        "default = \"strong\"\nrules = [{ step = \"compact\", model = \"fast\", effort = \"low\" }]\n",
    )
    .unwrap();
    let mut router = Router::new(cfg, &["fast".into(), "strong".into()]).unwrap();
    let d = router.decide(&Signals {
        step: StepKind::Compact,
        ..Signals::default()
    });
    assert_eq!(d.model, "fast");
    assert_eq!(d.effort, Some(reins::types::Effort::Low));
    assert!(d.reason.ends_with("-> fast at low effort"), "{}", d.reason);
    let d = router.decide(&Signals::default());
    assert_eq!(d.effort, None);
}
