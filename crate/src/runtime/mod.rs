//! Runs an ONNX model through tract and hands back the recorded layers'
//! outputs for one image. Knows nothing about metrics.

pub mod initializers;
pub mod inspect;
pub mod prune;
pub mod split;
pub mod tflite;
pub mod user_model;

pub use inspect::{inspect, Candidate, Inspection};
pub use user_model::{prepare as prepare_user_model, UserModel};

use crate::error::{Error, Result};
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

/// A model optimised by tract with the recorded layers as its outputs.
pub struct Recorder {
    model: String,
    plan: std::sync::Arc<TypedRunnableModel>,
    layers: Vec<String>,
    /// For each of `layers`, the index of its tensor among the graph's outputs
    /// (a tensor asked for twice, as SqueezeNet's `features.0` and its in-place
    /// ReLU `features.1`, is one output).
    slots: Vec<usize>,
    input_shape: [usize; 4],
}

impl Recorder {
    /// Loads `proto`, selects `layers` (tensor or node names) as outputs before
    /// optimisation (so tract keeps them), and fixes the input to `input_shape`.
    /// Takes the proto by value and hands its weights to tract one tensor at a
    /// time ([`initializers`]), after cutting large fully connected weights
    /// into slices ([`split`]), so a model's weights are held once, plus a
    /// tensor of at most [`split::SLICE_BYTES`] (or a larger one that could
    /// not be cut) a few times, while it is built.
    pub fn new(model: &str, proto: ModelProto, layers: &[String], input_shape: [usize; 4]) -> Result<Self> {
        Self::with_slices(model, proto, layers, input_shape, split::SLICE_BYTES)
    }

    /// [`Recorder::new`] with fully connected weights cut into slices of at
    /// most `slice_bytes` (`usize::MAX`: none are cut). The recorded values
    /// do not depend on it.
    pub fn with_slices(model: &str, mut proto: ModelProto, layers: &[String], input_shape: [usize; 4], slice_bytes: usize) -> Result<Self> {
        let fail = |reason: String| Error::Model { model: model.into(), reason };
        split::split_large_gemms(&mut proto, slice_bytes);
        let weights = initializers::Initializers::take_from(&mut proto);
        let parsed = tract_onnx::onnx()
            .parse(&proto, None)
            .map_err(|e| fail(format!("cannot load ONNX graph: {e:#}")))?;
        drop(proto);
        let mut inference = parsed.model;
        let unresolved = weights
            .install(&mut inference, parsed.unresolved_inputs)
            .map_err(|e| fail(format!("cannot load ONNX graph: {e:#}")))?;
        if !unresolved.is_empty() {
            return Err(fail(format!("cannot load ONNX graph: no node or initializer gives {unresolved:?}")));
        }
        let graph_nodes: Vec<String> = inference.nodes().iter().map(|n| n.name.clone()).collect();
        for l in layers {
            let known = graph_nodes.iter().any(|n| n == l) || inference.outlet_labels.values().any(|v| v == l);
            if !known {
                return Err(fail(format!("no layer named \"{l}\" in the graph")));
            }
        }
        let mut outputs: Vec<&String> = Vec::new();
        let slots = layers
            .iter()
            .map(|l| match outputs.iter().position(|o| *o == l) {
                Some(i) => i,
                None => {
                    outputs.push(l);
                    outputs.len() - 1
                }
            })
            .collect();
        let plan = inference
            .with_input_fact(0, f32::fact(input_shape).into())
            .and_then(|m| m.with_outputs_by_name(outputs))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| fail(format!("cannot prepare the graph: {e:#}")))?;
        Ok(Recorder { model: model.into(), plan, layers: layers.to_vec(), slots, input_shape })
    }

    pub fn layers(&self) -> &[String] {
        &self.layers
    }

    /// [`Recorder::run`] with tract's matrix products kept on the calling thread,
    /// for images already run in parallel across the pool. On the pool, a thread
    /// waiting for its product's tiles picks up another image's run, which finds
    /// tract's per-thread scratch space borrowed and panics ("RefCell already
    /// borrowed", with 2 or more threads). The numbers are the same either way:
    /// each output tile is computed alone by the same kernel.
    pub fn run_alone(&self, image: &[f32]) -> Result<Vec<Vec<f32>>> {
        use tract_linalg::multithread::{multithread_tract_scope, Executor};
        multithread_tract_scope(Executor::SingleThread, || self.run(image))
    }

    /// Runs one image (CHW f32, already preprocessed) and returns each recorded
    /// layer's output flattened, in the order of `layers`.
    pub fn run(&self, image: &[f32]) -> Result<Vec<Vec<f32>>> {
        let fail = |reason: String| Error::Model { model: self.model.clone(), reason };
        let expected: usize = self.input_shape.iter().product();
        if image.len() != expected {
            return Err(fail(format!(
                "input has {} values, the model expects {:?} = {expected}",
                image.len(),
                self.input_shape
            )));
        }
        let input = Tensor::from_shape(&self.input_shape, image).map_err(|e| fail(e.to_string()))?;
        let outputs = self.plan.run(tvec!(input.into())).map_err(|e| fail(format!("inference failed: {e:#}")))?;
        self.slots
            .iter()
            .zip(&self.layers)
            .map(|(&slot, name)| {
                let view = outputs[slot]
                    .to_plain_array_view::<f32>()
                    .map_err(|e| fail(format!("layer {name}: {e}")))?;
                let values: Vec<f32> = view.iter().copied().collect();
                if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                    return Err(fail(format!("layer {name} produced a non-finite value at unit {i}")));
                }
                Ok(values)
            })
            .collect()
    }
}

/// Uses the rayon global pool for tract's matrix products: natively, and in the
/// threaded wasm build once the worker pool exists.
pub fn use_thread_pool() {
    tract_linalg::multithread::set_default_executor(tract_linalg::multithread::Executor::RayonGlobal);
}
