//! Recording: a model is built (pruned if asked) and run image by image,
//! its layers folded into sinks as it goes (Gram matrix, row sums, the
//! features each metric keeps); a data target is read into its one "layer".
//! What the export keeps is handed over as each entry finishes.

use super::plan::{Entry, Kind, Role};
use super::scoring::LayerData;
use super::Session;
use super::super::datasets::{Dataset, DatasetKind};
use super::super::exports::{Exports, LayerView, Owner, Rows};
use super::super::metric;
use crate::error::{Error, Result};
use crate::metrics::kernels::linear_gram;
use crate::metrics::rdm::Rdm;
use crate::metrics::registry::{MetricName, MetricParams};
use crate::runtime::Recorder;
use crate::sinks::{FeatureSink, GramSink, Keep, Spill};
use crate::stats::noise::{add_row_noise, poisson_like_noise_by_row};
use crate::zoo;
use image::RgbImage;
use nalgebra::DMatrix;
use rayon::prelude::*;

/// What is folded in while a model runs, per layer.
pub(super) struct LayerSink {
    gram: Option<GramSink>,
    sums: Vec<f64>,
    /// Units the layer gives, and those kept (all, or a subsample's columns).
    given: usize,
    keep: Option<Vec<usize>>,
    units: usize,
    features: Vec<Option<FeatureSink>>,
}

impl Session {
    pub(super) fn build(&mut self, e: usize, size: u32) -> Result<Recorder> {
        let entry = &mut self.entries[e];
        let mut proto = match (&mut entry.kind, &mut entry.weights) {
            // Drawn in the slices the runtime would cut its large weights into.
            (Kind::Zoo { arch, seed }, None) if zoo::drawn_in_slices(false, entry.prune.is_some()) => {
                zoo::build_sliced(*arch, *seed, crate::runtime::split::SLICE_BYTES).proto
            }
            (Kind::Zoo { arch, seed }, None) => zoo::build(*arch, *seed).proto,
            (Kind::Zoo { arch, seed }, Some(w)) => {
                // The file is read now and its bytes freed before the graph is
                // built, so the weights are held at most twice at any moment
                // (see `experiment::memory`).
                let bytes = w.bytes.take().ok_or_else(|| Error::State(format!("weights {} were not added, or already used", w.key)))?;
                let (dict, _) = crate::weights::read(&w.key, &bytes)?;
                drop(bytes);
                let mut model = zoo::build(*arch, *seed);
                let sha256 = w.added.as_ref().map(|(h, _, _)| h.as_str());
                // The tensors move into the graph (no copy); a mismatch names the tensor and both shapes.
                let applied = crate::weights::apply::apply(&mut model, dict, &entry.layers, &w.key, sha256)
                    .map_err(|err| Error::Model { model: entry.label.clone(), reason: err.to_string() })?;
                w.applied = serde_json::to_value(&applied).ok();
                model.proto
            }
            (Kind::Onnx { file, bytes, tflite, .. }, _) => {
                let bytes = bytes.take().ok_or_else(|| Error::State(format!("{file} was already built")))?;
                super::inputs::decode_model(file, &bytes, tflite.is_some())?
            }
            _ => unreachable!("only models are built"),
        };
        if let Some(f) = entry.prune {
            crate::runtime::prune::prune(&entry.label, &mut proto, f)?;
        }
        let tensors: Vec<String> = entry.layers.iter().map(|l| l.tensor.clone()).collect();
        let size = size as usize;
        Recorder::batched(&entry.label, proto, &tensors, [1, 3, size, size], entry.head_batch())
    }

    /// The sinks of entry `e`'s layers: what its role and the metrics need.
    pub(super) fn sinks(&self, e: usize) -> Result<Vec<LayerSink>> {
        let entry = &self.entries[e];
        // The export's RDMs and activations come from the Gram sink too.
        let needs_gram = self.exports.is_some() || self.metrics.iter().any(|(m, _)| metric::describe(*m).needs_gram());
        let kept_units = |u: usize| -> Result<usize> { Ok(entry.kept_columns(u)?.map_or(u, |c| c.len())) };
        let units = entry.layers.iter().map(|l| kept_units(l.units)).collect::<Result<Vec<_>>>()?;
        let n = self.n();
        // Without a store every row stays: the block is all of them.
        let block = if self.spill.is_some() { gram_block_rows(self.gram_memory, units.into_iter()) } else { n };
        entry
            .layers
            .iter()
            .map(|l| {
                let keep = entry.kept_columns(l.units)?;
                let units = keep.as_ref().map_or(l.units, Vec::len);
                let features = self
                    .metrics
                    .iter()
                    .map(|(m, p)| Ok(metric::describe(*m).keep(entry.role, units, p)?.map(|k| FeatureSink::new(k).expecting(n))))
                    .collect::<Result<Vec<_>>>()?;
                Ok(LayerSink { gram: needs_gram.then(|| GramSink::new(units, block).expecting(n)), sums: Vec::new(), given: l.units, keep, units, features })
            })
            .collect()
    }

