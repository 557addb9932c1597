//! `idlab activations`: record layers of a zoo model or a user's ONNX file on
//! a folder (or .zip) of images and write them as .npz (float32, images x units).
//! The images' order, the model's preprocessing and the .npy writer are the
//! core's, as `idlab run` uses them.

use crate::upload::read_upload;
use idlab::experiment::exports::{npy_f32, zip};
use idlab::experiment::NormOverride;
use idlab::runtime::{inspect, prepare_user_model, Recorder};
use idlab::stimuli::Channels;
use idlab::zoo::{self, Arch};
use std::path::Path;

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

/// A zoo model with the trained weights of `file` (a .pth, .pt or .safetensors):
/// read, checked by name and shape against the recorded layers, and put in the graph.
fn trained(arch: Arch, file: &Path, probes: &[zoo::Probe]) -> Result<(String, tract_onnx::pb::ModelProto), String> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read weights {name}: {e}"))?;
    let sha256: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
    };
    let (dict, _) = idlab::weights::read(&name, &bytes).map_err(crate::cli::core)?;
    drop(bytes);
    let mut model = zoo::build(arch, 0);
    let applied = idlab::weights::apply::apply(&mut model, dict, probes, &name, Some(&sha256)).map_err(crate::cli::core)?;
    if !applied.extras.is_empty() {
        eprintln!("idlab: {name}: {} tensors of the file were not used (e.g. {})", applied.extras.len(), applied.extras[0].name);
    }
    let short = file.file_name().map_or(name.clone(), |f| f.to_string_lossy().into_owned());
    Ok((format!("{} (trained: {short}, sha256 {})", arch.name(), &sha256[..8]), model.proto))
}

pub fn run(model: &str, weights: Option<&Path>, stimuli: &Path, layers: Option<String>, out: &Path, save_input: bool, norm: NormOverride) -> Result<(), String> {
    let requested: Option<Vec<String>> = layers.map(|l| l.split(',').map(|s| s.trim().to_string()).collect());
    let user_model = model.ends_with(".onnx") || model.ends_with(".tflite");
    if weights.is_some() && user_model {
        return Err(format!("--weights goes with a zoo architecture (--model ARCH); {model} has its own weights"));
    }
    let (label, proto, probes, preprocess) = if user_model {
        let bytes = std::fs::read(model).map_err(|e| format!("cannot read {model}: {e}"))?;
        let proto = if model.ends_with(".tflite") {
            idlab::runtime::tflite::to_onnx(model, &bytes).map_err(crate::cli::core)?
        } else {
            inspect::decode(model, &bytes).map_err(crate::cli::core)?
        };
        drop(bytes);
        let Some(names) = requested else {
            let listed = inspect::inspect_proto(model, &proto).map_err(crate::cli::core)?;
            let few: Vec<&str> = listed.layers.iter().rev().take(5).rev().map(|c| c.tensor.as_str()).collect();
            return Err(format!(
                "{model}: give --layers (tensor names) for a user model, e.g. {}; `idlab inspect {model}` lists all {}",
                few.join(","),
                listed.layers.len()
            ));
        };
        let found = prepare_user_model(model, &proto, &names, None).map_err(crate::cli::core)?;
        let preprocess = norm.apply(found.preprocess);
        let probes: Vec<(String, String)> = found.layers.into_iter().map(|p| (p.label, p.tensor)).collect();
        (model.to_string(), proto, probes, preprocess)
    } else {
        if norm != NormOverride::default() {
            return Err(format!("{model}: --mean, --std and --channels are for a .onnx model; a zoo model has its own"));
        }
        let (arch, seed) = match (model.split_once(':'), weights) {
            (Some(_), Some(_)) => return Err(format!("--model {model}: with --weights give the architecture alone (e.g. resnet18): the file gives the weights, not a seed")),
            (Some((arch, seed)), None) => (arch, Some(seed)),
            (None, Some(_)) => (model, None),
            (None, None) => return Err(format!("--model {model}: expected ARCH:SEED (e.g. alexnet:0), ARCH with --weights FILE, or a .onnx or .tflite file")),
        };
        let arch = Arch::parse(arch).map_err(crate::cli::core)?;
        let labels: Vec<String> = requested.unwrap_or_else(|| arch.layers().into_iter().map(|l| l.name).collect());
        let probes = labels.iter().map(|l| arch.probe(l)).collect::<Result<Vec<_>, _>>().map_err(crate::cli::core)?;
        let (label, proto) = match (seed, weights) {
            (_, Some(file)) => trained(arch, file, &probes)?,
            (Some(seed), None) => {
                let seed: u64 = seed.parse().map_err(|_| format!("--model {model}: seed \"{seed}\" is not a whole number"))?;
                (format!("{} seed {seed}", arch.name()), zoo::build(arch, seed).proto)
            }
            (None, None) => unreachable!("matched above"),
        };
        let probes = probes.into_iter().map(|p| (p.label, p.tensor)).collect();
        (label, proto, probes, arch.preprocess())
    };
    let size = preprocess.size as usize;
    let tensors: Vec<String> = probes.iter().map(|(_, t)| t.clone()).collect();
    let recorder = Recorder::new(&label, proto, &tensors, [1, 3, size, size]).map_err(crate::cli::core)?;
    let images = read_upload(stimuli)?;
    let mut rows: Vec<Vec<f32>> = vec![Vec::new(); probes.len()];
    let mut inputs = Vec::new();
    for (i, (name, bytes)) in images.iter().enumerate() {
        let x = preprocess.apply(name, bytes).map_err(crate::cli::core)?;
        for (acc, out) in rows.iter_mut().zip(recorder.run(&x).map_err(crate::cli::core)?) {
            acc.extend(out);
        }
        if save_input {
            inputs.extend_from_slice(&x);
        }
        eprint!("\ridlab: {label}: image {} of {}", i + 1, images.len());
    }
    eprintln!();
    let n = images.len();
    // An .npz is a zip of `<name>.npy` entries (numpy's `savez`).
    let err = |e: idlab::Error| format!("cannot write {}: {e}", out.display());
    let mut entries: Vec<(String, Vec<u8>)> = Vec::with_capacity(probes.len() + 1);
    for ((label, _), data) in probes.iter().zip(rows) {
        let units = data.len() / n;
        entries.push((format!("{label}.npy"), npy_f32(&[n, units], data).map_err(err)?));
    }
    if save_input {
        entries.push(("input.npy".into(), npy_f32(&[n, 3, size, size], inputs).map_err(err)?));
    }
    let bytes = zip(entries.iter().map(|(p, b)| (p.as_str(), b.as_slice()))).map_err(err)?;
    std::fs::write(out, bytes).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    eprintln!("idlab: wrote {} layers x {n} images to {}", probes.len(), out.display());
    Ok(())
}
