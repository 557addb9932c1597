//! One description per metric an experiment runs: what a layer's sink keeps
//! for it, whether it needs the Gram matrix, what it derives once per layer,
//! how it scores a (source layer, target layer) pair, and its noise ceiling.
//! Adding a metric to experiments is one file here and one line in
//! [`describe`]; the spec admits what is described here.

mod cka;
mod nrp;
mod regression;
mod rsa;
mod soft_matching;

use super::session::{Cell, LayerData, Role};
use crate::error::Result;
use crate::metrics::noise_ceiling::NoiseCeiling;
use crate::metrics::rdm::Rdm;
use crate::metrics::registry::{MetricName, MetricParams};
use crate::sinks::{Keep, KeepShape};

/// How an experiment computes one metric. `k` is the metric's index in the
/// spec: a layer's features and RDMs are kept per index.
pub(crate) trait ExperimentMetric: Sync {
    /// The name people read ("linear CKA"), in reports and captions.
    fn title(&self) -> &'static str;

    /// Whether experiments run it (`idlab metric` computes every metric).
    fn in_experiments(&self) -> bool {
        true
    }

    /// The spec's parameters checked before anything runs (a spec error naming the fix).
    fn check(&self, _p: &MetricParams) -> Result<()> {
        Ok(())
    }

    /// The `MetricParams` fields the metric reads, in the order a report
    /// lists them; the others are ignored for it.
    fn reads(&self) -> &'static [&'static str] {
        &[]
    }

    /// What a layer of `units` units keeps, image by image, on side `role`;
    /// None when the metric reads no features.
    fn keep(&self, _role: Role, _units: usize, _p: &MetricParams) -> Result<Option<Keep>> {
        Ok(None)
    }

    /// The size of what `keep` keeps (the memory estimate's question); metrics
    /// whose `keep` draws a projection answer without drawing it.
    fn keep_shape(&self, role: Role, units: usize, p: &MetricParams) -> Result<Option<KeepShape>> {
        Ok(self.keep(role, units, p)?.map(|k| k.shape()))
    }

    /// The fewest held-out images at which the metric's number means
    /// something (regression and NRP: [`crate::metrics::splits::MIN_TEST_IMAGES`]
    /// per split, else k-fold cross-validation pooled over every image, and
    /// fewer images in all are refused); None for metrics that hold none out.
    fn min_test_images(&self) -> Option<usize> {
        None
    }

    /// Whether the metric reads the layers' Gram matrices.
    fn needs_gram(&self) -> bool {
        false
    }

    /// What the metric derives once per recorded layer rather than per pair
    /// (RSA: the layer's RDM, or why it has none).
    fn layer_rdm(&self, _layer: &LayerData, _p: &MetricParams) -> Option<std::result::Result<Rdm, String>> {
        None
    }

    /// One source layer against one target layer; None when the metric does
    /// not apply to that target (e.g. CKA against an RDM).
    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>>;

    /// The noise ceiling of a target with these subjects' RDMs, if the metric has one.
    fn ceiling(&self, _p: &MetricParams, _subjects: &[Rdm]) -> Option<Result<NoiseCeiling>> {
        None
    }
}

/// The description of `name`. The spec admits only the metrics listed here
/// (those whose description says [`ExperimentMetric::in_experiments`]).
pub(crate) fn describe(name: MetricName) -> &'static dyn ExperimentMetric {
    match name {
        MetricName::Cka => &cka::Cka { debiased: false },
        MetricName::CkaDebiased => &cka::Cka { debiased: true },
        MetricName::Regression => &regression::Regression,
        MetricName::Nrp => &nrp::Nrp,
        MetricName::Rsa => &rsa::Rsa,
        MetricName::SoftMatching => &soft_matching::SoftMatching,
        MetricName::CkaRbf => &NotInExperiments { title: "RBF CKA", reads: &["rbf_threshold"] },
        MetricName::Procrustes => &NotInExperiments { title: "Procrustes", reads: &[] },
    }
}

/// `idlab metric` computes these, experiments not yet: they score nothing.
struct NotInExperiments {
    title: &'static str,
    reads: &'static [&'static str],
}

impl ExperimentMetric for NotInExperiments {
    fn in_experiments(&self) -> bool {
        false
    }

    fn title(&self) -> &'static str {
        self.title
    }

    fn reads(&self) -> &'static [&'static str] {
        self.reads
    }

    fn score(&self, _k: usize, _p: &MetricParams, _src: &LayerData, _tgt: &LayerData) -> Option<Result<Cell>> {
        None
    }
}

/// The metrics an experiment runs, in [`MetricName::ALL`]'s order.
pub fn experiment_metrics() -> Vec<MetricName> {
    MetricName::ALL.into_iter().filter(|&m| describe(m).in_experiments()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimate's shapes are those of what recording keeps, drawn or not.
    #[test]
    fn keep_shape_is_the_shape_of_keep() {
        let p = MetricParams { projection_dim: 100, max_units: 30, ..MetricParams::default() };
        for m in experiment_metrics() {
            for role in [Role::Source, Role::Target] {
                for units in [1, 7, 100, 101, 5000] {
                    let drawn = describe(m).keep(role, units, &p).unwrap().map(|k| k.shape());
                    assert_eq!(describe(m).keep_shape(role, units, &p).unwrap(), drawn, "{m:?} {role:?} {units}");
                }
                let zero = MetricParams { projection_dim: 0, ..p.clone() };
                assert_eq!(describe(m).keep_shape(role, 10, &zero).is_err(), describe(m).keep(role, 10, &zero).is_err());
            }
        }
    }
}
