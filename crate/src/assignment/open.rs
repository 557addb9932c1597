//! Opening a `.idlab.zip`: everything is checked before anything runs (the
//! version, every listed file's sha256 and size, no unlisted file, every spec
//! as `idlab run` validates it, answers that name real run steps, Markdown
//! without raw HTML or unsafe links), each refusal naming what is wrong.

use super::format::{Manifest, FORMAT_VERSION};
use super::{markdown, sha256_hex};
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Cursor;

/// An opened assignment, everything the page needs to show and run it.
#[derive(Clone, Debug)]
pub struct Opened {
    pub manifest: Manifest,
    /// sha256 of the `.idlab.zip` bytes (the report names the file by it).
    pub sha256: String,
    /// The instructions' Markdown ("" when there are none).
    pub instructions: String,
    /// Each run step's spec, by step id.
    pub specs: BTreeMap<String, Value>,
    /// The data files (under `data/`): path, the file name a spec uses, bytes.
    pub files: Vec<DataFile>,
}

#[derive(Clone, Debug)]
pub struct DataFile {
    pub path: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

fn refuse(msg: String) -> Error {
    Error::Input(msg)
}

/// Reads and validates the zip's bytes.
pub fn open(bytes: &[u8]) -> Result<Opened> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| refuse(format!("this file is not an idlab assignment: it is not a zip archive ({e})")))?;
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| refuse(format!("the assignment's zip is damaged: entry {i} cannot be read ({e})")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        // Bounded as a stimulus zip's entries are: a claimed size is not
        // allocated before it is checked (found by fuzzing, crate/fuzz/regressions/assignment/).
        use crate::data::archive::{read_entry, EntryError, MAX_ENTRY_BYTES};
        let data = read_entry(&mut entry).map_err(|e| match e {
            EntryError::Io(e) => refuse(format!("the assignment's zip is damaged: {name} cannot be read ({e})")),
            EntryError::Claims(_) | EntryError::Inflates(_) => {
                refuse(format!("the assignment's {name} unpacks to more than {} MiB, more than idlab reads from one file", MAX_ENTRY_BYTES >> 20))
            }
        })?;
        entries.insert(name, data);
    }
    let Some(json) = entries.remove("assignment.json") else {
        return Err(refuse("this file is not an idlab assignment: the zip has no assignment.json".into()));
    };
    let value: Value = serde_json::from_slice(&json).map_err(|e| refuse(format!("assignment.json is not valid JSON: {e}")))?;
    let manifest = parse_manifest(value)?;
    let (specs, instructions) = validate(&manifest, &entries, true)?;
    let files = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("data/"))
        .map(|f| DataFile { path: f.path.clone(), name: file_name(&f.path).to_string(), bytes: entries[&f.path].clone() })
        .collect();
    Ok(Opened { manifest, sha256: sha256_hex(bytes), instructions, specs, files })
}

/// The last component of a path: the name a spec uses for a data file.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The manifest from JSON, refusing another format's file and a newer version first.
pub fn parse_manifest(value: Value) -> Result<Manifest> {
    let Some(version) = value.get("idlab_assignment") else {
        return Err(refuse("this file is not an idlab assignment: assignment.json has no \"idlab_assignment\" version".into()));
    };
    let Some(version) = version.as_u64() else {
        return Err(refuse(format!("assignment.json: \"idlab_assignment\" must be a whole number, not {version}")));
    };
    if version > FORMAT_VERSION {
        return Err(refuse(format!(
            "this assignment was made by a newer idlab: it is format version {version}, this lab reads version {FORMAT_VERSION}; open it in a newer lab"
        )));
    }
    if version == 0 {
        return Err(refuse("assignment.json: \"idlab_assignment\" 0 is not a version; the current one is 1".into()));
    }
    serde_json::from_value(value).map_err(|e| refuse(format!("assignment.json: {e}")))
}

