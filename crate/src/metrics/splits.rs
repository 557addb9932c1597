//! Train/test splits of the stimuli, shared by every mapping (ridge, MLP) so
//! that their held-out scores are compared on the same images.
//!
//! The seed paper and Brain-Score draw K random 90/10 splits; a split file can
//! pin them instead (to compare with another tool on the same images).

use crate::error::{Error, Result};
use crate::rng::{stream_id, SeededRng};
use serde::{Deserialize, Serialize};

/// One split: stimulus indices (rows) to fit on and to score on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// K seeded random splits of n stimuli with round(n * test_fraction) test
/// images each (at least 2, so a correlation is defined; at least 2 to train).
/// Each split is an independent seeded shuffle (ChaCha8 stream per split).
pub fn random_splits(n: usize, k: usize, test_fraction: f64, seed: u64) -> Result<Vec<Split>> {
    if k == 0 {
        return Err(Error::Input("the number of splits must be at least 1".into()));
    }
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::Input(format!(
            "the test fraction must be between 0 and 1 (exclusive), got {test_fraction}"
        )));
    }
    let n_test = ((n as f64) * test_fraction).round() as usize;
    let n_test = n_test.max(2);
    if n < n_test + 2 {
        return Err(Error::Input(format!(
            "{n} stimuli are too few for {:.0}% test splits: each split needs at least 2 test and 2 training images",
            test_fraction * 100.0
        )));
    }
    Ok((0..k)
        .map(|i| {
            let mut rng = SeededRng::new(seed, stream_id(&format!("split/{i}")));
            let mut order: Vec<usize> = (0..n).collect();
            // Fisher-Yates with the crate's portable generator.
            for j in (1..n).rev() {
                let r = (rng.unit_f32() as f64 * (j + 1) as f64) as usize;
                order.swap(j, r.min(j));
            }
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
}
