//! RSA against several subjects: the plotted value (the mean of per-subject
//! tau) is the value tested, each subject has its own test, and the findings
//! carry the network x layer test of a seeded AlexNet and DeepCluster AlexNet.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::site::run;
use serde_json::json;

#[test]
fn per_subject_tests_and_network_by_layer_findings() {
    let layers = |l: &[&str]| json!(l);
    let alex = layers(&["features.0", "features.6", "classifier.1"]);
    let dc = layers(&["features.0", "features.8", "classifier.1"]);
    let spec = json!({
        "idlab": 2,
        "stimuli": {"set": "kriegeskorte92", "limit": 16},
        "sources": [
            {"arch": "alexnet", "seed": 0, "layers": alex},
            {"arch": "alexnet", "seed": 1, "layers": alex},
            {"arch": "alexnet_deepcluster", "seed": 0, "layers": dc}
        ],
        "targets": [{"dataset": "kriegeskorte92/human-it"}],
        "metrics": [{"name": "rsa", "params": {"permutations": 99}}]
    });
    let r = run(&spec, &[]);
    for s in &r.scores {
        let detail = s.detail.as_ref().expect("per-subject p-values");
        let names: Vec<&str> = detail.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["p_subject.0", "p_subject.1", "p_subject.2", "p_subject.3"]);
        for (i, row) in s.values.iter().enumerate() {
            let per: Vec<f64> = s.per_subject.as_ref().unwrap()[i][0].iter().map(|v| v.unwrap()).collect();
            assert!((row[0].unwrap() - per.iter().sum::<f64>() / 4.0).abs() < 1e-12);
            let p = s.p_values.as_ref().unwrap()[i][0].unwrap();
            assert!((0.01..=1.0).contains(&p), "group p {p}");
            for t in detail.values() {
                assert!((0.01..=1.0).contains(&t[i][0].unwrap()));
            }
        }
    }
    // The session's result has no findings; the front door (`Experiment::result`) adds them.
    let f = idlab::experiment::findings::findings(&r).join("\n");
    assert!(f.contains("alexnet_deepcluster seed 0 at "), "{f}");
    assert!(
        f.contains("Network x layer test of seeded alexnet (2 seeds pooled) vs alexnet_deepcluster seed 0 against human IT")
            && f.contains("n = 4 subjects, 3 layers")
            && f.contains("network F(1, 3) = "),
        "{f}"
    );
}
