//! RSA: each layer's RDM (from its Gram matrix and row sums, once per
//! layer) compared with the target's; several subjects are compared one by
//! one, the p-value taken against their mean RDM; their noise ceiling.

use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData};
use crate::metrics::noise_ceiling::{noise_ceiling, NoiseCeiling};
use crate::metrics::rdm::{rdm_from_gram, Distance, Rdm};
use crate::metrics::rdm_compare::Compare;
use crate::metrics::registry::MetricParams;
use crate::metrics::rsa::{rsa_rdms, RsaOptions};

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
    // Several subjects: each compared without a test; the p-value against their mean RDM.
    let quick = RsaOptions { permutations: 0, ..opts };
    let per = tgt.rdms.iter().map(|b| rsa_rdms(a, b, &quick).map(|r| r.value)).collect::<Result<Vec<f64>>>()?;
    let mean = per.iter().sum::<f64>() / per.len() as f64;
    let p_value = match (&tgt.mean, opts.permutations) {
        (Some(m), n) if n > 0 => rsa_rdms(a, m, &opts)?.p_value,
        _ => None,
    };
    Ok(Cell { value: Some(mean), per_subject: Some(per.into_iter().map(Some).collect()), p_value, ..Default::default() })
}
