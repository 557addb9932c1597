//! Vision Transformers as torchvision defines them
//! (`torchvision/models/vision_transformer.py`, `VisionTransformer` without a
//! conv stem or representation layer): a patchify conv `conv_proj`, a class
//! token, learned position embeddings, pre-norm encoder blocks (`ln_1`,
//! `self_attention`, `ln_2`, `mlp`), a final `encoder.ln` and `heads.head` on
//! the class token. Sizes: ViT-B (12 layers, 12 heads, width 768, MLP 3072)
//! and ViT-L (24 layers, 16 heads, width 1024, MLP 4096), patches 16 or 32.
//!
//! Initialisation, as the modules leave it:
//! - `conv_proj`: `trunc_normal_(std=sqrt(1 / fan_in))` (cut at ±2 absolute),
//!   zero bias (`VisionTransformer.__init__`);
//! - `class_token`: zeros; `encoder.pos_embedding`: `normal_(std=0.02)`;
//! - `self_attention` (`nn.MultiheadAttention._reset_parameters`):
//!   `in_proj_weight` `xavier_uniform_` (fan_in = width, fan_out = 3 x width),
//!   `in_proj_bias` 0, `out_proj.bias` 0; `out_proj.weight` keeps
//!   `nn.Linear`'s default (`kaiming_uniform_(a=sqrt(5))`, U(±1/sqrt(width)));
//! - `mlp.0`, `mlp.3` (`MLPBlock`): `xavier_uniform_` weights, `normal_(std=1e-6)` biases;
//! - layer norms: weight 1, bias 0, eps 1e-6;
//! - `heads.head`: weight and bias zeros. **A seeded ViT's logits are
//!   therefore all zero**, whatever the input; the encoder layers carry the
//!   signal.
//!
//! Eval mode: dropouts are not emitted. Attention is written out: `in_proj`
//! (one matrix product for q, k, v), `Split`, heads by `Reshape` +
//! `Transpose`, `softmax(q kᵀ / sqrt(head dim)) v`, heads merged, `out_proj`.
//! GELU is exact (`nn.GELU()`), as `x * 0.5 * (1 + erf(x / sqrt(2)))`.
//!
//! Recorded: the output of every encoder block, `encoder.layers.encoder_layer_{i}`
//! (tokens x width, class token first; no `:pre`): 12 layers for ViT-B, 24 for ViT-L.

use super::blocks::{Net, T};
use super::init::Init;
use super::LayerKind;

/// A ViT size: patch size, encoder layers, attention heads, width, MLP width.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub patch: usize,
    pub layers: usize,
    pub heads: usize,
    pub hidden: usize,
    pub mlp: usize,
}

pub const B_32: Config = Config { patch: 32, layers: 12, heads: 12, hidden: 768, mlp: 3072 };
pub const B_16: Config = Config { patch: 16, layers: 12, heads: 12, hidden: 768, mlp: 3072 };
pub const L_16: Config = Config { patch: 16, layers: 24, heads: 16, hidden: 1024, mlp: 4096 };
pub const L_32: Config = Config { patch: 32, layers: 24, heads: 16, hidden: 1024, mlp: 4096 };

/// LayerNorm epsilon of torchvision's ViT (`partial(nn.LayerNorm, eps=1e-6)`).
const EPS: f32 = 1e-6;

