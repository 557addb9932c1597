//! Magnitude pruning of whole models (`runtime::prune`, the spec's `prune`):
//! every Conv and Linear weight of a zoo model is pruned to the fraction, the
//! kept weights are the largest, biases are untouched, the linear layers the
//! zoo writes as Transpose + MatMul are found, `prune: 0` gives the
//! unpruned model's activations bit for bit, and trained weights (the
//! shipped EfficientNet-Lite0) are pruned as the seeded ones are.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use idlab::experiment::{Session, Spec};
use idlab::runtime::prune::{count_to_prune, prune, weight_tensors};
use idlab::runtime::Recorder;
use idlab::zoo::{self, Arch};
use serde_json::json;
use tract_onnx::pb::ModelProto;

fn weights(p: &ModelProto, name: &str) -> Vec<f32> {
    p.graph.as_ref().unwrap().initializer.iter().find(|t| t.name == name).unwrap().float_data.clone()
}

#[test]
fn alexnet_every_conv_and_linear_weight_is_pruned_to_the_fraction() {
    let original = zoo::build(Arch::AlexNet, 0).proto;
    let names = weight_tensors(original.graph.as_ref().unwrap());
    assert_eq!(
        names,
        ["features.0.weight", "features.3.weight", "features.6.weight", "features.8.weight", "features.10.weight", "classifier.1.weight", "classifier.4.weight", "classifier.6.weight"]
    );
    let mut pruned = original.clone();
    let report = prune("alexnet", &mut pruned, 0.6).unwrap();
    assert_eq!(report.len(), 8);
    for r in &report {
        let (before, after) = (weights(&original, &r.name), weights(&pruned, &r.name));
        assert_eq!(r.numel, before.len());
        assert_eq!(r.zeroed, count_to_prune(0.6, before.len()));
        let zeros = after.iter().filter(|v| **v == 0.0).count();
        assert_eq!(zeros, r.zeroed, "{}: zeros after pruning", r.name);
        // The kept weights are the largest and unchanged.
        let max_pruned = before.iter().zip(&after).filter(|(_, a)| **a == 0.0).map(|(b, _)| b.abs()).fold(0.0f32, f32::max);
        let min_kept = before.iter().zip(&after).filter(|(_, a)| **a != 0.0).map(|(b, _)| b.abs()).fold(f32::INFINITY, f32::min);
        assert!(max_pruned <= min_kept, "{}: pruned up to {max_pruned}, kept from {min_kept}", r.name);
        assert!(before.iter().zip(&after).all(|(b, a)| *a == 0.0 || a == b));
    }
    // Biases and every other initializer are untouched.
    let g = (original.graph.as_ref().unwrap(), pruned.graph.as_ref().unwrap());
    for (a, b) in g.0.initializer.iter().zip(&g.1.initializer) {
        if !names.contains(&a.name) {
            assert_eq!(a, b, "{} is not a pruned weight", a.name);
        }
    }
}

/// ViT's linear layers (MatMul of a transposed weight) and its patch conv.
#[test]
fn vit_weights_behind_a_transpose_are_found() {
    let p = zoo::build(Arch::parse("vit_b_32").unwrap(), 0).proto;
    let names = weight_tensors(p.graph.as_ref().unwrap());
    assert_eq!(names[0], "conv_proj.weight");
    assert_eq!(names.len(), 1 + 12 * 4 + 1, "{names:?}");
    assert!(names.iter().any(|n| n == "encoder.layers.encoder_layer_0.self_attention.in_proj_weight"), "{names:?}");
    assert!(names.iter().all(|n| n.ends_with("weight")), "{names:?}");
}

/// prune 0 is the unpruned model bit for bit; prune 0.5 changes the activations.
#[test]
fn prune_zero_changes_nothing() {
    let layer = "features.5";
    let probe = Arch::AlexNet.probe(layer).unwrap();
    let pre = Arch::AlexNet.preprocess();
    let img = idlab::stimuli::resize_crop(&idlab::stimuli::decode_rgb("0.png", common::STIMULI[0]).unwrap(), pre.size);
    let input = pre.normalise(&img);
    let run = |fraction: Option<f64>| {
        let mut proto = zoo::build(Arch::AlexNet, 0).proto;
        if let Some(f) = fraction {
            prune("alexnet", &mut proto, f).unwrap();
        }
        let s = pre.size as usize;
        Recorder::new("alexnet", proto, &[probe.tensor.clone()], [1, 3, s, s]).unwrap().run(&input).unwrap().remove(0)
    };
    let plain = run(None);
    let zero = run(Some(0.0));
    assert_eq!(plain.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), zero.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    assert_ne!(plain, run(Some(0.5)));
}

