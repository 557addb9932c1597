//! Neural predictivity by regression: how well a ridge map from a model's
//! activations predicts each recorded unit (neuron, voxel) on held-out images.
//!
//! The procedure of the seed paper and of Brain-Score's neural benchmarks
//! (Schrimpf et al. 2018, "Brain-Score: which artificial neural network for
//! object recognition is most brain-like?"; `brainscore_vision.metrics.regression_correlation.CrossRegressedCorrelation`
//! with a ridge regression):
//!
//! 1. project X (n stimuli x p1 units) to q dimensions with a very sparse
//!    random projection ([`super::projection`]) when p1 > q;
//! 2. draw K train/test splits (default 10 seeded 90/10 splits, or given);
//! 3. on each split fit a ridge with intercept on the training images for all
//!    target units at once ([`super::ridge`]) and predict the test images;
//! 4. Pearson r per target unit between held-out responses and predictions;
//! 5. per split, the median of r over target units;
//!    `value` = the mean over splits of these medians (Brain-Score's
//!    aggregation: `median` over neuroids within a split, then the mean over
//!    splits).
//!
//! Fewer than [`MIN_TEST_IMAGES`](super::splits::MIN_TEST_IMAGES) test images per split (e.g. 2 of 16 at
//! 90/10) make every per-split r nearly ±1: then the splits are K folds that
//! hold out every image once, and each unit's r is read over the n pooled
//! held-out predictions (`value` = the median over units); fewer than
//! that many images in all are refused ([`super::splits::plan`]).
//! The result's `warnings` say so.
//!
//! A target unit whose held-out responses are constant in a split, or whose
//! training responses are constant (so its prediction is), has no Pearson r
//! there: it is left out of that split's median and counted in
//! `excluded_per_split`, never turned into NaN.

use super::check;
use super::projection::{SparseProjection, DEFAULT_PROJECTION_DIM};
use super::ridge::{centred_gram, check_lambda, fit_predict_one, fit_split, uses_dual};
use super::splits::{self, is_partition, Scheme, Split, SplitPlan};
use crate::error::{Error, Result};
use crate::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::Serialize;

/// The options of [`regression`]: λ = 1 and 10 splits of 90/10 as the
/// system-identification paper states; q and the unit cap are this lab's
/// choices (the paper says only q ≪ p).
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionOptions {
    /// Ridge penalties. The first is the headline (`value`); every one is
    /// scored in `per_lambda`. Default `[1.0]`. Each must be > 0.
    pub lambdas: Vec<f64>,
    /// Number of random splits K (ignored when `splits` is given). Default 10.
    pub folds: usize,
    /// Fraction of images held out per random split. Default 0.1.
    pub test_fraction: f64,
    /// q, the projected source dimension; X is projected only when it has
    /// more columns. Default [`DEFAULT_PROJECTION_DIM`] (4096).
    pub projection_dim: usize,
    /// At most this many target units are scored, a seeded subsample when Y
    /// has more. Default 3000.
    pub max_units: usize,
    /// Seed of the splits, the projection and the unit subsample. Default 0.
    pub seed: u64,
    /// Given splits (e.g. from [`crate::data::splits::parse_split_file`]); overrides `folds` and `test_fraction`.
    pub splits: Option<Vec<Split>>,
    /// With given splits that hold out every image once (K folds): score the
    /// pooled held-out predictions, as the small-run rule does (the NRP's ridge
    /// baseline on its folds). Default false.
    pub pooled: bool,
}

impl Default for RegressionOptions {
    fn default() -> Self {
        RegressionOptions {
            lambdas: vec![1.0],
            folds: 10,
            test_fraction: 0.1,
            projection_dim: DEFAULT_PROJECTION_DIM,
            max_units: 3000,
            seed: 0,
            splits: None,
            pooled: false,
        }
    }
}

/// The scores at one λ.
#[derive(Clone, Debug, Serialize)]
pub struct LambdaScore {
    pub lambda: f64,
    /// Mean over splits of the per-split medians of r.
    pub value: f64,
    /// Median r over target units, per split (one entry, the pooled score, with k-fold).
    pub split_values: Vec<f64>,
}

