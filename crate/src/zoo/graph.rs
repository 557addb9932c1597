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

    /// Adds a float parameter tensor under its state-dict name. `data` may be
    /// empty in a dry build (layout only), which still counts the parameters.
    pub fn parameter(&mut self, name: &str, dims: &[usize], data: Vec<f32>) -> String {
        let len = dims.iter().product::<usize>();
        debug_assert!(data.is_empty() || data.len() == len);
        self.parameters += len;
        self.initializers.push(TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            float_data: data,
            ..Default::default()
        });
        name.into()
    }

    /// Adds a float buffer (e.g. batch-norm running statistics): stored like a
    /// parameter but not counted as one, as in `model.parameters()`.
    pub fn buffer(&mut self, name: &str, dims: &[usize], data: Vec<f32>) -> String {
        let name = self.parameter(name, dims, data);
        self.parameters -= dims.iter().product::<usize>();
        name
    }

    /// Adds a node whose single output tensor is named like the node.
    pub fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        attributes: Vec<AttributeProto>,
    ) -> String {
        self.nodes.push(NodeProto {
            name: name.into(),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![name.into()],
            attribute: attributes,
            ..Default::default()
        });
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
        let mut inputs = vec![x, weight];
        inputs.extend(bias);
        let (k, s, p) = (kernel as i64, stride as i64, padding as i64);
        self.node(
            "Conv",
            name,
            &inputs,
            vec![
                attr_ints("kernel_shape", &[k, k]),
                attr_ints("strides", &[s, s]),
                attr_ints("pads", &[p, p, p, p]),
            ],
        )
    }

    /// `nn.MaxPool2d(kernel, stride, padding)`.
    pub fn max_pool(&mut self, name: &str, x: &str, kernel: usize, stride: usize, padding: usize) -> String {
        let (k, s, p) = (kernel as i64, stride as i64, padding as i64);
        self.node(
            "MaxPool",
            name,
            &[x],
            vec![
                attr_ints("kernel_shape", &[k, k]),
                attr_ints("strides", &[s, s]),
                attr_ints("pads", &[p, p, p, p]),
            ],
        )
    }

    /// `nn.BatchNorm2d` in eval mode (running statistics).
    pub fn batch_norm(&mut self, name: &str, x: &str, params: [&str; 4], eps: f32) -> String {
        let [w, b, mean, var] = params;
        let eps = AttributeProto {
            name: "epsilon".into(),
            r#type: AttributeType::Float as i32,
            f: eps,
            ..Default::default()
        };
        self.node("BatchNormalization", name, &[x, w, b, mean, var], vec![eps])
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
        self.node("Gemm", name, &[x, weight, bias], vec![attr_int("transB", 1)])
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
                initializer: self.initializers,
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
