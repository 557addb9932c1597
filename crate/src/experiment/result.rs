//! The result document: numbers plus everything needed to know where they came from.

use super::classes::ClassComparison;
use super::spec::{NoiseSpec, Spec};
use super::specificity::Specificity;
use serde::Serialize;
use std::collections::BTreeMap;

/// A source or a target as the run resolved it.
#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    /// `s0`, `s1`, … for sources, `t0`, … for targets, in spec order.
    pub id: String,
    /// `source` or `target`.
    pub role: &'static str,
    pub label: String,
    /// `zoo`, `onnx`, `responses`, `rdms` or `dataset`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Recorded layers; one entry, the file's or dataset's name, for data.
    pub layers: Vec<String>,
    /// Subjects of an RDM target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
}

/// One metric of one source against one target.
#[derive(Clone, Debug, Serialize)]
pub struct Score {
    pub metric: String,
    /// `higher` or `lower`: which values mean more similar (`lower` for the
    /// distance `soft-matching`).
    pub better: &'static str,
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
    /// the MLP's and ridge regression's held-out mean absolute error (in the
    /// target's units) and R², each the mean over units and then over the
    /// same splits; its `values` are `mlp_r2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<BTreeMap<String, Vec<Vec<Option<f64>>>>>,
}

/// Nili et al. (2014) noise ceiling of an RDM target with several subjects.
#[derive(Clone, Debug, Serialize)]
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
#[derive(Clone, Debug, Serialize)]
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
    pub correct_won: bool,
    /// Each source's best score over its layers (largest, or smallest for a distance), by id.
    pub best_per_source: std::collections::BTreeMap<String, f64>,
}

/// The identifiability analysis of one metric and one model target.
#[derive(Clone, Debug, Serialize)]
pub struct Identifiability {
    pub metric: String,
    /// `higher` or `lower`: for a distance the best source is the one with the
    /// smallest value, and the index is (mean nonmatch - match) / (match + mean nonmatch).
    pub better: &'static str,
    pub target: String,
    /// The source with the target's architecture.
    pub correct_source: String,
    pub layers: Vec<LayerVerdict>,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
}

/// One stimulus set of a run over several.
#[derive(Clone, Debug, Serialize)]
pub struct StimulusSet {
    pub index: usize,
    /// The set's name (and an upload's folder).
    pub name: String,
    pub n_stimuli: usize,
    pub stimuli: Vec<String>,
}

/// Identifiability of one metric and target on one stimulus set, over the target's layers.
#[derive(Clone, Debug, Serialize)]
pub struct SetIdentifiability {
    pub set: usize,
    pub stimuli: String,
    pub metric: String,
    pub target: String,
    /// The mean identifiability index over target layers (null when none is defined).
    pub mean_index: Option<f64>,
    /// Target layers at which the correct source scored best, of `layers`.
    pub correct_won: usize,
    pub layers: usize,
}

/// One input's content hash, so a result says exactly what it was computed on.
#[derive(Clone, Debug, Serialize)]
pub struct Input {
    /// `stimulus`, `model` or `data`.
    pub role: &'static str,
    pub name: String,
    pub bytes: usize,
    pub sha256: String,
}

/// The result of a run and its provenance.
#[derive(Clone, Debug, Serialize)]
pub struct ExperimentResult {
    pub idlab_version: String,
    /// Which build computed it: `native`, `threads` or `single` (set by the front door).
    pub flavor: String,
    pub spec: Spec,
    pub n_stimuli: usize,
    pub stimuli: Vec<String>,
    pub inputs: Vec<Input>,
    pub models: Vec<ModelInfo>,
    pub scores: Vec<Score>,
    pub noise_ceilings: Vec<Ceiling>,
    pub identifiability: Vec<Identifiability>,
    /// The spec's `classes`: per metric and model target, the two classes of
    /// source architectures compared layer by layer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub class_comparison: Vec<ClassComparison>,
    /// With `more_stimuli`: every set run, in order (entries above name theirs by index).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stimulus_sets: Vec<StimulusSet>,
    /// With `more_stimuli`: each identifiability entry summarised per set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_stimuli: Vec<SetIdentifiability>,
    /// The predictivity vs specificity analysis, one per metric and group of targets (the spec's `specificity`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specificity: Vec<Specificity>,
    /// Scores that could not be computed, and why.
    pub warnings: Vec<String>,
    /// Wall-clock seconds of the run (set by the front door, which owns the clock).
    pub seconds: f64,
}

impl ExperimentResult {
    fn model(&self, id: &str) -> Option<&ModelInfo> {
        self.models.iter().find(|m| m.id == id)
    }

    /// Tidy rows, one per score cell (and subject), the CSV the CLI writes and
    /// the page downloads (`www/export.js` writes the same rows): metric, source, source_layer, target, target_layer,
    /// subject, value, p_value, stimuli (the set's name, with an upload's folder).
    pub fn tidy_rows(&self) -> Vec<[String; 9]> {
        let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
        let mut rows = Vec::new();
        for s in &self.scores {
            let (Some(src), Some(tgt)) = (self.model(&s.source), self.model(&s.target)) else { continue };
            let stimuli = match s.set {
                Some(i) => self.stimulus_sets.get(i).map_or_else(|| i.to_string(), |x| x.name.clone()),
                None => self.spec.stimuli.label(),
            };
            for (i, row) in s.values.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    let p = s.p_values.as_ref().and_then(|p| p[i][j]);
                    let base = |subject: String, value: Option<f64>, p: Option<f64>| {
                        [
                            s.metric.clone(),
                            src.label.clone(),
                            src.layers[i].clone(),
                            tgt.label.clone(),
                            tgt.layers[j].clone(),
                            subject,
                            num(value),
                            num(p),
                            stimuli.clone(),
                        ]
                    };
                    // The cell itself (for several subjects, their mean and its p-value), then each subject.
                    rows.push(base(String::new(), *v, p));
                    if let Some(per) = &s.per_subject {
                        for (k, name) in tgt.subjects.iter().enumerate() {
                            rows.push(base(name.clone(), per[i][j][k], None));
                        }
                    }
                }
            }
        }
        rows
    }
}

