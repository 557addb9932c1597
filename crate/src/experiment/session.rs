//! A run of one spec, advanced one bounded unit of work at a time (build a
//! model, run one image, compute the scores), so that front doors can report
//! progress and cancel between steps without threads or timers in the core.

use super::result::{ExperimentResult, Side};
use super::spec::Spec;
use crate::error::{Error, Result};
use crate::metrics::cka::cka_from_grams;
use crate::runtime::Recorder;
use crate::sinks::GramSink;
use crate::stimuli::{decode_rgb, resize_crop, sets};
use image::RgbImage;
use crate::zoo::{self, Arch, Probe};
use nalgebra::DMatrix;
use serde::Serialize;

/// What a step just did and how far the run is.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    /// `building`, `recording`, `comparing` or `done`.
    pub stage: &'static str,
    pub label: String,
    /// Steps done and in all.
    pub done: usize,
    pub total: usize,
    pub images_done: usize,
    pub images_total: usize,
}

enum Phase {
    Build(usize),
    Record(usize, usize),
    Compare,
    Done,
}

struct Model {
    arch: Arch,
    seed: u64,
    layers: Vec<Probe>,
}

impl Model {
    fn label(&self) -> String {
        format!("{} seed {}", self.arch.name(), self.seed)
    }
}

/// A run of one spec: add the stimuli, then call [`Session::step`] until done.
pub struct Session {
    spec: Spec,
    paths: Vec<String>,
    /// Stimuli decoded, resized and cropped once; each model normalises them
    /// with its own mean and std when it records.
    images: Vec<RgbImage>,
    size: u32,
    models: [Model; 2],
    phase: Phase,
    steps_done: usize,
    running: Option<(Recorder, Vec<GramSink>)>,
    grams: Vec<Vec<DMatrix<f64>>>,
    matrix: Option<Vec<Vec<f64>>>,
}

impl Session {
    pub fn new(spec: Spec) -> Result<Session> {
        spec.validate()?;
        let model = |m: &super::spec::ModelSpec| -> Result<Model> {
            let arch = Arch::parse(&m.arch)?;
            Ok(Model { arch, seed: m.seed, layers: spec.recorded_layers(arch)? })
        };
        let models = [model(&spec.source)?, model(&spec.target)?];
        let size = models[0].arch.preprocess().size;
        if models[1].arch.preprocess().size != size {
            return Err(Error::Spec(format!(
                "source and target need the same input size ({} takes {size} px, {} takes {} px)",
                models[0].arch.name(),
                models[1].arch.name(),
                models[1].arch.preprocess().size
            )));
        }
        let paths = sets::image_paths(&spec.stimuli.set, spec.stimuli.limit)?;
        Ok(Session {
            spec,
            paths,
            images: Vec::new(),
            size,
            models,
            phase: Phase::Build(0),
            steps_done: 0,
            running: None,
            grams: Vec::new(),
            matrix: None,
        })
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Paths of the stimulus images, relative to the site root, in the order
    /// [`Session::add_stimulus`] expects them.
    pub fn stimulus_paths(&self) -> &[String] {
        &self.paths
    }

    /// Decodes, resizes and crops the next stimulus. `name` is used in errors.
    pub fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        if self.images.len() == self.paths.len() {
            return Err(Error::State(format!("all {} stimuli were already added", self.paths.len())));
        }
        self.images.push(resize_crop(&decode_rgb(name, bytes)?, self.size));
        Ok(())
    }

    fn n(&self) -> usize {
        self.paths.len()
    }

    fn total_steps(&self) -> usize {
        2 * (1 + self.n()) + 1
    }

    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Does one unit of work and reports progress.
    pub fn step(&mut self) -> Result<Progress> {
        if self.images.len() != self.n() {
            return Err(Error::State(format!(
                "{} of {} stimuli added; add them all before running",
                self.images.len(),
                self.n()
            )));
        }
        let (stage, label) = match self.phase {
            Phase::Build(m) => {
                let model = &self.models[m];
                let built = zoo::build(model.arch, model.seed);
                let tensors: Vec<String> = model.layers.iter().map(|l| l.tensor.clone()).collect();
                let size = self.size as usize;
                let recorder = Recorder::new(&model.label(), built.proto, &tensors, [1, 3, size, size])?;
                let sinks = model.layers.iter().map(|l| GramSink::new(l.units)).collect();
                self.running = Some((recorder, sinks));
                self.phase = Phase::Record(m, 0);
                ("building", format!("built {}", model.label()))
            }
            Phase::Record(m, i) => {
                let (recorder, sinks) = self.running.as_mut().expect("recorder exists while recording");
                let input = self.models[m].arch.preprocess().normalise(&self.images[i]);
                let outputs = recorder.run(&input)?;
                for ((sink, out), layer) in sinks.iter_mut().zip(outputs).zip(&self.models[m].layers) {
                    if out.len() != sink.units() {
                        return Err(Error::Model {
                            model: self.models[m].label(),
                            reason: format!("layer {} gave {} units, expected {}", layer.label, out.len(), sink.units()),
                        });
                    }
                    sink.push(out);
                }
                if i + 1 == self.n() {
                    let (_, sinks) = self.running.take().expect("recorder exists");
                    self.grams.push(sinks.into_iter().map(GramSink::finish).collect());
                    self.phase = if m == 0 { Phase::Build(1) } else { Phase::Compare };
                } else {
                    self.phase = Phase::Record(m, i + 1);
                }
                ("recording", format!("{}: image {} of {}", self.models[m].label(), i + 1, self.n()))
            }
            Phase::Compare => {
                let (src, tgt) = (&self.grams[0], &self.grams[1]);
                let matrix = src
                    .iter()
                    .map(|k| tgt.iter().map(|l| cka_from_grams(k, l)).collect::<Result<Vec<f64>>>())
                    .collect::<Result<Vec<_>>>()?;
                self.matrix = Some(matrix);
                self.grams.clear();
                self.phase = Phase::Done;
                ("done", "compared every layer pair".to_string())
            }
            Phase::Done => return Err(Error::State("the run is already done".into())),
        };
        self.steps_done += 1;
        Ok(self.progress(stage, label))
    }

    fn images_done(&self) -> usize {
        match self.phase {
            Phase::Build(m) => m * self.n(),
            Phase::Record(m, i) => m * self.n() + i,
            Phase::Compare | Phase::Done => 2 * self.n(),
        }
    }

    fn progress(&self, stage: &'static str, label: String) -> Progress {
        Progress {
            stage,
            label,
            done: self.steps_done,
            total: self.total_steps(),
            images_done: self.images_done(),
            images_total: 2 * self.n(),
        }
    }

    /// The result, once [`Session::is_done`]. `flavor` names the build that ran it.
    pub fn result(&self, flavor: &str, seconds: f64) -> Result<ExperimentResult> {
        let matrix = self
            .matrix
            .clone()
            .ok_or_else(|| Error::State("the run is not finished".into()))?;
        let side = |m: &Model| Side {
            arch: m.arch.name().into(),
            seed: m.seed,
            layers: m.layers.iter().map(|l| l.label.clone()).collect(),
        };
        Ok(ExperimentResult {
            idlab_version: env!("CARGO_PKG_VERSION").into(),
            flavor: flavor.into(),
            spec: self.spec.clone(),
            metric: self.spec.metric.clone(),
            n_stimuli: self.n(),
            source: side(&self.models[0]),
            target: side(&self.models[1]),
            matrix,
            seconds,
        })
    }
}
