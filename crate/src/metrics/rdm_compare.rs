//! Comparing two RDMs over their upper triangles (Nili et al. 2014, "A toolbox
//! for representational similarity analysis", PLoS Comput. Biol.; rsatoolbox
//! `rsatoolbox.rdm.compare`).
//!
//! Kendall's tau-a is the recommended comparison when a model predicts tied
//! dissimilarities (Nili et al. 2014); it is computed with Knight's (1966)
//! O(m log m) merge-sort algorithm, so RDMs of thousands of stimuli
//! (m = n(n-1)/2 in the millions) are cheap.

use super::ranks::average_ranks;
use super::rdm::Rdm;
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;

/// How two RDMs are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    /// Kendall tau-a, `rsatoolbox.rdm.compare.compare_kendall_tau_a` (method 'tau-a').
    TauA,
    /// Spearman rho with average ranks for ties, `scipy.stats.spearmanr`
    /// = `rsatoolbox.rdm.compare.compare_spearman`.
    Spearman,
    /// Pearson r, `rsatoolbox.rdm.compare.compare_correlation` ('corr').
    Pearson,
    /// Cosine similarity, `rsatoolbox.rdm.compare.compare_cosine`.
    Cosine,
}

impl Compare {
    /// Parses `tau-a`, `spearman`, `pearson` (alias `corr`), `cosine`.
    pub fn parse(s: &str) -> Result<Compare> {
        match s.to_ascii_lowercase().as_str() {
            "tau-a" | "tau_a" | "taua" | "kendall-tau-a" => Ok(Compare::TauA),
            "spearman" => Ok(Compare::Spearman),
            "pearson" | "corr" | "correlation" => Ok(Compare::Pearson),
            "cosine" => Ok(Compare::Cosine),
            _ => Err(Error::Input(format!(
                "unknown RDM comparison '{s}': use tau-a, spearman, pearson or cosine"
            ))),
        }
    }

    /// The name rsatoolbox gives the method.
    pub fn rsatoolbox_name(self) -> &'static str {
        match self {
            Compare::TauA => "tau-a",
            Compare::Spearman => "spearman",
            Compare::Pearson => "corr",
            Compare::Cosine => "cosine",
        }
    }
}

/// Similarity of two RDMs over the same stimuli.
pub fn compare(a: &Rdm, b: &Rdm, method: Compare) -> Result<f64> {
    if a.n() != b.n() {
        return Err(Error::Input(format!(
            "RDMs over different stimuli cannot be compared: the first has {} stimuli, the second {}",
            a.n(),
            b.n()
        )));
    }
    compare_vectors(a.condensed(), b.condensed(), method)
}

/// Similarity of two equally long dissimilarity vectors (finite values).
/// An RDM that is constant (for cosine: all zero) carries no ordering or
/// pattern and the comparison is undefined: that is an error, not a NaN.
pub fn compare_vectors(a: &[f64], b: &[f64], method: Compare) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::Input(format!(
            "RDM vectors of different lengths cannot be compared: {} vs {}",
            a.len(),
            b.len()
        )));
    }
    if a.len() < 2 {
        return Err(Error::Input(format!(
            "comparing RDMs needs at least 2 pairs, got {}",
            a.len()
        )));
    }
    for (v, side) in [(a, "first"), (b, "second")] {
        if let Some(k) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::Input(format!(
                "the {side} RDM has a non-finite value ({}) at condensed position {k}",
                v[k]
            )));
        }
        let undefined = match method {
            Compare::Cosine => v.iter().all(|&x| x == 0.0),
            _ => v.iter().all(|&x| x == v[0]),
        };
        if undefined {
            let what = if method == Compare::Cosine {
                "all zero"
            } else {
                "constant"
            };
            return Err(Error::Input(format!(
                "the {side} RDM is {what} (all {} dissimilarities are {}), so its {} comparison is undefined",
                v.len(),
                v[0],
                method.rsatoolbox_name()
            )));
        }
    }
    Ok(match method {
        Compare::TauA => kendall_tau_a(a, b),
        Compare::Spearman => pearson(&average_ranks(a), &average_ranks(b)),
        Compare::Pearson => pearson(a, b),
        Compare::Cosine => cosine(a, b),
    })
}

