//! What a TA runs: each hand-in report re-checked against the author's file,
//! never against what the report says of itself. Its content hash must verify
//! (an edited report is flagged), it must name this assignment's sha256, each
//! run's spec may differ from the author's only in its editable fields, and
//! every answer is checked again from the report's own results.

use super::answer::check_answer;
use super::open::Opened;
use super::report::{content_hash, parse_report};
use super::{canonical_json, sha256_hex};
use crate::error::Result;
use serde_json::{Map, Value};

/// The CSV header for `manifest`'s questions.
pub fn header(opened: &Opened) -> Vec<String> {
    let mut h: Vec<String> = ["student", "report", "content_hash_ok", "assignment_matches"].iter().map(|s| s.to_string()).collect();
    h.extend(opened.manifest.steps.iter().filter(|s| s.is_question()).map(|s| s.id.clone()));
    h.extend(["right", "checked", "score", "flags"].iter().map(|s| s.to_string()));
    h
}

/// One CSV row per report (`(file name, bytes)`, JSON or the HTML report): see [`header`].
/// A question's cell is `right`, `wrong`, `collected` (free text), `missing` or `error`.
pub fn grade(opened: &Opened, reports: &[(String, Vec<u8>)]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| crate::Error::State(format!("cannot write the grades CSV: {e}"));
    w.write_record(header(opened)).map_err(csv_err)?;
    for (file, bytes) in reports {
        w.write_record(row(opened, file, bytes)).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| crate::Error::State(format!("cannot write the grades CSV: {e}")))?;
    Ok(String::from_utf8(bytes).expect("csv of strings is UTF-8"))
}

/// The JSON of a report file: the file itself, or the JSON the HTML report embeds.
pub fn report_json(bytes: &[u8]) -> Result<Value> {
    const OPEN: &str = "<script type=\"application/json\" id=\"idlab-report\">";
    let text = String::from_utf8_lossy(bytes);
    if let Some(start) = text.find(OPEN) {
        let rest = &text[start + OPEN.len()..];
        let end = rest.find("</script>").unwrap_or(rest.len());
        return parse_report(rest[..end].as_bytes());
    }
    parse_report(bytes)
}

fn row(opened: &Opened, file: &str, bytes: &[u8]) -> Vec<String> {
    let m = &opened.manifest;
    let questions: Vec<_> = m.steps.iter().filter(|s| s.is_question()).collect();
    let doc = match report_json(bytes) {
        Ok(d) => d,
        Err(e) => {
            let mut r = vec![String::new(), file.to_string(), "no".into(), "no".into()];
            r.extend(questions.iter().map(|_| "error".to_string()));
            r.extend([String::new(), String::new(), String::new(), e.to_string()]);
            return r;
        }
    };
    let mut flags: Vec<String> = Vec::new();
    let hash_ok = doc.get("content_sha256").and_then(Value::as_str).is_some_and(|h| h.eq_ignore_ascii_case(&content_hash(&doc)));
    if !hash_ok {
        flags.push("content hash does not match: the report was edited after the lab made it".into());
    }
    let same = doc.pointer("/assignment/sha256").and_then(Value::as_str).is_some_and(|h| h.eq_ignore_ascii_case(&opened.sha256));
    if !same {
        flags.push("made from another version of the assignment file".into());
    }
    let steps: Vec<&Value> = doc.get("steps").and_then(Value::as_array).into_iter().flatten().collect();
    let step_of = |id: &str| steps.iter().copied().find(|s| s.get("id").and_then(Value::as_str) == Some(id));
    let mut results = Map::new();
    for s in m.steps.iter().filter(|s| s.kind == "run") {
        let Some(r) = step_of(&s.id) else {
            flags.push(format!("{}: not in the report", s.id));
            continue;
        };
        if let Some(result) = r.get("result") {
            results.insert(s.id.clone(), result.clone());
        } else {
            flags.push(format!("{}: not run", s.id));
        }
        if let (Some(theirs), Some(ours)) = (r.get("spec"), opened.specs.get(&s.id)) {
            if let Some(problem) = spec_change(s, ours, theirs) {
                flags.push(format!("{}: {problem}", s.id));
            }
            if r.get("spec_sha256").and_then(Value::as_str) != Some(sha256_hex(canonical_json(theirs).as_bytes()).as_str()) {
                flags.push(format!("{}: spec_sha256 does not match its spec", s.id));
            }
        }
    }
    let (mut right, mut checked) = (0usize, 0usize);
    let mut cells = Vec::new();
    for q in &questions {
        let answer = step_of(&q.id).and_then(|r| r.get("answer")).filter(|a| !a.is_null());
        if q.kind != "text" {
            checked += 1;
        }
        let cell = match answer {
            None => "missing".to_string(),
            Some(_) if q.kind == "text" => "collected".to_string(),
            Some(a) => match check_answer(m, &q.id, a, &results) {
                Ok(c) if c.correct == Some(true) => {
                    right += 1;
                    "right".into()
                }
                Ok(_) => "wrong".into(),
                Err(e) => {
                    flags.push(e.to_string());
                    "error".into()
                }
            },
        };
        cells.push(cell);
    }
    let student = doc.pointer("/student/name").and_then(Value::as_str).unwrap_or("").to_string();
    let mut r = vec![student, file.to_string(), yes(hash_ok), yes(same)];
    r.extend(cells);
    let score = if checked == 0 { String::new() } else { format!("{:.3}", right as f64 / checked as f64) };
    r.extend([right.to_string(), checked.to_string(), score, flags.join("; ")]);
    r
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// Why the student's spec is not the author's with only editable fields
/// changed (within their ranges), or None when it is.
pub fn spec_change(step: &super::Step, ours: &Value, theirs: &Value) -> Option<String> {
    let mut expect = ours.clone();
    for e in &step.editable {
        let Some(v) = theirs.pointer(&e.path) else { continue };
        if let Some(x) = v.as_f64() {
            if e.min.is_some_and(|lo| x < lo) || e.max.is_some_and(|hi| x > hi) || (e.integer && x.fract() != 0.0) {
                return Some(format!("{} = {x} is outside the range the assignment allows", e.path));
            }
        }
        if let Some(slot) = expect.pointer_mut(&e.path) {
            *slot = v.clone();
        }
    }
    (canonical_json(&expect) != canonical_json(theirs)).then(|| "the spec was changed beyond its editable fields".to_string())
}
