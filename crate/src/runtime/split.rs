//! Splits a fully connected layer whose weight matrix is large into slices of
//! its output units, so that no step of tract's build copies the whole matrix.
//!
//! While it builds a model, tract copies a `Gemm`'s constant weight: it folds
//! the transpose that `nn.Linear`'s layout asks for, then packs the result for
//! its kernel. Natively that held VGG11's first fully connected layer (392
//! MiB) twice at the build's peak; in a tab, where each copy could take new
//! memory (wasm's linear memory never shrinks), up to three times. Cut into
//! slices of at most [`SLICE_BYTES`], each passing copy is a slice (measured
//! in BENCHMARKS.md: natively VGG11's build 900 -> 613 MiB at 32 MiB slices).
//! Slices shrink by a panel of rows (tract packs 32 rows at a time) from one
//! to the next, and they are cut and copied in that order, so that in wasm
//! each copy fits in the block the one before it freed (a copy of the same
//! size does not, by the allocator's header): AlexNet's build grew the
//! single-threaded module by 410 MiB with equal slices, 328 with shrinking
//! ones (its live peak: 265). Where one descent cannot hold every row, the
//! slices descend again from the largest. Rows are whole panels because the
//! packed copy of a slice is rounded up to them: VGG11's first layer in
//! slices of 8 rows shrinking by 8 packed four slices in turn to one size,
//! none fitting where the one before was. Each of tract's passes still takes
//! a new block the size of the largest slice, so slices are at most 16 MiB:
//! AlexNet then VGG11, single-threaded module, 383 + 304 MiB at 32 MiB
//! (slices of 8 rows for VGG11), 304 + 315 at 16 MiB (whole panels), and no
//! less at 8 MiB (VGG11 alone 635 at 16 and 8). The slices' outputs are joined
//! by a `Concat` that takes the `Gemm`'s name and output, so recorded layers
//! keep their names, and their values: each output unit is still the dot
//! product of the same row with the same input (`crate/tests/memory.rs`
//! checks every layer of AlexNet and VGG11 bit for bit).

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::{DataLocation, DataType};
use tract_onnx::pb::{AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto};

/// In a tab, a weight matrix above this many bytes is split into slices at
/// most this size (see the module's doc for the measurements).
pub const TAB_SLICE_BYTES: usize = 16 << 20;

/// Natively, larger slices: tract's native build of VGG11 held 613 MiB at
/// 32 MiB, 741 at 16 and 893 at 8 (`crate/tests/memory.rs`).
pub const NATIVE_SLICE_BYTES: usize = 32 << 20;

/// The slices this build cuts.
pub const SLICE_BYTES: usize = if cfg!(target_arch = "wasm32") { TAB_SLICE_BYTES } else { NATIVE_SLICE_BYTES };

/// Slices hold whole panels of this many output units (rows of the weight),
/// the last one what is left: tract's wasm build packs a weight's rows 32 at
/// a time, its packed copy rounded up to whole panels.
const PANEL: usize = 32;

/// Each slice, in the order they are cut, holds at least this many bytes
/// fewer than the one before it, so that it fits in the memory the one before
/// freed with room for an allocator's header (a few words).
const SMALLER_BY: usize = 4096;

/// The most bytes a build copies of one tensor at a time, once a tensor of
/// `largest` bytes has been split (in a tab or natively): what the memory
/// estimate counts.
pub fn largest_copied(largest: u64, tab: bool) -> u64 {
    largest.min(if tab { TAB_SLICE_BYTES } else { NATIVE_SLICE_BYTES } as u64)
}

