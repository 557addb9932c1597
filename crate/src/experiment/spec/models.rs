//! What a source or a target names, once checked: a zoo model, a user's ONNX
//! model, or recorded data.

use super::types::{ModelSpec, NormOverride, Spec, WeightsSpec};
use crate::error::{Error, Result};
use crate::weights::catalogue::{self, Entry as CatalogueEntry};
use crate::zoo::{Arch, Probe};

/// What a [`ModelSpec`] names, once checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelRef<'a> {
    /// A zoo model: seeded (`weights` None), or trained (`weights` given; `seed` is then 0 and unused).
    Zoo { arch: Arch, seed: u64, weights: Option<WeightsRef<'a>> },
    Onnx { file: &'a str, layers: &'a [String], size: Option<u32>, norm: NormOverride },
    /// A TFLite model, converted to ONNX when added: a user's file, or a
    /// shipped one (`shipped`), whose layers default to the catalogue's.
    Tflite { file: &'a str, shipped: Option<&'static CatalogueEntry>, layers: Option<&'a [String]>, size: Option<u32>, norm: NormOverride },
    Responses { file: &'a str, key: Option<&'a str> },
    Rdms { file: &'a str, key: Option<&'a str> },
    Dataset { name: &'a str },
}

/// Where a zoo model's trained weights come from, once checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightsRef<'a> {
    File { name: &'a str, sha256: Option<&'a str> },
    Url { url: &'a str, sha256: &'a str },
    Shipped { entry: &'static CatalogueEntry },
}

impl WeightsRef<'_> {
    /// The name [`crate::experiment::Session::add_weights`] takes: the file
    /// name, the URL, or the shipped file's site-relative path.
    pub fn key(&self) -> &str {
        match self {
            WeightsRef::File { name, .. } => name,
            WeightsRef::Url { url, .. } => url,
            WeightsRef::Shipped { entry } => &entry.url,
        }
    }

    /// `file`, `url` or `shipped`.
    pub fn kind(&self) -> &'static str {
        match self {
            WeightsRef::File { .. } => "file",
            WeightsRef::Url { .. } => "url",
            WeightsRef::Shipped { .. } => "shipped",
        }
    }

    /// The sha256 the file must have, when known before it arrives.
    pub fn sha256(&self) -> Option<&str> {
        match self {
            WeightsRef::File { sha256, .. } => *sha256,
            WeightsRef::Url { sha256, .. } => Some(sha256),
            WeightsRef::Shipped { entry } => entry.sha256.as_deref(),
        }
    }

    /// Where to fetch it: the URL, or the shipped file's site-relative path; none for a user's file.
    pub fn url(&self) -> Option<&str> {
        match self {
            WeightsRef::File { .. } => None,
            WeightsRef::Url { url, .. } => Some(url),
            WeightsRef::Shipped { entry } => Some(&entry.url),
        }
    }

    /// Its size in bytes, when the catalogue knows it.
    pub fn bytes(&self) -> Option<u64> {
        match self {
            WeightsRef::Shipped { entry } => entry.bytes,
            WeightsRef::Url { sha256, .. } => catalogue::by_sha256(sha256).and_then(|e| e.bytes),
            WeightsRef::File { sha256, .. } => sha256.and_then(catalogue::by_sha256).and_then(|e| e.bytes),
        }
    }

    /// The file's own name (a URL's or path's last segment), for labels.
    pub fn file_name(&self) -> &str {
        let k = self.key();
        let k = k.split(['?', '#']).next().unwrap_or(k);
        k.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or(k)
    }
}

/// The one field of `fields` that is given, or an error: `rule`, then which were found.
fn exactly_one<'k>(fields: &[(&'k str, bool)], rule: &str) -> Result<&'k str> {
    let given: Vec<&str> = fields.iter().filter(|(_, on)| *on).map(|(k, _)| *k).collect();
    match given.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::Spec(format!("{rule} (found none)"))),
        _ => Err(Error::Spec(format!("{rule} (found {})", given.join(" and ")))),
    }
}

