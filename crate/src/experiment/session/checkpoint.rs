//! Checkpoints: what a finished entry leaves behind, as bytes, so that a run
//! interrupted (a reload, a crashed worker, a closed tab) resumes from the
//! last finished model with exactly the state an uninterrupted run had.
//!
//! A checkpoint is a .zip (stored, not deflated: Gram matrices hardly
//! compress): `checkpoint.json` (which run, set and entry; the entry's score
//! tables with every float as its bit pattern; its warnings; its trained
//! weights' report; its export files' manifest lines) and .npy arrays (f64,
//! bit-exact) of a target's layers: Gram matrix, row sums, features, RDMs.
//! A source leaves its score tables; a target, what the metrics compare.
//!
//! The run key names a run: SHA-256 over the idlab version, the spec and the
//! sha256 of every input, so a checkpoint of another spec, another file or
//! another build is refused rather than mixed in.

use super::plan::{Kind, Role};
use super::scoring::LayerData;
use super::{Phase, Session};
use super::super::exports::{npy_f64, ExportFile, Listed, Rank};
use super::super::result::{Input, Score};
use super::super::spec::Spec;
use crate::error::{Error, Result};
use crate::metrics::rdm::Rdm;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

/// Bumped whenever the layout changes: another format is refused.
const FORMAT: u32 = 1;
const HEADER: &str = "checkpoint.json";
/// The most `checkpoint.json` may unpack to (score tables and warnings are small).
const MAX_HEADER_BYTES: u64 = 64 << 20;

/// A finished entry's checkpoint, as a front door stores it.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The stimulus set (0 with one set) and the entry (targets first, then sources).
    pub set: usize,
    pub entry: usize,
    pub label: String,
    pub bytes: Vec<u8>,
}

/// What a resume restored, for the front door to say.
#[derive(Clone, Debug, Serialize)]
pub struct Resumed {
    /// Entries (models and data targets) restored, and in all, over every set.
    pub finished: usize,
    pub total: usize,
    /// `resumed: 2 of 4 models already finished`.
    pub message: String,
}

/// The run key: SHA-256 over the idlab version, the spec as JSON and every
/// set's inputs (role, name, size, sha256) in the order they were added.
pub(crate) fn run_key<'a>(spec: &Spec, inputs: impl IntoIterator<Item = &'a [Input]>) -> Result<String> {
    let bad = |e: serde_json::Error| Error::State(format!("cannot hash the run: {e}"));
    let mut h = Sha256::new();
    h.update(b"idlab run key 1\n");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(b"\n");
    // The spec's words (name, about, the paper's claims) change no number: a page that
    // rewrote its "about" after a reload must still meet its checkpoints.
    let mut computed = spec.clone();
    (computed.name, computed.figure, computed.about, computed.paper_file, computed.paper, computed.this_run) = (None, None, None, None, None, None);
    h.update(serde_json::to_vec(&computed).map_err(bad)?);
    for (set, list) in inputs.into_iter().enumerate() {
        h.update(format!("\nset {set}\n").as_bytes());
        h.update(serde_json::to_vec(list).map_err(bad)?);
    }
    Ok(super::inputs::hex(&h.finalize()))
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    idlab_version: String,
    run: String,
    set: usize,
    entry: usize,
    id: String,
    label: String,
    /// A target's layers; none for a source (its score tables are what it leaves).
    layers: Vec<LayerHead>,
    scores: Vec<ScoreBits>,
    warnings: Vec<String>,
    /// What `weights::apply` reported for a trained zoo model.
    applied: Option<serde_json::Value>,
    /// The export's files of this entry: rank, manifest line, size (bytes at `exports/<i>`).
    exports: Vec<(Rank, String, Listed, usize)>,
}

