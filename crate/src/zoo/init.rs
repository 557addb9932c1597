//! Initialisation rules, each named for the PyTorch function it reproduces.
//!
//! Values come from [`crate::rng::SeededRng`], one stream per parameter tensor
//! keyed by its state-dict name, so every tensor is reproducible on its own.

use crate::rng::{stream_id, SeededRng};

/// PyTorch's default for `nn.Conv2d` and `nn.Linear` weights and biases
/// (`_ConvNd.reset_parameters` and `Linear.reset_parameters` in
/// `torch/nn/modules/{conv,linear}.py`): the weight uses
/// `kaiming_uniform_(w, a=sqrt(5))`, which reduces to U(-1/sqrt(fan_in),
/// 1/sqrt(fan_in)); the bias uses U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
/// `fan_in` is in_channels * kernel_h * kernel_w, or in_features.
pub fn torch_default(seed: u64, name: &str, fan_in: usize, len: usize) -> Vec<f32> {
    // sqrt is correctly rounded in IEEE 754, so this bound is portable.
    let bound = (1.0 / (fan_in as f64).sqrt()) as f32;
    let mut rng = SeededRng::new(seed, stream_id(name));
    let mut data = vec![0f32; len];
    rng.fill_uniform(&mut data, -bound, bound);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_and_spread() {
        let w = torch_default(0, "features.0.weight", 363, 20_000);
        let bound = 1.0 / 363f32.sqrt();
        assert!(w.iter().all(|v| v.abs() <= bound));
        let mean = w.iter().map(|&v| v as f64).sum::<f64>() / w.len() as f64;
        let var = w.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / w.len() as f64;
        // Uniform(-b, b) has variance b^2 / 3.
        let expected = (bound as f64).powi(2) / 3.0;
        assert!(mean.abs() < 0.01 * bound as f64, "mean {mean}");
        assert!((var / expected - 1.0).abs() < 0.03, "var {var} vs {expected}");
    }

    #[test]
    fn streams_are_per_tensor() {
        let a = torch_default(0, "features.0.weight", 10, 16);
        let b = torch_default(0, "features.0.bias", 10, 16);
        let c = torch_default(1, "features.0.weight", 10, 16);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, torch_default(0, "features.0.weight", 10, 16));
    }
}
