//! The neural response predictor (NRP) of "Quantifying the Brain Predictivity
//! of Artificial Neural Networks With Nonlinear Response Mapping" (Front.
//! Comput. Neurosci. 2021, `../shared/papers/nonlinear-neural-predictivity.txt`): a multilayer
//! perceptron with two ReLU hidden layers maps one representation X (e.g. a
//! model layer, rows = images) to another Y (e.g. a brain region's units),
//! and is scored by held-out MAE (the headline) and R² per unit, beside a
//! ridge baseline fitted on the same footing (step 6), so the two mappings
//! are compared image for image.
//!
//! Per split:
//! 1. Standardise: X and Y columns are z-scored with the mean and population
//!    standard deviation (ddof 0) of the split's training images only
//!    (validation part included, test images never); a constant column keeps
//!    scale 1, as `sklearn.preprocessing.StandardScaler`. Predictions are
//!    mapped back to Y's units before scoring.
//! 2. Hold out a seeded `validation_fraction` of the training images.
//! 3. For every grid point (hidden sizes × learning rate) train an MLP on the
//!    rest ([`super::mlp`]: Adam with Kingma & Ba's defaults, MSE, mini-batches,
//!    PyTorch `nn.Linear` initialisation), stopping early after `patience`
//!    epochs without a better validation MSE and keeping the best weights.
//! 4. Keep the grid point with the lowest validation MSE (the first on ties)
//!    and predict the test images with it (no refit on the validation part).
//! 5. Score each unit with `sklearn.metrics.r2_score` and
//!    `sklearn.metrics.mean_absolute_error` (`multioutput='raw_values'`).
//! 6. The linear baseline on the very same footing ([`ridge_baseline`]): ridge
//!    regression with an intercept on the same standardised X and Y, fitted on
//!    the same fit part for every λ of a grid ([`RIDGE_LAMBDAS`] unless given),
//!    the λ of lowest validation MSE on the same validation images kept (no
//!    refit), scored on the same test images. A fixed λ on unscaled features
//!    would be no fair rival to a tuned, standardised MLP.
//!
//! `value` is the MLP's mean held-out MAE (over units, then over splits), the
//! NRP paper's headline ("The NRP-error is the mean absolute error between the
//! predicted firing rates and neural measurements"): lower is better. `r2` is
//! the mean over splits of `r2_score(y_test, y_pred, multioutput='uniform_average')`.
//! [`nrp_pooled`] instead scores K folds that hold out every image once on
//! their pooled predictions (R² and MAE over all n images): the small-run
//! rule of [`super::splits::plan`], for splits too small to score alone.
//!
//! Training is in f32 (ridge in f64); every run (split × grid point) is seeded by
//! (`seed`, split, grid point) and independent, and runs are parallel over
//! rayon, so results do not depend on the thread count. Bits may differ
//! between CPUs or native and wasm, since the f32 GEMM picks its kernel
//! (FMA or not) for the machine.

use super::check;
use super::mlp::{self, Rows, TrainSettings};
use super::ridge;
use super::splits::{self, Split};
use crate::error::{Error, Result};
use crate::rng::{stream_id, SeededRng};
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::Serialize;

/// How the NRP is trained and selected.
#[derive(Clone, Debug, PartialEq)]
pub struct NrpOptions {
    /// Hidden layer widths to try, e.g. [[64, 64], [256, 256]] (two ReLU layers each).
    pub hidden_sizes: Vec<Vec<usize>>,
    /// Adam learning rates to try.
    pub learning_rates: Vec<f64>,
    /// Upper bound on training epochs.
    pub max_epochs: usize,
    /// Images per mini-batch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Epochs without a strictly lower validation MSE before stopping.
    pub patience: usize,
    /// Share of each split's training images held out for early stopping and
    /// the grid search (rounded; at least 2 images, and 2 left to fit on).
    pub validation_fraction: f64,
    pub seed: u64,
}

impl Default for NrpOptions {
    fn default() -> Self {
        NrpOptions {
            hidden_sizes: vec![vec![64, 64], vec![256, 256]],
            learning_rates: vec![1e-3, 1e-4],
            max_epochs: 200,
            batch_size: 32,
            patience: 10,
            validation_fraction: 0.1,
            seed: 0,
        }
    }
}

impl NrpOptions {
    /// The grid experiments use unless their parameters say otherwise: one
    /// width ([64, 64]) and one learning rate (1e-3), at most 100 epochs with
    /// patience 5, so that a layer-by-layer run over several sources fits in
    /// a browser tab (the full grid of [`NrpOptions::default`] trains four
    /// networks per split for up to 200 epochs each).
    pub fn quick() -> Self {
        NrpOptions { hidden_sizes: vec![vec![64, 64]], learning_rates: vec![1e-3], max_epochs: 100, patience: 5, ..NrpOptions::default() }
    }
}

