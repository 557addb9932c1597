//! Folds one layer's activations, image by image, into the features a
//! mapping needs: the sparse random projection of a source layer (q columns),
//! or the seeded subset of a target layer's units that regression scores, so
//! a wide layer's full activations are never held.

use crate::error::Result;
use crate::metrics::projection::SparseProjection;
use nalgebra::DMatrix;

/// What is kept of each image's activations.
pub enum Keep {
    /// `SparseProjection::project_row` of the whole row.
    Projected(SparseProjection),
    /// These columns (ascending).
    Units(Vec<usize>),
}

/// The size of what a [`Keep`] keeps, known without drawing its projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepShape {
    /// A projection of `units` input units to `dim` outputs (`dim == units`: the identity).
    Projected { units: usize, dim: usize },
    /// This many columns.
    Units(usize),
}

impl Keep {
    pub fn shape(&self) -> KeepShape {
        match self {
            Keep::Projected(p) => KeepShape::Projected { units: p.input_dim(), dim: p.output_dim() },
            Keep::Units(u) => KeepShape::Units(u.len()),
        }
    }
}

/// Streaming n x d feature matrix of one layer.
pub struct FeatureSink {
    keep: Keep,
    width: usize,
    /// Row-major, one row per image.
    rows: Vec<f64>,
    n: usize,
}

impl FeatureSink {
    pub fn new(keep: Keep) -> Self {
        let width = match &keep {
            Keep::Projected(p) => p.output_dim(),
            Keep::Units(u) => u.len(),
        };
        FeatureSink { keep, width, rows: Vec::new(), n: 0 }
    }

    /// Reserves room for `images` rows at once (see `GramSink::expecting`).
    pub fn expecting(mut self, images: usize) -> Self {
        self.rows.reserve_exact(images * self.width);
        self
    }

    /// Folds in the next image's activations.
    pub fn push(&mut self, row: &[f32]) -> Result<()> {
        let start = self.rows.len();
        self.rows.resize(start + self.width, 0.0);
        let out = &mut self.rows[start..];
        match &self.keep {
            Keep::Projected(p) => p.project_row(row, out)?,
            Keep::Units(units) => {
                for (o, &u) in out.iter_mut().zip(units) {
                    *o = row[u] as f64;
                }
            }
        }
        self.n += 1;
        Ok(())
    }

    /// The n x d matrix (rows = images).
    pub fn finish(self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.n, self.width, &self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_and_subset_match_the_batch_forms() {
        let x = crate::testing::normal_matrix(7, 50, 3, 0);
        let proj = SparseProjection::new(50, 8, 11).unwrap();
        let batch = proj.apply(&x).unwrap();
        let mut sink = FeatureSink::new(Keep::Projected(SparseProjection::new(50, 8, 11).unwrap()));
        let mut subset = FeatureSink::new(Keep::Units(vec![1, 4, 49]));
        for i in 0..7 {
            let row: Vec<f32> = x.row(i).iter().map(|&v| v as f32).collect();
            sink.push(&row).unwrap();
            subset.push(&row).unwrap();
        }
        let xf = x.map(|v| v as f32 as f64);
        assert!((sink.finish() - proj.apply(&xf).unwrap()).amax() < 1e-12);
        assert!((&batch - proj.apply(&xf).unwrap()).amax() < 1e-5);
        assert_eq!(subset.finish(), xf.select_columns([1, 4, 49].iter()));
    }
}
