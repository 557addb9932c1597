//! `idlab metric` and `idlab rdm` as a checker calls them: .npy files in
//! (float32 or float64, C or Fortran order), one JSON object out, errors that
//! name the file and the problem.
#![cfg(not(target_arch = "wasm32"))]

use idlab::experiment::exports::{npy_f64, zip};
use npyz::WriterBuilder;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(tag: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("metric-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    serde_json::from_value(v.clone()).unwrap()
}

/// Writes `m` as an .npy of T, in C or Fortran order (npyz, the core's reader's library).
fn write<T: npyz::AutoSerialize + Copy>(path: &Path, m: &[Vec<f64>], conv: fn(f64) -> T, fortran: bool) {
    let (n, p) = (m.len(), m[0].len());
    let values: Vec<T> = if fortran {
        (0..p).flat_map(|j| (0..n).map(move |i| conv(m[i][j]))).collect()
    } else {
        (0..n).flat_map(|i| (0..p).map(move |j| conv(m[i][j]))).collect()
    };
    let order = if fortran { npyz::Order::Fortran } else { npyz::Order::C };
    let mut file = std::fs::File::create(path).unwrap();
    let mut w = npyz::WriteOptions::new().default_dtype().shape(&[n as u64, p as u64]).order(order).writer(&mut file).begin_nd().unwrap();
    w.extend(values).unwrap();
    w.finish().unwrap();
}

fn idlab(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).args(args).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

fn metric(name: &str, x: &Path, y: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["metric", name, "--x", x.to_str().unwrap(), "--y", y.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (ok, out, err) = idlab(&args);
    assert!(ok, "idlab {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// The numpy CKA fixture through .npy files of every layout and precision.
#[test]
fn cka_of_npy_files_matches_numpy_in_every_layout() {
    let d = dir("cka");
    let fixture: Value = serde_json::from_str(include_str!("../../tests/fixtures/cka.json")).unwrap();
    for (k, case) in fixture["cases"].as_array().unwrap().iter().enumerate() {
        let (x, y) = (rows(&case["x"]), rows(&case["y"]));
        let expected = case["linear_cka"].as_f64().unwrap();
        let (xf, yf) = (d.join(format!("x{k}.npy")), d.join(format!("y{k}.npy")));
        write(&xf, &x, |v| v, k % 2 == 0);
        write(&yf, &y, |v| v, k % 2 == 1);
        let r = metric("cka", &xf, &yf, &[]);
        assert_eq!(r["metric"], "cka");
        let got = r["value"].as_f64().unwrap();
        assert!((got - expected).abs() <= 1e-9 * expected.abs(), "{}: {got} vs numpy {expected}", case["name"]);
        assert_eq!(r["x_shape"], serde_json::json!([x.len(), x[0].len()]));
        // float32 storage: the value moves by float32 rounding only.
        let (x32, y32) = (d.join(format!("x{k}-32.npy")), d.join(format!("y{k}-32.npy")));
        write(&x32, &x, |v| v as f32, false);
        write(&y32, &y, |v| v as f32, true);
        let got32 = metric("cka", &x32, &y32, &[])["value"].as_f64().unwrap();
        assert!((got32 - expected).abs() < 1e-5, "{}: float32 {got32} vs {expected}", case["name"]);
        // Backward swaps the sides; CKA is symmetric.
        let back = metric("cka", &xf, &yf, &["--direction", "backward"]);
        assert_eq!(back["direction"], "backward");
        assert_eq!(back["x_shape"], serde_json::json!([y.len(), y[0].len()]));
        assert!((back["value"].as_f64().unwrap() - got).abs() < 1e-12);
    }
}

#[test]
fn bad_files_and_names_are_refused_with_the_reason() {
    let d = dir("bad");
    let x = vec![vec![1.0, 2.0], vec![3.0, 5.0], vec![4.0, 4.0]];
    let (xf, short, nan, text) = (d.join("x.npy"), d.join("short.npy"), d.join("nan.npy"), d.join("text.npy"));
    write(&xf, &x, |v| v, false);
    write(&short, &x[..2], |v| v, false);
    let mut with_nan = x.clone();
    with_nan[2][1] = f64::NAN;
    write(&nan, &with_nan, |v| v, false);
    std::fs::write(&text, "not a numpy file").unwrap();
    let run = |args: &[&str]| {
        let (ok, _, err) = idlab(args);
        assert!(!ok, "{args:?} should fail");
        err
    };
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let e = run(&["metric", "cca", "--x", &s(&xf), "--y", &s(&xf)]);
    assert!(e.contains("unknown metric 'cca'") && e.contains("regression"), "{e}");
    let e = run(&["metric", "cka", "--x", &s(&xf), "--y", &s(&short)]);
    assert!(e.contains("X has 3 rows, Y has 2"), "{e}");
    let e = run(&["metric", "cka", "--x", &s(&xf), "--y", &s(&nan)]);
    assert!(e.contains("Y has a non-finite value (NaN) at row 2, column 1"), "{e}");
    let e = run(&["metric", "cka", "--x", &s(&text), "--y", &s(&xf)]);
    assert!(e.contains("text.npy") && e.contains("not a readable .npy"), "{e}");
    let e = run(&["metric", "cka", "--x", &s(&d.join("missing.npy")), "--y", &s(&xf)]);
    assert!(e.contains("cannot read") && e.contains("missing.npy"), "{e}");
    let e = run(&["metric", "cka", "--x", &s(&xf), "--y", &s(&xf), "--direction", "sideways"]);
    assert!(e.contains("forward or backward"), "{e}");
}

/// The other formats through the core's readers: .npz by key, .csv, .mat.
#[test]
fn npz_csv_and_mat_files_are_read_like_npy() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/data");
    let f = |name: &str| fx.join(name).to_str().unwrap().to_string();
    // The same 3 x 2 array saved by savez and savez_compressed: CKA 1.
    let r = metric("cka", Path::new(&f("savez_one.npz")), Path::new(&f("compressed_one.npz")), &[]);
    assert!((r["value"].as_f64().unwrap() - 1.0).abs() < 1e-12, "{r}");
    assert_eq!(r["x_shape"], serde_json::json!([3, 2]));
    let r = metric("cka", Path::new(&f("savez_two.npz:b")), Path::new(&f("named.csv")), &[]);
    assert_eq!(r["x_shape"], serde_json::json!([3, 1]));
    let r = metric("cka", Path::new(&f("one_var.mat")), Path::new(&f("f32_c.npy")), &[]);
    assert_eq!(r["x_shape"], serde_json::json!([4, 3]));
    let (ok, _, err) = idlab(&["metric", "cka", "--x", &f("savez_two.npz"), "--y", &f("named.csv")]);
    assert!(!ok && err.contains("holds 2 arrays; choose one of 'a', 'b'") && err.contains("savez_two.npz:KEY)"), "{err}");
    // A key with a colon, as `idlab activations` names a pre-activation layer.
    let d = dir("npz-key");
    let acts = d.join("acts.npz");
    let layer1 = npy_f64(&[3, 4], (0..3).flat_map(|i| (0..4).map(move |j| (i * j) as f64 + (j as f64).sin()))).unwrap();
    let fc = npy_f64(&[3, 2], (0..3).flat_map(|i| (0..2).map(move |j| (i + 2 * j) as f64 * 0.5 + (i * i) as f64))).unwrap();
    std::fs::write(&acts, zip([("layer1.0:pre.npy", layer1.as_slice()), ("fc.npy", fc.as_slice())]).unwrap()).unwrap();
    let layer = format!("{}:layer1.0:pre", acts.display());
    let r = metric("cka", Path::new(&layer), Path::new(&f("named.csv")), &[]);
    assert_eq!(r["x_shape"], serde_json::json!([3, 4]));
    let (ok, _, err) = idlab(&["metric", "cka", "--x", &f("v73.mat"), "--y", &f("named.csv")]);
    assert!(!ok && err.contains("MATLAB v7.3 (HDF5) files are not supported"), "{err}");
}
