//! Linear CKA and its debiased form, from the two layers' Gram matrices.

use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData};
use crate::metrics::cka::{cka_from_grams, debiased_cka_from_grams};
use crate::metrics::registry::MetricParams;

pub(super) struct Cka {
    pub debiased: bool,
}

impl ExperimentMetric for Cka {
    fn title(&self) -> &'static str {
        if self.debiased { "debiased CKA" } else { "linear CKA" }
    }

    fn needs_gram(&self) -> bool {
        true
    }

    fn score(&self, _k: usize, _p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        let (k, l) = (src.gram.as_ref()?, tgt.gram.as_ref()?);
        let f = if self.debiased { debiased_cka_from_grams } else { cka_from_grams };
        Some(f(k, l).map(Cell::value))
    }
}