/// Result of [`regression`]. Per-unit vectors follow `units`.
#[derive(Clone, Debug, Serialize)]
pub struct RegressionResult {
    /// Mean over splits of the median (over target units) held-out Pearson r, at `lambda`.
    pub value: f64,
    /// The headline penalty (the first of the options' list).
    pub lambda: f64,
    /// The median r over target units in each split, at `lambda`; with
    /// `splits_source` "k-fold", one entry: the pooled score.
    pub split_values: Vec<f64>,
    /// The standard error of `value`: over splits, sd / √K (none for one
    /// split); with k-fold, that of a correlation over the n pooled images,
    /// √((1 − value²) / (n − 2)). Verdicts read it as the score's noise.
    pub standard_error: Option<f64>,
    /// Every λ of the sweep, in the order given.
    pub per_lambda: Vec<LambdaScore>,
    /// Y columns scored (0-based, ascending): all of them, or a seeded subsample.
    pub units: Vec<usize>,
    /// True when `units` is a subsample of Y's columns.
    pub units_subsampled: bool,
    /// Per scored unit: mean over splits of the held-out Pearson r (null if
    /// the unit was excluded in every split).
    pub unit_r: Vec<Option<f64>>,
    /// Per scored unit: mean over splits of sklearn's `r2_score` on the
    /// held-out images (null if excluded in every split).
    pub unit_r2: Vec<Option<f64>>,
    /// Per scored unit: mean over splits of the mean absolute error on the held-out images.
    pub unit_mae: Vec<f64>,
    /// Per split: scored units left out of the median (constant responses).
    pub excluded_per_split: Vec<usize>,
    /// Scored units excluded in every split.
    pub excluded_units: Vec<usize>,
    /// Number of stimuli (rows).
    pub n_stimuli: usize,
    /// X's columns before projection.
    pub source_dim: usize,
    /// Columns the ridge saw: q if projected, else `source_dim`.
    pub regression_dim: usize,
    pub projected: bool,
    /// Number of splits (or folds), and how they were chosen: "given",
    /// "random", or "k-fold" (too few images for random splits: the held-out
    /// predictions of K folds pooled).
    pub n_splits: usize,
    pub splits_source: String,
    /// The fewest held-out images one score was read over: a split's test
    /// set, or n when pooled.
    pub test_images: usize,
    /// What the small-run rule did (switched to k-fold, given splits too small).
    pub warnings: Vec<String>,
    /// True when some split had no more training images than regression
    /// columns and was solved in the dual (Gram) form.
    pub dual_form: bool,
}

/// The target units regression scores out of `p2`: all of them, or, when
/// there are more than `max_units`, a seeded subsample (ascending indices).
/// Public so that a streaming sink keeps only these columns.
pub fn target_units(p2: usize, max_units: usize, seed: u64) -> Vec<usize> {
    if p2 <= max_units {
        return (0..p2).collect();
    }
    let mut rng = SeededRng::new(seed, stream_id("metrics/regression/units"));
    let mut order: Vec<usize> = (0..p2).collect();
    for i in 0..max_units {
        let r = i + (rng.unit_f32() as f64 * (p2 - i) as f64) as usize;
        order.swap(i, r.min(p2 - 1));
    }
    let mut chosen = order[..max_units].to_vec();
    chosen.sort_unstable();
    chosen
}

/// Per unit statistics of one split at one λ.
struct UnitStats {
    r: Vec<Option<f64>>,
    r2: Vec<Option<f64>>,
    mae: Vec<f64>,
}

