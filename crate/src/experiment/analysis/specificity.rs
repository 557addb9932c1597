//! Predictivity vs specificity (Thobani et al., "Predictivity and
//! specificity for model-brain alignment methods"): a population of models
//! of one architecture (seeds standing in for animals) is compared with
//! itself, and a metric is judged by two things:
//!
//! - *predictivity*, for a metric that is a mapping (ridge regression, soft
//!   matching used as a predictive model): the held-out R² of mapping one
//!   model's layer to the same layer of another model (the score table's
//!   `detail.r2`), per target layer as the mean over (source, target) pairs,
//!   and overall as the mean over layers (the paper's Fig. 1A and 1B). A
//!   metric without a mapping (RSA, CKA) has none, as in the paper;
//! - *specificity*: in a dissimilarity matrix over every (model, layer) of the
//!   population (1 - similarity, the similarity being the held-out R² for a
//!   mapping and the metric's score otherwise, a distance as it is), do a
//!   layer's copies in different models cluster apart from the other
//!   layers? The silhouette with labels = layer names (overall and per
//!   layer; the paper's Fig. 1C), with 1 - score² beside it for a similarity
//!   without R² (the paper's "squared RSA scores"), and a classical MDS to two
//!   dimensions for the picture (Fig. 1D).
//!
//! Beside them, a separately named extra: the *same-layer identification
//! rate* (`same_layer`): how often the best source layer of another model
//! (by the same numbers the population reads) has the target layer's name.
//!
//! Pure functions of the score tables: [`from_run`] calls [`analyse`] once
//! per metric and group of targets (targets without noise, and those of each
//! noise gain) of a finished run.

use super::Finished;
use crate::experiment::session::{Entry, Kind};
use crate::stats::mds::classical_mds;
use crate::stats::silhouette::silhouette_precomputed;
use serde::{Deserialize, Serialize};

/// A zoo model on one side, as the analysis sees it.
#[derive(Clone, Debug)]
pub struct Member {
    /// `s0`, `t1`, …
    pub id: String,
    pub label: String,
    pub arch: String,
    /// The same network on both sides (architecture and seed): a pair of
    /// members with the same `model` is a model compared with itself.
    pub model: String,
    pub layers: Vec<String>,
}

/// The score table (source layers x target layers) of source `s` against target `t`.
pub type Tables<'a> = dyn Fn(usize, usize) -> Option<&'a [Vec<Option<f64>>]> + 'a;

/// One metric's analysis over one group of targets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Specificity {
    pub metric: String,
    /// `higher` or `lower` (a distance: the best layer is the closest one).
    #[serde(deserialize_with = "crate::experiment::result::tag")]
    pub better: crate::experiment::result::Tag,
    /// The targets analysed: `without noise` or `noisy (gain g)`.
    pub targets: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise_gain: Option<f64>,
    /// With noisy targets: how the noise treats responses below 0
    /// (`crate::stats::noise::NEGATIVE_RULE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_rule: Option<String>,
    /// The (source id, target id) pairs of the same architecture and different models.
    pub pairs: Vec<[String; 2]>,
    /// Held-out R² of the metric as a mapping; absent for a metric without
    /// one (RSA, CKA) or whose tables hold no R².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictivity: Option<Predictivity>,
    /// The numbers the identification rate and the population read:
    /// `held-out R²` (a mapping), `score` (a similarity) or `distance`.
    #[serde(default)]
    pub basis: String,
    /// The same-layer identification rate (an extra, not the paper's predictivity).
    pub same_layer: SameLayer,
    /// Absent when a score it needs is undefined (the reason is in the warnings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<Population>,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
}

/// Thobani et al.'s same-layer predictivity: held-out R² of a layer of one
/// model predicted from the same layer of another.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Predictivity {
    /// Overall: the mean over target layers of `layers[].same` (layers
    /// without a defined value left out).
    pub same_layer: Option<f64>,
    pub layers: Vec<LayerR2>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LayerR2 {
    pub layer: String,
    /// Mean over (source, target) pairs of the R² from the same source layer.
    pub same: Option<f64>,
    /// The pairs with a defined R² there.
    pub pairs: usize,
    /// Mean R² from the other source layers, and the largest such mean over
    /// one other source layer (the best other layer on average).
    pub other_mean: Option<f64>,
    pub best_other: Option<LayerValue>,
}

