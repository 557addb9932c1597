//! Architecture classes compared layer by layer (Han et al. 2023, Fig. 6:
//! "convolution vs attention"): for each layer of a target model, the best
//! score each source architecture reaches over its layers, the two classes'
//! means ± sd, and Welch's t-test between them, significant at `alpha`; beside
//! the p-value, Hedges' g with its 95% interval and the test's power to detect
//! a one-sd difference, since with a handful of architectures per class a
//! test that finds nothing may never have been able to.
//!
//! A pure function of the score tables, so the page and the CLI get the same
//! numbers from the same result.

use super::Finished;
use crate::experiment::session::Kind;
use crate::error::{Error, Result};
use crate::stats::effect::{hedges_g, welch_power, HedgesG};
use crate::stats::welch::welch_t_test;
use crate::zoo::{Arch, Family};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The spec's `classes`: two groups of architectures and the test's level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassesSpec {
    /// Exactly two groups; by default every zoo source by family:
    /// convolution (CNNs) vs attention (vision transformers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<ClassGroup>>,
    /// Significance level of the per-layer test (default 0.01, as the paper).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
}

/// A named group of zoo architectures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassGroup {
    pub name: String,
    pub archs: Vec<String>,
    /// How many architectures the paper's class had, shown beside this run's
    /// (less the target's own when it is of this class, as in the paper).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper_n: Option<usize>,
}

/// The default level, the paper's.
pub const DEFAULT_ALPHA: f64 = 0.01;

/// The difference, in common standard deviations, whose detection the power is of.
pub const POWER_D: f64 = 1.0;

/// A test whose power to detect [`POWER_D`] is below this is flagged.
pub const LOW_POWER: f64 = 0.5;

/// Coverage of the effect size's interval.
pub const CI_LEVEL: f64 = 0.95;

impl ClassesSpec {
    /// The groups as architectures, checked.
    pub fn resolve(&self) -> Result<Vec<(String, Vec<Arch>)>> {
        Ok(self.resolve_with_paper()?.into_iter().map(|(n, a, _)| (n, a)).collect())
    }

    /// The groups as architectures, checked, with the paper's class sizes where given.
    pub fn resolve_with_paper(&self) -> Result<Vec<(String, Vec<Arch>, Option<usize>)>> {
        let groups = match &self.groups {
            None => {
                let of = |f: Family| Arch::ALL.iter().copied().filter(|a| a.family() == f).collect::<Vec<_>>();
                vec![("convolution".to_string(), of(Family::Cnn), None), ("attention".to_string(), of(Family::Transformer), None)]
            }
            Some(g) => {
                if g.len() != 2 {
                    return Err(Error::Spec(format!("classes.groups: Welch's test compares exactly 2 groups, {} were given", g.len())));
                }
                let mut out = Vec::new();
                for (i, group) in g.iter().enumerate() {
                    if group.archs.is_empty() {
                        return Err(Error::Spec(format!("classes.groups[{i}] ({}) names no architecture", group.name)));
                    }
                    let archs = group.archs.iter().map(|a| Arch::parse(a)).collect::<Result<Vec<_>>>()?;
                    out.push((group.name.clone(), archs, group.paper_n));
                }
                if let Some(a) = out[0].1.iter().find(|a| out[1].1.contains(a)) {
                    return Err(Error::Spec(format!("classes.groups: {} is in both groups", a.name())));
                }
                out
            }
        };
        let alpha = self.alpha();
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(Error::Spec(format!("classes.alpha must be in (0, 1), got {alpha}")));
        }
        Ok(groups)
    }

    pub fn alpha(&self) -> f64 {
        self.alpha.unwrap_or(DEFAULT_ALPHA)
    }
}

/// One source's score table against the target.
pub struct SourceTable<'a> {
    pub arch: Arch,
    /// `values[source layer][target layer]`.
    pub values: &'a [Vec<Option<f64>>],
}

/// One group at one target layer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupLayer {
    pub name: String,
    /// Each architecture's best score over its layers (the mean over its
    /// sources when several seeds of it are sources).
    pub best_per_arch: BTreeMap<String, f64>,
    pub n: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (ddof 1); none below 2 architectures.
    pub sd: Option<f64>,
}

