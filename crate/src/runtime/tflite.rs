//! TFLite models (the Coral MobileNets) as float ONNX graphs.
//!
//! tract's own TFLite front end cannot run the quantised MobileNetV2 files
//! (an ADD of two uint8 tensors with different quantisations has no common
//! type), and idlab records float activations anyway. So the flatbuffer is
//! read with tract-tflite's generated schema and written again, op by op, as a
//! float ONNX graph with the zoo's [`GraphBuilder`]:
//! - weights are dequantised to f32, `(q - zero_point) * scale`, per tensor or
//!   per channel along `quantized_dimension`; int32 biases likewise with their
//!   own scale (`input_scale * weight_scale`);
//! - TFLite's NHWC layout is turned into ONNX's NCHW inside: the graph takes
//!   `[1, 3, S, S]` float images and every 4-D activation is `[1, C, H, W]`;
//! - fused activations become `Relu` / `Clip` (with fake quantisation, the
//!   bounds of the rounding's clamp); SAME padding is computed as TFLite does
//!   (the extra row and column at the end);
//! - every activation keeps its TFLite tensor's name (the first `;`-separated
//!   part of it: `MobilenetV2/expanded_conv_2/add`), so `runtime::inspect`
//!   lists the layers under the names TensorFlow gave them (a name taken
//!   twice gets `_2`); the op's own output before its activation and
//!   rounding is `<name>/preact`, the rounding's steps `<name>/steps`,
//!   `/round`, `/clamp`;
//! - the quantised input `real = (q - z) * s` of a uint8 image `q = 255 x` is
//!   produced by the lab's own preprocessing through the metadata
//!   `mean = z / 255`, `std = 1 / (255 s)`.
//!
//! By default the graph is the float network the quantised one approximates:
//! weights dequantised, activations left in f32 (a few quantisation steps
//! from the interpreter's at block outputs, the same top-1 accuracy;
//! `crate/tests/tflite.rs` measures both). [`Options::fake_quant`] also rounds
//! every quantised activation to its uint8/int8 grid and clamps it to the
//! type's range, which brings the values within a step or two of the
//! interpreter's; it is not the default because rounding at every layer turns
//! a last-bit difference between two float kernels (native and wasm) into
//! whole steps that add up over the layers: the page and the CLI then
//! disagreed on 1 of 20 top-1 classes, with probabilities up to 0.08 apart,
//! where the lab's results must not depend on the front door. The rounding is
//! written as `Div`, `Round`, `Clip`, `Mul` rather than ONNX's
//! `QuantizeLinear` / `DequantizeLinear`: tract 0.23.9 runs those right at
//! every layer but the softmax, whose probabilities come out wrong.

use crate::error::{Error, Result};
use crate::runtime::inspect::{META_INPUT_SIZE, META_MEAN, META_STD};
use crate::zoo::graph::GraphBuilder;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tract_onnx::pb::{attribute_proto::AttributeType, AttributeProto, ModelProto};
use tract_tflite::tflite::{
    self, ActivationFunctionType, BuiltinOperator, Model, Operator, Padding, SubGraph, TensorType,
};

/// What [`describe`] reads from a TFLite file without converting it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TfliteInfo {
    /// The input tensor's name (first `;`-part).
    pub input_name: String,
    /// Side of the square input image.
    pub input_size: usize,
    /// The input's element type: `uint8`, `int8` or `float32`.
    pub input_type: String,
    /// The input's quantisation (scale, zero point), when it has one.
    pub input_quantization: Option<(f32, i64)>,
    /// Whether any weight is quantised per channel (several scales).
    pub per_channel: bool,
    /// The output tensor's name (first `;`-part): the converted graph's
    /// output, unless the file gives two activations that name.
    pub output_name: String,
    /// Number of output classes (last axis of the output).
    pub classes: usize,
    /// Operators by TFLite name, with their counts.
    pub ops: BTreeMap<String, usize>,
}

/// Conversion options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Rounds every quantised activation to its grid and clamps it to the
    /// type's range and the fused activation's, as TFLite's kernels do
    /// (`clip(round(x / s), lo, hi) * s`), so the float graph computes what
    /// the integer interpreter computes. Off by default (see the module doc).
    pub fake_quant: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options::FLOAT
    }
}

impl Options {
    /// The float network without quantisation of the activations (the default).
    pub const FLOAT: Options = Options { fake_quant: false };
    /// Every activation rounded to its quantisation grid, as the interpreter computes.
    pub const FAKE_QUANT: Options = Options { fake_quant: true };
}

fn fail(file: &str, reason: String) -> Error {
    Error::Input(format!("{file}: {reason}"))
}

/// True when `bytes` carry the TFLite file identifier (`TFL3` at offset 4).
pub fn is_tflite(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[4..8] == b"TFL3"
}

/// Parses and verifies the flatbuffer; a file that is not TFLite or is cut
/// short gets an error a user understands.
fn parse<'a>(file: &str, bytes: &'a [u8]) -> Result<Model<'a>> {
    if !is_tflite(bytes) {
        return Err(fail(file, "is not a TFLite model (no \"TFL3\" identifier at byte 4)".into()));
    }
    tflite::root_as_model(bytes).map_err(|e| fail(file, format!("is truncated or corrupt TFLite: {e}")))
}

