//! `idlab run`: a spec file in, result files (and the spec's export) out, progress on stderr.

use idlab::experiment::{output, trained_variant, Experiment, Spec, WeightsSpec};
use idlab::weights::catalogue;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The site folder stimulus paths are relative to.
pub fn site_dir(site: Option<PathBuf>) -> PathBuf {
    site.or_else(|| std::env::var_os("IDLAB_SITE").map(PathBuf::from))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../www"))
}

/// A shipped file (`models/trained/...`): in the site when the build copied
/// it there (`dist/`), else beside the site folder (the repository's `www/`
/// and `models/` are siblings).
pub fn shipped_path(site: &Path, rel: &str) -> PathBuf {
    let in_site = site.join(rel);
    if in_site.exists() {
        in_site
    } else {
        site.join("..").join(rel)
    }
}

/// Fetches a URL's bytes (weights named by URL in a spec); the session checks
/// their sha256 against the spec's.
pub fn fetch(url: &str, quiet: bool) -> Result<Vec<u8>, String> {
    if !quiet {
        eprintln!("idlab: fetching {url}");
    }
    let mut response = ureq::get(url).call().map_err(|e| format!("cannot fetch {url}: {e}"))?;
    let bytes = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(|e| format!("cannot fetch {url}: {e}"))?;
    if !quiet {
        eprintln!("idlab: fetched {url} ({:.1} MB)", bytes.len() as f64 / 1e6);
    }
    Ok(bytes)
}

/// The spec on trained weights (`--trained`): the core's variant, with the
/// user's files (`ID=PATH` or `ARCH=PATH`) in place of downloads, and each
/// public file the catalogue has no sha256 for fetched now and given its own
/// (kept in `fetched`, so the run does not download it again).
fn on_trained_weights(spec: &Spec, files: &[String], quiet: bool, fetched: &mut HashMap<String, Vec<u8>>) -> Result<Spec, String> {
    let (mut spec, notes) = trained_variant(spec).map_err(crate::cli::core)?;
    let mut own: Vec<(String, PathBuf, bool)> = Vec::new(); // (key, path, used)
    for f in files {
        let Some((key, path)) = f.split_once('=').filter(|(k, p)| !k.is_empty() && !p.is_empty()) else {
            return Err(format!("--trained-file takes ID=PATH or ARCH=PATH (e.g. alexnet=alexnet-owt-7be5be79.pth), got \"{f}\""));
        };
        let known = catalogue::entries().iter().any(|e| e.arch.is_some() && (e.id == key || e.arch.as_deref() == Some(key)));
        if !known {
            let ids: Vec<&str> = catalogue::entries().iter().filter(|e| e.arch.is_some()).map(|e| e.id.as_str()).collect();
            return Err(format!("--trained-file {f}: \"{key}\" is neither an id nor an architecture of models/weights.json ({})", ids.join(", ")));
        }
        let path = PathBuf::from(path);
        let path = if path.is_absolute() { path } else { std::env::current_dir().map_err(|e| format!("--trained-file {f}: {e}"))?.join(path) };
        own.push((key.to_string(), path, false));
    }
    for m in spec.sources.iter_mut().chain(spec.targets.iter_mut()) {
        let (Some(arch), Some(w)) = (m.arch.clone(), m.weights.as_mut()) else { continue };
        let Some(url) = w.url.clone() else { continue };
        let entry = catalogue::by_url(&url);
        let id = entry.map(|e| e.id.clone());
        // An id names one entry; an architecture every entry of it.
        let pick = own.iter().position(|(k, _, _)| Some(k) == id.as_ref()).or_else(|| own.iter().position(|(k, _, _)| *k == arch));
        if let Some(i) = pick {
            own[i].2 = true;
            // The entry's input normalisation goes with the file (timm's augreg ViT: 0.5, 0.5).
            let (mean, std) = (w.mean.or(entry.and_then(|e| e.mean)), w.std.or(entry.and_then(|e| e.std)));
            *w = WeightsSpec { file: Some(own[i].1.to_string_lossy().into_owned()), mean, std, ..Default::default() };
            continue;
        }
        if w.sha256.is_none() {
            if !fetched.contains_key(&url) {
                let bytes = fetch(&url, quiet).map_err(|e| {
                    format!("{e} (trained weights for {arch}; give your own copy with --trained-file {}=PATH)", id.as_deref().unwrap_or(&arch))
                })?;
                if !quiet {
                    eprintln!("idlab: {url}: sha256 {} (the file's own: the catalogue has none to check it against)", sha256_hex(&bytes));
                }
                fetched.insert(url.clone(), bytes);
            }
            w.sha256 = Some(sha256_hex(&fetched[&url]));
        }
    }
    if let Some((key, path, _)) = own.iter().find(|(_, _, used)| !used) {
        return Err(format!("--trained-file {key}={}: no side of this spec runs on those weights", path.display()));
    }
    if !quiet {
        for n in &notes {
            eprintln!("idlab: trained weights: {n}");
        }
    }
    spec.validate().map_err(crate::cli::core)?;
    Ok(spec)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the spec file (on trained weights with `trained`: the `--trained-file` values).
pub fn run(spec_path: &Path, out: &Path, site: Option<PathBuf>, quiet: bool, trained: Option<&[String]>) -> Result<(), String> {
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| format!("cannot read spec {}: {e}", spec_path.display()))?;
    let mut spec = Spec::from_json(&text).map_err(|e| format!("{}: {}", spec_path.display(), crate::cli::core(e)))?;
    let mut fetched: HashMap<String, Vec<u8>> = HashMap::new();
    if let Some(files) = trained {
        spec = on_trained_weights(&spec, files, quiet, &mut fetched).map_err(|e| format!("{} --trained: {e}", spec_path.display()))?;
    }
    let site = site_dir(site);
    let spec_dir = spec_path.parent().unwrap_or(Path::new("."));
    let (session, result) = execute(spec, spec_dir, &site, quiet, &mut fetched)?;
    write_outputs(out, &result, session.exports(), quiet)
}

