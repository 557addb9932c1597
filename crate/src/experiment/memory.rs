//! The memory a spec's run needs, predicted from the spec before it runs (the
//! page checks it against what a tab can hold). It mirrors what the session
//! holds, so it lives beside it:
//!
//! - while a zoo model is built, its weights once and another copy of its
//!   largest tensor, or of a slice (32 MiB natively, 16 in a tab) where a fully connected weight is
//!   cut ([`crate::runtime::split`]; the protobuf's initializers become
//!   tract's tensors one at a time, [`crate::runtime::initializers`];
//!   measured: 1.1 to 1.4 times the weights at the build's peak;
//!   `crate/tests/memory.rs`), and in a tab more ([`build_extra`]); for a user's ONNX
//!   file, its bytes and the parsed graph; for a
//!   trained zoo model, at least the weights file and its parsed tensors
//!   (read, then the file freed, then moved into the graph); a TFLite
//!   file, converted to a float graph, four times its (uint8) size twice;
//! - every weights file added but not yet built (its bytes are held from
//!   `add_weights` until its model is built);
//! - while it records, per layer, the Gram sink's rows (f32: with a spill
//!   store, one block of them, at most [`GRAM_MEMORY`] for all the model's
//!   layers, plus the buffers that read spilled rows back; without one, every
//!   image's) and its lower triangle (f64), each feature sink's rows (f64: a
//!   source's projection to `projection_dim`, a target's `max_units` units)
//!   and a source's sparse projection itself;
//! - once it is done, per layer its n x n Gram matrix and its feature rows,
//!   kept until scoring: the targets' while the sources run (a source is
//!   dropped once scored), and every set's sessions to the end;
//! - the images, resized once (RGB bytes, 3 x size x size each; past
//!   [`IMAGE_MEMORY`], with a spill store, only a step's batch read back from
//!   it), and one step's batch of them normalised (f32).
//!
//! A model's build and its recording do not overlap (the graph's source is
//! freed before the sinks are made): its step needs the larger of its
//! weights while built and the built model's weights plus its sinks. The
//! peak is the largest, over the models in run order, of what is held
//! then; `crate/tests/memory.rs` holds it within 25% of the measured peak.

use super::metric;
use super::session::Role;
use super::spec::{ModelRef, Spec};
use crate::error::Result;
use crate::metrics::registry::MetricParams;
use crate::sinks::PAIR_SUMS_BYTES;
use crate::sinks::spill::READ_CHUNK_BYTES;
use crate::sinks::KeepShape;
use super::session::{gram_block_rows, GRAM_MEMORY, IMAGE_MEMORY, MAX_BATCH};
use crate::zoo::Arch;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bytes of the page and the wasm module itself, before any model (the page's figure).
pub const BASE_BYTES: u64 = 64 << 20;

/// A user ONNX model as the page knows it before the run: its file's size
/// and the units of each layer the spec records.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserModel {
    pub bytes: u64,
    pub units: Vec<usize>,
}

/// The user's models by the spec's `onnx` or `tflite` value; the sizes of
/// weights files by the name `add_weights` takes (else the catalogue's size,
/// else 4 bytes per parameter); with an uploaded set, its images.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserModels {
    #[serde(default)]
    pub models: BTreeMap<String, UserModel>,
    #[serde(default)]
    pub weights: BTreeMap<String, u64>,
    /// Images of the `upload` set (0 when unknown).
    #[serde(default)]
    pub upload_images: usize,
    /// Whether Gram rows spill to storage (natively a temporary file: true;
    /// the page: whether its worker can open an OPFS file).
    #[serde(default = "spills_by_default")]
    pub spill: bool,
    /// Bytes of Gram rows a model holds before they spill (default [`GRAM_MEMORY`]).
    #[serde(default)]
    pub gram_memory: Option<u64>,
    /// Bytes of resized images kept in memory before they spill (default [`IMAGE_MEMORY`]).
    #[serde(default)]
    pub image_memory: Option<u64>,
    /// Whether the run is in a tab (wasm), where a model's build needs more
    /// (see [`build_extra`]); natively false.
    #[serde(default = "in_a_tab")]
    pub tab: bool,
}

