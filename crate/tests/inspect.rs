//! `inspect` on the files users bring: a zoo export, garbage, unknown ops,
//! a channels-last input, and the `idlab inspect` command.
#![cfg(not(target_arch = "wasm32"))]

use idlab::runtime::inspect;
use idlab::stimuli::Preprocess;
use idlab::zoo::{self, graph::GraphBuilder, Arch};
use std::path::Path;
use std::process::Command;

fn resnet18_bytes() -> Vec<u8> {
    zoo::to_onnx_bytes(&zoo::build(Arch::ResNet18, 0).proto)
}

#[test]
fn a_zoo_export_lists_its_blocks_and_its_preprocessing() {
    let i = inspect("resnet18.onnx", &resnet18_bytes()).unwrap();
    assert_eq!(i.input_name, zoo::INPUT);
    assert_eq!(i.input_size, Some((224, 224)));
    let block = i.layers.iter().find(|c| c.tensor == "layer1.0").expect("layer1.0 is a candidate");
    assert_eq!(block.shape, vec![64, 56, 56]);
    assert_eq!(block.units, 64 * 56 * 56);
    assert_eq!(block.op, "Relu");
    // Every recorded zoo layer is a candidate with the zoo's shape.
    for l in Arch::ResNet18.layers() {
        let c = i.layers.iter().find(|c| c.tensor == l.tensor).unwrap_or_else(|| panic!("{} missing", l.tensor));
        assert_eq!(c.shape, l.shape, "{}", l.name);
    }
    // Graph order: the stem before the blocks.
    let pos = |t: &str| i.layers.iter().position(|c| c.tensor == t).unwrap();
    assert!(pos("maxpool") < pos("layer1.0") && pos("layer1.0") < pos("layer4.1"));
    assert_eq!(i.outputs.len(), 1);
    assert_eq!(i.preprocess, Some(Preprocess::IMAGENET_224));
    let json = serde_json::to_value(&i).unwrap();
    assert_eq!(json["preprocess"]["mean"][0].as_f64().unwrap() as f32, 0.485);
}

#[test]
fn garbage_is_not_an_onnx_model() {
    let e = inspect("cat.onnx", b"\xff\xfe this is not protobuf \x00\x01").unwrap_err().to_string();
    assert!(e.contains("cat.onnx is not an ONNX model"), "{e}");
}

#[test]
fn an_unknown_op_is_named_with_its_node() {
    let mut g = GraphBuilder::default();
    let y = g.node("Relu", "stem", &["x"], vec![]);
    let z = g.node("FrobnicateXYZ", "frob_12", &[&y], vec![]);
    let p = g.finish("custom", ("x", &[1, 3, 16, 16]), &[(&z, &[1, 3, 16, 16])], &[]);
    let e = inspect("custom.onnx", &zoo::to_onnx_bytes(&p)).unwrap_err().to_string();
    assert!(e.contains("'frob_12'") && e.contains("'FrobnicateXYZ'") && e.contains("does not support"), "{e}");
}

#[test]
fn a_channels_last_input_is_refused() {
    let mut g = GraphBuilder::default();
    let y = g.node("Relu", "act", &["x"], vec![]);
    let p = g.finish("nhwc", ("x", &[1, 224, 224, 3]), &[(&y, &[1, 224, 224, 3])], &[]);
    let e = inspect("nhwc.onnx", &zoo::to_onnx_bytes(&p)).unwrap_err().to_string();
    assert!(
        e.contains("input 'x' has shape [1, 224, 224, 3]; idlab needs an image batch N x 3 x H x W"),
        "{e}"
    );
}

#[test]
fn the_inspect_command_lists_the_layers() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("resnet18.onnx");
    std::fs::write(&file, resnet18_bytes()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("inspect").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.split_whitespace().next() == Some("layer1.0")).expect(&text);
    assert!(line.contains("Relu") && line.contains("64x56x56") && line.contains("200704"), "{line}");
    assert!(text.contains("input: input"), "{text}");

    let out = Command::new(env!("CARGO_BIN_EXE_idlab")).args(["inspect", "--json"]).arg(&file).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["layers"].as_array().unwrap().iter().any(|c| c["tensor"] == "layer1.0"));

    // An unknown layer for `activations` lists candidates instead of failing late.
    let stim = dir.join("stim");
    std::fs::create_dir_all(&stim).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args(["activations", "--model"])
        .arg(&file)
        .args(["--stimuli"])
        .arg(&stim)
        .args(["--layers", "layer9.9", "-o"])
        .arg(dir.join("a.npz"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no recordable layer named \"layer9.9\"") && err.contains("avgpool"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
