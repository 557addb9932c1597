//! Named stimulus sets: photographs shipped with the site (under
//! `www/data/<set>/`) and sets the crate generates from a seed.

use crate::error::{Error, Result};
use image::RgbImage;

/// The 92 object photographs of Kriegeskorte et al. (2008) and Kiani et al.
/// (2007), the lab's embedded default; see `www/data/kriegeskorte92/README.md`.
pub const KRIEGESKORTE92: &str = "kriegeskorte92";
/// The 1,200 natural images (112 x 112 JPEG) shown to macaque V4 by Cowley et
/// al. (2023); see `www/data/cowley-v4/README.md` (GPL v3, with attribution).
pub const COWLEY_V4: &str = "cowley-v4";
/// The 92 photographs, each phase-scrambled (seeded): same amplitude spectra, no objects.
pub const KRIEGESKORTE92_SCRAMBLED: &str = "kriegeskorte92-scrambled";
/// Generated: 1/f noise and sinusoidal gratings, alternating.
pub const TEXTURES: &str = "textures";
/// Generated: shaded 3-D shapes on random backgrounds.
pub const OBJECTS: &str = "objects";
/// The user's own images (a folder or a .zip), added one by one by the front door.
pub const UPLOAD: &str = "upload";
/// Every set name, for messages.
pub const ALL: [&str; 6] = [KRIEGESKORTE92, KRIEGESKORTE92_SCRAMBLED, COWLEY_V4, TEXTURES, OBJECTS, UPLOAD];
/// Images in a generated set unless the spec's `count` says otherwise (as many as the photographs).
pub const DEFAULT_COUNT: usize = 92;
/// Side of generated images (each model then resizes to its own input).
pub const GENERATED_SIZE: u32 = 224;

/// Where a set's images come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Files fetched (page) or read (CLI), used as they are.
    Files,
    /// Files fetched or read, then phase-scrambled with this seed.
    Scrambled(u64),
    /// Generated in the crate from this seed: no files.
    Textures(u64),
    Objects(u64),
    /// The user's images: names and bytes arrive with each added stimulus.
    Upload,
}

/// A set resolved from the spec: the names of its images in order, the files
/// to fetch (empty for generated sets), and how to turn them into images.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub names: Vec<String>,
    pub files: Vec<String>,
    pub origin: Origin,
}

/// Resolves a set name, its optional `limit` (first N), `count` (generated
/// sets' size) and `seed` (generated and scrambled sets).
pub fn resolve(set: &str, limit: Option<usize>, count: Option<usize>, seed: Option<u64>) -> Result<Resolved> {
    let seed_value = seed.unwrap_or(0);
    let generated = matches!(set, TEXTURES | OBJECTS);
    if count.is_some() && !generated {
        return Err(Error::Spec(format!("stimuli.count is for the generated sets ({TEXTURES}, {OBJECTS}), not \"{set}\"")));
    }
    if seed.is_some() && matches!(set, KRIEGESKORTE92 | COWLEY_V4) {
        return Err(Error::Spec(format!("stimuli.seed is for generated or scrambled sets, not \"{set}\"")));
    }
    if count == Some(0) {
        return Err(Error::Spec("stimuli.count must be at least 1".into()));
    }
    if set == UPLOAD && (limit.is_some() || seed.is_some()) {
        return Err(Error::Spec("stimuli.limit and stimuli.seed are not for an upload: every image given is used".into()));
    }
    let (names, files, origin) = match set {
        UPLOAD => (Vec::new(), Vec::new(), Origin::Upload),
        KRIEGESKORTE92 | KRIEGESKORTE92_SCRAMBLED => {
            let files = image_paths(KRIEGESKORTE92, limit)?;
            let origin = if set == KRIEGESKORTE92 { Origin::Files } else { Origin::Scrambled(seed_value) };
            (files.clone(), files, origin)
        }
        COWLEY_V4 => {
            let files = image_paths(COWLEY_V4, limit)?;
            (files.clone(), files, Origin::Files)
        }
        TEXTURES | OBJECTS => {
            let all = count.unwrap_or(DEFAULT_COUNT);
            let n = check_limit(set, limit, all)?;
            let names = (0..n).map(|i| format!("{set}/seed{seed_value}/{i:03}")).collect();
            let origin = if set == TEXTURES { Origin::Textures(seed_value) } else { Origin::Objects(seed_value) };
            (names, Vec::new(), origin)
        }
        other => return Err(unknown(other)),
    };
    Ok(Resolved { names, files, origin })
}

