//! The user-data readers (`idlab::data`) on the files numpy, scipy and zipfile
//! write (tests/fixtures/data/make_data.py): values exactly (multiples of 1/8),
//! and each refusal's text (the file name, the row and column, both counts).
//! No file system: the fixtures are compiled in, so wasm runs the same checks.

use idlab::data::{align, archive, read_table, read_table_unchecked, Table};
use serde_json::Value;

macro_rules! fixtures {
    ($($f:literal),* $(,)?) => {
        /// Every fixture file by name.
        pub const FILES: &[(&str, &[u8])] = &[$(($f, include_bytes!(concat!("../../../tests/fixtures/data/", $f)))),*];
    };
}
fixtures!(
    "bad_cell.csv", "big_endian.npy", "bool.npy", "compressed_one.npz", "compressed_two.npz",
    "empty_cell.csv", "f32_c.npy", "f64_f.npy", "images.zip", "int64.npy", "named.csv", "nan.npy",
    "no_images.zip", "one_var.mat", "plain.csv", "rdm_5.npy", "rdm_asymmetric.npy", "rdm_diagonal.npy",
    "rdm_valid.npy", "savez_one.npz", "savez_two.npz", "stack.mat", "stack.npy", "two_vars.mat",
    "v73.mat", "vec.npy",
);

const EXPECTED: &str = include_str!("../../../tests/fixtures/data/expected.json");

fn expected() -> Value {
    serde_json::from_str(EXPECTED).unwrap()
}

fn bytes(name: &str) -> &'static [u8] {
    FILES.iter().find(|(f, _)| *f == name).unwrap_or_else(|| panic!("no fixture {name}")).1
}

fn read(name: &str, key: Option<&str>) -> Table {
    read_table(name, bytes(name), key).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn error(name: &str, key: Option<&str>) -> String {
    match read_table(name, bytes(name), key) {
        Ok(t) => panic!("{name} should be refused, got shape {:?}", t.shape),
        Err(e) => e.to_string(),
    }
}

/// Flattens nested JSON lists (C order).
fn flat(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flat(i, out)),
        v => out.push(v.as_f64().unwrap()),
    }
}

fn assert_table(t: &Table, want: &Value, name: &str) {
    let shape: Vec<usize> = serde_json::from_value(want["shape"].clone()).unwrap();
    let mut values = Vec::new();
    flat(&want["values"], &mut values);
    assert_eq!(t.shape, shape, "{name}: shape");
    assert_eq!(t.data, values, "{name}: values");
}

/// float32 C order, float64 Fortran order, int64, big-endian float64, 1-D
/// (one column) and a 3-D stack, each against the values numpy saved.
pub fn check_npy_dtypes_orders_and_dimensions() {
    let e = expected();
    for name in ["f32_c.npy", "f64_f.npy", "int64.npy", "big_endian.npy", "vec.npy", "stack.npy"] {
        let t = read(name, None);
        assert_table(&t, &e[name], name);
        assert_eq!((t.name.as_str(), t.row_names.as_ref()), (name, None));
    }
    // Upper-case extensions and directories in the name are fine.
    let t = read_table("Some Dir/F32_C.NPY", bytes("f32_c.npy"), None).unwrap();
    assert_eq!(t.shape, [4, 3]);
    let err = error("bool.npy", None);
    assert!(err.starts_with("bool.npy: dtype '|b1' is not supported; save float32, float64 or integers"), "{err}");
    let err = error("nan.npy", None);
    assert_eq!(err, "nan.npy has a non-finite value (NaN) at row 2, column 1 (counting from 0)");
    assert!(read_table_unchecked("nan.npy", bytes("nan.npy"), None).unwrap().data[5].is_nan());
    let err = read_table("text.npy", b"not a numpy file", None).unwrap_err().to_string();
    assert!(err.starts_with("text.npy: not a readable .npy file"), "{err}");
    let err = read_table("x.npy", bytes("f32_c.npy"), Some("a")).unwrap_err().to_string();
    assert!(err.starts_with("x.npy: no array can be chosen by key 'a'"), "{err}");
}

