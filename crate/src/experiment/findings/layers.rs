//! Findings of a score table between two networks with the same layers (two
//! seeds of one architecture, a model and its noisy copy): is each target
//! layer's best-scoring source layer the one of the same name, the diagonal
//! the page's heatmap shows? Said only where no identifiability or
//! specificity analysis already speaks of those tables.

use super::label;
use super::identify::sig;
use crate::experiment::metric::describe;
use crate::experiment::result::{ExperimentResult, Score};
use crate::metrics::registry::MetricName;

/// One sentence per score table whose source and target record the same layer names.
pub(super) fn sentences(r: &ExperimentResult) -> Vec<String> {
    if !r.identifiability.is_empty() || !r.specificity.is_empty() {
        return Vec::new();
    }
    r.scores.iter().filter_map(|s| sentence(r, s)).collect()
}

fn sentence(r: &ExperimentResult, s: &Score) -> Option<String> {
    let (src, tgt) = (r.model(&s.source)?, r.model(&s.target)?);
    if src.layers.len() < 2 || src.layers != tgt.layers || s.values.len() != src.layers.len() {
        return None;
    }
    let lower = s.better == "lower";
    let n = tgt.layers.len();
    let (mut hits, mut cases, mut same, mut other, mut n_other) = (0, 0, 0.0, 0.0, 0usize);
    for j in 0..n {
        let column: Vec<(usize, f64)> = (0..src.layers.len()).filter_map(|i| s.values[i].get(j).copied().flatten().map(|v| (i, v))).collect();
        let Some(&(best, _)) = column.iter().min_by(|a, b| if lower { a.1.total_cmp(&b.1) } else { b.1.total_cmp(&a.1) }) else { continue };
        cases += 1;
        hits += usize::from(best == j);
        for &(i, v) in &column {
            if i == j {
                same += v;
            } else {
                other += v;
                n_other += 1;
            }
        }
    }
    if cases == 0 {
        return None;
    }
    let title = MetricName::parse(&s.metric).map_or(s.metric.clone(), |m| describe(m).title().to_string());
    let set = s.set.and_then(|i| r.stimulus_sets.get(i)).map_or(String::new(), |x| format!(" on {}", x.name));
    let means = if n_other > 0 { format!(" (mean {}: same layer {}, other layers {})", if lower { "distance" } else { "score" }, sig(same / cases as f64), sig(other / n_other as f64)) } else { String::new() };
    Some(format!(
        "By {title}{set}, the best-scoring layer of {} for each layer of {} was the layer of the same name at {hits} of {cases} layers{means}.",
        label(r, &s.source),
        label(r, &s.target)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(values: serde_json::Value, better: &str) -> ExperimentResult {
        let model = |id: &str, role: &str, seed: u64| json!({"id": id, "role": role, "label": format!("alexnet seed {seed}"), "kind": "zoo", "arch": "alexnet", "seed": seed, "layers": ["a", "b", "c"]});
        serde_json::from_value(json!({
            "idlab_version": "0", "flavor": "native", "n_stimuli": 4, "stimuli": [], "inputs": [], "seconds": 0.0,
            "spec": {"idlab": 2, "stimuli": {"set": "kriegeskorte92"}, "sources": [{"arch": "alexnet", "seed": 0}], "targets": [{"arch": "alexnet", "seed": 1}], "metrics": [{"name": "cka"}]},
            "models": [model("s0", "source", 0), model("t0", "target", 1)],
            "scores": [{"metric": "cka", "better": better, "source": "s0", "target": "t0", "values": values}]
        }))
        .unwrap()
    }

    #[test]
    fn counts_the_same_named_best_layers() {
        // Columns are target layers: a's best is a, b's best is a, c's best is c.
        let r = result(json!([[0.9, 0.8, 0.1], [0.5, 0.7, 0.2], [0.1, 0.2, 0.6]]), "higher");
        assert_eq!(
            sentences(&r),
            ["By linear CKA, the best-scoring layer of alexnet seed 0 for each layer of alexnet seed 1 was the layer of the same name at 2 of 3 layers (mean score: same layer 0.73, other layers 0.32)."]
        );
        // A distance: the smallest is the best (a: a, b: b, c: a).
        let r = result(json!([[0.1, 0.8, 0.1], [0.5, 0.2, 0.2], [0.9, 0.9, 0.6]]), "lower");
        assert!(sentences(&r)[0].contains("at 2 of 3 layers (mean distance: same layer 0.30"), "{:?}", sentences(&r));
    }
}
