//! `"export"` in the spec: the activations and RDMs a run keeps for download
//! are the recorder's activations (after a target's subsample) and
//! `metrics::rdm` of them; a data target's matrix and RDMs are exported as
//! loaded; names are safe and unique; the .zip holds the same files.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::drive::finish;
use common::site::{add_site_files, site, zoo_rows};
use idlab::experiment::{ExperimentResult, Session, Spec};
use idlab::metrics::rdm::{rdm, Distance};
use idlab::stats::subsample::{subsample_units, SubsampleSize};
use idlab::zoo::Arch;
use nalgebra::DMatrix;
use serde_json::{json, Value};
use std::io::Read;

/// Runs a spec with its stimuli, datasets and data files; the finished session and its result.
fn run(spec: &Value, data: &[(&str, Vec<u8>)]) -> (Session, ExperimentResult) {
    let mut s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    add_site_files(&mut s);
    for (name, bytes) in data {
        s.add_data(name, bytes).unwrap();
    }
    let r = finish(&mut s);
    (s, r)
}

/// What `idlab activations` records: zoo model `arch` seed `seed` at `layer` on the first n photographs, f32.
fn recorded(arch: Arch, seed: u64, layer: &str, n: usize) -> (usize, Vec<f32>) {
    let out: Vec<f32> = zoo_rows(arch, seed, &[layer], n).remove(0).concat();
    (out.len() / n, out)
}

/// An .npy file read by npyz: shape, dtype descr, C order checked, values widened to f64.
fn npy(bytes: &[u8]) -> (Vec<usize>, String, Vec<f64>) {
    let f = npyz::NpyFile::new(bytes).unwrap();
    assert_eq!(f.order(), npyz::Order::C);
    let shape: Vec<usize> = f.shape().iter().map(|&d| d as usize).collect();
    let descr = f.dtype().descr();
    let values = if descr.contains("f4") {
        f.into_vec::<f32>().unwrap().into_iter().map(f64::from).collect()
    } else {
        f.into_vec::<f64>().unwrap()
    };
    (shape, descr, values)
}

fn file<'a>(s: &'a Session, path: &str) -> &'a [u8] {
    let paths: Vec<&str> = s.exports().iter().map(|f| f.path.as_str()).collect();
    &s.exports().into_iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path} in {paths:?}")).bytes
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what}[{k}]: {x} vs {y}");
    }
}

