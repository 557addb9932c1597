//! The site folder (`www/`) native tests read a spec's files from, as `idlab
//! run` does: a run's stimuli and shipped datasets, and the photographs zoo
//! models are recorded on for the checks against the metrics called directly.

use super::drive::{steps, Run};
use idlab::experiment::{ExperimentResult, Session, Spec};
use idlab::runtime::Recorder;
use idlab::stimuli::{decode_rgb, resize_crop, Preprocess};
use idlab::zoo::{self, Arch};
use nalgebra::DMatrix;
use serde_json::Value;
use std::path::Path;
use tract_onnx::pb::ModelProto;

pub fn site() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../www"))
}

/// Reads a site-relative file.
pub fn site_file(path: &str) -> Vec<u8> {
    std::fs::read(site().join(path)).unwrap()
}

/// Hands `run` the stimulus images, then the shipped dataset files, its spec names.
pub fn add_site_files<R: Run>(run: &mut R) {
    for p in run.stimulus_paths() {
        run.add_stimulus(&p, &site_file(&p)).unwrap();
    }
    for p in run.dataset_paths() {
        run.add_data(&p, &site_file(&p)).unwrap();
    }
}

/// Runs a spec on one stimulus set with the given data files, then its site
/// files; checks that the last step is the last of the total and that the
/// result has no warnings but the small-run rule's switch to k-fold
/// cross-validation (reduced runs have few images).
pub fn run(spec: &Value, data: &[(&str, Vec<u8>)]) -> ExperimentResult {
    let r = run_unchecked(spec, data);
    assert!(r.warnings.iter().all(|w| w.contains("-fold cross-validation instead")), "{:?}", r.warnings);
    r
}

/// [`run`] without the check of its warnings.
pub fn run_unchecked(spec: &Value, data: &[(&str, Vec<u8>)]) -> ExperimentResult {
    let mut s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    for (name, bytes) in data {
        s.add_data(name, bytes).unwrap();
    }
    add_site_files(&mut s);
    let last = steps(&mut s).pop().unwrap();
    assert_eq!((last.stage, last.done), ("done", last.total), "the last step is the last of the total");
    s.result("native", 0.0).unwrap()
}

/// The first `n` kriegeskorte92 photographs' site paths.
pub fn photographs(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("data/kriegeskorte92/images/{i:03}.png")).collect()
}

/// What `idlab activations` records: `tensors` of `proto`, preprocessed as
/// `pre`, on the site images `names`, one run per image: per tensor, one f32
/// row per image.
pub fn record(proto: ModelProto, pre: &Preprocess, tensors: &[String], names: &[String]) -> Vec<Vec<Vec<f32>>> {
    let s = pre.size as usize;
    let rec = Recorder::new("model", proto, tensors, [1, 3, s, s]).unwrap();
    let mut rows: Vec<Vec<Vec<f32>>> = vec![Vec::with_capacity(names.len()); tensors.len()];
    for name in names {
        let img = resize_crop(&decode_rgb(name, &site_file(name)).unwrap(), pre.size);
        for (layer, out) in rows.iter_mut().zip(rec.run(&pre.normalise(&img)).unwrap()) {
            layer.push(out);
        }
    }
    rows
}

/// [`record`] of zoo model `arch` seed `seed` at `layers` on the first `n` photographs.
pub fn zoo_rows(arch: Arch, seed: u64, layers: &[&str], n: usize) -> Vec<Vec<Vec<f32>>> {
    let tensors: Vec<String> = layers.iter().map(|l| arch.probe(l).unwrap().tensor).collect();
    record(zoo::build(arch, seed).proto, &arch.preprocess(), &tensors, &photographs(n))
}

/// One layer's rows as a matrix (images x units), widened to f64.
pub fn matrix(rows: &[Vec<f32>]) -> DMatrix<f64> {
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j] as f64)
}

/// [`zoo_rows`] as matrices.
pub fn zoo_activations(arch: Arch, seed: u64, layers: &[&str], n: usize) -> Vec<DMatrix<f64>> {
    zoo_rows(arch, seed, layers, n).iter().map(|rows| matrix(rows)).collect()
}
