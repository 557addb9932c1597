//! The experiment over several stimulus sets (`more_stimuli`, an upload among
//! them): one session per set, each set's scores as a run on it alone, the
//! summary per set, progress over every set, export folders kept apart; and
//! images recorded in parallel giving the same bits for any thread count.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::close;
use common::drive::steps;
use common::site::{add_site_files, run, site};
use idlab::experiment::{Experiment, ExperimentResult, Session, Spec};
use serde_json::{json, Value};

/// Runs a spec over all its stimulus sets, adding `upload` as the user's images.
fn run_sets(spec: &Value, upload: &[(&str, Vec<u8>)]) -> ExperimentResult {
    let mut x = Experiment::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    for (name, bytes) in upload {
        x.add_stimulus(name, bytes).unwrap();
    }
    add_site_files(&mut x);
    let last = steps(&mut x).pop().unwrap();
    assert_eq!((last.stage, last.done, last.images_done), ("done", last.total, last.images_total), "progress counts every set");
    let r = x.result("native", 0.0).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    r
}

/// Preset 3 (which stimuli identify), reduced: the experiment runs once per
/// stimulus set, each set's scores equal a run on that set alone, and the
/// summary per set is the identifiability entries' mean index and wins.
#[test]
fn preset_3_runs_once_per_stimulus_set() {
    let mut spec: Value = serde_json::from_slice(&std::fs::read(site().join("presets/which-stimuli-identify.json")).unwrap()).unwrap();
    spec["stimuli"]["limit"] = json!(5);
    spec["more_stimuli"] = json!([{"set": "textures", "count": 5, "seed": 3}, {"set": "upload", "folder": "mine"}]);
    spec["sources"] = json!([
        {"arch": "alexnet", "seed": 0, "layers": ["classifier.1", "classifier.4"]},
        {"arch": "vit_b_32", "seed": 0, "layers": ["encoder.layers.encoder_layer_11"]}
    ]);
    spec["targets"] = json!([
        {"arch": "alexnet", "seed": 1, "layers": ["classifier.4"]},
        {"arch": "vit_b_32", "seed": 1, "layers": ["encoder.layers.encoder_layer_10", "encoder.layers.encoder_layer_11"]}
    ]);
    // The user's images: four photographs under other names, so that they route to the upload set.
    let photo = |i: usize| std::fs::read(site().join(format!("data/kriegeskorte92/images/{:03}.png", 80 + i))).unwrap();
    let upload: Vec<(String, Vec<u8>)> = (0..4).map(|i| (format!("mine-{i}.png"), photo(i))).collect();
    let upload_refs: Vec<(&str, Vec<u8>)> = upload.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let r = run_sets(&spec, &upload_refs);
    let names: Vec<(&str, usize)> = r.stimulus_sets.iter().map(|s| (s.name.as_str(), s.n_stimuli)).collect();
    assert_eq!(names, [("kriegeskorte92", 5), ("textures", 5), ("upload (mine)", 4)]);
    assert_eq!(r.stimulus_sets[2].stimuli, ["mine-0.png", "mine-1.png", "mine-2.png", "mine-3.png"]);
    // The preset's metrics (linear and debiased CKA).
    let m = spec["metrics"].as_array().unwrap().len();
    assert_eq!(r.scores.len(), 3 * 2 * 2 * m, "sets x sources x targets x metrics");
    assert_eq!(r.identifiability.len(), 3 * 2 * m);
    // Each set's scores are those of a run on that set alone.
    let mut textures = spec.clone();
    textures["stimuli"] = json!({"set": "textures", "count": 5, "seed": 3});
    textures.as_object_mut().unwrap().remove("more_stimuli");
    let alone = run(&textures, &[]);
    for s in r.scores.iter().filter(|s| s.set == Some(1)) {
        assert_eq!(Some(&s.values), alone.values(&s.metric, &s.source, &s.target), "{} {}", s.source, s.target);
    }
    let by_set = |i: usize| r.scores.iter().find(|s| s.set == Some(i) && s.source == "s0" && s.target == "t0").unwrap().values[1][0];
    assert_ne!(by_set(0), by_set(1), "the sets give different scores");
    // The summary per set: the mean index over target layers, and the wins.
    assert_eq!(r.by_stimuli.len(), 6 * m);
    for b in &r.by_stimuli {
        let v = r.identifiability.iter().find(|v| v.set == Some(b.set) && v.target == b.target && v.metric == b.metric).unwrap();
        let idx: Vec<f64> = v.layers.iter().filter_map(|l| l.index).collect();
        close(b.mean_index.unwrap(), idx.iter().sum::<f64>() / idx.len() as f64, "mean index");
        assert_eq!((b.correct_won, b.layers), (v.layers.iter().filter(|l| l.correct_won).count(), v.layers.len()));
        assert_eq!(b.stimuli, r.stimulus_sets[b.set].name);
    }
    // Recorded data belongs to one set: refused with more_stimuli.
    let mut bad = spec.clone();
    bad["targets"] = json!([{"dataset": "kriegeskorte92/monkey-it"}]);
    bad["metrics"] = json!([{"name": "rsa"}]);
    let e = Experiment::new(Spec::from_json(&bad.to_string()).unwrap()).err().unwrap().to_string();
    assert!(e.contains("targets[0]: recorded data belongs to one stimulus set"), "{e}");
    bad = spec.clone();
    bad["more_stimuli"][0] = json!({"set": "textures", "count": 2});
    let e = Spec::from_json(&bad.to_string()).unwrap_err().to_string();
    assert!(e.contains("more_stimuli[0]: the metrics need at least 3 stimuli"), "{e}");
}

