//! The weights readers on committed fixtures (tests/fixtures/weights, made
//! by its make_fixtures.py with torch) and on the real legacy EfficientNet-Lite0
//! file: values exact, names and shapes as torch reads them, refusals named.

use idlab::weights::{read, Format, StateDict};
use serde_json::Value;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> Vec<u8> {
    let p = repo().join("tests/fixtures/weights").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn expected() -> Value {
    serde_json::from_slice(&fixture("expected.json")).unwrap()
}

fn load(name: &str) -> (StateDict, Format) {
    read(name, &fixture(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn refusal(name: &str) -> String {
    read(name, &fixture(name)).err().unwrap_or_else(|| panic!("{name} was read")).to_string()
}

/// Every tensor of `expect` is in `sd` with its shape and bit-identical values, and nothing else.
fn assert_matches(file: &str, sd: &StateDict, expect: &Value) {
    let expect = expect.as_object().unwrap();
    let names: Vec<&String> = sd.tensors.keys().collect();
    let mut want: Vec<&String> = expect.keys().collect();
    want.sort();
    assert_eq!(names, want, "{file}: names");
    for (name, e) in expect {
        let t = &sd.tensors[name];
        let shape: Vec<usize> = e["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        assert_eq!(t.shape, shape, "{file}: {name}: shape");
        // torch wrote f32 values as f64 decimals: parsing back and narrowing is exact.
        let data: Vec<f32> = e["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        assert_eq!(t.data.len(), data.len(), "{file}: {name}: length");
        for (i, (a, b)) in t.data.iter().zip(&data).enumerate() {
            assert_eq!(a.to_bits(), b.to_bits(), "{file}: {name}[{i}]: {a} vs {b}");
        }
    }
}

#[test]
fn torch_zip_and_legacy_read_exactly() {
    let e = expected();
    for (file, format) in [
        ("sd_zip.pth", Format::TorchZip),
        ("sd_zip_proto4.pth", Format::TorchZip),
        ("sd_legacy.pth", Format::TorchLegacy),
        ("wrapped_state_dict.pth", Format::TorchZip),
        ("wrapped_model_legacy.pth", Format::TorchLegacy),
    ] {
        let (sd, f) = load(file);
        assert_eq!(f, format, "{file}");
        assert_matches(file, &sd, &e["state_dict"]);
    }
    for file in ["module_zip.pth", "module_legacy.pth"] {
        assert_matches(file, &load(file).0, &e["module"]);
    }
    // The edge cases are really there (shared storage, stride 0, 0-d, empty, int64).
    let (sd, _) = load("sd_zip.pth");
    assert_eq!(sd.tensors["scalar"].shape, Vec::<usize>::new());
    assert_eq!(sd.tensors["scalar"].data, vec![3.5]);
    assert_eq!(sd.tensors["empty"].shape, vec![0, 3]);
    assert_eq!(sd.tensors["bn.num_batches_tracked"].data, vec![7.0]);
    let x = &sd.tensors["expand"].data;
    assert!(x[0] == x[1] && x[1] == x[2] && x[2] == x[3]);
}

#[test]
fn safetensors_read_exactly() {
    let (sd, f) = load("sd.safetensors");
    assert_eq!(f, Format::Safetensors);
    assert_matches("sd.safetensors", &sd, &expected()["safetensors"]);
    let e = refusal("f64.safetensors");
    assert!(e.contains("f64.safetensors: tensor bad is F64"), "{e}");
}

#[test]
fn hostile_pickles_are_refused_by_name() {
    let e = refusal("hostile.pth");
    assert!(e.starts_with("hostile.pth: the pickle asks for os.system,"), "{e}");
    assert!(e.contains("nothing executed"), "{e}");
    // Python's pickle spells os.system posix.system on Linux.
    let e = refusal("hostile_zip.pth");
    assert!(e.starts_with("hostile_zip.pth: the pickle asks for posix.system,"), "{e}");
    let e = refusal("whole_module.pth");
    assert!(e.contains("torch.nn.modules.linear.Linear") && e.contains("state_dict()"), "{e}");
    let e = refusal("not_a_dict.pth");
    assert!(e.contains("holds a list of 1 item, not a state dict"), "{e}");
}

#[test]
fn truncated_and_garbage_files_are_errors_not_panics() {
    let e = refusal("truncated.pth");
    assert!(e.starts_with("truncated.pth: ") && e.contains("truncated"), "{e}");
    // Every prefix of every fixture, and every fixture with a byte flipped at
    // a stride of positions: an error naming the file, or (for a flip in the
    // values) a state dict, never a panic.
    for name in ["sd_zip.pth", "sd_zip_proto4.pth", "sd_legacy.pth", "sd.safetensors", "wrapped_model_legacy.pth"] {
        let bytes = fixture(name);
        for cut in 0..bytes.len() {
            if let Err(e) = read(name, &bytes[..cut]) {
                assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
            }
        }
        for at in (0..bytes.len()).step_by(3) {
            for flip in [0xffu8, 0x01, 0x80] {
                let mut b = bytes.clone();
                b[at] ^= flip;
                if let Err(e) = read(name, &b) {
                    assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
                }
            }
        }
    }
    let e = read("x.pth", b"hello world").unwrap_err().to_string();
    assert!(e.starts_with("x.pth: not a weights file"), "{e}");
}

#[test]
fn the_real_legacy_efficientnet_lite0_file_reads_as_torch_reads_it() {
    let path = repo().join("models/trained/efficientnet-lite0-57934424.pth");
    let bytes = std::fs::read(&path).unwrap();
    let (sd, f) = read("efficientnet-lite0-57934424.pth", &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f, Format::TorchLegacy);
    let e: Value = serde_json::from_slice(&fixture("efficientnet_lite0_sums.json")).unwrap();
    let tensors = e["tensors"].as_array().unwrap();
    assert_eq!(sd.tensors.len(), e["count"].as_u64().unwrap() as usize);
    assert_eq!(sd.tensors.len(), tensors.len());
    for t in tensors {
        let name = t["name"].as_str().unwrap();
        let got = sd.tensors.get(name).unwrap_or_else(|| panic!("{name} missing"));
        let shape: Vec<usize> = t["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        assert_eq!(got.shape, shape, "{name}");
        let sum: f64 = got.data.iter().map(|&v| v as f64).sum();
        let abs: f64 = got.data.iter().map(|&v| (v as f64).abs()).sum();
        let (want, want_abs) = (t["sum"].as_f64().unwrap(), t["abs_sum"].as_f64().unwrap());
        let tol = 1e-6 * want_abs.max(f64::MIN_POSITIVE);
        assert!((sum - want).abs() <= tol, "{name}: sum {sum} vs {want}");
        assert!((abs - want_abs).abs() <= tol, "{name}: abs sum {abs} vs {want_abs}");
    }
}