fn main_graph<'a>(file: &str, model: &Model<'a>) -> Result<SubGraph<'a>> {
    let graphs = model.subgraphs().ok_or_else(|| fail(file, "has no subgraph".into()))?;
    if graphs.is_empty() {
        return Err(fail(file, "has no subgraph".into()));
    }
    Ok(graphs.get(0))
}

/// The builtin operator of `op`, read as tract-tflite reads it (old files
/// keep it in `deprecated_builtin_code`).
fn op_code(file: &str, model: &Model, op: &Operator) -> Result<BuiltinOperator> {
    let codes = model.operator_codes().ok_or_else(|| fail(file, "has no operator codes".into()))?;
    let i = op.opcode_index() as usize;
    if i >= codes.len() {
        return Err(fail(file, format!("an operator uses opcode {i}, the file lists {}", codes.len())));
    }
    let code = codes.get(i);
    Ok(if code.deprecated_builtin_code() as i32 == BuiltinOperator::PLACEHOLDER_FOR_GREATER_OP_CODES.0 {
        code.builtin_code()
    } else {
        BuiltinOperator(code.deprecated_builtin_code() as i32)
    })
}

fn op_name(code: BuiltinOperator) -> String {
    code.variant_name().map(str::to_string).unwrap_or_else(|| format!("builtin operator {}", code.0))
}

fn type_name(t: TensorType) -> String {
    t.variant_name().map(|s| s.to_ascii_lowercase()).unwrap_or_else(|| format!("type {}", t.0))
}

/// The readable part of a converter-merged tensor name (`a;b;c` -> `a`).
fn short_name(name: &str) -> &str {
    name.split(';').next().unwrap_or(name)
}

/// Reads a TFLite file's input, output, quantisation and ops.
pub fn describe(file: &str, bytes: &[u8]) -> Result<TfliteInfo> {
    let model = parse(file, bytes)?;
    let graph = main_graph(file, &model)?;
    let reader = Reader::new(file, &model, &graph)?;
    let input = reader.single(graph.inputs().map(|v| v.iter().collect()), "input")?;
    let output = reader.single(graph.outputs().map(|v| v.iter().collect()), "output")?;
    let in_shape = reader.shape(input)?;
    let input_size = match in_shape[..] {
        [1, h, w, 3] if h == w => h,
        _ => return Err(fail(file, format!("input '{}' is {in_shape:?}; expected [1, S, S, 3]", reader.name(input)))),
    };
    let out_shape = reader.shape(output)?;
    let mut ops = BTreeMap::new();
    let mut per_channel = false;
    for op in reader.operators() {
        *ops.entry(op_name(op_code(file, &model, &op)?)).or_insert(0) += 1;
        for t in op.inputs().into_iter().flatten().filter(|&t| t >= 0) {
            if let Some(q) = reader.quant(t)? {
                per_channel |= q.scale.len() > 1;
            }
        }
    }
    let t = reader.tensor(input)?;
    Ok(TfliteInfo {
        input_name: short_name(reader.name(input)).into(),
        input_size,
        input_type: type_name(t.type_()),
        input_quantization: reader.quant(input)?.map(|q| (q.scale[0], q.zero[0])),
        per_channel,
        output_name: short_name(reader.name(output)).into(),
        classes: out_shape.last().copied().unwrap_or(0),
        ops,
    })
}

/// Converts a TFLite model to a float ONNX graph (see the module's documentation).
pub fn to_onnx(file: &str, bytes: &[u8]) -> Result<ModelProto> {
    to_onnx_with(file, bytes, Options::default())
}

/// [`to_onnx`] with options.
pub fn to_onnx_with(file: &str, bytes: &[u8], options: Options) -> Result<ModelProto> {
    let model = parse(file, bytes)?;
    let graph = main_graph(file, &model)?;
    let reader = Reader::new(file, &model, &graph)?;
    Converter { r: reader, b: GraphBuilder::default(), acts: HashMap::new(), names: HashSet::new(), reserved: HashMap::new(), options }
        .run(&model, &graph)
}

/// Per-tensor or per-channel quantisation of one tensor.
struct Quant {
    scale: Vec<f32>,
    zero: Vec<i64>,
    dim: usize,
}

/// Checked access to the tensors and buffers of one subgraph: indices come
/// from the file, so none is trusted.
struct Reader<'a> {
    file: String,
    tensors: Vec<tflite::Tensor<'a>>,
    buffers: Vec<tflite::Buffer<'a>>,
    operators: Vec<Operator<'a>>,
}

impl<'a> Reader<'a> {
    fn new(file: &str, model: &Model<'a>, graph: &SubGraph<'a>) -> Result<Self> {
        let tensors = graph.tensors().ok_or_else(|| fail(file, "its subgraph has no tensors".into()))?.iter().collect();
        let buffers = model.buffers().map(|v| v.iter().collect()).unwrap_or_default();
        let operators = graph.operators().map(|v| v.iter().collect()).unwrap_or_default();
        Ok(Reader { file: file.into(), tensors, buffers, operators })
    }

    fn fail(&self, reason: String) -> Error {
        fail(&self.file, reason)
    }

    fn operators(&self) -> impl Iterator<Item = Operator<'a>> + '_ {
        self.operators.iter().copied()
    }

