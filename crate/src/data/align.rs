//! Matching a user's table to the stimuli: responses row by stimulus (by file
//! name when the table names its rows, else by order) and RDMs by size.

use super::{basename, Table};
use crate::error::{Error, Result};
use crate::metrics::check;
use crate::metrics::rdm::Rdm;
use nalgebra::DMatrix;
use std::collections::HashMap;

/// The responses to `stimuli`, one row each in stimulus order (n x units).
/// A table with row names is matched by file name: a row named `003.png` or
/// `003` (the name without extension) answers stimulus `img/003.png`;
/// directories are ignored and case matters. Rows no stimulus asks for are
/// left out. Without row names the rows are taken in order and must be as
/// many as the stimuli.
pub fn responses(table: &Table, stimuli: &[String]) -> Result<DMatrix<f64>> {
    let name = &table.name;
    if table.shape.len() != 2 {
        return Err(Error::Input(format!(
            "{name} has shape {:?}: a stack of matrices, not a responses matrix (stimuli x units)",
            table.shape
        )));
    }
    let (rows, units) = (table.shape[0], table.shape[1]);
    let order: Vec<usize> = match &table.row_names {
        None => {
            if rows != stimuli.len() {
                return Err(Error::Input(format!(
                    "{name} has {rows} rows but there are {} stimuli",
                    stimuli.len()
                )));
            }
            (0..rows).collect()
        }
        Some(names) => match_names(name, names, stimuli)?,
    };
    let m = DMatrix::from_fn(order.len(), units, |i, j| table.data[order[i] * units + j]);
    check::finite(&m, name)?;
    Ok(m)
}

/// For each stimulus, the row whose name is its file name (or that name
/// without its extension).
fn match_names(file: &str, names: &[String], stimuli: &[String]) -> Result<Vec<usize>> {
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    let mut duplicated = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let b = basename(n);
        if by_name.insert(b, i).is_some() && !duplicated.contains(&b) {
            duplicated.push(b);
        }
    }
    if !duplicated.is_empty() {
        return Err(Error::Input(format!(
            "{file} names more than one row {}: each stimulus needs exactly one row",
            duplicated.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ")
        )));
    }
    let find = |s: &str| {
        let b = basename(s);
        by_name.get(b).or_else(|| by_name.get(stem(b))).copied()
    };
    let missing: Vec<&String> = stimuli.iter().filter(|s| find(s).is_none()).collect();
    if let Some(first) = missing.first() {
        let more = match missing.len() {
            1 => String::new(),
            k => format!(" (and {} more)", k - 1),
        };
        return Err(Error::Input(format!(
            "{file} has no row for stimulus '{}'{more}; rows are matched by file name, with or \
             without its extension (its first row is named '{}')",
            basename(first),
            names[0]
        )));
    }
    Ok(stimuli.iter().map(|s| find(s).expect("checked above")).collect())
}

/// A file name without its last extension (`003.png` -> `003`).
fn stem(base: &str) -> &str {
    match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    }
}

