//! RSA: each layer's RDM (from its Gram matrix and row sums, once per
//! layer) compared with the target's; several subjects are compared one by
//! one, and the value shown (their mean) is the value tested: each subject's
//! Mantel test and the group test of the mean (the same stimulus relabelling
//! for every subject, [`mantel_subjects`]); their noise ceiling.

use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData};
use crate::metrics::mantel::mantel_subjects;
use crate::metrics::noise_ceiling::{noise_ceiling, NoiseCeiling};
use crate::metrics::rdm::{rdm_from_gram, Distance, Rdm};
use crate::metrics::rdm_compare::Compare;
use crate::metrics::registry::MetricParams;
use crate::metrics::rsa::rsa_rdms;

pub(super) struct Rsa;

impl ExperimentMetric for Rsa {
    fn title(&self) -> &'static str {
        "RSA"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["rdm_distance", "compare", "permutations", "seed"]
    }

    fn needs_gram(&self) -> bool {
        true
    }

    fn layer_rdm(&self, layer: &LayerData, p: &MetricParams) -> Option<std::result::Result<Rdm, String>> {
        Some((|| {
            let gram = layer.gram.as_ref().ok_or_else(|| "no Gram matrix was kept for this layer".to_string())?;
            let distance = Distance::parse(&p.rdm_distance).map_err(|e| e.to_string())?;
            rdm_from_gram(gram, &layer.sums, layer.units, distance).map_err(|e| e.to_string())
        })())
    }

    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        Some(rsa_cell(k, p, src, tgt))
    }

    fn ceiling(&self, p: &MetricParams, subjects: &[Rdm]) -> Option<Result<NoiseCeiling>> {
        (subjects.len() > 1).then(|| Compare::parse(&p.compare).and_then(|c| noise_ceiling(subjects, c)))
    }
}

fn rsa_cell(k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Result<Cell> {
    let opts = p.rsa_options()?;
    let a = src.rdm(k)?;
    let single = match tgt.rdms.len() {
        0 => Some(tgt.rdm(k)?),
        1 => Some(&tgt.rdms[0]),
        _ => None,
    };
    if let Some(b) = single {
        let r = rsa_rdms(a, b, &opts)?;
        return Ok(Cell { value: Some(r.value), p_value: r.p_value, ..Default::default() });
    }
    // Several subjects: the cell's value is their mean, its p-value the group
    // test of that mean; each subject's p sits in `detail` ("p_subject.<s>").
    if opts.permutations == 0 {
        let per = tgt.rdms.iter().map(|b| rsa_rdms(a, b, &opts).map(|r| r.value)).collect::<Result<Vec<f64>>>()?;
        let mean = per.iter().sum::<f64>() / per.len() as f64;
        return Ok(Cell { value: Some(mean), per_subject: Some(per.into_iter().map(Some).collect()), ..Default::default() });
    }
    let m = mantel_subjects(a, &tgt.rdms, opts.compare, opts.permutations, opts.seed)?;
    let detail = m.p_values.iter().enumerate().map(|(s, &p)| (subject_p_name(s), Some(p))).collect();
    Ok(Cell {
        value: Some(m.mean),
        per_subject: Some(m.values.into_iter().map(Some).collect()),
        p_value: Some(m.p_mean),
        detail,
        ..Default::default()
    })
}

/// The `detail` table of subject s's Mantel p-value: `p_subject.<s>` (0-based,
/// in the target's subject order). Detail names are `&'static str`; each name
/// is made once per subject index and kept for the life of the program.
pub(crate) fn subject_p_name(s: usize) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(|| Mutex::new(Vec::new())).lock().unwrap_or_else(|e| e.into_inner());
    while names.len() <= s {
        let k = names.len();
        names.push(Box::leak(format!("{SUBJECT_P}{k}").into_boxed_str()));
    }
    names[s]
}

/// Prefix of the per-subject p-value tables in an RSA score's `detail`.
pub const SUBJECT_P: &str = "p_subject.";
