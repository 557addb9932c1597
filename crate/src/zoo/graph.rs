//! A small builder that writes an ONNX graph the way `torch.onnx.export` would
//! name it: every module's output tensor and node carry the module's
//! torchvision name (`features.0`), and parameters its state-dict name
//! (`features.0.weight`). A trained torchvision export and a seeded zoo graph
//! therefore name the same layers the same way.

use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

/// ONNX opset the zoo targets (supported by tract and onnxruntime alike).
pub const OPSET: i64 = 17;
/// ONNX IR version matching opset 17.
pub const IR_VERSION: i64 = 8;

/// Accumulates nodes and initializers of one graph.
#[derive(Default)]
pub struct GraphBuilder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    parameters: usize,
    /// Elements of the largest parameter tensor (the memory estimate: building
    /// the model briefly holds a second copy of its large tensors).
    largest: usize,
    /// Names of the shared scalar constants added so far (see [`GraphBuilder::scalar`]).
    scalars: std::collections::HashSet<String>,
    /// The slices of cut fully connected weights ([`GraphBuilder::linear_sliced`]),
    /// which follow the other initializers, where `runtime::split` puts them.
    slices: Vec<TensorProto>,
}

fn attr_ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: values.to_vec(),
        ..Default::default()
    }
}

fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

fn attr_float(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Float as i32,
        f: value,
        ..Default::default()
    }
}

/// A float tensor of `dims` (`data` may be empty in a dry build).
fn float_tensor(name: &str, dims: &[usize], data: Vec<f32>) -> TensorProto {
    debug_assert!(data.is_empty() || data.len() == dims.iter().product::<usize>(), "{name}");
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        float_data: data,
        ..Default::default()
    }
}

/// A node whose single output tensor is named like the node.
fn named_node(op: &str, name: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![name.into()],
        attribute: attributes,
        ..Default::default()
    }
}

/// `nn.Linear`'s node: y = x Wᵀ + b with W stored (out, in).
fn linear_node(name: &str, x: &str, weight: &str, bias: &str) -> NodeProto {
    named_node("Gemm", name, &[x, weight, bias], vec![attr_int("transB", 1)])
}

