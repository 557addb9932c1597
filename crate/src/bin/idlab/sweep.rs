//! `idlab plan`, `idlab run PLAN_DIR --shard I/N` and `idlab merge`: a sweep
//! cut into jobs (the core's `experiment::sweep`), run a shard at a time by a
//! cluster's array job, and joined into the files one `idlab run` writes.
//!
//! The plan folder holds `plan.json` (the whole spec, the jobs, and the spec
//! file's folder its relative paths are read from) and one normal spec per job
//! (`job-0000.json`, …). A shard writes each finished job to `OUT/<hash>/`
//! (its result files and `job.json`, which says where the job sits in the
//! sweep) and skips a job whose folder is there: a retried shard redoes only
//! what did not finish.

use crate::cluster::{self, Shard};
use idlab::experiment::sweep::{self, Part, Split};
use idlab::experiment::{ExperimentResult, Spec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The plan file's format version.
const FORMAT: u32 = 1;
pub const PLAN_FILE: &str = "plan.json";
const JOB_FILE: &str = "job.json";

/// `plan.json`: the sweep and its jobs.
#[derive(Serialize, Deserialize)]
pub struct PlanFile {
    pub idlab_sweep: u32,
    /// sha256 of the whole spec as JSON and the split: one sweep's shards carry it, so outputs of two sweeps are never joined.
    pub plan: String,
    pub by: Split,
    /// The spec file's folder: user files (ONNX, data, weights) are read relative to it.
    pub base: PathBuf,
    pub spec: Spec,
    pub jobs: Vec<JobLine>,
}

/// One job in `plan.json`.
#[derive(Clone, Serialize, Deserialize)]
pub struct JobLine {
    pub index: usize,
    pub hash: String,
    pub file: String,
    pub set: usize,
    pub sources: Vec<usize>,
    pub targets: Vec<usize>,
}

/// `OUT/<hash>/job.json`: what `idlab merge` needs of a finished job.
#[derive(Serialize, Deserialize)]
struct JobDone {
    idlab_sweep: u32,
    plan: String,
    jobs: usize,
    #[serde(flatten)]
    job: JobLine,
    /// The whole spec (the merge joins the jobs into its result).
    sweep: Spec,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `idlab plan SPEC -o DIR`: the jobs' specs and `plan.json`, plus an sbatch
/// script or an Indexed Job manifest for each `emit`.
pub fn plan(spec_path: &Path, dir: &Path, by: &str, emit: &[String], results: &Path, quiet: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(spec_path).map_err(|e| format!("cannot read spec {}: {e}", spec_path.display()))?;
    let at = |e: idlab::Error| format!("{}: {}", spec_path.display(), crate::cli::core(e));
    let spec = Spec::from_json(&text).map_err(at)?;
    let split = Split::parse(by, &spec).map_err(at)?;
    let jobs = sweep::plan(&spec, split).map_err(at)?;
    let base = spec_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let base = base.canonicalize().map_err(|e| format!("cannot resolve {}: {e}", base.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lines: Vec<JobLine> = jobs
        .iter()
        .map(|j| JobLine { index: j.index, hash: j.hash.clone(), file: format!("job-{:04}.json", j.index), set: j.set, sources: j.sources.clone(), targets: j.targets.clone() })
        .collect();
    for (j, line) in jobs.iter().zip(&lines) {
        let json = serde_json::to_vec_pretty(&j.spec).expect("a spec serialises");
        write(&dir.join(&line.file), &json)?;
    }
    let plan_hash = {
        let whole = serde_json::to_vec(&spec).expect("a spec serialises");
        sweep_hash(&[&whole, split.as_str().as_bytes()])
    };
    let file = PlanFile { idlab_sweep: FORMAT, plan: plan_hash, by: split, base, spec, jobs: lines };
    write(&dir.join(PLAN_FILE), &serde_json::to_vec_pretty(&file).expect("a plan serialises"))?;
    for engine in emit {
        let path = cluster::emit(engine, &file, dir, results)?;
        if !quiet {
            eprintln!("idlab: wrote {}", path.display());
        }
    }
    if !quiet {
        eprintln!(
            "idlab: {} jobs (one per {} and stimulus set) in {}; run them with `idlab run {} --shard I/N -o {}`, then `idlab merge {} -o DIR`",
            jobs.len(),
            &split.as_str()[..split.as_str().len() - 1],
            dir.display(),
            dir.display(),
            results.display(),
            results.display()
        );
    }
    Ok(())
}

fn sweep_hash(parts: &[&[u8]]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `idlab run PLAN_DIR --shard I/N -o OUT`: the jobs whose index is I modulo
/// N, each unless its output is already in OUT.
pub fn run_shard(dir: &Path, shard: Option<&str>, out: &Path, site: Option<PathBuf>, quiet: bool) -> Result<(), String> {
    let file: PlanFile = read_json(&dir.join(PLAN_FILE))?;
    if file.idlab_sweep != FORMAT {
        return Err(format!("{}: plan format {} (this idlab reads {FORMAT}): plan the spec again", dir.join(PLAN_FILE).display(), file.idlab_sweep));
    }
    let Shard { index, count, from } = cluster::shard(shard)?;
    let mine: Vec<&JobLine> = file.jobs.iter().filter(|j| j.index % count == index).collect();
    if !quiet {
        eprintln!("idlab: shard {index}/{count} ({from}): {} of {} jobs", mine.len(), file.jobs.len());
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let site = crate::run::site_dir(site);
    let mut fetched = HashMap::new();
    for line in mine {
        let done = out.join(&line.hash);
        if done.join(JOB_FILE).is_file() {
            if !quiet {
                eprintln!("idlab: job {} ({}) is done already: skipped", line.index, &line.hash[..12]);
            }
            continue;
        }
        let path = dir.join(&line.file);
        let spec: Spec = Spec::from_json(&std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
            .map_err(|e| format!("{}: {}", path.display(), crate::cli::core(e)))?;
        let hash = sweep::spec_hash(&spec);
        if hash != line.hash {
            return Err(format!("{}: its spec is not the one planned (sha256 {} where plan.json says {}): plan the spec again", path.display(), &hash[..12], &line.hash[..12]));
        }
        if !quiet {
            eprintln!("idlab: job {} of {} ({}, {})", line.index, file.jobs.len(), line.file, &line.hash[..12]);
        }
        let (session, result) = crate::run::execute(spec, &file.base, &site, quiet, &mut fetched).map_err(|e| format!("job {} ({}): {e}", line.index, line.file))?;
        // Written beside, then renamed: a killed shard leaves no half-written job that looks done.
        let partial = out.join(format!(".{}.partial-{}", line.hash, std::process::id()));
        let _ = std::fs::remove_dir_all(&partial);
        crate::run::write_outputs(&partial, &result, session.exports(), true)?;
        let record = JobDone { idlab_sweep: FORMAT, plan: file.plan.clone(), jobs: file.jobs.len(), job: line.clone(), sweep: file.spec.clone() };
        write(&partial.join(JOB_FILE), &serde_json::to_vec_pretty(&record).expect("serialises"))?;
        if let Err(e) = std::fs::rename(&partial, &done) {
            // Another shard (a retry racing this one) finished it first: same spec, same numbers.
            let _ = std::fs::remove_dir_all(&partial);
            if !done.join(JOB_FILE).is_file() {
                return Err(format!("cannot move {} to {}: {e}", partial.display(), done.display()));
            }
        }
    }
    Ok(())
}

/// `idlab merge SHARD_DIR... -o OUT`: every finished job found in the folders,
/// joined into result.json, scores.csv and report.txt as one run writes them.
pub fn merge(dirs: &[PathBuf], out: &Path, quiet: bool) -> Result<(), String> {
    let mut found: BTreeMap<usize, (JobDone, ExperimentResult, PathBuf)> = BTreeMap::new();
    let mut plan: Option<(String, usize, Spec)> = None;
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join(JOB_FILE).is_file()).collect();
        names.sort();
        for job_dir in names {
            let done: JobDone = read_json(&job_dir.join(JOB_FILE))?;
            match &plan {
                None => plan = Some((done.plan.clone(), done.jobs, done.sweep.clone())),
                Some((p, _, _)) if *p != done.plan => {
                    return Err(format!(
                        "{} belongs to another sweep (plan {} where the first job found has {}): merge one sweep's shards at a time",
                        job_dir.display(),
                        &done.plan[..12],
                        &p[..12]
                    ))
                }
                _ => {}
            }
            if found.contains_key(&done.job.index) {
                continue; // the same job in two shard folders (a retry): equal by construction
            }
            let result: ExperimentResult = read_json(&job_dir.join("result.json"))?;
            found.insert(done.job.index, (done, result, job_dir));
        }
    }
    let Some((_, total, spec)) = plan else {
        return Err(format!("no finished job in {} (each has a <hash>/job.json): run the shards first", dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")));
    };
    let missing: Vec<String> = (0..total).filter(|i| !found.contains_key(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} of {total} jobs have no result in {} (jobs {}): run their shards (`idlab run PLAN_DIR --shard I/N`), then merge again",
            missing.len(),
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
            missing.join(", ")
        ));
    }
    let parts: Vec<Part> = found.into_values().map(|(d, result, _)| Part { set: d.job.set, sources: d.job.sources, targets: d.job.targets, result }).collect();
    let merged = sweep::merge(&spec, parts).map_err(crate::cli::core)?;
    crate::run::write_outputs(out, &merged, Vec::new(), true)?;
    if !quiet {
        eprintln!("idlab: merged {total} jobs into result.json, scores.csv, report.txt in {}", out.display());
    }
    Ok(())
}
