//! Every metric by name, with one parameter set: the single entry point that
//! the CLI (`idlab metric NAME`), the page and the experiment engine share, so
//! a name means the same computation behind every front door.

use crate::error::{Error, Result};
use crate::metrics::splits::Split;
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

/// Parameters of every metric; each metric reads the ones it has. Defaults
/// are the seed paper's (λ = 1, 10 splits of 90/10, q = 4,096, 3,000 units).
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// Permutations of the Mantel test (0: none).
    pub permutations: usize,
    /// X and Y are already n x n RDMs.
    pub rdm_input: bool,
    pub direction: Direction,
    /// RBF CKA bandwidth as a fraction of the median distance.
    pub rbf_threshold: f64,
}

impl Default for MetricParams {
    fn default() -> Self {
        MetricParams {
            lambda: vec![1.0],
            folds: 10,
            test_fraction: 0.1,
            projection_dim: 4096,
            max_units: 3000,
            seed: 0,
            splits: None,
            rdm_distance: "correlation".into(),
            compare: "tau-a".into(),
            permutations: 0,
            rdm_input: false,
            direction: Direction::Forward,
            rbf_threshold: 1.0,
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
    let detail: Value = match name {
        MetricName::Cka => json!({ "value": crate::metrics::cka::linear_cka(x, y)? }),
        other => {
            return Err(Error::Input(format!("metric '{}' is not available in this build", other.as_str())));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known() {
        for m in MetricName::ALL {
            assert_eq!(MetricName::parse(m.as_str()).unwrap(), m);
        }
        let e = MetricName::parse("cca").unwrap_err().to_string();
        assert!(e.contains("unknown metric 'cca'") && e.contains("soft-matching"), "{e}");
    }

    #[test]
    fn params_from_json_reject_unknown_fields() {
        let p: MetricParams = serde_json::from_str(r#"{"lambda": [0.1, 1], "folds": 5}"#).unwrap();
        assert_eq!((p.lambda.len(), p.folds, p.max_units), (2, 5, 3000));
        assert!(serde_json::from_str::<MetricParams>(r#"{"lamda": 1}"#).is_err());
    }
}
