//! Train/test splits of the stimuli, shared by every mapping (ridge, MLP) so
//! that their held-out scores are compared on the same images.
//!
//! The seed paper and Brain-Score draw K random 90/10 splits; a split file can
//! pin them instead (to compare with another tool on the same images).
//!
//! A held-out correlation or R² over a handful of images means nothing (over
//! 2 images a Pearson r is always ±1), so [`plan`] keeps the random splits
//! only when each holds out at least [`MIN_TEST_IMAGES`]; with fewer images it
//! switches to K-fold cross-validation, whose held-out predictions are pooled
//! so that the score is read over every image, and below that it refuses.

use crate::error::{Error, Result};
use crate::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// One split: stimulus indices (rows) to fit on and to score on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// The fewest held-out images a mapping's score (Pearson r, R²) is read
/// over: per split when the random splits hold that many, else pooled over
/// K-fold cross-validation; a run with fewer images in all is refused.
pub const MIN_TEST_IMAGES: usize = 10;

/// How a mapping's held-out images are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// K seeded random splits, each scored on its own test images.
    Random,
    /// The user's splits, scored as given.
    Given,
    /// K folds that hold out every image exactly once; the held-out
    /// predictions are pooled and scored over all n images together.
    KFold,
}

impl Scheme {
    /// `random`, `given` or `k-fold`, as results say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Random => "random",
            Scheme::Given => "given",
            Scheme::KFold => "k-fold",
        }
    }
}

/// The splits a mapping runs on, how they were chosen, and what the result
/// must say about it (a switch to cross-validation, or given splits too small).
#[derive(Clone, Debug)]
pub struct SplitPlan {
    pub splits: Vec<Split>,
    pub scheme: Scheme,
    /// The fewest held-out images one score is read over: a split's test set, or n pooled.
    pub test_images: usize,
    pub warning: Option<String>,
}

/// The rule of the module doc: `given` splits as they are (with a warning
/// when one holds out fewer than [`MIN_TEST_IMAGES`]); else `k` random splits
/// when each holds out at least [`MIN_TEST_IMAGES`] (exactly
/// [`random_splits`], so larger runs are unchanged); else `k` folds (capped at
/// n / 2, so that a fold holds out at least 2 images, as a ridge fit checks) pooled, with a warning; with fewer than [`MIN_TEST_IMAGES`] images, an
/// error. `metric` names the metric in the messages.
pub fn plan(n: usize, k: usize, test_fraction: f64, seed: u64, given: Option<&[Split]>, metric: &str) -> Result<SplitPlan> {
    if let Some(s) = given {
        validate(s, n)?;
        let m = s.iter().map(|s| s.test.len()).min().unwrap_or(0);
        let warning = (m < MIN_TEST_IMAGES).then(|| {
            format!("{metric}: a given split holds out only {m} images, fewer than the {MIN_TEST_IMAGES} a held-out score needs; scored on the splits as given, so each split's score is noisy")
        });
        return Ok(SplitPlan { splits: s.to_vec(), scheme: Scheme::Given, test_images: m, warning });
    }
    let n_test = test_size(n, k, test_fraction)?;
    if n_test >= MIN_TEST_IMAGES {
        return Ok(SplitPlan { splits: random_splits(n, k, test_fraction, seed)?, scheme: Scheme::Random, test_images: n_test, warning: None });
    }
    if let Some(why) = too_few(n, metric) {
        return Err(Error::Input(why));
    }
    let folds = k.clamp(2, n / 2);
    let warning = format!(
        "{metric}: {n} images give {n_test} test images per split ({:.0}% of {n}), fewer than the {MIN_TEST_IMAGES} a held-out score needs; \
         scored by {folds}-fold cross-validation instead: every image held out once, the score read over all {n} pooled held-out predictions",
        test_fraction * 100.0
    );
    Ok(SplitPlan { splits: k_folds(n, folds, seed), scheme: Scheme::KFold, test_images: n, warning: Some(warning) })
}

