//! A small multilayer perceptron in f32 (ReLU hidden layers, linear output),
//! trained by Adam on mean squared error with mini-batches and early stopping.
//! The engine of the nonlinear response predictor ([`super::nrp`]).
//!
//! Matrices are row-major `f32` slices, one row per image. Products go through
//! `matrixmultiply::sgemm`, which is single-threaded and sums in a fixed order
//! for given shapes, so a training run is a pure function of its inputs and
//! seed (parallelism lives one level up, over whole training runs).

use super::adam::AdamState;
use crate::rng::{stream_id, SeededRng};

/// Row-major matrix of images × features.
#[derive(Clone, Debug, PartialEq)]
pub struct Rows {
    pub data: Vec<f32>,
    pub nrows: usize,
    pub ncols: usize,
}

impl Rows {
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.ncols..(i + 1) * self.ncols]
    }

    /// The rows `idx`, in that order.
    pub fn gather(&self, idx: &[usize]) -> Rows {
        let mut data = Vec::with_capacity(idx.len() * self.ncols);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Rows { data, nrows: idx.len(), ncols: self.ncols }
    }
}

/// One fully connected layer, weights stored out × in as `torch.nn.Linear`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub w: Vec<f32>,
    pub b: Vec<f32>,
    pub n_in: usize,
    pub n_out: usize,
}

impl Linear {
    /// PyTorch's `nn.Linear.reset_parameters`: `kaiming_uniform_(w, a=sqrt(5))`
    /// gives bound = sqrt(2 / (1 + a²)) · sqrt(3 / fan_in) = 1 / sqrt(fan_in),
    /// and the bias is drawn from the same U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    fn init(n_in: usize, n_out: usize, rng: &mut SeededRng) -> Self {
        let bound = (1.0 / (n_in as f64).sqrt()) as f32;
        let mut w = vec![0.0; n_in * n_out];
        let mut b = vec![0.0; n_out];
        rng.fill_uniform(&mut w, -bound, bound);
        rng.fill_uniform(&mut b, -bound, bound);
        Linear { w, b, n_in, n_out }
    }
}

/// C (m × n) = A (m × k) · B (k × n) with explicit strides (row stride, column stride).
#[allow(clippy::too_many_arguments)]
fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    a_s: (usize, usize),
    b: &[f32],
    b_s: (usize, usize),
    c: &mut [f32],
) {
    debug_assert!(c.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].fill(0.0);
        return;
    }
    // SAFETY: the strides describe views inside `a` (m × k), `b` (k × n) and a
    // row-major `c` (m × n); every caller passes slices of exactly those sizes.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            a_s.0 as isize,
            a_s.1 as isize,
            b.as_ptr(),
            b_s.0 as isize,
            b_s.1 as isize,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// ReLU hidden layers and a linear output layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Linear>,
}

impl Mlp {
    /// Layer widths `[inputs, hidden.., outputs]`, weights seeded.
    pub fn new(widths: &[usize], rng: &mut SeededRng) -> Self {
        let layers = widths.windows(2).map(|w| Linear::init(w[0], w[1], rng)).collect();
        Mlp { layers }
    }

