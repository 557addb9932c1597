//! Every metric by name, with one parameter set: the single entry point that
//! the CLI (`idlab metric NAME`), the page and the experiment engine share, so
//! a name means the same computation behind every front door.

use crate::error::{Error, Result};
use crate::metrics::nrp::{self, NrpOptions};
use crate::metrics::rdm::{Distance, Rdm};
use crate::metrics::rdm_compare::Compare;
use crate::metrics::regression::{self, RegressionOptions};
use crate::metrics::rsa::{self, RsaOptions};
use crate::metrics::splits::{self, Scheme, Split};
use crate::metrics::{cka, procrustes, soft_matching};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The metrics the lab computes, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricName {
    Regression,
    Cka,
    CkaDebiased,
    CkaRbf,
    Rsa,
    SoftMatching,
    Procrustes,
    Nrp,
}

impl MetricName {
    pub const ALL: [MetricName; 8] = [
        MetricName::Regression,
        MetricName::Cka,
        MetricName::CkaDebiased,
        MetricName::CkaRbf,
        MetricName::Rsa,
        MetricName::SoftMatching,
        MetricName::Procrustes,
        MetricName::Nrp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::Regression => "regression",
            MetricName::Cka => "cka",
            MetricName::CkaDebiased => "cka-debiased",
            MetricName::CkaRbf => "cka-rbf",
            MetricName::Rsa => "rsa",
            MetricName::SoftMatching => "soft-matching",
            MetricName::Procrustes => "procrustes",
            MetricName::Nrp => "nrp",
        }
    }

    /// True when a higher value means more similar (scores, correlations,
    /// R²); false for the distances (`soft-matching`, `procrustes`) and for
    /// `nrp`, whose value is the MLP's held-out mean absolute error, where the
    /// best match is the smallest value.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, MetricName::SoftMatching | MetricName::Procrustes | MetricName::Nrp)
    }

    /// `"higher"` or `"lower"`: which values mean more similar, as results say it.
    pub fn better(self) -> &'static str {
        if self.higher_is_better() {
            "higher"
        } else {
            "lower"
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name).ok_or_else(|| {
            let all: Vec<&str> = Self::ALL.iter().map(|m| m.as_str()).collect();
            Error::Input(format!("unknown metric '{name}'; the metrics are {}", all.join(", ")))
        })
    }
}

/// Which way a mapping goes: source X predicts target Y (forward) or the reverse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Forward,
    Backward,
}

/// Parameters of every metric; each metric reads the ones it has. Defaults:
/// λ = 1 and 10 splits of 90/10 as the system-identification paper states
/// (its version a gives λ = 1); q = 4,096 and 3,000 units are this lab's
/// choices (the paper says only q ≪ p).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricParams {
    /// Ridge penalties; more than one gives a λ sweep (the first is the headline value).
    pub lambda: Vec<f64>,
    pub folds: usize,
    pub test_fraction: f64,
    pub projection_dim: usize,
    pub max_units: usize,
    pub seed: u64,
    /// Train/test splits given by the user instead of drawn (a split file).
    pub splits: Option<Vec<Split>>,
    /// RDM distance: correlation, euclidean or cosine.
    pub rdm_distance: String,
    /// RDM comparison: tau-a, spearman, pearson or cosine.
    pub compare: String,
    /// Stimulus relabellings of RSA's Mantel test (0 skips the p-value).
    pub permutations: usize,
    /// X and Y are already n x n RDMs.
    pub rdm_input: bool,
    pub direction: Direction,
    /// RBF CKA bandwidth as a fraction of the median distance.
    pub rbf_threshold: f64,
    /// NRP grid: hidden layer widths to try (e.g. `[[64, 64], [256, 256]]`).
    /// This and the NRP fields below are optional: absent, they take the
    /// caller's defaults (`idlab metric`: [`NrpOptions::default`];
    /// experiments: the smaller [`NrpOptions::quick`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_sizes: Option<Vec<Vec<usize>>>,
    /// NRP grid: Adam learning rates to try.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rates: Option<Vec<f64>>,
    /// NRP: upper bound on training epochs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_epochs: Option<usize>,
    /// NRP: images per mini-batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// NRP: epochs without a better validation loss before stopping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patience: Option<usize>,
    /// NRP: share of each split's training images held out for early stopping and the grid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_fraction: Option<f64>,
}

