//! Findings of the predictivity vs specificity analysis: per group of
//! targets (without noise, each noise gain) and stimulus set, the mappings'
//! same-layer predictivity (held-out R²), the silhouette by layer of every
//! metric, and the same-layer identification rate. Every number is read from
//! `r.specificity`; nothing is said about a metric the result lacks.

use super::count;
use crate::experiment::analysis::specificity::Specificity;
use crate::experiment::result::ExperimentResult;
use crate::experiment::metric::describe;
use crate::metrics::registry::MetricName;

/// The metric's name as people read it ("ridge regression"), else as written.
fn title(metric: &str) -> String {
    MetricName::parse(metric).map_or(metric.to_string(), |m| describe(m).title().to_string())
}

/// A value with 2-3 significant digits.
fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 || a == 0.0 {
        format!("{v:.2}")
    } else {
        let digits = (1 - a.log10().floor() as i32).clamp(2, 6) as usize;
        format!("{v:.digits$}")
    }
}

/// "a, b and c".
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The sentences this analysis contributes; none when `r` holds none of it.
pub(super) fn sentences(r: &ExperimentResult) -> Vec<String> {
    let mut out = Vec::new();
    // Groups in the order the result lists them: (targets, set).
    let mut groups: Vec<(&str, Option<usize>)> = Vec::new();
    for sp in &r.specificity {
        if !groups.contains(&(sp.targets.as_str(), sp.set)) {
            groups.push((sp.targets.as_str(), sp.set));
        }
    }
    for (targets, set) in groups {
        let entries: Vec<&Specificity> = r.specificity.iter().filter(|s| s.targets == targets && s.set == set).collect();
        let set_name = set.map(|i| r.stimulus_sets.get(i).map_or(format!("set {i}"), |s| s.name.clone()));
        let context = match &set_name {
            Some(name) => format!("{targets}, {name}"),
            None => targets.to_string(),
        };
        out.extend(predictivity(&entries, &context));
        out.extend(silhouettes(&entries, &context));
        out.extend(identification(&entries, &context));
        if let Some((gain, rule)) = entries.iter().find_map(|s| Some((s.noise_gain?, s.noise_rule.as_deref()?))) {
            let on = set_name.as_ref().map(|n| format!(" on {n}")).unwrap_or_default();
            out.push(format!("The noisy targets{on} got Poisson-like noise of gain {gain} with {rule}."));
        }
    }
    out
}

/// Per mapping: at how many target layers the same source layer had the
/// highest mean held-out R², and the same-layer R² over layers.
fn predictivity(entries: &[&Specificity], context: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut overall = Vec::new();
    for sp in entries {
        let Some(p) = &sp.predictivity else { continue };
        let layers: Vec<_> = p.layers.iter().filter(|l| l.same.is_some()).collect();
        if layers.is_empty() {
            continue;
        }
        let name = title(&sp.metric);
        // Layers where no other source layer was recorded count as won.
        let won = layers.iter().filter(|l| l.best_other.as_ref().is_none_or(|b| l.same.expect("filtered") > b.value)).count();
        let (lo, hi) = layers.iter().fold((layers[0], layers[0]), |(lo, hi), l| {
            (if l.same < lo.same { l } else { lo }, if l.same > hi.same { l } else { hi })
        });
        let range = if layers.len() > 1 {
            format!(
                ", from {} at {} to {} at {}",
                num(lo.same.expect("filtered")),
                lo.layer,
                num(hi.same.expect("filtered")),
                hi.layer
            )
        } else {
            String::new()
        };
        let mean = p.same_layer.expect("a layer is defined");
        out.push(format!(
            "By {name} ({context}), a layer was predicted best (highest mean held-out R²) from the same layer of another model at {won} of {}; same-layer R² averaged {}{range}.",
            count(layers.len(), "target layer"),
            num(mean)
        ));
        overall.push(format!("{name} {}", num(mean)));
    }
    if overall.len() > 1 {
        out.push(format!("Same-layer predictivity, the mean held-out R² over layers ({context}): {}.", list(&overall)));
    }
    out
}

/// Every metric's silhouette by layer, on what it read.
fn silhouettes(entries: &[&Specificity], context: &str) -> Vec<String> {
    let items: Vec<String> = entries
        .iter()
        .filter_map(|sp| {
            let p = sp.population.as_ref()?;
            let s = p.silhouette?;
            let squared = p.silhouette_squared.map(|q| format!(", {} on squared scores", num(q))).unwrap_or_default();
            Some(format!("{} {} (on {}{squared})", title(&sp.metric), num(s), sp.basis))
        })
        .collect();
    if items.is_empty() {
        return Vec::new();
    }
    vec![format!("Silhouette by layer over the population ({context}; 1 is layers fully apart): {}.", list(&items))]
}

/// The same-layer identification rate of every metric, an extra beside predictivity.
fn identification(entries: &[&Specificity], context: &str) -> Vec<String> {
    let items: Vec<String> = entries
        .iter()
        .filter(|sp| sp.same_layer.cases > 0)
        .map(|sp| format!("{} {} of {}", title(&sp.metric), sp.same_layer.hits, sp.same_layer.cases))
        .collect();
    if items.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "Same-layer identification rate (the best source layer of another model has the target layer's name; {context}): {}.",
        list(&items)
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The page's fixture result, soft matching turned into a mapping with hand-set R².
    fn result() -> ExperimentResult {
        let mut v: Value = serde_json::from_str(include_str!("../../../../tests/fixtures/results/specificity-small.json")).unwrap();
        v["specificity"][0]["basis"] = json!("score");
        v["specificity"][0]["population"]["silhouette_squared"] = json!(0.25);
        let sm = &mut v["specificity"][1];
        sm["basis"] = json!("held-out R²");
        sm["predictivity"] = json!({"same_layer": 0.45, "layers": [
            {"layer": "features.0:pre", "same": 0.3, "pairs": 2, "other_mean": 0.4, "best_other": {"layer": "features.0", "value": 0.4}},
            {"layer": "features.0", "same": 0.6, "pairs": 2, "other_mean": 0.1, "best_other": {"layer": "features.0:pre", "value": 0.1}}
        ]});
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn sentences_read_the_analysis() {
        let r = result();
        let s = sentences(&r);
        assert_eq!(
            s[0],
            "By soft matching (without noise), a layer was predicted best (highest mean held-out R²) from the same layer of another \
             model at 1 of 2 target layers; same-layer R² averaged 0.45, from 0.30 at features.0:pre to 0.60 at features.0."
        );
        assert!(s[1].starts_with("Silhouette by layer over the population (without noise; 1 is layers fully apart): RSA "), "{}", s[1]);
        assert!(s[1].contains("(on score, 0.25 on squared scores)") && !s[1].contains("soft matching"), "{}", s[1]);
        assert_eq!(
            s[2],
            "Same-layer identification rate (the best source layer of another model has the target layer's name; without noise): \
             RSA 4 of 4 and soft matching 3 of 4."
        );
        assert_eq!(s.len(), 3, "{s:?}");
        // Nothing of its kind, nothing said.
        let mut empty = r.clone();
        empty.specificity.clear();
        assert!(sentences(&empty).is_empty());
        assert_eq!((num(-0.0123), num(0.456), num(-53.81), num(0.0)), ("-0.012".into(), "0.46".into(), "-53.8".into(), "0.00".into()));
    }
}