impl Default for UserModels {
    fn default() -> Self {
        UserModels { models: BTreeMap::new(), weights: BTreeMap::new(), upload_images: 0, spill: spills_by_default(), gram_memory: None, image_memory: None, tab: in_a_tab() }
    }
}

fn spills_by_default() -> bool {
    cfg!(not(target_arch = "wasm32"))
}

fn in_a_tab() -> bool {
    cfg!(target_arch = "wasm32")
}

/// In a tab, each of tract's passes over a cut weight's slices takes a new
/// block for its first (largest) copy: a trace of the single-threaded build
/// (`crate/tests/wasm_build_memory.rs` with each large block logged) shows
/// four such blocks in AlexNet's build and in VGG11's.
const PASSES: u64 = 4;

/// Bytes a zoo model's build needs beside its weights, whose largest tensor
/// has `largest` bytes: natively one copy of the largest piece tract copies
/// at once (the tensor, or a slice of it that `runtime::split` cut: each
/// passing copy reuses the memory the one before it freed). In wasm the
/// build holds no more than natively (its live heap peaks at the native
/// estimate, `crate/tests/wasm_build_memory.rs`), but linear memory never
/// shrinks, and a block the build frees is reused only by a smaller one. So
/// in a tab, where that tensor is cut: when it was drawn in slices
/// (`sliced`: a seeded, unpruned zoo model, `zoo::build_sliced`), a new
/// slice for each of tract's [`PASSES`] (single-threaded, AlexNet's build
/// grows the module by 304 MiB: live 249, estimated 313); when it was drawn
/// whole and cut (trained or pruned weights), the whole tensor once more,
/// the block no later, smaller one fills (each VGG11 of preset 1 grew the
/// module by its 392 MiB first fully connected layer's block when drawn
/// whole). The threaded build's growth varies from run to run (AlexNet's
/// 16-image run in `tests/e2e/memory.test.mjs`; BENCHMARKS.md, "Memory").
pub fn build_extra(tab: bool, largest: u64, sliced: bool) -> u64 {
    let piece = crate::runtime::split::largest_copied(largest, tab);
    let unreused = match (tab && piece < largest, sliced) {
        (false, _) => 0,
        (true, true) => PASSES * piece,
        (true, false) => largest,
    };
    piece + unreused
}

/// What is held while one model records (the peak of its step).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelMemory {
    /// `s0`, `t0`, … as in the result.
    pub id: String,
    /// The architecture, or the ONNX file's name.
    pub arch: String,
    /// Zoo parameters (for a user model, its file's bytes / 4).
    pub parameters: u64,
    pub images: usize,
    pub layers: usize,
    /// The weights while the model is built: for a zoo model, once and its
    /// largest tensor again (for a trained one, at least its file and the
    /// parsed tensors); for a user's ONNX file, the file and its graph.
    pub weights: u64,
    /// Bytes of a trained model's weights file (0 for a seeded one); it
    /// counts in `weights` and, until the model is built, in later models' `held`.
    #[serde(default)]
    pub weights_file: u64,
    /// The built model's own weights, which stay while it records (`weights`
    /// is the peak while it is built: the graph's source and the model).
    #[serde(default)]
    pub graph: u64,
    /// Its sinks: Gram rows and triangles, feature rows, projections.
    pub activations: u64,
    /// Bytes of Gram rows written to the spill store (disk, not memory).
    #[serde(default)]
    pub spilled: u64,
    /// What the models recorded before it hold until scoring.
    pub held: u64,
    /// The images, preprocessed.
    pub stimuli: u64,
    /// What `spec.export` keeps for download (the .npy files and their .zip).
    pub kept: u64,
    pub base: u64,
    pub total: u64,
}

