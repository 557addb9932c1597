//! "Run on trained weights" (`idlab::experiment::trained_variant`, `idlab run
//! --trained`): on every preset, which sides change and to which catalogue
//! entries, what the notes say, and a reduced run on shipped weights offline.
#![cfg(not(target_arch = "wasm32"))]

use idlab::experiment::{trained_variant, ModelSpec, Spec, WeightsSpec};
use idlab::weights::catalogue;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn preset(file: &str) -> Spec {
    let text = std::fs::read_to_string(repo().join("www/presets").join(file)).unwrap();
    Spec::from_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn preset_files() -> Vec<String> {
    let index: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(repo().join("www/presets/index.json")).unwrap()).unwrap();
    index["presets"].as_array().unwrap().iter().map(|p| p["file"].as_str().unwrap().to_string()).collect()
}

fn has_entries(arch: &str) -> bool {
    catalogue::entries().iter().any(|e| e.arch.as_deref() == Some(arch))
}

/// The catalogue entry a side's weights name (by shipped id or URL).
fn entry_of(w: &WeightsSpec) -> &'static catalogue::Entry {
    match (&w.shipped, &w.url) {
        (Some(id), None) => catalogue::find(id).unwrap(),
        (None, Some(url)) => catalogue::by_url(url).unwrap_or_else(|| panic!("{url} is not in the catalogue")),
        _ => panic!("weights {w:?} are neither shipped nor a URL"),
    }
}

fn all_sides(s: &Spec) -> Vec<(bool, &ModelSpec)> {
    s.sources.iter().map(|m| (true, m)).chain(s.targets.iter().map(|m| (false, m))).collect()
}

/// The variant with a made-up sha256 on each URL lacking one (the page's Load
/// or the CLI fills in the file's own), so that the spec can be validated.
fn runnable(mut s: Spec) -> Spec {
    for m in s.sources.iter_mut().chain(s.targets.iter_mut()) {
        if let Some(w) = m.weights.as_mut() {
            if w.url.is_some() && w.sha256.is_none() {
                w.sha256 = Some("0".repeat(64));
            }
        }
    }
    s
}

/// What holds for every preset: sides with catalogue entries change and
/// nothing else does; one (arch, seed) gets one file; the text says so.
#[test]
fn every_preset_varies_as_the_rule_says() {
    for file in preset_files() {
        let spec = preset(&file);
        let trained_archs: Vec<String> =
            all_sides(&spec).iter().filter(|(_, m)| m.weights.is_some()).filter_map(|(_, m)| m.arch.clone()).collect();
        let expect_change = all_sides(&spec).iter().any(|(_, m)| {
            m.seed.is_some() && m.arch.as_deref().is_some_and(|a| has_entries(a) && !trained_archs.iter().any(|t| t == a))
        });
        let outcome = trained_variant(&spec);
        if !expect_change {
            let err = outcome.expect_err(&file).to_string();
            assert!(err.contains("no side of this spec can run on trained weights"), "{file}: {err}");
            continue;
        }
        let (v, notes) = outcome.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!notes.is_empty(), "{file}");
        eprintln!("{file}:\n  {}", notes.join("\n  "));
        assert_eq!(v.name.as_deref(), Some(format!("{}{}", spec.name.clone().unwrap_or_default(), " (trained weights)").as_str()), "{file}");
        let this_run = v.this_run.clone().unwrap();
        assert!(this_run[0].starts_with("Trained weights: "), "{file}: {}", this_run[0]);
        assert_eq!(&this_run[this_run.len() - spec.this_run.as_ref().map_or(0, Vec::len)..], spec.this_run.as_deref().unwrap_or(&[]), "{file}: the preset's own text follows");
        for n in &notes {
            assert!(this_run.contains(&format!("Trained weights: {n}")), "{file}: {n}");
        }
        let mut by_seed: Vec<((String, u64), String)> = Vec::new();
        for ((_, before), (_, after)) in all_sides(&spec).into_iter().zip(all_sides(&v)) {
            let changes = before.seed.is_some()
                && before.arch.as_deref().is_some_and(|a| has_entries(a) && !trained_archs.iter().any(|t| t == a));
            if !changes {
                assert_eq!(before, after, "{file}: a side without catalogue weights stays as it was");
                continue;
            }
            let arch = before.arch.clone().unwrap();
            let w = after.weights.as_ref().unwrap();
            assert_eq!(after.seed, None, "{file}");
            let e = entry_of(w);
            assert_eq!(e.arch.as_deref(), Some(arch.as_str()), "{file}: the weights are the architecture's");
            if e.shipped {
                assert_eq!(w, &WeightsSpec { shipped: Some(e.id.clone()), ..Default::default() }, "{file}: a shipped file stays shipped");
            }
            assert!(notes.iter().any(|n| n.starts_with(&format!("{arch}: ")) && n.contains(&e.id)), "{file}: a note names {}", e.id);
            // Every other field (layers, prune, noise, subsample) is kept.
            let mut same = after.clone();
            same.seed = before.seed;
            same.weights = None;
            same.label = before.label.clone();
            assert_eq!(&same, before, "{file}");
            let key = (arch, before.seed.unwrap());
            match by_seed.iter().find(|(k, _)| *k == key) {
                Some((_, id)) => assert_eq!(id, &e.id, "{file}: one seed, one file"),
                None => by_seed.push((key, e.id.clone())),
            }
        }
        let again = runnable(v);
        Spec::from_json(&serde_json::to_string(&again).unwrap()).unwrap_or_else(|e| panic!("{file}: the variant does not validate: {e}"));
    }
}