/// Cosine of the angle between two vectors (f64 sums); 0 if either is zero,
/// as rsatoolbox's `_cosine`.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= 0.0 || bb <= 0.0 {
        return 0.0;
    }
    ab / aa.sqrt() / bb.sqrt()
}

/// Pearson r as the cosine of the centred vectors (rsatoolbox's way).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let ma = a.iter().sum::<f64>() / a.len() as f64;
    let mb = b.iter().sum::<f64>() / b.len() as f64;
    let ca: Vec<f64> = a.iter().map(|x| x - ma).collect();
    let cb: Vec<f64> = b.iter().map(|y| y - mb).collect();
    cosine(&ca, &cb)
}

/// Kendall tau-a = (concordant - discordant) / (m(m-1)/2), ties counting as
/// neither (no tie correction in the denominator), clipped to [-1, 1] as
/// rsatoolbox's `_tau_a`. Knight's algorithm: sort the pairs by (a, b), count
/// ties in a and joint ties, merge-sort by b counting exchanges (= discordant
/// pairs), count ties in b. O(m log m).
pub fn kendall_tau_a(a: &[f64], b: &[f64]) -> f64 {
    let m = a.len();
    // + 0.0 turns -0.0 into 0.0, so the total order agrees with `==`.
    let mut pairs: Vec<(f64, f64)> = a.iter().zip(b).map(|(&x, &y)| (x + 0.0, y + 0.0)).collect();
    // Elements equal in both keys are identical, so an unstable (parallel) sort
    // gives the same array whatever the thread count.
    pairs.par_sort_unstable_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
    let (mut xtie, mut ntie) = (0u64, 0u64);
    let mut i = 0;
    while i < m {
        let mut j = i + 1;
        while j < m && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        xtie += tri((j - i) as u64);
        // joint ties within this a-group (sorted by b)
        let mut k = i;
        while k < j {
            let mut l = k + 1;
            while l < j && pairs[l].1 == pairs[k].1 {
                l += 1;
            }
            ntie += tri((l - k) as u64);
            k = l;
        }
        i = j;
    }
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let dis = count_inversions(&mut ys);
    let mut ytie = 0u64;
    let mut i = 0;
    while i < m {
        let mut j = i + 1;
        while j < m && ys[j] == ys[i] {
            j += 1;
        }
        ytie += tri((j - i) as u64);
        i = j;
    }
    let tot = tri(m as u64);
    let con_minus_dis = tot as i128 - xtie as i128 - ytie as i128 + ntie as i128 - 2 * dis as i128;
    (con_minus_dis as f64 / tot as f64).clamp(-1.0, 1.0)
}

fn tri(k: u64) -> u64 {
    k * k.saturating_sub(1) / 2
}

