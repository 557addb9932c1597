//! Very sparse random projection of a model's activations to a fixed number
//! of dimensions, so that ridge regression costs the same for a 9216-unit
//! layer and a 800 000-unit one.
//!
//! Li, Hastie & Church (2006), "Very sparse random projections" (KDD): an
//! entry of the q x p1 matrix is +s or -s with probability d/2 each and 0
//! otherwise, with density d = 1/sqrt(p1) and s = sqrt(1/d)/sqrt(q), so that
//! squared distances are preserved in expectation (Johnson-Lindenstrauss).
//! This is the scheme of scikit-learn's
//! `sklearn.random_projection.SparseRandomProjection(n_components=q,
//! density='auto')`; the random draws are the crate's own (ChaCha8), so the
//! matrix differs from sklearn's for the same seed but has the same law.
//!
//! A layer with p1 <= q units is not projected (the identity): projecting up
//! would only add noise.

use crate::error::{Error, Result};
use crate::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// The default number of projected dimensions, q. 4096 keeps distances within
/// a few percent for any layer width (JL: relative error about 1/sqrt(q) per
/// pair) while bounding the ridge's Gram matrices.
pub const DEFAULT_PROJECTION_DIM: usize = 4096;

/// A seeded very sparse random projection from p1 to q dimensions, stored
/// sparsely by input unit (the non-zeros of each column of the q x p1 matrix).
#[derive(Clone, Debug)]
pub struct SparseProjection {
    p1: usize,
    q: usize,
    density: f64,
    scale: f64,
    /// For input unit i, its non-zeros are `starts[i]..starts[i + 1]` in `outputs`/`negative`.
    starts: Vec<usize>,
    outputs: Vec<u32>,
    negative: Vec<bool>,
}

impl SparseProjection {
    /// The projection of `p1` input dimensions to `q` (the identity if
    /// p1 <= q), drawn from `seed`. The same seed gives the same matrix on
    /// every platform.
    pub fn new(p1: usize, q: usize, seed: u64) -> Result<Self> {
        Self::output_dim_of(p1, q)?;
        let density = 1.0 / (p1 as f64).sqrt();
        let scale = (1.0 / density).sqrt() / (q as f64).sqrt();
        let mut proj = SparseProjection {
            p1,
            q,
            density,
            scale,
            starts: vec![0],
            outputs: Vec::new(),
            negative: Vec::new(),
        };
        if p1 <= q {
            return Ok(proj);
        }
        // Each of the p1 x q entries is non-zero with probability `density`:
        // walk each column with geometric gaps between non-zeros (exactly
        // Bernoulli per entry, in O(non-zeros) draws instead of O(p1 q)).
        let mut rng = SeededRng::new(seed, stream_id("metrics/projection"));
        let log_keep = libm::log(1.0 - density);
        let expected = (p1 as f64 * q as f64 * density * 1.05) as usize + 16;
        proj.outputs.reserve(expected);
        proj.negative.reserve(expected);
        proj.starts.reserve(p1);
        for _ in 0..p1 {
            let mut j = 0usize;
            loop {
                // u in (0, 1]: 24-bit uniform mapped away from 0.
                let u = 1.0 - rng.unit_f32() as f64;
                let gap = libm::floor(libm::log(u) / log_keep);
                if gap >= (q - j) as f64 {
                    break;
                }
                j += gap as usize;
                proj.outputs.push(j as u32);
                proj.negative.push(rng.unit_f32() < 0.5);
                j += 1;
                if j >= q {
                    break;
                }
            }
            proj.starts.push(proj.outputs.len());
        }
        Ok(proj)
    }

    /// The output dimension `new(p1, q, _)` would have, or its error, without
    /// drawing the matrix (the memory estimate sizes projections this way).
    pub fn output_dim_of(p1: usize, q: usize) -> Result<usize> {
        if p1 == 0 {
            return Err(Error::Input("the projected matrix has no columns (units)".into()));
        }
        if q == 0 {
            return Err(Error::Input("the projection dimension must be at least 1".into()));
        }
        if q > u32::MAX as usize {
            return Err(Error::Input(format!("the projection dimension {q} is too large")));
        }
        Ok(p1.min(q))
    }