/// Preset 1 (identify the architecture): ViT-B/32's targets are another
/// training run than its sources (torchvision vs timm's augreg); ResNet18's
/// two entries are one run (timm republishes torchvision's), so both sides
/// share it and the note says so; the architectures keep their order.
#[test]
fn identification_targets_are_another_training_run_where_the_catalogue_has_one() {
    let spec = preset("identify-architecture.json");
    let (v, notes) = trained_variant(&spec).unwrap();
    let id = |m: &ModelSpec| m.weights.as_ref().map(|w| entry_of(w).id.clone());
    let find = |list: &[ModelSpec], arch: &str| list.iter().find(|m| m.arch.as_deref() == Some(arch)).cloned();
    if let (Some(s), Some(t)) = (find(&v.sources, "vit_b_32"), find(&v.targets, "vit_b_32")) {
        assert_eq!(id(&s).as_deref(), Some("vit_b_32/torchvision"));
        assert_eq!(id(&t).as_deref(), Some("vit_b_32/timm-augreg_in21k_ft_in1k"));
        let n = notes.iter().find(|n| n.starts_with("vit_b_32: ")).unwrap();
        assert!(n.contains("sources with seed 0 get vit_b_32/torchvision"), "{n}");
        assert!(n.contains("targets with seed 1 get vit_b_32/timm-augreg_in21k_ft_in1k"), "{n}");
        assert!(n.contains("Sources and targets are different training runs"), "{n}");
    }
    for arch in ["resnet18", "vgg11", "alexnet"] {
        if let (Some(s), Some(t)) = (find(&v.sources, arch), find(&v.targets, arch)) {
            assert_eq!(id(&s), id(&t), "{arch}");
            assert_eq!(id(&s).unwrap(), format!("{arch}/torchvision"), "torchvision's own file, not timm's copy");
            let n = notes.iter().find(|n| n.starts_with(&format!("{arch}: "))).unwrap();
            assert!(n.contains(&format!("The catalogue has one training run of {arch}, so its sources and targets are the same network")), "{n}");
            assert!(notes.iter().any(|n| n.starts_with("The catalogue has no sha256 for ") && n.contains(&format!("{arch}/torchvision"))), "{notes:?}");
        }
    }
    if let (Some(s), Some(t)) = (find(&v.sources, "mixer_b16_224"), find(&v.targets, "mixer_b16_224")) {
        assert_eq!(id(&s), id(&t));
    }
    // The URL weights carry no sha256 until it is learnt.
    let w = find(&v.sources, "alexnet").unwrap().weights.unwrap();
    assert_eq!((w.url.as_deref(), w.sha256), (Some("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"), None));
}

