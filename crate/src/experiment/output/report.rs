//! The plain-text report of a result: what was run (spec, version, build,
//! stimuli, models, metrics and their parameters, every input's sha256,
//! timings) and what came out (identifiability verdicts, classes, the
//! specificity analysis, noise ceilings, warnings). One text for
//! `report.txt` and the page's report download.

use crate::experiment::result::{ExperimentResult, Identifiability, ModelInfo, Score};
use crate::experiment::metric::describe;
use crate::metrics::registry::{MetricName, MetricParams};
use serde_json::Value;

/// The metric's name as people read it (its description's title); an unknown name as it is.
pub fn metric_title(metric: &str) -> &str {
    MetricName::parse(metric).map_or(metric, |m| describe(m).title())
}

/// The parameters a metric reads, in the order the report lists them.
fn params_read(metric: &str) -> &'static [&'static str] {
    MetricName::parse(metric).map_or(&[], |m| describe(m).reads())
}

/// A score table in one line: its one value, or its best cell (the largest, the
/// smallest for a distance) with its layers, the mean and how many cells are defined.
fn score_summary(r: &ExperimentResult, score: &Score) -> String {
    let layer = |id: &str, i: usize| r.model(id).and_then(|m| m.layers.get(i).cloned()).unwrap_or_else(|| format!("layer {i}"));
    let cells: Vec<(usize, usize, f64)> =
        score.values.iter().enumerate().flat_map(|(i, row)| row.iter().enumerate().filter_map(move |(j, v)| v.map(|v| (i, j, v)))).collect();
    let total: usize = score.values.iter().map(Vec::len).sum();
    let Some(&first) = cells.first() else { return format!("undefined in all {total} cells") };
    if total == 1 {
        return format!("{:.4}", first.2);
    }
    let higher = score.better != "lower";
    let (i, j, best) = cells.iter().copied().fold(first, |b, c| if (higher && c.2 > b.2) || (!higher && c.2 < b.2) { c } else { b });
    let mean = cells.iter().map(|c| c.2).sum::<f64>() / cells.len() as f64;
    let undefined = if cells.len() < total { format!(", {} undefined", total - cells.len()) } else { String::new() };
    format!(
        "{} {best:.4} at {} x {}; mean {mean:.4} over {} cells{undefined}",
        if higher { "best" } else { "lowest" },
        layer(&score.source, i),
        layer(&score.target, j),
        cells.len()
    )
}

/// `defaults` when the spec gives none, else `name = value, …` for what the metric reads.
fn params_text(metric: &str, params: Option<&MetricParams>) -> String {
    let Some(Value::Object(p)) = params.map(|p| serde_json::to_value(p).expect("parameters serialise")) else { return "defaults".into() };
    let parts: Vec<String> = params_read(metric)
        .iter()
        .filter_map(|k| {
            let v = p.get(*k)?;
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                Value::Array(a) if *k == "splits" => format!("{} given", a.len()),
                v => v.to_string(),
            };
            Some(format!("{k} = {text}"))
        })
        .collect();
    if parts.is_empty() { "defaults".into() } else { parts.join(", ") }
}

