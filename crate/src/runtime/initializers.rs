//! Turns a graph's weights into tract constants one tensor at a time, so a
//! model is never held twice while it is built.
//!
//! tract-onnx's parser makes every initializer a tensor of its own before it
//! frees anything, and the protobuf keeps its copy until the parse returns:
//! VGG11's 507 MB of weights were held twice, plus its first fully connected
//! layer (392 MB) a third time when tract packed it. (Its hook for external
//! data, `ModelDataResolver`, cannot help: it first checks that the data's
//! file exists on disk, and a tab has no disk.) Here the initializers are
//! taken out of the protobuf before the parse, so tract sees them as inputs
//! that no node produces; each such input then becomes the constant it
//! stands for (a float tensor copied once, bit for bit; other types by
//! tract's own reader), and its protobuf is freed before the next. The
//! build's peak natively becomes the weights once plus about the largest
//! tensor (`crate/tests/memory.rs` measures it; a tab needs more, see
//! `experiment::memory::build_extra`).

use std::sync::Arc;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{ModelProto, TensorProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::InferenceFact;
use tract_onnx::tract_hir::internal::TractErrorContext;
use tract_onnx::tract_hir::ops::konst::Const;

/// A graph's initializers, taken out of its protobuf.
pub struct Initializers(Vec<TensorProto>);

impl Initializers {
    /// Takes `proto`'s top-level initializers (with their values) out of it,
    /// and the graph inputs that name one (older exporters list every weight
    /// as an input too; an initializer gives such an input its value).
    /// Initializers of nested graphs (`If`, `Loop` bodies) stay: tract reads
    /// them with their node.
    pub fn take_from(proto: &mut ModelProto) -> Self {
        let Some(graph) = proto.graph.as_mut() else { return Initializers(Vec::new()) };
        let taken = std::mem::take(&mut graph.initializer);
        let names: std::collections::HashSet<&str> = taken.iter().map(|t| t.name.as_str()).collect();
        graph.input.retain(|i| !names.contains(i.name.as_str()));
        Initializers(taken)
    }

    /// Makes each of `unresolved` (the inputs the parse found no producer for)
    /// that names an initializer the constant it holds, in the protobuf's
    /// order, freeing each initializer once it is converted. Returns the
    /// names left unresolved; an initializer no node reads is dropped.
    pub fn install(self, model: &mut InferenceModel, unresolved: Vec<String>) -> TractResult<Vec<String>> {
        let reader = tract_onnx::onnx().provider;
        let mut left = unresolved;
        for mut proto in self.0 {
            let Some(i) = left.iter().position(|n| *n == proto.name) else { continue };
            left.swap_remove(i);
            let tensor = to_tensor(&*reader, &proto).with_context(|| format!("reading initializer {}", proto.name))?;
            let name = std::mem::take(&mut proto.name);
            drop(proto);
            let value = Arc::new(tensor);
            let fact: InferenceFact = TypedFact::try_from(value.clone())?.into();
            let slot = model
                .inputs
                .iter()
                .position(|o| model.node(o.node).name == name)
                .with_context(|| format!("no input node for initializer {name}"))?;
            let outlet = model.inputs.remove(slot);
            model.node_mut(outlet.node).op = Box::new(Const::new(value)?);
            model.set_outlet_fact(outlet, fact)?;
        }
        left.sort();
        Ok(left)
    }
}

/// An initializer as a tensor, copied once: tract's reader copies a float
/// tensor twice (to a `Vec`, then to its aligned storage), which for VGG11's
/// first fully connected layer is 392 MB more at the peak.
fn to_tensor(reader: &dyn tract_onnx::data_resolver::ModelDataResolver, proto: &TensorProto) -> TractResult<Tensor> {
    let plain = proto.data_location != Some(tract_onnx::pb::tensor_proto::DataLocation::External as i32);
    if proto.data_type == DataType::Float as i32 && plain && proto.raw_data.is_empty() {
        let shape: Vec<usize> = proto.dims.iter().map(|&d| usize::try_from(d)).collect::<Result<_, _>>()?;
        return Tensor::from_shape(&shape, &proto.float_data);
    }
    tract_onnx::tensor::load_tensor(reader, proto, None)
}
