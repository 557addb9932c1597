//! Replays every file of the fuzz corpora (`crate/fuzz/corpus/<target>/`) and
//! of the kept crashes (`crate/fuzz/regressions/<target>/`) through the same
//! entry function libFuzzer calls (`idlab::fuzz`): none may panic, and each
//! must finish in well under the fuzzer's 10 s timeout. `./build.sh fuzz`
//! grows the corpora; this keeps what it found fixed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

/// Every folder under corpus/ and regressions/ names a target.
#[test]
fn every_folder_names_a_target() {
    let names: Vec<&str> = idlab::fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    for kind in ["corpus", "regressions"] {
        for dir in std::fs::read_dir(fuzz_dir().join(kind)).into_iter().flatten().filter_map(|e| e.ok()) {
            let name = dir.file_name().to_string_lossy().into_owned();
            assert!(names.contains(&name.as_str()), "crate/fuzz/{kind}/{name} is not a fuzz target ({names:?})");
        }
    }
}

#[test]
fn replay_corpora_and_regressions() {
    let mut total = 0;
    let mut times: Vec<(Duration, String)> = Vec::new();
    for (name, entry) in idlab::fuzz::TARGETS {
        let corpus = files(&fuzz_dir().join("corpus").join(name));
        assert!(!corpus.is_empty(), "crate/fuzz/corpus/{name}/ has no seed files");
        let regressions = files(&fuzz_dir().join("regressions").join(name));
        for path in corpus.iter().chain(&regressions) {
            let bytes = std::fs::read(path).unwrap();
            let label = path.strip_prefix(fuzz_dir()).unwrap_or(path).display().to_string();
            let start = Instant::now();
            let outcome = std::panic::catch_unwind(|| entry(&bytes));
            let took = start.elapsed();
            assert!(outcome.is_ok(), "fuzz target {name} panicked on {label}");
            times.push((took, label));
            total += 1;
        }
    }
    times.sort();
    eprintln!("replayed {total} files in {:?}; slowest:", times.iter().map(|t| t.0).sum::<Duration>());
    for (took, label) in times.iter().rev().take(5) {
        eprintln!("  {took:?} {label}");
    }
    let (took, label) = times.last().unwrap();
    assert!(*took < Duration::from_secs(5), "{label} took {took:?}");
}

/// The page estimates a spec's memory on every edit: each seed spec's
/// estimate (not fuzzed, see `idlab::fuzz::spec`) must stay quick.
#[test]
fn estimate_seed_specs() {
    for path in files(&fuzz_dir().join("corpus").join("spec")).iter().take(40) {
        let bytes = std::fs::read(path).unwrap();
        let start = Instant::now();
        idlab::fuzz::estimate(&bytes);
        let took = start.elapsed();
        eprintln!("estimate {took:?} {}", path.display());
        // About 2 s for the five-model preset natively (it draws each source layer's projection).
        assert!(took < Duration::from_secs(10), "the memory estimate of {} took {took:?}", path.display());
    }
}

/// Each kept crash is now a clear refusal that names the file and the
/// problem, not merely no panic.
#[test]
fn regressions_are_refused_in_words() {
    let dir = fuzz_dir().join("regressions");
    for path in files(&dir.join("onnx")) {
        let err = idlab::runtime::inspect("fuzz.onnx", &std::fs::read(&path).unwrap()).unwrap_err().to_string();
        assert!(err.contains("fuzz.onnx") && err.contains("not a valid ONNX model"), "{}: {err}", path.display());
    }
    for path in files(&dir.join("npy")) {
        let err = idlab::data::read_table("fuzz.npy", &std::fs::read(&path).unwrap(), None).unwrap_err().to_string();
        assert!(err.contains("fuzz.npy: not a readable .npy file (its header"), "{}: {err}", path.display());
    }
    for path in files(&dir.join("assignment")) {
        let err = idlab::assignment::open(&std::fs::read(&path).unwrap()).unwrap_err().to_string();
        assert!(err.contains("more than 64 MiB") || err.contains("damaged"), "{}: {err}", path.display());
    }
}
