#![cfg(not(target_arch = "wasm32"))]
mod common;

#[test]
fn welch_against_scipy() {
    common::metrics_stats::check_welch_against_scipy();
}

#[test]
fn silhouette_against_sklearn() {
    common::metrics_stats::check_silhouette_against_sklearn();
}

#[test]
fn mds_against_numpy() {
    common::metrics_stats::check_mds_against_numpy();
}

#[test]
fn identifiability_against_numpy() {
    common::metrics_stats::check_identifiability_against_numpy();
}