/// One layer's [`LayerData`]: the shapes of the arrays at `layers/<l>/`.
#[derive(Serialize, Deserialize)]
struct LayerHead {
    units: usize,
    /// n of the n x n Gram matrix (`gram.npy`), if any.
    gram: Option<usize>,
    /// Row sums (`sums.npy`).
    sums: usize,
    /// Per metric: the features' shape (`features-<k>.npy`).
    features: Vec<Option<(usize, usize)>>,
    /// A data target's RDMs, condensed lengths (`rdm-<i>.npy`).
    rdms: Vec<usize>,
    /// Per metric: this layer's RDM for RSA (`rsa-<k>.npy`), or why it has none.
    rsa: Vec<RsaHead>,
    /// The subjects' mean RDM, condensed length (`mean.npy`).
    mean: Option<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RsaHead {
    None,
    Rdm(usize),
    Error(String),
}

/// A float as its 64 bits in hex: exact for every value, NaN and infinities included.
type Bits = Option<String>;

/// A score table with its floats as [`Bits`]; `score` holds the rest.
#[derive(Serialize, Deserialize)]
struct ScoreBits {
    /// (metric, source, target): the session's score index.
    key: (usize, usize, usize),
    score: Score,
    values: Vec<Vec<Bits>>,
    per_subject: Option<Vec<Vec<Vec<Bits>>>>,
    p_values: Option<Vec<Vec<Bits>>>,
    detail: Option<BTreeMap<String, Vec<Vec<Bits>>>>,
    standard_errors: Option<Vec<Vec<Bits>>>,
}

fn bits(v: &Option<f64>) -> Bits {
    v.map(|x| format!("{:016x}", x.to_bits()))
}

fn unbits(b: &Bits) -> Result<Option<f64>> {
    b.as_ref()
        .map(|s| u64::from_str_radix(s, 16).map(f64::from_bits).map_err(|_| Error::Input(format!("\"{s}\" is not a float's bits"))))
        .transpose()
}

fn bits2(t: &[Vec<Option<f64>>]) -> Vec<Vec<Bits>> {
    t.iter().map(|r| r.iter().map(bits).collect()).collect()
}

fn unbits2(t: &[Vec<Bits>]) -> Result<Vec<Vec<Option<f64>>>> {
    t.iter().map(|r| r.iter().map(unbits).collect()).collect()
}

impl ScoreBits {
    fn new(key: (usize, usize, usize), s: &Score) -> ScoreBits {
        ScoreBits {
            key,
            score: Score { values: Vec::new(), per_subject: None, p_values: None, detail: None, standard_errors: None, ..s.clone() },
            values: bits2(&s.values),
            per_subject: s.per_subject.as_ref().map(|t| t.iter().map(|r| bits2(r)).collect()),
            p_values: s.p_values.as_deref().map(bits2),
            detail: s.detail.as_ref().map(|d| d.iter().map(|(k, t)| (k.clone(), bits2(t))).collect()),
            standard_errors: s.standard_errors.as_deref().map(bits2),
        }
    }

    fn score(self) -> Result<Score> {
        Ok(Score {
            values: unbits2(&self.values)?,
            per_subject: self.per_subject.map(|t| t.iter().map(|r| unbits2(r)).collect()).transpose()?,
            p_values: self.p_values.as_deref().map(unbits2).transpose()?,
            detail: self.detail.map(|d| d.into_iter().map(|(k, t)| Ok((k, unbits2(&t)?))).collect::<Result<_>>()).transpose()?,
            standard_errors: self.standard_errors.as_deref().map(unbits2).transpose()?,
            ..self.score
        })
    }
}

/// A checkpoint read back and checked for damage, not yet for its run.
pub(crate) struct Decoded {
    pub run: String,
    pub set: usize,
    pub entry: usize,
    id: String,
    pub label: String,
    layers: Vec<LayerData>,
    scores: Vec<((usize, usize, usize), Score)>,
    warnings: Vec<String>,
    applied: Option<serde_json::Value>,
    exports: Vec<(Rank, ExportFile, Listed)>,
}

fn zip_err(e: impl std::fmt::Display) -> Error {
    Error::State(format!("cannot write a checkpoint: {e}"))
}

/// The checkpoint's .zip: stored entries, dated 1980, so the same state gives the same bytes.
struct Writer(zip::ZipWriter<Cursor<Vec<u8>>>);

impl Writer {
    fn add(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(zip::DateTime::default())
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        self.0.start_file(path, options).map_err(zip_err)?;
        self.0.write_all(bytes).map_err(zip_err)
    }

