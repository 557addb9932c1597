//! Runs an ONNX model through tract and hands back the recorded layers'
//! outputs for one image. Knows nothing about metrics.

pub mod head;
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

/// A model optimised by tract with the recorded layers as its outputs; a
/// classifier's fully connected head may be cut off and run in batches
/// ([`head`]).
pub struct Recorder {
    model: String,
    trunk: std::sync::Arc<TypedRunnableModel>,
    head: Option<BatchedHead>,
    layers: Vec<String>,
    /// For each of `layers`, where its tensor is: in the head or the trunk,
    /// and its index among that part's outputs (a tensor asked for twice, as
    /// SqueezeNet's `features.0` and its in-place ReLU `features.1`, is one
    /// output).
    slots: Vec<(bool, usize)>,
    input_shape: [usize; 4],
}

/// The head, built for `batch` rows of `width` values; the trunk's output
/// `from` feeds it.
struct BatchedHead {
    plan: std::sync::Arc<TypedRunnableModel>,
    batch: usize,
    width: usize,
    from: usize,
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
        Self::build(model, proto, layers, input_shape, split::SLICE_BYTES, 1)
    }

    /// [`Recorder::new`] with fully connected weights cut into slices of at
    /// most `slice_bytes` (`usize::MAX`: none are cut). The recorded values
    /// do not depend on it.
    pub fn with_slices(model: &str, proto: ModelProto, layers: &[String], input_shape: [usize; 4], slice_bytes: usize) -> Result<Self> {
        Self::build(model, proto, layers, input_shape, slice_bytes, 1)
    }

    /// [`Recorder::new`] with the graph's fully connected head, when a
    /// recorded layer lies in it, cut off and run `batch` images at a time
    /// ([`head`]; fewer are padded, so an image's values do not depend on
    /// how many run with it).
    pub fn batched(model: &str, proto: ModelProto, layers: &[String], input_shape: [usize; 4], batch: usize) -> Result<Self> {
        Self::build(model, proto, layers, input_shape, split::SLICE_BYTES, batch)
    }

    fn build(model: &str, mut proto: ModelProto, layers: &[String], input_shape: [usize; 4], slice_bytes: usize, batch: usize) -> Result<Self> {
        split::split_large_gemms(&mut proto, slice_bytes);
        let head = if batch > 1 { head::cut(&mut proto, layers) } else { None };
        let head_names: std::collections::HashSet<String> = head
            .iter()
            .flat_map(|h| h.proto.graph.iter().flat_map(|g| g.node.iter()))
            .flat_map(|n| std::iter::once(n.name.clone()).chain(n.output.iter().cloned()))
            .collect();
        let in_head = |l: &String| head_names.contains(l);
        let head_layers: Vec<&String> = layers.iter().filter(|l| in_head(l)).collect();
        let mut trunk_layers: Vec<&String> = layers.iter().filter(|l| !in_head(l)).collect();
        let head_input = head.as_ref().map(|h| h.input.clone());
        if let Some(input) = &head_input {
            trunk_layers.push(input);
        }
        let (trunk_outputs, trunk_slots) = outputs(&trunk_layers);
        let (head_outputs, head_slots) = outputs(&head_layers);
        let trunk = load(model, proto, &trunk_outputs, f32::fact(input_shape).into())?;
        let head = match head {
            Some(h) => {
                let from = *trunk_slots.last().expect("the head's input is a trunk output");
                let fact = trunk.model().output_fact(from).map_err(|e| fail(model, format!("cannot prepare the graph: {e:#}")))?;
                let width = fact.shape.as_concrete().map(|d| d.iter().skip(1).product::<usize>()).ok_or_else(|| fail(model, "the head's input has no fixed size".into()))?;
                let plan = load(model, h.proto, &head_outputs, f32::fact([batch, width]).into())?;
                Some(BatchedHead { plan, batch, width, from })
            }
            None => None,
        };
        let (mut t, mut h) = (trunk_slots.into_iter(), head_slots.into_iter());
        let slots = layers.iter().map(|l| if in_head(l) { (true, h.next().expect("one slot a layer")) } else { (false, t.next().expect("one slot a layer")) }).collect();
        Ok(Recorder { model: model.into(), trunk, head, layers: layers.to_vec(), slots, input_shape })
    }

    pub fn layers(&self) -> &[String] {
        &self.layers
    }

    /// Images the head runs at once (1: no head was cut).
    pub fn head_batch(&self) -> usize {
        self.head.as_ref().map_or(1, |h| h.batch)
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
        let trunk = self.run_trunk(image)?;
        Ok(self.finish(vec![trunk])?.swap_remove(0))
    }

    /// Runs `images` (each CHW f32, already preprocessed): several across the
    /// pool, each image's trunk alone (see [`Recorder::run_alone`]), then the
    /// head, if cut, on [`Recorder::head_batch`] images at a time with its
    /// products on the pool. Returns each image's layers, as [`Recorder::run`].
    pub fn run_images(&self, images: &[Vec<f32>]) -> Result<Vec<Vec<Vec<f32>>>> {
        use rayon::prelude::*;
        use tract_linalg::multithread::{multithread_tract_scope, Executor};
        let trunks: Vec<Vec<TValue>> = if images.len() > 1 {
            images.par_iter().map(|x| multithread_tract_scope(Executor::SingleThread, || self.run_trunk(x))).collect::<Result<_>>()?
        } else {
            images.iter().map(|x| self.run_trunk(x)).collect::<Result<_>>()?
        };
        self.finish(trunks)
    }

    fn fail(&self, reason: String) -> Error {
        fail(&self.model, reason)
    }

    fn run_trunk(&self, image: &[f32]) -> Result<Vec<TValue>> {
        let expected: usize = self.input_shape.iter().product();
        if image.len() != expected {
            return Err(self.fail(format!("input has {} values, the model expects {:?} = {expected}", image.len(), self.input_shape)));
        }
        let input = Tensor::from_shape(&self.input_shape, image).map_err(|e| self.fail(e.to_string()))?;
        let outputs = self.trunk.run(tvec!(input.into())).map_err(|e| self.fail(format!("inference failed: {e:#}")))?;
        Ok(outputs.into_vec())
    }

    /// The head's outputs for up to `batch` images' trunks, the batch padded
    /// with zeros: each output's values for the whole batch, image by image.
    fn run_head(&self, head: &BatchedHead, trunks: &[Vec<TValue>]) -> Result<TVec<TValue>> {
        let mut rows = vec![0f32; head.batch * head.width];
        for (row, t) in rows.chunks_mut(head.width).zip(trunks) {
            let x = t[head.from].to_plain_array_view::<f32>().map_err(|e| self.fail(e.to_string()))?;
            row.iter_mut().zip(x.iter()).for_each(|(r, v)| *r = *v);
        }
        let input = Tensor::from_shape(&[head.batch, head.width], &rows).map_err(|e| self.fail(e.to_string()))?;
        head.plan.run(tvec!(input.into())).map_err(|e| self.fail(format!("inference failed: {e:#}")))
    }

    /// Each image's recorded layers from its trunk's outputs, running the head
    /// (if cut) on the images `batch` at a time.
    fn finish(&self, trunks: Vec<Vec<TValue>>) -> Result<Vec<Vec<Vec<f32>>>> {
        let heads: Vec<TVec<TValue>> = match &self.head {
            Some(head) => trunks.chunks(head.batch).map(|chunk| self.run_head(head, chunk)).collect::<Result<_>>()?,
            None => Vec::new(),
        };
        trunks
            .into_iter()
            .enumerate()
            .map(|(i, trunk)| {
                self.slots
                    .iter()
                    .zip(&self.layers)
                    .map(|(&(in_head, slot), name)| {
                        // In the head, image i's row of its batch's output.
                        let (tensor, skip, take) = match (&self.head, in_head) {
                            (Some(head), true) => {
                                let t = &heads[i / head.batch][slot];
                                let n = t.len() / head.batch;
                                (t, i % head.batch * n, n)
                            }
                            _ => (&trunk[slot], 0, usize::MAX),
                        };
                        let view = tensor.to_plain_array_view::<f32>().map_err(|e| self.fail(format!("layer {name}: {e}")))?;
                        let values: Vec<f32> = view.iter().skip(skip).take(take).copied().collect();
                        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                            return Err(self.fail(format!("layer {name} produced a non-finite value at unit {i}")));
                        }
                        Ok(values)
                    })
                    .collect()
            })
            .collect()
    }
}

