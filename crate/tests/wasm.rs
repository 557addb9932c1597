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
