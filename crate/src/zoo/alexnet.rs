//! AlexNet as torchvision defines it (`torchvision/models/alexnet.py`, the
//! "one weird trick" variant: 64-192-384-256-256 channels), 61,100,840
//! parameters, with PyTorch's default layer initialisation (torchvision adds
//! no init of its own for AlexNet).
//!
//! Eval mode: the two `nn.Dropout` modules (`classifier.0`, `classifier.3`) are
//! identities and are not emitted. `avgpool` (`AdaptiveAvgPool2d((6, 6))`) is
//! an identity at the fixed 224 x 224 input, whose feature map is already
//! 6 x 6, and is not emitted either.
//!
//! Recorded, the 10 layers of the seed paper's Table 1 as we read it (its exact
//! list is not published with it): the five convs (after their ReLU), the three
//! max-pools (`features.2`, `.5`, `.12`) and the two hidden linears (`classifier.1`,
//! `.4`, after their ReLU), in forward order. This is the pattern of our VGG
//! (hidden linears, no readout) and ResNet (pools recorded) lists. The readout
//! `classifier.6` (logits) is left out, as in VGG.

use super::blocks::{torch_conv, torch_linear, Net, T};
use super::LayerKind;

/// Conv modules of `features`: (index, out channels, kernel, stride, padding, max-pool after ReLU).
const CONVS: &[(usize, usize, usize, usize, usize, bool)] = &[
    (0, 64, 11, 4, 2, true),
    (3, 192, 5, 1, 2, true),
    (6, 384, 3, 1, 1, false),
    (8, 256, 3, 1, 1, false),
    (10, 256, 3, 1, 1, true),
];

/// Linear modules of `classifier`: (index, out features, ReLU after).
const LINEARS: &[(usize, usize, bool)] = &[(1, 4096, true), (4, 4096, true), (6, 1000, false)];

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T) -> T {
    let mut x = input.clone();
    for &(i, cout, k, s, p, pool) in CONVS {
        let (w, b) = torch_conv(x.shape[0], k);
        let name = format!("features.{i}");
        let conv = net.conv(&name, &x, (cout, k), (s, p), w, b);
        x = net.relu(&format!("features.{}", i + 1), &conv);
        net.record(&name, LayerKind::Conv, &x, Some(&conv));
        if pool {
            let name = format!("features.{}", i + 2);
            x = net.max_pool(&name, &x, 3, 2, 0);
            net.record(&name, LayerKind::Pool, &x, None);
        }
    }
    x = net.flatten("flatten", &x);
    for &(i, fout, relu) in LINEARS {
        let (w, b) = torch_linear(x.shape[0]);
        let name = format!("classifier.{i}");
        let lin = net.linear(&name, &x, fout, w, b);
        x = if relu { net.relu(&format!("classifier.{}", i + 1), &lin) } else { lin.clone() };
        if relu {
            net.record(&name, LayerKind::Linear, &x, Some(&lin));
        }
    }
    x
}
