//! Course assignments (`.idlab.zip`): the two examples open, pack and check;
//! every bad input is refused with a message naming the problem; answers
//! check within tolerance against a real run; a report's hash verifies and
//! an edited copy is flagged by grade; draft's questions read the run's values.

use idlab::assignment::{self, grade, report, Manifest};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/assignments")
}

/// Every file of an example folder, by path in the zip (assignment.json apart).
fn folder(name: &str) -> (Value, BTreeMap<String, Vec<u8>>) {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &path, out);
            } else {
                out.insert(path, std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(&examples().join(name), "", &mut files);
    let manifest = serde_json::from_slice(&files.remove("assignment.json").unwrap()).unwrap();
    (manifest, files)
}

fn packed(name: &str) -> Vec<u8> {
    let (m, files) = folder(name);
    assignment::pack(m, &files).unwrap()
}

/// A zip of exactly these entries (no checks), for the bad inputs.
fn raw_zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    idlab::experiment::exports::zip(entries.iter().map(|(p, b)| (*p, b.as_slice()))).unwrap()
}

/// The identifiability example's entries as pack wrote them, to alter one.
fn entries_of(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut e = a.by_index(i).unwrap();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            (e.name().to_string(), b)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    raw_zip(&entries.iter().map(|(p, b)| (p.as_str(), b.clone())).collect::<Vec<_>>())
}

fn refusal(bytes: &[u8]) -> String {
    match assignment::open(bytes) {
        Ok(_) => panic!("opened a bad assignment"),
        Err(e) => e.to_string(),
    }
}

/// The example with its manifest changed by `edit` (hashes refilled by pack's rules, then zipped raw).
fn with_manifest(edit: impl Fn(&mut Value)) -> Vec<u8> {
    let mut entries = entries_of(&packed("identifiability"));
    let mut m: Value = serde_json::from_slice(&entries[0].1).unwrap();
    edit(&mut m);
    entries[0].1 = serde_json::to_vec(&m).unwrap();
    rezip(&entries)
}

/// The example with one listed file replaced (its hash refilled, as an author who re-packed would).
fn with_file(path: &str, text: &str) -> Vec<u8> {
    let (m, mut files) = folder("identifiability");
    files.insert(path.into(), text.as_bytes().to_vec());
    let mut entries = vec![("assignment.json".to_string(), Vec::new())];
    let mut m = m;
    let list: Vec<Value> = files
        .iter()
        .map(|(p, b)| json!({ "path": p, "sha256": assignment::sha256_hex(b), "bytes": b.len() }))
        .collect();
    m["files"] = Value::Array(list);
    entries[0].1 = serde_json::to_vec(&m).unwrap();
    entries.extend(files.into_iter());
    rezip(&entries)
}

#[test]
fn both_examples_pack_and_open() {
    for name in ["identifiability", "rsa-noise-ceiling"] {
        let bytes = packed(name);
        let o = assignment::open(&bytes).unwrap();
        assert!(o.manifest.steps.iter().any(|s| s.kind == "run"), "{name}");
        assert!(o.manifest.steps.iter().any(|s| s.kind == "numeric"), "{name}");
        assert!(o.manifest.files.iter().all(|f| f.sha256.as_deref().is_some_and(|h| h.len() == 64) && f.bytes.is_some()), "{name}");
        assert!(o.instructions.starts_with("# "), "{name}");
        assert_eq!(o.specs.len(), 1);
        assert_eq!(o.sha256, assignment::sha256_hex(&bytes));
        // The same folder packs to the same bytes.
        assert_eq!(bytes, packed(name), "{name}: pack is not deterministic");
    }
}

#[test]
fn refuses_what_is_not_an_assignment() {
    let e = refusal(b"just some text");
    assert!(e.contains("is not an idlab assignment") && e.contains("not a zip"), "{e}");
    let e = refusal(&raw_zip(&[("readme.txt", b"hi".to_vec())]));
    assert!(e.contains("is not an idlab assignment") && e.contains("no assignment.json"), "{e}");
    let e = refusal(&raw_zip(&[("assignment.json", b"{\"idlab\": 2}".to_vec())]));
    assert!(e.contains("is not an idlab assignment"), "{e}");
}

#[test]
fn refuses_a_newer_version() {
    let e = refusal(&with_manifest(|m| m["idlab_assignment"] = json!(2)));
    assert!(e.contains("made by a newer idlab") && e.contains("version 2"), "{e}");
}

