//! Looks into a user's ONNX file before anything runs: is it an ONNX model,
//! does it take one image batch N x 3 x H x W, which tensors can be recorded
//! (with their shapes for one image), does tract know every op, and did the
//! exporter leave preprocessing in the metadata.
//!
//! Preprocessing metadata (`metadata_props`, values as JSON; idlab's zoo
//! exports write all three):
//! - `idlab.input_size`: side of the square input, `224` (or `[224, 224]`);
//! - `idlab.mean`: per-channel mean of the normalisation, `[0.485, 0.456, 0.406]`;
//! - `idlab.std`: per-channel std, `[0.229, 0.224, 0.225]`;
//! - `idlab.channels` (optional): `"rgb"` (the default) or `"bgr"`.
//!
//! Mean and std must both be present for the metadata to count; the size then
//! defaults to the graph's fixed input size, else 224.

use crate::error::{Error, Result};
use crate::stimuli::{Channels, Preprocess};
use serde::Serialize;
use std::collections::HashMap;
use tract_onnx::pb::{self, ModelProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

/// Metadata key of the input side.
pub const META_INPUT_SIZE: &str = "idlab.input_size";
/// Metadata key of the per-channel mean.
pub const META_MEAN: &str = "idlab.mean";
/// Metadata key of the per-channel std.
pub const META_STD: &str = "idlab.std";
/// Metadata key of the channel order ("rgb" or "bgr").
pub const META_CHANNELS: &str = "idlab.channels";

/// Input side used when the graph leaves H and W symbolic and gives no metadata.
pub const DEFAULT_SIZE: usize = 224;

/// A tensor that can be recorded: a node's float output with the batch axis first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// The tensor's name (what `--layers` takes).
    pub tensor: String,
    /// ONNX op type of the node that computes it.
    pub op: String,
    /// That node's name.
    pub node: String,
    /// Shape for one image (the batch axis removed).
    pub shape: Vec<usize>,
    /// Number of units (product of `shape`).
    pub units: usize,
}

/// What [`inspect`] found in a model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inspection {
    pub input_name: String,
    /// H x W when the graph fixes them; None when symbolic.
    pub input_size: Option<(usize, usize)>,
    /// Recordable tensors in graph order, inferred at the input 1 x 3 x H x W
    /// (H x W from `input_size`, the metadata, or 224).
    pub layers: Vec<Candidate>,
    /// The graph's declared outputs.
    pub outputs: Vec<String>,
    /// Preprocessing from the metadata, when the exporter wrote it.
    pub preprocess: Option<Preprocess>,
}

impl Inspection {
    /// The side images are cropped to: the metadata's, else the graph's fixed
    /// square size, else 224. Errors when the graph fixes a non-square input.
    pub fn side(&self, file_label: &str) -> Result<usize> {
        if let Some(p) = &self.preprocess {
            return Ok(p.size as usize);
        }
        match self.input_size {
            None => Ok(DEFAULT_SIZE),
            Some((h, w)) if h == w => Ok(h),
            Some((h, w)) => Err(fail(format!(
                "{file_label}: input '{}' is {h} x {w}; idlab crops images square",
                self.input_name
            ))),
        }
    }

    /// The candidate with this tensor name (else the first output of the node
    /// with this name, as the recorder also takes node names), or an error
    /// listing a few candidates.
    pub fn candidate(&self, file_label: &str, name: &str) -> Result<&Candidate> {
        let found = self.layers.iter().find(|c| c.tensor == name);
        found.or_else(|| self.layers.iter().find(|c| c.node == name)).ok_or_else(|| {
            let few: Vec<&str> = self.layers.iter().rev().take(8).rev().map(|c| c.tensor.as_str()).collect();
            fail(format!(
                "{file_label}: no recordable layer named \"{name}\"; it has {} candidates, e.g. {} (`idlab inspect {file_label}` lists them all)",
                self.layers.len(),
                few.join(", ")
            ))
        })
    }
}

fn fail(reason: String) -> Error {
    Error::Input(reason)
}

