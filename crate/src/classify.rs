//! The top classes a model gives each image, for `idlab classify` and the
//! page's "Check: top-5 classes": one function, so that the page and the CLI
//! cannot disagree on which tensor is ranked or how images are prepared.
//!
//! The model is a zoo architecture (seeded, or trained: a state dict read by
//! [`crate::weights::read`] and put into the zoo graph by
//! [`crate::weights::apply::apply`]), a `.onnx` file or a `.tflite` one
//! (converted to ONNX by [`crate::runtime::tflite`]). It is built once as a
//! [`Recorder`] of its logits, then images (encoded bytes) are classified one
//! at a time, preprocessed as `idlab activations` does (the zoo's transform,
//! else the file's metadata, else ImageNet's). A graph that ends in a softmax
//! is ranked by the softmax's input, its logits. Outputs of 1000 classes are
//! ImageNet-1k's; 1001 have TensorFlow's background class at 0, left out and
//! the rest shifted to 0-999; any other count keeps the model's own indices
//! (see [`Classes`]).

use crate::error::{Error, Result};
use crate::experiment::{ModelRef, ModelSpec, WeightsNeed};
use crate::runtime::{inspect, prepare_user_model, Recorder};
use crate::stimuli::Preprocess;
use crate::zoo::labels::{top_k, Classes, Prediction};
use crate::zoo::{self, Arch};
use tract_onnx::pb::ModelProto;

/// A model ready to classify images, built once.
pub struct Classifier {
    label: String,
    recorder: Recorder,
    preprocess: Preprocess,
    /// Known after the first image (told by the number of outputs).
    classes: Option<Classes>,
}

impl Classifier {
    /// A seeded zoo model, labelled `ARCH seed N`.
    pub fn zoo(arch: Arch, seed: u64) -> Result<Classifier> {
        let built = zoo::build(arch, seed);
        let logits = graph_output(&built.proto);
        Classifier::ready(format!("{} seed {seed}", arch.name()), built.proto, logits, arch.preprocess())
    }

    /// A zoo architecture with the trained weights of `file` (a PyTorch
    /// `.pth`/`.pt` or a `.safetensors` file's bytes), labelled `ARCH trained (FILE)`.
    /// Every parameter is needed (the logits are the graph's output), so a
    /// missing or mis-shaped tensor is an error naming it.
    pub fn trained(arch: Arch, file: &str, bytes: &[u8]) -> Result<Classifier> {
        let mut built = zoo::build(arch, 0);
        let logits = graph_output(&built.proto);
        let (dict, _format) = crate::weights::read(file, bytes)?;
        crate::weights::apply::apply(&mut built, dict, &[], file, None)?;
        Classifier::ready(format!("{} trained ({file})", arch.name()), built.proto, logits, arch.preprocess())
    }

    /// A model file's bytes: TFLite when `file` ends in `.tflite` or the bytes
    /// carry TFLite's `TFL3` mark, else ONNX. Labelled by `file`. Its one
    /// output is the logits (or a softmax's input, see the module's note).
    pub fn file(file: &str, bytes: &[u8]) -> Result<Classifier> {
        let tflite = file.to_ascii_lowercase().ends_with(".tflite") || bytes.get(4..8) == Some(b"TFL3".as_slice());
        let proto = if tflite { crate::runtime::tflite::to_onnx(file, bytes)? } else { inspect::decode(file, bytes)? };
        let found = inspect::inspect_proto(file, &proto)?;
        let output = match found.outputs.as_slice() {
            [one] => one.clone(),
            [] => return Err(Error::Input(format!("{file}: the graph has no output to classify with"))),
            many => {
                return Err(Error::Input(format!(
                    "{file}: the graph has {} outputs ({}); classify needs one, the logits",
                    many.len(),
                    many.join(", ")
                )))
            }
        };
        let logits = logits_before_softmax(&proto, output);
        let user = prepare_user_model(file, &proto, std::slice::from_ref(&logits), None)?;
        Classifier::ready(file.to_string(), proto, logits, user.preprocess)
    }

    fn ready(label: String, proto: ModelProto, logits: String, preprocess: Preprocess) -> Result<Classifier> {
        let size = preprocess.size as usize;
        let recorder = Recorder::new(&label, proto, std::slice::from_ref(&logits), [1, 3, size, size])?;
        Ok(Classifier { label, recorder, preprocess, classes: None })
    }

