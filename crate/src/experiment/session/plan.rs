//! The plan of a run, built once from a validated spec: its metrics, its
//! stimulus set, and its entries (targets first, then sources, in spec
//! order), each resolved from the spec to a kind, a role and a label.
//! Sessions take a plan; an experiment over several stimulus sets builds one
//! and hands each set a copy.

use super::super::datasets::{self, Dataset, DatasetKind};
use super::super::spec::{ModelRef, ModelSpec, NoiseSpec, NormOverride, Spec, StimuliSpec, UnitSubsample, WeightsRef};
use crate::error::{Error, Result};
use crate::metrics::rdm::Rdm;
use crate::metrics::registry::{MetricName, MetricParams};
use crate::stats::subsample::{subsample_columns, SubsampleSize};
use crate::stimuli::{sets, Preprocess};
use crate::weights::catalogue::Entry as CatalogueEntry;
use crate::zoo::{Arch, Probe};
use nalgebra::DMatrix;

#[derive(Clone)]
pub(crate) enum Kind {
    Zoo { arch: Arch, seed: u64 },
    /// A user's ONNX file, or a TFLite file converted to ONNX (`tflite`);
    /// `bytes` arrive with [`super::Session::add_model`] and are released
    /// once the model is built. A shipped TFLite model's `file` is its
    /// site-relative path.
    Onnx { file: String, requested: Vec<String>, size: Option<u32>, norm: NormOverride, bytes: Option<Vec<u8>>, added: bool, tflite: Option<Tflite> },
    /// A user's responses (stimuli x units), parsed when added.
    Responses { file: String, key: Option<String>, matrix: Option<DMatrix<f64>> },
    /// A user's RDMs, one per subject.
    Rdms { file: String, key: Option<String>, rdms: Option<Vec<Rdm>> },
    /// Shipped data (RDMs, or responses read as a responses target);
    /// `files[i]` arrives with [`super::Session::add_data`].
    Dataset { d: &'static Dataset, files: Vec<Option<Vec<u8>>> },
}

/// A TFLite model: a user's file, or a shipped one of the catalogue.
#[derive(Clone, Copy)]
pub(crate) struct Tflite {
    pub shipped: Option<&'static CatalogueEntry>,
}

/// A zoo model's trained weights: where they come from, and once added, the
/// file's bytes (held until the model is built, then freed) and what it held.
#[derive(Clone)]
pub(crate) struct Trained {
    /// `file`, `url` or `shipped`.
    pub kind: &'static str,
    /// The name [`super::Session::add_weights`] takes (file name, URL or site-relative path).
    pub key: String,
    /// The file's own name, for labels.
    pub file_name: String,
    pub url: Option<String>,
    /// The sha256 the spec or the catalogue expects.
    pub expected: Option<String>,
    /// The catalogue's entry, for a shipped file or a URL it lists.
    pub catalogue: Option<&'static CatalogueEntry>,
    pub bytes: Option<Vec<u8>>,
    /// Once added: sha256, size and format of the file.
    pub added: Option<(String, usize, String)>,
    /// What `weights::apply` reported when the model was built.
    pub applied: Option<serde_json::Value>,
}

impl Trained {
    fn new(w: WeightsRef<'_>) -> Trained {
        let catalogue = match w {
            WeightsRef::Shipped { entry } => Some(entry),
            _ => w.sha256().and_then(crate::weights::catalogue::by_sha256),
        };
        Trained {
            kind: w.kind(),
            key: w.key().into(),
            file_name: w.file_name().into(),
            url: w.url().map(Into::into),
            expected: w.sha256().map(str::to_ascii_lowercase),
            catalogue,
            bytes: None,
            added: None,
            applied: None,
        }
    }

