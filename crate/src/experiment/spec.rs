//! The versioned experiment spec: the only thing that crosses from the page to
//! the worker and from the CLI to the core. Results carry the spec they came from.

use super::classes::ClassesSpec;
use crate::error::{Error, Result};
use crate::metrics::registry::{MetricName, MetricParams};
use crate::stimuli::{sets, Channels, Preprocess};
use crate::zoo::{Arch, Probe};
use super::exports::ExportSpec;
use serde::{Deserialize, Serialize};

/// Spec format version this build writes. Version 1 (one `source`, one
/// `target`, one `metric`) is still read: [`Spec::from_json`] upgrades it.
pub const SPEC_VERSION: u32 = 2;

/// One experiment: every source model scored against every target, layer by
/// layer, with every metric listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Format version; must be [`SPEC_VERSION`] (or 1, upgraded on reading).
    pub idlab: u32,
    /// A human title, shown by the page and kept in results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The paper figure a preset reproduces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figure: Option<String>,
    /// What the paper found and what to look for, shown beside the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    pub stimuli: StimuliSpec,
    /// Further stimulus sets: the whole experiment runs again on each, and
    /// the result compares identifiability across sets (targets must be models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_stimuli: Option<Vec<StimuliSpec>>,
    /// The candidate models.
    pub sources: Vec<ModelSpec>,
    /// What they are scored against: models, or recorded responses or RDMs.
    pub targets: Vec<ModelSpec>,
    /// Layers to record on every zoo model that names none of its own; all
    /// recorded layers of the architecture when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
    /// The scores to compute for every source layer x target layer.
    pub metrics: Vec<MetricSpec>,
    /// Compare two classes of source architectures on every model target,
    /// layer by layer (see [`super::classes`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<ClassesSpec>,
    /// Activations and RDMs to keep for download as .npy files (see [`super::exports`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportSpec>,
    /// The predictivity vs specificity analysis (Thobani et al.) of the zoo
    /// models: same-layer predictivity over pairs of different seeds of one
    /// architecture, and the silhouette and MDS of the population's layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specificity: Option<SpecificitySpec>,
}

/// Which metrics the specificity analysis runs on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecificitySpec {
    /// Names from `metrics`; every metric when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
}

/// A metric and its parameters (the defaults of [`MetricParams`] where absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// `cka`, `cka-debiased`, `rsa`, `regression`, `soft-matching` or `nrp`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<MetricParams>,
}

