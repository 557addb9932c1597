//! `idlab classify`: the top classes a model gives each image of a folder, to
//! see that a model is what one thinks (trained weights loaded right, the
//! right preprocessing) and to measure a trained model's accuracy.
//!
//! The model is a zoo architecture (seeded, or trained with `--weights`: the
//! state dict put into the zoo graph by `idlab::weights`), a `.onnx` file or
//! a `.tflite` one (converted to ONNX by `idlab::runtime::tflite`),
//! preprocessed as `idlab activations` does (the zoo's transform, else the
//! file's metadata, else ImageNet's). A graph that ends in a softmax is
//! ranked by the softmax's input, its logits. The images are read in the same order.
//! Outputs of 1000 classes are ImageNet-1k's; 1001 have TensorFlow's
//! background class at 0, left out and the rest shifted to 0-999; any other
//! count is reported with the model's own indices as `class N`, marked as
//! not ImageNet.

use crate::upload::read_upload;
use idlab::runtime::{inspect, prepare_user_model, Recorder};
use idlab::stimuli::Preprocess;
use idlab::zoo::labels::{top_k, Classes, Prediction};
use idlab::zoo::{self, Arch};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// A zoo architecture (e.g. efficientnet_lite0, or ARCH:SEED), a .onnx or a .tflite file.
    #[arg(long)]
    model: String,
    /// Trained weights for a zoo architecture: a PyTorch .pth/.pt or a .safetensors file.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Seed of a zoo model's weights (without --weights) [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Folder (or .zip) of images, in natural order of their names.
    #[arg(long)]
    stimuli: PathBuf,
    /// Print JSON: {"model", "imagenet", "images": [{"image", "top": [{"index", "label", "p"}]}]}.
    #[arg(long)]
    json: bool,
    /// How many classes to list per image.
    #[arg(long, default_value_t = 5)]
    top: usize,
}

/// What `--json` prints.
#[derive(Serialize)]
struct Report {
    model: String,
    /// Whether the indices are ImageNet-1k's (false: the model's own).
    imagenet: bool,
    images: Vec<Image>,
}

#[derive(Serialize)]
struct Image {
    image: String,
    top: Vec<Prediction>,
}

/// A model ready to classify: its label, the graph, the logits tensor and its transform.
struct Ready {
    label: String,
    proto: tract_onnx::pb::ModelProto,
    logits: String,
    preprocess: Preprocess,
}

fn zoo_model(model: &str, weights: Option<&Path>, seed: Option<u64>) -> Result<Ready, String> {
    let (name, seed) = match model.split_once(':') {
        Some((name, s)) => {
            let s: u64 = s.parse().map_err(|_| format!("--model {model}: seed \"{s}\" is not a whole number"))?;
            if seed.is_some_and(|given| given != s) {
                return Err(format!("--model {model} and --seed {} disagree", seed.unwrap_or_default()));
            }
            (name, s)
        }
        None => (model, seed.unwrap_or(0)),
    };
    if weights.is_some() && (seed != 0 || model.contains(':')) {
        return Err("--seed is for a seeded zoo model; --weights replaces every seeded value".into());
    }
    let arch = Arch::parse(name).map_err(|e| e.to_string())?;
    let mut built = zoo::build(arch, seed);
    let logits = built.proto.graph.as_ref().and_then(|g| g.output.first()).map(|o| o.name.clone()).unwrap_or_default();
    let label = match weights {
        None => format!("{} seed {seed}", arch.name()),
        Some(path) => {
            let file = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {file}: {e}"))?;
            let (dict, _format) = idlab::weights::read(&file, &bytes).map_err(|e| e.to_string())?;
            drop(bytes);
            // No probes: the logits are the graph's output, so every parameter is needed.
            idlab::weights::apply::apply(&mut built, dict, &[], &file, None).map_err(|e| e.to_string())?;
            format!("{} trained ({file})", arch.name())
        }
    };
    Ok(Ready { label, proto: built.proto, logits, preprocess: arch.preprocess() })
}