    fn tensor(&self, i: i32) -> Result<tflite::Tensor<'a>> {
        if i < 0 || i as usize >= self.tensors.len() {
            return Err(self.fail(format!("tensor index {i} out of range (the subgraph has {})", self.tensors.len())));
        }
        Ok(self.tensors[i as usize])
    }

    fn name(&self, i: i32) -> &'a str {
        self.tensor(i).ok().and_then(|t| t.name()).unwrap_or("")
    }

    fn single(&self, list: Option<Vec<i32>>, what: &str) -> Result<i32> {
        match list {
            Some(v) if v.len() == 1 => Ok(v[0]),
            Some(v) => Err(self.fail(format!("has {} {what}s; idlab takes models with one", v.len()))),
            None => Err(self.fail(format!("has no {what}"))),
        }
    }

    /// A tensor's shape; its element count is checked to fit in 2^31, so
    /// later products of its dimensions cannot overflow.
    fn shape(&self, i: i32) -> Result<Vec<usize>> {
        let t = self.tensor(i)?;
        let dims: Vec<i32> = t.shape().map(|v| v.iter().collect()).unwrap_or_default();
        let mut count: u64 = 1;
        for &d in &dims {
            count = count.saturating_mul(u64::try_from(d).unwrap_or(u64::MAX));
        }
        if dims.iter().any(|&d| d < 0) || count > 1 << 31 {
            return Err(self.fail(format!("tensor '{}' has shape {dims:?}", self.name(i))));
        }
        Ok(dims.iter().map(|&d| d as usize).collect())
    }

    fn quant(&self, i: i32) -> Result<Option<Quant>> {
        let t = self.tensor(i)?;
        let Some(q) = t.quantization() else { return Ok(None) };
        let scale: Vec<f32> = q.scale().map(|v| v.iter().collect()).unwrap_or_default();
        if scale.is_empty() {
            return Ok(None);
        }
        let mut zero: Vec<i64> = q.zero_point().map(|v| v.iter().collect()).unwrap_or_default();
        if zero.is_empty() {
            zero = vec![0; scale.len()];
        }
        if zero.len() != scale.len() {
            return Err(self.fail(format!(
                "tensor '{}' has {} scales and {} zero points",
                self.name(i),
                scale.len(),
                zero.len()
            )));
        }
        Ok(Some(Quant { scale, zero, dim: q.quantized_dimension().max(0) as usize }))
    }

    /// The raw bytes of a constant tensor, checked against its shape and type.
    fn data(&self, i: i32) -> Result<(&'a [u8], Vec<usize>, TensorType)> {
        let t = self.tensor(i)?;
        let shape = self.shape(i)?;
        let b = t.buffer() as usize;
        let buffers = &self.buffers;
        if b == 0 || b >= buffers.len() {
            return Err(self.fail(format!("tensor '{}' should be a constant but has no data (buffer {b})", self.name(i))));
        }
        let bytes = buffers[b].data().map(|d| d.bytes()).unwrap_or(&[]);
        let size = match t.type_() {
            TensorType::UINT8 | TensorType::INT8 => 1,
            TensorType::INT32 | TensorType::FLOAT32 => 4,
            other => {
                return Err(self.fail(format!("constant '{}' is {}; idlab reads uint8, int8, int32 and float32", self.name(i), type_name(other))))
            }
        };
        let n: usize = shape.iter().product();
        if bytes.len() != n * size {
            return Err(self.fail(format!(
                "constant '{}' of shape {shape:?} ({}) needs {} bytes, its buffer has {}",
                self.name(i),
                type_name(t.type_()),
                n * size,
                bytes.len()
            )));
        }
        Ok((bytes, shape, t.type_()))
    }

    /// A constant as f32: float32 as is, integers dequantised with the
    /// tensor's own (per-tensor or per-channel) scale and zero point.
    fn constant(&self, i: i32) -> Result<(Vec<usize>, Vec<f32>)> {
        let (bytes, shape, ty) = self.data(i)?;
        let raw: Vec<i64> = match ty {
            TensorType::FLOAT32 => {
                return Ok((shape, bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()))
            }
            TensorType::UINT8 => bytes.iter().map(|&b| b as i64).collect(),
            TensorType::INT8 => bytes.iter().map(|&b| b as i8 as i64).collect(),
            _ => bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64).collect(),
        };
        let q = self.quant(i)?.ok_or_else(|| {
            self.fail(format!("constant '{}' is {} without a quantisation scale", self.name(i), type_name(ty)))
        })?;
        let channels = if q.scale.len() == 1 { 1 } else { shape.get(q.dim).copied().unwrap_or(0) };
        if q.scale.len() != channels {
            return Err(self.fail(format!(
                "constant '{}' of shape {shape:?} has {} scales along axis {}",
                self.name(i),
                q.scale.len(),
                q.dim
            )));
        }
        let inner: usize = if channels == 1 { 1 } else { shape[q.dim + 1..].iter().product() };
        let values = raw
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let c = if channels == 1 { 0 } else { (k / inner) % channels };
                // (q - z) is an exact small integer in f32; one rounding in the product.
                (v - q.zero[c]) as f32 * q.scale[c]
            })
            .collect();
        Ok((shape, values))
    }

    /// A constant of int32 values (a shape, a list of axes).
    fn ints(&self, i: i32) -> Result<Vec<i64>> {
        let (bytes, _, ty) = self.data(i)?;
        if ty != TensorType::INT32 {
            return Err(self.fail(format!("constant '{}' is {}, expected int32", self.name(i), type_name(ty))));
        }
        Ok(bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64).collect())
    }
}

