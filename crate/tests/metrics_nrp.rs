#![cfg(not(target_arch = "wasm32"))]
mod common;

#[test]
fn nrp_formulas_against_sklearn() {
    common::metrics_nrp::check_nrp_formulas_against_sklearn();
}

#[test]
fn nrp_near_sklearn_mlp() {
    common::metrics_nrp::check_nrp_near_sklearn_mlp();
}

#[test]
fn ridge_baseline_against_sklearn() {
    common::metrics_nrp::check_ridge_baseline_against_sklearn();
}
