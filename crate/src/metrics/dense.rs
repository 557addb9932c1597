//! Dense kernels for the mappings (matrix products, symmetric
//! eigendecomposition) computed by `faer` on nalgebra matrices.
//!
//! nalgebra stays the API of the crate; at the sizes of a neural regression
//! (a 2700 x 2700 Gram matrix of 4096-dimensional projections) its
//! single-threaded GEMM and its symmetric eigensolver take minutes where
//! faer's cache-blocked SIMD kernels take seconds. Both store matrices column
//! major, so a view costs no copy. Every call runs sequentially
//! (`Par::Seq`): parallelism is over splits and units, in the caller, so the
//! results do not depend on the number of threads.

use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::{DMatrix, DVector};

fn view(x: &DMatrix<f64>) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(x.as_slice(), x.nrows(), x.ncols())
}

fn view_mut(x: &mut DMatrix<f64>) -> MatMut<'_, f64> {
    let (r, c) = (x.nrows(), x.ncols());
    MatMut::from_column_major_slice_mut(x.as_mut_slice(), r, c)
}

/// `a * b`.
pub fn mul(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    assert_eq!(a.ncols(), b.nrows());
    let mut out = DMatrix::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(view_mut(&mut out), Accum::Replace, view(a), view(b), 1.0, Par::Seq);
    out
}

/// `aᵀ * b`.
pub fn mul_tn(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    assert_eq!(a.nrows(), b.nrows());
    let mut out = DMatrix::zeros(a.ncols(), b.ncols());
    faer::linalg::matmul::matmul(
        view_mut(&mut out),
        Accum::Replace,
        view(a).transpose(),
        view(b),
        1.0,
        Par::Seq,
    );
    out
}

/// `a * bᵀ`.
pub fn mul_nt(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    assert_eq!(a.ncols(), b.ncols());
    let mut out = DMatrix::zeros(a.nrows(), b.nrows());
    faer::linalg::matmul::matmul(
        view_mut(&mut out),
        Accum::Replace,
        view(a),
        view(b).transpose(),
        1.0,
        Par::Seq,
    );
    out
}

/// Eigendecomposition of a symmetric matrix (its lower triangle is read):
/// eigenvalues in nondecreasing order and the orthonormal eigenvectors as
/// columns. `None` if the iteration did not converge.
pub fn symmetric_eigen(a: &DMatrix<f64>) -> Option<(DVector<f64>, DMatrix<f64>)> {
    let n = a.nrows();
    assert_eq!(n, a.ncols());
    let mut values = faer::diag::Diag::<f64>::zeros(n);
    let mut vectors = DMatrix::zeros(n, n);
    let mut mem = faer::dyn_stack::MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        Par::Seq,
        Default::default(),
    ));
    self_adjoint_evd(
        view(a),
        values.as_mut(),
        Some(view_mut(&mut vectors)),
        Par::Seq,
        faer::dyn_stack::MemStack::new(&mut mem),
        Default::default(),
    )
    .ok()?;
    let values = DVector::from_iterator(n, (0..n).map(|i| values[i]));
    Some((values, vectors))
}

/// Solves A X = B for a symmetric positive-definite A (its lower triangle
/// is read) by faer's blocked Cholesky factorisation, single-threaded so the
/// bits do not depend on the pool. `None` when A is not numerically positive
/// definite.
pub fn cholesky_solve(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    use faer::linalg::cholesky::llt::{factor, solve};
    let n = a.nrows();
    assert_eq!(n, a.ncols());
    assert_eq!(n, b.nrows());
    let mut l = a.clone();
    let mut x = b.clone();
    let mut mem = faer::dyn_stack::MemBuffer::new(
        factor::cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default())
            .or(solve::solve_in_place_scratch::<f64>(n, b.ncols(), Par::Seq)),
    );
    let stack = faer::dyn_stack::MemStack::new(&mut mem);
    factor::cholesky_in_place(view_mut(&mut l), Default::default(), Par::Seq, stack, Default::default()).ok()?;
    solve::solve_in_place(view(&l), view_mut(&mut x), Par::Seq, stack);
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_eigen_agree_with_nalgebra() {
        let a = DMatrix::from_fn(7, 5, |i, j| ((i * 5 + j) as f64 * 0.37).sin());
        let b = DMatrix::from_fn(5, 4, |i, j| ((i + 2 * j) as f64 * 0.11).cos());
        let c = DMatrix::from_fn(7, 4, |i, j| (i as f64 - j as f64) * 0.5);
        assert!((mul(&a, &b) - &a * &b).amax() < 1e-12);
        assert!((mul_tn(&a, &c) - a.transpose() * &c).amax() < 1e-12);
        assert!((mul_nt(&a, &a) - &a * a.transpose()).amax() < 1e-12);
        let s = mul_tn(&a, &a);
        let (vals, vecs) = symmetric_eigen(&s).unwrap();
        assert!(vals.iter().zip(vals.iter().skip(1)).all(|(x, y)| x <= y));
        let back = &vecs * DMatrix::from_diagonal(&vals) * vecs.transpose();
        assert!((back - &s).amax() < 1e-10);
    }
}
