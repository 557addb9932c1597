//! [`Experiment`], what the front doors drive: a spec's run, one
//! [`Session`] per stimulus set.
//!
//! An experiment over several stimulus sets (Han et al. 2023, Fig. 5: which
//! stimuli identify the architecture?): the spec's `stimuli` and then each of
//! its `more_stimuli`, every one a full run of the same models and metrics
//! (a [`Session`]), merged into one result whose entries say which set they
//! came from, with the identifiability index summarised per set.
//!
//! The front doors drive an [`Experiment`] exactly as a [`Session`]: files
//! in, then steps, then the result. A spec with one set runs one session and
//! its result is that session's, unchanged.

use super::result::{ExperimentResult, SetIdentifiability, StimulusSet};
use super::session::{read_checkpoint, run_key, Checkpoint, Decoded, Plan, Progress, Resumed, Session, WeightsNeed, GRAM_MEMORY};
use crate::sinks::Spill;
use super::spec::Spec;
use crate::error::{Error, Result};

/// A spec's run over each of its stimulus sets, one after the other.
pub struct Experiment {
    spec: Spec,
    sessions: Vec<Session>,
    /// Per set: stimuli added so far (named sets take their paths in order).
    added: Vec<usize>,
    /// The set running now.
    current: usize,
    /// Steps of the sets already done.
    steps_before: usize,
    /// Bytes of Gram rows a model holds before they spill.
    gram_memory: u64,
    /// The set the last step ran (its checkpoint is that set's).
    last: usize,
    /// The run key, kept from the first step on (data files are consumed as they load).
    key: Option<String>,
}

impl Experiment {
    /// Validates `spec` once and plans each of its stimulus sets.
    pub fn new(spec: Spec) -> Result<Experiment> {
        spec.validate()?;
        Experiment::from_validated(spec)
    }

    /// Parses and validates a spec's JSON text (a version 1 spec is upgraded)
    /// and plans it: the page's way in, the spec validated once.
    pub fn from_json(text: &str) -> Result<Experiment> {
        Experiment::from_validated(Spec::from_json(text)?)
    }

    /// The plans of a spec's JSON text (validated once), one per stimulus
    /// set, without drawing an image or reading a file: what a front door
    /// asks before a run (the files to fetch, the sets' sizes).
    pub fn plans_from_json(text: &str) -> Result<Vec<Plan>> {
        plan_sets(&Spec::from_json(text)?)
    }

