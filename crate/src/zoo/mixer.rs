//! MLP-Mixer as timm defines it (`timm/models/mlp_mixer.py`, `MlpMixer` with
//! `MixerBlock`s; `mixer_b16_224`: patch 16, 12 blocks, width 768, token MLP
//! 384, channel MLP 3072), with timm's module names: `stem.proj` (the
//! patchify conv of `PatchEmbed`), `blocks.{i}.norm1`, `blocks.{i}.mlp_tokens`
//! (`fc1`, `act`, `fc2`), `blocks.{i}.norm2`, `blocks.{i}.mlp_channels`,
//! `norm`, `head` (on the mean over tokens, `global_pool="avg"`).
//!
//! Initialisation, timm's `_init_weights` with `flax=False` and `nlhb=False`:
//! - linears: `xavier_uniform_` weights, `normal_(std=1e-6)` biases (every
//!   linear of a block is under `mlp_`);
//! - `head`: weight and bias zeros, so **a seeded Mixer's logits are all
//!   zero**, whatever the input;
//! - `stem.proj`: `lecun_normal_` (timm's truncated normal, variance 1/fan_in,
//!   cut at ±2 std), zero bias;
//! - layer norms: weight 1, bias 0, eps 1e-6.
//!
//! Eval mode: dropouts and drop-path are identities and are not emitted. GELU
//! is exact (`nn.GELU()`).
//!
//! Recorded, 24 layers (tokens x width each):
//! - `blocks.{i}.token_mixing`: the residual stream after the token-mixing
//!   sublayer, `x + mlp_tokens(norm1(x)ᵀ)ᵀ`. It is not a module's output; it is
//!   what a forward pre-hook on `blocks.{i}.norm2` records (its input).
//! - `blocks.{i}`: the block's output, after the channel-mixing sublayer.

use super::blocks::{Net, T};
use super::init::Init;
use super::LayerKind;

/// A Mixer size: patch size, blocks, width, token-MLP and channel-MLP widths.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub patch: usize,
    pub blocks: usize,
    pub hidden: usize,
    pub tokens_mlp: usize,
    pub channels_mlp: usize,
}

/// `mixer_b16_224` (`mlp_ratio=(0.5, 4.0)`).
pub const B_16: Config = Config { patch: 16, blocks: 12, hidden: 768, tokens_mlp: 384, channels_mlp: 3072 };

/// LayerNorm epsilon of timm's Mixer (`partial(nn.LayerNorm, eps=1e-6)`).
const EPS: f32 = 1e-6;

/// timm's `Mlp` (`fc1`, GELU `act`, `fc2`) on the last axis.
fn mlp(net: &mut Net, name: &str, x: &T, hidden: usize) -> T {
    let fin = *x.shape.last().unwrap();
    let b = Init::Normal { std: 1e-6 };
    let y = net.dense(&format!("{name}.fc1"), x, hidden, Init::XavierUniform { fan_in: fin, fan_out: hidden }, b);
    let y = net.gelu(&format!("{name}.act"), &y);
    net.dense(&format!("{name}.fc2"), &y, fin, Init::XavierUniform { fan_in: hidden, fan_out: fin }, b)
}

/// timm's `MixerBlock` on `x` (tokens x width); its output tensor is named `name`.
fn block(net: &mut Net, name: &str, x: &T, c: Config) -> T {
    let n = |part: &str| format!("{name}.{part}");
    let y = net.layer_norm(&n("norm1"), x, EPS);
    let y = net.transpose(&n("norm1_t"), &y, &[1, 0]);
    let y = mlp(net, &n("mlp_tokens"), &y, c.tokens_mlp);
    let y = net.transpose(&n("mlp_tokens_t"), &y, &[1, 0]);
    let x = net.add(&n("token_mixing"), x, &y);
    net.record(&n("token_mixing"), LayerKind::Block, &x, None);
    let y = net.layer_norm(&n("norm2"), &x, EPS);
    let y = mlp(net, &n("mlp_channels"), &y, c.channels_mlp);
    let out = net.add(name, &x, &y);
    net.record(name, LayerKind::Block, &out, None);
    out
}

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T, c: Config) -> T {
    let fan_in = input.shape[0] * c.patch * c.patch;
    let x = net.conv("stem.proj", input, (c.hidden, c.patch), (c.patch, 0), Init::LecunNormal { fan_in }, Some(Init::Constant(0.0)));
    let tokens = x.shape[1] * x.shape[2];
    let x = net.reshape("stem.flatten", &x, &[c.hidden, tokens]);
    let mut x = net.transpose("stem", &x, &[1, 0]);
    for i in 0..c.blocks {
        x = block(net, &format!("blocks.{i}"), &x, c);
    }
    let x = net.layer_norm("norm", &x, EPS);
    let x = net.mean("global_pool", &x, 0);
    net.linear("head", &x, 1000, Init::Constant(0.0), Init::Constant(0.0))
}
