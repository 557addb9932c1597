//! The catalogue of trained weights, `models/weights.json`, embedded in the
//! crate so the page and the CLI agree on it without a fetch: the files the
//! site ships (tested here) and public files a browser can fetch, with their
//! host, licence, size, hash and which names they use.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const JSON: &str = include_str!("../../../models/weights.json");

/// Site-relative folder of the shipped files (`models/trained/...`).
pub const SHIPPED_DIR: &str = "models/trained/";

/// One layer a shipped TFLite model records by default: a short label and
/// the tensor it reads (TFLite's fused tensor names are long).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueLayer {
    pub label: String,
    pub tensor: String,
    /// Values per image (for memory estimates before the file is read).
    pub units: usize,
}

/// One catalogue entry: weights for a zoo `arch`, or a whole `tflite` model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// `arch/source` (e.g. `efficientnet_lite0/imagenet`), or `coral/<file stem>` for TFLite.
    pub id: String,
    /// The zoo architecture these weights fill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// A TFLite model (graph and weights): what it is, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tflite: Option<String>,
    /// `pth`, `safetensors` or `tflite`.
    pub format: String,
    /// Whose parameter names the file uses: `torchvision`, `timm` or
    /// `efficientnet_lite_pytorch` (none for TFLite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<String>,
    /// Absolute for public files; site-relative (`models/trained/...`) for shipped ones.
    pub url: String,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub licence: String,
    /// Who publishes the file.
    pub source: String,
    pub trained_on: String,
    /// Served with the site (and so usable offline).
    pub shipped: bool,
    /// `here`, or why not (e.g. `not from this machine: URL unreachable offline`).
    pub tested: String,
    /// TFLite: the layers recorded when a spec names none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<CatalogueLayer>,
    /// The input normalisation the weights were trained with, where it is not
    /// the zoo architecture's (timm's augreg ViTs and Google's Mixer: 0.5, 0.5);
    /// a model with these weights is fed images normalised so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<[f32; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<[f32; 3]>,
}

#[derive(Deserialize)]
struct File {
    #[allow(dead_code)]
    about: String,
    entries: Vec<Entry>,
}

/// Every entry, in the file's order (parsed once; a test keeps the file valid).
pub fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| serde_json::from_str::<File>(JSON).map(|f| f.entries).unwrap_or_default())
}

/// The entry of `id`, or an error listing the ids of the same kind.
pub fn find(id: &str) -> Result<&'static Entry> {
    entries().iter().find(|e| e.id == id).ok_or_else(|| {
        Error::Spec(format!(
            "no trained weights \"{id}\" in models/weights.json; shipped ones are: {}",
            entries().iter().filter(|e| e.shipped).map(|e| e.id.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// The shipped weights entry `id` for a zoo architecture (not a TFLite model).
pub fn shipped_weights(id: &str) -> Result<&'static Entry> {
    let e = find(id)?;
    if !e.shipped || e.arch.is_none() {
        let ids: Vec<&str> = entries().iter().filter(|e| e.shipped && e.arch.is_some()).map(|e| e.id.as_str()).collect();
        return Err(Error::Spec(format!(
            "\"{id}\" is not shipped weights for a zoo architecture (those are: {}){}",
            ids.join(", "),
            if e.shipped { "; a TFLite model is a side of its own: {\"tflite\": ID}" } else { "; a public file is {\"url\": ..., \"sha256\": ...}" }
        )));
    }
    Ok(e)
}

/// The shipped TFLite entry `id`.
pub fn shipped_tflite(id: &str) -> Result<&'static Entry> {
    let ids = || entries().iter().filter(|e| e.shipped && e.tflite.is_some()).map(|e| e.id.as_str()).collect::<Vec<_>>().join(", ");
    match entries().iter().find(|e| e.id == id) {
        Some(e) if e.shipped && e.tflite.is_some() => Ok(e),
        _ => Err(Error::Spec(format!("\"{id}\" is neither a .tflite file name nor a shipped TFLite model ({})", ids()))),
    }
}

/// The entry whose file has this sha256, if any (a URL or file the catalogue lists).
/// The public entry served at `url` (the page turns a catalogue entry without
/// a known sha256 into a URL).
pub fn by_url(url: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.url == url)
}

pub fn by_sha256(sha256: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.sha256.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(sha256)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_parses_and_its_shipped_files_match() {
        let all: Vec<Entry> = serde_json::from_str::<File>(JSON).unwrap().entries;
        assert_eq!(all.len(), entries().len());
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for e in entries() {
            assert!(e.arch.is_some() != e.tflite.is_some(), "{}: arch or tflite", e.id);
            if let Some(a) = &e.arch {
                crate::zoo::Arch::parse(a).unwrap_or_else(|err| panic!("{}: {err}", e.id));
            }
            if e.shipped {
                assert!(e.url.starts_with(SHIPPED_DIR), "{}", e.id);
                let bytes = std::fs::read(root.join(&e.url)).unwrap();
                assert_eq!(Some(bytes.len() as u64), e.bytes, "{}", e.id);
                assert_eq!(e.tested, "here");
                use sha2::Digest;
                let h: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(Some(h), e.sha256, "{}", e.id);
            } else {
                assert!(e.url.starts_with("https://"), "{}", e.id);
            }
        }
        assert!(shipped_weights("efficientnet_lite0/imagenet").is_ok());
        assert!(shipped_tflite("coral/mobilenet_v2_1.0_224_quant").unwrap().layers.len() >= 8);
        assert!(shipped_weights("coral/mobilenet_v2_1.0_224_quant").unwrap_err().to_string().contains("side of its own"));
        assert!(find("nope").unwrap_err().to_string().contains("efficientnet_lite0/imagenet"));
    }
}
