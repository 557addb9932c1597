//! Findings of the identifiability analysis: per stimulus set and metric, at
//! how many target layers the correct source scored best (won beyond the
//! margin, or tied within it), per target where there are several, and the
//! mean identifiability index; with several sets, the mean index per set.
//! Every count and value is read from `r.identifiability` (and the set names
//! from `r.stimulus_sets`), so the sentences hold for any spec.

use super::{count, label};
use crate::experiment::metric::describe;
use crate::experiment::result::{ExperimentResult, Identifiability};
use crate::metrics::registry::MetricName;

/// The sentences this analysis contributes; none when `r` holds no identifiability entry.
pub(super) fn sentences(r: &ExperimentResult) -> Vec<String> {
    if r.identifiability.is_empty() {
        return Vec::new();
    }
    let who = correct_words(r);
    let mut out = Vec::new();
    let sets = set_order(r);
    // Sets are named whenever the run had several (even if only one gave verdicts).
    let several = sets.len() > 1 || r.stimulus_sets.len() > 1;
    for &set in &sets {
        let of_set: Vec<&Identifiability> = r.identifiability.iter().filter(|v| v.set == set).collect();
        let on = match (several, set) {
            (true, Some(i)) => format!("On {}, by", set_name(r, i)),
            _ => "By".to_string(),
        };
        let metrics = metric_order(&of_set);
        // One sentence of counts over every target, metric by metric.
        let parts: Vec<String> = metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let t = tally(of_set.iter().copied().filter(|v| &v.metric == m));
                let ties = if t.ties > 0 { format!(" ({} tied)", t.ties) } else { String::new() };
                if i == 0 {
                    format!("{on} {} {who} scored best at {} of {}{ties}", title(m), t.won, count(t.layers, "target layer"))
                } else {
                    format!("by {} at {} of {}{ties}", title(m), t.won, t.layers)
                }
            })
            .collect();
        out.push(format!("{}.", parts.join("; ")));
        // The mean index per metric over every target layer of the set.
        let means: Vec<String> = metrics
            .iter()
            .filter_map(|m| tally(of_set.iter().copied().filter(|v| &v.metric == m)).mean.map(|x| format!("{} {}", title(m), sig(x))))
            .collect();
        if !means.is_empty() {
            let at = if several { format!(" on {}", set.map_or(String::new(), |i| set_name(r, i))) } else { String::new() };
            out.push(format!("Mean identifiability index over target layers{at}: {}.", means.join(", ")));
        }
        // Per target, when there are several and only one set (with several sets the per-set summary follows).
        let targets: Vec<&str> = unique(of_set.iter().map(|v| v.target.as_str()));
        if targets.len() > 1 && !several {
            for m in &metrics {
                let per: Vec<String> = targets
                    .iter()
                    .filter_map(|t| {
                        let v = of_set.iter().find(|v| &v.metric == m && v.target == *t)?;
                        let x = tally(std::iter::once(*v));
                        Some(format!("{}: {} of {}", label(r, t), x.won, x.layers))
                    })
                    .collect();
                out.push(format!("By {}, per target: {}.", title(m), per.join("; ")));
            }
        }
    }
    if several {
        for m in metric_order(&r.identifiability.iter().collect::<Vec<_>>()) {
            let per: Vec<(String, f64)> = sets
                .iter()
                .filter_map(|&s| {
                    let t = tally(r.identifiability.iter().filter(|v| v.set == s && v.metric == m));
                    Some((s.map_or(String::new(), |i| set_name(r, i)), t.mean?))
                })
                .collect();
            if per.len() < 2 {
                continue;
            }
            let listed: Vec<String> = per.iter().map(|(n, x)| format!("{n} {}", sig(*x))).collect();
            let (top, _) = per.iter().fold(&per[0], |a, b| if b.1 > a.1 { b } else { a });
            out.push(format!("By {}, the mean identifiability index per stimulus set was {}: highest on {top}.", title(&m), listed.join(", ")));
        }
    }
    out
}

/// Counts over some entries' target layers.
struct Tally {
    won: usize,
    ties: usize,
    layers: usize,
    mean: Option<f64>,
}

fn tally<'a>(entries: impl Iterator<Item = &'a Identifiability>) -> Tally {
    let (mut won, mut ties, mut layers, mut sum, mut n) = (0, 0, 0, 0.0f64, 0usize);
    for v in entries {
        for l in &v.layers {
            layers += 1;
            match l.outcome() {
                "won" => won += 1,
                "tie" => ties += 1,
                _ => {}
            }
            if let Some(x) = l.index {
                sum += x;
                n += 1;
            }
        }
    }
    Tally { won, ties, layers, mean: (n > 0).then(|| sum / n as f64) }
}

/// "the correct architecture" when every target's identity is its
/// architecture; else "the correct source", naming the identity when all
/// targets share one (e.g. a training set given by the spec's `identity`).
fn correct_words(r: &ExperimentResult) -> String {
    let ids: Vec<Option<&str>> = unique(r.identifiability.iter().map(|v| v.target.as_str()))
        .into_iter()
        .map(|t| t.strip_prefix('t').and_then(|i| i.parse::<usize>().ok()).and_then(|i| r.spec.targets.get(i)).and_then(|m| m.identity.as_deref()))
        .collect();
    if ids.iter().all(Option::is_none) {
        return "the correct architecture".into();
    }
    let named = unique(ids.iter().flatten().copied());
    match (named.len(), ids.iter().all(Option::is_some)) {
        (1, true) => format!("the correct source (identity \"{}\")", named[0]),
        _ => "the correct source (the target's identity)".into(),
    }
}

/// The sets the entries name, in order (one `None` for a single-set run).
fn set_order(r: &ExperimentResult) -> Vec<Option<usize>> {
    let mut sets: Vec<Option<usize>> = Vec::new();
    for v in &r.identifiability {
        if !sets.contains(&v.set) {
            sets.push(v.set);
        }
    }
    sets.sort();
    sets
}

fn set_name(r: &ExperimentResult, i: usize) -> String {
    r.stimulus_sets.get(i).map_or(format!("set {i}"), |s| s.name.clone())
}

/// Metric names in the order they first appear.
fn metric_order(entries: &[&Identifiability]) -> Vec<String> {
    unique(entries.iter().map(|v| v.metric.as_str())).into_iter().map(String::from).collect()
}

/// A metric's title as the views name it ("linear CKA"), else its name.
fn title(name: &str) -> String {
    MetricName::parse(name).map_or(name.to_string(), |m| describe(m).title().to_string())
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Two significant digits (at least two decimals): 0.21, -0.048, 0.0031.
pub(crate) fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x:.2}");
    }
    let decimals = (1 - x.abs().log10().floor() as i32).max(2) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::sig;

    #[test]
    fn two_significant_digits() {
        assert_eq!(sig(0.2149), "0.21");
        assert_eq!(sig(-0.0483), "-0.048");
        assert_eq!(sig(0.00314), "0.0031");
        assert_eq!(sig(0.0), "0.00");
        assert_eq!(sig(1.0), "1.00");
    }
}
