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
    let mut file = OpfsFile::new(handle.clone().unchecked_into::<SyncAccessHandle>());
    let e = file.write(0, &[1, 2, 3]).unwrap_err().to_string();
    assert!(e.contains("refused to write 3 bytes") && e.contains("storage is full"), "{e}");
    let short = js_sys::Function::new_no_args("return 2");
    js_sys::Reflect::set(&handle, &"write".into(), &short).unwrap();
    let mut file = OpfsFile::new(handle.unchecked_into::<SyncAccessHandle>());
    assert_eq!(file.write(0, &[1, 2, 3]).unwrap_err().to_string(), "wrote 2 of 3 bytes (is the disk full?)");
}

/// The store hands the handle views of the module's memory; a handle that
/// refuses them (a TypeError, as a browser without shared-buffer support in
/// its File System Access would throw) gets the bytes through a JS buffer of
/// their own, and the bytes read back are the bytes written either way. The
/// handle is a stand-in with the sync access handle's three methods: a real
/// one opens only in a dedicated worker (the end-to-end tests spill to one).
#[wasm_bindgen_test]
fn opfs_store_reads_back_what_it_wrote_through_views_or_a_buffer() {
    use idlab::sinks::opfs::{OpfsFile, SyncAccessHandle};
    use idlab::sinks::spill::SpillStore;
    use wasm_bindgen::JsCast;
    for refuses_views in [false, true] {
        let make = js_sys::Function::new_with_args(
            "refuse",
            "const module = (b) => b.buffer.byteLength > 65536; // the module's memory, not a small JS buffer
             return { data: new Uint8Array(0), views: 0,
               check(b) { if (module(b)) { this.views++; if (refuse) throw new TypeError('a view of shared memory'); } },
               write(b, o) { this.check(b); const end = o.at + b.length;
                 if (end > this.data.length) { const d = new Uint8Array(end); d.set(this.data); this.data = d; }
                 this.data.set(b, o.at); return b.length; },
               read(b, o) { this.check(b); b.set(this.data.subarray(o.at, o.at + b.length)); return Math.min(b.length, this.data.length - o.at); },
               truncate(n) { this.data = this.data.slice(0, n); } };",
        );
        let handle = make.call1(&wasm_bindgen::JsValue::NULL, &refuses_views.into()).unwrap();
        let mut file = OpfsFile::new(handle.clone().unchecked_into::<SyncAccessHandle>());
        let bytes: Vec<u8> = (0..=250).collect();
        file.write(0, &bytes[..100]).unwrap();
        file.write(100, &bytes[100..]).unwrap();
        let mut back = vec![0u8; 150];
        file.read(60, &mut back).unwrap();
        assert_eq!(back, &bytes[60..210], "refuses views: {refuses_views}");
        file.truncate(10).unwrap();
        assert!(file.read(0, &mut back).is_err(), "a read past the end fails");
        let views = js_sys::Reflect::get(&handle, &"views".into()).unwrap().as_f64().unwrap();
        // Accepted, every call gets a view; refused, the first, and every call after it a buffer.
        assert_eq!(views, if refuses_views { 1.0 } else { 4.0 }, "refuses views: {refuses_views}");
    }
}
