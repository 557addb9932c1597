//! Trained weights in specs, sessions, the CLI and the memory estimate: a zoo
//! model given a weights file written here from seed 1's parameters runs
//! exactly as seed 1; a wrong sha256 is refused; a URL is fetched by `idlab
//! run` from a local server; the result and the estimate say what was used.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::drive::finish;
use common::site::add_site_files;
use idlab::experiment::memory::{estimate, UserModels};
use idlab::experiment::needs::needs_of_json;
use idlab::experiment::{Experiment, ModelRef, Spec};
use idlab::zoo::{self, Arch};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const ARCH: &str = "squeezenet1_0";
const LAYERS: [&str; 2] = ["features.3", "features.12"];

/// A safetensors file of `arch` seed `seed`'s parameters under their zoo
/// (torchvision) names: every float initializer but the shared constants.
fn safetensors_of(arch: &str, seed: u64) -> Vec<u8> {
    let model = zoo::build(Arch::parse(arch).unwrap(), seed);
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .proto
        .graph
        .as_ref()
        .unwrap()
        .initializer
        .iter()
        .filter(|t| !t.name.starts_with("const.") && !t.float_data.is_empty())
        .map(|t| (t.name.clone(), t.dims.iter().map(|&d| d as usize).collect(), t.float_data.iter().flat_map(|v| v.to_le_bytes()).collect()))
        .collect();
    let views = tensors
        .iter()
        .map(|(n, shape, data)| (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data).unwrap()));
    safetensors::serialize(views, None).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A 4-image CKA run of `source` against ARCH seed 0, two layers each.
fn spec(source: Value) -> Value {
    json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 4},
        "sources": [source],
        "targets": [{"arch": ARCH, "seed": 0}],
        "layers": LAYERS,
        "metrics": [{"name": "cka"}]
    })
}

/// [`spec`] without the spec's layers (for architectures other than ARCH).
fn spec_all_layers(source: Value) -> Value {
    let mut v = spec(source);
    v.as_object_mut().unwrap().remove("layers");
    v
}

fn error(v: Value) -> String {
    Spec::from_json(&v.to_string()).unwrap_err().to_string()
}

