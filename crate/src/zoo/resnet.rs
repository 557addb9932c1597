//! ResNets as torchvision defines them (`torchvision/models/resnet.py`):
//! BasicBlock (ResNet18/34) or Bottleneck (ResNet50, Wide-ResNet50-2) stages,
//! initialised by `ResNet.__init__`: convs `kaiming_normal_(mode="fan_out",
//! nonlinearity="relu")` without bias, batch norms weight 1 and bias 0
//! (`zero_init_residual=False`), and `fc` left at PyTorch's `nn.Linear` default.
//!
//! Node names follow the modules: `layer1.0.conv1`, `layer1.0.bn1`,
//! `layer1.0.downsample.0`; a block's output tensor is named for the block
//! (`layer1.0`, after its final ReLU); `layer1.0.add` is the residual sum.
//!
//! Recorded: `maxpool` (the stem's output), every block (after its final ReLU;
//! `:pre` is the residual sum) and `avgpool`: 10 layers for ResNet18, 18 for
//! ResNet34, ResNet50 and Wide-ResNet50-2, as in the seed paper's Table 1.

use super::blocks::{kaiming_conv, torch_linear, Net, T};
use super::LayerKind;

/// Which residual block, and the width of a bottleneck's 3x3 conv per group
/// (64 for ResNet50, 128 for Wide-ResNet50-2).
#[derive(Clone, Copy, Debug)]
pub enum Block {
    Basic,
    Bottleneck { width_per_group: usize },
}

impl Block {
    fn expansion(self) -> usize {
        match self {
            Block::Basic => 1,
            Block::Bottleneck { .. } => 4,
        }
    }
}

fn conv_bn(net: &mut Net, x: &T, conv: &str, bn: &str, (cout, k): (usize, usize), (s, p): (usize, usize)) -> T {
    let y = net.conv(conv, x, (cout, k), (s, p), kaiming_conv(cout, k), None);
    net.batch_norm(bn, &y)
}

fn block(net: &mut Net, name: &str, x: &T, block: Block, planes: usize, stride: usize) -> T {
    let out_c = planes * block.expansion();
    let n = |part: &str| format!("{name}.{part}");
    let y = match block {
        Block::Basic => {
            let y = conv_bn(net, x, &n("conv1"), &n("bn1"), (planes, 3), (stride, 1));
            let y = net.relu(&n("relu"), &y);
            conv_bn(net, &y, &n("conv2"), &n("bn2"), (planes, 3), (1, 1))
        }
        Block::Bottleneck { width_per_group } => {
            let width = planes * width_per_group / 64;
            let y = conv_bn(net, x, &n("conv1"), &n("bn1"), (width, 1), (1, 0));
            let y = net.relu(&n("relu"), &y);
            let y = conv_bn(net, &y, &n("conv2"), &n("bn2"), (width, 3), (stride, 1));
            let y = net.relu(&n("relu_1"), &y);
            conv_bn(net, &y, &n("conv3"), &n("bn3"), (out_c, 1), (1, 0))
        }
    };
    let identity = if stride != 1 || x.shape[0] != out_c {
        conv_bn(net, x, &n("downsample.0"), &n("downsample.1"), (out_c, 1), (stride, 0))
    } else {
        x.clone()
    };
    let sum = net.add(&n("add"), &y, &identity);
    let out = net.relu(name, &sum);
    net.record(name, LayerKind::Block, &out, Some(&sum));
    out
}

/// Emits the graph with `blocks[i]` blocks in stage i+1; returns the logits.
pub fn build(net: &mut Net, input: &T, kind: Block, blocks: [usize; 4]) -> T {
    let x = conv_bn(net, input, "conv1", "bn1", (64, 7), (2, 3));
    let x = net.relu("relu", &x);
    let mut x = net.max_pool("maxpool", &x, 3, 2, 1);
    net.record("maxpool", LayerKind::Pool, &x, None);
    for (stage, &count) in blocks.iter().enumerate() {
        let planes = 64 << stage;
        for b in 0..count {
            let stride = if stage > 0 && b == 0 { 2 } else { 1 };
            x = block(net, &format!("layer{}.{b}", stage + 1), &x, kind, planes, stride);
        }
    }
    let x = net.global_avg_pool("avgpool", &x);
    net.record("avgpool", LayerKind::Pool, &x, None);
    let x = net.flatten("flatten", &x);
    let (w, b) = torch_linear(x.shape[0]);
    net.linear("fc", &x, 1000, w, b)
}