/// Seconds as people read them: `850 ms`, `12.3 s`, `9 min 4 s`.
pub fn format_seconds(s: f64) -> String {
    if !s.is_finite() {
        "unknown".into()
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else {
        format!("{} min {} s", (s / 60.0).floor(), (s % 60.0).round())
    }
}

/// Bytes in binary units: `512 B`, `30.6 KiB`, `117.7 MiB`, `2.50 GiB`.
pub fn format_bytes(n: f64) -> String {
    const K: f64 = 1024.0;
    if n < K {
        format!("{n} B")
    } else if n < K * K {
        format!("{:.1} KiB", n / K)
    } else if n < K * K * K {
        format!("{:.1} MiB", n / (K * K))
    } else {
        format!("{:.2} GiB", n / (K * K * K))
    }
}

/// One model: id, role, label and what it is.
fn model_line(m: &ModelInfo) -> String {
    let mut bits = vec![m.kind.to_string()];
    if let Some(arch) = m.arch.as_ref().filter(|a| **a != m.label) {
        bits.push(format!("arch {arch}"));
    }
    if let Some(seed) = m.seed {
        bits.push(format!("seed {seed}"));
    }
    bits.push(format!("{} layer{}", m.layers.len(), if m.layers.len() == 1 { "" } else { "s" }));
    if !m.subjects.is_empty() {
        bits.push(format!("{} subjects ({})", m.subjects.len(), m.subjects.join(", ")));
    }
    if let Some(u) = m.units {
        bits.push(format!("{u} units"));
    }
    if let Some(n) = &m.noise {
        bits.push(format!("Poisson-like noise, gain {} (seed {})", n.gain, n.seed));
    }
    if let Some(p) = m.prune {
        bits.push(format!("pruned {p} of each weight tensor"));
    }
    if let Some(w) = &m.weights {
        let from = w.catalogue.as_ref().map_or(String::new(), |c| format!(" ({c})"));
        let names = w.names.as_ref().map_or(String::new(), |n| format!(", {n} names"));
        bits.push(format!("trained weights {}{from}, {} {}{names}, sha256 {}", w.kind, w.name, w.format, w.sha256));
    }
    format!("  {} {}: {} ({})", m.id, m.role, m.label, bits.join(", "))
}

/// How the verdicts below are reached, said once in the report.
pub const MARGIN_RULE: &str = "A win needs the correct source's best score to beat every other source's best by more than \
one standard error of their difference (where the metric has standard errors: regression, nrp), else by more than \
a numerical tolerance (1e-9); within that margin it is a tie.";

/// "The correct architecture (alexnet) won at 7 of 8 target layers; it lost at features.3 (vgg11 seed 0 won)."
/// With ties: "… won at 5 of 8 target layers, tied at 2 (within the margin); it lost at …".
pub fn verdict(result: &ExperimentResult, entry: &Identifiability) -> String {
    let label = |id: &str| result.model(id).map_or(id.to_string(), |m| m.label.clone());
    let n = entry.layers.len();
    let won = entry.layers.iter().filter(|l| l.outcome() == "won").count();
    let tied = entry.layers.iter().filter(|l| l.outcome() == "tie").count();
    let who = match &entry.identity {
        Some(id) => format!("The correct source (identity {id}: {})", label(&entry.correct_source)),
        None => {
            let arch = result.model(&entry.correct_source).map_or(entry.correct_source.clone(), |m| m.arch.clone().unwrap_or_else(|| m.label.clone()));
            format!("The correct architecture ({arch})")
        }
    };
    let mut text = format!("{who} won at {won} of {n} target layer{}", if n == 1 { "" } else { "s" });
    if tied > 0 {
        text.push_str(&format!(", tied at {tied} (within the margin)"));
    }
    let lost: Vec<String> = entry
        .layers
        .iter()
        .filter(|l| l.outcome() == "lost")
        .map(|l| if l.best_source.is_empty() { l.layer.clone() } else { format!("{} ({} won)", l.layer, label(&l.best_source)) })
        .collect();
    if !lost.is_empty() {
        text.push_str(&format!("; it lost at {}", lost.join(", ")));
    }
    text.push('.');
    text
}

/// The preset's three parts: what the paper found (each claim with its
/// quote and where it stands), how this run differs, and what this run found
/// (the result's computed findings, the very sentences the page shows).
pub fn paper_sections(r: &ExperimentResult) -> Vec<String> {
    let spec = &r.spec;
    let mut out = Vec::new();
    if let Some(claims) = spec.paper.as_ref().filter(|c| !c.is_empty()) {
        out.push(String::new());
        out.push("The paper:".into());
        for c in claims {
            out.push(format!("  - {} (\"{}\", {})", c.claim, c.quote.split_whitespace().collect::<Vec<_>>().join(" "), c.where_));
        }
    }
    if let Some(lines) = spec.this_run.as_ref().filter(|l| !l.is_empty()) {
        out.push(String::new());
        out.push("This run:".into());
        out.extend(lines.iter().map(|l| format!("  - {l}")));
    }
    if !r.findings.is_empty() {
        out.push(String::new());
        out.push("What this run found:".into());
        out.extend(r.findings.iter().map(|l| format!("  - {l}")));
    }
    if !out.is_empty() {
        out.push(String::new());
    }
    out
}

/// The report: one text, the same from `idlab run` and the page.
pub fn report_text(r: &ExperimentResult) -> String {
    let spec = &r.spec;
    let label = |id: &str| r.model(id).map_or(id.to_string(), |m| m.label.clone());
    let set_name = |set: Option<usize>| set.map(|i| r.stimulus_sets.get(i).map_or(i.to_string(), |s| s.name.clone()));
    let mut out: Vec<String> = Vec::new();
    let title = spec.name.clone().unwrap_or_else(|| "idlab result".into());
    out.push(title.clone());
    out.push("=".repeat(title.chars().count().clamp(3, 78)));
    out.push(String::new());
    if let Some(f) = &spec.figure {
        out.push(format!("Reproduces: {f}"));
    }
    if let Some(a) = &spec.about {
        out.push(format!("About: {a}"));
    }
    out.extend(paper_sections(r));
    let simd = r.simd.as_deref().map(|s| format!(", {s}")).unwrap_or_default();
    out.push(format!("idlab {} ({} build{simd}), spec version {}", r.idlab_version, r.flavor, spec.idlab));
    if r.stimulus_sets.is_empty() {
        out.push(format!("Stimuli: {} (set {})", r.n_stimuli, spec.stimuli.label()));
    } else {
        let sets: Vec<String> = r.stimulus_sets.iter().map(|s| format!("{} ({})", s.name, s.n_stimuli)).collect();
        out.push(format!("Stimuli: {}, one run per set", sets.join(", ")));
    }
    out.push(String::new());

    out.push("Models:".into());
    out.extend(r.models.iter().map(model_line));
    out.push(String::new());

    out.push("Metrics:".into());
    for m in &spec.metrics {
        out.push(format!("  {} ({}): {}", m.name, metric_title(&m.name), params_text(&m.name, m.params.as_ref())));
    }
    out.push(String::new());

    out.push(format!("Inputs ({}, sha256):", r.inputs.len()));
    for i in &r.inputs {
        out.push(format!("  {}  {} [{}] {}", i.sha256, i.name, i.role, format_bytes(i.bytes as f64)));
    }
    out.push(String::new());

    out.push(format!("Total time: {}", format_seconds(r.seconds)));
    if let Some(t) = &r.timings {
        let mut steps: Vec<_> = t.steps.iter().filter_map(|s| Some((s.seconds?, s))).collect();
        if !steps.is_empty() {
            out.push("Slowest steps:".into());
            steps.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (secs, s) in steps.into_iter().take(5) {
                let what = match &s.label {
                    Some(l) => format!("{}: {l}", s.stage.as_deref().unwrap_or("")),
                    None => s.stage.clone().unwrap_or_default(),
                };
                out.push(format!("  {:>10}  {what}", format_seconds(secs)));
            }
        }
        if let Some(b) = t.wasm_memory_bytes {
            out.push(format!("WebAssembly memory: {}", format_bytes(b as f64)));
        }
    }

    if !r.scores.is_empty() {
        out.push(String::new());
        out.push("Scores (the CSV has every cell):".into());
        for score in &r.scores {
            let set = set_name(score.set).map(|s| format!(", {s}")).unwrap_or_default();
            out.push(format!("  {} ({}{set}): {} vs {}: {}", metric_title(&score.metric), score.metric, label(&score.source), label(&score.target), score_summary(r, score)));
        }
    }

    if !r.identifiability.is_empty() {
        out.push(String::new());
        out.push("Identifiability:".into());
        out.push(format!("  ({MARGIN_RULE})"));
        for v in &r.identifiability {
            let set = set_name(v.set).map(|s| format!(", {s}")).unwrap_or_default();
            out.push(format!("  {} ({}{set}): {}", label(&v.target), v.metric, verdict(r, v)));
        }
    }
    if !r.by_stimuli.is_empty() {
        out.push(String::new());
        out.push("Identifiability per stimulus set (mean index over target layers; layers won):".into());
        for b in &r.by_stimuli {
            let idx = b.mean_index.map_or("undefined".to_string(), |v| format!("{v:.4}"));
            let ties = if b.ties > 0 { format!(", tied at {}", b.ties) } else { String::new() };
            out.push(format!("  {}: {} ({}): {idx}; {} of {}{ties}", b.stimuli, label(&b.target), b.metric, b.correct_won, b.layers));
        }
    }
    if !r.class_comparison.is_empty() {
        out.push(String::new());
        out.push("Classes of architecture (Welch t per target layer):".into());
        for c in &r.class_comparison {
            let names: Vec<&str> = c.layers.first().map(|l| l.groups.iter().map(|g| g.name.as_str()).collect()).unwrap_or_default();
            let sig = c.layers.iter().filter(|l| l.significant).count();
            let set = set_name(c.set).map(|s| format!(", {s}")).unwrap_or_default();
            out.push(format!(
                "  {} ({}{set}): {} differ at p < {} at {sig} of {} layers",
                label(&c.target),
                c.metric,
                names.join(" vs "),
                c.alpha,
                c.layers.len()
            ));
        }
    }
    if !r.specificity.is_empty() {
        out.push(String::new());
        out.push("Predictivity vs specificity (same-layer held-out R²; same-layer identification rate; silhouette by layer):".into());
        let num = |v: Option<f64>| v.map_or("undefined".to_string(), |v| format!("{v:.4}"));
        for sp in &r.specificity {
            let set = set_name(sp.set).map(|s| format!(", {s}")).unwrap_or_default();
            let r2 = sp.predictivity.as_ref().map_or("none (not a mapping)".to_string(), |p| num(p.same_layer));
            out.push(format!(
                "  {} ({}{set}; {} is better): R² {r2}; identification {} ({} of {}); silhouette {} (on {})",
                sp.metric,
                sp.targets,
                sp.better,
                num(sp.same_layer.fraction),
                sp.same_layer.hits,
                sp.same_layer.cases,
                num(sp.population.as_ref().and_then(|p| p.silhouette)),
                sp.basis
            ));
        }
    }
    if !r.noise_ceilings.is_empty() {
        out.push(String::new());
        out.push("Noise ceilings:".into());
        for c in &r.noise_ceilings {
            let set = set_name(c.set).map(|s| format!(", {s}")).unwrap_or_default();
            out.push(format!("  {} ({}{set}): lower {:.4}, upper {:.4}", label(&c.target), c.metric, c.lower, c.upper));
        }
    }
    if !r.warnings.is_empty() {
        out.push(String::new());
        out.push(format!("Warnings ({}):", r.warnings.len()));
        out.extend(r.warnings.iter().map(|w| format!("  {w}")));
    }
    out.push(String::new());
    out.push(format!("Spec: {}", serde_json::to_string(spec).expect("the spec serialises")));
    out.join("\n") + "\n"
}
