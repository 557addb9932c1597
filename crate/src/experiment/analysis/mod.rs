//! Analyses that read a finished run's score tables: identifiability
//! verdicts, the class comparison and predictivity vs specificity. Each is a
//! function of the tables and of the plan's entries, run once when the last
//! source is scored.

pub mod classes;
mod identifiability;
pub mod specificity;

use classes::ClassComparison;
use super::result::{Identifiability, Score};
use super::session::Entry;
use super::spec::Spec;
use crate::metrics::registry::{MetricName, MetricParams};
use std::collections::HashMap;

/// A finished run as the analyses read it.
pub(crate) struct Finished<'a> {
    pub spec: &'a Spec,
    pub metrics: &'a [(MetricName, MetricParams)],
    /// Targets first, then sources, in spec order.
    pub entries: &'a [Entry],
    pub scores: &'a [Score],
    /// (metric, source index, target index) to the index in `scores`.
    pub index: &'a HashMap<(usize, usize, usize), usize>,
}

impl<'a> Finished<'a> {
    /// Metric k's table of source s (counted among the sources) against target t.
    pub fn table(&self, k: usize, s: usize, t: usize) -> Option<&'a Score> {
        self.index.get(&(k, s, t)).map(|&i| &self.scores[i])
    }
}

/// The identifiability verdicts and the class comparisons of every (metric,
/// target), metric by metric, each in target order.
pub(crate) fn per_target(run: &Finished<'_>) -> (Vec<Identifiability>, Vec<ClassComparison>) {
    let (mut verdicts, mut comparisons) = (Vec::new(), Vec::new());
    for k in 0..run.metrics.len() {
        for t in 0..run.spec.targets.len() {
            verdicts.extend(identifiability::verdicts(run, k, t));
            comparisons.extend(classes::class_comparison(run, k, t));
        }
    }
    (verdicts, comparisons)
}
