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
//!
//! Used as a predictive model ([`soft_matching_predictivity`]), as Thobani et
//! al. ("Predictivity and specificity for model-brain alignment methods") do
//! to score it by held-out R² beside ridge regression. The paper does not
//! spell the prediction out; here, per split, every unit is standardised by
//! its training mean and standard deviation (a unit constant on the training
//! images is 0), the plan is fitted between the standardised training
//! columns, and each target unit j is predicted on the held-out stimuli as the
//! plan's weighted mean of the standardised source units, put back in j's
//! units: ŷⱼ = mⱼ + sⱼ · p2 Σᵢ Pᵢⱼ zᵢ (mⱼ, sⱼ: j's training mean and sd).
//! No weight is fitted, so the map stays the strict one-to-one (soft
//! permutation) one; standardising keeps a unit forced onto a unit of another
//! scale (the plan must use every unit) from swamping the R², as matching raw
//! columns of seeded networks did (mean R² far below -1).

use super::check;
use super::splits::{self, Scheme, SplitPlan};
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

/// Soft matching as a predictive model: held-out R² of the target units.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SoftMatchingPrediction {
    /// The median over target units of `unit_r2`: robust to the few units
    /// that are nearly constant over the images (e.g. where every image has
    /// the same background), whose tiny held-out variance turns any error
    /// into an R² of -1000 and would dominate a mean (the paper does not say
    /// how it summarises over units; this is the lab's ridge summary, the
    /// median over units, applied to R²).
    pub r2: f64,
    /// Per target unit: mean over splits of R² (None where the unit's
    /// held-out responses are constant in every split).
    pub unit_r2: Vec<Option<f64>>,
    /// `random`, `given` or `k-fold`, and the number of splits.
    pub scheme: &'static str,
    pub n_splits: usize,
}

/// Training mean and standard deviation (divided by n) of each column; sd 0
/// for a constant column.
fn train_moments(m: &DMatrix<f64>, train: &[usize]) -> Vec<(f64, f64)> {
    let n = train.len() as f64;
    (0..m.ncols())
        .map(|j| {
            let mean = train.iter().map(|&i| m[(i, j)]).sum::<f64>() / n;
            let var = train.iter().map(|&i| (m[(i, j)] - mean).powi(2)).sum::<f64>() / n;
            (mean, var.sqrt())
        })
        .collect()
}

/// v standardised by (mean, sd); 0 where the training values were constant.
fn z(v: f64, (mean, sd): (f64, f64)) -> f64 {
    if sd > 0.0 { (v - mean) / sd } else { 0.0 }
}

/// The held-out predictions of Y's columns on `test` from a plan fitted on `train`.
fn predict_split(x: &DMatrix<f64>, y: &DMatrix<f64>, train: &[usize], test: &[usize]) -> Result<DMatrix<f64>> {
    let (p1, p2) = (x.ncols(), y.ncols());
    let (mx, my) = (train_moments(x, train), train_moments(y, train));
    let xt = DMatrix::from_fn(train.len(), p1, |r, j| z(x[(train[r], j)], mx[j]));
    let yt = DMatrix::from_fn(train.len(), p2, |r, j| z(y[(train[r], j)], my[j]));
    let plan = uniform_emd(&unit_costs(&xt, &yt))?;
    let mut zhat = DMatrix::<f64>::zeros(test.len(), p2);
    // Cells in the solver's order, summed in f64: the same bits for any thread count.
    for &(i, j, mass) in &plan.cells {
        let w = mass * p2 as f64;
        for (r, &t) in test.iter().enumerate() {
            zhat[(r, j)] += w * z(x[(t, i)], mx[i]);
        }
    }
    Ok(DMatrix::from_fn(test.len(), p2, |r, j| my[j].0 + my[j].1 * zhat[(r, j)]))
}

/// R² of each column of `pred` (rows = `rows` of y): 1 - SS_res / SS_tot
/// about the held-out mean; None for a column whose held-out responses are constant.
fn unit_r2(pred: &DMatrix<f64>, y: &DMatrix<f64>, rows: &[usize]) -> Vec<Option<f64>> {
    (0..y.ncols())
        .map(|j| {
            let m = rows.iter().map(|&i| y[(i, j)]).sum::<f64>() / rows.len() as f64;
            let tot: f64 = rows.iter().map(|&i| (y[(i, j)] - m).powi(2)).sum();
            let res: f64 = rows.iter().enumerate().map(|(r, &i)| (y[(i, j)] - pred[(r, j)]).powi(2)).sum();
            (tot > 0.0).then(|| 1.0 - res / tot)
        })
        .collect()
}

/// The median of the defined values (None when there are none): how preset
/// 7's predictivity summarises per-unit held-out R² over target units, for
/// soft matching here and for ridge regression's `unit_r2` alike.
pub fn median_of_defined(values: &[Option<f64>]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len();
    Some(if m % 2 == 1 { v[m / 2] } else { 0.5 * (v[m / 2 - 1] + v[m / 2]) })
}

/// Soft matching used as a predictive model (module doc) on the splits of
/// `plan` ([`splits::plan`]: random splits, or K folds pooled when the
/// random splits would hold out too few images).
pub fn soft_matching_predictivity(x: &DMatrix<f64>, y: &DMatrix<f64>, plan: &SplitPlan) -> Result<SoftMatchingPrediction> {
    check::pair(x, y, 1, "soft matching predictivity")?;
    let (n, p2) = (x.nrows(), y.ncols());
    if x.ncols() == 0 || p2 == 0 {
        return Err(Error::Input(format!("soft matching predictivity needs units on both sides: X has {}, Y has {p2}", x.ncols())));
    }
    if let Some(s) = plan.splits.iter().find(|s| s.train.len() < 2 || s.test.is_empty() || s.train.iter().chain(&s.test).any(|&i| i >= n)) {
        return Err(Error::Input(format!(
            "soft matching predictivity: a split with {} training and {} test images over {n} stimuli (needs 2 training images, 1 test image, indices below {n})",
            s.train.len(),
            s.test.len()
        )));
    }
    let preds = plan.splits.par_iter().map(|s| predict_split(x, y, &s.train, &s.test)).collect::<Result<Vec<_>>>()?;
    let per_split: Vec<Vec<Option<f64>>> = if plan.scheme == Scheme::KFold {
        let all: Vec<usize> = (0..n).collect();
        vec![unit_r2(&splits::pool(&plan.splits, &preds, n, p2), y, &all)]
    } else {
        plan.splits.iter().zip(&preds).map(|(s, p)| unit_r2(p, y, &s.test)).collect()
    };
    let unit_r2: Vec<Option<f64>> = (0..p2)
        .map(|j| {
            let v: Vec<f64> = per_split.iter().filter_map(|s| s[j]).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect();
    let Some(median) = median_of_defined(&unit_r2) else {
        return Err(Error::Input(
            "soft matching predictivity: every target unit has constant held-out responses, so no R² is defined".into(),
        ));
    };
    Ok(SoftMatchingPrediction {
        r2: median,
        unit_r2,
        scheme: plan.scheme.as_str(),
        n_splits: plan.splits.len(),
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