    fn matrix(&mut self, path: &str, m: &DMatrix<f64>) -> Result<()> {
        let (r, c) = m.shape();
        self.add(path, &npy_f64(&[r, c], (0..r).flat_map(|i| (0..c).map(move |j| m[(i, j)])))?)
    }

    fn vector(&mut self, path: &str, v: &[f64]) -> Result<()> {
        self.add(path, &npy_f64(&[v.len()], v.iter().copied())?)
    }
}

impl Session {
    /// The checkpoint of the entry the last step finished, if it finished one
    /// (taken once); `run` is the run key, `set` this session's stimulus set.
    pub(crate) fn take_checkpoint(&mut self, run: &str, set: usize) -> Result<Option<Checkpoint>> {
        let Some((e, warnings)) = self.finished.take() else { return Ok(None) };
        let n_targets = self.spec.targets.len();
        let entry = &self.entries[e];
        let mut w = Writer(zip::ZipWriter::new(Cursor::new(Vec::new())));
        let mut layers = Vec::new();
        if entry.role == Role::Target {
            let data = self.data[e].as_ref().ok_or_else(|| Error::State(format!("checkpoint of {}: its data was already released", entry.label)))?;
            for (l, d) in data.iter().enumerate() {
                layers.push(write_layer(&mut w, l, d)?);
            }
        }
        let mut scores: Vec<(usize, (usize, usize, usize))> = match entry.role {
            Role::Source => self.score_index.iter().filter(|(k, _)| k.1 == e - n_targets).map(|(k, &i)| (i, *k)).collect(),
            Role::Target => Vec::new(),
        };
        scores.sort_unstable();
        // The export numbers an entry by its place in the result's models list (as `keep_exports` does).
        let order = if entry.role == Role::Source { e - n_targets } else { self.entries.len() - n_targets + e };
        let files = self.exports.as_ref().map(|x| x.of_entry(order)).unwrap_or_default();
        for (i, (_, f, _)) in files.iter().enumerate() {
            w.add(&format!("exports/{i}"), &f.bytes)?;
        }
        let header = Header {
            format: FORMAT,
            idlab_version: env!("CARGO_PKG_VERSION").into(),
            run: run.into(),
            set,
            entry: e,
            id: entry.id.clone(),
            label: entry.label.clone(),
            layers,
            scores: scores.iter().map(|&(i, k)| ScoreBits::new(k, &self.scores[i])).collect(),
            warnings: self.warnings[warnings].to_vec(),
            applied: entry.weights.as_ref().and_then(|w| w.applied.clone()),
            exports: files.into_iter().map(|(r, f, l)| (r, f.path, l, f.bytes.len())).collect(),
        };
        let json = serde_json::to_vec(&header).map_err(zip_err)?;
        w.add(HEADER, &json)?;
        let bytes = w.0.finish().map_err(zip_err)?.into_inner();
        Ok(Some(Checkpoint { set, entry: e, label: entry.label.clone(), bytes }))
    }

    /// Checks that `list` (this set's checkpoints, of entries 0, 1, ... in
    /// order) fits this session: the same entries, shapes and stimuli.
    pub(crate) fn check_restore(&self, list: &[Decoded]) -> Result<()> {
        if self.steps_done > 0 || self.phase != Phase::Start(0) {
            return Err(Error::State("a run resumes before its first step".into()));
        }
        for (e, d) in list.iter().enumerate() {
            let wrong = |why: String| Error::Input(format!("checkpoint of {} (entry {}): {why}", d.label, d.entry));
            if d.entry != e {
                return Err(wrong(format!("the checkpoint of entry {e} is missing")));
            }
            let Some(entry) = self.entries.get(e) else { return Err(wrong(format!("the run has {} entries", self.entries.len()))) };
            if entry.id != d.id {
                return Err(wrong(format!("entry {e} of this run is {}, not {}", entry.id, d.id)));
            }
            let layers = if entry.role == Role::Target { entry.layer_names().len() } else { 0 };
            if d.layers.len() != layers {
                return Err(wrong(format!("{} layers, this run's entry has {layers}", d.layers.len())));
            }
            for l in &d.layers {
                if l.gram.as_ref().is_some_and(|g| g.nrows() != self.n()) || l.features.len() != self.metrics.len() || l.rsa.len() != l.features.len() {
                    return Err(wrong(format!("its layers do not fit this run ({} stimuli, {} metrics)", self.n(), self.metrics.len())));
                }
            }
            if d.scores.iter().any(|(k, _)| k.0 >= self.metrics.len() || k.2 >= self.spec.targets.len() || entry.role != Role::Source || k.1 + self.spec.targets.len() != e) {
                return Err(wrong("its score tables do not fit this run".into()));
            }
        }
        Ok(())
    }

