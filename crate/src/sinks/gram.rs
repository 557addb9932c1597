//! Folds one layer's activations, image by image, into the stimulus x stimulus
//! Gram matrix K = X Xᵀ that linear CKA needs, in f64.
//!
//! Each new image's row is dotted with every row seen so far, so K is complete
//! when the last image arrives; the rows are held only while one model runs
//! and are dropped by [`GramSink::finish`]. Each dot product is summed in a
//! fixed order, so K is bit-identical for any thread count.

use nalgebra::DMatrix;
use rayon::prelude::*;

/// Streaming Gram matrix of one layer.
pub struct GramSink {
    units: usize,
    rows: Vec<Vec<f32>>,
    /// Lower triangle, row-major: entry (i, j), j <= i, at i (i + 1) / 2 + j.
    lower: Vec<f64>,
}

impl GramSink {
    pub fn new(units: usize) -> Self {
        GramSink { units, rows: Vec::new(), lower: Vec::new() }
    }

    /// Units per image this sink expects.
    pub fn units(&self) -> usize {
        self.units
    }

    /// Number of images folded in.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Folds in the next image's activations. Panics if the length differs from
    /// `units` (the runtime guarantees it).
    pub fn push(&mut self, row: Vec<f32>) {
        assert_eq!(row.len(), self.units, "activation length");
        self.rows.push(row);
        let last = self.rows.last().unwrap();
        let dots: Vec<f64> = self.rows.par_iter().map(|r| dot(r, last)).collect();
        self.lower.extend(dots);
    }

    /// The full symmetric Gram matrix; drops the stored rows.
    pub fn finish(self) -> DMatrix<f64> {
        self.finish_with_rows().0
    }

    /// The Gram matrix and the rows folded in (one per image, as pushed), for
    /// a caller that keeps the activations themselves.
    pub fn finish_with_rows(self) -> (DMatrix<f64>, Vec<Vec<f32>>) {
        let n = self.rows.len();
        let mut k = DMatrix::zeros(n, n);
        for i in 0..n {
            for j in 0..=i {
                let v = self.lower[i * (i + 1) / 2 + j];
                k[(i, j)] = v;
                k[(j, i)] = v;
            }
        }
        (k, self.rows)
    }
}

/// Dot product in f64 with eight partial sums in a fixed order (f32 x f32
/// products are exact in f64).
fn dot(a: &[f32], b: &[f32]) -> f64 {
    let mut acc = [0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] as f64 * y[k] as f64;
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| *x as f64 * *y as f64).sum();
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    #[test]
    fn matches_dense_product() {
        let mut r = SeededRng::new(3, 0);
        let (n, p) = (9, 37);
        let x = DMatrix::<f32>::from_fn(n, p, |_, _| r.uniform_f32(-2.0, 2.0));
        let mut sink = GramSink::new(p);
        for i in 0..n {
            sink.push(x.row(i).iter().copied().collect());
        }
        let k = sink.finish();
        let xd = x.cast::<f64>();
        let expected = &xd * xd.transpose();
        assert!((k - expected).amax() < 1e-12);
    }
}
