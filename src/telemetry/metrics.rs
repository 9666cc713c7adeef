//! The metrics: counters a dashboard sums over sessions, labelled by model, token type, tool or
//! status. Exported every 30 s and at exit (cumulative, as OTLP receivers expect by default).

use crate::agent::events::{Event, Status};
use opentelemetry::metrics::{Counter, Meter};
use opentelemetry::KeyValue;

#[derive(Clone)]
pub struct Instruments {
    tokens: Counter<u64>,
    cost: Counter<f64>,
    sessions: Counter<u64>,
    tool_calls: Counter<u64>,
}

impl Instruments {
    pub fn new(meter: &Meter) -> Self {
        Instruments {
            tokens: meter
                .u64_counter("reins.tokens")
                .with_unit("{token}")
                .with_description("Tokens of model requests, by model and type")
                .build(),
            cost: meter
                .f64_counter("reins.cost")
                .with_unit("USD")
                .with_description("Cost of model requests with known prices, by model")
                .build(),
            sessions: meter
                .u64_counter("reins.sessions")
                .with_unit("{session}")
                .with_description("Sessions finished, by status")
                .build(),
            tool_calls: meter
                .u64_counter("reins.tool.calls")
                .with_unit("{call}")
                .with_description("Tool calls, by tool and outcome")
                .build(),
        }
    }

    pub fn usage(&self, event: &Event) {
        let Event::Usage {
            model,
            input_tokens,
            cached_input_tokens,
            cache_write_tokens,
            output_tokens,
            reasoning_tokens,
            cost_usd,
        } = event
        else {
            return;
        };
        let by_type = [
            ("input", input_tokens),
            ("cached_input", cached_input_tokens),
            ("cache_write", cache_write_tokens),
            ("output", output_tokens),
            ("reasoning", reasoning_tokens),
        ];
        for (kind, n) in by_type {
            if *n > 0 {
                self.tokens.add(
                    *n,
                    &[
                        KeyValue::new("gen_ai.request.model", model.clone()),
                        KeyValue::new("gen_ai.token.type", kind),
                    ],
                );
            }
        }
        if let Some(cost) = cost_usd {
            self.cost.add(
                *cost,
                &[KeyValue::new("gen_ai.request.model", model.clone())],
            );
        }
    }

    pub fn session(&self, status: Status) {
        self.sessions.add(
            1,
            &[KeyValue::new("reins.session.status", serde_name(status))],
        );
    }

    pub fn tool(&self, name: &str, ok: bool, denied: bool) {
        let outcome = match (denied, ok) {
            (true, _) => "denied",
            (false, true) => "ok",
            (false, false) => "failed",
        };
        self.tool_calls.add(
            1,
            &[
                KeyValue::new("gen_ai.tool.name", name.to_string()),
                KeyValue::new("reins.tool.outcome", outcome),
            ],
        );
    }
}

/// A unit enum's name as the `--json` stream spells it.
pub(super) fn serde_name(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
