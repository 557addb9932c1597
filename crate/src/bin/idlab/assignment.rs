//! `idlab assignment`: what an instructor and a TA run on `.idlab.zip` files.
//! `pack` makes one from a folder, `check` opens it as a student's page would
//! and runs every run step natively on a few images, `grade` re-checks
//! hand-in reports and writes one CSV row per student.

use clap::Subcommand;
use idlab::assignment::{self, answer::number_at, grade, Opened};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum Command {
    /// Validate an assignment (format version, every file's sha256, specs, questions, Markdown)
    /// and run each run step natively on a few images; exit 0 with a summary, or 2 with the problem.
    Check {
        /// The .idlab.zip file.
        file: PathBuf,
        /// Images each run step runs on (its stimuli.limit, when lower than the spec's).
        #[arg(long, default_value_t = 8)]
        images: usize,
        /// Only validate; run nothing.
        #[arg(long)]
        no_run: bool,
    },
    /// Re-check hand-in reports (JSON or HTML) against the assignment: content hash, assignment
    /// hash, specs, every answer from the report's own results. One CSV row per report.
    Grade {
        /// The .idlab.zip file the reports were made from.
        file: PathBuf,
        /// The students' reports (.json or .html).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the CSV here [default: standard output].
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Make a .idlab.zip from a folder holding assignment.json and the files it lists
    /// (sha256 and sizes may be left out: pack fills them; other files of the folder are added).
    Pack {
        /// The folder.
        dir: PathBuf,
        /// The .idlab.zip to write.
        #[arg(short, long)]
        out: PathBuf,
    },
}

/// Runs the subcommand; Err is (message, exit code).
pub fn run(command: Command, quiet: bool) -> Result<(), (String, u8)> {
    match command {
        Command::Check { file, images, no_run } => check(&file, images, no_run, quiet).map_err(|e| (e, 2)),
        Command::Grade { file, reports, out } => grade_files(&file, &reports, out.as_deref()).map_err(|e| (e, 1)),
        Command::Pack { dir, out } => pack_dir(&dir, &out).map_err(|e| (e, 1)),
    }
}

fn open_file(file: &Path) -> Result<Opened, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    assignment::open(&bytes).map_err(|e| format!("{}: {e}", file.display()))
}

fn check(file: &Path, images: usize, no_run: bool, quiet: bool) -> Result<(), String> {
    let opened = open_file(file)?;
    let m = &opened.manifest;
    let count = |k: &str| m.steps.iter().filter(|s| s.kind == k).count();
    println!(
        "{}: \"{}\" ({}), format {}, sha256 {}",
        file.display(),
        m.title,
        [m.course.as_deref(), m.author.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", "),
        m.idlab_assignment,
        opened.sha256
    );
    println!(
        "  {} files, hashes ok; {} run, {} numeric, {} choice, {} text steps; specs valid; Markdown safe",
        m.files.len(),
        count("run"),
        count("numeric"),
        count("choice"),
        count("text")
    );
    if no_run {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("idlab-assignment-{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)));
    let outcome = run_steps(&opened, &dir, images, quiet);
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

/// Runs every run step on `images` images in `dir` (the data files beside
/// the spec, as `idlab run` reads them) and reads each numeric question's path
/// in the result.
fn run_steps(opened: &Opened, dir: &Path, images: usize, quiet: bool) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for f in &opened.files {
        std::fs::write(dir.join(&f.name), &f.bytes).map_err(|e| format!("cannot write {}: {e}", f.name))?;
    }
    let mut results = serde_json::Map::new();
    for (id, spec) in &opened.specs {
        let mut spec = spec.clone();
        let limit = spec.pointer("/stimuli/limit").and_then(Value::as_u64).map_or(images, |l| (l as usize).min(images));
        if let Some(stimuli) = spec.get_mut("stimuli").and_then(Value::as_object_mut) {
            stimuli.insert("limit".into(), Value::from(limit));
        }
        let spec_path = dir.join(format!("{id}.spec.json"));
        std::fs::write(&spec_path, serde_json::to_vec_pretty(&spec).expect("a spec serialises")).map_err(|e| format!("cannot write {}: {e}", spec_path.display()))?;
        let out = dir.join(format!("{id}.out"));
        let start = std::time::Instant::now();
        crate::run::run(&spec_path, &out, None, quiet, None).map_err(|e| format!("step {id}: the spec does not run on {limit} images: {e}"))?;
        let text = std::fs::read_to_string(out.join("result.json")).map_err(|e| format!("step {id}: {e}"))?;
        let result: Value = serde_json::from_str(&text).map_err(|e| format!("step {id}: {e}"))?;
        println!("  step {id}: ran on {limit} images in {:.1} s", start.elapsed().as_secs_f64());
        results.insert(id.clone(), result);
    }
    for s in opened.manifest.steps.iter().filter(|s| s.kind == "numeric") {
        let a = s.answer.as_ref().expect("validated");
        match (a.get("run").and_then(Value::as_str), a.get("path").and_then(Value::as_str)) {
            (Some(run), Some(path)) => {
                let x = number_at(&results[run], path).map_err(|e| format!("step {}: {e} (run step {run} on {} images)", s.id, images))?;
                println!("  step {}: {path} of {run} reads {x} on the reduced run", s.id);
            }
            _ => println!("  step {}: fixed answer {}", s.id, a["value"]),
        }
    }
    println!("ok");
    Ok(())
}

fn grade_files(file: &Path, reports: &[PathBuf], out: Option<&Path>) -> Result<(), String> {
    let opened = open_file(file)?;
    let mut files = Vec::new();
    for r in reports {
        let bytes = std::fs::read(r).map_err(|e| format!("cannot read {}: {e}", r.display()))?;
        files.push((r.display().to_string(), bytes));
    }
    let csv = grade::grade(&opened, &files).map_err(|e| e.to_string())?;
    match out {
        Some(path) => {
            std::fs::write(path, &csv).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let flagged = csv.lines().skip(1).filter(|l| l.contains(",no,") || l.contains("edited")).count();
            eprintln!("idlab: graded {} reports into {} ({flagged} flagged)", reports.len(), path.display());
        }
        None => print!("{csv}"),
    }
    Ok(())
}

/// Every file under `dir` (paths with `/`), dot files left out.
fn files_under(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            files_under(&entry.path(), &path, out)?;
        } else {
            out.insert(path.clone(), std::fs::read(entry.path()).map_err(|e| format!("cannot read {path}: {e}"))?);
        }
    }
    Ok(())
}

fn pack_dir(dir: &Path, out: &Path) -> Result<(), String> {
    let mut files = BTreeMap::new();
    files_under(dir, "", &mut files)?;
    let json = files.remove("assignment.json").ok_or_else(|| format!("{} has no assignment.json", dir.display()))?;
    let manifest: Value = serde_json::from_slice(&json).map_err(|e| format!("{}/assignment.json: {e}", dir.display()))?;
    let bytes = assignment::pack(manifest, &files).map_err(|e| format!("{}: {e}", dir.display()))?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("idlab: wrote {} ({} files, {:.1} kB, sha256 {})", out.display(), files.len() + 1, bytes.len() as f64 / 1e3, assignment::sha256_hex(&bytes));
    Ok(())
}
