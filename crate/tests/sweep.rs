//! Sharded sweeps (`idlab plan`, `idlab run PLAN --shard`, `idlab merge`):
//! shards run as separate processes, in any order and split, and their merge
//! writes the files one `idlab run` of the whole spec writes, value for value
//! (result.json but its `seconds`, scores.csv, report.txt but its time line).
//! Four reduced presets cover what the merge must rebuild: several stimulus
//! sets and the per-set summary, data targets with subjects and a noise
//! ceiling, trained weights, the class comparison, predictivity vs
//! specificity. The shard comes from `--shard` and from each engine's
//! environment, the emitted sbatch script runs as Slurm would run it (bash,
//! with the array's variables), and the Indexed Job manifest passes
//! kubernetes-validate's schema check (`target/py`, from models/requirements.txt).
#![cfg(not(target_arch = "wasm32"))]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("idlab-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The preset `name` reduced as tests/fixtures/determinism-reduced.json says (the determinism test's sizes).
fn reduced(name: &str, dir: &Path) -> PathBuf {
    let all: Value = serde_json::from_str(include_str!("../../tests/fixtures/determinism-reduced.json")).unwrap();
    let r = &all["presets"][name];
    let mut spec: Value = serde_json::from_slice(&std::fs::read(repo().join(format!("www/presets/{name}.json"))).unwrap()).unwrap();
    spec["stimuli"]["limit"] = r["limit"].clone();
    for key in ["sources", "targets", "layers"] {
        if let Some(v) = r.get(key) {
            spec[key] = v.clone();
        }
    }
    if let Some(n) = r.get("more") {
        spec["more_stimuli"].as_array_mut().unwrap().iter_mut().for_each(|s| s["count"] = n.clone());
    }
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
    path
}

/// `idlab ARGS` with `env` added and the engines' variables of this process removed.
fn idlab(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_idlab"));
    c.args(args);
    for v in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX", "IDLAB_SHARD_COUNT", "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"] {
        c.env_remove(v);
    }
    c.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    c.output().unwrap()
}

fn ok(o: Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{what} failed ({}):\n{err}", o.status);
    err
}

