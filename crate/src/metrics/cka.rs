//! Centred kernel alignment (Kornblith et al. 2019, "Similarity of neural
//! network representations revisited", ICML), linear kernel.
//!
//! linear CKA(X, Y) = ||Ycᵀ Xc||²_F / (||Xcᵀ Xc||_F ||Ycᵀ Yc||_F), with Xc, Yc
//! column-centred. Equivalently, with Gram matrices K = X Xᵀ, L = Y Yᵀ and the
//! centring matrix H = I - 11ᵀ/n: HSIC(K, L) = <HKH, HLH>_F and
//! CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)). The Gram form costs n² p
//! instead of n p², so it is used when units outnumber stimuli (p > n).
//! All sums are in f64.

use super::check;
use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// Double-centres a square Gram matrix: H K H.
pub fn center_gram(k: &DMatrix<f64>) -> DMatrix<f64> {
    let n = k.nrows();
    let row_means: Vec<f64> = (0..n).map(|i| k.row(i).sum() / n as f64).collect();
    let col_means: Vec<f64> = (0..n).map(|j| k.column(j).sum() / n as f64).collect();
    let grand = row_means.iter().sum::<f64>() / n as f64;
    DMatrix::from_fn(n, n, |i, j| k[(i, j)] - row_means[i] - col_means[j] + grand)
}

/// Linear CKA from two Gram matrices over the same stimuli.
pub fn cka_from_grams(k: &DMatrix<f64>, l: &DMatrix<f64>) -> Result<f64> {
    check_gram(k, "first")?;
    check_gram(l, "second")?;
    if k.nrows() != l.nrows() {
        return Err(Error::Input(format!(
            "CKA needs the same stimuli on both sides: {} vs {} rows",
            k.nrows(),
            l.nrows()
        )));
    }
    let (kc, lc) = (center_gram(k), center_gram(l));
    ratio(kc.dot(&lc), kc.dot(&kc), lc.dot(&lc))
}

/// Linear CKA of two representations (rows = stimuli, columns = units).
pub fn linear_cka(x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<f64> {
    check::pair(x, y, 2, "CKA")?;
    let n = x.nrows();
    if x.ncols().max(y.ncols()) > n {
        return cka_from_grams(&(x * x.transpose()), &(y * y.transpose()));
    }
    let (xc, yc) = (center_columns(x), center_columns(y));
    let xy = yc.transpose() * &xc;
    let xx = xc.transpose() * &xc;
    let yy = yc.transpose() * &yc;
    ratio(xy.norm_squared(), xx.norm_squared(), yy.norm_squared())
}

fn ratio(cross: f64, self_x: f64, self_y: f64) -> Result<f64> {
    if self_x <= 0.0 || self_y <= 0.0 {
        return Err(Error::Input(
            "CKA is undefined: one representation is constant across stimuli".into(),
        ));
    }
    Ok(cross / (self_x.sqrt() * self_y.sqrt()))
}

fn center_columns(x: &DMatrix<f64>) -> DMatrix<f64> {
    let mut c = x.clone();
    for mut col in c.column_iter_mut() {
        let mean = col.mean();
        col.add_scalar_mut(-mean);
    }
    c
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

    #[test]
    fn self_similarity_is_one() {
        let x = random(30, 10, 1);
        assert!((linear_cka(&x, &x).unwrap() - 1.0).abs() < 1e-12);
        let wide = random(10, 50, 2);
        assert!((linear_cka(&wide, &wide).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn invariant_to_orthogonal_transform_and_scale() {
        let x = random(40, 6, 3);
        let q = random(6, 6, 4).qr().q();
        let y = &x * &q * 3.5;
        assert!((linear_cka(&x, &y).unwrap() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn gram_and_feature_forms_agree() {
        let x = random(25, 8, 5);
        let y = random(25, 12, 6);
        let feature = linear_cka(&x, &y).unwrap();
        let gram = cka_from_grams(&(&x * x.transpose()), &(&y * y.transpose())).unwrap();
        assert!((feature - gram).abs() < 1e-12, "{feature} vs {gram}");
        assert!(feature > 0.0 && feature < 1.0);
    }

    #[test]
    fn constant_representation_is_an_error() {
        let x = DMatrix::from_element(10, 3, 2.0);
        let y = random(10, 3, 7);
        let e = linear_cka(&x, &y).unwrap_err().to_string();
        assert!(e.contains("constant"), "{e}");
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
    }
}
