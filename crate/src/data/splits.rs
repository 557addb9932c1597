//! A user's train/test split file (`idlab metric --split-file`): JSON read and
//! checked against the number of stimuli. The [`Split`] type and the seeded
//! random splits stay with the metrics (`metrics::splits`).

use crate::error::{Error, Result};
use crate::metrics::splits::{validate, Split};
use serde::{Deserialize, Serialize};

/// The JSON split file: `{"splits": [{"train": [0, 1, ...], "test": [5, ...]}, ...]}`,
/// stimulus indices 0-based (rows of X and Y); train and test disjoint, each
/// with at least 2 images; images may be left out of both.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SplitFile {
    pub splits: Vec<Split>,
}

/// Parses and validates a split file (see [`SplitFile`]) for `n` stimuli.
pub fn parse_split_file(json: &str, n: usize) -> Result<Vec<Split>> {
    let file: SplitFile = serde_json::from_str(json).map_err(|e| {
        Error::Input(format!(
            "the split file is not {{\"splits\": [{{\"train\": [..], \"test\": [..]}}]}} with 0-based indices: {e}"
        ))
    })?;
    validate(&file.splits, n)?;
    Ok(file.splits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_checked_against_the_stimuli() {
        let e = parse_split_file(r#"{"splits":[{"train":[0,1,2],"test":[3,30]}]}"#, 30).unwrap_err().to_string();
        assert!(e.contains("index 30 is out of range for 30"), "{e}");
        let e = parse_split_file(r#"{"folds":[]}"#, 30).unwrap_err().to_string();
        assert!(e.contains("split file"), "{e}");
        let s = parse_split_file(r#"{"splits":[{"train":[0,1,2,5],"test":[3,4]}]}"#, 30).unwrap();
        assert_eq!(s, vec![Split { train: vec![0, 1, 2, 5], test: vec![3, 4] }]);
    }
}
