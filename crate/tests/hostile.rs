//! The hostile files of `tests/fixtures/hostile/` (issue 17): each opened by
//! the real CLI with the command `expected.json` gives it, which must fail
//! with the kind's exit code and a message naming the file and what is wrong,
//! without a panic, within seconds, and under a 2 GiB address-space limit
//! (`prlimit --as`), so a file that makes the CLI allocate what it claims
//! (100 GB tensors, 7.5 GB images, 4 GiB zip entries) fails the test.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The address space the CLI may use: far above what a refusal needs (tens
/// of MB) and far below what any hostile file claims.
const MEMORY_LIMIT: u64 = 2 << 30;
/// How long one refusal may take (the slowest, the 2 MB CSV, takes well under a second).
const TIME_LIMIT: Duration = Duration::from_secs(10);

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/hostile")
}

fn expected() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(folder().join("expected.json")).expect("tests/fixtures/hostile/expected.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("expected.json is JSON");
    doc["files"].as_array().expect("expected.json has files").clone()
}

fn entry(file: &str) -> serde_json::Value {
    expected().into_iter().find(|e| e["file"] == file).unwrap_or_else(|| panic!("{file} is not in expected.json"))
}

/// Runs the entry's command under the limits; returns (exit code, stderr, time).
fn run(e: &serde_json::Value) -> (Option<i32>, String, Duration) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{}", e["file"].as_str().unwrap().replace('/', "-")));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let args: Vec<String> = e["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().replace("{out}", &out.display().to_string()))
        .collect();
    let prlimit = Path::new("/usr/bin/prlimit");
    let mut cmd = if prlimit.exists() {
        let mut c = Command::new(prlimit);
        c.arg(format!("--as={MEMORY_LIMIT}")).arg("--").arg(env!("CARGO_BIN_EXE_idlab"));
        c
    } else {
        eprintln!("prlimit (util-linux) not found: running without the memory limit");
        Command::new(env!("CARGO_BIN_EXE_idlab"))
    };
    // Two threads and two malloc arenas keep the address space a refusal
    // needs independent of the machine's core count.
    cmd.arg("--threads").arg("2").args(&args).current_dir(folder()).env("MALLOC_ARENA_MAX", "2");
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("the idlab binary runs");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > 3 * TIME_LIMIT {
            let _ = child.kill();
            panic!("idlab {} did not finish within {:?} (a hang)", args.join(" "), 3 * TIME_LIMIT);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    (status.code(), reader.join().unwrap(), elapsed)
}

/// The check of one file: its exit code, its kind's code, the message's
/// fragments in order, no panic, no abort, in time.
fn check(file: &str) {
    let e = entry(file);
    let (code, stderr, elapsed) = run(&e);
    let kind = e["kind"].as_str().unwrap();
    let exit = e["exit"].as_i64().unwrap() as i32;
    assert!(!stderr.contains("panicked"), "{file}: the CLI panicked:\n{stderr}");
    assert!(!stderr.contains("memory allocation of"), "{file}: the CLI ran out of its {MEMORY_LIMIT}-byte address space:\n{stderr}");
    assert_eq!(code, Some(exit), "{file}: exit code (kind {kind}); stderr:\n{stderr}");
    let table = idlab::error::EXIT_CODES;
    assert_eq!(table.iter().find(|(k, _)| *k == kind).map(|&(_, c)| i32::from(c)), Some(exit), "{file}: kind {kind} has exit code {exit} in EXIT_CODES");
    let mut rest = stderr.as_str();
    for fragment in e["message"].as_array().unwrap() {
        let fragment = fragment.as_str().unwrap();
        let at = rest.find(fragment).unwrap_or_else(|| panic!("{file}: the message lacks \"{fragment}\" (in order):\n{stderr}"));
        rest = &rest[at + fragment.len()..];
    }
    assert!(stderr.lines().count() <= 3, "{file}: one clear message, not a trace:\n{stderr}");
    assert!(elapsed < TIME_LIMIT, "{file}: took {elapsed:?}");
    eprintln!("{file}: exit {exit} ({kind}) in {:.2} s: {}", elapsed.as_secs_f64(), stderr.trim());
}

macro_rules! hostile {
    ($($name:ident => $file:literal,)*) => {
        $( #[test] fn $name() { check($file); } )*
        /// Every entry of expected.json has its test above, and every file of the folder its entry.
        #[test]
        fn every_hostile_file_is_tested() {
            let tested = [$($file),*];
            let listed: Vec<String> = expected().iter().map(|e| e["file"].as_str().unwrap().to_string()).collect();
            assert_eq!(listed, tested, "expected.json and the tests list the same files in the same order");
            let mut on_disk = Vec::new();
            for dir in [folder(), folder().join("png-bomb"), folder().join("not-an-image"), folder().join("truncated-jpeg")] {
                for f in std::fs::read_dir(&dir).unwrap() {
                    let p = f.unwrap().path();
                    let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
                    if p.is_file() && !matches!(ext, "py" | "md") && p.file_name().unwrap() != "expected.json" {
                        on_disk.push(p.strip_prefix(folder()).unwrap().display().to_string());
                    }
                }
            }
            for f in &on_disk {
                assert!(listed.contains(f), "{f} is in tests/fixtures/hostile/ but not in expected.json");
            }
            let total: u64 = on_disk.iter().map(|f| std::fs::metadata(folder().join(f)).unwrap().len()).sum();
            assert!(total < 5 << 20, "the hostile files stay small on disk ({total} bytes)");
        }
    };
}

hostile! {
    truncated_onnx => "truncated.onnx",
    onnx_tensor_claiming_100_gb => "huge-tensor.onnx",
    onnx_op_tract_lacks => "unknown-op.onnx",
    png_decompression_bomb => "png-bomb/000.png",
    text_named_png => "not-an-image/000.png",
    truncated_jpeg => "truncated-jpeg/000.jpg",
    zip_entry_claiming_4_gib => "zip-bomb.zip",
    zip_entry_inflating_past_its_claim => "zip-bomb-lying.zip",
    zip_with_parent_paths => "zip-slip.zip",
    csv_with_a_million_columns => "million-columns.csv",
    csv_with_nan_and_inf => "nan-rows.csv",
    npy_with_nan_and_inf => "nan-inf.npy",
    non_square_rdm => "non-square-rdm.npy",
    asymmetric_rdm => "asymmetric-rdm.npy",
    npy_of_strings => "strings.npy",
    spec_nested_10000_deep => "deep-spec.json",
    spec_of_2_mb => "big-spec.json",
    spec_with_javascript_url => "javascript-url.json",
}
