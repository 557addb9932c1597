//! The user-data readers on committed fixtures (the checks live in
//! common/data_readers.rs, shared with the wasm suite).
#![cfg(not(target_arch = "wasm32"))]
mod common;

#[test]
fn npy_dtypes_orders_and_dimensions() {
    common::data_readers::check_npy_dtypes_orders_and_dimensions();
}

#[test]
fn npz_stored_and_deflated() {
    common::data_readers::check_npz_stored_and_deflated();
}

#[test]
fn csv_headers_names_and_bad_cells() {
    common::data_readers::check_csv_headers_names_and_bad_cells();
}

#[test]
fn mat_variables_and_v73() {
    common::data_readers::check_mat_variables_and_v73();
}

#[test]
fn alignment_of_responses() {
    common::data_readers::check_alignment_of_responses();
}

#[test]
fn rdm_files() {
    common::data_readers::check_rdm_files();
}

#[test]
fn images_in_zip() {
    common::data_readers::check_images_in_zip();
}
