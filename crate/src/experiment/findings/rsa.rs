//! Findings of the RSA analysis: per RDM target, each source's best layer and
//! its value with its tests, the noise ceiling, trained vs seeded twins of an
//! architecture, and the network x layer test (a two-way repeated-measures
//! ANOVA over subjects, as Truzzi & Cusack ran it, on as many subjects as the
//! target has). Every number comes from the result's RSA score tables.

use super::{count, label};
use crate::experiment::result::{ExperimentResult, ModelInfo, Score};
use crate::metrics::rsa::{network_layer_anova, NetworkLayerAnova};

/// Prefix of the per-subject p-value tables in an RSA score's `detail`
/// (written by `experiment/metric/rsa.rs`).
const SUBJECT_P: &str = "p_subject.";

/// Significance level the sentences count at.
const ALPHA: f64 = 0.05;

/// The sentences this analysis contributes; none when `r` holds no RSA score.
pub(super) fn sentences(r: &ExperimentResult) -> Vec<String> {
    let mut out = Vec::new();
    // One group per (target, stimulus set), sources in result order. Only recorded data
    // (RDMs, responses, shipped datasets): a model target's layers are the identifiability
    // and specificity analyses' to speak of, and a best cell over its layers says little.
    let data = |id: &str| r.model(id).is_some_and(|m| matches!(m.kind, "rdms" | "responses" | "dataset"));
    let mut groups: Vec<(&str, Option<usize>, Vec<&Score>)> = Vec::new();
    for s in r.scores.iter().filter(|s| s.metric == "rsa" && data(&s.target)) {
        match groups.iter_mut().find(|g| g.0 == s.target && g.1 == s.set) {
            Some(g) => g.2.push(s),
            None => groups.push((&s.target, s.set, vec![s])),
        }
    }
    let symbol = symbol(r);
    for (target, set, scores) in groups {
        let tname = label(r, target);
        let bests: Vec<Best> = scores.iter().filter_map(|s| best(r, s)).collect();
        if bests.is_empty() {
            continue;
        }
        out.push(best_sentence(r, &tname, symbol, &bests));
        if let Some(c) = r.noise_ceilings.iter().find(|c| c.metric == "rsa" && c.target == target && c.set == set) {
            out.push(ceiling_sentence(r, &tname, c.lower, c.upper, &bests));
        }
        out.extend(twin_sentences(r, &tname, symbol, &bests));
        out.extend(anova_sentences(r, &tname, symbol, &scores));
    }
    out
}

/// "τ" for Kendall's tau-a (the lab's default), else "similarity".
fn symbol(r: &ExperimentResult) -> &'static str {
    let compares: Vec<&str> = r
        .spec
        .metrics
        .iter()
        .filter(|m| m.name == "rsa")
        .map(|m| m.params.as_ref().map_or("tau-a", |p| p.compare.as_str()))
        .collect();
    if compares.iter().all(|c| matches!(*c, "tau-a" | "tau_a" | "taua" | "kendall-tau-a")) {
        "τ"
    } else {
        "similarity"
    }
}

/// A source's best cell against one target.
struct Best<'a> {
    score: &'a Score,
    source: String,
    /// The source layer's name (with the target layer's when the target has several).
    where_: String,
    value: f64,
    p_group: Option<f64>,
    /// Subjects whose own test gave p < ALPHA, of those tested.
    subjects_significant: Option<(usize, usize)>,
}

fn best<'a>(r: &ExperimentResult, s: &'a Score) -> Option<Best<'a>> {
    let (mut bi, mut bj, mut bv) = (0, 0, f64::NEG_INFINITY);
    for (i, row) in s.values.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                if v > bv {
                    (bi, bj, bv) = (i, j, v);
                }
            }
        }
    }
    if bv == f64::NEG_INFINITY {
        return None;
    }
    let src = r.model(&s.source);
    let layer = src.and_then(|m| m.layers.get(bi)).cloned().unwrap_or_else(|| format!("layer {bi}"));
    let tgt_layers = r.model(&s.target).map_or(1, |m| m.layers.len());
    let where_ = if tgt_layers > 1 {
        let t = r.model(&s.target).and_then(|m| m.layers.get(bj)).cloned().unwrap_or_else(|| format!("layer {bj}"));
        format!("{layer} (vs {t})")
    } else {
        layer
    };
    let p_group = s.p_values.as_ref().and_then(|p| p[bi][bj]);
    let subjects_significant = s.detail.as_ref().and_then(|d| {
        let ps: Vec<f64> = d.iter().filter(|(k, _)| k.starts_with(SUBJECT_P)).filter_map(|(_, t)| t[bi][bj]).collect();
        (!ps.is_empty()).then(|| (ps.iter().filter(|&&p| p < ALPHA).count(), ps.len()))
    });
    Some(Best { score: s, source: s.source.clone(), where_, value: bv, p_group, subjects_significant })
}