impl MetricSpec {
    pub fn metric(&self) -> Result<MetricName> {
        let m = MetricName::parse(&self.name)?;
        if !EXPERIMENT_METRICS.contains(&m) {
            return Err(Error::Spec(format!(
                "metric \"{}\" is not available in experiments yet (it is in `idlab metric`); experiments run: {}",
                self.name,
                EXPERIMENT_METRICS.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        if m == MetricName::SoftMatching {
            let units = self.params().max_units;
            if units == 0 || units > SOFT_MATCHING_MAX_UNITS {
                return Err(Error::Spec(format!(
                    "soft-matching compares a seeded subset of at most params.max_units units per layer on each side, \
                     and its exact solver takes at most {SOFT_MATCHING_MAX_UNITS} x {SOFT_MATCHING_MAX_UNITS}; \
                     set params.max_units between 1 and {SOFT_MATCHING_MAX_UNITS} (it is {units}{})",
                    if units == MetricParams::default().max_units { ", the default" } else { "" }
                )));
            }
        }
        Ok(m)
    }

    pub fn params(&self) -> MetricParams {
        self.params.clone().unwrap_or_default()
    }
}

/// The metrics an experiment computes from what the sinks fold in.
/// `soft-matching` is a distance: lower values mean more similar (see
/// [`MetricName::higher_is_better`]).
pub const EXPERIMENT_METRICS: &[MetricName] =
    &[MetricName::Cka, MetricName::CkaDebiased, MetricName::Rsa, MetricName::Regression, MetricName::SoftMatching, MetricName::Nrp];

/// The most units per side soft matching keeps in an experiment: the exact
/// transport solver takes at most `transport::MAX_CELLS` = 1000 x 1000 unit pairs.
pub const SOFT_MATCHING_MAX_UNITS: usize = 1000;

/// Which images to show the models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StimuliSpec {
    /// A named set: `kriegeskorte92` (shipped photographs), `kriegeskorte92-scrambled`
    /// (the same, phase-scrambled), or the generated `textures` and `objects`.
    pub set: String,
    /// Use only the first N images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Images in a generated set (default 92).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// Seed of a generated or scrambled set (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The `upload` set's folder or .zip: its name in the page, a path
    /// relative to the spec's folder for the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

impl StimuliSpec {
    /// The set's image names, files to fetch and origin.
    pub fn resolve(&self) -> Result<sets::Resolved> {
        match (&self.folder, self.set == sets::UPLOAD) {
            (None, true) => return Err(Error::Spec("stimuli: an upload names its folder or .zip (\"folder\")".into())),
            (Some(_), false) => return Err(Error::Spec(format!("stimuli.folder is for the upload set, not \"{}\"", self.set))),
            _ => {}
        }
        sets::resolve(&self.set, self.limit, self.count, self.seed)
    }

    /// The set's display name: `set`, with an upload's folder in brackets.
    pub fn label(&self) -> String {
        match &self.folder {
            Some(f) => format!("{} ({f})", self.set),
            None => self.set.clone(),
        }
    }

    /// True for the user's own images, whose count is known only as they are added.
    pub fn is_upload(&self) -> bool {
        self.set == sets::UPLOAD
    }
}

/// A source or a target: a zoo architecture and the seed of its weights
/// (`{"arch", "seed", "layers"?}`), a user's ONNX file and the tensors to
/// record on it (`{"onnx", "layers", "size"?, ...}`, bytes handed to
/// [`crate::experiment::Session::add_model`]), or, as a target only, recorded
/// data: a user's responses (`{"responses": file}`, stimuli x units) or RDMs
/// (`{"rdms": file}`, one n x n or a subjects x n x n stack), or a dataset
/// shipped with the site (`{"dataset": "kriegeskorte92/human-it"}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Zoo architecture name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Seed of the zoo model's weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// A user model: the ONNX file's name (the CLI reads it relative to the spec's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnx: Option<String>,
    /// Layers to record: tensor or node names of a user model (required with
    /// `onnx`), or a subset of a zoo model's recorded layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
    /// Input side for the user model, overriding its metadata and graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Per-channel mean for the user model (model's channel order, [0, 1] scale),
    /// overriding its metadata (default: ImageNet's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<[f32; 3]>,
    /// Per-channel std for the user model, overriding its metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<[f32; 3]>,
    /// Channel order the user model takes: "rgb" (default) or "bgr".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Channels>,
    /// A user's responses file (.npy, .npz, .csv, .mat): stimuli x units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses: Option<String>,
    /// A user's RDM file: n x n, or subjects x n x n.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdms: Option<String>,
    /// The array to take from an .npz or .mat file holding several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A dataset shipped with the site; see [`crate::experiment::datasets`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// A display name (default: derived from the model or file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Keep only a seeded random fraction of each layer's units (a target
    /// recorded partially, as an electrode array samples a few neurons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsample: Option<UnitSubsample>,
    /// Seeded Poisson-like noise on the responses (`crate::stats::noise`),
    /// added to every recorded activation before anything is kept of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<NoiseSpec>,
    /// A zoo or ONNX model with this fraction (0 to 0.95) of every Conv and
    /// Linear weight tensor set to zero, the smallest |w| of each tensor
    /// first (per-layer L1 unstructured magnitude pruning; see
    /// [`crate::runtime::prune`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<f64>,
}

/// Poisson-like noise r + sqrt(gain · max(r, 0)) · ε on a model's responses
/// (or a responses file), ε drawn per image from a stream keyed by (seed,
/// layer, image index), so a streamed run equals noise added to the full
/// activations (see `crate::stats::noise::add_row_noise`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseSpec {
    /// The Fano factor, in the responses' units: variance = gain x response; 0 adds nothing.
    pub gain: f64,
    #[serde(default)]
    pub seed: u64,
}

/// A seeded random fraction of a target's units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitSubsample {
    /// In (0, 1]: round(fraction x units), at least 1, per layer.
    pub fraction: f64,
    #[serde(default)]
    pub seed: u64,
}

/// Preprocessing a spec gives for a user model; each part given replaces what
/// the file's metadata (or the ImageNet default) says.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NormOverride {
    pub mean: Option<[f32; 3]>,
    pub std: Option<[f32; 3]>,
    pub channels: Option<Channels>,
}

