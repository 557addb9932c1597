//! The result document: numbers plus everything needed to know where they came from.

use super::classes::ClassComparison;
use super::spec::{NoiseSpec, Spec};
use super::specificity::Specificity;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// A source or a target as the run resolved it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelInfo {
    /// `s0`, `s1`, … for sources, `t0`, … for targets, in spec order.
    pub id: String,
    /// `source` or `target`.
    #[serde(deserialize_with = "tag")]
    pub role: Tag,
    pub label: String,
    /// `zoo`, `onnx`, `responses`, `rdms` or `dataset`.
    #[serde(deserialize_with = "tag")]
    pub kind: Tag,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Recorded layers; one entry, the file's or dataset's name, for data.
    pub layers: Vec<String>,
    /// Subjects of an RDM target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// Units of a responses target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<usize>,
    /// Poisson-like noise added to its responses (the spec's `noise`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<NoiseSpec>,
    /// The fraction of each weight tensor pruned, when the spec asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prune: Option<f64>,
    /// A trained model's weights: where they came from and what they held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<WeightsInfo>,
}

/// A trained model's weights file, as the result records it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WeightsInfo {
    /// `file`, `url` or `shipped`.
    pub kind: String,
    /// The file name, the URL, or the shipped file's site-relative path.
    pub name: String,
    /// Its `models/weights.json` id, when the catalogue lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<String>,
    /// `torch_zip`, `torch_legacy`, `safetensors` or `tflite`.
    pub format: String,
    pub sha256: String,
    pub bytes: usize,
    /// Whose parameter names the file uses (`torchvision`, `timm`, ...), when the catalogue says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_on: Option<String>,
    /// What loading reported (`weights::apply`): the name map used, extra tensors, and the like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<serde_json::Value>,
}

/// One metric of one source against one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Score {
    pub metric: String,
    /// `higher` or `lower`: which values mean more similar (`lower` for the
    /// distance `soft-matching`).
    #[serde(deserialize_with = "tag", default = "higher")]
    pub better: Tag,
    pub source: String,
    pub target: String,
    /// `values[i][j]`: source layer i against target layer j; null where the
    /// score is undefined (the reason is in the result's warnings).
    pub values: Vec<Vec<Option<f64>>>,
    /// RDM targets with several subjects: `[i][j][subject]`; `values` holds their mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_subject: Option<Vec<Vec<Vec<Option<f64>>>>>,
    /// RSA with permutations: the Mantel test's p-value per cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_values: Option<Vec<Vec<Option<f64>>>>,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
    /// Named per-cell tables beside `values`, each shaped as it (null where
    /// undefined). `nrp` has `mlp_mae`, `mlp_r2`, `ridge_mae` and `ridge_r2`:
    /// the MLP's and its ridge baseline's held-out mean absolute error (in the
    /// target's units) and R², each the mean over units and then over the
    /// same splits; its `values` are `mlp_mae`. `regression` and
    /// `soft-matching` have `r2`: the median over units of the held-out R² of
    /// the mapping used as a predictive model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<BTreeMap<String, Vec<Vec<Option<f64>>>>>,
    /// Per cell, shaped as `values`: the standard error of the value, where
    /// the metric has one (regression: over splits, or of a correlation over
    /// the n pooled images with k-fold; nrp: over splits). The verdicts read
    /// it as the score's noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_errors: Option<Vec<Vec<Option<f64>>>>,
    /// What was done to these numbers, to show beside them (e.g. too few test
    /// images per split: scored by k-fold cross-validation; or refused). Each
    /// is also in the result's `warnings`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Nili et al. (2014) noise ceiling of an RDM target with several subjects.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ceiling {
    pub metric: String,
    pub target: String,
    pub lower: f64,
    pub upper: f64,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
}

/// Per target layer: did the source of the target's architecture score best?
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerVerdict {
    pub layer: String,
    /// Best score over the correct source's layers (the largest, or the smallest for a distance).
    #[serde(rename = "match")]
    pub s_match: f64,
    pub nonmatch_mean: f64,
    /// (match - mean nonmatch) / (match + mean nonmatch); its negative for a
    /// distance, so positive always means the correct source matched best.
    pub index: Option<f64>,
    pub best_source: String,
    /// `won`, `tie` or `lost`: won only when the correct source's best beats
    /// every other source's best by more than `margin_needed`; within it, a tie.
    #[serde(deserialize_with = "tag", default = "no_outcome")]
    pub outcome: Tag,
    /// The correct source's best minus the best other source's (turned for a
    /// distance, so positive favours the correct source).
    #[serde(default)]
    pub margin: Option<f64>,
    /// The margin a win needs: one standard error of the difference,
    /// √(se_correct² + se_other²), where both cells have one, else a numerical
    /// tolerance (1e-9 of the larger score).
    #[serde(default)]
    pub margin_needed: Option<f64>,
    /// What `margin_needed` is, in words.
    #[serde(default)]
    pub margin_basis: String,
    /// True only when `outcome` is `won` (kept for older readers).
    pub correct_won: bool,
    /// Each source's best score over its layers (largest, or smallest for a distance), by id.
    pub best_per_source: std::collections::BTreeMap<String, f64>,
}

/// The identifiability analysis of one metric and one model target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Identifiability {
    pub metric: String,
    /// `higher` or `lower`: for a distance the best source is the one with the
    /// smallest value, and the index is (mean nonmatch - match) / (match + mean nonmatch).
    #[serde(deserialize_with = "tag", default = "higher")]
    pub better: Tag,
    pub target: String,
    /// The first source of the target's identity (its architecture by default).
    pub correct_source: String,
    /// The spec's `identity` of the target when it names one (e.g. a training
    /// set); absent when the identity is the architecture, the paper's question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    pub layers: Vec<LayerVerdict>,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
}

