//! Ridge regression with an intercept, for every target unit and every
//! penalty λ of a sweep from one eigendecomposition per train/test split.
//!
//! Matches scikit-learn's `sklearn.linear_model.Ridge(alpha=λ,
//! fit_intercept=True)`: X and Y are centred on the training rows, the
//! coefficients minimise ‖Yc − Xc W‖² + λ‖W‖², and the intercept is
//! ȳ − x̄ᵀW. With the eigendecomposition of the centred Gram matrix
//! Xc Xcᵀ = U E Uᵀ (the dual form, when the training rows are no more than the
//! columns) or of Xcᵀ Xc = V E Vᵀ (the primal form, otherwise), the held-out
//! predictions are
//!
//!   Ŷ(λ) = ȳ + T (E + λI)⁻¹ Z,  T = Ks U, Z = Uᵀ Yc  (dual, Ks = (Xs − x̄) Xcᵀ)
//!                               T = (Xs − x̄) V, Z = Vᵀ Xcᵀ Yc  (primal),
//!
//! so a new λ costs one product of an n_test x r and an r x p2 matrix.

use super::dense;
use super::splits::{validate, Split};
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// One split's fit reduced to what predicting needs for any λ.
#[derive(Clone, Debug)]
pub struct RidgeSplit {
    t: DMatrix<f64>,
    z: DMatrix<f64>,
    eigenvalues: Vec<f64>,
    y_mean: DVector<f64>,
    dual: bool,
}

/// (X − c)(X − c)ᵀ over all rows, with c the column means: the Gram matrix
/// from which [`fit_split`] derives each split's centred kernel by double
/// centring, so that K splits share one O(n² p) product. Centring on all rows
/// first (the split re-centres exactly) keeps cancellation small when
/// activations have a large mean.
pub fn centred_gram(x: &DMatrix<f64>) -> DMatrix<f64> {
    let xc = centre_columns(x);
    dense::mul_nt(&xc, &xc)
}

fn centre_columns(x: &DMatrix<f64>) -> DMatrix<f64> {
    let mut xc = x.clone();
    for mut col in xc.column_iter_mut() {
        let m = col.sum() / col.len() as f64;
        col.add_scalar_mut(-m);
    }
    xc
}

fn rows(x: &DMatrix<f64>, idx: &[usize]) -> DMatrix<f64> {
    DMatrix::from_fn(idx.len(), x.ncols(), |i, j| x[(idx[i], j)])
}

/// Whether a split with `n_train` training rows and `p` columns is solved in
/// the dual (Gram) form.
pub fn uses_dual(n_train: usize, p: usize) -> bool {
    n_train <= p
}

/// Fits the ridge of Y on X over the `train` rows for all target columns,
/// ready to predict the `test` rows for any λ. `gram` is
/// [`centred_gram`]`(x)` when the caller shares it across splits (used only
/// in the dual form); without it the split's kernel is computed directly.
pub fn fit_split(
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    train: &[usize],
    test: &[usize],
    gram: Option<&DMatrix<f64>>,
) -> Result<RidgeSplit> {
    if x.nrows() != y.nrows() {
        return Err(Error::Input(format!(
            "ridge needs the same stimuli on both sides: X has {} rows, Y has {}",
            x.nrows(),
            y.nrows()
        )));
    }
    validate(&[Split { train: train.to_vec(), test: test.to_vec() }], x.nrows())?;
    let m = train.len() as f64;
    let (yc, y_mean) = centred_targets(y, train);
    let dual = uses_dual(train.len(), x.ncols());
    let (t, z, eigenvalues) = if dual {
        let (kc, ks) = dual_kernels(x, train, test, gram);
        let (e, u) = eigen(&kc)?;
        (dense::mul(&ks, &u), dense::mul_tn(&u, &yc), e)
    } else {
        let (xc, xs) = centred_by_training(x, train, test, m);
        let c = dense::mul_tn(&xc, &xc);
        let (e, v) = eigen(&c)?;
        let xty = dense::mul_tn(&xc, &yc);
        (dense::mul(&xs, &v), dense::mul_tn(&v, &xty), e)
    };
    Ok(RidgeSplit { t, z, eigenvalues, y_mean, dual })
}

