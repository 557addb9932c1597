//! Stimulus images from a .zip (a folder zipped by Finder, Explorer or `zip
//! -r`), in the order a person reading the names expects: `img2` before `img10`.

use crate::error::{Error, Result};
use std::cmp::Ordering;
use std::io::{Cursor, Read};

/// The image extensions taken from an archive (compared case-insensitively).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "gif", "bmp"];

/// The most one image of an archive may unpack to: 64 MiB, past any
/// stimulus photograph (a 61-megapixel camera's PNG is about 40 MB) and far
/// below what a tab can hold; a zip bomb's entry claims or inflates to GBs.
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;
/// The most all images of an archive may unpack to together: 1 GiB (they
/// are held at once, and a tab's wasm memory is 4 GiB at most).
pub const MAX_ARCHIVE_BYTES: u64 = 1 << 30;

/// The image entries of a zip as (path inside the archive, bytes), sorted by
/// path with [`natural_cmp`]. Directories, anything under `__MACOSX/` (Finder's
/// resource forks) and hidden files or folders (a name starting with '.') are
/// skipped, and so are files of other types; none left is an error that says
/// what the archive held.
pub fn images_in_zip(file: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::Input(format!("{file}: not a readable .zip file ({e})")))?;
    let mut images = Vec::new();
    let mut others = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| Error::Input(format!("{file}: cannot unpack entry {i} ({e})")))?;
        let path = entry.name().to_string();
        // A path that climbs out of the archive (`../x.png`, `/etc/x.png`,
        // `C:\x.png`) is refused, not skipped: whoever made it meant harm or
        // made a mistake, and either way the set is not what it says.
        if entry.enclosed_name().is_none() || path.split(['/', '\\']).any(|c| c == "..") {
            return Err(Error::Input(format!(
                "{file}: entry {i} has the unsafe path \"{path}\" (it climbs out of the archive); refused"
            )));
        }
        if entry.is_dir() || path.split('/').any(|c| c == "__MACOSX" || c.starts_with('.')) {
            continue;
        }
        if !is_image(&path) {
            others.push(path);
            continue;
        }
        let limit = |size: String| {
            Error::Limit(format!("{file}: {path} unpacks to {size} (a zip bomb?); an image may be at most {} MiB", MAX_ENTRY_BYTES >> 20))
        };
        let buf = match read_entry(&mut entry) {
            Ok(buf) => buf,
            Err(EntryError::Claims(claimed)) => return Err(limit(size_text(claimed))),
            Err(EntryError::Inflates(claimed)) => {
                return Err(limit(format!("more than {} though its header claims {}", size_text(MAX_ENTRY_BYTES), size_text(claimed))))
            }
            Err(EntryError::Io(e)) => return Err(Error::Input(format!("{file}: cannot unpack {path} ({e})"))),
        };
        total += buf.len() as u64;
        if total > MAX_ARCHIVE_BYTES {
            return Err(Error::Limit(format!(
                "{file}: its images unpack to more than {} GiB together (at {path}); split the set",
                MAX_ARCHIVE_BYTES >> 30
            )));
        }
        images.push((path, buf));
    }
    if images.is_empty() {
        const SHOWN: usize = 10;
        let held = if others.is_empty() {
            "nothing else".to_string()
        } else {
            others.sort_by(|a, b| natural_cmp(a, b));
            let more = others.len().saturating_sub(SHOWN);
            let mut list = others.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
            if more > 0 {
                list.push_str(&format!(" and {more} more"));
            }
            list
        };
        return Err(Error::Input(format!(
            "{file} has no images ({}); it holds {held}",
            IMAGE_EXTENSIONS.join(", ")
        )));
    }
    images.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    Ok(images)
}

/// Why [`read_entry`] gave up on a zip entry.
pub enum EntryError {
    /// Its header claims more than [`MAX_ENTRY_BYTES`] (the claimed size).
    Claims(u64),
    /// It inflates past [`MAX_ENTRY_BYTES`] though its header claims less (the claimed size).
    Inflates(u64),
    /// It cannot be read (a damaged archive).
    Io(std::io::Error),
}

/// A zip entry's bytes, at most [`MAX_ENTRY_BYTES`], for every zip a stranger
/// can send (stimuli, assignments): the size the header claims is checked
/// before anything is allocated, and inflation stops one byte past the limit,
/// so a lying header cannot get past it. Callers word the refusal.
pub fn read_entry(entry: &mut impl ZipEntry) -> std::result::Result<Vec<u8>, EntryError> {
    let claimed = entry.claimed_size();
    if claimed > MAX_ENTRY_BYTES {
        return Err(EntryError::Claims(claimed));
    }
    let mut buf = Vec::with_capacity(claimed as usize);
    entry.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut buf).map_err(EntryError::Io)?;
    if buf.len() as u64 > MAX_ENTRY_BYTES {
        return Err(EntryError::Inflates(claimed));
    }
    Ok(buf)
}

