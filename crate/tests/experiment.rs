//! The experiment engine (spec version 2) end to end: several sources,
//! targets and metrics; its streamed scores against the metrics computed
//! directly on recorded activations; identifiability; shipped RDM datasets
//! with subjects, noise ceiling and p-values; a user's responses matched by
//! stimulus name.
#![cfg(not(target_arch = "wasm32"))]

use idlab::experiment::{ExperimentResult, Session, Spec};
use idlab::metrics::{cka, regression, rsa};
use idlab::runtime::Recorder;
use idlab::stimuli::{decode_rgb, resize_crop};
use idlab::zoo::{self, Arch};
use nalgebra::DMatrix;
use serde_json::{json, Value};
use std::path::Path;

fn site() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../www"))
}

/// Runs a spec with its stimuli, datasets and the given data files.
fn run(spec: &Value, data: &[(&str, Vec<u8>)]) -> ExperimentResult {
    let mut s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    for (name, bytes) in data {
        s.add_data(name, bytes).unwrap();
    }
    for p in s.dataset_paths() {
        s.add_data(&p, &std::fs::read(site().join(&p)).unwrap()).unwrap();
    }
    for p in s.stimulus_paths().to_vec() {
        s.add_stimulus(&p, &std::fs::read(site().join(&p)).unwrap()).unwrap();
    }
    let mut last = None;
    while !s.is_done() {
        last = Some(s.step().unwrap());
    }
    let last = last.unwrap();
    assert_eq!((last.stage, last.done), ("done", last.total), "the last step is the last of the total");
    let r = s.result("native", 0.0).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    r
}

/// Raw activations (n x units) of zoo model `arch` seed `seed` at `layer` on the first n photographs.
fn activations(arch: Arch, seed: u64, layer: &str, n: usize) -> DMatrix<f64> {
    let pre = arch.preprocess();
    let probe = arch.probe(layer).unwrap();
    let s = pre.size as usize;
    let rec = Recorder::new(arch.name(), zoo::build(arch, seed).proto, &[probe.tensor.clone()], [1, 3, s, s]).unwrap();
    let rows: Vec<Vec<f32>> = (0..n)
        .map(|i| {
            let name = format!("data/kriegeskorte92/images/{i:03}.png");
            let img = resize_crop(&decode_rgb(&name, &std::fs::read(site().join(&name)).unwrap()).unwrap(), pre.size);
            rec.run(&pre.normalise(&img)).unwrap().remove(0)
        })
        .collect();
    DMatrix::from_fn(n, rows[0].len(), |i, j| rows[i][j] as f64)
}

fn value(r: &ExperimentResult, metric: &str, source: &str, target: &str, i: usize, j: usize) -> f64 {
    r.values(metric, source, target).unwrap_or_else(|| panic!("{metric} {source} {target}"))[i][j].unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{what}: engine {a} vs direct {b}");
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
        "metrics": [{"name": "cka"}]
    });
    let r = run(&spec, &[]);
    assert_eq!(r.identifiability.len(), 1);
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
            "stimuli": {"set": "kriegeskorte92", "limit": 8},
            "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.12"]}],
            "targets": [{"responses": file}],
            "metrics": [{"name": "cka"}, {"name": "regression", "params": {"folds": 2, "test_fraction": 0.25, "projection_dim": 32}}]
        })
    };
    let rows: Vec<(usize, Vec<f64>)> = (0..8).map(|i| (i, (0..5).map(|u| ((i * 7 + u * 3) % 11) as f64 + 0.1 * u as f64).collect())).collect();
    let ordered = run(&spec("v4.csv"), &[("v4.csv", responses_csv(&rows))]);
    let mut shuffled_rows = rows.clone();
    shuffled_rows.reverse();
    let shuffled = run(&spec("v4.csv"), &[("v4.csv", responses_csv(&shuffled_rows))]);
    assert_eq!(ordered.scores[0].values, shuffled.scores[0].values);
    assert_eq!(ordered.scores[1].values, shuffled.scores[1].values);
    assert_eq!(ordered.models[1].units, Some(5));
    assert_eq!(ordered.models[1].layers, ["v4.csv"]);

    let mut s = Session::new(Spec::from_json(&spec("v4.npy").to_string()).unwrap()).unwrap();
    // A numpy-written float32 array of 4 rows (tests/fixtures/data) for 8 stimuli.
    let four = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/data/f32_c.npy")).unwrap();
    let e = s.add_data("v4.npy", &four).unwrap_err().to_string();
    assert!(e.contains("v4.npy") && e.contains('4') && e.contains('8'), "{e}");
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
        assert!(spec.name.is_some() && spec.figure.is_some() && spec.about.is_some(), "{f} says what it reproduces");
        assert!(spec.about.as_ref().unwrap().contains("seeded"), "{f} says its weights are seeded, not trained");
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

