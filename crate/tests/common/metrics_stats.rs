//! crate::stats against scipy (Welch's t-test), sklearn (silhouette) and
//! numpy (classical MDS, identifiability index).

use idlab::stats::identifiability::identifiability_per_target;
use idlab::stats::mds::classical_mds;
use idlab::stats::silhouette::{silhouette, silhouette_precomputed};
use idlab::stats::welch::welch_t_test;
use nalgebra::DMatrix;
use serde_json::Value;

pub const STATS_FIXTURE: &str = include_str!("../../../tests/fixtures/metrics/stats.json");

fn fixture() -> Value {
    serde_json::from_str(STATS_FIXTURE).unwrap()
}

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

fn vector(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

/// |got - want| <= rel · |want| + abs.
fn close(got: f64, want: f64, rel: f64, abs: f64, what: &str) {
    assert!((got - want).abs() <= rel * want.abs() + abs, "{what}: {got} vs reference {want}");
}

/// t, df and two-sided p of scipy.stats.ttest_ind(equal_var=False) to 1e-6
/// relative (p down to 1e-30), and the zero-variance error.
pub fn check_welch_against_scipy() {
    let f = fixture();
    for c in f["welch"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let r = welch_t_test(&vector(&c["a"]), &vector(&c["b"])).unwrap();
        close(r.value, c["t"].as_f64().unwrap(), 1e-9, 1e-12, &format!("{name}: t"));
        close(r.df, c["df"].as_f64().unwrap(), 1e-9, 0.0, &format!("{name}: df"));
        close(r.p_value, c["p"].as_f64().unwrap(), 1e-6, 0.0, &format!("{name}: p"));
    }
    for c in f["welch_errors"].as_array().unwrap() {
        let e = welch_t_test(&vector(&c["a"]), &vector(&c["b"])).unwrap_err().to_string();
        assert!(e.contains(c["error"].as_str().unwrap()), "{e}");
    }
}

/// silhouette_samples and silhouette_score (Euclidean and precomputed) to 1e-9.
pub fn check_silhouette_against_sklearn() {
    let f = fixture();
    for c in f["silhouette"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x = matrix(&c["x"]);
        let labels: Vec<usize> = serde_json::from_value(c["labels"].clone()).unwrap();
        let r = if c["metric"] == "precomputed" {
            silhouette_precomputed(&x, &labels)
        } else {
            silhouette(&x, &labels)
        }
        .unwrap();
        for (i, (g, w)) in r.samples.iter().zip(vector(&c["samples"])).enumerate() {
            close(*g, w, 1e-9, 1e-12, &format!("{name}: sample {i}"));
        }
        close(r.value, c["score"].as_f64().unwrap(), 1e-9, 1e-12, &format!("{name}: score"));
    }
}

/// Classical MDS against numpy's eigh of the same centred matrix: eigenvalues
/// and signed coordinates to 1e-6 relative (absolute floors for B's zero
/// eigenvalue, whose axis is sqrt(rounding) ≈ 1e-8 long), clipped counts.
pub fn check_mds_against_numpy() {
    let f = fixture();
    for c in f["mds"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let k = c["k"].as_u64().unwrap() as usize;
        let r = classical_mds(&matrix(&c["d"]), k).unwrap();
        let ev = vector(&c["eigenvalues"]);
        let scale = ev.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (g, w)) in r.eigenvalues.iter().zip(&ev).enumerate() {
            close(*g, *w, 1e-9, 1e-12 * scale, &format!("{name}: eigenvalue {i}"));
        }
        let want = matrix(&c["coords"]);
        assert_eq!((r.coords.len(), r.coords[0].len()), (want.nrows(), want.ncols()));
        for i in 0..want.nrows() {
            for a in 0..k {
                close(r.coords[i][a], want[(i, a)], 1e-6, 1e-6, &format!("{name}: point {i} axis {a}"));
            }
        }
        assert_eq!(r.clipped as u64, c["clipped"].as_u64().unwrap(), "{name}");
        assert_eq!(r.negative_eigenvalues as u64, c["negative_eigenvalues"].as_u64().unwrap(), "{name}");
    }
}

/// The identifiability index per target against numpy to 1e-12.
pub fn check_identifiability_against_numpy() {
    let f = fixture();
    let c = &f["identifiability"];
    let got =
        identifiability_per_target(&matrix(&c["scores"]), c["correct"].as_u64().unwrap() as usize).unwrap();
    for (t, (g, w)) in got.iter().zip(vector(&c["index"])).enumerate() {
        close(*g, w, 1e-12, 1e-15, &format!("target {t}"));
    }
}
