//! The AlexNet of DeepCluster (Caron et al. 2018) as its repository defines
//! it (`facebookresearch/deepcluster`, `models/alexnet.py`, `alexnet(sobel=True,
//! bn=True, out=1000)`): the 2012 AlexNet widths (96-256-384-384-256), batch
//! normalisation after every conv in place of local response normalisation,
//! and a fixed front end, `sobel`, that turns the image grey (a 1x1 conv of
//! weight 1/3) and takes its two Sobel derivatives (a 3x3 conv, padding 1),
//! so `features.0` sees 2 channels. 62,369,504 parameters (the front end's 24
//! included: torch counts them though they never train).
//!
//! Truzzi & Cusack's "random DeepCluster" is this network with its initial
//! weights; the repository's `AlexNet._initialize_weights` draws them: convs
//! `normal_(0, sqrt(2 / (k * k * out_channels)))` (= `kaiming_normal_` fan-out)
//! with zero bias, batch norms 1/0, linears `normal_(0, 0.01)` with zero
//! bias. It runs before the front end is built, whose weights are then set to
//! their fixed values: they are the same for every seed.
//!
//! Eval mode: Dropout (`classifier.0`, `.3`) is not emitted. The readout is
//! `top_layer` (`nn.Linear(4096, 1000)`; DeepCluster resizes it to its
//! cluster count while training).
//!
//! Recorded, by module names and in AlexNet's pattern (ours records its convs,
//! pools and hidden linears): the five convs after their batch norm and ReLU
//! (`:pre` is the batch norm's output), the three max-pools and the two hidden
//! linears after their ReLU: 10 layers. The paper's seven (the ReLU outputs
//! of the five convs and two fully connected layers) are the convs and linears.

use super::blocks::{kaiming_conv, Net, T};
use super::init::Init;
use super::LayerKind;

/// Conv modules of `features`: (index, out channels, kernel, stride, padding,
/// max-pool after the ReLU); each conv is followed by its batch norm (index + 1)
/// and ReLU (index + 2), and a pool by index + 3.
const CONVS: &[(usize, usize, usize, usize, usize, bool)] = &[
    (0, 96, 11, 4, 2, true),
    (4, 256, 5, 1, 2, true),
    (8, 384, 3, 1, 1, false),
    (11, 384, 3, 1, 1, false),
    (14, 256, 3, 1, 1, true),
];

/// The Sobel filters of `sobel.1`, horizontal then vertical derivative, as the repository sets them.
pub const SOBEL: [[f32; 9]; 2] = [[1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0], [1.0, 2.0, 1.0, 0.0, 0.0, 0.0, -1.0, -2.0, -1.0]];

/// A conv whose weights are given, not drawn (zero bias): the same for every seed.
fn fixed_conv(net: &mut Net, name: &str, x: &T, (cout, k, padding): (usize, usize, usize), weight: Vec<f32>) -> T {
    let cin = x.shape[0];
    let (w, b) = if net.dry { (Vec::new(), Vec::new()) } else { (weight, vec![0.0; cout]) };
    let w = net.g.parameter(&format!("{name}.weight"), &[cout, cin, k, k], w);
    let b = net.g.parameter(&format!("{name}.bias"), &[cout], b);
    let out = net.g.conv_grouped(name, &x.name, &w, Some(&b), (k, 1, padding), 1);
    let size = |n: usize| n + 2 * padding + 1 - k;
    T::new(&out, &[cout, size(x.shape[1]), size(x.shape[2])])
}

/// Emits the graph; returns the logits.
pub fn build(net: &mut Net, input: &T) -> T {
    let grey = fixed_conv(net, "sobel.0", input, (1, 1, 0), vec![1.0 / 3.0; 3]);
    let mut x = fixed_conv(net, "sobel.1", &grey, (2, 3, 1), SOBEL.concat());
    for &(i, cout, k, s, p, pool) in CONVS {
        let name = format!("features.{i}");
        let conv = net.conv(&name, &x, (cout, k), (s, p), kaiming_conv(cout, k), Some(Init::Constant(0.0)));
        let bn = net.batch_norm(&format!("features.{}", i + 1), &conv);
        x = net.relu(&format!("features.{}", i + 2), &bn);
        net.record(&name, LayerKind::Conv, &x, Some(&bn));
        if pool {
            let name = format!("features.{}", i + 3);
            x = net.max_pool(&name, &x, 3, 2, 0);
            net.record(&name, LayerKind::Pool, &x, None);
        }
    }
    x = net.flatten("flatten", &x);
    for i in [1, 4] {
        let name = format!("classifier.{i}");
        let lin = net.linear(&name, &x, 4096, Init::Normal { std: 0.01 }, Init::Constant(0.0));
        x = net.relu(&format!("classifier.{}", i + 1), &lin);
        net.record(&name, LayerKind::Linear, &x, Some(&lin));
    }
    net.linear("top_layer", &x, 1000, Init::Normal { std: 0.01 }, Init::Constant(0.0))
}
