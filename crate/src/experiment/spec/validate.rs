//! Everything about a spec that can be checked before any work starts.

use super::models::ModelRef;
use super::types::{Spec, SPEC_VERSION};
use crate::error::{Error, Result};

impl Spec {
    /// Checks everything that can be checked before any work starts.
    pub fn validate(&self) -> Result<()> {
        if self.idlab != SPEC_VERSION {
            return Err(Error::Spec(format!(
                "spec version {} is not supported; this build reads versions 1 and {SPEC_VERSION}",
                self.idlab
            )));
        }
        if self.metrics.is_empty() {
            return Err(Error::Spec("metrics is an empty list; name at least one (e.g. {\"name\": \"cka\"})".into()));
        }
        for (i, m) in self.metrics.iter().enumerate() {
            m.metric().map_err(|e| in_field(&format!("metrics[{i}]"), as_spec(e)))?;
        }
        if let Some(names) = self.specificity.as_ref().and_then(|s| s.metrics.as_ref()) {
            if names.is_empty() {
                return Err(Error::Spec("specificity.metrics is an empty list; leave it out to analyse every metric".into()));
            }
            for n in names {
                if !self.metrics.iter().any(|m| &m.name == n) {
                    let known: Vec<&str> = self.metrics.iter().map(|m| m.name.as_str()).collect();
                    return Err(Error::Spec(format!("specificity.metrics names \"{n}\", which is not among the spec's metrics ({})", known.join(", "))));
                }
            }
        }
        if let Some(x) = &self.export {
            x.validate()?;
        }
        for (i, set) in self.stimulus_sets().into_iter().enumerate() {
            let field = if i == 0 { "stimuli".to_string() } else { format!("more_stimuli[{}]", i - 1) };
            let n = set.resolve().map_err(|e| in_field(&field, e))?.names.len();
            if n < 3 && !set.is_upload() {
                return Err(Error::Spec(format!("{field}: the metrics need at least 3 stimuli, the spec asks for {n}")));
            }
        }
        if self.sources.is_empty() || self.targets.is_empty() {
            return Err(Error::Spec("give at least one source and one target".into()));
        }
        for (role, list) in [("sources", &self.sources), ("targets", &self.targets)] {
            for (i, m) in list.iter().enumerate() {
                let field = format!("{role}[{i}]");
                if role == "sources" && m.subsample.is_some() {
                    return Err(Error::Spec(format!("{field}: subsample is for targets (a partly recorded system)")));
                }
                match m.resolve().map_err(|e| in_field(&field, e))? {
                    ModelRef::Zoo { arch, .. } => {
                        self.recorded_layers(arch, m).map_err(|e| in_field(&field, e))?;
                    }
                    ModelRef::Onnx { .. } | ModelRef::Tflite { .. } => {}
                    _ if role == "sources" => {
                        return Err(Error::Spec(format!("{field}: a source is a model (arch and seed or weights, onnx, or tflite); data files are targets")));
                    }
                    ModelRef::Dataset { name } => {
                        crate::experiment::datasets::find(name, &self.stimuli.set).map_err(|e| in_field(&field, e))?;
                    }
                    _ => {}
                }
            }
        }
        if let Some(c) = &self.classes {
            c.resolve()?;
            if !self.targets.iter().any(|t| matches!(t.resolve(), Ok(ModelRef::Zoo { .. } | ModelRef::Onnx { .. } | ModelRef::Tflite { .. }))) {
                return Err(Error::Spec("classes compares sources on model targets; the spec has none".into()));
            }
        }
        Ok(())
    }
}