/// Why `n` stimuli are too few for a held-out score of `metric`, if they are.
pub fn too_few(n: usize, metric: &str) -> Option<String> {
    (n < MIN_TEST_IMAGES).then(|| {
        format!("{metric}: {n} stimuli are too few for a held-out score: it needs at least {MIN_TEST_IMAGES} held-out images, and even cross-validation holds out only {n}; not scored")
    })
}

/// K folds of n stimuli (sizes differing by at most one) from one seeded
/// shuffle: each stimulus is in exactly one fold's test set.
pub fn k_folds(n: usize, k: usize, seed: u64) -> Vec<Split> {
    let order = shuffled(n, seed, "k-fold");
    (0..k)
        .map(|i| {
            let (a, b) = (i * n / k, (i + 1) * n / k);
            let mut test = order[a..b].to_vec();
            let mut train: Vec<usize> = order[..a].iter().chain(&order[b..]).copied().collect();
            test.sort_unstable();
            train.sort_unstable();
            Split { train, test }
        })
        .collect()
}

/// The held-out predictions of K folds (`predictions[f]`: fold f's test
/// rows, in its test order) put back in stimulus order: n rows, one per
/// stimulus, each from the fold that held it out.
pub fn pool<'a>(folds: &[Split], predictions: impl IntoIterator<Item = &'a DMatrix<f64>>, n: usize, units: usize) -> DMatrix<f64> {
    let mut pooled = DMatrix::zeros(n, units);
    for (s, p) in folds.iter().zip(predictions) {
        s.test.iter().enumerate().for_each(|(r, &i)| pooled.row_mut(i).copy_from(&p.row(r)));
    }
    pooled
}

/// Whether `splits` hold out each of n stimuli exactly once (K folds).
pub fn is_partition(splits: &[Split], n: usize) -> bool {
    let mut seen = vec![0usize; n];
    splits.iter().flat_map(|s| &s.test).for_each(|&i| if i < n { seen[i] += 1 });
    seen.iter().all(|&c| c == 1)
}

/// 0..n in a seeded Fisher-Yates order (the crate's portable generator).
fn shuffled(n: usize, seed: u64, stream: &str) -> Vec<usize> {
    let mut rng = SeededRng::new(seed, stream_id(stream));
    let mut order: Vec<usize> = (0..n).collect();
    for j in (1..n).rev() {
        let r = (rng.unit_f32() as f64 * (j + 1) as f64) as usize;
        order.swap(j, r.min(j));
    }
    order
}

/// round(n * test_fraction), at least 2, after checking k and the fraction.
fn test_size(n: usize, k: usize, test_fraction: f64) -> Result<usize> {
    if k == 0 {
        return Err(Error::Input("the number of splits must be at least 1".into()));
    }
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::Input(format!(
            "the test fraction must be between 0 and 1 (exclusive), got {test_fraction}"
        )));
    }
    Ok((((n as f64) * test_fraction).round() as usize).max(2))
}

/// K seeded random splits of n stimuli with round(n * test_fraction) test
/// images each (at least 2, so a correlation is defined; at least 2 to train).
/// Each split is an independent seeded shuffle (ChaCha8 stream per split).
pub fn random_splits(n: usize, k: usize, test_fraction: f64, seed: u64) -> Result<Vec<Split>> {
    let n_test = test_size(n, k, test_fraction)?;
    if n < n_test + 2 {
        return Err(Error::Input(format!(
            "{n} stimuli are too few for {:.0}% test splits: each split needs at least 2 test and 2 training images",
            test_fraction * 100.0
        )));
    }
    Ok((0..k)
        .map(|i| {
            let order = shuffled(n, seed, &format!("split/{i}"));
            let mut test = order[..n_test].to_vec();
            let mut train = order[n_test..].to_vec();
            test.sort_unstable();
            train.sort_unstable();
            Split { train, test }
        })
        .collect())
}