fn responses_csv(n: usize) -> (Vec<u8>, DMatrix<f64>) {
    let m = DMatrix::from_fn(n, 5, |i, u| ((i * 7 + u * 3) % 11) as f64 + 0.1 * u as f64);
    // Rows in reverse order: the export holds them in the stimuli's order, as matched.
    let mut s = String::from("stimulus,u0,u1,u2,u3,u4\n");
    for i in (0..n).rev() {
        s.push_str(&format!("{i:03}.png,{}\n", m.row(i).iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")));
    }
    (s.into_bytes(), m)
}

#[test]
fn exported_files_are_the_recorded_activations_and_their_rdms() {
    // 10 images: the fewest regression scores (2 folds pooled, which it says).
    let n = 10;
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": n},
        "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.0", "features.0:pre"]}],
        "targets": [
            {"arch": "alexnet", "seed": 1, "layers": ["classifier.1"], "subsample": {"fraction": 0.05, "seed": 3}},
            {"responses": "v4.csv"},
            {"dataset": "kriegeskorte92/human-it"}
        ],
        "metrics": [{"name": "regression", "params": {"folds": 2, "test_fraction": 0.25, "projection_dim": 32}}],
        "export": {"activations": true, "rdms": true, "distance": "euclidean"}
    });
    let (csv, v4) = responses_csv(n);
    let (s, r) = run(&spec, &[("v4.csv", csv)]);
    assert!(r.warnings.len() == 1 && r.warnings[0].starts_with("regression: 10 images give 3 test images per split"), "{:?}", r.warnings);
    assert_eq!(r.spec.export.as_ref().unwrap().distance.as_deref(), Some("euclidean"), "the spec keeps its export");

    // The fixed order: activations, then RDMs, each in the result's model order, then the manifest.
    let paths: Vec<&str> = s.exports().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "activations/s0-alexnet-seed-0/features.0.npy",
            "activations/s0-alexnet-seed-0/features.0-pre.npy",
            "activations/t0-alexnet-seed-1/classifier.1.npy",
            "activations/t1-v4.csv/responses.npy",
            "rdms/s0-alexnet-seed-0/features.0.npy",
            "rdms/s0-alexnet-seed-0/features.0-pre.npy",
            "rdms/t0-alexnet-seed-1/classifier.1.npy",
            "rdms/t1-v4.csv/responses.npy",
            "rdms/t2-human-it-fmri-4-subjects/rdms.npy",
            "exports.json",
        ]
    );
    for p in &paths {
        assert!(
            p.split('/').all(|c| !c.is_empty() && !c.starts_with('.') && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))),
            "{p} is not a safe path"
        );
    }

    // A source layer (and its :pre value): exactly the recorder's float32 activations; the RDM is metrics::rdm of them.
    for (layer, slug) in [("features.0", "features.0"), ("features.0:pre", "features.0-pre")] {
        let (units, want) = recorded(Arch::AlexNet, 0, layer, n);
        let (shape, descr, got) = npy(file(&s, &format!("activations/s0-alexnet-seed-0/{slug}.npy")));
        assert_eq!((shape, descr.as_str()), (vec![n, units], "'<f4'"));
        assert!(got.iter().zip(&want).all(|(a, b)| *a == f64::from(*b)), "{layer}: activations equal the recorder's");
        let x = DMatrix::from_row_slice(n, units, &got);
        let direct = rdm(&x, Distance::Euclidean).unwrap().to_matrix();
        let (shape, descr, got) = npy(file(&s, &format!("rdms/s0-alexnet-seed-0/{slug}.npy")));
        assert_eq!((shape, descr.as_str()), (vec![n, n], "'<f8'"));
        let scale = direct.amax();
        assert_close(&got, &direct.transpose().as_slice().to_vec(), 1e-9 * scale, &format!("{layer} RDM"));
    }

    // A subsampled target: the seeded columns of its activations.
    let (units, full) = recorded(Arch::AlexNet, 1, "classifier.1", n);
    let full = DMatrix::from_fn(n, units, |i, j| full[i * units + j] as f64);
    let kept = subsample_units(&full, SubsampleSize::Fraction(0.05), 3).unwrap().matrix;
    let (shape, _, got) = npy(file(&s, "activations/t0-alexnet-seed-1/classifier.1.npy"));
    assert_eq!(shape, vec![n, kept.ncols()]);
    assert_eq!(got, kept.transpose().as_slice(), "the subsample's columns");
    let (_, _, got) = npy(file(&s, "rdms/t0-alexnet-seed-1/classifier.1.npy"));
    let direct = rdm(&kept, Distance::Euclidean).unwrap().to_matrix();
    assert_close(&got, direct.transpose().as_slice(), 1e-9 * direct.amax(), "subsampled RDM");

    // The user's responses as matched to the stimuli (float64), and their RDM.
    let (shape, descr, got) = npy(file(&s, "activations/t1-v4.csv/responses.npy"));
    assert_eq!((shape, descr.as_str()), (vec![n, 5], "'<f8'"));
    assert_eq!(got, v4.transpose().as_slice());
    let (_, _, got) = npy(file(&s, "rdms/t1-v4.csv/responses.npy"));
    let direct = rdm(&v4, Distance::Euclidean).unwrap().to_matrix();
    assert_close(&got, direct.transpose().as_slice(), 1e-9 * direct.amax(), "responses RDM");

    // A shipped dataset: its subjects' RDMs as loaded (each the mean of its sessions, the leading n x n block).
    let (shape, _, got) = npy(file(&s, "rdms/t2-human-it-fmri-4-subjects/rdms.npy"));
    assert_eq!(shape, vec![4, n, n]);
    let session = |f: &str| {
        let p = format!("data/kriegeskorte92/rdms/{f}");
        idlab::data::read_table(&p, &std::fs::read(site().join(&p)).unwrap(), None).unwrap().to_matrix().unwrap()
    };
    let (a, b) = (session("hIT_BE_session1.npy"), session("hIT_BE_session2.npy"));
    let be = DMatrix::from_fn(n, n, |i, j| (a[(i, j)] + b[(i, j)]) / 2.0);
    assert_close(&got[..n * n], be.transpose().as_slice(), 1e-12, "subject BE");

    // The manifest names every other file with its model, layer and shape, and the stimuli (the rows).
    let manifest: Value = serde_json::from_slice(file(&s, "exports.json")).unwrap();
    assert_eq!(manifest["distance"], "euclidean");
    assert_eq!(manifest["stimuli"].as_array().unwrap().len(), n);
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.iter().map(|f| f["path"].as_str().unwrap()).collect::<Vec<_>>(), paths[..paths.len() - 1]);
    assert_eq!(listed[1]["layer"], "features.0:pre");
    assert_eq!(listed[1]["model"], "s0");
    assert_eq!(listed[8]["shape"], json!([4, n, n]));

    // The page's .zip holds the same files, in order.
    let zip = s.exports_zip().unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    assert_eq!(archive.len(), paths.len());
    for (k, f) in s.exports().into_iter().enumerate() {
        let mut entry = archive.by_index(k).unwrap();
        assert_eq!(entry.name(), f.path);
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert!(bytes == f.bytes, "{} unzips to its bytes", f.path);
    }
    assert_eq!(zip, s.exports_zip().unwrap(), "the same files give the same archive");
}

