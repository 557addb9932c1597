//! The stimulus images a user hands the CLI, a folder or a .zip of them, read
//! in the core's order (`idlab::data::archive`: natural order of the names,
//! as the page orders a dropped folder), for `run`'s upload and `activations`.

use idlab::data::archive::{image_names, images_in_zip, IMAGE_EXTENSIONS};
use std::path::Path;

/// The images of an upload as (file name, bytes): a folder's image files, or a .zip's.
pub fn read_upload(path: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let show = path.display();
    if path.is_file() {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {show}: {e}"))?;
        return images_in_zip(&show.to_string(), &bytes).map_err(crate::cli::core);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read the stimulus folder {show}: {e}"))?;
    let names = image_names(
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok()),
    );
    if names.is_empty() {
        return Err(format!("the stimulus folder {show} has no images ({})", IMAGE_EXTENSIONS.join(", ")));
    }
    names
        .into_iter()
        .map(|n| {
            let p = path.join(&n);
            std::fs::read(&p).map(|b| (n, b)).map_err(|e| format!("cannot read stimulus {}: {e}", p.display()))
        })
        .collect()
}