/// The two groups at one target layer and the test between them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassLayer {
    pub layer: String,
    pub groups: Vec<GroupLayer>,
    /// Welch's t (positive when the first group scores higher), its degrees
    /// of freedom and two-sided p-value; none when the test is undefined
    /// (the reason is in `note`).
    pub t: Option<f64>,
    pub df: Option<f64>,
    pub p_value: Option<f64>,
    /// p < alpha.
    pub significant: bool,
    /// Hedges' g of the first group vs the second (pooled sd, bias-corrected)
    /// with its 95% interval; none where it is undefined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<HedgesG>,
    /// Power of Welch's test at `alpha`, with these two groups' sizes, to
    /// detect a difference of one common sd ([`POWER_D`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<f64>,
    /// `power` < [`LOW_POWER`]: a non-significant test here says little.
    #[serde(default)]
    pub low_power: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One class's size in this comparison beside the paper's.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassSize {
    pub name: String,
    /// Source architectures of the class in this run (the target's own left
    /// out); a layer where one has no score has fewer (its group's `n`).
    pub n: usize,
    /// The paper's class size for this target (the spec's `paper_n`, less
    /// one when the target's architecture is of this class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper_n: Option<usize>,
}

/// The class comparison of one metric on one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassComparison {
    pub metric: String,
    pub target: String,
    /// The target's own architecture, left out of both groups: a source of
    /// the same architecture is the "correct" model, not a class member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_arch: Option<String>,
    pub alpha: f64,
    /// Each class's size, here and in the paper.
    #[serde(default)]
    pub classes: Vec<ClassSize>,
    /// The difference (in common sds) each layer's `power` is to detect, and
    /// the power below which a layer is flagged `low_power`.
    #[serde(default = "default_power_d")]
    pub power_d: f64,
    #[serde(default = "default_low_power")]
    pub low_power_below: f64,
    pub layers: Vec<ClassLayer>,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
}

fn default_power_d() -> f64 {
    POWER_D
}

fn default_low_power() -> f64 {
    LOW_POWER
}

/// Best per architecture, group statistics and the test, for each of `n_layers` target layers.
/// `higher_is_better` is false for a distance, whose best is its minimum.
pub fn compare_classes(
    groups: &[(String, Vec<Arch>)],
    alpha: f64,
    target_arch: Option<Arch>,
    layer_names: &[String],
    sources: &[SourceTable],
    higher_is_better: bool,
) -> Vec<ClassLayer> {
    let better = |a: f64, b: f64| if higher_is_better { a.max(b) } else { a.min(b) };
    // The power depends only on the two sizes: computed once per pair.
    let mut powers: BTreeMap<(usize, usize), Option<f64>> = BTreeMap::new();
    layer_names
        .iter()
        .enumerate()
        .map(|(m, layer)| {
            let stats: Vec<(GroupLayer, Vec<f64>)> = groups
                .iter()
                .map(|(name, archs)| {
                    let mut per_arch: BTreeMap<String, Vec<f64>> = BTreeMap::new();
                    for s in sources.iter().filter(|s| archs.contains(&s.arch) && Some(s.arch) != target_arch) {
                        if let Some(best) = s.values.iter().filter_map(|row| row.get(m).copied().flatten()).reduce(better) {
                            per_arch.entry(s.arch.name().to_string()).or_default().push(best);
                        }
                    }
                    let best_per_arch: BTreeMap<String, f64> =
                        per_arch.into_iter().map(|(a, v)| (a, v.iter().sum::<f64>() / v.len() as f64)).collect();
                    let sample: Vec<f64> = best_per_arch.values().copied().collect();
                    let n = sample.len();
                    let mean = (n > 0).then(|| sample.iter().sum::<f64>() / n as f64);
                    let sd = mean.filter(|_| n > 1).map(|m| (sample.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64).sqrt());
                    (GroupLayer { name: name.clone(), best_per_arch, n, mean, sd }, sample)
                })
                .collect();
            let (t, df, p_value, mut note) = match welch_t_test(&stats[0].1, &stats[1].1) {
                Ok(w) => (Some(w.value), Some(w.df), Some(w.p_value), None),
                Err(e) => (None, None, None, Some(e.to_string())),
            };
            let effect = match hedges_g(&stats[0].1, &stats[1].1, CI_LEVEL) {
                Ok(g) => Some(g),
                Err(e) => {
                    note.get_or_insert_with(|| e.to_string());
                    None
                }
            };
            let sizes = (stats[0].1.len(), stats[1].1.len());
            let power = *powers.entry(sizes).or_insert_with(|| welch_power(sizes.0, sizes.1, POWER_D, alpha).ok());
            ClassLayer {
                layer: layer.clone(),
                groups: stats.into_iter().map(|(g, _)| g).collect(),
                t,
                df,
                p_value,
                significant: p_value.is_some_and(|p| p < alpha),
                effect,
                power,
                low_power: power.is_some_and(|p| p < LOW_POWER),
                note,
            }
        })
        .collect()
}

