//! Determinism: every preset, reduced, run by `idlab --threads T run` with
//! T = 1, 2 and 4 (three processes, so a run-to-run difference shows too)
//! gives the same files bit for bit: the
//! result (all but its `seconds`), scores.csv, report.txt (all but its time)
//! and the export (every layer's RDM as .npy, and its activations for two
//! presets). Images are split across the pool and each is computed alone, and
//! every parallel metric reduces in a fixed order, so the thread count must
//! change nothing. Before the fix in `Recorder::run_alone`, 2 or more threads
//! could abort a run (tract's scratch space borrowed twice on one thread).
//!
//! The reductions keep what each preset's metrics and analyses need (enough
//! images for a held-out split, two architectures per class, a noisy twin for
//! specificity) with few images, two layers per model and small zoo models
//! where the preset's own are slow to build: tests/fixtures/determinism-reduced.json
//! says what each keeps; the browser test (tests/e2e/determinism.test.mjs) runs
//! some of the same reductions against the native result.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Per preset (file name without `.json`): `limit` (stimuli.limit), and the
/// `sources`, `targets` and `layers` that replace the preset's; `more` is the
/// count of each extra (procedural) stimulus set. Shared with the browser test.
const REDUCED: &str = include_str!("../../tests/fixtures/determinism-reduced.json");

/// [`REDUCED`]'s reductions by preset.
fn reductions() -> Value {
    let doc: Value = serde_json::from_str(REDUCED).unwrap();
    doc["presets"].clone()
}

/// The presets whose every layer's activations are exported and compared too
/// (writing them all for every preset would double the test's time).
const ACTIVATIONS: [&str; 2] = ["alexnet-seeds-cka", "random-alexnet-vs-it"];

/// The preset `name` reduced as [`REDUCED`] says, with the export of every
/// layer's RDM (and of its activations for [`ACTIVATIONS`]) turned on.
fn reduced(name: &str) -> Value {
    let file = repo().join(format!("www/presets/{name}.json"));
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let all = reductions();
    let r = all.get(name).unwrap_or_else(|| panic!("{name}: no reduction in REDUCED"));
    spec["name"] = json!(format!("{} (reduced)", spec["name"].as_str().unwrap()));
    spec["stimuli"]["limit"] = r["limit"].clone();
    for key in ["sources", "targets", "layers"] {
        if let Some(v) = r.get(key) {
            spec[key] = v.clone();
        }
    }
    if let Some(n) = r.get("more") {
        for set in spec["more_stimuli"].as_array_mut().expect("a preset with more stimulus sets") {
            set["count"] = n.clone();
        }
    }
    spec["export"] = json!({"activations": ACTIVATIONS.contains(&name), "rdms": true});
    spec
}

/// `idlab --threads <threads> run <spec> -o <out>`; panics with its output on failure.
fn run(spec: &Path, out: &Path, threads: usize) {
    let _ = std::fs::remove_dir_all(out);
    let o = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args(["--threads", &threads.to_string(), "run"])
        .arg(spec)
        .arg("-o")
        .arg(out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "idlab --threads {threads} run {} failed ({}):\n{}",
        spec.display(),
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every file under `dir` (relative path, bytes), sorted; result.json without its `seconds`.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                let mut bytes = std::fs::read(&p).unwrap();
                if rel == "report.txt" {
                    // Its last line is the run's wall time.
                    let text = String::from_utf8(bytes).unwrap();
                    bytes = text.lines().filter(|l| !l.starts_with("Total time:")).collect::<Vec<_>>().join("\n").into_bytes();
                } else if rel == "result.json" {
                    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
                    v.as_object_mut().unwrap().remove("seconds").expect("the run's seconds");
                    bytes = serde_json::to_vec_pretty(&v).unwrap();
                }
                out.push((rel, bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Where two results' JSON first differ, and by how much when both are numbers.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Some(format!("{at}: keys differ"));
            }
            x.iter().find_map(|(k, v)| match y.get(k) {
                Some(w) => first_difference(v, w, &format!("{at}.{k}")),
                None => Some(format!("{at}.{k}: missing")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (v, w))| first_difference(v, w, &format!("{at}[{i}]")))
        }
        (Value::Number(x), Value::Number(y)) if x != y => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            Some(format!("{at}: {x:e} vs {y:e} (|diff| {:e})", (x - y).abs()))
        }
        _ if a != b => Some(format!("{at}: {a} vs {b}")),
        _ => None,
    }
}