#[test]
fn weights_and_tflite_sides_parse_and_their_errors_say_what_is_wrong() {
    let h = "ab".repeat(32);
    let ok = |source: Value| Spec::from_json(&spec(source).to_string()).unwrap();
    let s = ok(json!({"arch": ARCH, "weights": {"file": "sq.safetensors"}}));
    assert!(matches!(s.sources[0].resolve().unwrap(), ModelRef::Zoo { weights: Some(w), .. } if w.kind() == "file" && w.key() == "sq.safetensors"));
    let s = ok(json!({"arch": ARCH, "weights": {"url": "https://example.org/a/sq.safetensors?download=1", "sha256": h}}));
    let ModelRef::Zoo { weights: Some(w), .. } = s.sources[0].resolve().unwrap() else { panic!() };
    assert_eq!((w.kind(), w.file_name(), w.sha256()), ("url", "sq.safetensors", Some(h.as_str())));
    let s = Spec::from_json(&spec_all_layers(json!({"arch": "efficientnet_lite0", "weights": {"shipped": "efficientnet_lite0/imagenet"}})).to_string()).unwrap();
    let ModelRef::Zoo { weights: Some(w), .. } = s.sources[0].resolve().unwrap() else { panic!() };
    assert_eq!((w.key(), w.bytes()), ("models/trained/efficientnet-lite0-57934424.pth", Some(18_826_032)));
    // A shipped TFLite model needs no layers; a user's file does.
    let s = ok(json!({"tflite": "coral/mobilenet_v2_1.0_224_quant"}));
    assert!(matches!(s.sources[0].resolve().unwrap(), ModelRef::Tflite { shipped: Some(_), layers: None, .. }));
    ok(json!({"tflite": "mine.tflite", "layers": ["x"]}));
    // The spec round-trips with its weights.
    let v = spec(json!({"arch": ARCH, "weights": {"file": "sq.safetensors", "sha256": h}}));
    assert_eq!(serde_json::to_value(Spec::from_json(&v.to_string()).unwrap()).unwrap()["sources"], v["sources"]);

    let cases = [
        (json!({"arch": ARCH, "seed": 1, "weights": {"file": "a.pth"}}), "seed (random weights drawn from it) or weights (trained ones), not both"),
        (json!({"weights": {"file": "a.pth"}}), "arch is missing beside weights"),
        (json!({"arch": ARCH, "weights": {"url": "https://x.org/a.pth"}}), "needs its sha256"),
        (json!({"arch": ARCH, "weights": {"url": "ftp://x.org/a.pth", "sha256": h}}), "must start with https://"),
        (json!({"arch": ARCH, "weights": {"url": "javascript:alert(1)", "sha256": h}}), "must start with https://"),
        (json!({"arch": ARCH, "weights": {"url": "file:///etc/passwd", "sha256": h}}), "must start with https://"),
        (json!({"arch": ARCH, "weights": {"file": "a.pth", "url": "https://x.org/a.pth"}}), "found file and url"),
        (json!({"arch": ARCH, "weights": {}}), "found none"),
        (json!({"arch": ARCH, "weights": {"file": "a.pth", "sha256": "12"}}), "sha256 must be 64 hex digits"),
        (json!({"arch": ARCH, "weights": {"file": "a.pth", "md5": "12"}}), "unknown field `md5`"),
        (json!({"arch": ARCH, "weights": {"shipped": "nope"}}), "no trained weights \"nope\""),
        (json!({"arch": ARCH, "weights": {"shipped": "coral/mobilenet_v2_1.0_224_quant"}}), "a TFLite model is a side of its own"),
        (json!({"tflite": "mine.tflite"}), "tflite model mine.tflite needs \"layers\""),
        (json!({"tflite": "coral/nope"}), "neither a .tflite file name nor a shipped TFLite model"),
        (json!({"tflite": "m.tflite", "onnx": "m.onnx", "layers": ["x"]}), "found onnx and tflite"),
    ];
    for (source, want) in cases {
        let e = error(spec(source.clone()));
        // serde's own errors (an unknown field) carry no field path.
        assert!(e.contains(want) && (e.contains("sources[0]: ") || want.starts_with("unknown field")), "{source}: {e}");
    }
}

#[test]
fn needs_list_weights_and_tflite_files() {
    let h = "cd".repeat(32);
    let mut v = spec(json!({"arch": ARCH, "weights": {"url": "https://x.org/sq.safetensors", "sha256": h}}));
    v["sources"].as_array_mut().unwrap().extend([
        json!({"arch": ARCH, "weights": {"file": "sq.pth"}}),
        json!({"tflite": "mine.tflite", "layers": ["x"], "size": 224}),
    ]);
    let n = needs_of_json(&v.to_string()).unwrap();
    let w: Vec<(&str, &str, Option<&str>)> = n.weights.iter().map(|w| (w.name.as_str(), w.kind, w.sha256.as_deref())).collect();
    assert_eq!(w, vec![("https://x.org/sq.safetensors", "url", Some(h.as_str())), ("sq.pth", "file", None)]);
    assert_eq!(n.models, vec!["mine.tflite".to_string()]);
    let mut v = spec(json!({"tflite": "coral/mobilenet_v1_0.25_128_quant"}));
    v["targets"] = json!([{"tflite": "coral/mobilenet_v1_0.5_160_quant", "size": 128}]);
    let n = needs_of_json(&v.to_string()).unwrap();
    assert_eq!(n.weights.len(), 2);
    assert!(n.weights.iter().all(|w| w.kind == "shipped" && w.url.as_deref() == Some(w.name.as_str()) && w.bytes.is_some()));
    assert!(n.models.is_empty());
}

