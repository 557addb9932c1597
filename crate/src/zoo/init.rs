//! Initialisation rules, each named for the PyTorch function it reproduces.
//!
//! Values come from [`crate::rng::SeededRng`], one stream per parameter tensor
//! keyed by its state-dict name and the seed, so every tensor is reproducible
//! on its own and adding a layer never shifts another layer's numbers.

use crate::rng::{stream_id, SeededRng};

/// How a parameter tensor is filled. `fan_in` / `fan_out` follow
/// `torch.nn.init._calculate_fan_in_and_fan_out`: for a conv weight
/// (out, in, kh, kw) they are in*kh*kw and out*kh*kw; for a linear weight
/// (out, in) they are in and out.
#[derive(Clone, Copy, Debug)]
pub enum Init {
    /// PyTorch's default for `nn.Conv2d` / `nn.Linear` weights and biases
    /// (`_ConvNd.reset_parameters`, `Linear.reset_parameters`):
    /// `kaiming_uniform_(w, a=sqrt(5))` reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    /// and the bias is drawn from the same range.
    TorchDefault { fan_in: usize },
    /// `kaiming_normal_(w, mode="fan_out", nonlinearity="relu")`: N(0, 2/fan_out).
    KaimingNormalFanOut { fan_out: usize },
    /// `kaiming_normal_(w)` with its defaults (`a=0`, `mode="fan_in"`,
    /// `nonlinearity="leaky_relu"`, so gain sqrt(2)): N(0, 2/fan_in).
    KaimingNormalFanIn { fan_in: usize },
    /// `kaiming_uniform_(w)` with its defaults (`a=0`, `mode="fan_in"`,
    /// `nonlinearity="leaky_relu"`, so gain sqrt(2)): U(±sqrt(6/fan_in)).
    KaimingUniformFanIn { fan_in: usize },
    /// `normal_(w, mean, std)`.
    Normal { std: f64 },
    /// `trunc_normal_(w, std=std)` with PyTorch's default cut at ±2 (absolute).
    TruncNormal { std: f64 },
    /// timm's `lecun_normal_(w)` (`variance_scaling_(w, 1.0, "fan_in",
    /// "truncated_normal")`): a normal truncated at ±2 standard deviations,
    /// scaled to variance 1/fan_in, i.e. std sqrt(1/fan_in) / 0.87962566103423978
    /// before truncation (0.8796… is the std of a standard normal cut at ±2).
    LecunNormal { fan_in: usize },
    /// `xavier_uniform_(w)`: U(±sqrt(6 / (fan_in + fan_out))).
    XavierUniform { fan_in: usize, fan_out: usize },
    /// `constant_(w, value)` (`zeros_`, `ones_`).
    Constant(f32),
}

impl Init {
    /// Draws `len` values for the tensor `name` from `seed`.
    pub fn draw(self, seed: u64, name: &str, len: usize) -> Vec<f32> {
        self.draw_parts(seed, name, &[len]).pop().expect("one part")
    }

    /// Draws the tensor `name` as consecutive parts of `lens` values: the
    /// same values as one [`Init::draw`] of their sum, cut (the stream is
    /// read value by value), without ever holding the whole in one block.
    pub fn draw_parts(self, seed: u64, name: &str, lens: &[usize]) -> Vec<Vec<f32>> {
        let mut rng = SeededRng::new(seed, stream_id(name));
        lens.iter()
            .map(|&len| {
                let mut data = vec![0f32; len];
                self.fill(&mut rng, &mut data);
                data
            })
            .collect()
    }

