//! A run of one spec, advanced one bounded unit of work at a time (build a
//! model, run one image, score one source layer against every target), so
//! that front doors can report progress and cancel between steps without
//! threads or timers in the core.
//!
//! Targets run first and keep what the metrics need of each layer (Gram
//! matrix, row sums, regression features); then each source model runs, is
//! scored layer by layer against every target, and is dropped, so memory
//! holds the targets plus one source.
//!
//! By job: [`plan`] (the entries, built once from a validated spec),
//! [`inputs`] (what the front doors hand over), [`recording`] (models run
//! into sinks), [`scoring`] (layer pairs into score tables), [`checkpoint`]
//! (a finished entry's state as bytes, to resume an interrupted run); this
//! file is the state machine.

mod checkpoint;
mod inputs;
mod plan;
mod recording;
mod scoring;

pub use checkpoint::{Checkpoint, Resumed};
pub(crate) use checkpoint::{read as read_checkpoint, run_key, Decoded};
pub use plan::{Plan, WeightsNeed};
pub(crate) use plan::{Entry, Kind, Role};
pub(crate) use scoring::{Cell, LayerData};

use super::analysis::{self, classes::ClassComparison, specificity::Specificity, Finished};
use super::exports::{self, ExportFile, Exports};
use super::result::{Ceiling, ExperimentResult, Identifiability, Input, ModelInfo, Score, WeightsInfo};
use super::spec::Spec;
use crate::error::{Error, Result};
use crate::metrics::registry::{MetricName, MetricParams};
use crate::runtime::Recorder;
use crate::sinks::Spill;
use crate::stimuli::{resize_crop, sets};
use image::RgbImage;
use inputs::hex;
use recording::{finish_sink, LayerSink};
pub(crate) use recording::gram_block_rows;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// What the result says of a trained model's weights (a zoo model's file, or a shipped TFLite model).
fn weights_info(e: &Entry, inputs: &[Input]) -> Option<WeightsInfo> {
    if let Some(w) = &e.weights {
        let (sha256, bytes, format) = w.added.clone().unwrap_or_default();
        return Some(WeightsInfo {
            kind: w.kind.into(),
            name: w.key.clone(),
            catalogue: w.catalogue.map(|c| c.id.clone()),
            format,
            sha256,
            bytes,
            names: w.catalogue.and_then(|c| c.names.clone()),
            licence: w.catalogue.map(|c| c.licence.clone()),
            trained_on: w.catalogue.map(|c| c.trained_on.clone()),
            applied: w.applied.clone(),
        });
    }
    let Kind::Onnx { file, tflite: Some(plan::Tflite { shipped: Some(c) }), .. } = &e.kind else { return None };
    let input = inputs.iter().find(|i| &i.name == file);
    Some(WeightsInfo {
        kind: "shipped".into(),
        name: file.clone(),
        catalogue: Some(c.id.clone()),
        format: "tflite".into(),
        sha256: input.map(|i| i.sha256.clone()).unwrap_or_default(),
        bytes: input.map_or(0, |i| i.bytes),
        names: None,
        licence: Some(c.licence.clone()),
        trained_on: Some(c.trained_on.clone()),
        applied: None,
    })
}

/// The most images one step records in parallel.
pub const MAX_BATCH: usize = 8;

/// Images a batched fully connected head runs at once (see
/// `runtime::head`), whatever the thread count, so that an image's values
/// do not depend on it; a model with such a head records this many a step.
pub const HEAD_BATCH: usize = MAX_BATCH;

/// Bytes of Gram rows a model holds in memory (all its layers together)
/// before a block spills, when there is somewhere to spill to.
pub const GRAM_MEMORY: u64 = 128 << 20;

/// Bytes of resized images a session keeps in memory; past this, when there
/// is somewhere to spill to, they are written to the spill store's head once
/// resized and read back a step's batch at a time (3,000 images at 224 px are
/// 435 MiB: more than any one model's rows may hold).
pub const IMAGE_MEMORY: u64 = 64 << 20;