/// The RDMs of a table: one n x n matrix, or a stack s x n x n (one per
/// subject), each square with n = `n_stimuli`, finite, with a zero diagonal
/// (1e-12 of the largest |value|, at least 1) and symmetric (1e-8 relative,
/// the check of [`Rdm::from_matrix`]). Returned exactly symmetric with a zero
/// diagonal. Rows go by order: row names, if any, are not used.
pub fn rdms(table: &Table, n_stimuli: usize) -> Result<Vec<DMatrix<f64>>> {
    let name = &table.name;
    let (count, r, c) = match table.shape[..] {
        [r, c] => (1, r, c),
        [s, r, c] => (s, r, c),
        _ => {
            return Err(Error::Input(format!(
                "{name} has shape {:?}; an RDM file holds an n x n matrix or a stack s x n x n",
                table.shape
            )))
        }
    };
    if r != c {
        return Err(Error::Input(format!("{name}: an RDM must be square, got {r} rows and {c} columns")));
    }
    if r != n_stimuli {
        return Err(Error::Input(format!("{name} is {r} x {r} but there are {n_stimuli} stimuli")));
    }
    (0..count)
        .map(|k| {
            let which = if count > 1 { format!("{name}, RDM {k} of {count} (counting from 0)") } else { name.clone() };
            let m = DMatrix::from_row_slice(r, r, &table.data[k * r * r..(k + 1) * r * r]);
            check::finite(&m, &which)?;
            let eps = 1e-12 * m.iter().fold(1.0f64, |a, v| a.max(v.abs()));
            if let Some(i) = (0..r).find(|&i| m[(i, i)].abs() > eps) {
                return Err(Error::Input(format!(
                    "{which}: an RDM has a zero diagonal, but cell ({i}, {i}) is {}",
                    m[(i, i)]
                )));
            }
            let rdm = Rdm::from_matrix(&m).map_err(|e| Error::Input(format!("{which}: {e}")))?;
            Ok(rdm.to_matrix())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(shape: Vec<usize>, names: Option<&[&str]>) -> Table {
        let n = shape.iter().product::<usize>();
        Table {
            name: "t.csv".into(),
            shape,
            data: (0..n).map(|v| v as f64).collect(),
            row_names: names.map(|n| n.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn stimuli(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rows_follow_the_stimuli_by_name() {
        let t = table(vec![4, 2], Some(&["b.png", "dir/a.png", "003", "extra.png"]));
        let m = responses(&t, &stimuli(&["img/003.png", "a.png", "set\\b.png"])).unwrap();
        assert_eq!(m, DMatrix::from_row_slice(3, 2, &[4., 5., 2., 3., 0., 1.]));
        // Case matters, and a different extension is not the same file.
        let e = responses(&t, &stimuli(&["A.png", "b.jpg", "a.png"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv has no row for stimulus 'A.png' (and 1 more); rows are matched by file name, \
             with or without its extension (its first row is named 'b.png')"
        );
        let t = table(vec![3, 1], Some(&["x/a.png", "b.png", "y/a.png"]));
        let e = responses(&t, &stimuli(&["a.png"])).unwrap_err().to_string();
        assert_eq!(e, "t.csv names more than one row 'a.png': each stimulus needs exactly one row");
        // An exact name wins over a name without extension.
        let t = table(vec![2, 1], Some(&["003", "003.png"]));
        assert_eq!(responses(&t, &stimuli(&["003.png"])).unwrap()[(0, 0)], 1.0);
    }

    #[test]
    fn rows_without_names_go_by_order_and_count() {
        let t = Table { name: "responses.npy".into(), ..table(vec![90, 2], None) };
        let s: Vec<String> = (0..92).map(|i| format!("{i:03}.png")).collect();
        let e = responses(&t, &s).unwrap_err().to_string();
        assert_eq!(e, "responses.npy has 90 rows but there are 92 stimuli");
        let m = responses(&t, &s[..90]).unwrap();
        assert_eq!((m.nrows(), m.ncols(), m[(89, 1)]), (90, 2, 179.0));
        let e = responses(&table(vec![2, 3, 3], None), &s[..2]).unwrap_err().to_string();
        assert!(e.starts_with("t.csv has shape [2, 3, 3]: a stack"), "{e}");
        let mut nan = table(vec![2, 2], None);
        nan.data[3] = f64::NAN;
        let e = responses(&nan, &s[..2]).unwrap_err().to_string();
        assert_eq!(e, "t.csv has a non-finite value (NaN) at row 1, column 1");
    }

    #[test]
    fn rdms_are_checked_and_named() {
        let d = |n: usize, i: usize, j: usize| if i == j { 0.0 } else { (i + j + n) as f64 };
        let stack = |s: usize, n: usize| Table {
            name: "rdm.npy".into(),
            shape: vec![s, n, n],
            data: (0..s * n * n).map(|k| d(k / (n * n), (k / n) % n, k % n)).collect(),
            row_names: None,
        };
        let got = rdms(&stack(2, 4), 4).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1][(2, 3)], 6.0);
        let e = rdms(&stack(1, 4), 5).unwrap_err().to_string();
        assert_eq!(e, "rdm.npy is 4 x 4 but there are 5 stimuli");
        let mut bad = stack(2, 4);
        bad.data[16 + 4 + 1] = 1e-9;
        let e = rdms(&bad, 4).unwrap_err().to_string();
        assert_eq!(e, "rdm.npy, RDM 1 of 2 (counting from 0): an RDM has a zero diagonal, but cell (1, 1) is 0.000000001");
        let mut bad = stack(1, 4);
        bad.shape = vec![4, 4];
        bad.data[2] += 1e-3;
        let e = rdms(&bad, 4).unwrap_err().to_string();
        assert!(e.starts_with("rdm.npy: the RDM is not symmetric: cell (0, 2)"), "{e}");
        let rect = Table { shape: vec![4, 3], data: vec![0.0; 12], ..stack(1, 4) };
        let e = rdms(&rect, 4).unwrap_err().to_string();
        assert_eq!(e, "rdm.npy: an RDM must be square, got 4 rows and 3 columns");
    }
}
