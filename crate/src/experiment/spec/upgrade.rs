//! Reading older spec versions: version 1 (one `source`, one `target`, one
//! `metric`) is rewritten as the current version before parsing.

use super::types::{Spec, SPEC_VERSION};
use crate::error::{Error, Result};

/// The spec JSON at [`SPEC_VERSION`]: a version 1 spec rewritten, anything
/// else returned as it is (a wrong version is `validate`'s to report). Pure, so
/// the page upgrades what it loads with the same rules as the CLI.
pub fn upgrade(mut value: serde_json::Value) -> Result<serde_json::Value> {
    if value.get("idlab").and_then(|v| v.as_u64()) == Some(1) {
        upgrade_v1(&mut value)?;
    }
    Ok(value)
}

/// The most bytes a spec's JSON may have: 1 MiB, about 100 times the largest
/// preset (11 kB); a spec comes from strangers (permalinks, embeds), and its
/// text is parsed whole before anything checks it.
pub const MAX_SPEC_BYTES: usize = 1 << 20;

/// How deep a spec's JSON may nest: serde_json's own recursion limit (128),
/// which keeps the parser's stack bounded; the deepest preset nests 5.
const MAX_SPEC_DEPTH: usize = 128;

impl Spec {
    /// Parses and validates a spec from JSON text; a version 1 spec is upgraded.
    /// Text over [`MAX_SPEC_BYTES`] is refused unread.
    pub fn from_json(text: &str) -> Result<Spec> {
        if text.len() > MAX_SPEC_BYTES {
            return Err(Error::Limit(format!(
                "the spec is {:.1} MiB of JSON, more than the {} MiB a spec may be",
                text.len() as f64 / (1u64 << 20) as f64,
                MAX_SPEC_BYTES >> 20
            )));
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            if e.to_string().starts_with("recursion limit exceeded") {
                Error::Limit(format!(
                    "the spec's JSON nests {MAX_SPEC_DEPTH} or more levels deep (line {}, column {})",
                    e.line(),
                    e.column()
                ))
            } else {
                Error::Spec(e.to_string())
            }
        })?;
        let spec: Spec = serde_json::from_value(upgrade(value)?).map_err(|e| Error::Spec(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }
}

/// Rewrites a version 1 spec (`source`, `target`, `metric`) as version 2.
fn upgrade_v1(v: &mut serde_json::Value) -> Result<()> {
    let Some(o) = v.as_object_mut() else { return Ok(()) };
    for (old, new) in [("source", "sources"), ("target", "targets")] {
        match o.remove(old) {
            Some(side) => {
                o.insert(new.into(), serde_json::Value::Array(vec![side]));
            }
            None => return Err(Error::Spec(format!("a version 1 spec needs \"{old}\""))),
        }
    }
    match o.remove("metric") {
        Some(serde_json::Value::String(m)) => {
            o.insert("metrics".into(), serde_json::json!([{ "name": m }]));
        }
        _ => return Err(Error::Spec("a version 1 spec needs \"metric\" (a name)".into())),
    }
    o.insert("idlab".into(), SPEC_VERSION.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::spec::{MetricSpec, ModelSpec, DEFAULT_PRESET as DEFAULT};

    #[test]
    fn default_preset_is_valid() {
        let s = Spec::from_json(DEFAULT).unwrap();
        assert_eq!(s.sources[0].arch.as_deref(), Some("alexnet"));
        assert_ne!(s.sources[0].seed, s.targets[0].seed);
        assert_eq!(s.metrics[0].name, "cka");
    }

    #[test]
    fn a_version_1_spec_is_upgraded() {
        let v1 = r#"{"idlab": 1, "stimuli": {"set": "kriegeskorte92", "limit": 5},
                     "source": {"arch": "alexnet", "seed": 0}, "target": {"arch": "alexnet", "seed": 1}, "metric": "cka"}"#;
        let s = Spec::from_json(v1).unwrap();
        assert_eq!(s.idlab, SPEC_VERSION);
        assert_eq!(s.sources, vec![ModelSpec::zoo("alexnet", 0)]);
        assert_eq!(s.targets, vec![ModelSpec::zoo("alexnet", 1)]);
        assert_eq!(s.metrics, vec![MetricSpec { name: "cka".into(), params: None }]);
        let e = Spec::from_json(r#"{"idlab": 1, "stimuli": {"set": "kriegeskorte92"}, "source": {"arch": "alexnet", "seed": 0}, "metric": "cka"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs \"target\""), "{e}");
    }

    #[test]
    fn upgrade_rewrites_only_version_1() {
        use serde_json::json;
        let v1 = json!({"idlab": 1, "name": "t", "source": {"arch": "alexnet", "seed": 0}, "target": {"dataset": "d"}, "metric": "rsa"});
        let v2 = json!({"idlab": SPEC_VERSION, "name": "t", "sources": [{"arch": "alexnet", "seed": 0}], "targets": [{"dataset": "d"}], "metrics": [{"name": "rsa"}]});
        assert_eq!(upgrade(v1).unwrap(), v2);
        assert_eq!(upgrade(v2.clone()).unwrap(), v2);
        for other in [json!({"idlab": 7, "source": 1}), json!([1]), json!("text")] {
            assert_eq!(upgrade(other.clone()).unwrap(), other);
        }
        let e = upgrade(json!({"idlab": 1, "source": {}, "target": {}, "metric": 3})).unwrap_err().to_string();
        assert!(e.contains("needs \"metric\" (a name)"), "{e}");
    }
}
