//! Native checks against the committed reference fixtures (numpy for CKA,
//! the native CLI's own output for the AlexNet session).
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn cka_matches_numpy() {
    common::check_cka_against_numpy();
}

#[test]
fn seeded_alexnet_weights_are_pinned() {
    use idlab::zoo::{build, fingerprint, Arch, ALEXNET_SEED0_FINGERPRINT};
    assert_eq!(fingerprint(&build(Arch::AlexNet, 0).proto), ALEXNET_SEED0_FINGERPRINT);
}

#[test]
fn alexnet_session_matches_fixture() {
    let m = common::run_session();
    common::check_session_against_fixture(&m);
    // Seed 0 vs seed 1 of one architecture: every score is a proper CKA in [0, 1].
    assert!(m.iter().flatten().all(|v| (0.0..=1.0 + 1e-12).contains(v)));
}

#[test]
fn zoo_manifest_is_what_the_crate_builds() {
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../models/zoo.json")).unwrap();
    assert!(
        committed == idlab::zoo::manifest::manifest(),
        "models/zoo.json is stale: regenerate it with `idlab zoo --json > models/zoo.json`"
    );
}

/// The same architecture and seed on both sides gives bit-identical weights,
/// so every layer matches itself exactly (the identical-weights target of the
/// seed paper's Fig. 2 is this spec with equal seeds).
#[test]
fn identical_seeds_give_identical_weights_and_unit_diagonal() {
    let mut spec: serde_json::Value = serde_json::from_str(common::SESSION_SPEC).unwrap();
    spec["source"] = serde_json::json!({"arch": "resnet18", "seed": 7});
    spec["target"] = serde_json::json!({"arch": "resnet18", "seed": 7});
    spec["stimuli"]["limit"] = 4.into();
    let m = common::run_spec(&spec.to_string());
    assert_eq!(m.len(), 10);
    for (i, row) in m.iter().enumerate() {
        assert!((row[i] - 1.0).abs() < 1e-12, "layer {i}: {}", row[i]);
    }
}

/// Models with different normalisations (the Mixer's mean = std = 0.5 vs
/// ImageNet's) are compared in one run: each normalises the shared resized
/// images with its own statistics.
#[test]
fn models_with_different_normalisation_compare() {
    let mut spec: serde_json::Value = serde_json::from_str(common::SESSION_SPEC).unwrap();
    spec["source"] = serde_json::json!({"arch": "mixer_b16_224", "seed": 0});
    spec["target"] = serde_json::json!({"arch": "resnet18", "seed": 0});
    spec["stimuli"]["limit"] = 3.into();
    let m = common::run_spec(&spec.to_string());
    assert_eq!((m.len(), m[0].len()), (24, 10));
    assert!(m.iter().flatten().all(|v| v.is_finite() && (0.0..=1.0 + 1e-12).contains(v)));
}
