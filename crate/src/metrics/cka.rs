//! Centred kernel alignment (Kornblith et al. 2019, "Similarity of neural
//! network representations revisited", ICML): linear, debiased and RBF.
//!
//! CKA(K, L) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) for Gram matrices
//! K, L over the same stimuli. The biased HSIC is <HKH, HLH>_F with the
//! centring matrix H = I - 11ᵀ/n. The debiased variant replaces it by the
//! unbiased HSIC estimator of Song et al. 2012 ("Feature selection via
//! dependence maximization", JMLR), written as the U-centring of Székely &
//! Rizzo 2014, as in the reference notebook (google-research
//! `representation_similarity/Demo.ipynb`: `cka(gram_x, gram_y, debiased=True)`
//! with `center_gram(gram, unbiased=True)`); the 1/(n(n-3)) factors cancel.
//!
//! Linear CKA is computed in whichever form is cheaper: features,
//! ||Ycᵀ Xc||²_F / (||Xcᵀ Xc||_F ||Ycᵀ Yc||_F) with column-centred Xc, Yc
//! (cost ~ n p²), or Grams of the centred features (cost ~ n² p). The products
//! run on tiles in parallel (see `kernels`), bit-identical for any thread count.
//! All sums are in f64.

use super::check;
use super::kernels::{cross_gram, linear_gram, rbf_gram};
use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// Which kernel builds the Gram matrices.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum Kernel {
    /// k(x, x') = x·x' (`gram_linear`).
    Linear,
    /// k(x, x') = exp(-|x - x'|² / (2 threshold² median d²)) (`gram_rbf`).
    Rbf { threshold: f64 },
}

/// Double-centres a square Gram matrix: H K H (the notebook's
/// `center_gram(gram, unbiased=False)`).
pub fn center_gram(k: &DMatrix<f64>) -> DMatrix<f64> {
    let n = k.nrows();
    let row_means: Vec<f64> = (0..n).map(|i| k.row(i).sum() / n as f64).collect();
    let col_means: Vec<f64> = (0..n).map(|j| k.column(j).sum() / n as f64).collect();
    let grand = row_means.iter().sum::<f64>() / n as f64;
    DMatrix::from_fn(n, n, |i, j| k[(i, j)] - row_means[i] - col_means[j] + grand)
}

/// U-centres a symmetric Gram matrix (Székely & Rizzo 2014), so that
/// <Ũ(K), Ũ(L)>_F / (n(n-3)) is the unbiased HSIC estimator of Song et al. 2012.
/// The notebook's `center_gram(gram, unbiased=True)`: zero the diagonal,
/// subtract column sums / (n-2) corrected by their total / (2(n-1)) from rows
/// and columns, zero the diagonal again. Needs n >= 4 (below that every
/// U-centred matrix is zero); callers check.
pub fn center_gram_unbiased(k: &DMatrix<f64>) -> DMatrix<f64> {
    let n = k.nrows();
    let mut g = k.clone();
    g.fill_diagonal(0.0);
    let mut means: Vec<f64> = (0..n).map(|j| g.column(j).sum() / (n as f64 - 2.0)).collect();
    let shift = means.iter().sum::<f64>() / (2.0 * (n as f64 - 1.0));
    for m in &mut means {
        *m -= shift;
    }
    for j in 0..n {
        for i in 0..n {
            g[(i, j)] = if i == j { 0.0 } else { g[(i, j)] - means[i] - means[j] };
        }
    }
    g
}

/// Linear CKA from two Gram matrices over the same stimuli.
pub fn cka_from_grams(k: &DMatrix<f64>, l: &DMatrix<f64>) -> Result<f64> {
    check_grams(k, l, 2)?;
    let (kc, lc) = (center_gram(k), center_gram(l));
    ratio(kc.dot(&lc), kc.dot(&kc), lc.dot(&lc))
}

