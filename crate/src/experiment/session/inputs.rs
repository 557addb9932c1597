//! What the front doors hand a session before it runs: user models (inspected
//! at once), data files (parsed and matched to the stimuli at once) and
//! stimuli (decoded, resized and cropped once), each hashed for the result's
//! `inputs`; and the check that everything the run needs has arrived.

use super::plan::{data_files, dataset_paths, input_size, model_files, weights_needed, Kind, Tflite, WeightsNeed};
use super::{Phase, Session};
use super::super::result::Input;
use crate::error::{Error, Result};
use crate::metrics::rdm::Rdm;
use crate::runtime::inspect;
use crate::stimuli::{decode_rgb, resize_crop, sets};
use sha2::{Digest, Sha256};
use tract_onnx::pb::ModelProto;

/// A model file's graph: ONNX as it is, TFLite converted to a float ONNX
/// graph whose metadata carries its preprocessing (so both take one path).
pub(super) fn decode_model(file: &str, bytes: &[u8], tflite: bool) -> Result<ModelProto> {
    if tflite {
        crate::runtime::tflite::to_onnx(file, bytes)
    } else {
        inspect::decode(file, bytes)
    }
}

/// The error for a file whose hash is not the one expected.
fn check_sha256(what: &str, name: &str, got: &str, expected: Option<&str>) -> Result<()> {
    match expected {
        Some(e) if !e.eq_ignore_ascii_case(got) => Err(Error::Input(format!("{what} {name}: sha256 is {got}, the spec expects {e}"))),
        _ => Ok(()),
    }
}

