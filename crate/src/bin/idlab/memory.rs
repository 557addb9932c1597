//! `idlab memory SPEC`: the memory a spec's run will need, as the page's
//! check predicts it (`experiment::memory`), before anything runs: whether a
//! run fits in a tab, or how large a machine a cluster job needs.

use idlab::experiment::memory::{estimate, UserModels};
use idlab::experiment::Spec;
use std::path::Path;

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1048576.0)
}

pub fn run(spec_path: &Path, in_memory: bool, tab: bool, json: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(spec_path).map_err(|e| format!("cannot read spec {}: {e}", spec_path.display()))?;
    let spec = Spec::from_json(&text).map_err(|e| format!("{}: {}", spec_path.display(), crate::cli::core(e)))?;
    spec.validate().map_err(|e| format!("{}: {}", spec_path.display(), crate::cli::core(e)))?;
    let users = UserModels { spill: !in_memory, tab, ..UserModels::default() };
    let e = estimate(&spec, &users).map_err(|e| format!("{}: {}", spec_path.display(), crate::cli::core(e)))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e).map_err(|e| e.to_string())?);
        return Ok(());
    }
    println!(
        "{} images; Gram rows {}; {}",
        e.images,
        if in_memory { "all in memory (a tab without OPFS)" } else { "spill past 128 MiB a model" },
        if tab { "as in a tab" } else { "as on this machine (--tab: as in a tab)" }
    );
    let header = ["id", "model", "images", "building", "built", "activations", "spilled", "held", "stimuli", "total"];
    let row = |c: [String; 10]| println!("{:<5} {:<22} {:>7} {:>10} {:>10} {:>12} {:>10} {:>10} {:>10} {:>10}", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
    row(header.map(String::from));
    for m in &e.models {
        row([m.id.clone(), m.arch.clone(), m.images.to_string(), mib(m.weights), mib(m.graph), mib(m.activations), mib(m.spilled), mib(m.held), mib(m.stimuli), mib(m.total)]);
    }
    println!(
        "total = the larger of building (its weights while the model is built) and built + activations (while it records), \
+ held + stimuli + the page's base of {}; peak: {}",
        mib(idlab::experiment::memory::BASE_BYTES),
        mib(e.total)
    );
    Ok(())
}
