//! Amounts of money in USD, as reins reports them. Costs are sums of products of token counts
//! and per-million prices, so their floats carry noise (`0.007700000000000001`); every amount a
//! user or a script reads is rounded to a millionth of a dollar, and shown with as many digits
//! as it needs, so that two different budgets never print alike (`$0.003`, not `$0.00`).

/// The smallest amount reported: one millionth of a dollar.
const PER_DOLLAR: f64 = 1e6;

/// `usd` rounded to 1e-6 USD.
pub fn round(usd: f64) -> f64 {
    (usd * PER_DOLLAR).round() / PER_DOLLAR
}

/// `$` and the amount: two decimals at least (`$1.50`), more when they carry digits (`$0.003`,
/// `$0.001235`), never more than six.
pub fn show(usd: f64) -> String {
    let six = format!("{:.6}", round(usd));
    let trimmed = six.trim_end_matches('0');
    let decimals = trimmed.split('.').nth(1).map_or(0, str::len);
    if decimals >= 2 {
        format!("${trimmed}")
    } else {
        format!("${:.2}", round(usd))
    }
}

/// For `#[serde(serialize_with)]`: an amount rounded to 1e-6 USD.
pub fn serialize<S: serde::Serializer>(usd: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(round(*usd))
}

/// For `#[serde(serialize_with)]`: an optional amount rounded to 1e-6 USD.
pub fn serialize_opt<S: serde::Serializer>(usd: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match usd {
        Some(v) => s.serialize_some(&round(*v)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_noise_is_rounded_away() {
        assert_eq!(round(0.007700000000000001), 0.0077);
        assert_eq!(round(0.1 + 0.2), 0.3);
        assert_eq!(
            serde_json::to_string(&round(0.0032 + 0.0045)).expect("json"),
            "0.0077"
        );
    }

    #[test]
    fn amounts_keep_the_digits_that_tell_them_apart() {
        assert_eq!(show(0.003), "$0.003");
        assert_eq!(show(0.5), "$0.50");
        assert_eq!(show(2.0), "$2.00");
        assert_eq!(show(0.0012345), "$0.001235");
        assert_eq!(show(0.0000001), "$0.00");
        assert_ne!(show(0.0031), show(0.003));
    }
}