/// A sha256 as the spec gives it: 64 hex digits, compared in lower case.
fn check_sha256(what: &str, h: &str) -> Result<()> {
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Spec(format!("{what}: sha256 must be 64 hex digits, got \"{h}\"")));
    }
    Ok(())
}

impl WeightsSpec {
    /// Exactly one of file, url and shipped; sha256 with a url.
    pub fn resolve(&self) -> Result<WeightsRef<'_>> {
        exactly_one(
            &[("file", self.file.is_some()), ("url", self.url.is_some()), ("shipped", self.shipped.is_some())],
            "weights takes one of file (your .pth, .pt or .safetensors), url (with its sha256) or shipped (an id of models/weights.json)",
        )?;
        if let Some(h) = &self.sha256 {
            check_sha256("weights", h)?;
        }
        if let Some(name) = &self.file {
            if name.is_empty() {
                return Err(Error::Spec("weights.file is an empty name".into()));
            }
            return Ok(WeightsRef::File { name, sha256: self.sha256.as_deref() });
        }
        if let Some(url) = &self.url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Error::Spec(format!("weights.url must start with https:// or http://, got \"{url}\"")));
            }
            let Some(sha256) = self.sha256.as_deref() else {
                return Err(Error::Spec(format!("weights.url {url} needs its sha256, so the file fetched is the file meant")));
            };
            return Ok(WeightsRef::Url { url, sha256 });
        }
        let id = self.shipped.as_deref().unwrap_or_default();
        if self.sha256.is_some() {
            return Err(Error::Spec(format!("weights.shipped {id}: the catalogue gives its sha256; leave sha256 out")));
        }
        Ok(WeightsRef::Shipped { entry: catalogue::shipped_weights(id)? })
    }

    /// The transform a model with these weights is fed: the spec's `mean`/`std`,
    /// else its catalogue entry's (found by id, URL or sha256), else the
    /// architecture's own (`arch`).
    pub fn preprocess(&self, arch: crate::stimuli::Preprocess) -> Result<crate::stimuli::Preprocess> {
        if let Some(m) = self.mean {
            if m.iter().any(|v| !v.is_finite()) {
                return Err(Error::Spec(format!("weights.mean must be three finite numbers, got {m:?}")));
            }
        }
        if let Some(s) = self.std {
            if s.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                return Err(Error::Spec(format!("weights.std must be three positive numbers, got {s:?}")));
            }
        }
        let entry = match self.resolve()? {
            WeightsRef::Shipped { entry } => Some(entry),
            WeightsRef::Url { url, sha256 } => catalogue::by_url(url).or_else(|| catalogue::by_sha256(sha256)),
            WeightsRef::File { sha256, .. } => sha256.and_then(catalogue::by_sha256),
        };
        Ok(crate::stimuli::Preprocess {
            mean: self.mean.or(entry.and_then(|e| e.mean)).unwrap_or(arch.mean),
            std: self.std.or(entry.and_then(|e| e.std)).unwrap_or(arch.std),
            ..arch
        })
    }
}

impl ModelSpec {
    /// A zoo side.
    pub fn zoo(arch: &str, seed: u64) -> ModelSpec {
        ModelSpec { arch: Some(arch.into()), seed: Some(seed), ..Default::default() }
    }

    /// A user-model side.
    pub fn onnx(file: &str, layers: &[&str]) -> ModelSpec {
        ModelSpec { onnx: Some(file.into()), layers: Some(layers.iter().map(|s| s.to_string()).collect()), ..Default::default() }
    }

    /// A trained zoo side.
    pub fn trained(arch: &str, weights: WeightsSpec) -> ModelSpec {
        ModelSpec { arch: Some(arch.into()), weights: Some(weights), ..Default::default() }
    }