impl NormOverride {
    /// `base` with the given parts replaced.
    pub fn apply(&self, base: Preprocess) -> Preprocess {
        Preprocess {
            mean: self.mean.unwrap_or(base.mean),
            std: self.std.unwrap_or(base.std),
            channels: self.channels.unwrap_or(base.channels),
            ..base
        }
    }
}

/// What a [`ModelSpec`] names, once checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelRef<'a> {
    Zoo { arch: Arch, seed: u64 },
    Onnx { file: &'a str, layers: &'a [String], size: Option<u32>, norm: NormOverride },
    Responses { file: &'a str, key: Option<&'a str> },
    Rdms { file: &'a str, key: Option<&'a str> },
    Dataset { name: &'a str },
}

impl ModelSpec {
    /// A zoo side.
    pub fn zoo(arch: &str, seed: u64) -> ModelSpec {
        ModelSpec { arch: Some(arch.into()), seed: Some(seed), ..Default::default() }
    }

    /// A user-model side.
    pub fn onnx(file: &str, layers: &[&str]) -> ModelSpec {
        ModelSpec { onnx: Some(file.into()), layers: Some(layers.iter().map(|s| s.to_string()).collect()), ..Default::default() }
    }

    /// Which kind of side this is, with the error a user understands when it is none or several.
    pub fn resolve(&self) -> Result<ModelRef<'_>> {
        const KINDS: &str = "give one of: arch and seed (a zoo model), onnx and layers (your model), \
                             responses or rdms (your data file), or dataset (shipped data)";
        let given: Vec<&str> = [
            ("arch", self.arch.is_some() || self.seed.is_some()),
            ("onnx", self.onnx.is_some()),
            ("responses", self.responses.is_some()),
            ("rdms", self.rdms.is_some()),
            ("dataset", self.dataset.is_some()),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| *k)
        .collect();
        if given.len() != 1 {
            let what = if given.is_empty() { "none".to_string() } else { given.join(" and ") };
            return Err(Error::Spec(format!("{KINDS} (found {what})")));
        }
        let onnx_only = self.size.is_some() || self.mean.is_some() || self.std.is_some() || self.channels.is_some();
        let data_fields = |kind: &str| -> Result<()> {
            if onnx_only || self.layers.is_some() {
                return Err(Error::Spec(format!("{kind} takes no layers, size, mean, std or channels (they go with onnx)")));
            }
            Ok(())
        };
        if let Some(sub) = self.subsample {
            if !(sub.fraction > 0.0 && sub.fraction <= 1.0) {
                return Err(Error::Spec(format!("subsample.fraction must be in (0, 1], got {}", sub.fraction)));
            }
            let rdm_dataset = self.dataset.as_deref().and_then(|d| super::datasets::lookup(d).ok()).is_some_and(|d| !d.is_responses());
            if self.rdms.is_some() || rdm_dataset {
                return Err(Error::Spec("subsample keeps a fraction of units; RDMs have none".into()));
            }
        }
        if let Some(noise) = self.noise {
            crate::stats::noise::check_gain(noise.gain).map_err(|_| Error::Spec(format!("noise.gain must be finite and at least 0, got {}", noise.gain)))?;
            if self.rdms.is_some() || self.dataset.is_some() {
                return Err(Error::Spec("noise is added to responses (a model's or a responses file's); RDMs have none".into()));
            }
        }
        if let Some(f) = self.prune {
            if self.arch.is_none() && self.seed.is_none() && self.onnx.is_none() {
                return Err(Error::Spec("prune goes with a model (arch and seed, or onnx); data has no weights".into()));
            }
            crate::runtime::prune::check_fraction(f)?;
        }
        if self.key.is_some() && self.responses.is_none() && self.rdms.is_none() {
            return Err(Error::Spec("key names an array inside a responses or rdms file".into()));
        }
        match given[0] {
            "arch" => {
                let (Some(arch), Some(seed)) = (&self.arch, self.seed) else {
                    let missing = if self.arch.is_none() { "arch" } else { "seed" };
                    return Err(Error::Spec(format!("a zoo model needs arch and seed ({missing} is missing)")));
                };
                if onnx_only {
                    return Err(Error::Spec("size, mean, std and channels go with onnx; a zoo model has its own".into()));
                }
                Ok(ModelRef::Zoo { arch: Arch::parse(arch)?, seed })
            }
            "onnx" => {
                let file = self.onnx.as_deref().unwrap_or_default();
                let layers = match &self.layers {
                    None => return Err(Error::Spec(format!("onnx model {file} needs \"layers\": the tensor or node names to record (`idlab inspect {file}` lists them)"))),
                    Some(l) if l.is_empty() => return Err(Error::Spec(format!("onnx model {file}: layers is an empty list"))),
                    Some(l) => l.as_slice(),
                };
                if file.is_empty() {
                    return Err(Error::Spec("onnx is an empty file name".into()));
                }
                if self.size == Some(0) {
                    return Err(Error::Spec(format!("onnx model {file}: size must be positive")));
                }
                if let Some(s) = self.std {
                    if s.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                        return Err(Error::Spec(format!("onnx model {file}: std must be three positive numbers, got {s:?}")));
                    }
                }
                if let Some(m) = self.mean {
                    if m.iter().any(|v| !v.is_finite()) {
                        return Err(Error::Spec(format!("onnx model {file}: mean must be three finite numbers, got {m:?}")));
                    }
                }
                let norm = NormOverride { mean: self.mean, std: self.std, channels: self.channels };
                Ok(ModelRef::Onnx { file, layers, size: self.size, norm })
            }
            kind => {
                data_fields(kind)?;
                let file = match kind {
                    "responses" => self.responses.as_deref(),
                    "rdms" => self.rdms.as_deref(),
                    _ => self.dataset.as_deref(),
                }
                .unwrap_or_default();
                if file.is_empty() {
                    return Err(Error::Spec(format!("{kind} is an empty name")));
                }
                let key = self.key.as_deref();
                Ok(match kind {
                    "responses" => ModelRef::Responses { file, key },
                    "rdms" => ModelRef::Rdms { file, key },
                    _ => ModelRef::Dataset { name: file },
                })
            }
        }
    }

    /// The user model's file name, for an onnx side.
    pub fn onnx_file(&self) -> Option<&str> {
        match self.resolve() {
            Ok(ModelRef::Onnx { file, .. }) => Some(file),
            _ => None,
        }
    }
}

