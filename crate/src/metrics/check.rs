//! Input checks every metric shares, so a bad matrix is refused with the same
//! specific message (which side, which row, which column) wherever it enters.

use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// Refuses NaN or ±Inf, naming the first offending cell.
pub fn finite(x: &DMatrix<f64>, what: &str) -> Result<()> {
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        let (r, c) = (i % x.nrows(), i / x.nrows());
        return Err(Error::Input(format!(
            "{what} has a non-finite value ({}) at row {r}, column {c}",
            x[(r, c)]
        )));
    }
    Ok(())
}

/// Both sides must describe the same stimuli, one row each.
pub fn same_rows(x: &DMatrix<f64>, y: &DMatrix<f64>, metric: &str) -> Result<()> {
    if x.nrows() != y.nrows() {
        return Err(Error::Input(format!(
            "{metric} needs the same stimuli on both sides: X has {} rows, Y has {}",
            x.nrows(),
            y.nrows()
        )));
    }
    Ok(())
}

/// At least `min` stimuli (rows).
pub fn min_rows(x: &DMatrix<f64>, min: usize, metric: &str) -> Result<()> {
    if x.nrows() < min {
        return Err(Error::Input(format!(
            "{metric} needs at least {min} stimuli, got {}",
            x.nrows()
        )));
    }
    Ok(())
}

/// The usual entry check of a two-sided metric: same rows, enough rows, finite.
pub fn pair(x: &DMatrix<f64>, y: &DMatrix<f64>, min: usize, metric: &str) -> Result<()> {
    same_rows(x, y, metric)?;
    min_rows(x, min, metric)?;
    finite(x, "X")?;
    finite(y, "Y")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_cell_and_the_counts() {
        let mut x = DMatrix::from_element(4, 3, 1.0);
        x[(2, 1)] = f64::INFINITY;
        let e = finite(&x, "X").unwrap_err().to_string();
        assert!(e.contains("row 2, column 1") && e.contains("inf"), "{e}");
        let y = DMatrix::from_element(5, 3, 1.0);
        let e = pair(&y, &x, 2, "RSA").unwrap_err().to_string();
        assert!(e.contains("X has 5 rows, Y has 4"), "{e}");
        let e = min_rows(&y, 10, "regression").unwrap_err().to_string();
        assert!(e.contains("at least 10 stimuli, got 5"), "{e}");
    }
}
