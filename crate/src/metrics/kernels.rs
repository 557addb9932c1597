//! Kernel (Gram) matrices over stimuli, as in the reference notebook of
//! Kornblith et al. 2019 (google-research `representation_similarity/Demo.ipynb`,
//! functions `gram_linear` and `gram_rbf`).
//!
//! The products are tiled into fixed blocks of rows and the blocks are
//! computed in parallel with rayon, each by faer's sequential GEMM
//! ([`super::dense::mul_nt`]), which has SIMD kernels natively and, through the
//! `gemm` crate's simd128 kernels, in wasm (nalgebra's own GEMM is scalar in
//! wasm for f64). A block's value depends only on the block, never on which
//! thread ran it, so results are bit-identical for any thread count.

use super::dense;
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Rows per tile. Fixed (not derived from the thread count) so that the sums
/// inside every tile are the same on every machine.
const TILE: usize = 256;

fn tiles(n: usize) -> Vec<(usize, usize)> {
    (0..n).step_by(TILE).map(|s| (s, TILE.min(n - s))).collect()
}

/// The row blocks of `x`, each copied contiguous once (a copy is O(n p),
/// the products it feeds O(n² p)).
fn row_blocks(x: &DMatrix<f64>, t: &[(usize, usize)]) -> Vec<DMatrix<f64>> {
    t.par_iter().map(|&(s, len)| x.rows(s, len).into_owned()).collect()
}

/// A Bᵀ for A (m x p) and B (k x p): the cross Gram matrix of two row sets.
pub fn cross_gram(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    assert_eq!(a.ncols(), b.ncols(), "cross_gram: column counts differ");
    let (ta, tb) = (tiles(a.nrows()), tiles(b.nrows()));
    let (ra, rb) = (row_blocks(a, &ta), row_blocks(b, &tb));
    let pairs: Vec<(usize, usize)> = (0..ta.len())
        .flat_map(|i| (0..tb.len()).map(move |j| (i, j)))
        .collect();
    let blocks: Vec<DMatrix<f64>> = pairs
        .par_iter()
        .map(|&(i, j)| dense::mul_nt(&ra[i], &rb[j]))
        .collect();
    let mut out = DMatrix::zeros(a.nrows(), b.nrows());
    for (&(i, j), block) in pairs.iter().zip(&blocks) {
        out.view_mut((ta[i].0, tb[j].0), (ta[i].1, tb[j].1)).copy_from(block);
    }
    out
}

/// X Xᵀ, the linear kernel (`gram_linear`). Only the tiles on and above the
/// diagonal are multiplied; the lower triangle is mirrored, so the result is
/// exactly symmetric.
pub fn linear_gram(x: &DMatrix<f64>) -> DMatrix<f64> {
    let n = x.nrows();
    let t = tiles(n);
    let r = row_blocks(x, &t);
    let pairs: Vec<(usize, usize)> = (0..t.len())
        .flat_map(|i| (i..t.len()).map(move |j| (i, j)))
        .collect();
    let blocks: Vec<DMatrix<f64>> = pairs
        .par_iter()
        .map(|&(i, j)| dense::mul_nt(&r[i], &r[j]))
        .collect();
    let mut out = DMatrix::zeros(n, n);
    for (&(i, j), block) in pairs.iter().zip(&blocks) {
        out.view_mut((t[i].0, t[j].0), (t[i].1, t[j].1)).copy_from(block);
    }
    for j in 0..n {
        for i in (j + 1)..n {
            out[(i, j)] = out[(j, i)];
        }
    }
    out
}

/// Squared Euclidean distances between stimuli (rows), computed as the
/// notebook does: ‖xᵢ‖² + ‖xⱼ‖² − 2 xᵢ·xⱼ from the linear Gram matrix.
pub fn squared_distances(x: &DMatrix<f64>) -> DMatrix<f64> {
    let g = linear_gram(x);
    let n = g.nrows();
    DMatrix::from_fn(n, n, |i, j| -2.0 * g[(i, j)] + g[(i, i)] + g[(j, j)])
}

/// Median of all n² entries (diagonal zeros included), as `np.median` of the
/// full matrix: the mean of the two middle values when n² is even.
fn median_of_all(d: &DMatrix<f64>) -> f64 {
    let mut v: Vec<f64> = d.as_slice().to_vec();
    let len = v.len();
    let k = len / 2;
    let (_, &mut hi, _) = v.select_nth_unstable_by(k, f64::total_cmp);
    if len % 2 == 1 {
        return hi;
    }
    // The lower middle is the largest value below position k.
    let lo = v[..k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo + hi) / 2.0
}

/// Gaussian (RBF) kernel with the median heuristic, the notebook's
/// `gram_rbf(x, threshold)`: exp(−d²ᵢⱼ / (2 threshold² median(d²))), where the
/// median runs over all n² squared distances (the zero diagonal included).
/// `what` names the side ("X" or "Y") in errors.
pub fn rbf_gram(x: &DMatrix<f64>, threshold: f64, what: &str) -> Result<DMatrix<f64>> {
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(Error::Input(format!(
            "the RBF bandwidth threshold must be a positive finite number, got {threshold}"
        )));
    }
    let d2 = squared_distances(x);
    let median = median_of_all(&d2);
    if median <= 0.0 {
        return Err(Error::Input(format!(
            "RBF kernel of {what} is undefined: the median squared distance between its {} stimuli is {median} \
             (at least half of the stimulus pairs are identical), so the median bandwidth is zero",
            x.nrows()
        )));
    }
    let scale = 2.0 * threshold * threshold * median;
    Ok(d2.map(|v| (-v / scale).exp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, 0)
    }

    #[test]
    fn tiled_products_match_plain_products() {
        let x = random(600, 40, 1);
        let y = random(300, 40, 2);
        let g = linear_gram(&x);
        let plain = &x * x.transpose();
        assert!((&g - &plain).amax() < 1e-10);
        assert_eq!(g, g.transpose());
        let c = cross_gram(&x, &y);
        assert!((&c - &x * y.transpose()).amax() < 1e-10);
    }

    #[test]
    fn median_matches_numpy_convention() {
        let odd = DMatrix::from_column_slice(1, 5, &[5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(median_of_all(&odd), 3.0);
        let even = DMatrix::from_column_slice(2, 2, &[0.0, 4.0, 1.0, 0.0]);
        assert_eq!(median_of_all(&even), 0.5);
    }

    #[test]
    fn rbf_refuses_zero_bandwidth() {
        let x = DMatrix::from_element(6, 3, 1.0);
        let e = rbf_gram(&x, 1.0, "X").unwrap_err().to_string();
        assert!(e.contains("median squared distance") && e.contains("6 stimuli"), "{e}");
        let e = rbf_gram(&random(5, 2, 3), 0.0, "X").unwrap_err().to_string();
        assert!(e.contains("threshold"), "{e}");
    }

    #[test]
    fn one_and_three_threads_are_bit_identical() {
        let x = random(700, 30, 4);
        let y = random(520, 30, 5);
        let run = |t: usize| {
            crate::testing::in_pool(t, || (linear_gram(&x), cross_gram(&x, &y), rbf_gram(&x, 0.7, "X").unwrap()))
        };
        let (a, b) = (run(1), run(3));
        assert!(a.0.iter().zip(b.0.iter()).all(|(u, v)| u.to_bits() == v.to_bits()));
        assert!(a.1.iter().zip(b.1.iter()).all(|(u, v)| u.to_bits() == v.to_bits()));
        assert!(a.2.iter().zip(b.2.iter()).all(|(u, v)| u.to_bits() == v.to_bits()));
    }
}