/// The ridge baseline's λ grid when none is given: one value per decade from
/// 10⁻² to 10⁶. X is standardised, so λ is in units of (images x unit
/// variance): from almost no shrinkage to almost all, for the hundreds of
/// images and features the lab's mappings see.
pub const RIDGE_LAMBDAS: [f64; 9] = [1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

/// One trained grid point.
#[derive(Clone, Debug, Serialize)]
pub struct GridPoint {
    pub hidden: Vec<usize>,
    pub learning_rate: f64,
    /// Validation MSE (standardised units) of the kept weights.
    pub validation_loss: f64,
    /// Epoch of the kept weights (0 = initial weights).
    pub best_epoch: usize,
    pub epochs_run: usize,
}

/// Held-out scores of one split.
#[derive(Clone, Debug, Serialize)]
pub struct NrpSplit {
    pub n_fit: usize,
    pub n_validation: usize,
    pub n_test: usize,
    /// The chosen grid point (lowest validation loss).
    pub chosen: GridPoint,
    /// Every grid point, in the order hidden sizes × learning rates.
    pub grid: Vec<GridPoint>,
    /// Mean over units of `r2_per_unit`.
    pub r2: f64,
    /// Mean over units of `mae_per_unit`.
    pub mae: f64,
    pub r2_per_unit: Vec<f64>,
    pub mae_per_unit: Vec<f64>,
    /// Units constant over this split's test images: their R² follows
    /// sklearn (1 if predicted exactly, else 0) and is counted here.
    pub constant_test_units: usize,
    /// The ridge baseline's λ, chosen on this split's validation images.
    pub ridge_lambda: f64,
    /// The ridge baseline's validation MSE (standardised units) per λ of the grid.
    pub ridge_validation_loss: Vec<f64>,
    /// Mean over units of `ridge_r2_per_unit` / `ridge_mae_per_unit`.
    pub ridge_r2: f64,
    pub ridge_mae: f64,
    pub ridge_r2_per_unit: Vec<f64>,
    pub ridge_mae_per_unit: Vec<f64>,
}

/// The NRP's held-out performance over all splits.
#[derive(Clone, Debug, Serialize)]
pub struct NrpResult {
    /// The headline: the MLP's mean held-out MAE (units, then splits), in Y's
    /// units; lower is better. The same number as `mae`.
    pub value: f64,
    pub mae: f64,
    /// The MLP's mean held-out R² (units, then splits).
    pub r2: f64,
    /// Per unit, averaged over splits.
    pub r2_per_unit: Vec<f64>,
    pub mae_per_unit: Vec<f64>,
    /// The ridge baseline's λ grid (each split's choice is in `splits`).
    pub ridge_lambdas: Vec<f64>,
    /// The ridge baseline's mean held-out R² and MAE, and per unit, on the same
    /// splits and pooled alike.
    pub ridge_r2: f64,
    pub ridge_mae: f64,
    pub ridge_r2_per_unit: Vec<f64>,
    pub ridge_mae_per_unit: Vec<f64>,
    pub splits: Vec<NrpSplit>,
    pub n_stimuli: usize,
    pub n_inputs: usize,
    pub n_outputs: usize,
    /// True when `value`, `mae` and the per-unit scores are over the pooled
    /// predictions of K folds ([`nrp_pooled`]) rather than means over splits.
    pub pooled: bool,
    /// What the small-run rule did (set by the caller that chose the splits).
    pub warnings: Vec<String>,
}

/// A fit on given training images and its predictions for other images.
#[derive(Clone, Debug)]
pub struct NrpFit {
    pub prediction: DMatrix<f64>,
    pub chosen: GridPoint,
    pub grid: Vec<GridPoint>,
    pub n_fit: usize,
    pub n_validation: usize,
}

/// `sklearn.metrics.r2_score(y, pred, multioutput='raw_values')` (with its
/// default `force_finite=True`: a constant column scores 1 if predicted
/// exactly, else 0). Returns the scores and the number of constant columns.
pub fn r2_per_unit(y: &DMatrix<f64>, pred: &DMatrix<f64>) -> (Vec<f64>, usize) {
    let n = y.nrows() as f64;
    let mut constant = 0;
    let scores = (0..y.ncols())
        .map(|j| {
            let mean = y.column(j).iter().sum::<f64>() / n;
            let den: f64 = y.column(j).iter().map(|v| (v - mean) * (v - mean)).sum();
            let num: f64 =
                y.column(j).iter().zip(pred.column(j).iter()).map(|(a, b)| (a - b) * (a - b)).sum();
            if den == 0.0 {
                constant += 1;
                if num == 0.0 {
                    1.0
                } else {
                    0.0
                }
            } else {
                1.0 - num / den
            }
        })
        .collect();
    (scores, constant)
}

/// `sklearn.metrics.mean_absolute_error(y, pred, multioutput='raw_values')`.
pub fn mae_per_unit(y: &DMatrix<f64>, pred: &DMatrix<f64>) -> Vec<f64> {
    let n = y.nrows() as f64;
    (0..y.ncols())
        .map(|j| y.column(j).iter().zip(pred.column(j).iter()).map(|(a, b)| (a - b).abs()).sum::<f64>() / n)
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn check_options(o: &NrpOptions) -> Result<()> {
    let bad = |m: String| Err(Error::Input(format!("NRP options: {m}")));
    if o.hidden_sizes.is_empty() || o.learning_rates.is_empty() {
        return bad("the grid needs at least one hidden-size list and one learning rate".into());
    }
    if let Some(h) = o.hidden_sizes.iter().find(|h| h.contains(&0)) {
        return bad(format!("hidden layer widths must be at least 1, got {h:?}"));
    }
    if let Some(lr) = o.learning_rates.iter().find(|lr| !(lr.is_finite() && **lr > 0.0)) {
        return bad(format!("learning rates must be positive and finite, got {lr}"));
    }
    if o.max_epochs == 0 || o.batch_size == 0 {
        return bad(format!(
            "max_epochs ({}) and batch_size ({}) must be at least 1",
            o.max_epochs, o.batch_size
        ));
    }
    if !(o.validation_fraction > 0.0 && o.validation_fraction < 1.0) {
        return bad(format!(
            "the validation fraction must be between 0 and 1 (exclusive), got {}",
            o.validation_fraction
        ));
    }
    Ok(())
}

fn check_lambdas(lambdas: &[f64]) -> Result<()> {
    if lambdas.is_empty() {
        return Err(Error::Input("NRP options: the ridge baseline needs at least one λ".into()));
    }
    lambdas.iter().try_for_each(|&l| ridge::check_lambda(l))
}

/// One split's data, standardised and split into fit / validation parts.
struct Prepared {
    fit: Vec<usize>,
    val: Vec<usize>,
    x_fit: Rows,
    y_fit: Rows,
    x_val: Rows,
    y_val: Rows,
    x_test: Rows,
    y_mean: Vec<f64>,
    y_scale: Vec<f64>,
}

/// Column mean and population sd over `rows`; sd 0 becomes 1 (StandardScaler).
fn scaler(m: &DMatrix<f64>, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len() as f64;
    (0..m.ncols())
        .map(|j| {
            let mu = rows.iter().map(|&i| m[(i, j)]).sum::<f64>() / n;
            let var = rows.iter().map(|&i| (m[(i, j)] - mu).powi(2)).sum::<f64>() / n;
            (mu, if var > 0.0 { var.sqrt() } else { 1.0 })
        })
        .unzip()
}

fn standardised(m: &DMatrix<f64>, rows: &[usize], mu: &[f64], sd: &[f64]) -> Rows {
    let p = m.ncols();
    let mut data = Vec::with_capacity(rows.len() * p);
    for &i in rows {
        data.extend((0..p).map(|j| ((m[(i, j)] - mu[j]) / sd[j]) as f32));
    }
    Rows { data, nrows: rows.len(), ncols: p }
}

/// Split `i`'s training images into the part the mappings are fitted on and
/// the validation part that stops the MLP early and chooses its grid point and
/// ridge's λ (a seeded shuffle; both parts sorted), as `(fit, validation)`.
pub fn validation_part(train: &[usize], i: usize, o: &NrpOptions) -> Result<(Vec<usize>, Vec<usize>)> {
    let n_train = train.len();
    let n_val = ((n_train as f64) * o.validation_fraction).round() as usize;
    if n_val < 2 || n_train < n_val + 2 {
        return Err(Error::Input(format!(
            "NRP split {i}: {n_train} training images are too few for a {:.0}% validation part \
             (it has {n_val}); at least 2 validation and 2 fitting images are needed",
            o.validation_fraction * 100.0
        )));
    }
    let mut order = train.to_vec();
    let mut rng = SeededRng::new(o.seed, stream_id(&format!("nrp/validation/{i}")));
    for j in (1..n_train).rev() {
        let r = (rng.unit_f32() as f64 * (j + 1) as f64) as usize;
        order.swap(j, r.min(j));
    }
    let (mut val, mut fit) = (order[..n_val].to_vec(), order[n_val..].to_vec());
    val.sort_unstable();
    fit.sort_unstable();
    Ok((fit, val))
}

fn prepare(x: &DMatrix<f64>, y: &DMatrix<f64>, split: &Split, i: usize, o: &NrpOptions) -> Result<Prepared> {
    let (fit, val) = validation_part(&split.train, i, o)?;
    let (x_mu, x_sd) = scaler(x, &split.train);
    let (y_mean, y_scale) = scaler(y, &split.train);
    Ok(Prepared {
        x_fit: standardised(x, &fit, &x_mu, &x_sd),
        y_fit: standardised(y, &fit, &y_mean, &y_scale),
        x_val: standardised(x, &val, &x_mu, &x_sd),
        y_val: standardised(y, &val, &y_mean, &y_scale),
        x_test: standardised(x, &split.test, &x_mu, &x_sd),
        y_mean,
        y_scale,
        fit,
        val,
    })
}

/// The linear baseline of one split, fitted as the MLP is.
#[derive(Clone, Debug)]
pub struct RidgeBaseline {
    /// The λ of lowest validation MSE (the first of the grid on ties).
    pub lambda: f64,
    /// Validation MSE per λ, over the validation images and units of the
    /// standardised Y (the loss the MLP's grid is chosen by).
    pub validation_loss: Vec<f64>,
    /// The `test` rows' predictions at `lambda`, in Y's units.
    pub prediction: DMatrix<f64>,
}

/// Ridge regression as the MLP's rival, on its footing: X and Y standardised
/// with the `train` rows' column means and population sds (a constant column
/// keeps scale 1), `Ridge(alpha=λ, fit_intercept=True)` fitted on the `fit`
/// rows for every λ of `lambdas`, the λ of lowest validation MSE on the `val`
/// rows kept, and the `test` rows predicted with that fit (not refitted on
/// the validation rows, as the MLP is not), mapped back to Y's units. As
/// scikit-learn's `StandardScaler` + `Ridge` (checked in `crate/tests/metrics_nrp.rs`).
pub fn ridge_baseline(
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    train: &[usize],
    fit: &[usize],
    val: &[usize],
    test: &[usize],
    lambdas: &[f64],
) -> Result<RidgeBaseline> {
    check::pair(x, y, 4, "the ridge baseline")?;
    check_lambdas(lambdas)?;
    let (x_mu, x_sd) = scaler(x, train);
    let (y_mu, y_sd) = scaler(y, train);
    let xs = DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| (x[(i, j)] - x_mu[j]) / x_sd[j]);
    let ys = DMatrix::from_fn(y.nrows(), y.ncols(), |i, j| (y[(i, j)] - y_mu[j]) / y_sd[j]);
    // One decomposition predicts the validation and the test rows for every λ.
    let held: Vec<usize> = val.iter().chain(test).copied().collect();
    let model = ridge::fit_split(&xs, &ys, fit, &held, None)?;
    let n_val = val.len();
    let mut validation_loss = Vec::with_capacity(lambdas.len());
    let mut best: Option<(usize, DMatrix<f64>)> = None;
    for (g, &l) in lambdas.iter().enumerate() {
        let pred = model.predict(l)?;
        let mut sse = 0.0;
        for (r, &i) in val.iter().enumerate() {
            for c in 0..ys.ncols() {
                sse += (pred[(r, c)] - ys[(i, c)]).powi(2);
            }
        }
        let loss = sse / (n_val * ys.ncols()) as f64;
        if best.as_ref().map_or(true, |(b, _)| loss < validation_loss[*b]) {
            best = Some((g, pred));
        }
        validation_loss.push(loss);
    }
    let (g, pred) = best.expect("at least one λ");
    let prediction = DMatrix::from_fn(test.len(), y.ncols(), |r, c| pred[(n_val + r, c)] * y_sd[c] + y_mu[c]);
    Ok(RidgeBaseline { lambda: lambdas[g], validation_loss, prediction })
}

/// One split's outcome: test predictions in Y's units, the grid, the index
/// of the chosen grid point, and the fit / validation image counts.
struct SplitFit {
    prediction: DMatrix<f64>,
    grid: Vec<GridPoint>,
    best: usize,
    n_fit: usize,
    n_validation: usize,
    ridge: RidgeBaseline,
}

/// Trains every grid point of every split (in parallel, one run per task)
/// and picks each split's best.
fn fit_splits(x: &DMatrix<f64>, y: &DMatrix<f64>, splits: &[Split], o: &NrpOptions, lambdas: &[f64]) -> Result<Vec<SplitFit>> {
    let prepared: Vec<Prepared> =
        splits.iter().enumerate().map(|(i, s)| prepare(x, y, s, i, o)).collect::<Result<_>>()?;
    let ridges: Vec<RidgeBaseline> = prepared
        .par_iter()
        .zip(splits)
        .map(|(p, s)| ridge_baseline(x, y, &s.train, &p.fit, &p.val, &s.test, lambdas))
        .collect::<Result<_>>()?;
    let grid: Vec<(Vec<usize>, f64)> =
        o.hidden_sizes.iter().flat_map(|h| o.learning_rates.iter().map(move |&lr| (h.clone(), lr))).collect();
    let jobs: Vec<(usize, usize)> =
        (0..splits.len()).flat_map(|i| (0..grid.len()).map(move |g| (i, g))).collect();
    let trained: Vec<mlp::Trained> = jobs
        .par_iter()
        .map(|&(i, g)| {
            let p = &prepared[i];
            let settings = TrainSettings {
                hidden: grid[g].0.clone(),
                learning_rate: grid[g].1,
                max_epochs: o.max_epochs,
                batch_size: o.batch_size,
                patience: o.patience,
                seed: o.seed,
                stream: format!("nrp/split/{i}/grid/{g}"),
            };
            mlp::train(&p.x_fit, &p.y_fit, &p.x_val, &p.y_val, &settings)
        })
        .collect();
    Ok(trained
        .chunks(grid.len())
        .zip(&prepared)
        .zip(ridges)
        .map(|((runs, p), ridge)| {
            let points: Vec<GridPoint> = runs
                .iter()
                .zip(&grid)
                .map(|(t, (h, lr))| GridPoint {
                    hidden: h.clone(),
                    learning_rate: *lr,
                    validation_loss: t.validation_loss,
                    best_epoch: t.best_epoch,
                    epochs_run: t.epochs_run,
                })
                .collect();
            let mut best = 0;
            for (g, t) in runs.iter().enumerate() {
                if t.validation_loss < runs[best].validation_loss {
                    best = g;
                }
            }
            let out = runs[best].mlp.predict(&p.x_test);
            let pred = DMatrix::from_fn(out.nrows, out.ncols, |r, c| {
                out.data[r * out.ncols + c] as f64 * p.y_scale[c] + p.y_mean[c]
            });
            SplitFit {
                prediction: pred,
                grid: points,
                best,
                n_fit: p.x_fit.nrows,
                n_validation: p.x_val.nrows,
                ridge,
            }
        })
        .collect())
}

/// The NRP's held-out MAE and R² over the given splits (rows = stimuli),
/// with the ridge baseline on [`RIDGE_LAMBDAS`].
pub fn nrp(x: &DMatrix<f64>, y: &DMatrix<f64>, splits: &[Split], o: &NrpOptions) -> Result<NrpResult> {
    nrp_with_lambdas(x, y, splits, o, &RIDGE_LAMBDAS, false)
}

/// The NRP on K folds that hold out every stimulus once, scored over the
/// pooled held-out predictions (R² and MAE per unit over all n images).
pub fn nrp_pooled(x: &DMatrix<f64>, y: &DMatrix<f64>, folds: &[Split], o: &NrpOptions) -> Result<NrpResult> {
    nrp_with_lambdas(x, y, folds, o, &RIDGE_LAMBDAS, true)
}

/// [`nrp`] (or, `pooled`, [`nrp_pooled`]) with the ridge baseline's λ grid given.
pub fn nrp_with_lambdas(
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    splits: &[Split],
    o: &NrpOptions,
    lambdas: &[f64],
    pooled: bool,
) -> Result<NrpResult> {
    if pooled && !splits::is_partition(splits, x.nrows()) {
        return Err(Error::Input("the NRP: pooled folds must hold out every stimulus exactly once".into()));
    }
    score(x, y, splits, o, lambdas, pooled)
}

fn score(x: &DMatrix<f64>, y: &DMatrix<f64>, splits: &[Split], o: &NrpOptions, lambdas: &[f64], pooled: bool) -> Result<NrpResult> {
    check::pair(x, y, 6, "the NRP")?;
    if x.ncols() == 0 || y.ncols() == 0 {
        return Err(Error::Input(format!(
            "the NRP needs at least one unit on each side: X has {}, Y has {}",
            x.ncols(),
            y.ncols()
        )));
    }
    check_options(o)?;
    check_lambdas(lambdas)?;
    splits::validate(splits, x.nrows())?;
    let fits = fit_splits(x, y, splits, o, lambdas)?;
    // Pooled folds: R² and MAE per unit over all n held-out predictions, both mappings alike.
    let pooled_units = pooled.then(|| {
        let units = |all: DMatrix<f64>| (r2_per_unit(y, &all).0, mae_per_unit(y, &all));
        (
            units(splits::pool(splits, fits.iter().map(|f| &f.prediction), y.nrows(), y.ncols())),
            units(splits::pool(splits, fits.iter().map(|f| &f.ridge.prediction), y.nrows(), y.ncols())),
        )
    });
    let results: Vec<NrpSplit> = fits
        .into_iter()
        .zip(splits)
        .map(|(SplitFit { prediction: pred, grid, best, n_fit, n_validation: n_val, ridge }, s)| {
            let y_test = DMatrix::from_fn(s.test.len(), y.ncols(), |r, c| y[(s.test[r], c)]);
            let (r2u, constant) = r2_per_unit(&y_test, &pred);
            let maeu = mae_per_unit(&y_test, &pred);
            let ridge_r2u = r2_per_unit(&y_test, &ridge.prediction).0;
            let ridge_maeu = mae_per_unit(&y_test, &ridge.prediction);
            NrpSplit {
                n_fit,
                n_validation: n_val,
                n_test: s.test.len(),
                chosen: grid[best].clone(),
                grid,
                r2: mean(&r2u),
                mae: mean(&maeu),
                r2_per_unit: r2u,
                mae_per_unit: maeu,
                constant_test_units: constant,
                ridge_lambda: ridge.lambda,
                ridge_validation_loss: ridge.validation_loss,
                ridge_r2: mean(&ridge_r2u),
                ridge_mae: mean(&ridge_maeu),
                ridge_r2_per_unit: ridge_r2u,
                ridge_mae_per_unit: ridge_maeu,
            }
        })
        .collect();
    let k = results.len() as f64;
    let per_unit = |f: fn(&NrpSplit) -> &Vec<f64>| -> Vec<f64> {
        (0..y.ncols()).map(|j| results.iter().map(|r| f(r)[j]).sum::<f64>() / k).collect()
    };
    let ((r2u, maeu), (ridge_r2u, ridge_maeu)) = match pooled_units {
        Some(both) => both,
        None => (
            (per_unit(|r| &r.r2_per_unit), per_unit(|r| &r.mae_per_unit)),
            (per_unit(|r| &r.ridge_r2_per_unit), per_unit(|r| &r.ridge_mae_per_unit)),
        ),
    };
    // Means over units of the per-unit means over splits: the means over splits of the split means.
    let (r2, mae) = (mean(&r2u), mean(&maeu));
    Ok(NrpResult {
        value: mae,
        mae,
        r2,
        r2_per_unit: r2u,
        mae_per_unit: maeu,
        ridge_lambdas: lambdas.to_vec(),
        ridge_r2: mean(&ridge_r2u),
        ridge_mae: mean(&ridge_maeu),
        ridge_r2_per_unit: ridge_r2u,
        ridge_mae_per_unit: ridge_maeu,
        n_stimuli: x.nrows(),
        n_inputs: x.ncols(),
        n_outputs: y.ncols(),
        splits: results,
        pooled,
        warnings: Vec::new(),
    })
}

/// Fits the NRP (grid search, early stopping) on (x_train, y_train) and
/// predicts Y for `x_test`; the same procedure as one split of [`nrp`]
/// (split number 0 of `o.seed`).
pub fn nrp_fit_predict(
    x_train: &DMatrix<f64>,
    y_train: &DMatrix<f64>,
    x_test: &DMatrix<f64>,
    o: &NrpOptions,
) -> Result<NrpFit> {
    check::pair(x_train, y_train, 4, "the NRP")?;
    check::finite(x_test, "X (test)")?;
    if x_test.ncols() != x_train.ncols() {
        return Err(Error::Input(format!(
            "the NRP's test inputs have {} columns, its training inputs {}",
            x_test.ncols(),
            x_train.ncols()
        )));
    }
    check_options(o)?;
    let (n1, n2) = (x_train.nrows(), x_test.nrows());
    let x = DMatrix::from_fn(n1 + n2, x_train.ncols(), |r, c| {
        if r < n1 {
            x_train[(r, c)]
        } else {
            x_test[(r - n1, c)]
        }
    });
    let y = DMatrix::from_fn(n1 + n2, y_train.ncols(), |r, c| if r < n1 { y_train[(r, c)] } else { 0.0 });
    let split = Split { train: (0..n1).collect(), test: (n1..n1 + n2).collect() };
    let SplitFit { prediction, grid, best, n_fit, n_validation, .. } =
        fit_splits(&x, &y, &[split], o, &RIDGE_LAMBDAS)?.pop().expect("one split, one fit");
    Ok(NrpFit { prediction, chosen: grid[best].clone(), grid, n_fit, n_validation })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::splits::random_splits;

    fn normal(n: usize, p: usize, seed: u64) -> DMatrix<f64> {
        crate::testing::normal_matrix(n, p, seed, 0)
    }

    fn small() -> NrpOptions {
        NrpOptions {
            hidden_sizes: vec![vec![32, 32]],
            learning_rates: vec![1e-2, 1e-3],
            max_epochs: 150,
            batch_size: 32,
            patience: 15,
            validation_fraction: 0.15,
            seed: 1,
        }
    }

    /// Ordinary least squares with an intercept, fitted on the training rows.
    fn linear_baseline(x: &DMatrix<f64>, y: &DMatrix<f64>, s: &Split) -> f64 {
        let design = |rows: &[usize]| {
            DMatrix::from_fn(rows.len(), x.ncols() + 1, |r, c| if c == 0 { 1.0 } else { x[(rows[r], c - 1)] })
        };
        let pick = |rows: &[usize]| DMatrix::from_fn(rows.len(), y.ncols(), |r, c| y[(rows[r], c)]);
        let beta = design(&s.train).svd(true, true).solve(&pick(&s.train), 1e-12).unwrap();
        let pred = design(&s.test) * beta;
        mean(&r2_per_unit(&pick(&s.test), &pred).0)
    }

    /// Y = x0² - x1², x0·x1 + relu(x2): the NRP scores far above least squares.
    #[test]
    fn fits_a_nonlinear_target_better_than_linear() {
        let x = normal(240, 3, 10);
        let y = DMatrix::from_fn(240, 2, |i, j| {
            let (a, b, c) = (x[(i, 0)], x[(i, 1)], x[(i, 2)]);
            if j == 0 {
                a * a - b * b
            } else {
                a * b + c.max(0.0)
            }
        });
        let splits = random_splits(240, 1, 0.2, 3).unwrap();
        let r = nrp(&x, &y, &splits, &small()).unwrap();
        let lin = linear_baseline(&x, &y, &splits[0]);
        assert!(r.r2 > 0.8 && lin < 0.3, "NRP {} vs linear {lin}", r.r2);
        // The tuned ridge baseline cannot fit it either; the headline is the MLP's MAE.
        assert!(r.ridge_r2 < 0.3 && r.mae < r.ridge_mae, "{} {} {}", r.ridge_r2, r.mae, r.ridge_mae);
        assert_eq!(r.value, r.mae);
        assert_eq!(r.splits[0].grid.len(), 2);
        assert_eq!((r.splits[0].n_fit + r.splits[0].n_validation, r.splits[0].n_test), (192, 48));
    }

    /// A linear target: the baseline predicts it almost exactly, with a small
    /// λ chosen on the validation images, and scores what `ridge_baseline`
    /// gives on the same fit / validation parts.
    #[test]
    fn ridge_baseline_fits_a_linear_target_on_the_mlps_parts() {
        let x = normal(120, 5, 30);
        let y = DMatrix::from_fn(120, 2, |i, j| 3.0 * x[(i, j)] - x[(i, 4)] + 10.0 + 0.01 * x[(i, 2 + j)]);
        let splits = random_splits(120, 2, 0.2, 4).unwrap();
        let mut o = small();
        o.max_epochs = 5;
        let r = nrp(&x, &y, &splits, &o).unwrap();
        assert!(r.ridge_r2 > 0.999, "{}", r.ridge_r2);
        assert_eq!(r.ridge_lambdas, RIDGE_LAMBDAS);
        for (i, (s, got)) in splits.iter().zip(&r.splits).enumerate() {
            let (fit, val) = validation_part(&s.train, i, &o).unwrap();
            assert_eq!((fit.len(), val.len()), (got.n_fit, got.n_validation));
            let b = ridge_baseline(&x, &y, &s.train, &fit, &val, &s.test, &RIDGE_LAMBDAS).unwrap();
            assert_eq!(b.lambda, got.ridge_lambda);
            assert!(b.lambda <= 1.0, "{}", b.lambda);
            assert_eq!(b.validation_loss, got.ridge_validation_loss);
            let y_test = DMatrix::from_fn(s.test.len(), 2, |r, c| y[(s.test[r], c)]);
            assert_eq!(mae_per_unit(&y_test, &b.prediction), got.ridge_mae_per_unit);
        }
        let e = nrp_with_lambdas(&x, &y, &splits, &o, &[], false).unwrap_err().to_string();
        assert!(e.contains("at least one λ"), "{e}");
        let e = nrp_with_lambdas(&x, &y, &splits, &o, &[1.0, -1.0], false).unwrap_err().to_string();
        assert!(e.contains("must be positive"), "{e}");
    }

    /// Y = X is learned almost exactly.
    #[test]
    fn learns_the_identity() {
        let x = normal(160, 3, 11);
        let x_test = normal(40, 3, 12);
        let fit = nrp_fit_predict(&x, &x, &x_test, &small()).unwrap();
        let (r2, _) = r2_per_unit(&x_test, &fit.prediction);
        assert!(r2.iter().all(|v| *v > 0.95), "{r2:?}");
        assert!(fit.chosen.best_epoch > 0);
    }

    /// Same seed, same bits; another seed, other numbers; 1 and 3 threads agree.
    #[test]
    fn deterministic_and_thread_independent() {
        let x = normal(60, 4, 20);
        let y = DMatrix::from_fn(60, 3, |i, j| (x[(i, j)] * 1.5).tanh() + 0.1 * x[(i, 3)]);
        let splits = random_splits(60, 3, 0.2, 0).unwrap();
        let mut o = small();
        o.max_epochs = 20;
        o.hidden_sizes = vec![vec![8, 8], vec![16, 4]];
        let run = |threads: usize, o: &NrpOptions| {
            let r = crate::testing::in_pool(threads, || nrp(&x, &y, &splits, o)).unwrap();
            let mut bits: Vec<u64> = r
                .r2_per_unit
                .iter()
                .chain(&r.mae_per_unit)
                .chain(&r.ridge_r2_per_unit)
                .chain(&r.ridge_mae_per_unit)
                .map(|v| v.to_bits())
                .collect();
            bits.extend(r.splits.iter().flat_map(|s| s.grid.iter().map(|g| g.validation_loss.to_bits())));
            bits
        };
        let one = run(1, &o);
        assert_eq!(one, run(3, &o));
        assert_eq!(one, run(1, &o));
        o.seed = 2;
        assert_ne!(one, run(3, &o));
    }

    /// A diverging learning rate still returns finite scores (best weights kept).
    #[test]
    fn huge_learning_rate_stays_finite() {
        let x = normal(40, 3, 5);
        let y = normal(40, 2, 6);
        let mut o = small();
        o.learning_rates = vec![1e6];
        o.max_epochs = 10;
        let r = nrp(&x, &y, &random_splits(40, 1, 0.2, 0).unwrap(), &o).unwrap();
        assert!(r.value.is_finite() && r.mae.is_finite());
    }

    #[test]
    fn bad_inputs_are_refused_with_reasons() {
        let x = normal(30, 3, 1);
        let y = normal(29, 2, 2);
        let s = random_splits(30, 1, 0.2, 0).unwrap();
        let e = nrp(&x, &y, &s, &small()).unwrap_err().to_string();
        assert!(e.contains("X has 30 rows, Y has 29"), "{e}");
        let mut y = normal(30, 2, 2);
        y[(4, 1)] = f64::NAN;
        let e = nrp(&x, &y, &s, &small()).unwrap_err().to_string();
        assert!(e.contains("Y has a non-finite value (NaN) at row 4, column 1"), "{e}");
        let y = normal(30, 2, 2);
        let tiny = vec![Split { train: vec![0, 1, 2, 3, 4, 5], test: vec![6, 7] }];
        let e = nrp(&x, &y, &tiny, &small()).unwrap_err().to_string();
        assert!(e.contains("6 training images are too few") && e.contains("(it has 1)"), "{e}");
        let mut o = small();
        o.learning_rates = vec![0.0];
        let e = nrp(&x, &y, &s, &o).unwrap_err().to_string();
        assert!(e.contains("learning rates must be positive"), "{e}");
        o = small();
        o.hidden_sizes = vec![vec![4, 0]];
        assert!(nrp(&x, &y, &s, &o).unwrap_err().to_string().contains("at least 1"));
        let bad = vec![Split { train: vec![0, 1, 2], test: vec![3, 40] }];
        assert!(nrp(&x, &y, &bad, &small()).unwrap_err().to_string().contains("out of range"));
    }

    /// sklearn's conventions on hand-checked numbers.
    #[test]
    fn r2_and_mae_conventions() {
        let y = DMatrix::from_row_slice(3, 3, &[1.0, 5.0, 5.0, 2.0, 5.0, 5.0, 3.0, 5.0, 5.0]);
        let p = DMatrix::from_row_slice(3, 3, &[1.0, 5.0, 4.0, 2.0, 5.0, 5.0, 4.0, 5.0, 5.0]);
        let (r2, constant) = r2_per_unit(&y, &p);
        assert_eq!(r2, vec![0.5, 1.0, 0.0]);
        assert_eq!(constant, 2);
        assert_eq!(mae_per_unit(&y, &p), vec![1.0 / 3.0, 0.0, 1.0 / 3.0]);
    }
}
