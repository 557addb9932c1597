//! Seeded Poisson-like noise on responses, to ask how robust a score is to
//! trial-to-trial variability of the kind neurons show.
//!
//! Model: r' = r + sqrt(gain · |r|) · ε, ε ~ N(0, 1) independent per cell.
//! The mean is unchanged and the variance is gain · r for positive
//! responses: spike counts are roughly Poisson (variance = mean, a Fano
//! factor of 1) and cortical Fano factors vary around 1, hence the `gain`
//! (the Fano factor, in the responses' units). The Gaussian form keeps responses
//! continuous and works for any scale, unlike drawing integer counts.
//! Responses below 0 (pre-activations, a `:pre` layer) have no Poisson
//! variance; rather than leave them noiseless (which kept half of a `:pre`
//! layer clean beside its noisy post-activation twin), they follow the
//! stated rule variance = gain · |r|: the noise scales with the response's
//! magnitude on either side of 0 ([`NEGATIVE_RULE`]). Thobani et al. add
//! Poisson-like noise to softplus (positive) responses and give no rule for
//! pre-activations; this one is this crate's.
//!
//! Two ways to draw: [`poisson_like_noise`] draws a whole matrix from one
//! stream; the experiment engine, which sees a model's activations one image
//! (row) at a time, draws each row from its own stream keyed by (seed, layer,
//! image index) ([`row_stream`]), one normal per cell in column order, whether
//! or not the cell gets noise, so a row's noise does not depend on the other
//! rows, the order they come in or the cells' values.
//! [`poisson_like_noise_by_row`] applies those same per-row draws to a full
//! matrix.

use crate::error::{Error, Result};
use crate::metrics::check;
use crate::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;

/// Adds the noise, drawing one normal per cell in column-major order from
/// the stream "stats/noise" of `seed`.
pub fn poisson_like_noise(r: &DMatrix<f64>, gain: f64, seed: u64) -> Result<DMatrix<f64>> {
    check_gain(gain)?;
    check::finite(r, "the responses")?;
    let mut rng = SeededRng::new(seed, stream_id("stats/noise"));
    let mut out = r.clone();
    for v in out.iter_mut() {
        *v = noisy(*v, gain, rng.standard_normal());
    }
    Ok(out)
}

/// How responses below 0 get noise, as results and presets say it.
pub const NEGATIVE_RULE: &str = "variance = gain x |response|: responses below 0 (pre-activations) get noise by their magnitude";

/// r + sqrt(gain · |r|) · ε.
fn noisy(r: f64, gain: f64, e: f64) -> f64 {
    r + (gain * r.abs()).sqrt() * e
}

/// The stream of row (image) `row` of layer `layer`: "stats/noise/LAYER/ROW" of `seed`.
pub fn row_stream(seed: u64, layer: &str, row: usize) -> SeededRng {
    SeededRng::new(seed, stream_id(&format!("stats/noise/{layer}/{row}")))
}

/// Adds the noise to one row of f32 activations in place (in f64, rounded
/// back to f32 as activations are), drawn from [`row_stream`].
pub fn add_row_noise(values: &mut [f32], gain: f64, seed: u64, layer: &str, row: usize) {
    let mut rng = row_stream(seed, layer, row);
    for v in values {
        *v = noisy(*v as f64, gain, rng.standard_normal()) as f32;
    }
}

/// Checks a gain: finite and at least 0.
pub fn check_gain(gain: f64) -> Result<()> {
    if gain.is_finite() && gain >= 0.0 {
        Ok(())
    } else {
        Err(Error::Input(format!("the noise gain must be finite and at least 0, got {gain}")))
    }
}

