//! SqueezeNet 1.0 as torchvision defines it (`torchvision/models/squeezenet.py`,
//! `SqueezeNet(version="1_0")`): a 7x7 stride-2 conv, eight `Fire` modules and
//! three `MaxPool2d(3, 2, ceil_mode=True)`, then a 1x1 conv classifier;
//! 1,248,424 parameters. Initialised by the loop at the end of
//! `SqueezeNet.__init__`: the final conv (`classifier.1`) `normal_(0, 0.01)`,
//! every other conv `kaiming_uniform_(w)` with its defaults (a = 0, fan_in,
//! gain sqrt(2): U(±sqrt(6 / fan_in))), every bias 0.
//!
//! A `Fire` module `features.{i}` emits `features.{i}.squeeze` (1x1) and its
//! ReLU `features.{i}.squeeze_activation`, then `features.{i}.expand1x1` and
//! `features.{i}.expand3x3` with their ReLUs `*_activation`, concatenated on
//! the channel axis into the tensor `features.{i}`. Eval mode: the Dropout
//! `classifier.0` is not emitted; `classifier.1` is the final conv,
//! `classifier.2` its ReLU, `classifier.3` the global average pool, then the
//! flatten gives the logits.
//!
//! Recorded: the 13 modules of `features` (`features.0` to `features.12`), each
//! as a forward hook on it records its output: `features.0` (the conv) after
//! its in-place ReLU, so `features.0` and `features.1` (that ReLU) hold the same
//! value; `features.0:pre` is the conv output; max-pools (`features.2`, `.6`,
//! `.11`) and Fire modules (the concatenation of the two ReLU'd expands) have
//! no `:pre`. 13 layers, as in the seed paper's Table 1.

use super::blocks::{Net, T};
use super::init::Init;
use super::LayerKind;

/// `features` after the stem: `Some((squeeze, expand1x1, expand3x3))` for a
/// Fire module, `None` for a ceil-mode max-pool; indices 3 to 12.
const FEATURES: &[Option<(usize, usize, usize)>] = &[
    Some((16, 64, 64)),
    Some((16, 64, 64)),
    Some((32, 128, 128)),
    None,
    Some((32, 128, 128)),
    Some((48, 192, 192)),
    Some((48, 192, 192)),
    Some((64, 256, 256)),
    None,
    Some((64, 256, 256)),
];

/// A conv with `kaiming_uniform_` weight and zero bias, and its in-place ReLU.
fn conv_relu(net: &mut Net, conv: &str, relu: &str, x: &T, (cout, k): (usize, usize), (s, p): (usize, usize)) -> (T, T) {
    let fan_in = x.shape[0] * k * k;
    let pre = net.conv(conv, x, (cout, k), (s, p), Init::KaimingUniformFanIn { fan_in }, Some(Init::Constant(0.0)));
    let out = net.relu(relu, &pre);
    (out, pre)
}

fn fire(net: &mut Net, name: &str, x: &T, (squeeze, e1, e3): (usize, usize, usize)) -> T {
    let n = |part: &str| format!("{name}.{part}");
    let (s, _) = conv_relu(net, &n("squeeze"), &n("squeeze_activation"), x, (squeeze, 1), (1, 0));
    let (a, _) = conv_relu(net, &n("expand1x1"), &n("expand1x1_activation"), &s, (e1, 1), (1, 0));
    let (b, _) = conv_relu(net, &n("expand3x3"), &n("expand3x3_activation"), &s, (e3, 3), (1, 1));
    net.concat(name, &[&a, &b], 0)
}

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T) -> T {
    let (x, pre) = conv_relu(net, "features.0", "features.1", input, (96, 7), (2, 0));
    net.record("features.0", LayerKind::Conv, &x, Some(&pre));
    net.record("features.1", LayerKind::Conv, &x, None);
    let mut x = net.max_pool_ceil("features.2", &x, 3, 2);
    net.record("features.2", LayerKind::Pool, &x, None);
    for (j, item) in FEATURES.iter().enumerate() {
        let name = format!("features.{}", j + 3);
        match *item {
            Some(planes) => {
                x = fire(net, &name, &x, planes);
                net.record(&name, LayerKind::Block, &x, None);
            }
            None => {
                x = net.max_pool_ceil(&name, &x, 3, 2);
                net.record(&name, LayerKind::Pool, &x, None);
            }
        }
    }
    let x = net.conv("classifier.1", &x, (1000, 1), (1, 0), Init::Normal { std: 0.01 }, Some(Init::Constant(0.0)));
    let x = net.relu("classifier.2", &x);
    let x = net.global_avg_pool("classifier.3", &x);
    net.flatten("flatten", &x)
}
