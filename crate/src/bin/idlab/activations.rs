//! `idlab activations`: record layers of a zoo model or a user's ONNX file on
//! a folder of images and write them as .npz (float32, images x units).

use idlab::runtime::{inspect, Recorder};
use idlab::experiment::NormOverride;
use idlab::stimuli::{Channels, Preprocess};
use idlab::zoo::{self, Arch};
use ndarray::Array2;
use ndarray_npy::NpzWriter;
use std::path::{Path, PathBuf};

/// Image files of a folder, sorted by name (the order of the output rows).
pub fn image_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    const EXT: &[&str] = &["png", "jpg", "jpeg", "gif", "bmp", "webp"];
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read stimulus folder {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXT.contains(&e.to_lowercase().as_str())))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no images (PNG, JPEG, GIF, BMP, WebP) in {}", dir.display()));
    }
    Ok(files)
}

/// The preprocessing flags as the spec's override of a user model's metadata.
pub fn norm(mean: Option<Vec<f32>>, std: Option<Vec<f32>>, channels: Option<String>) -> Result<NormOverride, String> {
    let triple = |v: Option<Vec<f32>>, what: &str| -> Result<Option<[f32; 3]>, String> {
        v.map(|v| <[f32; 3]>::try_from(v.as_slice()).map_err(|_| format!("--{what} takes 3 numbers")))
            .transpose()
    };
    let norm = NormOverride {
        mean: triple(mean, "mean")?,
        std: triple(std, "std")?,
        channels: channels
            .map(|c| Channels::parse(&c).ok_or_else(|| format!("--channels must be rgb or bgr, not '{c}'")))
            .transpose()?,
    };
    if norm.std.is_some_and(|s| s.iter().any(|v| !(*v > 0.0))) {
        return Err("--std takes three positive numbers".into());
    }
    Ok(norm)
}

pub fn run(model: &str, stimuli: &Path, layers: Option<String>, out: &Path, save_input: bool, norm: NormOverride) -> Result<(), String> {
    let requested: Option<Vec<String>> = layers.map(|l| l.split(',').map(|s| s.trim().to_string()).collect());
    let (label, proto, probes, preprocess) = if model.ends_with(".onnx") {
        let bytes = std::fs::read(model).map_err(|e| format!("cannot read {model}: {e}"))?;
        let proto = inspect::decode(model, &bytes).map_err(|e| e.to_string())?;
        drop(bytes);
        let found = inspect::inspect_proto(model, &proto).map_err(|e| e.to_string())?;
        let names = requested.ok_or_else(|| {
            let few: Vec<&str> = found.layers.iter().rev().take(5).rev().map(|c| c.tensor.as_str()).collect();
            format!(
                "{model}: give --layers (tensor names) for a user model, e.g. {}; `idlab inspect {model}` lists all {}",
                few.join(","),
                found.layers.len()
            )
        })?;
        for n in &names {
            found.candidate(model, n).map_err(|e| e.to_string())?;
        }
        let side = found.side(model).map_err(|e| e.to_string())?;
        if let Some((h, w)) = found.input_size {
            if (h, w) != (side, side) {
                return Err(format!("{model}: the metadata asks for {side} x {side} images but input '{}' is fixed at {h} x {w}", found.input_name));
            }
        }
        let preprocess = norm.apply(found.preprocess.unwrap_or(Preprocess { size: side as u32, ..Preprocess::IMAGENET_224 }));
        let probes: Vec<(String, String)> = names.iter().map(|n| (n.clone(), n.clone())).collect();
        (model.to_string(), proto, probes, preprocess)
    } else {
        if norm != NormOverride::default() {
            return Err(format!("{model}: --mean, --std and --channels are for a .onnx model; a zoo model has its own"));
        }
        let (arch, seed) = model
            .split_once(':')
            .ok_or_else(|| format!("--model {model}: expected ARCH:SEED (e.g. alexnet:0) or a .onnx file"))?;
        let arch = Arch::parse(arch).map_err(|e| e.to_string())?;
        let seed: u64 = seed.parse().map_err(|_| format!("--model {model}: seed \"{seed}\" is not a whole number"))?;
        let labels: Vec<String> = requested.unwrap_or_else(|| arch.layers().into_iter().map(|l| l.name).collect());
        let probes = labels
            .iter()
            .map(|l| arch.probe(l).map(|p| (p.label, p.tensor)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        (format!("{} seed {seed}", arch.name()), zoo::build(arch, seed).proto, probes, arch.preprocess())
    };
    let size = preprocess.size as usize;
    let tensors: Vec<String> = probes.iter().map(|(_, t)| t.clone()).collect();
    let recorder = Recorder::new(&label, proto, &tensors, [1, 3, size, size]).map_err(|e| e.to_string())?;
    let files = image_files(stimuli)?;
    let mut rows: Vec<Vec<f32>> = vec![Vec::new(); probes.len()];
    let mut inputs = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let name = f.display().to_string();
        let bytes = std::fs::read(f).map_err(|e| format!("cannot read {name}: {e}"))?;
        let x = preprocess.apply(&name, &bytes).map_err(|e| e.to_string())?;
        for (acc, out) in rows.iter_mut().zip(recorder.run(&x).map_err(|e| e.to_string())?) {
            acc.extend(out);
        }
        if save_input {
            inputs.extend_from_slice(&x);
        }
        eprint!("\ridlab: {label}: image {} of {}", i + 1, files.len());
    }
    eprintln!();
    let n = files.len();
    let file = std::fs::File::create(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut npz = NpzWriter::new(file);
    let err = |e: ndarray_npy::WriteNpzError| format!("cannot write {}: {e}", out.display());
    for ((label, _), data) in probes.iter().zip(rows) {
        let units = data.len() / n;
        let a = Array2::from_shape_vec((n, units), data).expect("rows have equal length");
        npz.add_array(label.as_str(), &a).map_err(err)?;
    }
    if save_input {
        let a = ndarray::Array4::from_shape_vec((n, 3, size, size), inputs).expect("inputs have the model's size");
        npz.add_array("input", &a).map_err(err)?;
    }
    npz.finish().map_err(err)?;
    eprintln!("idlab: wrote {} layers x {n} images to {}", probes.len(), out.display());
    Ok(())
}