/// Runs `spec` with the weights file `name` added (if any) and returns the result.
fn run(v: &Value, weights: Option<(&str, Vec<u8>)>) -> idlab::experiment::ExperimentResult {
    let mut e = Experiment::new(Spec::from_json(&v.to_string()).unwrap()).unwrap();
    if let Some((name, bytes)) = weights {
        e.add_weights(name, bytes).unwrap();
    }
    add_site_files(&mut e);
    finish(&mut e)
}

#[test]
fn a_safetensors_file_of_seed_1_runs_exactly_as_seed_1_and_the_result_says_so() {
    let bytes = safetensors_of(ARCH, 1);
    let hash = sha256(&bytes);
    let size = bytes.len();
    let trained = run(&spec(json!({"arch": ARCH, "weights": {"file": "sq1.safetensors"}})), Some(("sq1.safetensors", bytes)));
    let seeded = run(&spec(json!({"arch": ARCH, "seed": 1})), None);
    assert_eq!(trained.scores[0].values, seeded.scores[0].values);
    let m = trained.model("s0").unwrap();
    assert_eq!(m.label, format!("{ARCH} (trained: sq1.safetensors, sha256 {})", &hash[..8]));
    assert_eq!(m.seed, None);
    let w = m.weights.as_ref().unwrap();
    assert_eq!((w.kind.as_str(), w.format.as_str(), w.sha256.as_str(), w.bytes), ("file", "safetensors", hash.as_str(), size));
    assert!(w.applied.as_ref().is_some_and(|a| a["loaded"].as_u64().unwrap() > 0), "{:?}", w.applied);
    let input = trained.inputs.iter().find(|i| i.role == "weights").unwrap();
    assert_eq!((input.name.as_str(), input.sha256.as_str()), ("sq1.safetensors", hash.as_str()));
    // The report's model line carries the full hash; the result reads back.
    assert!(trained.report_text().contains(&format!("sha256 {hash}")));
    let back: idlab::experiment::ExperimentResult = serde_json::from_str(&serde_json::to_string(&trained).unwrap()).unwrap();
    assert_eq!(back.model("s0").unwrap().weights.as_ref().unwrap().sha256, hash);
}

#[test]
fn a_wrong_sha256_or_file_or_name_is_refused_in_words() {
    let bytes = safetensors_of(ARCH, 1);
    let wrong = "0".repeat(64);
    let v = spec(json!({"arch": ARCH, "weights": {"file": "sq1.safetensors", "sha256": wrong}}));
    let mut e = Experiment::new(Spec::from_json(&v.to_string()).unwrap()).unwrap();
    let err = e.add_weights("sq1.safetensors", bytes.clone()).unwrap_err().to_string();
    assert!(err.contains(&format!("weights sq1.safetensors: sha256 is {}, the spec expects {wrong}", sha256(&bytes))), "{err}");
    let err = e.add_weights("other.pth", bytes.clone()).unwrap_err().to_string();
    assert!(err.contains("the spec names no weights \"other.pth\"; it expects sq1.safetensors"), "{err}");
    let err = e.add_weights("sq1.safetensors", b"not weights at all".to_vec()).unwrap_err().to_string();
    assert!(err.contains("sq1.safetensors"), "{err}");
    // Not added: the run says what is missing.
    add_site_files(&mut e);
    let err = e.step().unwrap_err().to_string();
    assert!(err.contains("weights sq1.safetensors were not added (add_weights)"), "{err}");
    // Another architecture's file: apply's error, naming a tensor, reaches the step that builds it.
    let v = spec(json!({"arch": ARCH, "weights": {"file": "mobilenet.safetensors"}}));
    let mut e = Experiment::new(Spec::from_json(&v.to_string()).unwrap()).unwrap();
    e.add_weights("mobilenet.safetensors", safetensors_of("mobilenet_v2", 0)).unwrap();
    add_site_files(&mut e);
    let err = loop {
        match e.step() {
            Ok(_) => assert!(!e.is_done(), "the run must fail"),
            Err(err) => break err.to_string(),
        }
    };
    assert!(err.contains("mobilenet.safetensors") && err.contains("features."), "{err}");
}

