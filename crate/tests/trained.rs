//! Trained EfficientNet-Lite0: the shipped PyTorch file
//! (`models/trained/efficientnet-lite0-57934424.pth`, legacy format) read by
//! `idlab::weights` into the zoo graph gives torch's values at every recorded
//! layer, and `idlab classify` with it scores ImageNet's top-1 on the
//! 1,000-image sample, where the seeded model is at chance.
//!
//! The reference (`tests/fixtures/efficientnet/`) is written by
//! `models/trained/make_reference.py` (torch; not run here).
#![cfg(not(target_arch = "wasm32"))]

use idlab::runtime::Recorder;
use idlab::stimuli::Preprocess;
use idlab::weights::{self, Format};
use idlab::zoo::{self, labels, Arch, Probe, ZooModel};
use serde_json::Value;
use std::path::{Path, PathBuf};

const PTH: &str = "efficientnet-lite0-57934424.pth";
/// Largest |idlab - torch| allowed, relative to the layer's largest |torch value|.
const TOLERANCE: f64 = 1e-5;
/// Published ImageNet top-1 of EfficientNet-Lite0 (TensorFlow's `efficientnet/lite` README).
const PUBLISHED_TOP1: f64 = 75.1;
/// Torch's top-1 on the 1,000-image sample with the shipped weights (`make_reference.py --accuracy`).
const TORCH_TOP1_ON_SAMPLE: f64 = 84.9;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn pth() -> PathBuf {
    repo().join("models/trained").join(PTH)
}