impl Spec {
    /// Parses and validates a spec from JSON text; a version 1 spec is upgraded.
    pub fn from_json(text: &str) -> Result<Spec> {
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Spec(e.to_string()))?;
        if value.get("idlab").and_then(|v| v.as_u64()) == Some(1) {
            upgrade_v1(&mut value)?;
        }
        let spec: Spec = serde_json::from_value(value).map_err(|e| Error::Spec(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks everything that can be checked before any work starts.
    pub fn validate(&self) -> Result<()> {
        if self.idlab != SPEC_VERSION {
            return Err(Error::Spec(format!(
                "spec version {} is not supported; this build reads versions 1 and {SPEC_VERSION}",
                self.idlab
            )));
        }
        if self.metrics.is_empty() {
            return Err(Error::Spec("metrics is an empty list; name at least one (e.g. {\"name\": \"cka\"})".into()));
        }
        for (i, m) in self.metrics.iter().enumerate() {
            m.metric().map_err(|e| in_field(&format!("metrics[{i}]"), as_spec(e)))?;
        }
        if let Some(names) = self.specificity.as_ref().and_then(|s| s.metrics.as_ref()) {
            if names.is_empty() {
                return Err(Error::Spec("specificity.metrics is an empty list; leave it out to analyse every metric".into()));
            }
            for n in names {
                if !self.metrics.iter().any(|m| &m.name == n) {
                    let known: Vec<&str> = self.metrics.iter().map(|m| m.name.as_str()).collect();
                    return Err(Error::Spec(format!("specificity.metrics names \"{n}\", which is not among the spec's metrics ({})", known.join(", "))));
                }
            }
        }
        if let Some(x) = &self.export {
            x.validate()?;
        }
        for (i, set) in self.stimulus_sets().into_iter().enumerate() {
            let field = if i == 0 { "stimuli".to_string() } else { format!("more_stimuli[{}]", i - 1) };
            let n = set.resolve().map_err(|e| in_field(&field, e))?.names.len();
            if n < 3 && !set.is_upload() {
                return Err(Error::Spec(format!("{field}: the metrics need at least 3 stimuli, the spec asks for {n}")));
            }
        }
        if self.sources.is_empty() || self.targets.is_empty() {
            return Err(Error::Spec("give at least one source and one target".into()));
        }
        for (role, list) in [("sources", &self.sources), ("targets", &self.targets)] {
            for (i, m) in list.iter().enumerate() {
                let field = format!("{role}[{i}]");
                if role == "sources" && m.subsample.is_some() {
                    return Err(Error::Spec(format!("{field}: subsample is for targets (a partly recorded system)")));
                }
                match m.resolve().map_err(|e| in_field(&field, e))? {
                    ModelRef::Zoo { arch, .. } => {
                        self.recorded_layers(arch, m).map_err(|e| in_field(&field, e))?;
                    }
                    ModelRef::Onnx { .. } => {}
                    _ if role == "sources" => {
                        return Err(Error::Spec(format!("{field}: a source is a model (arch and seed, or onnx); data files are targets")));
                    }
                    ModelRef::Dataset { name } => {
                        super::datasets::find(name, &self.stimuli.set).map_err(|e| in_field(&field, e))?;
                    }
                    _ => {}
                }
            }
        }
        if let Some(c) = &self.classes {
            c.resolve()?;
            if !self.targets.iter().any(|t| matches!(t.resolve(), Ok(ModelRef::Zoo { .. } | ModelRef::Onnx { .. }))) {
                return Err(Error::Spec("classes compares sources on model targets; the spec has none".into()));
            }
        }
        Ok(())
    }

    /// Every stimulus set the experiment runs on: `stimuli`, then `more_stimuli`.
    pub fn stimulus_sets(&self) -> Vec<&StimuliSpec> {
        std::iter::once(&self.stimuli).chain(self.more_stimuli.iter().flatten()).collect()
    }

    /// The layers recorded on zoo model `m` of architecture `arch`: its own
    /// list, else the spec's, checked, else all recorded layers of `arch`.
    pub fn recorded_layers(&self, arch: Arch, m: &ModelSpec) -> Result<Vec<Probe>> {
        match m.layers.as_ref().or(self.layers.as_ref()) {
            None => arch.layers().iter().map(|l| arch.probe(&l.name)).collect(),
            Some(names) if names.is_empty() => Err(Error::Spec("layers is an empty list".into())),
            Some(names) => names.iter().map(|n| arch.probe(n)).collect(),
        }
    }
}

/// Rewrites a version 1 spec (`source`, `target`, `metric`) as version 2.
fn upgrade_v1(v: &mut serde_json::Value) -> Result<()> {
    let Some(o) = v.as_object_mut() else { return Ok(()) };
    for (old, new) in [("source", "sources"), ("target", "targets")] {
        match o.remove(old) {
            Some(side) => {
                o.insert(new.into(), serde_json::Value::Array(vec![side]));
            }
            None => return Err(Error::Spec(format!("a version 1 spec needs \"{old}\""))),
        }
    }
    match o.remove("metric") {
        Some(serde_json::Value::String(m)) => {
            o.insert("metrics".into(), serde_json::json!([{ "name": m }]));
        }
        _ => return Err(Error::Spec("a version 1 spec needs \"metric\" (a name)".into())),
    }
    o.insert("idlab".into(), SPEC_VERSION.into());
    Ok(())
}

/// Metric-name errors read as spec errors here.
fn as_spec(e: Error) -> Error {
    match e {
        Error::Input(m) => Error::Spec(m),
        other => other,
    }
}

/// Says which part of the spec a spec error is about.
fn in_field(field: &str, e: Error) -> Error {
    match e {
        Error::Spec(m) => Error::Spec(format!("{field}: {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../../../www/presets/alexnet-seeds-cka.json");

    #[test]
    fn default_preset_is_valid() {
        let s = Spec::from_json(DEFAULT).unwrap();
        assert_eq!(s.sources[0].arch.as_deref(), Some("alexnet"));
        assert_ne!(s.sources[0].seed, s.targets[0].seed);
        assert_eq!(s.metrics[0].name, "cka");
    }

    #[test]
    fn a_version_1_spec_is_upgraded() {
        let v1 = r#"{"idlab": 1, "stimuli": {"set": "kriegeskorte92", "limit": 5},
                     "source": {"arch": "alexnet", "seed": 0}, "target": {"arch": "alexnet", "seed": 1}, "metric": "cka"}"#;
        let s = Spec::from_json(v1).unwrap();
        assert_eq!(s.idlab, SPEC_VERSION);
        assert_eq!(s.sources, vec![ModelSpec::zoo("alexnet", 0)]);
        assert_eq!(s.targets, vec![ModelSpec::zoo("alexnet", 1)]);
        assert_eq!(s.metrics, vec![MetricSpec { name: "cka".into(), params: None }]);
        let e = Spec::from_json(r#"{"idlab": 1, "stimuli": {"set": "kriegeskorte92"}, "source": {"arch": "alexnet", "seed": 0}, "metric": "cka"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs \"target\""), "{e}");
    }

    fn with(f: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        f(&mut v);
        Spec::from_json(&v.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_problem() {
        use serde_json::json;
        assert!(with(|v| v["sources"][0]["arch"] = "nonexistent".into()).contains("sources[0]: unknown architecture \"nonexistent\""));
        assert!(with(|v| v["idlab"] = 7.into()).contains("version 7"));
        assert!(with(|v| v["metrics"][0]["name"] = "rsa-magic".into()).contains("rsa-magic"));
        assert!(with(|v| v["metrics"] = json!([{"name": "procrustes"}])).contains("not available in experiments yet"));
        let e = with(|v| v["metrics"] = json!([{"name": "soft-matching"}]));
        assert!(e.contains("metrics[0]: soft-matching") && e.contains("it is 3000, the default"), "{e}");
        assert!(with(|v| v["metrics"] = json!([{"name": "soft-matching", "params": {"max_units": 1001}}])).contains("it is 1001)"));
        assert!(with(|v| v["metrics"] = json!([])).contains("metrics is an empty list"));
        assert!(with(|v| v["specificity"] = json!({"metrics": ["rsa"]})).contains("specificity.metrics names \"rsa\", which is not among the spec's metrics (cka)"));
        assert!(with(|v| v["specificity"] = json!({"metrics": []})).contains("empty list"));
        assert!(with(|v| v["specificity"] = json!(true)).contains("expected struct SpecificitySpec"));
        assert!(with(|v| v["metrics"] = json!([{"name": "regression", "params": {"folds": 3, "lambada": 1}}])).contains("lambada"));
        assert!(with(|v| v["stimuli"]["set"] = "no-such-set".into()).contains("no-such-set"));
        assert!(with(|v| v["layers"] = json!(["features.99"])).contains("features.99"));
        assert!(with(|v| v["targets"][0]["layers"] = json!(["features.98"])).contains("targets[0]: ") );
        assert!(with(|v| v["stimuli"]["limit"] = 2.into()).contains("at least 3"));
        assert!(with(|v| v["colour"] = "blue".into()).contains("unknown field `colour`"));
        assert!(with(|v| v["sources"] = json!([])).contains("at least one source"));
        let kinds = "sources[0]: give one of: arch and seed";
        assert!(with(|v| v["sources"][0]["onnx"] = "m.onnx".into()).contains(kinds));
        assert!(with(|v| v["sources"][0]["onnx"] = "m.onnx".into()).contains("found arch and onnx"));
        assert!(with(|v| v["sources"][0] = json!({"onnx": "m.onnx"})).contains("sources[0]: onnx model m.onnx needs \"layers\""));
        assert!(with(|v| v["targets"][0] = json!({"onnx": "m.onnx", "layers": []})).contains("targets[0]: onnx model m.onnx: layers is an empty list"));
        assert!(with(|v| v["sources"][0] = json!({"arch": "alexnet"})).contains("seed is missing"));
        assert!(with(|v| v["sources"][0] = json!({})).contains("found none"));
        assert!(with(|v| v["sources"][0] = json!({"responses": "it.npy"})).contains("data files are targets"));
        assert!(with(|v| v["targets"][0] = json!({"dataset": "nope"})).contains("unknown dataset \"nope\""));
        assert!(with(|v| v["targets"][0] = json!({"rdms": "r.npy", "layers": ["x"]})).contains("rdms takes no layers"));
        assert!(with(|v| v["targets"][0] = json!({"dataset": "kriegeskorte92/human-it", "noise": {"gain": 1}})).contains("RDMs have none"));
        assert!(with(|v| v["targets"][0]["noise"] = json!({"gain": -1})).contains("targets[0]: noise.gain must be finite and at least 0, got -1"));
        assert!(with(|v| v["targets"][0]["noise"] = json!({"gain": 1, "sed": 2})).contains("unknown field `sed`"));
        assert!(with(|v| v["sources"][0]["prune"] = 0.99.into()).contains("sources[0]: prune must be a fraction from 0 to 0.95, got 0.99"));
        assert!(with(|v| v["targets"][0] = json!({"dataset": "kriegeskorte92/monkey-it", "prune": 0.5})).contains("data has no weights"));
        assert!(with(|v| {
            v["stimuli"]["set"] = "textures".into();
            v["targets"][0] = json!({"dataset": "kriegeskorte92/human-it"});
        })
        .contains("recorded on the kriegeskorte92 images"));
    }

    #[test]
    fn data_targets_parse() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        v["targets"] = serde_json::json!([{"responses": "v4.npz", "key": "resp"}, {"rdms": "it.npy"}, {"dataset": "kriegeskorte92/monkey-it"}]);
        let s = Spec::from_json(&v.to_string()).unwrap();
        assert_eq!(s.targets[0].resolve().unwrap(), ModelRef::Responses { file: "v4.npz", key: Some("resp") });
        assert_eq!(s.targets[1].resolve().unwrap(), ModelRef::Rdms { file: "it.npy", key: None });
        assert_eq!(s.targets[2].resolve().unwrap(), ModelRef::Dataset { name: "kriegeskorte92/monkey-it" });
        // A shipped responses dataset may be subsampled, an RDM dataset not.
        let sub = Some(UnitSubsample { fraction: 0.5, seed: 1 });
        let v4 = ModelSpec { dataset: Some("cowley-v4/responses".into()), subsample: sub, ..Default::default() };
        assert_eq!(v4.resolve().unwrap(), ModelRef::Dataset { name: "cowley-v4/responses" });
        let it = ModelSpec { dataset: Some("kriegeskorte92/monkey-it".into()), subsample: sub, ..Default::default() };
        assert!(it.resolve().unwrap_err().to_string().contains("RDMs have none"));
    }

    #[test]
    fn an_onnx_side_parses_and_round_trips() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        v["sources"][0] = serde_json::json!({"onnx": "mine.onnx", "layers": ["a", "b"], "size": 128});
        let s = Spec::from_json(&v.to_string()).unwrap();
        assert_eq!(s.sources[0].resolve().unwrap(), ModelRef::Onnx { file: "mine.onnx", layers: &["a".to_string(), "b".to_string()], size: Some(128), norm: NormOverride::default() });
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["sources"], v["sources"]);
        assert_eq!(back["targets"], serde_json::from_str::<serde_json::Value>(DEFAULT).unwrap()["targets"]);
    }
}
