//! A user's ONNX file as one side of an experiment: a resnet18 seed-0 export
//! against the zoo's resnet18 seed 0 scores 1 on the diagonal, via the CLI and
//! via `Session`; the spec and session errors name the problem.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use idlab::experiment::{Session, Spec};
use idlab::zoo::{self, Arch};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const LAYERS: [&str; 3] = ["layer1.0", "layer2.0", "avgpool"];

fn resnet18_bytes() -> Vec<u8> {
    zoo::to_onnx_bytes(&zoo::build(Arch::ResNet18, 0).proto)
}

fn spec_json() -> Value {
    json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 3},
        "sources": [{"onnx": "resnet18.onnx", "layers": LAYERS}],
        "targets": [{"arch": "resnet18", "seed": 0}],
        "layers": LAYERS,
        "metrics": [{"name": "cka"}]
    })
}

fn dir(tag: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("onnx-side-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn check_diagonal(matrix: &[Vec<f64>]) {
    assert_eq!(matrix.len(), LAYERS.len());
    for (i, row) in matrix.iter().enumerate() {
        assert_eq!(row.len(), LAYERS.len());
        assert!((row[i] - 1.0).abs() < 1e-9, "diagonal {i}: {}", row[i]);
    }
}

fn session(spec: &Value) -> Session {
    let mut s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    for (i, bytes) in common::STIMULI.iter().take(3).enumerate() {
        s.add_stimulus(&format!("{i}.png"), bytes).unwrap();
    }
    s
}

#[test]
fn cli_runs_a_spec_with_an_onnx_source() {
    let d = dir("cli");
    std::fs::write(d.join("resnet18.onnx"), resnet18_bytes()).unwrap();
    std::fs::write(d.join("spec.json"), spec_json().to_string()).unwrap();
    let out = d.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .arg("run")
        .arg(d.join("spec.json"))
        .arg("-o")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let result: Value = serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    let (source, target) = (&result["models"][0], &result["models"][1]);
    assert_eq!(source["id"], "s0");
    assert_eq!(source["kind"], "onnx");
    assert_eq!(source["label"], "resnet18.onnx");
    assert!(source.get("seed").is_none(), "{source}");
    assert_eq!(target["seed"], 0);
    assert_eq!(source["layers"], json!(LAYERS));
    assert_eq!(result["spec"]["sources"], spec_json()["sources"]);
    let model = result["inputs"].as_array().unwrap().iter().find(|i| i["role"] == "model").unwrap();
    assert_eq!(model["name"], "resnet18.onnx");
    assert_eq!(model["sha256"].as_str().unwrap().len(), 64);
    let matrix: Vec<Vec<f64>> = serde_json::from_value(result["scores"][0]["values"].clone()).unwrap();
    check_diagonal(&matrix);
    for file in ["scores.csv", "report.txt"] {
        assert!(out.join(file).exists(), "{file} written");
    }
}

#[test]
fn cli_names_a_missing_model_file() {
    let d = dir("missing");
    std::fs::write(d.join("spec.json"), spec_json().to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(d.join("spec.json")).arg("-o").arg(d.join("out")).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot read model") && err.contains("resnet18.onnx"), "{err}");
}

#[test]
fn session_runs_an_onnx_source_and_target() {
    let mut spec = spec_json();
    spec["targets"][0] = json!({"onnx": "resnet18.onnx", "layers": LAYERS});
    let mut s = session(&spec);
    s.add_model("resnet18.onnx", resnet18_bytes()).unwrap();
    let r = common::drive::finish(&mut s);
    check_diagonal(&common::pair_matrix(&r));
    assert_eq!(r.models[1].seed, None);

    // And against the zoo model, the bytes added after the stimuli.
    let mut s = session(&spec_json());
    s.add_model("resnet18.onnx", resnet18_bytes()).unwrap();
    let r = common::drive::finish(&mut s);
    check_diagonal(&common::pair_matrix(&r));
    assert_eq!(r.models[0].label, "resnet18.onnx");
    assert_eq!(r.models[1].seed, Some(0));
}

#[test]
fn spec_and_session_errors_name_the_problem() {
    let err = |v: Value| Spec::from_json(&v.to_string()).unwrap_err().to_string();
    let mut both = spec_json();
    both["sources"][0]["arch"] = "resnet18".into();
    both["sources"][0]["seed"] = 0.into();
    assert!(err(both).contains("sources[0]: give one of: arch and seed (a zoo model), onnx and layers (your model)"));
    let mut no_layers = spec_json();
    no_layers["sources"][0] = json!({"onnx": "resnet18.onnx"});
    let e = err(no_layers);
    assert!(e.contains("sources[0]: onnx model resnet18.onnx needs \"layers\""), "{e}");

    let mut s = session(&spec_json());
    let e = s.add_model("other.onnx", resnet18_bytes()).unwrap_err().to_string();
    assert!(e.contains("no onnx model \"other.onnx\"") && e.contains("resnet18.onnx"), "{e}");
    let e = s.step().unwrap_err().to_string();
    assert!(e.contains("onnx model resnet18.onnx was not added"), "{e}");
    let e = s.add_model("resnet18.onnx", b"garbage".to_vec()).unwrap_err().to_string();
    assert!(e.contains("resnet18.onnx is not an ONNX model"), "{e}");

    let mut wrong_layer = spec_json();
    wrong_layer["sources"][0]["layers"] = json!(["layer9.9"]);
    let mut s = session(&wrong_layer);
    let e = s.add_model("resnet18.onnx", resnet18_bytes()).unwrap_err().to_string();
    assert!(e.contains("no recordable layer named \"layer9.9\"") && e.contains("candidates"), "{e}");

    let mut small = spec_json();
    small["sources"][0]["size"] = 128.into();
    let mut s = session(&small);
    let e = s.add_model("resnet18.onnx", resnet18_bytes()).unwrap_err().to_string();
    assert!(e.contains("size 128") && e.contains("224 x 224"), "{e}");
}

/// Preprocessing given in the spec replaces the file's metadata: the export's
/// own ImageNet statistics given explicitly change nothing; BGR order or
/// other statistics give other activations (diagonal below 1); bad values
/// are refused by name.
#[test]
fn spec_preprocessing_overrides_the_file() {
    let run = |source: Value| {
        let mut spec = spec_json();
        spec["sources"][0] = source;
        let mut s = session(&spec);
        s.add_model("resnet18.onnx", resnet18_bytes()).unwrap();
        common::drive::finish(&mut s)
    };
    let base = json!({"onnx": "resnet18.onnx", "layers": LAYERS});
    let mut same = base.clone();
    same["mean"] = json!([0.485, 0.456, 0.406]);
    same["std"] = json!([0.229, 0.224, 0.225]);
    same["channels"] = "rgb".into();
    check_diagonal(&common::pair_matrix(&run(same)));
    let mut bgr = base.clone();
    bgr["channels"] = "bgr".into();
    let m = common::pair_matrix(&run(bgr));
    assert!(m[0][0] < 0.999999, "BGR input changes layer1.0: {}", m[0][0]);
    let mut stats = base.clone();
    stats["mean"] = json!([0.5, 0.5, 0.5]);
    stats["std"] = json!([0.1, 0.1, 0.1]);
    let m = common::pair_matrix(&run(stats));
    assert!(m[0][0] < 0.999999, "other statistics change layer1.0: {}", m[0][0]);

    let err = |side: Value| {
        let mut spec = spec_json();
        spec["sources"][0] = side;
        Spec::from_json(&spec.to_string()).unwrap_err().to_string()
    };
    let mut bad = base.clone();
    bad["std"] = json!([0.2, 0.0, 0.2]);
    assert!(err(bad).contains("std must be three positive numbers"));
    let mut bad = base.clone();
    bad["channels"] = "rgba".into();
    assert!(err(bad).contains("rgba"));
    assert!(err(json!({"arch": "resnet18", "seed": 0, "mean": [0.5, 0.5, 0.5]})).contains("a zoo model has its own"));
}
