//! Soft matching distance (Khosla & Williams 2024, "Soft matching distance: a
//! metric on neural representations that captures single-neuron tuning",
//! UniReps / PMLR 243): the optimal-transport generalisation of the
//! permutation (one-to-one neuron matching) distance to networks of
//! different widths.
//!
//! Each unit is a point, its column of responses over the n stimuli, carrying
//! mass 1/p1 (X) or 1/p2 (Y); the cost of matching unit i of X with unit j of Y
//! is the squared Euclidean distance between their columns, and
//!   d(X, Y) = sqrt( min over transport plans P of Σᵢⱼ Pᵢⱼ |xᵢ - yⱼ|² ),
//! the 2-Wasserstein distance between the two clouds of tuning curves. With
//! p1 = p2 the optimal plan is a permutation (Birkhoff) and d² is the mean
//! squared distance of the best one-to-one matching. Columns are centred
//! first, as netrep's `PermutationMetric(center_columns=True)` does for the
//! equal-width case, so a per-unit offset does not count; no scaling is
//! applied (the distance is in the units of the data). The reference value is
//! `sqrt(ot.emd2(ones(p1)/p1, ones(p2)/p2, C))` of POT with that cost matrix.
//! The transport problem is solved exactly by `transport::uniform_emd`, which
//! refuses more than `transport::MAX_CELLS` unit pairs.

use super::check;
use super::cka::center_columns;
use super::transport::{self, uniform_emd};
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Soft matching distance and its optimal plan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SoftMatching {
    /// The distance, sqrt of the optimal transport cost.
    pub value: f64,
    /// The optimal transport cost Σ Pᵢⱼ |xᵢ - yⱼ|² (the squared distance).
    pub cost: f64,
    /// Nonzero cells of the optimal plan: (unit of X, unit of Y, mass).
    pub plan: Vec<(usize, usize, f64)>,
    pub stimuli: usize,
    pub units_x: usize,
    pub units_y: usize,
}

/// Squared Euclidean distances between the columns of X (p1) and of Y (p2),
/// summed directly over stimuli (not via |x|² + |y|² - 2x·y, which leaves
/// rounding noise where units coincide). Rows in parallel, each summed in order.
pub fn unit_costs(x: &DMatrix<f64>, y: &DMatrix<f64>) -> DMatrix<f64> {
    let (p1, p2) = (x.ncols(), y.ncols());
    let rows: Vec<Vec<f64>> = (0..p1)
        .into_par_iter()
        .map(|i| {
            let xi = x.column(i);
            (0..p2)
                .map(|j| xi.iter().zip(y.column(j).iter()).map(|(a, b)| (a - b) * (a - b)).sum())
                .collect()
        })
        .collect();
    DMatrix::from_fn(p1, p2, |i, j| rows[i][j])
}

/// Soft matching distance between X (n x p1) and Y (n x p2), columns centred.
pub fn soft_matching(x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<SoftMatching> {
    check::pair(x, y, 1, "soft matching distance")?;
    let (p1, p2) = (x.ncols(), y.ncols());
    if p1 == 0 || p2 == 0 {
        return Err(Error::Input(format!(
            "soft matching distance needs units on both sides: X has {p1}, Y has {p2}"
        )));
    }
    if p1.saturating_mul(p2) > transport::MAX_CELLS {
        return Err(Error::Input(format!(
            "soft matching distance between {p1} units (X) and {p2} units (Y) needs a {p1} x {p2} transport \
             problem, above the exact solver's limit of {} unit pairs (e.g. 1000 x 1000); reduce the units first \
             (subsample or PCA)",
            transport::MAX_CELLS
        )));
    }
    let plan = uniform_emd(&unit_costs(&center_columns(x), &center_columns(y)))?;
    Ok(SoftMatching {
        value: plan.cost.max(0.0).sqrt(),
        cost: plan.cost,
        plan: plan.cells,
        stimuli: x.nrows(),
        units_x: p1,
        units_y: p2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn random(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, crate::rng::stream_id("soft_matching/test"))
    }

    #[test]
    fn zero_for_permuted_columns_and_offsets() {
        let x = random(15, 8, 1);
        let order = [3, 7, 0, 5, 1, 6, 2, 4];
        let mut y = DMatrix::from_fn(15, 8, |r, c| x[(r, order[c])]);
        y.column_mut(2).add_scalar_mut(4.0);
        let d = soft_matching(&x, &y).unwrap();
        // Centring the shifted column rounds differently: zero up to rounding.
        assert!(d.value < 1e-12, "{}", d.value);
        // The plan is the permutation itself.
        for &(i, j, p) in &d.plan {
            assert_eq!(order[j], i);
            assert!((p - 1.0 / 8.0).abs() < 1e-15);
        }
    }

    #[test]
    fn duplicating_every_unit_costs_nothing() {
        // Y holds each unit of X twice: mass 1/(2p) per copy matches 1/p.
        let x = random(10, 5, 2);
        let y = DMatrix::from_fn(10, 10, |r, c| x[(r, c / 2)]);
        assert_eq!(soft_matching(&x, &y).unwrap().value, 0.0);
    }

    #[test]
    fn symmetric_and_triangle_inequality() {
        let mut r = SeededRng::new(3, crate::rng::stream_id("soft_matching/triangle"));
        for trial in 0..15 {
            let dims: Vec<usize> = (0..3).map(|_| 1 + (r.unit_f32() * 9.0) as usize).collect();
            let m: Vec<DMatrix<f64>> =
                dims.iter().enumerate().map(|(k, &p)| random(6, p, 50 + 3 * trial + k as u64)).collect();
            let d = |a: usize, b: usize| soft_matching(&m[a], &m[b]).unwrap().value;
            assert!((d(0, 1) - d(1, 0)).abs() < 1e-12);
            assert!(d(0, 2) <= d(0, 1) + d(1, 2) + 1e-12, "{dims:?}");
        }
    }

    #[test]
    fn one_and_three_threads_are_bit_identical() {
        let x = random(40, 60, 4);
        let y = random(40, 45, 5);
        let run = |t: usize| {
            crate::testing::in_pool(t, || soft_matching(&x, &y).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a.value.to_bits(), b.value.to_bits());
        assert_eq!(a.plan.len(), b.plan.len());
    }

    #[test]
    fn too_many_units_is_refused_before_any_work() {
        let x = DMatrix::zeros(2, 2000);
        let y = DMatrix::zeros(2, 600);
        let e = soft_matching(&x, &y).unwrap_err().to_string();
        assert!(e.contains("2000 units (X) and 600 units (Y)"), "{e}");
    }
}