/// Runs the regression procedure (module doc) of target responses `y`
/// (n x p2) on source activations `x` (n x p1).
pub fn regression(x: &DMatrix<f64>, y: &DMatrix<f64>, opts: &RegressionOptions) -> Result<RegressionResult> {
    const METRIC: &str = "regression";
    check::same_rows(x, y, METRIC)?;
    check::min_rows(x, 4, METRIC)?;
    if x.ncols() == 0 || y.ncols() == 0 {
        return Err(Error::Input(format!(
            "regression needs at least one unit on each side: X has {} columns, Y has {}",
            x.ncols(),
            y.ncols()
        )));
    }
    check::finite(x, "X")?;
    check::finite(y, "Y")?;
    if opts.lambdas.is_empty() {
        return Err(Error::Input("regression needs at least one ridge penalty λ".into()));
    }
    for &l in &opts.lambdas {
        check_lambda(l)?;
    }
    if opts.max_units == 0 {
        return Err(Error::Input("max_units must be at least 1".into()));
    }
    let n = x.nrows();
    let plan = match &opts.splits {
        Some(s) if opts.pooled => {
            splits::validate(s, n)?;
            if !is_partition(s, n) {
                return Err(Error::Input("regression: pooled splits must hold out every stimulus exactly once".into()));
            }
            SplitPlan { splits: s.clone(), scheme: Scheme::KFold, test_images: n, warning: None }
        }
        given => splits::plan(n, opts.folds, opts.test_fraction, opts.seed, given.as_deref(), METRIC)?,
    };
    let splits = &plan.splits;

    // Target units: all, or a seeded subsample (ascending indices).
    let p2 = y.ncols();
    let units = target_units(p2, opts.max_units, opts.seed);
    let y_sub = if units.len() < p2 { y.select_columns(units.iter()) } else { y.clone() };

    let proj = SparseProjection::new(x.ncols(), opts.projection_dim, opts.seed)?;
    let xp = proj.apply(x)?;
    let p = xp.ncols();
    let any_dual = splits.iter().any(|s| uses_dual(s.train.len(), p));
    let gram = if any_dual { Some(centred_gram(&xp)) } else { None };

    // One fit per split, in parallel; its held-out predictions per λ.
    let predict = |s: &Split| -> Result<Vec<DMatrix<f64>>> {
        // One λ: a Cholesky solve; a sweep: one eigendecomposition serves every λ.
        if let [l] = opts.lambdas[..] {
            return Ok(vec![fit_predict_one(&xp, &y_sub, &s.train, &s.test, gram.as_ref(), l)?]);
        }
        let fit = fit_split(&xp, &y_sub, &s.train, &s.test, gram.as_ref())?;
        opts.lambdas.iter().map(|&l| fit.predict(l)).collect()
    };
    // Statistics per split and λ; with k-fold, one "split": the pooled predictions.
    let per_split: Vec<Vec<UnitStats>> = if plan.scheme == Scheme::KFold {
        let preds = splits.par_iter().map(predict).collect::<Result<Vec<_>>>()?;
        let all: Vec<usize> = (0..n).collect();
        let invalid: Vec<bool> = (0..y_sub.ncols()).map(|j| all.iter().all(|&i| y_sub[(i, j)] == y_sub[(0, j)])).collect();
        let pooled = (0..opts.lambdas.len()).map(|li| {
            let p = splits::pool(splits, preds.iter().map(|pr| &pr[li]), n, y_sub.ncols());
            unit_stats(&p, &y_sub, &all, &invalid)
        });
        vec![pooled.collect()]
    } else {
        splits
            .par_iter()
            .map(|s| -> Result<Vec<UnitStats>> {
                let invalid = invalid_units(&y_sub, s);
                Ok(predict(s)?.iter().map(|p| unit_stats(p, &y_sub, &s.test, &invalid)).collect())
            })
            .collect::<Result<_>>()?
    };

    let k = per_split.len();
    let mut per_lambda = Vec::with_capacity(opts.lambdas.len());
    for (li, &l) in opts.lambdas.iter().enumerate() {
        let mut split_values = Vec::with_capacity(k);
        for (si, stats) in per_split.iter().enumerate() {
            let mut rs: Vec<f64> = stats[li].r.iter().flatten().copied().collect();
            if rs.is_empty() {
                return Err(Error::Input(format!(
                    "regression: in split {si} every target unit has constant responses on the test or training images, so no correlation is defined"
                )));
            }
            split_values.push(median(&mut rs));
        }
        let value = split_values.iter().sum::<f64>() / k as f64;
        per_lambda.push(LambdaScore { lambda: l, value, split_values });
    }

    let head: Vec<&UnitStats> = per_split.iter().map(|s| &s[0]).collect();
    let nu = units.len();
    let unit_r = mean_over_splits(&head, nu, |s, u| s.r[u]);
    let unit_r2 = mean_over_splits(&head, nu, |s, u| s.r2[u]);
    let unit_mae: Vec<f64> = (0..nu)
        .map(|u| head.iter().map(|s| s.mae[u]).sum::<f64>() / k as f64)
        .collect();
    let excluded_per_split: Vec<usize> = head.iter().map(|s| s.r.iter().filter(|r| r.is_none()).count()).collect();
    let excluded_units: Vec<usize> = (0..nu).filter(|&u| unit_r[u].is_none()).map(|u| units[u]).collect();

    let first = &per_lambda[0];
    let standard_error = if plan.scheme == Scheme::KFold {
        Some(((1.0 - first.value * first.value).max(0.0) / (n - 2) as f64).sqrt())
    } else {
        (k > 1).then(|| {
            let var = first.split_values.iter().map(|v| (v - first.value).powi(2)).sum::<f64>() / (k - 1) as f64;
            (var / k as f64).sqrt()
        })
    };
    Ok(RegressionResult {
        value: first.value,
        lambda: first.lambda,
        split_values: first.split_values.clone(),
        standard_error,
        per_lambda,
        units_subsampled: nu < p2,
        units,
        unit_r,
        unit_r2,
        unit_mae,
        excluded_per_split,
        excluded_units,
        n_stimuli: n,
        source_dim: x.ncols(),
        regression_dim: p,
        projected: !proj.is_identity(),
        n_splits: splits.len(),
        splits_source: plan.scheme.as_str().to_string(),
        test_images: plan.test_images,
        warnings: plan.warning.iter().cloned().collect(),
        dual_form: any_dual,
    })
}

