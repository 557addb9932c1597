//! Weights files of zoo architectures in each format trained models ship as,
//! written by the libraries that write them (`tests/fixtures/weights/zoo/`,
//! by `make_zoo_fixtures.py`; torch, torchvision and timm, not run here):
//! a zip-format `.pth` of torchvision's ResNet18 (`torch.save`), and
//! safetensors of timm's ResNet18 and VGG11 (the `safetensors` package).
//! Each is read with its format detected, put into the zoo's graph, and gives
//! torch's values at the recorded layers; `idlab run` on a spec naming them
//! beside it succeeds and records each file's format and sha256.
//!
//! timm's ResNet names and VGG `features` names equal torchvision's, so these
//! files are read with names as they are: no committed file exercises the
//! TimmVit or TimmVgg maps (the smallest file that would is tens of MB; see
//! the script's notes). Those maps are checked on timm's names and shapes in
//! `weights_apply.rs`.
#![cfg(not(target_arch = "wasm32"))]

use idlab::runtime::Recorder;
use idlab::weights::{self, names::Naming, Format};
use idlab::zoo::{self, Arch, Probe};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Largest |idlab - torch| allowed, relative to the layer's largest |torch value|.
const TOLERANCE: f64 = 1e-5;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/weights/zoo")
}

fn expected() -> Value {
    let path = fixtures().join("expected.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn fixture<'a>(doc: &'a Value, file: &str) -> &'a Value {
    doc["fixtures"].as_array().unwrap().iter().find(|f| f["file"] == file).unwrap_or_else(|| panic!("{file} is not in expected.json"))
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The script's inputs: x[i] = ((i * 2654435761 + 97 k) mod 511) / 255 - 1,
/// in f64, rounded once to f32, as numpy computes them.
fn input(k: u64) -> Vec<f32> {
    (0..3 * 224 * 224u64).map(|i| (((i * 2654435761 + 97 * k) % 511) as f64 / 255.0 - 1.0) as f32).collect()
}

/// Reads `file`, checks its format, puts it into `arch` (seed 0 for what the
/// file lacks) and compares every recorded layer with torch's on both inputs.
fn check(file: &str, arch: Arch, format: Format) {
    let doc = expected();
    let fx = fixture(&doc, file);
    let bytes = std::fs::read(fixtures().join(file)).unwrap();
    assert_eq!(sha256(&bytes), fx["sha256"].as_str().unwrap(), "{file}: the file is the one expected.json was written for");
    let (dict, got_format) = weights::read(file, &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got_format, format, "{file}");
    assert_eq!(dict.tensors.len() as u64, fx["tensors"].as_u64().unwrap(), "{file}: tensor count");
    let images = fx["images"].as_array().unwrap();
    let labels: Vec<&str> = images[0]["layers"].as_array().unwrap().iter().map(|l| l["layer"].as_str().unwrap()).collect();
    let probes: Vec<Probe> = labels.iter().map(|l| arch.probe(l).unwrap()).collect();
    let mut model = zoo::build(arch, 0);
    let applied = weights::apply::apply(&mut model, dict, &probes, file, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(applied.map.naming, Naming::AsIs, "{file}: timm's names here are torchvision's");
    assert_eq!(applied.loaded + applied.extras.len(), fx["tensors"].as_u64().unwrap() as usize, "{file}: every tensor used or listed");
    assert!(applied.extras.iter().all(|e| e.name.ends_with("num_batches_tracked")), "{file}: {:?}", applied.extras);
    // What the file lacks (later stages, the head) is unrecorded and kept seeded.
    assert!(!applied.seeded.is_empty() && applied.seed == Some(0), "{file}: {:?}", applied.seeded);
    let tensors: Vec<String> = probes.iter().map(|p| p.tensor.clone()).collect();
    let recorder = Recorder::new(&format!("{arch:?} {file}"), model.proto, &tensors, [1, 3, 224, 224]).unwrap();
    let mut worst = 0f64;
    for image in images {
        let k = image["input"].as_u64().unwrap();
        let outputs = recorder.run(&input(k)).unwrap();
        for (layer, got) in image["layers"].as_array().unwrap().iter().zip(&outputs) {
            let what = format!("{file} input {k} {}", layer["layer"].as_str().unwrap());
            let shape: Vec<usize> = layer["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
            assert_eq!(got.len(), shape.iter().product::<usize>(), "{what}: torch's shape {shape:?}");
            let scale = layer["max_abs"].as_f64().unwrap().max(f64::MIN_POSITIVE);
            let values = layer["values"].as_array().unwrap();
            for (i, want) in layer["indices"].as_array().unwrap().iter().zip(values) {
                let (i, want) = (i.as_u64().unwrap() as usize, want.as_f64().unwrap());
                let err = (got[i] as f64 - want).abs() / scale;
                worst = worst.max(err);
                assert!(err <= TOLERANCE, "{what} unit {i}: idlab {} vs torch {want} ({err:.2e} of max {scale})", got[i]);
            }
            let n = got.len() as f64;
            let sum: f64 = got.iter().map(|&v| v as f64).sum();
            let want_sum = layer["sum"].as_f64().unwrap();
            assert!((sum - want_sum).abs() <= TOLERANCE * scale * n, "{what}: sum {sum} vs torch {want_sum}");
            let sum_sq: f64 = got.iter().map(|&v| (v as f64).powi(2)).sum();
            let want_sq = layer["sum_sq"].as_f64().unwrap();
            assert!((sum_sq - want_sq).abs() <= 2.0 * TOLERANCE * scale * scale * n, "{what}: sum of squares {sum_sq} vs torch {want_sq}");
            let max = got.iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
            assert!((max - scale).abs() <= TOLERANCE * scale, "{what}: largest |value| {max} vs torch {scale}");
        }
    }
    eprintln!("{file}: largest error {worst:.2e} of a layer's largest value");
    // The check can fail: the seeded model, without the file, is far from torch's values.
    let seeded = Recorder::new(&format!("{arch:?} seed 0"), zoo::build(arch, 0).proto, &tensors, [1, 3, 224, 224]).unwrap();
    let got = seeded.run(&input(0)).unwrap();
    let layer = &images[0]["layers"][0];
    let scale = layer["max_abs"].as_f64().unwrap();
    let far = layer["indices"].as_array().unwrap().iter().zip(layer["values"].as_array().unwrap()).map(|(i, v)| (got[0][i.as_u64().unwrap() as usize] as f64 - v.as_f64().unwrap()).abs() / scale).fold(0f64, f64::max);
    assert!(far > 1e-2, "{file}: seed 0 alone is within {far:.2e} of torch's {}", layer["layer"]);
}

#[test]
fn torchvision_resnet18_zip_pth_gives_torchs_layers() {
    check("resnet18_tv_zip.pth", Arch::ResNet18, Format::TorchZip);
}

#[test]
fn timm_resnet18_safetensors_gives_torchs_layers() {
    check("resnet18_timm.safetensors", Arch::ResNet18, Format::Safetensors);
}

#[test]
fn timm_vgg11_features_safetensors_gives_torchs_layers() {
    check("vgg11_timm_features.safetensors", Arch::Vgg11, Format::Safetensors);
}

/// A CKA run over 4 of the 92 images of trained sides named by file beside the spec.
fn cli_spec() -> Value {
    let resnet = ["maxpool", "layer1.0", "layer1.1"];
    json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 4},
        "sources": [
            {"arch": "resnet18", "weights": {"file": "resnet18_tv_zip.pth"}, "layers": resnet},
            {"arch": "vgg11", "weights": {"file": "vgg11_timm_features.safetensors"}, "layers": ["features.0", "features.3"]}
        ],
        "targets": [
            {"arch": "resnet18", "weights": {"file": "resnet18_timm.safetensors"}, "layers": resnet},
            {"arch": "resnet18", "seed": 0, "layers": resnet}
        ],
        "metrics": [{"name": "cka"}]
    })
}

#[test]
fn idlab_run_reads_each_format_beside_the_spec_and_records_it() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("weights-formats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = ["resnet18_tv_zip.pth", "vgg11_timm_features.safetensors", "resnet18_timm.safetensors"];
    for f in files {
        std::fs::copy(fixtures().join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("spec.json"), cli_spec().to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(dir.join("spec.json")).arg("-o").arg(dir.join("out")).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "idlab run: {}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&std::fs::read(dir.join("out/result.json")).unwrap()).unwrap();
    let doc = expected();
    let models = r["models"].as_array().unwrap();
    for (id, file, format) in [("s0", files[0], "torch_zip"), ("s1", files[1], "safetensors"), ("t0", files[2], "safetensors")] {
        let m = models.iter().find(|m| m["id"] == id).unwrap_or_else(|| panic!("no model {id}: {models:?}"));
        let hash = fixture(&doc, file)["sha256"].as_str().unwrap();
        let w = &m["weights"];
        assert_eq!((w["kind"].as_str(), w["format"].as_str(), w["sha256"].as_str()), (Some("file"), Some(format), Some(hash)), "{id}: {w}");
        assert_eq!(w["bytes"].as_u64(), fixture(&doc, file)["bytes"].as_u64(), "{id}");
        assert_eq!(w["applied"]["map"]["naming"], "as_is", "{id}");
        let label = m["label"].as_str().unwrap();
        assert!(label.contains("trained") && label.contains(file) && label.contains(&hash[..8]), "{id}: {label}");
        assert!(r["inputs"].as_array().unwrap().iter().any(|i| i["role"] == "weights" && i["sha256"] == hash), "{file} in the inputs");
    }
    let t1 = models.iter().find(|m| m["id"] == "t1").unwrap();
    assert!(t1["label"].as_str().unwrap().contains("seed 0") && t1["weights"].is_null(), "{t1}");
    // Every score is defined, and the two trained ResNets differ from each other and from seed 0.
    let scores = r["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 4, "two sources by two targets");
    let values = |s: &str, t: &str| -> Vec<f64> {
        let sc = scores.iter().find(|x| x["source"] == s && x["target"] == t).unwrap();
        sc["values"].as_array().unwrap().iter().flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap())).collect()
    };
    for (s, t) in [("s0", "t0"), ("s0", "t1"), ("s1", "t0"), ("s1", "t1")] {
        assert!(values(s, t).iter().all(|v| v.is_finite() && (-1e-9..=1.0 + 1e-9).contains(v)), "{s} x {t}: {:?}", values(s, t));
    }
    assert!(values("s0", "t0").iter().zip(values("s0", "t1")).any(|(a, b)| (a - b).abs() > 1e-4), "the trained target differs from seed 0");
    std::fs::remove_dir_all(&dir).ok();
}