/// The spec's `classes` on model target t under metric k.
pub(crate) fn class_comparison(run: &Finished<'_>, k: usize, t: usize) -> Option<ClassComparison> {
    let spec = run.spec.classes.as_ref()?;
    let with_paper = spec.resolve_with_paper().ok()?; // checked by Spec::validate
    let groups: Vec<(String, Vec<Arch>)> = with_paper.iter().map(|(n, a, _)| (n.clone(), a.clone())).collect();
    let target_arch = match &run.entries[t].kind {
        Kind::Zoo { arch, .. } => Some(*arch),
        Kind::Onnx { .. } => None,
        _ => return None,
    };
    let n_targets = run.spec.targets.len();
    let sources: Vec<SourceTable> = run.entries[n_targets..]
        .iter()
        .enumerate()
        .filter_map(|(s, e)| {
            let Kind::Zoo { arch, .. } = &e.kind else { return None };
            Some(SourceTable { arch: *arch, values: &run.table(k, s, t)?.values })
        })
        .collect();
    let classes = with_paper
        .iter()
        .map(|(name, archs, paper_n)| {
            let mine = |a: &Arch| archs.contains(a) && Some(*a) != target_arch;
            let mut here: Vec<Arch> = sources.iter().map(|s| s.arch).filter(mine).collect();
            here.sort_by_key(|a| a.name());
            here.dedup();
            let own = target_arch.is_some_and(|a| archs.contains(&a));
            ClassSize { name: name.clone(), n: here.len(), paper_n: paper_n.map(|p| p.saturating_sub(own as usize)) }
        })
        .collect();
    Some(ClassComparison {
        metric: run.spec.metrics[k].name.clone(),
        target: run.entries[t].id.clone(),
        excluded_arch: target_arch.map(|a| a.name().to_string()),
        alpha: spec.alpha(),
        classes,
        power_d: POWER_D,
        low_power_below: LOW_POWER,
        layers: compare_classes(&groups, spec.alpha(), target_arch, &run.entries[t].layer_names(), &sources, run.metrics[k].0.higher_is_better()),
        set: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_groups_are_cnns_and_transformers() {
        let g = ClassesSpec { groups: None, alpha: None }.resolve().unwrap();
        assert_eq!(g[0].0, "convolution");
        assert!(g[0].1.contains(&Arch::AlexNet) && !g[0].1.contains(&Arch::VitB32));
        assert!(g[1].1.contains(&Arch::VitL16) && !g[1].1.contains(&Arch::MixerB16_224));
    }

    #[test]
    fn bad_groups_are_named() {
        let one = ClassesSpec { groups: Some(vec![ClassGroup { name: "a".into(), archs: vec!["alexnet".into()], paper_n: None }]), alpha: None };
        assert!(one.resolve().unwrap_err().to_string().contains("exactly 2 groups, 1 were given"));
        let both = ClassesSpec {
            groups: Some(vec![
                ClassGroup { name: "a".into(), archs: vec!["alexnet".into()], paper_n: None },
                ClassGroup { name: "b".into(), archs: vec!["alexnet".into(), "vit_b_32".into()], paper_n: None },
            ]),
            alpha: None,
        };
        assert!(both.resolve().unwrap_err().to_string().contains("alexnet is in both groups"));
        let alpha = ClassesSpec { groups: None, alpha: Some(1.5) };
        assert!(alpha.resolve().unwrap_err().to_string().contains("classes.alpha"));
    }

    #[test]
    fn best_per_arch_excludes_the_target_and_tests_the_groups() {
        let groups = vec![
            ("conv".to_string(), vec![Arch::AlexNet, Arch::Vgg11, Arch::Vgg13, Arch::ResNet18]),
            ("attn".to_string(), vec![Arch::VitB32, Arch::VitB16]),
        ];
        let t = |v: &[[f64; 2]]| v.iter().map(|r| r.iter().map(|&x| Some(x)).collect()).collect::<Vec<Vec<Option<f64>>>>();
        let alex = t(&[[0.9, 0.2], [0.5, 0.4]]);
        let vgg11 = t(&[[0.8, 0.3]]);
        let vgg13 = t(&[[1.0, 1.0]]); // the target's own architecture: left out
        let res_a = t(&[[0.7, 0.1]]);
        let res_b = t(&[[0.5, 0.3]]); // a second seed: averaged with res_a
        let vit32 = t(&[[0.3, 0.5], [0.2, 0.6]]);
        let mut vit16 = t(&[[0.1, 0.7]]);
        vit16[0][1] = None; // undefined at layer 1: vit_b_16 drops out there
        let sources = [
            SourceTable { arch: Arch::AlexNet, values: &alex },
            SourceTable { arch: Arch::Vgg11, values: &vgg11 },
            SourceTable { arch: Arch::Vgg13, values: &vgg13 },
            SourceTable { arch: Arch::ResNet18, values: &res_a },
            SourceTable { arch: Arch::ResNet18, values: &res_b },
            SourceTable { arch: Arch::VitB32, values: &vit32 },
            SourceTable { arch: Arch::VitB16, values: &vit16 },
        ];
        let names = vec!["a".to_string(), "b".to_string()];
        let out = compare_classes(&groups, 0.01, Some(Arch::Vgg13), &names, &sources, true);
        let conv = &out[0].groups[0];
        assert_eq!(conv.n, 3);
        assert_eq!(conv.best_per_arch["alexnet"], 0.9);
        assert!((conv.best_per_arch["resnet18"] - 0.6).abs() < 1e-15);
        assert!(!conv.best_per_arch.contains_key("vgg13"));
        let expected = welch_t_test(&[0.9, 0.6, 0.8], &[0.1, 0.3]).unwrap();
        assert_eq!(out[0].t, Some(expected.value));
        assert_eq!(out[0].p_value, Some(expected.p_value));
        assert_eq!(out[0].significant, expected.p_value < 0.01);
        // Hedges' g and the power of a test of 3 vs 2 architectures (flagged: far below 0.5).
        let g = crate::stats::effect::hedges_g(&[0.9, 0.6, 0.8], &[0.1, 0.3], 0.95).unwrap();
        assert_eq!(out[0].effect.as_ref().unwrap(), &g);
        assert_eq!(out[0].power, Some(welch_power(3, 2, 1.0, 0.01).unwrap()));
        assert!(out[0].low_power);
        // Layer 1: one attention architecture left, so no test, and the reason says why.
        assert_eq!(out[1].groups[1].n, 1);
        assert_eq!(out[1].t, None);
        assert!(!out[1].significant);
        assert!(out[1].effect.is_none() && out[1].power.is_none() && !out[1].low_power);
        assert!(out[1].note.as_deref().unwrap().contains("at least 2 values"));
        // A distance takes the minimum.
        let low = compare_classes(&groups, 0.01, Some(Arch::Vgg13), &names, &sources, false);
        assert_eq!(low[0].groups[0].best_per_arch["alexnet"], 0.5);
    }
}
