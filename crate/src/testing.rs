//! Helpers shared by the unit tests (compiled for tests only).

use crate::rng::SeededRng;
use nalgebra::DMatrix;

/// An n x p matrix of seeded standard normals: the tests' shared random input.
pub(crate) fn normal_matrix(n: usize, p: usize, seed: u64, stream: u64) -> DMatrix<f64> {
    let mut r = SeededRng::new(seed, stream);
    DMatrix::from_fn(n, p, |_, _| r.standard_normal())
}

/// Runs `f` on a rayon pool of `threads` threads: the 1-vs-N-threads checks.
pub(crate) fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool").install(f)
}
