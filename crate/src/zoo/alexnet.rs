//! AlexNet as torchvision defines it (`torchvision/models/alexnet.py`, the
//! "one weird trick" variant: 64-192-384-256-256 channels), 61,100,840
//! parameters, with PyTorch's default layer initialisation (torchvision adds
//! no init of its own for AlexNet).
//!
//! Eval mode: the two `nn.Dropout` modules (`classifier.0`, `classifier.3`) are
//! identities and are not emitted. `avgpool` (`AdaptiveAvgPool2d((6, 6))`) is
//! an identity at the fixed 224 x 224 input, whose feature map is already
//! 6 x 6, and is not emitted either.

use super::graph::GraphBuilder;
use super::init::torch_default;
use super::{Layer, LayerKind};

/// The recorded layers: every conv and linear module's output (before its ReLU).
pub const LAYERS: &[Layer] = &[
    Layer { name: "features.0", kind: LayerKind::Conv, shape: &[64, 55, 55] },
    Layer { name: "features.3", kind: LayerKind::Conv, shape: &[192, 27, 27] },
    Layer { name: "features.6", kind: LayerKind::Conv, shape: &[384, 13, 13] },
    Layer { name: "features.8", kind: LayerKind::Conv, shape: &[256, 13, 13] },
    Layer { name: "features.10", kind: LayerKind::Conv, shape: &[256, 13, 13] },
    Layer { name: "classifier.1", kind: LayerKind::Linear, shape: &[4096] },
    Layer { name: "classifier.4", kind: LayerKind::Linear, shape: &[4096] },
    Layer { name: "classifier.6", kind: LayerKind::Linear, shape: &[1000] },
];

/// Conv modules of `features`: (index, in, out, kernel, stride, padding, max-pool after ReLU).
const CONVS: &[(usize, usize, usize, usize, usize, usize, bool)] = &[
    (0, 3, 64, 11, 4, 2, true),
    (3, 64, 192, 5, 1, 2, true),
    (6, 192, 384, 3, 1, 1, false),
    (8, 384, 256, 3, 1, 1, false),
    (10, 256, 256, 3, 1, 1, true),
];

/// Linear modules of `classifier`: (index, in, out, ReLU after).
const LINEARS: &[(usize, usize, usize, bool)] =
    &[(1, 256 * 6 * 6, 4096, true), (4, 4096, 4096, true), (6, 4096, 1000, false)];

/// Emits the graph with seeded weights. Returns the builder and the name of the logits tensor.
pub fn build(g: &mut GraphBuilder, input: &str, seed: u64) -> String {
    let mut x = input.to_string();
    for &(i, cin, cout, k, s, p, pool) in CONVS {
        let name = format!("features.{i}");
        let fan_in = cin * k * k;
        let w = format!("{name}.weight");
        let b = format!("{name}.bias");
        g.parameter(&w, &[cout, cin, k, k], torch_default(seed, &w, fan_in, cout * cin * k * k));
        g.parameter(&b, &[cout], torch_default(seed, &b, fan_in, cout));
        x = g.conv(&name, &x, &w, Some(&b), k, s, p);
        x = g.relu(&format!("features.{}", i + 1), &x);
        if pool {
            x = g.max_pool(&format!("features.{}", i + 2), &x, 3, 2);
        }
    }
    x = g.flatten("flatten", &x);
    for &(i, fin, fout, relu) in LINEARS {
        let name = format!("classifier.{i}");
        let w = format!("{name}.weight");
        let b = format!("{name}.bias");
        g.parameter(&w, &[fout, fin], torch_default(seed, &w, fin, fout * fin));
        g.parameter(&b, &[fout], torch_default(seed, &b, fin, fout));
        x = g.linear(&name, &x, &w, &b);
        if relu {
            x = g.relu(&format!("classifier.{}", i + 1), &x);
        }
    }
    x
}
