//! Puts a state dict into a zoo graph: the graph (ops, names, shapes) stays
//! the zoo's; every parameter and buffer takes its value from the file,
//! matched by name after the name map ([`super::names`]) and checked by shape.
//!
//! What counts as a parameter: every float initializer of the zoo proto but
//! the shared scalar constants `const.*` (see `GraphBuilder::scalar`); int64
//! initializers (shapes, indices) are never touched.
//!
//! A parameter the file lacks or has with another shape is an error, unless
//! no recorded tensor depends on it: a classifier head for another number of
//! classes (or none) is fine when only earlier layers are recorded. Which
//! parameters those are is read from the graph, not from a list of head
//! names: those that no node on a path to a recorded tensor reads.
//!
//! Nothing is changed unless everything needed is found: the checks run
//! first, then the file's tensors are moved into the proto (no copy; the
//! seeded values they replace are freed one by one).

use super::names::{self, NameMap, Origin};
use super::StateDict;
use crate::error::{Error, Result};
use crate::zoo::{Probe, ZooModel};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tract_onnx::pb::{tensor_proto::DataType, GraphProto, StringStringEntryProto};

/// Prefix of the zoo's shared float constants, which are not parameters.
const CONSTANT_PREFIX: &str = "const.";
/// Metadata key naming the weights file a zoo model carries.
pub const META_WEIGHTS: &str = "idlab.weights";
/// Metadata key of the weights file's sha256 (hex), when the caller knows it.
pub const META_WEIGHTS_SHA256: &str = "idlab.weights_sha256";
/// Metadata key of the seed, removed once no parameter keeps a seeded value.
pub const META_SEED: &str = "idlab.seed";
/// How many names an error lists before "and N more".
const LIST: usize = 5;

/// A tensor of the file that was not used, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Extra {
    pub name: String,
    pub shape: Vec<usize>,
    pub why: String,
}

/// A zoo parameter that kept its seeded value because no recorded layer
/// reads it and the file has it with another shape (`file_shape`) or not at all.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Seeded {
    pub name: String,
    pub shape: Vec<usize>,
    pub file_name: Option<String>,
    pub file_shape: Option<Vec<usize>>,
}

/// What [`apply`] did, for the model's label and every result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Applied {
    pub arch: String,
    pub file: String,
    pub sha256: Option<String>,
    /// How the file's names were read.
    pub map: NameMap,
    /// Parameters and buffers loaded from the file, and their values.
    pub loaded: usize,
    pub values: usize,
    /// The file's tensors left unused (`num_batches_tracked`, a head of
    /// another size, names the architecture does not have).
    pub extras: Vec<Extra>,
    /// Parameters that kept their seeded values (an unrecorded head).
    pub seeded: Vec<Seeded>,
    /// The seed those values come from; `None` when every parameter came from the file.
    pub seed: Option<u64>,
}

/// The initializers read by the nodes that `targets` depend on.
fn needed(graph: &GraphProto, targets: &[&str]) -> HashSet<String> {
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let producer: HashMap<&str, usize> =
        graph.node.iter().enumerate().flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i))).collect();
    let mut seen = vec![false; graph.node.len()];
    let mut found = HashSet::new();
    let mut stack: Vec<&str> = targets.to_vec();
    while let Some(t) = stack.pop() {
        if initializers.contains(t) {
            found.insert(t.to_string());
        }
        if let Some(&i) = producer.get(t) {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(graph.node[i].input.iter().map(String::as_str).filter(|s| !s.is_empty()));
            }
        }
    }
    found
}

/// "a, b, c, d, e and 3 more".
fn listing(items: &[String]) -> String {
    let mut s = items.iter().take(LIST).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > LIST {
        s.push_str(&format!(" and {} more", items.len() - LIST));
    }
    s
}

/// The file's name of a tensor, with the zoo name it was read as when they differ.
fn described(origin: &Origin, zoo_name: &str) -> String {
    if origin.name == zoo_name {
        origin.name.clone()
    } else {
        format!("{} (read as {zoo_name})", origin.name)
    }
}

fn set_meta(model: &mut ZooModel, key: &str, value: Option<String>) {
    let props = &mut model.proto.metadata_props;
    props.retain(|e| e.key != key);
    if let Some(value) = value {
        props.push(StringStringEntryProto { key: key.into(), value });
    }
}