    /// Restores checked checkpoints (see [`Session::check_restore`]): the run
    /// continues at the first entry without one, as if it had run them.
    pub(crate) fn restore(&mut self, list: Vec<Decoded>) {
        let k = list.len();
        if k == 0 {
            return;
        }
        for d in list {
            let e = d.entry;
            if self.entries[e].role == Role::Target {
                self.data[e] = Some(d.layers);
            }
            for (key, score) in d.scores {
                self.scores.push(score);
                self.score_index.insert(key, self.scores.len() - 1);
            }
            self.warnings.extend(d.warnings);
            if let Some(x) = &mut self.exports {
                x.restore(d.exports);
            }
            // What the entry would have consumed is released now.
            let entry = &mut self.entries[e];
            if let Some(w) = &mut entry.weights {
                w.applied = d.applied;
                w.bytes = None;
            }
            match &mut entry.kind {
                Kind::Onnx { bytes, .. } => *bytes = None,
                Kind::Responses { matrix, .. } => *matrix = None,
                Kind::Rdms { rdms, .. } => *rdms = None,
                Kind::Dataset { files, .. } => files.iter_mut().for_each(|f| *f = None),
                Kind::Zoo { .. } => {}
            }
        }
        self.steps_done = (0..k).map(|e| self.entry_steps(e)).sum();
        self.advance_from(k - 1);
        self.finished = None;
        if self.phase == Phase::Done {
            self.finish();
        }
    }
}

fn write_layer(w: &mut Writer, l: usize, d: &LayerData) -> Result<LayerHead> {
    if d.kept.is_some() {
        return Err(Error::State("a checkpoint is taken after the export took its activations".into()));
    }
    let dir = format!("layers/{l}");
    if let Some(g) = &d.gram {
        w.matrix(&format!("{dir}/gram.npy"), g)?;
    }
    w.vector(&format!("{dir}/sums.npy"), &d.sums)?;
    for (k, f) in d.features.iter().enumerate() {
        if let Some(m) = f {
            w.matrix(&format!("{dir}/features-{k}.npy"), m)?;
        }
    }
    for (i, r) in d.rdms.iter().enumerate() {
        w.vector(&format!("{dir}/rdm-{i}.npy"), r.condensed())?;
    }
    let mut rsa = Vec::new();
    for (k, r) in d.rsa.iter().enumerate() {
        rsa.push(match r {
            None => RsaHead::None,
            Some(Err(why)) => RsaHead::Error(why.clone()),
            Some(Ok(r)) => {
                w.vector(&format!("{dir}/rsa-{k}.npy"), r.condensed())?;
                RsaHead::Rdm(r.condensed().len())
            }
        });
    }
    if let Some(m) = &d.mean {
        w.vector(&format!("{dir}/mean.npy"), m.condensed())?;
    }
    Ok(LayerHead {
        units: d.units,
        gram: d.gram.as_ref().map(|g| g.nrows()),
        sums: d.sums.len(),
        features: d.features.iter().map(|f| f.as_ref().map(|m| m.shape())).collect(),
        rdms: d.rdms.iter().map(|r| r.condensed().len()).collect(),
        rsa,
        mean: d.mean.as_ref().map(|m| m.condensed().len()),
    })
}

/// The checkpoint's archive, whose entries are read no longer than the header says.
struct Reader(zip::ZipArchive<Cursor<Vec<u8>>>);

impl Reader {
    fn bytes(&mut self, path: &str, limit: u64) -> Result<Vec<u8>> {
        let mut f = self.0.by_name(path).map_err(|e| damaged(&format!("{path}: {e}")))?;
        let mut buf = Vec::new();
        (&mut f).take(limit + 1).read_to_end(&mut buf).map_err(|e| damaged(&format!("{path}: {e}")))?;
        if buf.len() as u64 > limit {
            return Err(damaged(&format!("{path} is larger than its header says")));
        }
        Ok(buf)
    }

