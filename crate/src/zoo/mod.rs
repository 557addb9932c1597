//! The model zoo: architectures built from a seed as ONNX graphs with
//! torchvision's names and default initialisation (timm's for the MLP-Mixer,
//! the `efficientnet_lite_pytorch` package's for EfficientNet-Lite0).
//! Nothing is downloaded: trained weights come from files (ONNX exports, or
//! state dicts put into a zoo graph by [`crate::weights`]).

mod alexnet;
pub mod deepcluster;
pub mod blocks;
mod densenet;
mod efficientnet;
pub mod graph;
pub mod init;
pub mod labels;
pub mod manifest;
mod mixer;
mod mobilenet;
mod resnet;
mod squeezenet;
mod vgg;
mod vit;

use crate::error::{Error, Result};
use crate::stimuli::Preprocess;
use blocks::{Net, T};
use serde::{Deserialize, Serialize};
use tract_onnx::pb::ModelProto;

/// What kind of module a recorded layer is the output of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    Conv,
    Linear,
    Pool,
    /// A block's output: a residual block's (or a residual sublayer's sum, as
    /// the Mixer's `blocks.{i}.token_mixing`), MobileNetV2's inverted residual
    /// blocks (with or without the residual sum), SqueezeNet's Fire modules and
    /// DenseNet's dense blocks (concatenations).
    Block,
}

/// A recorded layer: the module's torchvision name, its output shape for one
/// image, and the graph tensors that hold its value.
///
/// The value is what a PyTorch forward hook on that module records in eval
/// mode: torchvision's ReLUs are in place, so a conv or linear module followed
/// by a ReLU is recorded after the ReLU (`tensor`); `<name>:pre` reads the
/// value before the nonlinearity (`pre`). One exception, not a module's
/// output: the Mixer's `blocks.{i}.token_mixing` is the input of
/// `blocks.{i}.norm2`, as a forward pre-hook on it records it.
#[derive(Clone, Debug, Serialize)]
pub struct Layer {
    pub name: String,
    pub kind: LayerKind,
    pub shape: Vec<usize>,
    pub tensor: String,
    pub pre: Option<String>,
}

impl Layer {
    /// Number of units (flattened output size for one image).
    pub fn units(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A layer chosen for recording: its label in results and the tensor read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Probe {
    pub label: String,
    pub tensor: String,
    pub units: usize,
}

/// Suffix that selects a layer's value before its nonlinearity.
pub const PRE: &str = ":pre";

/// Family of an architecture (the convolution-vs-attention comparisons group by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Cnn,
    Transformer,
    Mixer,
}

/// An architecture of the zoo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    AlexNet,
    Vgg11,
    Vgg13,
    Vgg16,
    Vgg13Bn,
    ResNet18,
    ResNet34,
    ResNet50,
    WideResNet50_2,
    #[serde(rename = "squeezenet1_0")]
    SqueezeNet1_0,
    #[serde(rename = "densenet121")]
    DenseNet121,
    #[serde(rename = "mobilenet_v2")]
    MobileNetV2,
    #[serde(rename = "vit_b_32")]
    VitB32,
    #[serde(rename = "vit_b_16")]
    VitB16,
    #[serde(rename = "vit_l_16")]
    VitL16,
    #[serde(rename = "vit_l_32")]
    VitL32,
    #[serde(rename = "mixer_b16_224")]
    MixerB16_224,
    #[serde(rename = "efficientnet_lite0")]
    EfficientNetLite0,
    /// DeepCluster's AlexNet (batch norm, fixed Sobel front end).
    #[serde(rename = "alexnet_deepcluster")]
    AlexNetDeepCluster,
}

impl Arch {
    /// Whether the fully connected head is worth running several images at
    /// once (`runtime::head`): AlexNet's reads 234 MB of weights an image
    /// against 0.66 G multiply-adds before it (BENCHMARKS.md, "Images batched
    /// through the head").
    pub fn batches_head(self) -> bool {
        matches!(self, Arch::AlexNet | Arch::AlexNetDeepCluster)
    }