pub(super) fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(super) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Session {
    /// The shared input side, once every model's preprocessing is known; an
    /// error when they differ.
    pub(super) fn size(&self) -> Result<Option<u32>> {
        input_size(&self.entries)
    }

    /// The weights files the spec needs (trained zoo models' and shipped
    /// TFLite models'), which [`Session::add_weights`] expects.
    pub fn weights_needed(&self) -> Vec<WeightsNeed> {
        weights_needed(&self.entries)
    }

    /// Hands over a weights file: `name` is a trained zoo model's file name,
    /// its URL, or a shipped file's site-relative path (a shipped TFLite
    /// model's too, as [`Session::weights_needed`] lists it). Its sha256 is
    /// checked when the spec or the catalogue gives one, and it is read at
    /// once to check it is a weights file; its bytes are then held (not the
    /// parsed tensors) until the model is built.
    pub fn add_weights(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let shipped_tflite = self.entries.iter().any(|e| matches!(&e.kind, Kind::Onnx { file, tflite: Some(Tflite { shipped: Some(_) }), .. } if file == name));
        if shipped_tflite {
            return self.add_model(name, bytes);
        }
        let targets: Vec<usize> = (0..self.entries.len()).filter(|&j| self.entries[j].weights.as_ref().is_some_and(|w| w.key == name)).collect();
        if targets.is_empty() {
            let names: Vec<String> = self.weights_needed().into_iter().map(|w| w.name).collect();
            return Err(Error::State(if names.is_empty() {
                format!("the spec names no weights file, so \"{name}\" is not expected")
            } else {
                format!("the spec names no weights \"{name}\"; it expects {}", names.join(", "))
            }));
        }
        if self.phase != Phase::Start(0) || self.steps_done > 0 {
            return Err(Error::State("weights must be added before the run starts".into()));
        }
        let got = sha256(&bytes);
        for &j in &targets {
            let w = self.entries[j].weights.as_ref().expect("filtered on it");
            check_sha256("weights", name, &got, w.expected.as_deref())?;
        }
        // Read once now, so a wrong file is refused before the run; only the bytes are kept.
        let (dict, format) = crate::weights::read(name, &bytes)?;
        drop(dict);
        let format = serde_json::to_value(format).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        self.inputs.push(Input { role: "weights", name: name.into(), bytes: bytes.len(), sha256: got.clone() });
        let last = targets.len() - 1;
        let size = bytes.len();
        let mut bytes = Some(bytes);
        for (k, j) in targets.into_iter().enumerate() {
            let copy = if k == last { bytes.take() } else { bytes.clone() };
            let entry = &mut self.entries[j];
            let w = entry.weights.as_mut().expect("filtered on it");
            // The label gains the hash where the spec gave none.
            entry.label = entry.label.replacen(&w.label_part(None), &w.label_part(Some(&got)), 1);
            w.bytes = copy;
            w.added = Some((got.clone(), size, format.clone()));
        }
        Ok(())
    }

    /// The user-model files (`onnx` values) the spec names, which [`Session::add_model`] expects.
    pub fn model_files(&self) -> Vec<String> {
        model_files(&self.entries)
    }

    /// The user's data files (`responses` and `rdms` values), which [`Session::add_data`] expects.
    pub fn data_files(&self) -> Vec<String> {
        data_files(&self.entries)
    }

    /// Site-relative paths of the shipped data the spec names, to fetch (page)
    /// or read (CLI) and hand to [`Session::add_data`].
    pub fn dataset_paths(&self) -> Vec<String> {
        dataset_paths(&self.entries)
    }

    /// Hands over the bytes of a user model named in the spec (`name` is the
    /// spec's `onnx` value). Inspects them at once: the image input, the
    /// requested layers, the preprocessing metadata.
    pub fn add_model(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let targets: Vec<usize> = (0..self.entries.len())
            .filter(|&j| matches!(&self.entries[j].kind, Kind::Onnx { file, .. } if file == name))
            .collect();
        if targets.is_empty() {
            let files = self.model_files();
            return Err(Error::State(if files.is_empty() {
                format!("the spec names no onnx model, so \"{name}\" is not expected")
            } else {
                format!("the spec names no onnx model \"{name}\"; it expects {}", files.join(", "))
            }));
        }
        if self.phase != Phase::Start(0) || self.steps_done > 0 {
            return Err(Error::State("models must be added before the run starts".into()));
        }
        let got = sha256(&bytes);
        for &j in &targets {
            if let Kind::Onnx { tflite: Some(Tflite { shipped: Some(c) }), .. } = &self.entries[j].kind {
                check_sha256("model", name, &got, c.sha256.as_deref())?;
            }
        }
        self.inputs.push(Input { role: "model", name: name.into(), bytes: bytes.len(), sha256: got });
        // The same file may be named by several entries.
        let last = targets.len() - 1;
        let mut bytes = Some(bytes);
        for (k, j) in targets.into_iter().enumerate() {
            self.load_model(j, bytes.as_deref().expect("kept until the last entry"))?;
            let copy = if k == last { bytes.take() } else { bytes.clone() };
            if let Kind::Onnx { bytes: slot, added, .. } = &mut self.entries[j].kind {
                *slot = copy;
                *added = true;
            }
        }
        self.size()?;
        Ok(())
    }

    fn load_model(&mut self, i: usize, bytes: &[u8]) -> Result<()> {
        let Kind::Onnx { file, requested, size, norm, tflite, .. } = &self.entries[i].kind else { unreachable!("only onnx models are added") };
        let proto = decode_model(file, bytes, tflite.is_some())?;
        let mut model = crate::runtime::prepare_user_model(file, &proto, requested, *size)?;
        // A shipped TFLite model's layers take the catalogue's short labels.
        if let Some(Tflite { shipped: Some(c) }) = tflite {
            for p in &mut model.layers {
                if let Some(l) = c.layers.iter().find(|l| l.tensor == p.tensor) {
                    p.label = l.label.clone();
                }
            }
        }
        // The spec's mean/std/channels, else the file's metadata, else ImageNet's.
        let preprocess = norm.apply(model.preprocess);
        self.entries[i].layers = model.layers;
        self.entries[i].preprocess = Some(preprocess);
        Ok(())
    }

    /// Hands over a data file: a user's responses or RDMs (`name` is the
    /// spec's `responses` / `rdms` value) or a shipped dataset's file (`name`
    /// is its site-relative path). Parsed and checked against the stimuli at once.
    pub fn add_data(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        if self.set.origin == sets::Origin::Upload && self.images.is_empty() {
            return Err(Error::State(format!(
                "add the uploaded images before the data file {name}: its rows are matched to them"
            )));
        }
        let n = self.n();
        let names = self.set.names.clone();
        let mut used = false;
        for e in &mut self.entries {
            match &mut e.kind {
                Kind::Responses { file, key, matrix } if file == name => {
                    let table = crate::data::read_table(file, bytes, key.as_deref())?;
                    let y = crate::data::align::responses(&table, &names)?;
                    e.units = Some(y.ncols());
                    *matrix = Some(y);
                    used = true;
                }
                Kind::Rdms { file, key, rdms } if file == name => {
                    let table = crate::data::read_table(file, bytes, key.as_deref())?;
                    let mats = crate::data::align::rdms(&table, n)?;
                    let list = mats
                        .iter()
                        .map(|m| Rdm::from_matrix(m).map_err(|err| Error::Input(format!("{file}: {err}"))))
                        .collect::<Result<Vec<_>>>()?;
                    e.subjects = if list.len() > 1 { (1..=list.len()).map(|i| format!("subject {i}")).collect() } else { Vec::new() };
                    *rdms = Some(list);
                    used = true;
                }
                Kind::Dataset { d, files } => {
                    if let Some(i) = d.files().iter().position(|f| f == name) {
                        files[i] = Some(bytes.to_vec());
                        used = true;
                    }
                }
                _ => {}
            }
        }
        if !used {
            let mut expected = self.data_files();
            expected.extend(self.dataset_paths());
            return Err(Error::State(format!(
                "the spec names no data file \"{name}\"; it expects {}",
                if expected.is_empty() { "none".to_string() } else { expected.join(", ") }
            )));
        }
        self.inputs.push(Input { role: "data", name: name.into(), bytes: bytes.len(), sha256: sha256(bytes) });
        Ok(())
    }

    /// Paths of the stimulus images, relative to the site root, in the order
    /// [`Session::add_stimulus`] expects them.
    /// Empty for a generated set (its images are drawn by the session itself).
    pub fn stimulus_paths(&self) -> &[String] {
        &self.set.files
    }

    /// Decodes, resizes and crops the next stimulus. `name` is used in errors
    /// and, for an upload, is the stimulus' name (responses are matched to it).
    pub fn add_stimulus(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let upload = self.set.origin == sets::Origin::Upload;
        if upload && self.steps_done > 0 {
            return Err(Error::State("stimuli must be added before the run starts".into()));
        }
        if !upload && self.images.len() == self.n() {
            return Err(Error::State(format!("all {} stimuli were already added", self.n())));
        }
        let mut img = decode_rgb(name, bytes)?;
        self.inputs.push(Input { role: "stimulus", name: name.into(), bytes: bytes.len(), sha256: sha256(bytes) });
        if let sets::Origin::Scrambled(seed) = self.set.origin {
            img = crate::stimuli::textures::phase_scramble(&img, seed, self.images.len());
        }
        self.images.push(match self.size()? {
            Some(size) => resize_crop(&img, size),
            None => img,
        });
        if upload {
            // An upload's names arrive with its images.
            self.set.names.push(name.into());
        }
        Ok(())
    }

    /// Everything added that the run needs, or an error saying what is missing.
    pub(super) fn ready(&self) -> Result<()> {
        if self.set.origin == sets::Origin::Upload && self.n() < 3 {
            return Err(Error::Input(format!(
                "the metrics need at least 3 stimuli; {} image(s) were given{}",
                self.n(),
                self.spec.stimuli.folder.as_ref().map(|f| format!(" in {f}")).unwrap_or_default()
            )));
        }
        if self.images.len() != self.n() {
            return Err(Error::State(format!("{} of {} stimuli added; add them all before running", self.images.len(), self.n())));
        }
        for e in &self.entries {
            let missing = match &e.kind {
                Kind::Onnx { file, added: false, tflite: Some(Tflite { shipped: Some(_) }), .. } => {
                    Some(format!("the shipped TFLite model {file} was not added (add_weights)"))
                }
                Kind::Onnx { file, added: false, tflite, .. } => {
                    let kind = if tflite.is_some() { "tflite" } else { "onnx" };
                    Some(format!("the spec's {kind} model {file} was not added; add its bytes (add_model)"))
                }
                Kind::Zoo { .. } => e
                    .weights
                    .as_ref()
                    .filter(|w| w.added.is_none())
                    .map(|w| format!("the spec's weights {} were not added (add_weights)", w.key)),
                Kind::Responses { file, matrix: None, .. } | Kind::Rdms { file, rdms: None, .. } => {
                    Some(format!("the spec's data file {file} was not added (add_data)"))
                }
                Kind::Dataset { d, files } => files
                    .iter()
                    .position(Option::is_none)
                    .map(|i| format!("dataset {}: file {} was not added (add_data)", d.name, d.files()[i])),
                _ => None,
            };
            if let Some(m) = missing {
                return Err(Error::State(format!("{m} before running")));
            }
        }
        Ok(())
    }
}