    /// What the model is called in reports (`efficientnet_lite0 trained (FILE)`, a file's name, ...).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The preprocessing applied to every image.
    pub fn preprocess(&self) -> &Preprocess {
        &self.preprocess
    }

    /// What the outputs are, once an image was classified.
    pub fn classes(&self) -> Option<Classes> {
        self.classes
    }

    /// The `k` most probable classes of one image (encoded bytes; `name` for
    /// errors), most probable first.
    pub fn classify(&mut self, name: &str, bytes: &[u8], k: usize) -> Result<Vec<Prediction>> {
        if k == 0 {
            return Err(Error::Input("top must be at least 1".into()));
        }
        let x = self.preprocess.apply(name, bytes)?;
        let y = self.recorder.run(&x)?.swap_remove(0);
        self.classes.get_or_insert(Classes::of(y.len()));
        Ok(top_k(&y, k))
    }
}

/// What a spec's model side (`{"arch", "seed"}`, `{"arch", "weights"}`,
/// `{"tflite"}`, `{"onnx"}`) needs to classify, as a run needs it (`kind` is
/// `file` for the user's own, `url` or `shipped` for one to fetch from `url`):
/// none for a seeded zoo model.
pub fn needs(model: &ModelSpec) -> Result<Option<WeightsNeed>> {
    Ok(match model.resolve()? {
        ModelRef::Zoo { weights: None, .. } => None,
        ModelRef::Zoo { weights: Some(w), .. } => Some(WeightsNeed {
            name: w.key().to_string(),
            kind: w.kind(),
            url: w.url().map(str::to_string),
            sha256: w.sha256().map(str::to_string),
            bytes: w.bytes(),
        }),
        ModelRef::Tflite { shipped: Some(e), .. } => Some(WeightsNeed::shipped(e)),
        ModelRef::Tflite { file, shipped: None, .. } | ModelRef::Onnx { file, .. } => {
            Some(WeightsNeed { name: file.to_string(), kind: "file", url: None, sha256: None, bytes: None })
        }
        _ => return Err(Error::Spec("classify takes a model (a zoo architecture, trained or seeded, a TFLite or an ONNX model), not data".into())),
    })
}

/// A classifier of a spec's model side, with the bytes of the file
/// [`needs`] names (none for a seeded zoo model). Labels are the CLI's for the
/// same file: `ARCH trained (NAME)`, `ARCH seed N`, or the file's name.
pub fn from_spec(model: &ModelSpec, bytes: Option<&[u8]>) -> Result<Classifier> {
    let needed = needs(model)?;
    let bytes = match (&needed, bytes) {
        (None, _) => None,
        (Some(n), Some(b)) => Some((n.name.as_str(), b)),
        (Some(n), None) => return Err(Error::Input(format!("{}: the file's bytes were not given", n.name))),
    };
    match (model.resolve()?, bytes) {
        (ModelRef::Zoo { arch, seed, weights: None }, _) => Classifier::zoo(arch, seed),
        (ModelRef::Zoo { arch, .. }, Some((name, b))) => Classifier::trained(arch, name, b),
        (_, Some((name, b))) => Classifier::file(name, b),
        _ => Err(Error::Spec("classify takes a model, not data".into())),
    }
}

/// The graph's first output (a zoo model's logits).
fn graph_output(proto: &ModelProto) -> String {
    proto.graph.as_ref().and_then(|g| g.output.first()).map(|o| o.name.clone()).unwrap_or_default()
}