    /// Activations of every layer: [input copy, hidden.., output].
    fn forward_all(&self, x: &Rows) -> Vec<Vec<f32>> {
        let n = x.nrows;
        let mut acts = vec![x.data.clone()];
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let a = &acts[l];
            let mut z = vec![0.0f32; n * layer.n_out];
            // Z = A · Wᵀ; Wᵀ(i, j) = W[j * n_in + i].
            gemm(n, layer.n_in, layer.n_out, a, (layer.n_in, 1), &layer.w, (1, layer.n_in), &mut z);
            for row in z.chunks_mut(layer.n_out) {
                for (v, b) in row.iter_mut().zip(&layer.b) {
                    *v += b;
                    if l < last && *v < 0.0 {
                        *v = 0.0;
                    }
                }
            }
            acts.push(z);
        }
        acts
    }

    /// Predictions, one row per input row.
    pub fn predict(&self, x: &Rows) -> Rows {
        let out = self.forward_all(x).pop().unwrap();
        Rows { data: out, nrows: x.nrows, ncols: self.layers.last().unwrap().n_out }
    }

    /// Gradients (weights, biases) of each layer for the mean squared error
    /// over all n · q cells of the batch, by backpropagation.
    fn gradients(&self, x: &Rows, y: &Rows) -> Vec<(Vec<f32>, Vec<f32>)> {
        let n = x.nrows;
        let acts = self.forward_all(x);
        let scale = 2.0 / (n * y.ncols) as f32;
        let mut delta: Vec<f32> =
            acts.last().unwrap().iter().zip(&y.data).map(|(o, t)| scale * (o - t)).collect();
        let mut grads = vec![(Vec::new(), Vec::new()); self.layers.len()];
        for l in (0..self.layers.len()).rev() {
            let (n_in, n_out) = (self.layers[l].n_in, self.layers[l].n_out);
            let a = &acts[l];
            // dW (out × in) = deltaᵀ · A.
            let mut dw = vec![0.0f32; n_out * n_in];
            gemm(n_out, n, n_in, &delta, (1, n_out), a, (n_in, 1), &mut dw);
            let mut db = vec![0.0f32; n_out];
            for row in delta.chunks(n_out) {
                for (s, d) in db.iter_mut().zip(row) {
                    *s += d;
                }
            }
            if l > 0 {
                // delta_prev (n × in) = delta · W, masked by the ReLU of layer l-1.
                let mut prev = vec![0.0f32; n * n_in];
                gemm(n, n_out, n_in, &delta, (n_out, 1), &self.layers[l].w, (n_in, 1), &mut prev);
                for (p, &av) in prev.iter_mut().zip(a.iter()) {
                    if av <= 0.0 {
                        *p = 0.0;
                    }
                }
                delta = prev;
            }
            grads[l] = (dw, db);
        }
        grads
    }

    /// One Adam step (step number `t`, 1-based) on the batch's mean squared error.
    fn train_step(&mut self, x: &Rows, y: &Rows, adam: &mut [(AdamState, AdamState)], lr: f64, t: u32) {
        let grads = self.gradients(x, y);
        for ((layer, (sw, sb)), (dw, db)) in self.layers.iter_mut().zip(adam.iter_mut()).zip(grads) {
            sw.step(&mut layer.w, &dw, lr, t);
            sb.step(&mut layer.b, &db, lr, t);
        }
    }
}

/// Mean squared error over all cells, summed in f64 in row order.
pub fn mse(pred: &Rows, y: &Rows) -> f64 {
    let s: f64 = pred.data.iter().zip(&y.data).map(|(p, t)| ((p - t) as f64).powi(2)).sum();
    s / pred.data.len().max(1) as f64
}

/// How one network is trained.
#[derive(Clone, Debug)]
pub struct TrainSettings {
    pub hidden: Vec<usize>,
    pub learning_rate: f64,
    pub max_epochs: usize,
    pub batch_size: usize,
    pub patience: usize,
    pub seed: u64,
    /// Names the random streams of this run (initialisation and batch order).
    pub stream: String,
}

/// A trained network and how its training went.
#[derive(Clone, Debug)]
pub struct Trained {
    pub mlp: Mlp,
    /// Epoch whose weights were kept (0 = the initial weights).
    pub best_epoch: usize,
    pub epochs_run: usize,
    /// Validation MSE of the kept weights.
    pub validation_loss: f64,
}

