//! The versioned experiment spec: the only thing that crosses from the page to
//! the worker and from the CLI to the core. Results carry the spec they came from.

use crate::error::{Error, Result};
use crate::stimuli::sets;
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
    /// Layers to record on both models; all recorded layers of the architecture when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
    /// The similarity score; `cka` (linear CKA) in this version.
    pub metric: String,
}

/// Which images to show the models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StimuliSpec {
    /// A named set shipped with the lab (`kriegeskorte92`).
    pub set: String,
    /// Use only the first N images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// A zoo architecture and the seed of its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub arch: String,
    pub seed: u64,
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
        sets::image_paths(&self.stimuli.set, self.stimuli.limit)?;
        let n = self.stimuli.limit.unwrap_or(usize::MAX);
        if n < 3 {
            return Err(Error::Spec(format!("CKA needs at least 3 stimuli, the spec asks for {n}")));
        }
        for (side, m) in [("source", &self.source), ("target", &self.target)] {
            let arch = Arch::parse(&m.arch).map_err(|e| in_field(side, e))?;
            self.recorded_layers(arch).map_err(|e| in_field(side, e))?;
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
        assert_eq!(s.source.arch, "alexnet");
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
    }
}
