//! Shared by the native and the wasm integration tests: the same fixtures,
//! the same checks, so both builds are held to the same numbers.
#![allow(dead_code)]

pub mod counting;
pub mod data_readers;
pub mod drive;
pub mod metrics_nrp;
pub mod metrics_rsa;
pub mod metrics_shape;
pub mod metrics_stats;
#[cfg(not(target_arch = "wasm32"))]
pub mod site;

use idlab::experiment::{Session, Spec};
use nalgebra::DMatrix;
use serde_json::Value;

pub const CKA_FIXTURE: &str = include_str!("../../../tests/fixtures/cka.json");
pub const SESSION_SPEC: &str = include_str!("../../../tests/fixtures/session-alexnet-6.spec.json");
/// Written by the native CLI: `idlab run tests/fixtures/session-alexnet-6.spec.json -o DIR`
/// then DIR/matrix.json copied to tests/fixtures/session-alexnet-6.matrix.json.
pub const SESSION_MATRIX: &str = include_str!("../../../tests/fixtures/session-alexnet-6.matrix.json");
pub const STIMULI: [&[u8]; 6] = [
    include_bytes!("../../../www/data/kriegeskorte92/images/000.png"),
    include_bytes!("../../../www/data/kriegeskorte92/images/001.png"),
    include_bytes!("../../../www/data/kriegeskorte92/images/002.png"),
    include_bytes!("../../../www/data/kriegeskorte92/images/003.png"),
    include_bytes!("../../../www/data/kriegeskorte92/images/004.png"),
    include_bytes!("../../../www/data/kriegeskorte92/images/005.png"),
];

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

/// Every numpy CKA case agrees to relative 1e-6.
pub fn check_cka_against_numpy() {
    let fixture: Value = serde_json::from_str(CKA_FIXTURE).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let (x, y) = (matrix(&case["x"]), matrix(&case["y"]));
        let expected = case["linear_cka"].as_f64().unwrap();
        let got = idlab::metrics::cka::linear_cka(&x, &y).unwrap();
        let rel = (got - expected).abs() / expected.abs();
        assert!(rel < 1e-6, "{}: {got} vs numpy {expected}", case["name"]);
    }
}

/// Runs the 6-image AlexNet session and returns its matrix.
pub fn run_session() -> Vec<Vec<f64>> {
    run_spec(SESSION_SPEC)
}

/// Runs a spec over the embedded stimuli, checking the progress it reports
/// step by step, and returns its matrix.
pub fn run_spec(spec: &str) -> Vec<Vec<f64>> {
    let mut s = Session::new(Spec::from_json(spec).unwrap()).unwrap();
    let paths = s.stimulus_paths().to_vec();
    assert!(paths.len() <= STIMULI.len(), "the tests embed {} stimuli", STIMULI.len());
    for (p, bytes) in paths.iter().zip(STIMULI) {
        s.add_stimulus(p, bytes).unwrap();
    }
    let progress = drive::steps(&mut s);
    let steps = progress.len();
    for (k, p) in progress.iter().enumerate() {
        assert_eq!(p.done, k + 1);
        assert!(p.images_done <= p.images_total);
    }
    let r = s.result("test", 0.0).unwrap();
    let layers = r.models[0].layers.len();
    // Images run in parallel, a batch per step: one per thread of the pool, at most MAX_BATCH;
    // HEAD_BATCH for a model whose fully connected head runs that many at once (AlexNet).
    let threads = rayon::current_num_threads().clamp(1, idlab::experiment::MAX_BATCH);
    let batch = |arch: &Option<String>| match arch.as_deref().map(idlab::zoo::Arch::parse) {
        Some(Ok(a)) if a.batches_head() => threads.max(idlab::experiment::HEAD_BATCH),
        _ => threads,
    };
    let images: usize = r.models.iter().map(|m| 1 + paths.len().div_ceil(batch(&m.arch))).sum();
    assert_eq!(r.models.len(), 2);
    assert_eq!(steps, images + layers, "build + image batches per model, one scoring step per source layer");
    pair_matrix(&r)
}

/// The one score table of a one-source, one-target, one-metric result, every value defined.
pub fn pair_matrix(r: &idlab::experiment::ExperimentResult) -> Vec<Vec<f64>> {
    assert_eq!(r.scores.len(), 1, "one score table");
    r.scores[0].values.iter().map(|row| row.iter().map(|v| v.expect("defined score")).collect()).collect()
}

/// `a` (the engine's) equals `b` (the metric called directly) to relative 1e-9.
pub fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{what}: engine {a} vs direct {b}");
}

/// The session's matrix equals the native CLI's fixture within 1e-4.
pub fn check_session_against_fixture(got: &[Vec<f64>]) {
    let fixture: Value = serde_json::from_str(SESSION_MATRIX).unwrap();
    let expected: Vec<Vec<f64>> = serde_json::from_value(fixture["matrix"].clone()).unwrap();
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g.len(), e.len());
        for (j, (a, b)) in g.iter().zip(e).enumerate() {
            assert!(a.is_finite() && (a - b).abs() <= 1e-4, "[{i}][{j}]: {a} vs fixture {b}");
        }
    }
}
pub mod metrics_regression;

/// Gram rows spilled one at a time with 4,096 units (a chunk of one row): the matrix equals
/// the in-memory product bit for bit. In wasm32 this made `group * units` wrap to zero
/// (2^20 x 2^12) and panic before `GramSink::cross_spilled` clamped the group to the block
/// (found by `./build.sh bench`: VGG11's every layer in the page).
pub fn check_gram_spill_of_wide_rows() {
    use idlab::sinks::{GramSink, MemoryStore, Spill};
    let (n, units) = (4, 4096);
    let rows: Vec<Vec<f32>> = (0..n).map(|i| (0..units).map(|j| ((i * 31 + j * 7) % 13) as f32 - 6.0).collect()).collect();
    let fold = |mut spill: Option<&mut Spill>, block: usize| {
        let mut sink = GramSink::new(units, block);
        for r in &rows {
            sink.push(r, spill.as_deref_mut()).unwrap();
        }
        sink.finish(spill).unwrap()
    };
    let whole = fold(None, n);
    let mut spill = Spill::new(Box::new(MemoryStore::default()));
    assert_eq!(fold(Some(&mut spill), 1), whole);
    let x = DMatrix::from_fn(n, units, |i, j| rows[i][j] as f64);
    assert_eq!(whole, &x * x.transpose());
}