fn fails(o: Output, what: &str) -> String {
    assert!(!o.status.success(), "{what} should fail");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// result.json without `seconds`, scores.csv, and report.txt without its time line.
fn outputs(dir: &Path) -> (Value, String, String) {
    let mut result: Value = serde_json::from_slice(&std::fs::read(dir.join("result.json")).unwrap()).unwrap();
    result.as_object_mut().unwrap().remove("seconds").expect("seconds");
    let csv = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    let report = std::fs::read_to_string(dir.join("report.txt")).unwrap();
    let report = report.lines().filter(|l| !l.starts_with("Total time:")).collect::<Vec<_>>().join("\n");
    (result, csv, report)
}

/// The whole spec run once, and its plan (`--by by`, an emitted file's shards
/// writing into `results/`): returns (the test's folder, the whole run's, the plan's).
fn whole_and_plan(name: &str, by: &str, extra: &[&str]) -> (PathBuf, PathBuf, PathBuf) {
    let dir = out_dir(name);
    let spec = reduced(name, &dir);
    let whole = dir.join("whole");
    ok(idlab(&["run", s(&spec), "-o", s(&whole), "--quiet"], &[]), "idlab run (whole)");
    let jobs = dir.join("jobs");
    let results = dir.join("results");
    let mut args = vec!["plan", s(&spec), "-o", s(&jobs), "--by", by, "--results", s(&results)];
    args.extend_from_slice(extra);
    ok(idlab(&args, &[]), "idlab plan");
    (dir, whole, jobs)
}

fn jobs_in(plan: &Path) -> usize {
    let p: Value = serde_json::from_slice(&std::fs::read(plan.join("plan.json")).unwrap()).unwrap();
    p["jobs"].as_array().unwrap().len()
}

/// The merge of `shard_dirs` equals the whole run, file by file, and has substance.
fn merged_equals_whole(dir: &Path, whole: &Path, shard_dirs: &[&Path]) {
    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(shard_dirs.iter().map(|d| s(d)));
    args.extend(["-o", s(&merged)]);
    ok(idlab(&args, &[]), "idlab merge");
    let (a, a_csv, a_report) = outputs(whole);
    let (b, b_csv, b_report) = outputs(&merged);
    assert!(a_csv.lines().count() > 8, "the run scored something:\n{a_csv}");
    assert_eq!(a_csv, b_csv, "scores.csv: merged vs whole run");
    for key in a.as_object().unwrap().keys() {
        assert_eq!(a[key], b[key], "result.json's {key}: whole run vs merged");
    }
    assert_eq!(a, b);
    assert_eq!(a_report, b_report, "report.txt");
}

/// Several stimulus sets (Han et al. Fig. 5's preset): six jobs (three sets x two
/// targets), shards 0-2 of 3 by flag into two folders, the last shard run twice (the
/// rerun skips its finished jobs and changes nothing).
#[test]
fn stimulus_sets_by_target_flag_shards_and_rerun() {
    let (dir, whole, jobs) = whole_and_plan("which-stimuli-identify", "targets", &[]);
    assert_eq!(jobs_in(&jobs), 6);
    let (a, b) = (dir.join("shards-a"), dir.join("shards-b"));
    ok(idlab(&["run", s(&jobs), "--shard", "0/3", "-o", s(&a), "--quiet"], &[]), "shard 0/3");
    ok(idlab(&["run", s(&jobs), "--shard", "1/3", "-o", s(&b), "--quiet"], &[]), "shard 1/3");
    // A merge before every shard finished names the missing jobs.
    let err = fails(idlab(&["merge", s(&a), s(&b), "-o", s(&dir.join("early"))], &[]), "merge with a shard missing");
    assert!(err.contains("2 of 6 jobs have no result") && err.contains("jobs 2, 5"), "{err}");
    ok(idlab(&["run", s(&jobs), "--shard", "2/3", "-o", s(&b), "--quiet"], &[]), "shard 2/3");
    let done: Vec<_> = std::fs::read_dir(&b).unwrap().map(|e| e.unwrap().path()).collect();
    let stamp = |p: &Path| std::fs::metadata(p.join("result.json")).unwrap().modified().unwrap();
    let before: Vec<_> = done.iter().map(|p| stamp(p)).collect();
    let err = ok(idlab(&["run", s(&jobs), "--shard", "2/3", "-o", s(&b)], &[]), "shard 2/3 again");
    assert_eq!(err.matches("is done already: skipped").count(), 2, "{err}");
    assert_eq!(done.iter().map(|p| stamp(p)).collect::<Vec<_>>(), before, "a finished job is not written again");
    merged_equals_whole(&dir, &whole, &[&a, &b]);
}

/// Data targets (the shipped IT RDMs: subjects, Mantel p-values, a noise ceiling)
/// and trained weights, one job per source, run by the emitted sbatch script as
/// Slurm runs an array task (bash, the array's variables); the array covers every job.
#[test]
fn data_targets_by_source_through_the_sbatch_script() {
    let (dir, whole, jobs) = whole_and_plan("random-alexnet-vs-it", "sources", &["--emit", "slurm"]);
    let n = jobs_in(&jobs);
    assert_eq!(n, 3);
    let script = jobs.join("idlab.sbatch");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains(&format!("#SBATCH --array=0-{}\n", n - 1)) && text.contains("#SBATCH --mem="), "{text}");
    // Slurm numbers tasks from the array's first index: an array of 1-3 works too.
    for (id, min) in [(1, 1), (2, 1), (2, 0)] {
        let env = [
            ("SLURM_ARRAY_TASK_ID", id.to_string()),
            ("SLURM_ARRAY_TASK_MIN", min.to_string()),
            ("SLURM_ARRAY_TASK_COUNT", n.to_string()),
            ("SLURM_CPUS_PER_TASK", "2".into()),
            ("IDLAB", env!("CARGO_BIN_EXE_idlab").into()),
        ];
        let o = Command::new("bash").arg(&script).envs(env.iter().map(|(k, v)| (*k, v.as_str()))).output().unwrap();
        ok(o, &format!("bash idlab.sbatch as array task {id} (min {min})"));
    }
    merged_equals_whole(&dir, &whole, &[&dir.join("results")]);
}