    pub const ALL: &'static [Arch] = &[
        Arch::AlexNet,
        Arch::Vgg11,
        Arch::Vgg13,
        Arch::Vgg16,
        Arch::Vgg13Bn,
        Arch::ResNet18,
        Arch::ResNet34,
        Arch::ResNet50,
        Arch::WideResNet50_2,
        Arch::SqueezeNet1_0,
        Arch::DenseNet121,
        Arch::MobileNetV2,
        Arch::VitB32,
        Arch::VitB16,
        Arch::VitL16,
        Arch::VitL32,
        Arch::MixerB16_224,
        Arch::EfficientNetLite0,
        Arch::AlexNetDeepCluster,
    ];

    /// Its name in the library it comes from (`torchvision.models.<name>`,
    /// or `timm.create_model("<name>")` for the Mixer; see [`Arch::source`]).
    pub fn name(self) -> &'static str {
        match self {
            Arch::AlexNet => "alexnet",
            Arch::Vgg11 => "vgg11",
            Arch::Vgg13 => "vgg13",
            Arch::Vgg16 => "vgg16",
            Arch::Vgg13Bn => "vgg13_bn",
            Arch::ResNet18 => "resnet18",
            Arch::ResNet34 => "resnet34",
            Arch::ResNet50 => "resnet50",
            Arch::WideResNet50_2 => "wide_resnet50_2",
            Arch::SqueezeNet1_0 => "squeezenet1_0",
            Arch::DenseNet121 => "densenet121",
            Arch::MobileNetV2 => "mobilenet_v2",
            Arch::VitB32 => "vit_b_32",
            Arch::VitB16 => "vit_b_16",
            Arch::VitL16 => "vit_l_16",
            Arch::VitL32 => "vit_l_32",
            Arch::MixerB16_224 => "mixer_b16_224",
            Arch::EfficientNetLite0 => "efficientnet_lite0",
            Arch::AlexNetDeepCluster => "alexnet_deepcluster",
        }
    }

    /// Where the definition (names, layout, init) comes from.
    pub fn source(self) -> String {
        match self {
            Arch::MixerB16_224 => format!("timm.models.{}", self.name()),
            Arch::EfficientNetLite0 => "efficientnet_lite_pytorch.EfficientNet.from_name(\"efficientnet-lite0\")".into(),
            Arch::AlexNetDeepCluster => "facebookresearch/deepcluster models/alexnet.py: alexnet(sobel=True, bn=True, out=1000)".into(),
            _ => format!("torchvision.models.{}", self.name()),
        }
    }

    pub fn family(self) -> Family {
        match self {
            Arch::VitB32 | Arch::VitB16 | Arch::VitL16 | Arch::VitL32 => Family::Transformer,
            Arch::MixerB16_224 => Family::Mixer,
            _ => Family::Cnn,
        }
    }

    /// Parameter count of the torchvision model (`num_params` in its weight
    /// metadata); for the Mixer, of timm's model, and for EfficientNet-Lite0,
    /// of the package's (`sum(p.numel() for p in model.parameters())`).
    pub fn parameter_count(self) -> usize {
        match self {
            Arch::AlexNet => 61_100_840,
            Arch::Vgg11 => 132_863_336,
            Arch::Vgg13 => 133_047_848,
            Arch::Vgg16 => 138_357_544,
            Arch::Vgg13Bn => 133_053_736,
            Arch::ResNet18 => 11_689_512,
            Arch::ResNet34 => 21_797_672,
            Arch::ResNet50 => 25_557_032,
            Arch::WideResNet50_2 => 68_883_240,
            Arch::SqueezeNet1_0 => 1_248_424,
            Arch::DenseNet121 => 7_978_856,
            Arch::MobileNetV2 => 3_504_872,
            Arch::VitB32 => 88_224_232,
            Arch::VitB16 => 86_567_656,
            Arch::VitL16 => 304_326_632,
            Arch::VitL32 => 306_535_400,
            Arch::MixerB16_224 => 59_880_472,
            Arch::EfficientNetLite0 => 4_652_008,
            // sum(p.numel() for p in model.parameters()), Sobel front end included
            // (tests/fixtures/deepcluster/alexnet_params.py).
            Arch::AlexNetDeepCluster => 62_369_504,
        }
    }

    /// Parses a zoo name, with an error that lists the names it knows.
    pub fn parse(name: &str) -> Result<Arch> {
        Arch::ALL.iter().copied().find(|a| a.name() == name).ok_or_else(|| {
            let known: Vec<_> = Arch::ALL.iter().map(|a| a.name()).collect();
            Error::Spec(format!("unknown architecture \"{name}\"; the zoo has: {}", known.join(", ")))
        })
    }

    /// Input transform the architecture was trained with (size and
    /// normalisation; the resize before the crop is always to the crop size).
    /// timm's `mixer_b16_224` normalises with mean and std 0.5,
    /// EfficientNet-Lite0 as TensorFlow's Lite models do (see
    /// [`EFFICIENTNET_LITE_224`]); the others use torchvision's ImageNet
    /// statistics. Each model of a session normalises the shared resized
    /// images with its own statistics.
    pub fn preprocess(self) -> Preprocess {
        match self {
            Arch::MixerB16_224 => Preprocess::INCEPTION_224,
            Arch::EfficientNetLite0 => EFFICIENTNET_LITE_224,
            _ => Preprocess::IMAGENET_224,
        }
    }

    /// Lays out the graph on `net`; returns the logits.
    fn emit(self, net: &mut Net, input: &T) -> T {
        use resnet::Block::{Basic, Bottleneck};
        match self {
            Arch::AlexNet => alexnet::build(net, input),
            Arch::Vgg11 => vgg::build(net, input, vgg::A, false),
            Arch::Vgg13 => vgg::build(net, input, vgg::B, false),
            Arch::Vgg16 => vgg::build(net, input, vgg::D, false),
            Arch::Vgg13Bn => vgg::build(net, input, vgg::B, true),
            Arch::ResNet18 => resnet::build(net, input, Basic, [2, 2, 2, 2]),
            Arch::ResNet34 => resnet::build(net, input, Basic, [3, 4, 6, 3]),
            Arch::ResNet50 => resnet::build(net, input, Bottleneck { width_per_group: 64 }, [3, 4, 6, 3]),
            Arch::WideResNet50_2 => resnet::build(net, input, Bottleneck { width_per_group: 128 }, [3, 4, 6, 3]),
            Arch::SqueezeNet1_0 => squeezenet::build(net, input),
            Arch::DenseNet121 => densenet::build(net, input),
            Arch::MobileNetV2 => mobilenet::build(net, input),
            Arch::VitB32 => vit::build(net, input, vit::B_32),
            Arch::VitB16 => vit::build(net, input, vit::B_16),
            Arch::VitL16 => vit::build(net, input, vit::L_16),
            Arch::VitL32 => vit::build(net, input, vit::L_32),
            Arch::MixerB16_224 => mixer::build(net, input, mixer::B_16),
            Arch::EfficientNetLite0 => efficientnet::build(net, input),
            Arch::AlexNetDeepCluster => deepcluster::build(net, input),
        }
    }

    /// Lays out the graph without drawing weights: recorded layers, parameter
    /// count and the elements of the largest parameter tensor.
    fn dry(self) -> (Vec<Layer>, usize, usize) {
        let mut g = graph::GraphBuilder::default();
        let mut net = Net::new(&mut g, 0, true);
        let size = self.preprocess().size as usize;
        self.emit(&mut net, &T::new(INPUT, &[3, size, size]));
        let layers = std::mem::take(&mut net.layers);
        (layers, g.parameters(), g.largest_parameter())
    }

    /// Elements of the model's largest parameter tensor (VGG16's first fully
    /// connected layer: 103 M). Building the model in tract holds its weights
    /// and, for a moment, another copy of about this much (the memory estimate).
    pub fn largest_parameter(self) -> usize {
        self.dry().2
    }

    /// The recorded layers, in graph order.
    pub fn layers(self) -> Vec<Layer> {
        self.dry().0
    }

    /// Resolves a layer label (`features.0` or `features.0:pre`) to what is read.
    pub fn probe(self, label: &str) -> Result<Probe> {
        let (name, pre) = match label.strip_suffix(PRE) {
            Some(n) => (n, true),
            None => (label, false),
        };
        let layers = self.layers();
        let layer = layers.iter().find(|l| l.name == name).ok_or_else(|| {
            let known: Vec<_> = layers.iter().map(|l| l.name.as_str()).collect();
            Error::Spec(format!(
                "{} has no recorded layer \"{name}\"; it has: {} (add {PRE} for the value before the nonlinearity)",
                self.name(),
                known.join(", ")
            ))
        })?;
        let tensor = if pre {
            layer.pre.clone().ok_or_else(|| {
                Error::Spec(format!("{}: layer {name} has no nonlinearity, so no {PRE} value", self.name()))
            })?
        } else {
            layer.tensor.clone()
        };
        Ok(Probe { label: label.into(), tensor, units: layer.units() })
    }
}

