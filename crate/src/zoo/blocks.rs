//! Shared modules (conv, linear, batch norm, ReLU) that create their parameters
//! under state-dict names, emit their nodes, track the feature-map shape and
//! note the recorded layers, so an architecture file is a short description of
//! its layout and its init rules.

use super::graph::GraphBuilder;
use super::init::Init;
use super::{Layer, LayerKind};

/// A graph under construction: the seed its weights are drawn from, and the
/// recorded layers noted so far. A dry net lays out the graph and counts
/// parameters without drawing any weight (for listing layers cheaply).
pub struct Net<'a> {
    pub g: &'a mut GraphBuilder,
    pub seed: u64,
    pub dry: bool,
    pub layers: Vec<Layer>,
}

/// A tensor flowing through the net: its name and its shape for one image
/// (channels, height, width) or (features).
#[derive(Clone, Debug)]
pub struct T {
    pub name: String,
    pub shape: Vec<usize>,
}

impl T {
    pub fn new(name: &str, shape: &[usize]) -> T {
        T { name: name.into(), shape: shape.to_vec() }
    }
    fn at(&self, name: String, shape: Vec<usize>) -> T {
        T { name, shape }
    }
}

fn out_size(size: usize, k: usize, s: usize, p: usize) -> usize {
    (size + 2 * p - k) / s + 1
}

impl Net<'_> {
    pub fn new(g: &mut GraphBuilder, seed: u64, dry: bool) -> Net<'_> {
        Net { g, seed, dry, layers: Vec::new() }
    }

    fn param(&mut self, name: &str, dims: &[usize], init: Init) -> String {
        let data = if self.dry { Vec::new() } else { init.draw(self.seed, name, dims.iter().product()) };
        self.g.parameter(name, dims, data)
    }

    /// `nn.Conv2d(cin, cout, k, stride, padding, bias=bias.is_some())`.
    pub fn conv(&mut self, name: &str, x: &T, (cout, k): (usize, usize), (stride, padding): (usize, usize), weight: Init, bias: Option<Init>) -> T {
        let cin = x.shape[0];
        let w = self.param(&format!("{name}.weight"), &[cout, cin, k, k], weight);
        let b = bias.map(|init| self.param(&format!("{name}.bias"), &[cout], init));
        let out = self.g.conv(name, &x.name, &w, b.as_deref(), k, stride, padding);
        let (h, wd) = (out_size(x.shape[1], k, stride, padding), out_size(x.shape[2], k, stride, padding));
        x.at(out, vec![cout, h, wd])
    }

    /// `nn.Linear(fin, fout)` on a flat input.
    pub fn linear(&mut self, name: &str, x: &T, fout: usize, weight: Init, bias: Init) -> T {
        let fin = x.shape[0];
        let w = self.param(&format!("{name}.weight"), &[fout, fin], weight);
        let b = self.param(&format!("{name}.bias"), &[fout], bias);
        let out = self.g.linear(name, &x.name, &w, &b);
        x.at(out, vec![fout])
    }

    /// `nn.BatchNorm2d(c)` as freshly constructed (torchvision sets weight 1 and
    /// bias 0; running mean 0, running variance 1, eps 1e-5), in eval mode.
    /// `num_batches_tracked` is a buffer, not a parameter, and is not emitted.
    pub fn batch_norm(&mut self, name: &str, x: &T) -> T {
        let c = x.shape[0];
        let w = self.param(&format!("{name}.weight"), &[c], Init::Constant(1.0));
        let b = self.param(&format!("{name}.bias"), &[c], Init::Constant(0.0));
        let (m, v) = if self.dry { (vec![], vec![]) } else { (vec![0.0; c], vec![1.0; c]) };
        let m = self.g.buffer(&format!("{name}.running_mean"), &[c], m);
        let v = self.g.buffer(&format!("{name}.running_var"), &[c], v);
        let out = self.g.batch_norm(name, &x.name, [&w, &b, &m, &v], 1e-5);
        x.at(out, x.shape.clone())
    }

    pub fn relu(&mut self, name: &str, x: &T) -> T {
        x.at(self.g.relu(name, &x.name), x.shape.clone())
    }

    /// `nn.MaxPool2d(k, stride, padding)`.
    pub fn max_pool(&mut self, name: &str, x: &T, k: usize, stride: usize, padding: usize) -> T {
        let out = self.g.max_pool(name, &x.name, k, stride, padding);
        let (h, w) = (out_size(x.shape[1], k, stride, padding), out_size(x.shape[2], k, stride, padding));
        x.at(out, vec![x.shape[0], h, w])
    }

    /// `nn.AdaptiveAvgPool2d((1, 1))`.
    pub fn global_avg_pool(&mut self, name: &str, x: &T) -> T {
        x.at(self.g.global_avg_pool(name, &x.name), vec![x.shape[0], 1, 1])
    }

    /// `torch.flatten(x, 1)`.
    pub fn flatten(&mut self, name: &str, x: &T) -> T {
        x.at(self.g.flatten(name, &x.name), vec![x.shape.iter().product()])
    }

    pub fn add(&mut self, name: &str, a: &T, b: &T) -> T {
        debug_assert_eq!(a.shape, b.shape, "{name}");
        a.at(self.g.add(name, &a.name, &b.name), a.shape.clone())
    }

    /// Notes `value` as the recorded layer `name`, with `pre` its value before
    /// the nonlinearity, if it has one.
    pub fn record(&mut self, name: &str, kind: LayerKind, value: &T, pre: Option<&T>) {
        self.layers.push(Layer {
            name: name.into(),
            kind,
            shape: value.shape.clone(),
            tensor: value.name.clone(),
            pre: pre.map(|p| p.name.clone()),
        });
    }
}

/// PyTorch's default conv init, weight and bias (`_ConvNd.reset_parameters`).
pub fn torch_conv(cin: usize, k: usize) -> (Init, Option<Init>) {
    let fan_in = cin * k * k;
    (Init::TorchDefault { fan_in }, Some(Init::TorchDefault { fan_in }))
}

/// PyTorch's default linear init, weight and bias (`Linear.reset_parameters`).
pub fn torch_linear(fin: usize) -> (Init, Init) {
    (Init::TorchDefault { fan_in: fin }, Init::TorchDefault { fan_in: fin })
}

/// `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, the conv rule of
/// torchvision's VGG and ResNet constructors.
pub fn kaiming_conv(cout: usize, k: usize) -> Init {
    Init::KaimingNormalFanOut { fan_out: cout * k * k }
}
