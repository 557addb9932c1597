//! Noise ceiling of RDM comparisons from several subjects' RDMs (Nili et al.
//! 2014, "A toolbox for representational similarity analysis", PLoS Comput.
//! Biol.), leave one subject out, as `rsatoolbox.inference.noise_ceiling.boot_noise_ceiling`
//! (the one used by `rsatoolbox.inference.eval_fixed`).
//!
//! upper = mean over subjects s of similarity(pool(all subjects), s);
//! lower = mean over s of similarity(pool(subjects other than s), s).
//! "pool" is rsatoolbox's `pool_rdm`: the RDM that best fits a group under the
//! comparison method, so it depends on the method:
//! - cosine: each RDM divided by its root mean square, then averaged;
//! - pearson ('corr'): each RDM z-scored (population std), averaged, minus its minimum;
//! - spearman and tau-a: each RDM replaced by its average ranks, then averaged
//!   (rsatoolbox warns "Noise ceiling for tau based on averaged ranks!": for
//!   tau-a the pooled RDM is the mean rank vector, compared by tau-a).

use super::ranks::average_ranks;
use super::rdm::Rdm;
use super::rdm_compare::{compare_vectors, Compare};
use crate::error::{Error, Result};
use serde::Serialize;

/// The two bounds, and each subject's contribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoiseCeiling {
    /// The lower bound (the conservative ceiling a model can be held to).
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
    /// similarity(pool(others), subject s), in subject order.
    pub lower_per_subject: Vec<f64>,
    /// similarity(pool(all), subject s), in subject order.
    pub upper_per_subject: Vec<f64>,
    pub subjects: usize,
    pub method: Compare,
}

/// Leave-one-subject-out noise ceiling of `method` for RDMs over the same stimuli.
pub fn noise_ceiling(subjects: &[Rdm], method: Compare) -> Result<NoiseCeiling> {
    if subjects.len() < 2 {
        return Err(Error::Input(format!(
            "a leave-one-subject-out noise ceiling needs at least 2 subject RDMs, got {}",
            subjects.len()
        )));
    }
    let n = subjects[0].n();
    if let Some((s, r)) = subjects.iter().enumerate().find(|(_, r)| r.n() != n) {
        return Err(Error::Input(format!(
            "subject RDMs must share their stimuli: subject 0 has {n}, subject {s} has {}",
            r.n()
        )));
    }
    let prepared: Vec<Vec<f64>> = subjects
        .iter()
        .enumerate()
        .map(|(s, r)| prepare(r.condensed(), method, s))
        .collect::<Result<_>>()?;
    let all: Vec<usize> = (0..subjects.len()).collect();
    let pooled_all = pool(&prepared, &all, method);
    let mut lower_per_subject = Vec::with_capacity(subjects.len());
    let mut upper_per_subject = Vec::with_capacity(subjects.len());
    for (s, r) in subjects.iter().enumerate() {
        let others: Vec<usize> = all.iter().copied().filter(|&t| t != s).collect();
        let pooled_others = pool(&prepared, &others, method);
        lower_per_subject.push(compare_vectors(&pooled_others, r.condensed(), method)?);
        upper_per_subject.push(compare_vectors(&pooled_all, r.condensed(), method)?);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let lower = mean(&lower_per_subject);
    Ok(NoiseCeiling {
        value: lower,
        lower,
        upper: mean(&upper_per_subject),
        lower_per_subject,
        upper_per_subject,
        subjects: subjects.len(),
        method,
    })
}

/// Each subject's RDM normalised as `pool_rdm` does before averaging.
fn prepare(v: &[f64], method: Compare, subject: usize) -> Result<Vec<f64>> {
    let m = v.len() as f64;
    let undefined = |what: &str| {
        Error::Input(format!(
            "subject {subject}'s RDM is {what}, so it cannot be pooled for a {} noise ceiling",
            method.rsatoolbox_name()
        ))
    };
    Ok(match method {
        Compare::Cosine => {
            let rms = (v.iter().map(|x| x * x).sum::<f64>() / m).sqrt();
            if rms <= 0.0 {
                return Err(undefined("all zero"));
            }
            v.iter().map(|x| x / rms).collect()
        }
        Compare::Pearson => {
            let mean = v.iter().sum::<f64>() / m;
            let c: Vec<f64> = v.iter().map(|x| x - mean).collect();
            let sd = (c.iter().map(|x| x * x).sum::<f64>() / m).sqrt();
            if sd <= 0.0 {
                return Err(undefined("constant"));
            }
            c.iter().map(|x| x / sd).collect()
        }
        Compare::Spearman | Compare::TauA => average_ranks(v),
    })
}

/// Mean of the chosen prepared RDMs (minus its minimum for pearson, as rsatoolbox).
fn pool(prepared: &[Vec<f64>], which: &[usize], method: Compare) -> Vec<f64> {
    let m = prepared[0].len();
    let mut out = vec![0.0; m];
    for &s in which {
        for (o, x) in out.iter_mut().zip(&prepared[s]) {
            *o += x;
        }
    }
    let k = which.len() as f64;
    for o in &mut out {
        *o /= k;
    }
    if method == Compare::Pearson {
        let min = out.iter().copied().fold(f64::INFINITY, f64::min);
        for o in &mut out {
            *o -= min;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rdm::{rdm, Distance};
    use crate::rng::SeededRng;
    use nalgebra::DMatrix;

    fn subjects(k: usize, noise: f64) -> Vec<Rdm> {
        let mut r = SeededRng::new(3, 0);
        let truth = DMatrix::from_fn(30, 12, |_, _| r.standard_normal());
        (0..k)
            .map(|_| {
                let e = DMatrix::from_fn(30, 12, |_, _| noise * r.standard_normal());
                rdm(&(&truth + e), Distance::Correlation).unwrap()
            })
            .collect()
    }

    #[test]
    fn bounds_are_ordered_and_tighten_with_less_noise() {
        for method in [
            Compare::TauA,
            Compare::Spearman,
            Compare::Pearson,
            Compare::Cosine,
        ] {
            let noisy = noise_ceiling(&subjects(6, 1.0), method).unwrap();
            let clean = noise_ceiling(&subjects(6, 0.1), method).unwrap();
            assert!(
                noisy.lower < noisy.upper && noisy.upper <= 1.0,
                "{method:?} {noisy:?}"
            );
            assert!(
                clean.lower > noisy.lower && clean.upper - clean.lower < noisy.upper - noisy.lower
            );
        }
        // Identical subjects: both bounds are perfect for the correlation methods.
        let same = vec![subjects(1, 0.5)[0].clone(); 3];
        let nc = noise_ceiling(&same, Compare::Pearson).unwrap();
        assert!((nc.lower - 1.0).abs() < 1e-12 && (nc.upper - 1.0).abs() < 1e-12);
    }

    #[test]
    fn refuses_one_subject_and_mismatched_stimuli() {
        let s = subjects(2, 1.0);
        assert!(noise_ceiling(&s[..1], Compare::TauA)
            .unwrap_err()
            .to_string()
            .contains("at least 2"));
        let small = Rdm::from_condensed(vec![1.0, 2.0, 3.0]).unwrap();
        let e = noise_ceiling(&[s[0].clone(), small], Compare::TauA)
            .unwrap_err()
            .to_string();
        assert!(e.contains("subject 1 has 3"), "{e}");
    }
}
