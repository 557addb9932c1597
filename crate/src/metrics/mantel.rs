//! Stimulus-label permutation test of an RDM comparison (Mantel 1967, "The
//! detection of disease clustering and a generalized regression approach",
//! Cancer Research; for RSA Kriegeskorte et al. 2008 and Nili et al. 2014).
//!
//! The stimuli of the second RDM are relabelled (rows and columns permuted
//! together) N times; p = (1 + #{perm >= observed}) / (1 + N), one-sided
//! (higher similarity is the alternative). Permutations are spread over rayon
//! threads; permutation k always draws from its own seeded stream and the
//! count is an integer, so p is bit-identical for any thread count. The
//! permutations cannot match a Python generator's; the test's properties are
//! checked instead.

use super::rdm::Rdm;
use super::rdm_compare::{compare, compare_vectors, Compare};
use super::resample::{draw_rng, permutation};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;

/// Default number of permutations.
pub const DEFAULT_PERMUTATIONS: usize = 10_000;

/// Outcome of a permutation test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MantelResult {
    /// The observed similarity of the two RDMs.
    pub value: f64,
    /// One-sided p = (1 + #{permuted >= observed}) / (1 + permutations).
    pub p_value: f64,
    pub permutations: usize,
    /// How many permuted similarities reached the observed one.
    pub at_least_observed: usize,
    /// Mean of the permuted similarities (the null's centre), sequential f64 sum.
    pub null_mean: f64,
    pub method: Compare,
    pub seed: u64,
}

/// Permutation test of `compare(a, b, method)` relabelling the stimuli of `b`.
pub fn mantel(
    a: &Rdm,
    b: &Rdm,
    method: Compare,
    permutations: usize,
    seed: u64,
) -> Result<MantelResult> {
    if permutations == 0 {
        return Err(Error::Input(
            "the permutation test needs at least 1 permutation".into(),
        ));
    }
    let value = compare(a, b, method)?;
    let n = a.n();
    let null: Vec<f64> = (0..permutations)
        .into_par_iter()
        .map(|k| {
            let perm = permutation(&mut draw_rng(seed, "rsa/mantel", k), n);
            // A relabelled RDM has the same values as `b`, so this does not fail
            // once the observed comparison succeeded.
            b.permuted(&perm)
                .and_then(|bp| compare_vectors(a.condensed(), bp.condensed(), method))
        })
        .collect::<Result<_>>()?;
    let at_least_observed = null.iter().filter(|&&v| v >= value).count();
    let null_mean = null.iter().sum::<f64>() / permutations as f64;
    Ok(MantelResult {
        value,
        p_value: (1 + at_least_observed) as f64 / (1 + permutations) as f64,
        permutations,
        at_least_observed,
        null_mean,
        method,
        seed,
    })
}

/// Per-subject and group permutation tests of one model RDM against several
/// subjects' RDMs over the same stimuli.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MantelSubjects {
    /// Each subject's similarity to the model, in subject order.
    pub values: Vec<f64>,
    /// Each subject's one-sided p = (1 + #{permuted >= observed}) / (1 + N).
    pub p_values: Vec<f64>,
    /// The mean over subjects of `values` (the value a plot of the subjects' mean shows).
    pub mean: f64,
    /// The group test of that mean: the same relabelling applied to every
    /// subject, the mean over subjects recomputed, p as above.
    pub p_mean: f64,
    pub permutations: usize,
    pub method: Compare,
    pub seed: u64,
}

