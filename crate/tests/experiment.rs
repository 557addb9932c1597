//! The experiment engine (spec version 2) end to end: several sources,
//! targets and metrics; its streamed scores against the metrics computed
//! directly on recorded activations; identifiability; shipped RDM datasets
//! with subjects, noise ceiling and p-values; a user's responses matched by
//! stimulus name.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::close;
use common::site::{matrix, record, run, site, zoo_activations};
use idlab::experiment::{ExperimentResult, Session, Spec};
use idlab::metrics::{cka, regression, rsa};
use idlab::zoo::{self, Arch};
use nalgebra::DMatrix;
use serde_json::{json, Value};

/// Raw activations (n x units) of zoo model `arch` seed `seed` at `layer` on the first n photographs.
fn activations(arch: Arch, seed: u64, layer: &str, n: usize) -> DMatrix<f64> {
    zoo_activations(arch, seed, &[layer], n).remove(0)
}

fn value(r: &ExperimentResult, metric: &str, source: &str, target: &str, i: usize, j: usize) -> f64 {
    r.values(metric, source, target).unwrap_or_else(|| panic!("{metric} {source} {target}"))[i][j].unwrap()
}

/// What the sinks fold in (Gram matrices, row sums, projected and subsampled
/// features) gives the scores the metrics give on the full activations.
#[test]
fn streamed_scores_equal_the_metrics_on_recorded_activations() {
    let n = 12;
    let layers = ["features.2", "classifier.1"];
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": n},
        "sources": [{"arch": "alexnet", "seed": 0}],
        "targets": [{"arch": "alexnet", "seed": 1}],
        "layers": layers,
        "metrics": [
            {"name": "cka"},
            {"name": "rsa", "params": {"permutations": 0}},
            {"name": "regression", "params": {"folds": 3, "test_fraction": 0.25, "projection_dim": 64, "max_units": 40}}
        ]
    });
    let r = run(&spec, &[]);
    assert_eq!(r.scores.len(), 3);
    assert_eq!(r.models.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["s0", "t0"]);
    let opts = regression::RegressionOptions { folds: 3, test_fraction: 0.25, projection_dim: 64, max_units: 40, ..Default::default() };
    let rsa_opts = rsa::RsaOptions { permutations: 0, ..Default::default() };
    for (i, a) in layers.iter().enumerate() {
        let x = activations(Arch::AlexNet, 0, a, n);
        for (j, b) in layers.iter().enumerate() {
            let y = activations(Arch::AlexNet, 1, b, n);
            close(value(&r, "cka", "s0", "t0", i, j), cka::linear_cka(&x, &y).unwrap(), &format!("cka {a} {b}"));
            close(value(&r, "rsa", "s0", "t0", i, j), rsa::rsa(&x, &y, &rsa_opts).unwrap().value, &format!("rsa {a} {b}"));
            close(
                value(&r, "regression", "s0", "t0", i, j),
                regression::regression(&x, &y, &opts).unwrap().value,
                &format!("regression {a} {b}"),
            );
        }
    }
}

/// With two candidate architectures the result says, per target layer, which
/// source scored best and the identifiability index of the correct one.
#[test]
fn identifiability_names_the_correct_source() {
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 6},
        "sources": [
            {"arch": "alexnet", "seed": 0, "layers": ["features.2", "features.12"]},
            {"arch": "resnet18", "seed": 0, "layers": ["layer1.0", "avgpool"]}
        ],
        "targets": [{"arch": "alexnet", "seed": 1, "layers": ["features.2", "features.12", "classifier.4"]}],
        "metrics": [{"name": "cka"}, {"name": "soft-matching", "params": {"max_units": 30}}]
    });
    // Six images are too few for soft matching's held-out R² (its predictivity), not for its distance.
    let r = common::site::run_unchecked(&spec, &[]);
    assert!(r.warnings.iter().all(|w| w.contains("soft-matching predictivity: 6 stimuli are too few")), "{:?}", r.warnings);
    assert_eq!(r.identifiability.len(), 2);
    // A distance: each source's best layer is its smallest value, the index turned so positive means the correct one is closer.
    let sm = &r.identifiability[1];
    assert_eq!((sm.metric.as_str(), sm.better), ("soft-matching", "lower"));
    for (j, v) in sm.layers.iter().enumerate() {
        let best = |s: &str| (0..2).map(|i| value(&r, "soft-matching", s, "t0", i, j)).fold(f64::INFINITY, f64::min);
        let (m, other) = (best("s0"), best("s1"));
        assert_eq!((v.s_match, v.nonmatch_mean, v.correct_won), (m, other, m < other));
        close(v.index.unwrap(), (other - m) / (m + other), "distance index");
    }
    let id = &r.identifiability[0];
    assert_eq!((id.metric.as_str(), id.target.as_str(), id.correct_source.as_str()), ("cka", "t0", "s0"));
    assert_eq!(id.layers.len(), 3);
    for (j, v) in id.layers.iter().enumerate() {
        let best = |s: &str| (0..2).map(|i| value(&r, "cka", s, "t0", i, j)).fold(f64::NEG_INFINITY, f64::max);
        let (m, other) = (best("s0"), best("s1"));
        assert_eq!((v.s_match, v.nonmatch_mean), (m, other));
        close(v.index.unwrap(), (m - other) / (m + other), "index");
        assert_eq!(v.correct_won, m > other);
        assert_eq!(v.best_source, if m > other { "s0" } else { "s1" });
        assert_eq!(v.best_per_source.len(), 2);
    }
    // Seeds differ, architectures agree: AlexNet's own early layer is the best match of its early layer.
    assert!(id.layers[0].correct_won, "{:?}", id.layers[0]);
}