/// The class comparison (convolution vs attention), one job per source (auto:
/// four sources, one target), run as the emitted Indexed Job's pods run: its
/// command, JOB_COMPLETION_INDEX and the manifest's IDLAB_SHARD_COUNT. The
/// manifest passes kubernetes-validate's strict schema check.
#[test]
fn classes_by_source_through_the_indexed_job() {
    let (dir, whole, jobs) = whole_and_plan("convolution-vs-attention", "auto", &["--emit", "k8s"]);
    let n = jobs_in(&jobs);
    assert_eq!(n, 4, "auto cuts along the four sources");
    let manifest = jobs.join("idlab-job.yaml");
    let validator = repo().join("target/py/bin/kubernetes-validate");
    assert!(validator.exists(), "{} is missing: ./build.sh test installs it (models/requirements.txt into target/py)", validator.display());
    let o = Command::new(&validator).arg("--strict").arg(&manifest).output().unwrap();
    assert!(o.status.success(), "kubernetes-validate --strict {}:\n{}{}", manifest.display(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains(&format!("completions: {n}\n")) && text.contains(&format!("value: \"{n}\"")), "{text}");
    let line = text.lines().find_map(|l| l.trim().strip_prefix("command: ")).expect("a command");
    let command: Vec<String> = serde_json::from_str(line).unwrap();
    assert_eq!(command[0], "idlab");
    let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
    for i in 0..n {
        ok(idlab(&args, &[("JOB_COMPLETION_INDEX", i.to_string()), ("IDLAB_SHARD_COUNT", n.to_string())]), &format!("the pod of index {i}"));
    }
    let err = fails(idlab(&args, &[("JOB_COMPLETION_INDEX", "0".into())]), "an index without a count");
    assert!(err.contains("IDLAB_SHARD_COUNT"), "{err}");
    merged_equals_whole(&dir, &whole, &[&dir.join("results")]);
}

/// Predictivity vs specificity (the analysis reads every pair of seeds) over
/// one job per target, as an AWS Batch array of two; and what is refused, each
/// with its reason: a spec with `export`, a shard of a spec file, a shard
/// index past the count, shards of two sweeps in one merge.
#[test]
fn specificity_by_target_as_aws_batch_array_and_refusals() {
    let (dir, whole, jobs) = whole_and_plan("predictivity-specificity", "targets", &[]);
    assert_eq!(jobs_in(&jobs), 4);
    let out = dir.join("shards");
    for i in 0..2 {
        let env = [("AWS_BATCH_JOB_ARRAY_INDEX", i.to_string()), ("AWS_BATCH_JOB_ARRAY_SIZE", "2".to_string())];
        let err = ok(idlab(&["run", s(&jobs), "-o", s(&out)], &env), "AWS Batch child");
        assert!(err.contains(&format!("shard {i}/2 (AWS Batch array): 2 of 4 jobs")), "{err}");
    }
    merged_equals_whole(&dir, &whole, &[&out]);

    let spec = dir.join("predictivity-specificity.json");
    let err = fails(idlab(&["run", s(&spec), "--shard", "0/2", "-o", s(&dir.join("x"))], &[]), "--shard with a spec file");
    assert!(err.contains("--shard runs part of a plan folder"), "{err}");
    let err = fails(idlab(&["run", s(&jobs), "--shard", "2/2", "-o", s(&dir.join("x"))], &[]), "--shard 2/2");
    assert!(err.contains("must be below the count"), "{err}");
    let mut with_export: Value = serde_json::from_slice(&std::fs::read(&spec).unwrap()).unwrap();
    with_export["export"] = json!({"rdms": true});
    let exported = dir.join("export.json");
    std::fs::write(&exported, serde_json::to_vec(&with_export).unwrap()).unwrap();
    let err = fails(idlab(&["plan", s(&exported), "-o", s(&dir.join("y"))], &[]), "plan of a spec with export");
    assert!(err.contains("export: a sharded sweep does not join exported"), "{err}");
    // Another sweep's shard (the same spec cut by source) is not joined with these.
    let other = dir.join("other");
    ok(idlab(&["plan", s(&spec), "-o", s(&other), "--by", "sources"], &[]), "plan by sources");
    let other_out = dir.join("other-shards");
    ok(idlab(&["run", s(&other), "--shard", "0/2", "-o", s(&other_out), "--quiet"], &[]), "a shard of the other sweep");
    let err = fails(idlab(&["merge", s(&out), s(&other_out), "-o", s(&dir.join("z"))], &[]), "merge of two sweeps");
    assert!(err.contains("belongs to another sweep"), "{err}");
}
