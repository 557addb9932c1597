//! Findings of the nrp analysis: per target (and stimulus set), at how many
//! (source, layer) pairs the MLP's held-out mean absolute error was below
//! the ridge baseline's, the pair with the lowest MLP error, and, for each
//! model pruned at several levels, its best layer's error at each level.
//! Everything is read from the nrp scores' `values` and `detail` tables
//! (`mlp_mae`, `ridge_mae`) and the models' `prune`, so the sentences hold
//! for any spec with nrp scores, and there are none without.

use super::{count, label};
use crate::experiment::result::{ExperimentResult, ModelInfo, Score};

/// The sentences this analysis contributes; none when `r` holds no nrp score with error tables.
pub(super) fn sentences(r: &ExperimentResult) -> Vec<String> {
    let scores: Vec<&Score> = r.scores.iter().filter(|s| s.metric == "nrp" && table(s, "mlp_mae").is_some()).collect();
    let mut groups: Vec<(&str, Option<usize>)> = Vec::new();
    for s in &scores {
        if !groups.contains(&(s.target.as_str(), s.set)) {
            groups.push((s.target.as_str(), s.set));
        }
    }
    let mut out = Vec::new();
    for &(target, set) in &groups {
        let of: Vec<&Score> = scores.iter().copied().filter(|s| s.target == target && s.set == set).collect();
        let set_name = set.map(|i| r.stimulus_sets.get(i).map_or(format!(" on set {i}"), |s| format!(" on {}", s.name))).unwrap_or_default();
        let against = format!("{}{set_name}", label(r, target));
        out.extend(group_sentences(r, &of, &against));
    }
    out
}

/// The named detail table of a score.
fn table<'a>(s: &'a Score, name: &str) -> Option<&'a Vec<Vec<Option<f64>>>> {
    s.detail.as_ref()?.get(name)
}

/// Cell (i, j) of a detail table, when finite.
fn cell(s: &Score, name: &str, i: usize, j: usize) -> Option<f64> {
    table(s, name)?.get(i)?.get(j).copied().flatten().filter(|v| v.is_finite())
}

/// A layer's name, with the target column's when the target has several.
fn layer_name(r: &ExperimentResult, s: &Score, i: usize, j: usize, columns: usize) -> String {
    let of = |id: &str, k: usize| r.model(id).and_then(|m| m.layers.get(k).cloned()).unwrap_or_else(|| format!("layer {k}"));
    if columns > 1 {
        format!("{} (to {})", of(&s.source, i), of(&s.target, j))
    } else {
        of(&s.source, i)
    }
}

/// The pair with the lowest MLP error among `scores`: (score, i, j, mlp, ridge).
fn best<'a>(scores: &[&'a Score]) -> Option<(&'a Score, usize, usize, f64, Option<f64>)> {
    let mut out: Option<(&Score, usize, usize, f64, Option<f64>)> = None;
    for s in scores {
        let Some(t) = table(s, "mlp_mae") else { continue };
        for (i, row) in t.iter().enumerate() {
            for j in 0..row.len() {
                if let Some(v) = cell(s, "mlp_mae", i, j) {
                    if out.as_ref().map_or(true, |b| v < b.3) {
                        out = Some((s, i, j, v, cell(s, "ridge_mae", i, j)));
                    }
                }
            }
        }
    }
    out
}

fn group_sentences(r: &ExperimentResult, scores: &[&Score], against: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut below, mut pairs) = (0, 0);
    let mut columns = 1;
    for s in scores {
        let Some(t) = table(s, "mlp_mae") else { continue };
        for (i, row) in t.iter().enumerate() {
            columns = columns.max(row.len());
            for j in 0..row.len() {
                if let (Some(m), Some(l)) = (cell(s, "mlp_mae", i, j), cell(s, "ridge_mae", i, j)) {
                    pairs += 1;
                    if m < l {
                        below += 1;
                    }
                }
            }
        }
    }
    if pairs > 0 {
        out.push(format!(
            "Predicting {against}, the MLP's held-out mean absolute error was below the ridge baseline's at {below} of {}.",
            count(pairs, "(source, layer) pair")
        ));
    }
    if let Some((s, i, j, m, l)) = best(scores) {
        let ridge = l.map_or(String::new(), |l| format!(" vs ridge {}", sig(l)));
        out.push(format!(
            "The lowest MLP error for {against} was at {} of {} (MAE {}{ridge}).",
            layer_name(r, s, i, j, columns),
            label(r, &s.source),
            sig(m)
        ));
    }
    for family in pruned_families(r, scores) {
        out.extend(family_sentence(r, scores, &family, columns));
    }
    out
}

