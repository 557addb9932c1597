//! Author mode: a first draft from the run on screen. One run step with the
//! spec, and a numeric question per chosen result path whose answer is read
//! from the student's own result at that path. Its tolerance comes from the
//! result's own variability beside the value where there is one (two standard
//! errors: `standard_errors` beside `values`, or across `per_subject`), else
//! a stated default wide enough for an answer typed to two decimals.

use super::answer::number_at;
use super::format::{Manifest, Step, Tolerance, FORMAT_VERSION};
use crate::error::{Error, Result};
use serde_json::{json, Value};

/// The default tolerance where the result holds no variability for the value.
pub const DEFAULT_TOLERANCE: Tolerance = Tolerance { abs: Some(0.005), rel: Some(0.01) };

/// `{manifest, files: {path: text}, notes: {stepId: why its tolerance}}` for `spec` and its `result`.
pub fn draft(spec: &Value, result: &Value, paths: &[String]) -> Result<Value> {
    let name = spec.get("name").and_then(Value::as_str).unwrap_or("the experiment").to_string();
    let spec_text = serde_json::to_string_pretty(spec).expect("a spec serialises");
    crate::experiment::Spec::from_json(&spec_text).map_err(|e| Error::Input(format!("the spec of this run: {e}")))?;
    let mut steps = vec![Step {
        id: "run-1".into(),
        kind: "run".into(),
        title: Some(format!("Run {name}")),
        spec: Some("specs/run-1.json".into()),
        ..Default::default()
    }];
    let mut notes = serde_json::Map::new();
    for (k, path) in paths.iter().enumerate() {
        let value = number_at(result, path).map_err(|e| Error::Input(format!("question {}: {e}", k + 1)))?;
        let (tolerance, why) = match variability(result, path) {
            Some((se, basis)) => (Tolerance { abs: Some(2.0 * se), rel: None }, format!("two standard errors ({basis}), {:.3}", 2.0 * se)),
            None => (DEFAULT_TOLERANCE, "default: 0.005 + 1% of the value (the result holds no variability for it)".to_string()),
        };
        let id = format!("q-{}", k + 1);
        notes.insert(id.clone(), json!(format!("the value in this run is {value}; tolerance: {why}")));
        steps.push(Step {
            id,
            kind: "numeric".into(),
            prompt: Some(describe(result, path)),
            answer: Some(json!({ "run": "run-1", "path": path })),
            tolerance: Some(tolerance),
            ..Default::default()
        });
    }
    let manifest = Manifest {
        idlab_assignment: FORMAT_VERSION,
        title: name.clone(),
        course: None,
        author: None,
        instructions: Some("instructions.md".into()),
        reveal: false,
        steps,
        files: vec![],
    };
    let about = spec.get("about").and_then(Value::as_str).map(|a| format!("{a}\n\n")).unwrap_or_default();
    let instructions = format!("# {name}\n\n{about}Run the experiment, then answer each question from your result.\n");
    Ok(json!({
        "manifest": manifest,
        "files": { "specs/run-1.json": spec_text, "instructions.md": instructions },
        "notes": notes,
    }))
}

/// The standard error the result holds beside the value at `path`, and where it comes from.
pub fn variability(result: &Value, path: &str) -> Option<(f64, &'static str)> {
    let parts: Vec<&str> = path.split('/').collect();
    if let Some(i) = parts.iter().position(|p| *p == "values") {
        let mut se = parts.clone();
        se[i] = "standard_errors";
        if let Some(x) = result.pointer(&se.join("/")).and_then(Value::as_f64).filter(|x| x.is_finite() && *x > 0.0) {
            return Some((x, "the result's standard error of the value"));
        }
        se[i] = "per_subject";
        let subjects: Vec<f64> = result.pointer(&se.join("/")).and_then(Value::as_array)?.iter().filter_map(Value::as_f64).collect();
        if subjects.len() >= 2 {
            let n = subjects.len() as f64;
            let mean = subjects.iter().sum::<f64>() / n;
            let var = subjects.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt();
            return (se > 0.0).then_some((se, "across subjects"));
        }
        return None;
    }
    let (parent, _) = path.rsplit_once('/')?;
    let parent = result.pointer(parent)?;
    for key in ["standard_error", "se", "sem"] {
        if let Some(x) = parent.get(key).and_then(Value::as_f64).filter(|x| *x > 0.0) {
            return Some((x, "the result's standard error"));
        }
    }
    None
}

/// A model's label by its id (`s0`, `t1`).
fn label(result: &Value, id: &str) -> String {
    result.get("models").and_then(Value::as_array).into_iter().flatten().find(|m| m.get("id").and_then(Value::as_str) == Some(id))
        .and_then(|m| m.get("label").and_then(Value::as_str)).unwrap_or(id).to_string()
}

fn layer(result: &Value, id: &str, k: &str) -> String {
    let i: usize = k.parse().unwrap_or(usize::MAX);
    result.get("models").and_then(Value::as_array).into_iter().flatten().find(|m| m.get("id").and_then(Value::as_str) == Some(id))
        .and_then(|m| m.pointer(&format!("/layers/{i}")).and_then(Value::as_str)).unwrap_or(k).to_string()
}

/// A prompt that says in words what the path reads, for the paths the page offers.
fn describe(result: &Value, path: &str) -> String {
    let p: Vec<&str> = path.split('/').skip(1).collect();
    let s = |ptr: String| result.pointer(&ptr).and_then(Value::as_str).unwrap_or("").to_string();
    match p.as_slice() {
        ["scores", k, "values", i, j] => {
            let base = format!("/scores/{k}");
            let (src, tgt) = (s(format!("{base}/source")), s(format!("{base}/target")));
            format!(
                "What {} score did you get for {} layer {} against {} layer {}?",
                s(format!("{base}/metric")), label(result, &src), layer(result, &src, i), label(result, &tgt), layer(result, &tgt, j)
            )
        }
        ["identifiability", k, "layers", l, field] => {
            let base = format!("/identifiability/{k}");
            format!(
                "By {}, what is the {} at layer {} of the target {}?",
                s(format!("{base}/metric")), field.replace('_', " "), s(format!("{base}/layers/{l}/layer")), label(result, &s(format!("{base}/target")))
            )
        }
        ["noise_ceilings", k, bound @ ("lower" | "upper")] => {
            format!("What is the {bound} bound of the noise ceiling of {}?", label(result, &s(format!("/noise_ceilings/{k}/target"))))
        }
        _ => format!("What is the value at `{path}` of your result?"),
    }
}
