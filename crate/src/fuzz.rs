//! One entry per fuzz target: each hands arbitrary bytes to the crate's real
//! public readers, as the page and the CLI call them, and discards the result.
//! An `Err` is the expected answer to a hostile file; a panic, an abort, a
//! hang or a huge allocation is a bug. `crate/fuzz/fuzz_targets/*.rs` (cargo
//! fuzz, libFuzzer) and `crate/tests/fuzz_replay.rs` (every corpus and
//! regression file, on every test run) call these same functions, so both
//! exercise the same code. Native only: the fuzzer runs natively.

use crate::experiment::{memory, needs, Spec};

/// Every target by name (its corpus folder's name), for the replay test.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("onnx", onnx),
    ("weights", weights),
    ("tflite", tflite),
    ("npy", npy),
    ("npz", npz),
    ("csv", csv),
    ("mat", mat),
    ("image", image),
    ("archive", archive),
    ("spec", spec),
    ("assignment", assignment),
];

/// A user's ONNX file: decoded and inspected (op support, recordable layers
/// and their shapes inferred by tract), as the page's "Your model" does.
pub fn onnx(data: &[u8]) {
    let _ = crate::runtime::inspect("fuzz.onnx", data);
}

/// A trained weights file: `.pth` (zip or legacy pickle) or `.safetensors`,
/// told apart by its first bytes as `add_weights` does.
pub fn weights(data: &[u8]) {
    let _ = crate::weights::read("fuzz.pth", data);
}

/// A TFLite model: described, then converted to an ONNX graph.
pub fn tflite(data: &[u8]) {
    let _ = crate::runtime::tflite::describe("fuzz.tflite", data);
    let _ = crate::runtime::tflite::to_onnx("fuzz.tflite", data);
}

/// A responses or RDM file, `.npy`.
pub fn npy(data: &[u8]) {
    table("fuzz.npy", data);
}

/// A `.npz` archive (stored or deflated), one array or with a key.
pub fn npz(data: &[u8]) {
    let _ = crate::data::read_table("fuzz.npz", data, None);
    let _ = crate::data::read_table("fuzz.npz", data, Some("arr_0"));
}

/// A `.csv` table (optional header row and name column).
pub fn csv(data: &[u8]) {
    table("fuzz.csv", data);
}

/// A MATLAB v5 `.mat` file, one variable or with a key.
pub fn mat(data: &[u8]) {
    table("fuzz.mat", data);
    let _ = crate::data::read_table("fuzz.mat", data, Some("x"));
}

fn table(file: &str, data: &[u8]) {
    if let Ok(t) = crate::data::read_table_unchecked(file, data, None) {
        let _ = t.to_matrix();
    }
}

/// A stimulus image: decoded and cropped as `add_stimulus` does (to a small
/// side, to keep each execution fast; the resize code is the same).
pub fn image(data: &[u8]) {
    if let Ok(img) = crate::stimuli::decode_rgb("fuzz.png", data) {
        let _ = crate::stimuli::resize_crop(&img, 16);
    }
}

/// A zip of stimulus images (a zipped folder), each entry then decoded.
pub fn archive(data: &[u8]) {
    if let Ok(images) = crate::data::archive::images_in_zip("fuzz.zip", data) {
        for (name, bytes) in images.iter().take(4) {
            let _ = crate::stimuli::decode_rgb(name, bytes);
        }
    }
}

/// A spec's JSON text (a file, the editor, or a permalink's fragment once
/// the page has URI-decoded it; the permalink's decoding itself is the page's
/// JavaScript): parsed, upgraded and validated, every stimulus set planned,
/// the models' input sizes checked and the inputs listed, what the page asks
/// of every edit. Not `Experiment::from_json`: beyond these same checks it
/// only draws the generated stimulus sets (hundreds of 224-pixel images from
/// a seed and an index the plan has already checked), which held the fuzzer
/// to about 6 executions a second and timed out on a three-set spec. Not the
/// memory estimate either: it draws each source layer's random projection
/// (`memory::features`), seconds for a five-model preset.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = needs::needs_of_json(text);
}

/// The memory estimate of a spec the page would run, timed by the replay
/// test (not a fuzz target, see [`spec`]).
pub fn estimate(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(spec) = Spec::from_json(text) {
        let _ = memory::estimate(&spec, &memory::UserModels::default());
    }
}

/// A course assignment (`.idlab.zip`): unpacked, its manifest, specs and
/// Markdown validated.
pub fn assignment(data: &[u8]) {
    let _ = crate::assignment::open(data);
}