/// Splits each `Gemm` of `proto`'s main graph whose weight (input B, a float
/// initializer stored as `nn.Linear` stores it, out × in with `transB = 1`,
/// read by no other node) is over `slice_bytes`, into slices along its output
/// units, each at most `slice_bytes`; its bias, when it has one, must be a
/// float initializer of one value per output unit, read by it alone. Other
/// `Gemm`s, and graphs with nested graphs (whose nodes may read the weight),
/// are left as they are. Returns the names of the nodes split.
pub fn split_large_gemms(proto: &mut ModelProto, slice_bytes: usize) -> Vec<String> {
    let Some(graph) = proto.graph.as_mut() else { return Vec::new() };
    if graph.node.iter().any(|n| n.attribute.iter().any(|a| a.g.is_some() || !a.graphs.is_empty())) {
        return Vec::new();
    }
    let plans: Vec<Option<Plan>> = graph.node.iter().map(|n| plan(graph, n, slice_bytes)).collect();
    let mut done = Vec::new();
    let nodes = std::mem::take(&mut graph.node);
    let mut out = Vec::with_capacity(nodes.len());
    for (node, plan) in nodes.into_iter().zip(plans) {
        match plan {
            Some(p) => {
                done.push(node.name.clone());
                out.extend(split(graph, node, p));
            }
            None => out.push(node),
        }
    }
    graph.node = out;
    done
}

/// How one `Gemm` is split: its weight's shape and each slice's rows, in order.
struct Plan {
    units: usize,
    inputs: usize,
    rows: Vec<usize>,
    bias: bool,
}

fn plan(graph: &GraphProto, node: &NodeProto, slice_bytes: usize) -> Option<Plan> {
    if node.op_type != "Gemm" || !node.domain.is_empty() || !(2..=3).contains(&node.input.len()) || node.output.len() != 1 {
        return None;
    }
    if node.attribute.iter().find(|a| a.name == "transB").map_or(0, |a| a.i) != 1 {
        return None;
    }
    let read_once = |name: &str| {
        graph.node.iter().flat_map(|n| &n.input).filter(|i| *i == name).count() == 1
            && !graph.output.iter().any(|o| o.name == name)
    };
    let weight = initializer(graph, &node.input[1])?;
    let [units, inputs] = weight.dims[..] else { return None };
    let (units, inputs) = (usize::try_from(units).ok()?, usize::try_from(inputs).ok()?);
    if float_values(weight)? != units.checked_mul(inputs)? || !read_once(&weight.name) {
        return None;
    }
    let bias = match node.input.get(2).filter(|b| !b.is_empty()) {
        None => false,
        Some(b) => {
            let b = initializer(graph, b)?;
            if b.dims != [units as i64] || float_values(b)? != units || !read_once(&b.name) {
                return None;
            }
            true
        }
    };
    let rows = slice_rows(units, inputs, slice_bytes)?;
    // The slices' names must be new to the graph.
    let count = rows.len();
    let mut taken = graph.initializer.iter().map(|t| t.name.as_str()).chain(graph.node.iter().flat_map(|n| n.output.iter().map(String::as_str)));
    let bases = [Some(weight.name.as_str()), Some(node.output[0].as_str()), node.input.get(2).map(String::as_str)];
    if taken.any(|name| (0..count).any(|s| bases.iter().flatten().any(|base| name == slice_name(base, s)))) {
        return None;
    }
    Some(Plan { units, inputs, rows, bias })
}

/// The output units each slice of a `units` × `inputs` f32 weight holds, in
/// order, when it is cut into slices of at most `slice_bytes`; None when it is
/// not cut (small enough already, or too few rows fit in a slice). The zoo
/// draws its seeded weights in these slices ([`crate::zoo::build_sliced`]).
///
/// Wasm's allocator can put a block only where a larger one was freed: a
/// slice the same size as the one freed before it does not fit there (the
/// allocator's header) and takes new memory, which wasm never gives back.
/// The slices are cut, and then copied by tract's build, in their order, so
/// each is at least a panel and [`SMALLER_BY`] bytes smaller than the one
/// before it (in one descent where it can hold every row, else in several,
/// each from the largest), and the last rows take what is left.
pub fn slice_rows(units: usize, inputs: usize, slice_bytes: usize) -> Option<Vec<usize>> {
    let row = inputs.checked_mul(4)?.max(1);
    if units.checked_mul(row)? <= slice_bytes {
        return None;
    }
    shrinking(units, row, slice_bytes).or_else(|| descents(units, row, slice_bytes))
}

