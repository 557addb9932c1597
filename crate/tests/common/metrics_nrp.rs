//! The NRP against scikit-learn: exact R² / MAE formulas, held-out R² in
//! the range of sklearn's MLPRegressor on the same small problem, and the
//! ridge baseline equal to StandardScaler + Ridge with λ chosen on the same
//! validation rows.

use idlab::metrics::nrp::{mae_per_unit, nrp, r2_per_unit, ridge_baseline, NrpOptions, RIDGE_LAMBDAS};
use idlab::metrics::splits::Split;
use nalgebra::DMatrix;
use serde_json::Value;

pub const NRP_FIXTURE: &str = include_str!("../../../tests/fixtures/metrics/nrp.json");

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

fn vector(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

/// r2_score / mean_absolute_error (raw_values and uniform_average) to 1e-12,
/// including sklearn's constant-column convention.
pub fn check_nrp_formulas_against_sklearn() {
    let f: Value = serde_json::from_str(NRP_FIXTURE).unwrap();
    let f = &f["formulas"];
    let (y, p) = (matrix(&f["y_true"]), matrix(&f["y_pred"]));
    let (r2, constant) = r2_per_unit(&y, &p);
    assert_eq!(constant, 2);
    for (label, got, want) in
        [("r2", r2.clone(), vector(&f["r2"])), ("mae", mae_per_unit(&y, &p), vector(&f["mae"]))]
    {
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{label} unit {j}: {g} vs sklearn {w}");
        }
    }
    let mean = r2.iter().sum::<f64>() / r2.len() as f64;
    let want = f["r2_mean"].as_f64().unwrap();
    assert!((mean - want).abs() < 1e-12, "{mean} vs {want}");
}

/// Same problem, split and settings as sklearn's MLPRegressor (64-64 ReLU,
/// Adam lr 1e-3, batch 32, 10% validation, patience 10, standardised X and
/// Y): the NRP's held-out R² lies within the fixture's tolerance (0.05
/// absolute) of sklearn's mean over 5 seeds.
pub fn check_nrp_near_sklearn_mlp() {
    let f: Value = serde_json::from_str(NRP_FIXTURE).unwrap();
    let m = &f["mlp"];
    let (x, y) = (matrix(&m["x"]), matrix(&m["y"]));
    let idx = |v: &Value| -> Vec<usize> { serde_json::from_value(v.clone()).unwrap() };
    let split = Split { train: idx(&m["train"]), test: idx(&m["test"]) };
    let o = NrpOptions {
        hidden_sizes: vec![vec![64, 64]],
        learning_rates: vec![1e-3],
        max_epochs: 500,
        batch_size: 32,
        patience: 10,
        validation_fraction: 0.1,
        seed: 0,
    };
    let r = nrp(&x, &y, &[split], &o).unwrap();
    let want = m["sklearn_r2_mean"].as_f64().unwrap();
    let tol = m["tolerance"].as_f64().unwrap();
    assert!(
        (r.r2 - want).abs() <= tol,
        "NRP held-out R² {} vs sklearn MLPRegressor {want} (±{tol})",
        r.r2
    );
    assert_eq!(r.value, r.mae, "the headline is the MLP's MAE");
}

/// `nrp::ridge_baseline` against StandardScaler + Ridge(alpha=λ) on the same
/// train / fit / validation / test rows (a primal and a dual problem): the
/// validation MSE of every λ, the chosen λ, the test predictions and their
/// R² and MAE per unit, to 1e-8.
pub fn check_ridge_baseline_against_sklearn() {
    let f: Value = serde_json::from_str(NRP_FIXTURE).unwrap();
    let idx = |v: &Value| -> Vec<usize> { serde_json::from_value(v.clone()).unwrap() };
    let close = |what: &str, got: &[f64], want: &[f64]| {
        assert_eq!(got.len(), want.len(), "{what}");
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= 1e-8 * w.abs().max(1.0), "{what} [{k}]: {g} vs sklearn {w}");
        }
    };
    for case in ["primal", "dual"] {
        let c = &f["ridge_baseline"][case];
        let (x, y) = (matrix(&c["x"]), matrix(&c["y"]));
        assert_eq!(vector(&c["lambdas"]), RIDGE_LAMBDAS, "the fixture's grid is the default one");
        let (train, test, fit, val) = (idx(&c["train"]), idx(&c["test"]), idx(&c["fit"]), idx(&c["validation"]));
        let b = ridge_baseline(&x, &y, &train, &fit, &val, &test, &RIDGE_LAMBDAS).unwrap();
        close(&format!("{case} validation MSE"), &b.validation_loss, &vector(&c["validation_loss"]));
        assert_eq!(b.lambda, c["lambda"].as_f64().unwrap(), "{case}: chosen λ");
        let want = matrix(&c["prediction"]);
        close(&format!("{case} predictions"), b.prediction.as_slice(), want.as_slice());
        let y_test = DMatrix::from_fn(test.len(), y.ncols(), |r, j| y[(test[r], j)]);
        close(&format!("{case} R²"), &r2_per_unit(&y_test, &b.prediction).0, &vector(&c["r2"]));
        close(&format!("{case} MAE"), &mae_per_unit(&y_test, &b.prediction), &vector(&c["mae"]));
    }
}
