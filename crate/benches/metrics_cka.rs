//! Benchmark (not a test): linear CKA of a 3000-stimulus x 4096-unit
//! representation against a 3000 x 3000 one, the size of a large stimulus set
//! against a wide layer, where the Gram matrices X Xᵀ dominate. Times the
//! rayon pool at its default size and at one thread. Run with
//! `cargo bench --bench metrics_cka`; compare with
//! `python crate/benches/peers/cka.py` (the numpy reference on the same sizes).
//! Also times soft matching (exact transport) at 250, 500 and 1000 units.

use idlab::metrics::cka::linear_cka;
use idlab::metrics::soft_matching::soft_matching;
use idlab::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;
use std::time::Instant;

fn random(n: usize, p: usize, name: &str) -> DMatrix<f64> {
    let mut r = SeededRng::new(0, stream_id(name));
    DMatrix::from_fn(n, p, |_, _| r.standard_normal())
}

/// Best of `reps` timed calls, in seconds, and the value.
fn time(reps: usize, f: impl Fn() -> f64) -> (f64, f64) {
    let mut best = f64::INFINITY;
    let mut value = f64::NAN;
    for _ in 0..reps {
        let t = Instant::now();
        value = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, value)
}

fn main() {
    idlab::runtime::use_thread_pool();
    let (n, px, py) = (3000, 4096, 3000);
    let x = random(n, px, "bench/cka/x");
    let y = random(n, py, "bench/cka/y");
    let threads = rayon::current_num_threads();
    let (t_pool, v) = time(3, || linear_cka(&x, &y).unwrap());
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (t_one, v1) = one.install(|| time(2, || linear_cka(&x, &y).unwrap()));
    assert_eq!(v.to_bits(), v1.to_bits(), "thread count changed the result");
    println!("linear CKA, X {n} x {px} vs Y {n} x {py} (f64), best of 3 / 2:");
    println!("| threads | seconds | CKA |");
    println!("| ---: | ---: | ---: |");
    println!("| {threads} | {t_pool:.3} | {v:.6} |");
    println!("| 1 | {t_one:.3} | {v1:.6} |");
    // The exact transport solver behind soft matching, at its size limit.
    println!("\nsoft matching, 1000 stimuli, p x p units (one call):");
    println!("| units | seconds | distance |");
    println!("| ---: | ---: | ---: |");
    for p in [250, 500, 1000] {
        let (a, b) = (random(1000, p, "bench/soft/x"), random(1000, p, "bench/soft/y"));
        let (t, d) = time(1, || soft_matching(&a, &b).unwrap().value);
        println!("| {p} | {t:.3} | {d:.6} |");
    }
}