/// Slices of whole panels, from the most that fit in `slice_bytes` down by a
/// step at a time, and again from the most, until every row is held; None
/// when fewer than two steps fit in a slice.
fn descents(units: usize, row: usize, slice_bytes: usize) -> Option<Vec<usize>> {
    let step = step(row);
    let most = slice_bytes / row / PANEL * PANEL;
    if most < 2 * step {
        return None;
    }
    let mut rows = Vec::new();
    let mut left = units;
    'runs: loop {
        for take in (step..=most).rev().step_by(step) {
            let take = take.min(left);
            rows.push(take);
            left -= take;
            if left == 0 {
                break 'runs;
            }
        }
    }
    Some(rows)
}

/// Slices of whole panels of rows of `row` bytes, at most `slice_bytes`, each
/// at least a panel and [`SMALLER_BY`] bytes smaller than the one before it;
/// None when one such descent cannot hold every row.
fn shrinking(units: usize, row: usize, slice_bytes: usize) -> Option<Vec<usize>> {
    let step = step(row);
    let most = slice_bytes / row / PANEL * PANEL;
    // The fewest slices that can hold every row, then the smallest largest slice for that many.
    let holds = |largest: usize, n: usize| (0..n).map(|i| largest.saturating_sub(i * step)).sum::<usize>();
    let n = (1..=most / step).find(|&n| holds(most, n) >= units)?;
    let largest = (PANEL..=most).step_by(PANEL).find(|&l| holds(l, n) >= units)?;
    let mut rows = Vec::with_capacity(n);
    let mut left = units;
    for i in 0.. {
        let take = left.min(largest.saturating_sub(i * step));
        rows.push(take);
        left -= take;
        if left == 0 {
            break;
        }
    }
    (rows.len() > 1).then_some(rows)
}

/// Rows one slice holds fewer than the one before it: whole panels, and at
/// least [`SMALLER_BY`] bytes of rows of `row` bytes.
fn step(row: usize) -> usize {
    SMALLER_BY.div_ceil(row).next_multiple_of(PANEL)
}

/// The name of slice `s` of a tensor (an initializer, or a node's output).
pub fn slice_name(name: &str, s: usize) -> String {
    format!("{name}/slice{s}")
}

fn initializer<'g>(graph: &'g GraphProto, name: &str) -> Option<&'g TensorProto> {
    graph.initializer.iter().find(|t| t.name == name)
}

/// How many f32 values a tensor holds in the protobuf itself (None when it is
/// not float or its data lies elsewhere).
fn float_values(t: &TensorProto) -> Option<usize> {
    if t.data_type != DataType::Float as i32 || t.data_location == Some(DataLocation::External as i32) {
        return None;
    }
    match (t.float_data.is_empty(), t.raw_data.len() % 4) {
        (false, _) if t.raw_data.is_empty() => Some(t.float_data.len()),
        (true, 0) => Some(t.raw_data.len() / 4),
        _ => None,
    }
}