/// Sources that are one model (architecture and seed, or the same trained
/// weights) at two or more pruning levels, each sorted by level.
fn pruned_families<'a>(r: &'a ExperimentResult, scores: &[&Score]) -> Vec<Vec<&'a ModelInfo>> {
    let key = |m: &ModelInfo| (m.arch.clone(), m.weights.as_ref().map_or_else(|| format!("seed {:?}", m.seed), |w| w.sha256.clone()));
    let mut families: Vec<Vec<&ModelInfo>> = Vec::new();
    for s in scores {
        let Some(m) = r.model(&s.source) else { continue };
        if m.arch.is_none() {
            continue;
        }
        match families.iter_mut().find(|f| key(f[0]) == key(m)) {
            Some(f) if !f.iter().any(|x| x.id == m.id) => f.push(m),
            Some(_) => {}
            None => families.push(vec![m]),
        }
    }
    families.retain(|f| {
        let mut levels: Vec<f64> = f.iter().map(|m| m.prune.unwrap_or(0.0)).collect();
        levels.sort_by(f64::total_cmp);
        levels.dedup();
        levels.len() > 1
    });
    for f in &mut families {
        f.sort_by(|a, b| a.prune.unwrap_or(0.0).total_cmp(&b.prune.unwrap_or(0.0)));
    }
    families
}

/// "alexnet seed 0" from "alexnet seed 0, 20% pruned".
fn family_name(m: &ModelInfo) -> String {
    match m.label.rfind(", ") {
        Some(i) if m.label.ends_with("% pruned") => m.label[..i].to_string(),
        _ => m.label.clone(),
    }
}

fn percent(f: f64) -> String {
    format!("{}%", (f * 1000.0).round() / 10.0)
}

/// Per pruning level, the best (lowest) MLP and ridge errors over the source's layers.
fn family_sentence(r: &ExperimentResult, scores: &[&Score], family: &[&ModelInfo], columns: usize) -> Option<String> {
    let mut levels: Vec<(f64, f64, String, Option<f64>)> = Vec::new();
    for m in family {
        let of: Vec<&Score> = scores.iter().copied().filter(|s| s.source == m.id).collect();
        let Some((s, i, j, mlp, _)) = best(&of) else { continue };
        // Ridge's best over the layers, which need not be the MLP's best layer.
        let ridge = of
            .iter()
            .filter_map(|s| table(s, "ridge_mae").map(|t| (s, t)))
            .flat_map(|(s, t)| (0..t.len()).flat_map(move |i| (0..t[i].len()).filter_map(move |j| cell(s, "ridge_mae", i, j))))
            .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.min(v))));
        levels.push((m.prune.unwrap_or(0.0), mlp, layer_name(r, s, i, j, columns), ridge));
    }
    if levels.len() < 2 {
        return None;
    }
    let (first, last) = (&levels[0], &levels[levels.len() - 1]);
    let moved = |a: f64, b: f64| if b < a { "fell" } else if b > a { "rose" } else { "stayed" };
    let listed: Vec<String> = levels.iter().map(|(p, m, l, _)| format!("{} {} ({l})", percent(*p), sig(*m))).collect();
    let lowest = levels.iter().fold(&levels[0], |a, b| if b.1 < a.1 { b } else { a });
    let ridge = match (first.3, last.3) {
        (Some(a), Some(b)) => format!("; ridge's best {} from {} to {}", moved(a, b), sig(a), sig(b)),
        _ => String::new(),
    };
    Some(format!(
        "As {} was pruned from {} to {}, its best layer's MLP error {} from {} to {}{ridge} (per level: {}; lowest at {}).",
        family_name(family[0]),
        percent(first.0),
        percent(last.0),
        moved(first.1, last.1),
        sig(first.1),
        sig(last.1),
        listed.join(", "),
        percent(lowest.0),
    ))
}

/// Three significant digits: 0.123, 0.0456, 12.3.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x:.3}");
    }
    let decimals = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::sig;

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig(0.12345), "0.123");
        assert_eq!(sig(0.045678), "0.0457");
        assert_eq!(sig(12.345), "12.3");
        assert_eq!(sig(1234.6), "1235");
    }
}
