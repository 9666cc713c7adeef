//! The one price type, and built-in list prices for well-known OpenAI and Anthropic models keyed
//! by the wire model id, so that cost (and therefore budgets and `cost_above` rules) work without
//! pricing every model by hand.
//!
//! These are the providers' published list prices in USD per million tokens as known when this
//! table was written (2025); they go stale. A `[models.*]` table's `input_price`,
//! `cached_input_price` and `output_price` override them. A model not listed here has no price:
//! its cost is unknown (`None`), never guessed.

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub input: f64,
    /// Input tokens read from the provider's prompt cache.
    pub cached_input: f64,
    /// Input tokens written to the prompt cache (Anthropic charges extra; OpenAI does not).
    pub cache_write: f64,
    pub output: f64,
}

/// OpenAI: caching is automatic and writes cost the normal input price.
const fn openai(input: f64, cached_input: f64, output: f64) -> Prices {
    Prices {
        input,
        cached_input,
        cache_write: input,
        output,
    }
}

/// Anthropic: cache reads are 0.1x input, 5-minute cache writes 1.25x input.
const fn anthropic(input: f64, output: f64) -> Prices {
    Prices {
        input,
        cached_input: input * 0.1,
        cache_write: input * 1.25,
        output,
    }
}

/// Anthropic models whose cache prices are not the usual multiples.
const fn anthropic_cache(input: f64, read: f64, write: f64, output: f64) -> Prices {
    Prices {
        input,
        cached_input: read,
        cache_write: write,
        output,
    }
}

// Checked 2026-12-07 for the gpt-5.5/5.4 and Claude 5.5 rows (see defaults.toml).
const TABLE: &[(&str, Prices)] = &[
    ("gpt-5.5", openai(5.00, 0.50, 30.00)),
    ("gpt-5.4", openai(2.50, 0.25, 15.00)),
    ("gpt-5.4-mini", openai(0.75, 0.075, 4.50)),
    ("claude-opus-5-5", anthropic_cache(4.00, 0.20, 5.00, 20.00)),
    (
        "claude-sonnet-5-5",
        anthropic_cache(2.00, 0.20, 2.50, 10.00),
    ),
    ("claude-opus-4-8", anthropic(5.00, 25.00)),
    ("gpt-5.1", openai(1.25, 0.125, 10.00)),
    ("gpt-5", openai(1.25, 0.125, 10.00)),
    ("gpt-5-mini", openai(0.25, 0.025, 2.00)),
    ("gpt-5-nano", openai(0.05, 0.005, 0.40)),
    ("gpt-4.1", openai(2.00, 0.50, 8.00)),
    ("gpt-4.1-mini", openai(0.40, 0.10, 1.60)),
    ("gpt-4.1-nano", openai(0.10, 0.025, 0.40)),
    ("gpt-4o", openai(2.50, 1.25, 10.00)),
    // The first gpt-4o snapshot kept its launch price and had no cache discount.
    ("gpt-4o-2024-05-13", openai(5.00, 5.00, 15.00)),
    ("gpt-4o-mini", openai(0.15, 0.075, 0.60)),
    ("o3", openai(2.00, 0.50, 8.00)),
    ("o3-mini", openai(1.10, 0.55, 4.40)),
    ("o4-mini", openai(1.10, 0.275, 4.40)),
    ("claude-opus-4-5", anthropic(5.00, 25.00)),
    ("claude-opus-4-1", anthropic(15.00, 75.00)),
    ("claude-opus-4-0", anthropic(15.00, 75.00)),
    ("claude-opus-4", anthropic(15.00, 75.00)),
    ("claude-sonnet-4-5", anthropic(3.00, 15.00)),
    ("claude-sonnet-4-0", anthropic(3.00, 15.00)),
    ("claude-sonnet-4", anthropic(3.00, 15.00)),
    ("claude-3-7-sonnet", anthropic(3.00, 15.00)),
    ("claude-haiku-4-5", anthropic(1.00, 5.00)),
    ("claude-3-5-haiku", anthropic(0.80, 4.00)),
];

/// The list price of a wire model id. Also matches dated snapshots (`claude-sonnet-4-5-20250929`,
/// `gpt-4.1-2025-04-14`) and `-latest` aliases of a listed id; nothing fuzzier, so a similarly
/// named model is never priced by mistake.
pub fn lookup(wire_id: &str) -> Option<Prices> {
    let id = wire_id.trim();
    exact(id).or_else(|| exact(strip_version(id)?))
}

fn exact(id: &str) -> Option<Prices> {
    TABLE
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(id))
        .map(|(_, p)| *p)
}

/// `id` without a trailing `-latest`, `-YYYYMMDD` or `-YYYY-MM-DD`.
fn strip_version(id: &str) -> Option<&str> {
    if let Some(base) = id.strip_suffix("-latest") {
        return Some(base);
    }
    let (base, date) = id.rsplit_once('-')?;
    if date.len() == 8 && all_digits(date) {
        return Some(base);
    }
    let (base, dd) = base.rsplit_once('-').filter(|_| date.len() == 2)?;
    let (base, yyyy) = base.rsplit_once('-').filter(|_| dd.len() == 2)?;
    (yyyy.len() == 4 && all_digits(date) && all_digits(dd) && all_digits(yyyy)).then_some(base)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Prices {
    /// Cost in USD. `input_tokens` counts every prompt token, the cached and cache-written ones
    /// included.
    pub fn cost(&self, input_tokens: u64, cached: u64, cache_written: u64, output: u64) -> f64 {
        let fresh = input_tokens.saturating_sub(cached.saturating_add(cache_written)) as f64;
        (fresh * self.input
            + cached as f64 * self.cached_input
            + cache_written as f64 * self.cache_write
            + output as f64 * self.output)
            / 1_000_000.0
    }

    /// The cost of one request's reported usage.
    pub fn usage_cost(&self, u: &crate::conversation::Usage) -> f64 {
        self.cost(
            u.input_tokens,
            u.cached_input_tokens,
            u.cache_write_tokens,
            u.output_tokens,
        )
    }

    /// An upper-bound estimate for a request not yet made: every input token at the full input
    /// price (what will hit the cache is not known in advance) plus the expected output.
    pub fn estimate(&self, input_tokens: u64, output_tokens: f64) -> f64 {
        (input_tokens as f64 * self.input + output_tokens.max(0.0) * self.output) / 1_000_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_and_latest_ids_match_but_neighbours_do_not() {
        assert_eq!(
            lookup("claude-sonnet-4-5-20250929"),
            lookup("claude-sonnet-4-5")
        );
        assert_eq!(lookup("gpt-4.1-2025-04-14"), lookup("gpt-4.1"));
        assert_eq!(
            lookup("claude-3-5-haiku-latest"),
            lookup("claude-3-5-haiku")
        );
        assert_eq!(lookup("gpt-4o-mini").map(|p| p.input), Some(0.15));
        assert!(lookup("gpt-4o-2024").is_none());
        assert!(lookup("qwen2.5-coder").is_none());
        assert!(lookup("gpt-4.1-preview").is_none());
    }

    #[test]
    fn cost_charges_cache_reads_and_writes_at_their_prices() {
        let p = lookup("claude-sonnet-4-5").unwrap();
        let c = p.cost(1_000_000, 500_000, 100_000, 100_000);
        let expect = 0.4 * 3.0 + 0.5 * 0.3 + 0.1 * 3.75 + 0.1 * 15.0;
        assert!((c - expect).abs() < 1e-9, "{c} vs {expect}");
    }
}
