//! Silhouette score (Rousseeuw 1987) of points labelled by class, e.g.
//! response profiles labelled by the layer they come from; matches
//! `sklearn.metrics.silhouette_samples` and `silhouette_score`.
//!
//! For point i in cluster C: a(i) = mean distance to the other points of C,
//! b(i) = the smallest mean distance to the points of another cluster,
//! s(i) = (b - a) / max(a, b). As sklearn: s(i) = 0 for a point alone in its
//! cluster, and 0 when a = b = 0. The score is the mean of s(i).

use crate::error::{Error, Result};
use crate::metrics::check;
use nalgebra::DMatrix;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct SilhouetteResult {
    /// Mean silhouette over all points (`silhouette_score`).
    pub value: f64,
    /// One silhouette per point, in input order (`silhouette_samples`).
    pub samples: Vec<f64>,
    pub n_clusters: usize,
    /// Clusters with one point (their point scores 0).
    pub singleton_clusters: usize,
}

/// Silhouette of the rows of `x` under Euclidean distance.
pub fn silhouette(x: &DMatrix<f64>, labels: &[usize]) -> Result<SilhouetteResult> {
    check::finite(x, "the points")?;
    let n = x.nrows();
    let d = DMatrix::from_fn(n, n, |i, j| {
        (0..x.ncols()).map(|k| (x[(i, k)] - x[(j, k)]).powi(2)).sum::<f64>().sqrt()
    });
    silhouette_precomputed(&d, labels)
}

/// Silhouette from a precomputed distance matrix (`metric='precomputed'`):
/// square, finite, non-negative, zero diagonal; row i gives point i's distances.
pub fn silhouette_precomputed(d: &DMatrix<f64>, labels: &[usize]) -> Result<SilhouetteResult> {
    let n = d.nrows();
    if d.ncols() != n {
        return Err(Error::Input(format!("the distance matrix must be square, got {} x {}", n, d.ncols())));
    }
    if labels.len() != n {
        return Err(Error::Input(format!("{} labels for {n} points", labels.len())));
    }
    check::finite(d, "the distance matrix")?;
    for i in 0..n {
        if d[(i, i)].abs() > 100.0 * f64::EPSILON {
            return Err(Error::Input(format!(
                "the distance matrix has a non-zero diagonal entry {} at {i}",
                d[(i, i)]
            )));
        }
    }
    if let Some(k) = d.iter().position(|v| *v < 0.0) {
        return Err(Error::Input(format!(
            "the distance matrix has a negative entry at row {}, column {}",
            k % n,
            k / n
        )));
    }
    // Dense cluster ids in order of label value (sklearn's LabelEncoder).
    let mut distinct: Vec<usize> = labels.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let k = distinct.len();
    if k < 2 || k > n.saturating_sub(1) {
        return Err(Error::Input(format!(
            "the silhouette needs between 2 and n - 1 = {} clusters, got {k}",
            n.saturating_sub(1)
        )));
    }
    let id: Vec<usize> = labels.iter().map(|l| distinct.binary_search(l).unwrap()).collect();
    let mut size = vec![0usize; k];
    for &c in &id {
        size[c] += 1;
    }
    let samples: Vec<f64> = (0..n)
        .map(|i| {
            let mut sums = vec![0.0f64; k];
            for j in 0..n {
                sums[id[j]] += d[(i, j)];
            }
            let own = id[i];
            if size[own] == 1 {
                return 0.0;
            }
            let a = sums[own] / (size[own] - 1) as f64;
            let b =
                (0..k).filter(|&c| c != own).map(|c| sums[c] / size[c] as f64).fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m == 0.0 {
                0.0
            } else {
                (b - a) / m
            }
        })
        .collect();
    Ok(SilhouetteResult {
        value: samples.iter().sum::<f64>() / n as f64,
        samples,
        n_clusters: k,
        singleton_clusters: size.iter().filter(|&&s| s == 1).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_separated_clusters_score_near_one() {
        let x = DMatrix::from_row_slice(4, 1, &[0.0, 0.1, 10.0, 10.1]);
        let r = silhouette(&x, &[7, 7, 3, 3]).unwrap();
        assert!(r.value > 0.98, "{r:?}");
        // a = 0.1, b = 10.05 for the first point.
        assert!((r.samples[0] - (10.05 - 0.1) / 10.05).abs() < 1e-12);
    }

    #[test]
    fn singleton_scores_zero_and_errors() {
        let x = DMatrix::from_row_slice(4, 1, &[0.0, 0.1, 0.2, 5.0]);
        let r = silhouette(&x, &[0, 0, 0, 1]).unwrap();
        assert_eq!((r.samples[3], r.singleton_clusters), (0.0, 1));
        assert!(silhouette(&x, &[0, 0, 0, 0]).unwrap_err().to_string().contains("got 1"));
        assert!(silhouette(&x, &[0, 1, 2, 3]).unwrap_err().to_string().contains("got 4"));
        assert!(silhouette(&x, &[0, 1]).unwrap_err().to_string().contains("2 labels for 4"));
        let mut d = DMatrix::from_element(3, 3, 1.0);
        assert!(silhouette_precomputed(&d, &[0, 0, 1]).unwrap_err().to_string().contains("diagonal"));
        d.fill_diagonal(0.0);
        d[(0, 1)] = -1.0;
        assert!(silhouette_precomputed(&d, &[0, 0, 1]).unwrap_err().to_string().contains("negative"));
    }
}