/// Decodes ONNX bytes, with the error a user understands when they are not.
pub fn decode(file_label: &str, bytes: &[u8]) -> Result<ModelProto> {
    let proto = <ModelProto as prost::Message>::decode(bytes)
        .map_err(|e| fail(format!("{file_label} is not an ONNX model: {e}")))?;
    if proto.graph.is_none() {
        return Err(fail(format!("{file_label} is not an ONNX model: it has no graph")));
    }
    Ok(proto)
}

/// Inspects ONNX bytes (see the module's documentation).
pub fn inspect(file_label: &str, bytes: &[u8]) -> Result<Inspection> {
    inspect_proto(file_label, &decode(file_label, bytes)?)
}

/// Inspects a decoded model.
pub fn inspect_proto(file_label: &str, proto: &ModelProto) -> Result<Inspection> {
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| fail(format!("{file_label} is not an ONNX model: it has no graph")))?;
    if graph.node.is_empty() {
        return Err(fail(format!("{file_label}: the graph is empty (no nodes)")));
    }
    check_external_data(file_label, graph)?;
    check_names(file_label, graph)?;
    check_tensor_sizes(file_label, graph)?;
    let (input_name, input_size) = check_input(file_label, graph)?;
    check_ops(file_label, graph)?;
    let preprocess = read_preprocess(file_label, proto, input_size)?;
    let (h, w) = match (&preprocess, input_size) {
        (_, Some(hw)) => hw,
        (Some(p), None) => (p.size as usize, p.size as usize),
        (None, None) => (DEFAULT_SIZE, DEFAULT_SIZE),
    };
    let layers = candidates(file_label, proto, &input_name, (h, w))?;
    let outputs = graph.output.iter().map(|o| o.name.clone()).collect();
    Ok(Inspection { input_name, input_size, layers, outputs, preprocess })
}

/// Every graph output is an input, an initializer or some node's output
/// (tract-onnx indexes its name table with them and panics on a missing
/// one), and every node but a constant has an input: found by fuzzing,
/// `crate/fuzz/regressions/onnx/`.
fn check_names(file_label: &str, graph: &pb::GraphProto) -> Result<()> {
    let defined: std::collections::HashSet<&str> = graph
        .input
        .iter()
        .map(|i| i.name.as_str())
        .chain(graph.initializer.iter().map(|t| t.name.as_str()))
        .chain(graph.node.iter().flat_map(|n| n.output.iter().map(|o| o.as_str())))
        .collect();
    if let Some(o) = graph.output.iter().find(|o| !defined.contains(o.name.as_str())) {
        return Err(fail(format!(
            "{file_label} is not a valid ONNX model: graph output '{}' is computed by no node and is no input",
            o.name
        )));
    }
    // Some of tract's shape rules (Flatten's) index their first input
    // without checking that there is one.
    const NO_INPUTS: &[&str] = &["Constant", "RandomNormal", "RandomUniform"];
    if let Some(n) = graph.node.iter().find(|n| n.input.iter().all(|i| i.is_empty()) && !NO_INPUTS.contains(&n.op_type.as_str())) {
        return Err(fail(format!("{file_label} is not a valid ONNX model: node '{}' ({}) has no input", n.name, n.op_type)));
    }
    check_window_attributes(file_label, graph)
}

/// A convolution's or pooling's `kernel_shape`, `strides` and `dilations`
/// have one value per spatial axis (the weight's rank less 2, when it is an
/// initializer) and `pads` two: tract's padding code indexes them by axis
/// and panics on a short list (found by fuzzing, `crate/fuzz/regressions/onnx/`).
fn check_window_attributes(file_label: &str, graph: &pb::GraphProto) -> Result<()> {
    const WINDOWED: &[&str] = &["Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool"];
    let weights: HashMap<&str, usize> = graph.initializer.iter().map(|t| (t.name.as_str(), t.dims.len())).collect();
    for n in graph.node.iter().filter(|n| WINDOWED.contains(&n.op_type.as_str())) {
        let list = |name: &str| n.attribute.iter().find(|a| a.name == name).map(|a| a.ints.len());
        let weight = if n.op_type.starts_with("Conv") { n.input.get(1) } else { None };
        let mut axes = weight.and_then(|w| weights.get(w.as_str())).map(|r| r.saturating_sub(2));
        let lists = [("kernel_shape", list("kernel_shape"), 1), ("strides", list("strides"), 1), ("dilations", list("dilations"), 1), ("pads", list("pads"), 2)];
        for (name, len, per_axis) in lists {
            let Some(len) = len else { continue };
            let expected = *axes.get_or_insert(len / per_axis) * per_axis;
            if len != expected || len == 0 {
                return Err(fail(format!(
                    "{file_label} is not a valid ONNX model: node '{}' ({}) has {len} {name} values; its other attributes and weights say {expected}",
                    n.name, n.op_type
                )));
            }
        }
    }
    Ok(())
}