/// The shipped human IT RDMs: four subjects (each the mean of two sessions),
/// scored one by one, their mean, a Mantel p-value per layer, the Nili et al.
/// noise ceiling; monkey IT is one RDM.
#[test]
fn shipped_it_rdms_give_subjects_ceiling_and_p_values() {
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 20},
        "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.5", "classifier.1"]}],
        "targets": [{"dataset": "kriegeskorte92/human-it"}, {"dataset": "kriegeskorte92/monkey-it"}],
        "metrics": [{"name": "rsa", "params": {"permutations": 200}}]
    });
    let r = run(&spec, &[]);
    let human = r.scores.iter().find(|s| s.target == "t0").unwrap();
    let per = human.per_subject.as_ref().unwrap();
    assert_eq!(r.models[1].subjects, ["BE", "KO", "SN", "TI"]);
    for (i, row) in human.values.iter().enumerate() {
        let subjects: Vec<f64> = per[i][0].iter().map(|v| v.unwrap()).collect();
        assert_eq!(subjects.len(), 4);
        close(row[0].unwrap(), subjects.iter().sum::<f64>() / 4.0, "mean over subjects");
        let p = human.p_values.as_ref().unwrap()[i][0].unwrap();
        assert!((1.0 / 201.0..=1.0).contains(&p), "p {p}");
    }
    let monkey = r.scores.iter().find(|s| s.target == "t1").unwrap();
    assert!(monkey.per_subject.is_none() && monkey.p_values.is_some());
    assert_eq!(r.noise_ceilings.len(), 1, "a ceiling needs several subjects");
    let c = &r.noise_ceilings[0];
    assert!(c.target == "t0" && c.lower <= c.upper && c.upper <= 1.0, "{c:?}");
    // Every dataset file's hash is in the inputs.
    assert_eq!(r.inputs.iter().filter(|i| i.role == "data").count(), 9);
}

/// CSV text of `rows` (stimulus index, values), with a name column.
fn responses_csv(rows: &[(usize, Vec<f64>)]) -> Vec<u8> {
    let mut s = String::from("stimulus,u0,u1,u2,u3,u4\n");
    for (i, v) in rows {
        s.push_str(&format!("{i:03}.png,{}\n", v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")));
    }
    s.into_bytes()
}

/// A user's responses are matched to the stimuli by name whatever their row
/// order, and refused with both counts when they do not cover the stimuli.
#[test]
fn user_responses_are_matched_by_name() {
    let spec = |file: &str| {
        json!({
            "idlab": 2,
            "stimuli": {"set": "kriegeskorte92", "limit": 10},
            "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.12"]}],
            "targets": [{"responses": file}],
            "metrics": [{"name": "cka"}, {"name": "regression", "params": {"folds": 2, "test_fraction": 0.25, "projection_dim": 32}}]
        })
    };
    // 10 images: the fewest regression scores (pooled over 2 folds).
    let rows: Vec<(usize, Vec<f64>)> = (0..10).map(|i| (i, (0..5).map(|u| ((i * 7 + u * 3) % 11) as f64 + 0.1 * u as f64).collect())).collect();
    let ordered = run(&spec("v4.csv"), &[("v4.csv", responses_csv(&rows))]);
    let mut shuffled_rows = rows.clone();
    shuffled_rows.reverse();
    let shuffled = run(&spec("v4.csv"), &[("v4.csv", responses_csv(&shuffled_rows))]);
    assert_eq!(ordered.scores[0].values, shuffled.scores[0].values);
    assert_eq!(ordered.scores[1].values, shuffled.scores[1].values);
    assert_eq!(ordered.models[1].units, Some(5));
    assert_eq!(ordered.models[1].layers, ["v4.csv"]);

    let mut s = Session::new(Spec::from_json(&spec("v4.npy").to_string()).unwrap()).unwrap();
    // A numpy-written float32 array of 4 rows (tests/fixtures/data) for 10 stimuli.
    let four = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/data/f32_c.npy")).unwrap();
    let e = s.add_data("v4.npy", &four).unwrap_err().to_string();
    assert!(e.contains("v4.npy") && e.contains('4') && e.contains("10"), "{e}");
    let e = s.add_data("other.csv", b"a,b\n").unwrap_err().to_string();
    assert!(e.contains("no data file \"other.csv\"") && e.contains("v4.npy"), "{e}");
    let e = s.step().unwrap_err().to_string();
    assert!(e.contains("stimuli added") || e.contains("v4.npy was not added"), "{e}");
}

