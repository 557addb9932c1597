//! Orthogonal Procrustes shape distance (Williams, Kunz, Kornblith & Linderman
//! 2021, "Generalized shape metrics on neural representations", NeurIPS), the
//! rotation-invariant member of the family: netrep's
//! `LinearMetric(alpha=1, center_columns=True, zero_pad=True,
//! score_method='angular' | 'euclidean')`.
//!
//! Both representations are column-centred. When the unit counts differ,
//! netrep zero-pads the narrower one to the wider width; padding adds zero
//! rows/columns to Xᵀ Y and so leaves its singular values unchanged, hence it
//! is implicit here. With ||·||_* the nuclear norm (sum of singular values):
//!   angular   = arccos( ||Xcᵀ Yc||_* / (||Xc||_F ||Yc||_F) )   (clipped to [-1, 1])
//!   euclidean = min_Q ||Xc Q - Yc||_F = sqrt(||Xc||² + ||Yc||² - 2 ||Xcᵀ Yc||_*)
//! netrep does not rescale for `alpha=1`, so `euclidean` carries the units of
//! the data; `euclidean_unit_norm` is the same distance after scaling each
//! side to unit Frobenius norm, sqrt(2 - 2 cos(angular)).
//! When units outnumber stimuli, each side is first reduced to an n-column
//! matrix with the same X Xᵀ (the R factor of a QR of Xcᵀ), which leaves the
//! nuclear norm unchanged and keeps the SVD at most n x n.
//!
//! Precision: a distance near zero is a square root of a difference of nearly
//! equal numbers (netrep's arccos has the same limit), so values below about
//! 1e-7 (angular, radians) or 1e-7 x sqrt(||Xc||² + ||Yc||²) (euclidean) are
//! rounding noise.

use super::check;
use super::cka::center_columns;
use super::kernels::cross_gram;
use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// Procrustes distances between two representations.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Procrustes {
    /// The angular shape distance in radians, in [0, π/2] (netrep's default score).
    pub value: f64,
    /// min over orthogonal Q of ||Xc Q - Yc||_F (netrep `score_method='euclidean'`).
    pub euclidean: f64,
    /// The Euclidean distance after scaling both sides to unit Frobenius norm, in [0, sqrt 2].
    pub euclidean_unit_norm: f64,
    /// Cosine of the angle: ||Xcᵀ Yc||_* / (||Xc||_F ||Yc||_F).
    pub similarity: f64,
    pub stimuli: usize,
    pub units_x: usize,
    pub units_y: usize,
}