#[test]
fn refuses_missing_altered_and_unlisted_files() {
    let entries = entries_of(&packed("identifiability"));
    let missing: Vec<_> = entries.iter().filter(|(p, _)| p != "specs/run-1.json").cloned().collect();
    let e = refusal(&rezip(&missing));
    assert!(e.contains("specs/run-1.json") && e.contains("missing"), "{e}");

    let mut altered = entries.clone();
    let i = altered.iter().position(|(p, _)| p == "instructions.md").unwrap();
    let listed = {
        let m: Value = serde_json::from_slice(&entries[0].1).unwrap();
        m["files"].as_array().unwrap().iter().find(|f| f["path"] == "instructions.md").unwrap()["sha256"].as_str().unwrap().to_string()
    };
    altered[i].1.extend_from_slice(b"\nOne more line.\n");
    let e = refusal(&rezip(&altered));
    let got = assignment::sha256_hex(&altered[i].1);
    assert!(e.contains("instructions.md") && e.contains("altered") && e.contains(&listed) && e.contains(&got), "{e}");

    let mut extra = entries.clone();
    extra.push(("data/extra.npy".into(), vec![1, 2, 3]));
    let e = refusal(&rezip(&extra));
    assert!(e.contains("data/extra.npy") && e.contains("not listed"), "{e}");
}

#[test]
fn refuses_an_invalid_spec() {
    let e = refusal(&with_file("specs/run-1.json", r#"{"idlab": 2, "stimuli": {"set": "kriegeskorte92"}, "sources": [{"arch": "alexnet", "seed": 0}], "targets": [{"arch": "alexnet", "seed": 1}], "metrics": [{"name": "no-such-metric"}]}"#));
    assert!(e.contains("step run-1") && e.contains("specs/run-1.json") && e.contains("no-such-metric"), "{e}");
}

#[test]
fn refuses_markdown_with_script_or_javascript_links() {
    let e = refusal(&with_file("instructions.md", "# Title\n\nRead this.\n<script>alert(1)</script>\n"));
    assert!(e.contains("instructions.md") && e.contains("line 4") && e.contains("raw HTML"), "{e}");
    let e = refusal(&with_manifest(|m| m["steps"][1]["hint"] = json!("Look\nhere: [click](javascript:alert(1))")));
    assert!(e.contains("step q-1 hint") && e.contains("line 2") && e.contains("javascript"), "{e}");
}

#[test]
fn refuses_a_numeric_answer_naming_no_run() {
    let e = refusal(&with_manifest(|m| m["steps"][1]["answer"]["run"] = json!("run-9")));
    assert!(e.contains("step q-1") && e.contains("run-9") && e.contains("not a run step"), "{e}");
}

/// The identifiability example's run at 8 images, by the CLI (once for all tests).
fn example_result() -> &'static Value {
    static RESULT: OnceLock<Value> = OnceLock::new();
    RESULT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("idlab-assignment-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut spec: Value = serde_json::from_slice(&std::fs::read(examples().join("identifiability/specs/run-1.json")).unwrap()).unwrap();
        spec["stimuli"]["limit"] = json!(8);
        std::fs::write(dir.join("spec.json"), serde_json::to_vec(&spec).unwrap()).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_idlab")).arg("run").arg(dir.join("spec.json")).arg("-o").arg(dir.join("out")).arg("-q").output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&std::fs::read(dir.join("out/result.json")).unwrap()).unwrap()
    })
}

fn results() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("run-1".into(), example_result().clone());
    m
}

#[test]
fn answers_check_within_tolerance() {
    let o = assignment::open(&packed("identifiability")).unwrap();
    let m = &o.manifest;
    let index = example_result().pointer("/identifiability/0/layers/9/index").unwrap().as_f64().unwrap();
    let c = assignment::check_answer(m, "q-1", &json!(index + 0.0009), &results()).unwrap();
    assert_eq!(c.correct, Some(true));
    assert_eq!(c.expected, None, "reveal is off");
    assert_eq!(c.hint, None);
    let c = assignment::check_answer(m, "q-1", &json!(format!("{:.4}", index + 0.05)), &results()).unwrap();
    assert_eq!(c.correct, Some(false));
    assert!((c.off_by.unwrap() - 0.05).abs() < 0.001, "{c:?}");
    assert!(c.hint.is_some());
    // Fixed value, choice, text.
    assert_eq!(assignment::check_answer(m, "q-4", &json!(1), &results()).unwrap().correct, Some(true));
    assert_eq!(assignment::check_answer(m, "q-4", &json!(2), &results()).unwrap().correct, Some(false));
    assert_eq!(assignment::check_answer(m, "q-3", &json!(0), &results()).unwrap().correct, Some(true));
    assert_eq!(assignment::check_answer(m, "q-3", &json!(1), &results()).unwrap().correct, Some(false));
    assert_eq!(assignment::check_answer(m, "q-5", &json!("Because..."), &results()).unwrap().correct, None);
    // No result yet: said so.
    let e = assignment::check_answer(m, "q-1", &json!(0.1), &Map::new()).unwrap_err().to_string();
    assert!(e.contains("run-1") && e.contains("run it first"), "{e}");
    // An author who reveals: the expected value comes back.
    let mut shown: Manifest = m.clone();
    shown.reveal = true;
    assert_eq!(assignment::check_answer(&shown, "q-1", &json!(0), &results()).unwrap().expected, Some(index));
}

