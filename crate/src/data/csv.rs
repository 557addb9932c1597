//! `.csv` tables as spreadsheets and pandas write them: an optional header
//! row, an optional first column of stimulus names, numbers everywhere else.
//! Messages name cells as a spreadsheet shows them (row 1 is the first line).

use super::Table;
use crate::error::{Error, Result};

/// The most columns a .csv table may have: 262,144 (2^18). Spreadsheets
/// stop at 16,384; the widest response tables people keep as text (voxels
/// of a whole-brain fMRI at 2 mm, about 230,000) fit. Anything wider is
/// refused at its first row, with the advice to save it as .npy (binary, read
/// without parsing a number per cell).
pub const MAX_COLUMNS: usize = 1 << 18;

/// Reads a .csv table. The first line is a header when none of its cells
/// after the first is a number or when its first cell is empty (pandas'
/// index corner); the first column holds row names when its first data cell
/// is not a number or it is pandas' index (dropped when it is 0, 1, 2, ...). Comma, semicolon or tab separated
/// (whichever the first line has most of).
pub(super) fn read(name: &str, bytes: &[u8], finite: bool) -> Result<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(::csv::Trim::All)
        .delimiter(delimiter(bytes))
        .from_reader(bytes);
    let mut records = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| Error::Input(format!("{name}: not a readable .csv file ({e})")))?;
        if r.len() > MAX_COLUMNS {
            let line = r.position().map_or(0, |p| p.line());
            return Err(Error::Limit(format!(
                "{name}: row {line} has {} columns, more than the {MAX_COLUMNS} a .csv table may have; save it as .npy \
                 (numpy.save) instead",
                r.len()
            )));
        }
        // A line of separators only (a spreadsheet's trailing blank rows) is skipped.
        if r.iter().all(str::is_empty) {
            continue;
        }
        let line = r.position().map_or(0, |p| p.line() as usize);
        records.push((line, r));
    }
    let Some((_, first)) = records.first() else {
        return Err(Error::Input(format!("{name} has no rows")));
    };
    let number = |s: &str| s.parse::<f64>().is_ok();
    // pandas' `to_csv` leaves the corner empty above its index column.
    let corner = first.len() > 1 && first[0].is_empty();
    let header = corner || (first.iter().skip(1).all(|c| !number(c)) && !(first.len() == 1 && number(&first[0])));
    let data = &records[usize::from(header)..];
    let Some((_, first_data)) = data.first() else {
        return Err(Error::Input(format!("{name} has a header row but no data rows")));
    };
    let named = corner || !number(&first_data[0]);
    let width = first_data.len();
    let cols = width - usize::from(named);
    if cols == 0 {
        return Err(Error::Input(format!(
            "{name} has only one column, of names ('{}'); the numbers must be in the columns after it",
            &first_data[0]
        )));
    }
    let mut values = Vec::with_capacity(data.len() * cols);
    let mut names = Vec::new();
    for (line, r) in data {
        if r.len() != width {
            return Err(Error::Input(format!(
                "{name}: row {line} has {} cells but row {} has {width}",
                r.len(),
                data[0].0
            )));
        }
        for (j, cell) in r.iter().enumerate() {
            let at = || format!("{name}: row {line}, column {}", column(j));
            if named && j == 0 {
                if cell.is_empty() {
                    return Err(Error::Input(format!("{}: the stimulus name is empty", at())));
                }
                names.push(cell.to_string());
                continue;
            }
            if cell.is_empty() {
                return Err(Error::Input(format!("{}: the cell is empty (a missing value); every cell needs a number", at())));
            }
            let v: f64 = cell
                .parse()
                .map_err(|_| Error::Input(format!("{}: '{cell}' is not a number", at())))?;
            if finite && !v.is_finite() {
                return Err(Error::Input(format!("{}: '{cell}' is not a finite number", at())));
            }
            values.push(v);
        }
    }
    // pandas' default index (0, 1, 2, ...) names nothing: rows go by order.
    let range_index = corner && names.iter().enumerate().all(|(i, n)| *n == i.to_string());
    Ok(Table {
        name: name.to_string(),
        shape: vec![data.len(), cols],
        data: values,
        row_names: (named && !range_index).then_some(names),
    })
}

/// The separator the first line uses most: ',', ';' or tab.
fn delimiter(bytes: &[u8]) -> u8 {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let count = |d: u8| line.iter().filter(|&&b| b == d).count();
    [b',', b';', b'\t'].into_iter().rev().max_by_key(|&d| count(d)).filter(|&d| count(d) > 0).unwrap_or(b',')
}

/// A 0-based column index as a spreadsheet shows it: "3 (C)".
fn column(j: usize) -> String {
    let mut letters = Vec::new();
    let mut k = j + 1;
    while k > 0 {
        k -= 1;
        letters.push(b'A' + (k % 26) as u8);
        k /= 26;
    }
    letters.reverse();
    format!("{} ({})", j + 1, String::from_utf8(letters).expect("ASCII letters"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_like_a_spreadsheet() {
        assert_eq!(column(0), "1 (A)");
        assert_eq!(column(25), "26 (Z)");
        assert_eq!(column(26), "27 (AA)");
        assert_eq!(column(27), "28 (AB)");
        assert_eq!(column(701), "702 (ZZ)");
        assert_eq!(column(702), "703 (AAA)");
    }

    #[test]
    fn header_names_and_separators_are_detected() {
        let t = read("a.csv", b"\xEF\xBB\xBFstimulus;u1;u2\nx.png;1;2\ny.png;3,5;4\n", true).unwrap_err().to_string();
        assert_eq!(t, "a.csv: row 3, column 2 (B): '3,5' is not a number");
        let t = read("a.csv", b"x.png\t1\t2\ny.png\t3\t4\n\t\t\n", true).unwrap();
        assert_eq!((t.shape, t.data), (vec![2, 2], vec![1., 2., 3., 4.]));
        assert_eq!(t.row_names.unwrap(), ["x.png", "y.png"]);
        // pandas' to_csv of a frame with integer columns: an empty corner cell.
        let t = read("p.csv", b",0,1\n0,1.5,2\n1,3,4e-1\n", true).unwrap();
        assert_eq!((t.shape, t.data, t.row_names), (vec![2, 2], vec![1.5, 2., 3., 0.4], None));
        let t = read("p.csv", b",0,1\nb.png,1.5,2\n7,3,4e-1\n", true).unwrap();
        assert_eq!(t.row_names.unwrap(), ["b.png", "7"]);
        let t = read("one.csv", b"resp\n1\n2\n", true).unwrap();
        assert_eq!((t.shape, t.data), (vec![2, 1], vec![1., 2.]));
        let e = read("h.csv", b"a,b\n", true).unwrap_err().to_string();
        assert_eq!(e, "h.csv has a header row but no data rows");
        let e = read("r.csv", b"1,2\n3\n", true).unwrap_err().to_string();
        assert_eq!(e, "r.csv: row 2 has 1 cells but row 1 has 2");
        let e = read("n.csv", b"1,nan\n", true).unwrap_err().to_string();
        assert_eq!(e, "n.csv: row 1, column 2 (B): 'nan' is not a finite number");
        assert!(read("n.csv", b"1,nan\n", false).unwrap().data[1].is_nan());
    }
}