fn fail(model: &str, reason: String) -> Error {
    Error::Model { model: model.into(), reason }
}

/// The distinct tensors of `layers`, in order, and each layer's index among them.
fn outputs<'a>(layers: &[&'a String]) -> (Vec<&'a String>, Vec<usize>) {
    let mut outputs: Vec<&String> = Vec::new();
    let slots = layers
        .iter()
        .map(|l| match outputs.iter().position(|o| o == l) {
            Some(i) => i,
            None => {
                outputs.push(l);
                outputs.len() - 1
            }
        })
        .collect();
    (outputs, slots)
}

/// One part of a model (the whole graph, its trunk or its head) through tract,
/// with `outputs` (tensor or node names) as its outputs and `input` fixed.
fn load(model: &str, mut proto: ModelProto, outputs: &[&String], input: InferenceFact) -> Result<std::sync::Arc<TypedRunnableModel>> {
    let weights = initializers::Initializers::take_from(&mut proto);
    let parsed = tract_onnx::onnx()
        .parse(&proto, None)
        .map_err(|e| fail(model, format!("cannot load ONNX graph: {e:#}")))?;
    drop(proto);
    let mut inference = parsed.model;
    let unresolved = weights
        .install(&mut inference, parsed.unresolved_inputs)
        .map_err(|e| fail(model, format!("cannot load ONNX graph: {e:#}")))?;
    if !unresolved.is_empty() {
        return Err(fail(model, format!("cannot load ONNX graph: no node or initializer gives {unresolved:?}")));
    }
    for l in outputs {
        let known = inference.nodes().iter().any(|n| n.name == **l) || inference.outlet_labels.values().any(|v| v == *l);
        if !known {
            return Err(fail(model, format!("no layer named \"{l}\" in the graph")));
        }
    }
    inference
        .with_input_fact(0, input)
        .and_then(|m| m.with_outputs_by_name(outputs.iter().copied()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .map_err(|e| fail(model, format!("cannot prepare the graph: {e:#}")))
}

/// Uses the rayon global pool for tract's matrix products: natively, and in the
/// threaded wasm build once the worker pool exists.
pub fn use_thread_pool() {
    tract_linalg::multithread::set_default_executor(tract_linalg::multithread::Executor::RayonGlobal);
}
