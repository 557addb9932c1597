#![cfg(not(target_arch = "wasm32"))]
mod common;

#[test]
fn regression_against_sklearn() {
    common::metrics_regression::check_regression_against_sklearn();
}

#[test]
fn ridge_predictions_feed_the_scores() {
    common::metrics_regression::check_ridge_predictions_feed_the_scores();
}

#[test]
fn split_file_format() {
    common::metrics_regression::check_split_file_format();
}