/// 2 significant digits for values under 1, else 3 (τ = 0.052, F = 12.3).
fn num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        let digits = (-a.log10().floor()) as usize + 1;
        format!("{v:.digits$}")
    }
}

fn pval(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {}", num(p))
    }
}

fn subjects_of(r: &ExperimentResult, target: &str) -> usize {
    r.model(target).map_or(0, |m| m.subjects.len())
}

fn best_sentence(r: &ExperimentResult, tname: &str, symbol: &str, bests: &[Best]) -> String {
    let parts: Vec<String> = bests
        .iter()
        .map(|b| {
            let mut tests = Vec::new();
            if let Some(p) = b.p_group {
                tests.push(pval(p));
            }
            if let Some((k, n)) = b.subjects_significant {
                tests.push(format!("{k} of {n} subjects p < {ALPHA}"));
            }
            let tests = if tests.is_empty() { String::new() } else { format!(" ({})", tests.join("; ")) };
            format!("{} at {}, {symbol} = {}{tests}", label(r, &b.source), b.where_, num(b.value))
        })
        .collect();
    let n = subjects_of(r, &bests[0].score.target);
    let what = if n > 1 { format!("the mean over {n} subjects' {symbol}; p of a permutation test of that mean") } else { format!("{symbol}; p of a Mantel permutation test") };
    format!("Against {tname}, each network's best layer ({what}): {}.", parts.join("; "))
}

fn ceiling_sentence(r: &ExperimentResult, tname: &str, lower: f64, upper: f64, bests: &[Best]) -> String {
    let reach: Vec<String> = bests.iter().filter(|b| b.value >= lower).map(|b| label(r, &b.source)).collect();
    let head = format!("The noise ceiling of {tname} is {} to {}", num(lower), num(upper));
    if reach.is_empty() {
        let top = bests.iter().max_by(|a, b| a.value.total_cmp(&b.value)).expect("bests is not empty");
        format!(
            "{head}; no network's best layer reaches its lower bound (the highest, {} at {}, is {:.0}% of it).",
            label(r, &top.source),
            top.where_,
            100.0 * top.value / lower
        )
    } else {
        format!("{head}; {} of {} networks' best layers reach its lower bound: {}.", reach.len(), bests.len(), reach.join(", "))
    }
}

/// Letters and digits of `s`, lower-cased ("MobileNetV2" and "mobilenet_v2" agree).
fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

fn trained(m: &ModelInfo) -> bool {
    m.weights.is_some()
}

fn seeded(m: &ModelInfo) -> bool {
    m.weights.is_none() && m.seed.is_some() && m.arch.is_some()
}

/// The architecture a trained model is of: its `arch`, or else the longest
/// seeded architecture of the run its weights or label name (a TFLite file).
fn trained_arch(m: &ModelInfo, seeded_archs: &[&str]) -> Option<String> {
    if let Some(a) = &m.arch {
        return Some(a.clone());
    }
    let names = format!("{} {}", m.label, m.weights.as_ref().map_or(String::new(), |w| format!("{} {}", w.name, w.catalogue.clone().unwrap_or_default())));
    let hay = squash(&names);
    seeded_archs.iter().filter(|a| hay.contains(&squash(a))).max_by_key(|a| a.len()).map(|a| a.to_string())
}