/// Permutation tests of `compare(a, subject, method)` for every subject and of
/// their mean, relabelling the stimuli of every subject's RDM by the same
/// permutation (so the mean's null keeps the subjects' mutual dependence).
/// Permutation k is [`mantel`]'s permutation k: with one subject both give the
/// same p. Bit-identical for any thread count (counts of f64 comparisons; each
/// mean summed in subject order).
pub fn mantel_subjects(
    a: &Rdm,
    subjects: &[Rdm],
    method: Compare,
    permutations: usize,
    seed: u64,
) -> Result<MantelSubjects> {
    if permutations == 0 {
        return Err(Error::Input(
            "the permutation test needs at least 1 permutation".into(),
        ));
    }
    if subjects.is_empty() {
        return Err(Error::Input("the per-subject test needs at least 1 subject RDM".into()));
    }
    let values = subjects
        .iter()
        .map(|b| compare(a, b, method))
        .collect::<Result<Vec<f64>>>()?;
    let k = subjects.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    let n = a.n();
    let null: Vec<Vec<f64>> = (0..permutations)
        .into_par_iter()
        .map(|j| {
            let perm = permutation(&mut draw_rng(seed, "rsa/mantel", j), n);
            subjects
                .iter()
                .map(|b| {
                    b.permuted(&perm)
                        .and_then(|bp| compare_vectors(a.condensed(), bp.condensed(), method))
                })
                .collect::<Result<Vec<f64>>>()
        })
        .collect::<Result<_>>()?;
    let p = |hits: usize| (1 + hits) as f64 / (1 + permutations) as f64;
    let p_values = (0..subjects.len())
        .map(|s| p(null.iter().filter(|v| v[s] >= values[s]).count()))
        .collect();
    let p_mean = p(null.iter().filter(|v| v.iter().sum::<f64>() / k >= mean).count());
    Ok(MantelSubjects { values, p_values, mean, p_mean, permutations, method, seed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rdm::{rdm, Distance};
    use nalgebra::DMatrix;

    fn random(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, 0)
    }

    #[test]
    fn an_rdm_against_itself_and_a_noisy_copy_is_significant() {
        let x = random(20, 10, 1);
        let a = rdm(&x, Distance::Correlation).unwrap();
        let r = mantel(&a, &a, Compare::TauA, 999, 3).unwrap();
        assert_eq!(
            (r.value, r.at_least_observed, r.p_value),
            (1.0, 0, 1.0 / 1000.0)
        );
        assert!(r.null_mean.abs() < 0.05, "{}", r.null_mean);
        let noise = random(20, 10, 2);
        let b = rdm(&(&x + noise * 0.5), Distance::Correlation).unwrap();
        let r = mantel(&a, &b, Compare::Spearman, 999, 3).unwrap();
        assert!(r.p_value <= 0.002, "{}", r.p_value);
        // A relabelled copy carries no stimulus-wise agreement.
        let perm: Vec<usize> = (0..20).map(|i| (i * 7 + 3) % 20).collect();
        let c = a.permuted(&perm).unwrap();
        let r = mantel(&a, &c, Compare::TauA, 999, 3).unwrap();
        assert!(r.p_value > 0.01, "{}", r.p_value);
    }

    #[test]
    fn p_values_of_independent_rdms_are_roughly_uniform() {
        let mut ps = Vec::new();
        for k in 0..200 {
            let a = rdm(&random(8, 3, 1000 + k), Distance::Euclidean).unwrap();
            let b = rdm(&random(8, 3, 5000 + k), Distance::Euclidean).unwrap();
            ps.push(mantel(&a, &b, Compare::Pearson, 99, k).unwrap().p_value);
        }
        let below = |t: f64| ps.iter().filter(|&&p| p <= t).count();
        // Binomial(200, q): mean 200q, sd <= 7.1.
        for (t, lo, hi) in [
            (0.1, 5, 38),
            (0.25, 28, 72),
            (0.5, 75, 125),
            (0.75, 128, 172),
        ] {
            let c = below(t);
            assert!((lo..=hi).contains(&c), "P(p <= {t}) count {c}");
        }
    }

    #[test]
    fn seeded_and_same_bits_for_one_and_three_threads() {
        let a = rdm(&random(15, 6, 4), Distance::Euclidean).unwrap();
        let b = rdm(&random(15, 6, 5), Distance::Euclidean).unwrap();
        let run = |t: usize, seed: u64| {
            crate::testing::in_pool(t, || mantel(&a, &b, Compare::TauA, 500, seed).unwrap())
        };
        let (one, three) = (run(1, 9), run(3, 9));
        assert_eq!(one.p_value.to_bits(), three.p_value.to_bits());
        assert_eq!(one.null_mean.to_bits(), three.null_mean.to_bits());
        assert_eq!(one, run(1, 9));
        assert_ne!(one.null_mean, run(1, 10).null_mean);
    }

    #[test]
    fn subjects_test_each_subject_and_their_mean() {
        let x = random(16, 8, 11);
        let a = rdm(&x, Distance::Correlation).unwrap();
        // Two subjects that follow the model (one noisier), one that does not.
        let subj: Vec<Rdm> = [(0.3, 12), (1.0, 13)]
            .iter()
            .map(|&(s, seed)| rdm(&(&x + random(16, 8, seed) * s), Distance::Correlation).unwrap())
            .chain(std::iter::once(rdm(&random(16, 8, 14), Distance::Correlation).unwrap()))
            .collect();
        let r = mantel_subjects(&a, &subj, Compare::TauA, 499, 5).unwrap();
        for (s, b) in subj.iter().enumerate() {
            // With one subject it is the plain Mantel test, permutation for permutation.
            let one = mantel(&a, b, Compare::TauA, 499, 5).unwrap();
            assert_eq!((r.values[s], r.p_values[s]), (one.value, one.p_value), "subject {s}");
        }
        assert!(r.p_values[0] < 0.01 && r.p_values[2] > 0.01, "{r:?}");
        let mean = r.values.iter().sum::<f64>() / 3.0;
        assert_eq!(r.mean, mean);
        assert!(r.p_mean < 0.05, "{r:?}");
        let run = |t: usize| crate::testing::in_pool(t, || mantel_subjects(&a, &subj, Compare::TauA, 200, 8).unwrap());
        assert_eq!(run(1), run(3));
        assert!(mantel_subjects(&a, &[], Compare::TauA, 10, 0).unwrap_err().to_string().contains("at least 1 subject"));
    }
}
