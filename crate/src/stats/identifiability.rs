//! Identifiability index of the seed paper: how much better the correct
//! source scores than the others,
//! (S_match - mean S_nonmatch) / (S_match + mean S_nonmatch).
//! 1 when only the match scores, 0 when the match is no better than the
//! average non-match, negative when it is worse.

use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// The index from the match score and the non-match scores.
pub fn identifiability_index(s_match: f64, s_nonmatch: &[f64]) -> Result<f64> {
    if s_nonmatch.is_empty() {
        return Err(Error::Input("the identifiability index needs at least one non-matching score".into()));
    }
    if !s_match.is_finite() {
        return Err(Error::Input(format!("the matching score is not finite ({s_match})")));
    }
    if let Some(i) = s_nonmatch.iter().position(|v| !v.is_finite()) {
        return Err(Error::Input(format!("non-matching score {i} is not finite ({})", s_nonmatch[i])));
    }
    let rest = s_nonmatch.iter().sum::<f64>() / s_nonmatch.len() as f64;
    let den = s_match + rest;
    if den == 0.0 {
        return Err(Error::Input(format!(
            "the identifiability index is undefined: the matching score ({s_match}) plus the mean non-matching score ({rest}) is 0"
        )));
    }
    Ok((s_match - rest) / den)
}

/// One index per target (column) of `scores`, whose rows are the candidate
/// sources: `scores[(s, t)]` is how well source s predicts target t (e.g.
/// target layer t), and row `correct_source` is the true source; all other
/// rows are the non-matches.
pub fn identifiability_per_target(scores: &DMatrix<f64>, correct_source: usize) -> Result<Vec<f64>> {
    if scores.nrows() < 2 {
        return Err(Error::Input(format!(
            "the identifiability index needs at least 2 candidate sources (rows), got {}",
            scores.nrows()
        )));
    }
    if correct_source >= scores.nrows() {
        return Err(Error::Input(format!(
            "the correct source {correct_source} is out of range for {} sources",
            scores.nrows()
        )));
    }
    (0..scores.ncols())
        .map(|t| {
            let col = scores.column(t);
            let others: Vec<f64> = (0..col.len()).filter(|&s| s != correct_source).map(|s| col[s]).collect();
            identifiability_index(col[correct_source], &others)
                .map_err(|e| Error::Input(format!("target {t}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(identifiability_index(1.0, &[0.0, 0.0]).unwrap(), 1.0);
        assert_eq!(identifiability_index(0.5, &[0.5, 0.5]).unwrap(), 0.0);
        assert!((identifiability_index(0.9, &[0.2, 0.4]).unwrap() - 0.6 / 1.2).abs() < 1e-15);
        assert!(identifiability_index(0.1, &[0.3]).unwrap() < 0.0);
    }

    #[test]
    fn per_target_columns() {
        let s = DMatrix::from_row_slice(3, 2, &[0.2, 0.9, 0.8, 0.1, 0.2, 0.2]);
        let v = identifiability_per_target(&s, 1).unwrap();
        assert!((v[0] - (0.8 - 0.2) / 1.0).abs() < 1e-15);
        assert!((v[1] - (0.1 - 0.55) / 0.65).abs() < 1e-15);
    }

    #[test]
    fn errors() {
        let e = identifiability_index(0.5, &[-0.5]).unwrap_err().to_string();
        assert!(e.contains("is 0"), "{e}");
        assert!(identifiability_index(f64::NAN, &[0.5]).is_err());
        assert!(identifiability_index(0.5, &[0.1, f64::INFINITY])
            .unwrap_err()
            .to_string()
            .contains("score 1"));
        assert!(identifiability_index(0.5, &[]).is_err());
        let s = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, -0.5]);
        assert!(identifiability_per_target(&s, 2).unwrap_err().to_string().contains("out of range"));
        assert!(identifiability_per_target(&s, 0).unwrap_err().to_string().contains("target 1"));
    }
}
