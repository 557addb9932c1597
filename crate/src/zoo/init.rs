//! Initialisation rules, each named for the PyTorch function it reproduces.
//!
//! Values come from [`crate::rng::SeededRng`], one stream per parameter tensor
//! keyed by its state-dict name and the seed, so every tensor is reproducible
//! on its own and adding a layer never shifts another layer's numbers.

use rayon::prelude::*;

use crate::rng::{stream_id, SeededRng};

/// Values a parallel stretch of a draw holds (256 KiB of f32).
pub const CHUNK: usize = 1 << 16;

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
    ///
    /// Where each value takes a fixed number of words of the stream (every
    /// rule but the truncated normals, which reject), stretches of
    /// [`CHUNK`] values are drawn in parallel, each from the stream moved to
    /// its first word: the same bits for any number of threads, and a model's
    /// build (AlexNet: 61 M values) no longer waits on one core.
    pub fn draw_parts(self, seed: u64, name: &str, lens: &[usize]) -> Vec<Vec<f32>> {
        let stream = stream_id(name);
        let words = self.words_per_value();
        let mut rng = SeededRng::new(seed, stream); // read in one pass where `words` is None
        let mut first = 0u128; // the part's first value, counted over the whole tensor
        lens.iter()
            .map(|&len| {
                let mut data = vec![0f32; len];
                match words {
                    Some(words) => data.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
                        let mut rng = SeededRng::new(seed, stream);
                        rng.seek((first + (c * CHUNK) as u128) * words);
                        self.fill(&mut rng, chunk);
                    }),
                    None => self.fill(&mut rng, &mut data),
                }
                first += len as u128;
                data
            })
            .collect()
    }

    /// Words of the stream each value takes, where that is fixed: one for the
    /// uniforms ([`SeededRng::uniform_f32`]), four for the normals (two 53-bit
    /// uniforms, [`SeededRng::standard_normal`]); `None` for the truncated
    /// normals (rejection: as many as it takes) and constants (none drawn).
    fn words_per_value(self) -> Option<u128> {
        match self {
            Init::TorchDefault { .. } | Init::KaimingUniformFanIn { .. } | Init::XavierUniform { .. } => Some(1),
            Init::KaimingNormalFanOut { .. } | Init::KaimingNormalFanIn { .. } | Init::Normal { .. } => Some(4),
            Init::TruncNormal { .. } | Init::LecunNormal { .. } | Init::Constant(_) => None,
        }
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

    /// The stretches drawn in parallel from a moved stream are the values one
    /// pass down the stream gives, bit for bit, across stretch and part edges.
    #[test]
    fn parallel_stretches_are_the_sequential_draw() {
        let inits = [
            Init::TorchDefault { fan_in: 10 },
            Init::KaimingUniformFanIn { fan_in: 5 },
            Init::XavierUniform { fan_in: 3, fan_out: 4 },
            Init::KaimingNormalFanOut { fan_out: 9 },
            Init::KaimingNormalFanIn { fan_in: 9 },
            Init::Normal { std: 0.01 },
        ];
        let lens = [CHUNK + 3, 5, 2 * CHUNK - 1];
        let total: usize = lens.iter().sum();
        for init in inits {
            assert!(init.words_per_value().is_some());
            let mut sequential = vec![0f32; total];
            init.fill(&mut SeededRng::new(11, stream_id("features.3.weight")), &mut sequential);
            let parts = init.draw_parts(11, "features.3.weight", &lens);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&parts.concat()), bits(&sequential), "{init:?}");
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
