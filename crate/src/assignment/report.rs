//! The hand-in report (`idlab_report: 1`): the student's name, every answer
//! with its check, every run's spec, input hashes and whole result, the lab's
//! version, and `content_sha256`, the sha256 of the report's canonical JSON
//! (keys sorted, no whitespace) without that field, so that any edit shows.
//! The HTML form shows the same and carries the JSON in a script element.

use super::answer::check_answer;
use super::format::Manifest;
use super::{canonical_json, sha256_hex};
use crate::error::{Error, Result};
use serde_json::{json, Map, Value};

/// The report format version.
pub const REPORT_VERSION: u64 = 1;

/// Which lab made the report: the crate's version and the build (`native`, `single`, `threads`).
pub struct Lab<'a> {
    pub version: &'a str,
    pub build: &'a str,
}

/// The report JSON (with its content hash) and its HTML.
pub fn report(
    manifest: &Manifest,
    sha256: &str,
    student: &Value,
    answers: &Map<String, Value>,
    results: &Map<String, Value>,
    specs: &Map<String, Value>,
    lab: Lab,
    created: &str,
) -> Result<(Value, String)> {
    let name = student.get("name").and_then(Value::as_str).unwrap_or("").trim().to_string();
    let mut steps = Vec::new();
    for s in &manifest.steps {
        let mut o = Map::new();
        o.insert("id".into(), json!(s.id));
        o.insert("kind".into(), json!(s.kind));
        if s.kind == "run" {
            if let Some(spec) = specs.get(&s.id).or_else(|| results.get(&s.id).and_then(|r| r.get("spec"))) {
                o.insert("spec_sha256".into(), json!(sha256_hex(canonical_json(spec).as_bytes())));
                o.insert("spec".into(), spec.clone());
            }
            if let Some(r) = results.get(&s.id).filter(|r| !r.is_null()) {
                if let Some(inputs) = r.get("inputs") {
                    o.insert("inputs".into(), inputs.clone());
                }
                o.insert("result".into(), r.clone());
            }
        } else if let Some(a) = answers.get(&s.id).filter(|a| !a.is_null() && a.as_str() != Some("")) {
            o.insert("answer".into(), a.clone());
            if s.kind != "text" {
                let check = match check_answer(manifest, &s.id, a, results) {
                    Ok(c) => json!({ "correct": c.correct, "off_by": c.off_by }),
                    Err(e) => json!({ "correct": Value::Null, "off_by": Value::Null, "error": e.to_string() }),
                };
                o.insert("check".into(), check);
            }
        }
        steps.push(Value::Object(o));
    }
    let mut doc = json!({
        "idlab_report": REPORT_VERSION,
        "assignment": { "title": manifest.title, "course": manifest.course, "author": manifest.author, "sha256": sha256 },
        "student": { "name": name },
        "lab": { "version": lab.version, "build": lab.build },
        "created": created,
        "steps": steps,
    });
    let hash = content_hash(&doc);
    doc["content_sha256"] = json!(hash);
    let html = html(manifest, &doc);
    Ok((doc, html))
}

/// sha256 of the canonical JSON of `doc` without its `content_sha256`.
pub fn content_hash(doc: &Value) -> String {
    let mut copy = doc.clone();
    if let Some(o) = copy.as_object_mut() {
        o.remove("content_sha256");
    }
    sha256_hex(canonical_json(&copy).as_bytes())
}

/// Whether a report's `content_sha256` matches its content (false when it has none).
pub fn verify_report(doc: &Value) -> bool {
    doc.get("content_sha256").and_then(Value::as_str).is_some_and(|h| h.eq_ignore_ascii_case(&content_hash(doc)))
}

/// A report from JSON text, refusing what is not one.
pub fn parse_report(text: &[u8]) -> Result<Value> {
    let doc: Value = serde_json::from_slice(text).map_err(|e| Error::Input(format!("not an idlab report: {e}")))?;
    match doc.get("idlab_report").and_then(Value::as_u64) {
        Some(v) if v <= REPORT_VERSION => Ok(doc),
        Some(v) => Err(Error::Input(format!("a report of a newer idlab (version {v}; this one reads {REPORT_VERSION})"))),
        None => Err(Error::Input("not an idlab report: it has no \"idlab_report\" version".into())),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The report as one self-contained HTML page: every string escaped, the JSON
/// in `<script type="application/json" id="idlab-report">` (`<` written as \u003c); its CSP
/// lets nothing run or load, should a string ever slip through (the grader opens it from disk).
fn html(manifest: &Manifest, doc: &Value) -> String {
    let mut rows = String::new();
    for (s, r) in manifest.steps.iter().zip(doc["steps"].as_array().into_iter().flatten()) {
        let title = s.title.as_deref().or(s.prompt.as_deref()).unwrap_or("");
        let (answer, verdict) = if s.kind == "run" {
            let findings: Vec<String> = r.pointer("/result/findings").and_then(Value::as_array).into_iter().flatten().map(show).collect();
            let what = match r.get("result") {
                Some(_) => format!("ran; spec sha256 {}", show(&r["spec_sha256"])),
                None => "not run".to_string(),
            };
            (what, findings.iter().map(|f| format!("<li>{}</li>", esc(f))).collect::<String>())
        } else {
            let answer = match (s.kind.as_str(), r.get("answer")) {
                (_, None) => "(no answer)".to_string(),
                ("choice", Some(a)) => a.as_u64().and_then(|k| s.options.get(k as usize)).cloned().unwrap_or_else(|| show(a)),
                (_, Some(a)) => show(a),
            };
            let verdict = match r.pointer("/check/correct") {
                Some(Value::Bool(true)) => "correct".to_string(),
                Some(Value::Bool(false)) => match r.pointer("/check/off_by").and_then(Value::as_f64) {
                    Some(off) => format!("wrong (off by {off})"),
                    None => "wrong".to_string(),
                },
                _ if s.kind == "text" => "collected".to_string(),
                _ => String::new(),
            };
            (answer, esc(&verdict))
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&s.id),
            esc(&s.kind),
            esc(title),
            esc(&answer),
            if s.kind == "run" { format!("<ul>{verdict}</ul>") } else { verdict }
        ));
    }
    let json = serde_json::to_string(doc).expect("a report serialises").replace('<', "\\u003c");
    let a = &doc["assignment"];
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>{title} — report of {student}</title>\n\
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}}code{{word-break:break-all}}</style></head>\n\
<body><h1>{title}</h1>\n<p>{course} {author}</p>\n<p>Student: <strong>{student}</strong> · created {created} · idlab {version} ({build})</p>\n\
<table><thead><tr><th>step</th><th>kind</th><th>title / prompt</th><th>answer</th><th>check / findings</th></tr></thead><tbody>\n{rows}</tbody></table>\n\
<p>Assignment sha256 <code>{asha}</code><br>Content sha256 <code>{hash}</code> (sha256 of the JSON below, keys sorted, without this field; <code>idlab assignment grade</code> checks it)</p>\n\
<script type=\"application/json\" id=\"idlab-report\">{json}</script>\n</body></html>\n",
        title = esc(&show(&a["title"])),
        course = esc(&show(&a["course"])),
        author = esc(&show(&a["author"])),
        student = esc(&show(&doc["student"]["name"])),
        created = esc(&show(&doc["created"])),
        version = esc(&show(&doc["lab"]["version"])),
        build = esc(&show(&doc["lab"]["build"])),
        asha = esc(&show(&a["sha256"])),
        hash = esc(&show(&doc["content_sha256"])),
    )
}