/// The spec's prune: the label says it, the result's model carries it, out of range is refused.
#[test]
fn spec_prune_labels_the_model() {
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 3},
        "sources": [{"arch": "alexnet", "seed": 0, "prune": 0.6}, {"arch": "alexnet", "seed": 0, "prune": 0}],
        "targets": [{"arch": "alexnet", "seed": 0}],
        "layers": ["features.2"],
        "metrics": [{"name": "cka"}]
    });
    let mut s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    for (i, bytes) in common::STIMULI.iter().take(3).enumerate() {
        s.add_stimulus(&format!("{i}.png"), bytes).unwrap();
    }
    let r = common::drive::finish(&mut s);
    let label = |id: &str| r.models.iter().find(|m| m.id == id).unwrap();
    assert_eq!(label("s0").label, "alexnet seed 0, 60% pruned");
    assert_eq!(label("s0").prune, Some(0.6));
    assert_eq!(label("s1").label, "alexnet seed 0, 0% pruned");
    assert_eq!(label("t0").prune, None);
    // The unpruned copy matches the target exactly; the pruned one does not.
    let cka = r.values("cka", "s1", "t0").unwrap()[0][0].unwrap();
    assert!((cka - 1.0).abs() < 1e-12, "{cka}");
    assert!(r.values("cka", "s0", "t0").unwrap()[0][0].unwrap() < 1.0 - 1e-6);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["models"][0]["prune"], 0.6);
    assert!(json["models"][2].get("prune").is_none());
}

/// Trained weights are pruned after they are applied: every conv weight of
/// the shipped EfficientNet-Lite0 (depthwise ones included) holds the
/// fraction's zeros and keeps its largest trained values, and the pruned
/// model still runs (finite activations that differ from the unpruned ones).
#[test]
fn trained_efficientnet_lite0_is_pruned() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let file = "efficientnet-lite0-57934424.pth";
    let bytes = std::fs::read(root.join("models/trained").join(file)).unwrap();
    let arch = Arch::EfficientNetLite0;
    let probe = arch.probe("_blocks.5").unwrap();
    let trained = || {
        let (dict, _) = idlab::weights::read(file, &bytes).unwrap();
        let mut model = zoo::build(arch, 0);
        idlab::weights::apply::apply(&mut model, dict, std::slice::from_ref(&probe), file, None).unwrap();
        model.proto
    };
    let original = trained();
    let mut pruned = trained();
    let report = prune("efficientnet_lite0", &mut pruned, 0.5).unwrap();
    let names = weight_tensors(original.graph.as_ref().unwrap());
    assert_eq!(report.len(), names.len());
    assert!(report.len() > 40, "every conv and the classifier: {}", report.len());
    for r in &report {
        let (before, after) = (weights(&original, &r.name), weights(&pruned, &r.name));
        assert_eq!(before.len(), r.numel, "{}: trained values are float data", r.name);
        assert_eq!(r.zeroed, count_to_prune(0.5, r.numel));
        // Trained weights have few exact zeros: the zeros are the pruned ones (and any the file had).
        let zeros = after.iter().filter(|v| **v == 0.0).count();
        let had = before.iter().filter(|v| **v == 0.0).count();
        assert!(zeros >= r.zeroed && zeros <= r.zeroed + had, "{}: {zeros} zeros for {} pruned", r.name, r.zeroed);
        assert!(before.iter().zip(&after).all(|(b, a)| *a == 0.0 || a == b), "{}: kept weights unchanged", r.name);
    }
    let pre = arch.preprocess();
    let img = idlab::stimuli::resize_crop(&idlab::stimuli::decode_rgb("0.png", common::STIMULI[0]).unwrap(), pre.size);
    let input = pre.normalise(&img);
    let s = pre.size as usize;
    let run = |proto: ModelProto| Recorder::new("efficientnet_lite0", proto, &[probe.tensor.clone()], [1, 3, s, s]).unwrap().run(&input).unwrap().remove(0);
    let (a, b) = (run(original), run(pruned));
    assert!(b.iter().all(|v| v.is_finite()));
    assert_ne!(a, b);
}
