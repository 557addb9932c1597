//! The spec's serde types: what a spec file says, field by field.

use crate::error::{Error, Result};
use crate::experiment::classes::ClassesSpec;
use crate::experiment::exports::ExportSpec;
use crate::experiment::metric::{describe, experiment_metrics};
use crate::metrics::registry::{MetricName, MetricParams};
use crate::stimuli::{sets, Channels, Preprocess};
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
    /// The paper's text the claims quote: a file name in the repository's
    /// `../shared/papers/` (the quote test reads it; the site never needs it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper_file: Option<String>,
    /// What the paper found, each claim with its verbatim quote and where it
    /// stands, so the page never puts words in a paper's mouth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper: Option<Vec<PaperClaim>>,
    /// How this run differs from the paper (networks, weights, stimuli,
    /// units, subjects, test sizes) and what that does to the comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub this_run: Option<Vec<String>>,
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
    /// layer by layer (see [`crate::experiment::classes`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<ClassesSpec>,
    /// Activations and RDMs to keep for download as .npy files (see [`crate::experiment::exports`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportSpec>,
    /// The predictivity vs specificity analysis (Thobani et al.) of the zoo
    /// models: same-layer predictivity over pairs of different seeds of one
    /// architecture, and the silhouette and MDS of the population's layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specificity: Option<SpecificitySpec>,
}

/// One claim of a preset's paper: said in the preset's words, backed by a
/// verbatim quote (whitespace-normalised, checked against the paper's text by
/// `crate/tests/preset_texts.rs`) and the figure, table or section it stands in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperClaim {
    pub claim: String,
    pub quote: String,
    #[serde(rename = "where")]
    pub where_: String,
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
    /// The metric, when experiments run it and its parameters pass its own check.
    pub fn metric(&self) -> Result<MetricName> {
        let m = MetricName::parse(&self.name)?;
        let description = describe(m);
        if !description.in_experiments() {
            return Err(Error::Spec(format!(
                "metric \"{}\" is not available in experiments yet (it is in `idlab metric`); experiments run: {}",
                self.name,
                experiment_metrics().iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        description.check(&self.params())?;
        Ok(m)
    }

    pub fn params(&self) -> MetricParams {
        self.params.clone().unwrap_or_default()
    }
}

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
/// (`{"arch", "seed", "layers"?}`) or its trained weights (`{"arch",
/// "weights": {...}}`), a user's ONNX or TFLite file and the tensors to
/// record on it (`{"onnx", "layers", "size"?, ...}`, bytes handed to
/// [`crate::experiment::Session::add_model`]), a shipped TFLite model
/// (`{"tflite": ID}`), or, as a target only, recorded
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
    /// Trained weights for the zoo model, in place of a seed: a file of the
    /// user's, a URL, or a shipped file of `models/weights.json` (see [`WeightsSpec`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<WeightsSpec>,
    /// A user model: the ONNX file's name (the CLI reads it relative to the spec's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnx: Option<String>,
    /// A TFLite model: a user's `.tflite` file (with `layers`, like `onnx`), or
    /// the id of a shipped one in `models/weights.json` (e.g.
    /// `coral/mobilenet_v2_1.0_224_quant`), whose default layers the catalogue gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tflite: Option<String>,
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
    /// What identifiability asks to recognise in this model: sources whose
    /// identity equals a target's are its correct sources (e.g. the training
    /// set, `"imagenet"`, to ask whether the data a network learnt from can be
    /// told from its representations). Default: a zoo model's architecture
    /// name; a model with none (ONNX, TFLite) has no identity unless given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// Where a zoo model's trained weights come from: exactly one of `file` (a
/// user's `.pth`/`.pt`/`.safetensors`, read beside the spec by the CLI),
/// `url` (with its `sha256`, checked when fetched) or `shipped` (a catalogue
/// id, e.g. `efficientnet_lite0/imagenet`). `sha256` is optional with a file
/// and, when given, checked too.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The input normalisation the weights were trained with, when it is not
    /// the architecture's (e.g. 0.5 and 0.5 for timm's augreg ViT weights);
    /// a catalogue entry brings its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<[f32; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<[f32; 3]>,
}

/// Poisson-like noise r + sqrt(gain · |r|) · ε on a model's responses
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

impl Spec {
    /// Every stimulus set the experiment runs on: `stimuli`, then `more_stimuli`.
    pub fn stimulus_sets(&self) -> Vec<&StimuliSpec> {
        std::iter::once(&self.stimuli).chain(self.more_stimuli.iter().flatten()).collect()
    }
}
