//! Shape metrics against the numpy / netrep / POT fixture (tests/fixtures/metrics/shape.json).
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn linear_cka() {
    common::metrics_shape::check_linear_cka();
}

#[test]
fn debiased_cka() {
    common::metrics_shape::check_debiased_cka();
}

#[test]
fn rbf_cka() {
    common::metrics_shape::check_rbf_cka();
}

#[test]
fn procrustes() {
    common::metrics_shape::check_procrustes();
}

#[test]
fn soft_matching() {
    common::metrics_shape::check_soft_matching();
}

#[test]
fn constant_input_is_refused() {
    common::metrics_shape::check_constant_input_is_refused();
}
