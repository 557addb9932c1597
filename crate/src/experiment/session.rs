//! A run of one spec, advanced one bounded unit of work at a time (build a
//! model, run one image, score one source layer against every target), so
//! that front doors can report progress and cancel between steps without
//! threads or timers in the core.
//!
//! Targets run first and keep what the metrics need of each layer (Gram
//! matrix, row sums, regression features); then each source model runs, is
//! scored layer by layer against every target, and is dropped, so memory
//! holds the targets plus one source.

use super::classes::{compare_classes, ClassComparison, SourceTable};
use super::datasets::{self, Dataset, DatasetKind};
use super::exports::{self, ExportFile, Exports, LayerView, Owner, Rows};
use super::result::{Ceiling, ExperimentResult, Identifiability, Input, LayerVerdict, ModelInfo, Score};
use super::specificity::{self, Member, Specificity};
use super::spec::{ModelRef, ModelSpec, NoiseSpec, NormOverride, Spec, UnitSubsample};
use crate::error::{Error, Result};
use crate::metrics::cka::{cka_from_grams, debiased_cka_from_grams};
use crate::metrics::kernels::linear_gram;
use crate::metrics::noise_ceiling::noise_ceiling;
use crate::metrics::projection::SparseProjection;
use crate::metrics::rdm::{rdm_from_gram, Distance, Rdm};
use crate::metrics::rdm_compare::Compare;
use crate::metrics::nrp::NrpOptions;
use crate::metrics::registry::{nrp_vs_ridge, MetricName, MetricParams};
use crate::metrics::regression::{regression, target_units, RegressionOptions};
use crate::metrics::rsa::{rsa_rdms, RsaOptions};
use crate::metrics::soft_matching::soft_matching;
use crate::runtime::{inspect, Inspection, Recorder};
use crate::sinks::{FeatureSink, GramSink, Keep};
use crate::stats::identifiability::identifiability_index;
use crate::stats::noise::{add_row_noise, poisson_like_noise_by_row};
use crate::stats::subsample::{subsample_columns, SubsampleSize};
use crate::stimuli::{decode_rgb, resize_crop, sets, Preprocess};
use crate::zoo::{self, Arch, Probe};
use image::RgbImage;
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// The most images one step records in parallel.
pub const MAX_BATCH: usize = 8;

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

enum Kind {
    Zoo { arch: Arch, seed: u64 },
    /// A user's ONNX file; `bytes` arrive with [`Session::add_model`] and are
    /// released once the model is built.
    Onnx { file: String, requested: Vec<String>, size: Option<u32>, norm: NormOverride, bytes: Option<Vec<u8>>, added: bool },
    /// A user's responses (stimuli x units), parsed when added.
    Responses { file: String, key: Option<String>, matrix: Option<DMatrix<f64>> },
    /// A user's RDMs, one per subject.
    Rdms { file: String, key: Option<String>, rdms: Option<Vec<Rdm>> },
    /// Shipped data (RDMs, or responses read as a responses target);
    /// `files[i]` arrives with [`Session::add_data`].
    Dataset { d: &'static Dataset, files: Vec<Option<Vec<u8>>> },
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Source,
    Target,
}

struct Entry {
    id: String,
    role: Role,
    label: String,
    kind: Kind,
    /// Known at [`Session::new`] for a zoo model, at [`Session::add_model`] for a user model.
    layers: Vec<Probe>,
    preprocess: Option<Preprocess>,
    /// Data targets: subject names (RDMs) or unit count (responses), known once added.
    subjects: Vec<String>,
    units: Option<usize>,
    /// Keep a seeded fraction of each layer's units.
    subsample: Option<UnitSubsample>,
    /// Poisson-like noise added to the responses before any sink sees them.
    noise: Option<NoiseSpec>,
    /// Models: the fraction of each weight tensor to prune before building.
    prune: Option<f64>,
}

impl Entry {
    /// The columns kept of a layer of `p` units, when subsampled.
    fn kept_columns(&self, p: usize) -> Result<Option<Vec<usize>>> {
        self.subsample.map(|s| subsample_columns(p, SubsampleSize::Fraction(s.fraction), s.seed)).transpose()
    }
}

impl Entry {
    fn is_model(&self) -> bool {
        matches!(self.kind, Kind::Zoo { .. } | Kind::Onnx { .. })
    }

    fn layer_names(&self) -> Vec<String> {
        match &self.kind {
            Kind::Zoo { .. } | Kind::Onnx { .. } => self.layers.iter().map(|l| l.label.clone()).collect(),
            _ => vec![self.label.clone()],
        }
    }
}

/// What the metrics need of one layer (or one data target).
#[derive(Default)]
struct LayerData {
    gram: Option<DMatrix<f64>>,
    sums: Vec<f64>,
    units: usize,
    /// Regression features, by metric index.
    features: Vec<Option<DMatrix<f64>>>,
    /// RDM targets: one per subject.
    rdms: Vec<Rdm>,
    /// Per metric, for RSA: this layer's RDM under the metric's distance (or
    /// why it has none), computed once rather than for every layer pair.
    rsa: Vec<Option<std::result::Result<Rdm, String>>>,
    /// RDM targets with several subjects: their mean, the Mantel test's partner.
    mean: Option<Rdm>,
    /// Activations kept for the export until it takes them.
    kept: Option<Rows>,
}

impl LayerData {
    /// Adds what RSA compares: the RDM of a layer (from its Gram matrix and
    /// row sums) per RSA metric, or the subjects' mean RDM of a data target.
    fn with_rdms(mut self, metrics: &[(MetricName, MetricParams)]) -> Result<Self> {
        if self.rdms.is_empty() {
            self.rsa = metrics
                .iter()
                .map(|(m, p)| {
                    (*m == MetricName::Rsa).then(|| {
                        let gram = self.gram.as_ref().ok_or_else(|| "no Gram matrix was kept for this layer".to_string())?;
                        let distance = Distance::parse(&p.rdm_distance).map_err(|e| e.to_string())?;
                        rdm_from_gram(gram, &self.sums, self.units, distance).map_err(|e| e.to_string())
                    })
                })
                .collect();
        } else if self.rdms.len() > 1 {
            let n = self.rdms[0].n();
            let k = self.rdms.len() as f64;
            let mut avg = vec![0.0; n * (n - 1) / 2];
            for r in &self.rdms {
                avg.iter_mut().zip(r.condensed()).for_each(|(s, v)| *s += v / k);
            }
            self.mean = Some(Rdm::from_condensed(avg)?);
        }
        Ok(self)
    }