    /// Runs images `i..end` in parallel across the pool (and a batched head
    /// on them together), then folds their activations into the sinks in
    /// image order, so the result does not depend on the number of threads.
    pub(super) fn record(&mut self, e: usize, i: usize, end: usize) -> Result<()> {
        let read_back = match self.images_spilled {
            Some(size) => Some(self.read_images(size, i, end)?),
            None => None,
        };
        let images = match &read_back {
            Some(read) => read.as_slice(),
            None => &self.images[i..end],
        };
        let entry = &self.entries[e];
        let (recorder, sinks) = self.running.as_mut().expect("recorder exists while recording");
        let preprocess = entry.preprocess.as_ref().expect("known once added");
        let recorder = &*recorder;
        // Several images: one per thread, each computed alone; one image:
        // tract's products use the pool (see `Recorder::run_images`).
        let inputs: Vec<Vec<f32>> = images.par_iter().map(|img| preprocess.normalise(img)).collect();
        let batch = recorder.run_images(&inputs)?;
        for (k, outputs) in batch.into_iter().enumerate() {
            fold_image(entry, sinks, outputs, i + k, self.spill.as_mut())?;
        }
        Ok(())
    }

    /// Images `i..end`, read back from the spill store's head (size x size RGB each).
    fn read_images(&mut self, size: u32, i: usize, end: usize) -> Result<Vec<RgbImage>> {
        let spill = self.spill.as_mut().ok_or_else(|| Error::State("the images were spilled, but the store is gone".into()))?;
        let each = size as usize * size as usize * 3;
        (i..end)
            .map(|k| {
                let mut raw = vec![0u8; each];
                spill.read_head((k * each) as u64, &mut raw)?;
                RgbImage::from_raw(size, size, raw).ok_or_else(|| Error::State("a spilled image has the wrong size".into()))
            })
            .collect()
    }

    /// A data target's one "layer": its Gram matrix and features, or its RDMs.
    pub(super) fn load_data(&mut self, e: usize) -> Result<LayerData> {
        let n = self.n();
        let keep = self.exports.as_ref().is_some_and(Exports::keeps_activations);
        let entry = &mut self.entries[e];
        match &mut entry.kind {
            Kind::Responses { matrix, file, .. } => {
                let y = matrix.take().expect("checked by ready()");
                let key = file.clone();
                responses_layer(y, entry, &self.metrics, &key, keep)
            }
            Kind::Rdms { rdms, .. } => Ok(LayerData { rdms: rdms.take().expect("checked by ready()"), ..Default::default() }),
            Kind::Dataset { d, files } => {
                let d: &'static Dataset = d;
                let full = d.stimuli;
                let paths = d.files();
                let mut read = |k: usize| -> Result<crate::data::Table> {
                    let bytes = files[k].take().expect("checked by ready()");
                    crate::data::read_table(&paths[k], &bytes, None)
                };
                match &d.kind {
                    DatasetKind::Responses { units, .. } => {
                        // Rows follow the whole set's images; a limited set takes the leading rows.
                        let table = read(0)?;
                        let all = table.to_matrix().map_err(|err| Error::Input(format!("dataset {}: {err}", d.name)))?;
                        if all.shape() != (full, *units) {
                            return Err(Error::Input(format!(
                                "dataset {}: {} holds {} x {}, expected {full} stimuli x {units} units",
                                d.name, paths[0], all.nrows(), all.ncols()
                            )));
                        }
                        let y = all.rows(0, n).into_owned();
                        responses_layer(y, entry, &self.metrics, d.name, keep)
                    }
                    DatasetKind::Rdms { subjects } => {
                        // Each subject's RDM is the mean of its files; a limited stimulus set takes the leading block.
                        let mut k = 0;
                        let mut rdms = Vec::new();
                        for (subject, subject_files) in subjects.iter() {
                            let mut sum = DMatrix::<f64>::zeros(n, n);
                            for _ in subject_files.iter() {
                                let m = crate::data::align::rdms(&read(k)?, full)?.remove(0);
                                sum += m.view((0, 0), (n, n));
                                k += 1;
                            }
                            let mean = sum / subject_files.len() as f64;
                            rdms.push(Rdm::from_matrix(&mean).map_err(|err| Error::Input(format!("dataset {} subject {subject}: {err}", d.name)))?);
                        }
                        Ok(LayerData { rdms, ..Default::default() })
                    }
                }
            }
            _ => unreachable!("only data targets are loaded"),
        }
    }