impl ExperimentResult {
    /// The score table of `metric`, source id and target id (`s0`, `t0`, …).
    pub fn values(&self, metric: &str, source: &str, target: &str) -> Option<&Vec<Vec<Option<f64>>>> {
        self.scores.iter().find(|s| s.metric == metric && s.source == source && s.target == target).map(|s| &s.values)
    }

    /// A short plain-text account of what was run: spec, version, inputs with
    /// their hashes, the identifiability verdicts and any warnings.
    pub fn report_text(&self) -> String {
        let mut r = String::new();
        let mut line = |s: String| {
            r.push_str(&s);
            r.push('\n');
        };
        line(format!("idlab {} ({}): {}", self.idlab_version, self.flavor, self.spec.name.as_deref().unwrap_or("experiment")));
        if let Some(f) = &self.spec.figure {
            line(format!("Reproduces: {f}"));
        }
        if self.stimulus_sets.is_empty() {
            line(format!("{} stimuli ({}), {:.1} s", self.n_stimuli, self.spec.stimuli.set, self.seconds));
        } else {
            let sets: Vec<String> = self.stimulus_sets.iter().map(|s| format!("{} ({})", s.name, s.n_stimuli)).collect();
            line(format!("stimuli {}, one run per set, {:.1} s", sets.join(", "), self.seconds));
        }
        for m in &self.models {
            line(format!("{} {} {}: {} layer(s)", m.role, m.id, m.label, m.layers.len()));
        }
        for m in &self.spec.metrics {
            let params = m.params.as_ref().map(|p| serde_json::to_string(p).unwrap_or_default()).unwrap_or_else(|| "defaults".into());
            line(format!("metric {}: {params}", m.name));
        }
        for v in &self.identifiability {
            let won = v.layers.iter().filter(|l| l.correct_won).count();
            let label = |id: &str| self.model(id).map_or(id.to_string(), |m| m.label.clone());
            let set = v.set.and_then(|i| self.stimulus_sets.get(i)).map(|s| format!(" with stimuli {}", s.name)).unwrap_or_default();
            line(format!(
                "{} on {}{set}: the correct source ({}) scored best at {won} of {} target layers",
                v.metric,
                label(&v.target),
                label(&v.correct_source),
                v.layers.len()
            ));
        }
        for b in &self.by_stimuli {
            line(format!(
                "{} on {} with stimuli {}: mean identifiability index {}, the correct source best at {} of {} target layers",
                b.metric,
                self.model(&b.target).map_or(b.target.as_str(), |m| m.label.as_str()),
                b.stimuli,
                b.mean_index.map_or("undefined".to_string(), |v| format!("{v:.4}")),
                b.correct_won,
                b.layers
            ));
        }
        for c in &self.class_comparison {
            let sig = c.layers.iter().filter(|l| l.significant).count();
            let names: Vec<&str> = c.layers.first().map(|l| l.groups.iter().map(|g| g.name.as_str()).collect()).unwrap_or_default();
            line(format!(
                "{} on {}: {} vs {} differ (Welch, p < {}) at {sig} of {} target layers",
                c.metric,
                self.model(&c.target).map_or(c.target.as_str(), |m| m.label.as_str()),
                names.first().unwrap_or(&"?"),
                names.get(1).unwrap_or(&"?"),
                c.alpha,
                c.layers.len()
            ));
        }
        for sp in &self.specificity {
            let num = |v: Option<f64>| v.map_or("undefined".to_string(), |v| format!("{v:.4}"));
            line(format!(
                "specificity of {} ({}; {} is better): same-layer predictivity {} ({} of {}), silhouette by layer {}",
                sp.metric,
                sp.targets,
                sp.better,
                num(sp.same_layer.fraction),
                sp.same_layer.hits,
                sp.same_layer.cases,
                num(sp.population.as_ref().and_then(|p| p.silhouette))
            ));
        }
        for c in &self.noise_ceilings {
            line(format!("noise ceiling of {} ({}): lower {:.4}, upper {:.4}", c.target, c.metric, c.lower, c.upper));
        }
        for w in &self.warnings {
            line(format!("warning: {w}"));
        }
        line("inputs (sha256):".into());
        for i in &self.inputs {
            line(format!("  {} {} {} bytes {}", i.role, i.name, i.bytes, i.sha256));
        }
        line(format!("spec: {}", serde_json::to_string(&self.spec).unwrap_or_default()));
        r
    }
}

/// The header of [`ExperimentResult::tidy_rows`].
pub const TIDY_HEADER: [&str; 9] = ["metric", "source", "source_layer", "target", "target_layer", "subject", "value", "p_value", "stimuli"];