/// Checks the manifest against the zip's files (`check_hashes`: the listed
/// sha256 and sizes must match; `pack` fills them first). Returns each run
/// step's spec and the instructions' text.
pub fn validate(m: &Manifest, files: &BTreeMap<String, Vec<u8>>, check_hashes: bool) -> Result<(BTreeMap<String, Value>, String)> {
    if m.title.trim().is_empty() {
        return Err(refuse("assignment.json: the title is empty".into()));
    }
    // Files: each listed one present with its hash, nothing unlisted.
    let mut listed = std::collections::BTreeSet::new();
    for f in &m.files {
        if f.path == "assignment.json" || f.path.starts_with('/') || f.path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(refuse(format!("assignment.json lists a file with a path it cannot have: \"{}\"", f.path)));
        }
        if !listed.insert(f.path.as_str()) {
            return Err(refuse(format!("assignment.json lists {} twice", f.path)));
        }
        let Some(bytes) = files.get(&f.path) else {
            return Err(refuse(format!("{} is listed in assignment.json but missing from the file", f.path)));
        };
        if check_hashes {
            let Some(want) = f.sha256.as_deref() else {
                return Err(refuse(format!("{}: assignment.json gives no sha256 for it (idlab assignment pack fills them)", f.path)));
            };
            let got = sha256_hex(bytes);
            if !want.eq_ignore_ascii_case(&got) {
                return Err(refuse(format!("{} has been altered: its sha256 is {got}, assignment.json lists {want}", f.path)));
            }
            if let Some(n) = f.bytes {
                if n != bytes.len() as u64 {
                    return Err(refuse(format!("{} has been altered: it has {} bytes, assignment.json lists {n}", f.path, bytes.len())));
                }
            }
        }
    }
    if let Some(extra) = files.keys().find(|p| !listed.contains(p.as_str())) {
        return Err(refuse(format!("{extra} is in the file but not listed in assignment.json (every file must be listed with its sha256)")));
    }
    let text_of = |path: &str, what: &str| -> Result<String> {
        let bytes = files.get(path).filter(|_| listed.contains(path)).ok_or_else(|| refuse(format!("{what} {path} is not among the listed files")))?;
        String::from_utf8(bytes.clone()).map_err(|_| refuse(format!("{path} is not UTF-8 text")))
    };
    let instructions = match &m.instructions {
        Some(path) => {
            let text = text_of(path, "the instructions file")?;
            markdown::check(&text, path)?;
            text
        }
        None => String::new(),
    };
    if m.steps.is_empty() {
        return Err(refuse("assignment.json: steps is empty; an assignment needs at least one step".into()));
    }
    let data_names: Vec<&str> = m.files.iter().filter(|f| f.path.starts_with("data/")).map(|f| file_name(&f.path)).collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut specs = BTreeMap::new();
    for (i, s) in m.steps.iter().enumerate() {
        if s.id.trim().is_empty() {
            return Err(refuse(format!("step {} has no id", i + 1)));
        }
        if !ids.insert(s.id.as_str()) {
            return Err(refuse(format!("two steps have the id {}", s.id)));
        }
        let id = &s.id;
        for (field, text) in [("text", &s.text), ("prompt", &s.prompt), ("hint", &s.hint)] {
            if let Some(t) = text {
                markdown::check(t, &format!("step {id} {field}"))?;
            }
        }
        match s.kind.as_str() {
            "run" => {
                let path = s.spec.as_deref().ok_or_else(|| refuse(format!("step {id}: a run step needs \"spec\", the spec file's path")))?;
                let text = text_of(path, &format!("step {id}: the spec file"))?;
                let spec = crate::experiment::Spec::from_json(&text).map_err(|e| refuse(format!("step {id}: {path}: {e}")))?;
                let value: Value = serde_json::from_str(&text).map_err(|e| refuse(format!("step {id}: {path}: {e}")))?;
                for e in &s.editable {
                    if value.pointer(&e.path).is_none() {
                        return Err(refuse(format!("step {id}: editable field {} is not in {path}", e.path)));
                    }
                    if let (Some(lo), Some(hi)) = (e.min, e.max) {
                        if lo > hi {
                            return Err(refuse(format!("step {id}: editable field {}: min {lo} is above max {hi}", e.path)));
                        }
                    }
                }
                let needs = crate::experiment::needs::needs_of_json(&text).map_err(|e| refuse(format!("step {id}: {path}: {e}")))?;
                let own = needs.models.iter().chain(needs.data.iter()).chain(needs.weights.iter().filter(|w| w.kind == "file").map(|w| &w.name));
                for name in own {
                    if !data_names.contains(&file_name(name)) {
                        return Err(refuse(format!("step {id}: {path} needs the file {name}, which the assignment does not hold under data/")));
                    }
                }
                if spec.stimuli.is_upload() {
                    return Err(refuse(format!("step {id}: {path} takes uploaded stimuli, which an assignment cannot carry yet; use a shipped stimulus set")));
                }
                specs.insert(id.clone(), value);
            }
            "numeric" => {
                let a = s.answer.as_ref().ok_or_else(|| refuse(format!("step {id}: a numeric question needs \"answer\"")))?;
                if let Some(v) = a.get("value") {
                    if !v.is_number() {
                        return Err(refuse(format!("step {id}: answer.value must be a number")));
                    }
                } else {
                    let run = a.get("run").and_then(Value::as_str);
                    let path = a.get("path").and_then(Value::as_str);
                    let (Some(run), Some(path)) = (run, path) else {
                        return Err(refuse(format!("step {id}: answer needs {{\"run\": STEP, \"path\": POINTER}} or {{\"value\": NUMBER}}")));
                    };
                    let names_run = m.steps[..i].iter().any(|r| r.id == run && r.kind == "run");
                    if !names_run {
                        return Err(refuse(format!("step {id}: answer.run names \"{run}\", which is not a run step before it")));
                    }
                    if !(path.is_empty() || path.starts_with('/')) {
                        return Err(refuse(format!("step {id}: answer.path \"{path}\" is not a JSON Pointer (it starts with /)")));
                    }
                }
                if let Some(t) = s.tolerance {
                    if t.abs.is_some_and(|x| !(x >= 0.0)) || t.rel.is_some_and(|x| !(x >= 0.0)) {
                        return Err(refuse(format!("step {id}: tolerance abs and rel must be 0 or more")));
                    }
                }
            }
            "choice" => {
                if s.options.len() < 2 {
                    return Err(refuse(format!("step {id}: a choice question needs at least two options")));
                }
                let ok = s.answer.as_ref().and_then(Value::as_u64).is_some_and(|k| (k as usize) < s.options.len());
                if !ok {
                    return Err(refuse(format!("step {id}: answer must be the right option's index, 0 to {}", s.options.len() - 1)));
                }
                for (k, o) in s.options.iter().enumerate() {
                    markdown::check(o, &format!("step {id} option {k}"))?;
                }
            }
            "text" => {}
            other => return Err(refuse(format!("step {id}: unknown kind \"{other}\" (run, numeric, choice or text)"))),
        }
    }
    Ok((specs, instructions))
}
