//! Folds one layer's activations, image by image, into the stimulus x stimulus
//! Gram matrix K = X Xᵀ that linear CKA and the RDMs need, in f64.
//!
//! Every entry needs a pair of rows, so rows are kept while the model runs,
//! but only one block of them in memory: with a [`Spill`], a full block is
//! written out and each earlier block is read back once (in chunks) to fill
//! the new block's products with it. Memory is then O(block x units + n²)
//! rather than O(n x units). Each product is one [`dot`] of the same two rows
//! summed in a fixed order, so K is bit-identical whatever the block size
//! and thread count, spilled or not.

use super::spill::{Spill, READ_CHUNK_BYTES};
use crate::error::Result;
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Streaming Gram matrix of one layer.
pub struct GramSink {
    units: usize,
    /// Rows a block holds before it is spilled (with a spill store).
    block_rows: usize,
    /// The current block's rows, row-major; its first row is image `block_start`.
    block: Vec<f32>,
    block_start: usize,
    /// Where each spilled block starts in the store (each `block_rows` rows).
    spilled: Vec<u64>,
    n: usize,
    /// Lower triangle, row-major: entry (i, j), j <= i, at i (i + 1) / 2 + j.
    lower: Vec<f64>,
}

impl GramSink {
    /// A sink that keeps at most `block_rows` rows in memory when it can spill.
    pub fn new(units: usize, block_rows: usize) -> Self {
        GramSink { units, block_rows: block_rows.max(1), block: Vec::new(), block_start: 0, spilled: Vec::new(), n: 0, lower: Vec::new() }
    }

    /// Reserves room for `images` images' rows (at most a block) and their
    /// products at once: a Vec grown row by row would double its capacity and
    /// hold the old and new buffers while it moves, up to three times the rows.
    pub fn expecting(mut self, images: usize) -> Self {
        self.block.reserve_exact(self.block_rows.min(images).saturating_mul(self.units));
        self.lower.reserve_exact(images * (images + 1) / 2);
        self
    }

    /// Units per image this sink expects.
    pub fn units(&self) -> usize {
        self.units
    }

    /// Number of images folded in.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Rows of the current block.
    fn held(&self) -> usize {
        self.n - self.block_start
    }

    /// Folds in the next image's activations; a full block goes to `spill`
    /// (without one, every row stays in memory). Panics if the length differs
    /// from `units` (the runtime guarantees it).
    pub fn push(&mut self, row: &[f32], spill: Option<&mut Spill>) -> Result<()> {
        assert_eq!(row.len(), self.units, "activation length");
        let i = self.n;
        self.block.extend_from_slice(row);
        self.lower.resize(self.lower.len() + i + 1, 0.0);
        // Products with the block's rows now; with spilled rows when the block is full.
        let base = i * (i + 1) / 2;
        let units = self.units.max(1);
        let last = &self.block[self.block.len() - self.units..];
        let dots: Vec<f64> = self.block.par_chunks(units).map(|r| dot(r, last)).collect();
        let start = base + self.block_start;
        self.lower[start..base + i + 1].copy_from_slice(&dots);
        self.n += 1;
        if let Some(spill) = spill {
            if self.held() >= self.block_rows {
                self.cross_spilled(spill)?;
                self.spilled.push(spill.append(&self.block)?);
                self.block.clear();
                self.block_start = self.n;
            }
        }
        Ok(())
    }

    /// Fills the products of the current block's rows with every spilled row,
    /// reading each spilled block back once, a chunk at a time.
    fn cross_spilled(&mut self, spill: &mut Spill) -> Result<()> {
        if self.spilled.is_empty() || self.units == 0 {
            return Ok(());
        }
        let units = self.units;
        let chunk_rows = (READ_CHUNK_BYTES / (units * 4)).clamp(1, self.block_rows);
        let mut buf = vec![0f32; chunk_rows * units];
        let start = self.block_start;
        for (b, &at) in self.spilled.clone().iter().enumerate() {
            let first = b * self.block_rows;
            let mut j0 = 0;
            while j0 < self.block_rows {
                let rows = chunk_rows.min(self.block_rows - j0);
                let chunk = &mut buf[..rows * units];
                spill.read(at + (j0 * units * 4) as u64, chunk)?;
                let chunk = &*chunk;
                // The block's rows in groups, so the products held at once stay within a chunk's
                // bytes; at most the block's rows, so `group * units` stays within the block's
                // length (unclamped, 2^20 rows x 4,096 units wrapped to 0 in wasm32's usize).
                let group = (READ_CHUNK_BYTES / 8 / rows).clamp(1, (self.block.len() / units).max(1));
                for (g, block_rows) in self.block.chunks(group * units).enumerate() {
                    let dots: Vec<Vec<f64>> = block_rows.par_chunks(units).map(|r| chunk.chunks(units).map(|c| dot(c, r)).collect()).collect();
                    for (k, d) in dots.into_iter().enumerate() {
                        let i = start + g * group + k;
                        let at = i * (i + 1) / 2 + first + j0;
                        self.lower[at..at + d.len()].copy_from_slice(&d);
                    }
                }
                j0 += rows;
            }
        }
        Ok(())
    }