fn twin_sentences(r: &ExperimentResult, tname: &str, symbol: &str, bests: &[Best]) -> Vec<String> {
    let model = |b: &Best| r.model(&b.source);
    let seeded_bests: Vec<&Best> = bests.iter().filter(|b| model(b).is_some_and(seeded)).collect();
    let mut archs: Vec<&str> = seeded_bests.iter().filter_map(|b| model(b).and_then(|m| m.arch.as_deref())).collect();
    archs.dedup();
    let mut out = Vec::new();
    for b in bests.iter().filter(|b| model(b).is_some_and(trained)) {
        let Some(arch) = model(b).and_then(|m| trained_arch(m, &archs)) else { continue };
        let twins: Vec<&&Best> = seeded_bests.iter().filter(|s| model(s).and_then(|m| m.arch.as_deref()) == Some(arch.as_str())).collect();
        if twins.is_empty() {
            continue;
        }
        let mean = twins.iter().map(|s| s.value).sum::<f64>() / twins.len() as f64;
        let seeded_what = if twins.len() == 1 {
            format!("{} ({symbol} = {} at {})", label(r, &twins[0].source), num(mean), twins[0].where_)
        } else {
            format!("seeded {arch} ({symbol} = {}, the mean of {} seeds' best layers)", num(mean), twins.len())
        };
        let verb = if b.value > mean { "higher" } else if b.value < mean { "lower" } else { "equal" };
        out.push(format!(
            "Against {tname}, {} (trained weights) reached {symbol} = {} at its best layer, {} than its seeded twin {seeded_what}: a difference of {}.",
            label(r, &b.source),
            num(b.value),
            verb,
            num(b.value - mean)
        ));
    }
    out
}

/// A network of the network x layer test: one model, or the seeds of one
/// seeded architecture pooled (each subject's values averaged over seeds).
struct Network<'a> {
    name: String,
    arch: Option<String>,
    trained: bool,
    scores: Vec<&'a Score>,
    layers: Vec<String>,
}

fn networks<'a>(r: &ExperimentResult, scores: &[&'a Score]) -> Vec<Network<'a>> {
    let mut out: Vec<Network> = Vec::new();
    for s in scores {
        let Some(m) = r.model(&s.source) else { continue };
        if s.per_subject.is_none() {
            continue;
        }
        if seeded(m) {
            if let Some(n) = out.iter_mut().find(|n| !n.trained && n.arch == m.arch && n.layers == m.layers && n.scores.iter().all(|o| r.model(&o.source).is_some_and(seeded))) {
                n.scores.push(s);
                continue;
            }
        }
        out.push(Network { name: m.label.clone(), arch: m.arch.clone(), trained: trained(m), scores: vec![s], layers: m.layers.clone() });
    }
    for n in &mut out {
        if n.scores.len() > 1 {
            n.name = format!("seeded {} ({} seeds pooled)", n.arch.as_deref().unwrap_or("?"), n.scores.len());
        }
    }
    out
}

/// y[subject][layer] of a network against target layer 0 (RDM targets have
/// one), seeds averaged; None where a value is missing.
fn per_subject(n: &Network) -> Option<Vec<Vec<f64>>> {
    let subjects = n.scores[0].per_subject.as_ref()?[0].first()?.len();
    let mut y = vec![vec![0.0; n.layers.len()]; subjects];
    for s in &n.scores {
        let ps = s.per_subject.as_ref()?;
        for (l, row) in ps.iter().enumerate() {
            let cell = row.first()?;
            if cell.len() != subjects || l >= n.layers.len() {
                return None;
            }
            for (k, v) in cell.iter().enumerate() {
                y[k][l] += (*v)? / n.scores.len() as f64;
            }
        }
    }
    Some(y)
}

