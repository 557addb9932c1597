//! The browser front door: thin bindings from the worker's JS to the core.
//! Errors become JS `Error`s with the core's message; a panic (which aborts
//! the module) leaves its message in [`last_panic`] and on the console.

use crate::experiment::{Experiment as CoreSession, Spec};
use std::sync::Mutex;
use wasm_bindgen::prelude::*;

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Which kind of build this module is (the threaded one comes plain and relaxed: [`RELAXED`]).
const FLAVOR: &str = if cfg!(feature = "threads") { "threads" } else { "single" };

/// Whether this module was compiled with relaxed SIMD (tract's f32 kernels then fuse their
/// multiply-adds): the threaded build comes in both kinds, and the page picks this one where the
/// browser validates relaxed SIMD, unless asked for the plain one (`?simd=plain`).
const RELAXED: bool = cfg!(target_feature = "relaxed-simd");

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("idlab crashed (a bug; please report it): {info}");
        web_sys::console::error_1(&message.clone().into());
        if let Ok(mut slot) = LAST_PANIC.lock() {
            *slot = Some(message);
        }
    }));
}

/// The message of the last panic, if the module crashed.
#[wasm_bindgen]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|s| s.clone())
}

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A JS object as JSON text, the way the core reads specs and results.
fn json_text(value: &JsValue, what: &str) -> Result<String, JsError> {
    js_sys::JSON::stringify(value).map(String::from).map_err(|_| JsError::new(&format!("invalid {what}: not a JSON object")))
}

/// A result document back from the page (the object `Session.result` gave, with the worker's `timings`).
fn result_of(value: &JsValue) -> Result<crate::experiment::ExperimentResult, JsError> {
    serde_json::from_str(&json_text(value, "result")?).map_err(|e| JsError::new(&format!("invalid result: {e}")))
}

/// The result's scores as tidy CSV text: the bytes `idlab run` writes to `scores.csv`.
#[wasm_bindgen]
pub fn tidy_csv(result: JsValue) -> Result<String, JsError> {
    Ok(crate::experiment::output::csv::tidy_csv(&result_of(&result)?))
}

/// The result's plain-text report: the text `idlab run` writes to `report.txt`.
#[wasm_bindgen]
pub fn report_text(result: JsValue) -> Result<String, JsError> {
    Ok(crate::experiment::output::report::report_text(&result_of(&result)?))
}

/// A spec object at the current version (a version 1 spec rewritten, as `idlab run` reads it).
#[wasm_bindgen]
pub fn upgrade_spec(spec: JsValue) -> Result<JsValue, JsError> {
    let value: serde_json::Value = serde_json::from_str(&json_text(&spec, "spec")?).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&crate::experiment::upgrade_spec(value).map_err(js_err)?)
}

/// The spec on trained weights (see [`crate::experiment::trained_variant`]):
/// `{spec, notes}`, the variant and one sentence per architecture saying which
/// catalogue entry its sides got. Throws when no side can change, saying why.
#[wasm_bindgen]
pub fn trained_variant(spec: JsValue) -> Result<JsValue, JsError> {
    let spec = crate::experiment::Spec::from_json(&json_text(&spec, "spec")?).map_err(js_err)?;
    let (spec, notes) = crate::experiment::trained_variant(&spec).map_err(js_err)?;
    to_js(&serde_json::json!({ "spec": spec, "notes": notes }))
}

