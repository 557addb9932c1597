//! Classical (Torgerson 1952) multidimensional scaling of a dissimilarity
//! matrix D: B = -1/2 H D² H (H the centring matrix, D² squared entrywise),
//! eigendecomposition of B, coordinates = top-k eigenvectors scaled by the
//! square roots of their eigenvalues. A non-Euclidean D gives negative
//! eigenvalues; those among the top k are clipped to 0 (that axis collapses)
//! and counted. Matches numpy: `np.linalg.eigh(B)` sorted descending.
//!
//! Eigenvectors have no sign; each axis is flipped so that its entry of
//! largest magnitude is positive (the first such on exact ties).

use crate::error::{Error, Result};
use crate::metrics::check;
use nalgebra::{DMatrix, SymmetricEigen};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct MdsResult {
    /// Share of the positive eigenvalue mass kept by the k axes.
    pub value: f64,
    /// n rows × k coordinates.
    pub coords: Vec<Vec<f64>>,
    /// All n eigenvalues of B, descending (before clipping).
    pub eigenvalues: Vec<f64>,
    /// How many of the k kept eigenvalues are negative (below
    /// -1e-10 · max |eigenvalue|, so B's rounding-level zero eigenvalue does not
    /// count); their axes are clipped to 0.
    pub clipped: usize,
    /// How many eigenvalues of B are negative by the same tolerance (D is
    /// then not Euclidean).
    pub negative_eigenvalues: usize,
}

/// The double-centred matrix B = -1/2 H D² H.
pub fn torgerson_b(d: &DMatrix<f64>) -> DMatrix<f64> {
    let n = d.nrows();
    let d2 = d.map(|v| v * v);
    let row: Vec<f64> = (0..n).map(|i| d2.row(i).sum() / n as f64).collect();
    let col: Vec<f64> = (0..n).map(|j| d2.column(j).sum() / n as f64).collect();
    let all = row.iter().sum::<f64>() / n as f64;
    DMatrix::from_fn(n, n, |i, j| -0.5 * (d2[(i, j)] - row[i] - col[j] + all))
}

/// Classical MDS of `d` (square, symmetric, zero diagonal, non-negative) into k dimensions.
pub fn classical_mds(d: &DMatrix<f64>, k: usize) -> Result<MdsResult> {
    let n = d.nrows();
    if d.ncols() != n || n < 2 {
        return Err(Error::Input(format!(
            "MDS needs a square dissimilarity matrix of at least 2 x 2, got {} x {}",
            n,
            d.ncols()
        )));
    }
    if k == 0 || k > n {
        return Err(Error::Input(format!(
            "MDS into {k} dimensions: choose between 1 and {n} (the number of points)"
        )));
    }
    check::finite(d, "the dissimilarity matrix")?;
    let scale = d.amax().max(f64::MIN_POSITIVE);
    for i in 0..n {
        if d[(i, i)].abs() > 1e-12 * scale {
            return Err(Error::Input(format!(
                "the dissimilarity matrix has a non-zero diagonal entry {} at {i}",
                d[(i, i)]
            )));
        }
        for j in 0..i {
            if (d[(i, j)] - d[(j, i)]).abs() > 1e-9 * scale {
                return Err(Error::Input(format!(
                    "the dissimilarity matrix is not symmetric at ({i}, {j}): {} vs {}",
                    d[(i, j)],
                    d[(j, i)]
                )));
            }
            if d[(i, j)] < 0.0 || d[(j, i)] < 0.0 {
                return Err(Error::Input(format!(
                    "the dissimilarity matrix has a negative entry at ({i}, {j})"
                )));
            }
        }
    }
    let sym = DMatrix::from_fn(n, n, |i, j| if i == j { 0.0 } else { 0.5 * (d[(i, j)] + d[(j, i)]) });
    let b = torgerson_b(&sym);
    let eig = SymmetricEigen::new(b);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &c| eig.eigenvalues[c].total_cmp(&eig.eigenvalues[a]));
    let eigenvalues: Vec<f64> = order.iter().map(|&i| eig.eigenvalues[i]).collect();
    let lmax = eigenvalues.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let tol = 1e-10 * lmax;
    let mut coords = vec![vec![0.0; k]; n];
    let mut clipped = 0;
    for (a, &i) in order.iter().take(k).enumerate() {
        let lambda = eig.eigenvalues[i];
        if lambda < -tol {
            clipped += 1;
        }
        let v = eig.eigenvectors.column(i);
        let mut big = 0;
        for r in 1..n {
            if v[r].abs() > v[big].abs() {
                big = r;
            }
        }
        let sign = if v[big] < 0.0 { -1.0 } else { 1.0 };
        let s = lambda.max(0.0).sqrt() * sign;
        for r in 0..n {
            coords[r][a] = v[r] * s;
        }
    }
    let positive: f64 = eigenvalues.iter().filter(|v| **v > 0.0).sum();
    let kept: f64 = eigenvalues.iter().take(k).map(|v| v.max(0.0)).sum();
    Ok(MdsResult {
        value: if positive > 0.0 { kept / positive } else { 0.0 },
        coords,
        negative_eigenvalues: eigenvalues.iter().filter(|v| **v < -tol).count(),
        eigenvalues,
        clipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(p: &[[f64; 2]]) -> DMatrix<f64> {
        DMatrix::from_fn(p.len(), p.len(), |i, j| {
            ((p[i][0] - p[j][0]).powi(2) + (p[i][1] - p[j][1]).powi(2)).sqrt()
        })
    }

    /// Euclidean points come back up to rotation: all distances preserved.
    #[test]
    fn recovers_euclidean_distances() {
        let p = [[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [1.0, 1.0], [-2.0, 0.5]];
        let d = dist(&p);
        let r = classical_mds(&d, 2).unwrap();
        let q: Vec<[f64; 2]> = r.coords.iter().map(|c| [c[0], c[1]]).collect();
        assert!((dist(&q) - &d).amax() < 1e-10);
        assert!((r.value - 1.0).abs() < 1e-12);
        assert_eq!((r.clipped, r.negative_eigenvalues), (0, 0));
        for a in 0..2 {
            let col: Vec<f64> = r.coords.iter().map(|c| c[a]).collect();
            let big = col.iter().cloned().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            assert!(big > 0.0);
        }
    }

    /// A non-Euclidean matrix has negative eigenvalues; asking for all axes clips them.
    #[test]
    fn negative_eigenvalues_are_clipped_and_reported() {
        let d = DMatrix::from_row_slice(
            4,
            4,
            &[0.0, 1.0, 1.0, 5.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 5.0, 1.0, 1.0, 0.0],
        );
        let r = classical_mds(&d, 4).unwrap();
        assert!(r.negative_eigenvalues >= 1 && r.clipped >= 1, "{r:?}");
        assert!(r.coords.iter().all(|c| c.iter().all(|v| v.is_finite())));
    }

    #[test]
    fn bad_matrices() {
        let mut d = DMatrix::from_element(3, 3, 1.0);
        assert!(classical_mds(&d, 2).unwrap_err().to_string().contains("diagonal"));
        d.fill_diagonal(0.0);
        d[(0, 1)] = 2.0;
        assert!(classical_mds(&d, 2).unwrap_err().to_string().contains("not symmetric at (1, 0)"));
        assert!(classical_mds(&d, 4).unwrap_err().to_string().contains("between 1 and 3"));
    }
}