    /// `(trained: FILE, sha256 1234abcd)`: short, as it is a plot label; the full hash is in the result.
    pub fn label_part(&self, sha256: Option<&str>) -> String {
        match sha256 {
            Some(h) => format!("(trained: {}, sha256 {})", self.file_name, &h[..h.len().min(8)]),
            None => format!("(trained: {})", self.file_name),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Role {
    Source,
    Target,
}

#[derive(Clone)]
pub(crate) struct Entry {
    pub id: String,
    pub role: Role,
    pub label: String,
    pub kind: Kind,
    /// Known at [`Plan::new`] for a zoo model, at [`super::Session::add_model`] for a user model.
    pub layers: Vec<Probe>,
    pub preprocess: Option<Preprocess>,
    /// Data targets: subject names (RDMs) or unit count (responses), known once added.
    pub subjects: Vec<String>,
    pub units: Option<usize>,
    /// Keep a seeded fraction of each layer's units.
    pub subsample: Option<UnitSubsample>,
    /// Poisson-like noise added to the responses before any sink sees them.
    pub noise: Option<NoiseSpec>,
    /// Models: the fraction of each weight tensor to prune before building.
    pub prune: Option<f64>,
    /// A zoo model's trained weights (its `Kind::Zoo` seed is then unused).
    pub weights: Option<Trained>,
    /// What identifiability recognises in the model: the spec's `identity`,
    /// else a zoo model's architecture name; none for a user model without one, or data.
    pub identity: Option<String>,
}

impl Entry {
    /// The columns kept of a layer of `p` units, when subsampled.
    pub fn kept_columns(&self, p: usize) -> Result<Option<Vec<usize>>> {
        self.subsample.map(|s| subsample_columns(p, SubsampleSize::Fraction(s.fraction), s.seed)).transpose()
    }

    pub fn is_model(&self) -> bool {
        matches!(self.kind, Kind::Zoo { .. } | Kind::Onnx { .. })
    }

    /// Images its fully connected head runs at once: [`super::HEAD_BATCH`] for
    /// a zoo architecture whose head's weights outweigh its trunk's work
    /// ([`Arch::batches_head`]), else 1 (a user's file keeps one image at a time).
    pub fn head_batch(&self) -> usize {
        match self.kind {
            Kind::Zoo { arch, .. } if arch.batches_head() => super::HEAD_BATCH,
            _ => 1,
        }
    }

    pub fn layer_names(&self) -> Vec<String> {
        match &self.kind {
            Kind::Zoo { .. } | Kind::Onnx { .. } => self.layers.iter().map(|l| l.label.clone()).collect(),
            _ => vec![self.label.clone()],
        }
    }
}

/// What a session runs: the spec (one stimulus set), its metrics, the set
/// resolved, and the entries.
#[derive(Clone)]
pub struct Plan {
    pub(crate) spec: Spec,
    pub(crate) metrics: Vec<(MetricName, MetricParams)>,
    /// The stimulus set: image names, files to fetch, origin.
    pub(crate) set: sets::Resolved,
    /// Targets first, then sources, in spec order: the order they run in.
    pub(crate) entries: Vec<Entry>,
}

impl Plan {
    /// Validates `spec` and plans its run on `spec.stimuli` (its `more_stimuli`
    /// are the business of [`crate::experiment::Experiment`]).
    pub fn new(spec: Spec) -> Result<Plan> {
        spec.validate()?;
        Plan::from_validated(spec)
    }

    /// The plan of a spec that [`Spec::validate`] accepted (as
    /// [`Spec::from_json`] does): every model is resolved here, once.
    pub(crate) fn from_validated(spec: Spec) -> Result<Plan> {
        let metrics = spec.metrics.iter().map(|m| Ok((m.metric()?, m.params()))).collect::<Result<Vec<_>>>()?;
        let mut entries = Vec::new();
        for (i, m) in spec.targets.iter().enumerate() {
            entries.push(entry(&spec, m, Role::Target, i).map_err(|e| in_field(&format!("targets[{i}]"), e))?);
        }
        for (i, m) in spec.sources.iter().enumerate() {
            entries.push(entry(&spec, m, Role::Source, i).map_err(|e| in_field(&format!("sources[{i}]"), e))?);
        }
        let set = spec.stimuli.resolve()?;
        Ok(Plan { spec, metrics, set, entries })
    }

    /// The same run on another stimulus set (the spec's `stimuli` replaced,
    /// `more_stimuli` dropped); the entries are copied, not resolved again.
    /// Data targets belong to the set they were planned for.
    pub(crate) fn on_set(&self, stimuli: &StimuliSpec) -> Result<Plan> {
        let spec = Spec { stimuli: stimuli.clone(), more_stimuli: None, ..self.spec.clone() };
        let set = spec.stimuli.resolve()?;
        Ok(Plan { spec, metrics: self.metrics.clone(), set, entries: self.entries.clone() })
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Site-relative paths of the stimulus images to fetch, in order (none
    /// for a generated set or an upload).
    pub fn stimulus_paths(&self) -> &[String] {
        &self.set.files
    }

    /// The set's images, when known before the run (not for an upload).
    pub fn stimulus_count(&self) -> Option<usize> {
        (self.set.origin != sets::Origin::Upload).then_some(self.set.names.len())
    }

    /// The files the spec names, each once: the user's ONNX and TFLite files,
    /// the user's data files (`responses` and `rdms` values) and the shipped data.
    pub fn files(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        (model_files(&self.entries), data_files(&self.entries), dataset_paths(&self.entries))
    }

    /// The weights files the spec needs, each once (see [`WeightsNeed`]).
    pub fn weights_needed(&self) -> Vec<WeightsNeed> {
        weights_needed(&self.entries)
    }

    /// The models' shared input side, as far as known before their files
    /// arrive; an error when two models need different sizes.
    pub fn input_size(&self) -> Result<Option<u32>> {
        input_size(&self.entries)
    }

    /// The first target that is data (read from a file, not recorded), if any.
    pub(crate) fn first_data_target(&self) -> Option<usize> {
        self.entries.iter().position(|e| e.role == Role::Target && !e.is_model())
    }
}

/// The entry of spec model `m` in role `role`, the `index`-th of its side.
fn entry(spec: &Spec, m: &ModelSpec, role: Role, index: usize) -> Result<Entry> {
    let id = format!("{}{index}", if role == Role::Source { "s" } else { "t" });
    // (label, kind, layers, preprocess, subjects) of each kind of entry.
    let mut weights = None;
    let (label, kind, layers, preprocess, subjects): (String, Kind, Vec<Probe>, Option<Preprocess>, Vec<String>) = match m.resolve()? {
        ModelRef::Zoo { arch, seed, weights: w } => {
            let label = match w {
                None => format!("{} seed {seed}", arch.name()),
                Some(w) => {
                    let t = Trained::new(w);
                    let label = format!("{} {}", arch.name(), t.label_part(t.expected.as_deref()));
                    weights = Some(t);
                    label
                }
            };
            // Trained weights may have been trained on another normalisation than the architecture's.
            let preprocess = match &m.weights {
                Some(w) => w.preprocess(arch.preprocess())?,
                None => arch.preprocess(),
            };
            (label, Kind::Zoo { arch, seed }, spec.recorded_layers(arch, m)?, Some(preprocess), Vec::new())
        }
        ModelRef::Onnx { file, layers, size, norm } => {
            let kind = Kind::Onnx { file: file.into(), requested: layers.to_vec(), size, norm, bytes: None, added: false, tflite: None };
            (file.into(), kind, Vec::new(), None, Vec::new())
        }
        ModelRef::Tflite { file, shipped, layers, size, norm } => {
            let (key, label, requested) = match shipped {
                // A shipped model's layers may be named by the catalogue's labels; the default is its list.
                Some(e) => {
                    let requested = match layers {
                        Some(l) => l.iter().map(|n| e.layers.iter().find(|c| &c.label == n).map_or(n.clone(), |c| c.tensor.clone())).collect(),
                        None => e.layers.iter().map(|c| c.tensor.clone()).collect(),
                    };
                    (e.url.clone(), format!("{} (trained)", e.id.rsplit('/').next().unwrap_or(&e.id)), requested)
                }
                None => (file.to_string(), file.to_string(), layers.unwrap_or_default().to_vec()),
            };
            let kind = Kind::Onnx { file: key, requested, size, norm, bytes: None, added: false, tflite: Some(Tflite { shipped }) };
            (label, kind, Vec::new(), None, Vec::new())
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
    let mut e = Entry { id, role, label, kind, layers, preprocess, subjects, units, subsample: m.subsample, noise: m.noise, prune: m.prune, weights, identity: None };
    if e.is_model() {
        e.identity = m.identity_or_arch();
    }
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
}

/// Says which part of the spec an error is about.
fn in_field(field: &str, e: Error) -> Error {
    match e {
        Error::Spec(m) => Error::Spec(format!("{field}: {m}")),
        other => other,
    }
}

/// The shared input side of the models among `entries`, once every model's
/// preprocessing is known (None before a user model arrives; the generated
/// sets' size when there is no model); an error when they differ.
pub(crate) fn input_size(entries: &[Entry]) -> Result<Option<u32>> {
    let mut first: Option<(&Entry, u32)> = None;
    for e in entries.iter().filter(|e| e.is_model()) {
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

/// The user-model files (`onnx` values and `.tflite` files) named by `entries`,
/// each once; a shipped TFLite model is among [`weights_needed`].
pub(crate) fn model_files(entries: &[Entry]) -> Vec<String> {
    unique(entries.iter().filter_map(|e| match &e.kind {
        Kind::Onnx { tflite: Some(Tflite { shipped: Some(_) }), .. } => None,
        Kind::Onnx { file, .. } => Some(file.clone()),
        _ => None,
    }))
}

/// A weights file a spec needs before it runs: the user's file, a URL to
/// fetch, or a file shipped with the site (a trained zoo model's weights, or
/// a shipped TFLite model), handed to [`super::Session::add_weights`] as `name`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WeightsNeed {
    /// What `add_weights` takes: the file name, the URL, or the site-relative path.
    pub name: String,
    /// `file`, `url` or `shipped`.
    pub kind: &'static str,
    /// Where to fetch it (the URL, or the site-relative path); none for a user's file.
    pub url: Option<String>,
    /// The sha256 it must have, when known.
    pub sha256: Option<String>,
    /// Its size, when the catalogue knows it.
    pub bytes: Option<u64>,
}

impl WeightsNeed {
    /// A file shipped with the site (a shipped TFLite model), by its catalogue entry.
    pub fn shipped(c: &crate::weights::catalogue::Entry) -> WeightsNeed {
        WeightsNeed { name: c.url.clone(), kind: "shipped", url: Some(c.url.clone()), sha256: c.sha256.clone(), bytes: c.bytes }
    }
}

/// The weights files named by `entries`, each once.
pub(crate) fn weights_needed(entries: &[Entry]) -> Vec<WeightsNeed> {
    let all = entries.iter().filter_map(|e| match (&e.weights, &e.kind) {
        (Some(t), _) => Some(WeightsNeed {
            name: t.key.clone(),
            kind: t.kind,
            url: t.url.clone(),
            sha256: t.expected.clone(),
            bytes: t.catalogue.and_then(|c| c.bytes),
        }),
        (None, Kind::Onnx { tflite: Some(Tflite { shipped: Some(c) }), .. }) => Some(WeightsNeed::shipped(c)),
        _ => None,
    });
    let mut seen = std::collections::HashSet::new();
    all.filter(|w| seen.insert(w.name.clone())).collect()
}

/// The user's data files (`responses` and `rdms` values) named by `entries`, each once.
pub(crate) fn data_files(entries: &[Entry]) -> Vec<String> {
    unique(entries.iter().filter_map(|e| match &e.kind {
        Kind::Responses { file, .. } | Kind::Rdms { file, .. } => Some(file.clone()),
        _ => None,
    }))
}

/// Site-relative paths of the shipped data named by `entries`, each once.
pub(crate) fn dataset_paths(entries: &[Entry]) -> Vec<String> {
    unique(entries.iter().flat_map(|e| match &e.kind {
        Kind::Dataset { d, .. } => d.files(),
        _ => Vec::new(),
    }))
}

/// The names in order, the first of each kept (a file named by several entries is added once).
fn unique(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names.filter(|n| seen.insert(n.clone())).collect()
}