/// A partly recorded target (1% of its units, seeded) scores as CKA on exactly
/// those columns of its activations.
#[test]
fn a_subsampled_target_keeps_the_seeded_columns() {
    use idlab::stats::subsample::{subsample_units, SubsampleSize};
    let n = 6;
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": n},
        "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.5"]}],
        "targets": [{"arch": "alexnet", "seed": 1, "layers": ["features.5"], "subsample": {"fraction": 0.01, "seed": 3}}],
        "metrics": [{"name": "cka"}]
    });
    let r = run(&spec, &[]);
    let x = activations(Arch::AlexNet, 0, "features.5", n);
    let y = subsample_units(&activations(Arch::AlexNet, 1, "features.5", n), SubsampleSize::Fraction(0.01), 3).unwrap();
    assert_eq!(y.columns.len(), (y.columns.len() as f64).round() as usize);
    close(value(&r, "cka", "s0", "t0", 0, 0), cka::linear_cka(&x, &y.matrix).unwrap(), "cka on 1% of units");
    let mut bad = spec.clone();
    bad["sources"][0]["subsample"] = json!({"fraction": 0.5});
    let e = Spec::from_json(&bad.to_string()).unwrap_err().to_string();
    assert!(e.contains("subsample is for targets"), "{e}");
    bad = spec.clone();
    bad["targets"][0]["subsample"] = json!({"fraction": 0});
    assert!(Spec::from_json(&bad.to_string()).unwrap_err().to_string().contains("(0, 1]"));
}

/// Every preset under www/presets parses, says which figure it reproduces and
/// what was found, and is listed (once) in the page's index.json.
#[test]
fn presets_are_valid_and_listed() {
    let dir = site().join("presets");
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let listed: Vec<&str> = index["presets"].as_array().unwrap().iter().map(|p| p["file"].as_str().unwrap()).collect();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".json") && f != "index.json")
        .collect();
    files.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, files, "index.json lists every preset once");
    for f in files {
        let spec = Spec::from_json(&std::fs::read_to_string(dir.join(&f)).unwrap()).unwrap_or_else(|e| panic!("{f}: {e}"));
        // The texts' parts (paper, this_run) are checked in preset_texts.rs.
        assert!(spec.name.is_some() && spec.figure.is_some() && spec.about.is_some(), "{f} says what it reproduces");
    }
}

/// A file named by several targets is asked for once.
#[test]
fn files_named_twice_are_asked_for_once() {
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 5},
        "sources": [{"arch": "alexnet", "seed": 0}],
        "targets": [
            {"dataset": "kriegeskorte92/human-it"}, {"dataset": "kriegeskorte92/monkey-it"}, {"dataset": "kriegeskorte92/human-it"},
            {"responses": "v4.npz", "key": "a"}, {"responses": "v4.npz", "key": "b"}
        ],
        "metrics": [{"name": "rsa"}]
    });
    let s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    assert_eq!(s.dataset_paths().len(), 9, "{:?}", s.dataset_paths());
    assert_eq!(s.data_files(), ["v4.npz"]);
}

