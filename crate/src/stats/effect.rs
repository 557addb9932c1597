//! The size of a two-group difference and how likely a test of it was to
//! find one: Hedges' g with a 95% confidence interval, and the power of
//! Welch's t-test to detect a given standardised difference. A p-value alone
//! does not say whether a class comparison of a handful of architectures
//! could have found anything; these do.
//!
//! The power is Welch's own, integrated over the sample variances
//! ([`welch_power`]); the common noncentral-t approximation
//! ([`welch_power_nct`]) is kept for comparison, being far off when one
//! group has 2 or 3 values. The interval rests on the noncentral t
//! distribution (`statrs` has only the central one), computed by its Poisson-weighted series of regularised incomplete
//! beta functions (Lenth 1989, AS 243; the series as in Wikipedia's
//! "Noncentral t-distribution"), summed outward from the largest Poisson
//! weight so that large noncentralities neither underflow nor need
//! thousands of leading terms. `tests/fixtures/metrics/make_effect.py` writes
//! the references (`scipy.stats.nct`, `dblquad`, a simulation) that
//! `crate/tests/metrics_stats.rs` checks.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use statrs::function::beta::beta_reg;
use statrs::function::gamma::ln_gamma;

/// Terms below this (relative to 1) no longer change an f64 sum.
const TINY: f64 = 1e-17;

/// F̃(x; ν, δ) for x ≥ 0: Φ(−δ) + ½ Σ_j [p_j I_y(j+½, ν/2) + q_j I_y(j+1, ν/2)],
/// y = x²/(x²+ν), p_j the Poisson(δ²/2) weights, q_j = δ e^{−δ²/2} (δ²/2)^j / (√2 Γ(j+3/2)).
fn nct_cdf_nonneg(x: f64, df: f64, delta: f64) -> f64 {
    let phi = Normal::new(0.0, 1.0).unwrap().cdf(-delta);
    if x == 0.0 {
        return phi;
    }
    let y = x * x / (x * x + df);
    let b = df / 2.0;
    let lam = delta * delta / 2.0;
    let ln_lam = lam.ln();
    let term = |j: f64| -> (f64, f64) {
        // ln of the weights without their sign; λ = 0 leaves only j = 0.
        let (lp, lq) = if lam == 0.0 {
            (if j == 0.0 { 0.0 } else { f64::NEG_INFINITY }, if j == 0.0 { -ln_gamma(1.5) - 0.5 * 2f64.ln() } else { f64::NEG_INFINITY })
        } else {
            (-lam + j * ln_lam - ln_gamma(j + 1.0), -lam + j * ln_lam - ln_gamma(j + 1.5) - 0.5 * 2f64.ln())
        };
        let p = lp.exp();
        let q = delta * lq.exp();
        (p, q)
    };
    let add = |j: f64| -> (f64, f64) {
        let (p, q) = term(j);
        let v = if p > 0.0 { p * beta_reg(j + 0.5, b, y) } else { 0.0 } + if q != 0.0 { q * beta_reg(j + 1.0, b, y) } else { 0.0 };
        (v, p.max(q.abs()))
    };
    // Outward from the mode of the Poisson weights; each side stops once the weights are negligible.
    let mode = lam.floor();
    let mut sum = 0.0;
    let mut j = mode;
    loop {
        let (v, w) = add(j);
        sum += v;
        j += 1.0;
        if (w < TINY && j > mode + 1.0) || j > mode + 1e5 {
            break;
        }
    }
    let mut j = mode - 1.0;
    while j >= 0.0 {
        let (v, w) = add(j);
        sum += v;
        if w < TINY {
            break;
        }
        j -= 1.0;
    }
    (phi + 0.5 * sum).clamp(0.0, 1.0)
}

/// P(T ≤ x) for T noncentral t with `df` degrees of freedom and noncentrality `delta`.
pub fn nct_cdf(x: f64, df: f64, delta: f64) -> f64 {
    if x >= 0.0 {
        nct_cdf_nonneg(x, df, delta)
    } else {
        1.0 - nct_cdf_nonneg(-x, df, -delta)
    }
}

/// Welch–Satterthwaite degrees of freedom when both groups have the same variance.
pub fn welch_df_equal_var(n_a: usize, n_b: usize) -> f64 {
    let (a, b) = (1.0 / n_a as f64, 1.0 / n_b as f64);
    (a + b).powi(2) / (a * a / (n_a as f64 - 1.0) + b * b / (n_b as f64 - 1.0))
}