fn mean_over_splits(head: &[&UnitStats], nu: usize, get: impl Fn(&UnitStats, usize) -> Option<f64>) -> Vec<Option<f64>> {
    (0..nu)
        .map(|u| {
            let (mut sum, mut cnt) = (0.0, 0usize);
            for s in head {
                if let Some(v) = get(s, u) {
                    sum += v;
                    cnt += 1;
                }
            }
            (cnt > 0).then(|| sum / cnt as f64)
        })
        .collect()
}

/// Units whose held-out or training responses are all equal in this split
/// (exact comparison: a constant column stays constant).
fn invalid_units(y: &DMatrix<f64>, s: &Split) -> Vec<bool> {
    let constant = |j: usize, idx: &[usize]| idx.iter().all(|&i| y[(i, j)] == y[(idx[0], j)]);
    (0..y.ncols())
        .map(|j| constant(j, &s.test) || constant(j, &s.train))
        .collect()
}

fn unit_stats(pred: &DMatrix<f64>, y: &DMatrix<f64>, test: &[usize], invalid: &[bool]) -> UnitStats {
    let m = test.len() as f64;
    let mut out = UnitStats { r: Vec::with_capacity(y.ncols()), r2: Vec::new(), mae: Vec::new() };
    for j in 0..y.ncols() {
        let obs: Vec<f64> = test.iter().map(|&i| y[(i, j)]).collect();
        let pr = pred.column(j);
        let mae = obs.iter().zip(pr.iter()).map(|(o, p)| (o - p).abs()).sum::<f64>() / m;
        out.mae.push(mae);
        if invalid[j] {
            out.r.push(None);
            out.r2.push(None);
            continue;
        }
        let mo = obs.iter().sum::<f64>() / m;
        let mp = pr.iter().sum::<f64>() / m;
        let (mut sop, mut soo, mut spp, mut sres) = (0.0, 0.0, 0.0, 0.0);
        for (o, p) in obs.iter().zip(pr.iter()) {
            let (a, b) = (o - mo, p - mp);
            sop += a * b;
            soo += a * a;
            spp += b * b;
            sres += (o - p) * (o - p);
        }
        let r = if spp > 0.0 { Some((sop / (soo.sqrt() * spp.sqrt())).clamp(-1.0, 1.0)) } else { None };
        out.r2.push(r.map(|_| 1.0 - sres / soo));
        out.r.push(r);
    }
    out
}