/// Preset 4 (convolution vs attention), reduced: the class comparison is the
/// score tables' best per architecture, the target's own architecture left
/// out, Welch's test on the two classes with Hedges' g and the test's power
/// beside it, the class sizes beside the paper's, and the findings sentence.
/// The full preset fits a tab by the page's own estimate.
#[test]
fn preset_4_compares_classes_from_the_score_tables() {
    let full: Value = serde_json::from_slice(&std::fs::read(site().join("presets/convolution-vs-attention.json")).unwrap()).unwrap();
    // Every model of the full preset within the tab's 3.5 GB (www/zoo.js's TAB_LIMIT_BYTES), and
    // every zoo transformer a source.
    let est = idlab::experiment::memory::estimate(&serde_json::from_value(full.clone()).unwrap(), &Default::default()).unwrap();
    for m in &est.models {
        assert!(m.total <= 7 << 29, "{} ({}) needs {:.2} GiB", m.id, m.arch, m.total as f64 / (1u64 << 30) as f64);
    }
    eprintln!("preset 4's estimated peak: {:.2} GiB", est.total as f64 / (1u64 << 30) as f64);
    let archs: Vec<&str> = full["sources"].as_array().unwrap().iter().map(|s| s["arch"].as_str().unwrap()).collect();
    for a in zoo::Arch::ALL.iter().filter(|a| a.family() == zoo::Family::Transformer) {
        assert!(archs.contains(&a.name()), "{} is not a source", a.name());
    }
    let mut spec = full.clone();
    spec["stimuli"]["limit"] = json!(6);
    spec["targets"] = json!([
        {"arch": "vgg13", "seed": 1, "layers": ["classifier.0", "classifier.3"]},
        {"arch": "vit_b_32", "seed": 1, "layers": ["encoder.layers.encoder_layer_11"]}
    ]);
    spec["sources"] = json!([
        {"arch": "alexnet", "seed": 0, "layers": ["classifier.1", "classifier.4"]},
        {"arch": "vgg11", "seed": 0, "layers": ["classifier.0"]},
        {"arch": "resnet18", "seed": 0, "layers": ["layer4.1", "avgpool"]},
        {"arch": "vgg13", "seed": 0, "layers": ["classifier.0"]},
        {"arch": "vit_b_32", "seed": 0, "layers": ["encoder.layers.encoder_layer_10", "encoder.layers.encoder_layer_11"]},
        {"arch": "vit_b_16", "seed": 0, "layers": ["encoder.layers.encoder_layer_11"]}
    ]);
    let r = run(&spec, &[]);
    assert_eq!(r.class_comparison.len(), 4, "one comparison per metric and model target");
    let cka: Vec<_> = r.class_comparison.iter().filter(|c| c.metric == "cka").collect();
    assert_eq!(cka.len(), 2);
    let best = |s: &str, t: &str, j: usize| {
        r.values("cka", s, t).unwrap().iter().map(|row| row[j].unwrap()).fold(f64::NEG_INFINITY, f64::max)
    };
    // VGG13 target: vgg13 seed 0 (s3) is left out; three convolutional and two attention architectures remain.
    let c = cka[0];
    assert_eq!((c.target.as_str(), c.excluded_arch.as_deref(), c.alpha), ("t0", Some("vgg13"), 0.01));
    // The paper's 12 CNNs less VGG13 (the target's own), and its 8 ViTs.
    let sizes: Vec<(usize, Option<usize>)> = c.classes.iter().map(|k| (k.n, k.paper_n)).collect();
    assert_eq!(sizes, [(3, Some(11)), (2, Some(8))]);
    for (j, layer) in c.layers.iter().enumerate() {
        // In the comparison's (alphabetical) order: alexnet, resnet18, vgg11.
        let conv: Vec<f64> = ["s0", "s2", "s1"].iter().map(|s| best(s, "t0", j)).collect();
        let attn: Vec<f64> = ["s4", "s5"].iter().map(|s| best(s, "t0", j)).collect();
        assert_eq!(layer.groups[0].best_per_arch.keys().collect::<Vec<_>>(), ["alexnet", "resnet18", "vgg11"]);
        assert_eq!(layer.groups[0].best_per_arch["resnet18"], conv[1]);
        let w = idlab::stats::welch::welch_t_test(&conv, &attn).unwrap();
        assert_eq!((layer.t, layer.p_value), (Some(w.value), Some(w.p_value)));
        assert_eq!(layer.significant, w.p_value < 0.01);
        let mean = conv.iter().sum::<f64>() / 3.0;
        close(layer.groups[0].mean.unwrap(), mean, "class mean");
        let g = idlab::stats::effect::hedges_g(&conv, &attn, 0.95).unwrap();
        assert_eq!(layer.effect.as_ref(), Some(&g));
        let power = idlab::stats::effect::welch_power(3, 2, 1.0, 0.01).unwrap();
        assert_eq!((layer.power, layer.low_power), (Some(power), true), "3 vs 2 architectures cannot detect one sd");
    }
    // ViT-B/32 target: only ViT-B/16 is left in the attention class, so there is no test, and the note says why.
    let v = &cka[1].layers[0];
    assert_eq!((v.groups[1].n, v.t, v.significant, v.power, v.low_power), (1, None, false, None, false));
    assert!(v.note.as_deref().unwrap().contains("at least 2 values"), "{:?}", v.note);
    assert_eq!(cka[1].classes[1].paper_n, Some(7), "the paper's 8 ViTs less the target's own");
    // The findings say it, computed: one sentence per comparison (`run` returns the session's
    // result, whose findings `Experiment::result` fills; computed here as it does).
    let findings = idlab::experiment::findings::findings(&r);
    let f: Vec<&String> = findings.iter().filter(|s| s.contains("Welch's t-test") && s.contains("by linear CKA:")).collect();
    assert_eq!(f.len(), 2, "{findings:?}");
    assert_eq!(findings.iter().filter(|s| s.contains("Welch's t-test")).count(), 4);
    eprintln!("{}", findings.join("\n"));
    assert!(f[0].starts_with("Target ") && f[0].contains("convolution (3 architectures; the paper's 11)"), "{}", f[0]);
    assert!(f[0].contains("2 of 2 tests have power below 0.5"), "{}", f[0]);
    assert!(f[1].contains("no layer could be tested"), "{}", f[1]);
}

