//! The neural regression metric against scikit-learn's Ridge, scipy's
//! pearsonr and sklearn's r2_score / mean_absolute_error on the same splits
//! (tests/fixtures/metrics/make_regression.py).

use idlab::data::splits::parse_split_file;
use idlab::metrics::regression::{regression, RegressionOptions};
use idlab::metrics::ridge::ridge_predict;
use idlab::metrics::splits::Split;
use nalgebra::DMatrix;
use serde_json::Value;

pub const REGRESSION_FIXTURE: &str = include_str!("../../../tests/fixtures/metrics/regression.json");

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-6 * want.abs().max(1e-3);
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

fn cases() -> Vec<Value> {
    let f: Value = serde_json::from_str(REGRESSION_FIXTURE).unwrap();
    f["cases"].as_array().unwrap().clone()
}

/// Every case: value, per-split medians, every λ of the sweep, per-unit r,
/// R² and MAE agree with sklearn/scipy to relative 1e-6 (absolute 1e-9 near 0);
/// constant units excluded in the same splits.
pub fn check_regression_against_sklearn() {
    for c in cases() {
        let name = c["name"].as_str().unwrap();
        let (x, y) = (matrix(&c["x"]), matrix(&c["y"]));
        let splits: Vec<Split> = serde_json::from_value(c["splits"].clone()).unwrap();
        let lambdas: Vec<f64> = serde_json::from_value(c["lambdas"].clone()).unwrap();
        let opts = RegressionOptions { lambdas, splits: Some(splits), ..Default::default() };
        let r = regression(&x, &y, &opts).unwrap();
        assert!(!r.projected, "{name}");
        close(r.value, c["value"].as_f64().unwrap(), &format!("{name} value"));
        for (pl, want) in r.per_lambda.iter().zip(c["per_lambda"].as_array().unwrap()) {
            close(pl.value, want["value"].as_f64().unwrap(), &format!("{name} λ={} value", pl.lambda));
            for (i, (g, w)) in pl.split_values.iter().zip(want["split_values"].as_array().unwrap()).enumerate() {
                close(*g, w.as_f64().unwrap(), &format!("{name} λ={} split {i}", pl.lambda));
            }
        }
        for (field, got) in [("unit_r", &r.unit_r), ("unit_r2", &r.unit_r2)] {
            for (j, (g, w)) in got.iter().zip(c[field].as_array().unwrap()).enumerate() {
                match (g, w.as_f64()) {
                    (Some(g), Some(w)) => close(*g, w, &format!("{name} {field}[{j}]")),
                    (None, None) => {}
                    _ => panic!("{name} {field}[{j}]: got {g:?}, want {w}"),
                }
            }
        }
        for (j, (g, w)) in r.unit_mae.iter().zip(c["unit_mae"].as_array().unwrap()).enumerate() {
            close(*g, w.as_f64().unwrap(), &format!("{name} unit_mae[{j}]"));
        }
        let excl: Vec<usize> = serde_json::from_value(c["excluded_per_split"].clone()).unwrap();
        assert_eq!(r.excluded_per_split, excl, "{name}");
    }
}

/// Ridge predictions alone (dual and primal forms) match a rerun of the
/// metric's per-split scores: the first split's r of the first case is
/// recomputed from `ridge_predict`.
pub fn check_ridge_predictions_feed_the_scores() {
    for c in cases() {
        let (x, y) = (matrix(&c["x"]), matrix(&c["y"]));
        let splits: Vec<Split> = serde_json::from_value(c["splits"].clone()).unwrap();
        let lambda = c["lambdas"][0].as_f64().unwrap();
        let s = &splits[0];
        let pred = &ridge_predict(&x, &y, &s.train, &s.test, &[lambda]).unwrap()[0];
        assert_eq!(pred.shape(), (s.test.len(), y.ncols()));
        let mut maes = 0.0;
        for j in 0..y.ncols() {
            maes += s.test.iter().enumerate().map(|(i, &t)| (y[(t, j)] - pred[(i, j)]).abs()).sum::<f64>()
                / s.test.len() as f64;
        }
        let r = regression(&x, &y, &RegressionOptions {
            lambdas: vec![lambda],
            splits: Some(vec![s.clone()]),
            ..Default::default()
        })
        .unwrap();
        let want: f64 = r.unit_mae.iter().sum();
        assert!((maes - want).abs() <= 1e-9 * want.abs(), "{maes} vs {want}");
    }
}

/// The split file format round-trips the fixture's splits.
pub fn check_split_file_format() {
    let c = &cases()[0];
    let n = c["x"].as_array().unwrap().len();
    let json = format!("{{\"splits\": {}}}", c["splits"]);
    let splits = parse_split_file(&json, n).unwrap();
    assert_eq!(splits.len(), c["splits"].as_array().unwrap().len());
    assert!(parse_split_file(&json, 5).is_err());
}