/// Power of the two-sided Welch t-test at level `alpha` to detect a difference
/// of `d` common standard deviations between normal groups of `n_a` and `n_b`,
/// by the usual approximation: the noncentral t with δ = d / √(1/n_a + 1/n_b)
/// and the Welch–Satterthwaite df of equal variances. It is close for groups
/// of similar size, but with few values in one group it is far off (for 12
/// and 3 at α = 0.01: 0.049 where the test rejects 11% of the time), because
/// the test's own df varies with the sample variances; see [`welch_power`].
pub fn welch_power_nct(n_a: usize, n_b: usize, d: f64, alpha: f64) -> Result<f64> {
    check_power_args(n_a, n_b, d, alpha)?;
    let df = welch_df_equal_var(n_a, n_b);
    let crit = t_quantile(df, 1.0 - alpha / 2.0)?;
    let delta = d / (1.0 / n_a as f64 + 1.0 / n_b as f64).sqrt();
    Ok(((1.0 - nct_cdf(crit, df, delta)) + nct_cdf(-crit, df, delta)).clamp(0.0, 1.0))
}

fn check_power_args(n_a: usize, n_b: usize, d: f64, alpha: f64) -> Result<()> {
    if n_a < 2 || n_b < 2 {
        return Err(Error::Input(format!("the power of Welch's t-test needs at least 2 values per group, got {n_a} and {n_b}")));
    }
    if !(alpha > 0.0 && alpha < 1.0) || !d.is_finite() {
        return Err(Error::Input(format!("power of Welch's t-test: alpha must be in (0, 1) and d finite, got {alpha} and {d}")));
    }
    Ok(())
}

fn t_quantile(df: f64, p: f64) -> Result<f64> {
    Ok(StudentsT::new(0.0, 1.0, df)
        .map_err(|e| Error::Input(format!("power of Welch's t-test: no t distribution with {df} degrees of freedom ({e})")))?
        .inverse_cdf(p))
}

/// Gauss–Legendre nodes and weights on [0, 1], `k` per panel, `panels` equal panels.
fn gauss_legendre01(k: usize, panels: usize) -> Vec<(f64, f64)> {
    let mut base = Vec::with_capacity(k);
    for i in 0..k {
        // Newton's method on P_k from the usual starting guess.
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (k as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for n in 2..=k {
                let p2 = ((2 * n - 1) as f64 * x * p1 - (n - 1) as f64 * p0) / n as f64;
                p0 = p1;
                p1 = p2;
            }
            dp = k as f64 * (x * p1 - p0) / (x * x - 1.0);
            let step = p1 / dp;
            x -= step;
            if step.abs() < 1e-15 {
                break;
            }
        }
        base.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
    }
    let h = 1.0 / panels as f64;
    (0..panels)
        .flat_map(|p| base.iter().map(move |&(x, w)| (h * (p as f64 + 0.5 * (x + 1.0)), 0.5 * h * w)))
        .collect()
}

/// Power of the two-sided Welch t-test at level `alpha` to detect a difference
/// of `d` common standard deviations between normal groups of `n_a` and `n_b`,
/// computed exactly (to about 1e-4) rather than by the noncentral-t
/// approximation: given the two sample variances, the mean difference is
/// normal and the test's df and critical value are fixed, so the power is
/// that normal probability averaged over the two (scaled χ²) sample
/// variances, a 2-D integral taken by Gauss–Legendre quadrature in their
/// quantiles (64 × 64 nodes). `make_effect.py` checks it against scipy's
/// `dblquad` of the same integral and a simulation of `ttest_ind`.
pub fn welch_power(n_a: usize, n_b: usize, d: f64, alpha: f64) -> Result<f64> {
    check_power_args(n_a, n_b, d, alpha)?;
    let (na, nb) = (n_a as f64, n_b as f64);
    let sd_diff = (1.0 / na + 1.0 / nb).sqrt();
    let nodes = gauss_legendre01(16, 4);
    let quantiles = |k: f64| -> Result<Vec<f64>> {
        let chi = ChiSquared::new(k).map_err(|e| Error::Input(format!("power of Welch's t-test: χ² with {k} df ({e})")))?;
        Ok(nodes.iter().map(|&(p, _)| chi.inverse_cdf(p) / k).collect())
    };
    // Sample variances over σ² at the nodes: χ²_{n-1} / (n - 1).
    let (va, vb) = (quantiles(na - 1.0)?, quantiles(nb - 1.0)?);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let mut power = 0.0;
    for (i, &(_, wa)) in nodes.iter().enumerate() {
        for (j, &(_, wb)) in nodes.iter().enumerate() {
            let (sa, sb) = (va[i] / na, vb[j] / nb);
            let se = (sa + sb).sqrt();
            let df = (sa + sb).powi(2) / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
            let c = t_quantile(df, 1.0 - alpha / 2.0)? * se;
            let reject = normal.cdf((-c - d) / sd_diff) + normal.sf((c - d) / sd_diff);
            power += wa * wb * reject;
        }
    }
    Ok(power.clamp(0.0, 1.0))
}