/// Image `index` of a generated set.
pub fn generate(origin: Origin, index: usize) -> Option<RgbImage> {
    use super::{objects, textures};
    let size = GENERATED_SIZE;
    match origin {
        Origin::Textures(seed) if index % 2 == 0 => Some(textures::pink_noise(size, seed, index)),
        Origin::Textures(seed) => Some(textures::grating(size, seed, index)),
        Origin::Objects(seed) => Some(objects::synthetic_object(size, seed, index)),
        Origin::Files | Origin::Scrambled(_) | Origin::Upload => None,
    }
}

fn unknown(set: &str) -> Error {
    Error::Spec(format!("unknown stimulus set \"{set}\"; the lab has: {}", ALL.join(", ")))
}

fn check_limit(set: &str, limit: Option<usize>, all: usize) -> Result<usize> {
    match limit {
        Some(0) => Err(Error::Spec("stimuli.limit must be at least 1".into())),
        Some(n) if n > all => Err(Error::Spec(format!("stimuli.limit is {n} but the set \"{set}\" has {all} images"))),
        Some(n) => Ok(n),
        None => Ok(all),
    }
}

/// Paths, relative to the site root, of the images of a named set, in order.
/// `limit` keeps the first N (useful for quick runs and tests).
pub fn image_paths(set: &str, limit: Option<usize>) -> Result<Vec<String>> {
    let all: Vec<String> = match set {
        KRIEGESKORTE92 => (0..92).map(|i| format!("data/{set}/images/{i:03}.png")).collect(),
        // Numbered from 1, in numeric order (the order of the responses' rows).
        COWLEY_V4 => (1..=1200).map(|i| format!("data/{set}/images/image{i:04}.jpg")).collect(),
        other => return Err(unknown(other)),
    };
    let n = check_limit(set, limit, all.len())?;
    Ok(all[..n].to_vec())
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
        let c = resolve(COWLEY_V4, Some(300), None, None).unwrap();
        assert_eq!((c.names.len(), c.files.len(), c.origin), (300, 300, Origin::Files));
        assert_eq!(c.files[0], "data/cowley-v4/images/image0001.jpg");
        assert_eq!(c.files[299], "data/cowley-v4/images/image0300.jpg");
        assert_eq!(image_paths(COWLEY_V4, None).unwrap()[1199], "data/cowley-v4/images/image1200.jpg");
        assert!(resolve(COWLEY_V4, None, None, Some(1)).unwrap_err().to_string().contains("stimuli.seed"));
    }

    #[test]
    fn generated_and_scrambled_sets_resolve() {
        let t = resolve(TEXTURES, None, None, None).unwrap();
        assert_eq!((t.names.len(), t.files.len(), t.origin), (92, 0, Origin::Textures(0)));
        let o = resolve(OBJECTS, Some(5), Some(20), Some(7)).unwrap();
        assert_eq!((o.names.len(), o.origin), (5, Origin::Objects(7)));
        assert_eq!(o.names[4], "objects/seed7/004");
        let s = resolve(KRIEGESKORTE92_SCRAMBLED, Some(3), None, Some(2)).unwrap();
        assert_eq!((s.files.len(), s.origin), (3, Origin::Scrambled(2)));
        assert!(generate(Origin::Objects(7), 4).is_some() && generate(Origin::Files, 0).is_none());
        assert_eq!(generate(Origin::Textures(1), 3), generate(Origin::Textures(1), 3));
        let e = resolve(KRIEGESKORTE92, None, Some(10), None).unwrap_err().to_string();
        assert!(e.contains("stimuli.count is for the generated sets"), "{e}");
        let e = resolve(OBJECTS, Some(30), Some(20), None).unwrap_err().to_string();
        assert!(e.contains("has 20 images"), "{e}");
        let e = resolve("nope", None, None, None).unwrap_err().to_string();
        assert!(e.contains("textures") && e.contains("objects"), "{e}");
    }
}
