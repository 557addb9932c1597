//! Cuts a classifier's fully connected head off the trunk before it, so that
//! the head can run several images at once.
//!
//! At one image a time a fully connected layer is a matrix-vector product
//! that reads every weight once an image: AlexNet's fc6 is 151 MB, read at
//! 5-16% of the machine's peak (BENCHMARKS.md, "Per layer"). Stacked into one
//! [B, features] tensor, B images read it once. Only the head is batched:
//! tract 0.23.9 lays a convolution over a batch out less well than over one
//! image (natively, ResNet18 1.7x slower an image at B = 4), so the trunk
//! still runs an image at a time, across the pool.
//!
//! The cut is a `Flatten` (axis 1) after which every node is one that treats
//! each row alone (`Gemm`, the `Concat` of a sliced `Gemm`'s outputs, and
//! element-wise activations), reading only the flattened tensor, each other's
//! outputs and initializers. A graph without one is not cut.

use std::collections::HashSet;
use tract_onnx::pb::type_proto::{Tensor as TensorType, Value};
use tract_onnx::pb::{GraphProto, ModelProto, TensorProto, TypeProto, ValueInfoProto};

/// Ops of a head: each output row depends on its input row alone.
const ROW_OPS: [&str; 7] = ["Gemm", "Concat", "Relu", "Identity", "Dropout", "Sigmoid", "Tanh"];

/// A graph's head, cut off: its own model, and the tensor it starts from.
pub struct Head {
    pub proto: ModelProto,
    /// The flattened tensor the trunk gives and the head takes.
    pub input: String,
}

/// Cuts `proto`'s fully connected head off when one of `layers` (node or
/// tensor names) lies in it: the head's nodes and initializers move into the
/// returned model, whose one input is the flattened tensor; `proto` keeps the
/// trunk, whose graph outputs become that tensor. Returns `None` (and leaves
/// `proto` as it was) otherwise. Which models are worth cutting is the
/// caller's choice (the session's: `Arch::batches_head`).
pub fn cut(proto: &mut ModelProto, layers: &[String]) -> Option<Head> {
    let graph = proto.graph.as_mut()?;
    let at = find_cut(graph)?;
    let input = graph.node[at].output.first()?.clone();
    let head_nodes = &graph.node[at + 1..];
    let in_head = |l: &String| head_nodes.iter().any(|n| n.name == *l || n.output.contains(l));
    if !layers.iter().any(in_head) {
        return None;
    }
    let nodes = graph.node.split_off(at + 1);
    let read: HashSet<String> = nodes.iter().flat_map(|n| n.input.iter().cloned()).collect();
    let (weights, kept): (Vec<TensorProto>, Vec<TensorProto>) =
        std::mem::take(&mut graph.initializer).into_iter().partition(|t| read.contains(&t.name));
    graph.initializer = kept;
    let outputs = std::mem::replace(&mut graph.output, vec![float_value(&input)]);
    let head = ModelProto {
        ir_version: proto.ir_version,
        opset_import: proto.opset_import.clone(),
        producer_name: proto.producer_name.clone(),
        graph: Some(GraphProto {
            name: format!("{} head", graph.name),
            node: nodes,
            initializer: weights,
            input: vec![float_value(&input)],
            output: outputs,
            ..Default::default()
        }),
        ..Default::default()
    };
    Some(Head { proto: head, input })
}

/// The index of the `Flatten` that starts the graph's head, if it has one.
fn find_cut(graph: &GraphProto) -> Option<usize> {
    if graph.node.iter().any(|n| n.attribute.iter().any(|a| a.g.is_some() || !a.graphs.is_empty())) {
        return None;
    }
    let at = graph.node.iter().rposition(|n| n.op_type == "Flatten")?;
    let flatten = &graph.node[at];
    let axis = flatten.attribute.iter().find(|a| a.name == "axis").map_or(1, |a| a.i);
    if axis != 1 || flatten.output.len() != 1 || at + 1 == graph.node.len() {
        return None;
    }
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let mut known: HashSet<&str> = HashSet::from([flatten.output[0].as_str()]);
    for node in &graph.node[at + 1..] {
        if !ROW_OPS.contains(&node.op_type.as_str()) {
            return None;
        }
        if node.op_type == "Concat" && node.attribute.iter().find(|a| a.name == "axis").map_or(0, |a| a.i) != 1 {
            return None;
        }
        if !node.input.iter().all(|i| i.is_empty() || known.contains(i.as_str()) || initializers.contains(i.as_str())) {
            return None;
        }
        known.extend(node.output.iter().map(String::as_str));
    }
    // Nothing before the cut may read what the head computes (a graph in order cannot), nor may
    // the trunk's nodes read the head's weights.
    let head_weights: HashSet<&str> = graph.node[at + 1..].iter().flat_map(|n| n.input.iter().map(String::as_str)).filter(|i| initializers.contains(i)).collect();
    if graph.node[..=at].iter().any(|n| n.input.iter().any(|i| head_weights.contains(i.as_str()))) {
        return None;
    }
    Some(at)
}

