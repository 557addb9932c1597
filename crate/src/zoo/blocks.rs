//! Shared modules (conv, linear, batch norm, ReLU, layer norm, GELU, and the
//! tensor plumbing of token models) that create their parameters under
//! state-dict names, emit their nodes, track the shape and note the recorded
//! layers, so an architecture file is a short description of its layout and
//! its init rules.
//!
//! Shapes are for one image: every graph tensor carries a leading batch axis
//! of 1 that [`T::shape`] leaves out (the input batch is fixed at 1). Axes and
//! permutations given to these helpers count from the first per-image axis.

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
    /// Draw a fully connected weight over this many bytes in the slices
    /// `runtime::split` would cut it into (None: whole).
    pub slice_bytes: Option<usize>,
}

/// A tensor flowing through the net: its name and its shape for one image
/// (channels, height, width), (tokens, features) or (features).
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
        Net { g, seed, dry, layers: Vec::new(), slice_bytes: None }
    }

    /// Adds the parameter `name` (its state-dict name) drawn by `init`.
    pub fn param(&mut self, name: &str, dims: &[usize], init: Init) -> String {
        let data = if self.dry { Vec::new() } else { init.draw(self.seed, name, dims.iter().product()) };
        self.g.parameter(name, dims, data)
    }

    /// `nn.Conv2d(cin, cout, k, stride, padding, bias=bias.is_some())`.
    pub fn conv(&mut self, name: &str, x: &T, (cout, k): (usize, usize), (stride, padding): (usize, usize), weight: Init, bias: Option<Init>) -> T {
        self.conv_grouped(name, x, (cout, k), (stride, padding), 1, weight, bias)
    }

    /// `nn.Conv2d(cin, cout, k, stride, padding, groups=groups, bias=...)`:
    /// the weight is (cout, cin / groups, k, k); `groups == cin == cout` is a
    /// depthwise conv.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_grouped(
        &mut self,
        name: &str,
        x: &T,
        (cout, k): (usize, usize),
        (stride, padding): (usize, usize),
        groups: usize,
        weight: Init,
        bias: Option<Init>,
    ) -> T {
        let cin = x.shape[0];
        debug_assert!(cin.is_multiple_of(groups) && cout.is_multiple_of(groups), "{name}");
        let w = self.param(&format!("{name}.weight"), &[cout, cin / groups, k, k], weight);
        let b = bias.map(|init| self.param(&format!("{name}.bias"), &[cout], init));
        let out = self.g.conv_grouped(name, &x.name, &w, b.as_deref(), (k, stride, padding), groups);
        let (h, wd) = (out_size(x.shape[1], k, stride, padding), out_size(x.shape[2], k, stride, padding));
        x.at(out, vec![cout, h, wd])
    }

    /// `nn.Linear(fin, fout)` on a flat input.
    pub fn linear(&mut self, name: &str, x: &T, fout: usize, weight: Init, bias: Init) -> T {
        let fin = x.shape[0];
        let slices = self.slice_bytes.filter(|_| !self.dry).and_then(|bytes| crate::runtime::split::slice_rows(fout, fin, bytes));
        if let Some(rows) = slices {
            let (w, b) = (format!("{name}.weight"), format!("{name}.bias"));
            let weights = weight.draw_parts(self.seed, &w, &rows.iter().map(|r| r * fin).collect::<Vec<_>>());
            let biases = bias.draw_parts(self.seed, &b, &rows);
            let out = self.g.linear_sliced(name, &x.name, (&w, &b), fin, weights.into_iter().zip(biases).collect());
            return x.at(out, vec![fout]);
        }
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
        let out = self.g.max_pool(name, &x.name, k, stride, padding, false);
        let (h, w) = (out_size(x.shape[1], k, stride, padding), out_size(x.shape[2], k, stride, padding));
        x.at(out, vec![x.shape[0], h, w])
    }

    /// `nn.MaxPool2d(k, stride, ceil_mode=True)` without padding: the output
    /// size rounds up, so a last, partial window is kept where it starts
    /// inside the input (PyTorch's rule; ONNX `ceil_mode=1` agrees without padding).
    pub fn max_pool_ceil(&mut self, name: &str, x: &T, k: usize, stride: usize) -> T {
        let out = self.g.max_pool(name, &x.name, k, stride, 0, true);
        let size = |n: usize| {
            let o = (n - k).div_ceil(stride) + 1;
            if (o - 1) * stride >= n { o - 1 } else { o }
        };
        x.at(out, vec![x.shape[0], size(x.shape[1]), size(x.shape[2])])
    }

    /// `nn.AvgPool2d(k, stride)` without padding.
    pub fn avg_pool(&mut self, name: &str, x: &T, k: usize, stride: usize) -> T {
        let out = self.g.avg_pool(name, &x.name, k, stride);
        let (h, w) = (out_size(x.shape[1], k, stride, 0), out_size(x.shape[2], k, stride, 0));
        x.at(out, vec![x.shape[0], h, w])
    }

    /// `nn.ReLU6`: `clip(x, 0, 6)`.
    pub fn relu6(&mut self, name: &str, x: &T) -> T {
        x.at(self.g.clip(name, &x.name, 0.0, 6.0), x.shape.clone())
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

    /// `nn.Linear(fin, fout)` on the last axis of an input of any rank
    /// (`MatMul` with the transposed weight, then `Add` of the bias).
    pub fn dense(&mut self, name: &str, x: &T, fout: usize, weight: Init, bias: Init) -> T {
        let fin = *x.shape.last().expect("dense needs a non-scalar input");
        let w = self.param(&format!("{name}.weight"), &[fout, fin], weight);
        let b = self.param(&format!("{name}.bias"), &[fout], bias);
        self.affine(name, x, (&w, &b), fout)
    }

    /// `x @ weight.T + bias` on the last axis, with existing parameters
    /// (`weight` stored (fout, fin) as PyTorch stores it). Nodes:
    /// `<name>.weight_t`, `<name>.matmul`, and `<name>` (the output).
    pub fn affine(&mut self, name: &str, x: &T, (weight, bias): (&str, &str), fout: usize) -> T {
        let wt = self.g.transpose(&format!("{name}.weight_t"), weight, &[1, 0]);
        let y = self.g.matmul(&format!("{name}.matmul"), &x.name, &wt);
        let out = self.g.add(name, &y, bias);
        let mut shape = x.shape.clone();
        *shape.last_mut().unwrap() = fout;
        x.at(out, shape)
    }

    /// `nn.LayerNorm(last dim, eps)` as freshly constructed: weight 1, bias 0.
    pub fn layer_norm(&mut self, name: &str, x: &T, eps: f32) -> T {
        let c = *x.shape.last().expect("layer norm needs a non-scalar input");
        let w = self.param(&format!("{name}.weight"), &[c], Init::Constant(1.0));
        let b = self.param(&format!("{name}.bias"), &[c], Init::Constant(0.0));
        x.at(self.g.layer_norm(name, &x.name, &w, &b, eps), x.shape.clone())
    }

    /// `nn.GELU()` (exact, torch's default): `x * 0.5 * (1 + erf(x / sqrt(2)))`.
    /// Nodes `<name>.div`, `<name>.erf`, `<name>.add`, `<name>.mul`, `<name>`.
    pub fn gelu(&mut self, name: &str, x: &T) -> T {
        let (sqrt2, one, half) = (self.g.scalar(std::f32::consts::SQRT_2), self.g.scalar(1.0), self.g.scalar(0.5));
        let d = self.g.div(&format!("{name}.div"), &x.name, &sqrt2);
        let e = self.g.erf(&format!("{name}.erf"), &d);
        let e1 = self.g.add(&format!("{name}.add"), &e, &one);
        let xe = self.g.mul(&format!("{name}.mul"), &x.name, &e1);
        x.at(self.g.mul(name, &xe, &half), x.shape.clone())
    }

    /// Multiplies by a number.
    pub fn scale(&mut self, name: &str, x: &T, factor: f32) -> T {
        let c = self.g.scalar(factor);
        x.at(self.g.mul(name, &x.name, &c), x.shape.clone())
    }

    /// Permutes the per-image axes.
    pub fn transpose(&mut self, name: &str, x: &T, perm: &[usize]) -> T {
        debug_assert_eq!(perm.len(), x.shape.len(), "{name}");
        let full: Vec<usize> = std::iter::once(0).chain(perm.iter().map(|&p| p + 1)).collect();
        let shape = perm.iter().map(|&p| x.shape[p]).collect();
        x.at(self.g.transpose(name, &x.name, &full), shape)
    }

    /// Reshapes to the per-image `shape` (same number of elements).
    pub fn reshape(&mut self, name: &str, x: &T, shape: &[usize]) -> T {
        debug_assert_eq!(shape.iter().product::<usize>(), x.shape.iter().product::<usize>(), "{name}");
        let full: Vec<usize> = std::iter::once(1).chain(shape.iter().copied()).collect();
        x.at(self.g.reshape(name, &x.name, &full), shape.to_vec())
    }

    /// Concatenates along a per-image axis (`torch.cat`).
    pub fn concat(&mut self, name: &str, xs: &[&T], axis: usize) -> T {
        let mut shape = xs[0].shape.clone();
        shape[axis] = xs.iter().map(|x| x.shape[axis]).sum();
        let names: Vec<&str> = xs.iter().map(|x| x.name.as_str()).collect();
        xs[0].at(self.g.concat(name, &names, axis + 1), shape)
    }

    /// `torch.matmul` of the last two axes, leading axes equal.
    pub fn matmul(&mut self, name: &str, a: &T, b: &T) -> T {
        let (r, k) = (a.shape.len(), b.shape.len());
        debug_assert_eq!(a.shape[r - 1], b.shape[k - 2], "{name}");
        let mut shape = a.shape.clone();
        shape[r - 1] = b.shape[k - 1];
        a.at(self.g.matmul(name, &a.name, &b.name), shape)
    }

    /// Softmax over the last axis.
    pub fn softmax(&mut self, name: &str, x: &T) -> T {
        x.at(self.g.softmax(name, &x.name, -1), x.shape.clone())
    }

    /// Splits into `outputs.len()` equal parts along a per-image axis; the
    /// parts are named by `outputs`.
    pub fn split(&mut self, name: &str, x: &T, axis: usize, outputs: &[String]) -> Vec<T> {
        let mut shape = x.shape.clone();
        debug_assert_eq!(shape[axis] % outputs.len(), 0, "{name}");
        shape[axis] /= outputs.len();
        let names = self.g.split(name, &x.name, axis + 1, outputs);
        names.into_iter().map(|n| x.at(n, shape.clone())).collect()
    }

    /// `x.select(axis, index)` on a per-image axis (the axis is removed).
    pub fn select(&mut self, name: &str, x: &T, axis: usize, index: usize) -> T {
        let mut shape = x.shape.clone();
        shape.remove(axis);
        x.at(self.g.select(name, &x.name, axis + 1, index), shape)
    }

    /// `x.mean(dim=axis)` on a per-image axis (the axis is removed).
    pub fn mean(&mut self, name: &str, x: &T, axis: usize) -> T {
        let mut shape = x.shape.clone();
        shape.remove(axis);
        x.at(self.g.mean(name, &x.name, axis + 1), shape)
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