/// Ridge predictions of the `test` rows at one penalty λ, solved by Cholesky
/// as scikit-learn's `Ridge(solver="cholesky")` does (the dual form
/// (Kc + λI)⁻¹ Yc when the training rows do not exceed the features, else
/// (XcᵀXc + λI)⁻¹ XcᵀYc): about ten times cheaper than the eigendecomposition
/// of [`fit_split`], which pays off only when several λ share it. Falls back
/// to the eigendecomposition if the system is not numerically positive definite.
pub fn fit_predict_one(
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    train: &[usize],
    test: &[usize],
    gram: Option<&DMatrix<f64>>,
    lambda: f64,
) -> Result<DMatrix<f64>> {
    check_lambda(lambda)?;
    if x.nrows() != y.nrows() {
        return fit_split(x, y, train, test, gram)?.predict(lambda);
    }
    validate(&[Split { train: train.to_vec(), test: test.to_vec() }], x.nrows())?;
    let (yc, y_mean) = centred_targets(y, train);
    let solved = if uses_dual(train.len(), x.ncols()) {
        let (mut kc, ks) = dual_kernels(x, train, test, gram);
        kc.set_diagonal(&(kc.diagonal().add_scalar(lambda)));
        dense::cholesky_solve(&kc, &yc).map(|a| dense::mul(&ks, &a))
    } else {
        let (xc, xs) = centred_by_training(x, train, test, train.len() as f64);
        let mut c = dense::mul_tn(&xc, &xc);
        c.set_diagonal(&(c.diagonal().add_scalar(lambda)));
        dense::cholesky_solve(&c, &dense::mul_tn(&xc, &yc)).map(|w| dense::mul(&xs, &w))
    };
    let Some(mut pred) = solved else { return fit_split(x, y, train, test, gram)?.predict(lambda) };
    for (mut col, mu) in pred.column_iter_mut().zip(y_mean.iter()) {
        col.add_scalar_mut(*mu);
    }
    Ok(pred)
}

/// The training rows of Y centred by their column means, and those means (the intercept).
fn centred_targets(y: &DMatrix<f64>, train: &[usize]) -> (DMatrix<f64>, DVector<f64>) {
    let m = train.len() as f64;
    let mut yc = rows(y, train);
    let y_mean = DVector::from_iterator(y.ncols(), yc.column_iter().map(|c| c.sum() / m));
    for (mut col, mu) in yc.column_iter_mut().zip(y_mean.iter()) {
        col.add_scalar_mut(-mu);
    }
    (yc, y_mean)
}

/// The split's centred training kernel and test-by-train cross kernel, from
/// the shared Gram matrix when there is one.
fn dual_kernels(x: &DMatrix<f64>, train: &[usize], test: &[usize], gram: Option<&DMatrix<f64>>) -> (DMatrix<f64>, DMatrix<f64>) {
    match gram {
        Some(g) if g.nrows() == x.nrows() && g.ncols() == x.nrows() => double_centre(g, train, test),
        _ => {
            let (xc, xs) = centred_by_training(x, train, test, train.len() as f64);
            (dense::mul_nt(&xc, &xc), dense::mul_nt(&xs, &xc))
        }
    }
}

/// The split's centred training kernel and test-by-train cross kernel from
/// the full Gram matrix: Kc[a,b] = G[a,b] − r[a] − r[b] + ḡ with r the row
/// means over training columns (exactly (x_a − x̄)ᵀ(x_b − x̄)).
fn double_centre(g: &DMatrix<f64>, train: &[usize], test: &[usize]) -> (DMatrix<f64>, DMatrix<f64>) {
    let m = train.len() as f64;
    let row_mean = |a: usize| train.iter().map(|&b| g[(a, b)]).sum::<f64>() / m;
    let r: Vec<f64> = train.iter().map(|&a| row_mean(a)).collect();
    let gbar = r.iter().sum::<f64>() / m;
    let kc = DMatrix::from_fn(train.len(), train.len(), |i, j| {
        g[(train[i], train[j])] - r[i] - r[j] + gbar
    });
    let rs: Vec<f64> = test.iter().map(|&s| row_mean(s)).collect();
    let ks = DMatrix::from_fn(test.len(), train.len(), |i, j| {
        g[(test[i], train[j])] - rs[i] - r[j] + gbar
    });
    (kc, ks)
}

fn eigen(a: &DMatrix<f64>) -> Result<(Vec<f64>, DMatrix<f64>)> {
    let (e, v) = dense::symmetric_eigen(a).ok_or_else(|| {
        Error::Input(format!(
            "ridge: the eigendecomposition of the {n} x {n} Gram matrix did not converge",
            n = a.nrows()
        ))
    })?;
    // A Gram matrix is positive semi-definite: negative eigenvalues are rounding.
    Ok((e.iter().map(|&v| v.max(0.0)).collect(), v))
}

impl RidgeSplit {
    /// Whether the split was solved in the dual (Gram) form.
    pub fn is_dual(&self) -> bool {
        self.dual
    }

    /// Predictions for the test rows (n_test x p2) at penalty `lambda` > 0.
    pub fn predict(&self, lambda: f64) -> Result<DMatrix<f64>> {
        check_lambda(lambda)?;
        let mut t = self.t.clone();
        for (mut col, e) in t.column_iter_mut().zip(&self.eigenvalues) {
            col.scale_mut(1.0 / (e + lambda));
        }
        let mut pred = dense::mul(&t, &self.z);
        for (mut col, mu) in pred.column_iter_mut().zip(self.y_mean.iter()) {
            col.add_scalar_mut(*mu);
        }
        Ok(pred)
    }
}