/// Runs a spec whose user files sit in `spec_dir` (stimuli and datasets in
/// `site`) and returns the finished run (its export files) and its result.
/// `fetched` holds weights already downloaded, by URL.
pub fn execute(spec: Spec, spec_dir: &Path, site: &Path, quiet: bool, fetched: &mut HashMap<String, Vec<u8>>) -> Result<(Experiment, idlab::experiment::ExperimentResult), String> {
    let site = site.to_path_buf();
    let start = Instant::now();
    let mut session = Experiment::new(spec).map_err(crate::cli::core)?;
    // A user model's "onnx" is a path relative to the spec file's folder.
    for file in session.model_files() {
        let path = spec_dir.join(&file);
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read model {}: {e}", path.display()))?;
        session.add_model(&file, bytes).map_err(crate::cli::core)?;
    }
    // Trained weights: the user's beside the spec, shipped ones in the site, URLs fetched.
    for need in session.weights_needed() {
        let bytes = match need.kind {
            "file" => {
                let path = spec_dir.join(&need.name);
                std::fs::read(&path).map_err(|e| format!("cannot read weights {}: {e}", path.display()))?
            }
            "shipped" => {
                let path = shipped_path(&site, &need.name);
                std::fs::read(&path).map_err(|e| format!("cannot read shipped weights {}: {e}", path.display()))?
            }
            _ => match fetched.remove(&need.name) {
                Some(bytes) => bytes,
                None => fetch(&need.name, quiet)?,
            },
        };
        session.add_weights(&need.name, bytes).map_err(crate::cli::core)?;
    }
    for rel in session.stimulus_paths() {
        let path = site.join(&rel);
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read stimulus {}: {e}", path.display()))?;
        session.add_stimulus(&rel, &bytes).map_err(crate::cli::core)?;
    }
    if let Some(folder) = session.upload_folder().map(str::to_string) {
        for (name, bytes) in crate::upload::read_upload(&spec_dir.join(&folder))? {
            session.add_stimulus(&name, &bytes).map_err(crate::cli::core)?;
        }
    }
    // The user's data files sit beside the spec; shipped datasets in the site.
    for file in session.data_files() {
        let path = spec_dir.join(&file);
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read data file {}: {e}", path.display()))?;
        session.add_data(&file, &bytes).map_err(crate::cli::core)?;
    }
    for rel in session.dataset_paths() {
        let path = site.join(&rel);
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read dataset file {}: {e}", path.display()))?;
        session.add_data(&rel, &bytes).map_err(crate::cli::core)?;
    }
    // On a terminal one line is redrawn each step; in a log, one line per stage.
    let tty = std::io::stderr().is_terminal();
    let mut last_stage = "";
    while !session.is_done() {
        let p = session.step().map_err(crate::cli::core)?;
        if quiet || (!tty && p.stage == last_stage && !session.is_done()) {
            continue;
        }
        last_stage = p.stage;
        let elapsed = start.elapsed().as_secs_f64();
        let eta = elapsed / p.done as f64 * (p.total - p.done) as f64;
        let line = format!("[{}/{}] {}: {} (ETA {:.0} s)", p.done, p.total, p.stage, p.label, eta);
        if tty {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }
    if !quiet && tty {
        eprintln!();
    }
    let result = session.result("native", start.elapsed().as_secs_f64()).map_err(crate::cli::core)?;
    Ok((session, result))
}

/// Writes result.json, scores.csv, report.txt and the export files into `out`.
pub fn write_outputs(out: &Path, result: &idlab::experiment::ExperimentResult, exports: Vec<(String, &[u8])>, quiet: bool) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let write = |name: &str, bytes: Vec<u8>| {
        let p = out.join(name);
        std::fs::write(&p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))
    };
    let json = serde_json::to_vec_pretty(result).expect("result serialises");
    write("result.json", json)?;
    // The same text the page downloads (the core writes both).
    write("scores.csv", output::csv::tidy_csv(result).into_bytes())?;
    write("report.txt", output::report::report_text(result).into_bytes())?;
    // spec.export: activations/<model>/<layer>.npy, rdms/..., exports.json, the files in the page's .zip.
    for (path, bytes) in &exports {
        let p = path.split('/').fold(out.to_path_buf(), |p, c| p.join(c));
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    if !quiet {
        let more = if exports.is_empty() { String::new() } else { format!(" and {} export files (activations/, rdms/, exports.json)", exports.len()) };
        eprintln!("idlab: wrote result.json, scores.csv, report.txt{more} to {} in {:.1} s", out.display(), result.seconds);
    }
    Ok(())
}