fn check_external_data(file_label: &str, graph: &pb::GraphProto) -> Result<()> {
    let external = pb::tensor_proto::DataLocation::External as i32;
    if let Some(t) = graph.initializer.iter().find(|t| t.data_location == Some(external) || !t.external_data.is_empty()) {
        let location = t.external_data.iter().find(|e| e.key == "location").map(|e| e.value.as_str()).unwrap_or("?");
        return Err(fail(format!(
            "{file_label}: weight '{}' is stored outside the file (external data '{location}'), which idlab does not read \
             (it takes the .onnx file alone); re-export with the weights inside the .onnx file (torch.onnx.export(..., external_data=False), \
             or onnx.save(model, path, save_as_external_data=False))",
            t.name
        )));
    }
    Ok(())
}

/// Refuses a weight whose shape claims more values than the file holds (a
/// hostile file's 100 GB tensor in 16 bytes), before tract sizes anything by
/// the shape: the same message natively and in wasm32, where such a shape
/// would overflow `usize`.
fn check_tensor_sizes(file_label: &str, graph: &pb::GraphProto) -> Result<()> {
    use pb::tensor_proto::DataType as T;
    let constants = graph.node.iter().flat_map(|n| n.attribute.iter().filter_map(|a| a.t.as_ref()));
    for t in graph.initializer.iter().chain(constants) {
        let width: u128 = match T::try_from(t.data_type) {
            Ok(T::Float | T::Int32 | T::Uint32) => 4,
            Ok(T::Double | T::Int64 | T::Uint64 | T::Complex64) => 8,
            Ok(T::Int16 | T::Uint16 | T::Float16 | T::Bfloat16) => 2,
            Ok(T::Int8 | T::Uint8 | T::Bool) => 1,
            Ok(T::Complex128) => 16,
            _ => continue, // strings and unknown types: tract's to judge
        };
        let claimed = t.dims.iter().try_fold(1u128, |n, &d| u128::try_from(d).ok().and_then(|d| n.checked_mul(d)));
        let held = if t.raw_data.is_empty() {
            (t.float_data.len() + t.int32_data.len() + t.int64_data.len() + t.double_data.len() + t.uint64_data.len()) as u128
        } else {
            t.raw_data.len() as u128 / width
        };
        match claimed {
            Some(n) if n <= held => {}
            _ => {
                let bytes = claimed.map_or("more bytes than can be counted".to_string(), |n| format!("{} bytes", n * width));
                return Err(fail(format!(
                    "{file_label}: weight '{}' claims shape {:?} ({bytes}) but the file holds {} values of it; \
                     the file is damaged or was made to exhaust memory",
                    t.name, t.dims, held
                )));
            }
        }
    }
    Ok(())
}

/// A dimension as written in the graph: a number, a symbol, or unknown.
fn dim_text(d: &pb::tensor_shape_proto::Dimension) -> String {
    use pb::tensor_shape_proto::dimension::Value;
    match &d.value {
        Some(Value::DimValue(v)) => v.to_string(),
        Some(Value::DimParam(p)) if !p.is_empty() => p.clone(),
        _ => "?".into(),
    }
}

fn dim_value(d: &pb::tensor_shape_proto::Dimension) -> Option<i64> {
    match &d.value {
        Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) => Some(*v),
        _ => None,
    }
}