/// The shipped Cowley et al. V4 responses are a responses target: the leading
/// rows of `responses.npy` for a limited set, 33 units, scored as a user's
/// responses file with the same rows would be; every image of the set is shipped.
#[test]
fn cowley_v4_responses_are_a_responses_target() {
    let n = 8;
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
    assert_eq!(r.stimuli[n - 1], "data/cowley-v4/images/image0008.jpg");
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
/// layer, and nrp's ridge columns equal to ridge regression called directly
/// on the same (pruned, projected) features and splits; the MLP's equal
/// `nrp::nrp` on those features.
#[test]
fn preset_6_reduced_gives_mlp_and_ridge_errors() {
    use idlab::metrics::nrp::{self, NrpOptions};
    use idlab::metrics::projection::SparseProjection;
    use idlab::metrics::splits::random_splits;
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
        assert_eq!(&detail["mlp_r2"], &score.values, "nrp's value is the MLP's R²");
        assert!(detail["mlp_mae"].iter().chain(&detail["ridge_mae"]).flatten().all(|v| v.unwrap() > 0.0));
        assert!(r.scores.iter().any(|x| x.metric == "regression" && x.source == s && x.detail.is_none()));
    }
    // The pruned source's features, recomputed: AlexNet seed 0 pruned by half, the V4 rows.
    let table = idlab::data::read_table("r.npy", &std::fs::read(site().join("data/cowley-v4/responses.npy")).unwrap(), None).unwrap();
    let y = table.to_matrix().unwrap().rows(0, n).into_owned();
    let splits = random_splits(n, 2, 0.25, 0).unwrap();
    let pre = Arch::AlexNet.preprocess();
    let mut proto = zoo::build(Arch::AlexNet, 0).proto;
    idlab::runtime::prune::prune("alexnet", &mut proto, 0.5).unwrap();
    let tensors: Vec<String> = layers.iter().map(|l| Arch::AlexNet.probe(l).unwrap().tensor).collect();
    let s = pre.size as usize;
    let rec = Recorder::new("alexnet", proto, &tensors, [1, 3, s, s]).unwrap();
    let outs: Vec<Vec<Vec<f32>>> = (1..=n)
        .map(|i| {
            let name = format!("data/cowley-v4/images/image{i:04}.jpg");
            let img = resize_crop(&decode_rgb(&name, &std::fs::read(site().join(&name)).unwrap()).unwrap(), pre.size);
            rec.run(&pre.normalise(&img)).unwrap()
        })
        .collect();
    let score = r.scores.iter().find(|x| x.metric == "nrp" && x.source == "s1").unwrap();
    let detail = score.detail.as_ref().unwrap();
    for (l, layer) in layers.iter().enumerate() {
        let x = DMatrix::from_fn(n, outs[0][l].len(), |i, j| outs[i][l][j] as f64);
        let ridge = regression::regression(
            &x,
            &y,
            &regression::RegressionOptions { splits: Some(splits.clone()), projection_dim: 32, max_units: 33, ..Default::default() },
        )
        .unwrap();
        let mae = ridge.unit_mae.iter().sum::<f64>() / 33.0;
        let r2: Vec<f64> = ridge.unit_r2.iter().flatten().copied().collect();
        close(detail["ridge_mae"][l][0].unwrap(), mae, &format!("ridge MAE {layer}"));
        close(detail["ridge_r2"][l][0].unwrap(), r2.iter().sum::<f64>() / r2.len() as f64, &format!("ridge R² {layer}"));
        let projected = SparseProjection::new(x.ncols(), 32, 0).unwrap().apply(&x).unwrap();
        let o = NrpOptions { hidden_sizes: vec![vec![8, 8]], learning_rates: vec![1e-2], max_epochs: 20, validation_fraction: 0.2, ..NrpOptions::quick() };
        let mlp = nrp::nrp(&projected, &y, &splits, &o).unwrap();
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1e-3);
        assert!(near(detail["mlp_mae"][l][0].unwrap(), mlp.mae), "MLP MAE {layer}: {:?} vs {}", detail["mlp_mae"][l][0], mlp.mae);
        assert!(near(detail["mlp_r2"][l][0].unwrap(), mlp.value), "MLP R² {layer}: {:?} vs {}", detail["mlp_r2"][l][0], mlp.value);
    }
}