/// What a spec needs before it runs, from the functions the run itself uses:
/// `{stimuli: {set, n, all, paths}, sets: [{set, n, all}], models, weights, data, datasets}`.
/// `stimuli` is the spec's first set (`set` its display name, `n` the images
/// it uses, `all` the images of the whole set, before `limit`) and `paths` the
/// site-relative files of every set, in the order to add them; `sets` is every
/// set with its sizes (null for an upload, whose images the page counts);
/// `models` the user's ONNX and TFLite files, `weights` the weights files
/// (`[{name, kind: "file" | "url" | "shipped", url, sha256, bytes}]`: ask the
/// user for a `file`, fetch a `url` or a `shipped` file's site-relative `url`,
/// then `add_weights(name, bytes)`; a shipped TFLite model is one of them),
/// `data` the user's data files, `datasets` the shipped data to fetch. Throws
/// the spec's error.
#[wasm_bindgen]
pub fn spec_inputs(spec: JsValue) -> Result<JsValue, JsError> {
    let needs = crate::experiment::needs::needs_of_json(&json_text(&spec, "spec")?).map_err(js_err)?;
    let first = &needs.sets[0];
    to_js(&serde_json::json!({
        "stimuli": { "set": first.set, "n": first.n, "all": first.all, "paths": needs.paths },
        "sets": needs.sets,
        "models": needs.models,
        "weights": needs.weights,
        "data": needs.data,
        "datasets": needs.datasets,
    }))
}

/// The memory a spec's run needs, per model and in all (see
/// [`crate::experiment::memory`]); `user_models` gives each user ONNX or
/// TFLite file's size and its chosen layers' units (`{models: {file: {bytes,
/// units: [n per layer]}}, weights: {name: bytes}, upload_images}`, or
/// undefined when the spec has none; a weights file's size defaults to the
/// catalogue's, else 4 bytes per parameter). Throws the spec's error.
#[wasm_bindgen]
pub fn estimate_memory(spec: JsValue, user_models: JsValue) -> Result<JsValue, JsError> {
    let spec = Spec::from_json(&json_text(&spec, "spec")?).map_err(js_err)?;
    let users: crate::experiment::memory::UserModels = if user_models.is_undefined() || user_models.is_null() {
        Default::default()
    } else {
        serde_json::from_str(&json_text(&user_models, "user models")?).map_err(|e| JsError::new(&format!("invalid user models: {e}")))?
    };
    to_js(&crate::experiment::memory::estimate(&spec, &users).map_err(js_err)?)
}

