//! What a source or a target names, once checked: a zoo model, a user's ONNX
//! model, or recorded data.

use super::types::{ModelSpec, NormOverride, Spec};
use crate::error::{Error, Result};
use crate::zoo::{Arch, Probe};

/// What a [`ModelSpec`] names, once checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelRef<'a> {
    Zoo { arch: Arch, seed: u64 },
    Onnx { file: &'a str, layers: &'a [String], size: Option<u32>, norm: NormOverride },
    Responses { file: &'a str, key: Option<&'a str> },
    Rdms { file: &'a str, key: Option<&'a str> },
    Dataset { name: &'a str },
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

    /// Which kind of side this is, with the error a user understands when it is none or several.
    pub fn resolve(&self) -> Result<ModelRef<'_>> {
        const KINDS: &str = "give one of: arch and seed (a zoo model), onnx and layers (your model), \
                             responses or rdms (your data file), or dataset (shipped data)";
        let given: Vec<&str> = [
            ("arch", self.arch.is_some() || self.seed.is_some()),
            ("onnx", self.onnx.is_some()),
            ("responses", self.responses.is_some()),
            ("rdms", self.rdms.is_some()),
            ("dataset", self.dataset.is_some()),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| *k)
        .collect();
        if given.len() != 1 {
            let what = if given.is_empty() { "none".to_string() } else { given.join(" and ") };
            return Err(Error::Spec(format!("{KINDS} (found {what})")));
        }
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
            if self.arch.is_none() && self.seed.is_none() && self.onnx.is_none() {
                return Err(Error::Spec("prune goes with a model (arch and seed, or onnx); data has no weights".into()));
            }
            crate::runtime::prune::check_fraction(f)?;
        }
        if self.key.is_some() && self.responses.is_none() && self.rdms.is_none() {
            return Err(Error::Spec("key names an array inside a responses or rdms file".into()));
        }
        match given[0] {
            "arch" => {
                let (Some(arch), Some(seed)) = (&self.arch, self.seed) else {
                    let missing = if self.arch.is_none() { "arch" } else { "seed" };
                    return Err(Error::Spec(format!("a zoo model needs arch and seed ({missing} is missing)")));
                };
                if onnx_only {
                    return Err(Error::Spec("size, mean, std and channels go with onnx; a zoo model has its own".into()));
                }
                Ok(ModelRef::Zoo { arch: Arch::parse(arch)?, seed })
            }
            "onnx" => {
                let file = self.onnx.as_deref().unwrap_or_default();
                let layers = match &self.layers {
                    None => return Err(Error::Spec(format!("onnx model {file} needs \"layers\": the tensor or node names to record (`idlab inspect {file}` lists them)"))),
                    Some(l) if l.is_empty() => return Err(Error::Spec(format!("onnx model {file}: layers is an empty list"))),
                    Some(l) => l.as_slice(),
                };
                if file.is_empty() {
                    return Err(Error::Spec("onnx is an empty file name".into()));
                }
                if self.size == Some(0) {
                    return Err(Error::Spec(format!("onnx model {file}: size must be positive")));
                }
                if let Some(s) = self.std {
                    if s.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                        return Err(Error::Spec(format!("onnx model {file}: std must be three positive numbers, got {s:?}")));
                    }
                }
                if let Some(m) = self.mean {
                    if m.iter().any(|v| !v.is_finite()) {
                        return Err(Error::Spec(format!("onnx model {file}: mean must be three finite numbers, got {m:?}")));
                    }
                }
                let norm = NormOverride { mean: self.mean, std: self.std, channels: self.channels };
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
}