/// The zoo's EfficientNet-Lite0 with the trained file's weights.
fn trained(probes: &[Probe]) -> ZooModel {
    let bytes = std::fs::read(pth()).unwrap_or_else(|e| panic!("{}: {e}", pth().display()));
    let (dict, format) = weights::read(PTH, &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(format, Format::TorchLegacy);
    let mut model = zoo::build(Arch::EfficientNetLite0, 0);
    let applied = weights::apply::apply(&mut model, dict, probes, PTH, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(applied.seeded.is_empty(), "every parameter comes from the file: {:?}", applied.seeded);
    // The file's only extras are the batch norms' num_batches_tracked counters.
    assert!(applied.extras.iter().all(|e| e.name.ends_with("num_batches_tracked")), "{:?}", applied.extras);
    model
}

/// The fixture's images (uint8 HWC) as the zoo's normalised CHW inputs.
fn inputs(dir: &Path) -> Vec<Vec<f32>> {
    let bytes = std::fs::read(dir.join("inputs_u8.npy")).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    assert_eq!(shape[1..], [224, 224, 3]);
    let px: Vec<u8> = npy.into_vec().unwrap();
    let pre = Arch::EfficientNetLite0.preprocess();
    px.chunks(224 * 224 * 3)
        .map(|c| pre.normalise(&image::RgbImage::from_raw(224, 224, c.to_vec()).unwrap()))
        .collect()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// Every recorded layer (and its `:pre` value) and the logits equal torch's
/// to [`TOLERANCE`] of the layer's largest value, at 256 sampled units and in
/// the sums over all units; the inputs are bit-identical to torch's.
#[test]
fn trained_efficientnet_lite0_matches_torch() {
    let dir = repo().join("tests/fixtures/efficientnet");
    let reference: Value = serde_json::from_slice(&std::fs::read(dir.join("reference.json")).unwrap()).unwrap();
    let images = reference["images"].as_array().unwrap();
    let arch = Arch::EfficientNetLite0;
    let labels: Vec<String> = images[0]["layers"].as_array().unwrap().iter().map(|l| l["layer"].as_str().unwrap().to_string()).collect();
    // The fixture covers the zoo's recorded layers and their :pre values, no more, no less.
    let expected: Vec<String> = arch
        .layers()
        .iter()
        .flat_map(|l| std::iter::once(l.name.clone()).chain(l.pre.as_ref().map(|_| format!("{}{}", l.name, zoo::PRE))))
        .collect();
    let mut sorted = (labels.clone(), expected);
    sorted.0.sort();
    sorted.1.sort();
    assert_eq!(sorted.0, sorted.1);
    let probes: Vec<Probe> = labels.iter().map(|l| arch.probe(l).unwrap()).collect();
    let model = trained(&probes);
    let logits = model.proto.graph.as_ref().unwrap().output[0].name.clone();
    let mut tensors: Vec<String> = probes.iter().map(|p| p.tensor.clone()).collect();
    tensors.push(logits);
    let recorder = Recorder::new("efficientnet_lite0 trained", model.proto, &tensors, [1, 3, 224, 224]).unwrap();
    let mut worst = 0f64;
    for (image, x) in images.iter().zip(inputs(&dir)) {
        let name = image["image"].as_str().unwrap();
        let sum: f64 = x.iter().map(|&v| v as f64).sum();
        let sum_sq: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum();
        assert!((sum - image["input_sum"].as_f64().unwrap()).abs() < 1e-9 * sum_sq, "{name}: input differs from torch's");
        assert!((sum_sq / image["input_sum_sq"].as_f64().unwrap() - 1.0).abs() < 1e-12, "{name}: input differs from torch's");
        let mut outputs = recorder.run(&x).unwrap();
        let got_logits = outputs.pop().unwrap();
        for ((layer, got), probe) in image["layers"].as_array().unwrap().iter().zip(&outputs).zip(&probes) {
            let what = format!("{name} {}", probe.label);
            let shape: Vec<usize> = layer["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
            assert_eq!(got.len(), shape.iter().product::<usize>(), "{what}: {shape:?}");
            let scale = layer["max_abs"].as_f64().unwrap().max(f64::MIN_POSITIVE);
            let values = f64s(&layer["values"]);
            for (i, want) in layer["indices"].as_array().unwrap().iter().zip(values) {
                let i = i.as_u64().unwrap() as usize;
                let err = (got[i] as f64 - want).abs() / scale;
                worst = worst.max(err);
                assert!(err <= TOLERANCE, "{what} unit {i}: idlab {} vs torch {want} ({err:.2e} of max {scale})", got[i]);
            }
            let n = got.len() as f64;
            let sum: f64 = got.iter().map(|&v| v as f64).sum();
            assert!((sum - layer["sum"].as_f64().unwrap()).abs() <= TOLERANCE * scale * n, "{what}: sum {sum}");
            let sum_sq: f64 = got.iter().map(|&v| (v as f64).powi(2)).sum();
            let want_sq = layer["sum_sq"].as_f64().unwrap();
            assert!((sum_sq - want_sq).abs() <= 2.0 * TOLERANCE * scale * scale * n, "{what}: sum of squares {sum_sq} vs {want_sq}");
        }
        let want = f64s(&image["logits"]);
        let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
        for (i, (&g, w)) in got_logits.iter().zip(&want).enumerate() {
            let err = (g as f64 - w).abs() / scale;
            worst = worst.max(err);
            assert!(err <= TOLERANCE, "{name} logit {i}: idlab {g} vs torch {w}");
        }
        let top = labels::top_k(&got_logits, 1)[0].index;
        let torch_top = (0..want.len()).max_by(|&a, &b| want[a].total_cmp(&want[b])).unwrap();
        assert_eq!(top, torch_top, "{name}: top class");
    }
    eprintln!("trained efficientnet_lite0: largest error {worst:.2e} of a layer's largest value");
}

/// The 1,000 images of `../shared/data/imagenet-sample` (one per class), if present.
fn imagenet_sample() -> Option<(PathBuf, std::collections::HashMap<String, usize>)> {
    let dir = repo().parent().unwrap().join("shared/data/imagenet-sample");
    let csv = std::fs::read_to_string(dir.join("stimuli.csv")).ok()?;
    let mut truth = std::collections::HashMap::new();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let (index, file) = (header.iter().position(|&h| h == "index")?, header.iter().position(|&h| h == "file")?);
    for line in lines.filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let name = cells[file].rsplit('/').next().unwrap().to_string();
        truth.insert(name, cells[index].parse().unwrap());
    }
    Some((dir.join("images"), truth))
}

/// `idlab classify --json --top 1` on the sample; returns top-1 in percent.
fn top1(images: &Path, truth: &std::collections::HashMap<String, usize>, model: &[&str]) -> f64 {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_idlab"))
        .arg("classify")
        .args(model)
        .arg("--stimuli")
        .arg(images)
        .args(["--json", "--top", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "idlab classify {model:?}: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imagenet"], true);
    let rows = report["images"].as_array().unwrap();
    assert_eq!(rows.len(), truth.len());
    let hits = rows
        .iter()
        .filter(|r| {
            let name = r["image"].as_str().unwrap();
            let top = &r["top"][0];
            assert!(top["p"].as_f64().unwrap() > 0.0 && !top["label"].as_str().unwrap().is_empty());
            Some(top["index"].as_u64().unwrap() as usize) == truth.get(name).copied()
        })
        .count();
    100.0 * hits as f64 / rows.len() as f64
}

/// Trained top-1 on the sample within 2 points of torch's own on the same
/// images with the same weights and transform (84.9%, measured by
/// `make_reference.py --accuracy`; idlab measured 85.1%), and not below the
/// published ImageNet-validation 75.1% less 6 points. The issue asked for
/// "within 6 points of the published figure": the sample is easier than
/// ImageNet's validation set, so the reference implementation itself is 10
/// points above it, and the check is against the reference instead.
/// The seeded twin is near chance (< 2%; measured 0.1%), so the check can fail.
#[test]
fn imagenet_sample_top1_trained_and_seeded() {
    let Some((images, truth)) = imagenet_sample() else {
        eprintln!("SKIPPED: ../shared/data/imagenet-sample is absent; the accuracy check needs its 1,000 images and stimuli.csv");
        return;
    };
    let weights = pth();
    let trained = top1(&images, &truth, &["--model", "efficientnet_lite0", "--weights", weights.to_str().unwrap()]);
    let seeded = top1(&images, &truth, &["--model", "efficientnet_lite0", "--seed", "0"]);
    eprintln!("efficientnet_lite0 top-1 on the ImageNet sample: trained {trained:.1}%, seed 0 {seeded:.1}% (published {PUBLISHED_TOP1}%)");
    assert!((trained - TORCH_TOP1_ON_SAMPLE).abs() <= 2.0, "trained top-1 {trained:.1}%, torch {TORCH_TOP1_ON_SAMPLE}%");
    assert!(trained >= PUBLISHED_TOP1 - 6.0, "trained top-1 {trained:.1}%");
    assert!(seeded < 2.0, "seeded top-1 {seeded:.1}%");
}

/// The preprocessing the zoo gives EfficientNet-Lite0 is TensorFlow Lite's.
#[test]
fn efficientnet_lite0_preprocess_is_tensorflow_lites() {
    let p: Preprocess = Arch::EfficientNetLite0.preprocess();
    assert_eq!((p.size, p.mean, p.std), (224, [127.0 / 255.0; 3], [128.0 / 255.0; 3]));
}

fn classify(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_idlab")).arg("classify").args(args).output().unwrap()
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// `idlab classify` on a zoo model and on its ONNX export gives the same
/// classes and probabilities (the file's metadata carries the transform);
/// flags that do not apply are refused with the reason.
#[test]
fn classify_zoo_and_onnx_agree() {
    let tmp = std::env::temp_dir().join(format!("idlab-classify-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("images")).unwrap();
    for f in ["000.png", "060.png"] {
        std::fs::copy(repo().join("www/data/kriegeskorte92/images").join(f), tmp.join("images").join(f)).unwrap();
    }
    let onnx = tmp.join("lite0.onnx");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args([os("export"), os("--arch"), os("efficientnet_lite0"), os("--seed"), os("3"), os("-o"), onnx.as_os_str()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let images = tmp.join("images");
    let run = |model: &std::ffi::OsStr| {
        let o = classify(&[os("--model"), model, os("--stimuli"), images.as_os_str(), os("--json")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["model"] = Value::Null;
        v
    };
    let zoo = run(os("efficientnet_lite0:3"));
    assert_eq!(zoo["images"][0]["image"], "000.png");
    assert_eq!(zoo["images"][1]["top"].as_array().unwrap().len(), 5);
    assert_eq!(zoo, run(onnx.as_os_str()));
    let refused = classify(&[os("--model"), onnx.as_os_str(), os("--seed"), os("1"), os("--stimuli"), images.as_os_str()]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("carries its own weights"));
    let refused = classify(&[os("--model"), os("efficientnet_lite0:2"), os("--weights"), pth().as_os_str(), os("--stimuli"), images.as_os_str()]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--seed is for a seeded zoo model"));
    std::fs::remove_dir_all(&tmp).ok();
}

/// A TFLite classifier with 1001 outputs (background at 0) reports ImageNet's
/// indices; one with another count (iNaturalist birds, 965) its own, marked
/// as not ImageNet. Skipped when the Coral models or the sample are absent.
#[test]
fn classify_tflite_background_shift_and_other_classes() {
    let coral = repo().join("models/trained/coral");
    let Some((images, truth)) = imagenet_sample() else {
        eprintln!("SKIPPED: ../shared/data/imagenet-sample is absent");
        return;
    };
    if !coral.join("mobilenet_v2_1.0_224_quant.tflite").exists() {
        eprintln!("SKIPPED: models/trained/coral/ is absent");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("idlab-classify-tflite-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut names: Vec<&String> = truth.keys().collect();
    names.sort();
    for name in names.iter().take(3) {
        std::fs::copy(images.join(name), tmp.join(name)).unwrap();
    }
    let run = |file: &str| {
        let o = classify(&[os("--model"), coral.join(file).as_os_str(), os("--stimuli"), tmp.as_os_str(), os("--json"), os("--top"), os("1")]);
        assert!(o.status.success(), "{file}: {}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    let imagenet = run("mobilenet_v2_1.0_224_quant.tflite");
    assert_eq!(imagenet["imagenet"], true);
    for r in imagenet["images"].as_array().unwrap() {
        // The first three classes (tench, goldfish, great white shark) are easy.
        let want = truth[r["image"].as_str().unwrap()];
        assert_eq!(r["top"][0]["index"].as_u64().unwrap() as usize, want, "{r}");
        assert!(r["top"][0]["p"].as_f64().unwrap() > 0.3, "p is a softmax of the logits: {r}");
    }
    let birds = run("mobilenet_v2_1.0_224_inat_bird_quant.tflite");
    assert_eq!(birds["imagenet"], false);
    assert!(birds["images"][0]["top"][0]["label"].as_str().unwrap().starts_with("class "));
    std::fs::remove_dir_all(&tmp).ok();
}
