//! `idlab run` as a user calls it: a spec file in, three result files out.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn out_dir(tag: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

#[test]
fn run_writes_json_and_csv_matching_the_fixture() {
    let out = out_dir("run");
    let status = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .arg("run")
        .arg(repo().join("tests/fixtures/session-alexnet-6.spec.json"))
        .arg("-o")
        .arg(&out)
        .arg("--quiet")
        .status()
        .unwrap();
    assert!(status.success());
    let result: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["flavor"], "native");
    assert_eq!(result["n_stimuli"], 6);
    assert_eq!(result["spec"]["stimuli"]["limit"], 6);
    let matrix: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("matrix.json")).unwrap()).unwrap();
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/session-alexnet-6.matrix.json"
    ))
    .unwrap();
    assert_eq!(matrix["source_layers"], fixture["source_layers"]);
    let (a, b) = (matrix["matrix"].as_array().unwrap(), fixture["matrix"].as_array().unwrap());
    for (ra, rb) in a.iter().zip(b) {
        for (x, y) in ra.as_array().unwrap().iter().zip(rb.as_array().unwrap()) {
            assert!((x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= 1e-4);
        }
    }
    let csv = std::fs::read_to_string(out.join("matrix.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 9, "header + 8 source layers");
    assert!(lines[0].starts_with("source\\target,features.0,"));
    assert!(lines[8].starts_with("classifier.6,"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_spec_names_the_file_and_the_field() {
    let out = out_dir("bad");
    std::fs::create_dir_all(&out).unwrap();
    let spec = out.join("bad.json");
    std::fs::write(
        &spec,
        r#"{"idlab":1,"stimuli":{"set":"kriegeskorte92"},"source":{"arch":"alexnet","seed":0},"target":{"arch":"vgg99","seed":1},"metric":"cka"}"#,
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(&spec).arg("-o").arg(&out).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json") && err.contains("target: unknown architecture \"vgg99\""), "{err}");
    assert!(!out.join("result.json").exists());
    let _ = std::fs::remove_dir_all(&out);
}