fn anova_sentences(r: &ExperimentResult, tname: &str, symbol: &str, scores: &[&Score]) -> Vec<String> {
    // The test reads one value per subject, layer and network: a target of one region.
    if scores.first().and_then(|s| r.model(&s.target)).is_none_or(|m| m.layers.len() != 1) {
        return Vec::new();
    }
    let nets = networks(r, scores);
    let mut out = Vec::new();
    for i in 0..nets.len() {
        for j in i + 1..nets.len() {
            let (a, b) = (&nets[i], &nets[j]);
            // Corresponding layers exist only at equal depth; the pairs are an
            // architecture's trained and seeded versions (the paper's Fig. 2)
            // or two seeded variants of one architecture, as the zoo names them
            // (alexnet and alexnet_deepcluster: its Fig. 1e on random weights).
            let twins = a.arch.is_some() && a.arch == b.arch && a.trained != b.trained;
            let variants = |x: &str, y: &str| x != y && (y.starts_with(&format!("{x}_")) || x.starts_with(&format!("{y}_")));
            let both_seeded = !a.trained && !b.trained && a.arch.as_deref().zip(b.arch.as_deref()).is_some_and(|(x, y)| variants(x, y));
            let tflite_twin = a.trained != b.trained && {
                let (t, s) = if a.trained { (a, b) } else { (b, a) };
                let m = r.model(&t.scores[0].source);
                s.arch.as_deref().is_some_and(|arch| m.and_then(|m| trained_arch(m, &[arch])).as_deref() == Some(arch))
            };
            if a.layers.len() != b.layers.len() || a.layers.len() < 2 || !(twins || both_seeded || tflite_twin) {
                continue;
            }
            let (Some(ya), Some(yb)) = (per_subject(a), per_subject(b)) else { continue };
            if ya.len() < 3 || ya.len() != yb.len() {
                continue;
            }
            let y: Vec<Vec<Vec<f64>>> = ya.into_iter().zip(yb).map(|(x, z)| vec![x, z]).collect();
            match network_layer_anova(&y) {
                Ok(t) => out.push(anova_sentence(tname, symbol, a, b, &t)),
                Err(e) => out.push(format!("The network x layer test of {} vs {} against {tname} could not be computed: {e}.", a.name, b.name)),
            }
        }
    }
    out
}

