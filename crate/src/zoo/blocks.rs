//! Shared modules (conv, linear, batch norm) that create their parameters under
//! state-dict names and emit their nodes, so an architecture file is a short
//! description of its layout and its init rules.

use super::graph::GraphBuilder;
use super::init::Init;

/// A graph under construction plus the seed its weights are drawn from.
pub struct Net<'a> {
    pub g: &'a mut GraphBuilder,
    pub seed: u64,
}

impl Net<'_> {
    fn param(&mut self, name: &str, dims: &[usize], init: Init) -> String {
        let len = dims.iter().product();
        let data = init.draw(self.seed, name, len);
        self.g.parameter(name, dims, data)
    }

    /// `nn.Conv2d(cin, cout, k, stride, padding, bias=bias.is_some())`.
    #[allow(clippy::too_many_arguments)]
    pub fn conv(
        &mut self,
        name: &str,
        x: &str,
        (cin, cout, k): (usize, usize, usize),
        (stride, padding): (usize, usize),
        weight: Init,
        bias: Option<Init>,
    ) -> String {
        let w = self.param(&format!("{name}.weight"), &[cout, cin, k, k], weight);
        let b = bias.map(|init| self.param(&format!("{name}.bias"), &[cout], init));
        self.g.conv(name, x, &w, b.as_deref(), k, stride, padding)
    }

    /// `nn.Linear(fin, fout)`.
    pub fn linear(&mut self, name: &str, x: &str, (fin, fout): (usize, usize), weight: Init, bias: Init) -> String {
        let w = self.param(&format!("{name}.weight"), &[fout, fin], weight);
        let b = self.param(&format!("{name}.bias"), &[fout], bias);
        self.g.linear(name, x, &w, &b)
    }

    /// `nn.BatchNorm2d(c)` as freshly constructed (torchvision sets weight 1 and
    /// bias 0; running mean 0, running variance 1, eps 1e-5), in eval mode.
    /// `num_batches_tracked` is a buffer, not a parameter, and is not emitted.
    pub fn batch_norm(&mut self, name: &str, x: &str, c: usize) -> String {
        let w = self.param(&format!("{name}.weight"), &[c], Init::Constant(1.0));
        let b = self.param(&format!("{name}.bias"), &[c], Init::Constant(0.0));
        let m = self.g.buffer(&format!("{name}.running_mean"), &[c], vec![0.0; c]);
        let v = self.g.buffer(&format!("{name}.running_var"), &[c], vec![1.0; c]);
        self.g.batch_norm(name, x, [&w, &b, &m, &v], 1e-5)
    }

    pub fn relu(&mut self, name: &str, x: &str) -> String {
        self.g.relu(name, x)
    }
}

/// PyTorch's default conv init, weight and bias (AlexNet, SqueezeNet's last conv...).
pub fn torch_conv(cin: usize, k: usize) -> (Init, Option<Init>) {
    let fan_in = cin * k * k;
    (Init::TorchDefault { fan_in }, Some(Init::TorchDefault { fan_in }))
}

/// PyTorch's default linear init, weight and bias.
pub fn torch_linear(fin: usize) -> (Init, Init) {
    (Init::TorchDefault { fan_in: fin }, Init::TorchDefault { fan_in: fin })
}
