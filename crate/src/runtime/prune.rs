//! Unstructured magnitude pruning of a model's weights, applied to the ONNX
//! proto before tract builds it, so a zoo model and a user's ONNX file are
//! pruned the same way (and the runtime stays the one place that touches
//! protos; the zoo only emits them).
//!
//! Per layer, as `torch.nn.utils.prune.l1_unstructured(module, "weight",
//! amount=fraction)` applied to every Conv and Linear module: in each weight
//! tensor, the `round(fraction x numel)` entries of smallest |w| are set to 0
//! (Python's round, half to even, as torch's `_compute_nparams_toprune`);
//! biases, batch-norm parameters and embeddings are untouched. Where |w| ties
//! at the threshold, the entries of lower flat index (C order, as stored) are
//! pruned first, so the result is deterministic (torch's `topk` leaves the
//! order of ties unspecified). The NRP paper (preset 6) pruned trained
//! ResNet50 with the algorithms it cites (Zmora et al., 2019), whose schedule
//! it does not give; this one-shot pruning with no retraining is the lab's
//! plain stand-in, applied after any trained weights are loaded.
//!
//! A weight tensor is the initializer that a `Conv` (input W), a `Gemm`
//! (input B) or a `MatMul` (either input) reads, directly or through layout
//! ops (`Transpose`, `Reshape`, `Identity`, `Squeeze`, `Unsqueeze`,
//! `Flatten`), as the zoo's linear layers read theirs through a `Transpose`.
//! A tensor read by several nodes is pruned once.

use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};
use tract_onnx::pb::{GraphProto, ModelProto, NodeProto, TensorProto};

/// The largest fraction a spec may ask for: beyond it most layers are nearly empty.
pub const MAX_FRACTION: f64 = 0.95;

/// ONNX `TensorProto.DataType.FLOAT`.
const FLOAT: i32 = tract_onnx::pb::tensor_proto::DataType::Float as i32;

/// Ops that only move a tensor's values around, traced back to find a weight.
const LAYOUT_OPS: [&str; 6] = ["Transpose", "Reshape", "Identity", "Squeeze", "Unsqueeze", "Flatten"];

/// One pruned tensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pruned {
    pub name: String,
    pub numel: usize,
    /// Entries set to zero: round(fraction x numel).
    pub zeroed: usize,
}

/// `round(fraction x n)` with ties to even, as Python's `round` (and torch).
pub fn count_to_prune(fraction: f64, n: usize) -> usize {
    (fraction * n as f64).round_ties_even() as usize
}

/// Checks a spec's `prune` value.
pub fn check_fraction(fraction: f64) -> Result<()> {
    if !(fraction.is_finite() && (0.0..=MAX_FRACTION).contains(&fraction)) {
        return Err(Error::Spec(format!("prune must be a fraction from 0 to {MAX_FRACTION}, got {fraction}")));
    }
    Ok(())
}

/// Names of the weight initializers of every Conv, Gemm and MatMul node, in
/// the order the graph first reads them.
pub fn weight_tensors(graph: &GraphProto) -> Vec<String> {
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let producer: HashMap<&str, &NodeProto> =
        graph.node.iter().flat_map(|n| n.output.iter().map(move |o| (o.as_str(), n))).collect();
    let mut found: Vec<String> = Vec::new();
    for node in &graph.node {
        let slots: &[usize] = match node.op_type.as_str() {
            "Conv" | "Gemm" => &[1],
            "MatMul" => &[0, 1],
            _ => continue,
        };
        for &slot in slots {
            let Some(mut name) = node.input.get(slot).map(String::as_str) else { continue };
            // Follow layout ops back to an initializer; an activation ends the walk.
            for _ in 0..graph.node.len() + 1 {
                if initializers.contains(name) {
                    if !found.iter().any(|f| f == name) {
                        found.push(name.to_string());
                    }
                    break;
                }
                match producer.get(name) {
                    Some(n) if LAYOUT_OPS.contains(&n.op_type.as_str()) && !n.input.is_empty() => name = &n.input[0],
                    _ => break,
                }
            }
        }
    }
    found
}

/// Prunes every weight tensor of `proto` (see the module doc) to `fraction`
/// zeros, in place; `model` names it in errors. A fraction that prunes no
/// entry of a tensor leaves its bytes untouched (so `prune: 0` is the model as it was).
pub fn prune(model: &str, proto: &mut ModelProto, fraction: f64) -> Result<Vec<Pruned>> {
    check_fraction(fraction)?;
    let Some(graph) = proto.graph.as_mut() else {
        return Err(Error::Model { model: model.into(), reason: "the ONNX file has no graph to prune".into() });
    };
    let names = weight_tensors(graph);
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let t = graph.initializer.iter_mut().find(|t| t.name == name).expect("found among the initializers");
        out.push(prune_tensor(model, t, fraction)?);
    }
    Ok(out)
}

fn prune_tensor(model: &str, t: &mut TensorProto, fraction: f64) -> Result<Pruned> {
    let fail = |reason: String| Error::Model { model: model.into(), reason };
    if t.data_type != FLOAT {
        return Err(fail(format!(
            "cannot prune weight {}: its data type is {} (ONNX code), only float32 weights are pruned",
            t.name, t.data_type
        )));
    }
    let numel: usize = t.dims.iter().map(|&d| d.max(0) as usize).product();
    let k = count_to_prune(fraction, numel);
    let pruned = |zeroed| Pruned { name: t.name.clone(), numel, zeroed };
    if k == 0 {
        return Ok(pruned(0));
    }
    if t.float_data.len() == numel {
        prune_values(&mut t.float_data, k);
    } else if t.float_data.is_empty() && t.raw_data.len() == 4 * numel {
        let mut w: Vec<f32> = t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        prune_values(&mut w, k);
        t.raw_data = w.iter().flat_map(|v| v.to_le_bytes()).collect();
    } else {
        return Err(fail(format!(
            "cannot prune weight {}: it holds {} float values and {} raw bytes for {numel} entries",
            t.name,
            t.float_data.len(),
            t.raw_data.len()
        )));
    }
    Ok(pruned(k))
}

