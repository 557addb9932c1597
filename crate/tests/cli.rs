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
    assert_eq!(lines[0], "metric,source,source_layer,target,target_layer,subject,value,p_value,stimuli");
    assert!(lines[1].ends_with(",kriegeskorte92"), "the stimulus set is named on every row: {}", lines[1]);
    assert_eq!(lines.len(), 1 + 10 * 10, "header + 10 x 10 layer pairs");
    assert!(lines[1].starts_with("cka,alexnet seed 0,features.0,alexnet seed 1,features.0,,"), "{}", lines[1]);
    let report = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(report.contains("Stimuli: 6 (set kriegeskorte92)") && report.contains("cka (linear CKA): defaults"), "{report}");
    let hashes = report.lines().filter(|l| l.contains(" [stimulus] ") && l.len() > 64).count();
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

/// One array of an .npz as numpy reads it: the zip's `<name>.npy` entry, a 2-D
/// float32 array in C order, as ((rows, columns), values).
fn read_npz(path: &Path, name: &str) -> ((usize, usize), Vec<f32>) {
    let mut npz = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut npz.by_name(&format!("{name}.npy")).unwrap(), &mut bytes).unwrap();
    let (descr, fortran, shape, data) = npy_header(&bytes);
    assert_eq!((descr.as_str(), fortran, shape.len()), ("<f4", false, 2), "{name}");
    ((shape[0], shape[1]), data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect())
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
    assert_eq!(post.0, (2, 192 * 27 * 27));
    assert_eq!(read_npz(&zoo_npz, "classifier.4").0, (2, 4096));
    assert!(pre.1.iter().any(|&v| v < 0.0), "pre-activation has negative values");
    assert!(post.1.iter().zip(pre.1.iter()).all(|(a, b)| *a == b.max(0.0)), "post = relu(pre)");

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

/// The user's own experiment from files: a folder of images (natural order:
/// img2 before img10) and a .csv of responses matched by file name, scored by
/// regression and CKA (10 images: the fewest regression scores, by k-fold
/// cross-validation); the same images from a .zip give the same numbers; a
/// folder of too few images is refused with the count.
#[test]
fn run_reads_an_uploaded_folder_zip_and_responses() {
    let dir = out_dir("upload");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let names: Vec<String> = (0..10).map(|i| format!("img{}.png", [1, 2, 3, 5, 8, 10, 13, 21, 34, 55][i])).collect();
    for (i, n) in names.iter().enumerate() {
        std::fs::copy(repo().join(format!("www/data/kriegeskorte92/images/{i:03}.png")), images.join(n)).unwrap();
    }
    std::fs::write(images.join("notes.txt"), "not an image").unwrap();
    // Responses of 3 units, rows in reverse order, matched by name.
    let mut csv = String::from("file,a,b,c\n");
    for (i, n) in names.iter().enumerate().rev() {
        csv.push_str(&format!("{n},{},{},{}\n", i as f64 * 0.5, (i * i) as f64, ((i * 7) % 5) as f64));
    }
    std::fs::write(dir.join("v4.csv"), csv).unwrap();
    let spec = |folder: &str| {
        serde_json::json!({
            "idlab": 2,
            "stimuli": {"set": "upload", "folder": folder},
            "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.5", "classifier.1"]}],
            "targets": [{"responses": "v4.csv"}],
            "metrics": [{"name": "regression", "params": {"folds": 2, "test_fraction": 0.25}}, {"name": "cka"}]
        })
    };
    let run = |spec: serde_json::Value, tag: &str| {
        let file = dir.join(format!("{tag}.json"));
        std::fs::write(&file, spec.to_string()).unwrap();
        let out = dir.join(tag);
        let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(&file).arg("-o").arg(&out).arg("--quiet").output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stderr).to_string(), out)
    };
    let (ok, err, out) = run(spec("images"), "folder");
    assert!(ok, "{err}");
    let result: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["stimuli"], serde_json::json!(names), "natural order, images only");
    assert_eq!(result["models"][1]["kind"], "responses");
    assert_eq!(result["models"][1]["units"], 3);
    let values = |r: &serde_json::Value, k: usize| r["scores"][k]["values"].clone();
    assert!(values(&result, 0)[1][0].as_f64().unwrap().is_finite());
    let hashes = result["inputs"].as_array().unwrap().iter().filter(|i| i["role"] == "stimulus").count();
    assert_eq!(hashes, 10);

    // The same images zipped (stored under a folder, as a zip tool makes them).
    let zip_path = dir.join("images.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        for n in &names {
            z.start_file(format!("images/{n}"), zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(images.join(n)).unwrap()).unwrap();
        }
        z.finish().unwrap();
    }
    let (ok, err, out) = run(spec("images.zip"), "zip");
    assert!(ok, "{err}");
    let zipped: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(values(&zipped, 0), values(&result, 0));
    assert_eq!(values(&zipped, 1), values(&result, 1));

    let few = dir.join("few");
    std::fs::create_dir_all(&few).unwrap();
    std::fs::copy(images.join(&names[0]), few.join("a.png")).unwrap();
    std::fs::copy(images.join(&names[1]), few.join("b.png")).unwrap();
    let mut s = spec("few");
    s["targets"] = serde_json::json!([{"arch": "alexnet", "seed": 1, "layers": ["features.5"]}]);
    let (ok, err, _) = run(s, "few");
    assert!(!ok && err.contains("at least 3 stimuli; 2 image(s) were given in few"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The header of a numpy format 1.0 .npy file: (descr, fortran_order, shape),
/// checked as numpy reads it: magic, version, a dict padded with spaces to a
/// multiple of 64 bytes and ended by a newline, then exactly the data.
fn npy_header(bytes: &[u8]) -> (String, bool, Vec<usize>, &[u8]) {
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "magic and version 1.0");
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + len) % 64, 0, "header padded to 64 bytes");
    let text = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    assert!(text.ends_with('\n'));
    let dict = text.trim_end();
    assert!(dict.starts_with('{') && dict.ends_with('}'), "{dict}");
    let field = |key: &str| {
        let at = dict.find(&format!("'{key}': ")).unwrap_or_else(|| panic!("no {key} in {dict}")) + key.len() + 4;
        dict[at..].to_string()
    };
    let descr = field("descr")[1..4].to_string();
    let fortran = field("fortran_order").starts_with("True");
    let shape_text = field("shape");
    let shape: Vec<usize> = shape_text[1..shape_text.find(')').unwrap()].split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
    let data = &bytes[10 + len..];
    let item = if descr == "<f4" { 4 } else { 8 };
    assert_eq!(data.len(), shape.iter().product::<usize>() * item, "data length for {descr} {shape:?}");
    (descr, fortran, shape, data)
}

