#![cfg(not(target_arch = "wasm32"))]
mod common;

#[test]
fn rdms_against_scipy() {
    common::metrics_rsa::check_rdms_against_scipy();
}

#[test]
fn compare_against_rsatoolbox() {
    common::metrics_rsa::check_compare_against_rsatoolbox();
}

#[test]
fn noise_ceiling_against_rsatoolbox() {
    common::metrics_rsa::check_noise_ceiling_against_rsatoolbox();
}

#[test]
fn kriegeskorte92_against_rsatoolbox() {
    common::metrics_rsa::check_kriegeskorte92_against_rsatoolbox();
}
