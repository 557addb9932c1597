//! DenseNet-121 as torchvision defines it (`torchvision/models/densenet.py`,
//! `DenseNet(growth_rate=32, block_config=(6, 12, 24, 16),
//! num_init_features=64)`, bn_size 4): 7,978,856 parameters. Initialised by
//! the loop at the end of `DenseNet.__init__` ("Official init from torch
//! repo"): convs `kaiming_normal_(w)` with its defaults (fan_in, gain sqrt(2):
//! N(0, 2 / fan_in); no conv has a bias), batch norms weight 1 and bias 0,
//! the `classifier` Linear's bias 0 and its weight left at PyTorch's default
//! (U(±1/sqrt(fan_in))).
//!
//! Names: the stem `features.conv0`, `.norm0`, `.relu0`, `.pool0`; dense layer
//! `features.denseblock{b}.denselayer{l}` concatenates the block's input and
//! every earlier layer's new features (node `...denselayer{l}.cat`, as
//! `torch.cat` in `_DenseLayer.bn_function`), then `norm1`, `relu1`, `conv1`
//! (1x1 to 128), `norm2`, `relu2`, `conv2` (3x3 to 32), whose output is the
//! layer's (its 32 new channels); the block's output is the concatenation of
//! its input and all new features (node `features.denseblock{b}`);
//! `features.transition{b}` is `norm`, `relu`, `conv` (1x1, half the
//! channels), `pool` (2x2 average). Then `features.norm5`, the forward's
//! functional ReLU (node `relu`), the global average pool (`avgpool`) and
//! `classifier`. Eval mode, drop_rate 0: no dropout.
//!
//! Recorded (30, the count of the seed paper's Table 1; the list is our
//! choice, since the paper's is not available here): `features.norm0` (after
//! the in-place `relu0`; `:pre` the batch-norm output), `features.pool0`, in
//! each dense block every third dense layer and the block's last one
//! (`denselayer3`, `6`, ... and `denselayer16` of block 4: 2 + 4 + 8 + 6 = 20
//! layers, their 32 new channels, no `:pre`), the four dense blocks (the
//! concatenation), the three transitions (after `pool`), and `features.norm5`
//! (after the forward's in-place ReLU; `:pre` the batch-norm output). Kinds:
//! `norm0`, `norm5` and the dense layers are `conv`, `pool0` and the
//! transitions `pool`, the dense blocks `block`.

use super::blocks::{Net, T};
use super::init::Init;
use super::LayerKind;

const GROWTH: usize = 32;
const BN_SIZE: usize = 4;
const BLOCKS: [usize; 4] = [6, 12, 24, 16];

/// Whether dense layer `l` (from 1) of a block of `n` layers is recorded.
fn recorded(l: usize, n: usize) -> bool {
    l.is_multiple_of(3) || l == n
}

/// Batch norm, ReLU, conv (no bias, `kaiming_normal_` fan_in): a pre-activation unit.
fn norm_relu_conv(net: &mut Net, x: &T, [norm, relu, conv]: [&str; 3], (cout, k): (usize, usize), p: usize) -> T {
    let y = net.batch_norm(norm, x);
    let y = net.relu(relu, &y);
    let fan_in = y.shape[0] * k * k;
    net.conv(conv, &y, (cout, k), (1, p), Init::KaimingNormalFanIn { fan_in }, None)
}

fn dense_block(net: &mut Net, name: &str, x: &T, layers: usize) -> T {
    let mut features = vec![x.clone()];
    for l in 1..=layers {
        let n = |part: &str| format!("{name}.denselayer{l}.{part}");
        let input = if features.len() == 1 {
            x.clone()
        } else {
            let refs: Vec<&T> = features.iter().collect();
            net.concat(&n("cat"), &refs, 0)
        };
        let y = norm_relu_conv(net, &input, [&n("norm1"), &n("relu1"), &n("conv1")], (BN_SIZE * GROWTH, 1), 0);
        let y = norm_relu_conv(net, &y, [&n("norm2"), &n("relu2"), &n("conv2")], (GROWTH, 3), 1);
        if recorded(l, layers) {
            net.record(&format!("{name}.denselayer{l}"), LayerKind::Conv, &y, None);
        }
        features.push(y);
    }
    let refs: Vec<&T> = features.iter().collect();
    let out = net.concat(name, &refs, 0);
    net.record(name, LayerKind::Block, &out, None);
    out
}

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T) -> T {
    let x = net.conv("features.conv0", input, (64, 7), (2, 3), Init::KaimingNormalFanIn { fan_in: 3 * 7 * 7 }, None);
    let pre = net.batch_norm("features.norm0", &x);
    let x = net.relu("features.relu0", &pre);
    net.record("features.norm0", LayerKind::Conv, &x, Some(&pre));
    let mut x = net.max_pool("features.pool0", &x, 3, 2, 1);
    net.record("features.pool0", LayerKind::Pool, &x, None);
    for (b, &layers) in BLOCKS.iter().enumerate() {
        x = dense_block(net, &format!("features.denseblock{}", b + 1), &x, layers);
        if b + 1 < BLOCKS.len() {
            let t = format!("features.transition{}", b + 1);
            let n = |part: &str| format!("{t}.{part}");
            let half = x.shape[0] / 2;
            let y = norm_relu_conv(net, &x, [&n("norm"), &n("relu"), &n("conv")], (half, 1), 0);
            x = net.avg_pool(&n("pool"), &y, 2, 2);
            net.record(&t, LayerKind::Pool, &x, None);
        }
    }
    let pre = net.batch_norm("features.norm5", &x);
    let x = net.relu("relu", &pre);
    net.record("features.norm5", LayerKind::Conv, &x, Some(&pre));
    let x = net.global_avg_pool("avgpool", &x);
    let x = net.flatten("flatten", &x);
    let fan_in = x.shape[0];
    net.linear("classifier", &x, 1000, Init::TorchDefault { fan_in }, Init::Constant(0.0))
}