/// `idlab run` with `"export"` writes the activations and RDMs under the output
/// folder: numpy-readable headers, the numbers `idlab activations` records and
/// `idlab rdm` computes from them.
#[test]
fn run_writes_the_export_as_npy_files() {
    let dir = out_dir("export");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = serde_json::json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 4},
        "sources": [{"arch": "alexnet", "seed": 0}],
        "targets": [{"arch": "alexnet", "seed": 1}],
        "layers": ["features.12", "classifier.4"],
        "metrics": [{"name": "cka"}],
        "export": {"activations": true, "rdms": true}
    });
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let out = dir.join("out");
    let os = |s: &str| std::ffi::OsString::from(s);
    idlab(&[&os("run"), spec_path.as_os_str(), &os("-o"), out.as_os_str(), &os("--quiet")]);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("exports.json")).unwrap()).unwrap();
    let files: Vec<String> = manifest["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(files.len(), 2 * 2 * 2, "activations and RDMs of 2 layers of 2 models");
    assert_eq!(files[0], "activations/s0-alexnet-seed-0/features.12.npy");
    assert_eq!(files[7], "rdms/t0-alexnet-seed-1/classifier.4.npy");
    for f in &files {
        let (descr, fortran, shape, _) = npy_header(&std::fs::read(out.join(f)).unwrap());
        assert!(!fortran, "{f}: C order");
        if f.starts_with("activations/") {
            assert_eq!(descr, "<f4", "{f}");
            assert_eq!(shape[0], 4, "{f}");
        } else {
            assert_eq!((descr.as_str(), shape.as_slice()), ("<f8", &[4, 4][..]), "{f}");
        }
    }

    // The same model and layer through `idlab activations`, and its RDM through `idlab rdm`.
    let stim = stimuli_dir("export-stim", 4);
    let npz = dir.join("acts.npz");
    idlab(&[&os("activations"), &os("--model"), &os("alexnet:1"), &os("--stimuli"), stim.as_os_str(),
        &os("--layers"), &os("classifier.4"), &os("-o"), npz.as_os_str()]);
    let want = read_npz(&npz, "classifier.4");
    let exported = std::fs::read(out.join("activations/t0-alexnet-seed-1/classifier.4.npy")).unwrap();
    let (_, _, shape, data) = npy_header(&exported);
    assert_eq!(shape, [4, 4096]);
    let got: Vec<f32> = data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(got, want.1, "idlab activations' numbers");
    let rdm = dir.join("rdm.npy");
    idlab(&[&os("rdm"), &os("--x"), out.join("activations/t0-alexnet-seed-1/classifier.4.npy").as_os_str(), &os("-o"), rdm.as_os_str()]);
    let want: Vec<f64> = npy_header(&std::fs::read(&rdm).unwrap()).3.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    let exported = std::fs::read(out.join("rdms/t0-alexnet-seed-1/classifier.4.npy")).unwrap();
    let got: Vec<f64> = npy_header(&exported).3.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 1e-9), "idlab rdm's RDM: {got:?} vs {want:?}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&stim);
}