    /// The full symmetric Gram matrix.
    pub fn finish(self, spill: Option<&mut Spill>) -> Result<DMatrix<f64>> {
        Ok(self.finish_inner(spill, false)?.0)
    }

    /// The Gram matrix and the rows folded in (one per image, as pushed), for
    /// a caller that keeps the activations themselves (spilled ones read back).
    pub fn finish_with_rows(self, spill: Option<&mut Spill>) -> Result<(DMatrix<f64>, Vec<Vec<f32>>)> {
        self.finish_inner(spill, true)
    }

    fn finish_inner(mut self, spill: Option<&mut Spill>, rows: bool) -> Result<(DMatrix<f64>, Vec<Vec<f32>>)> {
        let mut kept = Vec::new();
        if let Some(spill) = spill {
            self.cross_spilled(spill)?;
            if rows {
                for &at in &self.spilled {
                    let mut block = vec![0f32; self.block_rows * self.units];
                    spill.read(at, &mut block)?;
                    kept.extend(block.chunks(self.units.max(1)).map(<[f32]>::to_vec));
                }
            }
        }
        if rows {
            kept.extend(self.block.chunks(self.units.max(1)).map(<[f32]>::to_vec));
            kept.truncate(self.n);
        }
        let n = self.n;
        let mut k = DMatrix::zeros(n, n);
        for i in 0..n {
            for j in 0..=i {
                let v = self.lower[i * (i + 1) / 2 + j];
                k[(i, j)] = v;
                k[(j, i)] = v;
            }
        }
        Ok((k, kept))
    }
}

/// Dot product in f64 with eight partial sums in a fixed order (f32 x f32
/// products are exact in f64, so dot(a, b) and dot(b, a) are the same bits).
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
    use crate::sinks::spill::MemoryStore;

    fn rows(n: usize, p: usize) -> DMatrix<f32> {
        let mut r = SeededRng::new(3, 0);
        DMatrix::<f32>::from_fn(n, p, |_, _| r.uniform_f32(-2.0, 2.0))
    }

    fn fold(x: &DMatrix<f32>, block: usize, mut spill: Option<&mut Spill>, keep: bool) -> (DMatrix<f64>, Vec<Vec<f32>>) {
        let mut sink = GramSink::new(x.ncols(), block);
        for i in 0..x.nrows() {
            let row: Vec<f32> = x.row(i).iter().copied().collect();
            sink.push(&row, spill.as_deref_mut()).unwrap();
        }
        if keep {
            sink.finish_with_rows(spill).unwrap()
        } else {
            (sink.finish(spill).unwrap(), Vec::new())
        }
    }

    #[test]
    fn matches_dense_product() {
        let x = rows(9, 37);
        let (k, _) = fold(&x, 4, None, false);
        let xd = x.cast::<f64>();
        let expected = &xd * xd.transpose();
        assert!((k - expected).amax() < 1e-12);
    }

    /// Spilled in blocks of 1, 3 or 4 rows (n = 10: full and partial last
    /// blocks), the matrix is the same bits as in memory, and the rows read back equal.
    #[test]
    fn spilling_changes_no_bit() {
        let x = rows(10, 29);
        let (whole, _) = fold(&x, 100, None, false);
        for block in [1, 3, 4, 10, 11] {
            let mut spill = Spill::new(Box::new(MemoryStore::default()));
            let (k, kept) = fold(&x, block, Some(&mut spill), true);
            assert_eq!(k, whole, "block of {block} rows");
            assert_eq!(kept.len(), 10);
            for (i, r) in kept.iter().enumerate() {
                assert_eq!(r.as_slice(), x.row(i).iter().copied().collect::<Vec<_>>().as_slice());
            }
            let full_blocks = if block <= 10 { 10 / block } else { 0 };
            assert_eq!(spill.written, (full_blocks * block * 29 * 4) as u64, "block of {block} rows");
        }
    }
}