    /// True when p1 <= q: rows pass through unchanged.
    pub fn is_identity(&self) -> bool {
        self.p1 <= self.q
    }

    /// p1, the number of input units.
    pub fn input_dim(&self) -> usize {
        self.p1
    }

    /// The number of output dimensions: q, or p1 for the identity.
    pub fn output_dim(&self) -> usize {
        if self.is_identity() {
            self.p1
        } else {
            self.q
        }
    }

    /// The probability of a non-zero entry, 1/sqrt(p1) (as density='auto').
    pub fn density(&self) -> f64 {
        self.density
    }

    /// The number of stored non-zeros (0 for the identity).
    pub fn nnz(&self) -> usize {
        self.outputs.len()
    }

    /// The dense q x p1 matrix (for tests and small inspections).
    pub fn to_dense(&self) -> DMatrix<f64> {
        if self.is_identity() {
            return DMatrix::identity(self.p1, self.p1);
        }
        let mut m = DMatrix::zeros(self.q, self.p1);
        for i in 0..self.p1 {
            for k in self.starts[i]..self.starts[i + 1] {
                m[(self.outputs[k] as usize, i)] = if self.negative[k] { -self.scale } else { self.scale };
            }
        }
        m
    }

    fn check_lengths(&self, row: usize, out: usize) -> Result<()> {
        if row != self.p1 || out != self.output_dim() {
            return Err(Error::Input(format!(
                "projection from {} to {} dimensions was given a row of {row} values and an output of {out}",
                self.p1,
                self.output_dim()
            )));
        }
        Ok(())
    }

    /// Projects one stimulus' activations (f32, as a model produces them)
    /// into `out` (length `output_dim()`), accumulating in f64. For a
    /// streaming sink that sees one image at a time.
    pub fn project_row(&self, row: &[f32], out: &mut [f64]) -> Result<()> {
        self.project_generic(row.iter().map(|&v| v as f64), row.len(), out)
    }

    /// As [`project_row`](Self::project_row) for an f64 row.
    pub fn project_row_f64(&self, row: &[f64], out: &mut [f64]) -> Result<()> {
        self.project_generic(row.iter().copied(), row.len(), out)
    }

    fn project_generic(&self, row: impl Iterator<Item = f64>, len: usize, out: &mut [f64]) -> Result<()> {
        self.check_lengths(len, out.len())?;
        if self.is_identity() {
            for (o, v) in out.iter_mut().zip(row) {
                *o = v;
            }
            return Ok(());
        }
        out.fill(0.0);
        for (i, v) in row.enumerate() {
            // Activations after a ReLU are mostly zero: skip them.
            if v == 0.0 {
                continue;
            }
            for k in self.starts[i]..self.starts[i + 1] {
                let o = &mut out[self.outputs[k] as usize];
                if self.negative[k] {
                    *o -= v;
                } else {
                    *o += v;
                }
            }
        }
        for o in out.iter_mut() {
            *o *= self.scale;
        }
        Ok(())
    }