/// The same-layer identification rate over all target layers, and per target layer.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SameLayer {
    /// Share of (pair, target layer) cases whose best source layer has the
    /// target layer's name; only target layers the source records count.
    pub fraction: Option<f64>,
    pub hits: usize,
    pub cases: usize,
    /// Mean score of the same layer, and mean over the other source layers.
    pub same_mean: Option<f64>,
    pub other_mean: Option<f64>,
    pub layers: Vec<LayerPredictivity>,
}

/// One target layer's identification rate (the name is the result's, kept for readers of older results).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LayerPredictivity {
    pub layer: String,
    pub fraction: Option<f64>,
    pub hits: usize,
    pub cases: usize,
    pub same_mean: Option<f64>,
    pub other_mean: Option<f64>,
}

/// The population's (model, layer) representations, their dissimilarities,
/// silhouette by layer and 2-D classical MDS.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Population {
    /// One point per target model and layer, in target then layer order.
    pub points: Vec<Point>,
    /// Symmetric, zero diagonal: 1 - score for a similarity, the distance
    /// itself for a distance, the mean of both directions.
    pub dissimilarity: Vec<Vec<f64>>,
    /// Mean silhouette with labels = layer names (sklearn's
    /// `silhouette_score(metric='precomputed')`); absent with fewer than 2
    /// or more than n - 1 layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silhouette: Option<f64>,
    /// A similarity without R² (RSA, CKA): the silhouette on 1 - score²
    /// (both directions' mean score, squared), the paper's squared RSA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silhouette_squared: Option<f64>,
    /// Mean silhouette of each layer's points.
    pub silhouette_per_layer: Vec<LayerValue>,
    /// Classical MDS coordinates, one [x, y] per point.
    pub mds: Vec<[f64; 2]>,
    /// Share of the positive eigenvalue mass the two axes keep.
    pub mds_explained: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Point {
    /// The target's id, its label and the layer.
    pub model: String,
    pub label: String,
    pub layer: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerValue {
    pub layer: String,
    pub value: f64,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The metric being analysed: its name, direction and the noise of the group.
pub struct Group<'a> {
    pub metric: &'a str,
    pub higher_is_better: bool,
    /// `without noise` or `noisy (gain g)`, and g.
    pub targets: &'a str,
    pub noise_gain: Option<f64>,
}

/// The analysis of one metric over `sources` x `targets` (zoo members; the
/// group's targets only); `table(s, t)` gives the score table of source index s
/// against target index t, `r2(s, t)` its held-out R² table where the metric
/// is a mapping (None otherwise). Returns the analysis and warnings for what
/// could not be computed.
pub fn analyse<'a>(group: &Group<'_>, sources: &[Member], targets: &[Member], table: &Tables<'a>, r2: &Tables<'a>) -> (Specificity, Vec<String>) {
    let metric = group.metric;
    let mut warnings = Vec::new();
    let pairs: Vec<(usize, usize)> = sources
        .iter()
        .enumerate()
        .flat_map(|(si, s)| targets.iter().enumerate().filter(move |(_, t)| s.arch == t.arch && s.model != t.model).map(move |(ti, _)| (si, ti)))
        .filter(|&(si, ti)| table(si, ti).is_some())
        .collect();
    // A mapping: some pair has an R² table with a defined value. Its R² is
    // the similarity everything below reads.
    let mapping = pairs.iter().any(|&(si, ti)| r2(si, ti).is_some_and(|t| t.iter().flatten().any(Option::is_some)));
    let (basis, higher): (&Tables<'a>, bool) = if mapping { (r2, true) } else { (table, group.higher_is_better) };
    let basis_name = if mapping { "held-out R²" } else if higher { "score" } else { "distance" };
    // Target layer names in order of first appearance.
    let mut layer_order: Vec<String> = Vec::new();
    for t in targets {
        for l in &t.layers {
            if !layer_order.contains(l) {
                layer_order.push(l.clone());
            }
        }
    }
    let (same_layer, predictivity) = same_layer(&layer_order, higher, sources, targets, &pairs, basis);
    if pairs.is_empty() {
        warnings.push(format!(
            "specificity of {metric} ({}): no pair of a source and a target of the same architecture and different seeds",
            group.targets
        ));
    }
    let to_d = |v: f64| if higher { 1.0 - v } else { v };
    let mut population = match population(&to_d, sources, targets, basis) {
        Ok(p) => p,
        Err(why) => {
            warnings.push(format!("specificity of {metric} ({}): {why}", group.targets));
            None
        }
    };
    // The paper's squared RSA scores: a similarity read as it is (not R²).
    if let Some(p) = population.as_mut().filter(|_| higher && !mapping) {
        p.silhouette_squared = self::population(&|v: f64| 1.0 - v * v, sources, targets, basis).ok().flatten().and_then(|q| q.silhouette);
    }
    let result = Specificity {
        metric: metric.into(),
        better: if group.higher_is_better { "higher" } else { "lower" },
        targets: group.targets.into(),
        noise_gain: group.noise_gain,
        noise_rule: group.noise_gain.map(|_| crate::stats::noise::NEGATIVE_RULE.to_string()),
        pairs: pairs.iter().map(|&(si, ti)| [sources[si].id.clone(), targets[ti].id.clone()]).collect(),
        predictivity: mapping.then_some(predictivity),
        basis: basis_name.into(),
        same_layer,
        population,
        set: None,
    };
    (result, warnings)
}

/// The identification rate and, on R² tables, the predictivity, over the
/// pairs, per target layer in `layer_order`.
fn same_layer(
    layer_order: &[String],
    higher: bool,
    sources: &[Member],
    targets: &[Member],
    pairs: &[(usize, usize)],
    table: &Tables<'_>,
) -> (SameLayer, Predictivity) {
    let better = |a: f64, b: f64| if higher { a > b } else { a < b };
    #[derive(Clone, Default)]
    struct Slot {
        hits: usize,
        cases: usize,
        same: Vec<f64>,
        other: Vec<f64>,
        /// Per source layer name: its values against this target layer.
        by_source: Vec<(String, Vec<f64>)>,
    }
    let mut per: Vec<Slot> = vec![Slot::default(); layer_order.len()];
    for &(si, ti) in pairs {
        let (s, t) = (&sources[si], &targets[ti]);
        let Some(values) = table(si, ti) else { continue };
        for (j, layer) in t.layers.iter().enumerate() {
            let Some(same) = s.layers.iter().position(|l| l == layer) else { continue };
            let slot = &mut per[layer_order.iter().position(|l| l == layer).expect("listed")];
            // The best source layer: first of the largest (smallest for a distance) defined scores.
            let mut best: Option<(usize, f64)> = None;
            for (i, row) in values.iter().enumerate() {
                let Some(v) = row.get(j).copied().flatten() else { continue };
                if best.is_none_or(|(_, b)| better(v, b)) {
                    best = Some((i, v));
                }
                if i == same {
                    slot.same.push(v);
                } else {
                    slot.other.push(v);
                    let name = &s.layers[i];
                    match slot.by_source.iter_mut().find(|(l, _)| l == name) {
                        Some((_, vs)) => vs.push(v),
                        None => slot.by_source.push((name.clone(), vec![v])),
                    }
                }
            }
            if let Some((i, _)) = best {
                slot.cases += 1;
                if i == same {
                    slot.hits += 1;
                }
            }
        }
    }
    let layers: Vec<LayerPredictivity> = layer_order
        .iter()
        .zip(&per)
        .map(|(layer, p)| LayerPredictivity {
            layer: layer.clone(),
            fraction: (p.cases > 0).then(|| p.hits as f64 / p.cases as f64),
            hits: p.hits,
            cases: p.cases,
            same_mean: mean(&p.same),
            other_mean: mean(&p.other),
        })
        .collect();
    let (hits, cases) = per.iter().fold((0, 0), |(h, c), p| (h + p.hits, c + p.cases));
    let all = |f: fn(&Slot) -> &Vec<f64>| -> Vec<f64> { per.iter().flat_map(|p| f(p).iter().copied()).collect() };
    let identification = SameLayer {
        fraction: (cases > 0).then(|| hits as f64 / cases as f64),
        hits,
        cases,
        same_mean: mean(&all(|p| &p.same)),
        other_mean: mean(&all(|p| &p.other)),
        layers,
    };
    let r2_layers: Vec<LayerR2> = layer_order
        .iter()
        .zip(&per)
        .map(|(layer, p)| LayerR2 {
            layer: layer.clone(),
            same: mean(&p.same),
            pairs: p.same.len(),
            other_mean: mean(&p.other),
            best_other: p
                .by_source
                .iter()
                .filter_map(|(l, vs)| mean(vs).map(|v| LayerValue { layer: l.clone(), value: v }))
                .fold(None, |b: Option<LayerValue>, x| if b.as_ref().is_none_or(|b| x.value > b.value) { Some(x) } else { b }),
        })
        .collect();
    let defined: Vec<f64> = r2_layers.iter().filter_map(|l| l.same).collect();
    (identification, Predictivity { same_layer: mean(&defined), layers: r2_layers })
}

/// The dissimilarity matrix over the targets that are also sources (the same
/// model), `to_d` of each score, its silhouette by layer and MDS; None with
/// fewer than two such models.
fn population(to_d: &dyn Fn(f64) -> f64, sources: &[Member], targets: &[Member], table: &Tables<'_>) -> Result<Option<Population>, String> {
    // Each target with the first source of the same model.
    let members: Vec<(usize, usize)> =
        targets.iter().enumerate().filter_map(|(ti, t)| sources.iter().position(|s| s.model == t.model).map(|si| (si, ti))).collect();
    if members.len() < 2 {
        return Ok(None);
    }
    let mut points = Vec::new();
    // (member, target layer index, source row of the same layer)
    let mut index = Vec::new();
    for (m, &(si, ti)) in members.iter().enumerate() {
        let t = &targets[ti];
        for (j, layer) in t.layers.iter().enumerate() {
            let Some(i) = sources[si].layers.iter().position(|l| l == layer) else { continue };
            points.push(Point { model: t.id.clone(), label: t.label.clone(), layer: layer.clone() });
            index.push((m, j, i));
        }
    }
    let n = points.len();
    // Score of point a's source layer against point b's target layer.
    let cell = |a: usize, b: usize| -> Result<f64, String> {
        let ((ma, _, ia), (mb, jb, _)) = (index[a], index[b]);
        let (si, ti) = (members[ma].0, members[mb].1);
        table(si, ti).and_then(|t| t.get(ia)?.get(jb).copied().flatten()).ok_or_else(|| {
            format!(
                "no dissimilarity matrix: the score of {} {} against {} {} is undefined",
                sources[si].label, points[a].layer, targets[ti].label, points[b].layer
            )
        })
    };
    let mut d = vec![vec![0.0; n]; n];
    for a in 0..n {
        for b in 0..a {
            // Rounding can push a similarity a hair above 1: dissimilarities are clamped at 0.
            let v = (0.5 * (to_d(cell(a, b)?) + to_d(cell(b, a)?))).max(0.0);
            d[a][b] = v;
            d[b][a] = v;
        }
    }
    let matrix = nalgebra::DMatrix::from_fn(n, n, |i, j| d[i][j]);
    let mut names: Vec<&str> = Vec::new();
    for p in &points {
        if !names.contains(&p.layer.as_str()) {
            names.push(&p.layer);
        }
    }
    let labels: Vec<usize> = points.iter().map(|p| names.iter().position(|l| *l == p.layer).expect("listed")).collect();
    let (silhouette, per_layer) = match silhouette_precomputed(&matrix, &labels) {
        Ok(s) => {
            let per = names
                .iter()
                .enumerate()
                .map(|(c, l)| {
                    let v: Vec<f64> = s.samples.iter().zip(&labels).filter(|(_, &k)| k == c).map(|(v, _)| *v).collect();
                    LayerValue { layer: l.to_string(), value: mean(&v).expect("every label has a point") }
                })
                .collect();
            (Some(s.value), per)
        }
        Err(_) => (None, Vec::new()),
    };
    let mds = classical_mds(&matrix, 2.min(n)).map_err(|e| format!("no MDS: {e}"))?;
    Ok(Some(Population {
        points,
        dissimilarity: d,
        silhouette,
        silhouette_squared: None,
        silhouette_per_layer: per_layer,
        mds: mds.coords.iter().map(|c| [c[0], c.get(1).copied().unwrap_or(0.0)]).collect(),
        mds_explained: mds.value,
    }))
}

/// The spec's `specificity`: per metric asked for, and per group of zoo
/// targets (those without noise, then each noise gain in spec order),
/// [`analyse`] over every zoo source.
pub(crate) fn from_run(run: &Finished<'_>) -> (Vec<Specificity>, Vec<String>) {
    let Some(spec) = run.spec.specificity.clone() else { return (Vec::new(), Vec::new()) };
    let (mut out, mut warnings) = (Vec::new(), Vec::new());
    let n_targets = run.spec.targets.len();
    let member = |e: &Entry| match &e.kind {
        Kind::Zoo { arch, seed } => Some(Member {
            id: e.id.clone(),
            label: e.label.clone(),
            arch: arch.name().into(),
            // A trained model is its own member, never "seed 0" of its architecture.
            model: if e.weights.is_some() { format!("{} trained", arch.name()) } else { format!("{} {seed}", arch.name()) },
            layers: e.layer_names(),
        }),
        _ => None,
    };
    let sources: Vec<(usize, Member)> =
        run.entries[n_targets..].iter().enumerate().filter_map(|(s, e)| member(e).map(|m| (s, m))).collect();
    let mut groups: Vec<Option<f64>> = Vec::new();
    for e in &run.entries[..n_targets] {
        let gain = e.noise.map(|n| n.gain);
        if member(e).is_some() && !groups.iter().any(|g| g.map(f64::to_bits) == gain.map(f64::to_bits)) {
            groups.push(gain);
        }
    }
    groups.sort_by_key(|g| g.is_some());
    let source_members: Vec<Member> = sources.iter().map(|(_, m)| m.clone()).collect();
    for (k, (metric, _)) in run.metrics.iter().enumerate() {
        let name = &run.spec.metrics[k].name;
        if spec.metrics.as_ref().is_some_and(|names| !names.contains(name)) {
            continue;
        }
        for gain in &groups {
            let targets: Vec<(usize, Member)> = run.entries[..n_targets]
                .iter()
                .enumerate()
                .filter(|(_, e)| e.noise.map(|n| n.gain.to_bits()) == gain.map(f64::to_bits))
                .filter_map(|(t, e)| member(e).map(|m| (t, m)))
                .collect();
            let target_members: Vec<Member> = targets.iter().map(|(_, m)| m.clone()).collect();
            let table = |s: usize, t: usize| run.table(k, sources[s].0, targets[t].0).map(|x| x.values.as_slice());
            let r2 = |s: usize, t: usize| {
                run.table(k, sources[s].0, targets[t].0).and_then(|x| x.detail.as_ref()?.get("r2")).map(|v| v.as_slice())
            };
            let label = match gain {
                None => "without noise".to_string(),
                Some(g) => format!("noisy (gain {g})"),
            };
            let group = Group { metric: name, higher_is_better: metric.higher_is_better(), targets: &label, noise_gain: *gain };
            let (result, found) = analyse(&group, &source_members, &target_members, &table, &r2);
            out.push(result);
            warnings.extend(found);
        }
    }
    if groups.is_empty() {
        warnings.push("specificity: the analysis needs zoo models among the targets".into());
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(metric: &str, higher_is_better: bool) -> Group<'_> {
        Group { metric, higher_is_better, targets: "without noise", noise_gain: None }
    }

    fn none<'a>(_: usize, _: usize) -> Option<&'a [Vec<Option<f64>>]> {
        None
    }

    fn member(id: &str, seed: u32) -> Member {
        Member {
            id: id.into(),
            label: format!("net seed {seed}"),
            arch: "net".into(),
            model: format!("net {seed}"),
            layers: vec!["a".into(), "b".into()],
        }
    }

    /// Three seeds of one two-layer net, with hand-made score tables: the
    /// numbers below are worked out by hand, the silhouette by
    /// sklearn.metrics.silhouette_samples(D, labels, metric='precomputed')
    /// on the same matrix (the constant below).
    #[test]
    fn analysis_values_on_a_hand_made_population() {
        let sources: Vec<Member> = (0..3).map(|k| member(&format!("s{k}"), k)).collect();
        let targets: Vec<Member> = (0..3).map(|k| member(&format!("t{k}"), k)).collect();
        // Model k's layer i against model l's layer j: 0.9 same layer of another model,
        // 1 the same layer of itself, 0.5 other layers, except seed 2's layer a
        // predicted best by seed 0's layer b (0.95).
        let tables: Vec<Vec<Vec<Vec<Option<f64>>>>> = (0..3)
            .map(|s| {
                (0..3)
                    .map(|t| {
                        (0..2)
                            .map(|i| {
                                (0..2)
                                    .map(|j| {
                                        Some(if s == 0 && t == 2 && i == 1 && j == 0 {
                                            0.95
                                        } else if i != j {
                                            0.5
                                        } else if s == t {
                                            1.0
                                        } else {
                                            0.9
                                        })
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let get = |s: usize, t: usize| Some(tables[s][t].as_slice());
        let (r, warnings) = analyse(&group("cka", true), &sources, &targets, &get, &none);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(r.predictivity.is_none() && r.basis == "score" && r.noise_rule.is_none());
        assert_eq!(r.pairs.len(), 6, "3 x 3 minus the 3 models with themselves");
        // 6 pairs x 2 layers = 12 cases; one miss (s0 -> t2, layer a).
        assert_eq!((r.same_layer.hits, r.same_layer.cases), (11, 12));
        let a = &r.same_layer.layers[0];
        assert_eq!((a.layer.as_str(), a.hits, a.cases), ("a", 5, 6));
        assert_eq!(r.same_layer.layers[1].fraction, Some(1.0));
        assert!((r.same_layer.same_mean.unwrap() - 0.9).abs() < 1e-15);
        assert!((a.other_mean.unwrap() - (5.0 * 0.5 + 0.95) / 6.0).abs() < 1e-15);
        let p = r.population.unwrap();
        assert_eq!(p.points.len(), 6);
        assert_eq!((p.points[3].model.as_str(), p.points[3].layer.as_str()), ("t1", "b"));
        // Points t0.a (0) and t2.a (4): 1 - mean(0.9 from s0.a -> t2.a, 0.9 from s2.a -> t0.a).
        assert!((p.dissimilarity[0][4] - 0.1).abs() < 1e-15);
        // t2.a (4) and t0.b (1): 1 - mean(0.5 from s2.a -> t0.b, 0.95 from s0.b -> t2.a).
        assert!((p.dissimilarity[4][1] - 0.275).abs() < 1e-15);
        assert!((p.dissimilarity[0][1] - 0.5).abs() < 1e-15, "layers of one model");
        // sklearn: silhouette_score(D, [0, 1] * 3, metric='precomputed').
        assert!((p.silhouette.unwrap() - SKLEARN_SILHOUETTE).abs() < 1e-12, "{:?}", p.silhouette);
        // sklearn's silhouette_samples: 0.8, 0.7647 (13/17), 0.8, 0.8, 0.7647, 0.8.
        let (sa, sb) = (p.silhouette_per_layer[0].value, p.silhouette_per_layer[1].value);
        assert!((sa - (1.6 + 13.0 / 17.0) / 3.0).abs() < 1e-12 && (sb - (1.6 + 13.0 / 17.0) / 3.0).abs() < 1e-12, "{sa} {sb}");
        assert!(p.mds.iter().all(|c| c[0].is_finite() && c[1].is_finite()));

        // A distance: the smallest value is the best layer, the distance itself the dissimilarity.
        let dist: Vec<Vec<Vec<Vec<Option<f64>>>>> =
            tables.iter().map(|s| s.iter().map(|t| t.iter().map(|r| r.iter().map(|v| v.map(|v| 1.0 - v)).collect()).collect()).collect()).collect();
        let get = |s: usize, t: usize| Some(dist[s][t].as_slice());
        let (d, _) = analyse(&group("soft-matching", false), &sources, &targets, &get, &none);
        assert_eq!((d.better, d.same_layer.hits), ("lower", 11));
        let pd = d.population.unwrap();
        for (x, y) in pd.dissimilarity.iter().flatten().zip(p.dissimilarity.iter().flatten()) {
            assert!((x - y).abs() < 1e-15);
        }
        // An undefined score: no population, a warning that names it.
        let get = |s: usize, t: usize| if (s, t) == (1, 2) { None } else { Some(tables[s][t].as_slice()) };
        let (u, w) = analyse(&group("cka", true), &sources, &targets, &get, &none);
        assert!(u.population.is_none() && w[0].contains("undefined"), "{w:?}");
        assert_eq!(u.pairs.len(), 5);
    }

    /// A mapping: the R² tables, not the distance, are what predictivity,
    /// identification and the population read; RSA-like similarities get the
    /// squared-score silhouette; noisy groups say the noise rule.
    #[test]
    fn r2_tables_drive_predictivity_and_population() {
        let sources: Vec<Member> = (0..3).map(|k| member(&format!("s{k}"), k)).collect();
        let targets: Vec<Member> = (0..3).map(|k| member(&format!("t{k}"), k)).collect();
        // R² of source layer i -> target layer j: 0.8 same layer (0.6 into t2's b), 0.3 across layers, 1 for a model with itself.
        let r2: Vec<Vec<Vec<Vec<Option<f64>>>>> = (0..3)
            .map(|s| {
                (0..3)
                    .map(|t| {
                        (0..2)
                            .map(|i| {
                                (0..2)
                                    .map(|j| {
                                        Some(if s == t && i == j {
                                            1.0
                                        } else if i != j {
                                            0.3
                                        } else if t == 2 && j == 1 {
                                            0.6
                                        } else {
                                            0.8
                                        })
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        // A distance that would pick the other layer everywhere: never read once R² is there.
        let dist: Vec<Vec<Vec<Option<f64>>>> = vec![vec![vec![Some(1.0), Some(0.0)], vec![Some(0.0), Some(1.0)]]; 9];
        let get = |s: usize, t: usize| Some(dist[3 * s + t].as_slice());
        let get_r2 = |s: usize, t: usize| Some(r2[s][t].as_slice());
        let g = Group { metric: "soft-matching", higher_is_better: false, targets: "noisy (gain 0.1)", noise_gain: Some(0.1) };
        let (r, w) = analyse(&g, &sources, &targets, &get, &get_r2);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((r.basis.as_str(), r.better), ("held-out R²", "lower"));
        assert!(r.noise_rule.as_deref().unwrap().contains("|response|"));
        assert_eq!((r.same_layer.hits, r.same_layer.cases), (12, 12));
        let p = r.predictivity.as_ref().unwrap();
        let (a, b) = (&p.layers[0], &p.layers[1]);
        assert_eq!((a.pairs, b.pairs), (6, 6));
        assert!((a.same.unwrap() - 0.8).abs() < 1e-15);
        // Layer b: pairs into t2 (s0, s1) at 0.6, the other four at 0.8.
        assert!((b.same.unwrap() - (4.0 * 0.8 + 2.0 * 0.6) / 6.0).abs() < 1e-15);
        assert!((p.same_layer.unwrap() - (0.8 + (4.0 * 0.8 + 1.2) / 6.0) / 2.0).abs() < 1e-15);
        assert_eq!(a.best_other.as_ref().unwrap().layer, "b");
        assert!((a.other_mean.unwrap() - 0.3).abs() < 1e-15);
        let pop = r.population.unwrap();
        // t0.a and t1.a: 1 - mean(0.8, 0.8); t0.b and t2.b: 1 - mean(0.6 (s0 -> t2), 0.8 (s2 -> t0)).
        assert!((pop.dissimilarity[0][2] - 0.2).abs() < 1e-15);
        assert!((pop.dissimilarity[1][5] - 0.3).abs() < 1e-15);
        assert!(pop.silhouette_squared.is_none(), "R² is not squared again");

        // A similarity without R²: the silhouette on 1 - score² equals that of the squared tables.
        let squared: Vec<Vec<Vec<Vec<Option<f64>>>>> =
            r2.iter().map(|s| s.iter().map(|t| t.iter().map(|r| r.iter().map(|v| v.map(|v| v * v)).collect()).collect()).collect()).collect();
        let (plain, _) = analyse(&group("rsa", true), &sources, &targets, &|s, t| Some(r2[s][t].as_slice()), &none);
        let (sq, _) = analyse(&group("rsa", true), &sources, &targets, &|s, t| Some(squared[s][t].as_slice()), &none);
        let (x, y) = (plain.population.unwrap().silhouette_squared.unwrap(), sq.population.unwrap().silhouette.unwrap());
        assert!((x - y).abs() < 1e-15, "{x} {y}");
        assert!(plain.predictivity.is_none());
    }

    /// sklearn 1.9.1 (/work/fixpy): `silhouette_score(D, [0, 1, 0, 1, 0, 1], metric='precomputed')`.
    const SKLEARN_SILHOUETTE: f64 = 0.788235294117647;
}
