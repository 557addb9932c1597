//! Honest at small sizes: a mapping's held-out score over a handful of test
//! images is not a finding. Preset 1 cut to 16 images scores regression by
//! 8-fold cross-validation (10 folds capped at n / 2) with a warning (not ±1 everywhere, as 90/10 splits
//! of 2 test images give), its verdicts are won / tie / lost with the margin
//! stated, and 8 images are refused once, not scored.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::site::{run, run_unchecked, site};
use serde_json::{json, Value};

/// Preset 1 (identify the architecture) on the first `n` photographs, AlexNet
/// and ResNet18 against AlexNet seed 1, two layers each, ridge regression at its defaults.
fn preset_1(n: usize) -> Value {
    let text = std::fs::read_to_string(site().join("presets/identify-architecture.json")).unwrap();
    let mut spec: Value = serde_json::from_str(&text).unwrap();
    spec["stimuli"]["limit"] = json!(n);
    spec["sources"] = json!([
        {"arch": "alexnet", "seed": 0, "layers": ["features.2", "classifier.4"]},
        {"arch": "resnet18", "seed": 0, "layers": ["layer1.0", "avgpool"]},
    ]);
    spec["targets"] = json!([{"arch": "alexnet", "seed": 1, "layers": ["features.2", "classifier.4"]}]);
    spec["metrics"] = json!([{"name": "regression", "params": {"projection_dim": 256, "max_units": 200}}]);
    spec
}

#[test]
fn a_16_image_regression_is_k_fold_with_a_warning_and_no_false_verdict() {
    let r = run(&preset_1(16), &[]);
    // The warning says what happened, in the result and beside the scores.
    let want = "regression: 16 images give 2 test images per split (10% of 16), fewer than the 10 a held-out score needs; scored by 8-fold cross-validation";
    assert!(r.warnings.iter().any(|w| w.starts_with(want)), "{:?}", r.warnings);
    assert_eq!(r.warnings.len(), 1, "said once, not per layer pair: {:?}", r.warnings);
    let mut values = Vec::new();
    for s in &r.scores {
        assert_eq!(s.warnings, r.warnings, "{} carries it", s.source);
        let se = s.standard_errors.as_ref().expect("regression keeps each cell's standard error");
        for (row, se_row) in s.values.iter().zip(se) {
            for (v, e) in row.iter().zip(se_row) {
                let (v, e) = (v.expect("scored"), e.expect("with a standard error"));
                assert!(e > 0.0 && e.is_finite());
                values.push(v);
            }
        }
    }
    // Not the ±1 of a Pearson r over 2 test images.
    assert!(values.iter().all(|v| v.abs() < 0.999), "{values:?}");

    let [v] = &r.identifiability[..] else { panic!("one analysis: {:?}", r.identifiability) };
    for l in &v.layers {
        let (margin, needed) = (l.margin.unwrap(), l.margin_needed.unwrap());
        let want = if margin > needed { "won" } else if margin < -needed { "lost" } else { "tie" };
        assert_eq!(l.outcome, want, "{}: margin {margin}, needed {needed}", l.layer);
        assert_eq!(l.correct_won, l.outcome == "won");
        assert!(needed > 1e-6 && l.margin_basis.contains("standard error"), "{l:?}");
    }
    let report = r.report_text();
    assert!(report.contains("A win needs the correct source's best score to beat"), "{report}");
    assert!(report.contains("Warnings (1):") && report.contains(want), "{report}");
}

#[test]
fn eight_images_are_refused_once_not_scored() {
    let r = run_unchecked(&preset_1(8), &[]);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("regression: 8 stimuli are too few for a held-out score"), "{:?}", r.warnings);
    for s in &r.scores {
        assert!(s.values.iter().flatten().all(|v| v.is_none()), "no number is made up");
        assert_eq!(s.warnings, r.warnings);
    }
    assert!(r.identifiability.is_empty(), "no verdict without scores");
}