/// Trains on (x_fit, y_fit), checking the validation MSE after every epoch;
/// stops after `patience` epochs without a strict improvement (or at
/// `max_epochs`) and returns the best weights seen, the initial ones included
/// (so a diverging learning rate returns a finite, if poor, model).
pub fn train(x_fit: &Rows, y_fit: &Rows, x_val: &Rows, y_val: &Rows, s: &TrainSettings) -> Trained {
    let mut widths = vec![x_fit.ncols];
    widths.extend_from_slice(&s.hidden);
    widths.push(y_fit.ncols);
    let mut init_rng = SeededRng::new(s.seed, stream_id(&format!("{}/init", s.stream)));
    let mut mlp = Mlp::new(&widths, &mut init_rng);
    let mut order_rng = SeededRng::new(s.seed, stream_id(&format!("{}/batches", s.stream)));
    let mut adam: Vec<(AdamState, AdamState)> =
        mlp.layers.iter().map(|l| (AdamState::new(l.w.len()), AdamState::new(l.b.len()))).collect();
    let val_loss = |m: &Mlp| {
        let v = mse(&m.predict(x_val), y_val);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut best = (mlp.clone(), 0usize, val_loss(&mlp));
    let (n, bs) = (x_fit.nrows, s.batch_size.max(1));
    let mut order: Vec<usize> = (0..n).collect();
    let (mut t, mut since, mut epochs_run) = (0u32, 0usize, 0usize);
    for epoch in 1..=s.max_epochs {
        for j in (1..n).rev() {
            let r = (order_rng.unit_f32() as f64 * (j + 1) as f64) as usize;
            order.swap(j, r.min(j));
        }
        for batch in order.chunks(bs) {
            t += 1;
            mlp.train_step(&x_fit.gather(batch), &y_fit.gather(batch), &mut adam, s.learning_rate, t);
        }
        epochs_run = epoch;
        let v = val_loss(&mlp);
        if v < best.2 {
            best = (mlp.clone(), epoch, v);
            since = 0;
        } else {
            since += 1;
            if since >= s.patience {
                break;
            }
        }
    }
    Trained { mlp: best.0, best_epoch: best.1, epochs_run, validation_loss: best.2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, p: usize, f: impl Fn(usize, usize) -> f32) -> Rows {
        Rows { data: (0..n * p).map(|k| f(k / p, k % p)).collect(), nrows: n, ncols: p }
    }

    /// Backpropagation agrees with central finite differences of the loss
    /// (computed in f64 from f32 forward passes, hence the loose tolerance).
    #[test]
    #[allow(clippy::needless_range_loop)]
    fn gradients_match_finite_differences() {
        let mut rng = SeededRng::new(3, 0);
        let mlp = Mlp::new(&[3, 5, 4, 2], &mut rng);
        let x = rows(6, 3, |i, j| ((i * 3 + j) as f32 * 0.37).sin());
        let y = rows(6, 2, |i, j| ((i + 2 * j) as f32 * 0.21).cos());
        let loss = |m: &Mlp| mse(&m.predict(&x), &y);
        let grads = mlp.gradients(&x, &y);
        let mut checked = 0;
        for l in 0..3 {
            for k in 0..mlp.layers[l].w.len() {
                let h = 1e-2f32;
                let (mut plus, mut minus) = (mlp.clone(), mlp.clone());
                plus.layers[l].w[k] += h;
                minus.layers[l].w[k] -= h;
                let numeric = (loss(&plus) - loss(&minus)) / (2.0 * h as f64);
                let analytic = grads[l].0[k] as f64;
                assert!(
                    (numeric - analytic).abs() < 2e-3 + 0.02 * numeric.abs(),
                    "layer {l} weight {k}: {numeric} vs {analytic}"
                );
                checked += 1;
            }
            for k in 0..mlp.layers[l].b.len() {
                let h = 1e-2f32;
                let (mut plus, mut minus) = (mlp.clone(), mlp.clone());
                plus.layers[l].b[k] += h;
                minus.layers[l].b[k] -= h;
                let numeric = (loss(&plus) - loss(&minus)) / (2.0 * h as f64);
                let analytic = grads[l].1[k] as f64;
                assert!(
                    (numeric - analytic).abs() < 2e-3 + 0.02 * numeric.abs(),
                    "layer {l} bias {k}: {numeric} vs {analytic}"
                );
            }
        }
        assert_eq!(checked, 15 + 20 + 8);
    }

    /// The initialisation bound is 1/sqrt(fan_in), as PyTorch's nn.Linear.
    #[test]
    fn init_bound() {
        let mut rng = SeededRng::new(0, 0);
        let m = Mlp::new(&[100, 50, 1], &mut rng);
        let max = m.layers[0].w.iter().fold(0.0f32, |a, b| a.max(b.abs()));
        assert!(max <= 0.1 && max > 0.099, "{max}");
        let max = m.layers[1].b.iter().fold(0.0f32, |a, b| a.max(b.abs()));
        assert!(max <= 1.0 / 50f32.sqrt());
    }
}
