//! Folds one layer's activations, image by image, into the stimulus x stimulus
//! Gram matrix K = X Xᵀ that linear CKA and the RDMs need, in f64.
//!
//! Every entry needs a pair of rows, so rows are kept while the model runs,
//! but only one block of them in memory: with a [`Spill`], a full block is
//! written out, and the products across blocks wait for the end, where the
//! spilled rows are read back once, a stretch of units at a time (every row's
//! units `c0..c1`, then the next stretch), each pair's eight partial sums
//! carried from stretch to stretch. Reading every block back for each new
//! block instead read about n²/2b rows for n images in blocks of b: 12 times
//! the rows written for VGG11's every layer at 92 images (BENCHMARKS.md,
//! "Against the peers").
//! A spilled block is written in tiles, each a stretch of units of all its
//! rows, so that reading a stretch back is one request per block, not one per
//! row (a request to the page's file store cost up to about 0.4 ms, whatever its size).
//! Memory is O(block x units + n²). Each product is one [`dot`] of the same
//! two rows summed in a fixed order (the same lanes over the same units in
//! the same order, however they are cut into stretches), so K is
//! bit-identical whatever the block size and thread count, spilled or not.

use super::spill::{Spill, READ_CHUNK_BYTES};
use crate::error::Result;
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Lanes of [`dot`]'s partial sums: a stretch starts on a multiple of it.
const LANES: usize = 8;

/// Bytes of the cross-block pairs' partial sums held at once (`LANES` f64s a
/// pair); rows with more pairs than that are done in several passes.
pub const PAIR_SUMS_BYTES: usize = 8 << 20;

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
    /// Units per tile of a spilled block (its rows' units `c0..c0 + tile`
    /// together, tile after tile); `units`: the block's rows one after another.
    tile: usize,
    n: usize,
    /// Lower triangle, row-major: entry (i, j), j <= i, at i (i + 1) / 2 + j.
    lower: Vec<f64>,
    /// Bytes of spilled rows read back at once, and of pairs' partial sums
    /// ([`READ_CHUNK_BYTES`], [`PAIR_SUMS_BYTES`]; smaller in the tests, to cut many stretches and passes).
    read_bytes: usize,
    pair_bytes: usize,
}

impl GramSink {
    /// A sink that keeps at most `block_rows` rows in memory when it can spill.
    pub fn new(units: usize, block_rows: usize) -> Self {
        GramSink {
            units,
            block_rows: block_rows.max(1),
            block: Vec::new(),
            block_start: 0,
            spilled: Vec::new(),
            tile: units,
            n: 0,
            lower: Vec::new(),
            read_bytes: READ_CHUNK_BYTES,
            pair_bytes: PAIR_SUMS_BYTES,
        }
    }

    /// Reserves room for `images` images' rows (at most a block) and their
    /// products at once: a Vec grown row by row would double its capacity and
    /// hold the old and new buffers while it moves, up to three times the rows.
    /// Knowing how many rows may spill, it also cuts spilled blocks into tiles
    /// as wide as the stretches they will be read back in (call it before the
    /// first row; without it, blocks are written row after row).
    pub fn expecting(mut self, images: usize) -> Self {
        self.block.reserve_exact(self.block_rows.min(images).saturating_mul(self.units));
        self.lower.reserve_exact(images * (images + 1) / 2);
        let width = self.stretch_width(images);
        self.tile = if width >= self.units { self.units } else { width };
        self
    }

