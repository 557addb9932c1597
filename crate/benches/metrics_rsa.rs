//! Benchmark (not a test): RSA at scale. The correlation-distance RDM of a
//! 3000 x 4096 response matrix (4.5 million pairs) and Kendall tau-a between
//! two 3000 x 3000 RDMs. Run with `cargo bench --bench metrics_rsa [-- N P REPS]`;
//! the Python peer is benches/peers/rsa.py (scipy pdist, rsatoolbox tau-a).

use idlab::metrics::rdm::{rdm, Distance, Rdm};
use idlab::metrics::rdm_compare::{compare, Compare};
use idlab::rng::SeededRng;
use nalgebra::DMatrix;
use std::time::Instant;

fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..reps {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.unwrap())
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (n, p, reps) = (
        args.first().copied().unwrap_or(3000),
        args.get(1).copied().unwrap_or(4096),
        args.get(2).copied().unwrap_or(3),
    );
    let mut r = SeededRng::new(0, 0);
    let x = DMatrix::from_fn(n, p, |_, _| r.standard_normal());
    println!("rayon threads: {}", rayon::current_num_threads());
    let (t_rdm, a) = best_of(reps, || rdm(&x, Distance::Correlation).unwrap());
    println!(
        "RDM, correlation distance, {n} x {p} -> {} pairs: {t_rdm:.3} s (best of {reps})",
        a.condensed().len()
    );
    // A second RDM: the first plus noise, so tau-a is far from 0 and from 1.
    let b: Vec<f64> = a
        .condensed()
        .iter()
        .map(|v| v + 0.05 * r.standard_normal())
        .collect();
    let b = Rdm::from_condensed(b).unwrap();
    let (t_tau, tau) = best_of(reps, || compare(&a, &b, Compare::TauA).unwrap());
    println!("Kendall tau-a, two {n} x {n} RDMs: {t_tau:.3} s (best of {reps}), tau-a = {tau:.6}");
    let (t_rho, rho) = best_of(reps, || compare(&a, &b, Compare::Spearman).unwrap());
    println!("Spearman, two {n} x {n} RDMs: {t_rho:.3} s (best of {reps}), rho = {rho:.6}");
}