/// Sorts `v` ascending and returns the number of pairs i < j with v[i] > v[j]
/// (strictly: equal values are not inversions). Bottom-up merge sort.
fn count_inversions(v: &mut Vec<f64>) -> u64 {
    let n = v.len();
    let mut inv = 0u64;
    let mut width = 1;
    let (mut src, mut dst) = (std::mem::take(v), vec![0.0; n]);
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut k) = (lo, mid, lo);
            while i < mid && j < hi {
                if src[j] < src[i] {
                    dst[k] = src[j];
                    inv += (mid - i) as u64;
                    j += 1;
                } else {
                    dst[k] = src[i];
                    i += 1;
                }
                k += 1;
            }
            dst[k..k + (mid - i)].copy_from_slice(&src[i..mid]);
            k += mid - i;
            dst[k..k + (hi - j)].copy_from_slice(&src[j..hi]);
            lo = hi;
        }
        std::mem::swap(&mut src, &mut dst);
        width *= 2;
    }
    *v = src;
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rdm::{rdm, Distance};
    use crate::rng::SeededRng;
    use nalgebra::DMatrix;

    /// O(m²) tau-a straight from the definition.
    fn naive_tau_a(a: &[f64], b: &[f64]) -> f64 {
        let m = a.len();
        let mut s = 0i64;
        for i in 0..m {
            for j in i + 1..m {
                let x = (a[i] - a[j]).partial_cmp(&0.0).unwrap() as i64;
                let y = (b[i] - b[j]).partial_cmp(&0.0).unwrap() as i64;
                s += x * y;
            }
        }
        s as f64 / (m * (m - 1) / 2) as f64
    }

    fn draws(m: usize, levels: u32, seed: u64) -> Vec<f64> {
        let mut r = SeededRng::new(seed, 1);
        (0..m)
            .map(|_| (r.unit_f32() * levels as f32).floor() as f64)
            .collect()
    }

    #[test]
    fn knight_agrees_with_the_definition_with_and_without_ties() {
        for (m, levels, seed) in [
            (2, 3, 0),
            (7, 2, 1),
            (50, 4, 2),
            (300, 1000000, 3),
            (301, 9, 4),
        ] {
            let (a, b) = (draws(m, levels, seed), draws(m, levels, seed + 100));
            if a.iter().all(|&x| x == a[0]) || b.iter().all(|&x| x == b[0]) {
                continue;
            }
            let (k, n) = (kendall_tau_a(&a, &b), naive_tau_a(&a, &b));
            assert!((k - n).abs() < 1e-15, "m={m}: {k} vs {n}");
        }
        let mut v = vec![3.0, 1.0, 2.0, 2.0, 0.0];
        assert_eq!(count_inversions(&mut v), 7);
        assert_eq!(v, vec![0.0, 1.0, 2.0, 2.0, 3.0]);
    }

    #[test]
    fn self_similarity_is_one_and_reversal_minus_one() {
        let mut g = SeededRng::new(5, 0);
        let x = DMatrix::from_fn(30, 8, |_, _| g.standard_normal());
        let r = rdm(&x, Distance::Euclidean).unwrap();
        for c in [
            Compare::TauA,
            Compare::Spearman,
            Compare::Pearson,
            Compare::Cosine,
        ] {
            assert!((compare(&r, &r, c).unwrap() - 1.0).abs() < 1e-12, "{c:?}");
        }
        let v: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let w: Vec<f64> = v.iter().map(|x| -x).collect();
        assert_eq!(kendall_tau_a(&v, &w), -1.0);
        // Ties in the data keep tau-a of a vector with itself below 1.
        let t = [1.0, 1.0, 2.0, 3.0];
        assert!((kendall_tau_a(&t, &t) - 5.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn rank_methods_ignore_monotone_transforms() {
        let x = DMatrix::from_fn(25, 6, |i, j| {
            ((i * 13 + j * 5) % 17) as f64 * 0.3 + j as f64 * (i as f64).cos()
        });
        let a = rdm(&x, Distance::Correlation).unwrap();
        let b = rdm(&x, Distance::Euclidean).unwrap();
        let bexp: Vec<f64> = b.condensed().iter().map(|v| v.exp() * 3.0).collect();
        for c in [Compare::TauA, Compare::Spearman] {
            let u = compare_vectors(a.condensed(), b.condensed(), c).unwrap();
            let v = compare_vectors(a.condensed(), &bexp, c).unwrap();
            assert!((u - v).abs() < 1e-12, "{c:?}");
        }
    }

    #[test]
    fn constant_rdm_is_an_error_not_nan() {
        let a = vec![1.0, 2.0, 3.0];
        let e = compare_vectors(&a, &[0.5; 3], Compare::TauA)
            .unwrap_err()
            .to_string();
        assert!(e.contains("second RDM is constant"), "{e}");
        let e = compare_vectors(&[0.0; 3], &a, Compare::Cosine)
            .unwrap_err()
            .to_string();
        assert!(e.contains("first RDM is all zero"), "{e}");
        assert!(compare_vectors(&[2.0; 3], &a, Compare::Cosine).is_ok());
        assert!(compare_vectors(&a, &[1.0, 2.0], Compare::Pearson).is_err());
    }

    #[test]
    fn tau_a_same_bits_for_one_and_three_threads() {
        let (a, b) = (draws(20000, 50, 7), draws(20000, 5000, 8));
        let run = |t: usize| {
            crate::testing::in_pool(t, || kendall_tau_a(&a, &b).to_bits())
        };
        assert_eq!(run(1), run(3));
    }
}