/// The run's estimate: each model's step and the largest of them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemoryEstimate {
    /// Images of the largest set.
    pub images: usize,
    pub models: Vec<ModelMemory>,
    /// The peak: the largest model total.
    pub total: u64,
}

/// One recorded side of the run, as sized from the spec.
struct Side {
    id: String,
    arch: String,
    parameters: u64,
    weights: u64,
    /// The built model's weights (what stays of `weights` once it is built).
    graph: u64,
    /// Units of each recorded layer (after a subsample); none for data.
    units: Vec<usize>,
    role: Role,
    model: bool,
    /// A weights file held from its adding until this model is built.
    file: u64,
}

fn sides(spec: &Spec, users: &UserModels) -> Result<Vec<Side>> {
    let mut out = Vec::new();
    // The session records the targets first, then the sources.
    for (role, list, prefix) in [(Role::Target, &spec.targets, "t"), (Role::Source, &spec.sources, "s")] {
        for (i, m) in list.iter().enumerate() {
            let frac = m.subsample.map_or(1.0, |s| s.fraction);
            let kept = |u: usize| ((u as f64 * frac).round() as usize).max(1);
            let mut file_bytes = 0;
            let side = match m.resolve()? {
                ModelRef::Zoo { arch, weights: None, .. } => {
                    zoo_side(spec, arch, m, users.tab, crate::zoo::drawn_in_slices(false, m.prune.is_some()))?
                }
                ModelRef::Zoo { arch, weights: Some(w), .. } => {
                    let sliced = crate::zoo::drawn_in_slices(true, m.prune.is_some());
                    let (name, parameters, building, units, model, _) = zoo_side(spec, arch, m, users.tab, sliced)?;
                    // The file (its size if known, else 4 bytes a parameter) and its tensors, or the build's peak.
                    let file = users.weights.get(w.key()).copied().or(w.bytes()).unwrap_or(parameters * 4);
                    file_bytes = file;
                    (name, parameters, (file + parameters * 4).max(building), units, model, parameters * 4)
                }
                ModelRef::Onnx { file, .. } => {
                    let u = users.models.get(file).cloned().unwrap_or_default();
                    (file.to_string(), u.bytes / 4, u.bytes * 2, u.units, true, u.bytes)
                }
                ModelRef::Tflite { file, shipped, layers, .. } => {
                    let u = users.models.get(file).cloned().unwrap_or_default();
                    let bytes = shipped.and_then(|c| c.bytes).unwrap_or(u.bytes);
                    // A shipped model's layers are sized by the catalogue.
                    let units = match (shipped, layers) {
                        (Some(c), None) => c.layers.iter().map(|l| l.units).collect(),
                        (Some(c), Some(names)) => names
                            .iter()
                            .map(|n| c.layers.iter().find(|l| &l.label == n || &l.tensor == n).map_or(0, |l| l.units))
                            .collect(),
                        (None, _) => u.units,
                    };
                    // uint8 weights become f32: the file, then the float graph twice.
                    (file.to_string(), bytes, bytes + bytes * 4 * 2, units, true, bytes * 4)
                }
                ModelRef::Responses { file, .. } | ModelRef::Rdms { file, .. } => (file.to_string(), 0, 0, vec![0], false, 0),
                ModelRef::Dataset { name } => (name.to_string(), 0, 0, vec![0], false, 0),
            };
            let (arch, parameters, weights, units, model, graph) = side;
            let units = if model { units.into_iter().map(kept).collect() } else { units };
            out.push(Side { id: format!("{prefix}{i}"), arch, parameters, weights, graph, units, role, model, file: file_bytes });
        }
    }
    Ok(out)
}

/// (name, parameters, weights while built, units, model, weights once built).
type SideSize = (String, u64, u64, Vec<usize>, bool, u64);

