//! RSA (family `rsa`) against scipy and rsatoolbox: the numbers in
//! tests/fixtures/metrics/rsa.json, written by tests/fixtures/metrics/make_rsa.py.
//! No files and no thread pools, so the wasm test suite can call these too.

use idlab::metrics::noise_ceiling::noise_ceiling;
use idlab::metrics::rdm::{rdm, Distance, Rdm};
use idlab::metrics::rdm_compare::{compare, compare_vectors, Compare};
use nalgebra::DMatrix;
use serde_json::Value;

pub const RSA_FIXTURE: &str = include_str!("../../../tests/fixtures/metrics/rsa.json");

const METHODS: [(&str, Compare); 4] = [
    ("tau_a", Compare::TauA),
    ("spearman", Compare::Spearman),
    ("pearson", Compare::Pearson),
    ("cosine", Compare::Cosine),
];

fn fixture() -> Value {
    serde_json::from_str(RSA_FIXTURE).unwrap()
}

fn vector(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

/// A float32 value written as its shortest repr: back to f32, then widened.
fn vector_f32(v: &Value) -> Vec<f64> {
    vector(v).into_iter().map(|x| x as f32 as f64).collect()
}

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

fn close(got: f64, expected: f64, rel: f64, what: &str) {
    let tol = rel * expected.abs().max(1e-3);
    assert!(
        (got - expected).abs() <= tol,
        "{what}: {got} vs reference {expected}"
    );
}

/// RDMs of every distance agree with scipy pdist (and rsatoolbox's euclidean).
/// Distances are compared with a relative tolerance of 1e-6 on values of
/// magnitude ~1 (an absolute floor of 1e-9 for near-zero distances, where the
/// Gram-matrix route and pdist's direct route differ by rounding).
pub fn check_rdms_against_scipy() {
    let f = fixture();
    let cases = f["rdms"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let x = matrix(&case["x"]);
        for (key, d) in [
            ("correlation", Distance::Correlation),
            ("euclidean", Distance::Euclidean),
            ("cosine", Distance::Cosine),
            (
                "sqeuclidean_per_channel",
                Distance::SquaredEuclideanPerChannel,
            ),
        ] {
            let expected = vector(&case[key]);
            let got = rdm(&x, d).unwrap();
            assert_eq!(got.condensed().len(), expected.len());
            for (k, (g, e)) in got.condensed().iter().zip(&expected).enumerate() {
                let tol = 1e-6 * e.abs() + 1e-9;
                assert!(
                    (g - e).abs() <= tol,
                    "{} {key}[{k}]: {g} vs {e}",
                    case["name"]
                );
            }
        }
    }
}

/// Every comparison method agrees with rsatoolbox.rdm.compare to relative 1e-6
/// (tau-a exactly up to the last bit of the division).
pub fn check_compare_against_rsatoolbox() {
    let f = fixture();
    let cases = f["compare"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let (a, b) = (vector(&case["a"]), vector(&case["b"]));
        for (key, m) in METHODS {
            let got = compare_vectors(&a, &b, m).unwrap();
            let expected = case[key].as_f64().unwrap();
            close(got, expected, 1e-6, &format!("{} {key}", case["name"]));
            if m == Compare::TauA {
                assert!(
                    (got - expected).abs() < 1e-14,
                    "{}: tau-a {got} vs {expected}",
                    case["name"]
                );
            }
        }
    }
}

/// Leave-one-subject-out noise ceilings on synthetic subject RDMs agree with
/// rsatoolbox.inference.noise_ceiling.boot_noise_ceiling for every method.
pub fn check_noise_ceiling_against_rsatoolbox() {
    let f = fixture();
    let cases = f["noise_ceiling"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let subjects: Vec<Rdm> = case["rdms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| Rdm::from_condensed(vector(v)).unwrap())
            .collect();
        for (key, m) in METHODS {
            let nc = noise_ceiling(&subjects, m).unwrap();
            close(
                nc.lower,
                case[key]["lower"].as_f64().unwrap(),
                1e-6,
                &format!("{} {key} lower", case["name"]),
            );
            close(
                nc.upper,
                case[key]["upper"].as_f64().unwrap(),
                1e-6,
                &format!("{} {key} upper", case["name"]),
            );
        }
    }
}

/// The Kriegeskorte et al. (2008) 92-image data: human IT noise ceiling (4
/// subjects, sessions averaged; and the 8 session RDMs) for tau-a and Spearman,
/// and tau-a / Spearman of monkey IT against the human mean, as rsatoolbox.
pub fn check_kriegeskorte92_against_rsatoolbox() {
    let f = fixture();
    let real = &f["real"];
    let names: Vec<String> = serde_json::from_value(real["subjects"].clone()).unwrap();
    let session = |s: &str, k: u32| vector_f32(&real["sessions"][format!("{s}_session{k}")]);
    let subjects: Vec<Rdm> = names
        .iter()
        .map(|s| {
            let (a, b) = (session(s, 1), session(s, 2));
            Rdm::from_condensed(a.iter().zip(&b).map(|(x, y)| (x + y) / 2.0).collect()).unwrap()
        })
        .collect();
    let sessions: Vec<Rdm> = names
        .iter()
        .flat_map(|s| [1, 2].map(|k| Rdm::from_condensed(session(s, k)).unwrap()))
        .collect();
    assert_eq!(subjects[0].n(), 92);
    for (key, m) in [("tau_a", Compare::TauA), ("spearman", Compare::Spearman)] {
        for (which, rdms) in [("human", &subjects), ("session", &sessions)] {
            let nc = noise_ceiling(rdms, m).unwrap();
            let e = &real[format!("{which}_noise_ceiling_{key}")];
            close(
                nc.lower,
                e["lower"].as_f64().unwrap(),
                1e-6,
                &format!("{which} {key} lower"),
            );
            close(
                nc.upper,
                e["upper"].as_f64().unwrap(),
                1e-6,
                &format!("{which} {key} upper"),
            );
        }
    }
    let mit = Rdm::from_condensed(vector_f32(&real["mit"])).unwrap();
    let m = subjects[0].condensed().len();
    let mean: Vec<f64> = (0..m)
        .map(|k| subjects.iter().map(|s| s.condensed()[k]).sum::<f64>() / 4.0)
        .collect();
    let human = Rdm::from_condensed(mean).unwrap();
    let tau = compare(&mit, &human, Compare::TauA).unwrap();
    close(
        tau,
        real["mit_vs_human_mean_tau_a"].as_f64().unwrap(),
        1e-6,
        "mIT vs hIT tau-a",
    );
    let rho = compare(&mit, &human, Compare::Spearman).unwrap();
    close(
        rho,
        real["mit_vs_human_mean_spearman"].as_f64().unwrap(),
        1e-6,
        "mIT vs hIT spearman",
    );
    let each = vector(&real["mit_vs_each_subject_tau_a"]);
    for (s, e) in subjects.iter().zip(each) {
        close(
            compare(&mit, s, Compare::TauA).unwrap(),
            e,
            1e-6,
            "mIT vs one subject tau-a",
        );
    }
}
