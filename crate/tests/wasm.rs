//! The same checks as `reference.rs`, run by wasm-bindgen-test in headless
//! Chromium on the single-threaded wasm build: numbers, seeded weights and a
//! real tract inference must come out as they do natively.
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn cka_matches_numpy_in_wasm() {
    common::check_cka_against_numpy();
}

#[wasm_bindgen_test]
fn gram_spill_of_wide_rows_in_wasm() {
    common::check_gram_spill_of_wide_rows();
}

#[wasm_bindgen_test]
fn seeded_alexnet_weights_equal_native_bits() {
    use idlab::zoo::{build, fingerprint, Arch, ALEXNET_SEED0_FINGERPRINT};
    assert_eq!(fingerprint(&build(Arch::AlexNet, 0).proto), ALEXNET_SEED0_FINGERPRINT);
}

#[wasm_bindgen_test]
fn preprocessing_rejects_bad_bytes_in_wasm() {
    let e = idlab::stimuli::Preprocess::IMAGENET_224.apply("x.png", b"not an image").unwrap_err();
    assert!(e.to_string().contains("x.png"));
}

#[wasm_bindgen_test]
fn alexnet_session_matches_native_fixture_in_wasm() {
    let m = common::run_session();
    common::check_session_against_fixture(&m);
}

// The metric families against their Python references, compiled to wasm:
// the same fixtures and tolerances as the native tests.
#[wasm_bindgen_test]
fn regression_matches_sklearn_in_wasm() {
    common::metrics_regression::check_regression_against_sklearn();
    common::metrics_regression::check_ridge_predictions_feed_the_scores();
    common::metrics_regression::check_split_file_format();
}

#[wasm_bindgen_test]
fn rsa_matches_scipy_and_rsatoolbox_in_wasm() {
    common::metrics_rsa::check_rdms_against_scipy();
    common::metrics_rsa::check_compare_against_rsatoolbox();
    common::metrics_rsa::check_noise_ceiling_against_rsatoolbox();
    common::metrics_rsa::check_kriegeskorte92_against_rsatoolbox();
}

#[wasm_bindgen_test]
fn cka_procrustes_soft_matching_match_references_in_wasm() {
    common::metrics_shape::check_linear_cka();
    common::metrics_shape::check_debiased_cka();
    common::metrics_shape::check_rbf_cka();
    common::metrics_shape::check_procrustes();
    common::metrics_shape::check_soft_matching();
    common::metrics_shape::check_constant_input_is_refused();
}

#[wasm_bindgen_test]
fn nrp_and_statistics_match_references_in_wasm() {
    common::metrics_nrp::check_nrp_formulas_against_sklearn();
    common::metrics_nrp::check_nrp_near_sklearn_mlp();
    common::metrics_stats::check_welch_against_scipy();
    common::metrics_stats::check_silhouette_against_sklearn();
    common::metrics_stats::check_mds_against_numpy();
    common::metrics_stats::check_identifiability_against_numpy();
}

/// A write past the origin's storage quota: Chromium answered it with its
/// error code read as unsigned (2^32 - 8, seen with preset 1 in a private
/// window), which the store reports as a full storage, not as a byte count.
#[wasm_bindgen_test]
fn a_refused_opfs_write_says_the_storage_is_full() {
    use idlab::sinks::opfs::{OpfsFile, SyncAccessHandle};
    use idlab::sinks::spill::SpillStore;
    use wasm_bindgen::JsCast;
    let handle = js_sys::Object::new();
    let write = js_sys::Function::new_no_args("return 4294967288");
    js_sys::Reflect::set(&handle, &"write".into(), &write).unwrap();
    let mut file = OpfsFile(handle.clone().unchecked_into::<SyncAccessHandle>());
    let e = file.write(0, &[1, 2, 3]).unwrap_err().to_string();
    assert!(e.contains("refused to write 3 bytes") && e.contains("storage is full"), "{e}");
    let short = js_sys::Function::new_no_args("return 2");
    js_sys::Reflect::set(&handle, &"write".into(), &short).unwrap();
    let mut file = OpfsFile(handle.unchecked_into::<SyncAccessHandle>());
    assert_eq!(file.write(0, &[1, 2, 3]).unwrap_err().to_string(), "wrote 2 of 3 bytes (is the disk full?)");
}
