//! Predictivity vs specificity (Thobani et al., "Inter-animal transforms as a
//! guide to model-brain comparison"): a population of models of one
//! architecture (seeds standing in for animals) is compared with itself, and a
//! metric is judged by two things:
//!
//! - *same-layer predictivity*: for each target model and layer, does the
//!   best-scoring layer of another model (the largest score, the smallest
//!   distance) have the same name? As a fraction over (source, target) pairs,
//!   per target layer and overall, beside the mean score of the same layer and
//!   of the other layers;
//! - *specificity*: in a dissimilarity matrix over every (model, layer) of the
//!   population, do a layer's copies in different models cluster apart from
//!   the other layers? The silhouette score with labels = layer names (overall
//!   and per layer) and a classical MDS to two dimensions for the picture.
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
    /// The (source id, target id) pairs of the same architecture and different models.
    pub pairs: Vec<[String; 2]>,
    pub same_layer: SameLayer,
    /// Absent when a score it needs is undefined (the reason is in the warnings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<Population>,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
}

/// Same-layer predictivity over all target layers, and per target layer.
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

/// The analysis of one metric over `sources` x `targets` (zoo members; the
/// group's targets only); `table(s, t)` gives the score table of source index s
/// against target index t. Returns the analysis and warnings for what could
/// not be computed.
pub fn analyse(
    metric: &str,
    higher_is_better: bool,
    group: (&str, Option<f64>),
    sources: &[Member],
    targets: &[Member],
    table: &Tables<'_>,
) -> (Specificity, Vec<String>) {
    let better = |a: f64, b: f64| if higher_is_better { a > b } else { a < b };
    let mut warnings = Vec::new();
    let mut pairs = Vec::new();
    // Target layer names in order of first appearance.
    let mut layer_order: Vec<String> = Vec::new();
    for t in targets {
        for l in &t.layers {
            if !layer_order.contains(l) {
                layer_order.push(l.clone());
            }
        }
    }
    let mut per: Vec<(usize, usize, Vec<f64>, Vec<f64>)> = vec![(0, 0, Vec::new(), Vec::new()); layer_order.len()];
    for (si, s) in sources.iter().enumerate() {
        for (ti, t) in targets.iter().enumerate() {
            if s.arch != t.arch || s.model == t.model {
                continue;
            }
            let Some(values) = table(si, ti) else { continue };
            pairs.push([s.id.clone(), t.id.clone()]);
            for (j, layer) in t.layers.iter().enumerate() {
                let Some(same) = s.layers.iter().position(|l| l == layer) else { continue };
                let slot = &mut per[layer_order.iter().position(|l| l == layer).expect("listed")];
                // The best source layer: first of the largest (smallest for a distance) defined scores.
                let mut best: Option<(usize, f64)> = None;
                for (i, row) in values.iter().enumerate() {
                    if let Some(v) = row[j] {
                        if best.is_none_or(|(_, b)| better(v, b)) {
                            best = Some((i, v));
                        }
                        if i == same {
                            slot.2.push(v);
                        } else {
                            slot.3.push(v);
                        }
                    }
                }
                if let Some((i, _)) = best {
                    slot.1 += 1;
                    if i == same {
                        slot.0 += 1;
                    }
                }
            }
        }
    }
    let layers: Vec<LayerPredictivity> = layer_order
        .iter()
        .zip(&per)
        .map(|(layer, (hits, cases, same, other))| LayerPredictivity {
            layer: layer.clone(),
            fraction: (*cases > 0).then(|| *hits as f64 / *cases as f64),
            hits: *hits,
            cases: *cases,
            same_mean: mean(same),
            other_mean: mean(other),
        })
        .collect();
    let (hits, cases) = per.iter().fold((0, 0), |(h, c), p| (h + p.0, c + p.1));
    let all = |k: usize| -> Vec<f64> { per.iter().flat_map(|p| if k == 0 { p.2.clone() } else { p.3.clone() }).collect() };
    let same_layer = SameLayer {
        fraction: (cases > 0).then(|| hits as f64 / cases as f64),
        hits,
        cases,
        same_mean: mean(&all(0)),
        other_mean: mean(&all(1)),
        layers,
    };
    if pairs.is_empty() {
        warnings.push(format!(
            "specificity of {metric} ({}): no pair of a source and a target of the same architecture and different seeds",
            group.0
        ));
    }
    let population = match population(higher_is_better, sources, targets, table) {
        Ok(p) => p,
        Err(why) => {
            warnings.push(format!("specificity of {metric} ({}): {why}", group.0));
            None
        }
    };
    let result = Specificity {
        metric: metric.into(),
        better: if higher_is_better { "higher" } else { "lower" },
        targets: group.0.into(),
        noise_gain: group.1,
        pairs,
        same_layer,
        population,
        set: None,
    };
    (result, warnings)
}

/// The dissimilarity matrix over the targets that are also sources (the same
/// model), its silhouette by layer and MDS; None with fewer than two such models.
fn population(higher: bool, sources: &[Member], targets: &[Member], table: &Tables<'_>) -> Result<Option<Population>, String> {
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
    let to_d = |v: f64| if higher { 1.0 - v } else { v };
    // Score of point a's source layer against point b's target layer.
    let cell = |a: usize, b: usize| -> Result<f64, String> {
        let ((ma, _, ia), (mb, jb, _)) = (index[a], index[b]);
        let (si, ti) = (members[ma].0, members[mb].1);
        table(si, ti).and_then(|t| t[ia][jb]).ok_or_else(|| {
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
            let label = match gain {
                None => "without noise".to_string(),
                Some(g) => format!("noisy (gain {g})"),
            };
            let (result, found) = analyse(name, metric.higher_is_better(), (&label, *gain), &source_members, &target_members, &table);
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
        let (r, warnings) = analyse("cka", true, ("without noise", None), &sources, &targets, &get);
        assert!(warnings.is_empty(), "{warnings:?}");
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
        let (d, _) = analyse("soft-matching", false, ("without noise", None), &sources, &targets, &get);
        assert_eq!((d.better, d.same_layer.hits), ("lower", 11));
        let pd = d.population.unwrap();
        for (x, y) in pd.dissimilarity.iter().flatten().zip(p.dissimilarity.iter().flatten()) {
            assert!((x - y).abs() < 1e-15);
        }
        // An undefined score: no population, a warning that names it.
        let get = |s: usize, t: usize| if (s, t) == (1, 2) { None } else { Some(tables[s][t].as_slice()) };
        let (u, w) = analyse("cka", true, ("without noise", None), &sources, &targets, &get);
        assert!(u.population.is_none() && w[0].contains("undefined"), "{w:?}");
        assert_eq!(u.pairs.len(), 5);
    }

    /// sklearn 1.9.1 (/work/fixpy): `silhouette_score(D, [0, 1, 0, 1, 0, 1], metric='precomputed')`.
    const SKLEARN_SILHOUETTE: f64 = 0.788235294117647;
}