#[test]
fn the_memory_estimate_counts_the_weights_file() {
    let v = spec(json!({"arch": ARCH, "weights": {"file": "big.pth"}}));
    let s = Spec::from_json(&v.to_string()).unwrap();
    let seeded = estimate(&Spec::from_json(&spec(json!({"arch": ARCH, "seed": 1})).to_string()).unwrap(), &UserModels::default()).unwrap();
    let mut users = UserModels::default();
    users.weights.insert("big.pth".into(), 300_000_000);
    let m = estimate(&s, &users).unwrap();
    // Targets run first: the target's step holds the source's file, added but not yet built.
    let (target, source) = (&m.models[0], &m.models[1]);
    assert_eq!((source.id.as_str(), source.weights_file), ("s0", 300_000_000));
    assert_eq!(source.weights, 300_000_000 + source.parameters * 4);
    assert_eq!(target.held, seeded.models[0].held + 300_000_000);
    assert!(m.total > seeded.total + 250_000_000);
    // Without a size, a float32 file of the parameters; a shipped file, the catalogue's size.
    let m = estimate(&s, &UserModels::default()).unwrap();
    assert_eq!(m.models[1].weights_file, m.models[1].parameters * 4);
    let mut v = spec_all_layers(json!({"arch": "efficientnet_lite0", "weights": {"shipped": "efficientnet_lite0/imagenet"}}));
    v["targets"] = json!([{"arch": "efficientnet_lite0", "seed": 0}]);
    let m = estimate(&Spec::from_json(&v.to_string()).unwrap(), &UserModels::default()).unwrap();
    assert_eq!(m.models[1].weights_file, 18_826_032);
}

/// Serves `body` once on 127.0.0.1 (any path) and returns its URL.
fn serve_once(body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n", body.len());
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
    });
    format!("http://127.0.0.1:{port}/weights/sq1.safetensors")
}

fn out_dir(tag: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("weights-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

#[test]
fn idlab_run_fetches_a_url_checks_its_hash_and_records_it() {
    let bytes = safetensors_of(ARCH, 1);
    let hash = sha256(&bytes);
    let url = serve_once(bytes);
    let dir = out_dir("url");
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec(json!({"arch": ARCH, "weights": {"url": url, "sha256": hash}})).to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(&spec_path).arg("-o").arg(dir.join("out")).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&std::fs::read(dir.join("out/result.json")).unwrap()).unwrap();
    let w = &r["models"][0]["weights"];
    assert_eq!((w["kind"].as_str(), w["name"].as_str(), w["sha256"].as_str()), (Some("url"), Some(url.as_str()), Some(hash.as_str())));
    assert!(r["inputs"].as_array().unwrap().iter().any(|i| i["role"] == "weights" && i["sha256"] == hash.as_str()));
    // The same run with seed 1 gives the same scores.
    let seeded = run(&spec(json!({"arch": ARCH, "seed": 1})), None);
    assert_eq!(serde_json::to_value(&seeded.scores[0].values).unwrap(), r["scores"][0]["values"]);
    // A file beside the spec with a wrong hash is refused before anything runs.
    std::fs::write(dir.join("sq1.safetensors"), safetensors_of(ARCH, 2)).unwrap();
    std::fs::write(&spec_path, spec(json!({"arch": ARCH, "weights": {"file": "sq1.safetensors", "sha256": hash}})).to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(&spec_path).arg("-o").arg(dir.join("out2")).arg("--quiet").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("sha256 is") && err.contains(&format!("the spec expects {hash}")), "{err}");
}

#[test]
fn a_shipped_tflite_model_runs_with_the_catalogues_layers() {
    let v = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 4},
        "sources": [{"tflite": "coral/mobilenet_v1_0.25_128_quant", "layers": ["Conv2d_1", "AvgPool"]}],
        "targets": [{"tflite": "coral/mobilenet_v1_0.25_128_quant"}],
        "metrics": [{"name": "cka"}]
    });
    let mut e = Experiment::new(Spec::from_json(&v.to_string()).unwrap()).unwrap();
    let needs = e.weights_needed();
    assert_eq!(needs.len(), 1);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(&needs[0].name);
    e.add_weights(&needs[0].name, std::fs::read(path).unwrap()).unwrap();
    add_site_files(&mut e);
    let r = finish(&mut e);
    let (s, t) = (r.model("s0").unwrap(), r.model("t0").unwrap());
    assert_eq!((s.kind, s.label.as_str()), ("tflite", "mobilenet_v1_0.25_128_quant (trained)"));
    assert_eq!(s.layers, vec!["Conv2d_1".to_string(), "AvgPool".into()]);
    assert_eq!(t.layers.len(), 15);
    assert_eq!(s.weights.as_ref().unwrap().catalogue.as_deref(), Some("coral/mobilenet_v1_0.25_128_quant"));
    // The same model on both sides: CKA 1 where the layers are the same.
    let values = r.values("cka", "s0", "t0").unwrap();
    assert!((values[0][1].unwrap() - 1.0).abs() < 1e-6 && (values[1][14].unwrap() - 1.0).abs() < 1e-6, "{values:?}");
}