#[test]
fn only_what_is_asked_is_kept_and_an_undefined_rdm_is_a_warning() {
    let n = 5;
    let mut spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": n},
        "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.12"]}],
        "targets": [{"responses": "v4.csv"}],
        "metrics": [{"name": "cka"}],
        "export": {"rdms": true}
    });
    // Stimulus 2's responses are constant: its correlation distance is undefined.
    let mut csv = String::from("stimulus,a,b,c\n");
    for i in 0..n {
        let row = if i == 2 { "1,1,1".to_string() } else { format!("{},{},{}", i, i * i, 7 - i) };
        csv.push_str(&format!("{i:03}.png,{row}\n"));
    }
    let data = [("v4.csv", csv.into_bytes())];
    let (s, r) = run(&spec, &data);
    let paths: Vec<&str> = s.exports().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["rdms/s0-alexnet-seed-0/features.12.npy", "exports.json"]);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("export: no RDM of v4.csv responses") && r.warnings[0].contains("row 2"), "{}", r.warnings[0]);
    let (_, _, got) = npy(file(&s, "rdms/s0-alexnet-seed-0/features.12.npy"));
    let (units, acts) = recorded(Arch::AlexNet, 0, "features.12", n);
    let x = DMatrix::from_fn(n, units, |i, j| acts[i * units + j] as f64);
    assert_close(&got, rdm(&x, Distance::Correlation).unwrap().to_matrix().as_slice(), 1e-9, "default distance: correlation");

    spec["export"] = json!({"activations": true});
    let (s, _) = run(&spec, &data);
    let paths: Vec<&str> = s.exports().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["activations/s0-alexnet-seed-0/features.12.npy", "activations/t0-v4.csv/responses.npy", "exports.json"]);

    spec.as_object_mut().unwrap().remove("export");
    let (s, _) = run(&spec, &data);
    assert!(s.exports().is_empty());
    assert!(s.exports_zip().unwrap_err().to_string().contains("no export"));

    for (export, says) in [(json!({}), "export keeps nothing"), (json!({"rdms": true, "distance": "l1"}), "export.distance"), (json!({"rdm": true}), "unknown field `rdm`")] {
        spec["export"] = export;
        let e = Spec::from_json(&spec.to_string()).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
}