    /// Units of a stretch of `rows` spilled rows read back at once: as many
    /// whole lanes as fit in `read_bytes`, at least one lane.
    fn stretch_width(&self, rows: usize) -> usize {
        (self.read_bytes / 4 / rows.max(1) / LANES * LANES).max(LANES)
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

    /// Folds in the next image's activations: its products with the rows of
    /// its block now; a full block goes to `spill` (without one, every row
    /// stays in memory, one block). Panics if the length differs from
    /// `units` (the runtime guarantees it).
    pub fn push(&mut self, row: &[f32], spill: Option<&mut Spill>) -> Result<()> {
        assert_eq!(row.len(), self.units, "activation length");
        let i = self.n;
        self.block.extend_from_slice(row);
        self.lower.resize(self.lower.len() + i + 1, 0.0);
        let base = i * (i + 1) / 2;
        let units = self.units.max(1);
        let last = &self.block[self.block.len() - self.units..];
        let dots: Vec<f64> = self.block.par_chunks(units).map(|r| dot(r, last)).collect();
        let start = base + self.block_start;
        self.lower[start..base + i + 1].copy_from_slice(&dots);
        self.n += 1;
        if let Some(spill) = spill {
            if self.held() >= self.block_rows {
                let at = self.spill_block(spill)?;
                self.spilled.push(at);
                self.block.clear();
                self.block_start = self.n;
            }
        }
        Ok(())
    }

    /// Writes the full block to `spill`, tile after tile (several tiles a
    /// request, at most [`READ_CHUNK_BYTES`] gathered at once), and returns where it starts.
    fn spill_block(&self, spill: &mut Spill) -> Result<u64> {
        let (units, tile, b) = (self.units, self.tile, self.block_rows);
        if tile >= units {
            return spill.append(&self.block);
        }
        let per_write = (self.read_bytes / 4 / (b * tile)).max(1) * tile;
        let mut gathered = Vec::with_capacity((per_write * b).min(self.block.len()));
        let mut start = None;
        for c0 in (0..units).step_by(per_write) {
            gathered.clear();
            for t0 in (c0..(c0 + per_write).min(units)).step_by(tile) {
                let t1 = (t0 + tile).min(units);
                for row in self.block.chunks(units) {
                    gathered.extend_from_slice(&row[t0..t1]);
                }
            }
            let at = spill.append(&gathered)?;
            start.get_or_insert(at);
        }
        Ok(start.expect("a block has units"))
    }

    /// Fills the products of every pair of rows in different blocks (all but
    /// the last block spilled), reading the spilled rows back a stretch of
    /// units at a time; rows whose pairs' sums outgrow [`PAIR_SUMS_BYTES`]
    /// take further passes.
    fn cross_blocks(&mut self, spill: &mut Spill) -> Result<()> {
        if self.spilled.is_empty() || self.units == 0 {
            return Ok(());
        }
        // Row i pairs with the rows before its block's first, (i / b) b of them.
        let b = self.block_rows;
        let pairs = |i: usize| i / b * b;
        let most = (self.pair_bytes / (LANES * 8)).max(1);
        let mut first = b;
        while first < self.n {
            let mut last = first;
            let mut count = 0;
            while last < self.n && (last == first || count + pairs(last) <= most) {
                count += pairs(last);
                last += 1;
            }
            self.cross_rows(spill, first..last, count)?;
            first = last;
        }
        Ok(())
    }

    /// [`Self::cross_blocks`] for rows `rows` (their `count` pairs): one pass
    /// over the spilled rows below `rows.end`, a stretch of units at a time.
    fn cross_rows(&mut self, spill: &mut Spill, rows: std::ops::Range<usize>, count: usize) -> Result<()> {
        let (units, b, start) = (self.units, self.block_rows, self.block_start);
        let read = rows.end.min(start);
        let lanes_end = units - units % LANES;
        let tiled = self.tile < units;
        let width = if tiled { self.tile } else { self.stretch_width(read) };
        let mut buf = vec![0f32; read * width.min(units)];
        let mut sums = vec![[0f64; LANES]; count];
        // Each row's own pairs' sums, so the rows can run in parallel.
        let mut mine: Vec<(usize, &mut [[f64; LANES]])> = Vec::with_capacity(rows.len());
        let mut rest = &mut sums[..];
        for i in rows {
            let (here, after) = rest.split_at_mut(i / b * b);
            mine.push((i, here));
            rest = after;
        }
        let mut c0 = 0;
        while c0 < units {
            let c1 = (c0 + width).min(units);
            let w = c1 - c0;
            let stretch = &mut buf[..read * w];
            if tiled || w == units {
                // One tile (or whole rows) of each block: its rows' units c0..c1
                // lie together, after the block's b x c0 units before them.
                for (k, &at) in self.spilled.iter().enumerate().take(read.div_ceil(b)) {
                    let r = (read - k * b).min(b);
                    spill.read(at + (b * c0 * 4) as u64, &mut stretch[k * b * w..(k * b + r) * w])?;
                }
            } else {
                for (j, row) in stretch.chunks_mut(w).enumerate() {
                    spill.read(self.spilled[j / b] + (((j % b) * units + c0) * 4) as u64, row)?;
                }
            }
            let stretch = &*stretch;
            let block = &self.block;
            let row_of = |i: usize| -> &[f32] {
                if i < start {
                    &stretch[i * w..(i + 1) * w]
                } else {
                    &block[(i - start) * units + c0..(i - start) * units + c1]
                }
            };
            let lanes = lanes_end.clamp(c0, c1) - c0;
            let done = c1 == units;
            mine.par_iter_mut().for_each(|(i, sums)| {
                let x = row_of(*i);
                for (j, s) in sums.iter_mut().enumerate() {
                    let y = &stretch[j * w..(j + 1) * w];
                    add_lanes(s, &y[..lanes], &x[..lanes]);
                    if done {
                        s[0] = finish_lanes(s, &y[lanes..], &x[lanes..]);
                    }
                }
            });
            c0 = c1;
        }
        for (i, sums) in mine {
            let base = i * (i + 1) / 2;
            for (j, s) in sums.iter().enumerate() {
                self.lower[base + j] = s[0];
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
            self.cross_blocks(spill)?;
            if rows {
                let (units, tile, b) = (self.units, self.tile.max(1), self.block_rows);
                for &at in &self.spilled {
                    let mut block = vec![0f32; b * units];
                    spill.read(at, &mut block)?;
                    // Row r's part of the tile at c0 (w units wide) starts at b c0 + r w.
                    kept.extend((0..b).map(|r| {
                        (0..units).step_by(tile).flat_map(|c0| {
                            let w = tile.min(units - c0);
                            &block[b * c0 + r * w..b * c0 + (r + 1) * w]
                        }).copied().collect::<Vec<f32>>()
                    }));
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
    let lanes = a.len() - a.len() % LANES;
    let mut acc = [0f64; LANES];
    add_lanes(&mut acc, &a[..lanes], &b[..lanes]);
    finish_lanes(&acc, &a[lanes..], &b[lanes..])
}

/// [`dot`]'s partial sums over a stretch of whole lanes: stretch after
/// stretch, they are the bits of one pass over the row.
fn add_lanes(acc: &mut [f64; LANES], a: &[f32], b: &[f32]) {
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for k in 0..LANES {
            acc[k] += x[k] as f64 * y[k] as f64;
        }
    }
}

/// [`dot`]'s value from its partial sums and the units past the last whole lane.
fn finish_lanes(acc: &[f64; LANES], a: &[f32], b: &[f32]) -> f64 {
    let tail: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
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

    /// Row `i` of `x`, as the sink takes and gives it back.
    fn row(x: &DMatrix<f32>, i: usize) -> Vec<f32> {
        x.row(i).iter().copied().collect()
    }

    fn fold(x: &DMatrix<f32>, block: usize, spill: Option<&mut Spill>, keep: bool) -> (DMatrix<f64>, Vec<Vec<f32>>) {
        fold_in(GramSink::new(x.ncols(), block), x, spill, keep)
    }

    fn fold_in(mut sink: GramSink, x: &DMatrix<f32>, mut spill: Option<&mut Spill>, keep: bool) -> (DMatrix<f64>, Vec<Vec<f32>>) {
        for i in 0..x.nrows() {
            sink.push(&row(x, i), spill.as_deref_mut()).unwrap();
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
                assert_eq!(*r, row(&x, i));
            }
            let full_blocks = if block <= 10 { 10 / block } else { 0 };
            assert_eq!(spill.written, (full_blocks * block * 29 * 4) as u64, "block of {block} rows");
        }
    }

    /// Read back in stretches of 8 to 24 units (so a row of 61 is cut in
    /// several, its last 5 units past the last whole lane) and in passes of a
    /// few rows' pairs, the matrix is still the same bits as in memory.
    #[test]
    fn stretches_and_passes_change_no_bit() {
        let x = rows(23, 61);
        let (whole, _) = fold(&x, 100, None, false);
        for (block, read_bytes, pair_bytes) in [(2, 4 * 8 * 3, 64), (3, 4 * 61 * 30, 64 * 7), (5, 4 * 9 * 20, 1 << 20), (1, 1, 1)] {
            // Without `expecting`, blocks are written row after row; with it, in tiles.
            for expecting in [false, true] {
                let mut spill = Spill::new(Box::new(MemoryStore::default()));
                let mut sink = GramSink { read_bytes, pair_bytes, ..GramSink::new(61, block) };
                if expecting {
                    sink = sink.expecting(23);
                }
                let (k, kept) = fold_in(sink, &x, Some(&mut spill), true);
                let case = format!("blocks of {block} rows, {read_bytes} bytes read at once, {pair_bytes} bytes of sums, expecting: {expecting}");
                assert_eq!(k, whole, "{case}");
                assert_eq!(kept.len(), 23);
                for (i, r) in kept.iter().enumerate() {
                    assert_eq!(*r, row(&x, i), "row {i}, {case}");
                }
            }
        }
    }

    /// A store that counts its reads.
    struct Counting(MemoryStore, std::rc::Rc<std::cell::Cell<usize>>);

    impl crate::sinks::spill::SpillStore for Counting {
        fn write(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
            self.0.write(at, bytes)
        }
        fn read(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
            self.1.set(self.1.get() + 1);
            self.0.read(at, buf)
        }
        fn truncate(&mut self, len: u64) -> std::io::Result<()> {
            self.0.truncate(len)
        }
        fn describe(&self) -> String {
            "counted memory".into()
        }
    }

    /// Tiled, a stretch of the spilled rows is one read per block: 20 rows in
    /// blocks of 4 (all 5 spilled) and tiles of 8 of 61 units (8 stretches)
    /// take 5 x 8 reads, where rows written one after another take one per row (20 x 8).
    #[test]
    fn tiles_read_a_stretch_in_one_request_per_block() {
        let x = rows(20, 61);
        let (whole, _) = fold(&x, 100, None, false);
        for (expecting, reads) in [(true, 5 * 8), (false, 20 * 8)] {
            let count = std::rc::Rc::new(std::cell::Cell::new(0));
            let mut spill = Spill::new(Box::new(Counting(MemoryStore::default(), count.clone())));
            let mut sink = GramSink { read_bytes: 4 * 8 * 20, ..GramSink::new(61, 4) };
            if expecting {
                sink = sink.expecting(20);
            }
            let (k, _) = fold_in(sink, &x, Some(&mut spill), false);
            assert_eq!(k, whole, "expecting: {expecting}");
            assert_eq!(count.get(), reads, "expecting: {expecting}");
        }
    }
}