    /// An f64 array of `len` values, its bytes exactly as written.
    fn array(&mut self, path: &str, len: usize) -> Result<Vec<f64>> {
        // The .npy header is at most a few hundred bytes.
        let bytes = self.bytes(path, len as u64 * 8 + 4096)?;
        let bad = |e: &dyn std::fmt::Display| damaged(&format!("{path}: {e}"));
        let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| bad(&e))?;
        // A dtype other than float64 is refused here.
        let values = npy.into_vec::<f64>().map_err(|e| bad(&e))?;
        if values.len() != len {
            return Err(bad(&format!("{} values, its header says {len}", values.len())));
        }
        Ok(values)
    }

    fn matrix(&mut self, path: &str, (r, c): (usize, usize)) -> Result<DMatrix<f64>> {
        Ok(DMatrix::from_row_slice(r, c, &self.array(path, r * c)?))
    }

    fn rdm(&mut self, path: &str, len: usize) -> Result<Rdm> {
        Rdm::from_condensed(self.array(path, len)?).map_err(|e| damaged(&format!("{path}: {e}")))
    }
}

fn damaged(why: &str) -> Error {
    Error::Input(format!("not a readable checkpoint (damaged or cut short?): {why}"))
}

/// Reads a checkpoint's bytes; an error says what is damaged. Which run it
/// belongs to is checked by the caller.
pub(crate) fn read(bytes: Vec<u8>) -> Result<Decoded> {
    let mut z = Reader(zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| damaged(&e.to_string()))?);
    let json = z.bytes(HEADER, MAX_HEADER_BYTES)?;
    let h: Header = serde_json::from_slice(&json).map_err(|e| damaged(&format!("{HEADER}: {e}")))?;
    if h.format != FORMAT || h.idlab_version != env!("CARGO_PKG_VERSION") {
        return Err(Error::Input(format!(
            "checkpoint of {}: written by idlab {} (format {}), this is idlab {} (format {FORMAT})",
            h.label,
            h.idlab_version,
            h.format,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let mut layers = Vec::new();
    for (l, lh) in h.layers.iter().enumerate() {
        let dir = format!("layers/{l}");
        let mut d = LayerData { units: lh.units, ..Default::default() };
        if let Some(n) = lh.gram {
            d.gram = Some(z.matrix(&format!("{dir}/gram.npy"), (n, n))?);
        }
        d.sums = z.array(&format!("{dir}/sums.npy"), lh.sums)?;
        for (k, f) in lh.features.iter().enumerate() {
            d.features.push(f.map(|shape| z.matrix(&format!("{dir}/features-{k}.npy"), shape)).transpose()?);
        }
        for (i, &len) in lh.rdms.iter().enumerate() {
            d.rdms.push(z.rdm(&format!("{dir}/rdm-{i}.npy"), len)?);
        }
        for (k, r) in lh.rsa.iter().enumerate() {
            d.rsa.push(match r {
                RsaHead::None => None,
                RsaHead::Error(why) => Some(Err(why.clone())),
                RsaHead::Rdm(len) => Some(Ok(z.rdm(&format!("{dir}/rsa-{k}.npy"), *len)?)),
            });
        }
        d.mean = lh.mean.map(|len| z.rdm(&format!("{dir}/mean.npy"), len)).transpose()?;
        layers.push(d);
    }
    let mut exports = Vec::new();
    for (i, (rank, path, listed, len)) in h.exports.into_iter().enumerate() {
        let bytes = z.bytes(&format!("exports/{i}"), len as u64)?;
        if bytes.len() != len {
            return Err(damaged(&format!("exports/{i} holds {} bytes, its header says {len}", bytes.len())));
        }
        exports.push((rank, ExportFile { path, bytes }, listed));
    }
    let scores = h.scores.into_iter().map(|s| Ok((s.key, s.score()?))).collect::<Result<_>>().map_err(|e| damaged(&e.to_string()))?;
    Ok(Decoded { run: h.run, set: h.set, entry: h.entry, id: h.id, label: h.label, layers, scores, warnings: h.warnings, applied: h.applied, exports })
}