/// `savez` (stored) and `savez_compressed` (deflated), one array taken
/// without a key, two needing one.
pub fn check_npz_stored_and_deflated() {
    let e = expected();
    let t = read("savez_one.npz", None);
    assert_table(&t, &e["savez_one.npz"], "savez_one.npz");
    assert_eq!(t.name, "savez_one.npz:responses");
    let t = read("compressed_one.npz", None);
    assert_table(&t, &e["compressed_one.npz"], "compressed_one.npz");
    assert_eq!(t.name, "compressed_one.npz:arr_0");
    for file in ["savez_two.npz", "compressed_two.npz"] {
        for key in ["a", "b"] {
            let t = read(file, Some(key));
            assert_table(&t, &e[format!("npz:{key}").as_str()], file);
            assert_eq!(t.name, format!("{file}:{key}"));
        }
        assert_eq!(error(file, None), format!("{file} holds 2 arrays; choose one of 'a', 'b'"));
        assert_eq!(error(file, Some("c")), format!("{file} has no array 'c'; its arrays: 'a', 'b'"));
    }
    let err = read_table("x.npz", b"PK not really", None).unwrap_err().to_string();
    assert!(err.starts_with("x.npz: not a readable .npz (zip) file"), "{err}");
}

/// A header and a name column; no header; a bad cell and an empty cell
/// named by spreadsheet row and column.
pub fn check_csv_headers_names_and_bad_cells() {
    let e = expected();
    let want = &e["named.csv"];
    let t = read("named.csv", None);
    assert_table(&t, want, "named.csv");
    let names: Vec<String> = serde_json::from_value(want["row_names"].clone()).unwrap();
    assert_eq!(t.row_names.as_ref(), Some(&names));
    let t = read("plain.csv", None);
    assert_table(&t, &e["plain.csv"], "plain.csv");
    assert_eq!(t.row_names, None);
    assert_eq!(error("bad_cell.csv", None), "bad_cell.csv: row 3, column 3 (C): 'n/a' is not a number");
    assert_eq!(
        error("empty_cell.csv", None),
        "empty_cell.csv: row 2, column 2 (B): the cell is empty (a missing value); every cell needs a number"
    );
}

/// scipy's savemat: one variable taken, two needing a key, a compressed
/// n x n x s stack turned into s x n x n; v7.3 (HDF5) refused with advice.
pub fn check_mat_variables_and_v73() {
    let e = expected();
    let t = read("one_var.mat", None);
    assert_table(&t, &e["one_var.mat"], "one_var.mat");
    assert_eq!(t.name, "one_var.mat:resp");
    let t = read("stack.mat", None);
    assert_table(&t, &e["stack.mat"], "stack.mat");
    for key in ["a", "b"] {
        assert_table(&read("two_vars.mat", Some(key)), &e[format!("npz:{key}").as_str()], "two_vars.mat");
    }
    assert_eq!(error("two_vars.mat", None), "two_vars.mat holds 2 numeric variables; choose one of 'a', 'b'");
    assert_eq!(
        error("two_vars.mat", Some("c")),
        "two_vars.mat has no numeric variable 'c'; its numeric variables: 'a', 'b'"
    );
    assert_eq!(
        error("v73.mat", None),
        "v73.mat: MATLAB v7.3 (HDF5) files are not supported; save with `save(..., '-v7')` or export .npy/.csv"
    );
    let err = read_table("x.mat", b"MATLAB 5.0 MAT-file, truncated", None).unwrap_err().to_string();
    assert!(err.starts_with("x.mat: not a readable MATLAB v5 .mat file"), "{err}");
    let err = read_table("x.xlsx", b"", None).unwrap_err().to_string();
    assert_eq!(err, "x.xlsx: unknown file type '.xlsx'; accepted: .npy, .npz, .csv, .mat");
}