/// Images run in parallel, a batch per step, one per thread of the pool (and
/// AlexNet's fully connected head on 8 at once, whatever the thread count):
/// the scores are the same bits with 1 thread and with 3, and so is every
/// step's image count but for the batching.
#[test]
fn images_in_parallel_give_the_same_bits_for_any_thread_count() {
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 10},
        "sources": [{"arch": "alexnet", "seed": 0, "layers": ["features.2", "classifier.1"]}],
        "targets": [{"arch": "squeezenet1_0", "seed": 1, "layers": ["features.3"]}],
        "metrics": [{"name": "cka"}, {"name": "rsa", "params": {"permutations": 50}}, {"name": "regression", "params": {"folds": 2, "projection_dim": 64}}]
    });
    let with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
            add_site_files(&mut s);
            let steps = steps(&mut s);
            (s.result("native", 0.0).unwrap(), steps)
        })
    };
    let (one, steps1) = with(1);
    let (three, steps3) = with(3);
    for (a, b) in one.scores.iter().zip(&three.scores) {
        assert_eq!(a.values, b.values, "{} {} {}", a.metric, a.source, a.target);
        assert_eq!(a.p_values, b.p_values);
    }
    // 10 images (the fewest regression scores). SqueezeNet: one per step with 1 thread; 3, 3, 3
    // and 1 with 3 threads. AlexNet, whose head runs 8 at once: 8 and 2 with either.
    let recorded = |steps: &[idlab::experiment::Progress]| steps.iter().filter(|p| p.stage == "recording").count();
    assert_eq!((recorded(&steps1), recorded(&steps3)), (2 + 10, 2 + 4));
    for steps in [&steps1, &steps3] {
        assert!(steps.iter().any(|p| p.label.ends_with("seed 0: images 9-10 of 10")), "{:?}", steps.iter().map(|p| &p.label).collect::<Vec<_>>());
    }
    assert!(steps3.iter().any(|p| p.label.ends_with("images 4-6 of 10")), "{:?}", steps3.iter().map(|p| &p.label).collect::<Vec<_>>());
    assert_eq!(steps3.last().unwrap().done, steps3.last().unwrap().total);
}

/// With several stimulus sets, each set's export files sit under its own folder.
#[test]
fn exports_of_several_sets_are_kept_apart() {
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 3},
        "more_stimuli": [{"set": "objects", "count": 4}],
        "sources": [{"arch": "alexnet", "seed": 0, "layers": ["classifier.4"]}],
        "targets": [{"arch": "alexnet", "seed": 1, "layers": ["classifier.4"]}],
        "metrics": [{"name": "cka"}],
        "export": {"rdms": true}
    });
    let mut x = Experiment::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    add_site_files(&mut x);
    assert!(x.exports_zip().is_err(), "no export before the run ends");
    steps(&mut x);
    let files = x.exports();
    let rdm = |prefix: &str| files.iter().find(|(p, _)| p.starts_with(prefix) && p.contains("rdms/") && p.contains("s0-")).map(|(_, b)| *b);
    let (a, b) = (rdm("stimuli-0-kriegeskorte92/").unwrap(), rdm("stimuli-1-objects/").unwrap());
    assert!(a.starts_with(b"\x93NUMPY") && b.starts_with(b"\x93NUMPY"));
    let shape = |npy: &[u8]| String::from_utf8_lossy(&npy[10..npy.len().min(120)]).split("'shape': ").nth(1).unwrap().split(')').next().unwrap().to_string();
    let dims = |npy: &[u8]| shape(npy).trim_start_matches('(').split(',').filter_map(|d| d.trim().parse::<usize>().ok()).collect::<Vec<_>>();
    assert_eq!((dims(a), dims(b)), (vec![3, 3], vec![4, 4]), "each set's RDM has its own size");
    assert!(files.iter().all(|(p, _)| p.starts_with("stimuli-0-kriegeskorte92/") || p.starts_with("stimuli-1-objects/")), "{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());
    let zip = x.exports_zip().unwrap();
    assert!(zip.starts_with(b"PK"));
}