fn make_report(o: &assignment::Opened, answers: Value) -> (Value, String) {
    let mut specs = Map::new();
    specs.insert("run-1".into(), o.specs["run-1"].clone());
    let mut spec = o.specs["run-1"].clone();
    spec["stimuli"]["limit"] = json!(8); // an editable field, within its range
    specs.insert("run-1".into(), spec);
    report::report(
        &o.manifest,
        &o.sha256,
        &json!({ "name": "Ada Student" }),
        answers.as_object().unwrap(),
        &results(),
        &specs,
        report::Lab { version: "test", build: "native" },
        "2026-01-01T00:00:00Z",
    )
    .unwrap()
}

#[test]
fn report_hash_verifies_and_grade_flags_an_edit() {
    let bytes = packed("identifiability");
    let o = assignment::open(&bytes).unwrap();
    let index = example_result().pointer("/identifiability/0/layers/9/index").unwrap().as_f64().unwrap();
    let (doc, html) = make_report(&o, json!({ "q-1": index, "q-2": 0.5, "q-3": 0, "q-5": "Early layers of any network look alike." }));
    assert!(report::verify_report(&doc));
    assert_eq!(doc["idlab_report"], 1);
    assert_eq!(doc["assignment"]["sha256"], o.sha256);
    assert_eq!(doc["steps"][0]["result"]["identifiability"], example_result()["identifiability"]);
    assert!(doc["steps"][0]["spec_sha256"].as_str().unwrap().len() == 64);
    assert_eq!(doc["steps"][1]["check"]["correct"], true);
    assert_eq!(doc["steps"][2]["check"]["correct"], false);
    assert!(html.contains("<script type=\"application/json\" id=\"idlab-report\">") && html.contains("Ada Student"));
    // User text reaches the HTML escaped, and cannot close the JSON's script element.
    let (_, evil) = make_report(&o, json!({ "q-5": "</script><img src=x onerror=alert(1)>" }));
    assert!(!evil.contains("<img") && evil.matches("</script>").count() == 1, "{evil}");

    // An edited copy: one number of the result changed.
    let mut edited = doc.clone();
    let v = edited.pointer_mut("/steps/0/result/scores/0/values/9/9").unwrap();
    *v = json!(v.as_f64().unwrap() + 0.1);
    assert!(!report::verify_report(&edited));

    let files = vec![
        ("ada.json".to_string(), serde_json::to_vec(&doc).unwrap()),
        ("ada.html".to_string(), html.into_bytes()),
        ("edited.json".to_string(), serde_json::to_vec(&edited).unwrap()),
    ];
    let csv = grade::grade(&o, &files).unwrap();
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes()).records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    let header: Vec<String> = csv::Reader::from_reader(csv.as_bytes()).headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ["student", "report", "content_hash_ok", "assignment_matches", "q-1", "q-2", "q-3", "q-4", "q-5", "right", "checked", "score", "flags"]);
    for r in &rows[..2] {
        assert_eq!(r[..9], ["Ada Student", r[1].as_str(), "yes", "yes", "right", "wrong", "right", "missing", "collected"], "{csv}");
        assert_eq!(r[9..12], ["2", "4", "0.500"], "{csv}");
        assert_eq!(r[12], "", "{csv}");
    }
    assert_eq!(rows[2][2], "no", "{csv}");
    assert!(rows[2][12].contains("edited"), "{csv}");

    // A spec changed beyond its editable fields, and a report of another file, are flagged.
    let mut other = doc.clone();
    other["steps"][0]["spec"]["metrics"] = json!([{ "name": "rsa" }]);
    other["assignment"]["sha256"] = json!("0".repeat(64));
    other["content_sha256"] = json!(report::content_hash(&other));
    let csv = grade::grade(&o, &[("other.json".into(), serde_json::to_vec(&other).unwrap())]).unwrap();
    assert!(csv.contains("beyond its editable fields") && csv.contains("another version"), "{csv}");
}