/// |w|'s order as an integer: the float's bits without the sign (monotone in
/// |w|; NaN sorts above infinity).
fn magnitude(v: f32) -> u32 {
    v.to_bits() & 0x7fff_ffff
}

/// Zeroes the `k` entries of smallest |w| (ties: lower index first). Finds
/// the k-th smallest magnitude by a two-pass radix select on its 16 high and
/// 16 low bits, so no copy of a large tensor is made (AlexNet's
/// `classifier.1` has 37.7 million weights).
pub fn prune_values(w: &mut [f32], k: usize) {
    let k = k.min(w.len());
    if k == 0 {
        return;
    }
    // The k-th smallest magnitude (1-based): its high half, then its low half.
    let select = |filter: &dyn Fn(u32) -> Option<usize>, rank: usize| -> (usize, usize) {
        let mut hist = vec![0usize; 1 << 16];
        for &v in w.iter() {
            if let Some(b) = filter(magnitude(v)) {
                hist[b] += 1;
            }
        }
        let mut below = 0;
        for (b, &c) in hist.iter().enumerate() {
            if below + c >= rank {
                return (b, below);
            }
            below += c;
        }
        unreachable!("rank {rank} is within the counted entries")
    };
    let (high, below_high) = select(&|m| Some((m >> 16) as usize), k);
    let (low, below_low) = select(&|m| ((m >> 16) as usize == high).then_some((m & 0xffff) as usize), k - below_high);
    let threshold = ((high as u32) << 16) | low as u32;
    // Everything below the threshold, then the first entries at it, in index order.
    let mut ties = k - below_high - below_low;
    for v in w.iter_mut() {
        let m = magnitude(*v);
        if m < threshold {
            *v = 0.0;
        } else if m == threshold && ties > 0 {
            *v = 0.0;
            ties -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: a stable sort of |w| (ties by index), the first k zeroed.
    fn by_sorting(w: &[f32], k: usize) -> Vec<f32> {
        let mut order: Vec<usize> = (0..w.len()).collect();
        order.sort_by(|&a, &b| magnitude(w[a]).cmp(&magnitude(w[b])).then(a.cmp(&b)));
        let mut out = w.to_vec();
        for &i in &order[..k] {
            out[i] = 0.0;
        }
        out
    }

    #[test]
    fn radix_select_equals_sorting_with_ties_and_signs() {
        let mut rng = crate::rng::SeededRng::new(3, 0);
        // Coarse values make many ties, including ties that span the threshold; signs vary.
        let w: Vec<f32> = (0..5000).map(|_| ((rng.unit_f32() * 40.0).floor() - 20.0) / 8.0).collect();
        for k in [0, 1, 7, 123, 2500, 4999, 5000] {
            let mut got = w.clone();
            prune_values(&mut got, k);
            let want = by_sorting(&w, k);
            assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "k = {k}");
        }
        // Fine values (distinct magnitudes) and one huge and one tiny.
        let mut w: Vec<f32> = (0..3000).map(|_| rng.unit_f32() * 2.0 - 1.0).collect();
        w[17] = 1e30;
        w[18] = -1e-30;
        let mut got = w.clone();
        prune_values(&mut got, 1000);
        assert_eq!(got, by_sorting(&w, 1000));
        assert_eq!(got[18], 0.0);
    }

    #[test]
    fn counts_round_half_to_even() {
        assert_eq!(count_to_prune(0.5, 5), 2); // 2.5 -> 2
        assert_eq!(count_to_prune(0.5, 7), 4); // 3.5 -> 4
        assert_eq!(count_to_prune(0.2, 10), 2);
        assert_eq!(count_to_prune(0.0, 1000), 0);
        assert!(check_fraction(0.96).unwrap_err().to_string().contains("from 0 to 0.95"));
        assert!(check_fraction(f64::NAN).is_err() && check_fraction(-0.1).is_err());
        check_fraction(0.95).unwrap();
    }

    /// numpy's answer (`tests/fixtures/prune/make_fixture.py`): a stable
    /// argsort of |w|, the first round(fraction x n) zeroed.
    #[test]
    fn matches_the_numpy_reference() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!("../../../tests/fixtures/prune/l1_unstructured.json")).unwrap();
        for case in fixture["cases"].as_array().unwrap() {
            let w: Vec<f32> = case["weight"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
            let want: Vec<f32> = case["pruned"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
            let fraction = case["fraction"].as_f64().unwrap();
            let k = count_to_prune(fraction, w.len());
            assert_eq!(k as u64, case["n_pruned"].as_u64().unwrap(), "fraction {fraction}");
            let mut got = w.clone();
            prune_values(&mut got, k);
            assert_eq!(got, want, "fraction {fraction}");
        }
    }

    #[test]
    fn raw_data_and_refusals() {
        let w: Vec<f32> = vec![0.3, -0.1, 0.2, -0.4];
        let mut t = TensorProto {
            name: "w".into(),
            dims: vec![2, 2],
            data_type: FLOAT,
            raw_data: w.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        };
        assert_eq!(prune_tensor("m", &mut t, 0.5).unwrap().zeroed, 2);
        let back: Vec<f32> = t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        assert_eq!(back, [0.3, 0.0, 0.0, -0.4]);
        t.data_type = 10;
        assert!(prune_tensor("m", &mut t, 0.5).unwrap_err().to_string().contains("only float32"));
    }
}