/// `{flavor: "threads" | "single", simd: "plain" | "relaxed", version}`.
#[wasm_bindgen]
pub fn build_info() -> Result<JsValue, JsError> {
    to_js(&serde_json::json!({
        "flavor": FLAVOR,
        "simd": if RELAXED { "relaxed" } else { "plain" },
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Inspects a user's ONNX bytes: input, candidate layers with shapes,
/// preprocessing metadata; throws with the core's message (not ONNX,
/// unsupported op, channels-last input, ...).
#[wasm_bindgen]
pub fn inspect_onnx(name: &str, bytes: &[u8]) -> Result<JsValue, JsError> {
    to_js(&crate::runtime::inspect(name, bytes).map_err(js_err)?)
}

/// One experiment run, advanced by `step()` from the worker.
#[wasm_bindgen]
pub struct Session {
    inner: CoreSession,
}

#[wasm_bindgen]
impl Session {
    /// Takes the spec as a JS object; throws with the spec error's message.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: JsValue) -> Result<Session, JsError> {
        // Through JSON text, so that a version 1 spec is upgraded as natively.
        let text = js_sys::JSON::stringify(&spec).map_err(|_| JsError::new("invalid spec: not a JSON object"))?;
        if cfg!(feature = "threads") {
            crate::runtime::use_thread_pool();
        }
        // Parsed, upgraded and validated once, then planned.
        Ok(Session { inner: CoreSession::from_json(&String::from(text)).map_err(js_err)? })
    }

    /// Paths, relative to the site root, of the stimuli to fetch and add in order.
    pub fn stimulus_urls(&self) -> Vec<String> {
        self.inner.stimulus_paths()
    }

    /// The user-model files (`onnx` values) the spec names, to add with `add_model`.
    pub fn model_files(&self) -> Vec<String> {
        self.inner.model_files()
    }

    /// Hands over a user model's bytes; `name` is the spec's `onnx` or `tflite` value.
    /// Throws when the spec names no such model, or the file cannot be used.
    pub fn add_model(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), JsError> {
        self.inner.add_model(name, bytes).map_err(js_err)
    }

    /// The weights files to add with `add_weights`, as `spec_inputs` lists them:
    /// `[{name, kind: "file" | "url" | "shipped", url, sha256, bytes}]`.
    pub fn weights_needed(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.weights_needed())
    }

    /// Hands over a weights file's bytes; `name` is the file name, the URL,
    /// or the shipped file's site-relative path (a `weights_needed` name).
    /// Throws on a sha256 other than the spec's or a file that is not weights;
    /// a name or shape mismatch is thrown by the `step` that builds the model.
    pub fn add_weights(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), JsError> {
        self.inner.add_weights(name, bytes).map_err(js_err)
    }

    /// The user's data files (`responses` / `rdms` values) to add with `add_data`.
    pub fn data_files(&self) -> Vec<String> {
        self.inner.data_files()
    }

    /// Site-relative paths of shipped data to fetch and add with `add_data`.
    pub fn dataset_urls(&self) -> Vec<String> {
        self.inner.dataset_paths()
    }

    /// Hands over a data file's bytes; throws naming the file, row or count that is wrong.
    pub fn add_data(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.add_data(name, bytes).map_err(js_err)
    }

    /// Decodes and preprocesses the next stimulus; throws naming `name` if it is not an image.
    pub fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.add_stimulus(name, bytes).map_err(js_err)
    }

    /// Lets the Gram sinks spill their rows to an OPFS file (a
    /// `FileSystemSyncAccessHandle` the worker opened) once a model's rows
    /// pass `gram_memory_mb`, and the resized images once they pass
    /// `image_memory_mb` (defaults: the core's); without it everything stays in memory.
    pub fn use_spill_file(&mut self, handle: crate::sinks::opfs::SyncAccessHandle, gram_memory_mb: Option<f64>, image_memory_mb: Option<f64>) {
        let store = crate::sinks::opfs::OpfsFile::new(handle);
        let mib = |mb: f64| (mb.max(0.0) * 1048576.0) as u64;
        self.inner.set_spill(Some(crate::sinks::Spill::new(Box::new(store))), gram_memory_mb.map_or(crate::experiment::GRAM_MEMORY, mib));
        if let Some(mb) = image_memory_mb {
            self.inner.set_image_memory(mib(mb));
        }
    }

    /// Bytes the spill file held at most (0 when nothing spilled).
    pub fn spilled_bytes(&self) -> f64 {
        self.inner.spilled_peak() as f64
    }

    /// One unit of work; returns the progress object.
    pub fn step(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.inner.step().map_err(js_err)?)
    }

    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }

    /// The files `spec.export` keeps (activations and RDMs as .npy, and
    /// `exports.json`) as one .zip, built by the core so that it holds the bytes
    /// `idlab run` writes; throws when the spec has no export or the run is not done.
    /// One archive rather than one download per file: a run has dozens of layers.
    pub fn exports_zip(&self) -> Result<Vec<u8>, JsError> {
        self.inner.exports_zip().map_err(js_err)
    }

    /// The result document; `seconds` is the wall time the worker measured.
    pub fn result(&self, seconds: Option<f64>) -> Result<JsValue, JsError> {
        let mut result = self.inner.result(FLAVOR, seconds.unwrap_or(0.0)).map_err(js_err)?;
        if RELAXED {
            result.simd = Some("relaxed-simd".into());
        }
        to_js(&result)
    }
}

/// Resuming an interrupted run (`experiment::session::checkpoint`): the worker
/// keeps each finished model's checkpoint in IndexedDB under the run key and
/// hands them back to a new session of the same run before its first step.
#[wasm_bindgen]
impl Session {
    /// The run's key (SHA-256 over the idlab version, the spec and every
    /// input's sha256); throws until every input the run needs was added.
    pub fn run_key(&self) -> Result<String, JsError> {
        self.inner.run_key().map_err(js_err)
    }

