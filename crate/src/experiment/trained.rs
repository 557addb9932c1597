//! "Run on trained weights": a spec's variant in which every seeded zoo side
//! whose architecture has trained weights in the catalogue
//! (`models/weights.json`) runs on them instead, with sentences saying which
//! weights each architecture got and what that does to the comparison. The
//! seeded spec stays the offline default; the page and `idlab run --trained`
//! both build the variant here, so they run the same thing.

use super::spec::{Spec, WeightsSpec};
use crate::error::{Error, Result};
use crate::weights::catalogue::{self, Entry};

/// Appended to the spec's name.
pub const NAME_SUFFIX: &str = " (trained weights)";

/// Which training run an entry's file holds: entries that republish
/// torchvision's weights (timm's `tv_in1k` files name them so in their
/// source) are one run with torchvision's own; any other entry is its own run.
/// The catalogue has no sha256 for most public files, and the same weights in
/// another format would have another hash anyway, so the source decides.
fn training_run(e: &Entry) -> String {
    if e.names.as_deref() == Some("torchvision") || e.source.contains("torchvision's weights") {
        "torchvision".into()
    } else {
        e.id.clone()
    }
}

/// The distinct training runs of `arch` in the catalogue, in its order, each
/// as the entry to use: a shipped file first (it runs offline), else one with
/// a known sha256, else the first listed.
fn runs_of(arch: &str) -> Vec<&'static Entry> {
    let mut runs: Vec<(String, Vec<&'static Entry>)> = Vec::new();
    for e in catalogue::entries().iter().filter(|e| e.arch.as_deref() == Some(arch) && e.tflite.is_none()) {
        let key = training_run(e);
        match runs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(e),
            None => runs.push((key, vec![e])),
        }
    }
    runs.into_iter()
        .map(|(_, list)| {
            list.iter().copied().find(|e| e.shipped).or_else(|| list.iter().copied().find(|e| e.sha256.is_some())).unwrap_or(list[0])
        })
        .collect()
}

/// The spec's `weights` for a catalogue entry: `{shipped}` for a file the
/// site serves, else `{url, sha256}` (sha256 absent where the catalogue could
/// not learn it: the page's Load, or `idlab run --trained`, fills in the file's own).
pub fn weights_for(e: &Entry) -> WeightsSpec {
    if e.shipped {
        WeightsSpec { shipped: Some(e.id.clone()), ..Default::default() }
    } else {
        WeightsSpec { url: Some(e.url.clone()), sha256: e.sha256.clone(), ..Default::default() }
    }
}

/// An entry in words: its id, who publishes it, what it was trained on and where it comes from.
fn describe(e: &Entry) -> String {
    let from = if e.shipped { "shipped with the site, so it runs offline".to_string() } else { format!("fetched from {}", e.url) };
    format!("{} ({}; trained on {}; {from})", e.id, e.source, e.trained_on)
}

fn seeds_text(seeds: &[u64]) -> String {
    let list: Vec<String> = seeds.iter().map(u64::to_string).collect();
    match list.len() {
        1 => format!("seed {}", list[0]),
        _ => format!("seeds {}", list.join(", ")),
    }
}

/// One seeded zoo side: where it is and what it names.
struct Side {
    source: bool,
    index: usize,
    arch: String,
    seed: u64,
}

