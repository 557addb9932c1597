//! A spec cut into jobs: one per stimulus set and per source (or per target),
//! deterministically ordered, each named by the content hash of its spec.

use crate::error::{Error, Result};
use crate::experiment::spec::Spec;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which side of the spec each job takes one model of; the other side is whole in every job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// One target per job, every source in each: the sources are recorded
    /// once per target (few targets, many sources: the brain-data case).
    Targets,
    /// One source per job, every target in each: the targets are recorded
    /// once per source.
    Sources,
}

impl Split {
    /// `targets` or `sources`; `auto` cuts along the side with more models
    /// (targets on a tie), so the jobs are as many as can be.
    pub fn parse(s: &str, spec: &Spec) -> Result<Split> {
        match s {
            "targets" | "target" => Ok(Split::Targets),
            "sources" | "source" => Ok(Split::Sources),
            "auto" if spec.sources.len() > spec.targets.len() => Ok(Split::Sources),
            "auto" => Ok(Split::Targets),
            _ => Err(Error::Spec(format!("--by takes auto, targets or sources, got \"{s}\""))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Split::Targets => "targets",
            Split::Sources => "sources",
        }
    }
}

/// One job of a sweep: a normal spec, and where its models sit in the whole spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Its place in the sweep's order (0-based).
    pub index: usize,
    /// sha256 of the job's spec as JSON: names its output, so a finished job is not run again.
    pub hash: String,
    /// The stimulus set of the whole spec (0: `stimuli`, then each of `more_stimuli`).
    pub set: usize,
    /// The whole spec's source indices the job's `s0`, `s1`, … stand for.
    pub sources: Vec<usize>,
    /// The whole spec's target indices the job's `t0`, … stand for.
    pub targets: Vec<usize>,
    pub spec: Spec,
}

/// The jobs of `spec`: per stimulus set (in the spec's order), then per model
/// of the side `by` cuts (in spec order). Each job's spec is the whole spec
/// on one stimulus set and that one model, without the analyses that read
/// other jobs' scores (`classes`, `specificity`): [`super::merge`] runs those
/// on the joined scores. A spec with `export` is refused: its files are named
/// by the job's model ids, which the merge does not rewrite.
pub fn plan(spec: &Spec, by: Split) -> Result<Vec<Job>> {
    spec.validate()?;
    if spec.export.is_some() {
        return Err(Error::Spec(
            "export: a sharded sweep does not join exported activations and RDMs; run this spec with `idlab run` for them, or leave `export` out".into(),
        ));
    }
    if spec.stimulus_sets().iter().any(|s| s.is_upload()) {
        return Err(Error::Spec(
            "stimuli: a sharded sweep runs on named stimulus sets; an upload folder is read by each job from where the spec sits, so run it with `idlab run`".into(),
        ));
    }
    let all_sources: Vec<usize> = (0..spec.sources.len()).collect();
    let all_targets: Vec<usize> = (0..spec.targets.len()).collect();
    let mut jobs = Vec::new();
    for (set, stimuli) in spec.stimulus_sets().into_iter().enumerate() {
        let cuts: Vec<(Vec<usize>, Vec<usize>)> = match by {
            Split::Targets => all_targets.iter().map(|&t| (all_sources.clone(), vec![t])).collect(),
            Split::Sources => all_sources.iter().map(|&s| (vec![s], all_targets.clone())).collect(),
        };
        for (sources, targets) in cuts {
            let job_spec = Spec {
                stimuli: stimuli.clone(),
                more_stimuli: None,
                sources: sources.iter().map(|&s| spec.sources[s].clone()).collect(),
                targets: targets.iter().map(|&t| spec.targets[t].clone()).collect(),
                classes: None,
                specificity: None,
                ..spec.clone()
            };
            job_spec.validate().map_err(|e| Error::Spec(format!("job {} (stimulus set {set}): {e}", jobs.len())))?;
            jobs.push(Job { index: jobs.len(), hash: hash(&job_spec), set, sources, targets, spec: job_spec });
        }
    }
    Ok(jobs)
}

/// sha256 (hex) of a spec's JSON, as serde writes it (field order fixed by the types).
pub fn hash(spec: &Spec) -> String {
    let json = serde_json::to_vec(spec).expect("a spec serialises");
    Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
}
