//! Checking an answer: the expected value is read from the student's own
//! result by a JSON Pointer (or fixed by the author), and a numeric answer is
//! right within the step's tolerance. When the author does not reveal the
//! expected value, "off by" is rounded to two significant digits, so the
//! student learns how far off they are without reading the value back exactly.

use super::format::{Manifest, Step, Tolerance};
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::{Map, Value};

/// The verdict on one answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Check {
    /// None for a free-text answer (collected, not checked).
    pub correct: Option<bool>,
    /// |answer - expected| of a numeric answer.
    pub off_by: Option<f64>,
    /// The author's hint, when the answer is wrong.
    pub hint: Option<String>,
    /// The expected value, only when the author reveals it.
    pub expected: Option<f64>,
}

/// Correct when |x - expected| <= abs + rel * |expected| (no tolerance: equal).
pub fn within(x: f64, expected: f64, tol: Option<Tolerance>) -> bool {
    let tol = tol.unwrap_or_default();
    let allowed = tol.abs.unwrap_or(0.0) + tol.rel.unwrap_or(0.0) * expected.abs();
    (x - expected).abs() <= allowed + 1e-12 * expected.abs().max(1.0)
}

/// A number at a JSON Pointer (true and false read as 1 and 0), or why not.
pub fn number_at(doc: &Value, pointer: &str) -> std::result::Result<f64, String> {
    match doc.pointer(pointer) {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("{pointer} is not a finite number")),
        Some(Value::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
        Some(Value::Null) => Err(format!("{pointer} is null in the result (undefined there; see the result's warnings)")),
        Some(other) => Err(format!("{pointer} is not a number in the result (it is {})", kind_of(other))),
        None => Err(format!("the result has no {pointer}")),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        _ => "not a number",
    }
}

/// A numeric step's expected value: fixed, or from its run's result in `results`.
pub fn expected_number(step: &Step, results: &Map<String, Value>) -> Result<f64> {
    let answer = step.answer.as_ref().ok_or_else(|| Error::Input(format!("step {} has no answer", step.id)))?;
    if let Some(v) = answer.get("value") {
        return v.as_f64().ok_or_else(|| Error::Input(format!("step {}: answer.value is not a number", step.id)));
    }
    let (Some(run), Some(path)) = (answer.get("run").and_then(Value::as_str), answer.get("path").and_then(Value::as_str)) else {
        return Err(Error::Input(format!("step {}: answer needs {{\"run\", \"path\"}} or {{\"value\"}}", step.id)));
    };
    let result = results.get(run).filter(|r| !r.is_null()).ok_or_else(|| Error::Input(format!("step {}: run step {run} has no result yet; run it first", step.id)))?;
    number_at(result, path).map_err(|e| Error::Input(format!("step {}: {e}", step.id)))
}

/// A student's numeric answer: a number, or text that parses as one.
pub fn answer_number(answer: &Value) -> Option<f64> {
    match answer {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// A choice answer's index: a number, or the option's text.
fn choice_index(step: &Step, answer: &Value) -> Option<usize> {
    match answer {
        Value::Number(n) => n.as_u64().map(|i| i as usize),
        Value::String(s) => step.options.iter().position(|o| o == s).or_else(|| s.trim().parse().ok()),
        _ => None,
    }
}

/// Two significant digits.
fn round2(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// Checks `answer` to step `step_id` (see [`Check`]); `results` maps run step ids to result documents.
pub fn check_answer(manifest: &Manifest, step_id: &str, answer: &Value, results: &Map<String, Value>) -> Result<Check> {
    let step = manifest.step(step_id).ok_or_else(|| Error::Input(format!("the assignment has no step {step_id}")))?;
    let reveal = manifest.reveals(step);
    let wrong_hint = |correct: bool| if correct { None } else { step.hint.clone() };
    match step.kind.as_str() {
        "numeric" => {
            let expected = expected_number(step, results)?;
            let Some(x) = answer_number(answer) else {
                return Err(Error::Input(format!("step {step_id}: the answer is not a number")));
            };
            let correct = within(x, expected, step.tolerance);
            let off = (x - expected).abs();
            Ok(Check {
                correct: Some(correct),
                off_by: Some(if reveal { off } else { round2(off) }),
                hint: wrong_hint(correct),
                expected: reveal.then_some(expected),
            })
        }
        "choice" => {
            let expected = step.answer.as_ref().and_then(Value::as_u64).ok_or_else(|| Error::Input(format!("step {step_id}: answer is not an option's index")))?;
            let correct = choice_index(step, answer) == Some(expected as usize);
            Ok(Check { correct: Some(correct), off_by: None, hint: wrong_hint(correct), expected: reveal.then_some(expected as f64) })
        }
        "text" => Ok(Check { correct: None, off_by: None, hint: None, expected: None }),
        other => Err(Error::Input(format!("step {step_id} is a {other} step, not a question"))),
    }
}