/// The tensor to rank for a graph whose output is `output`: a graph that ends
/// in a softmax (the Coral TFLite models; converted with fake quantisation, the
/// softmax is followed by its rounding to the uint8 grid: Div, Round, Clip,
/// Mul, or Quantize/DequantizeLinear) is ranked by the softmax's input, its
/// logits, so the reported p is a softmax of logits once, not of probabilities.
pub fn logits_before_softmax(proto: &ModelProto, output: String) -> String {
    let nodes: Vec<_> = proto.graph.iter().flat_map(|g| &g.node).collect();
    let mut t = output.clone();
    for _ in 0..8 {
        let Some(n) = nodes.iter().find(|n| n.output.contains(&t)) else { break };
        match n.op_type.as_str() {
            "Softmax" if !n.input.is_empty() => return n.input[0].clone(),
            "Mul" | "Div" | "Round" | "Clip" | "Identity" | "QuantizeLinear" | "DequantizeLinear" | "Cast" if !n.input.is_empty() => {
                t = n.input[0].clone()
            }
            _ => break,
        }
    }
    output
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn png(size: u32, rgb: [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(size, size, image::Rgb(rgb));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A seeded zoo model classifies as its recorder's logits say, and the
    /// same image gives the same answer twice (one recorder, reused).
    #[test]
    fn a_seeded_model_ranks_its_logits() {
        let arch = Arch::parse("squeezenet1_0").unwrap();
        let mut c = Classifier::zoo(arch, 3).unwrap();
        assert_eq!(c.label(), "squeezenet1_0 seed 3");
        assert_eq!(c.classes(), None);
        let img = png(64, [200, 30, 90]);
        let a = c.classify("a.png", &img, 5).unwrap();
        assert_eq!(a.len(), 5);
        assert!(a.windows(2).all(|w| w[0].p >= w[1].p));
        assert_eq!(c.classes(), Some(Classes::ImageNet));
        assert_eq!(c.classify("a.png", &img, 5).unwrap(), a);
        let direct = {
            let built = zoo::build(arch, 3);
            let out = graph_output(&built.proto);
            let r = Recorder::new("x", built.proto, &[out], [1, 3, 224, 224]).unwrap();
            top_k(&r.run(&arch.preprocess().apply("a.png", &img).unwrap()).unwrap()[0], 5)
        };
        assert_eq!(a, direct);
    }

    #[test]
    fn bad_input_is_an_error_in_words() {
        let mut c = Classifier::zoo(Arch::parse("squeezenet1_0").unwrap(), 0).unwrap();
        let e = c.classify("broken.jpg", b"not an image", 5).unwrap_err().to_string();
        assert!(e.contains("broken.jpg"), "{e}");
        assert!(c.classify("a.png", &png(8, [0, 0, 0]), 0).unwrap_err().to_string().contains("at least 1"));
        let e = Classifier::file("model.onnx", b"garbage").err().unwrap().to_string();
        assert!(e.contains("model.onnx"), "{e}");
        let e = Classifier::trained(Arch::parse("squeezenet1_0").unwrap(), "w.pth", b"garbage").err().unwrap().to_string();
        assert!(e.contains("w.pth"), "{e}");
    }

    fn spec(json: &str) -> ModelSpec {
        serde_json::from_str(json).unwrap()
    }

    /// A side of the page's form names the file to fetch as a run would, and
    /// builds the classifier the CLI builds for the same file.
    #[test]
    fn a_spec_side_names_its_file() {
        assert_eq!(needs(&spec(r#"{"arch": "squeezenet1_0", "seed": 2}"#)).unwrap(), None);
        let n = needs(&spec(r#"{"arch": "efficientnet_lite0", "weights": {"shipped": "efficientnet_lite0/imagenet"}}"#)).unwrap().unwrap();
        assert_eq!((n.name.as_str(), n.kind), ("models/trained/efficientnet-lite0-57934424.pth", "shipped"));
        assert_eq!(n.url.as_deref(), Some(n.name.as_str()));
        assert!(n.sha256.is_some() && n.bytes.is_some());
        let t = needs(&spec(r#"{"tflite": "coral/mobilenet_v2_1.0_224_quant"}"#)).unwrap().unwrap();
        assert_eq!((t.name.as_str(), t.kind), ("models/trained/coral/mobilenet_v2_1.0_224_quant.tflite", "shipped"));
        let f = needs(&spec(r#"{"arch": "resnet18", "weights": {"file": "r.pth"}}"#)).unwrap().unwrap();
        assert_eq!((f.name.as_str(), f.kind, f.url), ("r.pth", "file", None));
        assert!(needs(&spec(r#"{"dataset": "kriegeskorte92/human-it"}"#)).is_err());
        let e = from_spec(&spec(r#"{"arch": "resnet18", "weights": {"file": "r.pth"}}"#), None).err().unwrap().to_string();
        assert!(e.contains("r.pth"), "{e}");
        let mut c = from_spec(&spec(r#"{"arch": "squeezenet1_0", "seed": 2}"#), None).unwrap();
        assert_eq!(c.label(), "squeezenet1_0 seed 2");
        let img = png(32, [10, 200, 10]);
        let mut z = Classifier::zoo(Arch::parse("squeezenet1_0").unwrap(), 2).unwrap();
        assert_eq!(c.classify("g.png", &img, 5).unwrap(), z.classify("g.png", &img, 5).unwrap());
    }
}