/// Natively, a temporary file (created on the first spill); in wasm, none
/// until the worker hands one over ([`Session::set_spill`]).
fn default_spill() -> Option<Spill> {
    #[cfg(not(target_arch = "wasm32"))]
    return Some(Spill::new(Box::new(crate::sinks::spill::TempFile::default())));
    #[cfg(target_arch = "wasm32")]
    return None;
}

/// What a step just did and how far the run is.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    /// `loading`, `building`, `recording`, `comparing` or `done`.
    pub stage: &'static str,
    pub label: String,
    /// Steps done and in all.
    pub done: usize,
    pub total: usize,
    pub images_done: usize,
    pub images_total: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Entry e is next.
    Start(usize),
    Record(usize, usize),
    Compare(usize, usize),
    Done,
}

/// A run of one spec: add the user models and data files (if any) and the
/// stimuli, then call [`Session::step`] until done.
pub struct Session {
    spec: Spec,
    metrics: Vec<(MetricName, MetricParams)>,
    /// The stimulus set: image names, files to fetch, origin.
    set: sets::Resolved,
    /// Stimuli decoded, resized and cropped once (resized as soon as the input
    /// size is known, i.e. once every user model was added); each model
    /// normalises them with its own mean and std when it records.
    images: Vec<RgbImage>,
    resized: bool,
    /// The side of the images once they were written to the spill store's
    /// head (`images` is then empty), when they were more than `image_memory`.
    images_spilled: Option<u32>,
    image_memory: u64,
    /// Targets first, then sources, in spec order: the order they run in.
    entries: Vec<Entry>,
    phase: Phase,
    /// Images recorded per step, in parallel: one per thread of the pool, at
    /// most [`MAX_BATCH`] (a step stays short, so Cancel answers quickly, and
    /// memory holds at most this many images' activations at once).
    batch: usize,
    steps_done: usize,
    running: Option<(Recorder, Vec<LayerSink>)>,
    /// Per entry, while it is needed: targets until the end, a source while it is scored.
    data: Vec<Option<Vec<LayerData>>>,
    scores: Vec<Score>,
    score_index: HashMap<(usize, usize, usize), usize>,
    ceilings: Vec<Ceiling>,
    identifiability: Vec<Identifiability>,
    class_comparison: Vec<ClassComparison>,
    specificity: Vec<Specificity>,
    inputs: Vec<Input>,
    warnings: Vec<String>,
    /// What `spec.export` keeps for download, if anything.
    exports: Option<Exports>,
    /// Where Gram sinks spill their rows (natively a temporary file; in the
    /// page, a file in OPFS when the worker has one), and the bytes of rows
    /// a model may hold in memory before they spill.
    spill: Option<Spill>,
    gram_memory: u64,
    /// Where the warnings of the entry running now start.
    entry_warnings: usize,
    /// The entry the last step finished and its warnings: what its checkpoint holds.
    finished: Option<(usize, std::ops::Range<usize>)>,
}

impl Session {
    /// Validates `spec` and plans it; the session of a spec with one stimulus set.
    pub fn new(spec: Spec) -> Result<Session> {
        Session::from_plan(Plan::new(spec)?)
    }