    /// Hands entry `e`'s kept activations and what its layers' RDMs are computed
    /// from (or a data target's RDMs) to the export, in the result's model order.
    pub(super) fn keep_exports(&mut self, e: usize) -> Result<()> {
        let Some(x) = &mut self.exports else { return Ok(()) };
        let n_targets = self.spec.targets.len();
        let entry = &self.entries[e];
        let order = if entry.role == Role::Source { e - n_targets } else { self.entries.len() - n_targets + e };
        let names = entry.layer_names();
        let layers = self.data[e].as_mut().expect("stored before the export");
        let kept: Vec<Option<Rows>> = layers.iter_mut().map(|l| l.kept.take()).collect();
        let views = layers
            .iter()
            .zip(kept)
            .zip(&names)
            .map(|((l, rows), name)| LayerView { name, rows, gram: l.gram.as_ref().map(|g| (g, l.sums.as_slice(), l.units)), rdms: &l.rdms })
            .collect();
        x.add(Owner { order, id: &entry.id, label: &entry.label }, !entry.is_model(), views, &mut self.warnings)
    }
}

/// Folds image `image`'s recorded layers into the sinks: checks the unit
/// count, adds the spec's noise, keeps a subsample's columns, and feeds every sink.
fn fold_image(entry: &Entry, sinks: &mut [LayerSink], outputs: Vec<Vec<f32>>, image: usize, mut spill: Option<&mut Spill>) -> Result<()> {
    for ((sink, out), layer) in sinks.iter_mut().zip(outputs).zip(&entry.layers) {
        if out.len() != sink.given {
            return Err(Error::Model {
                model: entry.label.clone(),
                reason: format!("layer {} gave {} units, expected {}", layer.label, out.len(), sink.given),
            });
        }
        // Noise on every unit of the image, keyed by (seed, layer, image), before subsampling and every sink.
        let mut out = out;
        if let Some(noise) = entry.noise {
            add_row_noise(&mut out, noise.gain, noise.seed, &layer.label, image);
        }
        let out = match &sink.keep {
            Some(cols) => cols.iter().map(|&c| out[c]).collect(),
            None => out,
        };
        for f in sink.features.iter_mut().flatten() {
            f.push(&out)?;
        }
        sink.sums.push(out.iter().map(|&v| v as f64).sum());
        if let Some(g) = &mut sink.gram {
            g.push(&out, spill.as_deref_mut())?;
        }
    }
    Ok(())
}

/// A responses target (stimuli x units, rows in stimulus order) as one
/// "layer": the entry's subsample of columns, then what each metric needs.
fn responses_layer(y: DMatrix<f64>, entry: &Entry, metrics: &[(MetricName, MetricParams)], key: &str, keep: bool) -> Result<LayerData> {
    // The same per-image draws as a model's, with the file's (or dataset's) name as the layer.
    let y = match entry.noise {
        Some(noise) => poisson_like_noise_by_row(&y, noise.gain, noise.seed, key)?,
        None => y,
    };
    let y = match entry.kept_columns(y.ncols())? {
        Some(cols) => y.select_columns(cols.iter()),
        None => y,
    };
    // A target keeps the units its sink would (a recorded target's rule, read from the matrix).
    let features = metrics
        .iter()
        .map(|(m, p)| match metric::describe(*m).keep(Role::Target, y.ncols(), p)? {
            Some(Keep::Units(cols)) => Ok(Some(y.select_columns(cols.iter()))),
            Some(Keep::Projected(_)) => Err(Error::State("a target's features are its units, never projected".into())),
            None => Ok(None),
        })
        .collect::<Result<Vec<_>>>()?;
    let sums = (0..y.nrows()).map(|i| y.row(i).sum()).collect();
    let kept = keep.then(|| Rows::F64(y.clone()));
    Ok(LayerData { gram: Some(linear_gram(&y)), sums, units: y.ncols(), features, kept, ..Default::default() })
}

/// Rows of a Gram block: what keeps the rows of every layer of a model held
/// in memory at once within `budget` bytes (at least one row).
pub(crate) fn gram_block_rows(budget: u64, units: impl Iterator<Item = usize>) -> usize {
    let row_bytes: u64 = units.map(|u| u as u64 * 4).sum();
    (budget / row_bytes.max(1)).max(1).min(usize::MAX as u64) as usize
}

/// What a layer's sink folded in; with `keep`, its rows too (for the export).
pub(super) fn finish_sink(s: LayerSink, keep: bool, spill: Option<&mut Spill>) -> Result<LayerData> {
    let (gram, kept) = match s.gram {
        Some(g) if keep => {
            let (k, rows) = g.finish_with_rows(spill)?;
            (Some(k), Some(Rows::F32(rows)))
        }
        Some(g) => (Some(g.finish(spill)?), None),
        None => (None, None),
    };
    Ok(LayerData {
        gram,
        kept,
        sums: s.sums,
        units: s.units,
        features: s.features.into_iter().map(|f| f.map(FeatureSink::finish)).collect(),
        ..Default::default()
    })
}