/// numpy's median (mean of the two middle values for an even count).
fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, 13)
    }

    #[test]
    fn noise_free_linear_targets_are_predicted() {
        let x = normal(200, 8, 1);
        let w = normal(8, 20, 2);
        let y = &x * w;
        let opts = RegressionOptions { lambdas: vec![1e-3, 1.0], ..Default::default() };
        let r = regression(&x, &y, &opts).unwrap();
        assert!(r.value > 0.999, "{}", r.value);
        assert!(r.per_lambda[1].value > 0.99);
        assert!(r.unit_r.iter().all(|v| v.unwrap() > 0.999));
        assert!(r.unit_r2.iter().all(|v| v.unwrap() > 0.99));
        assert_eq!((r.n_splits, r.excluded_per_split.iter().sum::<usize>()), (10, 0));
        assert!(!r.dual_form && !r.projected);
    }

    #[test]
    fn independent_noise_scores_near_zero() {
        let x = normal(300, 50, 3);
        let y = normal(300, 200, 4);
        let r = regression(&x, &y, &RegressionOptions::default()).unwrap();
        assert!(r.value.abs() < 0.08, "{}", r.value);
    }

    #[test]
    fn one_and_three_threads_give_the_same_bits() {
        // Dual form and a projection (p1 = 300 > q = 64).
        let x = normal(60, 300, 5);
        let y = &x.columns(0, 40) * normal(40, 30, 6) + normal(60, 30, 7);
        let opts = RegressionOptions { projection_dim: 64, lambdas: vec![1.0, 10.0], ..Default::default() };
        let run = |t: usize| {
            crate::testing::in_pool(t, || regression(&x, &y, &opts).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert!(a.projected && a.dual_form && a.regression_dim == 64);
        assert_eq!(a.value.to_bits(), b.value.to_bits());
        for (u, v) in a.unit_r.iter().zip(&b.unit_r) {
            assert_eq!(u.unwrap().to_bits(), v.unwrap().to_bits());
        }
        for (u, v) in a.unit_mae.iter().zip(&b.unit_mae) {
            assert_eq!(u.to_bits(), v.to_bits());
        }
    }

    #[test]
    fn constant_units_are_excluded_and_counted_and_units_subsampled() {
        let x = normal(50, 5, 8);
        let mut y = &x * normal(5, 6, 9) + normal(50, 6, 10) * 0.1;
        y.column_mut(2).fill(4.0);
        let r = regression(&x, &y, &RegressionOptions::default()).unwrap();
        // 5 test images per 90/10 split: 10 folds, scored pooled (one entry).
        assert_eq!((r.excluded_per_split, r.splits_source.as_str(), r.n_splits, r.test_images), (vec![1], "k-fold", 10, 50));
        assert!(r.warnings[0].contains("10-fold cross-validation"), "{:?}", r.warnings);
        let r = regression(&x, &y, &RegressionOptions { test_fraction: 0.2, ..Default::default() }).unwrap();
        assert_eq!((r.excluded_per_split, r.splits_source.as_str()), (vec![1; 10], "random"));
        assert_eq!(r.excluded_units, vec![2]);
        assert!(r.unit_r[2].is_none() && r.unit_r2[2].is_none() && r.value.is_finite());
        let opts = RegressionOptions { max_units: 4, seed: 3, ..Default::default() };
        let s = regression(&x, &y, &opts).unwrap();
        assert!(s.units_subsampled && s.units.len() == 4 && s.unit_r.len() == 4);
        assert!(s.units.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s.units, regression(&x, &y, &opts).unwrap().units);
    }

    #[test]
    fn bad_inputs_are_refused_by_name() {
        let x = normal(30, 4, 1);
        let y = normal(29, 3, 2);
        let d = RegressionOptions::default();
        let e = regression(&x, &y, &d).unwrap_err().to_string();
        assert!(e.contains("X has 30 rows, Y has 29"), "{e}");
        let mut y = normal(30, 3, 2);
        y[(4, 1)] = f64::NAN;
        let e = regression(&x, &y, &d).unwrap_err().to_string();
        assert!(e.contains("Y has a non-finite value") && e.contains("row 4, column 1"), "{e}");
        let y = normal(30, 3, 2);
        let e = regression(&x, &y, &RegressionOptions { lambdas: vec![1.0, 0.0], ..d.clone() })
            .unwrap_err()
            .to_string();
        assert!(e.contains("positive"), "{e}");
        let e = regression(&x.rows(0, 5).into_owned(), &y.rows(0, 5).into_owned(), &RegressionOptions {
            test_fraction: 0.8,
            ..d.clone()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("too few"), "{e}");
        let e = crate::data::splits::parse_split_file(r#"{"splits":[{"train":[0,1,2],"test":[3,30]}]}"#, 30).unwrap_err().to_string();
        assert!(e.contains("index 30 is out of range for 30"), "{e}");
        let e = crate::data::splits::parse_split_file(r#"{"folds":[]}"#, 30).unwrap_err().to_string();
        assert!(e.contains("split file"), "{e}");
        let s = crate::data::splits::parse_split_file(r#"{"splits":[{"train":[0,1,2,5],"test":[3,4]}]}"#, 30).unwrap();
        let r = regression(&x, &y, &RegressionOptions { splits: Some(s), ..d }).unwrap();
        assert_eq!((r.n_splits, r.splits_source.as_str()), (1, "given"));
    }
}
