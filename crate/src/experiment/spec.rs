//! The versioned experiment spec: the only thing that crosses from the page to
//! the worker and from the CLI to the core. Results carry the spec they came from.

use crate::error::{Error, Result};
use crate::stimuli::{sets, Channels, Preprocess};
use crate::zoo::{Arch, Probe};
use serde::{Deserialize, Serialize};

/// Spec format version this build reads.
pub const SPEC_VERSION: u32 = 1;

/// One experiment: a source model and a target model compared layer by layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Format version; must be [`SPEC_VERSION`].
    pub idlab: u32,
    /// A human title, shown by the page and kept in results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub stimuli: StimuliSpec,
    pub source: ModelSpec,
    pub target: ModelSpec,
    /// Layers to record on the zoo models; all recorded layers of the architecture when absent.
    /// A user model (`onnx`) side names its own layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
    /// The similarity score; `cka` (linear CKA) in this version.
    pub metric: String,
}

/// Which images to show the models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StimuliSpec {
    /// A named set: `kriegeskorte92` (shipped photographs), `kriegeskorte92-scrambled`
    /// (the same, phase-scrambled), or the generated `textures` and `objects`.
    pub set: String,
    /// Use only the first N images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Images in a generated set (default 92).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// Seed of a generated or scrambled set (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl StimuliSpec {
    /// The set's image names, files to fetch and origin.
    pub fn resolve(&self) -> Result<sets::Resolved> {
        sets::resolve(&self.set, self.limit, self.count, self.seed)
    }
}

/// One side of the comparison: either a zoo architecture and the seed of its
/// weights (`{"arch", "seed"}`), or a user's ONNX file and the tensors to
/// record on it (`{"onnx", "layers", "size"?}`), whose bytes are handed to
/// [`crate::experiment::Session::add_model`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Zoo architecture name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Seed of the zoo model's weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// A user model: the ONNX file's name (the CLI reads it relative to the spec's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnx: Option<String>,
    /// Tensor or node names to record on the user model (required with `onnx`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
    /// Input side for the user model, overriding its metadata and graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Per-channel mean for the user model (model's channel order, [0, 1] scale),
    /// overriding its metadata (default: ImageNet's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<[f32; 3]>,
    /// Per-channel std for the user model, overriding its metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<[f32; 3]>,
    /// Channel order the user model takes: "rgb" (default) or "bgr".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Channels>,
}

/// Preprocessing a spec gives for a user model; each part given replaces what
/// the file's metadata (or the ImageNet default) says.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NormOverride {
    pub mean: Option<[f32; 3]>,
    pub std: Option<[f32; 3]>,
    pub channels: Option<Channels>,
}

impl NormOverride {
    /// `base` with the given parts replaced.
    pub fn apply(&self, base: Preprocess) -> Preprocess {
        Preprocess {
            mean: self.mean.unwrap_or(base.mean),
            std: self.std.unwrap_or(base.std),
            channels: self.channels.unwrap_or(base.channels),
            ..base
        }
    }
}

/// What a [`ModelSpec`] names, once checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelRef<'a> {
    Zoo { arch: Arch, seed: u64 },
    Onnx { file: &'a str, layers: &'a [String], size: Option<u32>, norm: NormOverride },
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

    /// Which kind of side this is, with the error a user understands when it is neither.
    pub fn resolve(&self) -> Result<ModelRef<'_>> {
        const EITHER: &str = "give either arch and seed, or onnx and layers";
        match self {
            ModelSpec { arch: Some(arch), seed: Some(seed), onnx: None, layers: None, size: None, mean: None, std: None, channels: None } => {
                Ok(ModelRef::Zoo { arch: Arch::parse(arch)?, seed: *seed })
            }
            ModelSpec { arch: None, seed: None, onnx: Some(file), layers, size, mean, std, channels } => {
                let layers = match layers {
                    None => return Err(Error::Spec(format!("onnx model {file} needs \"layers\": the tensor or node names to record (`idlab inspect {file}` lists them)"))),
                    Some(l) if l.is_empty() => return Err(Error::Spec(format!("onnx model {file}: layers is an empty list"))),
                    Some(l) => l.as_slice(),
                };
                if file.is_empty() {
                    return Err(Error::Spec("onnx is an empty file name".into()));
                }
                if *size == Some(0) {
                    return Err(Error::Spec(format!("onnx model {file}: size must be positive")));
                }
                if let Some(s) = std {
                    if s.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                        return Err(Error::Spec(format!("onnx model {file}: std must be three positive numbers, got {s:?}")));
                    }
                }
                if let Some(m) = mean {
                    if m.iter().any(|v| !v.is_finite()) {
                        return Err(Error::Spec(format!("onnx model {file}: mean must be three finite numbers, got {m:?}")));
                    }
                }
                let norm = NormOverride { mean: *mean, std: *std, channels: *channels };
                Ok(ModelRef::Onnx { file, layers, size: *size, norm })
            }
            ModelSpec { arch: Some(_), seed: None, onnx: None, .. } => Err(Error::Spec(format!("{EITHER} (seed is missing)"))),
            ModelSpec { arch: None, seed: Some(_), onnx: None, .. } => Err(Error::Spec(format!("{EITHER} (arch is missing)"))),
            ModelSpec { onnx: None, .. }
                if self.layers.is_some() || self.size.is_some() || self.mean.is_some() || self.std.is_some() || self.channels.is_some() =>
            {
                Err(Error::Spec(format!("{EITHER} (layers, size, mean, std and channels go with onnx; a zoo model has its own)")))
            }
            _ => Err(Error::Spec(EITHER.into())),
        }
    }

    /// The user model's file name, for an onnx side.
    pub fn onnx_file(&self) -> Option<&str> {
        match self.resolve() {
            Ok(ModelRef::Onnx { file, .. }) => Some(file),
            _ => None,
        }
    }
}