/// The run's numbers are there: each score table has a finite value, and the
/// export holds activations and RDMs (so "identical" is not "both empty").
fn check_substance(name: &str, files: &[(String, Vec<u8>)]) {
    let result: Value = serde_json::from_slice(&files.iter().find(|(p, _)| p == "result.json").unwrap().1).unwrap();
    let scores = result["scores"].as_array().unwrap();
    assert!(!scores.is_empty(), "{name}: no score tables");
    for s in scores {
        let finite = s["values"].to_string().split(|c: char| c == '[' || c == ']' || c == ',').any(|v| v.parse::<f64>().is_ok_and(f64::is_finite));
        assert!(finite, "{name}: {} {} vs {} has no score: {:?}", s["metric"], s["source"], s["target"], result["warnings"]);
    }
    let count = |folder: &str| files.iter().filter(|(p, _)| p.contains(folder) && p.ends_with(".npy")).count();
    assert!(count("rdms/") > 0, "{name}: the export has RDMs");
    assert_eq!(count("activations/") > 0, ACTIVATIONS.contains(&name), "{name}: the export has activations");
}

/// Runs preset `name` reduced with 1, 2 and 4 threads and asserts the three
/// output folders are identical file for file, byte for byte.
fn same_bits_for_any_thread_count(name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("determinism-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("spec.json");
    std::fs::write(&spec, serde_json::to_string_pretty(&reduced(name)).unwrap()).unwrap();
    let mut runs = Vec::new();
    for (k, threads) in [1, 2, 4].into_iter().enumerate() {
        let out = dir.join(format!("run{k}-threads{threads}"));
        run(&spec, &out, threads);
        runs.push((threads, files(&out)));
    }
    let (_, first) = &runs[0];
    check_substance(name, first);
    for (threads, other) in &runs[1..] {
        let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(names(first), names(other), "{name}: the same files with 1 and {threads} threads");
        for ((path, a), (_, b)) in first.iter().zip(other) {
            if a == b {
                continue;
            }
            let why = if path == "result.json" {
                first_difference(&serde_json::from_slice(a).unwrap(), &serde_json::from_slice(b).unwrap(), "result")
                    .unwrap_or_default()
            } else {
                format!("{} vs {} bytes", a.len(), b.len())
            };
            panic!("{name}: {path} differs between 1 and {threads} threads: {why}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every preset of the site has a reduction here (a new preset must add one).
#[test]
fn every_preset_is_covered() {
    let all = reductions();
    let mut presets: Vec<String> = std::fs::read_dir(repo().join("www/presets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json") && f != "index.json")
        .map(|f| f.trim_end_matches(".json").to_string())
        .collect();
    presets.sort();
    let mut covered: Vec<String> = all.as_object().unwrap().keys().cloned().collect();
    covered.sort();
    assert_eq!(presets, covered, "www/presets/*.json and the reductions of this test");
    for p in &presets {
        idlab::experiment::Spec::from_json(&reduced(p).to_string()).unwrap_or_else(|e| panic!("{p} reduced: {e}"));
    }
}

macro_rules! preset {
    ($($test:ident => $name:literal,)*) => {$(
        #[test]
        fn $test() {
            same_bits_for_any_thread_count($name);
        }
    )*};
}

preset! {
    alexnet_seeds_cka => "alexnet-seeds-cka",
    identify_architecture => "identify-architecture",
    identify_architecture_1200 => "identify-architecture-1200",
    partial_recordings => "partial-recordings",
    which_stimuli_identify => "which-stimuli-identify",
    convolution_vs_attention => "convolution-vs-attention",
    random_alexnet_vs_it => "random-alexnet-vs-it",
    linear_vs_nonlinear => "linear-vs-nonlinear",
    predictivity_specificity => "predictivity-specificity",
    trained_vs_random => "trained-vs-random",
    training_data => "training-data",
}
