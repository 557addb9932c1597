//! Adam (Kingma & Ba 2015, "Adam: A method for stochastic optimization",
//! ICLR), written as `torch.optim.Adam` applies it (no weight decay, no
//! amsgrad): bias-corrected moments, `eps` added to the corrected root.

/// Kingma & Ba's defaults, also PyTorch's and scikit-learn's.
pub const BETA1: f64 = 0.9;
pub const BETA2: f64 = 0.999;
pub const EPS: f64 = 1e-8;

/// First and second moment estimates of one parameter tensor.
#[derive(Clone, Debug)]
pub struct AdamState {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl AdamState {
    pub fn new(len: usize) -> Self {
        AdamState { m: vec![0.0; len], v: vec![0.0; len] }
    }

    /// One update at step `t` (1-based):
    /// m ← β1 m + (1-β1) g, v ← β2 v + (1-β2) g²,
    /// p ← p - lr · (m / (1-β1ᵗ)) / (sqrt(v / (1-β2ᵗ)) + ε).
    pub fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f64, t: u32) {
        debug_assert_eq!(params.len(), grads.len());
        let bc1 = (1.0 - BETA1.powi(t as i32)) as f32;
        let bc2_sqrt = (1.0 - BETA2.powi(t as i32)).sqrt() as f32;
        let (b1, b2, eps, lr) = (BETA1 as f32, BETA2 as f32, EPS as f32, lr as f32);
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            let denom = v.sqrt() / bc2_sqrt + eps;
            *p -= lr * (*m / bc1) / denom;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first step moves each parameter by about lr against the sign of its
    /// gradient, whatever the gradient's scale (Adam's scale invariance).
    #[test]
    fn first_step_is_lr_times_sign() {
        let mut p = vec![1.0f32, 1.0, 1.0];
        let mut s = AdamState::new(3);
        s.step(&mut p, &[1000.0, -0.001, 0.0], 0.01, 1);
        assert!((p[0] - 0.99).abs() < 1e-6, "{p:?}");
        assert!((p[1] - 1.01).abs() < 1e-4, "{p:?}");
        assert_eq!(p[2], 1.0);
    }

    /// Minimises a quadratic.
    #[test]
    fn minimises_a_quadratic() {
        let mut p = vec![5.0f32, -3.0];
        let mut s = AdamState::new(2);
        for t in 1..=2000 {
            let g: Vec<f32> = p.iter().map(|x| 2.0 * (x - 1.0)).collect();
            s.step(&mut p, &g, 0.05, t);
        }
        assert!(p.iter().all(|x| (x - 1.0).abs() < 1e-3), "{p:?}");
    }
}
