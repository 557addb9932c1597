//! Seeded subsampling of target units (columns), e.g. 1% of a layer's units
//! as a stand-in for the few neurons a recording samples.

use crate::error::{Error, Result};
use crate::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;

/// How many units to keep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SubsampleSize {
    /// round(fraction · units), at least 1; fraction in (0, 1].
    Fraction(f64),
    /// Exactly this many units (1..=units).
    Count(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subsample {
    /// The kept column indices, ascending.
    pub columns: Vec<usize>,
    /// Those columns of the input, in that order.
    pub matrix: DMatrix<f64>,
}

/// Number of units `size` asks for out of `p`.
pub fn subsample_count(p: usize, size: SubsampleSize) -> Result<usize> {
    match size {
        SubsampleSize::Fraction(f) if f > 0.0 && f <= 1.0 => {
            Ok((((p as f64) * f).round() as usize).clamp(1, p.max(1)))
        }
        SubsampleSize::Fraction(f) => {
            Err(Error::Input(format!("the unit fraction must be in (0, 1], got {f}")))
        }
        SubsampleSize::Count(c) if c >= 1 && c <= p => Ok(c),
        SubsampleSize::Count(c) => {
            Err(Error::Input(format!("cannot keep {c} units out of {p}: choose 1 to {p}")))
        }
    }
}

/// A uniformly random set of units (without replacement, seeded: a partial
/// Fisher–Yates shuffle on the stream "stats/subsample").
pub fn subsample_units(y: &DMatrix<f64>, size: SubsampleSize, seed: u64) -> Result<Subsample> {
    let columns = subsample_columns(y.ncols(), size, seed)?;
    let matrix = y.select_columns(columns.iter());
    Ok(Subsample { columns, matrix })
}

/// The column indices (ascending) [`subsample_units`] keeps out of `p`, for a
/// streaming sink that drops the others image by image.
pub fn subsample_columns(p: usize, size: SubsampleSize, seed: u64) -> Result<Vec<usize>> {
    if p == 0 {
        return Err(Error::Input("there are no units to subsample".into()));
    }
    let k = subsample_count(p, size)?;
    let mut rng = SeededRng::new(seed, stream_id("stats/subsample"));
    let mut idx: Vec<usize> = (0..p).collect();
    for i in 0..k {
        // Uniform in [i, p) from 48 bits (two 24-bit draws): one alone would bias large p.
        let u = (rng.unit_f32() as f64 + rng.unit_f32() as f64 / 16_777_216.0).min(1.0 - f64::EPSILON);
        let r = i + ((u * (p - i) as f64) as usize).min(p - i - 1);
        idx.swap(i, r);
    }
    let mut columns = idx[..k].to_vec();
    columns.sort_unstable();
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_seeds_and_columns() {
        let y = DMatrix::from_fn(3, 250, |i, j| (i * 1000 + j) as f64);
        let s = subsample_units(&y, SubsampleSize::Fraction(0.01), 4).unwrap();
        assert_eq!(s.columns.len(), 3); // round(2.5) = 3 (half away from zero)
        assert!(s.columns.windows(2).all(|w| w[0] < w[1]));
        for (a, &c) in s.columns.iter().enumerate() {
            assert_eq!(s.matrix[(2, a)], (2000 + c) as f64);
        }
        assert_eq!(s, subsample_units(&y, SubsampleSize::Fraction(0.01), 4).unwrap());
        assert_ne!(s.columns, subsample_units(&y, SubsampleSize::Count(3), 5).unwrap().columns);
        assert_eq!(subsample_units(&y, SubsampleSize::Fraction(0.001), 0).unwrap().columns.len(), 1);
        assert_eq!(subsample_units(&y, SubsampleSize::Count(250), 0).unwrap().matrix, y);
        assert!(subsample_units(&y, SubsampleSize::Count(251), 0).is_err());
        assert!(subsample_units(&y, SubsampleSize::Fraction(0.0), 0).is_err());
    }

    /// Every unit is about equally likely to be kept.
    #[test]
    fn uniform_over_units() {
        let y = DMatrix::zeros(1, 10);
        let mut hits = [0usize; 10];
        for seed in 0..4000 {
            for c in subsample_units(&y, SubsampleSize::Count(3), seed).unwrap().columns {
                hits[c] += 1;
            }
        }
        assert!(hits.iter().all(|&h| (1080..=1320).contains(&h)), "{hits:?}");
    }
}