/// EfficientNet-Lite's input transform, `(x * 255 - 127) / 128` (mean
/// 127/255, std 128/255 on the [0, 1] scale): the official TensorFlow Lite
/// builder's `MEAN_RGB = [127.0] * 3`, `STDDEV_RGB = [128.0] * 3`, from which
/// the package's trained file was converted (the package documents no
/// transform of its own). The trained file agrees: on the 1,000-image
/// ImageNet sample torch scores 84.9% top-1 with this transform and 75.8%
/// with torchvision's ImageNet mean/std (`models/trained/make_reference.py
/// --accuracy`); idlab, with its own resize, 85.1% (`tests/trained.rs`).
pub const EFFICIENTNET_LITE_224: Preprocess = Preprocess {
    size: 224,
    mean: [127.0 / 255.0; 3],
    std: [128.0 / 255.0; 3],
    channels: crate::stimuli::Channels::Rgb,
};

/// Name of the image input of every zoo graph.
pub const INPUT: &str = "input";

/// A seeded zoo model as an in-memory ONNX model.
pub struct ZooModel {
    pub arch: Arch,
    pub seed: u64,
    pub proto: ModelProto,
    pub parameters: usize,
}

/// Builds `arch` with weights drawn from `seed`. The model's metadata names
/// the architecture and seed (`idlab.arch`, `idlab.seed`) and its
/// preprocessing (`idlab.input_size`, `idlab.mean`, `idlab.std`; see
/// [`crate::runtime::inspect`]), so an exported file carries its transform.
pub fn build(arch: Arch, seed: u64) -> ZooModel {
    build_with(arch, seed, None)
}