/// Metric-name errors read as spec errors here.
fn as_spec(e: Error) -> Error {
    match e {
        Error::Input(m) => Error::Spec(m),
        other => other,
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
    use crate::experiment::spec::{Spec, DEFAULT_PRESET as DEFAULT};

    fn with(f: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        f(&mut v);
        Spec::from_json(&v.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_problem() {
        use serde_json::json;
        assert!(with(|v| v["sources"][0]["arch"] = "nonexistent".into()).contains("sources[0]: unknown architecture \"nonexistent\""));
        assert!(with(|v| v["idlab"] = 7.into()).contains("version 7"));
        assert!(with(|v| v["metrics"][0]["name"] = "rsa-magic".into()).contains("rsa-magic"));
        assert!(with(|v| v["metrics"] = json!([{"name": "procrustes"}])).contains("not available in experiments yet"));
        let e = with(|v| v["metrics"] = json!([{"name": "soft-matching"}]));
        assert!(e.contains("metrics[0]: soft-matching") && e.contains("it is 3000, the default"), "{e}");
        assert!(with(|v| v["metrics"] = json!([{"name": "soft-matching", "params": {"max_units": 1001}}])).contains("it is 1001)"));
        assert!(with(|v| v["metrics"] = json!([])).contains("metrics is an empty list"));
        assert!(with(|v| v["specificity"] = json!({"metrics": ["rsa"]})).contains("specificity.metrics names \"rsa\", which is not among the spec's metrics (cka)"));
        assert!(with(|v| v["specificity"] = json!({"metrics": []})).contains("empty list"));
        assert!(with(|v| v["specificity"] = json!(true)).contains("expected struct SpecificitySpec"));
        assert!(with(|v| v["metrics"] = json!([{"name": "regression", "params": {"folds": 3, "lambada": 1}}])).contains("lambada"));
        assert!(with(|v| v["stimuli"]["set"] = "no-such-set".into()).contains("no-such-set"));
        assert!(with(|v| v["layers"] = json!(["features.99"])).contains("features.99"));
        assert!(with(|v| v["targets"][0]["layers"] = json!(["features.98"])).contains("targets[0]: ") );
        assert!(with(|v| v["stimuli"]["limit"] = 2.into()).contains("at least 3"));
        assert!(with(|v| v["colour"] = "blue".into()).contains("unknown field `colour`"));
        assert!(with(|v| v["sources"] = json!([])).contains("at least one source"));
        let kinds = "sources[0]: give one of: arch and seed";
        assert!(with(|v| v["sources"][0]["onnx"] = "m.onnx".into()).contains(kinds));
        assert!(with(|v| v["sources"][0]["onnx"] = "m.onnx".into()).contains("found arch and onnx"));
        assert!(with(|v| v["sources"][0] = json!({"onnx": "m.onnx"})).contains("sources[0]: onnx model m.onnx needs \"layers\""));
        assert!(with(|v| v["targets"][0] = json!({"onnx": "m.onnx", "layers": []})).contains("targets[0]: onnx model m.onnx: layers is an empty list"));
        assert!(with(|v| v["sources"][0] = json!({"arch": "alexnet"})).contains("seed is missing"));
        assert!(with(|v| v["sources"][0] = json!({})).contains("found none"));
        assert!(with(|v| v["sources"][0] = json!({"responses": "it.npy"})).contains("data files are targets"));
        assert!(with(|v| v["targets"][0] = json!({"dataset": "nope"})).contains("unknown dataset \"nope\""));
        assert!(with(|v| v["targets"][0] = json!({"rdms": "r.npy", "layers": ["x"]})).contains("rdms takes no layers"));
        assert!(with(|v| v["targets"][0] = json!({"dataset": "kriegeskorte92/human-it", "noise": {"gain": 1}})).contains("RDMs have none"));
        assert!(with(|v| v["targets"][0]["noise"] = json!({"gain": -1})).contains("targets[0]: noise.gain must be finite and at least 0, got -1"));
        assert!(with(|v| v["targets"][0]["noise"] = json!({"gain": 1, "sed": 2})).contains("unknown field `sed`"));
        assert!(with(|v| v["sources"][0]["prune"] = 0.99.into()).contains("sources[0]: prune must be a fraction from 0 to 0.95, got 0.99"));
        assert!(with(|v| v["targets"][0] = json!({"dataset": "kriegeskorte92/monkey-it", "prune": 0.5})).contains("data has no weights"));
        assert!(with(|v| {
            v["stimuli"]["set"] = "textures".into();
            v["targets"][0] = json!({"dataset": "kriegeskorte92/human-it"});
        })
        .contains("recorded on the kriegeskorte92 images"));
    }
}
