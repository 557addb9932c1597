//! The result document: numbers plus everything needed to know where they came from.

use super::spec::Spec;
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
    /// The fraction of each weight tensor pruned, when the spec asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prune: Option<f64>,
}

/// One metric of one source against one target.
#[derive(Clone, Debug, Serialize)]
pub struct Score {
    pub metric: String,
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
}

/// Per target layer: did the source of the target's architecture score best?
#[derive(Clone, Debug, Serialize)]
pub struct LayerVerdict {
    pub layer: String,
    /// Best score over the correct source's layers.
    #[serde(rename = "match")]
    pub s_match: f64,
    pub nonmatch_mean: f64,
    /// (match - mean nonmatch) / (match + mean nonmatch).
    pub index: Option<f64>,
    pub best_source: String,
    pub correct_won: bool,
    /// Each source's best score over its layers, by id.
    pub best_per_source: std::collections::BTreeMap<String, f64>,
}

/// The identifiability analysis of one metric and one model target.
#[derive(Clone, Debug, Serialize)]
pub struct Identifiability {
    pub metric: String,
    pub target: String,
    /// The source with the target's architecture.
    pub correct_source: String,
    pub layers: Vec<LayerVerdict>,
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
    /// subject, value, p_value.
    pub fn tidy_rows(&self) -> Vec<[String; 8]> {
        let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
        let mut rows = Vec::new();
        for s in &self.scores {
            let (Some(src), Some(tgt)) = (self.model(&s.source), self.model(&s.target)) else { continue };
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
        line(format!("{} stimuli ({}), {:.1} s", self.n_stimuli, self.spec.stimuli.set, self.seconds));
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
            line(format!(
                "{} on {}: the correct source ({}) scored best at {won} of {} target layers",
                v.metric,
                label(&v.target),
                label(&v.correct_source),
                v.layers.len()
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
pub const TIDY_HEADER: [&str; 8] = ["metric", "source", "source_layer", "target", "target_layer", "subject", "value", "p_value"];
