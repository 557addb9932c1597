//! Seeded Poisson-like noise on responses, to ask how robust a score is to
//! trial-to-trial variability of the kind neurons show.
//!
//! Model: r' = r + sqrt(gain · max(r, 0)) · ε, ε ~ N(0, 1) independent per
//! cell. The mean is unchanged and the variance is gain · r for positive
//! responses: spike counts are roughly Poisson (variance = mean, a Fano
//! factor of 1) and cortical Fano factors vary around 1, hence the `gain`
//! (the Fano factor, in the responses' units). The Gaussian form keeps responses
//! continuous and works for any scale, unlike drawing integer counts; cells
//! with r ≤ 0 (e.g. centred model activations) get no noise, since a
//! negative rate has no Poisson variance.

use crate::error::{Error, Result};
use crate::metrics::check;
use crate::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;

/// Adds the noise, drawing one normal per cell in column-major order from
/// the stream "stats/noise" of `seed`.
pub fn poisson_like_noise(r: &DMatrix<f64>, gain: f64, seed: u64) -> Result<DMatrix<f64>> {
    if !(gain.is_finite() && gain >= 0.0) {
        return Err(Error::Input(format!("the noise gain must be finite and at least 0, got {gain}")));
    }
    check::finite(r, "the responses")?;
    let mut rng = SeededRng::new(seed, stream_id("stats/noise"));
    let mut out = r.clone();
    for v in out.iter_mut() {
        let e = rng.standard_normal();
        *v += (gain * v.max(0.0)).sqrt() * e;
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

    /// Mean kept, variance gain · r, for several rates and gains.
    #[test]
    fn variance_is_gain_times_mean() {
        for (rate, gain) in [(4.0, 0.5), (20.0, 1.0), (0.3, 2.0)] {
            let r = DMatrix::from_element(200, 200, rate);
            let x = poisson_like_noise(&r, gain, 7).unwrap();
            let (m, v) = moments(x.as_slice());
            let se_m = (gain * rate / 40_000.0f64).sqrt();
            assert!((m - rate).abs() < 4.0 * se_m, "rate {rate}: mean {m}");
            // sd of a sample variance of normals ≈ var · sqrt(2 / n).
            assert!(
                (v / (gain * rate) - 1.0).abs() < 4.0 * (2.0f64 / 40_000.0).sqrt(),
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
        for (x, y) in a.iter().zip(r.iter()) {
            if *y <= 0.0 {
                assert_eq!(x, y);
            }
        }
        assert!(poisson_like_noise(&r, -1.0, 1).is_err());
        assert!(poisson_like_noise(&r, f64::NAN, 1).is_err());
    }
}
