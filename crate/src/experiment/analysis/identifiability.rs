//! Identifiability (Han et al. 2023): on a zoo target, does the source of
//! the target's architecture score best, layer by layer, and by how much
//! (the identifiability index)?

use super::Finished;
use crate::experiment::result::{Identifiability, LayerVerdict};
use crate::experiment::session::Kind;
use crate::stats::identifiability::identifiability_index;
use std::collections::BTreeMap;

/// Identifiability of target t under metric k: needs a zoo target, a
/// source of its architecture, and at least one source of another.
pub(crate) fn verdicts(run: &Finished<'_>, k: usize, t: usize) -> Option<Identifiability> {
    let n_targets = run.spec.targets.len();
    let Kind::Zoo { arch, .. } = &run.entries[t].kind else { return None };
    let sources = &run.entries[n_targets..];
    let correct = sources.iter().position(|s| matches!(&s.kind, Kind::Zoo { arch: a, .. } if a == arch))?;
    // Nothing to identify when every source is of the target's architecture
    // (a population of seeds, as the specificity analysis compares).
    let other_arch = sources.iter().any(|s| !matches!(&s.kind, Kind::Zoo { arch: a, .. } if a == arch));
    if sources.len() < 2 || !other_arch {
        return None;
    }
    let table = |s: usize| run.table(k, s, t);
    let names = run.entries[t].layer_names();
    // The best of several scores: the largest, or the smallest for a distance.
    let higher = run.metrics[k].0.higher_is_better();
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
        metric: run.spec.metrics[k].name.clone(),
        better: run.metrics[k].0.better(),
        target: run.entries[t].id.clone(),
        correct_source: sources[correct].id.clone(),
        layers,
        set: None,
    })
}