/// A zoo model's side; `sliced`: its large weights drawn in slices.
fn zoo_side(spec: &Spec, arch: Arch, m: &super::ModelSpec, tab: bool, sliced: bool) -> Result<SideSize> {
    let parameters = arch.parameter_count() as u64;
    let units = spec.recorded_layers(arch, m)?.iter().map(|p| p.units).collect();
    let building = parameters * 4 + build_extra(tab, arch.largest_parameter() as u64 * 4, sliced);
    Ok((arch.name().to_string(), parameters, building, units, true, parameters * 4))
}

/// Bytes of the feature rows a metric keeps of one layer for n images, and
/// of the source's projection that makes them.
fn features(m: crate::metrics::registry::MetricName, p: &MetricParams, role: Role, units: usize, n: u64) -> Result<(u64, u64)> {
    if units == 0 {
        return Ok((0, 0));
    }
    Ok(match metric::describe(m).keep_shape(role, units, p)? {
        None => (0, 0),
        Some(KeepShape::Units(u)) => (n * u as u64 * 8, 0),
        Some(KeepShape::Projected { units, dim }) => {
            let q = dim as u64;
            // A projection to fewer dimensions than the layer has: about
            // q sqrt(units) non-zeros (a u32 and a bool each), and a start per unit.
            let sparse = if (units as u64) > q { (q as f64 * (units as f64).sqrt()) as u64 * 5 + units as u64 * 8 } else { 0 };
            (n * q * 8, sparse)
        }
    })
}

/// The estimate of `spec`'s run (validated), with the user's models sized by `users`.
pub fn estimate(spec: &Spec, users: &UserModels) -> Result<MemoryEstimate> {
    let metrics: Vec<_> = spec.metrics.iter().map(|m| Ok((m.metric()?, m.params()))).collect::<Result<_>>()?;
    let needs_gram = spec.export.is_some() || metrics.iter().any(|(m, _)| metric::describe(*m).needs_gram());
    let sides = sides(spec, users)?;
    let mut sizes = Vec::new();
    for s in spec.stimulus_sets() {
        let n = if s.is_upload() { users.upload_images } else { s.resolve()?.names.len() };
        sizes.push(n);
    }
    let images = sizes.iter().copied().max().unwrap_or(0);
    // The input side of the zoo models (the images are resized once for all).
    let side_px = spec.sources.iter().chain(&spec.targets).find_map(|m| match m.resolve() {
        Ok(ModelRef::Zoo { arch, .. }) => Some(arch.preprocess().size as u64),
        Ok(ModelRef::Onnx { size, .. } | ModelRef::Tflite { size, .. }) => size.map(u64::from),
        _ => None,
    });
    let side_px = side_px.unwrap_or(224);
    let kept = export_bytes(spec, &sides, images as u64);
    let mut held = 0u64;
    let mut models = Vec::new();
    // Every set's sessions hold their own copy of each weights file until they build its model.
    let mut files_pending: u64 = sides.iter().map(|s| s.file).sum::<u64>() * sizes.len() as u64;
    for &n in &sizes {
        let n = n as u64;
        // The resized images (RGB bytes), or past `image_memory` with a store, a
        // step's batch read back from it; and the batch normalised (f32).
        let (image, batch) = (3 * side_px * side_px, MAX_BATCH as u64);
        let spills = users.spill && n * image > users.image_memory.unwrap_or(IMAGE_MEMORY);
        let stimuli = if spills { batch * image } else { n * image } + batch * image * 4;
        for side in &sides {
            files_pending -= side.file;
            let (mut recording, mut done) = (0u64, 0u64);
            let budget = if users.spill { users.gram_memory.or(Some(GRAM_MEMORY)) } else { None };
            let (rows_total, spilled) = gram_rows(n, &side.units, budget);
            if needs_gram && side.model {
                recording += rows_total;
            }
            for &u in &side.units {
                let gram = if needs_gram || !side.model { n * (n + 1) / 2 * 8 + n * n * 8 } else { 0 };
                let mut feats = 0;
                let mut proj = 0;
                for (m, p) in &metrics {
                    let (f, s) = features(*m, p, side.role, u, n)?;
                    feats += f;
                    proj += s;
                }
                recording += gram + feats + proj;
                done += if needs_gram || !side.model { n * n * 8 } else { 0 } + feats;
            }
            if side.model {
                let base = BASE_BYTES;
                // The graph's source is freed once the model is built, before its sinks exist.
                let total = base + side.weights.max(side.graph + recording) + held + files_pending + stimuli + kept;
                models.push(ModelMemory {
                    id: side.id.clone(),
                    arch: side.arch.clone(),
                    parameters: side.parameters,
                    images: n as usize,
                    layers: side.units.len(),
                    weights: side.weights,
                    weights_file: side.file,
                    graph: side.graph,
                    activations: recording,
                    spilled: if needs_gram { spilled } else { 0 },
                    held: held + files_pending,
                    stimuli,
                    kept,
                    base,
                    total,
                });
            }
            // A source is scored and dropped before the next model runs; a target is kept.
            if side.role == Role::Target {
                held += done;
            }
        }
    }
    let total = models.iter().map(|m| m.total).max().unwrap_or(BASE_BYTES);
    Ok(MemoryEstimate { images, models, total })
}

