//! A run of one spec, advanced one bounded unit of work at a time (build a
//! model, run one image, compute the scores), so that front doors can report
//! progress and cancel between steps without threads or timers in the core.

use super::result::{ExperimentResult, Side};
use super::spec::{ModelRef, NormOverride, Spec};
use crate::error::{Error, Result};
use crate::metrics::cka::cka_from_grams;
use crate::runtime::{inspect, Inspection, Recorder};
use crate::stimuli::Preprocess;
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

enum Kind {
    Zoo { arch: Arch, seed: u64 },
    /// A user's ONNX file; `bytes` arrive with [`Session::add_model`] and are
    /// released once the model is built.
    Onnx { file: String, requested: Vec<String>, size: Option<u32>, norm: NormOverride, bytes: Option<Vec<u8>>, added: bool },
}

struct Model {
    kind: Kind,
    /// Known at [`Session::new`] for a zoo model, at [`Session::add_model`] for a user model.
    layers: Vec<Probe>,
    preprocess: Option<Preprocess>,
}

impl Model {
    fn label(&self) -> String {
        match &self.kind {
            Kind::Zoo { arch, seed } => format!("{} seed {}", arch.name(), seed),
            Kind::Onnx { file, .. } => file.clone(),
        }
    }
}

/// A run of one spec: add the user models (if any) and the stimuli, then call
/// [`Session::step`] until done.
pub struct Session {
    spec: Spec,
    /// The stimulus set: image names, files to fetch, origin.
    set: sets::Resolved,
    /// Stimuli decoded, resized and cropped once (resized as soon as the input
    /// size is known, i.e. once every user model was added); each model
    /// normalises them with its own mean and std when it records.
    images: Vec<RgbImage>,
    resized: bool,
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
            Ok(match m.resolve()? {
                ModelRef::Zoo { arch, seed } => {
                    Model { kind: Kind::Zoo { arch, seed }, layers: spec.recorded_layers(arch)?, preprocess: Some(arch.preprocess()) }
                }
                ModelRef::Onnx { file, layers, size, norm } => Model {
                    kind: Kind::Onnx { file: file.into(), requested: layers.to_vec(), size, norm, bytes: None, added: false },
                    layers: Vec::new(),
                    preprocess: None,
                },
            })
        };
        let models = [model(&spec.source)?, model(&spec.target)?];
        let set = spec.stimuli.resolve()?;
        // Generated sets are drawn now: nothing to fetch.
        let images = (0..set.names.len()).map_while(|i| sets::generate(set.origin, i)).collect();
        let session = Session {
            spec,
            set,
            images,
            resized: false,
            models,
            phase: Phase::Build(0),
            steps_done: 0,
            running: None,
            grams: Vec::new(),
            matrix: None,
        };
        session.size()?;
        Ok(session)
    }

    /// The shared input side, once both models' preprocessing is known; an
    /// error when they differ.
    fn size(&self) -> Result<Option<u32>> {
        match (&self.models[0].preprocess, &self.models[1].preprocess) {
            (Some(a), Some(b)) if a.size != b.size => Err(Error::Spec(format!(
                "source and target need the same input size ({} takes {} px, {} takes {} px)",
                self.models[0].label(),
                a.size,
                self.models[1].label(),
                b.size
            ))),
            (Some(a), Some(_)) => Ok(Some(a.size)),
            _ => Ok(None),
        }
    }

    /// The user-model files the spec names, which [`Session::add_model`] expects.
    pub fn model_files(&self) -> Vec<String> {
        self.models
            .iter()
            .filter_map(|m| match &m.kind {
                Kind::Onnx { file, .. } => Some(file.clone()),
                Kind::Zoo { .. } => None,
            })
            .collect()
    }

    /// Hands over the bytes of a user model named in the spec (`name` is the
    /// spec's `onnx` value, or `source` / `target`). Inspects them at once:
    /// the image input, the requested layers, the preprocessing metadata.
    pub fn add_model(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let sides = ["source", "target"];
        let matches = |i: usize, m: &Model| match &m.kind {
            Kind::Onnx { file, .. } => file == name || sides[i] == name,
            Kind::Zoo { .. } => false,
        };
        let Some(i) = self.models.iter().enumerate().position(|(i, m)| matches(i, m)) else {
            let files = self.model_files();
            return Err(Error::State(if files.is_empty() {
                format!("the spec names no onnx model, so \"{name}\" is not expected")
            } else {
                format!("the spec names no onnx model \"{name}\"; it expects {}", files.join(", "))
            }));
        };
        if !matches!(self.phase, Phase::Build(0)) || self.steps_done > 0 {
            return Err(Error::State("models must be added before the run starts".into()));
        }
        // The same file may be both source and target.
        let file = self.models[i].label();
        let targets: Vec<usize> =
            (0..2).filter(|&j| matches!(&self.models[j].kind, Kind::Onnx { file: f, .. } if *f == file)).collect();
        let last = targets.len() - 1;
        let mut bytes = Some(bytes);
        for (k, j) in targets.into_iter().enumerate() {
            self.load_model(j, bytes.as_deref().expect("kept until the last side"))?;
            let copy = if k == last { bytes.take() } else { bytes.clone() };
            if let Kind::Onnx { bytes: slot, added, .. } = &mut self.models[j].kind {
                *slot = copy;
                *added = true;
            }
        }
        self.size()?;
        Ok(())
    }

    fn load_model(&mut self, i: usize, bytes: &[u8]) -> Result<()> {
        let Kind::Onnx { file, requested, size, norm, .. } = &self.models[i].kind else { unreachable!("only onnx models are added") };
        let proto = inspect::decode(file, bytes)?;
        let found = inspect::inspect_proto(file, &proto)?;
        let side = match size {
            Some(s) => {
                if let Some((h, w)) = found.input_size {
                    if (h, w) != (*s as usize, *s as usize) {
                        return Err(Error::Input(format!(
                            "{file}: the spec asks for size {s}, but input '{}' is fixed at {h} x {w}",
                            found.input_name
                        )));
                    }
                }
                *s as usize
            }
            None => found.side(file)?,
        };
        // The spec's mean/std/channels, else the file's metadata, else ImageNet's.
        let preprocess = norm.apply(Preprocess { size: side as u32, ..found.preprocess.unwrap_or(Preprocess::IMAGENET_224) });
        // The side inspect_proto inferred the candidates' shapes at.
        let inferred = match (&found.preprocess, found.input_size) {
            (_, Some((h, _))) => h,
            (Some(p), None) => p.size as usize,
            (None, None) => inspect::DEFAULT_SIZE,
        };
        let candidates = if side == inferred {
            found.layers
        } else {
            inspect::candidates(file, &proto, &found.input_name, (side, side))?
        };
        let by_name = Inspection { layers: candidates, ..found };
        let layers = requested
            .iter()
            .map(|name| {
                let c = by_name.candidate(file, name)?;
                Ok(Probe { label: name.clone(), tensor: c.tensor.clone(), units: c.units })
            })
            .collect::<Result<Vec<_>>>()?;
        self.models[i].layers = layers;
        self.models[i].preprocess = Some(preprocess);
        Ok(())
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Paths of the stimulus images, relative to the site root, in the order
    /// [`Session::add_stimulus`] expects them.
    /// Empty for a generated set (its images are drawn by the session itself).
    pub fn stimulus_paths(&self) -> &[String] {
        &self.set.files
    }

    /// Decodes, resizes and crops the next stimulus. `name` is used in errors.
    pub fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        if self.images.len() == self.n() {
            return Err(Error::State(format!("all {} stimuli were already added", self.n())));
        }
        let mut img = decode_rgb(name, bytes)?;
        if let sets::Origin::Scrambled(seed) = self.set.origin {
            img = crate::stimuli::textures::phase_scramble(&img, seed, self.images.len());
        }
        self.images.push(match self.size()? {
            Some(size) => resize_crop(&img, size),
            None => img,
        });
        Ok(())
    }

    fn n(&self) -> usize {
        self.set.names.len()
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
        for m in &self.models {
            if let Kind::Onnx { file, added: false, .. } = &m.kind {
                return Err(Error::State(format!(
                    "the spec's onnx model {file} was not added; add its bytes (add_model) before running"
                )));
            }
        }
        let size = self.size()?.expect("both models are known");
        if !self.resized {
            for img in &mut self.images {
                if img.dimensions() != (size, size) {
                    *img = resize_crop(img, size);
                }
            }
            self.resized = true;
        }
        let (stage, label) = match self.phase {
            Phase::Build(m) => {
                let model = &mut self.models[m];
                let label = model.label();
                let proto = match &mut model.kind {
                    Kind::Zoo { arch, seed } => zoo::build(*arch, *seed).proto,
                    Kind::Onnx { file, bytes, .. } => {
                        let bytes = bytes.take().ok_or_else(|| Error::State(format!("{file} was already built")))?;
                        inspect::decode(file, &bytes)?
                    }
                };
                let tensors: Vec<String> = model.layers.iter().map(|l| l.tensor.clone()).collect();
                let size = size as usize;
                let recorder = Recorder::new(&label, proto, &tensors, [1, 3, size, size])?;
                let sinks = model.layers.iter().map(|l| GramSink::new(l.units)).collect();
                self.running = Some((recorder, sinks));
                self.phase = Phase::Record(m, 0);
                ("building", format!("built {label}"))
            }
            Phase::Record(m, i) => {
                let (recorder, sinks) = self.running.as_mut().expect("recorder exists while recording");
                let input = self.models[m].preprocess.as_ref().expect("known once added").normalise(&self.images[i]);
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
            arch: match &m.kind {
                Kind::Zoo { arch, .. } => arch.name().into(),
                Kind::Onnx { file, .. } => file.clone(),
            },
            seed: match &m.kind {
                Kind::Zoo { seed, .. } => Some(*seed),
                Kind::Onnx { .. } => None,
            },
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