/// An activation already in the ONNX graph: its tensor name and its TFLite
/// (NHWC) shape; a 4-D one is NCHW in ONNX.
#[derive(Clone)]
struct Act {
    name: String,
    shape: Vec<usize>,
}

fn nchw(shape: &[usize]) -> Vec<usize> {
    match shape {
        &[n, h, w, c] => vec![n, c, h, w],
        other => other.to_vec(),
    }
}

fn ints_attr(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: values.to_vec(), ..Default::default() }
}

fn int_attr(name: &str, value: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i: value, ..Default::default() }
}

/// TFLite's padding for one spatial axis: (output size, pad before, pad after).
fn pad(padding: Padding, input: usize, kernel: usize, stride: usize, dilation: usize) -> (usize, usize, usize) {
    let effective = (kernel - 1) * dilation + 1;
    if padding == Padding::VALID {
        let out = if input >= effective { (input - effective) / stride + 1 } else { 0 };
        (out, 0, 0)
    } else {
        let out = input.div_ceil(stride);
        let total = ((out.saturating_sub(1)) * stride + effective).saturating_sub(input);
        (out, total / 2, total - total / 2)
    }
}

struct Converter<'a> {
    r: Reader<'a>,
    b: GraphBuilder,
    acts: HashMap<i32, Act>,
    /// Every name given to an ONNX tensor so far (names must be unique).
    names: HashSet<String>,
    /// The name of each activation (the input and every operator's output),
    /// reserved before any constant is named, so that layers keep their
    /// TFLite names and a weight sharing one gets the `_2` suffix.
    reserved: HashMap<i32, String>,
    options: Options,
}

/// The pieces of a convolution or pooling window.
struct Window {
    kernel: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
    padding: Padding,
}

impl Window {
    /// Checks the file's numbers: strides, dilations and pooling sizes are
    /// whole numbers from 1 to 1024, the padding SAME or VALID.
    fn new(what: &str, r: &Reader, kernel: (i32, i32), stride: (i32, i32), dilation: (i32, i32), padding: Padding) -> Result<Window> {
        let check = |v: i32, name: &str| -> Result<usize> {
            if (1..=1024).contains(&v) {
                Ok(v as usize)
            } else {
                Err(r.fail(format!("{what}: {name} {v}")))
            }
        };
        if padding != Padding::SAME && padding != Padding::VALID {
            return Err(r.fail(format!("{what}: padding {}", padding.0)));
        }
        Ok(Window {
            kernel: (check(kernel.0, "window height")?, check(kernel.1, "window width")?),
            stride: (check(stride.0, "stride")?, check(stride.1, "stride")?),
            dilation: (check(dilation.0, "dilation")?, check(dilation.1, "dilation")?),
            padding,
        })
    }
}

impl<'a> Converter<'a> {
    fn fail(&self, reason: String) -> Error {
        self.r.fail(reason)
    }

