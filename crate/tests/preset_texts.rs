//! Every preset's texts: what its paper found is said only with the paper's
//! own words (each claim's quote must occur in the paper's text in
//! `../shared/papers/`, whitespace-normalised and case-sensitive), and each
//! says how this run differs from the paper.
#![cfg(not(target_arch = "wasm32"))]

use idlab::experiment::Spec;
use std::path::{Path, PathBuf};

fn presets() -> Vec<(String, Spec)> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/presets"));
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".json") && f != "index.json")
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let spec = Spec::from_json(&std::fs::read_to_string(dir.join(&f)).unwrap()).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f, spec)
        })
        .collect()
}

/// The papers' texts, beside the repository as CI has them.
fn papers() -> PathBuf {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/papers"));
    assert!(p.is_dir(), "the papers' texts are expected in {} (../shared/papers beside the repository)", p.display());
    p.to_path_buf()
}

/// Runs of whitespace become one space, so a quote may break lines anywhere.
fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_quote_is_in_its_papers_text() {
    let dir = papers();
    let mut checked = 0;
    let mut missing = Vec::new();
    for (f, spec) in presets() {
        let Some(claims) = &spec.paper else { continue };
        let file = spec.paper_file.as_deref().unwrap_or_else(|| panic!("{f}: `paper` quotes a paper but `paper_file` does not name its text"));
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{f}: paper_file {file}: {e}"));
        let text = normalise(&text);
        assert!(!claims.is_empty(), "{f}: `paper` is empty");
        for c in claims {
            assert!(!c.claim.trim().is_empty() && !c.where_.trim().is_empty(), "{f}: a claim needs its words and where it stands");
            let q = normalise(&c.quote);
            assert!(q.split(' ').count() >= 4, "{f}: quote too short to stand for a claim: {q:?}");
            if !text.contains(&q) {
                missing.push(format!("{f} ({file}): {q:?}"));
            }
            checked += 1;
        }
    }
    assert!(missing.is_empty(), "quotes not found in their paper's text:\n{}", missing.join("\n"));
    assert!(checked >= 10, "only {checked} quotes checked");
}

/// A preset that reproduces a paper quotes it; every preset says how its run
/// differs (or, for the lab's own comparisons, what it runs on).
#[test]
fn every_preset_has_its_three_parts() {
    for (f, spec) in presets() {
        let this_run = spec.this_run.as_ref().unwrap_or_else(|| panic!("{f}: no `this_run`"));
        assert!(!this_run.is_empty(), "{f}: `this_run` is empty");
        let words = this_run.join(" ");
        assert!(words.contains("seeded") || words.contains("trained"), "{f}: `this_run` says whether the weights are seeded or trained");
        if spec.paper_file.is_some() {
            assert!(spec.paper.as_ref().is_some_and(|p| !p.is_empty()), "{f}: names a paper but quotes none of it");
        }
    }
}

/// The README's preset table (written by `./build.sh presets-table`) carries
/// every preset's claims as the preset files now word them: a claim changed
/// in a preset and not regenerated in the README fails here.
#[test]
fn readme_table_has_every_claim() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let (Some(a), Some(b)) = (readme.find("<!-- presets-table:begin -->"), readme.find("<!-- presets-table:end -->")) else {
        panic!("README.md has no presets-table section");
    };
    let table = normalise(&readme[a..b]);
    for (f, spec) in presets() {
        assert!(table.contains(&format!("`{f}`")), "README's preset table lacks {f}: run ./build.sh presets-table");
        for c in spec.paper.iter().flatten() {
            assert!(table.contains(&normalise(&c.claim).replace('|', "\\|")), "README's preset table lacks {f}'s claim {:?}: run ./build.sh presets-table", c.claim);
        }
    }
}