/// The one image input: its name and fixed H x W (None when symbolic).
fn check_input(file_label: &str, graph: &pb::GraphProto) -> Result<(String, Option<(usize, usize)>)> {
    let inits: std::collections::HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<&pb::ValueInfoProto> = graph.input.iter().filter(|i| !inits.contains(i.name.as_str())).collect();
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => return Err(fail(format!("{file_label}: the graph has no input; idlab needs one image batch N x 3 x H x W"))),
        many => {
            let names: Vec<String> = many.iter().map(|i| format!("'{}'", i.name)).collect();
            return Err(fail(format!(
                "{file_label}: the graph has {} inputs ({}); idlab needs a single image batch N x 3 x H x W",
                many.len(),
                names.join(", ")
            )));
        }
    };
    let tensor = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(pb::type_proto::Value::TensorType(t)) => t,
        _ => return Err(fail(format!("{file_label}: input '{}' is not a tensor; idlab needs an image batch N x 3 x H x W", input.name))),
    };
    let float = pb::tensor_proto::DataType::Float as i32;
    if tensor.elem_type != float {
        let ty = pb::tensor_proto::DataType::try_from(tensor.elem_type)
            .map(|d| d.as_str_name().to_lowercase())
            .unwrap_or_else(|_| tensor.elem_type.to_string());
        return Err(fail(format!(
            "{file_label}: input '{}' holds {ty} values; idlab needs a float32 image batch N x 3 x H x W",
            input.name
        )));
    }
    let dims = match &tensor.shape {
        Some(s) => &s.dim,
        None => return Err(fail(format!(
            "{file_label}: input '{}' has no declared shape; idlab needs an image batch N x 3 x H x W",
            input.name
        ))),
    };
    let shape = || format!("[{}]", dims.iter().map(dim_text).collect::<Vec<_>>().join(", "));
    let bad = || {
        fail(format!(
            "{file_label}: input '{}' has shape {}; idlab needs an image batch N x 3 x H x W",
            input.name,
            shape()
        ))
    };
    if dims.len() != 4 || dim_value(&dims[1]) != Some(3) {
        return Err(bad());
    }
    if let Some(n) = dim_value(&dims[0]) {
        if n != 1 && n > 0 {
            return Err(fail(format!(
                "{file_label}: input '{}' has shape {}, a fixed batch of {n}; idlab needs batch 1 or a symbolic batch (N x 3 x H x W)",
                input.name,
                shape()
            )));
        }
    }
    let (h, w) = (dim_value(&dims[2]).filter(|v| *v > 0), dim_value(&dims[3]).filter(|v| *v > 0));
    Ok((input.name.clone(), h.zip(w).map(|(h, w)| (h as usize, w as usize))))
}

/// Names the first node whose op tract-onnx has no implementation for.
fn check_ops(file_label: &str, graph: &pb::GraphProto) -> Result<()> {
    let onnx = tract_onnx::onnx();
    let unknown: Vec<&pb::NodeProto> = graph.node.iter().filter(|n| !onnx.op_register.0.contains_key(&n.op_type)).collect();
    if let Some(n) = unknown.first() {
        let domain = if n.domain.is_empty() { "ai.onnx" } else { n.domain.as_str() };
        let name = if n.name.is_empty() { n.output.first().cloned().unwrap_or_default() } else { n.name.clone() };
        let more = match unknown.len() {
            1 => String::new(),
            k => {
                let mut ops: Vec<&str> = unknown.iter().map(|n| n.op_type.as_str()).collect();
                ops.sort();
                ops.dedup();
                format!(" ({k} nodes in all use unsupported ops: {})", ops.join(", "))
            }
        };
        return Err(fail(format!(
            "{file_label}: node '{name}' uses op '{}' (domain {domain}), which tract-onnx does not support{more}",
            n.op_type
        )));
    }
    Ok(())
}

