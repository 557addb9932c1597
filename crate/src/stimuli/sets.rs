//! Named stimulus sets shipped with the site (under `www/data/<set>/`).

use crate::error::{Error, Result};

/// The 92 object photographs of Kriegeskorte et al. (2008) and Kiani et al.
/// (2007), the lab's embedded default; see `www/data/kriegeskorte92/README.md`.
pub const KRIEGESKORTE92: &str = "kriegeskorte92";

/// Paths, relative to the site root, of the images of a named set, in order.
/// `limit` keeps the first N (useful for quick runs and tests).
pub fn image_paths(set: &str, limit: Option<usize>) -> Result<Vec<String>> {
    let all: Vec<String> = match set {
        KRIEGESKORTE92 => (0..92).map(|i| format!("data/{set}/images/{i:03}.png")).collect(),
        other => {
            return Err(Error::Spec(format!(
                "unknown stimulus set \"{other}\"; the lab ships: {KRIEGESKORTE92}"
            )))
        }
    };
    match limit {
        Some(0) => Err(Error::Spec("stimuli.limit must be at least 1".into())),
        Some(n) if n > all.len() => Err(Error::Spec(format!(
            "stimuli.limit is {n} but the set \"{set}\" has {} images",
            all.len()
        ))),
        Some(n) => Ok(all[..n].to_vec()),
        None => Ok(all),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_limits() {
        let p = image_paths(KRIEGESKORTE92, None).unwrap();
        assert_eq!(p.len(), 92);
        assert_eq!(p[91], "data/kriegeskorte92/images/091.png");
        assert_eq!(image_paths(KRIEGESKORTE92, Some(3)).unwrap().len(), 3);
        assert!(image_paths(KRIEGESKORTE92, Some(93)).unwrap_err().to_string().contains("92 images"));
        assert!(image_paths("nope", None).unwrap_err().to_string().contains("nope"));
    }
}
