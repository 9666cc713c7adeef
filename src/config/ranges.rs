//! Values that parse but make no sense: a NaN or negative compaction threshold would compact on
//! every step or never, a negative budget would stop every run before it starts. They are config
//! errors naming the key, like a type error, rather than surprises later.

use super::schema::Config;

/// The first key whose value is out of range, and what it should be.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RangeError {
    #[error(
        "`compact_threshold = {0}` must be a share of the context window, above 0 and at most 1 \
         (e.g. 0.85)"
    )]
    CompactThreshold(f64),
    #[error("`max_cost = {0}` must be a number of US dollars, 0 or more")]
    MaxCost(f64),
    #[error("`max_steps = 0` would end every turn before its first model request: use 1 or more")]
    ZeroSteps,
    #[error("`review.{0} = 0` leaves nothing to work with: use 1 or more")]
    ZeroReview(&'static str),
}

pub(super) fn check(config: &Config) -> Result<(), RangeError> {
    if let Some(t) = config.compact_threshold {
        if !(t > 0.0 && t <= 1.0) {
            return Err(RangeError::CompactThreshold(t));
        }
    }
    if let Some(cost) = config.max_cost {
        if !(cost.is_finite() && cost >= 0.0) {
            return Err(RangeError::MaxCost(cost));
        }
    }
    if config.max_steps == Some(0) {
        return Err(RangeError::ZeroSteps);
    }
    if config.review.part_size == Some(0) {
        return Err(RangeError::ZeroReview("part_size"));
    }
    if config.review.repro_timeout_ms == Some(0) {
        return Err(RangeError::ZeroReview("repro_timeout_ms"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(threshold: Option<f64>, cost: Option<f64>) -> Result<(), String> {
        check(&Config {
            compact_threshold: threshold,
            max_cost: cost,
            ..Config::default()
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn nan_negative_and_oversized_values_are_refused() {
        assert!(with(Some(0.85), Some(1.5)).is_ok());
        assert!(with(None, None).is_ok());
        for bad in [f64::NAN, -0.5, 0.0, 1.5, f64::INFINITY] {
            let err = with(Some(bad), None).unwrap_err();
            assert!(err.contains("compact_threshold"), "{err}");
        }
        for bad in [f64::NAN, -1.0, f64::INFINITY] {
            assert!(with(None, Some(bad)).unwrap_err().contains("max_cost"));
        }
    }

    #[test]
    fn zero_steps_are_refused() {
        let zero = Config {
            max_steps: Some(0),
            ..Config::default()
        };
        assert_eq!(check(&zero), Err(RangeError::ZeroSteps));
        assert!(RangeError::ZeroSteps.to_string().contains("max_steps"));
    }
}