    /// The checkpoint of the model the last step finished, once:
    /// `{set, entry, label, bytes: Uint8Array}`, or null when it finished none.
    pub fn take_checkpoint(&mut self) -> Result<JsValue, JsError> {
        let Some(c) = self.inner.take_checkpoint().map_err(js_err)? else { return Ok(JsValue::NULL) };
        let o = js_sys::Object::new();
        let bad = |_| JsError::new("cannot build the checkpoint object");
        js_sys::Reflect::set(&o, &"set".into(), &(c.set as f64).into()).map_err(bad)?;
        js_sys::Reflect::set(&o, &"entry".into(), &(c.entry as f64).into()).map_err(bad)?;
        js_sys::Reflect::set(&o, &"label".into(), &c.label.into()).map_err(bad)?;
        js_sys::Reflect::set(&o, &"bytes".into(), &js_sys::Uint8Array::from(c.bytes.as_slice()).into()).map_err(bad)?;
        Ok(o.into())
    }

    /// Before the first step: restores the checkpoints (an array of
    /// Uint8Arrays) of an interrupted run of the same key; returns `{finished,
    /// total, message}`. Throws, restoring nothing, on a checkpoint of another
    /// run or a damaged one: the run can then start from the beginning.
    pub fn resume(&mut self, checkpoints: js_sys::Array) -> Result<JsValue, JsError> {
        let bytes: Vec<Vec<u8>> = checkpoints.iter().map(|c| js_sys::Uint8Array::new(&c).to_vec()).collect();
        to_js(&self.inner.resume(bytes).map_err(js_err)?)
    }
}

/// The image entries of a user's .zip, `[name, bytes]` pairs in natural order
/// (the CLI reads a zip the same way); throws naming the file when it has none.
#[wasm_bindgen]
pub fn images_in_zip(name: &str, bytes: &[u8]) -> Result<JsValue, JsError> {
    let entries = crate::data::archive::images_in_zip(name, bytes).map_err(js_err)?;
    let out = js_sys::Array::new();
    for (n, b) in entries {
        let pair = js_sys::Array::new();
        pair.push(&JsValue::from_str(&n));
        pair.push(&js_sys::Uint8Array::from(&b[..]));
        out.push(&pair);
    }
    Ok(out.into())
}

/// One metric of two matrices given row-major (`x`: `x_rows` rows), with the
/// parameters as a JS object (`MetricParams` keys: `lambda`, `folds`,
/// `compare`, ...); returns what `idlab metric NAME` prints. Throws with the
/// core's message for a bad name, shape, parameter or value.
#[wasm_bindgen]
pub fn compute_metric(name: &str, x: &[f64], x_rows: usize, y: &[f64], y_rows: usize, params: JsValue) -> Result<JsValue, JsError> {
    use crate::metrics::registry::{compute, MetricName, MetricParams};
    let metric = MetricName::parse(name).map_err(js_err)?;
    let params: MetricParams = if params.is_undefined() || params.is_null() {
        MetricParams::default()
    } else {
        serde_wasm_bindgen::from_value(params).map_err(|e| JsError::new(&format!("invalid metric parameters: {e}")))?
    };
    let x = row_major(x, x_rows, "x")?;
    let y = row_major(y, y_rows, "y")?;
    to_js(&compute(metric, &x, &y, &params).map_err(js_err)?)
}

fn row_major(data: &[f64], rows: usize, what: &str) -> Result<nalgebra::DMatrix<f64>, JsError> {
    if rows == 0 || data.is_empty() || data.len() % rows != 0 {
        return Err(JsError::new(&format!("{what}: {} values do not make {rows} rows", data.len())));
    }
    Ok(nalgebra::DMatrix::from_row_slice(rows, data.len() / rows, data))
}

