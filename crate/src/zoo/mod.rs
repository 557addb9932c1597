//! The model zoo: architectures built from a seed as ONNX graphs with
//! torchvision's names and default initialisation. No weights are downloaded;
//! trained weights come from users as ONNX files.

mod alexnet;
pub mod blocks;
pub mod graph;
pub mod init;

use crate::error::{Error, Result};
use crate::stimuli::Preprocess;
use serde::{Deserialize, Serialize};
use tract_onnx::pb::ModelProto;

/// What kind of module a recorded layer is the output of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    Conv,
    Linear,
}

/// A recorded layer: the module's torchvision name, its output shape for one
/// image, and the graph tensors that hold its value.
///
/// The value is what a PyTorch forward hook on that module records in eval
/// mode: torchvision's ReLUs are in place, so a conv or linear module followed
/// by a ReLU is recorded after the ReLU (`tensor`); `<name>:pre` reads the
/// module's own output before the nonlinearity (`pre`).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Layer {
    pub name: &'static str,
    pub kind: LayerKind,
    pub shape: &'static [usize],
    pub tensor: &'static str,
    pub pre: Option<&'static str>,
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

/// An architecture of the zoo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    AlexNet,
}

impl Arch {
    pub const ALL: &'static [Arch] = &[Arch::AlexNet];

    pub fn name(self) -> &'static str {
        match self {
            Arch::AlexNet => "alexnet",
        }
    }

    /// Parses a zoo name, with an error that lists the names it knows.
    pub fn parse(name: &str) -> Result<Arch> {
        Arch::ALL.iter().copied().find(|a| a.name() == name).ok_or_else(|| {
            let known: Vec<_> = Arch::ALL.iter().map(|a| a.name()).collect();
            Error::Spec(format!(
                "unknown architecture \"{name}\"; the zoo has: {}",
                known.join(", ")
            ))
        })
    }

    /// The layers recorded by default.
    pub fn layers(self) -> &'static [Layer] {
        match self {
            Arch::AlexNet => alexnet::LAYERS,
        }
    }

    /// Resolves a layer label (`features.0` or `features.0:pre`) to what is read.
    pub fn probe(self, label: &str) -> Result<Probe> {
        let (name, pre) = match label.strip_suffix(PRE) {
            Some(n) => (n, true),
            None => (label, false),
        };
        let layer = self.layers().iter().find(|l| l.name == name).ok_or_else(|| {
            let known: Vec<_> = self.layers().iter().map(|l| l.name).collect();
            Error::Spec(format!(
                "{} has no recorded layer \"{name}\"; it has: {} (add {PRE} for the value before the nonlinearity)",
                self.name(),
                known.join(", ")
            ))
        })?;
        let tensor = if pre {
            layer.pre.ok_or_else(|| {
                Error::Spec(format!("{}: layer {name} has no nonlinearity, so no {PRE} value", self.name()))
            })?
        } else {
            layer.tensor
        };
        Ok(Probe { label: label.into(), tensor: tensor.into(), units: layer.units() })
    }

    /// Parameter count of the torchvision model.
    pub fn parameter_count(self) -> usize {
        match self {
            Arch::AlexNet => 61_100_840,
        }
    }

    /// Input transform the architecture was trained with.
    pub fn preprocess(self) -> Preprocess {
        Preprocess::IMAGENET_224
    }
}

/// Name of the image input of every zoo graph.
pub const INPUT: &str = "input";

/// A seeded zoo model as an in-memory ONNX model.
pub struct ZooModel {
    pub arch: Arch,
    pub seed: u64,
    pub proto: ModelProto,
    pub parameters: usize,
}

/// Builds `arch` with weights drawn from `seed`.
pub fn build(arch: Arch, seed: u64) -> ZooModel {
    let size = arch.preprocess().size as usize;
    let input_dims = [1, 3, size, size];
    let mut g = graph::GraphBuilder::default();
    let mut net = blocks::Net { g: &mut g, seed };
    let logits = match arch {
        Arch::AlexNet => alexnet::build(&mut net, INPUT),
    };
    let parameters = g.parameters();
    let proto = g.finish(
        arch.name(),
        (INPUT, &input_dims),
        &[(&logits, &[1, 1000])],
        &[("idlab.arch", arch.name().into()), ("idlab.seed", seed.to_string())],
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

    #[test]
    fn torchvision_names() {
        let m = build(Arch::AlexNet, 0);
        let g = m.proto.graph.as_ref().unwrap();
        let inits: Vec<_> = g.initializer.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(inits[0], "features.0.weight");
        assert_eq!(inits.last().copied(), Some("classifier.6.bias"));
        for l in Arch::AlexNet.layers() {
            for t in std::iter::once(l.tensor).chain(l.pre) {
                assert!(g.node.iter().any(|n| n.output == [t]), "{}: no tensor {t}", l.name);
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
        assert_eq!(Arch::AlexNet.probe("classifier.6").unwrap().tensor, "classifier.6");
        let e = Arch::AlexNet.probe("classifier.6:pre").unwrap_err().to_string();
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
