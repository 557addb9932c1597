//! Identifiability (Han et al. 2023): does the source of the target's
//! identity score best, layer by layer, and by how much (the identifiability
//! index)? The identity is the architecture by default (the paper's
//! question); a spec's `identity` on models asks another, e.g. which training
//! set a network learnt from.
//!
//! A best score is not a win when it is within the noise: the correct source
//! wins a target layer only when its best beats the best other source's by
//! more than one standard error of the difference (the two cells' standard
//! errors, √(se₁² + se₂²), where the metric has them: regression over splits),
//! else by more than a numerical tolerance (1e-9 of the larger score);
//! within that margin it is a tie, and below it a loss.

use super::Finished;
use crate::experiment::result::{Identifiability, LayerVerdict};
use crate::stats::identifiability::identifiability_index;
use std::collections::BTreeMap;

/// Relative tolerance under which two scores without standard errors are equal.
const TOLERANCE: f64 = 1e-9;

/// One source's best score at a target layer, and that cell's standard error.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Best {
    pub value: f64,
    pub se: Option<f64>,
}

/// The outcome at one target layer: `won`, `tie` or `lost`, the margin
/// (positive favours the correct source), the margin a win needs and what it is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    pub outcome: &'static str,
    pub margin: f64,
    pub needed: f64,
    pub basis: &'static str,
}

/// The correct source's best against the best other source's (module doc).
pub(crate) fn outcome(correct: Best, other: Best, higher: bool) -> Outcome {
    let margin = if higher { correct.value - other.value } else { other.value - correct.value };
    let tolerance = TOLERANCE * correct.value.abs().max(other.value.abs());
    let (needed, basis) = match (correct.se, other.se) {
        (Some(a), Some(b)) => ((a * a + b * b).sqrt().max(tolerance), "one standard error of the difference of the two scores"),
        _ => (tolerance, "numerical tolerance (1e-9 of the larger score)"),
    };
    let outcome = if margin > needed {
        "won"
    } else if margin < -needed {
        "lost"
    } else {
        "tie"
    };
    Outcome { outcome, margin, needed, basis }
}

