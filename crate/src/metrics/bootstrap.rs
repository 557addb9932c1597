//! Bootstrap confidence interval of an RDM comparison over stimuli (Efron &
//! Tibshirani 1993; for RSA Nili et al. 2014 and Schütt et al. 2023, "Statistical
//! inference on representational geometries", eLife).
//!
//! Each sample draws n stimuli with replacement (seeded, one stream per
//! sample) and compares the two RDMs restricted to them. As in rsatoolbox's
//! `bootstrap_sample_pattern` + `RDMs.subsample_pattern`, the pair of a
//! stimulus with its own duplicate (a zero dissimilarity that any model
//! "predicts") is left out: only pairs of distinct original stimuli remain,
//! each as often as it was drawn. The interval is the percentile interval,
//! with `numpy.percentile`'s linear interpolation.

use super::rdm::Rdm;
use super::rdm_compare::{compare, compare_vectors, Compare};
use super::resample::{draw_rng, with_replacement};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;

/// Default number of bootstrap samples.
pub const DEFAULT_SAMPLES: usize = 1000;
/// Default confidence level.
pub const DEFAULT_LEVEL: f64 = 0.95;

/// Point estimate and percentile interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BootstrapResult {
    /// The similarity on all stimuli.
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
    pub level: f64,
    /// Standard deviation of the bootstrap distribution (ddof = 1).
    pub std: f64,
    /// Samples asked for.
    pub samples: usize,
    /// Samples whose comparison was undefined (a resampled RDM was constant),
    /// left out of the interval.
    pub undefined_samples: usize,
    pub method: Compare,
    pub seed: u64,
}

/// Percentile bootstrap CI of `compare(a, b, method)` resampling stimuli.
pub fn bootstrap_ci(
    a: &Rdm,
    b: &Rdm,
    method: Compare,
    samples: usize,
    level: f64,
    seed: u64,
) -> Result<BootstrapResult> {
    if samples < 2 {
        return Err(Error::Input(format!(
            "the bootstrap needs at least 2 samples, got {samples}"
        )));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::Input(format!(
            "the confidence level must be between 0 and 1 (exclusive), got {level}"
        )));
    }
    let value = compare(a, b, method)?;
    let n = a.n();
    let draws: Vec<Option<f64>> = (0..samples)
        .into_par_iter()
        .map(|k| {
            let idx = with_replacement(&mut draw_rng(seed, "rsa/bootstrap", k), n);
            let (va, vb) = resampled_pairs(a, b, &idx);
            compare_vectors(&va, &vb, method).ok()
        })
        .collect();
    let mut good: Vec<f64> = draws.iter().flatten().copied().collect();
    let undefined_samples = samples - good.len();
    if good.len() < 2 {
        return Err(Error::Input(format!(
            "only {} of {samples} bootstrap samples gave a defined {} comparison",
            good.len(),
            method.rsatoolbox_name()
        )));
    }
    let mean = good.iter().sum::<f64>() / good.len() as f64;
    let std = (good.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (good.len() - 1) as f64)
        .sqrt();
    good.sort_unstable_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Ok(BootstrapResult {
        value,
        lower: percentile(&good, alpha),
        upper: percentile(&good, 1.0 - alpha),
        level,
        std,
        samples,
        undefined_samples,
        method,
        seed,
    })
}

/// The dissimilarities of both RDMs over the pairs (i < j) of the drawn
/// stimuli `idx`, leaving out pairs of a stimulus with its own copy.
pub fn resampled_pairs(a: &Rdm, b: &Rdm, idx: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    for (i, &s) in idx.iter().enumerate() {
        for &t in &idx[i + 1..] {
            if s != t {
                va.push(a.get(s, t));
                vb.push(b.get(s, t));
            }
        }
    }
    (va, vb)
}

/// Quantile q of sorted values, linear interpolation (numpy's default).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rdm::{rdm, Distance};
    use crate::rng::SeededRng;
    use nalgebra::DMatrix;

    fn pair(noise: f64) -> (Rdm, Rdm) {
        let mut r = SeededRng::new(11, 0);
        let x = DMatrix::from_fn(25, 10, |_, _| r.standard_normal());
        let e = DMatrix::from_fn(25, 10, |_, _| noise * r.standard_normal());
        (
            rdm(&x, Distance::Correlation).unwrap(),
            rdm(&(&x + e), Distance::Correlation).unwrap(),
        )
    }

    #[test]
    fn interval_contains_the_estimate_and_is_seeded() {
        let (a, b) = pair(0.7);
        for method in [
            Compare::TauA,
            Compare::Spearman,
            Compare::Pearson,
            Compare::Cosine,
        ] {
            let r = bootstrap_ci(&a, &b, method, 300, 0.95, 1).unwrap();
            assert!(r.lower < r.value && r.value < r.upper, "{method:?} {r:?}");
            assert!(r.upper - r.lower > 0.01 && r.upper <= 1.0);
            assert_eq!(r, bootstrap_ci(&a, &b, method, 300, 0.95, 1).unwrap());
            let narrow = bootstrap_ci(&a, &b, method, 300, 0.5, 1).unwrap();
            assert!(narrow.lower > r.lower && narrow.upper < r.upper);
        }
        assert_ne!(
            bootstrap_ci(&a, &b, Compare::TauA, 50, 0.95, 1).unwrap(),
            bootstrap_ci(&a, &b, Compare::TauA, 50, 0.95, 2).unwrap()
        );
    }

    #[test]
    fn duplicate_pairs_are_left_out() {
        let (a, b) = pair(0.1);
        let (va, _) = resampled_pairs(&a, &b, &[0, 0, 1, 2, 2, 2]);
        // 15 pairs, minus (0,0) once and (2,2) three times
        assert_eq!(va.len(), 11);
        assert!(va.iter().all(|&v| v > 0.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert!((percentile(&[1.0, 2.0, 3.0, 4.0], 0.025) - 1.075).abs() < 1e-12);
    }

    #[test]
    fn same_bits_for_one_and_three_threads() {
        let (a, b) = pair(1.0);
        let run = |t: usize| {
            crate::testing::in_pool(t, || bootstrap_ci(&a, &b, Compare::Spearman, 100, 0.9, 4).unwrap())
        };
        let (x, y) = (run(1), run(3));
        assert_eq!(
            (x.lower.to_bits(), x.upper.to_bits(), x.std.to_bits()),
            (y.lower.to_bits(), y.upper.to_bits(), y.std.to_bits())
        );
    }
}