    /// What identifiability recognises in this side: its `identity`, else a
    /// zoo model's architecture name, else none (a user model or data).
    pub fn identity_or_arch(&self) -> Option<String> {
        if let Some(id) = &self.identity {
            return Some(id.trim().to_string());
        }
        match self.resolve() {
            Ok(ModelRef::Zoo { arch, .. }) => Some(arch.name().to_string()),
            _ => None,
        }
    }

    /// Which kind of side this is, with the error a user understands when it is none or several.
    pub fn resolve(&self) -> Result<ModelRef<'_>> {
        const KINDS: &str = "give one of: arch and seed (a zoo model), onnx and layers (your model), \
                             arch and weights (a trained zoo model), tflite (your .tflite file and layers, or a shipped one's id), \
                             responses or rdms (your data file), or dataset (shipped data)";
        let kind = exactly_one(&[
            ("arch", self.arch.is_some() || self.seed.is_some() || self.weights.is_some()),
            ("onnx", self.onnx.is_some()),
            ("tflite", self.tflite.is_some()),
            ("responses", self.responses.is_some()),
            ("rdms", self.rdms.is_some()),
            ("dataset", self.dataset.is_some()),
        ], KINDS)?;
        let onnx_only = self.size.is_some() || self.mean.is_some() || self.std.is_some() || self.channels.is_some();
        let data_fields = |kind: &str| -> Result<()> {
            if onnx_only || self.layers.is_some() {
                return Err(Error::Spec(format!("{kind} takes no layers, size, mean, std or channels (they go with onnx)")));
            }
            Ok(())
        };
        if let Some(sub) = self.subsample {
            if !(sub.fraction > 0.0 && sub.fraction <= 1.0) {
                return Err(Error::Spec(format!("subsample.fraction must be in (0, 1], got {}", sub.fraction)));
            }
            let rdm_dataset = self.dataset.as_deref().and_then(|d| crate::experiment::datasets::lookup(d).ok()).is_some_and(|d| !d.is_responses());
            if self.rdms.is_some() || rdm_dataset {
                return Err(Error::Spec("subsample keeps a fraction of units; RDMs have none".into()));
            }
        }
        if let Some(noise) = self.noise {
            crate::stats::noise::check_gain(noise.gain).map_err(|_| Error::Spec(format!("noise.gain must be finite and at least 0, got {}", noise.gain)))?;
            if self.rdms.is_some() || self.dataset.is_some() {
                return Err(Error::Spec("noise is added to responses (a model's or a responses file's); RDMs have none".into()));
            }
        }
        if let Some(f) = self.prune {
            if self.arch.is_none() && self.seed.is_none() && self.weights.is_none() && self.onnx.is_none() && self.tflite.is_none() {
                return Err(Error::Spec("prune goes with a model (arch and seed or weights, onnx, or tflite); data has no weights".into()));
            }
            crate::runtime::prune::check_fraction(f)?;
        }
        if let Some(id) = &self.identity {
            if self.arch.is_none() && self.seed.is_none() && self.weights.is_none() && self.onnx.is_none() && self.tflite.is_none() {
                return Err(Error::Spec("identity names what identifiability recognises in a model (arch and seed or weights, onnx, or tflite); data has none".into()));
            }
            if id.trim().is_empty() {
                return Err(Error::Spec("identity is empty; name what the model is (e.g. \"imagenet\" for its training set) or leave it out for its architecture".into()));
            }
        }
        if self.key.is_some() && self.responses.is_none() && self.rdms.is_none() {
            return Err(Error::Spec("key names an array inside a responses or rdms file".into()));
        }
        match kind {
            "arch" => {
                let Some(arch) = &self.arch else {
                    let with = if self.weights.is_some() { "weights" } else { "seed" };
                    return Err(Error::Spec(format!("a zoo model needs arch and seed, or arch and weights (arch is missing beside {with})")));
                };
                if onnx_only {
                    return Err(Error::Spec("size, mean, std and channels go with onnx; a zoo model has its own".into()));
                }
                let arch = Arch::parse(arch)?;
                match (self.seed, &self.weights) {
                    (Some(seed), None) => Ok(ModelRef::Zoo { arch, seed, weights: None }),
                    (None, Some(w)) => Ok(ModelRef::Zoo { arch, seed: 0, weights: Some(w.resolve()?) }),
                    (Some(_), Some(_)) => Err(Error::Spec(
                        "a zoo model takes seed (random weights drawn from it) or weights (trained ones), not both: the weights file gives every value".into(),
                    )),
                    (None, None) => Err(Error::Spec("a zoo model needs arch and seed, or arch and weights (seed is missing)".into())),
                }
            }
            "tflite" => {
                let file = self.tflite.as_deref().unwrap_or_default();
                let shipped = if file.to_ascii_lowercase().ends_with(".tflite") { None } else { Some(catalogue::shipped_tflite(file)?) };
                let layers = match (&self.layers, shipped) {
                    (None, None) => return Err(Error::Spec(format!("tflite model {file} needs \"layers\": the tensor names to record (`idlab inspect {file}` lists them)"))),
                    (Some(l), _) if l.is_empty() => return Err(Error::Spec(format!("tflite model {file}: layers is an empty list"))),
                    (l, _) => l.as_deref(),
                };
                let norm = self.norm(file)?;
                Ok(ModelRef::Tflite { file, shipped, layers, size: self.size, norm })
            }
            "onnx" => {
                let file = self.onnx.as_deref().unwrap_or_default();
                let layers = match &self.layers {
                    None => return Err(Error::Spec(format!("onnx model {file} needs \"layers\": the tensor or node names to record (`idlab inspect {file}` lists them)"))),
                    Some(l) if l.is_empty() => return Err(Error::Spec(format!("onnx model {file}: layers is an empty list"))),
                    Some(l) => l.as_slice(),
                };
                let norm = self.norm(file)?;
                Ok(ModelRef::Onnx { file, layers, size: self.size, norm })
            }
            kind => {
                data_fields(kind)?;
                let file = match kind {
                    "responses" => self.responses.as_deref(),
                    "rdms" => self.rdms.as_deref(),
                    _ => self.dataset.as_deref(),
                }
                .unwrap_or_default();
                if file.is_empty() {
                    return Err(Error::Spec(format!("{kind} is an empty name")));
                }
                let key = self.key.as_deref();
                Ok(match kind {
                    "responses" => ModelRef::Responses { file, key },
                    "rdms" => ModelRef::Rdms { file, key },
                    _ => ModelRef::Dataset { name: file },
                })
            }
        }
    }

    /// A user model's preprocessing overrides, checked; `file` names it in errors.
    fn norm(&self, file: &str) -> Result<NormOverride> {
        let kind = if self.tflite.is_some() { "tflite" } else { "onnx" };
        if file.is_empty() {
            return Err(Error::Spec(format!("{kind} is an empty file name")));
        }
        if self.size == Some(0) {
            return Err(Error::Spec(format!("{kind} model {file}: size must be positive")));
        }
        if let Some(s) = self.std {
            if s.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                return Err(Error::Spec(format!("{kind} model {file}: std must be three positive numbers, got {s:?}")));
            }
        }
        if let Some(m) = self.mean {
            if m.iter().any(|v| !v.is_finite()) {
                return Err(Error::Spec(format!("{kind} model {file}: mean must be three finite numbers, got {m:?}")));
            }
        }
        Ok(NormOverride { mean: self.mean, std: self.std, channels: self.channels })
    }

    /// The user model's file name, for an onnx side.
    pub fn onnx_file(&self) -> Option<&str> {
        match self.resolve() {
            Ok(ModelRef::Onnx { file, .. }) => Some(file),
            _ => None,
        }
    }
}