/// A `.onnx` file, or a `.tflite` one converted by `idlab::runtime::tflite`.
fn file_model(model: &str, weights: Option<&Path>, seed: Option<u64>) -> Result<Ready, String> {
    if weights.is_some() || seed.is_some() {
        return Err(format!("{model}: --weights and --seed are for a zoo architecture; a model file carries its own weights"));
    }
    let bytes = std::fs::read(model).map_err(|e| format!("cannot read {model}: {e}"))?;
    let proto = if model.ends_with(".tflite") {
        idlab::runtime::tflite::to_onnx(model, &bytes)
    } else {
        inspect::decode(model, &bytes)
    }
    .map_err(|e| e.to_string())?;
    drop(bytes);
    let found = inspect::inspect_proto(model, &proto).map_err(|e| e.to_string())?;
    let output = match found.outputs.as_slice() {
        [one] => one.clone(),
        [] => return Err(format!("{model}: the graph has no output to classify with")),
        many => return Err(format!("{model}: the graph has {} outputs ({}); classify needs one, the logits", many.len(), many.join(", "))),
    };
    let logits = logits_before_softmax(&proto, output);
    let user = prepare_user_model(model, &proto, std::slice::from_ref(&logits), None).map_err(|e| e.to_string())?;
    Ok(Ready { label: model.to_string(), proto, logits, preprocess: user.preprocess })
}

/// The tensor to rank for a graph whose output is `output`: a graph that ends
/// in a softmax (the Coral TFLite models; converted with fake quantisation, the
/// softmax is followed by its rounding to the uint8 grid: Div, Round, Clip,
/// Mul, or Quantize/DequantizeLinear) is ranked by the softmax's input, its logits, so the printed p is a
/// softmax of logits once, not of probabilities.
fn logits_before_softmax(proto: &tract_onnx::pb::ModelProto, output: String) -> String {
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

pub fn run(args: Args) -> Result<(), String> {
    let weights = args.weights.as_deref();
    let ready = if args.model.ends_with(".onnx") || args.model.ends_with(".tflite") {
        file_model(&args.model, weights, args.seed)?
    } else {
        zoo_model(&args.model, weights, args.seed)?
    };
    if args.top == 0 {
        return Err("--top must be at least 1".into());
    }
    let Ready { label, proto, logits, preprocess } = ready;
    let size = preprocess.size as usize;
    let recorder = Recorder::new(&label, proto, std::slice::from_ref(&logits), [1, 3, size, size]).map_err(|e| e.to_string())?;
    let images = read_upload(&args.stimuli)?;
    let mut classes = None;
    let mut out = Vec::with_capacity(images.len());
    for (i, (name, bytes)) in images.iter().enumerate() {
        let x = preprocess.apply(name, bytes).map_err(|e| e.to_string())?;
        let y = recorder.run(&x).map_err(|e| e.to_string())?.remove(0);
        classes.get_or_insert(Classes::of(y.len()));
        out.push(Image { image: name.clone(), top: top_k(&y, args.top) });
        eprint!("\ridlab: {label}: image {} of {}", i + 1, images.len());
    }
    eprintln!();
    let classes = classes.unwrap_or(Classes::ImageNet);
    if args.json {
        let report = Report { model: label, imagenet: classes.is_imagenet(), images: out };
        println!("{}", serde_json::to_string_pretty(&report).expect("the report serialises"));
        return Ok(());
    }
    match classes {
        Classes::ImageNet => println!("{label}: ImageNet-1k classes"),
        Classes::ImageNetWithBackground => println!("{label}: ImageNet-1k classes (1001 outputs: background at 0 left out, the rest shifted to 0-999)"),
        Classes::Other(n) => println!("{label}: {n} outputs, not ImageNet-1k's: the model's own indices"),
    }
    for image in out {
        println!("{}", image.image);
        for (rank, p) in image.top.iter().enumerate() {
            println!("  {}. {:>4} {:<40} p = {:.4}", rank + 1, p.index, p.label, p.p);
        }
    }
    Ok(())
}
