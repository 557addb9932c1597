//! Identifiability with an identity other than the architecture (the spec's
//! `identity`: a training set), the identify findings on a reduced preset 1,
//! and the memory of the system-identification presets against a tab's.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::drive::finish;
use common::site::add_site_files;
use idlab::experiment::memory::{estimate, UserModels};
use idlab::experiment::{Experiment, ExperimentResult, Spec};
use serde_json::{json, Value};
use std::path::Path;

/// What a tab may use: WebAssembly's 4 GiB less 0.5 GiB of headroom (`www/zoo.js`).
const TAB_LIMIT: u64 = (4 << 30) - (1 << 29);

fn preset(file: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/presets").join(file);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Runs `v` natively with the site's stimuli and every shipped file it needs.
fn run(v: &Value) -> ExperimentResult {
    let mut e = Experiment::new(Spec::from_json(&v.to_string()).unwrap()).unwrap();
    for need in e.weights_needed() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(&need.name);
        e.add_weights(&need.name, std::fs::read(path).unwrap()).unwrap();
    }
    add_site_files(&mut e);
    finish(&mut e)
}

#[test]
fn the_presets_fit_a_tab() {
    for f in ["identify-architecture.json", "partial-recordings.json", "which-stimuli-identify.json", "identify-architecture-1200.json", "training-data.json"] {
        let spec = Spec::from_json(&preset(f).to_string()).unwrap();
        let m = estimate(&spec, &UserModels::default()).unwrap();
        let worst = m.models.iter().max_by_key(|x| x.total).unwrap();
        let gb = |b: u64| b as f64 / 1e9;
        println!(
            "{f}: {} images, {:.2} GB at {} ({}: weights {:.2}, activations {:.2}, held {:.2}, stimuli {:.2})",
            m.images, gb(m.total), worst.id, worst.arch, gb(worst.weights), gb(worst.activations), gb(worst.held), gb(worst.stimuli)
        );
        assert!(m.total <= TAB_LIMIT, "{f}: {} bytes, more than a tab's {TAB_LIMIT}", m.total);
    }
}

#[test]
fn identity_is_checked() {
    let mut v = preset("training-data.json");
    v["targets"] = json!([{ "dataset": "kriegeskorte92/human-it", "identity": "imagenet" }]);
    let e = Spec::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("targets[0]: identity names what identifiability recognises in a model"), "{e}");
    let mut v = preset("training-data.json");
    v["sources"][0]["identity"] = json!("  ");
    let e = Spec::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("sources[0]: identity is empty"), "{e}");
    // It round-trips, and a spec without it reads as before.
    let spec = Spec::from_json(&preset("training-data.json").to_string()).unwrap();
    assert_eq!(spec.targets[0].identity.as_deref(), Some("imagenet"));
    assert!(Spec::from_json(&preset("identify-architecture.json").to_string()).unwrap().targets[0].identity.is_none());
}

/// The training-data preset, reduced: the correct source is the one whose
/// identity (training set) is the target's, TFLite targets included; a seeded
/// zoo target's `identity` overrides its architecture.
#[test]
fn the_training_set_is_an_identity() {
    let mut v = preset("training-data.json");
    v["stimuli"]["limit"] = json!(12);
    v["metrics"] = json!([{ "name": "cka" }, { "name": "cka-debiased" }]);
    let two = json!(["expanded_conv_4/add", "expanded_conv_12/add"]);
    for side in ["sources", "targets"] {
        for m in v[side].as_array_mut().unwrap() {
            m["layers"] = if m.get("tflite").is_some() { two.clone() } else { json!(["features.5", "features.13"]) };
        }
    }
    let r = run(&v);
    assert_eq!(r.identifiability.len(), 4, "two targets x two metrics");
    for id in &r.identifiability {
        let correct = if id.target == "t0" { "s0" } else { "s3" };
        assert_eq!(id.correct_source, correct, "{} {}", id.metric, id.target);
        assert_eq!(id.layers.len(), 2);
        for l in &id.layers {
            // Every other source (three of four) counts against the correct one.
            assert_eq!(l.best_per_source.len(), 4);
            let others: Vec<f64> = l.best_per_source.iter().filter(|(s, _)| *s != correct).map(|(_, &x)| x).collect();
            assert_eq!(others.len(), 3);
            assert!((l.nonmatch_mean - others.iter().sum::<f64>() / 3.0).abs() < 1e-12);
            assert_eq!(l.s_match, l.best_per_source[correct]);
        }
    }
    // Without identities the TFLite target has none (no architecture), and the
    // seeded target's correct source is the zoo MobileNetV2 (its architecture):
    // the same verdicts for it as with "untrained" on both.
    let mut plain = v.clone();
    for side in ["sources", "targets"] {
        for m in plain[side].as_array_mut().unwrap() {
            m.as_object_mut().unwrap().remove("identity");
        }
    }
    let p = run(&plain);
    assert!(p.identifiability.iter().all(|i| i.target == "t1" && i.correct_source == "s3"));
    assert_eq!(p.identifiability.len(), 2);
    let f = r.findings.join(" ");
    println!("{}", r.findings.join("\n"));
    assert!(f.contains("the correct source (the target's identity) scored best at"), "{f}");
    assert!(p.findings.join(" ").contains("the correct architecture scored best at"), "{:?}", p.findings);
}

