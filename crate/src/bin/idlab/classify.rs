//! `idlab classify`: the top classes a model gives each image of a folder, to
//! see that a model is what one thinks (trained weights loaded right, the
//! right preprocessing) and to measure a trained model's accuracy.
//!
//! A front door over [`idlab::classify`] (which the page's "Check: top-5
//! classes" uses too): the model is a zoo architecture (seeded, or trained
//! with `--weights`), a `.onnx` file or a `.tflite` one; the images are read
//! in natural order of their names.

use crate::upload::read_upload;
use idlab::classify::Classifier;
use idlab::zoo::labels::{Classes, Prediction};
use idlab::zoo::Arch;
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

fn zoo_model(model: &str, weights: Option<&Path>, seed: Option<u64>) -> Result<Classifier, String> {
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
    let arch = Arch::parse(name).map_err(crate::cli::core)?;
    match weights {
        None => Classifier::zoo(arch, seed),
        Some(path) => {
            let file = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {file}: {e}"))?;
            Classifier::trained(arch, &file, &bytes)
        }
    }
    .map_err(crate::cli::core)
}

/// A `.onnx` file, or a `.tflite` one.
fn file_model(model: &str, weights: Option<&Path>, seed: Option<u64>) -> Result<Classifier, String> {
    if weights.is_some() || seed.is_some() {
        return Err(format!("{model}: --weights and --seed are for a zoo architecture; a model file carries its own weights"));
    }
    let bytes = std::fs::read(model).map_err(|e| format!("cannot read {model}: {e}"))?;
    Classifier::file(model, &bytes).map_err(crate::cli::core)
}

pub fn run(args: Args) -> Result<(), String> {
    let weights = args.weights.as_deref();
    let mut classifier = if args.model.ends_with(".onnx") || args.model.ends_with(".tflite") {
        file_model(&args.model, weights, args.seed)?
    } else {
        zoo_model(&args.model, weights, args.seed)?
    };
    if args.top == 0 {
        return Err("--top must be at least 1".into());
    }
    let label = classifier.label().to_string();
    let images = read_upload(&args.stimuli)?;
    let mut out = Vec::with_capacity(images.len());
    for (i, (name, bytes)) in images.iter().enumerate() {
        let top = classifier.classify(name, bytes, args.top).map_err(crate::cli::core)?;
        out.push(Image { image: name.clone(), top });
        eprint!("\ridlab: {label}: image {} of {}", i + 1, images.len());
    }
    eprintln!();
    let classes = classifier.classes().unwrap_or(Classes::ImageNet);
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