impl MetricParams {
    /// Ridge regression's options: these parameters as they are, so every
    /// front door maps the same fields the same way. Callers whose X is
    /// already projected or Y already subsampled override `projection_dim` /
    /// `max_units` with struct update syntax.
    pub fn regression_options(&self) -> RegressionOptions {
        RegressionOptions {
            lambdas: self.lambda.clone(),
            folds: self.folds,
            test_fraction: self.test_fraction,
            projection_dim: self.projection_dim,
            max_units: self.max_units,
            seed: self.seed,
            splits: self.splits.clone(),
            pooled: false,
        }
    }

    /// RSA's options; fails on an unknown RDM distance or comparison name.
    pub fn rsa_options(&self) -> Result<RsaOptions> {
        Ok(RsaOptions {
            distance: Distance::parse(&self.rdm_distance)?,
            compare: Compare::parse(&self.compare)?,
            permutations: self.permutations,
            seed: self.seed,
        })
    }

    /// The NRP's options: `base` with the fields these parameters give, and their seed.
    pub fn nrp_options(&self, base: NrpOptions) -> NrpOptions {
        NrpOptions {
            hidden_sizes: self.hidden_sizes.clone().unwrap_or(base.hidden_sizes),
            learning_rates: self.learning_rates.clone().unwrap_or(base.learning_rates),
            max_epochs: self.max_epochs.unwrap_or(base.max_epochs),
            batch_size: self.batch_size.unwrap_or(base.batch_size),
            patience: self.patience.unwrap_or(base.patience),
            validation_fraction: self.validation_fraction.unwrap_or(base.validation_fraction),
            seed: self.seed,
        }
    }
}

impl Default for MetricParams {
    /// Regression's defaults are [`RegressionOptions::default`]'s, stated once there.
    fn default() -> Self {
        let RegressionOptions { lambdas, folds, test_fraction, projection_dim, max_units, seed, splits, .. } = RegressionOptions::default();
        MetricParams {
            lambda: lambdas,
            folds,
            test_fraction,
            projection_dim,
            max_units,
            seed,
            splits,
            rdm_distance: "correlation".into(),
            compare: "tau-a".into(),
            permutations: crate::metrics::mantel::DEFAULT_PERMUTATIONS,
            rdm_input: false,
            direction: Direction::Forward,
            rbf_threshold: 1.0,
            hidden_sizes: None,
            learning_rates: None,
            max_epochs: None,
            batch_size: None,
            patience: None,
            validation_fraction: None,
        }
    }
}

/// Computes metric `name` of X (source) and Y (target); the JSON object has
/// `metric`, `value`, `direction`, the shapes, and the metric's own detail.
pub fn compute(name: MetricName, x: &DMatrix<f64>, y: &DMatrix<f64>, p: &MetricParams) -> Result<Value> {
    let (x, y) = match p.direction {
        Direction::Forward => (x, y),
        Direction::Backward => (y, x),
    };
    if p.rdm_input && name != MetricName::Rsa {
        return Err(Error::Input(format!("--rdm-input goes with rsa; {} takes responses (stimuli x units)", name.as_str())));
    }
    let detail: Value = match name {
        MetricName::Cka => json!({ "value": cka::linear_cka(x, y)? }),
        MetricName::CkaDebiased => json!({ "value": cka::debiased_linear_cka(x, y)? }),
        MetricName::CkaRbf => json!({ "value": cka::rbf_cka(x, y, p.rbf_threshold)?, "threshold": p.rbf_threshold }),
        MetricName::Regression => to_value(&regression::regression(x, y, &p.regression_options())?),
        MetricName::Rsa => {
            let opts = p.rsa_options()?;
            if p.rdm_input {
                let side = |m: &DMatrix<f64>, what: &str| {
                    Rdm::from_matrix(m).map_err(|e| Error::Input(format!("{what} (an RDM with --rdm-input): {e}")))
                };
                let (a, b) = (side(x, "X")?, side(y, "Y")?);
                if a.n() != b.n() {
                    return Err(Error::Input(format!("the RDMs cover different stimuli: X is {} x {0}, Y is {} x {1}", a.n(), b.n())));
                }
                to_value(&rsa::rsa_rdms(&a, &b, &opts)?)
            } else {
                to_value(&rsa::rsa(x, y, &opts)?)
            }
        }
        MetricName::Procrustes => to_value(&procrustes::procrustes(x, y)?),
        MetricName::SoftMatching => to_value(&soft_matching::soft_matching(x, y)?),
        MetricName::Nrp => nrp_with_ridge_baseline(x, y, p, &p.nrp_options(NrpOptions::default()))?,
    };
    let mut out = json!({
        "metric": name.as_str(),
        "direction": p.direction,
        "x_shape": [x.nrows(), x.ncols()],
        "y_shape": [y.nrows(), y.ncols()],
    });
    if let (Value::Object(o), Value::Object(d)) = (&mut out, detail) {
        o.extend(d);
    }
    Ok(out)
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("metric results serialise")
}