/// The slices' `Gemm`s and the `Concat` that joins them. The slices are cut
/// in order off the end of the weight, its rows reversed first (and each
/// slice's again), each cut freeing its rows before the next is copied into
/// the memory it left, so the split holds at most one slice more than the
/// weight, in a tab as natively.
fn split(graph: &mut GraphProto, node: NodeProto, p: Plan) -> Vec<NodeProto> {
    let count = p.rows.len();
    let mut weight = take(graph, &node.input[1]);
    let bias = p.bias.then(|| take(graph, &node.input[2]));
    reverse_rows(&mut weight, p.inputs);
    let mut slices = Vec::with_capacity(count);
    let mut start = 0;
    for (s, &rows) in p.rows.iter().enumerate() {
        let left = p.units - start - rows;
        let mut w = cut(&mut weight, left * p.inputs, vec![rows as i64, p.inputs as i64], s);
        reverse_rows(&mut w, p.inputs);
        let b = bias.as_ref().map(|b| part(b, start, rows, vec![rows as i64], s));
        slices.push((w, b));
        start += rows;
    }
    let mut names = Vec::with_capacity(count);
    for (w, b) in slices {
        names.push((w.name.clone(), b.as_ref().map(|b| b.name.clone())));
        graph.initializer.push(w);
        graph.initializer.extend(b);
    }
    sliced_gemm(node, &names)
}

