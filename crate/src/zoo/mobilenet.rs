//! MobileNetV2 as torchvision defines it (`torchvision/models/mobilenetv2.py`,
//! width 1.0): a 3x3 stride-2 `Conv2dNormActivation` stem (`features.0`), 17
//! `InvertedResidual` blocks (`features.1` to `features.17`) and a 1x1 conv to
//! 1280 channels (`features.18`), then the functional global average pool and
//! `classifier.1`; 3,504,872 parameters. Initialised by the loop at the end of
//! `MobileNetV2.__init__`: convs `kaiming_normal_(mode="fan_out")` (fan_out =
//! out channels x k x k, depthwise ones included; they have no bias), batch
//! norms `ones_` / `zeros_`, the linear `normal_(0, 0.01)` with `zeros_` bias.
//!
//! Names: a conv-norm-activation is a `Sequential` (`.0` conv, `.1` batch
//! norm, `.2` ReLU6, emitted as `Clip(0, 6)`); a block's `conv` is
//! `conv.0` (1x1 expand, when the expansion t is not 1), then the depthwise
//! 3x3 (`conv.1`, or `conv.0` when t = 1), then the 1x1 linear projection and
//! its batch norm. A block with a residual connection (stride 1, same width)
//! outputs the sum, a node named for the block (`features.3`); the others
//! output their last batch norm (`features.2.conv.3`). Eval mode: the Dropout
//! `classifier.0` is not emitted.
//!
//! Recorded (14, the count of the seed paper's Table 1; our choice, since its
//! list is not available): every module of `features` but the first block of
//! each stage of several blocks (`features.2`, `.4`, `.7`, `.11`, `.14`, the
//! blocks that change stride or width and feed a residual stage), that is
//! `features.0`, `features.1`, the ten residual blocks `features.3`, `.5`,
//! `.6`, `.8`, `.9`, `.10`, `.12`, `.13`, `.15`, `.16`, then `features.17` and
//! `features.18`. `features.0` and `features.18` are read after their ReLU6
//! (`:pre`: the batch-norm output); block outputs have no nonlinearity after
//! them and no `:pre`. The pooled features are not recorded: torchvision pools
//! with a function, not a module, so no hook sees them.

use super::blocks::{kaiming_conv, Net, T};
use super::init::Init;
use super::LayerKind;

/// torchvision's `inverted_residual_setting`: expansion t, channels c, blocks n, stride s.
const SETTING: &[(usize, usize, usize, usize)] =
    &[(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

/// `features` modules not recorded (the first block of each multi-block stage).
const SKIPPED: &[usize] = &[2, 4, 7, 11, 14];

/// `Conv2dNormActivation(cin, cout, k, stride, groups, ReLU6)` named `name`
/// (`name.0` conv, `name.1` batch norm, `name.2` ReLU6); returns (output, batch-norm output).
fn conv_bn_relu6(net: &mut Net, name: &str, x: &T, (cout, k): (usize, usize), stride: usize, groups: usize) -> (T, T) {
    let y = net.conv_grouped(&format!("{name}.0"), x, (cout, k), (stride, (k - 1) / 2), groups, kaiming_conv(cout, k), None);
    let bn = net.batch_norm(&format!("{name}.1"), &y);
    (net.relu6(&format!("{name}.2"), &bn), bn)
}

fn inverted_residual(net: &mut Net, name: &str, x: &T, (t, oup, stride): (usize, usize, usize)) -> T {
    let inp = x.shape[0];
    let hidden = inp * t;
    let mut y = x.clone();
    let mut i = 0;
    if t != 1 {
        y = conv_bn_relu6(net, &format!("{name}.conv.{i}"), &y, (hidden, 1), 1, 1).0;
        i += 1;
    }
    y = conv_bn_relu6(net, &format!("{name}.conv.{i}"), &y, (hidden, 3), stride, hidden).0;
    let y = net.conv(&format!("{name}.conv.{}", i + 1), &y, (oup, 1), (1, 0), kaiming_conv(oup, 1), None);
    let y = net.batch_norm(&format!("{name}.conv.{}", i + 2), &y);
    if stride == 1 && inp == oup {
        net.add(name, x, &y)
    } else {
        y
    }
}

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T) -> T {
    let record = |net: &mut Net, i: usize, kind, x: &T, pre: Option<&T>| {
        if !SKIPPED.contains(&i) {
            net.record(&format!("features.{i}"), kind, x, pre);
        }
    };
    let (mut x, pre) = conv_bn_relu6(net, "features.0", input, (32, 3), 2, 1);
    record(net, 0, LayerKind::Conv, &x, Some(&pre));
    let mut i = 1;
    for &(t, c, n, s) in SETTING {
        for b in 0..n {
            x = inverted_residual(net, &format!("features.{i}"), &x, (t, c, if b == 0 { s } else { 1 }));
            record(net, i, LayerKind::Block, &x, None);
            i += 1;
        }
    }
    let (x, pre) = conv_bn_relu6(net, "features.18", &x, (1280, 1), 1, 1);
    record(net, 18, LayerKind::Conv, &x, Some(&pre));
    let x = net.global_avg_pool("avgpool", &x);
    let x = net.flatten("flatten", &x);
    net.linear("classifier.1", &x, 1000, Init::Normal { std: 0.01 }, Init::Constant(0.0))
}