/// Bytes of Gram rows one model holds in memory while it records (all its
/// layers), and those it spills. With a store and `budget`, a block of rows
/// per layer and, once blocks spill, what a layer's products across blocks
/// hold at its end (`GramSink`): a stretch of the spilled rows read back and
/// the pairs' partial sums; without one, every image's rows. (A full block's
/// tiles, gathered to be written, take at most a stretch's bytes, and never
/// while a stretch is held.)
fn gram_rows(n: u64, units: &[usize], budget: Option<u64>) -> (u64, u64) {
    let row_bytes: u64 = units.iter().map(|&u| u as u64 * 4).sum();
    let Some(budget) = budget else { return (n * row_bytes, 0) };
    let block = gram_block_rows(budget, units.iter().copied()) as u64;
    if n < block {
        return (n * row_bytes, 0);
    }
    let spilled = n / block * block;
    let widest = units.iter().copied().max().unwrap_or(0) as u64 * 4;
    let stretch = (READ_CHUNK_BYTES as u64).min(spilled * widest);
    // Row i pairs with the i / block * block rows before its block.
    let pairs: u64 = (block..n).map(|i| i / block * block).sum();
    let sums = (PAIR_SUMS_BYTES as u64).min(pairs * 64);
    (block * row_bytes + stretch + sums, spilled * row_bytes)
}

/// Bytes `spec.export` keeps until the run ends, twice (the .npy files and
/// the .zip built from them): every recorded layer's activations (f32) and
/// an n x n f64 RDM per layer.
fn export_bytes(spec: &Spec, sides: &[Side], n: u64) -> u64 {
    let Some(x) = &spec.export else { return 0 };
    let mut bytes = 0;
    for s in sides.iter().filter(|s| s.model) {
        for &u in &s.units {
            if x.activations {
                bytes += u as u64 * n * 4;
            }
            if x.rdms {
                bytes += n * n * 8;
            }
        }
    }
    2 * bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_counts_what_wasm_cannot_reuse_of_a_cut_weight() {
        const MIB: u64 = 1 << 20;
        let (slice, native) = (crate::runtime::split::TAB_SLICE_BYTES as u64, crate::runtime::split::NATIVE_SLICE_BYTES as u64);
        let fc6 = 9216 * 4096 * 4; // AlexNet's, 144 MiB: cut into slices
        assert_eq!(build_extra(false, fc6, true), native, "natively: one slice");
        assert_eq!(build_extra(false, fc6, false), native);
        assert_eq!(build_extra(true, fc6, true), 5 * slice, "drawn in slices: a slice for each pass more");
        assert_eq!(build_extra(true, fc6, false), slice + fc6, "drawn whole: the whole tensor more");
        // Not cut: one copy of it, in a tab as natively.
        assert_eq!(build_extra(true, 10 * MIB, true), 10 * MIB);
    }
}