/// The nodes that stand for the `Gemm` `node` once its weight (and bias) are
/// the initializers `slices` names, in order of their output units: a `Gemm`
/// a slice, and a `Concat` with `node`'s name and output that joins them.
pub fn sliced_gemm(node: NodeProto, slices: &[(String, Option<String>)]) -> Vec<NodeProto> {
    let mut nodes = Vec::with_capacity(slices.len() + 1);
    let mut joined = Vec::with_capacity(slices.len());
    for (s, (w, b)) in slices.iter().enumerate() {
        let output = slice_name(&node.output[0], s);
        let mut input = vec![node.input[0].clone(), w.clone()];
        input.extend(b.clone());
        joined.push(output.clone());
        // An unnamed node's slices are named for its output, so two never share a name.
        let base = if node.name.is_empty() { &node.output[0] } else { &node.name };
        nodes.push(NodeProto { name: slice_name(base, s), input, output: vec![output], ..node.clone() });
    }
    let axis = AttributeProto { name: "axis".into(), r#type: AttributeType::Int as i32, i: 1, ..Default::default() };
    nodes.push(NodeProto {
        name: node.name,
        op_type: "Concat".into(),
        input: joined,
        output: node.output,
        attribute: vec![axis],
        ..Default::default()
    });
    nodes
}

/// Takes the initializer `name` out of `graph`, and the graph input that
/// names it, if any (older exporters list every weight as an input too).
fn take(graph: &mut GraphProto, name: &str) -> TensorProto {
    graph.input.retain(|i| i.name != name);
    let i = graph.initializer.iter().position(|t| t.name == name).expect("planned initializer");
    graph.initializer.remove(i)
}

/// Cuts the values from `from` (in f32s) to the end off `t` into a tensor of
/// `dims` named for slice `s`, and frees them in `t`.
fn cut(t: &mut TensorProto, from: usize, dims: Vec<i64>, s: usize) -> TensorProto {
    let len = float_values(t).expect("planned float tensor") - from;
    let slice = part(t, from, len, dims, s);
    if t.raw_data.is_empty() {
        t.float_data.truncate(from);
        t.float_data.shrink_to_fit();
    } else {
        t.raw_data.truncate(from * 4);
        t.raw_data.shrink_to_fit();
    }
    slice
}

/// A copy of `len` values of `t` from `from` (in f32s), as a tensor of
/// `dims` named for slice `s`.
fn part(t: &TensorProto, from: usize, len: usize, dims: Vec<i64>, s: usize) -> TensorProto {
    let mut slice = TensorProto { name: slice_name(&t.name, s), dims, data_type: t.data_type, ..Default::default() };
    if t.raw_data.is_empty() {
        slice.float_data = t.float_data[from..from + len].to_vec();
    } else {
        slice.raw_data = t.raw_data[from * 4..(from + len) * 4].to_vec();
    }
    slice
}

/// Reverses the order of a float tensor's rows of `inputs` values, in place.
fn reverse_rows(t: &mut TensorProto, inputs: usize) {
    fn rows<T>(v: &mut [T], row: usize) {
        let n = v.len() / row;
        for i in 0..n / 2 {
            let (head, tail) = v.split_at_mut((n - 1 - i) * row);
            head[i * row..(i + 1) * row].swap_with_slice(&mut tail[..row]);
        }
    }
    if t.raw_data.is_empty() {
        rows(&mut t.float_data, inputs);
    } else {
        rows(&mut t.raw_data, inputs * 4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gemm(units: usize, inputs: usize, raw: bool) -> ModelProto {
        let values: Vec<f32> = (0..units * inputs).map(|v| v as f32).collect();
        let mut w = TensorProto { name: "w".into(), dims: vec![units as i64, inputs as i64], data_type: DataType::Float as i32, ..Default::default() };
        if raw {
            w.raw_data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        } else {
            w.float_data = values;
        }
        let b = TensorProto { name: "b".into(), dims: vec![units as i64], data_type: DataType::Float as i32, float_data: (0..units).map(|v| -(v as f32)).collect(), ..Default::default() };
        let trans = AttributeProto { name: "transB".into(), r#type: AttributeType::Int as i32, i: 1, ..Default::default() };
        let node = NodeProto { name: "fc".into(), op_type: "Gemm".into(), input: vec!["x".into(), "w".into(), "b".into()], output: vec!["y".into()], attribute: vec![trans], ..Default::default() };
        ModelProto { graph: Some(GraphProto { node: vec![node], initializer: vec![w, b], ..Default::default() }), ..Default::default() }
    }

    #[test]
    fn slices_hold_the_rows_in_order() {
        for raw in [false, true] {
            let mut m = gemm(200, 256, raw);
            // At most 64 rows of 1 KiB a slice, in panels of 32 rows: a descent of 64 and 32 holds
            // only 96 rows, so 64, 32, then 64, 32 again, and the 8 left.
            assert_eq!(split_large_gemms(&mut m, 64 << 10), vec!["fc".to_string()]);
            let g = m.graph.unwrap();
            let names: Vec<_> = g.node.iter().map(|n| (n.name.as_str(), n.op_type.as_str())).collect();
            assert_eq!(names, [("fc/slice0", "Gemm"), ("fc/slice1", "Gemm"), ("fc/slice2", "Gemm"), ("fc/slice3", "Gemm"), ("fc/slice4", "Gemm"), ("fc", "Concat")]);
            assert_eq!(g.node[5].output, ["y"]);
            assert_eq!(g.node[5].input, ["y/slice0", "y/slice1", "y/slice2", "y/slice3", "y/slice4"]);
            let mut rows = Vec::new();
            let mut biases = Vec::new();
            for s in 0..5 {
                let w = initializer(&g, &format!("w/slice{s}")).unwrap();
                let b = initializer(&g, &format!("b/slice{s}")).unwrap();
                assert_eq!(w.dims, [[64, 32, 64, 32, 8][s], 256]);
                assert_eq!(b.dims, [w.dims[0]]);
                let v: Vec<f32> = if raw { w.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect() } else { w.float_data.clone() };
                rows.extend(v);
                biases.extend(b.float_data.clone());
            }
            assert_eq!(rows, (0..200 * 256).map(|v| v as f32).collect::<Vec<_>>());
            assert_eq!(biases, (0..200).map(|v| -(v as f32)).collect::<Vec<_>>());
            assert!(initializer(&g, "w").is_none() && initializer(&g, "b").is_none());
        }
    }

    #[test]
    fn each_cut_fits_where_the_one_before_it_was() {
        // AlexNet's fc6 and fc7 (whole panels), VGG11's fc6 (too large for that), and a weight of narrow rows.
        // AlexNet's fc7 and VGG11's fc7 (one descent), AlexNet's fc6 and VGG11's fc6 (two and
        // more: each starts again from the largest), and a weight of narrow rows.
        for (units, inputs, descents) in [(4096, 4096, 1), (4096, 9216, 2), (4096, 25088, 9), (1 << 24, 1, 1)] {
            let rows = slice_rows(units, inputs, TAB_SLICE_BYTES).unwrap();
            assert_eq!(rows.iter().sum::<usize>(), units, "{units} x {inputs}: {rows:?}");
            assert!(rows.iter().all(|&r| r > 0 && r * inputs * 4 <= TAB_SLICE_BYTES), "{units} x {inputs}: {rows:?}");
            assert!(rows[..rows.len() - 1].iter().all(|r| r % PANEL == 0), "{units} x {inputs}: {rows:?}");
            // Within a descent, each slice at least a panel and SMALLER_BY bytes smaller than the one before it.
            let smaller = |w: &[usize]| w[0] > w[1] && (w[0] - w[1]) % PANEL == 0 && (w[0] - w[1]) * inputs * 4 >= SMALLER_BY;
            let starts = 1 + rows.windows(2).filter(|w| !smaller(w)).count();
            assert_eq!(starts, descents, "{units} x {inputs}: {rows:?}");
            assert!(rows.windows(2).filter(|w| !smaller(w)).all(|w| w[1] == rows[0]), "{units} x {inputs}: {rows:?}");
        }
        assert_eq!(slice_rows(4096, 4096, TAB_SLICE_BYTES).unwrap().len(), 5);
        // Natively, slices of 32 MiB: AlexNet's fc6 in one descent, VGG11's in three.
        assert_eq!(slice_rows(4096, 9216, NATIVE_SLICE_BYTES).unwrap().len(), 5);
        assert_eq!(slice_rows(4096, 25088, NATIVE_SLICE_BYTES).unwrap().iter().filter(|&&r| r == 320).count(), 3);
        // Too few rows fit in a slice to cut them all in shrinking slices.
        assert!(slice_rows(4096, 1 << 20, TAB_SLICE_BYTES).is_none());
    }

    #[test]
    fn leaves_what_it_cannot_split_alike() {
        // Small enough already.
        let mut m = gemm(200, 256, false);
        assert!(split_large_gemms(&mut m, 200 * 256 * 4).is_empty());
        // Another node reads the weight.
        let mut m = gemm(200, 256, false);
        let g = m.graph.as_mut().unwrap();
        g.node.push(NodeProto { op_type: "Relu".into(), input: vec!["w".into()], output: vec!["z".into()], ..Default::default() });
        assert!(split_large_gemms(&mut m, 64 << 10).is_empty());
        // The weight is stored in, out (transB = 0).
        let mut m = gemm(200, 256, false);
        m.graph.as_mut().unwrap().node[0].attribute.clear();
        assert!(split_large_gemms(&mut m, 64 << 10).is_empty());
        // A bias broadcast from one value.
        let mut m = gemm(200, 256, false);
        let b = &mut m.graph.as_mut().unwrap().initializer[1];
        b.dims = vec![1];
        b.float_data.truncate(1);
        assert!(split_large_gemms(&mut m, 64 << 10).is_empty());
        assert_eq!(m.graph.unwrap().node.len(), 1);
        // A slice's name is taken already.
        let mut m = gemm(200, 256, false);
        let g = m.graph.as_mut().unwrap();
        g.node.push(NodeProto { op_type: "Relu".into(), input: vec!["y".into()], output: vec!["y/slice2".into()], ..Default::default() });
        assert!(split_large_gemms(&mut m, 64 << 10).is_empty());
    }

    #[test]
    fn a_weight_listed_as_a_graph_input_goes_with_it() {
        let mut m = gemm(200, 256, false);
        let g = m.graph.as_mut().unwrap();
        for name in ["x", "w", "b"] {
            g.input.push(tract_onnx::pb::ValueInfoProto { name: name.into(), ..Default::default() });
        }
        assert_eq!(split_large_gemms(&mut m, 64 << 10), ["fc"]);
        let inputs: Vec<_> = m.graph.unwrap().input.into_iter().map(|i| i.name).collect();
        assert_eq!(inputs, ["x"]);
    }
}