/// [`build`], with each fully connected weight over `slice_bytes` drawn and
/// emitted in the slices [`crate::runtime::split`] would cut it into: the
/// same graph and values as splitting [`build`]'s, but no block ever holds
/// the whole weight (in a tab, a block that large is reused only by a
/// smaller one, and VGG11's 392 MiB grew the module each time the zoo drew
/// it). For recording a seeded model as it is; a model whose weights are
/// replaced by name (trained) or pruned per tensor is built whole.
pub fn build_sliced(arch: Arch, seed: u64, slice_bytes: usize) -> ZooModel {
    build_with(arch, seed, Some(slice_bytes))
}

/// Whether a session builds a zoo model with [`build_sliced`]: a seeded one
/// (trained weights replace whole tensors by name) that is not pruned (per
/// whole tensor). The memory estimate asks the same.
pub fn drawn_in_slices(trained: bool, pruned: bool) -> bool {
    !trained && !pruned
}

fn build_with(arch: Arch, seed: u64, slice_bytes: Option<usize>) -> ZooModel {
    let size = arch.preprocess().size as usize;
    let mut g = graph::GraphBuilder::default();
    let mut net = Net::new(&mut g, seed, false);
    net.slice_bytes = slice_bytes;
    let logits = arch.emit(&mut net, &T::new(INPUT, &[3, size, size]));
    let parameters = g.parameters();
    let pre = arch.preprocess();
    let json = |v: [f32; 3]| serde_json::to_string(&v).expect("floats serialise");
    let proto = g.finish(
        arch.name(),
        (INPUT, &[1, 3, size, size]),
        &[(&logits.name, &[1, 1000])],
        &[
            ("idlab.arch", arch.name().into()),
            ("idlab.seed", seed.to_string()),
            (crate::runtime::inspect::META_INPUT_SIZE, pre.size.to_string()),
            (crate::runtime::inspect::META_MEAN, json(pre.mean)),
            (crate::runtime::inspect::META_STD, json(pre.std)),
        ],
    );
    ZooModel { arch, seed, proto, parameters }
}

/// Serialises a model to ONNX protobuf bytes (what `idlab export` writes).
pub fn to_onnx_bytes(proto: &ModelProto) -> Vec<u8> {
    prost::Message::encode_to_vec(proto)
}