/// The metrics this version can run.
pub const METRICS: &[&str] = &["cka"];

impl Spec {
    /// Parses and validates a spec from JSON text.
    pub fn from_json(text: &str) -> Result<Spec> {
        let spec: Spec = serde_json::from_str(text).map_err(|e| Error::Spec(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks everything that can be checked before any work starts.
    pub fn validate(&self) -> Result<()> {
        if self.idlab != SPEC_VERSION {
            return Err(Error::Spec(format!(
                "spec version {} is not supported; this build reads version {SPEC_VERSION}",
                self.idlab
            )));
        }
        if !METRICS.contains(&self.metric.as_str()) {
            return Err(Error::Spec(format!(
                "unknown metric \"{}\"; available: {}",
                self.metric,
                METRICS.join(", ")
            )));
        }
        let n = self.stimuli.resolve()?.names.len();
        if n < 3 {
            return Err(Error::Spec(format!("CKA needs at least 3 stimuli, the spec asks for {n}")));
        }
        for (side, m) in [("source", &self.source), ("target", &self.target)] {
            if let ModelRef::Zoo { arch, .. } = m.resolve().map_err(|e| in_field(side, e))? {
                self.recorded_layers(arch).map_err(|e| in_field(side, e))?;
            }
        }
        Ok(())
    }

    /// The layers recorded on `arch`: the spec's list, checked, or all of them.
    pub fn recorded_layers(&self, arch: Arch) -> Result<Vec<Probe>> {
        match &self.layers {
            None => arch.layers().iter().map(|l| arch.probe(&l.name)).collect(),
            Some(names) if names.is_empty() => Err(Error::Spec("layers is an empty list".into())),
            Some(names) => names.iter().map(|n| arch.probe(n)).collect(),
        }
    }
}

/// Says which part of the spec a spec error is about.
fn in_field(field: &str, e: Error) -> Error {
    match e {
        Error::Spec(m) => Error::Spec(format!("{field}: {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../../../www/presets/alexnet-seeds-cka.json");

    #[test]
    fn default_preset_is_valid() {
        let s = Spec::from_json(DEFAULT).unwrap();
        assert_eq!(s.source.arch.as_deref(), Some("alexnet"));
        assert_ne!(s.source.seed, s.target.seed);
        assert_eq!(s.metric, "cka");
    }

    fn with(f: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        f(&mut v);
        Spec::from_json(&v.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(with(|v| v["source"]["arch"] = "nonexistent".into()).contains("source: unknown architecture \"nonexistent\""));
        assert!(with(|v| v["idlab"] = 7.into()).contains("version 7"));
        assert!(with(|v| v["metric"] = "rsa-magic".into()).contains("rsa-magic"));
        assert!(with(|v| v["stimuli"]["set"] = "no-such-set".into()).contains("no-such-set"));
        assert!(with(|v| v["layers"] = serde_json::json!(["features.99"])).contains("features.99"));
        assert!(with(|v| v["stimuli"]["limit"] = 2.into()).contains("at least 3"));
        assert!(with(|v| v["colour"] = "blue".into()).contains("unknown field `colour`"));
        let either = "source: give either arch and seed, or onnx and layers";
        assert!(with(|v| v["source"]["onnx"] = "m.onnx".into()).contains(either));
        assert!(with(|v| v["source"] = serde_json::json!({"onnx": "m.onnx"})).contains("source: onnx model m.onnx needs \"layers\""));
        assert!(with(|v| v["target"] = serde_json::json!({"onnx": "m.onnx", "layers": []})).contains("target: onnx model m.onnx: layers is an empty list"));
        assert!(with(|v| v["source"] = serde_json::json!({"arch": "alexnet"})).contains(either));
        assert!(with(|v| v["source"] = serde_json::json!({})).contains(either));
    }

    #[test]
    fn an_onnx_side_parses_and_round_trips() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        v["source"] = serde_json::json!({"onnx": "mine.onnx", "layers": ["a", "b"], "size": 128});
        let s = Spec::from_json(&v.to_string()).unwrap();
        assert_eq!(s.source.resolve().unwrap(), ModelRef::Onnx { file: "mine.onnx", layers: &["a".to_string(), "b".to_string()], size: Some(128), norm: NormOverride::default() });
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["source"], v["source"]);
        assert_eq!(back["target"], serde_json::from_str::<serde_json::Value>(DEFAULT).unwrap()["target"]);
    }
}