/// Preset 1 reduced (three architectures, two layers each, 20 images): the
/// identify findings state the result's own counts and mean index.
#[test]
fn findings_state_the_results_counts() {
    let mut v = preset("identify-architecture.json");
    v["stimuli"]["limit"] = json!(20);
    let layers = |a: &str| match a {
        "alexnet" => json!(["features.0", "classifier.4"]),
        "vgg11" => json!(["features.8", "classifier.3"]),
        _ => json!(["layer1.0", "avgpool"]),
    };
    for side in ["sources", "targets"] {
        let keep: Vec<Value> = v[side]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| ["alexnet", "vgg11", "resnet18"].contains(&m["arch"].as_str().unwrap()))
            .map(|m| {
                let mut m = m.clone();
                m["layers"] = layers(m["arch"].as_str().unwrap());
                m
            })
            .collect();
        v[side] = Value::Array(keep);
    }
    let r = run(&v);
    assert_eq!(r.identifiability.len(), 9, "three targets x three metrics");
    let f = &r.findings;
    println!("{}", f.join("\n"));
    for (metric, title) in [("regression", "ridge regression"), ("cka", "linear CKA"), ("cka-debiased", "debiased CKA")] {
        let entries: Vec<_> = r.identifiability.iter().filter(|i| i.metric == metric).collect();
        let won: usize = entries.iter().map(|i| i.layers.iter().filter(|l| l.outcome() == "won").count()).sum();
        let ties: usize = entries.iter().map(|i| i.layers.iter().filter(|l| l.outcome() == "tie").count()).sum();
        let ix: Vec<f64> = entries.iter().flat_map(|i| i.layers.iter().filter_map(|l| l.index)).collect();
        let mean = ix.iter().sum::<f64>() / ix.len() as f64;
        let counts = f.iter().find(|s| s.contains(&format!("y {title} "))).unwrap_or_else(|| panic!("{title}: {f:?}"));
        let tied = if ties > 0 { format!(" ({ties} tied)") } else { String::new() };
        let said = if metric == "regression" { format!("By {title} the correct architecture scored best at {won} of 6 target layers{tied}") } else { format!("by {title} at {won} of 6{tied}") };
        assert!(counts.contains(&said), "{said:?} not in {counts:?}");
        let means = f.iter().find(|s| s.starts_with("Mean identifiability index")).unwrap();
        let value: f64 = means.split(&format!("{title} ")).nth(1).unwrap().split([',', ' ']).next().unwrap().trim_end_matches('.').parse().unwrap();
        assert!((value - mean).abs() <= 0.5 * 10f64.powi(value.abs().log10().floor() as i32 - 1) + 1e-12, "{title}: said {value}, mean {mean}");
        // Per target: each target's own count.
        let per = f.iter().find(|s| s.starts_with(&format!("By {title}, per target:"))).unwrap();
        for e in &entries {
            let label = &r.model(&e.target).unwrap().label;
            let w = e.layers.iter().filter(|l| l.outcome() == "won").count();
            assert!(per.contains(&format!("{label}: {w} of {}", e.layers.len())), "{per}");
        }
    }
    // The report and the result carry the same sentences.
    let report = r.report_text();
    assert!(f.iter().all(|s| report.contains(s.as_str())), "the report prints the findings");
}

/// Several stimulus sets: one count sentence per set and the mean index per set.
#[test]
fn findings_per_stimulus_set() {
    let mut v = preset("which-stimuli-identify.json");
    v["stimuli"]["limit"] = json!(8);
    v["more_stimuli"] = json!([{ "set": "textures", "count": 8, "seed": 0 }]);
    v["metrics"] = json!([{ "name": "cka" }]);
    v["sources"] = json!([{ "arch": "alexnet", "seed": 0, "layers": ["features.0", "features.3"] }, { "arch": "resnet18", "seed": 0, "layers": ["maxpool", "layer1.0"] }]);
    v["targets"] = json!([{ "arch": "alexnet", "seed": 1, "layers": ["features.0", "features.3"] }]);
    let r = run(&v);
    assert_eq!(r.by_stimuli.len(), 2);
    let f = &r.findings;
    println!("{}", f.join("\n"));
    for s in &r.by_stimuli {
        let said = format!("On {}, by linear CKA the correct architecture scored best at {} of {} target layers", s.stimuli, s.correct_won, s.layers);
        assert!(f.iter().any(|x| x.starts_with(&said)), "{said:?} in {f:?}");
    }
    let per_set = f.iter().find(|x| x.starts_with("By linear CKA, the mean identifiability index per stimulus set was")).unwrap();
    for s in &r.by_stimuli {
        assert!(per_set.contains(&format!("{} ", s.stimuli)), "{per_set}");
    }
}

/// Several sources of the target's identity: the correct score is the best
/// over all of them, and only sources of another identity count against it.
#[test]
fn several_correct_sources_pool() {
    let layers = json!(["features.5", "features.13"]);
    let v = json!({
        "idlab": 2,
        "stimuli": { "set": "kriegeskorte92", "limit": 10 },
        "sources": [
            { "arch": "mobilenet_v2", "seed": 0, "layers": layers },
            { "arch": "alexnet", "seed": 0, "layers": ["features.0", "features.3"] },
            { "arch": "mobilenet_v2", "seed": 2, "layers": layers }
        ],
        "targets": [{ "arch": "mobilenet_v2", "seed": 1, "layers": layers }],
        "metrics": [{ "name": "cka" }]
    });
    let r = run(&v);
    let [id] = &r.identifiability[..] else { panic!("{:?}", r.identifiability) };
    assert_eq!(id.correct_source, "s0", "the first correct source names the entry");
    for l in &id.layers {
        let b = &l.best_per_source;
        assert_eq!(l.s_match, b["s0"].max(b["s2"]));
        assert_eq!(l.nonmatch_mean, b["s1"]);
    }
}