#[test]
fn draft_proposes_questions_on_the_runs_values() {
    let result = example_result();
    let spec = result["spec"].clone();
    let paths = vec!["/identifiability/0/layers/9/index".to_string(), "/scores/1/values/0/0".to_string()];
    let d = assignment::draft(&spec, result, &paths).unwrap();
    let m: Manifest = serde_json::from_value(d["manifest"].clone()).unwrap();
    assert_eq!(m.steps[0].kind, "run");
    assert_eq!(m.steps.len(), 3);
    assert!(m.steps[1].tolerance.is_some() && m.steps[1].prompt.as_deref().unwrap().contains("classifier.4"), "{:?}", m.steps[1]);
    // Packed and opened, its questions check against the same run's values.
    let files: BTreeMap<String, Vec<u8>> = d["files"].as_object().unwrap().iter().map(|(p, t)| (p.clone(), t.as_str().unwrap().as_bytes().to_vec())).collect();
    let bytes = assignment::pack(d["manifest"].clone(), &files).unwrap();
    let o = assignment::open(&bytes).unwrap();
    for (k, p) in paths.iter().enumerate() {
        let v = result.pointer(p).unwrap().clone();
        let c = assignment::check_answer(&o.manifest, &format!("q-{}", k + 1), &v, &results()).unwrap();
        assert_eq!(c.correct, Some(true), "{p}");
    }
    // A standard error beside the value gives the tolerance (2 SE); none gives the stated default.
    let with_se = json!({ "scores": [{ "values": [[0.5]], "standard_errors": [[0.02]] }] });
    let (se, _) = assignment::draft::variability(&with_se, "/scores/0/values/0/0").unwrap();
    assert_eq!(se, 0.02);
    assert!(assignment::draft::variability(result, "/identifiability/0/layers/9/index").is_none());
}

#[test]
fn cli_packs_checks_and_grades() {
    let bin = env!("CARGO_BIN_EXE_idlab");
    let dir = std::env::temp_dir().join(format!("idlab-assignment-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zip = dir.join("rsa.idlab.zip");
    let o = Command::new(bin).args(["assignment", "pack"]).arg(examples().join("rsa-noise-ceiling")).arg("-o").arg(&zip).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(bin).args(["assignment", "check", "--images", "8"]).arg(&zip).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("step run-1: ran on 8 images") && out.contains("/noise_ceilings/0/lower") && out.ends_with("ok\n"), "{out}");
    // A bad file: exit 2 and the problem.
    let bad = dir.join("bad.idlab.zip");
    std::fs::write(&bad, b"not a zip").unwrap();
    let o = Command::new(bin).args(["assignment", "check"]).arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not an idlab assignment"));
    // Grade writes the CSV.
    let ozip = dir.join("id.idlab.zip");
    std::fs::write(&ozip, packed("identifiability")).unwrap();
    let opened = assignment::open(&packed("identifiability")).unwrap();
    let (doc, _) = make_report(&opened, json!({ "q-4": 1 }));
    std::fs::write(dir.join("r.json"), serde_json::to_vec(&doc).unwrap()).unwrap();
    let o = Command::new(bin).args(["assignment", "grade"]).arg(&ozip).arg(dir.join("r.json")).arg("-o").arg(dir.join("grades.csv")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("grades.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("Ada Student,"), "{csv}");
    assert!(csv.contains(",yes,yes,missing,missing,missing,right,missing,1,4,0.250,"), "{csv}");
}

#[test]
fn content_hash_survives_javascripts_json() {
    // The page holds the report as a JS object and saves JSON.stringify's text: 1.0 becomes 1.
    let doc = json!({ "idlab_report": 1, "steps": [{ "check": { "off_by": 0.0, "x": 1.0, "y": 1.5e-7, "z": 1e21 } }] });
    let mut doc = doc;
    doc["content_sha256"] = json!(report::content_hash(&doc));
    let via_js = r#"{"idlab_report":1,"steps":[{"check":{"off_by":0,"x":1,"y":1.5e-7,"z":1e+21}}],"content_sha256":"HASH"}"#.replace("HASH", doc["content_sha256"].as_str().unwrap());
    assert!(report::verify_report(&serde_json::from_str(&via_js).unwrap()));
}