/// The training rows and the test rows of X, both centred by the training
/// rows' column means (`m` training images): the intercept of the ridge fit.
fn centred_by_training(x: &DMatrix<f64>, train: &[usize], test: &[usize], m: f64) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut xc = rows(x, train);
    let mut xs = rows(x, test);
    let mu: Vec<f64> = xc.column_iter().map(|c| c.sum() / m).collect();
    for (j, mu) in mu.iter().enumerate() {
        xc.column_mut(j).add_scalar_mut(-mu);
        xs.column_mut(j).add_scalar_mut(-mu);
    }
    (xc, xs)
}

/// λ must be a positive finite number (λ = 0 is ordinary least squares, which
/// is undefined when the training rows do not exceed the columns).
pub fn check_lambda(lambda: f64) -> Result<()> {
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(Error::Input(format!("the ridge penalty λ must be positive and finite, got {lambda}")));
    }
    Ok(())
}

/// Ridge predictions of Y's `test` rows from a fit on the `train` rows, one
/// n_test x p2 matrix per λ, as `Ridge(alpha=λ).fit(X[train], Y[train]).predict(X[test])`.
pub fn ridge_predict(
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    train: &[usize],
    test: &[usize],
    lambdas: &[f64],
) -> Result<Vec<DMatrix<f64>>> {
    super::check::finite(x, "X")?;
    super::check::finite(y, "Y")?;
    for &l in lambdas {
        check_lambda(l)?;
    }
    let fit = fit_split(x, y, train, test, None)?;
    lambdas.iter().map(|&l| fit.predict(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn normal(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        let mut rng = SeededRng::new(seed, 11);
        DMatrix::from_fn(n, p, |_, _| rng.standard_normal() + 3.0)
    }

    /// The textbook primal solution, W = (XcᵀXc + λI)⁻¹ XcᵀYc, by Cholesky.
    fn direct(x: &DMatrix<f64>, y: &DMatrix<f64>, train: &[usize], test: &[usize], lambda: f64) -> DMatrix<f64> {
        let xt = rows(x, train);
        let yt = rows(y, train);
        let xm = xt.row_mean();
        let ym = yt.row_mean();
        let xc = DMatrix::from_fn(xt.nrows(), xt.ncols(), |i, j| xt[(i, j)] - xm[j]);
        let yc = DMatrix::from_fn(yt.nrows(), yt.ncols(), |i, j| yt[(i, j)] - ym[j]);
        let a = xc.transpose() * &xc + DMatrix::identity(x.ncols(), x.ncols()) * lambda;
        let w = a.cholesky().unwrap().solve(&(xc.transpose() * yc));
        let xs = rows(x, test);
        DMatrix::from_fn(test.len(), y.ncols(), |i, k| {
            ym[k] + (0..x.ncols()).map(|j| (xs[(i, j)] - xm[j]) * w[(j, k)]).sum::<f64>()
        })
    }

    #[test]
    fn dual_primal_and_shared_gram_agree_with_the_direct_solution() {
        for &(n, p) in &[(40, 6), (30, 50)] {
            let x = normal(n, p, 1);
            let y = normal(n, 3, 2);
            let test: Vec<usize> = (0..n).step_by(5).collect();
            let train: Vec<usize> = (0..n).filter(|i| i % 5 != 0).collect();
            let g = centred_gram(&x);
            let a = fit_split(&x, &y, &train, &test, None).unwrap();
            let b = fit_split(&x, &y, &train, &test, Some(&g)).unwrap();
            assert_eq!(a.is_dual(), p >= train.len());
            for &l in &[0.1, 1.0, 30.0] {
                let want = direct(&x, &y, &train, &test, l);
                let scale = want.amax();
                assert!((a.predict(l).unwrap() - &want).amax() < 1e-9 * scale, "n={n} p={p} λ={l}");
                assert!((b.predict(l).unwrap() - &want).amax() < 1e-9 * scale, "gram n={n} p={p} λ={l}");
                // One λ by Cholesky, with and without the shared Gram matrix.
                assert!((fit_predict_one(&x, &y, &train, &test, None, l).unwrap() - &want).amax() < 1e-9 * scale, "one λ n={n} p={p} λ={l}");
                assert!((fit_predict_one(&x, &y, &train, &test, Some(&g), l).unwrap() - &want).amax() < 1e-9 * scale, "one λ gram n={n} p={p} λ={l}");
            }
            assert!(a.predict(0.0).is_err());
            assert!(fit_predict_one(&x, &y, &train, &test, None, 0.0).is_err());
        }
    }
}