/// `nn.MultiheadAttention(width, heads, batch_first=True)` as self-attention
/// on `x` (tokens x width), eval mode, `need_weights=False`.
fn self_attention(net: &mut Net, name: &str, x: &T, heads: usize) -> T {
    let (s, e) = (x.shape[0], x.shape[1]);
    let dh = e / heads;
    let n = |part: &str| format!("{name}.{part}");
    let w = net.param(&n("in_proj_weight"), &[3 * e, e], Init::XavierUniform { fan_in: e, fan_out: 3 * e });
    let b = net.param(&n("in_proj_bias"), &[3 * e], Init::Constant(0.0));
    let qkv = net.affine(&n("in_proj"), x, (&w, &b), 3 * e);
    let parts = net.split(&n("split"), &qkv, 1, &[n("q"), n("k"), n("v")]);
    // (tokens, width) -> (heads, tokens, head dim); k as (heads, head dim, tokens).
    let mut heads_of = |t: &T, which: &str, perm: &[usize]| {
        let r = net.reshape(&n(&format!("{which}_heads")), t, &[s, heads, dh]);
        net.transpose(&n(&format!("{which}_t")), &r, perm)
    };
    let q = heads_of(&parts[0], "q", &[1, 0, 2]);
    let k = heads_of(&parts[1], "k", &[1, 2, 0]);
    let v = heads_of(&parts[2], "v", &[1, 0, 2]);
    let scores = net.matmul(&n("scores"), &q, &k);
    let scores = net.scale(&n("scaled"), &scores, 1.0 / (dh as f32).sqrt());
    let attn = net.softmax(&n("softmax"), &scores);
    let y = net.matmul(&n("context"), &attn, &v);
    let y = net.transpose(&n("merge_t"), &y, &[1, 0, 2]);
    let y = net.reshape(&n("merge"), &y, &[s, e]);
    net.dense(&n("out_proj"), &y, e, Init::TorchDefault { fan_in: e }, Init::Constant(0.0))
}

/// torchvision's `EncoderBlock`; its output tensor is named `name`.
fn encoder_block(net: &mut Net, name: &str, x: &T, c: Config) -> T {
    let n = |part: &str| format!("{name}.{part}");
    let y = net.layer_norm(&n("ln_1"), x, EPS);
    let y = self_attention(net, &n("self_attention"), &y, c.heads);
    let x = net.add(&n("add"), &y, x);
    let y = net.layer_norm(&n("ln_2"), &x, EPS);
    let mlp_init = |fan_in, fan_out| (Init::XavierUniform { fan_in, fan_out }, Init::Normal { std: 1e-6 });
    let (w, b) = mlp_init(c.hidden, c.mlp);
    let y = net.dense(&n("mlp.0"), &y, c.mlp, w, b);
    let y = net.gelu(&n("mlp.1"), &y);
    let (w, b) = mlp_init(c.mlp, c.hidden);
    let y = net.dense(&n("mlp.3"), &y, c.hidden, w, b);
    net.add(name, &x, &y)
}

/// Emits the graph for a `size` x `size` input; returns the logits.
pub fn build(net: &mut Net, input: &T, c: Config) -> T {
    let fan_in = input.shape[0] * c.patch * c.patch;
    let x = net.conv(
        "conv_proj",
        input,
        (c.hidden, c.patch),
        (c.patch, 0),
        Init::TruncNormal { std: (1.0 / fan_in as f64).sqrt() },
        Some(Init::Constant(0.0)),
    );
    let patches = x.shape[1] * x.shape[2];
    let x = net.reshape("flatten_patches", &x, &[c.hidden, patches]);
    let x = net.transpose("patches", &x, &[1, 0]);
    let cls = net.param("class_token", &[1, 1, c.hidden], Init::Constant(0.0));
    let cls = T::new(&cls, &[1, c.hidden]);
    let x = net.concat("tokens", &[&cls, &x], 0);
    let pos = net.param("encoder.pos_embedding", &[1, patches + 1, c.hidden], Init::Normal { std: 0.02 });
    let mut x = net.add("encoder.add_pos_embedding", &x, &T::new(&pos, &[patches + 1, c.hidden]));
    for i in 0..c.layers {
        let name = format!("encoder.layers.encoder_layer_{i}");
        x = encoder_block(net, &name, &x, c);
        net.record(&name, LayerKind::Block, &x, None);
    }
    let x = net.layer_norm("encoder.ln", &x, EPS);
    let x = net.select("class_token_out", &x, 0, 0);
    net.linear("heads.head", &x, 1000, Init::Constant(0.0), Init::Constant(0.0))
}