/// Archs without entries stay seeded and are named; a spec already on shipped
/// weights keeps them, and its seeded twin of that arch stays seeded.
#[test]
fn shipped_stays_shipped_and_twins_stay_seeded() {
    let mut spec = preset("alexnet-seeds-cka.json");
    spec.name = Some("mixed".into());
    spec.layers = None;
    spec.sources = vec![
        ModelSpec::trained("efficientnet_lite0", WeightsSpec { shipped: Some("efficientnet_lite0/imagenet".into()), ..Default::default() }),
        ModelSpec::zoo("efficientnet_lite0", 0),
        ModelSpec::zoo("alexnet", 0),
        ModelSpec::zoo("vgg13", 2),
    ];
    spec.targets = vec![ModelSpec::zoo("alexnet", 1)];
    let (v, notes) = trained_variant(&spec).unwrap();
    assert_eq!(v.sources[0], spec.sources[0]);
    assert_eq!(v.sources[1], spec.sources[1], "the seeded twin of a trained arch");
    assert_eq!(v.sources[3], spec.sources[3]);
    assert_eq!(v.sources[2].weights, v.targets[0].weights);
    assert!(notes.iter().any(|n| n.starts_with("efficientnet_lite0 with seed 0 stays seeded: the spec already runs efficientnet_lite0 on trained weights, so its seeded side is the random twin.")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("no trained weights for vgg13 (seed 2): its sides stay seeded")), "{notes:?}");
    assert_eq!(v.name.as_deref(), Some("mixed (trained weights)"));

    // Two seeds of a shipped-only arch: one file, shipped, said to be shared.
    spec.sources = vec![ModelSpec::zoo("efficientnet_lite0", 0)];
    spec.targets = vec![ModelSpec::zoo("efficientnet_lite0", 1)];
    let (v, notes) = trained_variant(&spec).unwrap();
    let shipped = Some(WeightsSpec { shipped: Some("efficientnet_lite0/imagenet".into()), ..Default::default() });
    assert_eq!((&v.sources[0].weights, &v.targets[0].weights), (&shipped, &shipped));
    assert!(notes[0].contains("shipped with the site, so it runs offline"), "{}", notes[0]);
    assert!(notes[0].contains("its sources and targets are the same network where the seeded preset had 2 different seeds"), "{}", notes[0]);

    // Nothing to change: the error says why.
    spec.sources = vec![ModelSpec::zoo("vgg13", 0)];
    spec.targets = vec![ModelSpec { dataset: Some("kriegeskorte92/human-it".into()), ..Default::default() }];
    let err = trained_variant(&spec).unwrap_err().to_string();
    assert!(err.contains("no trained weights for its seeded zoo models: vgg13 (seed 0)"), "{err}");
}

fn out_dir(tag: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("trained-variant-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// `idlab run --trained` on a reduced spec whose only arch with catalogue
/// weights is shipped (EfficientNet-Lite0): runs offline, and the result's
/// spec is the variant.
#[test]
fn cli_runs_a_reduced_spec_on_shipped_weights_offline() {
    let dir = out_dir("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = serde_json::json!({
        "idlab": 2,
        "name": "EfficientNet-Lite0 seeds",
        "this_run": ["Seeded weights."],
        "stimuli": {"set": "kriegeskorte92", "limit": 6},
        "sources": [{"arch": "efficientnet_lite0", "seed": 0}],
        "targets": [{"arch": "efficientnet_lite0", "seed": 1}, {"arch": "vgg11", "seed": 1, "layers": ["features.0"]}],
        "layers": ["_blocks.0", "_conv_head"],
        "metrics": [{"name": "cka"}]
    });
    let path = dir.join("spec.json");
    std::fs::write(&path, spec.to_string()).unwrap();
    let idlab = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(&path).args(args).output().unwrap();
    // vgg11's public file cannot be fetched here: a user's file stands in (a missing one is named).
    let out = dir.join("out");
    let o = idlab(&["-o", out.to_str().unwrap(), "--trained", "--trained-file", "vgg11=/nonexistent/vgg11.pth"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("cannot read weights /nonexistent/vgg11.pth"), "{err}");
    let o = idlab(&["-o", out.to_str().unwrap(), "--trained", "--trained-file", "nope=x.pth"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("\"nope\" is neither an id nor an architecture"), "{}", String::from_utf8_lossy(&o.stderr));

    // Without vgg11: offline, on the shipped file.
    let mut spec = spec;
    spec["targets"].as_array_mut().unwrap().pop();
    std::fs::write(&path, spec.to_string()).unwrap();
    let o = idlab(&["-o", out.to_str().unwrap(), "--trained"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("idlab: trained weights: efficientnet_lite0: sources with seed 0 and targets with seed 1 get efficientnet_lite0/imagenet"), "{err}");
    let result: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["spec"]["name"], "EfficientNet-Lite0 seeds (trained weights)");
    assert_eq!(result["spec"]["sources"][0]["weights"]["shipped"], "efficientnet_lite0/imagenet");
    assert_eq!(result["spec"]["targets"][0]["weights"]["shipped"], "efficientnet_lite0/imagenet");
    let this_run = result["spec"]["this_run"].as_array().unwrap();
    assert!(this_run[0].as_str().unwrap().starts_with("Trained weights: this run puts trained weights"));
    assert_eq!(this_run.last().unwrap(), "Seeded weights.");
    // The same network on both sides: CKA of a layer with itself is 1.
    let values = result["scores"][0]["values"].as_array().unwrap();
    let diag = values[0][0].as_f64().unwrap();
    assert!((diag - 1.0).abs() < 1e-9, "{diag}");

    // Without --trained the spec runs seeded, as before.
    let o = idlab(&["-o", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success());
    let result: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["spec"]["sources"][0]["seed"], 0);
    let _ = std::fs::remove_dir_all(&dir);
}
