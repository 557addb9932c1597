//! Shape metrics (CKA variants, Procrustes, soft matching) against
//! tests/fixtures/metrics/shape.json (numpy ports of the Kornblith et al.
//! notebook and of netrep's LinearMetric, scipy, POT; see make_shape.py).
//! Relative tolerance 1e-6; distances the reference puts below 1e-6 (the
//! identical-inputs case, where both sides only see rounding noise through a
//! square root or arccos) are checked as below 1e-6 absolute instead.

use idlab::metrics::{cka, procrustes, soft_matching};
use nalgebra::DMatrix;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../../tests/fixtures/metrics/shape.json");

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(FIXTURE).expect("shape.json parses");
    v["cases"].as_array().expect("cases").clone()
}

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("matrix rows");
    let (n, p) = (rows.len(), rows[0].len());
    DMatrix::from_fn(n, p, |i, j| rows[i][j])
}

fn inputs(c: &Value) -> (String, DMatrix<f64>, DMatrix<f64>) {
    (c["name"].as_str().unwrap().to_string(), matrix(&c["x"]), matrix(&c["y"]))
}

fn close(what: &str, case: &str, got: f64, want: f64) {
    let ok = (got - want).abs() <= 1e-6 * want.abs().max(1e-300);
    assert!(ok, "{what} [{case}]: got {got}, want {want}");
}

/// A distance: relative 1e-6, or both below `floor` (absolute) when the
/// reference is rounding noise around zero.
fn close_distance(what: &str, case: &str, got: f64, want: f64, floor: f64) {
    if want.abs() < floor {
        assert!(got.abs() < floor, "{what} [{case}]: got {got}, want ~0 ({want})");
    } else {
        close(what, case, got, want);
    }
}

pub fn check_linear_cka() {
    for c in cases() {
        let (name, x, y) = inputs(&c);
        let want = c["linear_cka"].as_f64().unwrap();
        close("linear CKA", &name, cka::linear_cka(&x, &y).unwrap(), want);
        let grams = cka::cka_from_grams(&(&x * x.transpose()), &(&y * y.transpose())).unwrap();
        close("linear CKA from Grams", &name, grams, want);
    }
}

pub fn check_debiased_cka() {
    for c in cases() {
        let (name, x, y) = inputs(&c);
        let want = c["debiased_linear_cka"].as_f64().unwrap();
        close("debiased linear CKA", &name, cka::debiased_linear_cka(&x, &y).unwrap(), want);
        let grams = cka::debiased_cka_from_grams(&(&x * x.transpose()), &(&y * y.transpose())).unwrap();
        close("debiased CKA from Grams", &name, grams, want);
        for r in c["debiased_rbf_cka"].as_array().unwrap() {
            let t = r["threshold"].as_f64().unwrap();
            let got = cka::kernel_cka(&x, &y, cka::Kernel::Rbf { threshold: t }, true).unwrap();
            close(&format!("debiased RBF CKA (threshold {t})"), &name, got, r["value"].as_f64().unwrap());
        }
    }
}

pub fn check_rbf_cka() {
    for c in cases() {
        let (name, x, y) = inputs(&c);
        for r in c["rbf_cka"].as_array().unwrap() {
            let t = r["threshold"].as_f64().unwrap();
            let got = cka::rbf_cka(&x, &y, t).unwrap();
            close(&format!("RBF CKA (threshold {t})"), &name, got, r["value"].as_f64().unwrap());
        }
    }
}

pub fn check_procrustes() {
    for c in cases() {
        let (name, x, y) = inputs(&c);
        let want = &c["procrustes"];
        let got = procrustes::procrustes(&x, &y).unwrap();
        let scale = want["norm_scale"].as_f64().unwrap();
        close_distance("Procrustes angular", &name, got.value, want["angular"].as_f64().unwrap(), 1e-6);
        close_distance("Procrustes Euclidean", &name, got.euclidean, want["euclidean"].as_f64().unwrap(), 1e-6 * scale);
        close_distance(
            "Procrustes Euclidean (unit norm)",
            &name,
            got.euclidean_unit_norm,
            want["euclidean_unit_norm"].as_f64().unwrap(),
            1e-6,
        );
        assert_eq!((got.units_x, got.units_y), (x.ncols(), y.ncols()));
    }
}

pub fn check_soft_matching() {
    for c in cases() {
        let (name, x, y) = inputs(&c);
        let want = &c["soft_matching"];
        let got = soft_matching::soft_matching(&x, &y).unwrap();
        close_distance("soft matching", &name, got.value, want["value"].as_f64().unwrap(), 1e-6);
        close_distance("soft matching cost", &name, got.cost, want["cost"].as_f64().unwrap(), 1e-12);
        // The plan's marginals are uniform.
        let (mut rows, mut cols) = (vec![0.0; x.ncols()], vec![0.0; y.ncols()]);
        for &(i, j, p) in &got.plan {
            rows[i] += p;
            cols[j] += p;
        }
        assert!(rows.iter().all(|r| (r * x.ncols() as f64 - 1.0).abs() < 1e-12), "{name}: rows {rows:?}");
        assert!(cols.iter().all(|c| (c * y.ncols() as f64 - 1.0).abs() < 1e-12), "{name}: cols {cols:?}");
    }
}

/// A representation constant over stimuli has no shape: every metric refuses
/// it with a message (the notebook would return NaN).
pub fn check_constant_input_is_refused() {
    let c = &cases()[0];
    let x = matrix(&c["x"]);
    let flat = DMatrix::from_element(x.nrows(), 4, 3.0);
    for e in [
        cka::linear_cka(&x, &flat).unwrap_err().to_string(),
        cka::debiased_linear_cka(&x, &flat).unwrap_err().to_string(),
        cka::rbf_cka(&flat, &x, 1.0).unwrap_err().to_string(),
        procrustes::procrustes(&x, &flat).unwrap_err().to_string(),
    ] {
        assert!(e.contains("constant") || e.contains("median squared distance"), "{e}");
    }
    // Soft matching is defined (all units collapse to the origin after centring).
    let d = soft_matching::soft_matching(&flat, &flat).unwrap();
    assert_eq!(d.value, 0.0);
}