impl Spec {
    /// The layers recorded on zoo model `m` of architecture `arch`: its own
    /// list, else the spec's, checked, else all recorded layers of `arch`.
    pub fn recorded_layers(&self, arch: Arch, m: &ModelSpec) -> Result<Vec<Probe>> {
        match m.layers.as_ref().or(self.layers.as_ref()) {
            None => arch.layers().iter().map(|l| arch.probe(&l.name)).collect(),
            Some(names) if names.is_empty() => Err(Error::Spec("layers is an empty list".into())),
            Some(names) => names.iter().map(|n| arch.probe(n)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::spec::{UnitSubsample, DEFAULT_PRESET as DEFAULT};

    #[test]
    fn data_targets_parse() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        v["targets"] = serde_json::json!([{"responses": "v4.npz", "key": "resp"}, {"rdms": "it.npy"}, {"dataset": "kriegeskorte92/monkey-it"}]);
        let s = Spec::from_json(&v.to_string()).unwrap();
        assert_eq!(s.targets[0].resolve().unwrap(), ModelRef::Responses { file: "v4.npz", key: Some("resp") });
        assert_eq!(s.targets[1].resolve().unwrap(), ModelRef::Rdms { file: "it.npy", key: None });
        assert_eq!(s.targets[2].resolve().unwrap(), ModelRef::Dataset { name: "kriegeskorte92/monkey-it" });
        // A shipped responses dataset may be subsampled, an RDM dataset not.
        let sub = Some(UnitSubsample { fraction: 0.5, seed: 1 });
        let v4 = ModelSpec { dataset: Some("cowley-v4/responses".into()), subsample: sub, ..Default::default() };
        assert_eq!(v4.resolve().unwrap(), ModelRef::Dataset { name: "cowley-v4/responses" });
        let it = ModelSpec { dataset: Some("kriegeskorte92/monkey-it".into()), subsample: sub, ..Default::default() };
        assert!(it.resolve().unwrap_err().to_string().contains("RDMs have none"));
    }

    #[test]
    fn an_onnx_side_parses_and_round_trips() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        v["sources"][0] = serde_json::json!({"onnx": "mine.onnx", "layers": ["a", "b"], "size": 128});
        let s = Spec::from_json(&v.to_string()).unwrap();
        assert_eq!(s.sources[0].resolve().unwrap(), ModelRef::Onnx { file: "mine.onnx", layers: &["a".to_string(), "b".to_string()], size: Some(128), norm: NormOverride::default() });
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["sources"], v["sources"]);
        assert_eq!(back["targets"], serde_json::from_str::<serde_json::Value>(DEFAULT).unwrap()["targets"]);
    }

    /// Weights trained on another normalisation than the architecture's bring
    /// it: from the catalogue (timm's augreg ViT: 0.5), or from the spec.
    #[test]
    fn weights_bring_their_normalisation() {
        let arch = Arch::VitB32.preprocess();
        let url = "https://huggingface.co/timm/vit_base_patch32_224.augreg_in21k_ft_in1k/resolve/main/model.safetensors";
        let w = WeightsSpec { url: Some(url.into()), sha256: Some("0".repeat(64)), ..Default::default() };
        let p = w.preprocess(arch).unwrap();
        assert_eq!((p.mean, p.std, p.size), ([0.5; 3], [0.5; 3], arch.size));
        let tv = WeightsSpec { file: Some("vit_b_32-d86f8d99.pth".into()), ..Default::default() };
        assert_eq!(tv.preprocess(arch).unwrap(), arch);
        let own = WeightsSpec { mean: Some([0.4; 3]), ..tv.clone() };
        assert_eq!(own.preprocess(arch).unwrap().mean, [0.4; 3]);
        let bad = WeightsSpec { std: Some([0.0, 1.0, 1.0]), ..tv };
        assert!(bad.preprocess(arch).unwrap_err().to_string().contains("weights.std"));
    }
}
