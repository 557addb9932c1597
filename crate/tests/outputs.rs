//! The result document as the front doors write it, computed once in the core:
//! a result comes back from its JSON unchanged (the page hands its copy to the
//! worker), and the report says what the page's and the CLI's used to.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::drive::steps;
use common::site::add_site_files;
use idlab::experiment::output::{csv::tidy_csv, report::report_text};
use idlab::experiment::{Experiment, ExperimentResult, Spec};
use serde_json::{json, Value};
use std::path::Path;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A small real run: two AlexNets and the human IT RDMs (subjects, p-values,
/// a noise ceiling), CKA and RSA, identifiability.
fn real_result() -> ExperimentResult {
    let spec = json!({
        "idlab": 2, "name": "outputs", "figure": "none",
        "stimuli": { "set": "kriegeskorte92", "limit": 6 },
        "sources": [{ "arch": "alexnet", "seed": 0, "layers": ["features.2", "classifier.1"] }],
        "targets": [{ "arch": "alexnet", "seed": 1, "layers": ["features.2"] }, { "dataset": "kriegeskorte92/human-it" }],
        "metrics": [{ "name": "cka" }, { "name": "rsa", "params": { "permutations": 20 } }]
    });
    let mut s = Experiment::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
    add_site_files(&mut s);
    steps(&mut s);
    s.result("native", 1.5).unwrap()
}

#[test]
fn a_result_round_trips_through_json_and_writes_the_same_outputs() {
    let r = real_result();
    let json = serde_json::to_value(&r).unwrap();
    assert!(r.scores.iter().any(|s| s.per_subject.is_some() && s.p_values.is_some()), "subjects and p-values are exercised");
    let back: ExperimentResult = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
    assert_eq!(tidy_csv(&back), tidy_csv(&r));
    assert_eq!(report_text(&back), report_text(&r));
    assert_eq!(r.tidy_csv(), tidy_csv(&r));
    let csv = tidy_csv(&r);
    assert!(csv.starts_with("metric,source,source_layer,target,target_layer,subject,value,p_value,stimuli\r\n"));
    assert_eq!(csv.matches("\r\n").count(), 1 + r.tidy_rows().len());

    let report = report_text(&r);
    for want in ["outputs\n=======\n", "Reproduces: none", "(native build), spec version 2", "Stimuli: 6 (set kriegeskorte92)", "Total time: 1.5 s", "Noise ceilings:", "rsa (RSA): rdm_distance = correlation, compare = tau-a, permutations = 20, seed = 0", "cka (linear CKA): defaults", "Spec: {"] {
        assert!(report.contains(want), "{want:?} in\n{report}");
    }
    for i in &r.inputs {
        assert!(report.contains(&i.sha256) && report.contains(&i.name), "{} in\n{report}", i.name);
    }
    // Every score table in a line: an RSA run's report has its scores, not only its parameters.
    let scores: Vec<&str> = report.lines().skip_while(|l| *l != "Scores (the CSV has every cell):").skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(scores.len(), r.scores.len(), "{report}");
    let rsa = r.scores.iter().find(|s| s.metric == "rsa" && s.target == "t1").unwrap();
    let best = rsa.values.iter().flatten().flatten().copied().fold(f64::MIN, f64::max);
    assert!(scores.iter().any(|l| l.contains("RSA (rsa)") && l.contains("human IT") && l.contains(&format!("best {best:.4} at "))), "{scores:?}");
}

#[test]
fn the_report_of_a_page_result_names_the_timings_and_the_verdicts() {
    // The page's hand-written result (its spec lists no models), with the worker's timings.
    let mut v = fixture("identify-small.json");
    v["spec"]["sources"] = json!([]);
    v["spec"]["targets"] = json!([]);
    let r: ExperimentResult = serde_json::from_value(v.clone()).unwrap();
    let report = report_text(&r);
    assert!(report.starts_with(r.spec.name.as_deref().unwrap()));
    assert!(report.contains(r.spec.figure.as_deref().unwrap()));
    for want in [
        "idlab 0.1.0 (threads build)",
        "Stimuli: 4",
        "rsa (RSA): rdm_distance = correlation, compare = spearman, permutations = 1000",
        "Total time: 12.3 s",
        "    4.6 s  recording: vgg11 seed 0",
        "The correct architecture (alexnet) won at 2 of 3 target layers; it lost at classifier.1",
        "The correct architecture (vgg11) won at 4 of 4 target layers.",
        "WebAssembly memory: 117.7 MiB",
    ] {
        assert!(report.contains(want), "{want:?} in\n{report}");
    }
    for m in &r.models {
        assert!(report.contains(&m.label));
    }
    for i in &r.inputs {
        assert!(report.contains(&i.sha256) && report.contains(&i.name));
    }
    // The timings come back as they went.
    assert_eq!(serde_json::to_value(&r).unwrap()["timings"], v["timings"]);

    let r: ExperimentResult = serde_json::from_value(fixture("specificity-small.json")).unwrap();
    let report = report_text(&r);
    let line = report.lines().skip_while(|l| !l.starts_with("Predictivity vs specificity (same-layer held-out R²; same-layer identification rate; silhouette by layer):")).nth(1).unwrap();
    assert!(line.starts_with("  rsa (without noise; higher is better): R² none (not a mapping); identification ") && line.contains(" of ") && line.contains("; silhouette "), "{line}");
}
