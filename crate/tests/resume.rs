//! A run interrupted after a finished model resumes from its checkpoints:
//! the resumed result and export are bit-identical to an uninterrupted run's,
//! its progress goes on where the run stopped, and a checkpoint of another
//! run, a damaged one or one with a gap before it is refused, leaving the run
//! able to start (or resume) afresh.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::drive::steps;
use common::site::add_site_files;
use idlab::experiment::{Experiment, Progress};
use serde_json::{json, Value};

/// Three AlexNets (one target, two sources) on 8 photographs and 4 textures,
/// with CKA, RSA and regression (refused at these sizes: a warning), keeping the export.
fn spec() -> Value {
    json!({
        "idlab": 2,
        "name": "resume",
        "stimuli": {"set": "kriegeskorte92", "limit": 8},
        "more_stimuli": [{"set": "textures", "count": 4, "seed": 3}],
        "sources": [{"arch": "alexnet", "seed": 0}, {"arch": "alexnet", "seed": 2}],
        "targets": [{"arch": "alexnet", "seed": 1}],
        "layers": ["features.2", "classifier.4"],
        "metrics": [{"name": "cka"}, {"name": "rsa"}, {"name": "regression"}],
        "export": {"activations": true, "rdms": true}
    })
}

fn ready(spec: &Value) -> Experiment {
    let mut x = Experiment::from_json(&spec.to_string()).unwrap();
    add_site_files(&mut x);
    x
}

/// The result as JSON, timing aside.
fn result(x: &Experiment) -> Value {
    let mut v = serde_json::to_value(x.result("native", 0.0).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("seconds");
    v
}

fn json_of(p: &[Progress]) -> Value {
    serde_json::to_value(p).unwrap()
}

#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    // Uninterrupted, taking every finished entry's checkpoint as the page does.
    let mut whole = ready(&spec());
    let (mut progress, mut checkpoints) = (Vec::new(), Vec::new());
    while !whole.is_done() {
        progress.push(whole.step().unwrap());
        if let Some(c) = whole.take_checkpoint().unwrap() {
            assert_eq!(whole.take_checkpoint().unwrap().map(|c| c.entry), None, "taken once");
            checkpoints.push((progress.len(), c));
        }
    }
    let sets_entries: Vec<(usize, usize)> = checkpoints.iter().map(|(_, c)| (c.set, c.entry)).collect();
    assert_eq!(sets_entries, [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
    let (want, want_zip) = (result(&whole), whole.exports_zip().unwrap());
    assert!(want["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("regression")), "{}", want["warnings"]);
    assert!(checkpoints.iter().all(|(_, c)| c.bytes.starts_with(b"PK")), "a .zip");

    // A fresh run of the same spec and files takes the first k checkpoints and finishes the rest:
    // after models 1 and 2 of set 0, after set 0 and one model of set 1, and after all of them.
    for k in [2, 4, 6] {
        let mut resumed = ready(&spec());
        let r = resumed.resume(checkpoints[..k].iter().map(|(_, c)| c.bytes.clone()).collect()).unwrap();
        assert_eq!((r.finished, r.total), (k, 6));
        assert_eq!(r.message, format!("resumed: {k} of 6 models already finished"));
        let rest = steps(&mut resumed);
        let at = checkpoints[k - 1].0;
        assert_eq!(json_of(&rest), json_of(&progress[at..]), "after {k}: the steps and progress an uninterrupted run had");
        assert_eq!(result(&resumed), want, "after {k}: the same result");
        assert_eq!(resumed.exports_zip().unwrap(), want_zip, "after {k}: the same export bytes");
    }
}

#[test]
fn another_runs_or_a_damaged_checkpoint_is_refused_and_the_run_starts_over() {
    let mut first = ready(&spec());
    let mut checkpoints = Vec::new();
    while checkpoints.len() < 2 {
        first.step().unwrap();
        checkpoints.extend(first.take_checkpoint().unwrap().map(|c| c.bytes));
    }

    // Another run: the same models on one more image.
    let mut other = spec();
    other["stimuli"]["limit"] = json!(9);
    let mut x = ready(&other);
    let e = x.resume(checkpoints.clone()).unwrap_err().to_string();
    assert!(e.contains("checkpoint of alexnet seed 1") && e.contains("belongs to another run"), "{e}");

    // The same run: a checkpoint cut short, a gap before entry 1, before every input is added.
    let mut x = ready(&spec());
    let cut = checkpoints[0][..checkpoints[0].len() / 2].to_vec();
    let e = x.resume(vec![cut]).unwrap_err().to_string();
    assert!(e.starts_with("not a readable checkpoint (damaged or cut short?)"), "{e}");
    let e = x.resume(vec![checkpoints[1].clone()]).unwrap_err().to_string();
    assert!(e.contains("the checkpoint of entry 0 is missing"), "{e}");
    let mut bare = Experiment::from_json(&spec().to_string()).unwrap();
    let e = bare.resume(checkpoints.clone()).unwrap_err().to_string();
    assert!(e.contains("stimuli added"), "{e}");

    // Nothing was restored: the refused run still resumes, or starts from the first step.
    assert_eq!(x.resume(checkpoints.clone()).unwrap().finished, 2);
    let mut fresh = ready(&spec());
    let e = fresh.resume(vec![b"not a zip".to_vec()]).unwrap_err().to_string();
    assert!(e.starts_with("not a readable checkpoint"), "{e}");
    assert_eq!(fresh.step().unwrap().done, 1, "it starts from the beginning");
}