fn read_preprocess(file_label: &str, proto: &ModelProto, input_size: Option<(usize, usize)>) -> Result<Option<Preprocess>> {
    let meta: HashMap<&str, &str> = proto.metadata_props.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect();
    let bad = |key: &str, what: &str| fail(format!("{file_label}: metadata {key} = {:?} is not {what}", meta[key]));
    let triple = |key: &str| -> Result<Option<[f32; 3]>> {
        match meta.get(key) {
            None => Ok(None),
            Some(v) => serde_json::from_str::<[f32; 3]>(v).map(Some).map_err(|_| bad(key, "a JSON array of 3 numbers")),
        }
    };
    let (mean, std) = (triple(META_MEAN)?, triple(META_STD)?);
    let size = match meta.get(META_INPUT_SIZE) {
        None => None,
        Some(v) => {
            let side = match serde_json::from_str::<serde_json::Value>(v) {
                Ok(serde_json::Value::Number(n)) => n.as_u64(),
                Ok(serde_json::Value::Array(a)) if a.len() == 2 && a[0] == a[1] => a[0].as_u64(),
                _ => None,
            };
            match side {
                Some(s) if s > 0 && s <= u32::MAX as u64 => Some(s as u32),
                _ => return Err(bad(META_INPUT_SIZE, "a positive whole number (or [H, W] with H = W)")),
            }
        }
    };
    let channels = match meta.get(META_CHANNELS) {
        None => Channels::Rgb,
        Some(v) => Channels::parse(v.trim_matches('"')).ok_or_else(|| bad(META_CHANNELS, "\"rgb\" or \"bgr\""))?,
    };
    let (Some(mean), Some(std)) = (mean, std) else { return Ok(None) };
    if std.iter().any(|s| !s.is_finite() || *s <= 0.0) {
        return Err(bad(META_STD, "three positive numbers"));
    }
    let size = match (size, input_size) {
        (Some(s), _) => s,
        (None, Some((h, w))) if h == w => h as u32,
        _ => DEFAULT_SIZE as u32,
    };
    Ok(Some(Preprocess { size, mean, std, channels }))
}