#[test]
fn idlab_activations_with_weights_equals_the_seed_they_came_from() {
    let dir = out_dir("activations");
    std::fs::write(dir.join("sq1.safetensors"), safetensors_of(ARCH, 1)).unwrap();
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for (i, bytes) in common::STIMULI.iter().take(2).enumerate() {
        std::fs::write(images.join(format!("{i}.png")), bytes).unwrap();
    }
    let activations = |model: &str, weights: Option<&Path>, out: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_idlab"));
        c.args(["activations", "--model", model, "--layers", &LAYERS.join(","), "--stimuli"]).arg(&images).arg("-o").arg(dir.join(out));
        if let Some(w) = weights {
            c.arg("--weights").arg(w);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(dir.join(out)).unwrap()
    };
    let trained = activations(ARCH, Some(&dir.join("sq1.safetensors")), "trained.npz");
    let seeded = activations(&format!("{ARCH}:1"), None, "seeded.npz");
    assert!(trained == seeded, "the .npz files differ");
    let o = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args(["activations", "--model", &format!("{ARCH}:1"), "--stimuli"])
        .arg(&images)
        .arg("--weights")
        .arg(dir.join("sq1.safetensors"))
        .arg("-o")
        .arg(dir.join("x.npz"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("with --weights give the architecture alone"));
}

#[test]
fn idlab_run_reads_the_shipped_pth_and_tflite_files() {
    let dir = out_dir("shipped");
    let v = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 3},
        "sources": [{"arch": "efficientnet_lite0", "weights": {"shipped": "efficientnet_lite0/imagenet"}, "layers": ["_blocks.3"]}],
        "targets": [{"arch": "efficientnet_lite0", "seed": 0, "layers": ["_blocks.3"]}, {"tflite": "coral/mobilenet_v2_1.0_224_quant", "layers": ["AvgPool"]}],
        "metrics": [{"name": "cka"}]
    });
    std::fs::write(dir.join("spec.json"), v.to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(dir.join("spec.json")).arg("-o").arg(dir.join("out")).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&std::fs::read(dir.join("out/result.json")).unwrap()).unwrap();
    let s0 = &r["models"][0];
    assert_eq!(s0["label"], "efficientnet_lite0 (trained: efficientnet-lite0-57934424.pth, sha256 57934424)");
    assert_eq!(s0["weights"]["format"], "torch_legacy");
    assert_eq!(s0["weights"]["sha256"], "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db");
    assert_eq!(r["models"][2]["kind"], "tflite");
    let roles: Vec<&str> = r["inputs"].as_array().unwrap().iter().filter_map(|i| i["role"].as_str()).filter(|r| *r != "stimulus").collect();
    assert_eq!(roles, vec!["model", "weights"]);
    let report = std::fs::read_to_string(dir.join("out/report.txt")).unwrap();
    assert!(report.contains("trained weights shipped (efficientnet_lite0/imagenet)"), "{report}");
}