    /// The session of a plan: generated stimuli are drawn now, the export prepared.
    pub fn from_plan(plan: Plan) -> Result<Session> {
        let Plan { spec, metrics, set, entries } = plan;
        // Generated sets are drawn now: nothing to fetch; their pixels are hashed.
        let images: Vec<RgbImage> = (0..set.names.len()).map_while(|i| sets::generate(set.origin, i)).collect();
        let mut inputs = Vec::new();
        if !images.is_empty() {
            let mut h = Sha256::new();
            for img in &images {
                h.update(img.as_raw());
            }
            inputs.push(Input {
                role: "stimulus",
                name: format!("{} ({} generated images)", spec.stimuli.set, images.len()),
                bytes: images.iter().map(|i| i.as_raw().len()).sum(),
                sha256: hex(&h.finalize()),
            });
        }
        let n_entries = entries.len();
        let exports = Exports::new(spec.export.as_ref())?;
        let session = Session {
            spec,
            metrics,
            set,
            images,
            resized: false,
            images_spilled: None,
            image_memory: IMAGE_MEMORY,
            entries,
            phase: Phase::Start(0),
            batch: rayon::current_num_threads().clamp(1, MAX_BATCH),
            steps_done: 0,
            running: None,
            data: (0..n_entries).map(|_| None).collect(),
            scores: Vec::new(),
            score_index: HashMap::new(),
            ceilings: Vec::new(),
            identifiability: Vec::new(),
            class_comparison: Vec::new(),
            specificity: Vec::new(),
            inputs,
            warnings: Vec::new(),
            exports,
            spill: default_spill(),
            gram_memory: GRAM_MEMORY,
            entry_warnings: 0,
            finished: None,
        };
        session.size()?;
        Ok(session)
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Where Gram rows spill (`None`: every row stays in memory), and how
    /// many bytes of them a model holds before they do.
    pub fn set_spill(&mut self, spill: Option<Spill>, gram_memory: u64) {
        self.spill = spill;
        self.gram_memory = gram_memory.max(1);
    }

    /// Bytes of resized images kept in memory before they spill (with a spill store).
    pub fn set_image_memory(&mut self, bytes: u64) {
        self.image_memory = bytes;
    }

    /// The spill store, handed on to the next stimulus set's session.
    pub(crate) fn take_spill(&mut self) -> Option<Spill> {
        self.spill.take()
    }

    /// Bytes the spill store held at most (0 when nothing spilled).
    pub fn spilled_peak(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.peak)
    }


    fn n(&self) -> usize {
        self.set.names.len()
    }

    fn n_models(&self) -> usize {
        self.entries.iter().filter(|e| e.is_model()).count()
    }

    pub(crate) fn total_steps(&self) -> usize {
        (0..self.entries.len()).map(|e| self.entry_steps(e)).sum()
    }

    /// Entry e's steps: its build and image batches (or its load), and a source's scoring.
    fn entry_steps(&self, e: usize) -> usize {
        let entry = &self.entries[e];
        let own = if entry.is_model() { 1 + self.n().div_ceil(self.step_images(e)) } else { 1 };
        own + if entry.role == Role::Source { entry.layers.len() } else { 0 }
    }

    /// Images entry e's recording steps take: one per thread, or as many as its batched head runs.
    fn step_images(&self, e: usize) -> usize {
        self.batch.max(self.entries[e].head_batch())
    }