    fn fill(self, rng: &mut SeededRng, data: &mut [f32]) {
        // sqrt is correctly rounded in IEEE 754, so these bounds are portable.
        match self {
            Init::TorchDefault { fan_in } => {
                let bound = (1.0 / (fan_in as f64).sqrt()) as f32;
                rng.fill_uniform(data, -bound, bound);
            }
            Init::KaimingNormalFanOut { fan_out } => {
                rng.fill_normal(data, 0.0, (2.0 / fan_out as f64).sqrt());
            }
            Init::KaimingNormalFanIn { fan_in } => {
                rng.fill_normal(data, 0.0, (2.0 / fan_in as f64).sqrt());
            }
            Init::KaimingUniformFanIn { fan_in } => {
                let bound = (6.0 / fan_in as f64).sqrt() as f32;
                rng.fill_uniform(data, -bound, bound);
            }
            Init::Normal { std } => rng.fill_normal(data, 0.0, std),
            Init::TruncNormal { std } => rng.fill_trunc_normal(data, 0.0, std, -2.0, 2.0),
            Init::LecunNormal { fan_in } => {
                let std = (1.0 / fan_in as f64).sqrt() / 0.879_625_661_034_239_8;
                rng.fill_trunc_normal(data, 0.0, std, -2.0 * std, 2.0 * std);
            }
            Init::XavierUniform { fan_in, fan_out } => {
                let bound = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
                rng.fill_uniform(data, -bound, bound);
            }
            Init::Constant(v) => data.fill(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(v: &[f32]) -> (f64, f64) {
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / v.len() as f64;
        (mean, var)
    }

    #[test]
    fn torch_default_bound_and_spread() {
        let w = Init::TorchDefault { fan_in: 363 }.draw(0, "features.0.weight", 20_000);
        let bound = 1.0 / 363f32.sqrt();
        assert!(w.iter().all(|v| v.abs() <= bound));
        let (mean, var) = moments(&w);
        // Uniform(-b, b) has variance b^2 / 3.
        let expected = (bound as f64).powi(2) / 3.0;
        assert!(mean.abs() < 0.01 * bound as f64, "mean {mean}");
        assert!((var / expected - 1.0).abs() < 0.03, "var {var} vs {expected}");
    }

    #[test]
    fn kaiming_normal_fan_out_variance() {
        let w = Init::KaimingNormalFanOut { fan_out: 64 * 9 }.draw(1, "w", 50_000);
        let (mean, var) = moments(&w);
        assert!(mean.abs() < 0.002);
        assert!((var / (2.0 / 576.0) - 1.0).abs() < 0.03, "{var}");
    }

    #[test]
    fn kaiming_fan_in_defaults() {
        let w = Init::KaimingNormalFanIn { fan_in: 128 * 9 }.draw(4, "w", 50_000);
        let (mean, var) = moments(&w);
        assert!(mean.abs() < 0.002);
        assert!((var / (2.0 / 1152.0) - 1.0).abs() < 0.03, "{var}");
        let u = Init::KaimingUniformFanIn { fan_in: 96 }.draw(5, "u", 20_000);
        let b = (6.0f64 / 96.0).sqrt() as f32;
        assert!(u.iter().all(|v| v.abs() <= b) && u.iter().any(|v| v.abs() > 0.99 * b));
        let (_, var) = moments(&u);
        assert!((var / (2.0 / 96.0) - 1.0).abs() < 0.03, "{var}");
    }

    #[test]
    fn xavier_and_constant() {
        let w = Init::XavierUniform { fan_in: 768, fan_out: 2304 }.draw(2, "w", 10_000);
        let b = (6.0f64 / 3072.0).sqrt() as f32;
        assert!(w.iter().all(|v| v.abs() <= b) && w.iter().any(|v| v.abs() > 0.9 * b));
        assert!(Init::Constant(1.0).draw(0, "bn.weight", 5).iter().all(|&v| v == 1.0));
    }

    #[test]
    fn lecun_normal_is_cut_at_two_std_with_variance_one_over_fan_in() {
        let fan_in = 768;
        let w = Init::LecunNormal { fan_in }.draw(3, "stem.proj.weight", 50_000);
        let std = (1.0 / fan_in as f64).sqrt() / 0.879_625_661_034_239_8;
        assert!(w.iter().all(|&v| (v as f64).abs() <= 2.0 * std + 1e-7));
        let (mean, var) = moments(&w);
        assert!(mean.abs() < 0.002);
        assert!((var * fan_in as f64 - 1.0).abs() < 0.03, "{var}");
    }

    #[test]
    fn parts_are_the_whole_draw_cut() {
        for init in [Init::TorchDefault { fan_in: 10 }, Init::KaimingNormalFanOut { fan_out: 9 }, Init::LecunNormal { fan_in: 7 }] {
            let whole = init.draw(3, "classifier.1.weight", 1000);
            let parts = init.draw_parts(3, "classifier.1.weight", &[400, 336, 264]);
            assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), [400, 336, 264]);
            assert_eq!(parts.concat(), whole, "{init:?}");
        }
    }

    #[test]
    fn streams_are_per_tensor_and_seed() {
        let d = |seed, name| Init::TorchDefault { fan_in: 10 }.draw(seed, name, 16);
        assert_ne!(d(0, "features.0.weight"), d(0, "features.0.bias"));
        assert_ne!(d(0, "features.0.weight"), d(1, "features.0.weight"));
        assert_eq!(d(0, "features.0.weight"), d(0, "features.0.weight"));
    }
}