/// Rows matched to stimuli by name (with or without extension, any order),
/// or by order with both counts in the refusal.
pub fn check_alignment_of_responses() {
    let e = expected();
    let want = &e["named.csv"];
    let stimuli: Vec<String> = serde_json::from_value(want["stimuli"].clone()).unwrap();
    let m = align::responses(&read("named.csv", None), &stimuli).unwrap();
    let mut aligned = Vec::new();
    flat(&want["aligned"], &mut aligned);
    assert_eq!((m.nrows(), m.ncols()), (3, 2));
    assert_eq!((0..6).map(|k| m[(k / 2, k % 2)]).collect::<Vec<_>>(), aligned);
    let mut more = stimuli.clone();
    more.push("set/011.png".into());
    let err = align::responses(&read("named.csv", None), &more).unwrap_err().to_string();
    assert!(err.starts_with("named.csv has no row for stimulus '011.png'; rows are matched by file name"), "{err}");
    let t = read("plain.csv", None);
    let m = align::responses(&t, &stimuli[..2]).unwrap();
    assert_eq!(m[(1, 2)], t.data[5]);
    let err = align::responses(&t, &stimuli).unwrap_err().to_string();
    assert_eq!(err, "plain.csv has 2 rows but there are 3 stimuli");
}

/// RDM files: a valid one and a stack pass; asymmetry, a nonzero diagonal and
/// the wrong size are refused naming the cell or both sizes.
pub fn check_rdm_files() {
    let e = expected();
    let mut want = Vec::new();
    flat(&e["rdm_valid.npy"]["values"], &mut want);
    let got = align::rdms(&read("rdm_valid.npy", None), 4).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((0..16).map(|k| got[0][(k / 4, k % 4)]).collect::<Vec<_>>(), want);
    let stack = align::rdms(&read("stack.npy", None), 4).unwrap();
    assert_eq!(stack.len(), 2);
    let stack = align::rdms(&read("stack.mat", None), 3).unwrap();
    assert_eq!(stack.len(), 2);
    let err = align::rdms(&read("rdm_asymmetric.npy", None), 4).unwrap_err().to_string();
    assert!(err.starts_with("rdm_asymmetric.npy: the RDM is not symmetric: cell (1, 3) is"), "{err}");
    let err = align::rdms(&read("rdm_diagonal.npy", None), 4).unwrap_err().to_string();
    assert_eq!(err, "rdm_diagonal.npy: an RDM has a zero diagonal, but cell (2, 2) is 0.25");
    let err = align::rdms(&read("rdm_5.npy", None), 4).unwrap_err().to_string();
    assert_eq!(err, "rdm_5.npy is 5 x 5 but there are 4 stimuli");
    let err = align::rdms(&read("f32_c.npy", None), 4).unwrap_err().to_string();
    assert_eq!(err, "f32_c.npy: an RDM must be square, got 4 rows and 3 columns");
}

/// A Finder-style zip: images in natural order (img2 before img10, .PNG
/// included), folders, `__MACOSX/`, dotfiles and text skipped.
pub fn check_images_in_zip() {
    let e = expected();
    let want = &e["images.zip"];
    let got = archive::images_in_zip("images.zip", bytes("images.zip")).unwrap();
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, want["paths"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect::<Vec<_>>());
    for ((p, b), size) in got.iter().zip(want["sizes"].as_array().unwrap()) {
        assert_eq!(b.len() as u64, size.as_u64().unwrap(), "{p}");
        assert!(b.starts_with(b"\x89PNG"), "{p}");
    }
    let err = archive::images_in_zip("no_images.zip", bytes("no_images.zip")).unwrap_err().to_string();
    assert_eq!(
        err,
        "no_images.zip has no images (png, jpg, jpeg, webp, gif, bmp); it holds notes.txt, table.csv"
    );
    let err = archive::images_in_zip("x.zip", b"nope").unwrap_err().to_string();
    assert!(err.starts_with("x.zip: not a readable .zip file"), "{err}");
}
