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
    assert_eq!(result["spec"]["idlab"], 2, "a version 1 spec runs upgraded");
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/session-alexnet-6.matrix.json"
    ))
    .unwrap();
    assert_eq!(result["models"][0]["layers"], fixture["source_layers"]);
    let (a, b) = (result["scores"][0]["values"].as_array().unwrap(), fixture["matrix"].as_array().unwrap());
    assert_eq!(a.len(), b.len());
    for (ra, rb) in a.iter().zip(b) {
        for (x, y) in ra.as_array().unwrap().iter().zip(rb.as_array().unwrap()) {
            assert!((x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= 1e-4);
        }
    }
    // Tidy CSV: a header and one row per layer pair.
    let csv = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "metric,source,source_layer,target,target_layer,subject,value,p_value");
    assert_eq!(lines.len(), 1 + 10 * 10, "header + 10 x 10 layer pairs");
    assert!(lines[1].starts_with("cka,alexnet seed 0,features.0,alexnet seed 1,features.0,,"), "{}", lines[1]);
    let report = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(report.contains("6 stimuli (kriegeskorte92)") && report.contains("metric cka: defaults"), "{report}");
    let hashes = report.lines().filter(|l| l.trim_start().starts_with("stimulus ") && l.len() > 64).count();
    assert_eq!(hashes, 6, "one sha256 per stimulus:\n{report}");
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
    assert!(err.contains("bad.json") && err.contains("targets[0]: unknown architecture \"vgg99\""), "{err}");
    assert!(!out.join("result.json").exists());
    let _ = std::fs::remove_dir_all(&out);
}

fn stimuli_dir(tag: &str, n: usize) -> PathBuf {
    let dir = out_dir(tag);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let name = format!("{i:03}.png");
        std::fs::copy(repo().join("www/data/kriegeskorte92/images").join(&name), dir.join(&name)).unwrap();
    }
    dir
}

fn read_npz(path: &Path, name: &str) -> ndarray::Array2<f32> {
    let mut npz = ndarray_npy::NpzReader::new(std::fs::File::open(path).unwrap()).unwrap();
    npz.by_name(name).unwrap()
}

fn idlab(args: &[&std::ffi::OsStr]) {
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Activations of a zoo model, and of the same model exported and loaded back
/// as a user's ONNX file: same layers, same numbers; `:pre` is before the ReLU.
#[test]
fn activations_of_zoo_model_and_exported_onnx_agree() {
    let stim = stimuli_dir("act-stim", 2);
    let out = out_dir("act-out");
    std::fs::create_dir_all(&out).unwrap();
    let (zoo_npz, onnx, user_npz) = (out.join("zoo.npz"), out.join("alexnet.onnx"), out.join("user.npz"));
    let os = |s: &str| std::ffi::OsString::from(s);
    idlab(&[&os("activations"), &os("--model"), &os("alexnet:3"), &os("--stimuli"), stim.as_os_str(),
        &os("--layers"), &os("features.3,features.3:pre,classifier.4"), &os("-o"), zoo_npz.as_os_str()]);
    let post = read_npz(&zoo_npz, "features.3");
    let pre = read_npz(&zoo_npz, "features.3:pre");
    assert_eq!(post.dim(), (2, 192 * 27 * 27));
    assert_eq!(read_npz(&zoo_npz, "classifier.4").dim(), (2, 4096));
    assert!(pre.iter().any(|&v| v < 0.0), "pre-activation has negative values");
    assert!(post.iter().zip(pre.iter()).all(|(a, b)| *a == b.max(0.0)), "post = relu(pre)");

    idlab(&[&os("export"), &os("--arch"), &os("alexnet"), &os("--seed"), &os("3"), &os("-o"), onnx.as_os_str()]);
    idlab(&[&os("activations"), &os("--model"), onnx.as_os_str(), &os("--stimuli"), stim.as_os_str(),
        &os("--layers"), &os("features.4"), &os("-o"), user_npz.as_os_str()]);
    assert_eq!(read_npz(&user_npz, "features.4"), post, "the exported file gives the zoo's numbers");
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&stim);
}

#[test]
fn activations_errors_are_specific() {
    let o = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args(["activations", "--model", "alexnet:x", "--stimuli", ".", "-o", "/dev/null"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("seed \"x\" is not a whole number"));
    let bad = out_dir("not-onnx");
    std::fs::create_dir_all(&bad).unwrap();
    let f = bad.join("model.onnx");
    std::fs::write(&f, b"this is not a protobuf at all").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args(["activations", "--layers", "x", "--stimuli", ".", "-o", "/dev/null", "--model"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not an ONNX model"), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&bad);
}
