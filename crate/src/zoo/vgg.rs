//! VGG as torchvision defines it (`torchvision/models/vgg.py`): `make_layers`
//! over a configuration (A = VGG11, B = VGG13, D = VGG16), optionally with
//! batch norm, then a 3-layer classifier; initialised by `VGG.__init__`
//! (`init_weights=True`): convs `kaiming_normal_(mode="fan_out",
//! nonlinearity="relu")` with zero bias, batch norms weight 1 and bias 0,
//! linears `normal_(0, 0.01)` with zero bias.
//!
//! Eval mode: Dropout is not emitted; `avgpool` (`AdaptiveAvgPool2d((7, 7))`)
//! is an identity at 224 x 224 input and is not emitted.
//!
//! Recorded: every conv (after its ReLU; `:pre` is the conv output, or the
//! batch-norm output in the `_bn` variants) and the two hidden linears
//! `classifier.0` and `classifier.3` (after their ReLUs): 10 layers for VGG11,
//! 12 for VGG13, 15 for VGG16, as in the seed paper's Table 1.

use super::blocks::{kaiming_conv, Net, T};
use super::init::Init;
use super::LayerKind;

/// A VGG configuration: output channels of each 3x3 conv, `None` for a 2x2 max-pool.
pub type Config = &'static [Option<usize>];

const M: Option<usize> = None;
pub const A: Config = &[Some(64), M, Some(128), M, Some(256), Some(256), M, Some(512), Some(512), M, Some(512), Some(512), M];
pub const B: Config = &[Some(64), Some(64), M, Some(128), Some(128), M, Some(256), Some(256), M, Some(512), Some(512), M, Some(512), Some(512), M];
pub const D: Config = &[
    Some(64), Some(64), M, Some(128), Some(128), M, Some(256), Some(256), Some(256), M,
    Some(512), Some(512), Some(512), M, Some(512), Some(512), Some(512), M,
];

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T, config: Config, batch_norm: bool) -> T {
    let mut x = input.clone();
    let mut i = 0;
    for item in config {
        match *item {
            None => {
                x = net.max_pool(&format!("features.{i}"), &x, 2, 2, 0);
                i += 1;
            }
            Some(c) => {
                let name = format!("features.{i}");
                let mut pre = net.conv(&name, &x, (c, 3), (1, 1), kaiming_conv(c, 3), Some(Init::Constant(0.0)));
                if batch_norm {
                    pre = net.batch_norm(&format!("features.{}", i + 1), &pre);
                    i += 1;
                }
                x = net.relu(&format!("features.{}", i + 1), &pre);
                net.record(&name, LayerKind::Conv, &x, Some(&pre));
                i += 2;
            }
        }
    }
    x = net.flatten("flatten", &x);
    let linear = |fout| (fout, Init::Normal { std: 0.01 }, Init::Constant(0.0));
    for (i, relu) in [(0, true), (3, true), (6, false)] {
        let (fout, w, b) = linear(if i == 6 { 1000 } else { 4096 });
        let name = format!("classifier.{i}");
        let lin = net.linear(&name, &x, fout, w, b);
        x = if relu {
            let out = net.relu(&format!("classifier.{}", i + 1), &lin);
            net.record(&name, LayerKind::Linear, &out, Some(&lin));
            out
        } else {
            lin
        };
    }
    x
}
