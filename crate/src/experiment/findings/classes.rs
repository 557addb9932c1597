//! Findings of the class comparison (`result.class_comparison`): per target
//! and metric, how many layers' Welch tests reach `alpha`, the range of
//! Hedges' g and how often its interval excludes 0, and how many tests were
//! too small to detect a one-sd difference, with the class sizes beside the
//! paper's. Computed from the result only, so true for any spec with `classes`.

use super::{count, label};
use crate::experiment::analysis::classes::ClassComparison;
use crate::experiment::metric::describe;
use crate::metrics::registry::MetricName;
use crate::experiment::result::ExperimentResult;

/// A metric's title as the views name it ("linear CKA"), else its name.
fn title(name: &str) -> String {
    MetricName::parse(name).map_or(name.to_string(), |m| describe(m).title().to_string())
}

/// 2 significant digits, plain notation ("0.031", "2.1", "-0.30").
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (1 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// "convolution (11 architectures; the paper's 11)".
fn sizes(c: &ClassComparison) -> String {
    let one = |i: usize| {
        let s = &c.classes[i];
        let paper = s.paper_n.map_or(String::new(), |p| format!("; the paper's {p}"));
        format!("{} ({}{paper})", s.name, count(s.n, "architecture"))
    };
    format!("{} and {}", one(0), one(1))
}

/// The sentence of one comparison; none when it has no layer.
fn sentence(r: &ExperimentResult, c: &ClassComparison) -> Option<String> {
    let layers = &c.layers;
    if layers.is_empty() {
        return None;
    }
    let total = layers.len();
    let target = r.model(&c.target);
    let weights = match target {
        Some(m) if m.weights.is_some() => "",
        Some(m) if m.seed.is_some() => " (seeded random weights)",
        _ => "",
    };
    let set = c.set.and_then(|i| r.stimulus_sets.get(i)).map_or(String::new(), |s| format!(" on {}", s.name));
    let names = if c.classes.len() == 2 {
        sizes(c)
    } else {
        layers[0].groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(" and ")
    };
    let tested = layers.iter().filter(|l| l.p_value.is_some()).count();
    let significant = layers.iter().filter(|l| l.significant).count();
    let head = format!("Target {}{weights}, by {}{set}", label(r, &c.target), title(&c.metric));
    if tested == 0 {
        return Some(format!(
            "{head}: {names}: no layer could be tested by Welch's t-test (a class has fewer than 2 architectures with scores)."
        ));
    }
    let mut s = format!("{head}: {names} differ by Welch's t-test at p < {} at {significant} of {total}", c.alpha);
    s.push_str(if total == 1 { " layer" } else { " layers" });
    if tested < total {
        s.push_str(&format!(" (no test at {}: a class has fewer than 2 architectures there)", count(total - tested, "layer")));
    }
    let gs: Vec<(f64, f64, f64)> = layers.iter().filter_map(|l| l.effect.as_ref()).map(|e| (e.g, e.ci_low, e.ci_high)).collect();
    if !gs.is_empty() {
        let lo = gs.iter().map(|g| g.0).fold(f64::INFINITY, f64::min);
        let hi = gs.iter().map(|g| g.0).fold(f64::NEG_INFINITY, f64::max);
        let range = if num(lo) == num(hi) { format!("is {}", num(lo)) } else { format!("ranges from {} to {}", num(lo), num(hi)) };
        let first = layers[0].groups.first().map_or("the first class", |g| g.name.as_str());
        let second = layers[0].groups.get(1).map_or("the second", |g| g.name.as_str());
        let excl = gs.iter().filter(|g| g.1 > 0.0 || g.2 < 0.0).count();
        s.push_str(&format!(
            "; Hedges' g ({first} minus {second}, in pooled sds) {range}, its 95% interval excluding 0 at {excl} of {}",
            gs.len()
        ));
    }
    let powered: Vec<f64> = layers.iter().filter_map(|l| l.power).collect();
    if !powered.is_empty() {
        let low = layers.iter().filter(|l| l.low_power).count();
        let lo = powered.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = powered.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = if num(lo) == num(hi) { num(lo) } else { format!("{} to {}", num(lo), num(hi)) };
        s.push_str(&format!(
            "; {low} of {} tests have power below {} to detect a difference of {} sd (power {range})",
            powered.len(),
            c.low_power_below,
            c.power_d,
        ));
    }
    s.push('.');
    Some(s)
}

/// The sentences this analysis contributes; none when `r` holds none of it.
pub(super) fn sentences(r: &ExperimentResult) -> Vec<String> {
    r.class_comparison.iter().filter_map(|c| sentence(r, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn two_significant_digits() {
        assert_eq!(num(2.134), "2.1");
        assert_eq!(num(-0.3012), "-0.30");
        assert_eq!(num(0.0312), "0.031");
        assert_eq!(num(14.7), "15");
    }
}
