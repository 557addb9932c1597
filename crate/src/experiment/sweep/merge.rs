//! The jobs' results joined into the result a single run of the whole spec gives.

use crate::error::{Error, Result};
use crate::experiment::analysis::{self, Finished};
use crate::experiment::result::{Ceiling, ExperimentResult, Input, ModelInfo, Score};
use crate::experiment::runner::{combine_sets, plan_sets};
use crate::experiment::Experiment;
use crate::experiment::session::Kind;
use crate::experiment::spec::Spec;
use crate::zoo::Probe;
use std::collections::HashMap;

/// One finished job: where its models sit in the whole spec, and its result.
pub struct Part {
    /// The job's stimulus set in the whole spec.
    pub set: usize,
    /// The whole spec's source indices of the job's `s0`, `s1`, ….
    pub sources: Vec<usize>,
    /// The whole spec's target indices of the job's `t0`, ….
    pub targets: Vec<usize>,
    pub result: ExperimentResult,
}

/// Joins the parts of `spec`'s sweep: every (source, target) pair of every
/// stimulus set must be in exactly one part (a pair in two is taken from the
/// first). Scores keep their values bit for bit, in the whole run's order
/// (source, then target, then metric); the ids are the whole spec's; the
/// identifiability verdicts, class comparison, specificity, per-set summary
/// and findings are computed again on the joined tables, as
/// [`crate::experiment::Experiment::result`] computes them. Inputs are
/// listed once each, in the order `idlab run` adds them; warnings once each, in job order; `seconds` is the jobs' sum.
pub fn merge(spec: &Spec, parts: Vec<Part>) -> Result<ExperimentResult> {
    spec.validate()?;
    let plans = plan_sets(spec)?;
    // A run lists its inputs as the front door adds them: models, weights, stimuli, data.
    let added: Vec<String> = {
        let x = Experiment::new(spec.clone())?;
        let mut names = x.model_files();
        names.extend(x.weights_needed().into_iter().map(|w| w.name));
        names.extend(x.stimulus_paths());
        names.extend(x.data_files());
        names.extend(x.dataset_paths());
        names
    };
    let rank = |name: &str| added.iter().position(|n| n == name).unwrap_or(usize::MAX);
    let (n_s, n_t) = (spec.sources.len(), spec.targets.len());
    if let Some(p) = parts.iter().find(|p| p.set >= plans.len()) {
        return Err(Error::Input(format!("a job ran on stimulus set {} of a spec with {} (another spec's job?)", p.set, plans.len())));
    }
    let mut per_set = Vec::new();
    for (set, plan) in plans.iter().enumerate() {
        let here: Vec<&Part> = parts.iter().filter(|p| p.set == set).collect();
        let mut sources: Vec<Option<ModelInfo>> = vec![None; n_s];
        let mut targets: Vec<Option<ModelInfo>> = vec![None; n_t];
        // (source, target) -> the part that scored it.
        let mut owner: HashMap<(usize, usize), usize> = HashMap::new();
        let mut scores: Vec<((usize, usize), Score)> = Vec::new();
        let mut ceilings: Vec<Ceiling> = Vec::new();
        let (mut inputs, mut warnings): (Vec<Input>, Vec<String>) = (Vec::new(), Vec::new());
        let mut stimuli: Option<&Vec<String>> = None;
        let mut seconds = 0.0;
        for (j, part) in here.iter().enumerate() {
            let r = &part.result;
            let job = |what: String| Error::Input(format!("stimulus set {set}, the job of sources {:?} and targets {:?}: {what}", part.sources, part.targets));
            // A job's `s<i>` / `t<i>` as the whole spec's index (the job files are read from disk: checked).
            let global = |id: &str| -> Result<(bool, usize)> {
                let (is_source, list, whole, rest) = match (id.strip_prefix('s'), id.strip_prefix('t')) {
                    (Some(rest), _) => (true, &part.sources, n_s, rest),
                    (_, Some(rest)) => (false, &part.targets, n_t, rest),
                    _ => return Err(job(format!("model id \"{id}\" is neither s<i> nor t<i>"))),
                };
                let i: usize = rest.parse().map_err(|_| job(format!("model id \"{id}\" is neither s<i> nor t<i>")))?;
                let g = *list.get(i).ok_or_else(|| job(format!("model id \"{id}\" is beyond the job's {} models of that side", list.len())))?;
                if g >= whole {
                    return Err(job(format!("model id \"{id}\" stands for model {g} of a spec with {whole} on that side (another spec's job?)")));
                }
                Ok((is_source, g))
            };
            match stimuli {
                None => stimuli = Some(&r.stimuli),
                Some(s) if *s != r.stimuli => {
                    return Err(job(format!("ran on {} stimuli that are not the other jobs' {} (another spec's result?)", r.stimuli.len(), s.len())))
                }
                _ => {}
            }
            for m in &r.models {
                let (is_source, g) = global(&m.id)?;
                let slot = if is_source { &mut sources[g] } else { &mut targets[g] };
                if slot.is_none() {
                    *slot = Some(ModelInfo { id: format!("{}{g}", if is_source { "s" } else { "t" }), ..m.clone() });
                }
            }
            for sc in &r.scores {
                let (_, s) = global(&sc.source)?;
                let (_, t) = global(&sc.target)?;
                if *owner.entry((s, t)).or_insert(j) != j {
                    continue;
                }
                scores.push(((s, t), Score { source: format!("s{s}"), target: format!("t{t}"), set: None, ..sc.clone() }));
            }
            for c in &r.noise_ceilings {
                let (_, t) = global(&c.target)?;
                let c = Ceiling { target: format!("t{t}"), set: None, ..c.clone() };
                if !ceilings.iter().any(|x| x.metric == c.metric && x.target == c.target) {
                    ceilings.push(c);
                }
            }
            for i in &r.inputs {
                if !inputs.iter().any(|x| x.name == i.name && x.sha256 == i.sha256 && x.role == i.role) {
                    inputs.push(i.clone());
                }
            }
            for w in &r.warnings {
                if !warnings.contains(w) {
                    warnings.push(w.clone());
                }
            }
            seconds += r.seconds;
        }
        let missing: Vec<String> = (0..n_s)
            .flat_map(|s| (0..n_t).map(move |t| (s, t)))
            .filter(|p| !owner.contains_key(p))
            .map(|(s, t)| format!("s{s} x t{t}"))
            .collect();
        if !missing.is_empty() {
            let few: Vec<&str> = missing.iter().take(6).map(String::as_str).collect();
            return Err(Error::Input(format!(
                "stimulus set {set}: {} of {} source x target pairs have no result ({}{}): a job is missing (run its shard, then merge again)",
                missing.len(),
                n_s * n_t,
                few.join(", "),
                if missing.len() > few.len() { ", …" } else { "" }
            )));
        }
        inputs.sort_by_key(|i| rank(&i.name)); // stable
        let sources: Vec<ModelInfo> = sources.into_iter().map(|m| m.expect("every pair has a result, so every model has a job")).collect();
        let targets: Vec<ModelInfo> = targets.into_iter().map(|m| m.expect("every pair has a result")).collect();
        scores.sort_by_key(|(pair, _)| *pair); // stable: the metrics keep their order

        // The analyses read the plan's entries: a user model's layers and a
        // data target's subjects are known from its job's result.
        let mut entries = plan.entries.clone();
        for e in entries.iter_mut() {
            let info = if e.id.starts_with('s') { &sources[e.id[1..].parse::<usize>().expect("plan ids")] } else { &targets[e.id[1..].parse::<usize>().expect("plan ids")] };
            if matches!(e.kind, Kind::Onnx { .. }) && e.layers.is_empty() {
                e.layers = info.layers.iter().map(|l| Probe { label: l.clone(), tensor: l.clone(), units: 0 }).collect();
            }
            if e.subjects.is_empty() {
                e.subjects = info.subjects.clone();
            }
            e.units = e.units.or(info.units);
        }
        // Metric k's table of each pair: a pair's tables follow the spec's metrics in order.
        let mut by_pair: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for (i, (pair, _)) in scores.iter().enumerate() {
            by_pair.entry(*pair).or_default().push(i);
        }
        let mut index = HashMap::new();
        for (&(s, t), tables) in &by_pair {
            let mut rest = tables.as_slice();
            for (k, m) in spec.metrics.iter().enumerate() {
                if let Some(at) = rest.iter().position(|&i| scores[i].1.metric == m.name) {
                    index.insert((k, s, t), rest[at]);
                    rest = &rest[at + 1..];
                }
            }
        }
        let scores: Vec<Score> = scores.into_iter().map(|(_, s)| s).collect();
        let run = Finished { spec: &plan.spec, metrics: &plan.metrics, entries: &entries, scores: &scores, index: &index };
        let (identifiability, class_comparison) = analysis::per_target(&run);
        let (specificity, more) = analysis::specificity::from_run(&run);
        warnings.extend(more);
        let first = &here[0].result;
        let mut models = sources;
        models.extend(targets);
        per_set.push(ExperimentResult {
            idlab_version: first.idlab_version.clone(),
            flavor: first.flavor.clone(),
            simd: first.simd.clone(),
            spec: plan.spec.clone(),
            n_stimuli: first.n_stimuli,
            stimuli: first.stimuli.clone(),
            inputs,
            models,
            scores,
            noise_ceilings: ceilings,
            identifiability,
            class_comparison,
            stimulus_sets: Vec::new(),
            by_stimuli: Vec::new(),
            specificity,
            findings: Vec::new(),
            warnings,
            seconds,
            timings: None,
        });
    }
    let seconds: f64 = per_set.iter().map(|r| r.seconds).sum();
    let mut merged = if per_set.len() == 1 { per_set.pop().expect("one set") } else { combine_sets(spec, per_set) };
    merged.spec = spec.clone();
    merged.seconds = seconds;
    merged.findings = crate::experiment::findings::findings(&merged);
    Ok(merged)
}