/// Identifiability of target t under metric k: needs a target with an
/// identity (the spec's `identity`, else a zoo model's architecture), a
/// source of that identity (the correct ones; with several, the correct score
/// is the best over all of them) and at least one source of another.
pub(crate) fn verdicts(run: &Finished<'_>, k: usize, t: usize) -> Option<Identifiability> {
    let n_targets = run.spec.targets.len();
    let identity = run.entries[t].identity.as_deref()?;
    let sources = &run.entries[n_targets..];
    let is_correct: Vec<bool> = sources.iter().map(|s| s.identity.as_deref() == Some(identity)).collect();
    let correct = is_correct.iter().position(|&c| c)?;
    // Nothing to identify when every source shares the target's identity
    // (a population of seeds, as the specificity analysis compares).
    if sources.len() < 2 || is_correct.iter().all(|&c| c) {
        return None;
    }
    let table = |s: usize| run.table(k, s, t);
    let names = run.entries[t].layer_names();
    // The best of several scores: the largest, or the smallest for a distance.
    let higher = run.metrics[k].0.higher_is_better();
    let better = |a: f64, b: f64| if higher { a > b } else { a < b };
    let pick = |b: Option<Best>, v: Best| Some(b.map_or(v, |b| if better(v.value, b.value) { v } else { b }));
    let mut layers = Vec::new();
    for (m, layer) in names.iter().enumerate() {
        // Each source's best cell over its layers (the first on ties), with its standard error.
        let best: Vec<Option<Best>> = (0..sources.len())
            .map(|s| {
                let sc = table(s)?;
                let se = |i: usize| sc.standard_errors.as_ref().and_then(|e| e[i][m]);
                sc.values.iter().enumerate().filter_map(|(i, row)| row[m].map(|v| Best { value: v, se: se(i) })).fold(None, pick)
            })
            .collect();
        // The correct score: the best over every source of the target's identity.
        let Some(s_match) = best.iter().zip(&is_correct).filter(|(_, &c)| c).filter_map(|(v, _)| *v).fold(None, pick) else { continue };
        let others: Vec<f64> = best.iter().zip(&is_correct).filter(|(_, &c)| !c).filter_map(|(v, _)| v.map(|b| b.value)).collect();
        if others.is_empty() {
            continue;
        }
        let (best_s, _) = best
            .iter()
            .enumerate()
            .filter_map(|(s, v)| v.map(|v| (s, v.value)))
            .fold((correct, None), |acc: (usize, Option<f64>), (s, v)| match acc.1 {
                Some(b) if !better(v, b) => acc,
                _ => (s, Some(v)),
            });
        let other = best
            .iter()
            .zip(&is_correct)
            .filter(|(_, &c)| !c)
            .filter_map(|(v, _)| *v)
            .fold(None, pick)
            .expect("others is not empty");
        let o = outcome(s_match, other, higher);
        let per: BTreeMap<String, f64> =
            best.iter().enumerate().filter_map(|(s, v)| v.map(|v| (sources[s].id.clone(), v.value))).collect();
        layers.push(LayerVerdict {
            layer: layer.clone(),
            s_match: s_match.value,
            nonmatch_mean: others.iter().sum::<f64>() / others.len() as f64,
            // For a distance the sign is turned, so that a positive index still means the correct source is closer.
            index: identifiability_index(s_match.value, &others).ok().map(|i| if higher { i } else { -i }),
            best_source: sources[best_s].id.clone(),
            outcome: o.outcome,
            margin: Some(o.margin),
            margin_needed: Some(o.needed),
            margin_basis: o.basis.to_string(),
            correct_won: o.outcome == "won",
            best_per_source: per,
        });
    }
    // No target layer with scores on both sides (e.g. a metric refused at this size): no verdict to state.
    if layers.is_empty() {
        return None;
    }
    Some(Identifiability {
        metric: run.spec.metrics[k].name.clone(),
        better: run.metrics[k].0.better(),
        target: run.entries[t].id.clone(),
        correct_source: sources[correct].id.clone(),
        identity: run.spec.targets[t].identity.clone(),
        layers,
        set: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(value: f64, se: Option<f64>) -> Best {
        Best { value, se }
    }

    #[test]
    fn equal_bests_are_a_tie_never_a_win() {
        for se in [None, Some(0.0), Some(0.05)] {
            let o = outcome(b(0.8, se), b(0.8, se), true);
            assert_eq!((o.outcome, o.margin), ("tie", 0.0), "{se:?}");
        }
        // Scores equal but for rounding: still a tie without standard errors.
        assert_eq!(outcome(b(0.3 + 1e-12, None), b(0.3, None), true).outcome, "tie");
        assert_eq!(outcome(b(1.0, None), b(1.0, None), false).outcome, "tie");
    }

    #[test]
    fn within_the_spread_is_a_tie_beyond_it_a_win_or_a_loss() {
        // se 0.03 and 0.04: a win needs more than 0.05.
        let o = outcome(b(0.54, Some(0.03)), b(0.50, Some(0.04)), true);
        assert_eq!(o.outcome, "tie");
        assert!((o.needed - 0.05).abs() < 1e-12 && (o.margin - 0.04).abs() < 1e-12, "{o:?}");
        assert!(o.basis.contains("standard error"));
        assert_eq!(outcome(b(0.56, Some(0.03)), b(0.50, Some(0.04)), true).outcome, "won");
        assert_eq!(outcome(b(0.44, Some(0.03)), b(0.50, Some(0.04)), true).outcome, "lost");
        // Without standard errors any real difference counts.
        let o = outcome(b(0.9, None), b(0.89, Some(0.1)), true);
        assert_eq!((o.outcome, o.basis.starts_with("numerical")), ("won", true));
        // A distance: smaller is better, and the margin is turned.
        let o = outcome(b(0.2, None), b(0.3, None), false);
        assert_eq!(o.outcome, "won");
        assert!((o.margin - 0.1).abs() < 1e-12);
    }
}
