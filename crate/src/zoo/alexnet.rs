//! AlexNet as torchvision defines it (`torchvision/models/alexnet.py`, the
//! "one weird trick" variant: 64-192-384-256-256 channels), 61,100,840
//! parameters, with PyTorch's default layer initialisation (torchvision adds
//! no init of its own for AlexNet).
//!
//! Eval mode: the two `nn.Dropout` modules (`classifier.0`, `classifier.3`) are
//! identities and are not emitted. `avgpool` (`AdaptiveAvgPool2d((6, 6))`) is
//! an identity at the fixed 224 x 224 input, whose feature map is already
//! 6 x 6, and is not emitted either.

use super::blocks::{torch_conv, torch_linear, Net};
use super::{Layer, LayerKind};

/// The recorded layers: every conv and linear module, after its ReLU where it has one.
pub const LAYERS: &[Layer] = &[
    conv("features.0", "features.1", &[64, 55, 55]),
    conv("features.3", "features.4", &[192, 27, 27]),
    conv("features.6", "features.7", &[384, 13, 13]),
    conv("features.8", "features.9", &[256, 13, 13]),
    conv("features.10", "features.11", &[256, 13, 13]),
    Layer { name: "classifier.1", kind: LayerKind::Linear, shape: &[4096], tensor: "classifier.2", pre: Some("classifier.1") },
    Layer { name: "classifier.4", kind: LayerKind::Linear, shape: &[4096], tensor: "classifier.5", pre: Some("classifier.4") },
    Layer { name: "classifier.6", kind: LayerKind::Linear, shape: &[1000], tensor: "classifier.6", pre: None },
];

const fn conv(name: &'static str, relu: &'static str, shape: &'static [usize]) -> Layer {
    Layer { name, kind: LayerKind::Conv, shape, tensor: relu, pre: Some(name) }
}

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

/// Emits the graph; returns the name of the logits tensor.
pub fn build(net: &mut Net, input: &str) -> String {
    let mut x = input.to_string();
    for &(i, cin, cout, k, s, p, pool) in CONVS {
        let (w, b) = torch_conv(cin, k);
        x = net.conv(&format!("features.{i}"), &x, (cin, cout, k), (s, p), w, b);
        x = net.relu(&format!("features.{}", i + 1), &x);
        if pool {
            x = net.g.max_pool(&format!("features.{}", i + 2), &x, 3, 2, 0);
        }
    }
    x = net.g.flatten("flatten", &x);
    for &(i, fin, fout, relu) in LINEARS {
        let (w, b) = torch_linear(fin);
        x = net.linear(&format!("classifier.{i}"), &x, (fin, fout), w, b);
        if relu {
            x = net.relu(&format!("classifier.{}", i + 1), &x);
        }
    }
    x
}
