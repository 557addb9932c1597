//! Benchmark (not a test): the dense kernels of ridge regression in nalgebra
//! (matrixmultiply GEMM; unblocked symmetric eigensolver) against faer, the
//! crate `metrics::dense` uses behind nalgebra types, side by side at the
//! regression's sizes: the Gram matrix of 2,700 training images x 4,096
//! projected units, and symmetric eigendecompositions.
//!
//! `cargo bench --bench kernels [-- N]` (N: the eigendecomposition's size, default 1000).

use idlab::metrics::dense;
use idlab::rng::SeededRng;
use nalgebra::DMatrix;
use std::time::Instant;

fn time<T>(what: &str, f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    let s = t.elapsed().as_secs_f64();
    println!("{what}: {s:.2} s");
    (out, s)
}

fn main() {
    let n_eig: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1000);
    let mut rng = SeededRng::new(3, 4);
    let x = DMatrix::from_fn(2700, 4096, |_, _| rng.standard_normal());
    println!("Gram X Xᵀ, X 2700 x 4096 (single-threaded both):");
    let (a, ta) = time("  nalgebra", || &x * x.transpose());
    let (b, tb) = time("  faer", || dense::mul_nt(&x, &x));
    println!("  max |difference| {:.2e}; faer / nalgebra = {:.2}", (&a - &b).abs().max(), tb / ta);

    let m = DMatrix::from_fn(n_eig, n_eig, |_, _| rng.standard_normal());
    let s = &m + m.transpose();
    println!("symmetric eigendecomposition, {n_eig} x {n_eig}:");
    let (e1, t1) = time("  nalgebra", || s.clone().symmetric_eigen());
    let (e2, t2) = time("  faer", || dense::symmetric_eigen(&s).expect("converges"));
    let mut v1: Vec<f64> = e1.eigenvalues.iter().copied().collect();
    v1.sort_by(f64::total_cmp);
    let diff = v1.iter().zip(e2.0.iter()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    println!("  max |eigenvalue difference| {diff:.2e}; faer / nalgebra = {:.2}", t2 / t1);
}