    /// `base`, or `base_2`, `base_3`... when taken: ONNX names must be unique.
    fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    }

    fn act(&self, i: i32, op: &str) -> Result<Act> {
        self.acts.get(&i).cloned().ok_or_else(|| {
            self.fail(format!(
                "{op}: input '{}' is neither the model's input nor computed by an earlier operator (a constant input here is not supported)",
                self.r.name(i)
            ))
        })
    }

    fn run(mut self, model: &Model<'a>, graph: &SubGraph<'a>) -> Result<ModelProto> {
        let input = self.r.single(graph.inputs().map(|v| v.iter().collect()), "input")?;
        let shape = self.r.shape(input)?;
        let side = match shape[..] {
            [1, h, w, 3] if h == w => h,
            _ => return Err(self.fail(format!("input '{}' is {shape:?}; expected [1, S, S, 3]", self.r.name(input)))),
        };
        let in_type = self.r.tensor(input)?.type_();
        let (mean, std) = match (in_type, self.r.quant(input)?) {
            (TensorType::UINT8, Some(q)) => (q.zero[0] as f64 / 255.0, 1.0 / (255.0 * q.scale[0] as f64)),
            (TensorType::INT8, Some(q)) => ((q.zero[0] + 128) as f64 / 255.0, 1.0 / (255.0 * q.scale[0] as f64)),
            // A float input: the [0, 1] image as it is.
            (TensorType::FLOAT32, None) => (0.0, 1.0),
            (t, _) => return Err(self.fail(format!("input '{}' is {} without quantisation", self.r.name(input), type_name(t)))),
        };
        let ops: Vec<Operator<'a>> = self.r.operators().collect();
        let activations = std::iter::once(input).chain(ops.iter().flat_map(|op| op.outputs().into_iter().flatten()));
        for t in activations {
            if !self.reserved.contains_key(&t) {
                let name = self.fresh(short_name(self.r.name(t)));
                self.reserved.insert(t, name);
            }
        }
        let input_name = self.reserved[&input].clone();
        self.acts.insert(input, Act { name: input_name.clone(), shape: shape.clone() });

        for (k, op) in ops.iter().enumerate() {
            let code = op_code(&self.r.file, model, op)?;
            self.operator(k, code, op)?;
        }

        let outputs: Vec<i32> = graph.outputs().map(|v| v.iter().collect()).unwrap_or_default();
        let mut out_info = Vec::new();
        for o in outputs {
            let a = self.act(o, "output")?;
            out_info.push((a.name.clone(), nchw(&a.shape)));
        }
        let outs: Vec<(&str, &[usize])> = out_info.iter().map(|(n, s)| (n.as_str(), s.as_slice())).collect();
        let metadata = [
            (META_INPUT_SIZE, side.to_string()),
            (META_MEAN, format!("[{m}, {m}, {m}]", m = mean as f32)),
            (META_STD, format!("[{s}, {s}, {s}]", s = std as f32)),
            ("idlab.source", format!("tflite:{}", self.r.file)),
        ];
        let b = std::mem::take(&mut self.b);
        Ok(b.finish(&format!("tflite:{}", self.r.file), (&input_name, &[1, 3, side, side]), &outs, &metadata))
    }

    /// Converts operator `k`, adding its output to `acts`. The op's ONNX
    /// output takes the TFLite tensor's name, unless a fused activation or
    /// fake quantisation follows: then the last node takes it and the op's
    /// own output is `<name>/preact`.
    fn operator(&mut self, k: usize, code: BuiltinOperator, op: &Operator<'a>) -> Result<()> {
        let inputs: Vec<i32> = op.inputs().map(|v| v.iter().collect()).unwrap_or_default();
        let outputs: Vec<i32> = op.outputs().map(|v| v.iter().collect()).unwrap_or_default();
        let opname = op_name(code);
        let what = format!("{opname} (operator {k})");
        if outputs.len() != 1 || inputs.is_empty() {
            return Err(self.fail(format!("{what} has {} inputs and {} outputs", inputs.len(), outputs.len())));
        }
        let out = outputs[0];
        let out_shape = self.r.shape(out)?;
        let base = short_name(self.r.name(out)).to_string();
        let x = self.act(inputs[0], &what)?;
        let arg = |j: usize| inputs.get(j).copied().filter(|&t| t >= 0);
        let none = ActivationFunctionType::NONE;
        let activation = match code {
            BuiltinOperator::CONV_2D => op.builtin_options_as_conv_2_doptions().map(|o| o.fused_activation_function()),
            BuiltinOperator::DEPTHWISE_CONV_2D => {
                op.builtin_options_as_depthwise_conv_2_doptions().map(|o| o.fused_activation_function())
            }
            BuiltinOperator::FULLY_CONNECTED => {
                op.builtin_options_as_fully_connected_options().map(|o| o.fused_activation_function())
            }
            BuiltinOperator::ADD => op.builtin_options_as_add_options().map(|o| o.fused_activation_function()),
            BuiltinOperator::AVERAGE_POOL_2D | BuiltinOperator::MAX_POOL_2D => {
                op.builtin_options_as_pool_2_doptions().map(|o| o.fused_activation_function())
            }
            _ => None,
        }
        .unwrap_or(none);
        // The fused activation's range (None: no activation).
        let range: Option<(f32, f32)> = match activation {
            ActivationFunctionType::NONE => None,
            ActivationFunctionType::RELU => Some((0.0, f32::INFINITY)),
            ActivationFunctionType::RELU6 => Some((0.0, 6.0)),
            ActivationFunctionType::RELU_N1_TO_1 => Some((-1.0, 1.0)),
            other => {
                return Err(self.fail(format!(
                    "{what}: fused activation {} is not supported",
                    other.variant_name().unwrap_or("?")
                )))
            }
        };
        let grid = if self.options.fake_quant { self.grid(out)? } else { None };
        let final_name = match self.reserved.get(&out) {
            Some(n) => n.clone(),
            None => self.fresh(&base),
        };
        // The op's own output: `<name>/preact` before an activation or a
        // quantisation, else the TFLite name itself.
        let op_out = if range.is_some() || grid.is_some() { self.fresh(&format!("{base}/preact")) } else { final_name.clone() };

        match code {
            BuiltinOperator::CONV_2D | BuiltinOperator::DEPTHWISE_CONV_2D => {
                let depthwise = code == BuiltinOperator::DEPTHWISE_CONV_2D;
                // The kernel comes from the filter's shape; (1, 1) until then.
                let window = if depthwise {
                    let o = op.builtin_options_as_depthwise_conv_2_doptions().ok_or_else(|| self.fail(format!("{what} has no options")))?;
                    Window::new(&what, &self.r, (1, 1), (o.stride_h(), o.stride_w()), (o.dilation_h_factor(), o.dilation_w_factor()), o.padding())?
                } else {
                    let o = op.builtin_options_as_conv_2_doptions().ok_or_else(|| self.fail(format!("{what} has no options")))?;
                    Window::new(&what, &self.r, (1, 1), (o.stride_h(), o.stride_w()), (o.dilation_h_factor(), o.dilation_w_factor()), o.padding())?
                };
                let w = arg(1).ok_or_else(|| self.fail(format!("{what} has no filter")))?;
                self.conv(&what, &op_out, &x, w, arg(2), window, depthwise, &out_shape)?;
            }
            BuiltinOperator::FULLY_CONNECTED => {
                let w = arg(1).ok_or_else(|| self.fail(format!("{what} has no weights")))?;
                self.fully_connected(&what, &op_out, &x, w, arg(2), &out_shape)?;
            }
            BuiltinOperator::ADD => {
                let other = self.act(arg(1).ok_or_else(|| self.fail(format!("{what} has one input")))?, &what)?;
                if other.shape != x.shape {
                    return Err(self.fail(format!("{what}: inputs of shapes {:?} and {:?}; idlab adds equal shapes only", x.shape, other.shape)));
                }
                self.b.add(&op_out, &x.name, &other.name);
            }
            BuiltinOperator::AVERAGE_POOL_2D | BuiltinOperator::MAX_POOL_2D => {
                let o = op.builtin_options_as_pool_2_doptions().ok_or_else(|| self.fail(format!("{what} has no options")))?;
                let window = Window::new(&what, &self.r, (o.filter_height(), o.filter_width()), (o.stride_h(), o.stride_w()), (1, 1), o.padding())?;
                let onnx = if code == BuiltinOperator::MAX_POOL_2D { "MaxPool" } else { "AveragePool" };
                self.pool(&what, onnx, &op_out, &x, window, &out_shape)?;
            }
            BuiltinOperator::MEAN => {
                let keep = op.builtin_options_as_reducer_options().map(|o| o.keep_dims()).unwrap_or(false);
                let axes_t = arg(1).ok_or_else(|| self.fail(format!("{what} has no axes")))?;
                let rank = x.shape.len() as i64;
                let mut axes = Vec::new();
                for a in self.r.ints(axes_t)? {
                    let a = if a < 0 { a + rank } else { a };
                    if !(0..rank).contains(&a) {
                        return Err(self.fail(format!("{what}: axis {a} of a rank-{rank} tensor")));
                    }
                    // NHWC axis -> NCHW axis.
                    axes.push(if rank == 4 { [0, 2, 3, 1][a as usize] } else { a });
                }
                if rank == 4 && !keep {
                    return Err(self.fail(format!("{what}: a mean of a 4-D tensor that drops axes is not supported")));
                }
                self.b.node("ReduceMean", &op_out, &[&x.name], vec![ints_attr("axes", &axes), int_attr("keepdims", keep as i64)]);
            }
            BuiltinOperator::RESHAPE => self.reshape(&op_out, &x, &out_shape)?,
            BuiltinOperator::SOFTMAX => {
                let beta = op.builtin_options_as_softmax_options().map(|o| o.beta()).unwrap_or(1.0);
                let mut src = x.name.clone();
                if beta != 1.0 {
                    let s = self.b.scalar(beta);
                    let n = self.fresh(&format!("{base}/beta"));
                    src = self.b.mul(&n, &src, &s);
                }
                let axis = if x.shape.len() == 4 { 1 } else { x.shape.len() as i64 - 1 };
                self.b.softmax(&op_out, &src, axis);
            }
            // The float graph carries real values: a (re)quantisation changes none.
            BuiltinOperator::QUANTIZE | BuiltinOperator::DEQUANTIZE => {
                self.b.node("Identity", &op_out, &[&x.name], vec![]);
            }
            BuiltinOperator::RELU => {
                self.b.relu(&op_out, &x.name);
            }
            BuiltinOperator::RELU6 => {
                self.b.clip(&op_out, &x.name, 0.0, 6.0);
            }
            other => {
                return Err(self.fail(format!(
                    "{} (operator {k}, output '{base}') is not supported; idlab converts CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, RESHAPE, SOFTMAX, QUANTIZE, DEQUANTIZE, RELU and RELU6",
                    op_name(other)
                )))
            }
        }
        match (grid, range) {
            (Some((s, qlo, qhi)), range) => {
                // As TFLite's CalculateActivationRangeQuantized: the activation's
                // bounds in steps, rounded, within the type's range.
                let (lo, hi) = match range {
                    Some((a, b)) => (qlo.max((a / s).round()), if b.is_finite() { qhi.min((b / s).round()) } else { qhi }),
                    None => (qlo, qhi),
                };
                let sc = self.b.scalar(s);
                let n = self.fresh(&format!("{base}/steps"));
                let steps = self.b.div(&n, &op_out, &sc);
                let n = self.fresh(&format!("{base}/round"));
                let rounded = self.b.node("Round", &n, &[&steps], vec![]);
                let n = self.fresh(&format!("{base}/clamp"));
                let clamped = self.b.clip(&n, &rounded, lo, hi);
                self.b.mul(&final_name, &clamped, &sc);
            }
            (None, Some((lo, hi))) if lo == 0.0 && hi.is_infinite() => {
                self.b.relu(&final_name, &op_out);
            }
            (None, Some((lo, hi))) => {
                self.b.clip(&final_name, &op_out, lo, hi);
            }
            (None, None) => {}
        }
        self.acts.insert(out, Act { name: final_name, shape: out_shape });
        Ok(())
    }

    /// The grid of TFLite tensor `t` (scale, lowest and highest step
    /// relative to the zero point) when it is quantised per tensor.
    fn grid(&self, t: i32) -> Result<Option<(f32, f32, f32)>> {
        let (lo, hi) = match self.r.tensor(t)?.type_() {
            TensorType::UINT8 => (0i64, 255i64),
            TensorType::INT8 => (-128, 127),
            _ => return Ok(None),
        };
        Ok(match self.r.quant(t)? {
            Some(q) if q.scale.len() == 1 => Some((q.scale[0], (lo - q.zero[0]) as f32, (hi - q.zero[0]) as f32)),
            _ => None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn conv(
        &mut self,
        what: &str,
        out: &str,
        x: &Act,
        w: i32,
        bias: Option<i32>,
        mut window: Window,
        depthwise: bool,
        out_shape: &[usize],
    ) -> Result<()> {
        let [n, h, wd, c] = x.shape[..] else {
            return Err(self.fail(format!("{what}: input '{}' is {:?}, expected NHWC", x.name, x.shape)));
        };
        let (wshape, wdata) = self.r.constant(w)?;
        let wname = short_name(self.r.name(w)).to_string();
        let [o, kh, kw, i] = wshape[..] else {
            return Err(self.fail(format!("{what}: filter '{wname}' is {wshape:?}, expected 4-D")));
        };
        if kh == 0 || kw == 0 || o == 0 {
            return Err(self.fail(format!("{what}: filter '{wname}' is {wshape:?}")));
        }
        // TFLite: conv [O, KH, KW, I], depthwise [1, KH, KW, C * M]; ONNX: [O, I / group, KH, KW].
        let (out_c, in_per_group, group) = if depthwise {
            if o != 1 || i % c != 0 {
                return Err(self.fail(format!("{what}: depthwise filter '{wname}' is {wshape:?} for {c} input channels")));
            }
            (i, 1, c)
        } else {
            if i == 0 || c % i != 0 {
                return Err(self.fail(format!("{what}: filter '{wname}' is {wshape:?} for {c} input channels")));
            }
            (o, i, c / i)
        };
        let mut onnx_w = vec![0f32; wdata.len()];
        for oc in 0..out_c {
            for ic in 0..in_per_group {
                for y in 0..kh {
                    for xx in 0..kw {
                        let src = if depthwise { (y * kw + xx) * i + oc } else { ((oc * kh + y) * kw + xx) * i + ic };
                        onnx_w[((oc * in_per_group + ic) * kh + y) * kw + xx] = wdata[src];
                    }
                }
            }
        }
        window.kernel = (kh, kw);
        let (oh, ph0, ph1) = pad(window.padding, h, kh, window.stride.0, window.dilation.0);
        let (ow, pw0, pw1) = pad(window.padding, wd, kw, window.stride.1, window.dilation.1);
        let expected = [n, oh, ow, out_c];
        if out_shape != expected {
            return Err(self.fail(format!("{what}: output '{out}' is declared {out_shape:?}, the convolution gives {expected:?}")));
        }
        let wn = self.fresh(&wname);
        let weight = self.b.parameter(&wn, &[out_c, in_per_group, kh, kw], onnx_w);
        let bias_name = match bias {
            Some(bt) => {
                let (bshape, bdata) = self.r.constant(bt)?;
                if bshape != [out_c] {
                    return Err(self.fail(format!("{what}: bias '{}' is {bshape:?}, expected [{out_c}]", self.r.name(bt))));
                }
                let bn = self.fresh(short_name(self.r.name(bt)));
                Some(self.b.parameter(&bn, &[out_c], bdata))
            }
            None => None,
        };
        let mut inputs = vec![x.name.as_str(), weight.as_str()];
        inputs.extend(bias_name.as_deref());
        let mut attributes = vec![
            ints_attr("kernel_shape", &[kh as i64, kw as i64]),
            ints_attr("strides", &[window.stride.0 as i64, window.stride.1 as i64]),
            ints_attr("pads", &[ph0 as i64, pw0 as i64, ph1 as i64, pw1 as i64]),
            ints_attr("dilations", &[window.dilation.0 as i64, window.dilation.1 as i64]),
        ];
        if group != 1 {
            attributes.push(int_attr("group", group as i64));
        }
        self.b.node("Conv", out, &inputs, attributes);
        Ok(())
    }

    fn pool(&mut self, what: &str, onnx: &str, out: &str, x: &Act, window: Window, out_shape: &[usize]) -> Result<()> {
        let [n, h, w, c] = x.shape[..] else {
            return Err(self.fail(format!("{what}: input '{}' is {:?}, expected NHWC", x.name, x.shape)));
        };
        let (kh, kw) = window.kernel;
        let (sh, sw) = (window.stride.0, window.stride.1);
        if kh == 0 || kw == 0 {
            return Err(self.fail(format!("{what}: empty pooling window")));
        }
        let (oh, ph0, ph1) = pad(window.padding, h, kh, sh, 1);
        let (ow, pw0, pw1) = pad(window.padding, w, kw, sw, 1);
        if out_shape != [n, oh, ow, c] {
            return Err(self.fail(format!("{what}: output '{out}' is declared {out_shape:?}, the pooling gives {:?}", [n, oh, ow, c])));
        }
        // TFLite's average leaves padding out of the count, as ONNX does by default.
        let attributes = vec![
            ints_attr("kernel_shape", &[kh as i64, kw as i64]),
            ints_attr("strides", &[sh as i64, sw as i64]),
            ints_attr("pads", &[ph0 as i64, pw0 as i64, ph1 as i64, pw1 as i64]),
        ];
        self.b.node(onnx, out, &[&x.name], attributes);
        Ok(())
    }

    /// Reshapes `x` to the TFLite shape `to` into the tensor named `out`.
    /// TFLite reshapes in NHWC order: a 4-D input with more than one pixel is
    /// transposed back to NHWC first, and a 4-D result to NCHW after.
    fn reshape(&mut self, out: &str, x: &Act, to: &[usize]) -> Result<()> {
        if x.shape.iter().product::<usize>() != to.iter().product::<usize>() {
            return Err(self.fail(format!("RESHAPE '{out}': {:?} cannot become {to:?}", x.shape)));
        }
        let pixels = |s: &[usize]| if s.len() == 4 { s[1] * s[2] } else { 1 };
        let mut src = x.name.clone();
        if x.shape.len() == 4 && pixels(&x.shape) > 1 {
            let n = self.fresh(&format!("{out}/nhwc"));
            src = self.b.transpose(&n, &src, &[0, 2, 3, 1]);
        }
        if to.len() == 4 && pixels(to) > 1 {
            let n = self.fresh(&format!("{out}/nhwc_shape"));
            let r = self.b.reshape(&n, &src, to);
            self.b.transpose(out, &r, &[0, 3, 1, 2]);
        } else {
            self.b.reshape(out, &src, &nchw(to));
        }
        Ok(())
    }

    fn fully_connected(&mut self, what: &str, out: &str, x: &Act, w: i32, bias: Option<i32>, out_shape: &[usize]) -> Result<()> {
        let (wshape, wdata) = self.r.constant(w)?;
        let wname = short_name(self.r.name(w)).to_string();
        let [units, depth] = wshape[..] else {
            return Err(self.fail(format!("{what}: weights '{wname}' are {wshape:?}, expected [units, inputs]")));
        };
        let total: usize = x.shape.iter().product();
        if depth == 0 || !total.is_multiple_of(depth) {
            return Err(self.fail(format!("{what}: input of shape {:?} does not split into rows of {depth} for weights '{wname}' {wshape:?}", x.shape)));
        }
        let rows = total / depth;
        if out_shape != [rows, units] {
            return Err(self.fail(format!("{what}: output '{out}' is declared {out_shape:?}, the layer gives {:?}", [rows, units])));
        }
        let flat = if x.shape == [rows, depth] {
            x.name.clone()
        } else {
            let n = self.fresh(&format!("{out}/flatten"));
            self.reshape(&n, x, &[rows, depth])?;
            n
        };
        let wn = self.fresh(&wname);
        let weight = self.b.parameter(&wn, &[units, depth], wdata);
        let bdata = match bias {
            Some(bt) => {
                let (bshape, bdata) = self.r.constant(bt)?;
                if bshape != [units] {
                    return Err(self.fail(format!("{what}: bias '{}' is {bshape:?}, expected [{units}]", self.r.name(bt))));
                }
                bdata
            }
            None => vec![0.0; units],
        };
        let bn = self.fresh(&bias.map(|b| short_name(self.r.name(b)).to_string()).unwrap_or_else(|| format!("{out}/bias")));
        let b = self.b.parameter(&bn, &[units], bdata);
        self.b.linear(out, &flat, &weight, &b);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_puts_the_odd_pixel_at_the_end() {
        // 224 -> 112 with a 3x3 stride-2 window: one row of padding, after.
        assert_eq!(pad(Padding::SAME, 224, 3, 2, 1), (112, 0, 1));
        assert_eq!(pad(Padding::SAME, 112, 3, 1, 1), (112, 1, 1));
        assert_eq!(pad(Padding::SAME, 7, 1, 1, 1), (7, 0, 0));
        assert_eq!(pad(Padding::SAME, 5, 3, 2, 1), (3, 1, 1));
        assert_eq!(pad(Padding::SAME, 6, 3, 1, 2), (6, 2, 2));
        assert_eq!(pad(Padding::VALID, 7, 7, 2, 1), (1, 0, 0));
        assert_eq!(pad(Padding::VALID, 8, 3, 2, 1), (3, 0, 0));
        assert_eq!(pad(Padding::VALID, 2, 3, 1, 1), (0, 0, 0));
    }

    #[test]
    fn names_and_layouts() {
        assert_eq!(short_name("MobilenetV2/Conv/Relu6;MobilenetV2/Conv/add_fold"), "MobilenetV2/Conv/Relu6");
        assert_eq!(short_name("input"), "input");
        assert_eq!(nchw(&[1, 56, 56, 24]), vec![1, 24, 56, 56]);
        assert_eq!(nchw(&[1, 1001]), vec![1, 1001]);
        assert!(is_tflite(b"\x1c\0\0\0TFL3rest"));
        assert!(!is_tflite(b"TFL3"));
    }

    #[test]
    fn options_default_to_the_float_network() {
        assert!(!Options::default().fake_quant);
        assert!(Options::FAKE_QUANT.fake_quant);
    }
}