/// `idlab run` on preset 6 cut down (10 images, one layer, prune 0 and 0.5, a
/// tiny NRP grid): the shipped V4 data is read from the site, result.json
/// carries nrp's detail tables, the CSV a row per cell.
#[test]
fn run_preset_6_reduced_writes_nrp_detail_tables() {
    let dir = out_dir("preset6");
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo().join("www/presets/linear-vs-nonlinear.json")).unwrap()).unwrap();
    spec["stimuli"]["limit"] = 10.into();
    spec["layers"] = serde_json::json!(["features.12"]);
    spec["sources"] = serde_json::json!([{"arch": "alexnet", "seed": 0, "prune": 0}, {"arch": "alexnet", "seed": 0, "prune": 0.5}]);
    spec["metrics"] = serde_json::json!([
        {"name": "regression", "params": {"folds": 2, "test_fraction": 0.3, "projection_dim": 32}},
        {"name": "nrp", "params": {"folds": 2, "test_fraction": 0.3, "projection_dim": 16, "hidden_sizes": [[4, 4]],
                                   "learning_rates": [0.01], "max_epochs": 5, "validation_fraction": 0.3}}
    ]);
    std::fs::write(dir.join("p6.json"), spec.to_string()).unwrap();
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(dir.join("p6.json")).arg("-o").arg(&out).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let result: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    // 3 test images per split are too few: both mappings switch to 2-fold cross-validation, and say so.
    let warnings: Vec<&str> = result["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    for (w, metric) in warnings.iter().zip(["regression", "nrp"]) {
        assert!(w.starts_with(&format!("{metric}: 10 images give 3 test images per split")) && w.contains("2-fold cross-validation"), "{w}");
    }
    assert_eq!(result["models"][1]["label"], "alexnet seed 0, 50% pruned");
    assert_eq!(result["models"][1]["prune"], 0.5);
    assert_eq!(result["models"][2]["units"], 33);
    let nrp: Vec<&serde_json::Value> = result["scores"].as_array().unwrap().iter().filter(|s| s["metric"] == "nrp").collect();
    assert_eq!(nrp.len(), 2);
    for s in nrp {
        for key in ["mlp_mae", "mlp_r2", "ridge_mae", "ridge_r2"] {
            let v = &s["detail"][key][0][0];
            assert!(v.as_f64().is_some_and(f64::is_finite), "{key}: {s}");
        }
        assert_eq!(s["values"], s["detail"]["mlp_mae"], "nrp's value is the MLP's held-out MAE");
    }
    // What this run found: computed from the nrp tables, the same in result.json and the report.
    let findings: Vec<&str> = result["findings"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let about_nrp: Vec<&&str> = findings.iter().filter(|f| f.contains("MLP")).collect();
    assert_eq!(about_nrp.len(), 3, "{findings:?}");
    assert!(about_nrp[0].starts_with("Predicting macaque V4") && about_nrp[0].ends_with("of 2 (source, layer) pairs."), "{}", about_nrp[0]);
    assert!(about_nrp[1].starts_with("The lowest MLP error for macaque V4") && about_nrp[1].contains(" was at features.12 of alexnet seed 0, "), "{}", about_nrp[1]);
    assert!(about_nrp[2].starts_with("As alexnet seed 0 was pruned from 0% to 50%, its best layer's MLP error "), "{}", about_nrp[2]);
    let csv = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    assert_eq!(csv.lines().filter(|l| l.starts_with("nrp,")).count(), 2, "{csv}");
    let report = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(report.contains("Stimuli: 10 (set cowley-v4)") && report.contains("data/cowley-v4/responses.npy [data]"), "{report}");
    assert!(about_nrp.iter().all(|f| report.contains(**f)), "the report lists the findings: {report}");
    let _ = std::fs::remove_dir_all(&dir);
}