/// Debiased CKA from two symmetric Gram matrices over the same stimuli
/// (`cka(gram_x, gram_y, debiased=True)`). Needs at least 4 stimuli. Unlike
/// the biased estimate it can be slightly negative for unrelated inputs.
pub fn debiased_cka_from_grams(k: &DMatrix<f64>, l: &DMatrix<f64>) -> Result<f64> {
    check_grams(k, l, 4)?;
    check_symmetric(k, "first")?;
    check_symmetric(l, "second")?;
    let (kc, lc) = (center_gram_unbiased(k), center_gram_unbiased(l));
    ratio(kc.dot(&lc), kc.dot(&kc), lc.dot(&lc))
}

/// Linear CKA of two representations (rows = stimuli, columns = units).
pub fn linear_cka(x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<f64> {
    check::pair(x, y, 2, "CKA")?;
    let (n, px, py) = (x.nrows() as f64, x.ncols() as f64, y.ncols() as f64);
    let (xc, yc) = (center_columns(x), center_columns(y));
    // Multiply-adds of each form, counting symmetric products once.
    let feature_cost = n * (px * py + (px * px + py * py) / 2.0);
    let gram_cost = n * n * (px + py) / 2.0;
    if feature_cost <= gram_cost {
        let (xt, yt) = (xc.transpose(), yc.transpose());
        let xy = cross_gram(&yt, &xt);
        ratio(
            xy.norm_squared(),
            linear_gram(&xt).norm_squared(),
            linear_gram(&yt).norm_squared(),
        )
    } else {
        // Grams of centred features are already double-centred.
        let (k, l) = (linear_gram(&xc), linear_gram(&yc));
        ratio(k.dot(&l), k.dot(&k), l.dot(&l))
    }
}

/// Debiased linear CKA (Kornblith et al. 2019 with the unbiased HSIC of Song
/// et al. 2012): `cka(gram_linear(x), gram_linear(y), debiased=True)`.
pub fn debiased_linear_cka(x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<f64> {
    kernel_cka(x, y, Kernel::Linear, true)
}

/// RBF CKA with bandwidth sigma = threshold x median inter-stimulus distance
/// (`cka(gram_rbf(x, threshold), gram_rbf(y, threshold))`; the notebook's
/// default threshold is 1.0). Invariant to orthogonal transforms and isotropic
/// scaling (distances scale with the median), not to anisotropic scaling.
pub fn rbf_cka(x: &DMatrix<f64>, y: &DMatrix<f64>, threshold: f64) -> Result<f64> {
    kernel_cka(x, y, Kernel::Rbf { threshold }, false)
}

/// CKA with any kernel, biased or debiased HSIC.
pub fn kernel_cka(x: &DMatrix<f64>, y: &DMatrix<f64>, kernel: Kernel, debiased: bool) -> Result<f64> {
    let metric = if debiased { "debiased CKA" } else { "CKA" };
    check::pair(x, y, if debiased { 4 } else { 2 }, metric)?;
    let (k, l) = match kernel {
        Kernel::Linear => (linear_gram(&center_columns(x)), linear_gram(&center_columns(y))),
        Kernel::Rbf { threshold } => (rbf_gram(x, threshold, "X")?, rbf_gram(y, threshold, "Y")?),
    };
    if debiased {
        debiased_cka_from_grams(&k, &l)
    } else {
        cka_from_grams(&k, &l)
    }
}

fn ratio(cross: f64, self_x: f64, self_y: f64) -> Result<f64> {
    if self_x <= 0.0 || self_y <= 0.0 {
        return Err(Error::Input(
            "CKA is undefined: one representation is constant across stimuli".into(),
        ));
    }
    Ok(cross / (self_x.sqrt() * self_y.sqrt()))
}

pub(crate) fn center_columns(x: &DMatrix<f64>) -> DMatrix<f64> {
    let mut c = x.clone();
    for mut col in c.column_iter_mut() {
        let mean = col.mean();
        col.add_scalar_mut(-mean);
    }
    c
}

fn check_grams(k: &DMatrix<f64>, l: &DMatrix<f64>, min: usize) -> Result<()> {
    check_gram(k, "first")?;
    check_gram(l, "second")?;
    if k.nrows() != l.nrows() {
        return Err(Error::Input(format!(
            "CKA needs the same stimuli on both sides: {} vs {} rows",
            k.nrows(),
            l.nrows()
        )));
    }
    if k.nrows() < min {
        return Err(Error::Input(format!(
            "{} needs at least {min} stimuli, got {}",
            if min >= 4 { "debiased CKA" } else { "CKA" },
            k.nrows()
        )));
    }
    Ok(())
}

/// U-centring assumes a symmetric kernel (the notebook refuses others too).
fn check_symmetric(k: &DMatrix<f64>, which: &str) -> Result<()> {
    let tol = 1e-8 * k.amax().max(f64::MIN_POSITIVE);
    for j in 0..k.ncols() {
        for i in (j + 1)..k.nrows() {
            if (k[(i, j)] - k[(j, i)]).abs() > tol {
                return Err(Error::Input(format!(
                    "the {which} Gram matrix is not symmetric: entry ({i}, {j}) is {} but ({j}, {i}) is {}",
                    k[(i, j)],
                    k[(j, i)]
                )));
            }
        }
    }
    Ok(())
}

fn check_gram(k: &DMatrix<f64>, which: &str) -> Result<()> {
    if !k.is_square() {
        return Err(Error::Input(format!(
            "the {which} Gram matrix is {} x {}, not square",
            k.nrows(),
            k.ncols()
        )));
    }
    check::finite(k, which)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn random(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        let mut r = SeededRng::new(seed, 0);
        DMatrix::from_fn(n, p, |_, _| r.uniform_f32(-1.0, 1.0) as f64)
    }

    fn all_three(x: &DMatrix<f64>, y: &DMatrix<f64>) -> [f64; 3] {
        [
            linear_cka(x, y).unwrap(),
            debiased_linear_cka(x, y).unwrap(),
            rbf_cka(x, y, 0.5).unwrap(),
        ]
    }

    #[test]
    fn self_similarity_is_one() {
        for x in [random(30, 10, 1), random(10, 50, 2)] {
            for v in all_three(&x, &x) {
                assert!((v - 1.0).abs() < 1e-12, "{v}");
            }
        }
    }

    #[test]
    fn invariant_to_orthogonal_transform_and_isotropic_scale() {
        let x = random(40, 6, 3);
        let y = random(40, 9, 11);
        let q = random(6, 6, 4).qr().q();
        let xq = &x * &q * 3.5;
        for v in all_three(&x, &xq) {
            assert!((v - 1.0).abs() < 1e-10, "{v}");
        }
        // The value against a third representation is unchanged too.
        let (a, b) = (all_three(&x, &y), all_three(&xq, &y));
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-10, "{u} vs {v}");
        }
    }

    #[test]
    fn linear_kernels_are_invariant_to_isotropic_scale_only() {
        // Linear and debiased CKA change under an anisotropic rescaling of units.
        let x = random(40, 3, 12);
        let y = &x * DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![1.0, 5.0, 0.2]));
        assert!(linear_cka(&x, &y).unwrap() < 0.999);
        assert!(debiased_linear_cka(&x, &y).unwrap() < 0.999);
        assert!(rbf_cka(&x, &y, 1.0).unwrap() < 0.999);
    }

    #[test]
    fn symmetric_in_x_and_y() {
        let x = random(35, 7, 13);
        let y = random(35, 12, 14);
        let (a, b) = (all_three(&x, &y), all_three(&y, &x));
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-13, "{u} vs {v}");
        }
    }

    #[test]
    fn gram_and_feature_forms_agree() {
        let x = random(25, 8, 5);
        let y = random(25, 12, 6);
        let feature = linear_cka(&x, &y).unwrap();
        let gram = cka_from_grams(&(&x * x.transpose()), &(&y * y.transpose())).unwrap();
        assert!((feature - gram).abs() < 1e-12, "{feature} vs {gram}");
        assert!(feature > 0.0 && feature < 1.0);
        // Wide inputs take the Gram form.
        let (xw, yw) = (random(12, 40, 15), random(12, 30, 16));
        let wide = linear_cka(&xw, &yw).unwrap();
        let gram = cka_from_grams(&(&xw * xw.transpose()), &(&yw * yw.transpose())).unwrap();
        assert!((wide - gram).abs() < 1e-12, "{wide} vs {gram}");
    }

    #[test]
    fn debiased_matches_the_unbiased_hsic_estimator() {
        // Song et al. 2012, eq. 5, written out term by term.
        let x = random(9, 4, 17);
        let y = random(9, 3, 18);
        let hsic = |k: &DMatrix<f64>, l: &DMatrix<f64>| {
            let n = k.nrows() as f64;
            let (mut kt, mut lt) = (k.clone(), l.clone());
            kt.fill_diagonal(0.0);
            lt.fill_diagonal(0.0);
            let one = nalgebra::DVector::from_element(k.nrows(), 1.0);
            let t1 = (&kt * &lt).trace();
            let t2 = (one.transpose() * &kt * &one)[0] * (one.transpose() * &lt * &one)[0] / ((n - 1.0) * (n - 2.0));
            let t3 = 2.0 / (n - 2.0) * (one.transpose() * &kt * &lt * &one)[0];
            (t1 + t2 - t3) / (n * (n - 3.0))
        };
        let (k, l) = (&x * x.transpose(), &y * y.transpose());
        let expect = hsic(&k, &l) / (hsic(&k, &k) * hsic(&l, &l)).sqrt();
        let got = debiased_linear_cka(&x, &y).unwrap();
        assert!((got - expect).abs() < 1e-12, "{got} vs {expect}");
    }

    #[test]
    fn one_and_three_threads_are_bit_identical() {
        let x = random(300, 280, 19);
        let y = random(300, 700, 20);
        let (xn, yn) = (random(300, 20, 21), random(300, 30, 22));
        let run = |t: usize| {
            crate::testing::in_pool(t, || {
                let mut v = all_three(&x, &y).to_vec();
                v.push(linear_cka(&xn, &yn).unwrap());
                v
            })
        };
        let (a, b) = (run(1), run(3));
        assert!(a.iter().zip(&b).all(|(u, v)| u.to_bits() == v.to_bits()), "{a:?} vs {b:?}");
    }

    #[test]
    fn constant_representation_is_an_error() {
        let x = DMatrix::from_element(10, 3, 2.0);
        let y = random(10, 3, 7);
        let e = linear_cka(&x, &y).unwrap_err().to_string();
        assert!(e.contains("constant"), "{e}");
        let e = debiased_linear_cka(&x, &y).unwrap_err().to_string();
        assert!(e.contains("constant"), "{e}");
        let e = rbf_cka(&x, &y, 1.0).unwrap_err().to_string();
        assert!(e.contains("median squared distance"), "{e}");
    }

    #[test]
    fn bad_shapes_and_values_are_named() {
        let x = random(10, 3, 8);
        let y = random(9, 3, 9);
        assert!(linear_cka(&x, &y).unwrap_err().to_string().contains("10 rows"));
        let mut z = random(10, 3, 10);
        z[(4, 2)] = f64::NAN;
        let e = linear_cka(&x, &z).unwrap_err().to_string();
        assert!(e.contains("row 4, column 2"), "{e}");
        let small = random(3, 2, 23);
        let e = debiased_linear_cka(&small, &small).unwrap_err().to_string();
        assert!(e.contains("at least 4 stimuli, got 3"), "{e}");
        let asym = DMatrix::from_fn(5, 5, |i, j| (i * 5 + j) as f64);
        let e = debiased_cka_from_grams(&asym, &asym).unwrap_err().to_string();
        assert!(e.contains("not symmetric"), "{e}");
    }
}
