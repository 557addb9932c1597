//! Soft matching used as a predictive model (preset 7's predictivity)
//! against numpy (tests/fixtures/specificity/make.py): the held-out R² per
//! target unit and its mean, on given splits and on K folds pooled.
#![cfg(not(target_arch = "wasm32"))]

use idlab::metrics::soft_matching::soft_matching_predictivity;
use idlab::metrics::splits::{Scheme, Split, SplitPlan};
use nalgebra::DMatrix;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../tests/fixtures/specificity/soft_matching_prediction.json");

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

#[test]
fn soft_matching_predictivity_against_numpy() {
    let f: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = f["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 3);
    for (name, c) in cases {
        let (x, y) = (matrix(&c["x"]), matrix(&c["y"]));
        let splits: Vec<Split> = serde_json::from_value(c["splits"].clone()).unwrap();
        let pooled = c["pooled"].as_bool().unwrap();
        let plan = SplitPlan {
            test_images: splits.iter().map(|s| s.test.len()).min().unwrap(),
            splits,
            scheme: if pooled { Scheme::KFold } else { Scheme::Given },
            warning: None,
        };
        let r = soft_matching_predictivity(&x, &y, &plan).unwrap();
        let want = c["r2"].as_f64().unwrap();
        assert!((r.r2 - want).abs() < 1e-10, "{name}: {} vs numpy {want}", r.r2);
        let units: Vec<f64> = serde_json::from_value(c["unit_r2"].clone()).unwrap();
        assert_eq!(r.unit_r2.len(), units.len(), "{name}");
        for (j, (a, b)) in r.unit_r2.iter().zip(&units).enumerate() {
            assert!((a.unwrap() - b).abs() < 1e-10, "{name} unit {j}: {a:?} vs numpy {b}");
        }
        assert_eq!(r.scheme, if pooled { "k-fold" } else { "given" });
    }
}

/// The same bits for 1 and 3 threads; bad splits are refused with the reason.
#[test]
fn soft_matching_predictivity_threads_and_refusals() {
    let f: Value = serde_json::from_str(FIXTURE).unwrap();
    let c = &f["cases"]["two_to_six_given_splits"];
    let (x, y) = (matrix(&c["x"]), matrix(&c["y"]));
    let splits: Vec<Split> = serde_json::from_value(c["splits"].clone()).unwrap();
    let plan = SplitPlan { test_images: 10, splits, scheme: Scheme::Given, warning: None };
    let run = |t: usize| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap().install(|| soft_matching_predictivity(&x, &y, &plan).unwrap());
    let (a, b) = (run(1), run(3));
    assert_eq!(a.r2.to_bits(), b.r2.to_bits());
    let bad = SplitPlan { splits: vec![Split { train: vec![0], test: vec![1, 2] }], scheme: Scheme::Given, test_images: 2, warning: None };
    let e = soft_matching_predictivity(&x, &y, &bad).unwrap_err().to_string();
    assert!(e.contains("1 training and 2 test images"), "{e}");
    // Constant held-out responses everywhere: no R², said so.
    let flat = DMatrix::from_element(x.nrows(), 6, 1.0);
    let e = soft_matching_predictivity(&x, &flat, &plan).unwrap_err().to_string();
    assert!(e.contains("constant held-out responses"), "{e}");
}