/// One stimulus set of a run over several.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StimulusSet {
    pub index: usize,
    /// The set's name (and an upload's folder).
    pub name: String,
    pub n_stimuli: usize,
    pub stimuli: Vec<String>,
}

/// Identifiability of one metric and target on one stimulus set, over the target's layers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetIdentifiability {
    pub set: usize,
    pub stimuli: String,
    pub metric: String,
    pub target: String,
    /// The mean identifiability index over target layers (null when none is defined).
    pub mean_index: Option<f64>,
    /// Target layers at which the correct source won (beyond the margin), of `layers`.
    pub correct_won: usize,
    /// Target layers at which it tied (within the margin), of `layers`.
    #[serde(default)]
    pub ties: usize,
    pub layers: usize,
}

/// One input's content hash, so a result says exactly what it was computed on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Input {
    /// `stimulus`, `model`, `weights` or `data`.
    #[serde(deserialize_with = "tag")]
    pub role: Tag,
    pub name: String,
    pub bytes: usize,
    pub sha256: String,
}

/// The result of a run and its provenance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExperimentResult {
    pub idlab_version: String,
    /// Which build computed it: `native`, `threads` or `single` (set by the front door).
    pub flavor: String,
    /// `relaxed-simd` when a wasm build with fused multiply-adds (`f32x4.relaxed_madd`) computed
    /// it: within the README's stated tolerance of the plain build, not the same bits. Absent
    /// for native and the plain wasm builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simd: Option<String>,
    pub spec: Spec,
    pub n_stimuli: usize,
    pub stimuli: Vec<String>,
    pub inputs: Vec<Input>,
    pub models: Vec<ModelInfo>,
    pub scores: Vec<Score>,
    #[serde(default)]
    pub noise_ceilings: Vec<Ceiling>,
    #[serde(default)]
    pub identifiability: Vec<Identifiability>,
    /// The spec's `classes`: per metric and model target, the two classes of
    /// source architectures compared layer by layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_comparison: Vec<ClassComparison>,
    /// With `more_stimuli`: every set run, in order (entries above name theirs by index).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stimulus_sets: Vec<StimulusSet>,
    /// With `more_stimuli`: each identifiability entry summarised per set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_stimuli: Vec<SetIdentifiability>,
    /// The predictivity vs specificity analysis, one per metric and group of targets (the spec's `specificity`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specificity: Vec<Specificity>,
    /// What this run found, in sentences computed from the fields above (see
    /// [`super::findings`]): the page and the report show these, never hand-written text.
    #[serde(default)]
    pub findings: Vec<String>,
    /// Scores that could not be computed, and why.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Wall-clock seconds of the run (set by the front door, which owns the clock).
    pub seconds: f64,
    /// The page's per-step timings (set by the worker, which owns the clock there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
}

/// How long each step of a run took in the tab, and the module's memory at the end.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Timings {
    #[serde(default)]
    pub steps: Vec<StepTime>,
    #[serde(default)]
    pub wasm_memory_bytes: Option<u64>,
    /// The module's memory when the run started (it only grows: the run's
    /// own peak is the difference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_memory_before_bytes: Option<u64>,
    /// Bytes of Gram rows the run's OPFS spill file held at most (null: no file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spilled_bytes: Option<u64>,
}

/// One step of [`Timings`]: the progress's stage and label, and its seconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StepTime {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub seconds: Option<f64>,
}

impl ExperimentResult {
    /// The model of id `s0`, `t0`, ….
    pub fn model(&self, id: &str) -> Option<&ModelInfo> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The score table of `metric`, source id and target id (`s0`, `t0`, …).
    pub fn values(&self, metric: &str, source: &str, target: &str) -> Option<&Vec<Vec<Option<f64>>>> {
        self.scores.iter().find(|s| s.metric == metric && s.source == source && s.target == target).map(|s| &s.values)
    }

    /// Tidy rows, one per score cell (and subject): see [`super::output::csv`].
    pub fn tidy_rows(&self) -> Vec<[String; 9]> {
        super::output::csv::tidy_rows(self)
    }

    /// The scores as the CSV `idlab run` writes and the page downloads.
    pub fn tidy_csv(&self) -> String {
        super::output::csv::tidy_csv(self)
    }

    /// The plain-text report: see [`super::output::report`].
    pub fn report_text(&self) -> String {
        super::output::report::report_text(self)
    }
}

/// The closed vocabulary of the result's tag fields (`role`, `kind`,
/// `better`): they stay `&'static str` for the code that builds them and
/// still come back from JSON.
const TAGS: &[&str] = &["source", "target", "stimulus", "model", "data", "zoo", "onnx", "tflite", "weights", "responses", "rdms", "dataset", "higher", "lower", "won", "tie", "lost"];

/// A `&'static str` that serde does not try to borrow from the input.
pub type Tag = &'static str;

impl LayerVerdict {
    /// `won`, `tie` or `lost`; for a document written before outcomes, from `correct_won`.
    pub fn outcome(&self) -> &'static str {
        match self.outcome {
            "" if self.correct_won => "won",
            "" => "lost",
            o => o,
        }
    }
}

/// `outcome` where an older document leaves it out (read through [`LayerVerdict::outcome`]).
fn no_outcome() -> Tag {
    ""
}

/// `better` where a hand-written document leaves it out.
pub(crate) fn higher() -> Tag {
    "higher"
}

pub(crate) fn tag<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    TAGS.iter().find(|t| **t == s).copied().ok_or_else(|| D::Error::custom(format!("unknown value \"{s}\" (one of {})", TAGS.join(", "))))
}