    /// This layer's RDM for metric `k`.
    fn rdm(&self, k: usize) -> Result<&Rdm> {
        match self.rsa.get(k) {
            Some(Some(Ok(r))) => Ok(r),
            Some(Some(Err(why))) => Err(Error::Input(why.clone())),
            _ => Err(Error::Input("no RDM was kept for this layer".into())),
        }
    }
}

/// What is folded in while a model runs, per layer.
struct LayerSink {
    gram: Option<GramSink>,
    sums: Vec<f64>,
    /// Units the layer gives, and those kept (all, or a subsample's columns).
    given: usize,
    keep: Option<Vec<usize>>,
    units: usize,
    features: Vec<Option<FeatureSink>>,
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
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Session {
    pub fn new(spec: Spec) -> Result<Session> {
        spec.validate()?;
        let metrics = spec.metrics.iter().map(|m| Ok((m.metric()?, m.params()))).collect::<Result<Vec<_>>>()?;
        let entry = |m: &ModelSpec, role: Role, index: usize| -> Result<Entry> {
            let id = format!("{}{index}", if role == Role::Source { "s" } else { "t" });
            // (label, kind, layers, preprocess, subjects) of each kind of entry.
            let (label, kind, layers, preprocess, subjects): (String, Kind, Vec<Probe>, Option<Preprocess>, Vec<String>) = match m.resolve()? {
                ModelRef::Zoo { arch, seed } => {
                    (format!("{} seed {seed}", arch.name()), Kind::Zoo { arch, seed }, spec.recorded_layers(arch, m)?, Some(arch.preprocess()), Vec::new())
                }
                ModelRef::Onnx { file, layers, size, norm } => {
                    let kind = Kind::Onnx { file: file.into(), requested: layers.to_vec(), size, norm, bytes: None, added: false };
                    (file.into(), kind, Vec::new(), None, Vec::new())
                }
                ModelRef::Responses { file, key } => {
                    (file.into(), Kind::Responses { file: file.into(), key: key.map(Into::into), matrix: None }, Vec::new(), None, Vec::new())
                }
                ModelRef::Rdms { file, key } => {
                    (file.into(), Kind::Rdms { file: file.into(), key: key.map(Into::into), rdms: None }, Vec::new(), None, Vec::new())
                }
                ModelRef::Dataset { name } => {
                    let d = datasets::find(name, &spec.stimuli.set)?;
                    (d.label.into(), Kind::Dataset { d, files: vec![None; d.files().len()] }, Vec::new(), None, d.subjects())
                }
            };
            let units = match &kind {
                Kind::Dataset { d: Dataset { kind: DatasetKind::Responses { units, .. }, .. }, .. } => Some(*units),
                _ => None,
            };
            let mut e = Entry { id, role, label, kind, layers, preprocess, subjects, units, subsample: m.subsample, noise: m.noise, prune: m.prune };
            if let Some(f) = m.prune {
                e.label = format!("{}, {}% pruned", e.label, (f * 1000.0).round() / 10.0);
            }
            if let Some(noise) = m.noise {
                e.label = format!("{}, noisy (gain {})", e.label, noise.gain);
            }
            if let Some(label) = &m.label {
                e.label = label.clone();
            }
            Ok(e)
        };
        let mut entries = Vec::new();
        for (i, m) in spec.targets.iter().enumerate() {
            entries.push(entry(m, Role::Target, i).map_err(|e| in_field(&format!("targets[{i}]"), e))?);
        }
        for (i, m) in spec.sources.iter().enumerate() {
            entries.push(entry(m, Role::Source, i).map_err(|e| in_field(&format!("sources[{i}]"), e))?);
        }
        let set = spec.stimuli.resolve()?;
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
        };
        session.size()?;
        Ok(session)
    }

    /// The shared input side, once every model's preprocessing is known; an
    /// error when they differ.
    fn size(&self) -> Result<Option<u32>> {
        let mut first: Option<(&Entry, u32)> = None;
        for e in self.entries.iter().filter(|e| e.is_model()) {
            let Some(p) = &e.preprocess else { return Ok(None) };
            match first {
                None => first = Some((e, p.size)),
                Some((f, size)) if size != p.size => {
                    return Err(Error::Spec(format!(
                        "all models need the same input size ({} takes {size} px, {} takes {} px)",
                        f.label, e.label, p.size
                    )))
                }
                Some(_) => {}
            }
        }
        Ok(first.map(|(_, s)| s).or(Some(sets::GENERATED_SIZE)))
    }

