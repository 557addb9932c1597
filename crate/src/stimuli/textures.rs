//! Procedural texture-and-noise stimuli (seeded): 1/f ("pink") noise,
//! sinusoidal gratings and phase-scrambled versions of photographs. They keep
//! low-level image statistics (spectrum, orientation) and remove objects, the
//! contrast the seed paper's Fig. 5 asks about: which stimuli identify.
//!
//! Every image is a pure function of (seed, index), drawn from the crate's
//! portable generator, so a set is the same in wasm and natively.

use crate::rng::{stream_id, SeededRng};
use image::{Rgb, RgbImage};
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// Grey noise with amplitude spectrum 1/f^alpha, alpha drawn in [0.5, 1.5]
/// around natural images' 1 (power 1/f²), random phase, ±3 standard
/// deviations mapped to [0, 255].
pub fn pink_noise(size: u32, seed: u64, index: usize) -> RgbImage {
    let mut rng = SeededRng::new(seed, stream_id(&format!("textures/pink/{index}")));
    let alpha = 0.5 + rng.unit_f32() as f64;
    let n = size as usize;
    let mut spectrum = vec![Complex::new(0.0, 0.0); n * n];
    for v in 0..n {
        for u in 0..n {
            let (fu, fv) = (freq(u, n), freq(v, n));
            let f = (fu * fu + fv * fv).sqrt();
            if f == 0.0 {
                continue; // no DC: zero mean
            }
            let amplitude = f.powf(-alpha);
            let phase = 2.0 * PI * rng.unit_f32() as f64;
            spectrum[v * n + u] = Complex::from_polar(amplitude, phase);
        }
    }
    // The real part of the inverse transform of a random-phase spectrum is a
    // real field with the same (symmetrised) amplitude spectrum.
    let field = inverse_2d(&mut spectrum, n);
    grey_image(&field, n)
}

/// A full-field sinusoidal grating: orientation, spatial frequency
/// (2-16 cycles per image, log-uniform), phase and Michelson contrast
/// (0.3-1) drawn per image; a random hue tints the light bars.
pub fn grating(size: u32, seed: u64, index: usize) -> RgbImage {
    let mut rng = SeededRng::new(seed, stream_id(&format!("textures/grating/{index}")));
    let theta = PI * rng.unit_f32() as f64;
    let cycles = 2f64 * 8f64.powf(rng.unit_f32() as f64);
    let phase = 2.0 * PI * rng.unit_f32() as f64;
    let contrast = 0.3 + 0.7 * rng.unit_f32() as f64;
    let tint = [0.6 + 0.4 * rng.unit_f32() as f64, 0.6 + 0.4 * rng.unit_f32() as f64, 0.6 + 0.4 * rng.unit_f32() as f64];
    let k = 2.0 * PI * cycles / size as f64;
    let (c, s) = (theta.cos(), theta.sin());
    RgbImage::from_fn(size, size, |x, y| {
        let t = k * (x as f64 * c + y as f64 * s) + phase;
        let l = 0.5 + 0.5 * contrast * t.sin();
        Rgb(tint.map(|w| to_u8(255.0 * (0.5 + (l - 0.5) * w))))
    })
}

/// The image with its Fourier phase replaced by random phase (one phase field
/// for all three channels, so colours stay coherent) and its amplitude
/// spectrum kept per channel: objects vanish, the power spectrum stays.
pub fn phase_scramble(img: &RgbImage, seed: u64, index: usize) -> RgbImage {
    let (w, h) = img.dimensions();
    let side = w.min(h) as usize;
    let crop = image::imageops::crop_imm(img, (w - side as u32) / 2, (h - side as u32) / 2, side as u32, side as u32).to_image();
    let n = side;
    // A random phase field from the transform of white noise (Hermitian, so
    // the result stays real up to rounding).
    let mut rng = SeededRng::new(seed, stream_id(&format!("textures/scramble/{index}")));
    let mut noise: Vec<Complex<f64>> = (0..n * n).map(|_| Complex::new(rng.unit_f32() as f64, 0.0)).collect();
    forward_2d(&mut noise, n);
    let mut out = vec![[0.0f64; 3]; n * n];
    for (c, _) in [0, 1, 2].iter().enumerate() {
        let mut chan: Vec<Complex<f64>> = crop.pixels().map(|p| Complex::new(p[c] as f64, 0.0)).collect();
        forward_2d(&mut chan, n);
        for (z, r) in chan.iter_mut().zip(&noise).skip(1) {
            // keep the DC term (mean colour); new phase elsewhere
            *z = Complex::from_polar(z.norm(), r.arg());
        }
        let field = inverse_2d(&mut chan, n);
        for (o, v) in out.iter_mut().zip(field) {
            o[c] = v;
        }
    }
    RgbImage::from_fn(n as u32, n as u32, |x, y| Rgb(out[y as usize * n + x as usize].map(to_u8)))
}