/// What a model side of the page's form needs to classify: `{name, kind:
/// "file" | "url" | "shipped", url, sha256, bytes}` (fetch or ask for that
/// file, then give its bytes to `new Classifier`), or null for a seeded zoo
/// model. Throws the side's error.
#[wasm_bindgen]
pub fn classifier_needs(model: JsValue) -> Result<JsValue, JsError> {
    to_js(&crate::classify::needs(&model_spec(&model)?).map_err(js_err)?)
}

/// A model side (`{"arch", "seed"}`, `{"arch", "weights"}`, `{"tflite"}`, `{"onnx"}`) as the spec writes it.
fn model_spec(model: &JsValue) -> Result<crate::experiment::ModelSpec, JsError> {
    serde_json::from_str(&json_text(model, "model")?).map_err(|e| JsError::new(&format!("invalid model: {e}")))
}

/// A model built once to classify images one at a time (the page's "Check:
/// top-5 classes"), through the function `idlab classify` uses, so both give
/// the same classes.
#[wasm_bindgen]
pub struct Classifier {
    inner: crate::classify::Classifier,
}

#[wasm_bindgen]
impl Classifier {
    /// Takes a model side of a spec and the bytes of the file
    /// [`classifier_needs`] names (undefined for a seeded zoo model); throws
    /// with the core's message (a wrong weights file names the tensor and both shapes).
    #[wasm_bindgen(constructor)]
    pub fn new(model: JsValue, bytes: Option<Vec<u8>>) -> Result<Classifier, JsError> {
        if cfg!(feature = "threads") {
            crate::runtime::use_thread_pool();
        }
        let spec = model_spec(&model)?;
        let inner = crate::classify::from_spec(&spec, bytes.as_deref()).map_err(js_err)?;
        Ok(Classifier { inner })
    }

    /// The model's label, as `idlab classify` prints it.
    pub fn label(&self) -> String {
        self.inner.label().to_string()
    }

    /// Whether the indices are ImageNet-1k's (known after the first image; true before).
    pub fn imagenet(&self) -> bool {
        self.inner.classes().is_none_or(|c| c.is_imagenet())
    }

    /// The `k` most probable classes of one image: `[{index, label, p}]`, most probable first.
    pub fn classify(&mut self, name: &str, bytes: &[u8], k: usize) -> Result<JsValue, JsError> {
        to_js(&self.inner.classify(name, bytes, k).map_err(js_err)?)
    }
}

// Course assignments (crate::assignment): the page's student and author modes.

/// A JS value as serde_json, through its JSON text.
fn json_value(value: &JsValue, what: &str) -> Result<serde_json::Value, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(&json_text(value, what)?).map_err(|e| JsError::new(&format!("invalid {what}: {e}")))
}

/// A JS object as a JSON map (undefined or null: empty).
fn json_map(value: &JsValue, what: &str) -> Result<serde_json::Map<String, serde_json::Value>, JsError> {
    match json_value(value, what)? {
        serde_json::Value::Null => Ok(Default::default()),
        serde_json::Value::Object(m) => Ok(m),
        _ => Err(JsError::new(&format!("invalid {what}: not an object"))),
    }
}

fn manifest_of(value: &JsValue) -> Result<crate::assignment::Manifest, JsError> {
    crate::assignment::open::parse_manifest(json_value(value, "manifest")?).map_err(js_err)
}

/// Opens an assignment's `.idlab.zip` bytes, checking everything before
/// anything runs: `{manifest, sha256, instructions, specs: {stepId: spec},
/// files: [{path, name, bytes: Uint8Array}]}` (the data files, handed to a
/// run by `name`). Throws the problem (not an assignment, newer version,
/// altered or unlisted file, invalid spec, unsafe Markdown...).
#[wasm_bindgen]
pub fn assignment_open(bytes: &[u8]) -> Result<JsValue, JsError> {
    let opened = crate::assignment::open(bytes).map_err(js_err)?;
    let out = to_js(&serde_json::json!({
        "manifest": opened.manifest,
        "sha256": opened.sha256,
        "instructions": opened.instructions,
        "specs": opened.specs,
    }))?;
    let files = js_sys::Array::new();
    for f in &opened.files {
        let o = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), v).map(|_| ()).map_err(|_| JsError::new("cannot build the files list"));
        set("path", &JsValue::from_str(&f.path))?;
        set("name", &JsValue::from_str(&f.name))?;
        set("bytes", &js_sys::Uint8Array::from(f.bytes.as_slice()).into())?;
        files.push(&o);
    }
    js_sys::Reflect::set(&out, &JsValue::from_str("files"), &files).map_err(|_| JsError::new("cannot build the files list"))?;
    Ok(out)
}