    /// The user-model files (`onnx` values) the spec names, which [`Session::add_model`] expects.
    pub fn model_files(&self) -> Vec<String> {
        let mut files: Vec<String> = self
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Onnx { file, .. } => Some(file.clone()),
                _ => None,
            })
            .collect();
        unique(&mut files);
        files
    }

    /// The user's data files (`responses` and `rdms` values), which [`Session::add_data`] expects.
    pub fn data_files(&self) -> Vec<String> {
        let mut files: Vec<String> = self
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Responses { file, .. } | Kind::Rdms { file, .. } => Some(file.clone()),
                _ => None,
            })
            .collect();
        unique(&mut files);
        files
    }

    /// Site-relative paths of the shipped data the spec names, to fetch (page)
    /// or read (CLI) and hand to [`Session::add_data`].
    pub fn dataset_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = Vec::new();
        for e in &self.entries {
            if let Kind::Dataset { d, .. } = &e.kind {
                paths.extend(d.files());
            }
        }
        unique(&mut paths);
        paths
    }

    /// Hands over the bytes of a user model named in the spec (`name` is the
    /// spec's `onnx` value). Inspects them at once: the image input, the
    /// requested layers, the preprocessing metadata.
    pub fn add_model(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let targets: Vec<usize> = (0..self.entries.len())
            .filter(|&j| matches!(&self.entries[j].kind, Kind::Onnx { file, .. } if file == name))
            .collect();
        if targets.is_empty() {
            let files = self.model_files();
            return Err(Error::State(if files.is_empty() {
                format!("the spec names no onnx model, so \"{name}\" is not expected")
            } else {
                format!("the spec names no onnx model \"{name}\"; it expects {}", files.join(", "))
            }));
        }
        if self.phase != Phase::Start(0) || self.steps_done > 0 {
            return Err(Error::State("models must be added before the run starts".into()));
        }
        self.inputs.push(Input { role: "model", name: name.into(), bytes: bytes.len(), sha256: sha256(&bytes) });
        // The same file may be named by several entries.
        let last = targets.len() - 1;
        let mut bytes = Some(bytes);
        for (k, j) in targets.into_iter().enumerate() {
            self.load_model(j, bytes.as_deref().expect("kept until the last entry"))?;
            let copy = if k == last { bytes.take() } else { bytes.clone() };
            if let Kind::Onnx { bytes: slot, added, .. } = &mut self.entries[j].kind {
                *slot = copy;
                *added = true;
            }
        }
        self.size()?;
        Ok(())
    }

    fn load_model(&mut self, i: usize, bytes: &[u8]) -> Result<()> {
        let Kind::Onnx { file, requested, size, norm, .. } = &self.entries[i].kind else { unreachable!("only onnx models are added") };
        let proto = inspect::decode(file, bytes)?;
        let found = inspect::inspect_proto(file, &proto)?;
        let side = match size {
            Some(s) => {
                if let Some((h, w)) = found.input_size {
                    if (h, w) != (*s as usize, *s as usize) {
                        return Err(Error::Input(format!(
                            "{file}: the spec asks for size {s}, but input '{}' is fixed at {h} x {w}",
                            found.input_name
                        )));
                    }
                }
                *s as usize
            }
            None => found.side(file)?,
        };
        // The spec's mean/std/channels, else the file's metadata, else ImageNet's.
        let preprocess = norm.apply(Preprocess { size: side as u32, ..found.preprocess.unwrap_or(Preprocess::IMAGENET_224) });
        // The side inspect_proto inferred the candidates' shapes at.
        let inferred = match (&found.preprocess, found.input_size) {
            (_, Some((h, _))) => h,
            (Some(p), None) => p.size as usize,
            (None, None) => inspect::DEFAULT_SIZE,
        };
        let candidates = if side == inferred {
            found.layers
        } else {
            inspect::candidates(file, &proto, &found.input_name, (side, side))?
        };
        let by_name = Inspection { layers: candidates, ..found };
        let layers = requested
            .iter()
            .map(|name| {
                let c = by_name.candidate(file, name)?;
                Ok(Probe { label: name.clone(), tensor: c.tensor.clone(), units: c.units })
            })
            .collect::<Result<Vec<_>>>()?;
        self.entries[i].layers = layers;
        self.entries[i].preprocess = Some(preprocess);
        Ok(())
    }

    /// Hands over a data file: a user's responses or RDMs (`name` is the
    /// spec's `responses` / `rdms` value) or a shipped dataset's file (`name`
    /// is its site-relative path). Parsed and checked against the stimuli at once.
    pub fn add_data(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        if self.set.origin == sets::Origin::Upload && self.images.is_empty() {
            return Err(Error::State(format!(
                "add the uploaded images before the data file {name}: its rows are matched to them"
            )));
        }
        let n = self.n();
        let names = self.set.names.clone();
        let mut used = false;
        for e in &mut self.entries {
            match &mut e.kind {
                Kind::Responses { file, key, matrix } if file == name => {
                    let table = crate::data::read_table(file, bytes, key.as_deref())?;
                    let y = crate::data::align::responses(&table, &names)?;
                    e.units = Some(y.ncols());
                    *matrix = Some(y);
                    used = true;
                }
                Kind::Rdms { file, key, rdms } if file == name => {
                    let table = crate::data::read_table(file, bytes, key.as_deref())?;
                    let mats = crate::data::align::rdms(&table, n)?;
                    let list = mats
                        .iter()
                        .map(|m| Rdm::from_matrix(m).map_err(|err| Error::Input(format!("{file}: {err}"))))
                        .collect::<Result<Vec<_>>>()?;
                    e.subjects = if list.len() > 1 { (1..=list.len()).map(|i| format!("subject {i}")).collect() } else { Vec::new() };
                    *rdms = Some(list);
                    used = true;
                }
                Kind::Dataset { d, files } => {
                    if let Some(i) = d.files().iter().position(|f| f == name) {
                        files[i] = Some(bytes.to_vec());
                        used = true;
                    }
                }
                _ => {}
            }
        }
        if !used {
            let mut expected = self.data_files();
            expected.extend(self.dataset_paths());
            return Err(Error::State(format!(
                "the spec names no data file \"{name}\"; it expects {}",
                if expected.is_empty() { "none".to_string() } else { expected.join(", ") }
            )));
        }
        self.inputs.push(Input { role: "data", name: name.into(), bytes: bytes.len(), sha256: sha256(bytes) });
        Ok(())
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Paths of the stimulus images, relative to the site root, in the order
    /// [`Session::add_stimulus`] expects them.
    /// Empty for a generated set (its images are drawn by the session itself).
    pub fn stimulus_paths(&self) -> &[String] {
        &self.set.files
    }

    /// Decodes, resizes and crops the next stimulus. `name` is used in errors
    /// and, for an upload, is the stimulus' name (responses are matched to it).
    pub fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let upload = self.set.origin == sets::Origin::Upload;
        if upload && self.steps_done > 0 {
            return Err(Error::State("stimuli must be added before the run starts".into()));
        }
        if !upload && self.images.len() == self.n() {
            return Err(Error::State(format!("all {} stimuli were already added", self.n())));
        }
        let mut img = decode_rgb(name, bytes)?;
        self.inputs.push(Input { role: "stimulus", name: name.into(), bytes: bytes.len(), sha256: sha256(bytes) });
        if let sets::Origin::Scrambled(seed) = self.set.origin {
            img = crate::stimuli::textures::phase_scramble(&img, seed, self.images.len());
        }
        self.images.push(match self.size()? {
            Some(size) => resize_crop(&img, size),
            None => img,
        });
        if upload {
            // An upload's names arrive with its images.
            self.set.names.push(name.into());
        }
        Ok(())
    }

    fn n(&self) -> usize {
        self.set.names.len()
    }

    fn n_models(&self) -> usize {
        self.entries.iter().filter(|e| e.is_model()).count()
    }

    pub(crate) fn total_steps(&self) -> usize {
        self.entries
            .iter()
            .map(|e| {
                let own = if e.is_model() { 1 + self.n().div_ceil(self.batch) } else { 1 };
                own + if e.role == Role::Source { e.layers.len() } else { 0 }
            })
            .sum()
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Images all models will run, in all.
    pub(crate) fn images_total(&self) -> usize {
        self.n_models() * self.n()
    }

    /// Everything added that the run needs, or an error saying what is missing.
    fn ready(&self) -> Result<()> {
        if self.set.origin == sets::Origin::Upload && self.n() < 3 {
            return Err(Error::Input(format!(
                "the metrics need at least 3 stimuli; {} image(s) were given{}",
                self.n(),
                self.spec.stimuli.folder.as_ref().map(|f| format!(" in {f}")).unwrap_or_default()
            )));
        }
        if self.images.len() != self.n() {
            return Err(Error::State(format!("{} of {} stimuli added; add them all before running", self.images.len(), self.n())));
        }
        for e in &self.entries {
            let missing = match &e.kind {
                Kind::Onnx { file, added: false, .. } => Some(format!("the spec's onnx model {file} was not added; add its bytes (add_model)")),
                Kind::Responses { file, matrix: None, .. } | Kind::Rdms { file, rdms: None, .. } => {
                    Some(format!("the spec's data file {file} was not added (add_data)"))
                }
                Kind::Dataset { d, files } => files
                    .iter()
                    .position(Option::is_none)
                    .map(|i| format!("dataset {}: file {} was not added (add_data)", d.name, d.files()[i])),
                _ => None,
            };
            if let Some(m) = missing {
                return Err(Error::State(format!("{m} before running")));
            }
        }
        Ok(())
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
        let size = self.size()?.expect("every model is known");
        if !self.resized {
            for img in &mut self.images {
                if img.dimensions() != (size, size) {
                    *img = resize_crop(img, size);
                }
            }
            self.resized = true;
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
                let end = (i + self.batch).min(self.n());
                self.record(e, i, end)?;
                let label = if end == i + 1 {
                    format!("{}: image {} of {}", self.entries[e].label, i + 1, self.n())
                } else {
                    format!("{}: images {}-{end} of {}", self.entries[e].label, i + 1, self.n())
                };
                if end == self.n() {
                    let (_, sinks) = self.running.take().expect("recorder exists");
                    let keep = self.exports.as_ref().is_some_and(Exports::keeps_activations);
                    let layers = sinks.into_iter().map(|s| finish_sink(s, keep).with_rdms(&self.metrics)).collect::<Result<_>>()?;
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

    fn advance_from(&mut self, e: usize) {
        self.phase = if e + 1 < self.entries.len() { Phase::Start(e + 1) } else { Phase::Done };
    }

    fn build(&mut self, e: usize, size: u32) -> Result<Recorder> {
        let entry = &mut self.entries[e];
        let mut proto = match &mut entry.kind {
            Kind::Zoo { arch, seed } => zoo::build(*arch, *seed).proto,
            Kind::Onnx { file, bytes, .. } => {
                let bytes = bytes.take().ok_or_else(|| Error::State(format!("{file} was already built")))?;
                inspect::decode(file, &bytes)?
            }
            _ => unreachable!("only models are built"),
        };
        if let Some(f) = entry.prune {
            crate::runtime::prune::prune(&entry.label, &mut proto, f)?;
        }
        let tensors: Vec<String> = entry.layers.iter().map(|l| l.tensor.clone()).collect();
        let size = size as usize;
        Recorder::new(&entry.label, proto, &tensors, [1, 3, size, size])
    }

    /// The sinks of entry `e`'s layers: what its role and the metrics need.
    fn sinks(&self, e: usize) -> Result<Vec<LayerSink>> {
        let entry = &self.entries[e];
        // The export's RDMs and activations come from the Gram sink too.
        let needs_gram = self.exports.is_some()
            || self.metrics.iter().any(|(m, _)| matches!(m, MetricName::Cka | MetricName::CkaDebiased | MetricName::Rsa));
        entry
            .layers
            .iter()
            .map(|l| {
                let keep = entry.kept_columns(l.units)?;
                let units = keep.as_ref().map_or(l.units, Vec::len);
                let features = self
                    .metrics
                    .iter()
                    .map(|(m, p)| {
                        Ok(match m {
                            // The NRP maps the same features as regression: projected source, subsampled target units.
                            MetricName::Regression | MetricName::Nrp => Some(FeatureSink::new(match entry.role {
                                Role::Source => Keep::Projected(SparseProjection::new(units, p.projection_dim, p.seed)?),
                                Role::Target => Keep::Units(target_units(units, p.max_units, p.seed)),
                            })),
                            // Matching is between units: both sides keep the same seeded subset rule, no projection.
                            MetricName::SoftMatching => Some(FeatureSink::new(Keep::Units(target_units(units, p.max_units, p.seed)))),
                            _ => None,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(LayerSink { gram: needs_gram.then(|| GramSink::new(units)), sums: Vec::new(), given: l.units, keep, units, features })
            })
            .collect()
    }

    /// Runs images `i..end` in parallel across the pool, then folds their
    /// activations into the sinks in image order, so the result does not
    /// depend on the number of threads.
    fn record(&mut self, e: usize, i: usize, end: usize) -> Result<()> {
        let entry = &self.entries[e];
        let (recorder, sinks) = self.running.as_mut().expect("recorder exists while recording");
        let preprocess = entry.preprocess.as_ref().expect("known once added");
        let recorder = &*recorder;
        let batch: Vec<Result<Vec<Vec<f32>>>> = self.images[i..end].par_iter().map(|img| recorder.run(&preprocess.normalise(img))).collect();
        for (k, outputs) in batch.into_iter().enumerate() {
            fold_image(entry, sinks, outputs?, i + k)?;
        }
        Ok(())
    }

    /// A data target's one "layer": its Gram matrix and features, or its RDMs.
    fn load_data(&mut self, e: usize) -> Result<LayerData> {
        let n = self.n();
        let keep = self.exports.as_ref().is_some_and(Exports::keeps_activations);
        let entry = &mut self.entries[e];
        match &mut entry.kind {
            Kind::Responses { matrix, file, .. } => {
                let y = matrix.take().expect("checked by ready()");
                let key = file.clone();
                responses_layer(y, entry, &self.metrics, &key, keep)
            }
            Kind::Rdms { rdms, .. } => Ok(LayerData { rdms: rdms.take().expect("checked by ready()"), ..Default::default() }),
            Kind::Dataset { d, files } => {
                let d: &'static Dataset = d;
                let full = d.stimuli;
                let paths = d.files();
                let mut read = |k: usize| -> Result<crate::data::Table> {
                    let bytes = files[k].take().expect("checked by ready()");
                    crate::data::read_table(&paths[k], &bytes, None)
                };
                match &d.kind {
                    DatasetKind::Responses { units, .. } => {
                        // Rows follow the whole set's images; a limited set takes the leading rows.
                        let table = read(0)?;
                        let all = table.to_matrix().map_err(|err| Error::Input(format!("dataset {}: {err}", d.name)))?;
                        if all.shape() != (full, *units) {
                            return Err(Error::Input(format!(
                                "dataset {}: {} holds {} x {}, expected {full} stimuli x {units} units",
                                d.name, paths[0], all.nrows(), all.ncols()
                            )));
                        }
                        let y = all.rows(0, n).into_owned();
                        responses_layer(y, entry, &self.metrics, d.name, keep)
                    }
                    DatasetKind::Rdms { subjects } => {
                        // Each subject's RDM is the mean of its files; a limited stimulus set takes the leading block.
                        let mut k = 0;
                        let mut rdms = Vec::new();
                        for (subject, subject_files) in subjects.iter() {
                            let mut sum = DMatrix::<f64>::zeros(n, n);
                            for _ in subject_files.iter() {
                                let m = crate::data::align::rdms(&read(k)?, full)?.remove(0);
                                sum += m.view((0, 0), (n, n));
                                k += 1;
                            }
                            let mean = sum / subject_files.len() as f64;
                            rdms.push(Rdm::from_matrix(&mean).map_err(|err| Error::Input(format!("dataset {} subject {subject}: {err}", d.name)))?);
                        }
                        Ok(LayerData { rdms, ..Default::default() })
                    }
                }
            }
            _ => unreachable!("only data targets are loaded"),
        }
    }

    /// Scores source entry `e`'s layer `l` against every layer of every target, with every metric.
    fn compare(&mut self, e: usize, l: usize) {
        let n_targets = self.spec.targets.len();
        let src = &self.data[e].as_ref().expect("recorded")[l];
        // (target, target layer, metric) cells, computed in parallel, stored in order.
        let n_metrics = self.metrics.len();
        let mut cells: Vec<(usize, usize, usize)> = Vec::new();
        for t in 0..n_targets {
            for m in 0..self.data[t].as_ref().map_or(0, |d| d.len()) {
                cells.extend((0..n_metrics).map(|k| (t, m, k)));
            }
        }
        let outcomes: Vec<Option<Result<Cell>>> = cells
            .par_iter()
            .map(|&(t, m, k)| {
                let tgt = &self.data[t].as_ref().expect("targets are kept")[m];
                score(k, self.metrics[k].0, &self.metrics[k].1, src, tgt)
            })
            .collect();
        let source_index = e - n_targets;
        for (&(t, m, k), outcome) in cells.iter().zip(outcomes) {
            let Some(outcome) = outcome else { continue };
            let cell = match outcome {
                Ok(c) => c,
                Err(err) => {
                    self.warnings.push(format!(
                        "{} of {} {} vs {} {}: {err}",
                        self.spec.metrics[k].name,
                        self.entries[e].label,
                        self.entries[e].layers[l].label,
                        self.entries[t].label,
                        self.entries[t].layer_names()[m]
                    ));
                    Cell::default()
                }
            };
            let i = self.score_table(k, source_index, t);
            let table = &mut self.scores[i];
            table.values[l][m] = cell.value;
            if let Some(per) = cell.per_subject {
                table.per_subject.get_or_insert_with(|| empty3(&table.values))[l][m] = per;
            }
            if let Some(p) = cell.p_value {
                table.p_values.get_or_insert_with(|| empty2(&table.values))[l][m] = Some(p);
            }
            for (name, v) in cell.detail {
                let tables = table.detail.get_or_insert_with(BTreeMap::new);
                tables.entry(name.to_string()).or_insert_with(|| empty2(&table.values))[l][m] = v;
            }
        }
    }

    /// The index of metric k's table for source s and target t, created empty on first use.
    fn score_table(&mut self, k: usize, s: usize, t: usize) -> usize {
        if let Some(&i) = self.score_index.get(&(k, s, t)) {
            return i;
        }
        let n_targets = self.spec.targets.len();
        let (src, tgt) = (&self.entries[n_targets + s], &self.entries[t]);
        let rows = src.layers.len();
        let cols = tgt.layer_names().len();
        self.scores.push(Score {
            metric: self.spec.metrics[k].name.clone(),
            better: self.metrics[k].0.better(),
            source: src.id.clone(),
            target: tgt.id.clone(),
            values: vec![vec![None; cols]; rows],
            per_subject: None,
            p_values: None,
            set: None,
            detail: None,
        });
        self.score_index.insert((k, s, t), self.scores.len() - 1);
        self.scores.len() - 1
    }

    /// After the last source: noise ceilings and the identifiability analysis.
    fn finish(&mut self) {
        let n_targets = self.spec.targets.len();
        for (k, (metric, params)) in self.metrics.iter().enumerate() {
            for t in 0..n_targets {
                let Some(data) = &self.data[t] else { continue };
                if *metric == MetricName::Rsa && data[0].rdms.len() > 1 {
                    match Compare::parse(&params.compare).and_then(|c| noise_ceiling(&data[0].rdms, c)) {
                        Ok(nc) => self.ceilings.push(Ceiling {
                            metric: self.spec.metrics[k].name.clone(),
                            target: self.entries[t].id.clone(),
                            lower: nc.lower,
                            upper: nc.upper,
                            set: None,
                        }),
                        Err(err) => self.warnings.push(format!("noise ceiling of {}: {err}", self.entries[t].label)),
                    }
                }
                if let Some(v) = self.verdicts(k, t) {
                    self.identifiability.push(v);
                }
                if let Some(c) = self.class_comparison(k, t) {
                    self.class_comparison.push(c);
                }
            }
        }
        self.specificity_analysis();
        self.data.iter_mut().for_each(|d| *d = None);
        if let Some(x) = &mut self.exports {
            if let Err(err) = x.finish(&self.set.names) {
                self.warnings.push(err.to_string());
            }
        }
    }

    /// Hands entry `e`'s kept activations and what its layers' RDMs are computed
    /// from (or a data target's RDMs) to the export, in the result's model order.
    fn keep_exports(&mut self, e: usize) -> Result<()> {
        let Some(x) = &mut self.exports else { return Ok(()) };
        let n_targets = self.spec.targets.len();
        let entry = &self.entries[e];
        let order = if entry.role == Role::Source { e - n_targets } else { self.entries.len() - n_targets + e };
        let names = entry.layer_names();
        let layers = self.data[e].as_mut().expect("stored before the export");
        let kept: Vec<Option<Rows>> = layers.iter_mut().map(|l| l.kept.take()).collect();
        let views = layers
            .iter()
            .zip(kept)
            .zip(&names)
            .map(|((l, rows), name)| LayerView { name, rows, gram: l.gram.as_ref().map(|g| (g, l.sums.as_slice(), l.units)), rdms: &l.rdms })
            .collect();
        x.add(Owner { order, id: &entry.id, label: &entry.label }, !entry.is_model(), views, &mut self.warnings)
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

    /// The spec's `specificity`: per metric asked for, and per group of zoo
    /// targets (those without noise, then each noise gain in spec order),
    /// [`specificity::analyse`] over every zoo source.
    fn specificity_analysis(&mut self) {
        let Some(spec) = self.spec.specificity.clone() else { return };
        let n_targets = self.spec.targets.len();
        let member = |e: &Entry| match &e.kind {
            Kind::Zoo { arch, seed } => Some(Member {
                id: e.id.clone(),
                label: e.label.clone(),
                arch: arch.name().into(),
                model: format!("{} {seed}", arch.name()),
                layers: e.layer_names(),
            }),
            _ => None,
        };
        let sources: Vec<(usize, Member)> =
            self.entries[n_targets..].iter().enumerate().filter_map(|(s, e)| member(e).map(|m| (s, m))).collect();
        let mut groups: Vec<Option<f64>> = Vec::new();
        for e in &self.entries[..n_targets] {
            let gain = e.noise.map(|n| n.gain);
            if member(e).is_some() && !groups.iter().any(|g| g.map(f64::to_bits) == gain.map(f64::to_bits)) {
                groups.push(gain);
            }
        }
        groups.sort_by_key(|g| g.is_some());
        let source_members: Vec<Member> = sources.iter().map(|(_, m)| m.clone()).collect();
        for (k, (metric, _)) in self.metrics.iter().enumerate() {
            let name = &self.spec.metrics[k].name;
            if spec.metrics.as_ref().is_some_and(|names| !names.contains(name)) {
                continue;
            }
            for gain in &groups {
                let targets: Vec<(usize, Member)> = self.entries[..n_targets]
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.noise.map(|n| n.gain.to_bits()) == gain.map(f64::to_bits))
                    .filter_map(|(t, e)| member(e).map(|m| (t, m)))
                    .collect();
                let target_members: Vec<Member> = targets.iter().map(|(_, m)| m.clone()).collect();
                let table = |s: usize, t: usize| {
                    self.score_index.get(&(k, sources[s].0, targets[t].0)).map(|&i| self.scores[i].values.as_slice())
                };
                let label = match gain {
                    None => "without noise".to_string(),
                    Some(g) => format!("noisy (gain {g})"),
                };
                let (result, warnings) =
                    specificity::analyse(name, metric.higher_is_better(), (&label, *gain), &source_members, &target_members, &table);
                self.specificity.push(result);
                self.warnings.extend(warnings);
            }
        }
        if groups.is_empty() {
            self.warnings.push("specificity: the analysis needs zoo models among the targets".into());
        }
    }

    /// Identifiability of target t under metric k: needs a zoo target, a
    /// source of its architecture, and at least one source of another.
    fn verdicts(&self, k: usize, t: usize) -> Option<Identifiability> {
        let n_targets = self.spec.targets.len();
        let Kind::Zoo { arch, .. } = &self.entries[t].kind else { return None };
        let sources = &self.entries[n_targets..];
        let correct = sources.iter().position(|s| matches!(&s.kind, Kind::Zoo { arch: a, .. } if a == arch))?;
        // Nothing to identify when every source is of the target's architecture
        // (a population of seeds, as the specificity analysis compares).
        let other_arch = sources.iter().any(|s| !matches!(&s.kind, Kind::Zoo { arch: a, .. } if a == arch));
        if sources.len() < 2 || !other_arch {
            return None;
        }
        let table = |s: usize| self.score_index.get(&(k, s, t)).map(|&i| &self.scores[i]);
        let names = self.entries[t].layer_names();
        // The best of several scores: the largest, or the smallest for a distance.
        let higher = self.metrics[k].0.higher_is_better();
        let better = |a: f64, b: f64| if higher { a > b } else { a < b };
        let mut layers = Vec::new();
        for (m, layer) in names.iter().enumerate() {
            let best: Vec<Option<f64>> = (0..sources.len())
                .map(|s| {
                    table(s)?.values.iter().filter_map(|row| row[m]).fold(None, |b: Option<f64>, v| Some(b.map_or(v, |b| if better(v, b) { v } else { b })))
                })
                .collect();
            let Some(s_match) = best[correct] else { continue };
            let others: Vec<f64> = best.iter().enumerate().filter(|&(s, _)| s != correct).filter_map(|(_, v)| *v).collect();
            if others.is_empty() {
                continue;
            }
            let (best_s, _) = best
                .iter()
                .enumerate()
                .filter_map(|(s, v)| v.map(|v| (s, v)))
                .fold((correct, None), |acc: (usize, Option<f64>), (s, v)| match acc.1 {
                    Some(b) if !better(v, b) => acc,
                    _ => (s, Some(v)),
                });
            let per: BTreeMap<String, f64> =
                best.iter().enumerate().filter_map(|(s, v)| v.map(|v| (sources[s].id.clone(), v))).collect();
            layers.push(LayerVerdict {
                layer: layer.clone(),
                s_match,
                nonmatch_mean: others.iter().sum::<f64>() / others.len() as f64,
                // For a distance the sign is turned, so that a positive index still means the correct source is closer.
                index: identifiability_index(s_match, &others).ok().map(|i| if higher { i } else { -i }),
                best_source: sources[best_s].id.clone(),
                correct_won: best_s == correct,
                best_per_source: per,
            });
        }
        Some(Identifiability {
            metric: self.spec.metrics[k].name.clone(),
            better: self.metrics[k].0.better(),
            target: self.entries[t].id.clone(),
            correct_source: sources[correct].id.clone(),
            layers,
            set: None,
        })
    }

    /// The spec's `classes` on model target t under metric k.
    fn class_comparison(&self, k: usize, t: usize) -> Option<ClassComparison> {
        let spec = self.spec.classes.as_ref()?;
        let groups = spec.resolve().ok()?; // checked by Spec::validate
        let target_arch = match &self.entries[t].kind {
            Kind::Zoo { arch, .. } => Some(*arch),
            Kind::Onnx { .. } => None,
            _ => return None,
        };
        let n_targets = self.spec.targets.len();
        let sources: Vec<SourceTable> = self.entries[n_targets..]
            .iter()
            .enumerate()
            .filter_map(|(s, e)| {
                let Kind::Zoo { arch, .. } = &e.kind else { return None };
                let &i = self.score_index.get(&(k, s, t))?;
                Some(SourceTable { arch: *arch, values: &self.scores[i].values })
            })
            .collect();
        Some(ClassComparison {
            metric: self.spec.metrics[k].name.clone(),
            target: self.entries[t].id.clone(),
            excluded_arch: target_arch.map(|a| a.name().to_string()),
            alpha: spec.alpha(),
            layers: compare_classes(&groups, spec.alpha(), target_arch, &self.entries[t].layer_names(), &sources, self.metrics[k].0.higher_is_better()),
            set: None,
        })
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
                Kind::Zoo { seed, .. } => Some(*seed),
                _ => None,
            },
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
            warnings: self.warnings.clone(),
            seconds,
        })
    }
}

/// Folds image `image`'s recorded layers into the sinks: checks the unit
/// count, adds the spec's noise, keeps a subsample's columns, and feeds every sink.
fn fold_image(entry: &Entry, sinks: &mut [LayerSink], outputs: Vec<Vec<f32>>, image: usize) -> Result<()> {
    for ((sink, out), layer) in sinks.iter_mut().zip(outputs).zip(&entry.layers) {
        if out.len() != sink.given {
            return Err(Error::Model {
                model: entry.label.clone(),
                reason: format!("layer {} gave {} units, expected {}", layer.label, out.len(), sink.given),
            });
        }
        // Noise on every unit of the image, keyed by (seed, layer, image), before subsampling and every sink.
        let mut out = out;
        if let Some(noise) = entry.noise {
            add_row_noise(&mut out, noise.gain, noise.seed, &layer.label, image);
        }
        let out = match &sink.keep {
            Some(cols) => cols.iter().map(|&c| out[c]).collect(),
            None => out,
        };
        for f in sink.features.iter_mut().flatten() {
            f.push(&out)?;
        }
        sink.sums.push(out.iter().map(|&v| v as f64).sum());
        if let Some(g) = &mut sink.gram {
            g.push(out);
        }
    }
    Ok(())
}

/// One score cell.
#[derive(Default)]
struct Cell {
    value: Option<f64>,
    per_subject: Option<Vec<Option<f64>>>,
    p_value: Option<f64>,
    /// Named numbers beside the value, each kept in a table shaped as `values`.
    detail: Vec<(&'static str, Option<f64>)>,
}

/// Metric `metric` of one source layer against one target layer; None when
/// the metric does not apply to that target (e.g. CKA against an RDM).
fn score(k: usize, metric: MetricName, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
    let value = |v: f64| Cell { value: Some(v), ..Default::default() };
    match metric {
        MetricName::Cka | MetricName::CkaDebiased => {
            let (k, l) = (src.gram.as_ref()?, tgt.gram.as_ref()?);
            let f = if metric == MetricName::Cka { cka_from_grams } else { debiased_cka_from_grams };
            Some(f(k, l).map(value))
        }
        MetricName::Regression => {
            let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
            let opts = RegressionOptions {
                lambdas: p.lambda.clone(),
                folds: p.folds,
                test_fraction: p.test_fraction,
                // The sink already projected X and subsampled Y.
                projection_dim: x.ncols(),
                max_units: y.ncols(),
                seed: p.seed,
                splits: p.splits.clone(),
            };
            Some(regression(x, y, &opts).map(|r| value(r.value)))
        }
        MetricName::Nrp => {
            let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
            // The sink already projected X and subsampled Y; the grid is the quick one unless the params say otherwise.
            let params = MetricParams { projection_dim: x.ncols(), max_units: y.ncols(), ..p.clone() };
            Some(nrp_vs_ridge(x, y, &params, &p.nrp_options(NrpOptions::quick())).map(|r| Cell {
                value: Some(r.nrp.value),
                detail: vec![
                    ("mlp_mae", Some(r.nrp.mae)),
                    ("mlp_r2", Some(r.nrp.value)),
                    ("ridge_mae", Some(r.ridge_mae)),
                    ("ridge_r2", r.ridge_r2),
                ],
                ..Default::default()
            }))
        }
        MetricName::Rsa => Some(rsa_cell(k, p, src, tgt)),
        MetricName::SoftMatching => {
            // Both sinks kept at most max_units units (the seeded subset of `target_units`).
            let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
            Some(soft_matching(x, y).map(|r| value(r.value)))
        }
        _ => None,
    }
}

fn rsa_cell(k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Result<Cell> {
    let opts = RsaOptions { distance: Distance::parse(&p.rdm_distance)?, compare: Compare::parse(&p.compare)?, permutations: p.permutations, seed: p.seed };
    let a = src.rdm(k)?;
    let single = match tgt.rdms.len() {
        0 => Some(tgt.rdm(k)?),
        1 => Some(&tgt.rdms[0]),
        _ => None,
    };
    if let Some(b) = single {
        let r = rsa_rdms(a, b, &opts)?;
        return Ok(Cell { value: Some(r.value), p_value: r.p_value, ..Default::default() });
    }
    // Several subjects: each compared without a test; the p-value against their mean RDM.
    let quick = RsaOptions { permutations: 0, ..opts };
    let per = tgt.rdms.iter().map(|b| rsa_rdms(a, b, &quick).map(|r| r.value)).collect::<Result<Vec<f64>>>()?;
    let mean = per.iter().sum::<f64>() / per.len() as f64;
    let p_value = match (&tgt.mean, opts.permutations) {
        (Some(m), n) if n > 0 => rsa_rdms(a, m, &opts)?.p_value,
        _ => None,
    };
    Ok(Cell { value: Some(mean), per_subject: Some(per.into_iter().map(Some).collect()), p_value, ..Default::default() })
}

/// A responses target (stimuli x units, rows in stimulus order) as one
/// "layer": the entry's subsample of columns, then what each metric needs.
fn responses_layer(y: DMatrix<f64>, entry: &Entry, metrics: &[(MetricName, MetricParams)], key: &str, keep: bool) -> Result<LayerData> {
    // The same per-image draws as a model's, with the file's (or dataset's) name as the layer.
    let y = match entry.noise {
        Some(noise) => poisson_like_noise_by_row(&y, noise.gain, noise.seed, key)?,
        None => y,
    };
    let y = match entry.kept_columns(y.ncols())? {
        Some(cols) => y.select_columns(cols.iter()),
        None => y,
    };
    let features = metrics
        .iter()
        .map(|(m, p)| match m {
            MetricName::Regression | MetricName::Nrp | MetricName::SoftMatching => {
                Some(y.select_columns(target_units(y.ncols(), p.max_units, p.seed).iter()))
            }
            _ => None,
        })
        .collect();
    let sums = (0..y.nrows()).map(|i| y.row(i).sum()).collect();
    let kept = keep.then(|| Rows::F64(y.clone()));
    Ok(LayerData { gram: Some(linear_gram(&y)), sums, units: y.ncols(), features, kept, ..Default::default() })
}

/// What a layer's sink folded in; with `keep`, its rows too (for the export).
fn finish_sink(s: LayerSink, keep: bool) -> LayerData {
    let (gram, kept) = match s.gram {
        Some(g) if keep => {
            let (k, rows) = g.finish_with_rows();
            (Some(k), Some(Rows::F32(rows)))
        }
        g => (g.map(GramSink::finish), None),
    };
    LayerData {
        gram,
        kept,
        sums: s.sums,
        units: s.units,
        features: s.features.into_iter().map(|f| f.map(FeatureSink::finish)).collect(),
        ..Default::default()
    }
}

/// Drops repeated names, keeping the first of each in order (a file named by several entries is added once).
fn unique(names: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
}

fn empty2(values: &[Vec<Option<f64>>]) -> Vec<Vec<Option<f64>>> {
    values.iter().map(|r| vec![None; r.len()]).collect()
}

fn empty3(values: &[Vec<Option<f64>>]) -> Vec<Vec<Vec<Option<f64>>>> {
    values.iter().map(|r| vec![Vec::new(); r.len()]).collect()
}

/// Says which part of the spec an error is about.
fn in_field(field: &str, e: Error) -> Error {
    match e {
        Error::Spec(m) => Error::Spec(format!("{field}: {m}")),
        other => other,
    }
}
