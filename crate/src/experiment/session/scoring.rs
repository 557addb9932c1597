//! Scoring: what the metrics need of each layer ([`LayerData`]), one source
//! layer scored against every target layer with every metric (cells in
//! parallel, stored in order), the score tables, and the noise ceilings of
//! targets with several subjects.

use super::Session;
use super::super::metric;
use super::super::result::{Ceiling, Score};
use super::super::exports::Rows;
use crate::error::{Error, Result};
use crate::metrics::rdm::Rdm;
use crate::metrics::registry::{MetricName, MetricParams};
use nalgebra::DMatrix;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// What the metrics need of one layer (or one data target).
#[derive(Default)]
pub(crate) struct LayerData {
    pub gram: Option<DMatrix<f64>>,
    pub sums: Vec<f64>,
    pub units: usize,
    /// Regression features, by metric index.
    pub features: Vec<Option<DMatrix<f64>>>,
    /// RDM targets: one per subject.
    pub rdms: Vec<Rdm>,
    /// Per metric, for RSA: this layer's RDM under the metric's distance (or
    /// why it has none), computed once rather than for every layer pair.
    pub rsa: Vec<Option<std::result::Result<Rdm, String>>>,
    /// RDM targets with several subjects: their mean, the Mantel test's partner.
    pub mean: Option<Rdm>,
    /// Activations kept for the export until it takes them.
    pub kept: Option<Rows>,
}

impl LayerData {
    /// Adds what RSA compares: the RDM of a layer (from its Gram matrix and
    /// row sums) per RSA metric, or the subjects' mean RDM of a data target.
    pub(super) fn with_rdms(mut self, metrics: &[(MetricName, MetricParams)]) -> Result<Self> {
        if self.rdms.is_empty() {
            self.rsa = metrics.iter().map(|(m, p)| metric::describe(*m).layer_rdm(&self, p)).collect();
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
    pub(crate) fn rdm(&self, k: usize) -> Result<&Rdm> {
        match self.rsa.get(k) {
            Some(Some(Ok(r))) => Ok(r),
            Some(Some(Err(why))) => Err(Error::Input(why.clone())),
            _ => Err(Error::Input("no RDM was kept for this layer".into())),
        }
    }
}

/// One score cell.
#[derive(Default)]
pub(crate) struct Cell {
    pub value: Option<f64>,
    pub per_subject: Option<Vec<Option<f64>>>,
    pub p_value: Option<f64>,
    /// Named numbers beside the value, each kept in a table shaped as `values`.
    pub detail: Vec<(&'static str, Option<f64>)>,
    /// The value's standard error, where the metric has one (verdicts read it as noise).
    pub standard_error: Option<f64>,
    /// What was done to the value (a switch to k-fold, a refusal): kept once
    /// on its score table and once in the result's warnings.
    pub warnings: Vec<String>,
}

impl Cell {
    /// A cell with a value and nothing beside it.
    pub(crate) fn value(v: f64) -> Cell {
        Cell { value: Some(v), ..Default::default() }
    }
}

impl Session {
    /// Scores source entry `e`'s layer `l` against every layer of every target, with every metric.
    pub(super) fn compare(&mut self, e: usize, l: usize) {
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
                metric::describe(self.metrics[k].0).score(k, &self.metrics[k].1, src, tgt)
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
            if let Some(se) = cell.standard_error {
                table.standard_errors.get_or_insert_with(|| empty2(&table.values))[l][m] = Some(se);
            }
            // The same rule applies to every cell of a metric: said once per table and once in the result.
            for w in cell.warnings {
                if !table.warnings.contains(&w) {
                    table.warnings.push(w.clone());
                }
                if !self.warnings.contains(&w) {
                    self.warnings.push(w);
                }
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
            standard_errors: None,
            warnings: Vec::new(),
        });
        self.score_index.insert((k, s, t), self.scores.len() - 1);
        self.scores.len() - 1
    }


    /// The noise ceilings of the targets with several subjects, per metric that has one.
    pub(super) fn ceilings(&mut self) {
        let n_targets = self.spec.targets.len();
        for (k, (metric, params)) in self.metrics.iter().enumerate() {
            for t in 0..n_targets {
                let Some(data) = &self.data[t] else { continue };
                match metric::describe(*metric).ceiling(params, &data[0].rdms) {
                    Some(Ok(nc)) => self.ceilings.push(Ceiling {
                        metric: self.spec.metrics[k].name.clone(),
                        target: self.entries[t].id.clone(),
                        lower: nc.lower,
                        upper: nc.upper,
                        set: None,
                    }),
                    Some(Err(err)) => self.warnings.push(format!("noise ceiling of {}: {err}", self.entries[t].label)),
                    None => {}
                }
            }
        }
    }
}

fn empty2(values: &[Vec<Option<f64>>]) -> Vec<Vec<Option<f64>>> {
    values.iter().map(|r| vec![None; r.len()]).collect()
}

fn empty3(values: &[Vec<Option<f64>>]) -> Vec<Vec<Vec<Option<f64>>>> {
    values.iter().map(|r| vec![Vec::new(); r.len()]).collect()
}