/// Replaces the parameters of `model` by those of `sd` (see the module doc).
/// `recorded` are the probes the run will read (empty: the graph's outputs,
/// i.e. every parameter is needed); `file` names the weights in messages and
/// metadata; `sha256` is recorded with it when given.
///
/// Errors name the file, each offending tensor and both shapes, e.g.
/// `resnet18.pth: layer1.0.conv1.weight has shape [64, 32, 3, 3], resnet18 needs [64, 64, 3, 3]`;
/// on error the model is left as it was.
pub fn apply(model: &mut ZooModel, sd: StateDict, recorded: &[Probe], file: &str, sha256: Option<&str>) -> Result<Applied> {
    let arch = model.arch.name();
    let graph = model
        .proto
        .graph
        .as_ref()
        .ok_or_else(|| Error::Input(format!("{file}: the {arch} model has no graph to load weights into")))?;
    let is_param = |t: &tract_onnx::pb::TensorProto| {
        t.data_type == DataType::Float as i32 && !t.name.starts_with(CONSTANT_PREFIX)
    };
    let params: Vec<(String, Vec<usize>)> = graph
        .initializer
        .iter()
        .filter(|t| is_param(t))
        .map(|t| (t.name.clone(), t.dims.iter().map(|&d| d.max(0) as usize).collect()))
        .collect();
    let targets: Vec<&str> = if recorded.is_empty() {
        graph.output.iter().map(|o| o.name.as_str()).collect()
    } else {
        recorded.iter().map(|p| p.tensor.as_str()).collect()
    };
    let needed = needed(graph, &targets);

    let file_count = sd.tensors.len();
    let file_examples: Vec<String> = sd.tensors.keys().take(3).cloned().collect();
    let zoo_names: HashSet<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    let (mut mapped, map) = names::to_zoo(sd, &zoo_names);

    // Checks first: nothing is changed unless every needed tensor fits.
    let (mut missing, mut misshaped, mut seeded) = (Vec::new(), Vec::new(), Vec::new());
    for (name, shape) in &params {
        match mapped.tensors.get(name) {
            Some((t, origin)) if t.shape == *shape => {
                if t.data.len() != shape.iter().product::<usize>() {
                    return Err(Error::Input(format!(
                        "{file}: {} holds {} values, its shape {:?} needs {}",
                        origin.name,
                        t.data.len(),
                        origin.shape,
                        shape.iter().product::<usize>()
                    )));
                }
            }
            Some((_, origin)) if needed.contains(name) => {
                misshaped.push(format!("{} has shape {:?}, {arch} needs {shape:?}", described(origin, name), origin.shape));
            }
            None if needed.contains(name) => {
                missing.push(format!("{name} {shape:?}"));
            }
            other => {
                let origin = other.map(|(_, o)| o);
                seeded.push(Seeded {
                    name: name.clone(),
                    shape: shape.clone(),
                    file_name: origin.map(|o| o.name.clone()),
                    file_shape: origin.map(|o| o.shape.clone()),
                });
            }
        }
    }
    if !missing.is_empty() || !misshaped.is_empty() {
        let mut parts = Vec::new();
        if !misshaped.is_empty() {
            parts.push(listing(&misshaped));
        }
        if !missing.is_empty() {
            parts.push(format!(
                "{} tensor{} {arch} needs {} missing: {} (the file has {file_count} tensor{}{}, names read {}{})",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                if missing.len() == 1 { "is" } else { "are" },
                listing(&missing),
                if file_count == 1 { "" } else { "s" },
                if file_examples.is_empty() { String::new() } else { format!(", e.g. {}", file_examples.join(", ")) },
                map.naming.describe(),
                if map.stripped.is_empty() { String::new() } else { format!(" after stripping {}", map.stripped.concat()) },
            ));
        }
        return Err(Error::Input(format!("{file}: {}", parts.join("; "))));
    }

    // Load: move each tensor's values into its initializer.
    let seeded_names: HashSet<&str> = seeded.iter().map(|s| s.name.as_str()).collect();
    let (mut loaded, mut values) = (0, 0);
    let graph = model.proto.graph.as_mut().expect("checked above");
    for init in graph.initializer.iter_mut().filter(|t| is_param(t)) {
        if seeded_names.contains(init.name.as_str()) {
            continue;
        }
        let (tensor, _) = mapped.tensors.remove(&init.name).expect("checked above");
        values += tensor.data.len();
        loaded += 1;
        init.float_data = tensor.data;
        init.raw_data.clear();
    }

    let mut extras: Vec<Extra> = mapped
        .tensors
        .into_iter()
        .map(|(zoo_name, (_, origin))| {
            let why = if zoo_name.ends_with("num_batches_tracked") {
                "a batch-norm counter, not used in eval mode".to_string()
            } else if let Some(s) = seeded.iter().find(|s| s.name == zoo_name) {
                format!("{arch} has {zoo_name} with shape {:?}; no recorded layer reads it, so it keeps its seeded value", s.shape)
            } else {
                format!("{arch} has no tensor {zoo_name}")
            };
            Extra { name: origin.name, shape: origin.shape, why }
        })
        .collect();
    extras.extend(mapped.duplicates.into_iter().map(|o| Extra {
        name: o.name,
        shape: o.shape,
        why: "another tensor of the file has the same name under the name map".into(),
    }));

    let seed = if seeded.is_empty() { None } else { Some(model.seed) };
    set_meta(model, META_SEED, seed.map(|s| s.to_string()));
    set_meta(model, META_WEIGHTS, Some(file.to_string()));
    set_meta(model, META_WEIGHTS_SHA256, sha256.map(str::to_string));
    Ok(Applied {
        arch: arch.to_string(),
        file: file.to_string(),
        sha256: sha256.map(str::to_string),
        map,
        loaded,
        values,
        extras,
        seeded,
        seed,
    })
}