/// Procrustes shape distance of X (n x p1) and Y (n x p2), p1 and p2 may differ.
pub fn procrustes(x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<Procrustes> {
    check::pair(x, y, 2, "Procrustes distance")?;
    let n = x.nrows();
    let (xc, yc) = (reduce(center_columns(x)), reduce(center_columns(y)));
    let (nx, ny) = (xc.norm_squared(), yc.norm_squared());
    for (norm, side, p) in [(nx, "X", x.ncols()), (ny, "Y", y.ncols())] {
        if norm <= 0.0 {
            return Err(Error::Input(format!(
                "Procrustes distance is undefined: {side} ({n} stimuli x {p} units) is constant across stimuli"
            )));
        }
    }
    // Xcᵀ Yc on parallel tiles (bit-identical for any thread count).
    let nuclear: f64 = cross_gram(&xc.transpose(), &yc.transpose()).singular_values().iter().sum();
    let similarity = (nuclear / (nx.sqrt() * ny.sqrt())).clamp(-1.0, 1.0);
    Ok(Procrustes {
        value: similarity.acos(),
        euclidean: (nx + ny - 2.0 * nuclear).max(0.0).sqrt(),
        euclidean_unit_norm: (2.0 - 2.0 * similarity).max(0.0).sqrt(),
        similarity,
        stimuli: n,
        units_x: x.ncols(),
        units_y: y.ncols(),
    })
}

/// An n-column matrix with the same Gram X Xᵀ as X (so the same norms and the
/// same nuclear norms against any Y), when X has more columns than rows.
fn reduce(x: DMatrix<f64>) -> DMatrix<f64> {
    if x.ncols() <= x.nrows() {
        return x;
    }
    // Xᵀ = Q R with Q (p x n) orthonormal columns, so X = Rᵀ Qᵀ and X Xᵀ = Rᵀ R.
    x.transpose().qr().r().transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn random(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, crate::rng::stream_id("procrustes/test"))
    }

    #[test]
    fn zero_for_a_rotated_copy() {
        let x = random(30, 5, 1);
        let q = random(5, 5, 2).qr().q();
        let d = procrustes(&x, &(&x * &q)).unwrap();
        assert!(d.value < 1e-7 && d.euclidean < 1e-6, "{d:?}");
        // Scaling changes only the unscaled Euclidean distance.
        let d = procrustes(&x, &(&x * &q * 2.0)).unwrap();
        assert!(d.value < 1e-7 && d.euclidean_unit_norm < 1e-7, "{d:?}");
        assert!((d.euclidean - center_columns(&x).norm()).abs() < 1e-9, "{d:?}");
    }

    #[test]
    fn zero_padding_a_copy_is_free() {
        let x = random(20, 4, 3);
        let y = x.clone().insert_columns(4, 3, 0.0);
        let d = procrustes(&x, &y).unwrap();
        assert!(d.value < 1e-7 && d.euclidean < 1e-6, "{d:?}");
    }

    #[test]
    fn wide_reduction_matches_direct_computation() {
        let x = random(8, 30, 4);
        let y = random(8, 20, 5);
        let d = procrustes(&x, &y).unwrap();
        let (xc, yc) = (center_columns(&x), center_columns(&y));
        let nuc: f64 = (xc.transpose() * &yc).singular_values().iter().sum();
        let direct = (nuc / (xc.norm() * yc.norm())).acos();
        assert!((d.value - direct).abs() < 1e-10, "{} vs {direct}", d.value);
    }

    #[test]
    fn symmetric_and_triangle_inequality() {
        let mut r = SeededRng::new(6, crate::rng::stream_id("procrustes/triangle"));
        for trial in 0..20 {
            let n = 12;
            let dims: Vec<usize> = (0..3).map(|_| 2 + (r.unit_f32() * 10.0) as usize).collect();
            let m: Vec<DMatrix<f64>> = dims.iter().enumerate().map(|(k, &p)| random(n, p, 100 + 3 * trial + k as u64)).collect();
            let d = |a: usize, b: usize| procrustes(&m[a], &m[b]).unwrap();
            let (ab, ba) = (d(0, 1), d(1, 0));
            assert!((ab.value - ba.value).abs() < 1e-12 && (ab.euclidean - ba.euclidean).abs() < 1e-10);
            let (bc, ac) = (d(1, 2), d(0, 2));
            assert!(ac.value <= ab.value + bc.value + 1e-12);
            assert!(ac.euclidean <= ab.euclidean + bc.euclidean + 1e-9);
            assert!(ac.euclidean_unit_norm <= ab.euclidean_unit_norm + bc.euclidean_unit_norm + 1e-12);
        }
    }

    #[test]
    fn one_and_three_threads_are_bit_identical() {
        let x = random(300, 40, 8);
        let y = random(300, 50, 9);
        let run = |t: usize| {
            crate::testing::in_pool(t, || procrustes(&x, &y).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a.value.to_bits(), b.value.to_bits());
        assert_eq!(a.euclidean.to_bits(), b.euclidean.to_bits());
    }

    #[test]
    fn constant_side_is_named() {
        let x = random(10, 3, 7);
        let y = DMatrix::from_element(10, 4, 1.5);
        let e = procrustes(&x, &y).unwrap_err().to_string();
        assert!(e.contains("Y (10 stimuli x 4 units) is constant"), "{e}");
    }
}
