//! The zoo manifest (`models/zoo.json`): what each architecture is, as the CLI
//! and the site show it. Generated from the crate (`idlab zoo --json`), and a
//! test checks the committed file against it, so the two cannot drift.

use super::{Arch, Family};
use serde_json::{json, Value};

/// Version of the manifest format.
pub const MANIFEST_VERSION: u32 = 1;

/// The initialisation rule of each architecture, citing where it comes from.
pub fn init_rule(arch: Arch) -> &'static str {
    match arch {
        Arch::AlexNet => "PyTorch layer defaults (torch.nn Conv2d/Linear reset_parameters): kaiming_uniform_(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) biases",
        Arch::Vgg11 | Arch::Vgg13 | Arch::Vgg16 | Arch::Vgg13Bn => "torchvision VGG.__init__: convs kaiming_normal_(fan_out, relu) with zero bias, batch norm 1/0, linears normal_(0, 0.01) with zero bias",
        Arch::ResNet18 | Arch::ResNet34 | Arch::ResNet50 | Arch::WideResNet50_2 => "torchvision ResNet.__init__: convs kaiming_normal_(fan_out, relu), batch norm 1/0 (zero_init_residual=False), fc PyTorch Linear default",
        Arch::SqueezeNet1_0 => "torchvision SqueezeNet.__init__: final conv (classifier.1) normal_(0, 0.01), other convs kaiming_uniform_ (a=0, fan_in: U(+-sqrt(6/fan_in))), biases 0",
        Arch::DenseNet121 => "torchvision DenseNet.__init__: convs kaiming_normal_ (fan_in, gain sqrt(2)) without bias, batch norm 1/0, classifier PyTorch Linear default weight with zero bias",
        Arch::MobileNetV2 => "torchvision MobileNetV2.__init__: convs kaiming_normal_(fan_out) without bias (depthwise included), batch norm 1/0, classifier.1 normal_(0, 0.01) with zero bias",
        Arch::VitB32 | Arch::VitB16 | Arch::VitL16 | Arch::VitL32 => "torchvision VisionTransformer: conv_proj trunc_normal_(std=sqrt(1/fan_in)) with zero bias, class_token 0, pos_embedding normal_(0.02), attention in_proj xavier_uniform_ with zero bias and out_proj Linear default weight with zero bias (nn.MultiheadAttention), MLP xavier_uniform_ with normal_(1e-6) biases, layer norm 1/0, heads.head zeros (so logits are 0)",
        Arch::MixerB16_224 => "timm MlpMixer._init_weights: stem.proj lecun_normal_ with zero bias, linears xavier_uniform_ with normal_(1e-6) biases, layer norm 1/0, head zeros (so logits are 0)",
        Arch::AlexNetDeepCluster => "deepcluster AlexNet._initialize_weights: convs normal_(0, sqrt(2/(k*k*out_channels))) with zero bias, batch norm 1/0, linears normal_(0, 0.01) with zero bias; the sobel front end fixed (grey 1/3, Sobel filters, zero bias) for every seed",
        Arch::EfficientNetLite0 => "PyTorch layer defaults (efficientnet_lite_pytorch has no init of its own): convs kaiming_uniform_(a=sqrt(5)) without bias (depthwise included, fan_in = k*k), batch norm 1/0 (eps 1e-3), _fc PyTorch Linear default",
    }
}

/// One architecture's entry.
pub fn entry(arch: Arch) -> Value {
    let p = arch.preprocess();
    let family = match arch.family() {
        Family::Cnn => "cnn",
        Family::Transformer => "transformer",
        Family::Mixer => "mixer",
    };
    json!({
        "arch": arch.name(),
        "family": family,
        "source": arch.source(),
        "parameters": arch.parameter_count(),
        "input": { "size": p.size, "mean": p.mean, "std": p.std, "channels": "RGB", "layout": "NCHW" },
        "init": init_rule(arch),
        "layers": arch.layers().iter().map(|l| json!({
            "name": l.name,
            "kind": l.kind,
            "shape": l.shape,
            "pre": l.pre.is_some(),
            "tensor": l.tensor,
            "pre_tensor": l.pre,
        })).collect::<Vec<_>>(),
    })
}

/// The whole manifest.
pub fn manifest() -> Value {
    json!({
        "idlab_zoo": MANIFEST_VERSION,
        "recorded": "each layer's value as a PyTorch forward hook on that module records it in eval mode (after torchvision's in-place ReLU where one follows); <name>:pre is the value before the nonlinearity; the Mixer's blocks.<i>.token_mixing is the input of blocks.<i>.norm2 (a forward pre-hook's value)",
        "models": Arch::ALL.iter().map(|&a| entry(a)).collect::<Vec<_>>(),
    })
}
