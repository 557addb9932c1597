//! What `idlab` knows of the engines that run array jobs: which shard this
//! process is (from `--shard` or the engine's environment), and the sbatch
//! script or Kubernetes Indexed Job manifest `idlab plan --emit` writes.

use crate::sweep::PlanFile;
use idlab::experiment::memory::{estimate, UserModels};
use std::path::{Path, PathBuf};

/// Shard `index` of `count` (0-based), and where that came from.
pub struct Shard {
    pub index: usize,
    pub count: usize,
    pub from: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn number(name: &str, value: &str) -> Result<usize, String> {
    value.trim().parse().map_err(|_| format!("{name}={value:?} is not a whole number"))
}

/// The shard from `--shard I/N`; else from a Slurm array
/// (`SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN`, of
/// `SLURM_ARRAY_TASK_COUNT`), a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`,
/// of `IDLAB_SHARD_COUNT`, which the emitted manifest sets to its
/// completions), or an AWS Batch array (`AWS_BATCH_JOB_ARRAY_INDEX`, of
/// `AWS_BATCH_JOB_ARRAY_SIZE` or `IDLAB_SHARD_COUNT`); else every job (0/1).
pub fn shard(flag: Option<&str>) -> Result<Shard, String> {
    let check = |index: usize, count: usize, from: String| {
        if count == 0 || index >= count {
            Err(format!("shard {index}/{count} ({from}): the index counts from 0 and must be below the count"))
        } else {
            Ok(Shard { index, count, from })
        }
    };
    if let Some(f) = flag {
        let (i, n) = f.split_once('/').ok_or_else(|| format!("--shard takes I/N (0-based, e.g. 0/4), got \"{f}\""))?;
        return check(number("--shard I", i)?, number("--shard N", n)?, "--shard".into());
    }
    if let Some(id) = var("SLURM_ARRAY_TASK_ID") {
        let count = var("SLURM_ARRAY_TASK_COUNT").ok_or("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give --shard I/N")?;
        let min = var("SLURM_ARRAY_TASK_MIN").map(|m| number("SLURM_ARRAY_TASK_MIN", &m)).transpose()?.unwrap_or(0);
        let id = number("SLURM_ARRAY_TASK_ID", &id)?;
        return check(id.saturating_sub(min), number("SLURM_ARRAY_TASK_COUNT", &count)?, "Slurm array".into());
    }
    if let Some(id) = var("JOB_COMPLETION_INDEX") {
        let count = var("IDLAB_SHARD_COUNT")
            .ok_or("JOB_COMPLETION_INDEX is set but not IDLAB_SHARD_COUNT: set it to the Job's completions (the manifest `idlab plan --emit k8s` writes does), or give --shard I/N")?;
        return check(number("JOB_COMPLETION_INDEX", &id)?, number("IDLAB_SHARD_COUNT", &count)?, "Kubernetes Indexed Job".into());
    }
    if let Some(id) = var("AWS_BATCH_JOB_ARRAY_INDEX") {
        let (name, count) = var("AWS_BATCH_JOB_ARRAY_SIZE")
            .map(|c| ("AWS_BATCH_JOB_ARRAY_SIZE", c))
            .or_else(|| var("IDLAB_SHARD_COUNT").map(|c| ("IDLAB_SHARD_COUNT", c)))
            .ok_or("AWS_BATCH_JOB_ARRAY_INDEX is set but neither AWS_BATCH_JOB_ARRAY_SIZE nor IDLAB_SHARD_COUNT: set one to the array's size, or give --shard I/N")?;
        return check(number("AWS_BATCH_JOB_ARRAY_INDEX", &id)?, number(name, &count)?, "AWS Batch array".into());
    }
    Ok(Shard { index: 0, count: 1, from: "no shard given: every job".into() })
}

/// The memory to ask for: the largest job's estimate (`idlab memory`) and a
/// quarter more, in whole GiB, at least 2.
fn memory_gib(plan: &PlanFile, dir: &Path) -> usize {
    let users = UserModels { spill: true, ..UserModels::default() };
    let largest = plan
        .jobs
        .iter()
        .filter_map(|j| {
            let text = std::fs::read_to_string(dir.join(&j.file)).ok()?;
            let spec = idlab::experiment::Spec::from_json(&text).ok()?;
            estimate(&spec, &users).ok().map(|e| e.total)
        })
        .max()
        .unwrap_or(0);
    ((largest as f64 * 1.25 / (1u64 << 30) as f64).ceil() as usize).max(2)
}

fn absolute(p: &Path) -> Result<PathBuf, String> {
    std::path::absolute(p).map_err(|e| format!("cannot resolve {}: {e}", p.display()))
}

/// Writes the `engine`'s file (`slurm`: `idlab.sbatch`; `k8s`: `idlab-job.yaml`)
/// into the plan folder `dir`, its shards writing into `results`; returns its path.
pub fn emit(engine: &str, plan: &PlanFile, dir: &Path, results: &Path) -> Result<PathBuf, String> {
    let (jobs_dir, out) = (absolute(dir)?, absolute(results)?);
    let n = plan.jobs.len();
    let name = format!("idlab-{}", &plan.plan[..10]);
    let mem = memory_gib(plan, dir);
    let (file, text) = match engine {
        "slurm" => (
            "idlab.sbatch",
            format!(
                "#!/bin/bash
# One Slurm array task per job of the sweep {plan} ({n} jobs), written by `idlab plan --emit slurm`.
# Submit: sbatch {script}   Then, when every task is done: idlab merge {out} -o merged/
# The resources are a start: --mem is the largest job's `idlab memory` estimate and a quarter more.
#SBATCH --job-name={name}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task=4
#SBATCH --mem={mem}G
#SBATCH --time=04:00:00
#SBATCH --output={out_raw}/slurm-%A_%a.log
set -euo pipefail
mkdir -p {out}
# idlab reads its shard from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT; a finished job is skipped on a rerun.
exec \"${{IDLAB:-idlab}}\" --threads \"${{SLURM_CPUS_PER_TASK:-4}}\" run {jobs} -o {out} --quiet
",
                plan = &plan.plan[..12],
                script = jobs_dir.join("idlab.sbatch").display(),
                last = n - 1,
                jobs = shell(&jobs_dir),
                out = shell(&out),
                out_raw = out.display(),
            ),
        ),
        "k8s" => {
            let cwd = absolute(Path::new("."))?;
            (
                "idlab-job.yaml",
                format!(
                    "# A Kubernetes Indexed Job: one completion per job of the sweep {plan} ({n} jobs), written by
# `idlab plan --emit k8s`. Apply: kubectl apply -f {manifest}
# The image must hold the idlab binary (and the site's stimuli: IDLAB_SITE); the claim
# idlab-work must hold this folder ({cwd}), mounted at the same path so the plan's paths hold.
# Then, when every index is done: idlab merge {out} -o merged/
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: idlab
spec:
  completionMode: Indexed
  completions: {n}
  parallelism: {n}
  backoffLimit: {retries}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: idlab
    spec:
      restartPolicy: Never
      containers:
        - name: idlab
          image: idlab:latest
          command: [\"idlab\", \"--threads\", \"4\", \"run\", {jobs}, \"-o\", {out_q}, \"--quiet\"]
          env:
            - name: IDLAB_SHARD_COUNT
              value: \"{n}\"
          resources:
            requests:
              cpu: \"4\"
              memory: {mem}Gi
            limits:
              memory: {mem}Gi
          volumeMounts:
            - name: work
              mountPath: {cwd_q}
      volumes:
        - name: work
          persistentVolumeClaim:
            claimName: idlab-work
",
                    plan = &plan.plan[..12],
                    manifest = jobs_dir.join("idlab-job.yaml").display(),
                    cwd = cwd.display(),
                    out = out.display(),
                    retries = 2 * n,
                    jobs = json_str(&jobs_dir),
                    out_q = json_str(&out),
                    cwd_q = json_str(&cwd),
                ),
            )
        }
        other => return Err(format!("--emit takes slurm or k8s, got \"{other}\"")),
    };
    let path = dir.join(file);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// A path as one word of a POSIX shell line.
fn shell(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// A path as a JSON (and so YAML) string.
fn json_str(p: &Path) -> String {
    serde_json::to_string(&p.display().to_string()).expect("a string serialises")
}