fn float_value_info(name: &str, dims: &[usize]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|&d| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(d as i64)),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl GraphBuilder {
    /// Number of parameters (initializer elements) added so far.
    pub fn parameters(&self) -> usize {
        self.parameters
    }

    /// Elements of the largest parameter tensor added so far.
    pub fn largest_parameter(&self) -> usize {
        self.largest
    }

    /// Adds a float parameter tensor under its state-dict name. `data` may be
    /// empty in a dry build (layout only), which still counts the parameters.
    pub fn parameter(&mut self, name: &str, dims: &[usize], data: Vec<f32>) -> String {
        self.count(dims.iter().product());
        self.float_initializer(name, dims, data)
    }

    /// Counts a parameter tensor of `elements` values.
    fn count(&mut self, elements: usize) {
        self.parameters += elements;
        self.largest = self.largest.max(elements);
    }

    /// Adds a float buffer (e.g. batch-norm running statistics): stored like a
    /// parameter but not counted as one, as in `model.parameters()`.
    pub fn buffer(&mut self, name: &str, dims: &[usize], data: Vec<f32>) -> String {
        self.float_initializer(name, dims, data)
    }

    fn float_initializer(&mut self, name: &str, dims: &[usize], data: Vec<f32>) -> String {
        self.initializers.push(float_tensor(name, dims, data));
        name.into()
    }

    /// Adds an int64 constant (a shape for `Reshape`, an index for `Gather`):
    /// stored as an initializer, not counted as a parameter. `dims` empty
    /// makes a scalar.
    pub fn int64_constant(&mut self, name: &str, dims: &[usize], values: Vec<i64>) -> String {
        debug_assert_eq!(values.len(), dims.iter().product::<usize>(), "{name}");
        self.initializers.push(TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Int64 as i32,
            int64_data: values,
            ..Default::default()
        });
        name.into()
    }

    /// A float scalar constant (for `Mul`, `Div`, `Add` with a number),
    /// added once per value and shared by every node that uses it; a buffer,
    /// not a parameter. Its name is `const.<value>`.
    pub fn scalar(&mut self, value: f32) -> String {
        let name = format!("const.{value:?}");
        if self.scalars.insert(name.clone()) {
            self.buffer(&name, &[], vec![value]);
        }
        name
    }

    /// Adds a node with several outputs, named by the caller.
    pub fn node_outputs(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        outputs: &[String],
        attributes: Vec<AttributeProto>,
    ) -> Vec<String> {
        self.nodes.push(NodeProto {
            name: name.into(),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.to_vec(),
            attribute: attributes,
            ..Default::default()
        });
        outputs.to_vec()
    }

    /// Adds a node whose single output tensor is named like the node.
    pub fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        attributes: Vec<AttributeProto>,
    ) -> String {
        self.nodes.push(named_node(op, name, inputs, attributes));
        name.into()
    }

    /// `nn.Conv2d` with square kernel, stride and padding.
    pub fn conv(
        &mut self,
        name: &str,
        x: &str,
        weight: &str,
        bias: Option<&str>,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> String {
        self.conv_grouped(name, x, weight, bias, (kernel, stride, padding), 1)
    }

    /// `nn.Conv2d(..., groups=groups)` with square kernel, stride and padding
    /// (`groups` equal to the channel count is a depthwise conv); the `group`
    /// attribute is written only when it is not 1.
    pub fn conv_grouped(
        &mut self,
        name: &str,
        x: &str,
        weight: &str,
        bias: Option<&str>,
        (kernel, stride, padding): (usize, usize, usize),
        groups: usize,
    ) -> String {
        let mut inputs = vec![x, weight];
        inputs.extend(bias);
        let (k, s, p) = (kernel as i64, stride as i64, padding as i64);
        let mut attributes = vec![
            attr_ints("kernel_shape", &[k, k]),
            attr_ints("strides", &[s, s]),
            attr_ints("pads", &[p, p, p, p]),
        ];
        if groups != 1 {
            attributes.push(attr_int("group", groups as i64));
        }
        self.node("Conv", name, &inputs, attributes)
    }

    /// `nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)`; the
    /// `ceil_mode` attribute is written only when set.
    pub fn max_pool(&mut self, name: &str, x: &str, kernel: usize, stride: usize, padding: usize, ceil_mode: bool) -> String {
        let (k, s, p) = (kernel as i64, stride as i64, padding as i64);
        let mut attributes = vec![
            attr_ints("kernel_shape", &[k, k]),
            attr_ints("strides", &[s, s]),
            attr_ints("pads", &[p, p, p, p]),
        ];
        if ceil_mode {
            attributes.push(attr_int("ceil_mode", 1));
        }
        self.node("MaxPool", name, &[x], attributes)
    }

    /// `nn.AvgPool2d(kernel, stride)` without padding.
    pub fn avg_pool(&mut self, name: &str, x: &str, kernel: usize, stride: usize) -> String {
        let (k, s) = (kernel as i64, stride as i64);
        self.node(
            "AveragePool",
            name,
            &[x],
            vec![attr_ints("kernel_shape", &[k, k]), attr_ints("strides", &[s, s]), attr_ints("pads", &[0, 0, 0, 0])],
        )
    }

    /// Clamps to `[min, max]` (opset 11+ `Clip`, the bounds as shared scalar
    /// constants): `nn.ReLU6` is `clip(x, 0, 6)`.
    pub fn clip(&mut self, name: &str, x: &str, min: f32, max: f32) -> String {
        let (lo, hi) = (self.scalar(min), self.scalar(max));
        self.node("Clip", name, &[x, &lo, &hi], vec![])
    }

    /// `nn.BatchNorm2d` in eval mode (running statistics).
    pub fn batch_norm(&mut self, name: &str, x: &str, params: [&str; 4], eps: f32) -> String {
        let [w, b, mean, var] = params;
        self.node("BatchNormalization", name, &[x, w, b, mean, var], vec![attr_float("epsilon", eps)])
    }

    /// Elementwise sum (a residual connection).
    pub fn add(&mut self, name: &str, a: &str, b: &str) -> String {
        self.node("Add", name, &[a, b], vec![])
    }

    /// `nn.AdaptiveAvgPool2d((1, 1))`.
    pub fn global_avg_pool(&mut self, name: &str, x: &str) -> String {
        self.node("GlobalAveragePool", name, &[x], vec![])
    }

    /// `nn.ReLU`.
    pub fn relu(&mut self, name: &str, x: &str) -> String {
        self.node("Relu", name, &[x], vec![])
    }

    /// `torch.flatten(x, 1)`.
    pub fn flatten(&mut self, name: &str, x: &str) -> String {
        self.node("Flatten", name, &[x], vec![attr_int("axis", 1)])
    }

    /// `nn.Linear`: y = x Wᵀ + b with W stored (out, in) as PyTorch stores it.
    pub fn linear(&mut self, name: &str, x: &str, weight: &str, bias: &str) -> String {
        self.nodes.push(linear_node(name, x, weight, bias));
        name.into()
    }

    /// `nn.Linear` whose weight (`weight`, out × `inputs`) and bias come as
    /// consecutive slices of output units, `parts` (each slice's weight rows
    /// and bias), emitted as [`crate::runtime::split`] cuts a whole one: a
    /// `Gemm` a slice, joined by a `Concat` named `name`, and the slices'
    /// initializers after the others. The graph is the one that
    /// [`GraphBuilder::linear`] and the split give (`crate/tests/memory.rs`),
    /// but no block ever holds the whole weight.
    pub fn linear_sliced(&mut self, name: &str, x: &str, (weight, bias): (&str, &str), inputs: usize, parts: Vec<(Vec<f32>, Vec<f32>)>) -> String {
        use crate::runtime::split::{slice_name, sliced_gemm};
        let units: usize = parts.iter().map(|(_, b)| b.len()).sum();
        self.count(units * inputs);
        self.count(units);
        let mut names = Vec::with_capacity(parts.len());
        for (s, (w, b)) in parts.into_iter().enumerate() {
            let rows = b.len();
            let (w, b) = (float_tensor(&slice_name(weight, s), &[rows, inputs], w), float_tensor(&slice_name(bias, s), &[rows], b));
            names.push((w.name.clone(), Some(b.name.clone())));
            self.slices.extend([w, b]);
        }
        self.nodes.extend(sliced_gemm(linear_node(name, x, weight, bias), &names));
        name.into()
    }

    /// `nn.LayerNorm` over the last axis (ONNX `LayerNormalization`, opset 17).
    pub fn layer_norm(&mut self, name: &str, x: &str, weight: &str, bias: &str, eps: f32) -> String {
        self.node(
            "LayerNormalization",
            name,
            &[x, weight, bias],
            vec![attr_int("axis", -1), attr_float("epsilon", eps)],
        )
    }

    /// Permutes the axes of `x` (`perm` over all axes, batch included).
    pub fn transpose(&mut self, name: &str, x: &str, perm: &[usize]) -> String {
        let perm: Vec<i64> = perm.iter().map(|&p| p as i64).collect();
        self.node("Transpose", name, &[x], vec![attr_ints("perm", &perm)])
    }

    /// Reshapes `x` to `shape` (batch included); the shape is an int64
    /// constant named `<name>.shape`.
    pub fn reshape(&mut self, name: &str, x: &str, shape: &[usize]) -> String {
        let s = self.int64_constant(&format!("{name}.shape"), &[shape.len()], shape.iter().map(|&d| d as i64).collect());
        self.node("Reshape", name, &[x, &s], vec![])
    }

    /// Concatenates along `axis` (batch included).
    pub fn concat(&mut self, name: &str, xs: &[&str], axis: usize) -> String {
        self.node("Concat", name, xs, vec![attr_int("axis", axis as i64)])
    }

    /// Batched matrix product of the last two axes (`torch.matmul`).
    pub fn matmul(&mut self, name: &str, a: &str, b: &str) -> String {
        self.node("MatMul", name, &[a, b], vec![])
    }

    /// Elementwise product (with broadcasting).
    pub fn mul(&mut self, name: &str, a: &str, b: &str) -> String {
        self.node("Mul", name, &[a, b], vec![])
    }

    /// Elementwise quotient (with broadcasting).
    pub fn div(&mut self, name: &str, a: &str, b: &str) -> String {
        self.node("Div", name, &[a, b], vec![])
    }

    /// The Gauss error function, elementwise.
    pub fn erf(&mut self, name: &str, x: &str) -> String {
        self.node("Erf", name, &[x], vec![])
    }

    /// Softmax along `axis` (opset 13 semantics: that axis alone).
    pub fn softmax(&mut self, name: &str, x: &str, axis: i64) -> String {
        self.node("Softmax", name, &[x], vec![attr_int("axis", axis)])
    }

    /// `x.select(axis, index)`: the slice at `index` along `axis`, which is
    /// removed (ONNX `Gather` with a scalar index named `<name>.index`).
    pub fn select(&mut self, name: &str, x: &str, axis: usize, index: usize) -> String {
        let i = self.int64_constant(&format!("{name}.index"), &[], vec![index as i64]);
        self.node("Gather", name, &[x, &i], vec![attr_int("axis", axis as i64)])
    }

    /// `x.mean(dim=axis)`, the axis removed (opset 17 `ReduceMean`, axes as an attribute).
    pub fn mean(&mut self, name: &str, x: &str, axis: usize) -> String {
        self.node("ReduceMean", name, &[x], vec![attr_ints("axes", &[axis as i64]), attr_int("keepdims", 0)])
    }

    /// Splits `x` into equal parts along `axis` (opset 13+ `Split` without
    /// its `split` input), one output per name in `outputs`.
    pub fn split(&mut self, name: &str, x: &str, axis: usize, outputs: &[String]) -> Vec<String> {
        self.node_outputs("Split", name, &[x], outputs, vec![attr_int("axis", axis as i64)])
    }

    /// Closes the graph into a model with one image input and the given outputs.
    pub fn finish(
        self,
        graph_name: &str,
        input: (&str, &[usize]),
        outputs: &[(&str, &[usize])],
        metadata: &[(&str, String)],
    ) -> ModelProto {
        ModelProto {
            ir_version: IR_VERSION,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET }],
            producer_name: "idlab".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            graph: Some(GraphProto {
                name: graph_name.into(),
                node: self.nodes,
                initializer: self.initializers.into_iter().chain(self.slices).collect(),
                input: vec![float_value_info(input.0, input.1)],
                output: outputs.iter().map(|(n, d)| float_value_info(n, d)).collect(),
                ..Default::default()
            }),
            metadata_props: metadata
                .iter()
                .map(|(k, v)| StringStringEntryProto { key: k.to_string(), value: v.clone() })
                .collect(),
            ..Default::default()
        }
    }
}