/// Checks a student's answer to a question step: `{correct: bool | null
/// (text), off_by, hint (when wrong), expected (only when the author reveals
/// it)}`; `results` maps run step ids to their result documents.
#[wasm_bindgen]
pub fn assignment_check(manifest: JsValue, step_id: &str, answer: JsValue, results: JsValue) -> Result<JsValue, JsError> {
    let manifest = manifest_of(&manifest)?;
    let answer = json_value(&answer, "answer")?;
    let results = json_map(&results, "results")?;
    to_js(&crate::assignment::check_answer(&manifest, step_id, &answer, &results).map_err(js_err)?)
}

/// The hand-in report: `{json, html}` (the core fills the lab's version and
/// build, the time, every check and `content_sha256`).
#[wasm_bindgen]
pub fn assignment_report(manifest: JsValue, sha256: &str, student: JsValue, answers: JsValue, results: JsValue, specs: JsValue) -> Result<JsValue, JsError> {
    let manifest = manifest_of(&manifest)?;
    let student = json_value(&student, "student")?;
    let created = String::from(js_sys::Date::new_0().to_iso_string());
    let lab = crate::assignment::report::Lab { version: env!("CARGO_PKG_VERSION"), build: if RELAXED { "threads, relaxed-simd" } else { FLAVOR } };
    let (json, html) = crate::assignment::report(
        &manifest,
        sha256,
        &student,
        &json_map(&answers, "answers")?,
        &json_map(&results, "results")?,
        &json_map(&specs, "specs")?,
        lab,
        &created,
    )
    .map_err(js_err)?;
    to_js(&serde_json::json!({ "json": json, "html": html }))
}

/// A first draft of an assignment from a spec and its result:
/// `{manifest, files: {path: text}, notes: {stepId: text}}`, one numeric
/// question per JSON Pointer in `paths`.
#[wasm_bindgen]
pub fn assignment_draft(spec: JsValue, result: JsValue, paths: Vec<String>) -> Result<JsValue, JsError> {
    let spec = json_value(&spec, "spec")?;
    let result = json_value(&result, "result")?;
    to_js(&crate::assignment::draft(&spec, &result, &paths).map_err(js_err)?)
}

/// The `.idlab.zip` bytes of a manifest and its files (`{path: Uint8Array |
/// string}`), the files list filled with sha256 and sizes, validated as
/// `assignment_open` would.
#[wasm_bindgen]
pub fn assignment_pack(manifest: JsValue, files: JsValue) -> Result<Vec<u8>, JsError> {
    let manifest = json_value(&manifest, "manifest")?;
    let mut map = std::collections::BTreeMap::new();
    let files: js_sys::Object = files.dyn_into().map_err(|_| JsError::new("invalid files: not an object"))?;
    for entry in js_sys::Object::entries(&files).iter() {
        let pair: js_sys::Array = entry.into();
        let path = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        let bytes = if let Some(text) = value.as_string() {
            text.into_bytes()
        } else if value.is_instance_of::<js_sys::Uint8Array>() {
            js_sys::Uint8Array::from(value).to_vec()
        } else if value.is_instance_of::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(&value).to_vec()
        } else {
            return Err(JsError::new(&format!("files[\"{path}\"] is neither text nor a Uint8Array")));
        };
        map.insert(path, bytes);
    }
    crate::assignment::pack(manifest, &map).map_err(js_err)
}