/// Preset 7 reduced (3 seeds, 3 layers with a `:pre`, 10 images, few units):
/// soft matching cells are the metric on the seeded unit subsets; noisy
/// targets are the metric on the activations with the per-image noise drawn
/// on the full matrix; gain 0 changes nothing; soft matching's held-out R²
/// (`detail.r2`) is `soft_matching_predictivity` on the same folds; the
/// specificity numbers follow from the tables they read (R² for a mapping).
#[test]
fn predictivity_specificity_reduced_preset() {
    use idlab::metrics::soft_matching::{soft_matching, soft_matching_predictivity};
    use idlab::metrics::splits;
    use idlab::stats::noise::poisson_like_noise_by_row;
    // 10 images: the fewest regression scores (pooled over 2 folds).
    let n = 10;
    let layers = ["features.0:pre", "features.0", "features.5"];
    let mut spec: Value = serde_json::from_slice(&std::fs::read(site().join("presets/predictivity-specificity.json")).unwrap()).unwrap();
    spec["stimuli"]["limit"] = json!(n);
    spec["layers"] = json!(layers);
    spec["sources"] = json!((0..3).map(|s| json!({"arch": "alexnet", "seed": s})).collect::<Vec<_>>());
    let mut targets: Vec<Value> = (0..3).map(|s| json!({"arch": "alexnet", "seed": s})).collect();
    targets.extend((0..3).map(|s| json!({"arch": "alexnet", "seed": s, "noise": {"gain": 0.1, "seed": s}})));
    targets.push(json!({"arch": "alexnet", "seed": 1, "noise": {"gain": 0.0, "seed": 5}}));
    spec["targets"] = json!(targets);
    spec["metrics"] = json!([
        {"name": "regression", "params": {"folds": 2, "test_fraction": 0.25, "projection_dim": 32, "max_units": 40}},
        {"name": "soft-matching", "params": {"max_units": 20, "seed": 3}},
        {"name": "rsa", "params": {"permutations": 0}}
    ]);
    let r = run(&spec, &[]);
    // A cell of the held-out R² table beside soft matching's values.
    let detail = |r: &ExperimentResult, metric: &str, source: &str, target: &str, i: usize, j: usize| -> f64 {
        let score = r.scores.iter().find(|s| s.metric == metric && s.source == source && s.target == target).unwrap();
        score.detail.as_ref().unwrap()["r2"][i][j].unwrap()
    };
    assert!(r.identifiability.is_empty(), "one architecture: nothing to identify");
    assert_eq!(r.models.iter().find(|m| m.id == "t3").unwrap().label, "alexnet seed 0, noisy (gain 0.1)");
    assert_eq!(r.models.iter().find(|m| m.id == "t3").unwrap().noise.unwrap().gain, 0.1);
    assert!(r.scores.iter().all(|s| s.better == if s.metric == "soft-matching" { "lower" } else { "higher" }));

    let x = zoo_activations(Arch::AlexNet, 0, &layers, n);
    let y = zoo_activations(Arch::AlexNet, 1, &layers, n);
    let subset = |m: &DMatrix<f64>| m.select_columns(regression::target_units(m.ncols(), 20, 3).iter());
    for (i, a) in layers.iter().enumerate() {
        for (j, b) in layers.iter().enumerate() {
            let direct = soft_matching(&subset(&x[i]), &subset(&y[j])).unwrap().value;
            close(value(&r, "soft-matching", "s0", "t1", i, j), direct, &format!("soft matching {a} {b}"));
            // 10 images at 10% held out: 5 folds pooled, the seed's folds.
            let plan = splits::plan(n, 10, 0.1, 3, None, "soft-matching").unwrap();
            let r2 = soft_matching_predictivity(&subset(&x[i]), &subset(&y[j]), &plan).unwrap().r2;
            close(detail(&r, "soft-matching", "s0", "t1", i, j), r2, &format!("soft matching R² {a} {b}"));
            // The noisy seed 1 (t4, noise seed 1): the same per-image draws applied to the full matrix, rounded to f32.
            let noisy = poisson_like_noise_by_row(&y[j], 0.1, 1, b).unwrap().map(|v| v as f32 as f64);
            let direct = soft_matching(&subset(&x[i]), &subset(&noisy)).unwrap().value;
            close(value(&r, "soft-matching", "s0", "t4", i, j), direct, &format!("noisy soft matching {a} {b}"));
            // RSA reads the Gram matrix: the noise reached that sink too.
            let direct = rsa::rsa(&x[i], &noisy, &rsa::RsaOptions { permutations: 0, ..Default::default() }).unwrap().value;
            close(value(&r, "rsa", "s0", "t4", i, j), direct, &format!("noisy rsa {a} {b}"));
        }
    }
    // Gain 0 (t6) scores exactly as the clean seed 1 (t1); gain 0.1 does not.
    for m in ["regression", "soft-matching", "rsa"] {
        assert_eq!(r.values(m, "s0", "t6"), r.values(m, "s0", "t1"), "{m}");
        assert_ne!(r.values(m, "s0", "t4"), r.values(m, "s0", "t1"), "{m}");
    }

    // Specificity: 3 metrics x (without noise, then the gains in spec order) groups.
    assert_eq!(r.specificity.len(), 9);
    // Findings (the runner fills them; a session's result does not): one predictivity
    // sentence per mapping and group, the silhouettes, the noise rule.
    let findings = idlab::experiment::findings::findings(&r);
    assert!(findings.iter().any(|f| f.starts_with("By soft matching (without noise), a layer was predicted best")), "{findings:?}");
    assert!(findings.iter().any(|f| f.starts_with("Silhouette by layer over the population (noisy (gain 0.1);")));
    assert!(findings.iter().any(|f| f.contains("|response|")));
    let groups: Vec<&str> = r.specificity[..3].iter().map(|s| s.targets.as_str()).collect();
    assert_eq!(groups, ["without noise", "noisy (gain 0.1)", "noisy (gain 0)"]);
    assert!(r.specificity.iter().filter(|s| s.noise_gain.is_some()).all(|s| s.noise_rule.as_deref().is_some_and(|t| t.contains("|response|"))));
    for sp in r.specificity.iter().filter(|s| s.targets == "without noise") {
        // A mapping reads its held-out R² (soft matching here; ridge once its tables carry `r2`); RSA its score.
        let mapping = sp.basis == "held-out R²";
        assert_eq!(mapping, sp.predictivity.is_some(), "{}", sp.metric);
        assert!(sp.metric != "rsa" || (!mapping && sp.population.as_ref().unwrap().silhouette_squared.is_some()));
        assert!(sp.metric != "soft-matching" || mapping);
        let table = |s: &str, t: &str| -> Vec<Vec<Option<f64>>> {
            let score = r.scores.iter().find(|x| x.metric == sp.metric && x.source == s && x.target == t).unwrap();
            if mapping { score.detail.as_ref().unwrap()["r2"].clone() } else { score.values.clone() }
        };
        let higher = mapping || sp.better == "higher";
        assert_eq!(sp.pairs.len(), 6, "3 x 3 seeds, not with themselves");
        // Recompute the identification rate and the same-layer R² from the tables.
        let (mut hits, mut cases) = (0, 0);
        let mut same = vec![Vec::new(); layers.len()];
        for [s, t] in &sp.pairs {
            let v = table(s, t);
            for j in 0..layers.len() {
                let col: Vec<f64> = v.iter().map(|row| row[j].unwrap()).collect();
                let best = (0..col.len()).fold(0, |b, i| if (higher && col[i] > col[b]) || (!higher && col[i] < col[b]) { i } else { b });
                cases += 1;
                hits += (best == j) as usize;
                same[j].push(col[j]);
            }
        }
        assert_eq!((sp.same_layer.hits, sp.same_layer.cases), (hits, cases), "{}", sp.metric);
        if let Some(p) = &sp.predictivity {
            let per: Vec<f64> = same.iter().map(|v| v.iter().sum::<f64>() / v.len() as f64).collect();
            for (l, want) in p.layers.iter().zip(&per) {
                close(l.same.unwrap(), *want, &format!("{} same-layer R² {}", sp.metric, l.layer));
            }
            close(p.same_layer.unwrap(), per.iter().sum::<f64>() / per.len() as f64, "overall same-layer R²");
        }
        // One dissimilarity: t0's features.0:pre against t1's features.5, from s0 -> t1 and s1 -> t0.
        let p = sp.population.as_ref().unwrap();
        assert_eq!(p.points.len(), 9);
        let (a, b) = (0, 3 + 2);
        assert_eq!((p.points[a].model.as_str(), p.points[b].model.as_str(), p.points[b].layer.as_str()), ("t0", "t1", "features.5"));
        let (f, g) = (table("s0", "t1")[0][2].unwrap(), table("s1", "t0")[2][0].unwrap());
        let want = if higher { 1.0 - 0.5 * (f + g) } else { 0.5 * (f + g) };
        close(p.dissimilarity[a][b], want, &format!("{} dissimilarity", sp.metric));
        assert!(p.silhouette.is_some_and(|s| (-1.0..=1.0).contains(&s)) && p.silhouette_per_layer.len() == 3);
        assert_eq!(p.mds.len(), 9);
    }
}

