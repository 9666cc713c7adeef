//! The statistics eval reports rest on, in closed form so a report is a pure function of its runs:
//! Wilson score intervals for pass rates, Student-t intervals for costs over repeats, and the
//! exact two-sided sign test (McNemar's exact test when each task runs once) for paired
//! comparisons. The reference values in the tests come from scipy and statsmodels.

use serde::{Deserialize, Serialize};

/// The normal quantile for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A point estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// The Wilson score interval of `successes` out of `n` at 95%: unlike the normal approximation
/// it stays inside [0, 1] and is honest at 0/n and n/n, which small suites hit all the time.
/// `None` for n = 0.
pub fn wilson(successes: usize, n: usize) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let (k, n) = (successes.min(n) as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Estimate {
        value: p,
        low: (center - half).max(0.0),
        high: (center + half).min(1.0),
    })
}

/// The mean of `xs` with its Student-t 95% interval; with one value the interval is that value
/// (nothing to say about spread), `None` with none.
pub fn mean_interval(xs: &[f64]) -> Option<Estimate> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Some(Estimate {
            value: mean,
            low: mean,
            high: mean,
        });
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n - 1) * (var / n as f64).sqrt();
    Some(Estimate {
        value: mean,
        low: mean - half,
        high: mean + half,
    })
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom: a table up to 30 (where
/// repeats live), then the Cornish-Fisher expansion around the normal quantile, within 1e-5.
fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706_204_736,
        4.302_652_730,
        3.182_446_305,
        2.776_445_105,
        2.570_581_836,
        2.446_911_851,
        2.364_624_252,
        2.306_004_135,
        2.262_157_163,
        2.228_138_852,
        2.200_985_160,
        2.178_812_830,
        2.160_368_656,
        2.144_786_688,
        2.131_449_546,
        2.119_905_299,
        2.109_815_578,
        2.100_922_040,
        2.093_024_054,
        2.085_963_447,
        2.079_613_845,
        2.073_873_068,
        2.068_657_610,
        2.063_898_562,
        2.059_538_553,
        2.055_529_439,
        2.051_830_516,
        2.048_407_142,
        2.045_229_642,
        2.042_272_456,
    ];
    if df == 0 {
        return f64::INFINITY;
    }
    if let Some(t) = TABLE.get(df - 1) {
        return *t;
    }
    let (z, v) = (Z95, df as f64);
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
}

/// The exact two-sided sign test: `a` pairs favour one side, `b` the other (ties left out).
/// The p-value is twice the smaller binomial(a + b, ½) tail, capped at 1; with no untied pairs
/// it is 1. Over tasks run once each this is McNemar's exact test.
pub fn sign_test(a: usize, b: usize) -> f64 {
    let n = a + b;
    if n == 0 {
        return 1.0;
    }
    let k = a.min(b);
    let mut tail = 0.0_f64;
    if n <= 1000 {
        // Exact while 2^-n is a normal double: pmf(i + 1) = pmf(i) (n - i) / (i + 1).
        let mut pmf = 0.5_f64.powi(n as i32);
        for i in 0..=k {
            tail += pmf;
            pmf *= (n - i) as f64 / (i + 1) as f64;
        }
    } else {
        // In log space: 2^-n underflows past n = 1074.
        let ln2n = n as f64 * std::f64::consts::LN_2;
        let mut ln_choose = 0.0_f64;
        for i in 0..=k {
            if i > 0 {
                ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
            }
            tail += (ln_choose - ln2n).exp();
        }
    }
    (2.0 * tail).min(1.0)
}

/// Whether a p-value says the difference is real at the 5% level.
pub fn significant(p: f64) -> bool {
    p < 0.05
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// statsmodels.stats.proportion.proportion_confint(k, n, alpha=0.05, method="wilson").
    #[test]
    fn wilson_matches_statsmodels() {
        let cases = [
            (8, 9, 0.565_000_294_423_3, 0.980_109_112_361_5),
            (0, 9, 0.0, 0.299_145_048_419_5),
            (9, 9, 0.700_854_951_580_5, 1.0),
            (1, 2, 0.094_531_205_734_2, 0.905_468_794_265_8),
            (45, 100, 0.356_145_379_795_1, 0.547_553_970_025_6),
        ];
        for (k, n, lo, hi) in cases {
            let e = wilson(k, n).unwrap();
            assert!(
                close(e.low, lo, 1e-12) && close(e.high, hi, 1e-12),
                "{k}/{n}: {e:?}"
            );
        }
        assert_eq!(wilson(0, 0), None);
    }

    /// scipy.stats.binomtest(k, n, 0.5).pvalue.
    #[test]
    fn sign_test_matches_scipy() {
        let cases = [
            (0, 0, 1.0),
            (1, 0, 1.0),
            (5, 0, 0.0625),
            (0, 6, 0.03125),
            (7, 2, 0.179_687_5),
            (3, 3, 1.0),
            (15, 5, 0.041_389_465_332_031_25),
            (600, 500, 0.002_819_544_991_436_428_4),
            (0, 2000, 0.0),
            (1040, 960, 0.077_286_890_562_668_59),
        ];
        for (a, b, p) in cases {
            let got = sign_test(a, b);
            assert!(close(got, p, 1e-12 + p * 1e-9), "{a} vs {b}: {got}");
        }
    }

    /// scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=sem).
    #[test]
    fn mean_interval_matches_scipy() {
        let e = mean_interval(&[0.12, 0.15, 0.11]).unwrap();
        assert!(close(e.value, 0.126_666_666_666_7, 1e-12));
        assert!(close(e.low, 0.074_955_216_541_2, 1e-9), "{e:?}");
        assert!(close(e.high, 0.178_378_116_792_1, 1e-9), "{e:?}");
        let one = mean_interval(&[2.0]).unwrap();
        assert_eq!((one.low, one.high), (2.0, 2.0));
        assert_eq!(mean_interval(&[]), None);
    }

    /// scipy.stats.t.ppf(0.975, df).
    #[test]
    fn t_quantiles_past_the_table_are_close() {
        for (df, t) in [
            (31, 2.039_513_446),
            (40, 2.021_075_390),
            (60, 2.000_297_822),
            (120, 1.979_930_405),
            (1000, 1.962_339_081),
        ] {
            assert!(close(t975(df), t, 1e-5), "df {df}: {}", t975(df));
        }
    }
}