    /// Projects every row of `x` (n x p1) to an n x `output_dim()` matrix.
    /// Rows are independent and computed in parallel; each row's sum runs in
    /// a fixed order, so the result does not depend on the thread count.
    pub fn apply(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.p1 {
            return Err(Error::Input(format!(
                "projection expects {} columns (units), X has {}",
                self.p1,
                x.ncols()
            )));
        }
        if self.is_identity() {
            return Ok(x.clone());
        }
        let q = self.q;
        let rows: Vec<Vec<f64>> = (0..x.nrows())
            .into_par_iter()
            .map(|r| {
                let row: Vec<f64> = x.row(r).iter().copied().collect();
                let mut out = vec![0.0; q];
                self.project_row_f64(&row, &mut out).expect("lengths checked above");
                out
            })
            .collect();
        Ok(DMatrix::from_fn(x.nrows(), q, |i, j| rows[i][j]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal_matrix(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, 7)
    }

    #[test]
    fn density_and_values_follow_li_hastie_church() {
        let (p1, q) = (2500, 400);
        let proj = SparseProjection::new(p1, q, 3).unwrap();
        assert!(!proj.is_identity());
        assert_eq!(proj.output_dim(), q);
        let d = 1.0 / 50.0;
        assert!((proj.density() - d).abs() < 1e-15);
        let expected = p1 as f64 * q as f64 * d;
        let sd = (expected * (1.0 - d)).sqrt();
        assert!(((proj.nnz() as f64) - expected).abs() < 5.0 * sd, "{} vs {expected}", proj.nnz());
        let m = proj.to_dense();
        let s = (1.0 / d).sqrt() / (q as f64).sqrt();
        let (mut pos, mut neg) = (0usize, 0usize);
        for &v in m.iter() {
            if v == 0.0 {
                continue;
            }
            assert!((v.abs() - s).abs() < 1e-15);
            if v > 0.0 {
                pos += 1
            } else {
                neg += 1
            }
        }
        assert_eq!(pos + neg, proj.nnz());
        let half = (pos + neg) as f64 / 2.0;
        assert!((pos as f64 - half).abs() < 5.0 * half.sqrt());
        // Each column's entries have squared norm q * d * s^2 = 1 in expectation.
        let mean_sq = m.iter().map(|v| v * v).sum::<f64>() / p1 as f64;
        assert!((mean_sq - 1.0).abs() < 0.02, "{mean_sq}");
    }

    #[test]
    fn pairwise_distances_are_preserved() {
        let (n, p1, q) = (20, 3000, 1024);
        let x = normal_matrix(n, p1, 1);
        let proj = SparseProjection::new(p1, q, 5).unwrap();
        let y = proj.apply(&x).unwrap();
        assert_eq!(y.shape(), (n, q));
        let mut worst: f64 = 0.0;
        for a in 0..n {
            for b in (a + 1)..n {
                let d0 = (x.row(a) - x.row(b)).norm_squared();
                let d1 = (y.row(a) - y.row(b)).norm_squared();
                worst = worst.max((d1 / d0 - 1.0).abs());
            }
        }
        // JL: relative error of a squared distance about sqrt(2/q) = 0.044 per pair.
        assert!(worst < 0.25, "worst relative distortion {worst}");
    }

    #[test]
    fn seeded_and_row_apply_matches_matrix_apply() {
        let x = normal_matrix(3, 500, 2);
        let a = SparseProjection::new(500, 64, 9).unwrap();
        let b = SparseProjection::new(500, 64, 9).unwrap();
        let c = SparseProjection::new(500, 64, 10).unwrap();
        assert_eq!(a.to_dense(), b.to_dense());
        assert_ne!(a.to_dense(), c.to_dense());
        let full = a.apply(&x).unwrap();
        let dense = &x * a.to_dense().transpose();
        assert!((&full - dense).amax() < 1e-12);
        let row: Vec<f32> = x.row(1).iter().map(|&v| v as f32).collect();
        let mut out = vec![0.0; 64];
        a.project_row(&row, &mut out).unwrap();
        for j in 0..64 {
            assert!((out[j] - full[(1, j)]).abs() < 1e-4);
        }
        let e = a.project_row(&row[..10], &mut out).unwrap_err().to_string();
        assert!(e.contains("row of 10 values"), "{e}");
    }

    #[test]
    fn identity_when_not_wider_than_q() {
        let x = normal_matrix(4, 30, 3);
        let p = SparseProjection::new(30, 30, 0).unwrap();
        assert!(p.is_identity());
        assert_eq!(p.output_dim(), 30);
        assert_eq!(p.apply(&x).unwrap(), x);
        let mut out = vec![0.0; 30];
        p.project_row_f64(&x.row(2).iter().copied().collect::<Vec<_>>(), &mut out).unwrap();
        assert_eq!(out, x.row(2).iter().copied().collect::<Vec<_>>());
        assert!(SparseProjection::new(30, 0, 0).is_err());
    }
}