/// A readable zip entry that knows the size its header claims.
pub trait ZipEntry: Read {
    fn claimed_size(&self) -> u64;
}

impl<R: Read> ZipEntry for zip::read::ZipFile<'_, R> {
    fn claimed_size(&self) -> u64 {
        self.size()
    }
}

/// A byte count as people read it: "4.0 GiB", "12.5 MiB", "900 bytes".
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{b} bytes"),
    }
}

/// The stimulus images among a folder's file names, in the order a zip's
/// would be in ([`natural_cmp`]): hidden files (a name starting with '.') and
/// files of other types are left out. The CLI lists an uploaded folder, and
/// `idlab activations` its stimuli, with it.
pub fn image_names(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().filter(|n| !n.starts_with('.') && is_image(n)).collect();
    names.sort_by(|a, b| natural_cmp(a, b));
    names
}

fn is_image(path: &str) -> bool {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    IMAGE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext))
}

/// Natural order of file names: runs of ASCII digits compare as numbers
/// (`img2` < `img10`, `a01` between `a0` and `a2`), other characters
/// case-insensitively; names equal that way fall back to fewer leading zeros
/// first and then plain byte order, so the order is total and stable.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    let mut zeros = Ordering::Equal;
    loop {
        match (x.first(), y.first()) {
            (None, None) => return zeros.then_with(|| a.cmp(b)),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let (dx, rx) = split_digits(x);
                let (dy, ry) = split_digits(y);
                let (tx, ty) = (trim_zeros(dx), trim_zeros(dy));
                let ord = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if ord != Ordering::Equal {
                    return ord;
                }
                zeros = zeros.then(dx.len().cmp(&dy.len()));
                (x, y) = (rx, ry);
            }
            (Some(_), Some(_)) => {
                // One character (UTF-8 sequence) each, compared case-insensitively.
                let (cx, rx) = first_char(x);
                let (cy, ry) = first_char(y);
                let ord = cx.to_lowercase().cmp(cy.to_lowercase());
                if ord != Ordering::Equal {
                    return ord;
                }
                (x, y) = (rx, ry);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    s.split_at(s.iter().position(|b| !b.is_ascii_digit()).unwrap_or(s.len()))
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    &s[s.iter().position(|&b| b != b'0').unwrap_or(s.len())..]
}

fn first_char(s: &[u8]) -> (char, &[u8]) {
    // The slices always start on a char boundary: they are cut only after
    // ASCII digits or whole chars.
    let text = std::str::from_utf8(&s[..s.len().min(4)]).or_else(|e| std::str::from_utf8(&s[..e.valid_up_to()]));
    let c = text.ok().and_then(|t| t.chars().next()).unwrap_or('\u{FFFD}');
    (c, &s[c.len_utf8().min(s.len())..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| natural_cmp(a, b));
        v
    }

    #[test]
    fn numbers_sort_as_numbers() {
        assert_eq!(sorted(&["img10.png", "img2.png", "img1.png"]), ["img1.png", "img2.png", "img10.png"]);
        assert_eq!(sorted(&["b/10.png", "a/2.png", "b/9.png", "a/10.png"]), ["a/2.png", "a/10.png", "b/9.png", "b/10.png"]);
        assert_eq!(sorted(&["a2", "a01", "a1", "a0", "a001"]), ["a0", "a1", "a01", "a001", "a2"]);
        assert_eq!(sorted(&["B.png", "a.png", "A.png"]), ["A.png", "a.png", "B.png"]);
        assert_eq!(sorted(&["x1y10", "x1y9", "x1", "x"]), ["x", "x1", "x1y9", "x1y10"]);
        assert_eq!(sorted(&["é2", "é10", "e3"]), ["e3", "é2", "é10"]);
        assert_eq!(natural_cmp("99999999999999999999999", "100000000000000000000000"), Ordering::Less);
        assert_eq!(natural_cmp("same", "same"), Ordering::Equal);
    }

    #[test]
    fn folder_images_in_natural_order() {
        let names = ["img10.PNG", ".img0.png", "notes.txt", "img2.jpg", "img1.webp", "README"].map(String::from);
        assert_eq!(image_names(names), ["img1.webp", "img2.jpg", "img10.PNG"]);
    }

    #[test]
    fn order_is_total() {
        let names = ["a1", "A1", "a01", "a1b", "a", "1", "01", "a.png", "a-1", "10", "_x", "Ä", "ä2"];
        for p in names {
            for q in names {
                assert_eq!(natural_cmp(p, q), natural_cmp(q, p).reverse(), "{p} {q}");
                assert_eq!(natural_cmp(p, q) == Ordering::Equal, p == q, "{p} {q}");
                for r in names {
                    if natural_cmp(p, q).is_le() && natural_cmp(q, r).is_le() {
                        assert!(natural_cmp(p, r).is_le(), "{p} {q} {r}");
                    }
                }
            }
        }
    }
}
