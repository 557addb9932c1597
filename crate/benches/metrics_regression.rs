//! Benchmark (not a test): the neural regression at the size, n =
//! 3000 stimuli, a 9216-unit layer projected to q = 4096 dimensions, p2 =
//! 3000 target units, ridge (λ = 1) over 10 seeded 90/10 splits. Prints the
//! time of each stage and of the whole `regression` call, and writes the
//! splits to $REGRESSION_SPLITS (default: the temp dir) so that
//! benches/peers/regression.py times scikit-learn on the same splits.
//!
//! `cargo bench --bench metrics_regression [-- N P1 P2 Q]` (smaller sizes to iterate).

use idlab::metrics::projection::SparseProjection;
use idlab::data::splits::SplitFile;
use idlab::metrics::regression::{regression, RegressionOptions};
use idlab::metrics::ridge::{centred_gram, fit_split};
use idlab::metrics::splits::random_splits;
use idlab::rng::SeededRng;
use nalgebra::DMatrix;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let arg = |i: usize, d: usize| args.get(i).copied().unwrap_or(d);
    let (n, p1, p2, q) = (arg(0, 3000), arg(1, 9216), arg(2, 3000), arg(3, 4096));
    let threads = rayon::current_num_threads();
    println!("regression bench: n={n} p1={p1} p2={p2} q={q}, 10 splits 90/10, λ=1, {threads} rayon threads");

    let t = Instant::now();
    let mut rng = SeededRng::new(1, 2);
    // ReLU-like sparse activations; targets linear in a few of them plus noise.
    let x = DMatrix::from_fn(n, p1, |_, _| rng.standard_normal().max(0.0));
    let w = DMatrix::from_fn(40, p2, |_, _| rng.standard_normal());
    let noise = DMatrix::from_fn(n, p2, |_, _| 4.0 * rng.standard_normal());
    let y = x.columns(0, 40) * w + noise;
    println!("data: {:.2} s", t.elapsed().as_secs_f64());

    let opts = RegressionOptions { projection_dim: q, ..Default::default() };
    let splits = random_splits(n, opts.folds, opts.test_fraction, opts.seed).unwrap();
    let path = std::env::var("REGRESSION_SPLITS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("idlab_regression_splits.json"));
    std::fs::write(&path, serde_json::to_string(&SplitFile { splits: splits.clone() }).unwrap()).unwrap();
    println!("splits written to {}", path.display());

    // Stages, single-threaded, for the profile.
    let t = Instant::now();
    let proj = SparseProjection::new(p1, q, 0).unwrap();
    let xp = proj.apply(&x).unwrap();
    println!("projection {p1} -> {}: {:.2} s", xp.ncols(), t.elapsed().as_secs_f64());
    let t = Instant::now();
    let g = centred_gram(&xp);
    println!("centred Gram {n} x {n}: {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let fit = fit_split(&xp, &y, &splits[0].train, &splits[0].test, Some(&g)).unwrap();
    println!("one split (kernel, eigendecomposition, projections of Y): {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _ = fit.predict(1.0).unwrap();
    println!("one more λ on that split: {:.3} s", t.elapsed().as_secs_f64());
    drop((fit, g, xp));

    let t = Instant::now();
    let r = regression(&x, &y, &opts).unwrap();
    let total = t.elapsed().as_secs_f64();
    println!("regression() total: {total:.2} s (value {:.4}, dual form {}, projected {})", r.value, r.dual_form, r.projected);
}
