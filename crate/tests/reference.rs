//! Native checks against the committed reference fixtures (numpy for CKA,
//! the native CLI's own output for the AlexNet session).
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn cka_matches_numpy() {
    common::check_cka_against_numpy();
}

#[test]
fn gram_spill_of_wide_rows() {
    common::check_gram_spill_of_wide_rows();
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

/// The generated sets need no files: the session draws them, the same images
/// for the same seed, and they run like photographs (and the scrambled set
/// scrambles what it is given).
#[test]
fn generated_and_scrambled_sets_run() {
    use idlab::experiment::{Session, Spec};
    let run = |stimuli: serde_json::Value, add: bool| {
        let mut spec: serde_json::Value = serde_json::from_str(common::SESSION_SPEC).unwrap();
        spec["stimuli"] = stimuli;
        spec["source"] = serde_json::json!({"arch": "resnet18", "seed": 0});
        spec["target"] = serde_json::json!({"arch": "resnet18", "seed": 1});
        spec["layers"] = serde_json::json!(["layer1.0", "avgpool"]);
        let mut s = Session::new(Spec::from_json(&spec.to_string()).unwrap()).unwrap();
        if add {
            let paths = s.stimulus_paths().to_vec();
            for (p, bytes) in paths.iter().zip(common::STIMULI) {
                s.add_stimulus(p, bytes).unwrap();
            }
        } else {
            assert!(s.stimulus_paths().is_empty(), "a generated set has no files");
        }
        common::pair_matrix(&common::drive::finish(&mut s))
    };
    for set in ["textures", "objects"] {
        let a = run(serde_json::json!({"set": set, "limit": 4, "seed": 3}), false);
        assert_eq!(a, run(serde_json::json!({"set": set, "limit": 4, "seed": 3}), false), "{set}: seeded");
        assert_ne!(a, run(serde_json::json!({"set": set, "limit": 4, "seed": 4}), false), "{set}: other seed, other images");
        assert!(a.iter().flatten().all(|v| v.is_finite() && (0.0..=1.0 + 1e-12).contains(v)), "{set}: {a:?}");
    }
    let photos = run(serde_json::json!({"set": "kriegeskorte92", "limit": 4}), true);
    let scrambled = run(serde_json::json!({"set": "kriegeskorte92-scrambled", "limit": 4}), true);
    assert_ne!(photos, scrambled);
    let e = Spec::from_json(&common::SESSION_SPEC.replace("\"limit\": 6", "\"limit\": 6, \"seed\": 1")).unwrap_err().to_string();
    assert!(e.contains("stimuli.seed is for generated or scrambled sets"), "{e}");
}