/// A float tensor's value info with no shape (the recorder fixes it).
fn float_value(name: &str) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(Value::TensorType(TensorType { elem_type: tract_onnx::pb::tensor_proto::DataType::Float as i32, shape: None })),
            ..Default::default()
        }),
        ..Default::default()
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Recorder;
    use crate::zoo::{build_sliced, Arch};

    fn tensor_bytes(t: &TensorProto) -> usize {
        t.raw_data.len() + 4 * t.float_data.len()
    }

    fn alexnet() -> (ModelProto, Vec<String>) {
        let proto = build_sliced(Arch::AlexNet, 0, crate::runtime::split::SLICE_BYTES).proto;
        (proto, Arch::AlexNet.layers().into_iter().map(|l| l.tensor).collect())
    }

    #[test]
    fn cuts_alexnets_classifier_at_its_flatten() {
        let (mut proto, layers) = alexnet();
        let head = cut(&mut proto, &layers).expect("AlexNet's classifier is a head");
        assert_eq!(head.input, "flatten");
        let ops = |p: &ModelProto| p.graph.as_ref().unwrap().node.iter().map(|n| n.op_type.clone()).collect::<Vec<_>>();
        assert!(ops(&head.proto).iter().all(|o| ROW_OPS.contains(&o.as_str())), "{:?}", ops(&head.proto));
        assert!(!ops(&proto).contains(&"Gemm".to_string()), "the trunk keeps no Gemm");
        let weights = |p: &ModelProto| p.graph.as_ref().unwrap().initializer.iter().map(tensor_bytes).sum::<usize>();
        // fc6, fc7 and fc8 with their biases: 58.6 M floats.
        assert_eq!(weights(&head.proto), 4 * (9216 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000));
        assert_eq!(proto.graph.as_ref().unwrap().output.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["flatten"]);
    }

    /// Every architecture that batches its head has one to cut.
    #[test]
    fn every_batching_architecture_has_a_head() {
        for &arch in Arch::ALL.iter().filter(|a| a.batches_head()) {
            let mut proto = build_sliced(arch, 0, crate::runtime::split::SLICE_BYTES).proto;
            let last = arch.layers().into_iter().map(|l| l.tensor).last().unwrap();
            assert!(cut(&mut proto, &[last]).is_some(), "{}", arch.name());
        }
    }

    #[test]
    fn leaves_a_graph_whose_recorded_layers_are_all_before_the_head() {
        let (mut proto, _) = alexnet();
        let nodes = proto.graph.as_ref().unwrap().node.len();
        assert!(cut(&mut proto, &["features.12".into()]).is_none());
        assert_eq!(proto.graph.as_ref().unwrap().node.len(), nodes);
    }

    /// The batched head against one image at a time: each image's values the
    /// same whatever runs beside it (the batch is padded), and within 1e-5 of
    /// each layer's largest value of the unbatched model (a matrix product
    /// and a matrix-vector product may round differently).
    #[test]
    fn batched_head_values_match_one_image_at_a_time() {
        let (proto, layers) = alexnet();
        let batched = Recorder::batched("alexnet", proto, &layers, [1, 3, 224, 224], 8).unwrap();
        assert_eq!(batched.head_batch(), 8);
        let plain = Recorder::new("alexnet", alexnet().0, &layers, [1, 3, 224, 224]).unwrap();
        assert_eq!(plain.head_batch(), 1);
        let images: Vec<Vec<f32>> = (0..3).map(|k| (0..3 * 224 * 224).map(|i| ((i * 7 + k * 13) % 255) as f32 / 127.0 - 1.0).collect()).collect();
        let together = batched.run_images(&images).unwrap();
        for (k, image) in images.iter().enumerate() {
            assert_eq!(batched.run(image).unwrap(), together[k], "image {k} alone and with others");
            for ((name, a), b) in layers.iter().zip(&together[k]).zip(plain.run(image).unwrap()) {
                let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
                let diff = a.iter().zip(&b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
                assert!(diff <= 1e-5 * scale, "{name}: {diff} of {scale}");
            }
        }
    }
}
