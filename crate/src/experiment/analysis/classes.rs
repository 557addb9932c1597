//! Architecture classes compared layer by layer (Han et al. 2023, Fig. 6:
//! "convolution vs attention"): for each layer of a target model, the best
//! score each source architecture reaches over its layers, the two classes'
//! means ± sd, and Welch's t-test between them, significant at `alpha`.
//!
//! A pure function of the score tables, so the page and the CLI get the same
//! numbers from the same result.

use super::Finished;
use crate::experiment::session::Kind;
use crate::error::{Error, Result};
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
}

/// The default level, the paper's.
pub const DEFAULT_ALPHA: f64 = 0.01;

impl ClassesSpec {
    /// The groups as architectures, checked.
    pub fn resolve(&self) -> Result<Vec<(String, Vec<Arch>)>> {
        let groups = match &self.groups {
            None => {
                let of = |f: Family| Arch::ALL.iter().copied().filter(|a| a.family() == f).collect::<Vec<_>>();
                vec![("convolution".to_string(), of(Family::Cnn)), ("attention".to_string(), of(Family::Transformer))]
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
                    out.push((group.name.clone(), archs));
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    pub layers: Vec<ClassLayer>,
    /// The stimulus set (index into the result's `stimulus_sets`) when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
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
            let (t, df, p_value, note) = match welch_t_test(&stats[0].1, &stats[1].1) {
                Ok(w) => (Some(w.value), Some(w.df), Some(w.p_value), None),
                Err(e) => (None, None, None, Some(e.to_string())),
            };
            ClassLayer {
                layer: layer.clone(),
                groups: stats.into_iter().map(|(g, _)| g).collect(),
                t,
                df,
                p_value,
                significant: p_value.is_some_and(|p| p < alpha),
                note,
            }
        })
        .collect()
}

/// The spec's `classes` on model target t under metric k.
pub(crate) fn class_comparison(run: &Finished<'_>, k: usize, t: usize) -> Option<ClassComparison> {
    let spec = run.spec.classes.as_ref()?;
    let groups = spec.resolve().ok()?; // checked by Spec::validate
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
    Some(ClassComparison {
        metric: run.spec.metrics[k].name.clone(),
        target: run.entries[t].id.clone(),
        excluded_arch: target_arch.map(|a| a.name().to_string()),
        alpha: spec.alpha(),
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
        let one = ClassesSpec { groups: Some(vec![ClassGroup { name: "a".into(), archs: vec!["alexnet".into()] }]), alpha: None };
        assert!(one.resolve().unwrap_err().to_string().contains("exactly 2 groups, 1 were given"));
        let both = ClassesSpec {
            groups: Some(vec![
                ClassGroup { name: "a".into(), archs: vec!["alexnet".into()] },
                ClassGroup { name: "b".into(), archs: vec!["alexnet".into(), "vit_b_32".into()] },
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
        // Layer 1: one attention architecture left, so no test, and the reason says why.
        assert_eq!(out[1].groups[1].n, 1);
        assert_eq!(out[1].t, None);
        assert!(!out[1].significant);
        assert!(out[1].note.as_deref().unwrap().contains("at least 2 values"));
        // A distance takes the minimum.
        let low = compare_classes(&groups, 0.01, Some(Arch::Vgg13), &names, &sources, false);
        assert_eq!(low[0].groups[0].best_per_arch["alexnet"], 0.5);
    }
}