/// The shipped Cowley et al. V4 responses are a responses target: the leading
/// rows of `responses.npy` for a limited set, 33 units, scored as a user's
/// responses file with the same rows would be; every image of the set is shipped.
#[test]
fn cowley_v4_responses_are_a_responses_target() {
    let n = 10;
    let layer = "classifier.1";
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "cowley-v4", "limit": n},
        "sources": [{"arch": "alexnet", "seed": 0}],
        "targets": [{"dataset": "cowley-v4/responses"}],
        "layers": [layer],
        "metrics": [{"name": "cka"}, {"name": "regression", "params": {"folds": 2, "test_fraction": 0.25, "projection_dim": 32}}]
    });
    let r = run(&spec, &[]);
    let target = r.models.iter().find(|m| m.id == "t0").unwrap();
    assert_eq!((target.kind, target.units, target.layers.len()), ("responses", Some(33), 1));
    assert_eq!(r.stimuli[n - 1], "data/cowley-v4/images/image0010.jpg");
    // The same rows as a user's file give the same scores.
    let table = idlab::data::read_table("r.npy", &std::fs::read(site().join("data/cowley-v4/responses.npy")).unwrap(), None).unwrap();
    assert_eq!(table.shape, [1200, 33]);
    let y = table.to_matrix().unwrap().rows(0, n).into_owned();
    let mut user = spec.clone();
    user["targets"] = json!([{"responses": "v4.csv"}]);
    let csv: String = (0..n).map(|i| y.row(i).iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(",") + "\n").collect();
    let mine = run(&user, &[("v4.csv", csv.into_bytes())]);
    for m in ["cka", "regression"] {
        assert_eq!(r.values(m, "s0", "t0"), mine.values(m, "s0", "t0"), "{m}");
    }
    for p in idlab::stimuli::sets::image_paths("cowley-v4", None).unwrap() {
        assert!(site().join(&p).is_file(), "{p} is shipped");
    }
}