/// Signed frequency of FFT bin `k` of `n`.
fn freq(k: usize, n: usize) -> f64 {
    if k <= n / 2 {
        k as f64
    } else {
        k as f64 - n as f64
    }
}

fn forward_2d(data: &mut [Complex<f64>], n: usize) {
    transform_2d(data, n, false);
}

/// Inverse 2-D FFT, returning the real part scaled by 1/n².
fn inverse_2d(data: &mut [Complex<f64>], n: usize) -> Vec<f64> {
    transform_2d(data, n, true);
    let scale = 1.0 / (n * n) as f64;
    data.iter().map(|z| z.re * scale).collect()
}

fn transform_2d(data: &mut [Complex<f64>], n: usize, inverse: bool) {
    let mut planner = FftPlanner::<f64>::new();
    let fft = if inverse { planner.plan_fft_inverse(n) } else { planner.plan_fft_forward(n) };
    for row in data.chunks_exact_mut(n) {
        fft.process(row);
    }
    let mut col = vec![Complex::new(0.0, 0.0); n];
    for x in 0..n {
        for y in 0..n {
            col[y] = data[y * n + x];
        }
        fft.process(&mut col);
        for y in 0..n {
            data[y * n + x] = col[y];
        }
    }
}

/// Grey image of a zero-mean field, ±3 sd mapped to [0, 255].
fn grey_image(field: &[f64], n: usize) -> RgbImage {
    let sd = (field.iter().map(|v| v * v).sum::<f64>() / field.len() as f64).sqrt().max(1e-300);
    RgbImage::from_fn(n as u32, n as u32, |x, y| {
        let v = to_u8(127.5 + 127.5 * field[y as usize * n + x as usize] / (3.0 * sd));
        Rgb([v, v, v])
    })
}

fn to_u8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_grey(img: &RgbImage) -> f64 {
        img.pixels().map(|p| p[0] as f64).sum::<f64>() / (img.width() * img.height()) as f64
    }

    #[test]
    fn noise_and_gratings_are_seeded_and_distinct() {
        let a = pink_noise(64, 1, 0);
        assert_eq!(a, pink_noise(64, 1, 0));
        assert_ne!(a, pink_noise(64, 1, 1));
        assert_ne!(a, pink_noise(64, 2, 0));
        assert!((mean_grey(&a) - 127.5).abs() < 8.0, "zero-mean field around mid-grey: {}", mean_grey(&a));
        let g = grating(64, 1, 0);
        assert_eq!(g, grating(64, 1, 0));
        assert_ne!(g, grating(64, 1, 1));
        let (lo, hi) = g.pixels().fold((255u8, 0u8), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
        assert!(hi - lo > 50, "a grating has contrast: {lo}..{hi}");
    }

    #[test]
    fn pink_noise_has_more_power_at_low_frequencies() {
        let img = pink_noise(64, 3, 0);
        let n = 64;
        let mut z: Vec<Complex<f64>> = img.pixels().map(|p| Complex::new(p[0] as f64, 0.0)).collect();
        forward_2d(&mut z, n);
        let band = |lo: f64, hi: f64| {
            let mut s = 0.0;
            for v in 0..n {
                for u in 0..n {
                    let f = (freq(u, n).powi(2) + freq(v, n).powi(2)).sqrt();
                    if f >= lo && f < hi {
                        s += z[v * n + u].norm();
                    }
                }
            }
            s
        };
        assert!(band(1.0, 4.0) / 12.0 > 4.0 * band(16.0, 24.0) / 400.0);
    }

    #[test]
    fn phase_scrambling_keeps_the_mean_colour_and_moves_pixels() {
        let img = RgbImage::from_fn(32, 32, |x, _| if x < 16 { Rgb([200, 40, 40]) } else { Rgb([40, 40, 200]) });
        let s = phase_scramble(&img, 0, 0);
        assert_eq!(s.dimensions(), (32, 32));
        assert_eq!(s, phase_scramble(&img, 0, 0));
        let mean = |im: &RgbImage, c: usize| im.pixels().map(|p| p[c] as f64).sum::<f64>() / 1024.0;
        for c in 0..3 {
            assert!((mean(&s, c) - mean(&img, c)).abs() < 6.0, "channel {c}: {} vs {}", mean(&s, c), mean(&img, c));
        }
        let moved = s.pixels().zip(img.pixels()).filter(|(a, b)| a != b).count();
        assert!(moved > 512, "the halves are gone: {moved} pixels changed");
    }
}