/// The noise of [`add_row_noise`] on every row of `r` (rows = images in order), in f64.
pub fn poisson_like_noise_by_row(r: &DMatrix<f64>, gain: f64, seed: u64, layer: &str) -> Result<DMatrix<f64>> {
    check_gain(gain)?;
    check::finite(r, "the responses")?;
    let mut out = r.clone();
    for i in 0..r.nrows() {
        let mut rng = row_stream(seed, layer, i);
        for j in 0..r.ncols() {
            out[(i, j)] = noisy(r[(i, j)], gain, rng.standard_normal());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        (m, x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0))
    }

    /// Mean kept, variance gain · |r|, for several rates (negative ones too) and gains.
    #[test]
    fn variance_is_gain_times_mean() {
        for (rate, gain) in [(4.0, 0.5), (20.0, 1.0), (0.3, 2.0), (-5.0, 1.0)] {
            let r = DMatrix::from_element(200, 200, rate);
            let x = poisson_like_noise(&r, gain, 7).unwrap();
            let (m, v) = moments(x.as_slice());
            let se_m = (gain * f64::abs(rate) / 40_000.0f64).sqrt();
            assert!((m - rate).abs() < 4.0 * se_m, "rate {rate}: mean {m}");
            // sd of a sample variance of normals ≈ var · sqrt(2 / n).
            assert!(
                (v / (gain * f64::abs(rate)) - 1.0).abs() < 4.0 * (2.0f64 / 40_000.0).sqrt(),
                "rate {rate} gain {gain}: var {v}"
            );
        }
    }

    /// Variance grows in proportion to the mean across units of different rates.
    #[test]
    fn fano_factor_constant_across_rates() {
        let rates = [1.0, 5.0, 25.0];
        let r = DMatrix::from_fn(20_000, 3, |_, j| rates[j]);
        let x = poisson_like_noise(&r, 1.5, 3).unwrap();
        for (j, rate) in rates.iter().enumerate() {
            let col: Vec<f64> = x.column(j).iter().copied().collect();
            let (_, v) = moments(&col);
            assert!((v / rate - 1.5).abs() < 0.1, "unit {j}: fano {}", v / rate);
        }
    }

    #[test]
    fn seeded_zero_gain_and_negative_cells() {
        let r = DMatrix::from_fn(5, 4, |i, j| i as f64 - j as f64);
        let a = poisson_like_noise(&r, 1.0, 1).unwrap();
        assert_eq!(a, poisson_like_noise(&r, 1.0, 1).unwrap());
        assert_ne!(a, poisson_like_noise(&r, 1.0, 2).unwrap());
        assert_eq!(poisson_like_noise(&r, 0.0, 1).unwrap(), r);
        // Zero stays zero; negative cells get noise too.
        for (x, y) in a.iter().zip(r.iter()) {
            if *y == 0.0 {
                assert_eq!(x, y);
            } else {
                assert_ne!(x, y);
            }
        }
        // A response of -r gets the noise of +r with the same draw, mirrored in scale only.
        let m = DMatrix::from_element(1, 1, 3.0);
        let (p, q) = (poisson_like_noise(&m, 0.5, 9).unwrap()[(0, 0)], poisson_like_noise(&(-&m), 0.5, 9).unwrap()[(0, 0)]);
        assert!(((p - 3.0) - (q + 3.0)).abs() < 1e-15, "{p} {q}");
        assert!(poisson_like_noise(&r, -1.0, 1).is_err());
        assert!(poisson_like_noise(&r, f64::NAN, 1).is_err());
    }

    /// Row by row (as the engine streams images) equals the by-row draws on the
    /// full matrix; rows do not depend on each other; gain 0 is the identity.
    #[test]
    fn streamed_rows_equal_the_full_matrix() {
        // f32 values, as activations are.
        let r = DMatrix::from_fn(6, 9, |i, j| (((i * 9 + j) % 7) as f64 * 0.37 - 0.5) as f32 as f64);
        let full = poisson_like_noise_by_row(&r, 0.8, 4, "features.0").unwrap();
        for i in 0..6 {
            let mut row: Vec<f32> = r.row(i).iter().map(|&v| v as f32).collect();
            add_row_noise(&mut row, 0.8, 4, "features.0", i);
            for j in 0..9 {
                assert_eq!(row[j], full[(i, j)] as f32, "row {i} col {j}");
            }
        }
        // Row 3 alone (as the fourth image) is the same as in the full matrix.
        let one = poisson_like_noise_by_row(&r.rows(3, 1).into_owned(), 0.8, 4, "features.0").unwrap();
        assert_ne!(one.row(0), full.row(3), "keyed by the row index, not the position in a batch");
        assert_ne!(full, poisson_like_noise_by_row(&r, 0.8, 4, "features.3").unwrap(), "keyed by layer");
        assert_eq!(poisson_like_noise_by_row(&r, 0.0, 4, "features.0").unwrap(), r);
        assert!(poisson_like_noise_by_row(&r, -0.1, 4, "x").unwrap_err().to_string().contains("-0.1"));
    }
}