    fn from_validated(spec: Spec) -> Result<Experiment> {
        let plans = plan_sets(&spec)?;
        let sessions = plans
            .into_iter()
            .enumerate()
            .map(|(i, plan)| {
                Session::from_plan(plan).map_err(|e| match e {
                    Error::Spec(m) if i > 0 => Error::Spec(format!("more_stimuli[{}]: {m}", i - 1)),
                    other => other,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let n = sessions.len();
        Ok(Experiment { spec, sessions, added: vec![0; n], current: 0, steps_before: 0, gram_memory: GRAM_MEMORY, last: 0, key: None })
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Where the Gram sinks spill their rows (`None`: all rows in memory) and
    /// how many bytes of rows a model holds first (default [`GRAM_MEMORY`]).
    /// The store moves on from set to set. Natively each set has a temporary
    /// file unless this is called; in wasm, nothing spills unless it is.
    pub fn set_spill(&mut self, mut spill: Option<Spill>, gram_memory: u64) {
        self.gram_memory = gram_memory;
        let current = self.current;
        for (k, s) in self.sessions.iter_mut().enumerate() {
            s.set_spill(if k == current { spill.take() } else { None }, gram_memory);
        }
    }

    /// Bytes of resized images a set keeps in memory before they spill to the
    /// store (default [`super::session::IMAGE_MEMORY`]).
    pub fn set_image_memory(&mut self, bytes: u64) {
        for s in &mut self.sessions {
            s.set_image_memory(bytes);
        }
    }

    /// Bytes the spill store held at most, over the sets run so far.
    pub fn spilled_peak(&self) -> u64 {
        self.sessions.iter().map(Session::spilled_peak).max().unwrap_or(0)
    }

    fn several(&self) -> bool {
        self.sessions.len() > 1
    }

    /// Site-relative paths of every set's stimuli, set after set; hand each to
    /// [`Experiment::add_stimulus`] in this order.
    pub fn stimulus_paths(&self) -> Vec<String> {
        self.sessions.iter().flat_map(|s| s.stimulus_paths().iter().cloned()).collect()
    }

    /// The folder or .zip of the set that is the user's upload, if any.
    pub fn upload_folder(&self) -> Option<&str> {
        self.spec.stimulus_sets().into_iter().find(|s| s.is_upload()).and_then(|s| s.folder.as_deref())
    }

    /// A stimulus goes to the first set expecting that path next; any other
    /// name is one of the user's uploaded images.
    pub fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let named = (0..self.sessions.len()).find(|&i| self.sessions[i].stimulus_paths().get(self.added[i]).is_some_and(|p| p == name));
        let upload = || self.spec.stimulus_sets().iter().position(|s| s.is_upload());
        let i = match (named, upload()) {
            (Some(i), _) | (None, Some(i)) => i,
            // No set takes it: the session says why (too many, or no upload).
            (None, None) => 0,
        };
        self.sessions[i].add_stimulus(name, bytes)?;
        self.added[i] += 1;
        Ok(())
    }

    pub fn model_files(&self) -> Vec<String> {
        self.sessions[0].model_files()
    }

    /// A user model's bytes, for every set's run.
    pub fn add_model(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let last = self.sessions.len() - 1;
        for s in &mut self.sessions[..last] {
            s.add_model(name, bytes.clone())?;
        }
        self.sessions[last].add_model(name, bytes)
    }

    pub fn data_files(&self) -> Vec<String> {
        self.sessions[0].data_files()
    }

    /// The weights files to add with [`Experiment::add_weights`]: trained zoo
    /// models' (a user's file, a URL, a shipped file) and shipped TFLite models'.
    pub fn weights_needed(&self) -> Vec<WeightsNeed> {
        self.sessions[0].weights_needed()
    }

    /// A weights file's bytes (see [`Session::add_weights`]), for every set's run.
    pub fn add_weights(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let last = self.sessions.len() - 1;
        for s in &mut self.sessions[..last] {
            s.add_weights(name, bytes.clone())?;
        }
        self.sessions[last].add_weights(name, bytes)
    }

    pub fn dataset_paths(&self) -> Vec<String> {
        self.sessions[0].dataset_paths()
    }

    /// Data targets exist only with one stimulus set (checked in `new`).
    pub fn add_data(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.sessions[0].add_data(name, bytes)
    }

    pub fn is_done(&self) -> bool {
        self.sessions.iter().all(Session::is_done)
    }

    /// One step of the set running now; progress counts every set's steps and images.
    pub fn step(&mut self) -> Result<Progress> {
        let i = self.current;
        self.last = i;
        if self.key.is_none() {
            // Before the first step every input is there (else the step says what is missing).
            self.key = self.run_key().ok();
        }
        let several = self.several();
        let set = self.set_name(i);
        // Errors say which set they are about.
        let p = self.sessions[i].step().map_err(|e| match e {
            Error::Input(m) if several => Error::Input(format!("stimuli {set}: {m}")),
            Error::State(m) if several => Error::State(format!("stimuli {set}: {m}")),
            other => other,
        })?;
        Ok(self.merged_progress(p))
    }

    fn merged_progress(&mut self, p: Progress) -> Progress {
        if !self.several() {
            return p;
        }
        let (done_here, total_here) = (p.done, p.total);
        let images_before: usize = (0..self.current).map(|i| self.sessions[i].images_total()).sum();
        let images_after: usize = (self.current + 1..self.sessions.len()).map(|i| self.sessions[i].images_total()).sum();
        let steps_after: usize = (self.current + 1..self.sessions.len()).map(|i| self.sessions[i].total_steps()).sum();
        let out = Progress {
            stage: if p.stage == "done" && self.current + 1 < self.sessions.len() { "comparing" } else { p.stage },
            label: format!("{}: {}", self.set_name(self.current), p.label),
            done: self.steps_before + done_here,
            total: self.steps_before + total_here + steps_after,
            images_done: images_before + p.images_done,
            images_total: images_before + p.images_total + images_after,
        };
        if self.sessions[self.current].is_done() && self.current + 1 < self.sessions.len() {
            self.next_set(total_here);
        }
        out
    }

    /// Moves on to the next set once the current one (of `steps` steps) is done;
    /// one spill store serves the sets in turn.
    fn next_set(&mut self, steps: usize) {
        self.steps_before += steps;
        if let Some(spill) = self.sessions[self.current].take_spill() {
            let gram_memory = self.gram_memory;
            self.sessions[self.current + 1].set_spill(Some(spill), gram_memory);
        }
        self.current += 1;
    }

    /// The run key (see `session::checkpoint`): SHA-256 over the idlab
    /// version, the spec and every input's sha256; an error until every input
    /// the run needs was added.
    pub fn run_key(&self) -> Result<String> {
        if let Some(k) = &self.key {
            return Ok(k.clone());
        }
        for s in &self.sessions {
            s.check_ready()?;
        }
        run_key(&self.spec, self.sessions.iter().map(Session::inputs))
    }

    /// The checkpoint of the model (or data target) the last step finished,
    /// once; `None` when that step finished none. Store it to resume with.
    pub fn take_checkpoint(&mut self) -> Result<Option<Checkpoint>> {
        let key = self.run_key()?;
        let set = self.last;
        self.sessions[set].take_checkpoint(&key, set)
    }

    /// Before the first step, with every input added: restores the
    /// checkpoints of an earlier, interrupted run of the same spec and inputs,
    /// and the run continues at the first entry none holds. Nothing is
    /// restored on an error (a checkpoint of another run, a damaged one, a
    /// missing entry): the run can still start from the beginning.
    pub fn resume(&mut self, checkpoints: Vec<Vec<u8>>) -> Result<Resumed> {
        if self.current > 0 || self.steps_before > 0 {
            return Err(Error::State("a run resumes before its first step".into()));
        }
        let key = self.run_key()?;
        self.key = Some(key.clone());
        let mut by_set: Vec<Vec<Decoded>> = self.sessions.iter().map(|_| Vec::new()).collect();
        for bytes in checkpoints {
            let d = read_checkpoint(bytes)?;
            if d.run != key {
                return Err(Error::Input(format!(
                    "checkpoint of {}: it belongs to another run (the spec, an input file or the idlab version differs)",
                    d.label
                )));
            }
            let Some(list) = by_set.get_mut(d.set) else {
                return Err(Error::Input(format!("checkpoint of {}: stimulus set {} of {}", d.label, d.set, self.sessions.len())));
            };
            list.push(d);
        }
        // A set resumes only after every set before it finished.
        let mut open = None;
        for (i, list) in by_set.iter_mut().enumerate() {
            list.sort_by_key(|d| d.entry);
            if let (Some(j), Some(d)) = (open, list.first()) {
                return Err(Error::Input(format!("checkpoint of {} (stimulus set {i}): set {j} is not finished", d.label)));
            }
            self.sessions[i].check_restore(list)?;
            if list.len() < self.sessions[i].entry_count() {
                open = open.or(Some(i));
            }
        }
        let total: usize = self.sessions.iter().map(Session::entry_count).sum();
        let finished: usize = by_set.iter().map(Vec::len).sum();
        for (i, list) in by_set.into_iter().enumerate() {
            self.sessions[i].restore(list);
        }
        // The run goes on at the first unfinished set, which takes over the spill store.
        while self.current + 1 < self.sessions.len() && self.sessions[self.current].is_done() {
            let steps = self.sessions[self.current].total_steps();
            self.next_set(steps);
        }
        let what = if self.sessions[0].has_data_targets() { "models and data targets" } else { "models" };
        Ok(Resumed { finished, total, message: format!("resumed: {finished} of {total} {what} already finished") })
    }

    /// A set's display name: its `set`, and its folder for an upload.
    fn set_name(&self, i: usize) -> String {
        self.spec.stimulus_sets()[i].label()
    }

    /// The files of the spec's `export` as (path, bytes): a session's own
    /// paths with one set, else under `stimuli-<i>-<set>/` per set.
    pub fn exports(&self) -> Vec<(String, &[u8])> {
        let several = self.several();
        self.sessions
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                let prefix = if several { format!("stimuli-{i}-{}/", super::exports::slug(&self.spec.stimulus_sets()[i].set)) } else { String::new() };
                s.exports().into_iter().map(move |f| (format!("{prefix}{}", f.path), f.bytes.as_slice()))
            })
            .collect()
    }

    /// [`Experiment::exports`] as one .zip (what the page downloads).
    pub fn exports_zip(&self) -> Result<Vec<u8>> {
        if !self.is_done() {
            return Err(Error::State("the run is not finished".into()));
        }
        if self.spec.export.is_none() {
            return Err(Error::State("the spec asks for no export (\"export\": {\"activations\": true, \"rdms\": true})".into()));
        }
        let files = self.exports();
        super::exports::zip(files.iter().map(|(p, b)| (p.as_str(), *b)))
    }

    /// The merged result, once every set is done. With one set, that set's result.
    pub fn result(&self, flavor: &str, seconds: f64) -> Result<ExperimentResult> {
        if !self.several() {
            let mut r = self.sessions[0].result(flavor, seconds)?;
            r.findings = super::findings::findings(&r);
            return Ok(r);
        }
        let results = self.sessions.iter().map(|s| s.result(flavor, seconds)).collect::<Result<Vec<_>>>()?;
        let mut m = combine_sets(&self.spec, results);
        m.findings = super::findings::findings(&m);
        Ok(m)
    }
}

/// One result of the per-set results of a spec with several stimulus sets,
/// in set order: each entry names its set, the warnings say which set they
/// came from, and the identifiability index is summarised per set (also
/// what [`super::sweep::merge`] does with the sets of a sharded sweep).
pub(super) fn combine_sets(spec: &Spec, results: Vec<ExperimentResult>) -> ExperimentResult {
    let mut merged: Option<ExperimentResult> = None;
    let mut sets = Vec::new();
    for (i, mut r) in results.into_iter().enumerate() {
        let name = spec.stimulus_sets()[i].label();
        sets.push(StimulusSet { index: i, name: name.clone(), n_stimuli: r.n_stimuli, stimuli: std::mem::take(&mut r.stimuli) });
        r.scores.iter_mut().for_each(|x| x.set = Some(i));
        r.identifiability.iter_mut().for_each(|x| x.set = Some(i));
        r.noise_ceilings.iter_mut().for_each(|x| x.set = Some(i));
        r.class_comparison.iter_mut().for_each(|x| x.set = Some(i));
        r.specificity.iter_mut().for_each(|x| x.set = Some(i));
        r.warnings.iter_mut().for_each(|w| *w = format!("stimuli {name}: {w}"));
        match &mut merged {
            None => merged = Some(r),
            Some(m) => {
                m.scores.append(&mut r.scores);
                m.identifiability.append(&mut r.identifiability);
                m.noise_ceilings.append(&mut r.noise_ceilings);
                m.class_comparison.append(&mut r.class_comparison);
                m.specificity.append(&mut r.specificity);
                m.warnings.append(&mut r.warnings);
                m.inputs.append(&mut r.inputs);
            }
        }
    }
    let mut m = merged.expect("at least one set");
    m.spec = spec.clone();
    m.stimuli = sets[0].stimuli.clone();
    m.by_stimuli = summarise(&m, &sets);
    m.stimulus_sets = sets;
    m
}

/// One plan per stimulus set of a validated spec: the models are resolved
/// once, for the first set; the other sets' plans are copies of it on their
/// own stimuli.
pub(super) fn plan_sets(spec: &Spec) -> Result<Vec<Plan>> {
    let sets = spec.stimulus_sets();
    let first = Plan::from_validated(Spec { stimuli: sets[0].clone(), more_stimuli: None, ..spec.clone() })?;
    if sets.len() > 1 {
        if let Some(i) = first.first_data_target() {
            return Err(Error::Spec(format!("targets[{i}]: recorded data belongs to one stimulus set; with more_stimuli every target must be a model")));
        }
        if sets.iter().filter(|s| s.is_upload()).count() > 1 {
            return Err(Error::Spec("more_stimuli: at most one set can be the upload".into()));
        }
    }
    std::iter::once(Ok(first.clone())).chain(sets[1..].iter().map(|set| first.on_set(set))).collect()
}

/// The identifiability of every (metric, target) on every set, over its target
/// layers: the mean index and how often the correct source won.
fn summarise(r: &ExperimentResult, sets: &[StimulusSet]) -> Vec<SetIdentifiability> {
    r.identifiability
        .iter()
        .map(|v| {
            let set = v.set.unwrap_or(0);
            let indices: Vec<f64> = v.layers.iter().filter_map(|l| l.index).collect();
            SetIdentifiability {
                set,
                stimuli: sets[set].name.clone(),
                metric: v.metric.clone(),
                target: v.target.clone(),
                mean_index: (!indices.is_empty()).then(|| indices.iter().sum::<f64>() / indices.len() as f64),
                correct_won: v.layers.iter().filter(|l| l.correct_won).count(),
                ties: v.layers.iter().filter(|l| l.outcome() == "tie").count(),
                layers: v.layers.len(),
            }
        })
        .collect()
}