/// Loads the graph in tract with the input fixed at 1 x 3 x H x W, infers every
/// tensor's shape, and keeps the float ones with the batch axis first.
pub(crate) fn candidates(file_label: &str, proto: &ModelProto, input: &str, (h, w): (usize, usize)) -> Result<Vec<Candidate>> {
    let graph = proto.graph.as_ref().expect("checked");
    let mut model = tract_onnx::onnx()
        .model_for_proto_model(proto)
        .map_err(|e| fail(format!("{file_label}: tract cannot load the graph: {e:#}")))?
        .with_input_fact(0, f32::fact([1, 3, h, w]).into())
        .map_err(|e| fail(format!("{file_label}: cannot set input '{input}' to 1 x 3 x {h} x {w}: {e:#}")))?;
    model
        .analyse(false)
        .map_err(|e| fail(format!("{file_label}: tract cannot infer the shapes at input 1 x 3 x {h} x {w}: {e:#}")))?;
    let outlets: HashMap<&str, OutletId> = model.outlet_labels.iter().map(|(o, l)| (l.as_str(), *o)).collect();
    let mut layers = Vec::new();
    for node in &graph.node {
        if node.op_type == "Constant" {
            continue;
        }
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            let Some(&outlet) = outlets.get(out.as_str()) else { continue };
            let Ok(fact) = model.outlet_fact(outlet) else { continue };
            if fact.value.concretize().is_some() {
                continue; // a constant folded by the analysis, not an activation
            }
            if !matches!(fact.datum_type(), Some(DatumType::F32 | DatumType::F16 | DatumType::F64)) {
                continue;
            }
            let Ok(Some(shape)) = fact.shape.as_concrete_finite() else { continue };
            if shape.len() < 2 || shape[0] != 1 {
                continue;
            }
            let shape: Vec<usize> = shape[1..].to_vec();
            let node_name = if node.name.is_empty() { out.clone() } else { node.name.clone() };
            layers.push(Candidate {
                tensor: out.clone(),
                op: node.op_type.clone(),
                node: node_name,
                units: shape.iter().product(),
                shape,
            });
        }
    }
    // The analysis can pass graphs that tract cannot type (and so not run).
    model
        .into_typed()
        .map_err(|e| fail(format!("{file_label}: tract cannot prepare the graph: {e:#}")))?;
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoo::graph::GraphBuilder;

    fn tiny(op: &str, input: &[usize]) -> ModelProto {
        let mut g = GraphBuilder::default();
        let y = g.node(op, "body.0", &["x"], vec![]);
        g.finish("tiny", ("x", input), &[(&y, input)], &[])
    }

    #[test]
    fn a_tiny_graph_lists_its_relu() {
        let bytes = crate::zoo::to_onnx_bytes(&tiny("Relu", &[1, 3, 8, 8]));
        let i = inspect("tiny.onnx", &bytes).unwrap();
        assert_eq!(i.input_name, "x");
        assert_eq!(i.input_size, Some((8, 8)));
        assert_eq!(i.layers.len(), 1);
        assert_eq!(i.layers[0].tensor, "body.0");
        assert_eq!(i.layers[0].op, "Relu");
        assert_eq!(i.layers[0].shape, vec![3, 8, 8]);
        assert_eq!(i.layers[0].units, 192);
        assert_eq!(i.outputs, vec!["body.0".to_string()]);
        assert_eq!(i.preprocess, None);
        assert_eq!(i.side("tiny.onnx").unwrap(), 8);
        let e = i.candidate("tiny.onnx", "nope").unwrap_err().to_string();
        assert!(e.contains("no recordable layer named \"nope\"") && e.contains("body.0"), "{e}");
    }

    #[test]
    fn metadata_preprocessing_is_read_and_checked() {
        let mut p = tiny("Relu", &[1, 3, 8, 8]);
        let kv = |k: &str, v: &str| pb::StringStringEntryProto { key: k.into(), value: v.into() };
        p.metadata_props = vec![kv(META_MEAN, "[0.5, 0.5, 0.5]"), kv(META_STD, "[0.25,0.25,0.25]")];
        let got = read_preprocess("f", &p, Some((8, 8))).unwrap().unwrap();
        assert_eq!(got, Preprocess { size: 8, mean: [0.5; 3], std: [0.25; 3], channels: Channels::Rgb });
        p.metadata_props.push(kv(META_CHANNELS, "bgr"));
        assert_eq!(read_preprocess("f", &p, None).unwrap().unwrap().channels, Channels::Bgr);
        p.metadata_props.pop();
        p.metadata_props.push(kv(META_INPUT_SIZE, "[32, 32]"));
        assert_eq!(read_preprocess("f", &p, None).unwrap().unwrap().size, 32);
        p.metadata_props[0] = kv(META_MEAN, "0.5");
        let e = read_preprocess("f", &p, None).unwrap_err().to_string();
        assert!(e.contains("idlab.mean") && e.contains("3 numbers"), "{e}");
    }

    #[test]
    fn empty_graph_and_external_data_are_refused() {
        let g = GraphBuilder::default();
        let p = g.finish("empty", ("x", &[1, 3, 8, 8]), &[], &[]);
        let e = inspect_proto("e.onnx", &p).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let mut p = tiny("Relu", &[1, 3, 8, 8]);
        p.graph.as_mut().unwrap().initializer.push(pb::TensorProto {
            name: "w".into(),
            data_location: Some(pb::tensor_proto::DataLocation::External as i32),
            external_data: vec![pb::StringStringEntryProto { key: "location".into(), value: "w.bin".into() }],
            ..Default::default()
        });
        let e = inspect_proto("x.onnx", &p).unwrap_err().to_string();
        assert!(e.contains("'w'") && e.contains("w.bin") && e.contains("does not read"), "{e}");
    }

    #[test]
    fn symbolic_batch_is_accepted_and_fixed_batch_refused() {
        let mut p = tiny("Relu", &[1, 3, 8, 8]);
        let set_batch = |p: &mut ModelProto, d: pb::tensor_shape_proto::dimension::Value| {
            let Some(pb::type_proto::Value::TensorType(t)) =
                p.graph.as_mut().unwrap().input[0].r#type.as_mut().unwrap().value.as_mut()
            else {
                unreachable!()
            };
            t.shape.as_mut().unwrap().dim[0].value = Some(d);
        };
        use pb::tensor_shape_proto::dimension::Value;
        set_batch(&mut p, Value::DimParam("N".into()));
        assert_eq!(inspect_proto("s.onnx", &p).unwrap().layers[0].shape, vec![3, 8, 8]);
        set_batch(&mut p, Value::DimValue(4));
        let e = inspect_proto("s.onnx", &p).unwrap_err().to_string();
        assert!(e.contains("batch of 4"), "{e}");
    }
}