/// Checks splits given by a user against the number of stimuli: indices in
/// range, train and test disjoint, at least 2 images on each side.
pub fn validate(splits: &[Split], n: usize) -> Result<()> {
    if splits.is_empty() {
        return Err(Error::Input("the split list is empty".into()));
    }
    for (i, s) in splits.iter().enumerate() {
        if s.train.len() < 2 || s.test.len() < 2 {
            return Err(Error::Input(format!(
                "split {i} has {} training and {} test images; each needs at least 2",
                s.train.len(),
                s.test.len()
            )));
        }
        let mut seen = vec![0u8; n];
        for (side, idx, mark) in [("train", &s.train, 1u8), ("test", &s.test, 2u8)] {
            for &j in idx {
                if j >= n {
                    return Err(Error::Input(format!(
                        "split {i}: {side} index {j} is out of range for {n} stimuli"
                    )));
                }
                if seen[j] != 0 {
                    let what = if seen[j] == mark { "twice" } else { "in both train and test" };
                    return Err(Error::Input(format!("split {i}: stimulus {j} appears {what}")));
                }
                seen[j] = mark;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_ten_disjoint_and_seeded() {
        let a = random_splits(92, 10, 0.1, 0).unwrap();
        assert_eq!(a.len(), 10);
        for s in &a {
            assert_eq!((s.train.len(), s.test.len()), (83, 9));
        }
        validate(&a, 92).unwrap();
        assert_eq!(a, random_splits(92, 10, 0.1, 0).unwrap());
        assert_ne!(a, random_splits(92, 10, 0.1, 1).unwrap());
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn too_few_images_and_bad_files_are_named() {
        let e = random_splits(3, 10, 0.1, 0).unwrap_err().to_string();
        assert!(e.contains("3 stimuli are too few"), "{e}");
        let bad = vec![Split { train: vec![0, 1, 2], test: vec![3, 9] }];
        let e = validate(&bad, 5).unwrap_err().to_string();
        assert!(e.contains("index 9 is out of range for 5"), "{e}");
        let bad = vec![Split { train: vec![0, 1, 2], test: vec![2, 3] }];
        let e = validate(&bad, 5).unwrap_err().to_string();
        assert!(e.contains("stimulus 2 appears in both"), "{e}");
    }

    #[test]
    fn small_runs_switch_to_k_folds_and_tiny_ones_are_refused() {
        let p = plan(100, 10, 0.1, 0, None, "regression").unwrap();
        assert_eq!((p.scheme, p.test_images, p.warning.is_none()), (Scheme::Random, 10, true));
        assert_eq!(p.splits, random_splits(100, 10, 0.1, 0).unwrap());
        let p = plan(20, 10, 0.1, 0, None, "regression").unwrap();
        assert_eq!((p.scheme, p.splits.len(), p.test_images), (Scheme::KFold, 10, 20));
        assert!(is_partition(&p.splits, 20) && p.splits.iter().all(|s| s.train.len() + s.test.len() == 20 && s.test.len() == 2));
        let w = p.warning.unwrap();
        assert!(w.contains("20 images give 2 test images per split") && w.contains("10-fold cross-validation"), "{w}");
        assert_eq!(plan(16, 10, 0.1, 0, None, "nrp").unwrap().splits.len(), 8, "K is capped at n / 2");
        let e = plan(9, 10, 0.1, 0, None, "regression").unwrap_err().to_string();
        assert!(e.contains("9 stimuli are too few"), "{e}");
        let given = random_splits(30, 3, 0.2, 0).unwrap();
        let p = plan(30, 10, 0.1, 0, Some(&given), "regression").unwrap();
        assert_eq!((p.scheme, p.test_images), (Scheme::Given, 6));
        assert!(p.warning.unwrap().contains("only 6 images"));
    }
}