    /// Entries in all: targets, then sources.
    pub(crate) fn entry_count(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn has_data_targets(&self) -> bool {
        self.entries.iter().any(|e| !e.is_model())
    }

    /// The inputs added so far, as the result lists them.
    pub(crate) fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// Everything added that the run needs (the run key is known only then).
    pub(crate) fn check_ready(&self) -> Result<()> {
        self.ready()
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Images all models will run, in all.
    pub(crate) fn images_total(&self) -> usize {
        self.n_models() * self.n()
    }


    /// Does one unit of work and reports progress.
    pub fn step(&mut self) -> Result<Progress> {
        if self.phase == Phase::Done {
            return Err(Error::State("the run is already done".into()));
        }
        if self.steps_done == 0 {
            // Data bytes are consumed as each entry loads, so this is checked once.
            self.ready()?;
        }
        self.finished = None;
        if let Phase::Start(_) = self.phase {
            self.entry_warnings = self.warnings.len();
        }
        let size = self.size()?.expect("every model is known");
        if !self.resized {
            for img in &mut self.images {
                if img.dimensions() != (size, size) {
                    *img = resize_crop(img, size);
                }
            }
            self.resized = true;
            let bytes: u64 = self.images.iter().map(|i| i.as_raw().len() as u64).sum();
            if let Some(spill) = self.spill.as_mut().filter(|_| bytes > self.image_memory) {
                spill.put_head(self.images.iter().map(|i| i.as_raw().as_slice()))?;
                self.images = Vec::new();
                self.images_spilled = Some(size);
            }
        }
        let (stage, label) = match self.phase {
            Phase::Start(e) if !self.entries[e].is_model() => {
                let layer = self.load_data(e)?.with_rdms(&self.metrics)?;
                self.data[e] = Some(vec![layer]);
                self.keep_exports(e)?;
                self.advance_from(e);
                ("loading", format!("loaded {}", self.entries[e].label))
            }
            Phase::Start(e) => {
                let recorder = self.build(e, size)?;
                let sinks = self.sinks(e)?;
                self.running = Some((recorder, sinks));
                self.phase = Phase::Record(e, 0);
                ("building", format!("built {}", self.entries[e].label))
            }
            Phase::Record(e, i) => {
                let end = (i + self.step_images(e)).min(self.n());
                self.record(e, i, end)?;
                let label = if end == i + 1 {
                    format!("{}: image {} of {}", self.entries[e].label, i + 1, self.n())
                } else {
                    format!("{}: images {}-{end} of {}", self.entries[e].label, i + 1, self.n())
                };
                if end == self.n() {
                    let (_, sinks) = self.running.take().expect("recorder exists");
                    let keep = self.exports.as_ref().is_some_and(Exports::keeps_activations);
                    let mut spill = self.spill.as_mut();
                    let layers = sinks
                        .into_iter()
                        .map(|s| finish_sink(s, keep, spill.as_deref_mut())?.with_rdms(&self.metrics))
                        .collect::<Result<_>>()?;
                    if let Some(s) = &mut self.spill {
                        s.clear()?;
                    }
                    self.data[e] = Some(layers);
                    self.keep_exports(e)?;
                    if self.entries[e].role == Role::Source {
                        self.phase = Phase::Compare(e, 0);
                    } else {
                        self.advance_from(e);
                    }
                } else {
                    self.phase = Phase::Record(e, end);
                }
                ("recording", label)
            }
            Phase::Compare(e, l) => {
                self.compare(e, l);
                let label = format!("{} {}: scored against every target", self.entries[e].label, self.entries[e].layers[l].label);
                if l + 1 < self.entries[e].layers.len() {
                    self.phase = Phase::Compare(e, l + 1);
                } else {
                    self.data[e] = None;
                    self.advance_from(e);
                }
                ("comparing", label)
            }
            Phase::Done => unreachable!("checked above"),
        };
        if self.phase == Phase::Done {
            self.finish();
        }
        self.steps_done += 1;
        Ok(self.progress(if self.phase == Phase::Done { "done" } else { stage }, label))
    }

    /// Entry e is finished: the next one, or the end.
    fn advance_from(&mut self, e: usize) {
        self.finished = Some((e, self.entry_warnings..self.warnings.len()));
        self.phase = if e + 1 < self.entries.len() { Phase::Start(e + 1) } else { Phase::Done };
    }

    /// After the last source: noise ceilings and the analyses of the score tables.
    fn finish(&mut self) {
        self.ceilings();
        let run = Finished { spec: &self.spec, metrics: &self.metrics, entries: &self.entries, scores: &self.scores, index: &self.score_index };
        let (identifiability, class_comparison) = analysis::per_target(&run);
        let (specificity, warnings) = analysis::specificity::from_run(&run);
        self.identifiability = identifiability;
        self.class_comparison = class_comparison;
        self.specificity = specificity;
        self.warnings.extend(warnings);
        self.data.iter_mut().for_each(|d| *d = None);
        if let Some(x) = &mut self.exports {
            if let Err(err) = x.finish(&self.set.names) {
                self.warnings.push(err.to_string());
            }
        }
    }

    /// The files `spec.export` asked for, once the run is done, in their fixed
    /// order (`activations/<model>/<layer>.npy`, `rdms/...`, `exports.json`);
    /// none without an export.
    pub fn exports(&self) -> Vec<&ExportFile> {
        self.exports.as_ref().map(|x| x.files().collect()).unwrap_or_default()
    }

    /// [`Session::exports`] as one .zip (what the page downloads).
    pub fn exports_zip(&self) -> Result<Vec<u8>> {
        if !self.is_done() {
            return Err(Error::State("the run is not finished".into()));
        }
        if self.exports.is_none() {
            return Err(Error::State("the spec asks for no export (\"export\": {\"activations\": true, \"rdms\": true})".into()));
        }
        exports::zip(self.exports().into_iter().map(|f| (f.path.as_str(), f.bytes.as_slice())))
    }

    fn images_done(&self) -> usize {
        let models_before = |e: usize| self.entries[..e].iter().filter(|x| x.is_model()).count();
        match self.phase {
            Phase::Start(e) => models_before(e) * self.n(),
            Phase::Record(e, i) => models_before(e) * self.n() + i,
            Phase::Compare(e, _) => (models_before(e) + 1) * self.n(),
            Phase::Done => self.n_models() * self.n(),
        }
    }

    fn progress(&self, stage: &'static str, label: String) -> Progress {
        Progress {
            stage,
            label,
            done: self.steps_done,
            total: self.total_steps(),
            images_done: self.images_done(),
            images_total: self.n_models() * self.n(),
        }
    }

    /// The result, once [`Session::is_done`]. `flavor` names the build that ran it.
    pub fn result(&self, flavor: &str, seconds: f64) -> Result<ExperimentResult> {
        if !self.is_done() {
            return Err(Error::State("the run is not finished".into()));
        }
        let n_targets = self.spec.targets.len();
        let info = |e: &Entry| ModelInfo {
            id: e.id.clone(),
            role: if e.role == Role::Source { "source" } else { "target" },
            label: e.label.clone(),
            kind: match &e.kind {
                Kind::Zoo { .. } => "zoo",
                Kind::Onnx { tflite: Some(_), .. } => "tflite",
                Kind::Onnx { .. } => "onnx",
                Kind::Responses { .. } => "responses",
                Kind::Rdms { .. } => "rdms",
                // A shipped responses dataset is a responses target (its label names it).
                Kind::Dataset { d, .. } if d.is_responses() => "responses",
                Kind::Dataset { .. } => "dataset",
            },
            arch: match &e.kind {
                Kind::Zoo { arch, .. } => Some(arch.name().into()),
                _ => None,
            },
            seed: match &e.kind {
                Kind::Zoo { seed, .. } if e.weights.is_none() => Some(*seed),
                _ => None,
            },
            weights: weights_info(e, &self.inputs),
            layers: e.layer_names(),
            subjects: if e.subjects.len() > 1 { e.subjects.clone() } else { Vec::new() },
            units: e.units,
            noise: e.noise,
            prune: e.prune,
        };
        let mut models: Vec<ModelInfo> = self.entries[n_targets..].iter().map(info).collect();
        models.extend(self.entries[..n_targets].iter().map(info));
        Ok(ExperimentResult {
            idlab_version: env!("CARGO_PKG_VERSION").into(),
            flavor: flavor.into(),
            simd: None,
            spec: self.spec.clone(),
            n_stimuli: self.n(),
            stimuli: self.set.names.clone(),
            inputs: self.inputs.clone(),
            models,
            scores: self.scores.clone(),
            noise_ceilings: self.ceilings.clone(),
            identifiability: self.identifiability.clone(),
            class_comparison: self.class_comparison.clone(),
            stimulus_sets: Vec::new(),
            by_stimuli: Vec::new(),
            specificity: self.specificity.clone(),
            findings: Vec::new(),
            warnings: self.warnings.clone(),
            seconds,
            timings: None,
        })
    }
}