/// FNV-1a hash of every parameter's bits in graph order: equal fingerprints
/// mean bit-identical weights (the wasm tests compare it with the native one).
pub fn fingerprint(proto: &ModelProto) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for t in proto.graph.iter().flat_map(|g| &g.initializer) {
        for v in &t.float_data {
            h ^= v.to_bits() as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Fingerprint of AlexNet seed 0, pinned so a change of weights cannot pass unnoticed.
pub const ALEXNET_SEED0_FINGERPRINT: u64 = 15_756_605_862_721_629_254;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alexnet_parameter_count_matches_torchvision() {
        let m = build(Arch::AlexNet, 0);
        assert_eq!(m.parameters, Arch::AlexNet.parameter_count());
    }

    /// Every architecture's layout has torchvision's (timm's, the package's)
    /// parameter count, and as many recorded layers as the seed paper's Table
    /// 1 (AlexNet: its 8 conv and linear modules; SqueezeNet1_0: the 13
    /// modules of `features`; MobileNetV2 and DenseNet121: our documented
    /// choices of 14 and 30); ViTs record every encoder block, the Mixer both
    /// residual sums of every block; EfficientNet-Lite0 (our choice, 19) the
    /// stem, its 16 blocks, the head and the pooled features.
    #[test]
    fn parameter_counts_and_layer_counts() {
        let expected_layers = |a: Arch| match a {
            Arch::AlexNet | Arch::Vgg11 | Arch::ResNet18 => 10,
            Arch::Vgg13 | Arch::Vgg13Bn => 12,
            Arch::Vgg16 => 15,
            Arch::ResNet34 | Arch::ResNet50 | Arch::WideResNet50_2 => 18,
            Arch::VitB32 | Arch::VitB16 => 12,
            Arch::VitL16 | Arch::VitL32 => 24,
            Arch::MixerB16_224 => 24,
            Arch::SqueezeNet1_0 => 13,
            Arch::MobileNetV2 => 14,
            Arch::DenseNet121 => 30,
            Arch::EfficientNetLite0 => 19,
            Arch::AlexNetDeepCluster => 10,
        };
        for &a in Arch::ALL {
            let (layers, params, _) = a.dry();
            assert_eq!(params, a.parameter_count(), "{}", a.name());
            assert_eq!(layers.len(), expected_layers(a), "{}", a.name());
            assert!(layers.iter().all(|l| l.units() > 0));
        }
    }

    #[test]
    fn resnet_and_vgg_shapes() {
        let r = Arch::ResNet18.layers();
        assert_eq!((r[0].name.as_str(), r[0].shape.as_slice()), ("maxpool", &[64, 56, 56][..]));
        assert_eq!((r[8].name.as_str(), r[8].shape.as_slice()), ("layer4.1", &[512, 7, 7][..]));
        assert_eq!(r[9].shape, vec![512, 1, 1]);
        let v = Arch::Vgg11.layers();
        assert_eq!(v[7].shape, vec![512, 14, 14]);
        assert_eq!((v[9].name.as_str(), v[9].tensor.as_str()), ("classifier.3", "classifier.4"));
        let w = Arch::WideResNet50_2.layers();
        assert_eq!(w[1].shape, vec![256, 56, 56]);
    }

    /// SqueezeNet, DenseNet and MobileNetV2: recorded names, shapes and the
    /// ops they add (grouped conv, ReLU6 as Clip, ceil-mode max-pool, average pool).
    #[test]
    fn squeezenet_densenet_mobilenet_layout() {
        let s = Arch::SqueezeNet1_0.layers();
        let names: Vec<_> = s.iter().map(|l| l.name.as_str()).collect();
        let expected: Vec<String> = (0..13).map(|i| format!("features.{i}")).collect();
        assert_eq!(names, expected);
        assert_eq!((s[0].tensor.as_str(), s[0].pre.as_deref()), ("features.1", Some("features.0")));
        assert_eq!(s[1].tensor, "features.1");
        assert_eq!(s[2].shape, vec![96, 54, 54]);
        assert_eq!(s[6].shape, vec![256, 27, 27]);
        assert_eq!(s[12].shape, vec![512, 13, 13]);
        let d = Arch::DenseNet121.layers();
        let at = |name: &str| d.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(at("features.pool0").shape, vec![64, 56, 56]);
        assert_eq!(at("features.denseblock1.denselayer3").shape, vec![32, 56, 56]);
        assert_eq!(at("features.denseblock1").shape, vec![256, 56, 56]);
        assert_eq!(at("features.transition1").tensor, "features.transition1.pool");
        assert_eq!(at("features.transition3").shape, vec![512, 7, 7]);
        assert_eq!(at("features.denseblock4.denselayer16").shape, vec![32, 7, 7]);
        assert_eq!(at("features.norm5").shape, vec![1024, 7, 7]);
        assert_eq!(at("features.norm5").pre.as_deref(), Some("features.norm5"));
        let m = Arch::MobileNetV2.layers();
        let names: Vec<_> = m.iter().map(|l| l.name.trim_start_matches("features.")).collect();
        assert_eq!(names, ["0", "1", "3", "5", "6", "8", "9", "10", "12", "13", "15", "16", "17", "18"]);
        assert_eq!((m[0].tensor.as_str(), m[0].pre.as_deref()), ("features.0.2", Some("features.0.1")));
        assert_eq!((m[1].tensor.as_str(), m[1].shape.as_slice()), ("features.1.conv.2", &[16, 112, 112][..]));
        assert_eq!(m[2].tensor, "features.3");
        assert_eq!(m[13].shape, vec![1280, 7, 7]);
        let g = build(Arch::MobileNetV2, 0).proto.graph.unwrap();
        let dw = g.node.iter().find(|n| n.name == "features.1.conv.0.0").unwrap();
        assert!(dw.attribute.iter().any(|a| a.name == "group" && a.i == 32));
        let w = g.initializer.iter().find(|t| t.name == "features.1.conv.0.0.weight").unwrap();
        assert_eq!(w.dims, [32, 1, 3, 3]);
        assert!(g.node.iter().any(|n| n.op_type == "Clip" && n.name == "features.18.2"));
    }

    /// EfficientNet-Lite0: the package's names, shapes, skips and padding.
    #[test]
    fn efficientnet_lite0_layout() {
        let a = Arch::EfficientNetLite0;
        assert_eq!(Arch::parse("efficientnet_lite0").unwrap(), a);
        let l = a.layers();
        let names: Vec<_> = l.iter().map(|l| l.name.as_str()).collect();
        let mut expected = vec!["_conv_stem".to_string()];
        expected.extend((0..16).map(|i| format!("_blocks.{i}")));
        expected.extend(["_conv_head".to_string(), "_avg_pooling".to_string()]);
        assert_eq!(names, expected);
        assert_eq!((l[0].tensor.as_str(), l[0].pre.as_deref(), l[0].shape.as_slice()), ("_bn0.relu6", Some("_bn0"), &[32, 112, 112][..]));
        assert_eq!((l[1].tensor.as_str(), l[1].shape.as_slice()), ("_blocks.0._bn2", &[16, 112, 112][..]));
        // Skip sums where stride is 1 and the width is kept.
        let skips: Vec<usize> = (0..16).filter(|i| l[i + 1].tensor == format!("_blocks.{i}")).collect();
        assert_eq!(skips, [2, 4, 6, 7, 9, 10, 12, 13, 14]);
        assert_eq!(l[16].shape, vec![320, 7, 7]);
        assert_eq!((l[17].tensor.as_str(), l[17].pre.as_deref(), l[17].shape.as_slice()), ("_bn1.relu6", Some("_bn1"), &[1280, 7, 7][..]));
        assert_eq!((l[18].kind, l[18].shape.as_slice()), (LayerKind::Pool, &[1280, 1, 1][..]));
        assert_eq!(a.preprocess().mean, [127.0 / 255.0; 3]);
        let m = build(a, 0);
        assert_eq!(m.parameters, a.parameter_count());
        let g = m.proto.graph.unwrap();
        let stem = g.node.iter().find(|n| n.name == "_conv_stem").unwrap();
        assert!(stem.attribute.iter().any(|at| at.name == "pads" && at.ints == [0, 0, 1, 1]));
        let dw = g.node.iter().find(|n| n.name == "_blocks.3._depthwise_conv").unwrap();
        assert!(dw.attribute.iter().any(|at| at.name == "pads" && at.ints == [1, 1, 2, 2]));
        assert!(dw.attribute.iter().any(|at| at.name == "group" && at.i == 144));
        let bn = g.node.iter().find(|n| n.name == "_blocks.3._bn1").unwrap();
        assert!(bn.attribute.iter().any(|at| at.name == "epsilon" && at.f == 1e-3));
        let inits: Vec<_> = g.initializer.iter().map(|t| t.name.as_str()).collect();
        for name in ["_conv_stem.weight", "_bn0.running_var", "_blocks.0._depthwise_conv.weight", "_blocks.1._expand_conv.weight", "_blocks.15._project_conv.weight", "_conv_head.weight", "_bn1.bias", "_fc.weight", "_fc.bias"] {
            assert!(inits.contains(&name), "no initializer {name}");
        }
        assert!(!inits.contains(&"_blocks.0._expand_conv.weight"));
    }

    /// DeepCluster's AlexNet: the repository's module names and shapes
    /// (tests/fixtures/deepcluster/alexnet_params.py prints them and the
    /// parameter count with torch), batch norm before each recorded ReLU, and
    /// a Sobel front end that no seed changes while the convs behind it do.
    #[test]
    fn alexnet_deepcluster_layout_and_fixed_sobel() {
        let a = Arch::parse("alexnet_deepcluster").unwrap();
        let l = a.layers();
        let got: Vec<(&str, &[usize])> = l.iter().map(|l| (l.name.as_str(), l.shape.as_slice())).collect();
        let expected: [(&str, &[usize]); 10] = [
            ("features.0", &[96, 55, 55]),
            ("features.3", &[96, 27, 27]),
            ("features.4", &[256, 27, 27]),
            ("features.7", &[256, 13, 13]),
            ("features.8", &[384, 13, 13]),
            ("features.11", &[384, 13, 13]),
            ("features.14", &[256, 13, 13]),
            ("features.17", &[256, 6, 6]),
            ("classifier.1", &[4096]),
            ("classifier.4", &[4096]),
        ];
        assert_eq!(got, expected);
        assert_eq!((l[0].tensor.as_str(), l[0].pre.as_deref()), ("features.2", Some("features.1")));
        assert_eq!((l[8].tensor.as_str(), l[8].pre.as_deref()), ("classifier.2", Some("classifier.1")));
        let (m0, m1) = (build(a, 0), build(a, 1));
        assert_eq!(m0.parameters, a.parameter_count());
        let init = |m: &ZooModel, name: &str| {
            let g = m.proto.graph.as_ref().unwrap();
            let t = g.initializer.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no initializer {name}"));
            (t.dims.clone(), t.float_data.clone())
        };
        assert_eq!(init(&m0, "sobel.0.weight"), (vec![1, 3, 1, 1], vec![1.0 / 3.0; 3]));
        assert_eq!(init(&m0, "sobel.1.weight"), (vec![2, 1, 3, 3], deepcluster::SOBEL.concat()));
        for name in ["sobel.0.weight", "sobel.0.bias", "sobel.1.weight", "sobel.1.bias"] {
            assert_eq!(init(&m0, name), init(&m1, name), "{name} must not depend on the seed");
        }
        assert_eq!(init(&m0, "sobel.1.bias").1, vec![0.0, 0.0]);
        assert_eq!(init(&m0, "features.0.weight").0, vec![96, 2, 11, 11]);
        assert_ne!(init(&m0, "features.0.weight"), init(&m1, "features.0.weight"));
        assert_eq!(init(&m0, "features.1.running_var").1, vec![1.0; 96]);
        assert_eq!(init(&m0, "top_layer.weight").0, vec![1000, 4096]);
        let g = m0.proto.graph.unwrap();
        assert_eq!(g.node.iter().find(|n| n.name == "features.1").map(|n| n.op_type.as_str()), Some("BatchNormalization"));
        assert!(!g.node.iter().any(|n| n.op_type == "LRN"));
    }

    #[test]
    fn vit_and_mixer_layout() {
        let v = Arch::VitB32.layers();
        assert_eq!(v[0].name, "encoder.layers.encoder_layer_0");
        assert_eq!(v[11].shape, vec![50, 768]);
        assert!(v.iter().all(|l| l.pre.is_none() && l.tensor == l.name));
        assert_eq!(Arch::VitL16.layers()[23].shape, vec![197, 1024]);
        let m = Arch::MixerB16_224.layers();
        let names: Vec<_> = m[..4].iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["blocks.0.token_mixing", "blocks.0", "blocks.1.token_mixing", "blocks.1"]);
        assert!(m.iter().all(|l| l.shape == [196, 768]));
        assert_eq!(Arch::MixerB16_224.preprocess().mean, [0.5; 3]);
        assert_eq!(Arch::VitB32.family(), Family::Transformer);
    }

    /// ViT-B/32 as an ONNX graph: torchvision's parameter names, parameters
    /// counted apart from the int64 shapes and float scalars, and the node of
    /// every recorded tensor present.
    #[test]
    fn vit_names_and_constants() {
        let m = build(Arch::VitB32, 0);
        assert_eq!(m.parameters, Arch::VitB32.parameter_count());
        let g = m.proto.graph.as_ref().unwrap();
        let inits: Vec<_> = g.initializer.iter().map(|t| t.name.as_str()).collect();
        for name in [
            "conv_proj.weight",
            "class_token",
            "encoder.pos_embedding",
            "encoder.layers.encoder_layer_0.ln_1.weight",
            "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
            "encoder.layers.encoder_layer_0.self_attention.out_proj.bias",
            "encoder.layers.encoder_layer_11.mlp.3.weight",
            "encoder.ln.bias",
            "heads.head.weight",
        ] {
            assert!(inits.contains(&name), "no initializer {name}");
        }
        let float: usize = g.initializer.iter().filter(|t| !t.name.starts_with("const.")).map(|t| t.float_data.len()).sum();
        assert_eq!(float, m.parameters);
        for l in Arch::VitB32.layers() {
            assert!(g.node.iter().any(|n| n.output == [l.tensor.clone()]), "{}", l.name);
        }
        let head = g.initializer.iter().find(|t| t.name == "heads.head.weight").unwrap();
        assert!(head.float_data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn torchvision_names() {
        let m = build(Arch::AlexNet, 0);
        let g = m.proto.graph.as_ref().unwrap();
        let inits: Vec<_> = g.initializer.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(inits[0], "features.0.weight");
        assert_eq!(inits.last().copied(), Some("classifier.6.bias"));
        for l in Arch::AlexNet.layers() {
            for t in std::iter::once(&l.tensor).chain(l.pre.as_ref()) {
                assert!(g.node.iter().any(|n| n.output == [t.clone()]), "{}: no tensor {t}", l.name);
            }
        }
    }

    #[test]
    fn seeds_differ_and_repeat() {
        let a = build(Arch::AlexNet, 0);
        let b = build(Arch::AlexNet, 1);
        let c = build(Arch::AlexNet, 0);
        let w = |m: &ZooModel| m.proto.graph.as_ref().unwrap().initializer[0].float_data[..64].to_vec();
        assert_ne!(w(&a), w(&b));
        assert_eq!(w(&a), w(&c));
    }

    #[test]
    fn alexnet_seed0_is_pinned() {
        assert_eq!(fingerprint(&build(Arch::AlexNet, 0).proto), ALEXNET_SEED0_FINGERPRINT);
    }

    #[test]
    fn probes_post_and_pre_activation() {
        let p = Arch::AlexNet.probe("features.0").unwrap();
        assert_eq!((p.tensor.as_str(), p.units), ("features.1", 64 * 55 * 55));
        assert_eq!(Arch::AlexNet.probe("features.0:pre").unwrap().tensor, "features.0");
        assert_eq!(Arch::AlexNet.probe("features.2").unwrap().tensor, "features.2");
        let e = Arch::AlexNet.probe("features.2:pre").unwrap_err().to_string();
        assert!(e.contains("no nonlinearity"), "{e}");
        let e = Arch::AlexNet.probe("features.99").unwrap_err().to_string();
        assert!(e.contains("features.99") && e.contains("features.10"), "{e}");
    }

    #[test]
    fn unknown_arch_names_the_zoo() {
        let e = Arch::parse("resnet999").unwrap_err().to_string();
        assert!(e.contains("resnet999") && e.contains("alexnet"), "{e}");
    }
}