fn anova_sentence(tname: &str, symbol: &str, a: &Network, b: &Network, t: &NetworkLayerAnova) -> String {
    let f = |x: &crate::metrics::rsa::FTest| format!("F({}, {}) = {}, {}", x.df1, x.df2, num(x.f), pval(x.p_value));
    let higher = |sign: f64| -> Vec<String> {
        t.per_layer.iter().zip(&a.layers).filter(|(p, _)| p.as_ref().is_some_and(|p| p.p_value < ALPHA && p.mean_difference * sign > 0.0)).map(|(_, l)| l.clone()).collect()
    };
    let (ha, hb) = (higher(1.0), higher(-1.0));
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    format!(
        "Network x layer test of {} vs {} against {tname} (two-way repeated-measures ANOVA of per-subject {symbol}, n = {} subjects, {}; no sphericity correction): network {}; layer {}; interaction {}. Layer by layer (paired t({}), uncorrected, p < {ALPHA}), {} was higher at {} of {} ({}) and {} at {} ({}).",
        a.name,
        b.name,
        t.subjects,
        count(t.layers, "layer"),
        f(&t.network),
        f(&t.layer),
        f(&t.interaction),
        t.subjects - 1,
        a.name,
        ha.len(),
        t.layers,
        list(&ha),
        b.name,
        hb.len(),
        list(&hb)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A result of 4 subjects: two seeded AlexNet seeds and a seeded
    /// DeepCluster AlexNet (3 layers each), a trained and a seeded
    /// EfficientNet-Lite0, and a CKA score that must be ignored.
    fn result() -> ExperimentResult {
        let layers = json!(["a", "b", "c"]);
        let model = |id: &str, label: &str, arch: &str, seed: Option<u64>, trained: bool| {
            let mut m = json!({"id": id, "role": "source", "label": label, "kind": "zoo", "arch": arch, "layers": layers});
            if let Some(s) = seed {
                m["seed"] = json!(s);
            }
            if trained {
                m["weights"] = json!({"kind": "shipped", "name": "x.pth", "format": "torch_legacy", "sha256": "0", "bytes": 1});
            }
            m
        };
        // per_subject[layer][0][subject]: DeepCluster higher at layer a in every subject.
        let score = |src: &str, base: f64, lift: [f64; 3]| {
            let k = src.as_bytes()[1] as usize;
            let per: Vec<Vec<Vec<f64>>> = (0..3)
                .map(|l| vec![(0..4).map(|s| base + lift[l] + 0.01 * s as f64 + 0.003 * ((s * 7 + l * 3 + k * s) % 5) as f64).collect()])
                .collect();
            let values: Vec<Vec<f64>> = per.iter().map(|c| vec![c[0].iter().sum::<f64>() / 4.0]).collect();
            let ps: Vec<Vec<f64>> = (0..3).map(|l| vec![if l == 2 { 0.2 } else { 0.001 }]).collect();
            json!({"metric": "rsa", "source": src, "target": "t0", "values": values, "per_subject": per, "p_values": ps,
                   "detail": {"p_subject.0": ps, "p_subject.1": ps, "p_subject.2": [[0.5], [0.5], [0.5]], "p_subject.3": ps}})
        };
        let spec = json!({"idlab": 2, "name": "t", "stimuli": {"set": "kriegeskorte92"}, "sources": [{"arch": "alexnet", "seed": 0}],
                          "targets": [{"dataset": "kriegeskorte92/human-it"}], "metrics": [{"name": "rsa"}]});
        serde_json::from_value(json!({
            "idlab_version": "0", "flavor": "native", "spec": spec, "n_stimuli": 92, "stimuli": [], "inputs": [], "seconds": 0.0,
            "models": [
                {"id": "t0", "role": "target", "label": "human IT", "kind": "dataset", "layers": ["human IT"], "subjects": ["1", "2", "3", "4"]},
                model("s0", "alexnet seed 0", "alexnet", Some(0), false),
                model("s1", "alexnet seed 1", "alexnet", Some(1), false),
                model("s2", "dc seed 0", "alexnet_deepcluster", Some(0), false),
                model("s3", "effnet trained", "efficientnet_lite0", None, true),
                model("s4", "effnet seed 0", "efficientnet_lite0", Some(0), false),
            ],
            "scores": [score("s0", 0.05, [0.0, 0.01, 0.02]), score("s1", 0.06, [0.0, 0.01, 0.02]), score("s2", 0.05, [0.1, 0.01, 0.02]),
                       score("s3", 0.2, [0.0, 0.05, 0.1]), score("s4", 0.1, [0.0, 0.0, 0.01]),
                       {"metric": "cka", "source": "s0", "target": "t0", "values": [[0.9], [0.9], [0.9]]}],
            "noise_ceilings": [{"metric": "rsa", "target": "t0", "lower": 0.25, "upper": 0.45}],
        }))
        .unwrap()
    }

    #[test]
    fn sentences_from_a_synthetic_result() {
        let s = sentences(&result());
        let all = s.join("\n");
        assert!(s[0].starts_with("Against human IT, each network's best layer (the mean over 4 subjects' τ"), "{all}");
        assert!(s[0].contains("dc seed 0 at a, τ = 0.17 (p = 0.0010; 3 of 4 subjects p < 0.05)"), "{all}");
        assert!(s[1].contains("0.25 to 0.45; 1 of 5 networks' best layers reach its lower bound: effnet trained."), "{all}");
        assert!(s[2].contains("effnet trained (trained weights) reached τ = 0.32 at its best layer, higher than its seeded twin effnet seed 0 (τ = 0.13 at c): a difference of 0.19."), "{all}");
        // Pairs: seeded alexnet (2 seeds) vs its DeepCluster variant, and the EfficientNet twins; not alexnet vs EfficientNet.
        let tests: Vec<&String> = s.iter().filter(|x| x.starts_with("Network x layer test")).collect();
        assert_eq!(tests.len(), 2, "{all}");
        assert!(tests[0].contains("of seeded alexnet (2 seeds pooled) vs dc seed 0") && tests[0].contains("network F(1, 3) = "), "{all}");
        assert!(tests[0].contains("dc seed 0 was higher at 1 of 3 (a)") || tests[0].contains("dc seed 0 at 1 (a)"), "{all}");
        assert!(tests[1].contains("effnet trained vs effnet seed 0") && tests[1].contains("interaction F(2, 6)"), "{all}");
        assert!(!all.contains("0.9"), "the CKA score is not RSA: {all}");
        // A result without RSA scores has nothing to say.
        let mut r = result();
        r.scores.retain(|x| x.metric != "rsa");
        assert!(sentences(&r).is_empty());
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!((num(0.052), num(0.17), num(3.4321), num(12.34), num(0.0)), ("0.052".into(), "0.17".into(), "3.43".into(), "12.3".into(), "0".into()));
        assert_eq!((pval(0.0004), pval(0.03)), ("p < 0.001".into(), "p = 0.030".into()));
    }
}