/// The spec on trained weights, and one sentence per architecture saying
/// which catalogue entry its sides got (or why they stay seeded).
///
/// Every seeded zoo side (source or target) whose architecture has catalogue
/// entries gets `weights` in place of `seed`. Sides of one architecture with
/// the same seed get the same weights; different seeds get different training
/// runs where the catalogue has several (the sources' seeds first, so an
/// identification preset's targets are another run than its sources), and
/// share them where it has fewer (said). An architecture the spec already
/// runs on trained weights keeps its seeded sides: they are its random twins.
/// The notes are prepended to the spec's `this_run` and the name gets
/// [`NAME_SUFFIX`]. Fails when no side changes, saying why.
pub fn trained_variant(spec: &Spec) -> Result<(Spec, Vec<String>)> {
    let mut sides: Vec<Side> = Vec::new();
    let mut trained_archs: Vec<String> = Vec::new();
    for (source, list) in [(true, &spec.sources), (false, &spec.targets)] {
        for (index, m) in list.iter().enumerate() {
            let Some(arch) = &m.arch else { continue };
            match (m.seed, &m.weights) {
                (Some(seed), None) => sides.push(Side { source, index, arch: arch.clone(), seed }),
                (_, Some(_)) if !trained_archs.contains(arch) => trained_archs.push(arch.clone()),
                _ => {}
            }
        }
    }
    let mut archs: Vec<&str> = Vec::new();
    for s in &sides {
        if !archs.contains(&s.arch.as_str()) {
            archs.push(&s.arch);
        }
    }

    let mut out = spec.clone();
    let mut notes = Vec::new();
    let mut changed = 0usize;
    let mut untouched = Vec::new();
    for arch in archs {
        let mine: Vec<&Side> = sides.iter().filter(|s| s.arch == arch).collect();
        // Seeds in the order they matter: the sources' first, then those only targets use.
        let mut seeds: Vec<u64> = Vec::new();
        for s in mine.iter().filter(|s| s.source).chain(mine.iter().filter(|s| !s.source)) {
            if !seeds.contains(&s.seed) {
                seeds.push(s.seed);
            }
        }
        if trained_archs.iter().any(|a| a == arch) {
            notes.push(format!(
                "{arch} with {} {} seeded: the spec already runs {arch} on trained weights, so its seeded {} the random twin.",
                seeds_text(&seeds),
                if mine.len() == 1 { "stays" } else { "stay" },
                if mine.len() == 1 { "side is" } else { "sides are" },
            ));
            untouched.push(arch.to_string());
            continue;
        }
        let runs = runs_of(arch);
        if runs.is_empty() {
            untouched.push(format!("{arch} ({})", seeds_text(&seeds)));
            continue;
        }
        // seed i gets run i mod (number of runs).
        let pick = |seed: u64| runs[seeds.iter().position(|s| *s == seed).unwrap_or(0) % runs.len()];
        for s in &mine {
            let m = if s.source { &mut out.sources[s.index] } else { &mut out.targets[s.index] };
            m.seed = None;
            m.weights = Some(weights_for(pick(s.seed)));
            // A label written for the seeded side would name the wrong network; the core labels a trained one by its file.
            m.label = None;
            changed += 1;
        }
        notes.push(arch_note(arch, &mine, &seeds, &runs));
    }
    let unhashed: Vec<&str> = {
        let mut ids: Vec<&str> = Vec::new();
        for m in out.sources.iter().chain(&out.targets) {
            let Some(url) = m.weights.as_ref().filter(|w| w.sha256.is_none()).and_then(|w| w.url.as_deref()) else { continue };
            if let Some(e) = catalogue::by_url(url).filter(|e| !ids.contains(&e.id.as_str())) {
                ids.push(&e.id);
            }
        }
        ids
    };
    if !unhashed.is_empty() {
        notes.push(format!(
            "The catalogue has no sha256 for {}: the page's Load, or idlab run --trained, fetches the file and takes its own, which is what the result records.",
            unhashed.join(", ")
        ));
    }
    if changed == 0 {
        let why = if sides.is_empty() {
            "the spec has no seeded zoo model".to_string()
        } else {
            format!("the catalogue (models/weights.json) has no trained weights for its seeded zoo models: {}", untouched.join(", "))
        };
        return Err(Error::Spec(format!("no side of this spec can run on trained weights: {why}")));
    }
    let others: Vec<&String> = untouched.iter().filter(|u| !trained_archs.iter().any(|a| a == *u)).collect();
    if !others.is_empty() {
        notes.push(format!(
            "The catalogue has no trained weights for {}: {} stay seeded, so trained and random networks are compared side by side.",
            others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            if others.len() == 1 { "its sides" } else { "their sides" },
        ));
    }
    let mut this_run: Vec<String> = vec![format!(
        "Trained weights: this run puts trained weights from the catalogue (models/weights.json) in place of the seeds of {changed} zoo {} \
         (the seeded preset is the offline default); what this text says of seeded weights holds only for the sides that stay seeded.",
        if changed == 1 { "side" } else { "sides" }
    )];
    this_run.extend(notes.iter().map(|n| format!("Trained weights: {n}")));
    this_run.extend(spec.this_run.iter().flatten().cloned());
    out.this_run = Some(this_run);
    let name = spec.name.clone().unwrap_or_else(|| "Experiment".into());
    out.name = Some(if name.ends_with(NAME_SUFFIX) { name } else { format!("{name}{NAME_SUFFIX}") });
    Ok((out, notes))
}

/// The sentence for one architecture: which seed got which entry, and whether
/// sources and targets (or several seeds) share one training run.
fn arch_note(arch: &str, sides: &[&Side], seeds: &[u64], runs: &[&'static Entry]) -> String {
    let mut parts = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let mine: Vec<u64> = seeds.iter().enumerate().filter(|(j, _)| j % runs.len() == i).map(|(_, s)| *s).collect();
        let of = |source: bool| -> Vec<u64> {
            mine.iter().copied().filter(|seed| sides.iter().any(|s| s.seed == *seed && s.source == source)).collect()
        };
        let who: Vec<String> = [("sources", of(true)), ("targets", of(false))]
            .into_iter()
            .filter(|(_, seeds)| !seeds.is_empty())
            .map(|(role, seeds)| format!("{role} with {}", seeds_text(&seeds)))
            .collect();
        if !who.is_empty() {
            parts.push(format!("{} get {}", who.join(" and "), describe(run)));
        }
    }
    let mut note = format!("{arch}: {}.", parts.join("; "));
    let any_src = sides.iter().any(|s| s.source);
    let any_tgt = sides.iter().any(|s| !s.source);
    let shared = seeds.len() > runs.len();
    if shared && runs.len() == 1 {
        note.push_str(&format!(
            " The catalogue has one training run of {arch}, so {} the same network{}.",
            if any_src && any_tgt { "its sources and targets are" } else { "its sides are" },
            if seeds.len() > 1 { format!(" where the seeded preset had {} different seeds", seeds.len()) } else { String::new() },
        ));
    } else if shared {
        note.push_str(&format!(
            " The catalogue has {} training runs of {arch} for {} seeds, so some seeds share weights (seed i gets run i modulo {}).",
            runs.len(),
            seeds.len(),
            runs.len()
        ));
    } else if runs.len() > 1 && seeds.len() > 1 && any_src && any_tgt {
        note.push_str(" Sources and targets are different training runs, as different seeds were.");
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_republished_by_timm_is_one_run() {
        assert_eq!(runs_of("resnet18").len(), 1);
        assert_eq!(runs_of("vgg11").len(), 1);
        let vit: Vec<&str> = runs_of("vit_b_32").iter().map(|e| e.id.as_str()).collect();
        assert_eq!(vit, ["vit_b_32/torchvision", "vit_b_32/timm-augreg_in21k_ft_in1k"]);
        assert_eq!(runs_of("efficientnet_lite0")[0].id, "efficientnet_lite0/imagenet");
        assert!(runs_of("vgg13").is_empty());
    }
}