/// The MLP mapping with its ridge baseline fitted on the MLP's footing (the
/// same standardised features, fit and validation images, test images: see
/// [`nrp::ridge_baseline`]). The splits are `p.splits`, else `p.folds` seeded
/// random splits holding out `p.test_fraction`, or, when those would hold out
/// too few images, K folds scored pooled (the rule of
/// [`crate::metrics::splits::plan`], said in the result's warnings).
/// `p.lambda`, when not the default `[1]`, is the baseline's λ grid; else
/// [`nrp::RIDGE_LAMBDAS`]. The value is the MLP's mean held-out MAE.
fn nrp_with_ridge_baseline(x: &DMatrix<f64>, y: &DMatrix<f64>, p: &MetricParams, o: &NrpOptions) -> Result<Value> {
    let plan = splits::plan(x.nrows(), p.folds, p.test_fraction, p.seed, p.splits.as_deref(), "nrp")?;
    let pooled = plan.scheme == Scheme::KFold;
    let lambdas = if p.lambda == MetricParams::default().lambda { nrp::RIDGE_LAMBDAS.to_vec() } else { p.lambda.clone() };
    let mut result = nrp::nrp_with_lambdas(x, y, &plan.splits, o, &lambdas, pooled)?;
    result.warnings.extend(plan.warning);
    Ok(to_value(&result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known() {
        for m in MetricName::ALL {
            assert_eq!(MetricName::parse(m.as_str()).unwrap(), m);
        }
        assert_eq!(MetricName::ALL.iter().filter(|m| !m.higher_is_better()).count(), 3);
        assert_eq!((MetricName::SoftMatching.better(), MetricName::Regression.better()), ("lower", "higher"));
        let e = MetricName::parse("cca").unwrap_err().to_string();
        assert!(e.contains("unknown metric 'cca'") && e.contains("soft-matching"), "{e}");
    }

    #[test]
    fn params_from_json_reject_unknown_fields() {
        let p: MetricParams = serde_json::from_str(r#"{"lambda": [0.1, 1], "folds": 5}"#).unwrap();
        assert_eq!((p.lambda.len(), p.folds, p.max_units), (2, 5, 3000));
        assert!(serde_json::from_str::<MetricParams>(r#"{"lamda": 1}"#).is_err());
    }

    #[test]
    fn options_come_from_the_params() {
        let p = MetricParams { lambda: vec![0.5, 2.0], folds: 4, seed: 9, compare: "spearman".into(), permutations: 0, ..Default::default() };
        let r = p.regression_options();
        assert_eq!((r.lambdas, r.folds, r.seed, r.max_units), (vec![0.5, 2.0], 4, 9, 3000));
        assert_eq!(MetricParams::default().regression_options(), RegressionOptions::default());
        let o = p.rsa_options().unwrap();
        assert_eq!((o.distance, o.compare, o.permutations, o.seed), (Distance::Correlation, Compare::Spearman, 0, 9));
        assert_eq!(MetricParams::default().rsa_options().unwrap(), RsaOptions::default());
        assert!(MetricParams { rdm_distance: "manhattan".into(), ..Default::default() }.rsa_options().is_err());
    }
}