/// Preset 6 cut down to run in a test: its sources, target and metrics, with
/// `n` images, the given layers, prune 0 and 0.5, and a tiny NRP grid.
fn reduced_preset_6(n: usize, layers: &[&str]) -> Value {
    let mut spec: Value = serde_json::from_slice(&std::fs::read(site().join("presets/linear-vs-nonlinear.json")).unwrap()).unwrap();
    spec["stimuli"]["limit"] = n.into();
    spec["layers"] = json!(layers);
    spec["sources"] = json!([{"arch": "alexnet", "seed": 0, "prune": 0}, {"arch": "alexnet", "seed": 0, "prune": 0.5}]);
    assert_eq!(spec["metrics"][1]["name"], "nrp");
    spec["metrics"][0]["params"] = json!({"folds": 2, "test_fraction": 0.25, "projection_dim": 64});
    spec["metrics"][1]["params"] = json!({
        "folds": 2, "test_fraction": 0.25, "projection_dim": 32,
        "hidden_sizes": [[8, 8]], "learning_rates": [1e-2], "max_epochs": 20, "validation_fraction": 0.2
    });
    spec
}

/// Preset 6, reduced: finite MLP and ridge error tables for every source and
/// layer, nrp's value the MLP's MAE, and its MLP and ridge-baseline columns
/// equal to `nrp::nrp_pooled` called directly on the same (pruned,
/// projected) features and splits.
#[test]
fn preset_6_reduced_gives_mlp_and_ridge_errors() {
    use idlab::metrics::nrp::{self, NrpOptions};
    use idlab::metrics::projection::SparseProjection;
    use idlab::metrics::splits::{plan, Scheme};
    let n = 16;
    let layers = ["features.12", "classifier.1"];
    let r = run(&reduced_preset_6(n, &layers), &[]);
    let labels: Vec<&str> = r.models.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["alexnet seed 0, 0% pruned", "alexnet seed 0, 50% pruned", "macaque V4 (33 neurons, Cowley et al.)"]);
    for s in ["s0", "s1"] {
        let score = r.scores.iter().find(|x| x.metric == "nrp" && x.source == s).unwrap();
        let detail = score.detail.as_ref().expect("nrp carries detail tables");
        assert_eq!(detail.keys().collect::<Vec<_>>(), ["mlp_mae", "mlp_r2", "ridge_mae", "ridge_r2"]);
        for (name, table) in detail {
            assert_eq!((table.len(), table[0].len()), (2, 1), "{name}");
            assert!(table.iter().flatten().all(|v| v.is_some_and(f64::is_finite)), "{s} {name}: {table:?}");
        }
        assert_eq!(&detail["mlp_mae"], &score.values, "nrp's value is the MLP's MAE");
        assert!(detail["mlp_mae"].iter().chain(&detail["ridge_mae"]).flatten().all(|v| v.unwrap() > 0.0));
        assert!(r.scores.iter().any(|x| x.metric == "regression" && x.source == s && !x.detail.as_ref().is_some_and(|d| d.contains_key("mlp_mae"))));
    }
    // The pruned source's features, recomputed: AlexNet seed 0 pruned by half, the V4 rows.
    let table = idlab::data::read_table("r.npy", &std::fs::read(site().join("data/cowley-v4/responses.npy")).unwrap(), None).unwrap();
    let y = table.to_matrix().unwrap().rows(0, n).into_owned();
    // 4 test images per 25% split are too few: both mappings score 2 folds pooled.
    let p = plan(n, 2, 0.25, 0, None, "nrp").unwrap();
    assert_eq!(p.scheme, Scheme::KFold);
    assert!(r.warnings.iter().any(|w| w.starts_with("nrp: 16 images give 4 test images per split")), "{:?}", r.warnings);
    let splits = p.splits;
    let pre = Arch::AlexNet.preprocess();
    let mut proto = zoo::build(Arch::AlexNet, 0).proto;
    idlab::runtime::prune::prune("alexnet", &mut proto, 0.5).unwrap();
    let tensors: Vec<String> = layers.iter().map(|l| Arch::AlexNet.probe(l).unwrap().tensor).collect();
    let images: Vec<String> = (1..=n).map(|i| format!("data/cowley-v4/images/image{i:04}.jpg")).collect();
    let outs = record(proto, &pre, &tensors, &images);
    let score = r.scores.iter().find(|x| x.metric == "nrp" && x.source == "s1").unwrap();
    let detail = score.detail.as_ref().unwrap();
    for (l, layer) in layers.iter().enumerate() {
        let x = matrix(&outs[l]);
        let projected = SparseProjection::new(x.ncols(), 32, 0).unwrap().apply(&x).unwrap();
        let o = NrpOptions { hidden_sizes: vec![vec![8, 8]], learning_rates: vec![1e-2], max_epochs: 20, validation_fraction: 0.2, ..NrpOptions::quick() };
        let mlp = nrp::nrp_pooled(&projected, &y, &splits, &o).unwrap();
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1e-3);
        assert!(near(detail["mlp_mae"][l][0].unwrap(), mlp.mae), "MLP MAE {layer}: {:?} vs {}", detail["mlp_mae"][l][0], mlp.mae);
        assert!(near(detail["mlp_r2"][l][0].unwrap(), mlp.r2), "MLP R² {layer}: {:?} vs {}", detail["mlp_r2"][l][0], mlp.r2);
        // The ridge baseline: same standardised features, λ from nrp::RIDGE_LAMBDAS on the MLP's validation images.
        close(detail["ridge_mae"][l][0].unwrap(), mlp.ridge_mae, &format!("ridge MAE {layer}"));
        close(detail["ridge_r2"][l][0].unwrap(), mlp.ridge_r2, &format!("ridge R² {layer}"));
    }
}