/// Hedges' g (a's mean minus b's, in pooled standard deviations, bias-corrected)
/// and its confidence interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HedgesG {
    /// J · d, with d = (mean_a − mean_b) / s_pooled and J = Γ(m/2) / (√(m/2) Γ((m−1)/2)), m = n_a + n_b − 2.
    pub g: f64,
    /// Cohen's d (uncorrected), for reference.
    pub d: f64,
    /// The interval's ends: the noncentralities whose t distributions put the
    /// observed pooled t at the upper and lower (1 − level)/2 tails, as d, times J.
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval's coverage (0.95).
    pub level: f64,
}

/// Hedges' g of `a` vs `b` with its `level` confidence interval (noncentral t
/// inversion, Steiger & Fouladi 1997; the interval of d scaled by J, as
/// R's `effectsize::hedges_g` does).
pub fn hedges_g(a: &[f64], b: &[f64], level: f64) -> Result<HedgesG> {
    for (x, name) in [(a, "a"), (b, "b")] {
        if x.len() < 2 {
            return Err(Error::Input(format!("Hedges' g needs at least 2 values in group {name}, got {}", x.len())));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::Input(format!("Hedges' g: group {name} has a non-finite value ({}) at {i}", x[i])));
        }
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::Input(format!("Hedges' g: the confidence level must be in (0, 1), got {level}")));
    }
    let moments = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        (m, x.iter().map(|v| (v - m) * (v - m)).sum::<f64>())
    };
    let ((ma, ssa), (mb, ssb)) = (moments(a), moments(b));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let m = na + nb - 2.0;
    let sp = ((ssa + ssb) / m).sqrt();
    if sp == 0.0 {
        return Err(Error::Input("Hedges' g is undefined: both groups have zero variance".into()));
    }
    let d = (ma - mb) / sp;
    let j = (ln_gamma(m / 2.0) - ln_gamma((m - 1.0) / 2.0)).exp() / (m / 2.0).sqrt();
    let scale = (1.0 / na + 1.0 / nb).sqrt();
    let t = d / scale;
    let tail = (1.0 - level) / 2.0;
    // The CDF at the observed t falls as δ grows: the lower end puts t at the
    // upper tail, the upper end at the lower tail.
    let lo = solve_delta(t, m, 1.0 - tail)?;
    let hi = solve_delta(t, m, tail)?;
    Ok(HedgesG { g: j * d, d, ci_low: j * lo * scale, ci_high: j * hi * scale, level })
}

/// The δ with P(T_δ ≤ t) = p (the CDF is decreasing in δ), by bisection.
fn solve_delta(t: f64, df: f64, p: f64) -> Result<f64> {
    let f = |delta: f64| nct_cdf(t, df, delta) - p;
    let (mut lo, mut hi) = (t - 10.0, t + 10.0);
    let mut grow = 10.0;
    while f(lo) < 0.0 || f(hi) > 0.0 {
        grow *= 2.0;
        lo = t - grow;
        hi = t + grow;
        if grow > 1e4 {
            return Err(Error::Input(format!("Hedges' g: no confidence bound found for t = {t} with {df} degrees of freedom")));
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * (1.0 + mid.abs()) {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_case_is_students_t() {
        let t = StudentsT::new(0.0, 1.0, 5.3).unwrap();
        for x in [-3.0, -0.5, 0.0, 0.7, 2.5] {
            assert!((nct_cdf(x, 5.3, 0.0) - t.cdf(x)).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn g_is_antisymmetric_and_errors_name_the_problem() {
        let (a, b) = ([0.9, 0.6, 0.8, 0.7], [0.1, 0.3, 0.25]);
        let (x, y) = (hedges_g(&a, &b, 0.95).unwrap(), hedges_g(&b, &a, 0.95).unwrap());
        assert!((x.g + y.g).abs() < 1e-12 && (x.ci_low + y.ci_high).abs() < 1e-8);
        assert!(x.ci_low < x.g && x.g < x.ci_high);
        assert!(hedges_g(&[1.0], &b, 0.95).unwrap_err().to_string().contains("group a"));
        assert!(hedges_g(&[1.0, 1.0], &[2.0, 2.0], 0.95).unwrap_err().to_string().contains("zero variance"));
        assert!(welch_power(1, 5, 1.0, 0.01).unwrap_err().to_string().contains("at least 2"));
    }

    #[test]
    fn power_grows_with_n_and_d() {
        let p = |n, d| welch_power(n, n, d, 0.01).unwrap();
        assert!(p(3, 1.0) < p(10, 1.0) && p(10, 1.0) < p(40, 1.0));
        assert!(p(10, 0.5) < p(10, 1.0));
        assert!((p(10, 0.0) - 0.01).abs() < 1e-3, "at d = 0 the power is about alpha");
        assert!((welch_power_nct(10, 10, 0.0, 0.01).unwrap() - 0.01).abs() < 1e-9);
    }
}
